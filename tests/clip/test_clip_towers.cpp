// Numerical parity of the towers with openai/CLIP (tests/data/parity, float32, tolerance 1e-4
// absolute as the fixture README suggests: ~30x the observed float32 noise).
#include <random>

#include "clip_test_util.hpp"

using namespace lincir;
using namespace lincir::test;
using lincir::detail::ClipTowers;

namespace {

constexpr float kTol = 1e-4f;

const ClipTowers& parity_towers() {
  return lincir::detail::towers(parity_model());
}

}  // namespace

TEST(ClipTowers, TextFeaturesAll24Cases) {
  torch::NoGradGuard ng;
  const torch::Tensor tokens = fixture_tensor(text_outputs(), "tokens");
  ASSERT_EQ(tokens.size(0), 24);
  const torch::Tensor expected = fixture_tensor(text_outputs(), "text_features");
  const torch::Tensor got = parity_towers().encode_text(tokens);
  EXPECT_EQ(got.scalar_type(), torch::kFloat);
  for (int64_t i = 0; i < 24; ++i) EXPECT_LE(max_abs(got[i], expected[i]), kTol) << "row " << i;
  // Untrimmed (all 77 positions) agrees too.
  const ClipTowers& t = parity_towers();
  const torch::Tensor full = t.encode_text_embeddings(t.embed_tokens(tokens), t.pool_index(tokens),
                                                      /*trim=*/false);
  EXPECT_LE(max_abs(full, expected), kTol);
}

TEST(ClipTowers, PoolIndexIsFirstMaximum) {
  const torch::Tensor tokens = fixture_tensor(text_outputs(), "tokens");
  const auto cases = read_json(parity("text_cases.json"));
  const torch::Tensor idx = parity_towers().pool_index(tokens);
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(idx[i].item<int64_t>(), cases["eot_index"][i].get<int64_t>()) << "row " << i;
  // "hello <|endoftext|> world" pools at the first 49407 (index 2).
  EXPECT_EQ(idx[13].item<int64_t>(), 2);
}

TEST(ClipTowers, LastHiddenState) {
  torch::NoGradGuard ng;
  const ClipTowers& t = parity_towers();
  const torch::Tensor ids = fixture_tensor(text_outputs(), "hidden_state_tokens");
  const torch::Tensor h = t.text_hidden_states(t.embed_tokens(ids));
  EXPECT_LE(max_abs(h, fixture_tensor(text_outputs(), "last_hidden_state")), kTol);
}

TEST(ClipTowers, TextDebugTensors) {
  torch::NoGradGuard ng;
  const SafeTensors& st = text_outputs();
  const lincir::detail::TextTrace tr =
      parity_towers().trace_text(fixture_tensor(st, "debug.tokens"));
  EXPECT_LE(max_abs(tr.embeddings, fixture_tensor(st, "debug.embeddings")), kTol);
  ASSERT_EQ(tr.blocks.size(), 2u);
  EXPECT_LE(max_abs(tr.blocks[0], fixture_tensor(st, "debug.block_00_out")), kTol);
  EXPECT_LE(max_abs(tr.blocks[1], fixture_tensor(st, "debug.block_01_out")), kTol);
  EXPECT_LE(max_abs(tr.ln_final, fixture_tensor(st, "debug.ln_final")), kTol);
  EXPECT_EQ(tr.pool_index[0].item<int64_t>(),
            fixture_tensor(st, "debug.eot_index")[0].item<int64_t>());
  EXPECT_LE(max_abs(tr.features, fixture_tensor(st, "debug.text_features")), kTol);
}

TEST(ClipTowers, ImageFeaturesAllBatches) {
  torch::NoGradGuard ng;
  const SafeTensors& st = image_outputs();
  for (const char* batch : {"png_batch", "jpg_batch", "png_batch_hfproc", "random_input"}) {
    SCOPED_TRACE(batch);
    const torch::Tensor px = fixture_tensor(st, std::string(batch) + ".pixel_values");
    const torch::Tensor expected = fixture_tensor(st, std::string(batch) + ".image_features");
    const torch::Tensor got = parity_towers().encode_image(px);
    EXPECT_EQ(got.scalar_type(), torch::kFloat);
    EXPECT_LE(max_abs(got, expected), kTol);
  }
}

