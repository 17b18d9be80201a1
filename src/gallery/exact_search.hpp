// Exact top-k inner-product search over a VectorStore: blocked GEMM (GEMV for one query) plus a
// bounded heap per query, optionally split over threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gallery/vector_store.hpp"

namespace lincir::detail {

// A scored candidate; `pos` is the gallery position.
struct Candidate {
  float score;
  int64_t pos;
};

// Strict total order used for every ranking: higher score first, then lower position.
inline bool ranks_before(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.pos < b.pos);
}

// Top-k of every row of `queries` (nq x dim float32, row-major, already normalised as the metric
// requires) over all rows of `store`. `excluded` is empty or holds, per query, the sorted gallery
// positions to skip. Writes nq x k scores and positions, best first, padded with score -inf and
// position -1. `num_threads` as in SearchOptions. NaN scores (possible only from overflowing
// inner products) are treated as absent.
void exact_topk(const VectorStore& store, const float* queries, size_t nq, size_t k,
                const std::vector<std::vector<int64_t>>& excluded, int num_threads,
                float* out_scores, int64_t* out_pos);

}  // namespace lincir::detail
