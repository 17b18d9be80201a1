// Metric definitions, ties, duplicates and truncated rankings on small hand-made benchmarks
// (generic triplet files), with every expected value worked out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "eval/eval_test_util.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using test::expect_error;

// Gallery a b c d e f g h (indices 0..7).
//   q0: ref a, target b
//   q1: ref c, targets d e
//   q2: ref h, target a
const char* kToy =
    R"({"reference": "a.png", "modification": "m0", "targets": ["b.png"]}
{"reference": "c.png", "modification": ["m1", "m1b"], "targets": ["d.png", "e.png"]}
{"reference": "h.png", "modification": "m2", "targets": ["a.png"]}
)";

struct Toy {
  test::TempDir dir;
  Benchmark b;
  explicit Toy(bool keep_reference = false) : b(load(keep_reference)) {}
  Benchmark load(bool keep) {
    test::write_text(dir.file("q.jsonl"), kToy);
    TripletOptions o;
    o.gallery_images = {"a.png", "b.png", "c.png", "d.png", "e.png", "f.png", "g.png", "h.png"};
    o.keep_reference = keep;
    return Benchmark::triplets(dir.file("q.jsonl"), o);
  }
};

TEST(Metrics, RecallAndCircoAveragePrecisionByHand) {
  Toy t;
  ASSERT_EQ(t.b.gallery_size(), 8);
  // q0: b at rank 3 -> R@1 0, R@5 1; AP@5 = (1/3)/min(1,5) = 1/3.
  // q1: ranking f d g e ... -> rel 0 1 0 1 -> AP@5 = (1/2 + 2/4)/min(2,5) = 0.5; R@1 0, R@5 1.
  //     (the reference c listed first is removed.)
  // q2: a first -> R@1 1, AP@5 = 1.
  const Rankings r = {{2, 3, 1, 0, 4, 5, 6, 7}, {2, 5, 3, 6, 4, 0, 1, 7}, {0, 1, 2, 3, 4, 5, 6}};
  EvalOptions o;
  o.recall_ks = std::vector<int>{1, 5};
  o.map_ks = std::vector<int>{1, 5};
  const MetricsTable m = evaluate(t.b, r, o);
  EXPECT_DOUBLE_EQ(m.value("R@1"), 100.0 / 3);
  EXPECT_DOUBLE_EQ(m.value("R@5"), 100.0);
  // AP@1: q0 0, q1 0 (f first), q2 1 -> 1/3.
  EXPECT_DOUBLE_EQ(m.value("mAP@1"), 100.0 / 3);
  EXPECT_DOUBLE_EQ(m.value("mAP@5"), 100.0 * (1.0 / 3 + 0.5 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(*m.find("mAP@5")->sum, 1.0 / 3 + 0.5 + 1.0);
  EXPECT_EQ(m.find("mAP@5")->count, 3);
}

TEST(Metrics, DefaultTripletMetrics) {
  Toy t;
  const Rankings r = {{1}, {3, 4}, {0}};
  // Rankings this short only determine the metrics because every target is found.
  const MetricsTable m = evaluate(t.b, r);
  std::vector<std::string> names;
  for (const auto& x : m.metrics) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"R@1", "R@5", "R@10", "R@50", "mAP@5", "mAP@10",
                                             "mAP@25", "mAP@50"}));
  for (const auto& x : m.metrics) EXPECT_DOUBLE_EQ(x.value, 100.0) << x.name;
}

