// `lincir` help, errors, encode, compose, search and index, driven as a user runs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "cli/cli_fixtures.hpp"
#include "lincir/eval_runner.hpp"
#include "lincir/gallery.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using namespace lincir::test;

const std::vector<std::string> kImages = {"gradient_rgb.png", "stripes_rgb.png", "nonsquare_50x37.png",
                                          "gray_L_33x47.png", "rgba_36x36.png", "photo_like_320x240.jpg"};

// A folder of the parity images (sub-folder included) for gallery builds.
std::string image_folder(const TempDir& t) {
  fs::create_directories(t.file("imgs/sub"));
  for (size_t i = 0; i < kImages.size(); ++i)
    fs::copy_file(data_path("parity/images/" + kImages[i]), t.file(i % 2 ? "imgs/sub/" + kImages[i] : "imgs/" + kImages[i]));
  return t.file("imgs");
}

TEST(Cli, HelpListsSubcommandsAndExamples) {
  const CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.rc, 0);
  for (const char* c : {"encode", "index", "search", "compose", "train", "eval"})
    EXPECT_NE(r.out.find(c), std::string::npos) << c;
  std::map<std::string, std::string> help;
  for (std::vector<std::string> c : {std::vector<std::string>{"encode"}, {"index"}, {"index", "build"}, {"search"},
                                     {"compose"}, {"train"}, {"eval"}}) {
    const std::string name = c.size() == 1 ? c[0] : c[0] + " " + c[1];
    c.push_back("--help");
    const CliResult h = run_cli(c);
    EXPECT_EQ(h.rc, 0) << name;
    EXPECT_NE(h.out.find("lincir " + c[0]), std::string::npos) << h.out;
    help[name] = h.out;
  }
  for (const char* c : {"encode", "index", "search", "compose", "train", "eval"})
    EXPECT_NE(help[c].find("Examples"), std::string::npos) << c;
  EXPECT_NE(help["index build"].find("--shard"), std::string::npos);
  EXPECT_NE(help["train"].find("--grad-clip-norm"), std::string::npos);
  EXPECT_NE(help["eval"].find("--keep-reference"), std::string::npos);
}

TEST(Cli, BadInputGivesOneLineErrorsAndNonZeroStatus) {
  TempDir t;
  // Parse errors (CLI11): non-zero and a message naming the option.
  const CliResult missing = run_cli({"encode", "--text", "x"});
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.err.find("--model"), std::string::npos) << missing.err;
  // Library errors: one line each.
  expect_one_line_error(run_cli({"-q", "encode", "--model", t.file("nope.safetensors"), "--text", "x"}), "nope.safetensors");
  expect_one_line_error(run_cli(with_model({"-q", "encode", "--images", t.file("missing.png")})), "missing.png");
  expect_one_line_error(run_cli(with_model({"-q", "encode", "--text", "x", "--images", data_path("parity/images/gradient_rgb.png")})));
  expect_one_line_error(run_cli(with_model({"-q", "encode", "--text", "x", "-o", t.file("x.csv")})), "x.csv");
  expect_one_line_error(run_cli(with_model({"-q", "index", "build", "--image-dir", image_folder(t), "--shard", "2/2", "-o", t.file("g")})), "shard");
  expect_one_line_error(run_cli({"-q", "index", "info", t.file("none.gallery")}));
  expect_one_line_error(run_cli(with_model({"-q", "compose", "--image", "a.png", "--text", "x"})), "--phi");
  expect_one_line_error(run_cli(with_model({"-q", "--device", "cuda:7", "encode", "--text", "x"})));
}

