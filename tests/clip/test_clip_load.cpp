// Checkpoint formats (OpenAI names, HF directory, TorchScript), dtypes/devices, and load errors.
#include <filesystem>
#include <fstream>

#include "clip/loader.hpp"
#include "clip_test_util.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

constexpr float kTol = 1e-4f;

ClipLoadOptions parity_options() {
  ClipLoadOptions opt;
  opt.config_path = parity("model_config.json");
  return opt;
}

Embeddings text_features_of(const ClipModel& m) {
  const std::vector<int64_t> ids64 = text_outputs().to_int64("tokens");
  const std::vector<int32_t> ids(ids64.begin(), ids64.end());
  return m.encode_tokens(ids.data(), 24, 77);
}

Embeddings image_features_of(const ClipModel& m) {
  const std::vector<float> px = image_outputs().to_float("png_batch.pixel_values");
  return m.encode_pixels(px.data(), 9);
}

torch::Tensor expected_text() {
  return fixture_tensor(text_outputs(), "text_features");
}
torch::Tensor expected_image() {
  return fixture_tensor(image_outputs(), "png_batch.image_features");
}

// Rewrites the parity weights with edits: `drop` removes a tensor, `replace` swaps one for
// float32 data of another shape, `add` adds tensors.
struct Edit {
  std::string drop;
  std::string replace;
  std::vector<int64_t> shape;
  std::map<std::string, std::string> metadata;
};

void write_edited(const std::string& out, const Edit& e) {
  const SafeTensors src = SafeTensors::open(parity("weights_openai.safetensors"));
  std::vector<TensorToWrite> ts;
  std::vector<float> repl;
  for (const auto& name : src.names()) {
    if (name == e.drop) continue;
    const TensorView& v = src.get(name);
    if (name == e.replace) {
      int64_t n = 1;
      for (auto s : e.shape) n *= s;
      repl.assign(static_cast<size_t>(n), 0.5f);
      ts.push_back({name, TensorDType::F32, e.shape, repl.data()});
    } else {
      ts.push_back({name, v.dtype, v.shape, v.data});
    }
  }
  save_safetensors(out, ts, e.metadata);
}

Status load_status(const std::string& path, const ClipLoadOptions& opt, std::string* msg) {
  return error_of([&] { ClipModel::load(path, opt); }, msg);
}

float min_row_cosine(const Embeddings& a, const torch::Tensor& b) {
  const torch::Tensor x = to_tensor(a);
  return torch::cosine_similarity(x, b, 1).min().item<float>();
}

}  // namespace

TEST(ClipLoad, OpenAiSafetensorsMatchesReference) {
  const ClipModel& m = parity_model();
  EXPECT_EQ(m.config(), ClipConfig::from_json_file(parity("model_config.json")));
  EXPECT_EQ(m.device().type, DeviceType::cpu);
  EXPECT_EQ(m.dtype(), DType::float32);
  EXPECT_LE(max_abs(to_tensor(text_features_of(m)), expected_text()), kTol);
  EXPECT_LE(max_abs(to_tensor(image_features_of(m)), expected_image()), kTol);
}

TEST(ClipLoad, WeightsAreMappedNotCopied) {
  // float32 weights of a float32 model alias the mapping of the safetensors file.
  const SafeTensors st = SafeTensors::open(parity("weights_openai.safetensors"));
  auto src = lincir::detail::open_safetensors_source(parity("weights_openai.safetensors"));
  const torch::Tensor a = src->get("token_embedding.weight");
  const float* p = a.data_ptr<float>();
  EXPECT_EQ(a[3][5].item<float>(), st.to_float("token_embedding.weight")[3 * 32 + 5]);
  const auto towers = lincir::detail::build_towers(
      *src, lincir::detail::KeyNaming::openai,
      ClipConfig::from_json_file(parity("model_config.json")), torch::kCPU, torch::kFloat);
  src.reset();  // the towers keep the mapping alive
  EXPECT_EQ(towers->weights().token_embedding.data_ptr<float>(), p);
  EXPECT_EQ(towers->weights().token_embedding[3][5].item<float>(),
            st.to_float("token_embedding.weight")[3 * 32 + 5]);
}

