#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "lincir/clip.hpp"
#include "support/test_support.hpp"

using namespace lincir;
using lincir::test::data_path;

namespace {

Status status_of_json(const std::string& json, std::string* msg = nullptr) {
  try {
    ClipConfig::from_json_string(json, "test");
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

double mparams(int64_t n) {
  return std::round(double(n) / 1e4) / 100.0;
}

// The parity fixture's architecture (tests/data/parity/model_config.json).
ClipConfig parity_config() {
  ClipConfig c;
  c.embed_dim = 64;
  c.image_resolution = 32;
  c.vision_layers = 2;
  c.vision_width = 128;
  c.vision_heads = 2;
  c.vision_patch_size = 8;
  c.vision_mlp_width = 512;
  c.context_length = 77;
  c.vocab_size = 49408;
  c.text_width = 32;
  c.text_heads = 4;
  c.text_layers = 2;
  c.text_mlp_width = 128;
  c.activation = ClipConfig::Activation::quick_gelu;
  c.layer_norm_eps = 1e-5;
  return c;
}

}  // namespace

// Published counts: open_clip docs/model_profile.csv (image_mparams, text_mparams, mparams),
// i.e. round(count_params(model.visual | model.text | model) / 1e6, 2).
TEST(ClipConfig, PresetParameterCountsMatchOpenClipProfile) {
  struct Row {
    const char* name;
    double image, text, total;
  };
  const Row rows[] = {
      {"ViT-B-32", 87.85, 63.43, 151.28},   {"ViT-B-16", 86.19, 63.43, 149.62},
      {"ViT-L-14", 303.97, 123.65, 427.62}, {"ViT-L-14-336", 304.29, 123.65, 427.94},
      {"ViT-H-14", 632.08, 354.03, 986.11}, {"ViT-bigG-14", 1844.91, 694.66, 2539.57},
  };
  ASSERT_EQ(ClipConfig::preset_names().size(), 6u);
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    const ClipConfig c = ClipConfig::preset(r.name);
    EXPECT_EQ(c.name, r.name);
    EXPECT_NO_THROW(c.validate());
    EXPECT_DOUBLE_EQ(mparams(c.vision_param_count()), r.image);
    EXPECT_DOUBLE_EQ(mparams(c.text_param_count()), r.text);
    EXPECT_DOUBLE_EQ(mparams(c.param_count()), r.total);
  }
  // OpenAI's exact total for ViT-B/32 (sum of p.numel() over clip.load's model).
  EXPECT_EQ(ClipConfig::preset("ViT-B-32").param_count(), 151277313);
}

TEST(ClipConfig, PresetArchitectures) {
  const ClipConfig big = ClipConfig::preset("ViT-bigG-14");
  EXPECT_EQ(big.vision_width, 1664);
  EXPECT_EQ(big.vision_layers, 48);
  EXPECT_EQ(big.vision_heads, 16);  // head_width 104
  EXPECT_EQ(big.vision_mlp_width, 8192);
  EXPECT_EQ(big.text_width, 1280);
  EXPECT_EQ(big.text_heads, 20);
  EXPECT_EQ(big.text_layers, 32);
  EXPECT_EQ(big.embed_dim, 1280);
  EXPECT_EQ(big.activation, ClipConfig::Activation::gelu);
  const ClipConfig h = ClipConfig::preset("ViT-H-14");
  EXPECT_EQ(h.vision_width, 1280);
  EXPECT_EQ(h.vision_layers, 32);
  EXPECT_EQ(h.vision_heads, 16);
  EXPECT_EQ(h.text_width, 1024);
  EXPECT_EQ(h.text_heads, 16);
  EXPECT_EQ(h.text_layers, 24);
  EXPECT_EQ(h.embed_dim, 1024);
  EXPECT_EQ(h.activation, ClipConfig::Activation::gelu);
  const ClipConfig l = ClipConfig::preset("ViT-L/14@336px");  // OpenAI spelling
  EXPECT_EQ(l.name, "ViT-L-14-336");
  EXPECT_EQ(l.image_resolution, 336);
  EXPECT_EQ(l.vision_grid(), 24);
  EXPECT_EQ(l.activation, ClipConfig::Activation::quick_gelu);
  EXPECT_EQ(ClipConfig::preset("ViT-B/32"), ClipConfig::preset("ViT-B-32"));
  std::string msg;
  try {
    ClipConfig::preset("ViT-X-99");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("ViT-bigG-14"), std::string::npos) << e.what();
  }
}

