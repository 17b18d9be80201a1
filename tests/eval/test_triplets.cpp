// The generic triplet format (JSONL): parsing, path normalisation, galleries, errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "eval/eval_test_util.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using test::expect_error;
namespace fs = std::filesystem;

TEST(Triplets, ParsesLinesAndNormalisesPaths) {
  test::TempDir dir;
  fs::create_directories(dir.file("data/img"));
  test::write_text(dir.file("data/q.jsonl"),
                   "\xEF\xBB\xBF"  // a BOM is tolerated
                   R"({"reference": "img/r1.png", "modification": "make it red", "targets": ["img/t1.png"], "extra": 1})"
                   "\r\n\n   \n"
                   R"({"reference": "./img/r2.png", "modification": ["a", "b"], "targets": "img/../img/t2.png", "id": 77})"
                   "\n"
                   R"({"reference": "/abs/r3.png", "modification": "x", "targets": ["img/r1.png", "img/t1.png"], "id": "q3"})");
  const Benchmark b = Benchmark::triplets(dir.file("data/q.jsonl"));
  EXPECT_EQ(b.kind(), BenchmarkKind::triplets);
  ASSERT_EQ(b.queries().size(), 3u);
  // No gallery given: every image named, in order of first appearance.
  EXPECT_EQ(b.images(), (std::vector<std::string>{"img/r1.png", "img/t1.png", "img/r2.png",
                                                  "img/t2.png", "/abs/r3.png"}));
  EXPECT_EQ(b.gallery_size(), 5);
  EXPECT_EQ(b.queries()[0].id, "0");
  EXPECT_EQ(b.queries()[1].id, "77");
  EXPECT_EQ(b.queries()[2].id, "q3");
  EXPECT_EQ(b.queries()[1].texts, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(b.queries()[1].reference, 2);
  EXPECT_EQ(b.queries()[1].targets, (std::vector<int64_t>{3}));
  EXPECT_EQ(b.queries()[2].targets, (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(b.excludes_reference());
  // Paths: relative to the file's folder by default, or under another root; absolute kept.
  const std::string base = fs::absolute(dir.file("data")).lexically_normal().string();
  EXPECT_EQ(b.image_path("", 0), base + "/img/r1.png");
  EXPECT_EQ(b.image_path("/elsewhere", 0), "/elsewhere/img/r1.png");
  EXPECT_EQ(b.image_path("", 4), "/abs/r3.png");
  test::write_text(dir.file("data/img/r1.png"), "x");
  auto missing = b.missing_images("");
  EXPECT_EQ(missing.size(), 4u);
  expect_error([&] { b.check_images(""); }, Status::io, {"4 of 5 images not found", "img/t1.png"});
}

TEST(Triplets, GalleryFolderListAndPerLineGalleries) {
  test::TempDir dir;
  for (const char* f : {"g/b.jpg", "g/a.PNG", "g/sub/c.jpeg", "g/notes.txt"}) {
    fs::create_directories(fs::path(dir.file(f)).parent_path());
    test::write_text(dir.file(f), "x");
  }
  test::write_text(dir.file("q.jsonl"),
                   R"({"reference": "r.png", "modification": "m", "targets": ["g/b.jpg"]}
{"reference": "g/a.PNG", "modification": "m", "targets": ["t.png"], "gallery": ["x.png", "t.png", "x.png", "g/a.PNG"]}
)");
  TripletOptions o;
  o.gallery = dir.file("g");
  const Benchmark b = Benchmark::triplets(dir.file("q.jsonl"), o);
  // Folder gallery: image files only, sorted; then the other images.
  EXPECT_EQ(b.gallery_size(), 3);
  EXPECT_EQ(b.images(), (std::vector<std::string>{"g/a.PNG", "g/b.jpg", "g/sub/c.jpeg", "r.png",
                                                  "t.png", "x.png"}));
  // Per-line gallery: deduplicated, in order; the reference is not a candidate.
  EXPECT_EQ(b.queries()[1].gallery, (std::vector<int64_t>{5, 4, 0}));
  const Rankings top = rank_scores(b, Embeddings::Zero(2, 6), 10);
  EXPECT_EQ(top[0], (Ranking{0, 1, 2}));  // shared gallery
  EXPECT_EQ(top[1], (Ranking{5, 4}));     // x, t (a is the reference)

  // A list file: paths relative to the list's folder.
  fs::create_directories(dir.file("lists"));
  test::write_text(dir.file("lists/gallery.txt"), "# gallery\n../g/b.jpg\n\n../t.png\n");
  o.gallery = dir.file("lists/gallery.txt");
  test::write_text(dir.file("q2.jsonl"), R"({"reference": "r.png", "modification": "m", "targets": ["g/b.jpg"]})");
  const Benchmark b2 = Benchmark::triplets(dir.file("q2.jsonl"), o);
  EXPECT_EQ(b2.images(), (std::vector<std::string>{"g/b.jpg", "t.png", "r.png"}));
  EXPECT_EQ(b2.gallery_size(), 2);
  // The reference r.png is outside the gallery: the score matrix needs all images' columns or
  // just the gallery's.
  EXPECT_EQ(rank_scores(b2, Embeddings::Zero(1, 2), 5)[0], (Ranking{0, 1}));
  EXPECT_EQ(rank_scores(b2, Embeddings::Zero(1, 3), 5)[0], (Ranking{0, 1}));

  // Programmatic gallery through BenchmarkSpec.
  BenchmarkSpec spec;
  spec.kind = BenchmarkKind::triplets;
  spec.annotations = dir.file("q2.jsonl");
  spec.gallery = dir.file("lists/gallery.txt");
  spec.keep_reference = true;
  EXPECT_FALSE(Benchmark::load(spec).excludes_reference());
}

TEST(Triplets, Errors) {
  test::TempDir dir;
  struct Case {
    const char* text;
    std::vector<std::string> needles;
  } const cases[] = {
      {"", {"no queries"}},
      {"{\"reference\": \"a\"", {"q.jsonl:1", "invalid JSON"}},
      {"[1]", {"q.jsonl:1", "expected a JSON object"}},
      {"\n{\"modification\": \"m\", \"targets\": [\"t\"]}", {"q.jsonl:2", "\"reference\""}},
      {R"({"reference": "a", "targets": ["t"]})", {"missing \"modification\""}},
      {R"({"reference": "a", "modification": 3, "targets": ["t"]})", {"\"modification\" must be"}},
      {R"({"reference": "a", "modification": [], "targets": ["t"]})", {"\"modification\" is empty"}},
      {R"({"reference": "a", "modification": "m"})", {"missing \"targets\""}},
      {R"({"reference": "a", "modification": "m", "targets": []})", {"\"targets\" is empty"}},
      {R"({"reference": "a", "modification": "m", "targets": ["t", 1]})", {"\"targets\" must hold strings"}},
      {R"({"reference": "a", "modification": "m", "targets": ["t", "./t"]})", {"duplicate target"}},
      {R"({"reference": "a", "modification": "m", "targets": ["a"]})", {"is the reference"}},
      {R"({"reference": "a", "modification": "m", "targets": ["t"], "id": 1.5})", {"\"id\" must be"}},
      {"{\"reference\": \"a\", \"modification\": \"m\", \"targets\": [\"t\"], \"id\": 1}\n"
       "{\"reference\": \"a\", \"modification\": \"m\", \"targets\": [\"t\"], \"id\": 1}",
       {"q.jsonl:2", "duplicate query id \"1\""}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    test::write_text(dir.file("q.jsonl"), c.text);
    expect_error([&] { Benchmark::triplets(dir.file("q.jsonl")); }, Status::format, c.needles);
  }
  // A target outside an explicit gallery can never be retrieved.
  test::write_text(dir.file("q.jsonl"), R"({"reference": "a", "modification": "m", "targets": ["t"]})");
  TripletOptions o;
  o.gallery_images = {"a", "b"};
  expect_error([&] { Benchmark::triplets(dir.file("q.jsonl"), o); }, Status::format,
               {"q.jsonl:1", "target \"t\" is not in the gallery"});
  expect_error([&] { Benchmark::triplets(dir.file("missing.jsonl")); }, Status::io, {"missing.jsonl"});
  o.gallery_images.clear();
  o.gallery = dir.file("empty.txt");
  test::write_text(dir.file("empty.txt"), "\n# nothing\n");
  expect_error([&] { Benchmark::triplets(dir.file("q.jsonl"), o); }, Status::invalid_argument, {"names no images"});
}

}  // namespace
}  // namespace lincir
