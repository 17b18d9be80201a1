#include "clip/int8_gemm.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "lincir/common.hpp"

namespace lincir::detail {

PackedInt8Weights pack_int8_weights(const float* w, const float* bias, int64_t n, int64_t k) {
  PackedInt8Weights p;
  // int32 accumulators: the products and the zero-point correction each reach k * 127 * 127.
  LINCIR_CHECK(n >= 0 && k >= 0 && k <= (int64_t{1} << 31) / (2 * 127 * 127),
               "int8 GEMM: unsupported weight shape " + std::to_string(n) + " x " + std::to_string(k));
  p.n = n;
  p.k = k;
  p.np = (n + 15) / 16 * 16;
  p.kp = (k + 3) / 4 * 4;
  p.data.assign(static_cast<size_t>(p.np * p.kp), 0);
  p.scale.assign(static_cast<size_t>(p.np), 0.f);
  p.wsum.assign(static_cast<size_t>(p.np), 0);
  p.bias.assign(static_cast<size_t>(p.np), 0.f);
  const int64_t steps = p.kp / 4;
  for (int64_t c = 0; c < n; ++c) {
    const float* row = w + c * k;
    float amax = 0.f;
    for (int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(row[i]));
    // An all-zero row keeps scale 0: its quantized weights are 0 and so is its output.
    const float s = amax / 127.f;
    const float inv = amax > 0.f ? 127.f / amax : 0.f;
    int32_t sum = 0;
    int8_t* block = p.data.data() + (c / 16) * steps * 64;
    for (int64_t i = 0; i < k; ++i) {
      // fmin/fmax map NaN to the bound instead of an undefined float-to-int conversion.
      const int32_t q = static_cast<int32_t>(std::fmin(std::fmax(std::nearbyint(row[i] * inv), -127.f), 127.f));
      block[(i / 4) * 64 + (c % 16) * 4 + i % 4] = static_cast<int8_t>(q);
      sum += q;
    }
    p.scale[static_cast<size_t>(c)] = s;
    p.wsum[static_cast<size_t>(c)] = sum;
    if (bias) p.bias[static_cast<size_t>(c)] = bias[c];
  }
  return p;
}

#if defined(__x86_64__)

bool int8_gemm_available() {
  static const bool ok = __builtin_cpu_supports("avx2");
  return ok;
}

namespace {

constexpr int kMr = 4;  // activation rows per micro-kernel call

// Quantizes row x[0..k) to 7-bit u8 values q[0..kp) (zero-padded) with q = round(x / s) + zp.
void quantize_row(const float* x, int64_t k, int64_t kp, uint8_t* q, float* scale, int32_t* zp) {
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < k; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const float s = hi > lo ? (hi - lo) / 127.f : 1.f;
  const float inv = 1.f / s;
  const int32_t z = static_cast<int32_t>(std::clamp(std::nearbyint(-lo * inv), 0.f, 127.f));
  for (int64_t i = 0; i < k; ++i)  // fmin/fmax: a NaN becomes 0, never an undefined conversion
    q[i] = static_cast<uint8_t>(std::fmin(std::fmax(std::nearbyint(x[i] * inv) + float(z), 0.f), 127.f));
  std::memset(q + k, 0, static_cast<size_t>(kp - k));
  *scale = s;
  *zp = z;
}

// MR rows of quantized activations (stride kp) times one 16-channel weight block; writes the
// float outputs y[r * ldy + 0..nb).
template <int MR>
__attribute__((target("avx2"))) void micro(const uint8_t* a, int64_t kp, const int8_t* w,
                                           const PackedInt8Weights& p, int64_t c0,
                                           const float* xs, const int32_t* zp, float* y,
                                           int64_t ldy, int64_t nb) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i l0 = _mm256_setzero_si256(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0,
          h3 = l0;
  const uint8_t *a0 = a, *a1 = a + kp, *a2 = a + 2 * kp, *a3 = a + 3 * kp;
  const int64_t steps = kp / 4;
  for (int64_t s = 0; s < steps; ++s) {
    const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + s * 64));
    const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + s * 64 + 32));
    int32_t v;
    std::memcpy(&v, a0 + s * 4, 4);
    __m256i x = _mm256_set1_epi32(v);
    l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones));
    h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones));
    if constexpr (MR > 1) {
      std::memcpy(&v, a1 + s * 4, 4);
      x = _mm256_set1_epi32(v);
      l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones));
      h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones));
    }
    if constexpr (MR > 2) {
      std::memcpy(&v, a2 + s * 4, 4);
      x = _mm256_set1_epi32(v);
      l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones));
      h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones));
    }
    if constexpr (MR > 3) {
      std::memcpy(&v, a3 + s * 4, 4);
      x = _mm256_set1_epi32(v);
      l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w0), ones));
      h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(_mm256_maddubs_epi16(x, w1), ones));
    }
  }
  const __m256i lo[4] = {l0, l1, l2, l3}, hi[4] = {h0, h1, h2, h3};
  const __m256 sw0 = _mm256_loadu_ps(p.scale.data() + c0), sw1 = _mm256_loadu_ps(p.scale.data() + c0 + 8);
  const __m256i ws0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.wsum.data() + c0));
  const __m256i ws1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.wsum.data() + c0 + 8));
  const __m256 b0 = _mm256_loadu_ps(p.bias.data() + c0), b1 = _mm256_loadu_ps(p.bias.data() + c0 + 8);
  for (int r = 0; r < MR; ++r) {
    const __m256i z = _mm256_set1_epi32(zp[r]);
    const __m256 s = _mm256_set1_ps(xs[r]);
    const __m256 f0 = _mm256_cvtepi32_ps(_mm256_sub_epi32(lo[r], _mm256_mullo_epi32(z, ws0)));
    const __m256 f1 = _mm256_cvtepi32_ps(_mm256_sub_epi32(hi[r], _mm256_mullo_epi32(z, ws1)));
    alignas(32) float out[16];
    _mm256_store_ps(out, _mm256_add_ps(_mm256_mul_ps(f0, _mm256_mul_ps(s, sw0)), b0));
    _mm256_store_ps(out + 8, _mm256_add_ps(_mm256_mul_ps(f1, _mm256_mul_ps(s, sw1)), b1));
    std::memcpy(y + r * ldy, out, static_cast<size_t>(nb) * sizeof(float));
  }
}

