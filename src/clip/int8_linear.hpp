// Internal: dynamically quantized int8 linear layers for CPU inference (ClipLoadOptions
// linear_precision = int8).
//
// Weights are quantized once, symmetrically per output channel (scale = max|w_row| / 127), and
// pre-packed, so a call never re-packs or re-converts them (the float32 path's BLAS packs its
// operand on every call). Activations are quantized per call to 7-bit unsigned values: on CPUs
// without VNNI the u8 x s8 multiply-add instruction (vpmaddubsw) saturates at 16 bits, which
// 7-bit activations can never reach. Accumulation is int32, the output float32 with the float32
// bias added. Two backends: on x86-64 CPUs with AVX2 lincir's own kernel (clip/int8_gemm.hpp,
// per-row activation scales); elsewhere LibTorch's oneDNN dynamic quantized linear (per-tensor
// activation scale).
//
// Thread safety: immutable after construction; operator() may run concurrently.
#pragma once

#include <ATen/native/quantized/PackedParams.h>
#include <torch/types.h>

#include <memory>

#include "clip/int8_gemm.hpp"

namespace lincir::detail {

class Int8Linear {
 public:
  Int8Linear() = default;
  // weight [out, in], bias [out] (any floating dtype, CPU). Error(unsupported) when this LibTorch
  // has no oneDNN quantized engine.
  Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias);

  bool defined() const { return packed_.defined() || avx2_ != nullptr; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  // x [..., in] float32 (CPU) -> [..., out] float32. Never records autograd history.
  torch::Tensor operator()(const torch::Tensor& x) const;

 private:
  c10::intrusive_ptr<LinearPackedParamsBase> packed_;    // oneDNN backend
  std::shared_ptr<const PackedInt8Weights> avx2_;        // AVX2 backend
  int64_t in_ = 0, out_ = 0;
};

// True when one of the backends is usable (AVX2, or LibTorch's oneDNN quantized engine).
bool int8_linear_available();

}  // namespace lincir::detail
