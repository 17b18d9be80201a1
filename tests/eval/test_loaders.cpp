// Loaders on the real annotation files: the counts documented in the benchmarks README, the
// protocol flags, the documented quirks, and Error(format) for malformed files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "eval/eval_test_util.hpp"
#include "lincir/benchmarks.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using test::bench_dir;
using test::expect_error;

std::set<int64_t> distinct_references(const Benchmark& b) {
  std::set<int64_t> s;
  for (const auto& q : b.queries()) s.insert(q.reference);
  return s;
}

TEST(FashionIQ, ValCountsMatchTheReadme) {
  struct E {
    const char* cat;
    size_t queries, gallery, refs, used;
  } const expected[] = {{"dress", 2017, 3817, 1331, 2628},
                        {"shirt", 2038, 6346, 1541, 3089},
                        {"toptee", 1961, 5373, 1454, 2902}};
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& e : expected) {
    const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), e.cat, "val");
    EXPECT_EQ(b.kind(), BenchmarkKind::fashioniq);
    EXPECT_EQ(b.queries().size(), e.queries);
    EXPECT_EQ(size_t(b.gallery_size()), e.gallery);
    EXPECT_EQ(b.images().size(), e.gallery);  // every reference and target is in the split
    EXPECT_EQ(distinct_references(b).size(), e.refs);
    std::set<int64_t> used;
    for (const auto& q : b.queries()) {
      ASSERT_EQ(q.texts.size(), 2u);
      ASSERT_EQ(q.targets.size(), 1u);
      EXPECT_NE(q.targets[0], q.reference);
      EXPECT_TRUE(q.gallery.empty());
      used.insert(q.reference);
      used.insert(q.targets[0]);
    }
    EXPECT_EQ(used.size(), e.used);
    EXPECT_TRUE(b.has_targets());
    EXPECT_FALSE(b.excludes_reference());
    total += b.queries().size();
    all.insert(b.images().begin(), b.images().end());
  }
  EXPECT_EQ(total, 6016u);
  EXPECT_EQ(all.size(), 15415u);  // shirt and toptee share 121 images
}

TEST(FashionIQ, QueriesKeepFileOrderAndRawCaptions) {
  const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), "dress", "val");
  const auto& q0 = b.queries()[0];
  EXPECT_EQ(q0.id, "0");
  EXPECT_EQ(b.images()[size_t(q0.reference)], "B005X4PL1G");
  EXPECT_EQ(b.images()[size_t(q0.targets[0])], "B0084Y8XIU");
  EXPECT_EQ(q0.texts[0], "is shiny and silver with shorter sleeves");
  EXPECT_EQ(q0.texts[1], "fit and flare");
  EXPECT_EQ(b.images()[0], "B009PMCJLW");  // split file order = gallery order
  EXPECT_EQ(b.index_of("B0084Y8XIU"), 1);
  EXPECT_EQ(b.index_of("nope"), -1);
  EXPECT_EQ(b.description(), "FashionIQ dress val");
  // Uncleaned captions are kept as they are: shirt val element 1928 has an empty caption.
  const Benchmark s = Benchmark::fashioniq(bench_dir("fashioniq"), "shirt", "val");
  const auto& t = s.queries()[1928].texts;
  EXPECT_TRUE(t[0].empty() || t[1].empty());
}

TEST(FashionIQ, CaptionPairAsLinCIR) {
  BenchmarkQuery q;
  q.texts = {" is shiny and silver.", "fit and flare?, "};
  const auto p = fashioniq_caption_pair(q);
  EXPECT_EQ(p[0], "is shiny and silver and fit and flare");
  EXPECT_EQ(p[1], "fit and flare and is shiny and silver");
  q.texts = {"", "...dark\t"};  // Python strip(".?, ") keeps the tab
  EXPECT_EQ(fashioniq_caption_pair(q)[0], " and dark\t");
  q.texts = {"one"};
  expect_error([&] { fashioniq_caption_pair(q); }, Status::invalid_argument, {"2 captions"});
}

