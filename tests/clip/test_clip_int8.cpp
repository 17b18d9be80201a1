// The int8 linear layers (ClipLoadOptions::linear_precision = int8) against the float32 path:
// cosine >= 0.995 on the parity model (its fixture features) and on ViT-L/14-shaped random
// weights; gradient-carrying calls keep using the float weights.
#include <random>

#include "clip_test_util.hpp"

using namespace lincir;
using namespace lincir::test;
using lincir::detail::ClipTowers;

namespace {

constexpr double kMinCosine = 0.995;

// Smallest row-wise cosine similarity of two [n, e] tensors.
double min_cosine(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  const torch::Tensor x = a.to(torch::kDouble), y = b.to(torch::kDouble);
  return ((x * y).sum(1) / (x.norm(2, 1) * y.norm(2, 1))).min().item<double>();
}

const ClipModel& parity_int8() {
  static const ClipModel m = [] {
    ClipLoadOptions o;
    o.config_path = parity("model_config.json");
    o.linear_precision = ClipLoadOptions::LinearPrecision::int8;
    return ClipModel::load(parity("weights_openai.safetensors"), o);
  }();
  return m;
}

// ViT-L/14 widths, heads and MLP sizes; the full 12-layer text tower, 2 of the 24 vision layers
// (the benchmark checks all 24), a reduced vocabulary to keep the test small.
ClipConfig vit_l_shaped() {
  ClipConfig c = ClipConfig::preset("ViT-L-14");
  c.vision_layers = 2;
  c.vocab_size = 2048;
  return c;
}

// nn.Linear-style random weights (uniform +-1/sqrt(fan_in)), LayerNorms near identity.
lincir::detail::ClipWeights random_weights(const ClipConfig& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto uniform = [](std::vector<int64_t> shape, int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(double(fan_in));
    return torch::rand(shape) * (2 * bound) - bound;
  };
  auto ln = [](int64_t d) { return 1 + 0.1 * torch::randn({d}); };
  auto blocks = [&](int layers, int64_t d, int64_t m) {
    std::vector<lincir::detail::BlockWeights> v(static_cast<size_t>(layers));
    for (auto& b : v) {
      b.ln_1_weight = ln(d);
      b.ln_1_bias = 0.1 * torch::randn({d});
      b.in_proj_weight = uniform({3 * d, d}, d);
      b.in_proj_bias = uniform({3 * d}, d);
      b.out_proj_weight = uniform({d, d}, d);
      b.out_proj_bias = uniform({d}, d);
      b.ln_2_weight = ln(d);
      b.ln_2_bias = 0.1 * torch::randn({d});
      b.c_fc_weight = uniform({m, d}, d);
      b.c_fc_bias = uniform({m}, d);
      b.c_proj_weight = uniform({d, m}, m);
      b.c_proj_bias = uniform({d}, m);
    }
    return v;
  };
  const int64_t wt = c.text_width, wv = c.vision_width, e = c.embed_dim, g = c.vision_grid();
  const int64_t p = c.vision_patch_size;
  lincir::detail::ClipWeights w;
  w.token_embedding = torch::randn({c.vocab_size, wt}) * 0.02;
  w.positional_embedding = torch::randn({c.context_length, wt}) * 0.01;
  w.text_blocks = blocks(c.text_layers, wt, c.text_mlp_width);
  w.ln_final_weight = ln(wt);
  w.ln_final_bias = torch::zeros({wt});
  w.text_projection = torch::randn({wt, e}) / std::sqrt(double(wt));
  w.conv1_weight = uniform({wv, 3, p, p}, 3 * p * p);
  w.class_embedding = torch::randn({wv}) / std::sqrt(double(wv));
  w.vision_positional_embedding = torch::randn({g * g + 1, wv}) / std::sqrt(double(wv));
  w.ln_pre_weight = ln(wv);
  w.ln_pre_bias = torch::zeros({wv});
  w.vision_blocks = blocks(c.vision_layers, wv, c.vision_mlp_width);
  w.ln_post_weight = ln(wv);
  w.ln_post_bias = torch::zeros({wv});
  w.visual_proj = torch::randn({wv, e}) / std::sqrt(double(wv));
  return w;
}

// Token ids of `n` prompts of 5..30 random tokens between SOT and EOT.
torch::Tensor random_prompts(int n, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> len(5, 30), tok(1, vocab - 3);
  torch::Tensor ids = torch::zeros({n, 77}, torch::kLong);
  for (int r = 0; r < n; ++r) {
    const int k = len(rng);
    ids[r][0] = vocab - 2;  // stands for SOT
    for (int i = 1; i <= k; ++i) ids[r][i] = tok(rng);
    ids[r][k + 1] = vocab - 1;  // the largest id: EOT, where pooling happens
  }
  return ids;
}

}  // namespace

