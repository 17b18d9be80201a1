// Internal: an int8 GEMM for x86-64 CPUs with AVX2 (no VNNI or AVX512 needed), the kernel behind
// Int8Linear when the CPU allows it.
//
// Weights are quantized once, symmetrically per output channel (scale = max|w_row| / 127), and
// pre-packed in 16-channel blocks of 4 consecutive input values ([N/16][K/4][16][4] bytes), the
// order in which vpmaddubsw consumes them, so a call reads each weight byte once from a
// contiguous stream and never re-packs. Activations are quantized per call and per row to 7-bit
// unsigned values with a zero point (0 lies in every row's range): the u8 x s8 pair sums of
// vpmaddubsw then stay below 2 * 127 * 127 < 2^15 and can never saturate. Accumulation is int32;
// y = (acc - zp_row * sum(w_q)) * scale_row * scale_channel + bias, in float32.
//
// Thread safety: a PackedInt8Weights is immutable after packing; int8_gemm may run concurrently
// (it parallelises over output channels with ATen's intra-op threads).
#pragma once

#include <cstdint>
#include <vector>

namespace lincir::detail {

// True on x86-64 CPUs with AVX2.
bool int8_gemm_available();

struct PackedInt8Weights {
  int64_t n = 0, k = 0;    // output channels, input features
  int64_t np = 0, kp = 0;  // n rounded up to 16, k rounded up to 4
  std::vector<int8_t> data;   // [np / 16][kp / 4][16][4]
  std::vector<float> scale;   // [np] per-channel weight scale (0 in the padding)
  std::vector<int32_t> wsum;  // [np] sum of the channel's quantized weights
  std::vector<float> bias;    // [np] (zeros without bias)
};

// w: [n, k] row-major float32, bias: n values or nullptr.
PackedInt8Weights pack_int8_weights(const float* w, const float* bias, int64_t n, int64_t k);

// y[i, j] for the m rows of x ([m, k] row-major float32) into y ([m, n] row-major). Only call when
// int8_gemm_available().
void int8_gemm(const PackedInt8Weights& p, const float* x, int64_t m, float* y);

}  // namespace lincir::detail
