// Internal: the CLIP text and vision towers as plain ATen computations over frozen weights, the
// layer the public ClipModel and the LinCIR components (projector, composer, trainer) build on.
//
// Semantics are those of openai/CLIP clip/model.py (see tests/data/parity/README.md): pre-LN
// residual blocks, torch.nn.MultiheadAttention arithmetic, causal text attention, argmax (first
// EOT) text pooling, class-token image pooling, no L2 normalisation.
//
// Thread safety: a ClipTowers is immutable after construction; every method is const and may run
// concurrently. Weights never require grad, and nothing here disables autograd: callers that only
// infer should hold a torch::NoGradGuard / c10::InferenceMode, callers that optimise an input
// (e.g. pseudo-token embeddings) get gradients through the frozen weights.
//
// Weights may be read-only views of a memory-mapped checkpoint: never modify them in place.
#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "clip/int8_linear.hpp"
#include "lincir/clip.hpp"

namespace lincir::detail {

// One residual attention block (OpenAI names; shapes with D = width, M = mlp width).
struct BlockWeights {
  torch::Tensor ln_1_weight, ln_1_bias;          // [D], float32
  torch::Tensor in_proj_weight, in_proj_bias;    // [3D, D], [3D]: rows Q, K, V
  torch::Tensor out_proj_weight, out_proj_bias;  // [D, D], [D]
  torch::Tensor ln_2_weight, ln_2_bias;          // [D], float32
  torch::Tensor c_fc_weight, c_fc_bias;          // [M, D], [M]
  torch::Tensor c_proj_weight, c_proj_bias;      // [D, M], [D]
};

// int8 copies of a block's linear layers (ClipTowers::quantize_linears_int8).
struct Int8Block {
  Int8Linear in_proj, out_proj, c_fc, c_proj;
};

// All weights, OpenAI layout. LayerNorm parameters are float32; everything else has the storage
// dtype (ClipTowers::dtype()). Projections are [width, embed_dim] (possibly a transposed view of a
// HF [E, W] tensor).
struct ClipWeights {
  // text
  torch::Tensor token_embedding;       // [V, Wt]
  torch::Tensor positional_embedding;  // [context_length, Wt]
  std::vector<BlockWeights> text_blocks;
  torch::Tensor ln_final_weight, ln_final_bias;  // [Wt]
  torch::Tensor text_projection;                 // [Wt, E]
  // vision
  torch::Tensor conv1_weight;                 // [Wv, 3, P, P]
  torch::Tensor class_embedding;              // [Wv]
  torch::Tensor vision_positional_embedding;  // [grid^2 + 1, Wv]
  torch::Tensor ln_pre_weight, ln_pre_bias;   // [Wv]
  std::vector<BlockWeights> vision_blocks;
  torch::Tensor ln_post_weight, ln_post_bias;  // [Wv]
  torch::Tensor visual_proj;                   // [Wv, E]
  torch::Tensor logit_scale;                   // [] float32 (unused by the encoders)
};

// Intermediate tensors of one forward pass (float32), for parity tests and debugging.
struct TextTrace {
  torch::Tensor embeddings;           // [B, L, W] token + positional embedding
  std::vector<torch::Tensor> blocks;  // residual stream after each block, [B, L, W]
  torch::Tensor ln_final;             // [B, L, W]
  torch::Tensor pool_index;           // [B] int64
  torch::Tensor features;             // [B, E]
};
struct VisionTrace {
  torch::Tensor conv1_out;            // [B, Wv, grid, grid]
  torch::Tensor embeddings;           // [B, grid^2 + 1, Wv] class token + patches + positional
  torch::Tensor ln_pre;               // [B, grid^2 + 1, Wv]
  std::vector<torch::Tensor> blocks;  // [B, grid^2 + 1, Wv]
  torch::Tensor ln_post_cls;          // [B, Wv]
  torch::Tensor features;             // [B, E]
};

class ClipTowers {
 public:
  // Checks every weight's shape against `config` (Error(format) naming the OpenAI key) and that
  // all tensors live on `device`. Weights are taken as given (no conversion).
  ClipTowers(ClipConfig config, ClipWeights weights, torch::Device device, torch::ScalarType dtype);