TEST(ClipInt8, ParityModelText) {
  const std::vector<int64_t> ids64 = text_outputs().to_int64("tokens");
  const std::vector<int32_t> ids(ids64.begin(), ids64.end());
  const Embeddings got = parity_int8().encode_tokens(ids.data(), 24, 77);
  const double c = min_cosine(to_tensor(got), fixture_tensor(text_outputs(), "text_features"));
  EXPECT_GE(c, kMinCosine);
  EXPECT_LT(c, 1.0 - 1e-9) << "the int8 path should differ from float32 (is it used at all?)";
}

TEST(ClipInt8, ParityModelImages) {
  for (const char* batch : {"png_batch", "jpg_batch", "random_input"}) {
    SCOPED_TRACE(batch);
    const torch::Tensor px = fixture_tensor(image_outputs(), std::string(batch) + ".pixel_values");
    const Embeddings got = parity_int8().encode_pixels(px.data_ptr<float>(), px.size(0));
    const torch::Tensor expected = fixture_tensor(image_outputs(), std::string(batch) + ".image_features");
    EXPECT_GE(min_cosine(to_tensor(got), expected), kMinCosine);
  }
}

TEST(ClipInt8, VitLShapedRandomWeights) {
  const ClipConfig c = vit_l_shaped();
  const ClipTowers f32(c, random_weights(c, 5), torch::kCPU, torch::kFloat);
  ClipTowers q8 = f32;  // shares the float weights
  q8.quantize_linears_int8();
  ASSERT_TRUE(q8.int8());
  ASSERT_FALSE(f32.int8());
  torch::NoGradGuard ng;
  const torch::Tensor ids = random_prompts(16, c.vocab_size, 11);
  const double text = min_cosine(q8.encode_text(ids), f32.encode_text(ids));
  EXPECT_GE(text, kMinCosine);
  EXPECT_LT(text, 1.0 - 1e-9);
  torch::manual_seed(3);
  const torch::Tensor px = torch::randn({1, 3, c.image_resolution, c.image_resolution});
  const double image = min_cosine(q8.encode_image(px), f32.encode_image(px));
  EXPECT_GE(image, kMinCosine);
  EXPECT_LT(image, 1.0 - 1e-9);
}

// The trainer's masked pass needs gradients to the input embeddings: the int8 towers must then
// compute exactly what the float towers compute, with the gradient.
TEST(ClipInt8, GradientCallsUseFloatWeights) {
  const ClipTowers& f32 = lincir::detail::towers(parity_model());
  const ClipTowers& q8 = lincir::detail::towers(parity_int8());
  ASSERT_TRUE(q8.int8());
  const torch::Tensor ids = fixture_tensor(text_outputs(), "tokens").narrow(0, 0, 4);
  torch::Tensor x;
  {
    torch::NoGradGuard ng;
    x = f32.embed_tokens(ids).clone();
  }
  x.requires_grad_(true);
  const torch::Tensor a = q8.encode_text_embeddings(x, q8.pool_index(ids));
  const torch::Tensor b = f32.encode_text_embeddings(x, f32.pool_index(ids));
  EXPECT_EQ(max_abs(a.detach(), b.detach()), 0.f);
  a.sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_GT(x.grad().abs().sum().item<float>(), 0.f);
}
