// Every deterministic reference value of the benchmarks README, section 5 (computed there from
// the annotation files with the official formulas), reproduced from fixed rankings and from
// score matrices whose ties fall back to the file order.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "eval/eval_test_util.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using test::bench_dir;

// README values are rounded to 4 decimals.
void expect_metric(const MetricsTable& t, const std::string& name, double value4, int64_t hits = -1,
                   int64_t count = -1) {
  const Metric* m = t.find(name);
  ASSERT_NE(m, nullptr) << name;
  EXPECT_NEAR(m->value, value4, 0.5e-4) << name;
  if (hits >= 0) {
    ASSERT_TRUE(m->sum.has_value());
    EXPECT_EQ(*m->sum, double(hits)) << name;
    EXPECT_EQ(m->count, count) << name;
  }
}

Rankings gallery_order(const Benchmark& b) {
  Ranking r(size_t(b.gallery_size()));
  std::iota(r.begin(), r.end(), 0);
  return Rankings(b.queries().size(), r);
}

struct FiqExpected {
  const char* cat;
  int64_t queries, r10, r50;
  double v10, v50;
};
const FiqExpected kFiq[] = {{"dress", 2017, 6, 27, 0.2975, 1.3386},
                            {"shirt", 2038, 2, 16, 0.0981, 0.7851},
                            {"toptee", 1961, 4, 23, 0.2040, 1.1729}};

TEST(ReferenceValues, FashionIQFileOrderRankings) {
  std::vector<MetricsTable> tables;
  for (const auto& e : kFiq) {
    const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), e.cat, "val");
    const MetricsTable t = evaluate(b, gallery_order(b));
    EXPECT_EQ(t.subset, e.cat);
    EXPECT_EQ(t.queries, e.queries);
    ASSERT_EQ(t.metrics.size(), 2u);  // the FashionIQ protocol reports R@10 and R@50
    expect_metric(t, "R@10", e.v10, e.r10, e.queries);
    expect_metric(t, "R@50", e.v50, e.r50, e.queries);
    tables.push_back(t);
  }
  const MetricsTable avg = average_tables(tables);
  EXPECT_EQ(avg.subset, "average");
  expect_metric(avg, "R@10", 0.1999);
  expect_metric(avg, "R@50", 1.0989);
  EXPECT_FALSE(avg.find("R@10")->sum.has_value());  // a mean of percentages, not of queries
  expect_metric(avg, "(R@10+R@50)/2", (0.2975 + 0.0981 + 0.2040 + 1.3386 + 0.7851 + 1.1729) / 6);
}

TEST(ReferenceValues, FashionIQConstantScoresTieToFileOrder) {
  for (const auto& e : kFiq) {
    const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), e.cat, "val");
    const Embeddings zeros = Embeddings::Zero(int64_t(b.queries().size()), b.gallery_size());
    const MetricsTable t = evaluate(b, zeros);
    expect_metric(t, "R@10", e.v10, e.r10, e.queries);
    expect_metric(t, "R@50", e.v50, e.r50, e.queries);
  }
}

void expect_cirr_val(const MetricsTable& t) {
  EXPECT_EQ(t.queries, 4181);
  expect_metric(t, "R@1", 0.1196, 5, 4181);
  expect_metric(t, "R@2", 0.1674, 7, 4181);
  expect_metric(t, "R@5", 0.2631, 11, 4181);
  expect_metric(t, "R@10", 0.5023, 21, 4181);
  expect_metric(t, "R@50", 2.5831, 108, 4181);
  expect_metric(t, "Rsubset@1", 20.8323, 871, 4181);
  expect_metric(t, "Rsubset@2", 37.5987, 1572, 4181);
  expect_metric(t, "Rsubset@3", 56.3023, 2354, 4181);
  expect_metric(t, "(R@5+Rsubset@1)/2", (100.0 * 11 / 4181 + 100.0 * 871 / 4181) / 2);
}

TEST(ReferenceValues, CirrKeyOrderRankingsReferenceRemoved) {
  const Benchmark b = Benchmark::cirr(bench_dir("cirr"), "val");
  // The rankings include each query's reference; the protocol removes it.
  expect_cirr_val(evaluate(b, gallery_order(b)));
}

