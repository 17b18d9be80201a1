// Pseudo-token injection on the text tower against LinCIR's reference outputs
// (tests/data/parity/lincir_*), the other injection modes, and gradients.
#include <gtest/gtest.h>

#include "clip/towers.hpp"
#include "composer/pseudo_tokens.hpp"
#include "composer_fixtures.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

const std::string kOut = "lincir_outputs.safetensors";

const lincir::detail::ClipTowers& towers() { return lincir::detail::towers(parity_clip()); }

torch::Tensor rows(const torch::Tensor& t, std::vector<int64_t> idx) {
  return t.index_select(0, torch::tensor(idx, torch::kLong));
}

}  // namespace

TEST(PseudoTokens, MatchesLinCIRReference) {
  torch::NoGradGuard no_grad;
  const auto cases = read_json(parity_file("lincir_cases.json"));
  const torch::Tensor ids = tensor(kOut, "tokens");
  const torch::Tensor pseudo = tensor(kOut, "pseudo_tokens");
  const torch::Tensor expected = tensor(kOut, "text_features");
  const int control = cases["control_case_index"].get<int>();
  std::vector<int64_t> with_marker;
  for (int64_t i = 0; i < ids.size(0); ++i)
    if (i != control) with_marker.push_back(i);
  // Cases 0-5: one or two markers (case 3), a truncated prompt (case 5).
  const auto f = lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, with_marker), rows(pseudo, with_marker),
                                                   InjectionMode::every_marker, 259);
  EXPECT_LT(max_diff(f, rows(expected, with_marker)), 1e-4f);
  // Marker positions and pooling index of every case, as the reference recorded them.
  const auto inj = lincir::detail::inject_pseudo_tokens(towers(), rows(ids, with_marker), rows(pseudo, with_marker),
                                                InjectionMode::every_marker, 259);
  for (size_t r = 0; r < with_marker.size(); ++r) {
    const int64_t c = with_marker[r];
    EXPECT_EQ(inj.pool_index[static_cast<int64_t>(r)].item<int64_t>(), cases["eot_index"][c].get<int64_t>());
    std::vector<int64_t> pos;
    for (int64_t j = 0; j < ids.size(1); ++j)
      if (ids[c][j].item<int64_t>() == 259) pos.push_back(j);
    EXPECT_EQ(pos, cases["placeholder_positions"][c].get<std::vector<int64_t>>()) << "case " << c;
  }
  // The control case has no marker: LinCIR's function then equals plain encode_text.
  EXPECT_LT(max_diff(towers().encode_text(rows(ids, {control})), rows(expected, {control})), 1e-4f);
  EXPECT_THROW(lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {control}), rows(pseudo, {control}),
                                                 InjectionMode::every_marker, 259),
               Error);
}

TEST(PseudoTokens, DebugTensorsOfCase0) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ids = tensor(kOut, "tokens").narrow(0, 0, 1);
  const torch::Tensor pseudo = tensor(kOut, "pseudo_tokens").narrow(0, 0, 1);
  const auto inj = lincir::detail::inject_pseudo_tokens(towers(), ids, pseudo, InjectionMode::every_marker, 259);
  EXPECT_LT(max_diff(inj.embeddings, tensor(kOut, "debug.case0_injected_token_embeddings")), 1e-6f);
  EXPECT_LT(max_diff(towers().text_hidden_states(inj.embeddings), tensor(kOut, "debug.case0_last_hidden_state")),
            1e-4f);
}

