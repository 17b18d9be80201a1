// Recall@K, Recall_subset@K, mAP@K (CIRCO's AP@K) and per-aspect mAP from prepared rankings.
#include <algorithm>

#include "eval/ranking.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using detail::PreparedQuery;

enum class MetricKind { recall, subset, map, aspect };

struct MetricSpec {
  MetricKind kind;
  int k;
  std::string aspect;  // MetricKind::aspect
  std::string name;
};

// CIRCO's nine semantic aspects in the order of its paper; unknown ones follow in file order.
const char* const kAspects[] = {"cardinality",
                                "addition",
                                "negation",
                                "direct_addressing",
                                "compare_change",
                                "comparative_statement",
                                "statement_with_conjunction",
                                "spatial_relations_background",
                                "viewpoint"};

std::vector<int> or_default(const std::optional<std::vector<int>>& v, std::vector<int> d) {
  return v ? *v : d;
}

std::vector<MetricSpec> metric_specs(const Benchmark& b, const EvalOptions& opt) {
  std::vector<int> rk, sk, mk;
  switch (b.kind()) {
    case BenchmarkKind::fashioniq:
      rk = or_default(opt.recall_ks, {10, 50});
      mk = or_default(opt.map_ks, {});
      break;
    case BenchmarkKind::cirr:
      rk = or_default(opt.recall_ks, {1, 2, 5, 10, 50});
      sk = or_default(opt.subset_ks, {1, 2, 3});
      mk = or_default(opt.map_ks, {});
      break;
    case BenchmarkKind::circo:
      rk = or_default(opt.recall_ks, {5, 10, 25, 50});
      mk = or_default(opt.map_ks, {5, 10, 25, 50});
      break;
    case BenchmarkKind::genecis:
      rk = or_default(opt.recall_ks, {1, 2, 3});
      mk = or_default(opt.map_ks, {});
      break;
    case BenchmarkKind::triplets:
      rk = or_default(opt.recall_ks, {1, 5, 10, 50});
      mk = or_default(opt.map_ks, {5, 10, 25, 50});
      break;
  }
  LINCIR_CHECK(!opt.subset_ks || opt.subset_ks->empty() || b.has_subsets(),
               "Recall_subset is only defined for CIRR, not " + b.description());
  for (const auto* v : {&rk, &sk, &mk})
    for (int k : *v) LINCIR_CHECK(k >= 1, "metric cut-off K must be >= 1, got " + std::to_string(k));

  std::vector<MetricSpec> specs;
  auto add = [&](MetricKind kind, const std::vector<int>& ks, const char* prefix) {
    for (int k : ks) specs.push_back({kind, k, "", prefix + std::to_string(k)});
  };
  if (b.kind() == BenchmarkKind::circo) add(MetricKind::map, mk, "mAP@");
  add(MetricKind::recall, rk, "R@");
  add(MetricKind::subset, sk, "Rsubset@");
  if (b.kind() != BenchmarkKind::circo) add(MetricKind::map, mk, "mAP@");
  if (b.kind() == BenchmarkKind::circo && opt.aspects) {
    std::vector<std::string> order(std::begin(kAspects), std::end(kAspects)), present;
    for (const auto& q : b.queries())
      for (const auto& a : q.aspects)
        if (std::find(order.begin(), order.end(), a) == order.end()) order.push_back(a);
    for (const auto& a : order) {
      bool used = false;
      for (const auto& q : b.queries())
        used = used || std::find(q.aspects.begin(), q.aspects.end(), a) != q.aspects.end();
      if (used) specs.push_back({MetricKind::aspect, 10, a, "mAP@10[" + a + "]"});
    }
  }
  return specs;
}

int64_t max_k(const std::vector<MetricSpec>& specs) {
  int64_t k = 1;
  for (const auto& s : specs)
    if (s.kind != MetricKind::subset) k = std::max<int64_t>(k, s.k);
  return k;
}

bool contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