TEST(ClipTowers, VisionDebugTensors) {
  torch::NoGradGuard ng;
  const SafeTensors& st = image_outputs();
  const torch::Tensor px = fixture_tensor(st, "png_batch.pixel_values").narrow(0, 0, 1);
  const lincir::detail::VisionTrace tr = parity_towers().trace_image(px);
  EXPECT_LE(max_abs(tr.conv1_out, fixture_tensor(st, "debug.conv1_out")), kTol);
  EXPECT_LE(max_abs(tr.embeddings, fixture_tensor(st, "debug.embeddings")), kTol);
  EXPECT_LE(max_abs(tr.ln_pre, fixture_tensor(st, "debug.ln_pre")), kTol);
  ASSERT_EQ(tr.blocks.size(), 2u);
  EXPECT_LE(max_abs(tr.blocks[0], fixture_tensor(st, "debug.block_00_out")), kTol);
  EXPECT_LE(max_abs(tr.blocks[1], fixture_tensor(st, "debug.block_01_out")), kTol);
  EXPECT_LE(max_abs(tr.ln_post_cls, fixture_tensor(st, "debug.ln_post_cls")), kTol);
  EXPECT_LE(max_abs(tr.features, fixture_tensor(st, "debug.image_features")), kTol);
}

// LinCIR's pseudo-token injection expressed with the towers API (embed_tokens, replace the `$`
// rows, encode_text_embeddings at argmax): the path the composer uses.
TEST(ClipTowers, PseudoTokenInjectionMatchesLincir) {
  torch::NoGradGuard ng;
  const ClipTowers& t = parity_towers();
  const SafeTensors st = SafeTensors::open(parity("lincir_outputs.safetensors"));
  const torch::Tensor ids = fixture_tensor(st, "tokens");
  const torch::Tensor pseudo = fixture_tensor(st, "pseudo_tokens");
  torch::Tensor x = t.embed_tokens(ids);
  const torch::Tensor is_slot = (ids == Tokenizer::kPlaceholder).unsqueeze(-1);
  x = torch::where(is_slot, pseudo.unsqueeze(1).expand_as(x), x);
  EXPECT_LE(max_abs(x.narrow(0, 0, 1), fixture_tensor(st, "debug.case0_injected_token_embeddings")),
            kTol);
  EXPECT_LE(max_abs(t.text_hidden_states(x.narrow(0, 0, 1)),
                    fixture_tensor(st, "debug.case0_last_hidden_state")),
            kTol);
  const torch::Tensor f = t.encode_text_embeddings(x, t.pool_index(ids));
  EXPECT_LE(max_abs(f, fixture_tensor(st, "text_features")), kTol);
}

// Trimming to 1 + max(pool_index) positions is exact under causal attention.
TEST(ClipTowers, MaxLengthTrimIsExact) {
  torch::NoGradGuard ng;
  const ClipTowers& t = parity_towers();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> len(0, 75), tok(1, 49405), batch(1, 6);
  float worst = 0.f;
  int prompts = 0;
  for (int round = 0; round < 40; ++round) {
    const int b = batch(rng);
    torch::Tensor ids = torch::zeros({b, 77}, torch::kLong);
    for (int r = 0; r < b; ++r) {
      const int n = len(rng);
      ids[r][0] = Tokenizer::kSot;
      for (int i = 1; i <= n; ++i) ids[r][i] = tok(rng);
      ids[r][n + 1] = Tokenizer::kEot;
    }
    const torch::Tensor x = t.embed_tokens(ids), idx = t.pool_index(ids);
    const torch::Tensor trimmed = t.encode_text_embeddings(x, idx, true);
    const torch::Tensor full = t.encode_text_embeddings(x, idx, false);
    worst = std::max(worst, max_abs(trimmed, full));
    prompts += b;
  }
  // The fixture prompts as well.
  const torch::Tensor tokens = fixture_tensor(text_outputs(), "tokens");
  for (int64_t i = 0; i < tokens.size(0); ++i) {
    const torch::Tensor row = tokens.narrow(0, i, 1);
    const torch::Tensor x = t.embed_tokens(row), idx = t.pool_index(row);
    worst = std::max(worst, max_abs(t.encode_text_embeddings(x, idx, true),
                                    t.encode_text_embeddings(x, idx, false)));
    ++prompts;
  }
  EXPECT_GT(prompts, 100);
  EXPECT_LE(worst, 1e-5f);
}

