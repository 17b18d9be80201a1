// Test-server submission files: byte-identical round trips of the upstream examples, writers
// from score matrices (sizes, reference exclusion, group members), and errors.
#include <gtest/gtest.h>

#include <set>

#include "eval/eval_test_util.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using test::bench_dir;
using test::expect_error;

std::vector<std::string> circo_ids(const char* split, bool with_submission) {
  std::set<int64_t> ids;
  for (const auto& q : test::read_json(bench_dir(std::string("circo/annotations/") + split + ".json"))) {
    ids.insert(q["reference_img_id"].get<int64_t>());
    if (q.contains("gt_img_ids"))
      for (const auto& g : q["gt_img_ids"]) ids.insert(g.get<int64_t>());
  }
  if (with_submission) {
    const auto sub = test::read_json(bench_dir("circo/submission_examples/submission_val.json"));
    for (const auto& [k, v] : sub.items())
      for (const auto& x : v) ids.insert(x.get<int64_t>());
  }
  std::vector<std::string> out;
  for (int64_t i : ids) out.push_back(std::to_string(i));
  return out;
}

TEST(Submission, CirrSubsetExampleRoundTripsByteForByte) {
  const Benchmark b = Benchmark::cirr(bench_dir("cirr"), "test1");
  const std::string example = bench_dir("cirr/submission_examples/test1_pred_ranks_recall_subset.json");
  const Rankings r = read_submission(b, example);
  ASSERT_EQ(r.size(), 4148u);
  for (const auto& x : r) ASSERT_EQ(x.size(), 3u);
  test::TempDir dir;
  // Three group members per query determine the top 3 members; the top 50 is not determined.
  write_cirr_submission(b, r, "", dir.file("subset.json"));
  EXPECT_EQ(test::read_text(dir.file("subset.json")), test::read_text(example));
  expect_error([&] { write_cirr_submission(b, r, dir.file("recall.json"), ""); }, Status::invalid_argument,
               {"query 12063", "50 needed"});
  EXPECT_FALSE(std::filesystem::exists(dir.file("recall.json")));
}

TEST(Submission, CirrFromScores) {
  const Benchmark b = Benchmark::cirr(bench_dir("cirr"), "test1");
  const int64_t nq = int64_t(b.queries().size()), g = b.gallery_size();
  // Scores: the reference highest (must be excluded), then the group members in reverse file
  // order, then everything else tied.
  Embeddings s = Embeddings::Zero(nq, g);
  for (int64_t q = 0; q < nq; ++q) {
    const auto& bq = b.queries()[size_t(q)];
    for (size_t k = 0; k < bq.subset.size(); ++k) s(q, bq.subset[k]) = float(1 + k);
    s(q, bq.reference) = 100;
  }
  test::TempDir dir;
  write_cirr_submission(b, s, dir.file("recall.json"), dir.file("subset.json"));
  const auto rec = test::read_json(dir.file("recall.json"));
  const auto sub = test::read_json(dir.file("subset.json"));
  EXPECT_EQ(rec.size(), 4150u);  // 4,148 queries + version + metric
  EXPECT_EQ(sub.size(), 4150u);
  EXPECT_EQ(rec["version"], "rc2");
  EXPECT_EQ(rec["metric"], "recall");
  EXPECT_EQ(sub["metric"], "recall_subset");
  const std::string text = test::read_text(dir.file("recall.json"));
  EXPECT_EQ(text.rfind("{\"version\": \"rc2\", \"metric\": \"recall\", \"12063\": [\"", 0), 0u) << text.substr(0, 80);
  for (const auto& bq : b.queries()) {
    const auto& top = rec[bq.id];
    ASSERT_EQ(top.size(), 50u);
    std::set<std::string> uniq(top.begin(), top.end());
    EXPECT_EQ(uniq.size(), 50u);
    const std::string ref = b.images()[size_t(bq.reference)];
    EXPECT_EQ(uniq.count(ref), 0u) << bq.id;
    // Members (minus the reference) by descending score, then ties in gallery order.
    std::vector<std::string> members;
    for (size_t k = bq.subset.size(); k-- > 0;)
      if (bq.subset[k] != bq.reference) members.push_back(b.images()[size_t(bq.subset[k])]);
    for (size_t k = 0; k < 5; ++k) ASSERT_EQ(top[k], members[k]) << bq.id;
    ASSERT_EQ(sub[bq.id], (nlohmann::json{members[0], members[1], members[2]})) << bq.id;
  }
  // Round trip: the written top-50 file reads back as the same rankings.
  const Rankings back = read_submission(b, dir.file("recall.json"));
  EXPECT_EQ(back, rank_scores(b, s, 50));
}

