// Resize, crop, RGB conversion and normalisation in isolation: Pillow 9.4's Image.resize on
// random images of every mode (tests/data/images/resize.*), and the torchvision/HF size and
// crop rules on synthetic images.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "image/image_test_util.hpp"
#include "lincir/image.hpp"
#include "lincir/safetensors.hpp"
#include "support/test_support.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

// width x height image whose pixel (x, y) is (x, y, x + y) (mod 256), RGB.
Image coordinate_image(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.mode = ImageMode::rgb;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.pixels.push_back(uint8_t(x));
      img.pixels.push_back(uint8_t(y));
      img.pixels.push_back(uint8_t(x + y));
    }
  return img;
}

Status status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

}  // namespace

TEST(ImageResize, MatchesPillowOnRandomImagesOfEveryMode) {
  const auto cases = read_json(data_path("images/resize.json"));
  const SafeTensors st = SafeTensors::open(data_path("images/resize.safetensors"));
  int checked = 0;
  for (const auto& c : cases["cases"]) {
    const std::string key = c["key"];
    const std::string mode = c["mode"];
    SCOPED_TRACE(key + " " + mode + " " + c["in_wh"].dump() + " -> " + c["out_wh"].dump());
    // Palette cases are stored expanded to RGB, bilevel as 0/255 grey: our representation.
    const Image in = image_from_tensor(st, key + ".in", mode_from_pillow(mode));
    ASSERT_EQ(in.width, c["in_wh"][0].get<int>());
    const int ow = c["out_wh"][0], oh = c["out_wh"][1];
    const Image out = resize_bicubic(in, ow, oh);
    EXPECT_TRUE(image_equals(out, ow, oh, in.mode, u8_tensor(st, key + ".out")));
    ++checked;
  }
  EXPECT_EQ(checked, 60);
}

TEST(ImageResize, SameSizeIsACopy) {
  const Image img = coordinate_image(5, 7);
  const Image out = resize_bicubic(img, 5, 7);
  EXPECT_TRUE(image_equals(out, 5, 7, ImageMode::rgb, img.pixels));
}

TEST(ImageResize, ShortestSideRule) {
  struct Case {
    int w, h, n, ow, oh;
  } cases[] = {
      {640, 480, 224, 298, 224},  // 224 * 640 / 480 = 298.67 -> 298 (truncated)
      {480, 640, 224, 224, 298},
      {50, 37, 32, 43, 32},       // 43.24
      {33, 47, 32, 32, 45},       // 45.58
      {300, 300, 224, 224, 224},
      {10, 1000, 224, 224, 22400},  // upscale
      {3, 7, 5, 5, 11},           // 11.67
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.w) + "x" + std::to_string(c.h));
    Image img;
    img.width = c.w;
    img.height = c.h;
    img.mode = ImageMode::gray;
    img.pixels.assign(size_t(c.w) * c.h, 77);
    const Image out = resize_shortest_side(img, c.n);
    EXPECT_EQ(out.width, c.ow);
    EXPECT_EQ(out.height, c.oh);
    EXPECT_EQ(out.mode, ImageMode::gray);
    // A constant image stays constant through the bicubic filter.
    EXPECT_TRUE(std::all_of(out.pixels.begin(), out.pixels.end(), [](uint8_t v) { return v == 77; }));
  }
  // Shorter side already n: returned unchanged (even though the longer side is anything).
  const Image img = coordinate_image(32, 45);
  const Image same = resize_shortest_side(img, 32);
  EXPECT_TRUE(image_equals(same, 32, 45, ImageMode::rgb, img.pixels));
}

TEST(ImageResize, CenterCropOffsets) {
  // Offsets: torchvision int(round((size - n) / 2)) with half-to-even, HF floor division.
  struct Case {
    int size, openai, hf;
  } cases[] = {{37, 2, 2}, {43, 6, 5}, {45, 6, 6}, {38, 3, 3}, {32, 0, 0}, {33, 0, 0}, {35, 2, 1},
               {39, 4, 3}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.size);
    const Image img = coordinate_image(c.size, c.size + 2);  // top offset = size-n+2 halves
    const Image a = center_crop(img, 32, PreprocessMode::openai);
    const Image b = center_crop(img, 32, PreprocessMode::hf);
    ASSERT_EQ(a.width, 32);
    ASSERT_EQ(a.height, 32);
    EXPECT_EQ(a.pixels[0], c.openai) << "openai left";
    EXPECT_EQ(b.pixels[0], c.hf) << "hf left";
    const int dy = c.size + 2 - 32;
    EXPECT_EQ(a.pixels[1], int(std::nearbyint(dy / 2.0))) << "openai top";
    EXPECT_EQ(b.pixels[1], dy / 2) << "hf top";
  }
}