TEST(Metrics, TiesFollowCandidateOrderAndReferenceIsRemoved) {
  Toy t;
  const Embeddings zeros = Embeddings::Zero(3, 8);
  // Ties -> gallery order without the reference: q0 b c d e..., q1 a b d e ..., q2 a b c ...
  const Rankings top = rank_scores(t.b, zeros, 3);
  EXPECT_EQ(top, (Rankings{{1, 2, 3}, {0, 1, 3}, {0, 1, 2}}));
  EvalOptions o;
  o.recall_ks = std::vector<int>{1, 2};
  o.map_ks = std::vector<int>{3};
  const MetricsTable m = evaluate(t.b, zeros, o);
  EXPECT_DOUBLE_EQ(m.value("R@1"), 200.0 / 3);  // q0 (b) and q2 (a)
  EXPECT_DOUBLE_EQ(m.value("R@2"), 200.0 / 3);
  // q1 AP@3: d at rank 3 -> (1/3)/2.
  EXPECT_DOUBLE_EQ(m.value("mAP@3"), 100.0 * (1 + 1.0 / 6 + 1) / 3);

  // Higher scores win; the scores of the reference never matter.
  Embeddings s = zeros;
  s(0, 0) = 100;  // q0's reference
  s(0, 1) = -1;   // q0's target below the ties
  s(1, 4) = 0.5;
  const Rankings top2 = rank_scores(t.b, s, 2);
  EXPECT_EQ(top2[0], (Ranking{2, 3}));
  EXPECT_EQ(top2[1], (Ranking{4, 0}));
  // -inf and +inf are fine; NaN is not.
  s(2, 5) = std::numeric_limits<float>::infinity();
  EXPECT_EQ(rank_scores(t.b, s, 1)[2], (Ranking{5}));
  s(2, 6) = std::numeric_limits<float>::quiet_NaN();
  expect_error([&] { evaluate(t.b, s); }, Status::invalid_argument, {"NaN", "query 2", "g.png"});
}

TEST(Metrics, KeepReference) {
  Toy t(/*keep_reference=*/true);
  EXPECT_FALSE(t.b.excludes_reference());
  const Rankings top = rank_scores(t.b, Embeddings::Zero(3, 8), 2);
  EXPECT_EQ(top[0], (Ranking{0, 1}));  // the reference a stays
  EvalOptions o;
  o.recall_ks = std::vector<int>{1};
  o.map_ks = std::vector<int>{};
  EXPECT_DOUBLE_EQ(evaluate(t.b, Embeddings::Zero(3, 8), o).value("R@1"), 100.0 / 3);  // only q2
}

TEST(Metrics, DuplicatesInRankingsAreRejected) {
  Toy t;
  expect_error([&] { evaluate(t.b, Rankings{{1, 2, 1}, {3, 4}, {0}}); }, Status::invalid_argument,
               {"query 0", "b.png", "twice"});
  // Even a duplicated reference (which the protocol removes) is a malformed ranking.
  expect_error([&] { evaluate(t.b, Rankings{{1}, {2, 3, 2, 4}, {0}}); }, Status::invalid_argument,
               {"query 1", "c.png", "twice"});
}

TEST(Metrics, RankingValidation) {
  Toy t;
  expect_error([&] { evaluate(t.b, Rankings{{1}, {3, 4}}); }, Status::invalid_argument,
               {"2 rankings given", "3 queries"});
  expect_error([&] { evaluate(t.b, Rankings{{1}, {3, 4}, {99}}); }, Status::invalid_argument,
               {"query 2", "99", "out of range"});
  // -1 entries (a search's padding) are ignored.
  EXPECT_DOUBLE_EQ(evaluate(t.b, Rankings{{-1, 1}, {3, -1, 4}, {0, -1}}).value("R@1"), 100.0);
  expect_error([&] { evaluate(t.b, Embeddings::Zero(3, 7)); }, Status::invalid_argument,
               {"7 columns", "expected 8"});
  expect_error([&] { evaluate(t.b, Embeddings::Zero(2, 8)); }, Status::invalid_argument,
               {"2 rows", "3 queries"});
  EvalOptions bad;
  bad.recall_ks = std::vector<int>{0};
  expect_error([&] { evaluate(t.b, Embeddings::Zero(3, 8), bad); }, Status::invalid_argument, {"K must be >= 1"});
  EvalOptions subset;
  subset.subset_ks = std::vector<int>{1};
  expect_error([&] { evaluate(t.b, Embeddings::Zero(3, 8), subset); }, Status::invalid_argument,
               {"only defined for CIRR"});
  expect_error([&] { rank_scores(t.b, Embeddings::Zero(3, 8), 0); }, Status::invalid_argument, {"k must be >= 1"});
}

