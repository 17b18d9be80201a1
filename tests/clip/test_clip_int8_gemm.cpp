// lincir's AVX2 int8 GEMM (clip/int8_gemm.hpp) against float64 references on odd shapes: exact on
// inputs that lie on the quantization grid (so every packing, padding and zero-point error shows),
// within the worst-case quantization error bound on random inputs, and row-independent (a row's
// output does not depend on the other rows of its call).
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "clip/int8_gemm.hpp"
#include "clip/int8_linear.hpp"
#include "lincir/common.hpp"

using lincir::detail::int8_gemm;
using lincir::detail::int8_gemm_available;
using lincir::detail::pack_int8_weights;
using lincir::detail::PackedInt8Weights;

namespace {

struct Shape {
  int64_t m, n, k;
};

// m = 1 (the composed query's GEMV) and m > 1 with every remainder of the 4-row micro-kernel;
// n and k off the 16-channel and 4-value blocking.
const std::vector<Shape> kShapes = {{1, 1, 1},   {1, 17, 3},  {2, 16, 4},  {3, 33, 13},
                                    {4, 31, 5},  {5, 50, 77}, {9, 23, 130}, {1, 768, 771},
                                    {6, 47, 263}};

#define REQUIRE_KERNEL()                                                    \
  if (!int8_gemm_available()) GTEST_SKIP() << "this CPU has no AVX2: the kernel is never used"

std::vector<float> run(const PackedInt8Weights& p, const std::vector<float>& x, int64_t m) {
  std::vector<float> y(static_cast<size_t>(m * p.n), std::numeric_limits<float>::quiet_NaN());
  int8_gemm(p, x.data(), m, y.data());
  return y;
}

}  // namespace

