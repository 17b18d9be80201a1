// Independent references for the gallery tests: random data and a brute-force top-k that scores
// every gallery vector in double precision and sorts them all.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "lincir/common.hpp"

namespace lincir::test {

inline Embeddings random_matrix(int rows, int cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  Embeddings m(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = nd(rng);
  return m;
}

// `clusters` Gaussian blobs (unit-variance centres drawn with `centre_seed`, `spread` noise
// drawn with `noise_seed`), row i in blob i % clusters.
inline Embeddings clustered_matrix(int rows, int cols, int clusters, float spread,
                                   uint32_t centre_seed, uint32_t noise_seed) {
  Embeddings centres = random_matrix(clusters, cols, centre_seed);
  Embeddings noise = random_matrix(rows, cols, noise_seed);
  Embeddings m(rows, cols);
  for (int i = 0; i < rows; ++i) m.row(i) = centres.row(i % clusters) + spread * noise.row(i);
  return m;
}

struct RefHit {
  double score;
  int64_t id;
};

// Brute force: all scores (cosine if `normalise`, else dot products) in double, sorted by score
// descending then by gallery position ascending; excluded ids dropped.
inline std::vector<std::vector<RefHit>> brute_force(const Embeddings& gallery,
                                                    const std::vector<int64_t>& ids,
                                                    const Embeddings& queries, bool normalise,
                                                    const std::vector<std::vector<int64_t>>& exclude = {}) {
  std::vector<std::vector<RefHit>> out(queries.rows());
  for (int q = 0; q < queries.rows(); ++q) {
    std::set<int64_t> ex;
    if (!exclude.empty()) ex.insert(exclude[q].begin(), exclude[q].end());
    std::vector<std::pair<RefHit, int>> all;
    for (int i = 0; i < gallery.rows(); ++i) {
      if (ex.count(ids[i])) continue;
      double dot = 0, nq = 0, ng = 0;
      for (int j = 0; j < gallery.cols(); ++j) {
        dot += double(queries(q, j)) * gallery(i, j);
        nq += double(queries(q, j)) * queries(q, j);
        ng += double(gallery(i, j)) * gallery(i, j);
      }
      const double s = normalise ? dot / std::sqrt(nq * ng) : dot;
      all.push_back({{s, ids[i]}, i});
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.first.score > b.first.score || (a.first.score == b.first.score && a.second < b.second);
    });
    for (auto& a : all) out[q].push_back(a.first);
  }
  return out;
}

// Fraction of the reference top-k ids found in the result's top-k, over all queries.
template <class IdMatrix>
double recall_at_k(const IdMatrix& ids, const std::vector<std::vector<RefHit>>& ref, int k) {
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < ref.size(); ++q) {
    std::set<int64_t> truth;
    for (int j = 0; j < k && j < int(ref[q].size()); ++j) truth.insert(ref[q][j].id);
    for (int j = 0; j < k; ++j) hit += truth.count(ids(q, j));
    total += truth.size();
  }
  return total ? double(hit) / double(total) : 1.0;
}

inline std::vector<int64_t> iota_ids(int n, int64_t first = 0, int64_t step = 1) {
  std::vector<int64_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = first + step * i;
  return v;
}

}  // namespace lincir::test
