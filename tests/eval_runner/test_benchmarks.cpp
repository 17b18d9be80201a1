// The evaluation driver end to end on miniature copies of FashionIQ, CIRR, CIRCO and GeneCIS
// (real annotation files reduced to a consistent subset, synthetic images under the real names).
#include <gtest/gtest.h>

#include <filesystem>

#include "eval_runner/runner_fixtures.hpp"
#include "lincir/eval_runner.hpp"
#include "support/mini_benchmarks.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using test::tiny_clip;
using test::tiny_composer;

EvalRunOptions options(const std::string& cache = "") {
  EvalRunOptions o;
  o.batch_size = 5;  // several batches even on miniature benchmarks
  o.cache_dir = cache;
  o.fingerprint = "parity-model";
  return o;
}

// Every reported metric of `t` (recalls and mAPs alike) is 100%.
void expect_perfect(const MetricsTable& t) {
  ASSERT_FALSE(t.metrics.empty());
  for (const auto& m : t.metrics) EXPECT_DOUBLE_EQ(m.value, 100.0) << t.subset << " " << m.name;
}

// The oracle: plant each query's composed feature on its ground-truth images.
Embeddings plant(const Benchmark& b, const Embeddings& feats, const Embeddings& queries) {
  Embeddings p = feats;
  for (size_t q = 0; q < b.queries().size(); ++q)
    for (int64_t t : b.queries()[q].targets) p.row(t) = queries.row(int64_t(q));
  return p;
}

MetricsTable oracle_metrics(const Benchmark& b, const std::string& root) {
  const EvalRunOptions o = options();
  const Embeddings feats = encode_benchmark_images(tiny_clip(), b, root, o);
  const Embeddings q = compose_benchmark_queries(tiny_clip(), &tiny_composer(), b, feats, o);
  // Without the oracle the tiny model is far from perfect: planting is what makes 100%.
  const MetricsTable plain = evaluate(b, rank_benchmark(b, q, feats, benchmark_ranking_depth(b)));
  EXPECT_LT(plain.metrics[0].value, 100.0) << plain.to_text();
  const Embeddings planted = plant(b, feats, q);
  return evaluate(b, rank_benchmark(b, q, planted, benchmark_ranking_depth(b)));
}

TEST(EvalRunner, CirrStagesMatchTheLibraryPieces) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 12);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  ASSERT_EQ(int(b.queries().size()), mb.queries);
  ASSERT_GE(b.gallery_size(), 40);
  const EvalRunOptions o = options();
  EvalEncodeStats st;
  const Embeddings feats = encode_benchmark_images(tiny_clip(), b, mb.root, o, nullptr, &st);
  EXPECT_EQ(st.images, int64_t(b.images().size()));
  EXPECT_EQ(st.encoded, st.images);
  // Image features: each file encoded alone with LinCIR's (HF) preprocessing.
  for (int64_t i : {int64_t(0), b.gallery_size() - 1}) {
    const Embeddings one = tiny_clip().encode_images({Image::load(b.image_path(mb.root, i))}, PreprocessMode::hf);
    EXPECT_LE((feats.row(i) - one.row(0)).cwiseAbs().maxCoeff(), 2e-5f);
  }
  // Queries: the composer's own path-based composition with the CIRR template.
  const Embeddings q = compose_benchmark_queries(tiny_clip(), &tiny_composer(), b, feats, o);
  ASSERT_EQ(q.rows(), int64_t(b.queries().size()));
  for (size_t i : {size_t(0), b.queries().size() - 1}) {
    const auto& bq = b.queries()[i];
    const Embeddings ref = tiny_composer().compose({Reference::from_path(b.image_path(mb.root, bq.reference))},
                                                   {bq.texts[0]}, PromptTemplate::cirr());
    EXPECT_LE((q.row(int64_t(i)) - ref.row(0)).cwiseAbs().maxCoeff(), 2e-5f);
  }
  // Rankings: the same as the eval component's protocol ranking of the full score matrix.
  const Embeddings scores = normalize(q) * normalize(feats).topRows(b.gallery_size()).transpose();
  EXPECT_EQ(rank_benchmark(b, q, feats, 0), rank_scores(b, scores, b.gallery_size()));
  EXPECT_EQ(rank_benchmark(b, q, feats, 7), rank_scores(b, scores, 7));
  // Metrics: identical to evaluating the score matrix.
  const MetricsTable from_scores = evaluate(b, scores);
  const BenchmarkRunResult r = run_benchmark(tiny_clip(), &tiny_composer(), b, mb.root, o);
  ASSERT_TRUE(r.metrics.has_value());
  EXPECT_EQ(r.metrics->to_json(), from_scores.to_json());
  EXPECT_EQ(r.queries, int64_t(b.queries().size()));
  EXPECT_TRUE(r.submissions.empty());
  const auto j = nlohmann::json::parse(r.to_json());
  EXPECT_EQ(j["metrics"]["metrics"]["R@1"].get<double>(), from_scores.value("R@1"));
  EXPECT_EQ(j["images"]["encoded"].get<int64_t>(), int64_t(b.images().size()));
}