TEST(FashionIQ, TestSplitHasNoTargetsAndKeepsDuplicates) {
  const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), "dress", "test");
  EXPECT_EQ(b.queries().size(), 2024u);
  EXPECT_EQ(b.gallery_size(), 3818);
  EXPECT_EQ(distinct_references(b).size(), 1356u);
  EXPECT_FALSE(b.has_targets());
  // Elements 167 and 862 are exact duplicates: both count as queries.
  EXPECT_EQ(b.queries()[167].reference, b.queries()[862].reference);
  EXPECT_EQ(b.queries()[167].texts, b.queries()[862].texts);
  const Embeddings zeros = Embeddings::Zero(int64_t(b.queries().size()), b.gallery_size());
  expect_error([&] { evaluate(b, zeros); }, Status::invalid_argument, {"no public ground truths"});
}

TEST(FashionIQ, BadArguments) {
  expect_error([] { Benchmark::fashioniq(bench_dir("fashioniq"), "shoes", "val"); },
               Status::invalid_argument, {"category", "shoes"});
  expect_error([] { Benchmark::fashioniq(bench_dir("fashioniq"), "dress", "dev"); },
               Status::invalid_argument, {"split", "dev"});
  expect_error([] { Benchmark::fashioniq(bench_dir("fashioniq"), "shirt", "test"); }, Status::io,
               {"split.shirt.test.json"});
}

TEST(Cirr, ValAndTest1CountsMatchTheReadme) {
  const Benchmark v = Benchmark::cirr(bench_dir("cirr"), "val");
  EXPECT_EQ(v.queries().size(), 4181u);
  EXPECT_EQ(v.gallery_size(), 2297);
  EXPECT_EQ(v.images().size(), 2297u);
  EXPECT_EQ(distinct_references(v).size(), 2165u);
  EXPECT_TRUE(v.has_targets());
  EXPECT_TRUE(v.excludes_reference());
  EXPECT_TRUE(v.has_subsets());
  std::set<int64_t> members;
  for (const auto& q : v.queries()) {
    ASSERT_EQ(q.subset.size(), 6u);
    ASSERT_EQ(q.targets.size(), 1u);
    ASSERT_EQ(q.texts.size(), 1u);
    members.insert(q.subset.begin(), q.subset.end());
  }
  EXPECT_EQ(members.size(), 2297u);  // the union of the members is the split
  const auto& q0 = v.queries()[0];
  EXPECT_EQ(q0.id, "12060");
  EXPECT_EQ(v.images()[size_t(q0.reference)], "dev-244-0-img0");
  EXPECT_EQ(v.images()[size_t(q0.targets[0])], "dev-1028-1-img1");
  EXPECT_EQ(q0.texts[0], "show three bottles of soft drink");

  const Benchmark t = Benchmark::cirr(bench_dir("cirr"), "test1");
  EXPECT_EQ(t.queries().size(), 4148u);
  EXPECT_EQ(t.gallery_size(), 2315);
  EXPECT_EQ(distinct_references(t).size(), 2178u);
  EXPECT_FALSE(t.has_targets());
  EXPECT_EQ(t.queries()[0].id, "12063");
}

TEST(Cirr, GalleryFollowsSplitKeyOrderNotSortedOrder) {
  const Benchmark v = Benchmark::cirr(bench_dir("cirr"), "val");
  const auto keys = test::read_text(bench_dir("cirr/image_splits/split.rc2.val.json"));
  // The first key of the file is the first gallery image; the next one follows it in the file.
  const std::string first = v.images()[0], second = v.images()[1];
  EXPECT_EQ(keys.find("\"" + first + "\""), 1u);
  EXPECT_LT(keys.find("\"" + first + "\""), keys.find("\"" + second + "\""));
  EXPECT_FALSE(std::is_sorted(v.images().begin(), v.images().end()));
}

