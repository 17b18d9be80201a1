#include "eval/ranking.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace lincir::detail {
namespace {

// Marks the candidates of one query in a per-image stamp array (stamp == current query + 1), so
// membership tests are O(1) without clearing the array between queries.
class CandidateSet {
 public:
  explicit CandidateSet(const Benchmark& b) : b_(b), stamp_(b.images().size(), 0) {}

  // Sets up query q; returns the candidate count.
  int64_t begin(size_t q) {
    cur_ = uint32_t(q + 1);
    const BenchmarkQuery& bq = b_.queries()[q];
    ref_ = b_.excludes_reference() ? bq.reference : -1;
    shared_ = bq.gallery.empty();
    if (shared_) {
      const int64_t g = b_.gallery_size();
      return g - (ref_ >= 0 && ref_ < g ? 1 : 0);
    }
    int64_t n = 0;
    for (int64_t i : bq.gallery)
      if (i != ref_) {
        stamp_[size_t(i)] = cur_;
        ++n;
      }
    return n;
  }
  bool contains(int64_t i) const {
    if (i == ref_) return false;
    if (shared_) return i < b_.gallery_size();
    return stamp_[size_t(i)] == cur_;
  }

 private:
  const Benchmark& b_;
  std::vector<uint32_t> stamp_;
  uint32_t cur_ = 0;
  int64_t ref_ = -1;
  bool shared_ = true;
};

void fill_subset(const Benchmark& b, size_t q, const CandidateSet& cs, PreparedQuery* p) {
  p->n_subset = 0;
  for (int64_t m : b.queries()[q].subset) p->n_subset += cs.contains(m) ? 1 : 0;
}

}  // namespace

std::vector<PreparedQuery> prepare_scores(const Benchmark& b, EmbeddingsRef scores, int64_t k,
                                          bool need_subset) {
  const auto& queries = b.queries();
  const int64_t n_images = int64_t(b.images().size());
  bool any_own_gallery = false;
  for (const auto& q : queries) any_own_gallery = any_own_gallery || !q.gallery.empty();
  LINCIR_CHECK(scores.rows() == int64_t(queries.size()),
               "score matrix has " + std::to_string(scores.rows()) + " rows, " + b.description() +
                   " has " + std::to_string(queries.size()) + " queries");
  const bool cols_ok = scores.cols() == n_images || (!any_own_gallery && scores.cols() == b.gallery_size());
  LINCIR_CHECK(cols_ok, "score matrix has " + std::to_string(scores.cols()) + " columns, expected " +
                            std::to_string(n_images) + " (all images of " + b.description() + ")" +
                            (any_own_gallery ? std::string()
                                             : " or " + std::to_string(b.gallery_size()) + " (its gallery)"));
  LINCIR_CHECK(k >= 1, "ranking depth k must be >= 1, got " + std::to_string(k));

  CandidateSet cs(b);
  std::vector<PreparedQuery> out(queries.size());
  std::vector<std::pair<float, int64_t>> buf;  // (score, position in candidate order)
  std::vector<int64_t> cand;                   // position -> image index
  auto better = [](const std::pair<float, int64_t>& x, const std::pair<float, int64_t>& y) {
    return x.first > y.first || (x.first == y.first && x.second < y.second);
  };
  for (size_t q = 0; q < queries.size(); ++q) {
    const BenchmarkQuery& bq = queries[q];
    PreparedQuery& p = out[q];
    p.n_candidates = cs.begin(q);
    cand.clear();
    if (bq.gallery.empty()) {
      for (int64_t i = 0; i < b.gallery_size(); ++i)
        if (cs.contains(i)) cand.push_back(i);
    } else {
      for (int64_t i : bq.gallery)
        if (cs.contains(i)) cand.push_back(i);
    }
    const float* row = scores.data() + scores.outerStride() * int64_t(q);
    buf.resize(cand.size());
    for (size_t j = 0; j < cand.size(); ++j) {
      const float s = row[cand[j]];
      LINCIR_CHECK(!std::isnan(s), "score matrix: NaN score for query " + bq.id + " (row " +
                                       std::to_string(q) + "), image " + b.images()[size_t(cand[j])]);
      buf[j] = {s, int64_t(j)};
    }
    const size_t take = size_t(std::min<int64_t>(k, int64_t(buf.size())));
    std::partial_sort(buf.begin(), buf.begin() + take, buf.end(), better);
    p.top.resize(take);
    for (size_t j = 0; j < take; ++j) p.top[j] = cand[size_t(buf[j].second)];
    if (need_subset) {
      fill_subset(b, q, cs, &p);
      std::vector<std::pair<float, int64_t>> mem;
      for (int64_t m : bq.subset)
        if (cs.contains(m)) {
          // Position in candidate order: the gallery index for shared galleries.
          int64_t pos = m;
          if (!bq.gallery.empty())
            pos = std::find(cand.begin(), cand.end(), m) - cand.begin();
          mem.emplace_back(row[m], pos);
        }
      std::sort(mem.begin(), mem.end(), better);
      for (const auto& [s, pos] : mem) {
        (void)s;
        p.subset.push_back(bq.gallery.empty() ? pos : cand[size_t(pos)]);
      }
    }
  }
  return out;
}

std::vector<PreparedQuery> prepare_rankings(const Benchmark& b, const Rankings& rankings,
                                            bool need_subset) {
  const auto& queries = b.queries();
  LINCIR_CHECK(rankings.size() == queries.size(),
               std::to_string(rankings.size()) + " rankings given, " + b.description() + " has " +
                   std::to_string(queries.size()) + " queries");
  const int64_t n_images = int64_t(b.images().size());
  CandidateSet cs(b);
  std::vector<uint32_t> seen(size_t(n_images), 0);
  std::vector<PreparedQuery> out(queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    const BenchmarkQuery& bq = queries[q];
    PreparedQuery& p = out[q];
    p.n_candidates = cs.begin(q);
    for (int64_t i : rankings[q]) {
      if (i < 0) continue;
      LINCIR_CHECK(i < n_images, "ranking of query " + bq.id + ": image index " + std::to_string(i) +
                                     " out of range (" + b.description() + " has " +
                                     std::to_string(n_images) + " images)");
      LINCIR_CHECK(seen[size_t(i)] != uint32_t(q + 1),
                   "ranking of query " + bq.id + " lists image " + b.images()[size_t(i)] +
                       " twice (rankings must not contain duplicates)");
      seen[size_t(i)] = uint32_t(q + 1);
      if (cs.contains(i)) p.top.push_back(i);
    }
    if (need_subset) {
      fill_subset(b, q, cs, &p);
      for (int64_t i : p.top)
        if (std::find(bq.subset.begin(), bq.subset.end(), i) != bq.subset.end()) p.subset.push_back(i);
    }
  }
  return out;
}

}  // namespace lincir::detail