TEST(ClipTowers, GradientsFlowToInputEmbeddingsOnly) {
  const ClipTowers& t = parity_towers();
  const torch::Tensor ids = fixture_tensor(text_outputs(), "tokens").narrow(0, 0, 3);
  const torch::Tensor idx = t.pool_index(ids);
  torch::Tensor x;
  {
    torch::NoGradGuard ng;
    x = t.embed_tokens(ids).clone();
  }
  x.requires_grad_(true);
  const torch::Tensor f = t.encode_text_embeddings(x, idx);
  ASSERT_TRUE(f.requires_grad());
  torch::manual_seed(11);  // checked stable over seeds 1..12
  const torch::Tensor dir = torch::randn(f.sizes(), torch::TensorOptions().dtype(torch::kFloat));
  (f * dir).sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_FALSE(t.weights().token_embedding.requires_grad());
  EXPECT_FALSE(t.weights().text_blocks[0].in_proj_weight.grad().defined());
  // Causality: positions after the pooled one get exactly zero gradient, earlier ones do not.
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t p = idx[b].item<int64_t>();
    EXPECT_GT(x.grad()[b].narrow(0, 0, p + 1).abs().sum().item<float>(), 0.f);
    EXPECT_EQ(x.grad()[b].narrow(0, p + 1, 77 - p - 1).abs().sum().item<float>(), 0.f);
  }
  // Directional derivative against central differences in float32 (eps small against the ~0.02
  // scale of token embeddings, whose LayerNorm makes the function steep).
  torch::NoGradGuard ng;
  const torch::Tensor v = torch::randn(x.sizes());
  const double eps = 1e-4;
  const double fd = ((t.encode_text_embeddings(x + eps * v, idx) * dir).sum().item<double>() -
                     (t.encode_text_embeddings(x - eps * v, idx) * dir).sum().item<double>()) /
                    (2 * eps);
  const double an = (x.grad() * v).sum().item<double>();
  EXPECT_NEAR(fd, an, 2e-2 * std::max(1.0, std::fabs(an)));
}

TEST(ClipTowers, BadInputsThrow) {
  const ClipTowers& t = parity_towers();
  EXPECT_THROW(t.embed_tokens(torch::full({1, 77}, 49408, torch::kLong)), Error);
  EXPECT_THROW(t.embed_tokens(torch::full({1, 77}, -1, torch::kLong)), Error);
  EXPECT_THROW(t.embed_tokens(torch::zeros({1, 78}, torch::kLong)), Error);
  EXPECT_THROW(t.embed_tokens(torch::zeros({77}, torch::kLong)), Error);
  EXPECT_THROW(t.embed_tokens(torch::zeros({1, 77}, torch::kFloat)), Error);
  const torch::Tensor x = torch::zeros({2, 10, 32});
  EXPECT_THROW(t.encode_text_embeddings(x, torch::tensor({0, 10})), Error);
  EXPECT_THROW(t.encode_text_embeddings(x, torch::tensor({0})), Error);
  EXPECT_THROW(t.encode_text_embeddings(torch::zeros({2, 10, 31}), torch::tensor({0, 1})), Error);
  EXPECT_THROW(t.encode_image(torch::zeros({1, 3, 33, 32})), Error);
  EXPECT_THROW(t.encode_image(torch::zeros({1, 4, 32, 32})), Error);
  // Empty batches are fine.
  EXPECT_EQ(t.encode_image(torch::zeros({0, 3, 32, 32})).sizes(), (std::vector<int64_t>{0, 64}));
  EXPECT_EQ(t.encode_text(torch::zeros({0, 77}, torch::kLong)).sizes(),
            (std::vector<int64_t>{0, 64}));
}
