// Helpers shared by the image tests: fixture tensors as uint8 buffers / Images, comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lincir/image.hpp"
#include "lincir/safetensors.hpp"

namespace lincir::test {

inline std::vector<uint8_t> u8_tensor(const SafeTensors& st, const std::string& name) {
  const TensorView& t = st.get(name);
  EXPECT_EQ(t.dtype, TensorDType::U8) << name;
  return std::vector<uint8_t>(t.data, t.data + t.nbytes);
}

inline std::vector<float> f32_tensor(const SafeTensors& st, const std::string& name) {
  const TensorView& t = st.get(name);
  EXPECT_EQ(t.dtype, TensorDType::F32) << name;
  std::vector<float> v(t.nbytes / sizeof(float));
  std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

// A fixture tensor of shape [h, w] or [h, w, c] as an Image of the given mode.
inline Image image_from_tensor(const SafeTensors& st, const std::string& name, ImageMode mode) {
  const TensorView& t = st.get(name);
  Image img;
  img.height = int(t.shape.at(0));
  img.width = int(t.shape.at(1));
  img.mode = mode;
  img.pixels.assign(t.data, t.data + t.nbytes);
  EXPECT_EQ(img.pixels.size(), size_t(img.width) * img.height * img.channels()) << name;
  return img;
}

inline ImageMode mode_from_pillow(const std::string& m) {
  if (m == "L") return ImageMode::gray;
  if (m == "LA") return ImageMode::gray_alpha;
  if (m == "RGB") return ImageMode::rgb;
  if (m == "RGBA") return ImageMode::rgba;
  if (m == "P") return ImageMode::palette;
  if (m == "1") return ImageMode::bilevel;
  ADD_FAILURE() << "unknown Pillow mode " << m;
  return ImageMode::rgb;
}

// Number of differing bytes (and the first one) between two buffers of equal size.
inline ::testing::AssertionResult bytes_equal(const std::vector<uint8_t>& got,
                                              const std::vector<uint8_t>& want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure()
           << "size " << got.size() << " != expected " << want.size();
  size_t diff = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i] && diff++ == 0) first = i;
  if (diff == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << diff << " bytes differ, first at " << first << ": "
                                       << int(got[first]) << " vs expected " << int(want[first]);
}

inline ::testing::AssertionResult image_equals(const Image& got, int width, int height,
                                               ImageMode mode, const std::vector<uint8_t>& want) {
  if (got.width != width || got.height != height)
    return ::testing::AssertionFailure() << "size " << got.width << "x" << got.height
                                         << " != expected " << width << "x" << height;
  if (got.mode != mode)
    return ::testing::AssertionFailure() << "mode " << image_mode_name(got.mode) << " != expected "
                                         << image_mode_name(mode);
  return bytes_equal(got.pixels, want);
}

}  // namespace lincir::test
