// Image basics and the uint8 preprocessing stages (resize in the image's mode, crop, RGB).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "image/resample.hpp"
#include "lincir/image.hpp"

namespace lincir {
namespace {

// Pillow's MULDIV255 (exact a*b/255 rounded), used to premultiply RGBA / LA.
inline uint8_t muldiv255(uint32_t a, uint32_t b) {
  const uint32_t t = a * b + 128;
  return uint8_t(((t >> 8) + t) >> 8);
}

// Undo premultiplication as Pillow's rgba2rgbA: unchanged where alpha is 0 or 255.
inline uint8_t unpremultiply(uint32_t c, uint32_t alpha) {
  const uint32_t v = (255 * c) / alpha;
  return uint8_t(v > 255 ? 255 : v);
}

void check_image(const Image& img, const char* what) {
  LINCIR_CHECK(img.width > 0 && img.height > 0,
               std::string(what) + ": empty image (" + std::to_string(img.width) + "x" +
                   std::to_string(img.height) + ")");
  LINCIR_CHECK(img.width <= kMaxImageSide && img.height <= kMaxImageSide,
               std::string(what) + ": image side larger than " + std::to_string(kMaxImageSide));
  const size_t expect = size_t(img.width) * size_t(img.height) * size_t(img.channels());
  LINCIR_CHECK(img.pixels.size() == expect,
               std::string(what) + ": pixel buffer holds " + std::to_string(img.pixels.size()) +
                   " bytes, expected " + std::to_string(expect) + " for a " +
                   std::to_string(img.width) + "x" + std::to_string(img.height) + " " +
                   image_mode_name(img.mode) + " image");
}

void check_size(int w, int h, const char* what) {
  LINCIR_CHECK(w > 0 && h > 0 && w <= kMaxImageSide && h <= kMaxImageSide,
               std::string(what) + ": invalid target size " + std::to_string(w) + "x" +
                   std::to_string(h));
}

// Python's round() on x/2 for an integer x: half to even.
int round_half_even_half(int x) {
  return static_cast<int>(std::nearbyint(static_cast<double>(x) / 2.0));
}

// Python's floor division by 2.
int floor_half(int x) { return x >= 0 ? x / 2 : -((-x + 1) / 2); }

}  // namespace

int image_mode_channels(ImageMode m) noexcept {
  switch (m) {
    case ImageMode::gray: return 1;
    case ImageMode::gray_alpha: return 2;
    case ImageMode::rgb: return 3;
    case ImageMode::rgba: return 4;
    case ImageMode::palette: return 3;
    case ImageMode::bilevel: return 1;
  }
  return 0;
}

const char* image_mode_name(ImageMode m) noexcept {
  switch (m) {
    case ImageMode::gray: return "L";
    case ImageMode::gray_alpha: return "LA";
    case ImageMode::rgb: return "RGB";
    case ImageMode::rgba: return "RGBA";
    case ImageMode::palette: return "P";
    case ImageMode::bilevel: return "1";
  }
  return "?";
}

Image Image::from_pixels(const uint8_t* data, int width, int height, int channels,
                         size_t stride) {
  LINCIR_CHECK(data != nullptr, "Image::from_pixels: null data pointer");
  LINCIR_CHECK(width > 0 && height > 0,
               "Image::from_pixels: invalid size " + std::to_string(width) + "x" +
                   std::to_string(height));
  LINCIR_CHECK(width <= kMaxImageSide && height <= kMaxImageSide,
               "Image::from_pixels: side larger than " + std::to_string(kMaxImageSide));
  LINCIR_CHECK(channels >= 1 && channels <= 4,
               "Image::from_pixels: channels must be 1..4, got " + std::to_string(channels));
  const size_t row = size_t(width) * size_t(channels);  // <= 2^22: no overflow
  if (stride == 0) stride = row;
  LINCIR_CHECK(stride >= row, "Image::from_pixels: stride " + std::to_string(stride) +
                                  " is smaller than a row (" + std::to_string(row) + " bytes)");
  // The last row only needs `row` bytes; everything before it `stride` each.
  LINCIR_CHECK(stride <= (SIZE_MAX - row) / size_t(height),
               "Image::from_pixels: stride * height overflows");
  static const ImageMode kModes[] = {ImageMode::gray, ImageMode::gray_alpha, ImageMode::rgb,
                                     ImageMode::rgba};
  Image img;
  img.width = width;
  img.height = height;
  img.mode = kModes[channels - 1];
  img.pixels.resize(row * size_t(height));
  for (int y = 0; y < height; ++y)
    std::memcpy(img.pixels.data() + row * y, data + stride * size_t(y), row);
  return img;
}

Image resize_bicubic(const Image& img, int width, int height) {
  check_image(img, "resize_bicubic");
  check_size(width, height, "resize_bicubic");
  Image out;
  out.width = width;
  out.height = height;
  out.mode = img.mode;
  if (width == img.width && height == img.height) {  // Pillow returns a copy
    out.pixels = img.pixels;
    return out;
  }
  const int c = img.channels();
  out.pixels.resize(size_t(width) * height * c);
  if (img.mode == ImageMode::palette || img.mode == ImageMode::bilevel) {
    // Pillow ignores the filter for "P" and "1" and uses NEAREST (on palette indices, which is
    // the same as on the expanded colours).
    detail::resample_nearest_u8(img.pixels.data(), img.width, img.height, c, out.pixels.data(),
                                width, height);
    return out;
  }
  if (img.mode == ImageMode::rgba || img.mode == ImageMode::gray_alpha) {
    // Pillow resizes "RGBA"/"LA" as premultiplied "RGBa"/"La" and converts back.
    std::vector<uint8_t> pre(img.pixels);
    const int a = c - 1;
    for (size_t i = 0; i < pre.size(); i += c)
      for (int k = 0; k < a; ++k) pre[i + k] = muldiv255(pre[i + k], pre[i + a]);
    detail::resample_bicubic_u8(pre.data(), img.width, img.height, c, out.pixels.data(), width,
                                height);
    for (size_t i = 0; i < out.pixels.size(); i += c) {
      const uint32_t alpha = out.pixels[i + a];
      if (alpha == 0 || alpha == 255) continue;
      for (int k = 0; k < a; ++k) out.pixels[i + k] = unpremultiply(out.pixels[i + k], alpha);
    }
    return out;
  }
  detail::resample_bicubic_u8(img.pixels.data(), img.width, img.height, c, out.pixels.data(),
                              width, height);
  return out;
}

Image resize_shortest_side(const Image& img, int n) {
  check_image(img, "resize_shortest_side");
  LINCIR_CHECK(n > 0 && n <= kMaxImageSide,
               "resize_shortest_side: invalid size " + std::to_string(n));
  const int w = img.width, h = img.height;
  const int64_t shorter = w <= h ? w : h, longer = w <= h ? h : w;
  // torchvision: int(n * long / short), a true division truncated toward zero.
  const int64_t new_long = int64_t(double(int64_t(n) * longer) / double(shorter));
  LINCIR_CHECK(new_long <= kMaxImageSide,
               "resize_shortest_side: resized side " + std::to_string(new_long) + " too large");
  const int new_w = w <= h ? n : int(new_long);
  const int new_h = w <= h ? int(new_long) : n;
  if (new_w == w && new_h == h) return img;
  return resize_bicubic(img, new_w, new_h);
}

Image center_crop(const Image& img, int n, PreprocessMode mode) {
  check_image(img, "center_crop");
  LINCIR_CHECK(n > 0 && n <= kMaxImageSide, "center_crop: invalid size " + std::to_string(n));
  // Offset of the crop window in source coordinates; negative when the image is smaller than
  // the crop (torchvision pads (n - size) // 2 on the leading side, then crops at 0).
  auto offset = [&](int size) {
    if (size < n) return -((n - size) / 2);
    return mode == PreprocessMode::openai ? round_half_even_half(size - n) : floor_half(size - n);
  };
  const int left = offset(img.width), top = offset(img.height);
  const int c = img.channels();
  Image out;
  out.width = n;
  out.height = n;
  out.mode = img.mode;
  out.pixels.assign(size_t(n) * n * c, 0);
  const int x0 = std::max(0, -left), x1 = std::min(n, img.width - left);
  for (int y = 0; y < n; ++y) {
    const int sy = y + top;
    if (sy < 0 || sy >= img.height || x1 <= x0) continue;
    std::memcpy(out.pixels.data() + (size_t(y) * n + x0) * c,
                img.pixels.data() + (size_t(sy) * img.width + (x0 + left)) * c,
                size_t(x1 - x0) * c);
  }
  return out;
}

Image to_rgb(const Image& img) {
  check_image(img, "to_rgb");
  Image out;
  out.width = img.width;
  out.height = img.height;
  out.mode = ImageMode::rgb;
  const size_t n = size_t(img.width) * img.height;
  const uint8_t* s = img.pixels.data();
  switch (img.mode) {
    case ImageMode::rgb:
    case ImageMode::palette:  // stored expanded already
      out.pixels = img.pixels;
      return out;
    default: break;
  }
  out.pixels.resize(n * 3);
  uint8_t* d = out.pixels.data();
  switch (img.mode) {
    case ImageMode::gray:
    case ImageMode::bilevel:
      for (size_t i = 0; i < n; ++i) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = s[i];
      break;
    case ImageMode::gray_alpha:
      for (size_t i = 0; i < n; ++i) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = s[2 * i];
      break;
    case ImageMode::rgba:
      for (size_t i = 0; i < n; ++i) {
        d[3 * i] = s[4 * i];
        d[3 * i + 1] = s[4 * i + 1];
        d[3 * i + 2] = s[4 * i + 2];
      }
      break;
    default: break;
  }
  return out;
}

}  // namespace lincir