TEST(Metrics, TruncatedRankingsMustDetermineTheMetric) {
  Toy t;
  EvalOptions o;
  o.recall_ks = std::vector<int>{5};
  o.map_ks = std::vector<int>{};
  // q0's top 3 (reference removed: 2 left) miss its target: R@5 is unknown.
  expect_error([&] { evaluate(t.b, Rankings{{0, 2, 3}, {3}, {0}}, o); }, Status::invalid_argument,
               {"query 0", "R@5", "2 candidates listed", "5 needed"});
  // Five candidates without the target determine a miss.
  EXPECT_DOUBLE_EQ(evaluate(t.b, Rankings{{2, 3, 4, 5, 6}, {3}, {0}}, o).value("R@5"), 200.0 / 3);
  // mAP@5 is undetermined while a reachable ground truth may still be in the top 5.
  o.recall_ks = std::vector<int>{};
  o.map_ks = std::vector<int>{5};
  expect_error([&] { evaluate(t.b, Rankings{{1}, {3}, {0}}, o); }, Status::invalid_argument,
               {"query 1", "mAP@5"});
  EXPECT_DOUBLE_EQ(evaluate(t.b, Rankings{{1}, {3, 0, 1, 5, 6}, {0}}, o).value("mAP@5"),
                   100.0 * (1 + 0.5 + 1) / 3);  // q1: d at 1, e not in the top 5 -> (1/1)/2
}

// CIRR's Recall_subset and R@K on one real query with hand-made rankings.
TEST(Metrics, CirrSubsetFromTruncatedRankings) {
  const Benchmark b = Benchmark::cirr(test::bench_dir("cirr"), "val");
  Rankings r(b.queries().size());
  for (size_t q = 0; q < r.size(); ++q) {
    // The group members in file order (reference included: it is removed), then nothing else.
    r[q] = b.queries()[q].subset;
  }
  EvalOptions o;
  o.recall_ks = std::vector<int>{1};
  o.subset_ks = std::vector<int>{1, 2, 3};
  // Rsubset needs only the members; R@1 is determined by a non-empty list.
  const MetricsTable m = evaluate(b, r, o);
  // Query 0: members dev-430-3-img0, dev-63-0-img1, dev-1028-1-img1 (target), ... -> target 3rd.
  EXPECT_EQ(b.images()[size_t(b.queries()[0].subset[2])], "dev-1028-1-img1");
  // Ranking = members in file order: the target's position among the 5 non-reference members.
  int64_t h1 = 0, h2 = 0, h3 = 0;
  for (const auto& q : b.queries()) {
    std::vector<int64_t> s;
    for (int64_t m2 : q.subset)
      if (m2 != q.reference) s.push_back(m2);
    const auto p = std::find(s.begin(), s.end(), q.targets[0]) - s.begin();
    h1 += p < 1;
    h2 += p < 2;
    h3 += p < 3;
  }
  EXPECT_EQ(*m.find("Rsubset@1")->sum, double(h1));
  EXPECT_EQ(*m.find("Rsubset@2")->sum, double(h2));
  EXPECT_EQ(*m.find("Rsubset@3")->sum, double(h3));
  EXPECT_EQ(*m.find("R@1")->sum, double(h1));  // the same first image
  // Two members listed without the target: Rsubset@3 is unknown.
  Rankings shortr = r;
  const auto& q0 = b.queries()[0];
  shortr[0].clear();
  for (int64_t m2 : q0.subset)
    if (m2 != q0.reference && m2 != q0.targets[0] && shortr[0].size() < 2) shortr[0].push_back(m2);
  o.recall_ks = std::vector<int>{};
  expect_error([&] { evaluate(b, shortr, o); }, Status::invalid_argument,
               {"query 12060", "Rsubset@3", "2 group members listed", "3 needed"});
}