TEST(ClipConfig, ParsesParityFlatAndHfConfigs) {
  const ClipConfig flat = ClipConfig::from_json_file(data_path("parity/model_config.json"));
  EXPECT_EQ(flat, parity_config());
  EXPECT_EQ(flat.name, "model_config");
  const ClipConfig hf = ClipConfig::from_json_file(data_path("parity/hf/config.json"));
  EXPECT_EQ(hf, parity_config());
  EXPECT_EQ(hf.name, "hf");  // config.json is named after its folder
  // to_json round-trips, name included.
  ClipConfig named = parity_config();
  named.name = "tiny";
  named.activation = ClipConfig::Activation::gelu;
  const ClipConfig back = ClipConfig::from_json_string(named.to_json());
  EXPECT_EQ(back, named);
  EXPECT_EQ(back.name, "tiny");
}

TEST(ClipConfig, ParsesOpenClipLayouts) {
  // open_clip/model_configs/ViT-bigG-14.json and ViT-H-14.json.
  const std::string big = R"({
    "embed_dim": 1280,
    "vision_cfg": {"image_size": 224, "layers": 48, "width": 1664, "head_width": 104,
                   "mlp_ratio": 4.9231, "patch_size": 14},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1280, "heads": 20,
                 "layers": 32}})";
  EXPECT_EQ(ClipConfig::from_json_string(big), ClipConfig::preset("ViT-bigG-14"));
  const std::string h = R"({"embed_dim": 1024,
    "vision_cfg": {"image_size": 224, "layers": 32, "width": 1280, "head_width": 80, "patch_size": 14},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1024, "heads": 16, "layers": 24}})";
  EXPECT_EQ(ClipConfig::from_json_string(h), ClipConfig::preset("ViT-H-14"));
  // ViT-B-32-quickgelu.json, wrapped as in open_clip_config.json of a hub directory.
  const std::string b32 = R"({"model_cfg": {"embed_dim": 512, "quick_gelu": true,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}},
    "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073]}})";
  EXPECT_EQ(ClipConfig::from_json_string(b32), ClipConfig::preset("ViT-B-32"));
  // Without quick_gelu an OpenCLIP config means exact GELU.
  const std::string b32_gelu = R"({"embed_dim": 512,
    "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}})";
  EXPECT_EQ(ClipConfig::from_json_string(b32_gelu).activation, ClipConfig::Activation::gelu);
}

TEST(ClipConfig, HfDefaultsAndActivation) {
  // transformers' defaults are ViT-B/32.
  const ClipConfig d = ClipConfig::from_json_string(R"({"text_config": {}, "vision_config": {}})");
  EXPECT_EQ(d, ClipConfig::preset("ViT-B-32"));
  const ClipConfig g = ClipConfig::from_json_string(
      R"({"projection_dim": 1024, "text_config": {"hidden_act": "gelu", "hidden_size": 1024,
          "num_attention_heads": 16, "num_hidden_layers": 24, "intermediate_size": 4096},
          "vision_config": {"hidden_act": "gelu", "hidden_size": 1280, "num_attention_heads": 16,
          "num_hidden_layers": 32, "intermediate_size": 5120, "patch_size": 14}})");
  EXPECT_EQ(g, ClipConfig::preset("ViT-H-14"));
}