TEST(ClipLoad, HuggingFaceDirectoryGivesIdenticalOutputs) {
  const ClipModel hf = ClipModel::load(parity("hf"));
  EXPECT_EQ(hf.config(), parity_model().config());
  const Embeddings t = text_features_of(hf), i = image_features_of(hf);
  EXPECT_LE(max_abs(to_tensor(t), expected_text()), kTol);
  EXPECT_LE(max_abs(to_tensor(i), expected_image()), kTol);
  // Same numbers in both files: identical up to BLAS summation order.
  EXPECT_LE(max_abs(to_tensor(t), to_tensor(text_features_of(parity_model()))), 1e-6f);
  EXPECT_LE(max_abs(to_tensor(i), to_tensor(image_features_of(parity_model()))), 1e-6f);
  // The HF safetensors file alone finds config.json beside it.
  const ClipModel hf_file = ClipModel::load(parity("hf/model.safetensors"));
  EXPECT_LE(max_abs(to_tensor(text_features_of(hf_file)), to_tensor(t)), 0.f);
}

TEST(ClipLoad, TorchScriptArchive) {
  const std::string pt = parity("torch_formats/openai_jit_traced.pt");
  const ClipModel m = ClipModel::load(pt, parity_options());
  EXPECT_LE(max_abs(to_tensor(text_features_of(m)), expected_text()), kTol);
  EXPECT_LE(max_abs(to_tensor(image_features_of(m)), expected_image()), kTol);
  // Without a config, build_model's inference (heads = width / 64) cannot describe this model.
  std::string msg;
  EXPECT_EQ(load_status(pt, {}, &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("heads"), std::string::npos) << msg;
  // A zip that is not TorchScript.
  TempDir dir;
  std::vector<uint8_t> junk = {'P', 'K', 3, 4};
  junk.resize(200, 7);
  write_bytes(dir.file("bad.pt"), junk);
  EXPECT_EQ(load_status(dir.file("bad.pt"), parity_options(), &msg), Status::format);
  EXPECT_NE(msg.find("bad.pt"), std::string::npos) << msg;
}

TEST(ClipLoad, InfersOpenAiConfigFromShapes) {
  // A synthetic OpenAI-layout checkpoint with 64-wide towers, as build_model would read it.
  TempDir dir;
  const ClipConfig want = [] {
    ClipConfig c;
    c.embed_dim = 16;
    c.image_resolution = 12;
    c.vision_patch_size = 4;
    c.vision_layers = 1;
    c.vision_width = 128;
    c.vision_heads = 2;
    c.vision_mlp_width = 512;
    c.context_length = 9;
    c.vocab_size = 50;
    c.text_width = 64;
    c.text_heads = 1;
    c.text_layers = 2;
    c.text_mlp_width = 256;
    return c;
  }();
  const ClipModel m = [&] {
    // Build random towers through the public loader: write weights with the expected shapes.
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
        {"token_embedding.weight", {50, 64}},
        {"positional_embedding", {9, 64}},
        {"ln_final.weight", {64}},
        {"ln_final.bias", {64}},
        {"text_projection", {64, 16}},
        {"visual.conv1.weight", {128, 3, 4, 4}},
        {"visual.class_embedding", {128}},
        {"visual.positional_embedding", {10, 128}},
        {"visual.ln_pre.weight", {128}},
        {"visual.ln_pre.bias", {128}},
        {"visual.ln_post.weight", {128}},
        {"visual.ln_post.bias", {128}},
        {"visual.proj", {128, 16}},
        {"logit_scale", {}}};
    auto block = [&](const std::string& p, int64_t d, int64_t mm) {
      for (auto& kv : std::vector<std::pair<std::string, std::vector<int64_t>>>{
               {"ln_1.weight", {d}},
               {"ln_1.bias", {d}},
               {"attn.in_proj_weight", {3 * d, d}},
               {"attn.in_proj_bias", {3 * d}},
               {"attn.out_proj.weight", {d, d}},
               {"attn.out_proj.bias", {d}},
               {"ln_2.weight", {d}},
               {"ln_2.bias", {d}},
               {"mlp.c_fc.weight", {mm, d}},
               {"mlp.c_fc.bias", {mm}},
               {"mlp.c_proj.weight", {d, mm}},
               {"mlp.c_proj.bias", {d}}})
        shapes.push_back({p + kv.first, kv.second});
    };
    block("visual.transformer.resblocks.0.", 128, 512);
    block("transformer.resblocks.0.", 64, 256);
    block("transformer.resblocks.1.", 64, 256);
    std::vector<torch::Tensor> keep;
    std::vector<TensorToWrite> ts;
    torch::manual_seed(3);
    for (auto& [name, shape] : shapes) {
      keep.push_back(torch::randn(shape) * 0.05);
      ts.push_back({name, TensorDType::F32, shape, keep.back().data_ptr<float>()});
    }
    save_safetensors(dir.file("tiny.safetensors"), ts);
    auto src = lincir::detail::open_safetensors_source(dir.file("tiny.safetensors"));
    const ClipConfig inferred = lincir::detail::infer_openai_config(*src);
    EXPECT_EQ(inferred, want);
    // A loose safetensors file never has its heads inferred: it needs a config.
    std::string msg;
    EXPECT_EQ(load_status(dir.file("tiny.safetensors"), {}, &msg), Status::invalid_argument);
    EXPECT_NE(msg.find("config"), std::string::npos) << msg;
    // <stem>.json beside the weights is picked up.
    const std::string js = want.to_json();
    write_bytes(dir.file("tiny.json"), std::vector<uint8_t>(js.begin(), js.end()));
    return ClipModel::load(dir.file("tiny.safetensors"));
  }();
  EXPECT_EQ(m.config(), want);
  EXPECT_EQ(m.config().name, "tiny");
  const int32_t ids[9] = {1, 5, 49, 2, 0, 0, 0, 0, 0};
  EXPECT_EQ(m.encode_tokens(ids, 1, 9).cols(), 16);
}

