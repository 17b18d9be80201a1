// Resumable, sharded gallery builds.
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

struct Images {
  std::vector<std::string> paths, names;
  std::vector<int64_t> ids;
};

Images make_images(const TempDir& t, int n) {
  Images im;
  for (int i = 0; i < n; ++i) {
    const std::string name = "img" + std::to_string(i) + (i % 3 == 0 ? ".jpg" : ".png");
    test::write_test_image(t.file("imgs/" + name), 1000 + uint64_t(i), 24 + 4 * (i % 4));
    im.paths.push_back(t.file("imgs/" + name));
    im.names.push_back(name);
    im.ids.push_back(100 + i);
  }
  return im;
}

// The reference: each image encoded alone by the model.
Embeddings direct(const Images& im, PreprocessMode mode) {
  Embeddings out(int64_t(im.paths.size()), tiny_clip().config().embed_dim);
  for (size_t i = 0; i < im.paths.size(); ++i)
    out.row(int64_t(i)) = tiny_clip().encode_images({Image::load(im.paths[i])}, mode).row(0);
  return out;
}

void expect_near(const Embeddings& a, const Embeddings& b, float tol = 2e-5f) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  EXPECT_LE((a - b).cwiseAbs().maxCoeff(), tol);
}

GalleryBuildOptions raw_options(int batch = 3) {
  GalleryBuildOptions o;
  o.gallery.metric = GalleryMetric::inner_product;  // keep raw features for comparison
  o.batch_size = batch;
  o.fingerprint = "tiny-test";
  return o;
}

TEST(BuildGallery, EncodesEveryImageInOrderWithIdsAndNames) {
  TempDir t;
  const Images im = make_images(t, 8);
  GalleryBuildStats st;
  Gallery g = build_gallery(tiny_clip(), im.paths, im.ids, im.names, t.file("g.gallery"), raw_options(), &st);
  EXPECT_EQ(st.total, 8);
  EXPECT_EQ(st.encoded, 8);
  EXPECT_EQ(st.resumed, 0);
  EXPECT_EQ(g.ids(), im.ids);
  EXPECT_EQ(g.name(3), im.names[3]);
  expect_near(g.vectors(im.ids), direct(im, PreprocessMode::openai));
  EXPECT_FALSE(fs::exists(gallery_part_path(t.file("g.gallery"))));
  Gallery back = Gallery::load(t.file("g.gallery"));
  EXPECT_EQ(back.size(), 8u);
  EXPECT_EQ(back.vectors(im.ids), g.vectors(im.ids));

  // Cosine galleries hold the normalised features; HF preprocessing differs from OpenAI's.
  GalleryBuildOptions co = raw_options();
  co.gallery.metric = GalleryMetric::cosine;
  co.preprocess = PreprocessMode::hf;
  Gallery gc = build_gallery(tiny_clip(), im.paths, im.ids, {}, "", co);
  expect_near(gc.vectors(im.ids), normalize(direct(im, PreprocessMode::hf)), 1e-5f);
}

TEST(BuildGallery, ResumesFromThePartFileAfterAStop) {
  TempDir t;
  const Images im = make_images(t, 10);
  const std::string out = t.file("g.gallery");
  GalleryBuildOptions o = raw_options(3);
  o.on_progress = [](int64_t done, int64_t) { return done < 6; };  // stop after two batches
  EXPECT_THROW(
      {
        try {
          build_gallery(tiny_clip(), im.paths, im.ids, im.names, out, o);
        } catch (const Error& e) {
          EXPECT_EQ(e.status(), Status::cancelled);
          throw;
        }
      },
      Error);
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE(fs::exists(gallery_part_path(out)));

  // A kill in the middle of a write leaves a torn record: cut the file inside the last one.
  const auto size = fs::file_size(gallery_part_path(out));
  fs::resize_file(gallery_part_path(out), size - 7);

  std::vector<int64_t> seen;
  GalleryBuildOptions o2 = raw_options(3);
  o2.on_progress = [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, 10);
    seen.push_back(done);
    return true;
  };
  GalleryBuildStats st;
  Gallery g = build_gallery(tiny_clip(), im.paths, im.ids, im.names, out, o2, &st);
  EXPECT_EQ(st.resumed, 5);  // 6 written, the torn sixth dropped
  EXPECT_EQ(st.encoded, 5);
  EXPECT_EQ(seen, (std::vector<int64_t>{5, 8, 10}));
  EXPECT_EQ(g.ids(), im.ids);  // request order, not completion order
  expect_near(g.vectors(im.ids), direct(im, PreprocessMode::openai));
  EXPECT_FALSE(fs::exists(gallery_part_path(out)));
}

