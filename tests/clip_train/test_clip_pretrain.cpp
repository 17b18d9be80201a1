// ClipPretrainer: options, determinism, learning, the saved file (OpenAI keys, config, zero rows
// for unseen tokens, float16) and the bundled tiny CLIP's zero-shot accuracy.
#include <gtest/gtest.h>

#include <cmath>

#include "lincir/clip_pretrain.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/tokenizer.hpp"
#include "support/test_support.hpp"

namespace lincir {
namespace {

// A very small model so that steps take milliseconds.
ClipPretrainOptions small_options(uint64_t seed = 3) {
  ClipPretrainOptions o;
  ClipConfig& c = o.config;
  c.name = "test-micro";
  c.embed_dim = 16;
  c.image_resolution = 16;
  c.vision_layers = 1;
  c.vision_width = 32;
  c.vision_heads = 2;
  c.vision_patch_size = 8;
  c.vision_mlp_width = 64;
  c.context_length = 24;
  c.text_width = 32;
  c.text_heads = 2;
  c.text_layers = 1;
  c.text_mlp_width = 64;
  o.batch_size = 16;
  o.steps = 40;
  o.warmup_steps = 2;
  o.lr = 3e-3f;
  o.seed = seed;
  return o;
}

TEST(ClipPretrain, TinyConfigMatchesThePrototype) {
  const ClipConfig c = tiny_clip_config();
  c.validate();
  EXPECT_EQ(c.vision_grid(), 5);
  EXPECT_EQ(c.vocab_size, Tokenizer().vocab_size());
  ClipPretrainOptions o;
  o.steps = 1;
  ClipPretrainer p(o);
  // ~1.45 M parameters without the token table (ViT 4 x 128, text 3 x 128, embed 128).
  EXPECT_GT(p.parameter_count(false), 1'400'000);
  EXPECT_LT(p.parameter_count(false), 1'500'000);
  EXPECT_EQ(p.parameter_count(true) - p.parameter_count(false), int64_t(49408) * 128);
}

TEST(ClipPretrain, RejectsBadOptions) {
  auto bad = [](auto edit) {
    ClipPretrainOptions o = small_options();
    edit(o);
    EXPECT_THROW(ClipPretrainer p(o), Error);
  };
  bad([](ClipPretrainOptions& o) { o.batch_size = 1; });
  bad([](ClipPretrainOptions& o) { o.lr = 0; });
  bad([](ClipPretrainOptions& o) { o.hard_negative_fraction = 1.0; });
  bad([](ClipPretrainOptions& o) { o.complete_caption_fraction = -0.1; });
  bad([](ClipPretrainOptions& o) { o.config.vocab_size = 1000; });
  bad([](ClipPretrainOptions& o) { o.config.vision_patch_size = 7; });
  bad([](ClipPretrainOptions& o) { o.max_logit_scale = 1; });
}

TEST(ClipPretrain, DeterministicForASeed) {
  set_num_threads(1);
  ClipPretrainer a(small_options(5)), b(small_options(5)), c(small_options(6));
  for (int i = 0; i < 3; ++i) {
    const float la = a.train_step().loss, lb = b.train_step().loss, lc = c.train_step().loss;
    EXPECT_EQ(la, lb) << "step " << i;
    EXPECT_NE(la, lc) << "step " << i;
  }
}

TEST(ClipPretrain, LossFallsAndTemperatureLearns) {
  set_num_threads(1);
  ClipPretrainOptions o = small_options();
  ClipPretrainer p(o);
  const float chance = std::log(float(o.batch_size));
  const ClipPretrainProgress first = p.train_step();
  // A random model cannot do better than chance, log(B) (it does worse: its embeddings are
  // correlated and the initial temperature sharpens the wrong matches).
  EXPECT_GT(first.loss, chance - 0.3f);
  double late = 0;
  int n = 0;
  const ClipPretrainProgress last = p.fit([&](const ClipPretrainProgress& s) {
    if (s.step > o.steps - 10) late += s.loss, ++n;
    EXPECT_TRUE(std::isfinite(s.loss));
    return true;
  });
  EXPECT_EQ(last.step, o.steps);
  EXPECT_EQ(p.step(), o.steps);
  EXPECT_LT(late / n, first.loss - 0.5) << "the contrastive loss does not fall";
  EXPECT_NE(last.logit_scale, o.init_logit_scale);
  EXPECT_LE(last.logit_scale, o.max_logit_scale + 1e-3f);
}

TEST(ClipPretrain, StopsWhenTheCallbackSaysSo) {
  ClipPretrainer p(small_options());
  const ClipPretrainProgress last = p.fit([](const ClipPretrainProgress& s) { return s.step < 2; });
  EXPECT_EQ(last.step, 2);
  EXPECT_EQ(p.step(), 2);
}

TEST(ClipPretrain, SavedFileIsAnOpenAiCheckpoint) {
  set_num_threads(1);
  test::TempDir dir;
  ClipPretrainOptions o = small_options();
  ClipPretrainer p(o);
  for (int i = 0; i < 3; ++i) p.train_step();
  const std::string f32 = dir.file("m.safetensors"), f16 = dir.file("h.safetensors");
  p.save(f32, false, {{"note", "x"}});
  p.save(f16, true);

  const SafeTensors st = SafeTensors::open(f32);
  EXPECT_EQ(st.metadata().at("note"), "x");
  EXPECT_EQ(ClipConfig::from_json_string(st.metadata().at("clip_config")), o.config);
  EXPECT_EQ(ClipConfig::from_json_file(dir.file("m.json")), o.config);
  for (const char* key : {"token_embedding.weight", "positional_embedding", "text_projection",
                          "transformer.resblocks.0.attn.in_proj_weight", "ln_final.weight",
                          "visual.conv1.weight", "visual.class_embedding", "visual.proj",
                          "visual.transformer.resblocks.0.mlp.c_fc.weight", "logit_scale"})
    EXPECT_TRUE(st.contains(key)) << key;
  EXPECT_EQ(st.get("token_embedding.weight").shape, (std::vector<int64_t>{49408, 32}));
  EXPECT_EQ(st.get("logit_scale").dtype, TensorDType::F32);
  EXPECT_EQ(SafeTensors::open(f16).get("visual.proj").dtype, TensorDType::F16);

  // Rows of tokens the world produces are trained; others are zero.
  const Tokenizer tok;
  const std::vector<float> table = st.to_float("token_embedding.weight");
  auto row_norm = [&](const std::string& word) {
    const std::vector<int32_t> ids = tok.encode(word);
    EXPECT_EQ(ids.size(), 1u) << word;
    double s = 0;
    for (int j = 0; j < 32; ++j) s += std::pow(table[size_t(ids[0]) * 32 + size_t(j)], 2);
    return std::sqrt(s);
  };
  EXPECT_GT(row_norm("circle"), 0.0);
  EXPECT_GT(row_norm("background"), 0.0);
  EXPECT_EQ(row_norm("zebra"), 0.0);
  EXPECT_EQ(row_norm("$"), 0.0);  // never in a caption: LinCIR's placeholder
  EXPECT_GT(p.tokens_seen(), 50);

  // Both files load as CLIP models and agree within float16 rounding.
  const ClipModel a = ClipModel::load(f32), b = ClipModel::load(f16);
  EXPECT_EQ(a.config(), o.config);
  const std::vector<std::string> texts = {"a photo of a small red circle on the left",
                                          "a blue star that is big"};
  const Embeddings ea = a.encode_text(texts), eb = b.encode_text(texts);
  EXPECT_LT((ea - eb).cwiseAbs().maxCoeff(), 0.02f * ea.cwiseAbs().maxCoeff());
  const Image img = synth::render(synth::parse_scene_key("navy plain | small red circle left"), 1,
                                  {16});
  const Embeddings ia = a.encode_images({img}), ib = b.encode_images({img});
  EXPECT_LT((ia - ib).cwiseAbs().maxCoeff(), 0.02f * ia.cwiseAbs().maxCoeff());
}

}  // namespace
}  // namespace lincir
