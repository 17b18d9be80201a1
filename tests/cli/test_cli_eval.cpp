// `lincir eval` on generic triplet files and on miniature copies of the benchmarks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_fixtures.hpp"
#include "lincir/eval_runner.hpp"
#include "support/mini_benchmarks.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using namespace lincir::test;

// Six distinct images g0..g5 in gallery/, and queries whose targets are byte copies of their
// references (so image-only ranks the target first once the reference is removed).
std::string make_triplets(const TempDir& t) {
  for (int i = 0; i < 6; ++i) write_test_image(t.file("data/gallery/g" + std::to_string(i) + ".png"), 50 + uint64_t(i));
  for (int i = 0; i < 3; ++i)
    fs::copy_file(t.file("data/gallery/g" + std::to_string(i) + ".png"), t.file("data/gallery/t" + std::to_string(i) + ".png"));
  std::ofstream f(t.file("data/q.jsonl"));
  f << R"({"reference": "gallery/g0.png", "modification": "is red", "targets": ["gallery/t0.png"]})" << "\n"
    << R"({"reference": "./gallery/g1.png", "modification": ["at night", "in winter"], "targets": ["gallery/t1.png"], "id": "q1"})" << "\n\n"
    << R"({"reference": "gallery/g2.png", "modification": "has two", "targets": ["gallery/t2.png", "gallery/g5.png"]})" << "\n";
  return t.file("data/q.jsonl");
}

