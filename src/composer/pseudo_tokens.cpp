#include "composer/pseudo_tokens.hpp"

#include <string>

namespace lincir::detail {

InjectedText inject_pseudo_tokens(const ClipTowers& towers, const torch::Tensor& ids,
                                  const torch::Tensor& pseudo, InjectionMode mode, int64_t marker) {
  const int64_t W = towers.config().text_width;
  LINCIR_CHECK(ids.defined() && ids.dim() == 2 && !ids.is_floating_point() && ids.size(1) > 0,
               "pseudo-token encoding: token ids must be a non-empty [batch, length] integer tensor");
  const int64_t B = ids.size(0), L = ids.size(1);
  LINCIR_CHECK(pseudo.defined() && pseudo.dim() == 2 && pseudo.size(0) == B && pseudo.size(1) == W &&
                   pseudo.is_floating_point(),
               "pseudo-token encoding: pseudo tokens must be a floating [" + std::to_string(B) + ", " +
                   std::to_string(W) + "] tensor (one token of the text width per row)");
  const torch::Tensor id = ids.to(towers.device(), torch::kLong);
  torch::Tensor x = towers.embed_tokens(id);  // [B, L, W]
  torch::Tensor pool = towers.pool_index(id);
  const torch::Tensor is_marker = id.eq(marker);

  const torch::Tensor counts_t = is_marker.sum(1).to(torch::kCPU, torch::kLong);
  const torch::Tensor pool_t = pool.to(torch::kCPU, torch::kLong);
  const auto counts = counts_t.accessor<int64_t, 1>();
  const auto pool_cpu = pool_t.accessor<int64_t, 1>();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = counts[b];
    const std::string row = "pseudo-token encoding: row " + std::to_string(b) + " ";
    switch (mode) {
      case InjectionMode::every_marker:
        LINCIR_CHECK(n >= 1, row + "has no marker token " + std::to_string(marker));
        break;
      case InjectionMode::first_marker:
        LINCIR_CHECK(n == 1, row + "has " + std::to_string(n) +
                                 " marker tokens; first_marker mode needs exactly one");
        break;
      case InjectionMode::before_eot:
        LINCIR_CHECK(n == 0, row + "contains the marker token; before_eot mode inserts the "
                                   "pseudo token itself");
        LINCIR_CHECK(pool_cpu[b] + 1 < L,
                     row + "has no room after its end-of-text token to insert the pseudo token");
        break;
    }
  }

  torch::Tensor slot;  // [B, L] bool: positions that take the pseudo token
  if (mode == InjectionMode::before_eot) {
    // Pic2Word encode_text_img: cat(x[:, :eot], token, x[:, eot:-1]) and pool at eot + 1, done as
    // a gather so every row may have its own eot.
    const torch::Tensor pos =
        torch::arange(L, torch::TensorOptions().dtype(torch::kLong).device(towers.device())).view({1, L});
    const torch::Tensor eot = pool.view({B, 1});
    const torch::Tensor src = pos - pos.gt(eot).to(torch::kLong);  // j > eot reads j - 1
    x = x.gather(1, src.unsqueeze(-1).expand({B, L, W}));
    slot = pos.eq(eot).expand({B, L});
    pool = pool + 1;
  } else {
    slot = is_marker;  // first_marker rows hold exactly one marker (checked above)
  }
  const torch::Tensor p = pseudo.to(towers.device(), x.scalar_type()).unsqueeze(1);  // [B, 1, W]
  x = torch::where(slot.unsqueeze(-1), p, x);
  return {x, pool};
}

torch::Tensor encode_with_pseudo_tokens(const ClipTowers& towers, const torch::Tensor& ids,
                                        const torch::Tensor& pseudo, InjectionMode mode,
                                        int64_t marker) {
  InjectedText t = inject_pseudo_tokens(towers, ids, pseudo, mode, marker);
  return towers.encode_text_embeddings(t.embeddings, t.pool_index, /*trim=*/true);
}

}  // namespace lincir::detail