TEST(Circo, CountsMatchTheReadme) {
  // Gallery: every id either split mentions (the real one is COCO unlabeled2017).
  std::set<std::string> ids;
  for (const char* s : {"val", "test"}) {
    const auto ann = test::read_json(bench_dir(std::string("circo/annotations/") + s + ".json"));
    for (const auto& q : ann) {
      ids.insert(std::to_string(q["reference_img_id"].get<int64_t>()));
      if (q.contains("gt_img_ids"))
        for (const auto& g : q["gt_img_ids"]) ids.insert(std::to_string(g.get<int64_t>()));
    }
  }
  const std::vector<std::string> gallery(ids.begin(), ids.end());
  const Benchmark v = Benchmark::circo(bench_dir("circo"), "val", gallery);
  EXPECT_EQ(v.queries().size(), 220u);
  EXPECT_EQ(distinct_references(v).size(), 220u);
  EXPECT_FALSE(v.excludes_reference());
  size_t gts = 0, max_gts = 0, min_gts = 100;
  std::map<std::string, int> aspects;
  for (const auto& q : v.queries()) {
    gts += q.targets.size();
    max_gts = std::max(max_gts, q.targets.size());
    min_gts = std::min(min_gts, q.targets.size());
    EXPECT_FALSE(q.shared_concept.empty());
    for (const auto& a : q.aspects) ++aspects[a];
  }
  EXPECT_EQ(gts, 916u);
  EXPECT_EQ(min_gts, 1u);
  EXPECT_EQ(max_gts, 14u);
  EXPECT_EQ(aspects.size(), 9u);
  EXPECT_EQ(aspects["statement_with_conjunction"], 164);
  EXPECT_EQ(aspects["viewpoint"], 54);
  const auto& q0 = v.queries()[0];
  EXPECT_EQ(v.images()[size_t(q0.reference)], "271520");
  EXPECT_EQ(v.images()[size_t(q0.targets[0])], "355099");  // target_img_id first
  EXPECT_EQ(q0.targets.size(), 3u);
  EXPECT_EQ(q0.shared_concept, "a girl with a traditional Chinese umbrella");

  const Benchmark t = Benchmark::circo(bench_dir("circo"), "test", gallery);
  EXPECT_EQ(t.queries().size(), 800u);
  EXPECT_EQ(distinct_references(t).size(), 798u);
  EXPECT_FALSE(t.has_targets());
}

TEST(Circo, GalleryMustHoldReferencesAndGroundTruths) {
  expect_error([] { Benchmark::circo(bench_dir("circo"), "val", std::vector<std::string>{"271520"}); },
               Status::invalid_argument, {"not in the gallery", "355099"});
  expect_error([] { Benchmark::circo(bench_dir("circo"), "val", std::vector<std::string>{"12a"}); },
               Status::invalid_argument, {"12a", "not a COCO image id"});
  expect_error([] { Benchmark::circo(bench_dir("circo"), "val", std::string()); },
               Status::invalid_argument, {"image_info_unlabeled2017.json"});
}

// A COCO image-info file in the real layout (the 123K-image original is not redistributed here).
std::string coco_info(const std::vector<int64_t>& ids) {
  std::string s =
      "{\"info\": {\"description\": \"COCO 2017 Dataset\", \"year\": 2017},\n"
      " \"licenses\": [{\"url\": \"http://creativecommons.org/licenses/by-nc-sa/2.0/\", \"id\": 1, "
      "\"name\": \"Attribution-NonCommercial-ShareAlike License\"}],\n \"images\": [";
  char buf[512];
  for (size_t i = 0; i < ids.size(); ++i) {
    std::snprintf(buf, sizeof buf,
                  "%s{\"license\": 4, \"file_name\": \"%012lld.jpg\", \"coco_url\": "
                  "\"http://images.cocodataset.org/unlabeled2017/%012lld.jpg\", \"height\": 480, "
                  "\"width\": 640, \"date_captured\": \"2013-11-14 11:18:45\", \"flickr_url\": "
                  "\"http://farm9.staticflickr.com/8186/8119368305_4e622c8349_z.jpg\", \"id\": %lld}",
                  i ? ",\n" : "", (long long)ids[i], (long long)ids[i], (long long)ids[i]);
    s += buf;
  }
  return s + "],\n \"categories\": [{\"supercategory\": \"person\", \"id\": 1, \"name\": \"person\"}]}";
}