[[noreturn]] void undetermined(const Benchmark& b, const BenchmarkQuery& q, const std::string& metric,
                               size_t have, int64_t need, const char* what) {
  LINCIR_THROW(Status::invalid_argument,
               b.description() + ": query " + q.id + ": " + metric + " is not determined by its ranking: " +
                   std::to_string(have) + " " + what + " listed (after protocol filtering), " +
                   std::to_string(need) + " needed without a hit; pass longer rankings or a score matrix");
}

class Scorer {
 public:
  Scorer(const Benchmark& b, const std::vector<PreparedQuery>& p) : b_(b), p_(p) {}

  double recall(size_t qi, int k) const {
    const BenchmarkQuery& q = b_.queries()[qi];
    const PreparedQuery& p = p_[qi];
    // CIRCO's server scores Recall@K on target_img_id only (targets[0]).
    const size_t nt = b_.kind() == BenchmarkKind::circo ? 1 : q.targets.size();
    for (size_t i = 0; i < p.top.size() && i < size_t(k); ++i)
      for (size_t t = 0; t < nt; ++t)
        if (p.top[i] == q.targets[t]) return 1.0;
    if (int64_t(p.top.size()) < std::min<int64_t>(k, p.n_candidates) && any_candidate_target(qi, nt))
      undetermined(b_, q, "R@" + std::to_string(k), p.top.size(), std::min<int64_t>(k, p.n_candidates), "candidates");
    return 0.0;
  }

  double subset_recall(size_t qi, int k) const {
    const BenchmarkQuery& q = b_.queries()[qi];
    const PreparedQuery& p = p_[qi];
    for (size_t i = 0; i < p.subset.size() && i < size_t(k); ++i)
      if (p.subset[i] == q.targets[0]) return 1.0;
    if (int64_t(p.subset.size()) < std::min<int64_t>(k, p.n_subset) &&
        !contains(p.subset, q.targets[0]))
      undetermined(b_, q, "Rsubset@" + std::to_string(k), p.subset.size(), std::min<int64_t>(k, p.n_subset),
                   "group members");
    return 0.0;
  }

  // AP@K = sum_{i<=K} P@i rel_i / min(|G|, K), |G| = all ground truths (as the official script).
  double average_precision(size_t qi, int k) const {
    const BenchmarkQuery& q = b_.queries()[qi];
    const PreparedQuery& p = p_[qi];
    double sum = 0;
    int64_t hits = 0;
    for (size_t i = 0; i < p.top.size() && i < size_t(k); ++i)
      if (contains(q.targets, p.top[i])) {
        ++hits;
        sum += double(hits) / double(i + 1);
      }
    if (int64_t(p.top.size()) < std::min<int64_t>(k, p.n_candidates)) {
      int64_t found = 0, reachable = 0;
      for (int64_t t : q.targets) {
        found += contains(p.top, t) ? 1 : 0;
        reachable += is_candidate(qi, t) ? 1 : 0;
      }
      if (found < reachable)
        undetermined(b_, q, "mAP@" + std::to_string(k), p.top.size(), std::min<int64_t>(k, p.n_candidates),
                     "candidates");
    }
    return sum / double(std::min<int64_t>(int64_t(q.targets.size()), k));
  }

 private:
  bool is_candidate(size_t qi, int64_t i) const {
    const BenchmarkQuery& q = b_.queries()[qi];
    if (b_.excludes_reference() && i == q.reference) return false;
    return q.gallery.empty() ? i < b_.gallery_size() : contains(q.gallery, i);
  }
  bool any_candidate_target(size_t qi, size_t nt) const {
    for (size_t t = 0; t < nt; ++t)
      if (is_candidate(qi, b_.queries()[qi].targets[t])) return true;
    return false;
  }

  const Benchmark& b_;
  const std::vector<PreparedQuery>& p_;
};

