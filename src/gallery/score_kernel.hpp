// Inner products of a block of queries with a block of gallery rows (the multi-query half of the
// exact search), with an AVX2 + FMA kernel chosen at run time.
//
// Every score is one sequential fused-multiply-add chain over the dimensions, so it does not
// depend on how queries and gallery rows are blocked or split over threads: the same (query, row)
// pair always gets the same float, whatever the batch. Portable builds (-march=x86-64) otherwise
// leave Eigen with SSE2 only, 3-4x slower than the FMA units allow.
#pragma once

#include <cstddef>
#include <vector>

namespace lincir::detail {

// True when the CPU has AVX2 and FMA (and this is an x86-64 build).
bool score_kernel_available();

// out[i * n + j] = <q_i, g_j> for the m query rows q (m x d) and the n gallery rows g (n x d),
// both row-major float32. `pack` is scratch space, reused across calls. Only call when
// score_kernel_available().
void score_block(const float* q, size_t m, const float* g, size_t n, size_t d, float* out,
                 std::vector<float>& pack);

}  // namespace lincir::detail