TEST(ClipConfig, ParseErrorsNameTheProblem) {
  std::string msg;
  EXPECT_EQ(status_of_json("{not json", &msg), Status::format);
  EXPECT_EQ(status_of_json("[1, 2]", &msg), Status::format);
  EXPECT_EQ(status_of_json(R"({"embed_dim": 64})", &msg), Status::format);
  EXPECT_NE(msg.find("image_resolution"), std::string::npos) << msg;

  std::ifstream f(data_path("parity/model_config.json"));
  const nlohmann::json base = nlohmann::json::parse(f);
  auto with = [&](const char* key, const nlohmann::json& v) {
    nlohmann::json j = base;
    if (v.is_null())
      j.erase(key);
    else
      j[key] = v;
    return j.dump();
  };
  EXPECT_EQ(status_of_json(with("transformer_heads", nullptr), &msg), Status::format);
  EXPECT_NE(msg.find("transformer_heads"), std::string::npos) << msg;
  EXPECT_EQ(status_of_json(with("vision_width", "wide"), &msg), Status::format);
  EXPECT_NE(msg.find("vision_width"), std::string::npos) << msg;
  EXPECT_EQ(status_of_json(with("transformer_heads", 5), &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("text_heads"), std::string::npos) << msg;
  EXPECT_EQ(status_of_json(with("vision_patch_size", 7), &msg), Status::invalid_argument);
  EXPECT_EQ(status_of_json(with("embed_dim", -1), &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("embed_dim"), std::string::npos) << msg;
  EXPECT_EQ(status_of_json(with("layer_norm_eps", 0), &msg), Status::invalid_argument);
  EXPECT_EQ(status_of_json(with("act", "gelu_new"), &msg), Status::unsupported);
  EXPECT_EQ(status_of_json(with("text_pool", "mean"), &msg), Status::unsupported);
  EXPECT_EQ(status_of_json(with("vision_grid", 5), &msg), Status::invalid_argument);
  EXPECT_EQ(status_of_json(with("act", nullptr)), Status::ok);  // OpenAI layout default

  EXPECT_EQ(status_of_json(R"({"embed_dim": 512, "vision_cfg": {"attentional_pool": true},
                              "text_cfg": {}})",
                           &msg),
            Status::unsupported);
  EXPECT_NE(msg.find("attentional_pool"), std::string::npos) << msg;
  EXPECT_EQ(status_of_json(R"({"embed_dim": 512, "vision_cfg": {"layers": [3, 4, 6, 3]},
                              "text_cfg": {}})",
                           &msg),
            Status::unsupported);
  EXPECT_EQ(status_of_json(R"({"embed_dim": 512, "vision_cfg": {},
                              "text_cfg": {"hf_model_name": "roberta-base"}})",
                           &msg),
            Status::unsupported);
  EXPECT_EQ(status_of_json(R"({"embed_dim": 512, "vision_cfg": {"head_width": 100},
                              "text_cfg": {}})",
                           &msg),
            Status::invalid_argument);
  EXPECT_EQ(status_of_json(R"({"text_config": {"hidden_act": "gelu"}, "vision_config": {}})", &msg),
            Status::unsupported);
  EXPECT_EQ(
      status_of_json(
          R"({"text_config": {"hidden_act": "relu"}, "vision_config": {"hidden_act": "relu"}})",
          &msg),
      Status::unsupported);
  EXPECT_EQ(status_of_json(R"({"model_type": "siglip", "text_config": {}, "vision_config": {}})"),
            Status::unsupported);
  EXPECT_EQ(status_of_json(R"({"text_config": {}})"), Status::format);

  try {
    ClipConfig::from_json_file(data_path("parity/no_such_config.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
    EXPECT_NE(std::string(e.what()).find("no_such_config.json"), std::string::npos);
  }
}

TEST(ClipConfig, ValidateRejectsInconsistentValues) {
  ClipConfig c = parity_config();
  EXPECT_NO_THROW(c.validate());
  c.vision_heads = 3;  // 128 % 3 != 0
  EXPECT_THROW(c.validate(), Error);
  c = parity_config();
  c.context_length = 0;
  EXPECT_THROW(c.validate(), Error);
  c = parity_config();
  c.layer_norm_eps = std::nan("");
  EXPECT_THROW(c.validate(), Error);
}
