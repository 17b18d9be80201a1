// `lincir bench` on the tiny parity model: every workload runs and reports a sane, consistent JSON
// document (no timing assertions: only that times are positive and the derived numbers agree).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "cli/cli_fixtures.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace lincir::test;

constexpr int kWords = 6, kBatch = 4, kGallery = 3000;

// Bytes of a safetensors file's data section (file size - 8 - header length), read here.
double tensor_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char b[8] = {0};
  f.read(reinterpret_cast<char*>(b), 8);
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = header << 8 | b[i];
  return double(fs::file_size(path)) - 8 - double(header);
}

void expect_timing(const json& t, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(t.is_object()) << t;
  EXPECT_GT(t["median_ms"].get<double>(), 0);
  EXPECT_GT(t["min_ms"].get<double>(), 0);
  EXPECT_LE(t["min_ms"].get<double>(), t["median_ms"].get<double>());
  EXPECT_GE(t["reps"].get<int>(), 2);
}

TEST(CliBench, AllWorkloadsOnTheParityModelAsJson) {
  TempDir t;
  const CliResult r = run_cli(with_model(
      {"--threads", "1", "-q", "bench", "--format", "json", "--dir", t.path(), "--reps", "2",
       "--words", std::to_string(kWords), "--batch-size", std::to_string(kBatch), "--gallery",
       std::to_string(kGallery)}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // -q
  const json j = json::parse(r.out);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_EQ(j["words"], kWords);
  EXPECT_EQ(j["model"], data_path("parity/weights_openai.safetensors"));

  // query: float32 is the reference of itself; int8 within the documented gate. The prompt's
  // words are single BPE tokens: SOT + words + EOT.
  for (const char* p : {"full", "int8"}) {
    SCOPED_TRACE(p);
    const json& q = j["query"][p];
    expect_timing(q, "query");
    EXPECT_EQ(q["tokens"], kWords + 2);
    EXPECT_GT(q["phi_ms"].get<double>(), 0);
    EXPECT_GT(q["tower_ms"].get<double>(), 0);
    const json& im = j["image"][p];
    expect_timing(im, "image");
    if (std::string(p) == "full") {
      EXPECT_NEAR(q["cosine_vs_float32"].get<double>(), 1.0, 1e-12);
      EXPECT_NEAR(im["cosine_vs_float32"].get<double>(), 1.0, 1e-12);
      EXPECT_LE(q["trim_max_abs_diff"].get<double>(), 1e-5);
      expect_timing(q["full77"], "query at 77 positions");
    } else {
      EXPECT_GE(q["cosine_vs_float32"].get<double>(), 0.995);
      EXPECT_LT(q["cosine_vs_float32"].get<double>(), 1.0);
      EXPECT_GE(im["cosine_vs_float32"].get<double>(), 0.995);
    }
  }

  const json& tr = j["train"];
  expect_timing(tr, "train");
  EXPECT_EQ(tr["batch"], kBatch);
  EXPECT_NEAR(tr["captions_per_s"].get<double>(), kBatch / tr["median_ms"].get<double>() * 1e3,
              0.02 * tr["captions_per_s"].get<double>() + 0.01);
  EXPECT_DOUBLE_EQ(tr["mean_tokens"].get<double>(), kWords + 2);
  EXPECT_EQ(tr["recipe_captions"].get<double>(), 20000.0 * 512);
  EXPECT_GT(tr["recipe_hours_this_cpu"].get<double>(), 0);
  EXPECT_LT(tr["flops_per_caption_trimmed"].get<double>(), tr["flops_per_caption_77_tokens"].get<double>());

  const json& s = j["search"];
  EXPECT_EQ(s["gallery"], kGallery);
  EXPECT_EQ(s["dim"], 64);  // the parity model's embed_dim
  EXPECT_EQ(s["gallery_bytes"].get<double>(), kGallery * 64 * 4.0);
  EXPECT_EQ(s["float16_bytes"].get<double>(), kGallery * 64 * 2.0);
  EXPECT_GT(s["read_bandwidth_gbs"].get<double>(), 0);
  EXPECT_GT(s["floor_ms"].get<double>(), 0);
  expect_timing(s["search_1"], "search_1");
  expect_timing(s["search_64"], "search_64");
  expect_timing(s["float16_search_1"], "float16_search_1");
  EXPECT_NEAR(s["search_64"]["per_query_ms"].get<double>(), s["search_64"]["median_ms"].get<double>() / 64, 1e-3);
  EXPECT_GE(s["float16_recall_at_10"].get<double>(), 0.9);
  EXPECT_LE(s["float16_recall_at_10"].get<double>(), 1.0);
  if (s.contains("faiss_64")) {  // builds with faiss: both exact, so the same top-10
    expect_timing(s["faiss_64"], "faiss_64");
    EXPECT_GE(s["faiss_agreement_at_10"].get<double>(), 0.99);
  }

  // rss: one child process per precision; the weight bytes are the two files' tensor data.
  const double weights = tensor_bytes(data_path("parity/weights_openai.safetensors")) +
                         tensor_bytes(t.file("phi-random-64x32.safetensors"));
  for (const char* p : {"full", "int8"}) {
    SCOPED_TRACE(p);
    const json& m = j["rss"][p];
    EXPECT_EQ(m["precision"], p);
    EXPECT_DOUBLE_EQ(m["weight_bytes"].get<double>(), weights);
    EXPECT_GT(m["peak_rss_bytes"].get<double>(), m["process_rss_before_load_bytes"].get<double>());
    EXPECT_NEAR(m["ratio"].get<double>(), m["peak_rss_bytes"].get<double>() / weights, 0.01);
    for (const char* st : {"start", "clip_loaded", "phi_loaded", "after_query", "after_image"})
      EXPECT_TRUE(m["stages"].contains(st)) << st;
  }
}

TEST(CliBench, TableOutputAndSelection) {
  TempDir t;
  const CliResult r = run_cli(with_model({"--threads", "1", "-q", "bench", "--dir", t.path(), "--reps",
                                          "2", "--only", "image", "--precision", "int8"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("image embedding, int8"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("float32"), std::string::npos) << r.out;  // only the precision asked for
  EXPECT_EQ(r.out.find("composed query"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("search"), std::string::npos) << r.out;
}

TEST(CliBench, UnknownPresetIsAOneLineError) {
  TempDir t;
  const CliResult r = run_cli({"bench", "--model", "ViT-Q-99", "--dir", t.path(), "--only", "query"});
  expect_one_line_error(r, "ViT-Q-99");
}

}  // namespace
}  // namespace lincir