TEST(ReferenceValues, CirrConstantScores) {
  const Benchmark b = Benchmark::cirr(bench_dir("cirr"), "val");
  const Embeddings zeros = Embeddings::Zero(int64_t(b.queries().size()), b.gallery_size());
  expect_cirr_val(evaluate(b, zeros));
}

// The union of every image id the CIRCO val annotation and example submission mention: a
// stand-in for the 123K-image COCO unlabeled gallery (not redistributable here), which is all
// that metrics computed from these rankings can see.
std::vector<std::string> circo_val_ids() {
  std::set<int64_t> ids;
  const auto ann = test::read_json(bench_dir("circo/annotations/val.json"));
  for (const auto& q : ann) {
    ids.insert(q["reference_img_id"].get<int64_t>());
    for (const auto& g : q["gt_img_ids"]) ids.insert(g.get<int64_t>());
  }
  const auto sub = test::read_json(bench_dir("circo/submission_examples/submission_val.json"));
  for (const auto& [k, v] : sub.items())
    for (const auto& x : v) ids.insert(x.get<int64_t>());
  std::vector<std::string> out;
  for (int64_t i : ids) out.push_back(std::to_string(i));
  return out;
}

void expect_circo_val(const MetricsTable& t) {
  EXPECT_EQ(t.queries, 220);
  expect_metric(t, "mAP@5", 0.4861);
  expect_metric(t, "mAP@10", 0.5178);
  expect_metric(t, "mAP@25", 0.5400);
  expect_metric(t, "mAP@50", 0.6020);
  expect_metric(t, "R@5", 0.9091, 2, 220);
  expect_metric(t, "R@10", 0.9091, 2, 220);
  expect_metric(t, "R@25", 1.3636, 3, 220);
  expect_metric(t, "R@50", 3.6364, 8, 220);
  expect_metric(t, "mAP@10[cardinality]", 0.0000);
  expect_metric(t, "mAP@10[addition]", 0.0871);
  expect_metric(t, "mAP@10[negation]", 0.0000);
  expect_metric(t, "mAP@10[direct_addressing]", 0.9197);
  expect_metric(t, "mAP@10[compare_change]", 0.0242);
  expect_metric(t, "mAP@10[comparative_statement]", 1.0500);
  expect_metric(t, "mAP@10[statement_with_conjunction]", 0.6183);
  expect_metric(t, "mAP@10[spatial_relations_background]", 0.1808);
  expect_metric(t, "mAP@10[viewpoint]", 0.6173);
  // Aspect query counts documented in the README.
  EXPECT_EQ(t.find("mAP@10[statement_with_conjunction]")->count, 164);
  EXPECT_EQ(t.find("mAP@10[negation]")->count, 21);
  EXPECT_EQ(t.find("mAP@10[cardinality]")->count, 37);
}

TEST(ReferenceValues, CircoExampleSubmission) {
  const Benchmark b = Benchmark::circo(bench_dir("circo"), "val", circo_val_ids());
  const Rankings r = read_submission(b, bench_dir("circo/submission_examples/submission_val.json"));
  const MetricsTable t = evaluate(b, r);
  expect_circo_val(t);
  // 23 of the 220 queries have a ground truth in their top 50 (README).
  int with_hit = 0;
  for (size_t q = 0; q < r.size(); ++q) {
    bool hit = false;
    for (int64_t i : r[q])
      for (int64_t g : b.queries()[q].targets) hit = hit || i == g;
    with_hit += hit;
  }
  EXPECT_EQ(with_hit, 23);
}

TEST(ReferenceValues, CircoScoresReproducingTheSubmission) {
  const Benchmark b = Benchmark::circo(bench_dir("circo"), "val", circo_val_ids());
  const Rankings r = read_submission(b, bench_dir("circo/submission_examples/submission_val.json"));
  // Scores: the listed images get 50, 49, ..., 1; every other image ties at 0 after them.
  Embeddings s = Embeddings::Zero(int64_t(r.size()), b.gallery_size());
  for (size_t q = 0; q < r.size(); ++q)
    for (size_t i = 0; i < r[q].size(); ++i) s(int64_t(q), r[q][i]) = float(50 - i);
  expect_circo_val(evaluate(b, s));
  EXPECT_EQ(rank_scores(b, s, 50), r);
}

}  // namespace
}  // namespace lincir