// `lincir [-q] eval <model flags> <extra>` (global flags must precede the subcommand).
std::vector<std::string> eval_args(std::vector<std::string> extra) {
  const bool quiet = !extra.empty() && extra[0] == "-q";
  if (quiet) extra.erase(extra.begin());
  auto a = with_model(quiet ? std::vector<std::string>{"-q", "eval"} : std::vector<std::string>{"eval"});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void expect_all(const nlohmann::json& metrics, double value, const std::string& what) {
  ASSERT_FALSE(metrics.empty()) << what;
  for (auto& [k, v] : metrics.items()) EXPECT_DOUBLE_EQ(v.get<double>(), value) << what << " " << k;
}

TEST(CliEval, TripletsOracleReportAndLibraryAgreement) {
  TempDir t;
  const std::string q = make_triplets(t);
  const CliResult io = run_cli(eval_args({"--triplets", q, "--gallery", t.file("data/gallery"), "--method", "image-only",
                                          "--format", "json"}));
  ASSERT_EQ(io.rc, 0) << io.err;
  const auto rep = nlohmann::json::parse(io.out);
  ASSERT_EQ(rep["results"].size(), 1u);
  const auto& m = rep["results"][0]["metrics"]["metrics"];
  EXPECT_DOUBLE_EQ(m["R@1"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(m["R@5"].get<double>(), 100.0);
  EXPECT_TRUE(m.contains("mAP@10"));
  // --keep-reference: the reference stays a candidate, so image-only ranks it first (self
  // similarity 1) and a target that is another image is never at rank 1.
  {
    std::ofstream k(t.file("data/keep.jsonl"));
    k << R"({"reference": "gallery/g3.png", "modification": "x", "targets": ["gallery/g4.png"]})" << "\n";
  }
  const CliResult kr = run_cli(eval_args({"--triplets", t.file("data/keep.jsonl"), "--gallery", t.file("data/gallery"),
                                          "--method", "image-only", "--keep-reference", "--format", "json"}));
  ASSERT_EQ(kr.rc, 0) << kr.err;
  const auto kdoc = nlohmann::json::parse(kr.out);
  const auto& km = kdoc["results"][0]["metrics"]["metrics"];
  EXPECT_DOUBLE_EQ(km["R@1"].get<double>(), 0.0);
  TripletOptions keep;
  keep.gallery = t.file("data/gallery");
  keep.keep_reference = true;
  EvalRunOptions image_only;
  image_only.method = EvalMethod::image_only;
  const auto kl = run_benchmark(parity_model(), nullptr, Benchmark::triplets(t.file("data/keep.jsonl"), keep), "", image_only);
  for (const auto& mm : kl.metrics->metrics) EXPECT_DOUBLE_EQ(km[mm.name].get<double>(), mm.value) << mm.name;

  // LinCIR: the report's metrics equal the library driver's; checksums are the files' SHA-256.
  const CliResult lc = run_cli(eval_args({"--triplets", q, "--gallery", t.file("data/gallery"), "--phi", phi_path(),
                                          "--report", t.file("rep.json")}));
  ASSERT_EQ(lc.rc, 0) << lc.err;
  EXPECT_NE(lc.out.find("R@1"), std::string::npos) << lc.out;  // table on stdout
  const auto r = read_json(t.file("rep.json"));
  EXPECT_EQ(r["method"], "lincir");
  EXPECT_EQ(r["checksums"]["model"], sha256_file(data_path("parity/weights_openai.safetensors")));
  EXPECT_EQ(r["checksums"]["config"], sha256_file(data_path("parity/model_config.json")));
  EXPECT_EQ(r["checksums"]["phi"], sha256_file(phi_path()));
  EXPECT_EQ(r["config"]["preprocess"], "hf");
  EXPECT_TRUE(r["timings"].contains("total_s"));
  EXPECT_TRUE(r["results"][0]["timings"].contains("encode_s"));

  TripletOptions to;
  to.gallery = t.file("data/gallery");
  const Benchmark b = Benchmark::triplets(q, to);
  const Composer comp(parity_model(), Projector::load(phi_path()));
  const BenchmarkRunResult lib = run_benchmark(parity_model(), &comp, b, "", EvalRunOptions{});
  for (const auto& mm : lib.metrics->metrics)
    EXPECT_DOUBLE_EQ(r["results"][0]["metrics"]["metrics"][mm.name].get<double>(), mm.value) << mm.name;

  // The same gallery as an index (names relative to --gallery-root) gives the same metrics.
  ASSERT_EQ(run_cli(with_model({"-q", "index", "build", "--image-dir", t.file("data/gallery"), "-o", t.file("g.gallery")})).rc, 0);
  const CliResult ix = run_cli(eval_args({"--triplets", q, "--gallery", t.file("g.gallery"), "--gallery-root",
                                          t.file("data/gallery"), "--phi", phi_path(), "--format", "json"}));
  ASSERT_EQ(ix.rc, 0) << ix.err;
  const auto idoc = nlohmann::json::parse(ix.out);
  const auto& mi = idoc["results"][0]["metrics"]["metrics"];
  for (const auto& mm : lib.metrics->metrics) EXPECT_NEAR(mi[mm.name].get<double>(), mm.value, 1e-9) << mm.name;
}

TEST(CliEval, CirrValOracleCacheAndTestSubmission) {
  TempDir t;
  const auto mb = make_mini_cirr(t.file("cirr"), "val", 10, /*copy_targets=*/true);
  auto args = eval_args({"--benchmark", "cirr", "--split", "val", "--annotations", mb.annotations, "--root", mb.root,
                         "--method", "image-only", "--cache", t.file("cache"), "--report", t.file("r.json")});
  const CliResult a = run_cli(args);
  ASSERT_EQ(a.rc, 0) << a.err;
  EXPECT_NE(a.out.find("Rsubset@1"), std::string::npos) << a.out;
  const auto r = read_json(t.file("r.json"));
  expect_all(r["results"][0]["metrics"]["metrics"], 100.0, "CIRR image-only oracle");
  EXPECT_EQ(r["results"][0]["images"]["encoded"], mb.images.size());
  // Second run: every image from the cache.
  const CliResult b = run_cli(args);
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_NE(b.err.find("0 encoded, " + std::to_string(mb.images.size()) + " cached"), std::string::npos) << b.err;

  const auto tb = make_mini_cirr(t.file("cirr"), "test1", 6);
  const CliResult s = run_cli(eval_args({"--benchmark", "cirr", "--split", "test1", "--annotations", tb.annotations,
                                         "--root", tb.root, "--phi", phi_path(), "--submission-dir", t.file("sub")}));
  ASSERT_EQ(s.rc, 0) << s.err;
  EXPECT_EQ(read_json(t.file("sub/cirr_test1_recall.json"))["metric"], "recall");
  EXPECT_EQ(read_json(t.file("sub/cirr_test1_recall_subset.json"))["metric"], "recall_subset");
}

TEST(CliEval, FashionIqCircoGenecisRunEndToEnd) {
  TempDir t;
  // FashionIQ: three categories and their average.
  const auto fiq = make_mini_fashioniq(t.file("fiq"), 4);
  const CliResult f = run_cli(eval_args({"--benchmark", "fashioniq", "--annotations", fiq.annotations, "--root", fiq.root,
                                         "--phi", phi_path(), "--format", "json"}));
  ASSERT_EQ(f.rc, 0) << f.err;
  const auto fr = nlohmann::json::parse(f.out);
  ASSERT_EQ(fr["results"].size(), 3u);
  EXPECT_TRUE(fr["average"]["metrics"].contains("(R@10+R@50)/2"));
  // Library agreement on one category.
  const Composer comp(parity_model(), Projector::load(phi_path()));
  const Benchmark shirt = Benchmark::fashioniq(fiq.annotations, "shirt", "val");
  const auto lib = run_benchmark(parity_model(), &comp, shirt, fiq.root, EvalRunOptions{});
  EXPECT_DOUBLE_EQ(fr["results"][1]["metrics"]["metrics"]["R@10"].get<double>(), lib.metrics->value("R@10"));

  // CIRCO val (gallery from the COCO info file) and test (submission).
  const auto cv = make_mini_circo(t.file("circo"), "val", 6);
  const CliResult c = run_cli(eval_args({"--benchmark", "circo", "--split", "val", "--annotations", cv.annotations,
                                         "--root", cv.root, "--gallery", cv.gallery, "--phi", phi_path(), "--format", "json"}));
  ASSERT_EQ(c.rc, 0) << c.err;
  EXPECT_TRUE(nlohmann::json::parse(c.out)["results"][0]["metrics"]["metrics"].contains("mAP@50"));
  const auto ct = make_mini_circo(t.file("circo"), "test", 4);
  ASSERT_EQ(run_cli(eval_args({"--benchmark", "circo", "--split", "test", "--annotations", ct.annotations, "--root", ct.root,
                               "--gallery", ct.gallery, "--phi", phi_path(), "--submission-dir", t.file("sub")})).rc, 0);
  EXPECT_EQ(read_json(t.file("sub/circo_test.json")).size(), 4u);

  // GeneCIS (per-query galleries).
  const auto g = make_mini_genecis(t.file("genecis"), 6);
  const CliResult gr = run_cli(eval_args({"--benchmark", "genecis", "--annotations", g.annotations, "--root", g.root,
                                          "--method", "sum", "--format", "json"}));
  ASSERT_EQ(gr.rc, 0) << gr.err;
  EXPECT_TRUE(nlohmann::json::parse(gr.out)["results"][0]["metrics"]["metrics"].contains("R@3"));
}

TEST(CliEval, ClearErrors) {
  TempDir t;
  const auto mb = make_mini_cirr(t.file("cirr"), "val", 4);
  fs::remove(mb.root + "/dev/" + mb.images[0] + ".png");
  const CliResult m = run_cli(eval_args({"-q", "--benchmark", "cirr", "--annotations", mb.annotations, "--root", mb.root,
                                         "--method", "image-only"}));
  expect_one_line_error(m, "1 of " + std::to_string(mb.images.size()) + " images not found");
  EXPECT_NE(m.err.find(mb.images[0]), std::string::npos);
  expect_one_line_error(run_cli(eval_args({"-q", "--benchmark", "cirr", "--annotations", mb.annotations, "--root", mb.root})), "--phi");
  expect_one_line_error(run_cli(eval_args({"-q", "--benchmark", "cirr", "--annotations", t.file("nowhere"), "--root", mb.root,
                                           "--method", "image-only"})), "nowhere");
  expect_one_line_error(run_cli(eval_args({"-q", "--method", "image-only"})), "--triplets");
}

}  // namespace
}  // namespace lincir