  const ClipConfig& config() const { return config_; }
  const ClipWeights& weights() const { return w_; }
  torch::Device device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }  // storage dtype of the weights
  // Dtype of activations and matmuls: the storage dtype, except float32 for bfloat16 on the CPU
  // (LibTorch 1.13 has no fast CPU bfloat16 GEMM). LayerNorm and softmax always run in float32.
  torch::ScalarType compute_dtype() const { return compute_; }

  // Adds int8 copies of every block's linear layers (see clip/int8_linear.hpp). From then on
  // calls that need no gradient (grad mode off, or an input that does not require grad) use
  // them; gradient-carrying calls keep the float weights. Call before the towers are shared
  // (not thread-safe). Error(unsupported) unless CPU float32 and LibTorch has oneDNN.
  void quantize_linears_int8();
  bool int8() const { return !text_q_.empty(); }

  // ---- text tower ----
  // [B, L] integer ids (L <= context_length) -> [B, L, Wt] token embeddings in the compute dtype,
  // without positional embedding. Ids must lie in [0, vocab_size) (Error(invalid_argument)).
  torch::Tensor embed_tokens(const torch::Tensor& ids) const;
  // First position of the maximal id of each row ([B, L] -> [B] int64): the first EOT for
  // clip.tokenize output, as torch.argmax does.
  torch::Tensor pool_index(const torch::Tensor& ids) const;
  // x: [B, L, Wt] token embeddings (any floating dtype; cast to the compute dtype), pool_index:
  // [B] integers in [0, L). Adds the positional embedding, runs the causal blocks and ln_final,
  // takes row b at pool_index[b] and projects: [B, E] float32. Differentiable w.r.t. x.
  // With `trim` only the first T = 1 + max(pool_index) positions are computed; causal attention
  // makes that exact (positions >= T never influence positions < T), and it is much cheaper for
  // short prompts.
  torch::Tensor encode_text_embeddings(const torch::Tensor& x, const torch::Tensor& pool_index,
                                       bool trim = true) const;
  // ln_final output at every position ([B, L, Wt] float32), as HF's last_hidden_state.
  torch::Tensor text_hidden_states(const torch::Tensor& x) const;
  // ids [B, L] -> [B, E] float32: embed_tokens + encode_text_embeddings at pool_index(ids).
  torch::Tensor encode_text(const torch::Tensor& ids) const;
  TextTrace trace_text(const torch::Tensor& ids) const;

  // ---- vision tower ----
  // pixels [B, 3, R, R] normalised (any floating dtype) -> [B, E] float32.
  torch::Tensor encode_image(const torch::Tensor& pixels) const;
  VisionTrace trace_image(const torch::Tensor& pixels) const;

 private:
  torch::Tensor run_text(const torch::Tensor& x, TextTrace* trace) const;  // -> ln_final output
  torch::Tensor run_image(const torch::Tensor& pixels, VisionTrace* trace) const;
  torch::Tensor block(const BlockWeights& b, const torch::Tensor& x, int heads,
                      const torch::Tensor& mask, const Int8Block* q8) const;
  torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& w,
                           const torch::Tensor& b) const;
  torch::Tensor activation(const torch::Tensor& x) const;
  torch::Tensor cw(const torch::Tensor& t) const;  // a weight in the compute dtype
  void check_ids(const torch::Tensor& ids) const;

  ClipConfig config_;
  ClipWeights w_;
  torch::Device device_;
  torch::ScalarType dtype_;
  torch::ScalarType compute_;
  torch::Tensor causal_mask_;  // [context_length, context_length], 0 / -inf, compute dtype
  std::vector<Int8Block> text_q_, vision_q_;  // empty unless quantize_linears_int8()
};

// The towers of a loaded model (declared in lincir/clip.hpp, repeated here for discoverability).
const ClipTowers& towers(const ClipModel& model);
std::shared_ptr<const ClipTowers> shared_towers(const ClipModel& model);

// Maps lincir's Device / DType to LibTorch's; Error(device) if the device is not usable,
// Error(unsupported) for float16 on CPU.
torch::Device to_torch_device(const Device& d);
torch::ScalarType to_torch_dtype(DType d, const Device& device);

}  // namespace lincir::detail
