#include "gallery/score_kernel.hpp"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lincir::detail {

#if defined(__x86_64__)
namespace {

constexpr size_t kNr = 16;  // gallery rows per packed panel (two 8-float vectors)
constexpr size_t kMr = 6;   // queries per micro-kernel call: 12 accumulators + 2 panel vectors

// 8 x 8 transpose of rows r[0..7] (8 floats each) into out[k * 16], k = 0..7.
__attribute__((target("avx2,fma"))) inline void transpose8(const float* const* r, size_t k0,
                                                            float* out) {
  const __m256 a0 = _mm256_loadu_ps(r[0] + k0), a1 = _mm256_loadu_ps(r[1] + k0);
  const __m256 a2 = _mm256_loadu_ps(r[2] + k0), a3 = _mm256_loadu_ps(r[3] + k0);
  const __m256 a4 = _mm256_loadu_ps(r[4] + k0), a5 = _mm256_loadu_ps(r[5] + k0);
  const __m256 a6 = _mm256_loadu_ps(r[6] + k0), a7 = _mm256_loadu_ps(r[7] + k0);
  const __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1);
  const __m256 t2 = _mm256_unpacklo_ps(a2, a3), t3 = _mm256_unpackhi_ps(a2, a3);
  const __m256 t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
  const __m256 t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(out + 0 * kNr, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(out + 1 * kNr, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(out + 2 * kNr, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(out + 3 * kNr, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(out + 4 * kNr, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(out + 5 * kNr, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(out + 6 * kNr, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(out + 7 * kNr, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// Rows [0, nb) of g (nb <= 16) transposed into panel[k * 16 + c], zero-padded to 16 columns.
__attribute__((target("avx2,fma"))) void pack_panel(const float* g, size_t nb, size_t d,
                                                    float* panel) {
  const float* rows[kNr];
  for (size_t c = 0; c < kNr; ++c) rows[c] = c < nb ? g + c * d : nullptr;
  const size_t d8 = d / 8 * 8;
  if (nb == kNr) {
    for (size_t k0 = 0; k0 < d8; k0 += 8) {
      transpose8(rows, k0, panel + k0 * kNr);
      transpose8(rows + 8, k0, panel + k0 * kNr + 8);
    }
  } else {
    std::fill(panel, panel + d8 * kNr, 0.f);
    for (size_t c = 0; c < nb; ++c)
      for (size_t k = 0; k < d8; ++k) panel[k * kNr + c] = rows[c][k];
  }
  for (size_t k = d8; k < d; ++k)
    for (size_t c = 0; c < kNr; ++c) panel[k * kNr + c] = c < nb ? rows[c][k] : 0.f;
}

// MR query rows x 16 gallery columns; accumulators are named variables so that they stay in
// registers (arrays get spilled to the stack by GCC).
template <int MR>
__attribute__((target("avx2,fma"))) void micro(const float* q, size_t d, const float* panel,
                                               float* out, size_t out_stride, size_t nb) {
  __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0;
  __m256 a3 = a0, b3 = a0, a4 = a0, b4 = a0, a5 = a0, b5 = a0;
  const float *q0 = q, *q1 = q + d, *q2 = q + 2 * d, *q3 = q + 3 * d, *q4 = q + 4 * d,
              *q5 = q + 5 * d;
  for (size_t k = 0; k < d; ++k) {
    const __m256 p0 = _mm256_loadu_ps(panel + k * kNr);
    const __m256 p1 = _mm256_loadu_ps(panel + k * kNr + 8);
    __m256 x = _mm256_broadcast_ss(q0 + k);
    a0 = _mm256_fmadd_ps(x, p0, a0);
    b0 = _mm256_fmadd_ps(x, p1, b0);
    if constexpr (MR > 1) {
      x = _mm256_broadcast_ss(q1 + k);
      a1 = _mm256_fmadd_ps(x, p0, a1);
      b1 = _mm256_fmadd_ps(x, p1, b1);
    }
    if constexpr (MR > 2) {
      x = _mm256_broadcast_ss(q2 + k);
      a2 = _mm256_fmadd_ps(x, p0, a2);
      b2 = _mm256_fmadd_ps(x, p1, b2);
    }
    if constexpr (MR > 3) {
      x = _mm256_broadcast_ss(q3 + k);
      a3 = _mm256_fmadd_ps(x, p0, a3);
      b3 = _mm256_fmadd_ps(x, p1, b3);
    }
    if constexpr (MR > 4) {
      x = _mm256_broadcast_ss(q4 + k);
      a4 = _mm256_fmadd_ps(x, p0, a4);
      b4 = _mm256_fmadd_ps(x, p1, b4);
    }
    if constexpr (MR > 5) {
      x = _mm256_broadcast_ss(q5 + k);
      a5 = _mm256_fmadd_ps(x, p0, a5);
      b5 = _mm256_fmadd_ps(x, p1, b5);
    }
  }
  const __m256 lo[6] = {a0, a1, a2, a3, a4, a5}, hi[6] = {b0, b1, b2, b3, b4, b5};
  for (int r = 0; r < MR; ++r) {
    float* o = out + r * out_stride;
    if (nb == kNr) {
      _mm256_storeu_ps(o, lo[r]);
      _mm256_storeu_ps(o + 8, hi[r]);
    } else {
      alignas(32) float tmp[kNr];
      _mm256_store_ps(tmp, lo[r]);
      _mm256_store_ps(tmp + 8, hi[r]);
      std::memcpy(o, tmp, nb * sizeof(float));
    }
  }
}

using Micro = void (*)(const float*, size_t, const float*, float*, size_t, size_t);
constexpr Micro kMicro[kMr + 1] = {nullptr,  micro<1>, micro<2>, micro<3>,
                                   micro<4>, micro<5>, micro<6>};

}  // namespace

bool score_kernel_available() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

void score_block(const float* q, size_t m, const float* g, size_t n, size_t d, float* out,
                 std::vector<float>& pack) {
  pack.resize(d * kNr);
  for (size_t j0 = 0; j0 < n; j0 += kNr) {
    const size_t nb = std::min(kNr, n - j0);
    pack_panel(g + j0 * d, nb, d, pack.data());
    for (size_t i0 = 0; i0 < m; i0 += kMr) {
      const size_t mb = std::min(kMr, m - i0);
      kMicro[mb](q + i0 * d, d, pack.data(), out + i0 * n + j0, n, nb);
    }
  }
}

#else

bool score_kernel_available() { return false; }
void score_block(const float*, size_t, const float*, size_t, size_t, float*, std::vector<float>&) {}

#endif

}  // namespace lincir::detail