std::vector<int64_t> circo_val_image_ids() {
  std::set<int64_t> ids;
  for (const auto& q : test::read_json(bench_dir("circo/annotations/val.json"))) {
    ids.insert(q["reference_img_id"].get<int64_t>());
    for (const auto& g : q["gt_img_ids"]) ids.insert(g.get<int64_t>());
  }
  return {ids.rbegin(), ids.rend()};  // descending: the file's order must be kept
}

TEST(Circo, GalleryFromCocoImageInfoFile) {
  test::TempDir dir;
  auto ids = circo_val_image_ids();
  ids.push_back(99);  // an image no query uses
  test::write_text(dir.file("image_info_unlabeled2017.json"), coco_info(ids));
  const Benchmark b = Benchmark::circo(bench_dir("circo"), "val", dir.file("image_info_unlabeled2017.json"));
  ASSERT_EQ(size_t(b.gallery_size()), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(b.images()[i], std::to_string(ids[i]));
  EXPECT_EQ(b.image_path("/coco", b.index_of("99")), "/coco/000000000099.jpg");

  // Malformed COCO files name the file and the problem.
  test::write_text(dir.file("a.json"), "{\"images\": [{\"file_name\": \"x.jpg\"}]}");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("a.json")); },
               Status::format, {"a.json", "without an \"id\""});
  test::write_text(dir.file("b.json"), "{\"annotations\": []}");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("b.json")); },
               Status::format, {"b.json", "no \"images\" array"});
  test::write_text(dir.file("c.json"), "{\"images\": [{\"id\": 1}, {\"id\": 1}]}");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("c.json")); },
               Status::format, {"c.json", "duplicate id 1"});
  test::write_text(dir.file("d.json"), "{\"images\": [{\"id\": 1, \"file_name\": \"../../etc/passwd\"}]}");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("d.json")); },
               Status::format, {"d.json", "unsafe file_name"});
  test::write_text(dir.file("e.json"), "{\"images\": [{\"id\": 1}, ");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("e.json")); },
               Status::format, {"e.json", "invalid JSON"});
  test::write_text(dir.file("f.json"), "{\"images\": [{\"id\": \"7\"}]}");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("f.json")); },
               Status::format, {"f.json", "not an integer"});
  test::write_text(dir.file("g.json"), "{\"images\": [5]}");
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("g.json")); },
               Status::format, {"g.json", "not an object"});
  expect_error([&] { Benchmark::circo(bench_dir("circo"), "val", dir.file("none.json")); },
               Status::io, {"none.json"});
}

TEST(Circo, GalleryFromImageFolderSortedById) {
  // The first 12 val queries (real entries) keep the folder small.
  test::TempDir dir;
  const auto all = test::read_json(bench_dir("circo/annotations/val.json"));
  const nlohmann::json part(all.begin(), all.begin() + 12);
  std::filesystem::create_directories(dir.file("circo/annotations"));
  test::write_text(dir.file("circo/annotations/val.json"), part.dump(4));
  std::set<int64_t> ids;
  for (const auto& q : part) {
    ids.insert(q["reference_img_id"].get<int64_t>());
    for (const auto& g : q["gt_img_ids"]) ids.insert(g.get<int64_t>());
  }
  std::filesystem::create_directories(dir.file("unlabeled2017"));
  char buf[32];
  for (int64_t id : ids) {
    std::snprintf(buf, sizeof buf, "unlabeled2017/%012lld.jpg", (long long)id);
    test::write_text(dir.file(buf), "");
  }
  test::write_text(dir.file("unlabeled2017/readme.txt"), "");        // not an image: ignored
  test::write_text(dir.file("unlabeled2017/000000000001.png"), "");  // not COCO's naming: ignored
  const Benchmark b = Benchmark::circo(dir.file("circo"), "val", dir.file("unlabeled2017"));
  EXPECT_EQ(b.queries().size(), 12u);
  ASSERT_EQ(size_t(b.gallery_size()), ids.size());
  EXPECT_EQ(b.images().front(), std::to_string(*ids.begin()));  // ascending ids
  EXPECT_TRUE(std::is_sorted(b.images().begin(), b.images().end(), [](const auto& x, const auto& y) {
    return std::stoll(x) < std::stoll(y);
  }));
  // The root may be the folder itself or the COCO root above it.
  EXPECT_NO_THROW(b.check_images(dir.file("unlabeled2017")));
  EXPECT_NO_THROW(b.check_images(dir.path()));

  // A folder missing a ground truth cannot hold the benchmark's gallery.
  std::filesystem::remove(dir.file("unlabeled2017/000000355099.jpg"));
  expect_error([&] { Benchmark::circo(dir.file("circo"), "val", dir.file("unlabeled2017")); },
               Status::invalid_argument, {"1 reference/ground-truth images are not in the gallery", "355099"});
}