TEST(Metrics, GeneCISTiesNeverFavourTheTarget) {
  const Benchmark b = Benchmark::genecis(test::bench_dir("genecis/change_object.json"));
  const int64_t n = int64_t(b.images().size());
  const int64_t nq = int64_t(b.queries().size());
  // Constant scores: the target is last of its gallery -> R@1,2,3 = 0.
  const MetricsTable zero = evaluate(b, Embeddings::Zero(nq, n));
  for (const auto& m : zero.metrics) EXPECT_EQ(m.value, 0.0) << m.name;
  // Target scored highest -> 100; only the query's gallery columns matter.
  Embeddings s = Embeddings::Zero(nq, n);
  for (int64_t q = 0; q < nq; ++q) s(q, b.queries()[size_t(q)].targets[0]) = 1;
  const MetricsTable one = evaluate(b, s);
  EXPECT_EQ(one.value("R@1"), 100.0);
  // Target second, third, fourth for a third of the queries each -> R@1 0, R@2 1/3, R@3 2/3.
  Embeddings s2 = Embeddings::Zero(nq, n);
  int64_t expect2 = 0, expect3 = 0;
  for (int64_t q = 0; q < nq; ++q) {
    const auto& bq = b.queries()[size_t(q)];
    const int above = 1 + int(q % 3);
    for (int k = 0; k < above; ++k) s2(q, bq.gallery[size_t(k)]) = 2;
    s2(q, bq.targets[0]) = 1;
    expect2 += above < 2;
    expect3 += above < 3;
  }
  const MetricsTable m = evaluate(b, s2);
  EXPECT_EQ(*m.find("R@1")->sum, 0.0);
  EXPECT_EQ(*m.find("R@2")->sum, double(expect2));
  EXPECT_EQ(*m.find("R@3")->sum, double(expect3));
  // The same through rankings of global image indices (non-candidates are skipped).
  Rankings r = rank_scores(b, s2, 15);
  for (size_t q = 0; q < r.size(); ++q)  // the reference is not a candidate: skipped
    r[q].insert(r[q].begin(), b.queries()[q].reference);
  const MetricsTable mr = evaluate(b, r);
  for (size_t i = 0; i < m.metrics.size(); ++i) EXPECT_EQ(*mr.metrics[i].sum, *m.metrics[i].sum);
  // Score columns must cover all images for per-query galleries.
  expect_error([&] { evaluate(b, Embeddings::Zero(nq, n - 1)); }, Status::invalid_argument, {"columns"});
}

TEST(MetricsTable, JsonAndText) {
  Toy t;
  EvalOptions o;
  o.recall_ks = std::vector<int>{1};
  o.map_ks = std::vector<int>{5};
  const MetricsTable m = evaluate(t.b, Rankings{{1}, {3, 0, 1, 5, 6}, {2, 0}}, o);
  const auto j = nlohmann::json::parse(m.to_json());
  EXPECT_EQ(j["benchmark"], "triplets");
  EXPECT_EQ(j["queries"], 3);
  EXPECT_DOUBLE_EQ(j["metrics"]["R@1"].get<double>(), 200.0 / 3);
  EXPECT_EQ(j["counts"]["R@1"]["sum"], 2.0);
  EXPECT_EQ(j["counts"]["R@1"]["count"], 3);
  EXPECT_EQ(m.to_json(-1).find('\n'), std::string::npos);
  const std::string text = m.to_text();
  EXPECT_NE(text.find("R@1     66.67"), std::string::npos) << text;
  EXPECT_NE(text.find("(3 queries)"), std::string::npos) << text;
  expect_error([&] { m.value("R@7"); }, Status::invalid_argument, {"R@7"});
  MetricsTable other = m;
  other.metrics.pop_back();
  expect_error([&] { average_tables({m, other}); }, Status::invalid_argument, {"different metrics"});
  expect_error([&] { average_tables({}); }, Status::invalid_argument, {"no tables"});
  const MetricsTable avg = average_tables({m, m});
  EXPECT_DOUBLE_EQ(avg.value("R@1"), m.value("R@1"));
  EXPECT_EQ(avg.queries, 6);
}

TEST(Metrics, RankingsFromNamesAndMatrix) {
  Toy t;
  EXPECT_EQ(rankings_from_names(t.b, {{"b.png", "a.png"}}), (Rankings{{1, 0}}));
  expect_error([&] { rankings_from_names(t.b, {{"zz.png"}}); }, Status::invalid_argument, {"zz.png"});
  RankingMatrix ids(2, 3);
  ids << 1, 2, -1, 4, -1, -1;
  EXPECT_EQ(rankings_from_matrix(ids), (Rankings{{1, 2}, {4}}));
}

}  // namespace
}  // namespace lincir
