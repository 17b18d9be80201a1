// Pseudo-token text encoding on the CLIP text tower (LinCIR's encode_with_pseudo_tokens_HF,
// SEARLE's encode_with_pseudo_tokens, Pic2Word's encode_text_img / encode_text_img_retrieval),
// differentiable with respect to the pseudo tokens: the trainer optimises φ through it.
#pragma once

#include <torch/types.h>

#include "clip/towers.hpp"
#include "lincir/composer.hpp"

namespace lincir::detail {

// Token ids with the pseudo tokens placed (before the positional embedding).
struct InjectedText {
  torch::Tensor embeddings;  // [B, L, Wt], the towers' compute dtype
  torch::Tensor pool_index;  // [B] int64: where the text tower pools each row
};

// ids: [B, L] integer token ids (clip.tokenize rows); pseudo: [B, Wt] floating (any dtype,
// cast to the compute dtype; gradients flow through). `marker`: the marker token id.
// Row requirements (Error(invalid_argument) naming the row): every_marker >= 1 marker,
// first_marker exactly 1, before_eot none and room for one more token after the end-of-text
// token's position (its pooling index + 1 < L).
InjectedText inject_pseudo_tokens(const ClipTowers& towers, const torch::Tensor& ids,
                                  const torch::Tensor& pseudo, InjectionMode mode, int64_t marker);

// inject_pseudo_tokens + ClipTowers::encode_text_embeddings: [B, E] float32, un-normalised.
torch::Tensor encode_with_pseudo_tokens(const ClipTowers& towers, const torch::Tensor& ids,
                                        const torch::Tensor& pseudo, InjectionMode mode,
                                        int64_t marker);

}  // namespace lincir::detail