TEST(Cli, EncodeImagesToNpyMatchesTheLibrary) {
  TempDir t;
  const std::string dir = image_folder(t);
  const CliResult r = run_cli(with_model({"encode", "--image-dir", dir, "-o", t.file("e.npy")}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  const Embeddings e = read_npy(t.file("e.npy"));
  ASSERT_EQ(e.rows(), int64_t(kImages.size()));
  // Rows in sorted relative-path order, encoded with LinCIR's (HF) preprocessing by default.
  const auto names = list_image_files(dir);
  for (size_t i = 0; i < names.size(); ++i) {
    const Embeddings ref = parity_model().encode_images({Image::load(dir + "/" + names[i])}, PreprocessMode::hf);
    EXPECT_LE(max_diff(e.middleRows(int64_t(i), 1), ref), 2e-5f) << names[i];
  }
  // openai preprocessing, explicit files, normalised, JSON on stdout.
  const std::string a = dir + "/" + kImages[0], b = dir + "/sub/" + kImages[1];
  const CliResult j = run_cli(with_model({"encode", "--images", a, b, "--preprocess", "openai", "--normalize"}));
  ASSERT_EQ(j.rc, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["kind"], "image");
  EXPECT_EQ(doc["count"], 2);
  EXPECT_EQ(doc["inputs"][1], b);
  const Embeddings ref = normalize(parity_model().encode_images({Image::load(a), Image::load(b)}, PreprocessMode::openai));
  EXPECT_LE(max_diff(json_matrix(doc["embeddings"]), ref), 2e-5f);
}

TEST(Cli, EncodeTextsMatchesTheLibrary) {
  TempDir t;
  const std::string txt = "a red car\n\nthe dog runs\r\n";
  write_bytes(t.file("t.txt"), std::vector<uint8_t>(txt.begin(), txt.end()));
  const CliResult r = run_cli(with_model({"encode", "--text", "a photo of a cat", "--text-file", t.file("t.txt"), "-o", t.file("t.json")}));
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto doc = read_json(t.file("t.json"));
  EXPECT_EQ(doc["inputs"], nlohmann::json({"a photo of a cat", "a red car", "the dog runs"}));
  const Embeddings ref = parity_model().encode_text({"a photo of a cat", "a red car", "the dog runs"});
  EXPECT_LE(max_diff(json_matrix(doc["embeddings"]), ref), 1e-5f);
  ASSERT_EQ(run_cli(with_model({"encode", "--text", "x", "-o", t.file("x.npy")})).rc, 0);
  EXPECT_LE(max_diff(read_npy(t.file("x.npy")), parity_model().encode_text({"x"})), 1e-5f);
}

TEST(Cli, IndexBuildInfoShardsMergeAndResume) {
  TempDir t;
  const std::string dir = image_folder(t);
  ASSERT_EQ(run_cli(with_model({"index", "build", "--image-dir", dir, "-o", t.file("all.gallery"), "--batch-size", "2"})).rc, 0);
  const Gallery all = Gallery::load(t.file("all.gallery"));
  ASSERT_EQ(all.size(), kImages.size());
  EXPECT_EQ(all.name(0), list_image_files(dir)[0]);
  EXPECT_EQ(all.metric(), GalleryMetric::cosine);

  const CliResult info = run_cli({"index", "info", t.file("all.gallery"), "--format", "json", "--names", "2"});
  ASSERT_EQ(info.rc, 0) << info.err;
  const auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["size"], kImages.size());
  EXPECT_EQ(j["dim"], 64);
  EXPECT_EQ(j["storage"], "float32");
  EXPECT_EQ(j["checksum"], "ok");
  EXPECT_EQ(j["entries"][1]["name"], all.name(1));
  const CliResult table = run_cli({"index", "info", t.file("all.gallery")});
  EXPECT_NE(table.out.find("checksum: ok"), std::string::npos) << table.out;

  // Shards built separately (one as float16), merged in reverse command-line order == the
  // whole build (float32, the first shard's storage).
  ASSERT_EQ(run_cli(with_model({"-q", "index", "build", "--image-dir", dir, "--shard", "0/2", "-o", t.file("s0.gallery")})).rc, 0);
  ASSERT_EQ(run_cli(with_model({"-q", "index", "build", "--image-dir", dir, "--shard", "1/2", "--storage", "float16",
                                "-o", t.file("s1.gallery")})).rc, 0);
  EXPECT_EQ(Gallery::load(t.file("s1.gallery")).storage(), GalleryStorage::float16);
  EXPECT_EQ(Gallery::load(t.file("s1.gallery")).ids(), (std::vector<int64_t>{3, 4, 5}));
  ASSERT_EQ(run_cli({"index", "merge", "-o", t.file("m.gallery"), t.file("s1.gallery"), t.file("s0.gallery")}).rc, 0);
  const Gallery m = Gallery::load(t.file("m.gallery"));
  EXPECT_EQ(m.ids(), all.ids());
  for (size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m.name(i), all.name(i));
  EXPECT_LE(max_diff(m.vectors(m.ids()), all.vectors(all.ids())), 2e-3f);  // float16 half
  EXPECT_LE(max_diff(m.vectors({0, 1, 2}), all.vectors({0, 1, 2})), 2e-5f);

  // A build stopped after 2 images (as a kill would) continues from its part file.
  const CliResult stopped = run_cli(with_model({"index", "build", "--image-dir", dir, "-o", t.file("r.gallery"),
                                                "--batch-size", "2", "--stop-after", "2"}));
  EXPECT_NE(stopped.rc, 0);
  EXPECT_TRUE(fs::exists(t.file("r.gallery.part")));
  EXPECT_FALSE(fs::exists(t.file("r.gallery")));
  const CliResult resumed = run_cli(with_model({"index", "build", "--image-dir", dir, "-o", t.file("r.gallery"), "--batch-size", "2"}));
  ASSERT_EQ(resumed.rc, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("2 of 6 images already encoded"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("4 encoded, 2 resumed"), std::string::npos) << resumed.err;
  const Gallery r = Gallery::load(t.file("r.gallery"));
  EXPECT_EQ(r.ids(), all.ids());
  EXPECT_LE(max_diff(r.vectors(r.ids()), all.vectors(all.ids())), 2e-5f);
  EXPECT_FALSE(fs::exists(t.file("r.gallery.part")));

  // A corrupted file fails its checksum.
  auto bytes = read_bytes(t.file("all.gallery"));
  bytes[bytes.size() / 2] ^= 0x40;
  write_bytes(t.file("bad.gallery"), bytes);
  expect_one_line_error(run_cli({"-q", "index", "info", t.file("bad.gallery")}));
}

TEST(Cli, SearchAndComposeMatchTheLibrary) {
  TempDir t;
  const std::string dir = image_folder(t);
  ASSERT_EQ(run_cli(with_model({"-q", "index", "build", "--image-dir", dir, "-o", t.file("g.gallery")})).rc, 0);
  const Gallery g = Gallery::load(t.file("g.gallery"));
  const std::string q1 = dir + "/" + kImages[0], q2 = dir + "/sub/" + kImages[3];

  // Image-only: each query image finds itself first.
  const CliResult io = run_cli(with_model({"search", "--gallery", t.file("g.gallery"), "--image", q1, "--image", q2,
                                           "--text", "ignored", "--method", "image-only", "--k", "3", "--format", "json"}));
  ASSERT_EQ(io.rc, 0) << io.err;
  const auto res = nlohmann::json::parse(io.out);
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0]["results"][0]["name"], kImages[0]);
  EXPECT_EQ(res[1]["results"][0]["name"], "sub/" + kImages[3]);
  EXPECT_NEAR(res[0]["results"][0]["score"].get<double>(), 1.0, 1e-4);
  EXPECT_EQ(res[0]["results"].size(), 3u);

  // LinCIR: the composer's query searched in the gallery.
  ComposerOptions co;
  co.preprocess = PreprocessMode::hf;
  const Composer comp(parity_model(), Projector::load(phi_path()), co);
  const Embeddings q = comp.compose({Reference::from_path(q1), Reference::from_path(q2)}, {"is red", "at night"},
                                    PromptTemplate{});
  const SearchResult expect = g.search(q, 4);
  const CliResult lc = run_cli(with_model({"search", "--phi", phi_path(), "--gallery", t.file("g.gallery"), "--image", q1,
                                           "--text", "is red", "--image", q2, "--text", "at night", "--k", "4", "--format", "json"}));
  ASSERT_EQ(lc.rc, 0) << lc.err;
  const auto lr = nlohmann::json::parse(lc.out);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      EXPECT_EQ(lr[i]["results"][j]["id"].get<int64_t>(), expect.ids(i, j));
      EXPECT_NEAR(lr[i]["results"][j]["score"].get<double>(), expect.scores(i, j), 1e-5);
    }
  const CliResult tab = run_cli(with_model({"search", "--phi", phi_path(), "--gallery", t.file("g.gallery"), "--image", q1,
                                            "--text", "is red", "--k", "2"}));
  ASSERT_EQ(tab.rc, 0) << tab.err;
  EXPECT_EQ(tab.out.rfind("query\trank\tscore\tid\tname\n", 0), 0u) << tab.out;
  EXPECT_NE(tab.out.find("0\t1\t"), std::string::npos);

  // compose -> .npy: the same query rows; a verbatim prompt with --template ''.
  ASSERT_EQ(run_cli(with_model({"compose", "--phi", phi_path(), "--image", q1, "--image", q2, "--text", "is red",
                                "--text", "at night", "-o", t.file("q.npy")})).rc, 0);
  EXPECT_LE(max_diff(read_npy(t.file("q.npy")), q), 2e-5f);
  const CliResult verb = run_cli(with_model({"compose", "--phi", phi_path(), "--image", q1, "--text", "$ in the snow",
                                             "--template", ""}));
  ASSERT_EQ(verb.rc, 0) << verb.err;
  const Embeddings qv = comp.compose({Reference::from_path(q1)}, {"$ in the snow"});
  EXPECT_LE(max_diff(json_matrix(nlohmann::json::parse(verb.out)["embeddings"]), qv), 2e-5f);
  // A gallery of another dimension is refused with a clear message.
  Gallery other(8);
  other.add(Embeddings::Ones(1, 8), {0});
  other.save(t.file("o.gallery"));
  expect_one_line_error(run_cli(with_model({"-q", "search", "--method", "image-only", "--gallery", t.file("o.gallery"),
                                            "--image", q1, "--text", "x"})), "dimension");
}

}  // namespace
}  // namespace lincir
