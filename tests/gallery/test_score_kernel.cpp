// The multi-query scoring kernel of the exact search: accurate, and blocking-invariant (the same
// (query, row) pair gets the same float whatever the batch and gallery block), which keeps exact
// search results independent of thread count and batch composition.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "gallery/score_kernel.hpp"

using namespace lincir::detail;

namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(n);
  for (float& x : v) x = nd(rng);
  return v;
}

}  // namespace

TEST(ScoreKernel, MatchesDoubleReferenceAndIsBlockingInvariant) {
  if (!score_kernel_available()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  // Odd sizes: partial 6-query and 16-row tiles, a dimension that is not a multiple of 8.
  const size_t m = 13, n = 37, d = 75;
  const auto q = random_values(m * d, 1), g = random_values(n * d, 2);
  std::vector<float> all(m * n), pack;
  score_block(q.data(), m, g.data(), n, d, all.data(), pack);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      double ref = 0;
      for (size_t k = 0; k < d; ++k) ref += double(q[i * d + k]) * double(g[j * d + k]);
      EXPECT_NEAR(all[i * n + j], ref, 1e-4) << i << "," << j;
    }
  // Each query alone against gallery slices of 5 rows gives bit-identical scores.
  for (size_t i = 0; i < m; ++i)
    for (size_t j0 = 0; j0 < n; j0 += 5) {
      const size_t nb = std::min<size_t>(5, n - j0);
      std::vector<float> part(nb);
      score_block(q.data() + i * d, 1, g.data() + j0 * d, nb, d, part.data(), pack);
      for (size_t j = 0; j < nb; ++j) EXPECT_EQ(part[j], all[i * n + j0 + j]) << i << "," << j0 + j;
    }
}
