// Per-query rankings after the benchmark protocol (reference removal, per-query galleries), from
// a score matrix or from caller rankings: the common input of metrics and submission writers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lincir/eval.hpp"

namespace lincir::detail {

struct PreparedQuery {
  std::vector<int64_t> top;     // candidates, best first (possibly truncated)
  int64_t n_candidates = 0;     // size of the query's candidate list
  std::vector<int64_t> subset;  // CIRR: candidate group members in rank order (possibly truncated)
  int64_t n_subset = 0;         // number of candidate group members
};

// From scores: `top` holds min(k, n_candidates) entries, `subset` all members when need_subset.
std::vector<PreparedQuery> prepare_scores(const Benchmark& b, EmbeddingsRef scores, int64_t k,
                                          bool need_subset);
// From rankings: validates indices and duplicates, drops non-candidates and negative entries.
std::vector<PreparedQuery> prepare_rankings(const Benchmark& b, const Rankings& rankings,
                                            bool need_subset);

}  // namespace lincir::detail