TEST(PseudoTokens, InjectingAWordsEmbeddingEqualsTypingTheWord) {
  // An independent check of every mode: if the pseudo token is the token embedding of "cat</w>",
  // the composed feature must equal encode_text of the prompt with the word written out.
  torch::NoGradGuard no_grad;
  const Tokenizer& tok = parity_clip().tokenizer();
  const int64_t cat = tok.encode("cat")[0];
  const torch::Tensor cat_emb =
      towers().embed_tokens(torch::tensor({{cat}}, torch::kLong)).view({1, -1}).to(torch::kFloat);
  auto ids = [&](const std::string& text) {
    auto v = tok.tokenize(text);
    return torch::tensor(std::vector<int64_t>(v.begin(), v.end()), torch::kLong).view({1, -1});
  };
  const auto plain = towers().encode_text(ids("a photo of cat that is red"));
  for (auto mode : {InjectionMode::every_marker, InjectionMode::first_marker}) {
    const auto f = lincir::detail::encode_with_pseudo_tokens(towers(), ids("a photo of $ that is red"), cat_emb, mode, 259);
    EXPECT_LT(max_diff(f, plain), 1e-5f) << injection_mode_name(mode);
  }
  // Two markers, LinCIR: both become "cat".
  const auto two = lincir::detail::encode_with_pseudo_tokens(towers(), ids("$ and $ side by side"), cat_emb,
                                                     InjectionMode::every_marker, 259);
  EXPECT_LT(max_diff(two, towers().encode_text(ids("cat and cat side by side"))), 1e-5f);
  // Pic2Word's encode_text_img: "a photo of" + token before the end-of-text token.
  const auto p2w = lincir::detail::encode_with_pseudo_tokens(towers(), ids("a photo of"), cat_emb,
                                                     InjectionMode::before_eot, 259);
  EXPECT_LT(max_diff(p2w, towers().encode_text(ids("a photo of cat"))), 1e-5f);
  // Rows with different end-of-text positions in one batch.
  const auto batch = lincir::detail::encode_with_pseudo_tokens(
      towers(), torch::cat({ids("a photo of"), ids("a very nice photo of")}), torch::cat({cat_emb, cat_emb}),
      InjectionMode::before_eot, 259);
  EXPECT_LT(max_diff(batch, torch::cat({towers().encode_text(ids("a photo of cat")),
                                        towers().encode_text(ids("a very nice photo of cat"))})),
            1e-5f);
}

TEST(PseudoTokens, ModeRequirements) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ids = tensor(kOut, "tokens");
  const torch::Tensor pseudo = tensor(kOut, "pseudo_tokens");
  // first_marker (SEARLE) equals every_marker on single-marker rows...
  const auto a = lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {0, 1, 2}), rows(pseudo, {0, 1, 2}),
                                                   InjectionMode::first_marker, 259);
  EXPECT_LT(max_diff(a, rows(tensor(kOut, "text_features"), {0, 1, 2})), 1e-4f);
  // ...and rejects the two-marker case 3 and the marker-free case 6.
  EXPECT_THROW(lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {3}), rows(pseudo, {3}),
                                                 InjectionMode::first_marker, 259),
               Error);
  EXPECT_THROW(lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {6}), rows(pseudo, {6}),
                                                 InjectionMode::first_marker, 259),
               Error);
  // before_eot: no marker allowed, and the full-length case 5 has no room left.
  EXPECT_THROW(lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {0}), rows(pseudo, {0}),
                                                 InjectionMode::before_eot, 259),
               Error);
  EXPECT_THROW(lincir::detail::inject_pseudo_tokens(towers(), rows(ids, {5}), rows(pseudo, {5}),
                                            InjectionMode::before_eot, 1),
               Error);
  // Shape errors.
  EXPECT_THROW(lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {0, 1}), rows(pseudo, {0}),
                                                 InjectionMode::every_marker, 259),
               Error);
  EXPECT_THROW(lincir::detail::encode_with_pseudo_tokens(towers(), rows(ids, {0}), torch::zeros({1, 31}),
                                                 InjectionMode::every_marker, 259),
               Error);
}

TEST(PseudoTokens, GradientsReachThePseudoTokenThroughTheFrozenEncoder) {
  const torch::Tensor ids = rows(tensor(kOut, "tokens"), {0, 3, 5});
  torch::Tensor pseudo = rows(tensor(kOut, "pseudo_tokens"), {0, 3, 5}).clone().requires_grad_(true);
  torch::manual_seed(3);
  const torch::Tensor v = torch::randn({3, 64});
  auto loss_of = [&](const torch::Tensor& p) {
    return (lincir::detail::encode_with_pseudo_tokens(towers(), ids, p, InjectionMode::every_marker, 259) * v).sum();
  };
  const torch::Tensor loss = loss_of(pseudo);
  loss.backward();
  const torch::Tensor g = pseudo.grad();
  ASSERT_TRUE(g.defined());
  for (int64_t r = 0; r < 3; ++r) EXPECT_GT(g[r].abs().max().item<float>(), 1e-4f) << "row " << r;
  // The frozen weights collect no gradient.
  EXPECT_FALSE(towers().weights().token_embedding.requires_grad());
  // Central finite difference along a random direction agrees with the autograd derivative.
  torch::NoGradGuard no_grad;
  const torch::Tensor d = torch::randn(pseudo.sizes());
  const double eps = 1e-3;  // pseudo tokens are ~0.05 per entry
  const double numeric = (loss_of(pseudo + eps * d).item<double>() - loss_of(pseudo - eps * d).item<double>()) / (2 * eps);
  const double analytic = (g * d).sum().item<double>();
  EXPECT_NEAR(numeric, analytic, 1e-2 * std::max(1.0, std::abs(analytic))) << numeric << " vs " << analytic;
}
