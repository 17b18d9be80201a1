// Writers: generic triplet JSONL, gallery list, captions file, images that decode to the
// rendered pixels, atomic/fresh-folder behaviour.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lincir/synth.hpp"
#include "support/test_support.hpp"

namespace lincir::synth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

std::vector<uint8_t> decode_rgb(const std::string& path) {
  int w = 0, h = 0, c = 0;
  uint8_t* p = stbi_load(path.c_str(), &w, &h, &c, 3);
  if (!p) return {};
  std::vector<uint8_t> v(p, p + size_t(w) * h * 3);
  stbi_image_free(p);
  return v;
}

TEST(SynthWriter, CirSetInTheGenericTripletFormat) {
  CirOptions o;
  o.num_queries = 12;
  o.include_single_object_scenes = false;
  o.num_distractors = 5;
  const CirSet set = make_cir_set(World::standard(), o);
  test::TempDir tmp;
  const std::string dir = tmp.file("cir");
  write_cir_set(set, dir);

  const std::vector<std::string> gallery = lines_of(dir + "/gallery.txt");
  ASSERT_EQ(gallery.size(), set.gallery.size());
  for (size_t i = 0; i < gallery.size(); ++i) {
    ASSERT_TRUE(fs::exists(dir + "/" + gallery[i])) << gallery[i];
    EXPECT_EQ(gallery[i].rfind("images/", 0), 0u);
  }
  // Images decode to exactly the rendered pixels (spot-check).
  for (size_t i : {size_t(0), gallery.size() / 2, gallery.size() - 1})
    EXPECT_EQ(decode_rgb(dir + "/" + gallery[i]),
              render(set.gallery[i].scene, set.gallery[i].render_seed).pixels);

  const std::vector<std::string> queries = lines_of(dir + "/queries.jsonl");
  const std::vector<std::string> meta = lines_of(dir + "/queries_meta.jsonl");
  ASSERT_EQ(queries.size(), set.queries.size());
  ASSERT_EQ(meta.size(), set.queries.size());
  const std::set<std::string> gallery_set(gallery.begin(), gallery.end());
  for (size_t q = 0; q < queries.size(); ++q) {
    const json j = json::parse(queries[q]);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j.size(), 3u) << queries[q];
    ASSERT_TRUE(j.at("reference").is_string());
    ASSERT_TRUE(j.at("modification").is_string());
    ASSERT_TRUE(j.at("targets").is_array());
    ASSERT_EQ(j.at("targets").size(), 1u);
    const std::string ref = j["reference"], tgt = j["targets"][0];
    EXPECT_TRUE(gallery_set.count(ref));  // the reference is a gallery image (CIRR style)
    EXPECT_TRUE(gallery_set.count(tgt));
    EXPECT_EQ(j["modification"], set.queries[q].modification.text.text);
    const json m = json::parse(meta[q]);
    EXPECT_EQ(m.at("target_scene"), set.queries[q].target.key());
    EXPECT_EQ(m.at("reference_scene"), set.queries[q].reference.key());
    EXPECT_EQ(m.at("heldout_combo"), set.queries[q].heldout_combo);
    EXPECT_EQ(tgt, gallery[size_t(set.target_index[q])]);
  }
  const json metaj = json::parse(test::read_bytes(dir + "/meta.json"));
  EXPECT_EQ(metaj.at("num_gallery"), set.gallery.size());
  EXPECT_EQ(metaj.at("world").at("heldout_combos").size(), 5u);
  EXPECT_FALSE(metaj.at("heldout_phrasings").empty());
  EXPECT_EQ(lines_of(dir + "/scenes.jsonl").size(), set.gallery.size());
  // Nothing but the promised files: no staging folders or temporary files left behind.
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"gallery.txt", "images", "meta.json", "queries.jsonl",
                                          "queries_meta.jsonl", "scenes.jsonl"}));

  // A second write refuses to clobber, unless asked to.
  EXPECT_THROW(write_cir_set(set, dir), Error);
  o.seed = 99;
  const CirSet other = make_cir_set(World::standard(), o);
  write_cir_set(other, dir, RenderOptions{}, true);
  EXPECT_EQ(lines_of(dir + "/gallery.txt").size(), other.gallery.size());
  EXPECT_EQ(
      size_t(std::distance(fs::directory_iterator(dir + "/images"), fs::directory_iterator())),
      other.gallery.size());
}

TEST(SynthWriter, CaptionSet) {
  CaptionSetOptions o;
  o.num_images = 12;
  o.captions_per_image = 3;
  o.seed = 4;
  test::TempDir tmp;
  write_caption_set(World::standard(), o, tmp.path());
  const std::vector<std::string> lines = lines_of(tmp.file("captions.jsonl"));
  ASSERT_EQ(lines.size(), 36u);
  std::set<std::string> images;
  for (const std::string& l : lines) {
    const json j = json::parse(l);
    const std::string img = j.at("image");
    images.insert(img);
    EXPECT_TRUE(fs::exists(tmp.path() + "/" + img));
    EXPECT_FALSE(j.at("caption").get<std::string>().empty());
    const Scene s = parse_scene_key(j.at("scene"));
    EXPECT_FALSE(World::standard().has_heldout(s));  // Split::train by default
    EXPECT_TRUE(j.at("spans").is_array());
  }
  EXPECT_EQ(images.size(), 12u);
  EXPECT_TRUE(json::parse(test::read_bytes(tmp.file("meta.json"))).at("split") == "train");
  CaptionSetOptions bad = o;
  bad.captions_per_image = 0;
  EXPECT_THROW(write_caption_set(World::standard(), bad, tmp.file("x")), Error);
}

TEST(SynthWriter, UnwritableFolderIsAnIoError) {
  CirOptions o;
  o.num_queries = 2;
  o.include_single_object_scenes = false;
  o.num_distractors = 0;
  const CirSet set = make_cir_set(World::standard(), o);
  test::TempDir tmp;
  test::write_bytes(tmp.file("file"), {1, 2, 3});
  try {
    write_cir_set(set, tmp.file("file") + "/sub");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
  }
}

}  // namespace
}  // namespace lincir::synth