TEST(EvalRunner, CirrOracleScoresPerfectly) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 12);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  const MetricsTable m = oracle_metrics(b, mb.root);
  EXPECT_NE(m.find("Rsubset@1"), nullptr);
  expect_perfect(m);
}

TEST(EvalRunner, FashionIqOracleScoresPerfectlyInEveryCategory) {
  TempDir t;
  const auto mb = test::make_mini_fashioniq(t.file("fiq"), 6);
  std::vector<MetricsTable> tables;
  for (const Benchmark& b : Benchmark::fashioniq_all(mb.annotations, "val")) {
    ASSERT_EQ(b.queries().size(), 6u);
    tables.push_back(oracle_metrics(b, mb.root));
    expect_perfect(tables.back());
  }
  expect_perfect(average_tables(tables));
  // The two-order average is LinCIR's compose_fashioniq.
  const Benchmark b = Benchmark::fashioniq(mb.annotations, "shirt", "val");
  const Embeddings feats = encode_benchmark_images(tiny_clip(), b, mb.root, options());
  const Embeddings q = compose_benchmark_queries(tiny_clip(), &tiny_composer(), b, feats, options());
  const auto& q0 = b.queries()[0];
  const Embeddings ref = tiny_composer().compose_fashioniq(
      {Reference::from_path(b.image_path(mb.root, q0.reference))}, {{{q0.texts[0], q0.texts[1]}}});
  EXPECT_LE((q.row(0) - ref.row(0)).cwiseAbs().maxCoeff(), 2e-5f);
}

TEST(EvalRunner, CircoOracleScoresPerfectlyWithSeveralGroundTruths) {
  TempDir t;
  const auto mb = test::make_mini_circo(t.file("circo"), "val", 8);
  const Benchmark b = Benchmark::circo(mb.annotations, "val", mb.gallery);
  size_t multi = 0;
  for (const auto& q : b.queries()) multi += q.targets.size() > 1;
  EXPECT_GT(multi, 0u);
  const MetricsTable m = oracle_metrics(b, mb.root);
  EXPECT_NE(m.find("mAP@5"), nullptr);
  expect_perfect(m);
}

TEST(EvalRunner, GenecisOracleScoresPerfectlyOnPerQueryGalleries) {
  TempDir t;
  const auto mb = test::make_mini_genecis(t.file("genecis"), 8);
  const Benchmark b = Benchmark::genecis(mb.annotations);
  EXPECT_EQ(b.gallery_size(), 0);
  const MetricsTable m = oracle_metrics(b, mb.root);
  EXPECT_NE(m.find("R@1"), nullptr);
  expect_perfect(m);
}

TEST(EvalRunner, ImageOnlyBaselineFindsByteIdenticalTargets) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 10, /*copy_targets=*/true);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  EvalRunOptions o = options();
  o.method = EvalMethod::image_only;
  const BenchmarkRunResult r = run_benchmark(tiny_clip(), nullptr, b, mb.root, o);
  ASSERT_TRUE(r.metrics);
  expect_perfect(*r.metrics);
  // Text-only ignores the images: far from perfect here; sum mixes both.
  o.method = EvalMethod::text_only;
  const BenchmarkRunResult rt = run_benchmark(tiny_clip(), nullptr, b, mb.root, o);
  EXPECT_LT(rt.metrics->value("R@1"), 100.0);
  // The lincir method without a composer is an error, not a crash.
  o.method = EvalMethod::lincir;
  EXPECT_THROW(run_benchmark(tiny_clip(), nullptr, b, mb.root, o), Error);
}