TEST(ClipLoad, ConfigFromMetadata) {
  TempDir dir;
  Edit e;
  e.metadata["clip_config"] = ClipConfig::from_json_file(parity("model_config.json")).to_json();
  write_edited(dir.file("w.safetensors"), e);
  const ClipModel m = ClipModel::load(dir.file("w.safetensors"));
  EXPECT_LE(max_abs(to_tensor(text_features_of(m)), expected_text()), kTol);
  // An explicit config wins over the metadata; a mismatching one is caught by the shapes.
  ClipLoadOptions opt;
  opt.config = ClipConfig::preset("ViT-B-32");
  std::string msg;
  EXPECT_EQ(load_status(dir.file("w.safetensors"), opt, &msg), Status::format);
  EXPECT_NE(msg.find("token_embedding.weight"), std::string::npos) << msg;
}

TEST(ClipLoad, Bfloat16IsCloseToFloat32) {
  ClipLoadOptions opt = parity_options();
  opt.dtype = DType::bfloat16;
  const ClipModel m = ClipModel::load(parity("weights_openai.safetensors"), opt);
  EXPECT_EQ(m.dtype(), DType::bfloat16);
  EXPECT_EQ(lincir::detail::towers(m).weights().token_embedding.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(lincir::detail::towers(m).weights().ln_final_weight.scalar_type(), torch::kFloat);
  // bfloat16 storage, float32 arithmetic on the CPU.
  EXPECT_EQ(lincir::detail::towers(m).compute_dtype(), torch::kFloat);
  EXPECT_GE(min_row_cosine(text_features_of(m), expected_text()), 0.99f);
  EXPECT_GE(min_row_cosine(image_features_of(m), expected_image()), 0.99f);
  // Not identical to float32: the dtype really changed the computation.
  EXPECT_GT(max_abs(to_tensor(text_features_of(m)), expected_text()), 1e-4f);
}

TEST(ClipLoad, DeviceAndDtypeErrors) {
  ClipLoadOptions opt = parity_options();
  opt.dtype = DType::float16;
  std::string msg;
  EXPECT_EQ(load_status(parity("weights_openai.safetensors"), opt, &msg), Status::unsupported);
  EXPECT_NE(msg.find("float16"), std::string::npos) << msg;
  if (!cuda_available()) {
    opt = parity_options();
    opt.device = Device::cuda(0);
    EXPECT_EQ(load_status(parity("weights_openai.safetensors"), opt, &msg), Status::device);
    EXPECT_NE(msg.find("cuda:0"), std::string::npos) << msg;
  }
  opt = parity_options();
  opt.batch_size = 0;
  EXPECT_EQ(load_status(parity("weights_openai.safetensors"), opt, &msg), Status::invalid_argument);
}

// Compiled only against a CUDA LibTorch (tests/CMakeLists.txt), where a GPU is then required:
// a CPU-only build has no CUDA test to skip.
#if defined(LINCIR_TEST_CUDA)
TEST(ClipLoad, Cuda) {
  ASSERT_TRUE(cuda_available()) << "this LibTorch has CUDA but no device is visible";
  for (DType dt : {DType::float32, DType::float16, DType::bfloat16}) {
    SCOPED_TRACE(dtype_name(dt));
    ClipLoadOptions opt = parity_options();
    opt.device = Device::cuda(0);
    opt.dtype = dt;
    const ClipModel m = ClipModel::load(parity("weights_openai.safetensors"), opt);
    EXPECT_TRUE(lincir::detail::towers(m).weights().token_embedding.is_cuda());
    if (dt == DType::float32) {
      EXPECT_LE(max_abs(to_tensor(text_features_of(m)), expected_text()), kTol);
      EXPECT_LE(max_abs(to_tensor(image_features_of(m)), expected_image()), kTol);
    } else {
      EXPECT_GE(min_row_cosine(text_features_of(m), expected_text()), 0.99f);
      EXPECT_GE(min_row_cosine(image_features_of(m), expected_image()), 0.99f);
    }
  }
}
#endif

TEST(ClipLoad, MissingAndCorruptFiles) {
  TempDir dir;
  std::string msg;
  EXPECT_EQ(load_status(dir.file("nope.safetensors"), parity_options(), &msg), Status::io);
  EXPECT_NE(msg.find("nope.safetensors"), std::string::npos) << msg;
  // Empty directory.
  EXPECT_EQ(load_status(dir.path(), {}, &msg), Status::format);
  // Garbage and truncated files.
  write_bytes(dir.file("garbage.safetensors"), std::vector<uint8_t>(100, 0xAB));
  EXPECT_EQ(load_status(dir.file("garbage.safetensors"), parity_options(), &msg), Status::format);
  const std::vector<uint8_t> full = read_bytes(parity("weights_openai.safetensors"));
  write_bytes(dir.file("trunc.safetensors"),
              std::vector<uint8_t>(full.begin(), full.begin() + full.size() / 2));
  EXPECT_EQ(load_status(dir.file("trunc.safetensors"), parity_options(), &msg), Status::format);
  EXPECT_NE(msg.find("trunc.safetensors"), std::string::npos) << msg;
  write_bytes(dir.file("empty.safetensors"), {});
  EXPECT_EQ(load_status(dir.file("empty.safetensors"), parity_options(), &msg), Status::format);
  // Not CLIP weights at all.
  EXPECT_EQ(load_status(parity("phi_weights.safetensors"), parity_options(), &msg), Status::format);
  EXPECT_NE(msg.find("visual.conv1.weight"), std::string::npos) << msg;
  // HF directory without weights.
  std::filesystem::create_directory(dir.file("hf"));
  std::filesystem::copy_file(parity("hf/config.json"), dir.file("hf/config.json"));
  EXPECT_EQ(load_status(dir.file("hf"), {}, &msg), Status::unsupported);
  // Bad config file.
  ClipLoadOptions bad;
  bad.config_path = dir.file("missing.json");
  EXPECT_EQ(load_status(parity("weights_openai.safetensors"), bad, &msg), Status::io);
}

TEST(ClipLoad, MissingKeysAndWrongShapesNameTheKey) {
  TempDir dir;
  std::string msg;
  {
    Edit e;
    e.drop = "transformer.resblocks.1.mlp.c_fc.bias";
    write_edited(dir.file("a.safetensors"), e);
    EXPECT_EQ(load_status(dir.file("a.safetensors"), parity_options(), &msg), Status::format);
    EXPECT_NE(msg.find("transformer.resblocks.1.mlp.c_fc.bias"), std::string::npos) << msg;
  }
  {
    Edit e;
    e.replace = "ln_final.weight";
    e.shape = {31};
    write_edited(dir.file("b.safetensors"), e);
    EXPECT_EQ(load_status(dir.file("b.safetensors"), parity_options(), &msg), Status::format);
    EXPECT_NE(msg.find("ln_final.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[31]"), std::string::npos) << msg;
  }
  {
    Edit e;
    e.replace = "visual.proj";
    e.shape = {64, 128};  // transposed
    write_edited(dir.file("c.safetensors"), e);
    EXPECT_EQ(load_status(dir.file("c.safetensors"), parity_options(), &msg), Status::format);
    EXPECT_NE(msg.find("visual.proj"), std::string::npos) << msg;
  }
  {
    // An integer tensor where a weight belongs.
    const SafeTensors src = SafeTensors::open(parity("weights_openai.safetensors"));
    std::vector<TensorToWrite> ts;
    std::vector<int32_t> ints(32, 1);
    for (const auto& name : src.names()) {
      const TensorView& v = src.get(name);
      if (name == "ln_final.bias")
        ts.push_back({name, TensorDType::I32, {32}, ints.data()});
      else
        ts.push_back({name, v.dtype, v.shape, v.data});
    }
    save_safetensors(dir.file("d.safetensors"), ts);
    EXPECT_EQ(load_status(dir.file("d.safetensors"), parity_options(), &msg), Status::format);
    EXPECT_NE(msg.find("ln_final.bias"), std::string::npos) << msg;
  }
  // Config deeper or shallower than the checkpoint.
  ClipConfig c = ClipConfig::from_json_file(parity("model_config.json"));
  ClipLoadOptions opt;
  c.text_layers = 3;
  opt.config = c;
  EXPECT_EQ(load_status(parity("weights_openai.safetensors"), opt, &msg), Status::format);
  EXPECT_NE(msg.find("transformer.resblocks.2."), std::string::npos) << msg;
  c.text_layers = 1;
  opt.config = c;
  EXPECT_EQ(load_status(parity("weights_openai.safetensors"), opt, &msg), Status::format);
  EXPECT_NE(msg.find("more than 1"), std::string::npos) << msg;
  // HF naming: the missing HF key is named.
  std::filesystem::create_directory(dir.file("hf"));
  std::filesystem::copy_file(parity("hf/config.json"), dir.file("hf/config.json"));
  {
    const SafeTensors src = SafeTensors::open(parity("hf/model.safetensors"));
    std::vector<TensorToWrite> ts;
    for (const auto& name : src.names()) {
      if (name == "vision_model.encoder.layers.1.self_attn.k_proj.weight") continue;
      const TensorView& v = src.get(name);
      ts.push_back({name, v.dtype, v.shape, v.data});
    }
    save_safetensors(dir.file("hf/model.safetensors"), ts);
  }
  EXPECT_EQ(load_status(dir.file("hf"), {}, &msg), Status::format);
  EXPECT_NE(msg.find("vision_model.encoder.layers.1.self_attn.k_proj.weight"), std::string::npos)
      << msg;
}

TEST(ClipLoad, ShardedHfCheckpointAndPositionIds) {
  TempDir dir;
  const SafeTensors src = SafeTensors::open(parity("hf/model.safetensors"));
  std::vector<TensorToWrite> a, b;
  nlohmann::json index = {{"metadata", {{"total_size", 0}}},
                          {"weight_map", nlohmann::json::object()}};
  for (const auto& name : src.names()) {
    const TensorView& v = src.get(name);
    const bool first = name.rfind("text_model.", 0) == 0;
    (first ? a : b).push_back({name, v.dtype, v.shape, v.data});
    index["weight_map"][name] =
        first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  // Published HF checkpoints may carry int64 position_ids buffers: ignored.
  std::vector<int64_t> pos(77);
  for (int i = 0; i < 77; ++i) pos[i] = i;
  a.push_back({"text_model.embeddings.position_ids", TensorDType::I64, {1, 77}, pos.data()});
  index["weight_map"]["text_model.embeddings.position_ids"] = "model-00001-of-00002.safetensors";
  save_safetensors(dir.file("model-00001-of-00002.safetensors"), a);
  save_safetensors(dir.file("model-00002-of-00002.safetensors"), b);
  const std::string ix = index.dump();
  write_bytes(dir.file("model.safetensors.index.json"), std::vector<uint8_t>(ix.begin(), ix.end()));
  std::filesystem::copy_file(parity("hf/config.json"), dir.file("config.json"));
  const ClipModel m = ClipModel::load(dir.path());
  EXPECT_LE(max_abs(to_tensor(text_features_of(m)), expected_text()), kTol);
  EXPECT_LE(max_abs(to_tensor(image_features_of(m)), expected_image()), kTol);
}

// A float16 TorchScript archive in OpenAI's layout (tests/data/clip/make_tiny_fp16_jit.py): the
// config is inferred from the shapes as openai/CLIP build_model does, the float16 weights are
// converted, and the features match clip/model.py run in float32 on those weights.
TEST(ClipLoad, Float16TorchScriptWithInferredConfig) {
  const ClipModel m = ClipModel::load(data_path("clip/tiny_fp16_jit.pt"));
  EXPECT_EQ(m.config(), ClipConfig::from_json_file(data_path("clip/tiny_fp16_jit.json")));
  EXPECT_EQ(m.config().text_heads, 1);
  EXPECT_EQ(m.config().vision_heads, 2);
  EXPECT_EQ(lincir::detail::towers(m).weights().text_blocks[0].c_fc_weight.scalar_type(),
            torch::kFloat);
  const auto ref = read_json(data_path("clip/tiny_fp16_expected.json"));
  std::vector<int32_t> ids;
  for (const auto& row : ref["tokens"])
    for (const auto& v : row) ids.push_back(v.get<int32_t>());
  std::vector<float> px, tf, imf;
  for (const auto& c : ref["pixel_values"])
    for (const auto& ch : c)
      for (const auto& row : ch)
        for (const auto& v : row) px.push_back(v.get<float>());
  for (const auto& row : ref["text_features"])
    for (const auto& v : row) tf.push_back(v.get<float>());
  for (const auto& row : ref["image_features"])
    for (const auto& v : row) imf.push_back(v.get<float>());
  const Embeddings t = m.encode_tokens(ids.data(), 2, 12);
  const Embeddings i = m.encode_pixels(px.data(), 2);
  ASSERT_EQ(t.size(), static_cast<Eigen::Index>(tf.size()));
  ASSERT_EQ(i.size(), static_cast<Eigen::Index>(imf.size()));
  EXPECT_LE(max_abs_diff(t.data(), tf.data(), tf.size()), kTol);
  EXPECT_LE(max_abs_diff(i.data(), imf.data(), imf.size()), kTol);
  // Heads matter: the same weights read as one vision head give different features.
  ClipLoadOptions opt;
  opt.config = m.config();
  opt.config->vision_heads = 1;
  const Embeddings wrong =
      ClipModel::load(data_path("clip/tiny_fp16_jit.pt"), opt).encode_pixels(px.data(), 2);
  EXPECT_GT(max_abs_diff(wrong.data(), imf.data(), imf.size()), 1e-3f);
}

// An OpenCLIP hub directory: OpenAI key names, architecture in open_clip_config.json.
TEST(ClipLoad, OpenClipHubDirectory) {
  TempDir dir;
  std::filesystem::create_symlink(parity("weights_openai.safetensors"),
                                  dir.file("open_clip_model.safetensors"));
  const std::string cfg = R"({"model_cfg": {"embed_dim": 64, "quick_gelu": true,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 128, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 4, "layers": 2}},
    "preprocess_cfg": {}})";
  std::string msg;
  EXPECT_EQ(load_status(dir.path(), {}, &msg), Status::invalid_argument);  // no config yet
  EXPECT_NE(msg.find("open_clip_config.json"), std::string::npos) << msg;
  write_bytes(dir.file("open_clip_config.json"), std::vector<uint8_t>(cfg.begin(), cfg.end()));
  const ClipModel m = ClipModel::load(dir.path());
  EXPECT_EQ(m.config(), parity_model().config());
  EXPECT_LE(max_abs(to_tensor(text_features_of(m)), expected_text()), kTol);
  EXPECT_LE(max_abs(to_tensor(image_features_of(m)), expected_image()), kTol);
}
