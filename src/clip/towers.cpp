#include "clip/towers.hpp"

#include <cmath>
#include <limits>

namespace lincir::detail {
namespace {

std::string shape_str(c10::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

void expect_shape(const torch::Tensor& t, std::vector<int64_t> shape, const std::string& key) {
  LINCIR_CHECK_STATUS(t.defined(), Status::format, "CLIP weights: tensor '" + key + "' is missing");
  LINCIR_CHECK_STATUS(t.sizes() == c10::IntArrayRef(shape), Status::format,
                      "CLIP weights: tensor '" + key + "' has shape " + shape_str(t.sizes()) +
                          ", expected " + shape_str(shape));
}

bool is_integer(const torch::Tensor& t) {
  return at::isIntegralType(t.scalar_type(), /*includeBool=*/false);
}

}  // namespace

ClipTowers::ClipTowers(ClipConfig config, ClipWeights weights, torch::Device device,
                       torch::ScalarType dtype)
    : config_(std::move(config)),
      w_(std::move(weights)),
      device_(device),
      dtype_(dtype),
      // LibTorch 1.13's CPU bfloat16 GEMM is a scalar fallback (~40x slower than float32 without
      // AVX512-BF16): keep bfloat16 weights (half the memory) but compute in float32.
      compute_(device.is_cpu() && dtype == torch::kBFloat16 ? torch::kFloat : dtype) {
  config_.validate();
  const ClipConfig& c = config_;
  const int64_t wt = c.text_width, wv = c.vision_width, e = c.embed_dim, g = c.vision_grid();
  auto check_blocks = [](const std::vector<BlockWeights>& blocks, int layers, int64_t d, int64_t m,
                         const std::string& prefix) {
    LINCIR_CHECK_STATUS(static_cast<int>(blocks.size()) == layers, Status::format,
                        "CLIP weights: " + std::to_string(blocks.size()) + " blocks under '" +
                            prefix + "', config has " + std::to_string(layers));
    for (size_t i = 0; i < blocks.size(); ++i) {
      const BlockWeights& b = blocks[i];
      const std::string p = prefix + std::to_string(i) + ".";
      expect_shape(b.ln_1_weight, {d}, p + "ln_1.weight");
      expect_shape(b.ln_1_bias, {d}, p + "ln_1.bias");
      expect_shape(b.in_proj_weight, {3 * d, d}, p + "attn.in_proj_weight");
      expect_shape(b.in_proj_bias, {3 * d}, p + "attn.in_proj_bias");
      expect_shape(b.out_proj_weight, {d, d}, p + "attn.out_proj.weight");
      expect_shape(b.out_proj_bias, {d}, p + "attn.out_proj.bias");
      expect_shape(b.ln_2_weight, {d}, p + "ln_2.weight");
      expect_shape(b.ln_2_bias, {d}, p + "ln_2.bias");
      expect_shape(b.c_fc_weight, {m, d}, p + "mlp.c_fc.weight");
      expect_shape(b.c_fc_bias, {m}, p + "mlp.c_fc.bias");
      expect_shape(b.c_proj_weight, {d, m}, p + "mlp.c_proj.weight");
      expect_shape(b.c_proj_bias, {d}, p + "mlp.c_proj.bias");
    }
  };
  expect_shape(w_.token_embedding, {c.vocab_size, wt}, "token_embedding.weight");
  expect_shape(w_.positional_embedding, {c.context_length, wt}, "positional_embedding");
  check_blocks(w_.text_blocks, c.text_layers, wt, c.text_mlp_width, "transformer.resblocks.");
  expect_shape(w_.ln_final_weight, {wt}, "ln_final.weight");
  expect_shape(w_.ln_final_bias, {wt}, "ln_final.bias");
  expect_shape(w_.text_projection, {wt, e}, "text_projection");
  expect_shape(w_.conv1_weight, {wv, 3, c.vision_patch_size, c.vision_patch_size},
               "visual.conv1.weight");
  expect_shape(w_.class_embedding, {wv}, "visual.class_embedding");
  expect_shape(w_.vision_positional_embedding, {g * g + 1, wv}, "visual.positional_embedding");
  expect_shape(w_.ln_pre_weight, {wv}, "visual.ln_pre.weight");
  expect_shape(w_.ln_pre_bias, {wv}, "visual.ln_pre.bias");
  check_blocks(w_.vision_blocks, c.vision_layers, wv, c.vision_mlp_width,
               "visual.transformer.resblocks.");
  expect_shape(w_.ln_post_weight, {wv}, "visual.ln_post.weight");
  expect_shape(w_.ln_post_bias, {wv}, "visual.ln_post.bias");
  expect_shape(w_.visual_proj, {wv, e}, "visual.proj");
  if (!w_.logit_scale.defined())
    w_.logit_scale = torch::full({}, std::log(1 / 0.07), torch::kFloat);

  // Additive causal mask: -inf strictly above the diagonal (position i attends to 0..i).
  causal_mask_ =
      torch::full({c.context_length, c.context_length}, -std::numeric_limits<float>::infinity(),
                  torch::TensorOptions().dtype(compute_).device(device_))
          .triu(1);
}

torch::Tensor ClipTowers::cw(const torch::Tensor& t) const {
  return t.scalar_type() == compute_ ? t : t.to(compute_);
}

torch::Tensor ClipTowers::layer_norm(const torch::Tensor& x, const torch::Tensor& w,
                                     const torch::Tensor& b) const {
  // float32 statistics whatever the compute dtype, as the reference LayerNorm subclass does.
  return at::layer_norm(x.to(torch::kFloat), {x.size(-1)}, w, b, config_.layer_norm_eps)
      .to(compute_);
}

torch::Tensor ClipTowers::activation(const torch::Tensor& x) const {
  if (config_.activation == ClipConfig::Activation::gelu) return at::gelu(x);
  return x * at::sigmoid(1.702 * x);
}

void ClipTowers::quantize_linears_int8() {
  LINCIR_CHECK_STATUS(device_.is_cpu() && compute_ == torch::kFloat, Status::unsupported,
                      "int8 linear layers need CPU float32 computation");
  auto quantize = [](const std::vector<BlockWeights>& blocks) {
    std::vector<Int8Block> q;
    q.reserve(blocks.size());
    for (const BlockWeights& b : blocks)
      q.push_back({Int8Linear(b.in_proj_weight, b.in_proj_bias),
                   Int8Linear(b.out_proj_weight, b.out_proj_bias),
                   Int8Linear(b.c_fc_weight, b.c_fc_bias), Int8Linear(b.c_proj_weight, b.c_proj_bias)});
    return q;
  };
  text_q_ = quantize(w_.text_blocks);
  vision_q_ = quantize(w_.vision_blocks);
}

torch::Tensor ClipTowers::block(const BlockWeights& b, const torch::Tensor& x, int heads,
                                const torch::Tensor& mask, const Int8Block* q8) const {
  const int64_t B = x.size(0), L = x.size(1), D = x.size(2), hd = D / heads;
  // int8 layers only where no gradient can be asked for (they record no autograd history).
  if (q8 && at::GradMode::is_enabled() && x.requires_grad()) q8 = nullptr;
  auto linear = [&](const torch::Tensor& in, const torch::Tensor& w, const torch::Tensor& bias,
                    const Int8Linear Int8Block::*ql) {
    return q8 ? (q8->*ql)(in) : at::linear(in, cw(w), cw(bias));
  };
  // torch.nn.MultiheadAttention: one in-projection, heads are contiguous chunks of D.
  torch::Tensor qkv = linear(layer_norm(x, b.ln_1_weight, b.ln_1_bias), b.in_proj_weight,
                             b.in_proj_bias, &Int8Block::in_proj)
                          .view({B, L, 3, heads, hd})
                          .permute({2, 0, 3, 1, 4});  // [3, B, H, L, hd]
  const torch::Tensor query = qkv[0] * (1.0 / std::sqrt(static_cast<double>(hd)));
  torch::Tensor scores = at::matmul(query, qkv[1].transpose(-2, -1));  // [B, H, L, L]
  if (mask.defined()) scores = scores + mask;
  const torch::Tensor probs = at::softmax(scores, -1, torch::kFloat).to(compute_);
  const torch::Tensor attn = at::matmul(probs, qkv[2]).permute({0, 2, 1, 3}).reshape({B, L, D});
  torch::Tensor y = x + linear(attn, b.out_proj_weight, b.out_proj_bias, &Int8Block::out_proj);
  const torch::Tensor h = activation(linear(layer_norm(y, b.ln_2_weight, b.ln_2_bias),
                                            b.c_fc_weight, b.c_fc_bias, &Int8Block::c_fc));
  return y + linear(h, b.c_proj_weight, b.c_proj_bias, &Int8Block::c_proj);
}

void ClipTowers::check_ids(const torch::Tensor& ids) const {
  LINCIR_CHECK(ids.defined() && ids.dim() == 2 && is_integer(ids),
               "CLIP text: token ids must be a [batch, length] integer tensor");
  LINCIR_CHECK(ids.size(1) >= 1 && ids.size(1) <= config_.context_length,
               "CLIP text: sequence length " + std::to_string(ids.size(1)) + " is outside [1, " +
                   std::to_string(config_.context_length) + "]");
  if (ids.numel() == 0) return;
  const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
  LINCIR_CHECK(lo >= 0 && hi < config_.vocab_size,
               "CLIP text: token id " + std::to_string(lo < 0 ? lo : hi) + " is outside [0, " +
                   std::to_string(config_.vocab_size) + ")");
}

torch::Tensor ClipTowers::embed_tokens(const torch::Tensor& ids) const {
  check_ids(ids);
  return cw(at::embedding(w_.token_embedding, ids.to(device_, torch::kLong)));
}

torch::Tensor ClipTowers::pool_index(const torch::Tensor& ids) const {
  LINCIR_CHECK(ids.defined() && ids.dim() == 2 && is_integer(ids) && ids.size(1) > 0,
               "CLIP text: token ids must be a non-empty [batch, length] integer tensor");
  // torch.argmax returns the first maximal position, i.e. the first EOT of clip.tokenize output.
  return ids.to(device_, torch::kLong).argmax(-1);
}

torch::Tensor ClipTowers::run_text(const torch::Tensor& x_in, TextTrace* trace) const {
  LINCIR_CHECK(x_in.defined() && x_in.dim() == 3 && x_in.size(2) == config_.text_width &&
                   x_in.is_floating_point(),
               "CLIP text: embeddings must be a floating [batch, length, " +
                   std::to_string(config_.text_width) + "] tensor");
  const int64_t L = x_in.size(1);
  LINCIR_CHECK(L >= 1 && L <= config_.context_length,
               "CLIP text: sequence length " + std::to_string(L) + " is outside [1, " +
                   std::to_string(config_.context_length) + "]");
  torch::Tensor x = x_in.to(device_, compute_) + cw(w_.positional_embedding.narrow(0, 0, L));
  if (trace) trace->embeddings = x.to(torch::kFloat);
  const torch::Tensor mask = causal_mask_.narrow(0, 0, L).narrow(1, 0, L);
  for (size_t i = 0; i < w_.text_blocks.size(); ++i) {
    x = block(w_.text_blocks[i], x, config_.text_heads, mask, text_q_.empty() ? nullptr : &text_q_[i]);
    if (trace) trace->blocks.push_back(x.to(torch::kFloat));
  }
  x = layer_norm(x, w_.ln_final_weight, w_.ln_final_bias);
  if (trace) trace->ln_final = x.to(torch::kFloat);
  return x;
}

torch::Tensor ClipTowers::text_hidden_states(const torch::Tensor& x) const {
  return run_text(x, nullptr).to(torch::kFloat);
}

torch::Tensor ClipTowers::encode_text_embeddings(const torch::Tensor& x,
                                                 const torch::Tensor& pool_index, bool trim) const {
  LINCIR_CHECK(x.defined() && x.dim() == 3, "CLIP text: embeddings must be [batch, length, width]");
  const int64_t B = x.size(0), L = x.size(1);
  LINCIR_CHECK(
      pool_index.defined() && pool_index.dim() == 1 && pool_index.size(0) == B &&
          is_integer(pool_index),
      "CLIP text: pool_index must be a [batch] integer tensor (batch " + std::to_string(B) + ")");
  if (B == 0) return torch::empty({0, config_.embed_dim}, torch::TensorOptions().device(device_));
  const torch::Tensor idx = pool_index.to(device_, torch::kLong);
  const int64_t lo = idx.min().item<int64_t>(), hi = idx.max().item<int64_t>();
  LINCIR_CHECK(lo >= 0 && hi < L, "CLIP text: pool index " + std::to_string(lo < 0 ? lo : hi) +
                                      " is outside [0, " + std::to_string(L) + ")");
  // Causal attention: positions >= hi + 1 cannot influence the pooled ones, so dropping them is
  // exact.
  const torch::Tensor h = run_text(trim ? x.narrow(1, 0, hi + 1) : x, nullptr);
  const torch::Tensor pooled =
      h.gather(1, idx.view({B, 1, 1}).expand({B, 1, h.size(2)})).squeeze(1);
  return at::matmul(pooled, cw(w_.text_projection)).to(torch::kFloat);
}

torch::Tensor ClipTowers::encode_text(const torch::Tensor& ids) const {
  return encode_text_embeddings(embed_tokens(ids), pool_index(ids), /*trim=*/true);
}

TextTrace ClipTowers::trace_text(const torch::Tensor& ids) const {
  TextTrace t;
  const torch::Tensor h = run_text(embed_tokens(ids), &t);
  t.pool_index = pool_index(ids);
  const int64_t B = ids.size(0);
  const torch::Tensor pooled =
      h.gather(1, t.pool_index.view({B, 1, 1}).expand({B, 1, h.size(2)})).squeeze(1);
  t.features = at::matmul(pooled, cw(w_.text_projection)).to(torch::kFloat);
  return t;
}

torch::Tensor ClipTowers::run_image(const torch::Tensor& pixels, VisionTrace* trace) const {
  const int64_t R = config_.image_resolution, P = config_.vision_patch_size, G = R / P;
  const int64_t W = config_.vision_width;
  LINCIR_CHECK(pixels.defined() && pixels.dim() == 4 && pixels.size(1) == 3 &&
                   pixels.size(2) == R && pixels.size(3) == R && pixels.is_floating_point(),
               "CLIP image: pixels must be a floating [batch, 3, " + std::to_string(R) + ", " +
                   std::to_string(R) + "] tensor");
  const int64_t B = pixels.size(0);
  // conv1 (kernel = stride = patch, no bias) as a matmul over flattened patches: identical
  // arithmetic, and it works for every dtype on every device.
  const torch::Tensor patches = pixels.to(device_, compute_)
                                    .reshape({B, 3, G, P, G, P})
                                    .permute({0, 2, 4, 1, 3, 5})
                                    .reshape({B, G * G, 3 * P * P});
  torch::Tensor x =
      at::matmul(patches, cw(w_.conv1_weight).reshape({W, 3 * P * P}).t());  // [B,G*G,W]
  if (trace) trace->conv1_out = x.transpose(1, 2).reshape({B, W, G, G}).to(torch::kFloat);
  x = at::cat({cw(w_.class_embedding).view({1, 1, W}).expand({B, 1, W}), x}, 1) +
      cw(w_.vision_positional_embedding);
  if (trace) trace->embeddings = x.to(torch::kFloat);
  x = layer_norm(x, w_.ln_pre_weight, w_.ln_pre_bias);
  if (trace) trace->ln_pre = x.to(torch::kFloat);
  for (size_t i = 0; i < w_.vision_blocks.size(); ++i) {
    x = block(w_.vision_blocks[i], x, config_.vision_heads, torch::Tensor(),
              vision_q_.empty() ? nullptr : &vision_q_[i]);
    if (trace) trace->blocks.push_back(x.to(torch::kFloat));
  }
  x = layer_norm(x.select(1, 0), w_.ln_post_weight, w_.ln_post_bias);
  if (trace) trace->ln_post_cls = x.to(torch::kFloat);
  return at::matmul(x, cw(w_.visual_proj)).to(torch::kFloat);
}

torch::Tensor ClipTowers::encode_image(const torch::Tensor& pixels) const {
  return run_image(pixels, nullptr);
}

VisionTrace ClipTowers::trace_image(const torch::Tensor& pixels) const {
  VisionTrace t;
  t.features = run_image(pixels, &t);
  return t;
}

}  // namespace lincir::detail