TEST(EvalRunner, BaselinesAreTheComposersBaselines) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 4);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  EvalRunOptions o = options();
  const Embeddings feats = encode_benchmark_images(tiny_clip(), b, mb.root, o);
  std::vector<Reference> refs;
  std::vector<std::string> texts;
  for (const auto& q : b.queries()) {
    const auto r = feats.row(q.reference);
    refs.push_back(Reference::from_embedding(std::vector<float>(r.data(), r.data() + r.size())));
    texts.push_back(q.texts[0]);
  }
  o.method = EvalMethod::sum;
  const Embeddings s = compose_benchmark_queries(tiny_clip(), nullptr, b, feats, o);
  EXPECT_LE((s - tiny_composer().image_plus_text(refs, texts)).cwiseAbs().maxCoeff(), 1e-5f);
  o.method = EvalMethod::text_only;
  const Embeddings tx = compose_benchmark_queries(tiny_clip(), nullptr, b, feats, o);
  EXPECT_LE((tx - tiny_composer().text_only(texts)).cwiseAbs().maxCoeff(), 1e-5f);
  o.method = EvalMethod::image_only;
  const Embeddings im = compose_benchmark_queries(tiny_clip(), nullptr, b, feats, o);
  EXPECT_LE((im - tiny_composer().image_only(refs)).cwiseAbs().maxCoeff(), 1e-5f);
}

TEST(EvalRunner, CacheIsReusedAndResumable) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 8);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  const int64_t n = int64_t(b.images().size());
  EvalRunOptions o = options(t.file("cache"));
  // A first run stopped after 10 images.
  o.on_progress = [](const std::string& stage, int64_t done, int64_t) { return stage != "encode" || done < 10; };
  EXPECT_THROW(encode_benchmark_images(tiny_clip(), b, mb.root, o), Error);
  o.on_progress = nullptr;
  EvalEncodeStats s1;
  const Embeddings f1 = encode_benchmark_images(tiny_clip(), b, mb.root, o, nullptr, &s1);
  EXPECT_EQ(s1.cached, 10);
  EXPECT_EQ(s1.encoded, n - 10);
  ASSERT_TRUE(fs::exists(s1.cache_file));
  EvalEncodeStats s2;
  const Embeddings f2 = encode_benchmark_images(tiny_clip(), b, mb.root, o, nullptr, &s2);
  EXPECT_EQ(s2.cached, n);
  EXPECT_EQ(s2.encoded, 0);
  EXPECT_EQ(s2.cache_file, s1.cache_file);
  EXPECT_EQ(f1, f2);
  const Embeddings fresh = encode_benchmark_images(tiny_clip(), b, mb.root, options());
  EXPECT_LE((f1 - fresh).cwiseAbs().maxCoeff(), 2e-5f);
  // Another model or preprocessing never reads this cache.
  o.fingerprint = "another-model";
  EvalEncodeStats s3;
  encode_benchmark_images(tiny_clip(), b, mb.root, o, nullptr, &s3);
  EXPECT_EQ(s3.encoded, n);
  EXPECT_NE(s3.cache_file, s1.cache_file);
  o.fingerprint.clear();
  EXPECT_THROW(encode_benchmark_images(tiny_clip(), b, mb.root, o), Error);
}