using Micro = void (*)(const uint8_t*, int64_t, const int8_t*, const PackedInt8Weights&, int64_t,
                       const float*, const int32_t*, float*, int64_t, int64_t);
constexpr Micro kMicro[kMr + 1] = {nullptr, micro<1>, micro<2>, micro<3>, micro<4>};

}  // namespace

void int8_gemm(const PackedInt8Weights& p, const float* x, int64_t m, float* y) {
  if (m <= 0) return;
  // Per-call scratch, reused by the calling thread (no allocation once warm).
  thread_local std::vector<uint8_t> qa;
  thread_local std::vector<float> xs;
  thread_local std::vector<int32_t> zp;
  qa.resize(static_cast<size_t>(m * p.kp));
  xs.resize(static_cast<size_t>(m));
  zp.resize(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i)
    quantize_row(x + i * p.k, p.k, p.kp, qa.data() + i * p.kp, &xs[static_cast<size_t>(i)],
                 &zp[static_cast<size_t>(i)]);
  const uint8_t* a = qa.data();
  const float* s = xs.data();
  const int32_t* z = zp.data();
  const int64_t blocks = p.np / 16, steps = p.kp / 4;
  // Each 16-channel weight block (16 * kp bytes: 12 KB at k = 768) stays in L1 while every
  // activation row passes over it.
  at::parallel_for(0, blocks, 4, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int8_t* w = p.data.data() + b * steps * 64;
      const int64_t c0 = b * 16, nb = std::min<int64_t>(16, p.n - c0);
      for (int64_t r0 = 0; r0 < m; r0 += kMr) {
        const int64_t mb = std::min<int64_t>(kMr, m - r0);
        kMicro[mb](a + r0 * p.kp, p.kp, w, p, c0, s + r0, z + r0, y + r0 * p.n + c0, p.n, nb);
      }
    }
  });
}

#else

bool int8_gemm_available() { return false; }
void int8_gemm(const PackedInt8Weights&, const float*, int64_t, float*) {}

#endif

}  // namespace lincir::detail