TEST(Submission, CircoValExampleRoundTripsByteForByte) {
  const Benchmark b = Benchmark::circo(bench_dir("circo"), "val", circo_ids("val", true));
  const std::string example = bench_dir("circo/submission_examples/submission_val.json");
  const Rankings r = read_submission(b, example);
  test::TempDir dir;
  write_circo_submission(b, r, dir.file("sub.json"));
  EXPECT_EQ(test::read_text(dir.file("sub.json")), test::read_text(example));
}

TEST(Submission, CircoTestFromScores) {
  const Benchmark b = Benchmark::circo(bench_dir("circo"), "test", circo_ids("test", false));
  const int64_t nq = int64_t(b.queries().size()), g = b.gallery_size();
  Embeddings s(nq, g);
  for (int64_t q = 0; q < nq; ++q)
    for (int64_t j = 0; j < g; ++j) s(q, j) = float((q * 7919 + j * 104729) % 1000);
  test::TempDir dir;
  write_circo_submission(b, s, dir.file("circo.json"));
  const auto j = test::read_json(dir.file("circo.json"));
  ASSERT_EQ(j.size(), 800u);
  const Rankings expect = rank_scores(b, s, 50);
  for (int64_t q = 0; q < nq; ++q) {
    const auto& list = j[std::to_string(q)];
    ASSERT_EQ(list.size(), 50u);
    ASSERT_TRUE(list[0].is_number_integer());  // integer ids, as the example files
    for (size_t k = 0; k < 50; ++k) ASSERT_EQ(std::to_string(list[k].get<int64_t>()), b.images()[size_t(expect[size_t(q)][k])]);
  }
  const std::string text = test::read_text(dir.file("circo.json"));
  EXPECT_EQ(text.rfind("{\"0\": [", 0), 0u);
  EXPECT_NE(text.find("], \"799\": ["), std::string::npos);
  EXPECT_EQ(text.back(), '}');
}

TEST(Submission, Errors) {
  const Benchmark circo = Benchmark::circo(bench_dir("circo"), "val", circo_ids("val", true));
  const Benchmark cirr = Benchmark::cirr(bench_dir("cirr"), "val");
  test::TempDir dir;
  const Rankings short_r(circo.queries().size(), Ranking{0, 1, 2});
  expect_error([&] { write_circo_submission(circo, short_r, dir.file("x.json")); }, Status::invalid_argument,
               {"query 0", "50 needed"});
  expect_error([&] { write_circo_submission(cirr, Rankings{}, dir.file("x.json")); }, Status::invalid_argument,
               {"needs a CIRCO benchmark"});
  expect_error([&] { write_cirr_submission(circo, Rankings{}, dir.file("x.json"), ""); }, Status::invalid_argument,
               {"needs a CIRR benchmark"});
  const Benchmark fiq = Benchmark::fashioniq(bench_dir("fashioniq"), "dress", "val");
  expect_error([&] { read_submission(fiq, dir.file("x.json")); }, Status::invalid_argument, {"CIRR and CIRCO only"});
  // A submission with a duplicate in one query is rejected when scored (as the official script).
  Rankings r = read_submission(circo, bench_dir("circo/submission_examples/submission_val.json"));
  r[5][7] = r[5][3];
  expect_error([&] { evaluate(circo, r); }, Status::invalid_argument, {"query 5", "twice"});

  struct Case {
    const char* text;
    std::vector<std::string> needles;
  } const cases[] = {
      {R"({"0": []})", {"query 1 is missing"}},
      {R"({"abc": []})", {"key \"abc\"", "not a query id"}},
      {R"({"0": 5})", {"key \"0\"", "expected an array"}},
      {R"({"0": ["12x"]})", {"\"12x\" is not an image id"}},
      {R"({"0": [1.5]})", {"expected an integer"}},
      {R"({"0": [7]})", {"image 7 is not in"}},
      {R"([1])", {"expected an object"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    test::write_text(dir.file("bad.json"), c.text);
    std::vector<std::string> needles = c.needles;
    needles.push_back("bad.json");
    expect_error([&] { read_submission(circo, dir.file("bad.json")); }, Status::format, needles);
  }
  test::write_text(dir.file("bad.json"), R"({"version": "rc3"})");
  expect_error([&] { read_submission(cirr, dir.file("bad.json")); }, Status::format, {"unsupported version"});
  // CIRCO's scorer accepts decimal strings.
  std::string ok = "{";
  for (size_t q = 0; q < circo.queries().size(); ++q)
    ok += (q ? ", \"" : "\"") + std::to_string(q) + "\": [\"" + circo.images()[0] + "\"]";
  test::write_text(dir.file("ok.json"), ok + "}");
  EXPECT_EQ(read_submission(circo, dir.file("ok.json"))[3], (Ranking{0}));
}

}  // namespace
}  // namespace lincir