TEST(EvalRunner, GalleryFromAnIndexEncodesOnlyReferences) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 6);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  const Embeddings full = encode_benchmark_images(tiny_clip(), b, mb.root, options());
  Gallery index(full.cols());
  std::vector<int64_t> ids(size_t(b.gallery_size()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = int64_t(i);
  index.add(full.topRows(b.gallery_size()), ids);
  EvalEncodeStats st;
  const Embeddings f = encode_benchmark_images(tiny_clip(), b, mb.root, options(), &index, &st);
  EXPECT_EQ(st.encoded, 6);  // the distinct references
  EXPECT_EQ(st.cached, b.gallery_size() - 6);
  const Embeddings q = compose_benchmark_queries(tiny_clip(), &tiny_composer(), b, full, options());
  EXPECT_EQ(rank_benchmark(b, q, f, 0), rank_benchmark(b, q, full, 0));
  Gallery wrong(full.cols());
  wrong.add(full.topRows(3), {0, 1, 2});
  EXPECT_THROW(encode_benchmark_images(tiny_clip(), b, mb.root, options(), &wrong), Error);
}

TEST(EvalRunner, HiddenTestSplitsWriteServerFiles) {
  TempDir t;
  const auto cirr = test::make_mini_cirr(t.file("cirr"), "test1", 6);
  const Benchmark b = Benchmark::cirr(cirr.annotations, "test1");
  EXPECT_THROW(run_benchmark(tiny_clip(), &tiny_composer(), b, cirr.root, options()), Error);  // no folder
  const auto r = run_benchmark(tiny_clip(), &tiny_composer(), b, cirr.root, options(), t.file("sub"));
  EXPECT_FALSE(r.metrics.has_value());
  ASSERT_EQ(r.submissions.size(), 2u);
  const auto recall = test::read_json(t.file("sub/cirr_test1_recall.json"));
  EXPECT_EQ(recall["version"], "rc2");
  EXPECT_EQ(recall["metric"], "recall");
  EXPECT_EQ(recall.size(), b.queries().size() + 2);
  const auto subset = test::read_json(t.file("sub/cirr_test1_recall_subset.json"));
  EXPECT_EQ(subset["metric"], "recall_subset");
  // The files hold the driver's rankings: top 50 (here the whole gallery minus the reference)
  // and the first 3 group members.
  const Embeddings cf = encode_benchmark_images(tiny_clip(), b, cirr.root, options());
  const Rankings cr = rank_benchmark(b, compose_benchmark_queries(tiny_clip(), &tiny_composer(), b, cf, options()), cf, 0);
  for (size_t i = 0; i < b.queries().size(); ++i) {
    const auto& q = b.queries()[i];
    std::vector<std::string> top, members;
    for (int64_t x : cr[i]) {
      if (top.size() < 50) top.push_back(b.images()[size_t(x)]);
      if (members.size() < 3 && std::find(q.subset.begin(), q.subset.end(), x) != q.subset.end())
        members.push_back(b.images()[size_t(x)]);
    }
    EXPECT_EQ(recall[q.id].get<std::vector<std::string>>(), top) << q.id;
    EXPECT_EQ(subset[q.id].get<std::vector<std::string>>(), members) << q.id;
  }

  const auto circo = test::make_mini_circo(t.file("circo"), "test", 5, 60);
  const Benchmark c = Benchmark::circo(circo.annotations, "test", circo.gallery);
  const auto rc = run_benchmark(tiny_clip(), &tiny_composer(), c, circo.root, options(), t.file("sub"));
  ASSERT_EQ(rc.submissions.size(), 1u);
  const auto sub = test::read_json(rc.submissions[0]);
  ASSERT_EQ(sub.size(), 5u);
  EXPECT_EQ(sub["0"].size(), 50u);
  // The file ranks as the driver does.
  const Embeddings feats = encode_benchmark_images(tiny_clip(), c, circo.root, options());
  const Embeddings q = compose_benchmark_queries(tiny_clip(), &tiny_composer(), c, feats, options());
  const Rankings expect = rank_benchmark(c, q, feats, 50);
  EXPECT_EQ(read_submission(c, rc.submissions[0]), expect);
}

TEST(EvalRunner, ClearErrorsBeforeAnyWork) {
  TempDir t;
  const auto mb = test::make_mini_cirr(t.file("cirr"), "val", 6);
  const Benchmark b = Benchmark::cirr(mb.annotations, "val");
  // Missing images: one error saying how many and which.
  fs::remove(b.image_path(mb.root, 0));
  fs::remove(b.image_path(mb.root, 1));
  try {
    run_benchmark(tiny_clip(), &tiny_composer(), b, mb.root, options());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
    const std::string w = e.what();
    EXPECT_NE(w.find("2 of " + std::to_string(b.images().size())), std::string::npos) << w;
    EXPECT_NE(w.find(b.images()[0]), std::string::npos) << w;
  }
  // FashionIQ test has neither targets nor a server.
  TempDir f;
  const std::string d = f.file("fiq");
  fs::create_directories(d + "/captions");
  fs::create_directories(d + "/image_splits");
  fs::copy_file(test::data_path("benchmarks/fashioniq/captions/cap.dress.test.json"), d + "/captions/cap.dress.test.json");
  fs::copy_file(test::data_path("benchmarks/fashioniq/image_splits/split.dress.test.json"), d + "/image_splits/split.dress.test.json");
  const Benchmark ft = Benchmark::fashioniq(d, "dress", "test");
  EXPECT_THROW(run_benchmark(tiny_clip(), &tiny_composer(), ft, f.file("none"), options(), f.file("sub")), Error);
}

}  // namespace
}  // namespace lincir
