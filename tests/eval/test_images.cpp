// Image files under a user's root: the naming rule of each benchmark, and one clear error that
// reports every missing image (count and first names) before any work starts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "eval/eval_test_util.hpp"
#include "lincir/benchmarks.hpp"

namespace lincir {
namespace {

using test::bench_dir;
using test::expect_error;
namespace fs = std::filesystem;

void touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  test::write_text(path, "x");
}

TEST(Images, CirrUsesSplitPathsAndReportsAllMissing) {
  const Benchmark b = Benchmark::cirr(bench_dir("cirr"), "val");
  test::TempDir root;
  EXPECT_EQ(b.image_path(root.path(), b.index_of("dev-244-0-img0")), root.path() + "/dev/dev-244-0-img0.png");
  // Three images present: every other one is reported, in gallery order, in one error.
  const std::vector<std::string> present = {"dev-244-0-img0", "dev-1028-1-img1", b.images()[5]};
  for (const auto& p : present) touch(root.path() + "/dev/" + p + ".png");
  const auto missing = b.missing_images(root.path());
  ASSERT_EQ(missing.size(), 2294u);
  for (const auto& p : present) EXPECT_EQ(std::count(missing.begin(), missing.end(), p), 0) << p;
  EXPECT_EQ(missing[0], b.images()[2]);  // images 0 and 1 are present
  expect_error([&] { b.check_images(root.path()); }, Status::io,
               {"CIRR val: 2294 of 2297 images not found under '" + root.path() + "'",
                "(e.g. '" + root.path() + "/dev/" + b.images()[2] + ".png')", missing[0], missing[9],
                "and 2284 more"});
  EXPECT_EQ(b.image_paths(root.path()).size(), 2297u);
  EXPECT_EQ(b.image_path(root.path(), std::string("dev-244-0-img0")), root.path() + "/dev/dev-244-0-img0.png");
  expect_error([&] { b.image_path(root.path(), std::string("dev-x")); }, Status::invalid_argument,
               {"'dev-x' is not part of CIRR val"});
}

TEST(Images, CirrImgRawLayout) {
  const Benchmark b = Benchmark::cirr(bench_dir("cirr"), "val");
  test::TempDir root;
  touch(root.path() + "/img_raw/dev/dev-244-0-img0.png");
  EXPECT_EQ(b.image_path(root.path(), b.index_of("dev-244-0-img0")),
            root.path() + "/img_raw/dev/dev-244-0-img0.png");
}

TEST(Images, ManyMissingAreSummarised) {
  const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), "dress", "val");
  test::TempDir root;
  touch(root.path() + "/" + b.images()[0] + ".png");
  touch(root.path() + "/" + b.images()[1] + ".jpg");  // either extension is found
  EXPECT_EQ(b.image_path(root.path(), 1), root.path() + "/" + b.images()[1] + ".jpg");
  EXPECT_EQ(b.missing_images(root.path()).size(), 3815u);
  try {
    b.check_images(root.path());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.status(), Status::io);
    EXPECT_NE(m.find("FashionIQ dress val: 3815 of 3817 images not found"), std::string::npos) << m;
    EXPECT_NE(m.find(b.images()[2]), std::string::npos) << m;  // first missing names listed
    EXPECT_NE(m.find("and 3805 more"), std::string::npos) << m;
    EXPECT_NE(m.find("'" + root.path() + "/" + b.images()[2] + ".png'"), std::string::npos) << m;
    EXPECT_LT(m.size(), 600u);  // one readable line, not 3815 names
  }
}

TEST(Images, FashionIQImagesSubfolder) {
  const Benchmark b = Benchmark::fashioniq(bench_dir("fashioniq"), "toptee", "val");
  test::TempDir root;
  touch(root.path() + "/images/" + b.images()[0] + ".png");
  touch(root.path() + "/images/" + b.images()[1] + ".jpg");
  EXPECT_EQ(b.image_path(root.path(), 0), root.path() + "/images/" + b.images()[0] + ".png");
  EXPECT_EQ(b.image_path(root.path(), 1), root.path() + "/images/" + b.images()[1] + ".jpg");
  EXPECT_EQ(b.image_path(root.path(), 2), root.path() + "/" + b.images()[2] + ".png");  // canonical
  EXPECT_EQ(b.missing_images(root.path()).size(), b.images().size() - 2);
}

TEST(Images, GenecisAndMissingRoot) {
  const Benchmark b = Benchmark::genecis(bench_dir("genecis/focus_object.json"));
  test::TempDir root;
  for (const auto& n : b.images()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%012lld.jpg", std::stoll(n));
    touch(root.path() + "/val2017/" + buf);
  }
  EXPECT_NO_THROW(b.check_images(root.path()));
  expect_error([&] { b.check_images(root.path() + "/nowhere"); }, Status::io,
               {"not a directory", std::to_string(b.images().size()) + " of " + std::to_string(b.images().size())});
  expect_error([&] { b.check_images(""); }, Status::invalid_argument, {"image root folder is required"});
  expect_error([&] { b.image_path(root.path(), -1); }, Status::invalid_argument, {"out of range"});
}

}  // namespace
}  // namespace lincir