TEST(GeneCIS, ObjectTasksWithPerQueryGalleries) {
  for (const char* task : {"change_object", "focus_object"}) {
    const Benchmark b = Benchmark::genecis(bench_dir(std::string("genecis/") + task + ".json"));
    EXPECT_EQ(b.subset(), task);
    EXPECT_EQ(b.queries().size(), 40u);  // reduced copy: the first 40 of 1,960 queries
    EXPECT_EQ(b.gallery_size(), 0);
    EXPECT_FALSE(b.excludes_reference());
    for (const auto& q : b.queries()) {
      ASSERT_EQ(q.targets.size(), 1u);
      ASSERT_EQ(q.texts.size(), 1u);
      EXPECT_EQ(q.gallery.back(), q.targets[0]);  // distractors, then the target
      EXPECT_EQ(std::count(q.gallery.begin(), q.gallery.end(), q.reference), 0);
      const size_t expected = std::string(task) == "change_object" && q.id == "19" ? 14u : 15u;
      EXPECT_EQ(q.gallery.size(), expected) << task << " query " << q.id;
    }
  }
  const Benchmark b = Benchmark::genecis(bench_dir("genecis/change_object.json"));
  const auto& q0 = b.queries()[0];
  EXPECT_EQ(q0.texts[0], "wall");
  EXPECT_EQ(b.images()[size_t(q0.reference)], "189213");
  EXPECT_EQ(b.images()[size_t(q0.targets[0])], "153527");
  EXPECT_EQ(b.images()[size_t(q0.gallery[0])], "121506");
  EXPECT_EQ(b.image_path("/coco/val2017", q0.reference), "/coco/val2017/000000189213.jpg");

  BenchmarkSpec spec;
  spec.kind = BenchmarkKind::genecis;
  spec.annotations = bench_dir("genecis");
  spec.subset = "focus_object";
  EXPECT_EQ(Benchmark::load(spec).subset(), "focus_object");
}

TEST(GeneCIS, AttributeTasksAreUnsupported) {
  test::TempDir dir;
  test::write_text(dir.file("change_attribute.json"),
                   R"([{"reference": {"image_id": 1, "instance_bbox": [1, 2, 3, 4]},
                        "target": {"image_id": 2, "instance_bbox": [1, 2, 3, 4]},
                        "condition": "red", "gallery": []}])");
  expect_error([&] { Benchmark::genecis(dir.file("change_attribute.json")); }, Status::unsupported,
               {"change_attribute.json", "Visual Genome"});
}

// Each malformed variant of a real annotation file gives Error(format) naming the file and the
// problem. The other files of the benchmark are copied unchanged.
struct Broken {
  const char* name;
  const char* file;     // relative to the benchmark folder, overwritten with `content`
  const char* content;
  std::vector<std::string> needles;
};