MetricsTable compute(const Benchmark& b, const std::vector<PreparedQuery>& prepared,
                     const std::vector<MetricSpec>& specs) {
  MetricsTable t;
  t.benchmark = benchmark_kind_name(b.kind());
  t.split = b.split();
  t.subset = b.subset();
  t.queries = int64_t(b.queries().size());
  Scorer sc(b, prepared);
  for (const auto& s : specs) {
    Metric m;
    m.name = s.name;
    double sum = 0;
    int64_t count = 0;
    for (size_t q = 0; q < b.queries().size(); ++q) {
      switch (s.kind) {
        case MetricKind::recall: sum += sc.recall(q, s.k); ++count; break;
        case MetricKind::subset: sum += sc.subset_recall(q, s.k); ++count; break;
        case MetricKind::map: sum += sc.average_precision(q, s.k); ++count; break;
        case MetricKind::aspect: {
          const auto& a = b.queries()[q].aspects;
          if (std::find(a.begin(), a.end(), s.aspect) != a.end()) {
            sum += sc.average_precision(q, s.k);
            ++count;
          }
          break;
        }
      }
    }
    m.sum = sum;
    m.count = count;
    m.value = count ? 100.0 * sum / double(count) : 0.0;
    t.metrics.push_back(std::move(m));
  }
  const Metric* r5 = t.find("R@5");
  const Metric* rs1 = t.find("Rsubset@1");
  if (r5 && rs1) {
    Metric m;
    m.name = "(R@5+Rsubset@1)/2";
    m.value = (r5->value + rs1->value) / 2;
    m.count = t.queries;
    t.metrics.push_back(m);
  }
  return t;
}

void check_evaluable(const Benchmark& b) {
  LINCIR_CHECK(!b.queries().empty(), b.description() + " has no queries");
  LINCIR_CHECK(b.has_targets(), b.description() +
                                    " has no public ground truths: score it on its test server "
                                    "(write_cirr_submission / write_circo_submission)");
}

}  // namespace

MetricsTable evaluate(const Benchmark& bench, EmbeddingsRef scores, const EvalOptions& opt) {
  check_evaluable(bench);
  const auto specs = metric_specs(bench, opt);
  bool need_subset = false;
  for (const auto& s : specs) need_subset = need_subset || s.kind == MetricKind::subset;
  const auto prepared = detail::prepare_scores(bench, scores, max_k(specs), need_subset);
  return compute(bench, prepared, specs);
}

MetricsTable evaluate(const Benchmark& bench, const Rankings& rankings, const EvalOptions& opt) {
  check_evaluable(bench);
  const auto specs = metric_specs(bench, opt);
  bool need_subset = false;
  for (const auto& s : specs) need_subset = need_subset || s.kind == MetricKind::subset;
  const auto prepared = detail::prepare_rankings(bench, rankings, need_subset);
  return compute(bench, prepared, specs);
}

Rankings rank_scores(const Benchmark& bench, EmbeddingsRef scores, int64_t k) {
  auto prepared = detail::prepare_scores(bench, scores, k, false);
  Rankings out(prepared.size());
  for (size_t q = 0; q < prepared.size(); ++q) out[q] = std::move(prepared[q].top);
  return out;
}

Rankings rankings_from_names(const Benchmark& bench,
                             const std::vector<std::vector<std::string>>& names) {
  Rankings out(names.size());
  for (size_t q = 0; q < names.size(); ++q) {
    out[q].reserve(names[q].size());
    for (const auto& n : names[q]) {
      const int64_t i = bench.index_of(n);
      LINCIR_CHECK(i >= 0, "ranking " + std::to_string(q) + ": image \"" + n + "\" is not in " +
                               bench.description());
      out[q].push_back(i);
    }
  }
  return out;
}

Rankings rankings_from_matrix(const RankingMatrix& ids) {
  Rankings out(size_t(ids.rows()));
  for (Eigen::Index r = 0; r < ids.rows(); ++r)
    for (Eigen::Index c = 0; c < ids.cols(); ++c)
      if (ids(r, c) >= 0) out[size_t(r)].push_back(ids(r, c));
  return out;
}

}  // namespace lincir