TEST(BuildGallery, RefusesAPartFileOfAnotherBuild) {
  TempDir t;
  const Images im = make_images(t, 4);
  const std::string out = t.file("g.gallery");
  GalleryBuildOptions o = raw_options(2);
  o.on_progress = [](int64_t done, int64_t) { return done < 2; };
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, im.ids, im.names, out, o), Error);
  // Other model/settings.
  GalleryBuildOptions other = raw_options(2);
  other.fingerprint = "another-model";
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, im.ids, im.names, out, other), Error);
  // Same settings, other images under those ids.
  std::vector<std::string> renamed = im.names;
  renamed[0] = "other.png";
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, im.ids, renamed, out, raw_options(2)), Error);
  // A garbage header.
  test::write_bytes(gallery_part_path(out), {'n', 'o', 'p', 'e'});
  try {
    build_gallery(tiny_clip(), im.paths, im.ids, im.names, out, raw_options(2));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::format);
    EXPECT_NE(std::string(e.what()).find(".part"), std::string::npos) << e.what();
  }
}

TEST(BuildGallery, ShardsMergeIntoTheUnshardedGallery) {
  TempDir t;
  const Images im = make_images(t, 9);
  Gallery whole = build_gallery(tiny_clip(), im.paths, im.ids, im.names, "", raw_options(4));
  std::vector<Gallery> parts;
  for (int i = 0; i < 3; ++i) {
    const auto [b, e] = Shard{i, 3}.range(im.paths.size());
    Images s;
    for (size_t k = b; k < e; ++k) {
      s.paths.push_back(im.paths[k]);
      s.names.push_back(im.names[k]);
      s.ids.push_back(im.ids[k]);
    }
    const std::string out = t.file("shard" + std::to_string(i) + ".gallery");
    build_gallery(tiny_clip(), s.paths, s.ids, s.names, out, raw_options(2));
    parts.push_back(Gallery::load(out));
  }
  Gallery merged(tiny_clip().config().embed_dim, raw_options().gallery);
  for (const auto& p : parts) merged.merge(p);
  EXPECT_EQ(merged.ids(), whole.ids());
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(merged.name(i), whole.name(i));
  expect_near(merged.vectors(im.ids), whole.vectors(im.ids));
}

TEST(BuildGallery, BadInputs) {
  TempDir t;
  const Images im = make_images(t, 2);
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, {1}, {}, ""), Error);
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, {1, 1}, {}, ""), Error);
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, {1, -2}, {}, ""), Error);
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, {1, 2}, {"a"}, ""), Error);
  GalleryBuildOptions o;
  o.batch_size = 0;
  EXPECT_THROW(build_gallery(tiny_clip(), im.paths, {1, 2}, {}, "", o), Error);
  EXPECT_THROW(build_gallery(tiny_clip(), {im.paths[0], t.file("missing.png")}, {1, 2}, {}, ""), Error);
  test::write_bytes(t.file("junk.png"), {1, 2, 3, 4});
  EXPECT_THROW(build_gallery(tiny_clip(), {t.file("junk.png")}, {1}, {}, ""), Error);
}

}  // namespace
}  // namespace lincir