void run_broken(const std::string& bench, const std::vector<std::string>& files,
                const std::vector<Broken>& cases,
                const std::function<void(const std::string& dir)>& load) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    test::TempDir dir;
    for (const auto& f : files) {
      std::filesystem::create_directories(std::filesystem::path(dir.file(f)).parent_path());
      test::write_text(dir.file(f), test::read_text(bench_dir(bench + "/" + f)));
    }
    test::write_text(dir.file(c.file), c.content);
    std::vector<std::string> needles = c.needles;
    needles.push_back(std::filesystem::path(c.file).filename().string());
    expect_error([&] { load(dir.path()); }, Status::format, needles);
  }
}

TEST(Malformed, FashionIQ) {
  const char* caps = "captions/cap.dress.val.json";
  const char* split = "image_splits/split.dress.val.json";
  run_broken("fashioniq", {caps, split},
             {
                 {"not json", caps, "[{\"target\": ", {"invalid JSON"}},
                 {"not array", caps, "{}", {"expected an array"}},
                 {"empty", caps, "[]", {"no queries"}},
                 {"no candidate", caps, R"([{"target": "B0084Y8XIU", "captions": ["a", "b"]}])",
                  {"element 0", "missing field \"candidate\""}},
                 {"bad type", caps, R"([{"target": "B0084Y8XIU", "candidate": 5, "captions": ["a", "b"]}])",
                  {"element 0", "\"candidate\"", "expected a string, found an integer"}},
                 {"3 captions", caps,
                  R"([{"target": "B0084Y8XIU", "candidate": "B005X4PL1G", "captions": ["a", "b", "c"]}])",
                  {"expected 2 captions"}},
                 {"caption not string", caps,
                  R"([{"target": "B0084Y8XIU", "candidate": "B005X4PL1G", "captions": ["a", 1]}])",
                  {"\"captions\"[1]", "expected a string"}},
                 {"unknown target", caps,
                  R"([{"target": "B000000000", "candidate": "B005X4PL1G", "captions": ["a", "b"]}])",
                  {"target \"B000000000\" is not in"}},
                 {"mixed targets", caps,
                  R"([{"target": "B0084Y8XIU", "candidate": "B005X4PL1G", "captions": ["a", "b"]},
                      {"candidate": "B005X4PL1G", "captions": ["a", "b"]}])",
                  {"1 of 2 queries have targets"}},
                 {"dup split", split, R"(["B0084Y8XIU", "B0084Y8XIU"])", {"element 1", "duplicate image"}},
                 {"bad id", split, R"(["../x"])", {"invalid image id"}},
                 {"split not array", split, R"({"a": 1})", {"expected an array"}},
             },
             [](const std::string& d) { Benchmark::fashioniq(d, "dress", "val"); });
}

TEST(Malformed, Cirr) {
  const char* caps = "captions/cap.rc2.val.json";
  const char* split = "image_splits/split.rc2.val.json";
  const std::string ok_members = R"("img_set": {"id": 1, "members": ["dev-244-0-img0", "dev-1028-1-img1"]})";
  auto q = [&](const std::string& fields) { return "[{" + fields + "}]"; };
  const std::string good = R"("pairid": 1, "reference": "dev-244-0-img0", "target_hard": "dev-1028-1-img1", "caption": "x", )";
  const std::string c1 = q(R"("reference": "dev-244-0-img0", "caption": "x", )" + ok_members);
  const std::string c2 = q(R"("pairid": 1, "reference": "dev-0-0-img9", "caption": "x", )" + ok_members);
  const std::string c3 = q(good + R"("img_set": {"id": 1, "members": ["dev-1028-1-img1"]})");
  const std::string c4 = q(good + R"("img_set": {"id": 1, "members": "dev-244-0-img0"})");
  const std::string c5 = "[{" + good + ok_members + "}, {" + good + ok_members + "}]";
  const std::string c6 = q(good + R"("img_set": {"id": 1, "members": ["dev-244-0-img0", "dev-244-0-img0", "dev-1028-1-img1"]})");
  const std::string c7 = q(R"("pairid": 1.5, "reference": "dev-244-0-img0", "caption": "x", )" + ok_members);
  run_broken("cirr", {caps, split},
             {
                 {"no pairid", caps, c1.c_str(), {"element 0", "missing field \"pairid\""}},
                 {"unknown reference", caps, c2.c_str(), {"reference \"dev-0-0-img9\" is not in"}},
                 {"reference not a member", caps, c3.c_str(), {"reference is not among the group members"}},
                 {"members not array", caps, c4.c_str(), {"\"members\"", "expected an array"}},
                 {"duplicate pairid", caps, c5.c_str(), {"element 1", "duplicate pairid 1"}},
                 {"duplicate member", caps, c6.c_str(), {"duplicate group member"}},
                 {"float pairid", caps, c7.c_str(), {"\"pairid\"", "expected an integer"}},
                 {"split dup key", split, R"({"a": "./dev/a.png", "a": "./dev/b.png"})", {"duplicate key \"a\""}},
                 {"split unsafe path", split, R"({"a": "../../etc/passwd"})", {"unsafe"}},
                 {"split absolute path", split, R"({"a": "/etc/passwd"})", {"unsafe"}},
                 {"split not object", split, R"(["a"])", {"expected a JSON object"}},
                 {"split value", split, R"({"a": 3})", {"key \"a\"", "expected a string"}},
             },
             [](const std::string& d) { Benchmark::cirr(d, "val"); });
}