TEST(ImageResize, CenterCropPadsSmallImagesLikeTorchvision) {
  // 5x3 crop to 8: torchvision pads left (8-5)//2 = 1, right 2, top (8-3)//2 = 2, bottom 3.
  Image img = coordinate_image(5, 3);
  for (auto& v : img.pixels) v = uint8_t(v + 1);  // so that no image pixel is 0
  for (PreprocessMode mode : {PreprocessMode::openai, PreprocessMode::hf}) {
    const Image out = center_crop(img, 8, mode);
    ASSERT_EQ(out.width, 8);
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x) {
        const bool inside = x >= 1 && x < 6 && y >= 2 && y < 5;
        const uint8_t v = out.pixels[(size_t(y) * 8 + x) * 3];
        if (inside)
          EXPECT_EQ(v, uint8_t(x - 1 + 1)) << x << "," << y;
        else
          EXPECT_EQ(v, 0) << x << "," << y;
      }
  }
}

TEST(ImageResize, ToRgbForEveryMode) {
  Image g;
  g.width = 2;
  g.height = 1;
  g.mode = ImageMode::gray;
  g.pixels = {10, 200};
  EXPECT_TRUE(image_equals(to_rgb(g), 2, 1, ImageMode::rgb, {10, 10, 10, 200, 200, 200}));
  g.mode = ImageMode::bilevel;
  g.pixels = {0, 255};
  EXPECT_TRUE(image_equals(to_rgb(g), 2, 1, ImageMode::rgb, {0, 0, 0, 255, 255, 255}));
  Image la = g;
  la.mode = ImageMode::gray_alpha;
  la.pixels = {10, 0, 200, 128};  // alpha dropped, not composited
  EXPECT_TRUE(image_equals(to_rgb(la), 2, 1, ImageMode::rgb, {10, 10, 10, 200, 200, 200}));
  Image rgba = g;
  rgba.mode = ImageMode::rgba;
  rgba.pixels = {1, 2, 3, 0, 4, 5, 6, 255};
  EXPECT_TRUE(image_equals(to_rgb(rgba), 2, 1, ImageMode::rgb, {1, 2, 3, 4, 5, 6}));
  Image p = g;
  p.mode = ImageMode::palette;
  p.pixels = {1, 2, 3, 4, 5, 6};
  EXPECT_TRUE(image_equals(to_rgb(p), 2, 1, ImageMode::rgb, {1, 2, 3, 4, 5, 6}));
}

TEST(ImageResize, NormalisationIsFloat32DivisionThenNormalize) {
  // A 1x1 image preprocessed at size 1: every value is float32(v) / 255 then (x - m) / s.
  PreprocessOptions opt;
  opt.size = 1;
  for (int v = 0; v < 256; v += 17) {
    Image img;
    img.width = img.height = 1;
    img.mode = ImageMode::rgb;
    img.pixels = {uint8_t(v), uint8_t(255 - v), uint8_t(v / 2)};
    const std::vector<float> out = preprocess(img, opt);
    ASSERT_EQ(out.size(), 3u);
    for (int c = 0; c < 3; ++c) {
      const float x = float(img.pixels[c]) / 255.0f;
      EXPECT_EQ(out[c], (x - opt.mean[c]) / opt.std[c]);
    }
  }
}

TEST(ImageResize, RejectsBadImagesAndOptions) {
  const Image ok = coordinate_image(4, 4);
  Image empty;
  Image inconsistent = ok;
  inconsistent.pixels.pop_back();
  Image wrong_mode = ok;
  wrong_mode.mode = ImageMode::rgba;  // 3 bytes per pixel stored
  for (const Image* bad : {&empty, &inconsistent, &wrong_mode}) {
    EXPECT_EQ(status_of([&] { resize_bicubic(*bad, 2, 2); }), Status::invalid_argument);
    EXPECT_EQ(status_of([&] { resize_shortest_side(*bad, 2); }), Status::invalid_argument);
    EXPECT_EQ(status_of([&] { center_crop(*bad, 2); }), Status::invalid_argument);
    EXPECT_EQ(status_of([&] { to_rgb(*bad); }), Status::invalid_argument);
    EXPECT_EQ(status_of([&] { preprocess(*bad); }), Status::invalid_argument);
  }
  EXPECT_EQ(status_of([&] { resize_bicubic(ok, 0, 2); }), Status::invalid_argument);
  EXPECT_EQ(status_of([&] { resize_shortest_side(ok, -1); }), Status::invalid_argument);
  EXPECT_EQ(status_of([&] { center_crop(ok, 0); }), Status::invalid_argument);
  PreprocessOptions opt;
  opt.size = 0;
  EXPECT_EQ(status_of([&] { preprocess(ok, opt); }), Status::invalid_argument);
  opt = {};
  opt.std[1] = 0.f;
  EXPECT_EQ(status_of([&] { preprocess(ok, opt); }), Status::invalid_argument);
  opt = {};
  opt.mean[2] = NAN;
  EXPECT_EQ(status_of([&] { preprocess(ok, opt); }), Status::invalid_argument);
  EXPECT_EQ(status_of([&] { preprocess_into(ok, nullptr); }), Status::invalid_argument);
  // A batch names the offending image.
  try {
    preprocess(std::vector<Image>{ok, empty});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("batch image 1"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(preprocess(std::vector<Image>{}).empty());
}