// Weights w = i * 2^-5 with integers |i| <= 127 and 127 in every row, activations x = j * 2^-3
// with integer rows spanning exactly 127 steps around 0: both quantize without loss, so the
// kernel's integer arithmetic must reproduce x . w exactly, up to the final float rounding.
TEST(ClipInt8Gemm, ExactOnTheQuantizationGrid) {
  REQUIRE_KERNEL();
  std::mt19937 rng(17);
  for (const Shape& s : kShapes) {
    SCOPED_TRACE("m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k));
    std::vector<float> w(static_cast<size_t>(s.n * s.k)), b(static_cast<size_t>(s.n));
    std::uniform_int_distribution<int> wi(-127, 127), pos(0, int(s.k) - 1), sign(0, 1);
    std::normal_distribution<float> nd;
    for (int64_t c = 0; c < s.n; ++c) {
      b[size_t(c)] = nd(rng);
      if (c == 2) continue;  // an all-zero channel: its output is its bias
      for (int64_t i = 0; i < s.k; ++i) w[size_t(c * s.k + i)] = float(wi(rng)) / 32;
      w[size_t(c * s.k + pos(rng))] = (sign(rng) ? 127.f : -127.f) / 32;
    }
    std::vector<float> x(static_cast<size_t>(s.m * s.k));
    for (int64_t r = 0; r < s.m; ++r) {
      float* row = x.data() + r * s.k;
      if (r == 1) continue;  // an all-zero row: outputs are the biases
      // Row 0 all >= 0 (unless it is the only row), row 2 all <= 0, the others straddle 0.
      const int lo = r == 0 && s.m > 1 ? 0
                   : r == 2       ? -127
                                  : std::uniform_int_distribution<int>(-126, -1)(rng);
      if (s.k == 1) {
        row[0] = float(lo == 0 ? 127 : -127) / 8;
        continue;
      }
      std::uniform_int_distribution<int> xi(lo, lo + 127);
      for (int64_t i = 0; i < s.k; ++i) row[i] = float(xi(rng)) / 8;
      const int a = pos(rng);
      int c = pos(rng);
      while (c == a) c = pos(rng);
      row[a] = float(lo) / 8;
      row[c] = float(lo + 127) / 8;
    }
    const PackedInt8Weights p = pack_int8_weights(w.data(), b.data(), s.n, s.k);
    const std::vector<float> y = run(p, x, s.m);
    for (int64_t r = 0; r < s.m; ++r)
      for (int64_t c = 0; c < s.n; ++c) {
        double ref = b[size_t(c)];
        for (int64_t i = 0; i < s.k; ++i)
          ref += double(x[size_t(r * s.k + i)]) * double(w[size_t(c * s.k + i)]);
        // The integer sum converts to float exactly (< 2^24), the scales are powers of two;
        // adding the bias rounds once.
        const double tol = std::ldexp(std::fabs(ref), -23) + 1e-30;
        ASSERT_NEAR(y[size_t(r * s.n + c)], ref, tol) << "row " << r << " channel " << c;
      }
  }
}

// Random float inputs: every output within the worst-case quantization error
// (|w - w^| <= s_w / 2 per weight, |x - x^| <= 1.5 s_x per activation, 0.5 from rounding plus
// up to one step where the zero point's rounding pushes the top value past 127), and the overall
// relative error small.
TEST(ClipInt8Gemm, RandomInputsWithinTheQuantizationErrorBound) {
  REQUIRE_KERNEL();
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE("m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k));
    std::vector<float> w(static_cast<size_t>(s.n * s.k)), b(static_cast<size_t>(s.n)),
        x(static_cast<size_t>(s.m * s.k));
    for (float& v : w) v = nd(rng) * 0.05f;
    for (float& v : b) v = nd(rng);
    for (size_t i = 0; i < x.size(); ++i) x[i] = nd(rng) * 2.f + (i % 3 == 0 ? 1.f : 0.f);
    const PackedInt8Weights p = pack_int8_weights(w.data(), b.data(), s.n, s.k);
    const std::vector<float> y = run(p, x, s.m);
    double err2 = 0, ref2 = 0;
    for (int64_t r = 0; r < s.m; ++r) {
      const float* xr = x.data() + r * s.k;
      double lo = 0, hi = 0, xabs = 0;
      for (int64_t i = 0; i < s.k; ++i) {
        lo = std::min(lo, double(xr[i]));
        hi = std::max(hi, double(xr[i]));
        xabs += std::fabs(xr[i]);
      }
      const double sx = (hi - lo) / 127;
      for (int64_t c = 0; c < s.n; ++c) {
        const float* wc = w.data() + c * s.k;
        double amax = 0, wabs = 0, dot = 0, mag = 0;
        for (int64_t i = 0; i < s.k; ++i) {
          amax = std::max(amax, std::fabs(double(wc[i])));
          wabs += std::fabs(wc[i]);
          dot += double(xr[i]) * double(wc[i]);
          mag += std::fabs(double(xr[i]) * double(wc[i]));
        }
        const double sw = amax / 127;
        const double bound = sw / 2 * xabs + 1.5 * sx * (wabs + double(s.k) * sw / 2) +
                             1e-5 * (mag + std::fabs(b[size_t(c)]));
        const double ref = dot + b[size_t(c)];
        const double got = y[size_t(r * s.n + c)];
        ASSERT_LE(std::fabs(got - ref), bound) << "row " << r << " channel " << c;
        err2 += (got - ref) * (got - ref);
        ref2 += dot * dot;
      }
    }
    // Quantization noise is a few percent of the signal at most; a misplaced weight is 100%.
    if (s.k >= 64) EXPECT_LT(std::sqrt(err2 / ref2), 0.05);
  }
}

// Activation scales are per row: a row's output is the same whether it runs alone or with others
// (any of the 4-row micro-kernel's slots), and a NaN in one row leaves the others untouched.
TEST(ClipInt8Gemm, RowsAreIndependent) {
  REQUIRE_KERNEL();
  const int64_t m = 7, n = 37, k = 101;
  std::mt19937 rng(8);
  std::normal_distribution<float> nd;
  std::vector<float> w(size_t(n * k)), x(size_t(m * k));
  for (float& v : w) v = nd(rng);
  for (float& v : x) v = nd(rng);
  x[size_t(3 * k + 5)] = std::numeric_limits<float>::quiet_NaN();
  const PackedInt8Weights p = pack_int8_weights(w.data(), nullptr, n, k);
  const std::vector<float> all = run(p, x, m);
  for (int64_t r = 0; r < m; ++r) {
    if (r == 3) continue;
    const std::vector<float> one(x.begin() + r * k, x.begin() + (r + 1) * k);
    const std::vector<float> y = run(p, one, 1);
    for (int64_t c = 0; c < n; ++c) ASSERT_EQ(all[size_t(r * n + c)], y[size_t(c)]) << r << "," << c;
  }
}

TEST(ClipInt8Gemm, RejectsShapesThatCouldOverflowTheAccumulators) {
  const float w = 1.f;
  EXPECT_THROW(pack_int8_weights(&w, nullptr, 1, int64_t{1} << 20), lincir::Error);
  EXPECT_THROW(pack_int8_weights(&w, nullptr, -1, 4), lincir::Error);
}

// Int8Linear (what the towers call) routes [..., k] tensors through the kernel: same values as a
// direct call, the leading dimensions kept, a wrong feature count rejected.
TEST(ClipInt8Gemm, Int8LinearUsesTheKernel) {
  REQUIRE_KERNEL();
  torch::manual_seed(2);
  const torch::Tensor w = torch::randn({45, 70}), b = torch::randn({45});
  const lincir::detail::Int8Linear lin(w, b);
  const torch::Tensor x = torch::randn({2, 3, 70});
  const torch::Tensor y = lin(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, 45}));
  const PackedInt8Weights p = pack_int8_weights(w.data_ptr<float>(), b.data_ptr<float>(), 45, 70);
  const std::vector<float> xv(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
  const std::vector<float> ref = run(p, xv, 6);
  const torch::Tensor yc = y.contiguous();
  for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(yc.data_ptr<float>()[i], ref[size_t(i)]) << i;
  // And it is close to the float linear layer.
  const torch::Tensor f = at::linear(x, w, b);
  EXPECT_LT(((y - f).norm() / f.norm()).item<double>(), 0.05);
  EXPECT_THROW(lin(torch::randn({2, 69})), lincir::Error);
}