TEST(Malformed, Circo) {
  const char* ann = "annotations/val.json";
  const std::vector<std::string> gallery = {"1", "2", "3"};
  run_broken("circo", {ann},
             {
                 {"id not index", ann, R"([{"id": 3, "reference_img_id": 1, "relative_caption": "x"}])",
                  {"element 0", "\"id\" is 3, expected 0"}},
                 {"negative image", ann, R"([{"id": 0, "reference_img_id": -1, "relative_caption": "x"}])",
                  {"negative image id"}},
                 {"gt not array", ann,
                  R"([{"id": 0, "reference_img_id": 1, "relative_caption": "x", "target_img_id": 2, "gt_img_ids": 2}])",
                  {"\"gt_img_ids\"", "expected an array"}},
                 {"target not in gts", ann,
                  R"([{"id": 0, "reference_img_id": 1, "relative_caption": "x", "target_img_id": 2, "gt_img_ids": [3]}])",
                  {"target_img_id is not among gt_img_ids"}},
                 {"duplicate gt", ann,
                  R"([{"id": 0, "reference_img_id": 1, "relative_caption": "x", "target_img_id": 2, "gt_img_ids": [2, 2]}])",
                  {"duplicate ground truth 2"}},
                 {"no caption", ann, R"([{"id": 0, "reference_img_id": 1}])", {"missing field \"relative_caption\""}},
                 {"aspects", ann,
                  R"([{"id": 0, "reference_img_id": 1, "relative_caption": "x", "semantic_aspects": [1]}])",
                  {"\"semantic_aspects\"[0]", "expected a string"}},
             },
             [&](const std::string& d) { Benchmark::circo(d, "val", gallery); });
}

TEST(Malformed, GeneCIS) {
  run_broken("genecis", {"change_object.json"},
             {
                 {"no gallery", "change_object.json",
                  R"([{"reference": {"val_image_id": 1}, "target": {"val_image_id": 2}, "condition": "x"}])",
                  {"element 0", "missing field \"gallery\""}},
                 {"empty gallery", "change_object.json",
                  R"([{"reference": {"val_image_id": 1}, "target": {"val_image_id": 2}, "condition": "x", "gallery": []}])",
                  {"empty gallery"}},
                 {"bad image", "change_object.json",
                  R"([{"reference": {"val_image_id": "1"}, "target": {"val_image_id": 2}, "condition": "x", "gallery": [{"val_image_id": 3}]}])",
                  {"\"reference\"", "expected an integer, found string"}},
                 {"image not object", "change_object.json",
                  R"([{"reference": 1, "target": {"val_image_id": 2}, "condition": "x", "gallery": [{"val_image_id": 3}]}])",
                  {"\"reference\"", "expected an object"}},
             },
             [](const std::string& d) { Benchmark::genecis(d + "/change_object.json"); });
}

}  // namespace
}  // namespace lincir
