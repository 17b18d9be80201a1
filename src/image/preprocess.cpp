// The full CLIP preprocessing pipelines (openai clip._transform and HF CLIPImageProcessor).
#include <cmath>
#include <cstring>

#include "lincir/image.hpp"

namespace lincir {
namespace {

void check_options(const PreprocessOptions& opt) {
  LINCIR_CHECK(opt.size > 0 && opt.size <= kMaxImageSide,
               "PreprocessOptions::size must be in 1.." + std::to_string(kMaxImageSide) + ", got " +
                   std::to_string(opt.size));
  for (int c = 0; c < 3; ++c) {
    LINCIR_CHECK(std::isfinite(opt.mean[c]), "PreprocessOptions::mean must be finite");
    LINCIR_CHECK(std::isfinite(opt.std[c]) && opt.std[c] != 0.f,
                 "PreprocessOptions::std must be finite and non-zero");
  }
}

// uint8 n x n RGB crop, by the selected reference pipeline.
Image rgb_crop(const Image& img, const PreprocessOptions& opt) {
  if (opt.mode == PreprocessMode::hf) {
    // CLIPImageProcessor: convert("RGB") first, then shortest-edge resize (always in RGB),
    // then a floor-offset crop.
    return center_crop(resize_shortest_side(to_rgb(img), opt.size), opt.size, PreprocessMode::hf);
  }
  // clip._transform: Resize in the image's own mode, CenterCrop, then convert("RGB").
  return to_rgb(center_crop(resize_shortest_side(img, opt.size), opt.size, PreprocessMode::openai));
}

}  // namespace

void preprocess_into(const Image& img, float* out, const PreprocessOptions& opt) {
  check_options(opt);
  LINCIR_CHECK(out != nullptr, "preprocess_into: null output pointer");
  const Image rgb = rgb_crop(img, opt);
  // ToTensor: float32(u8) / 255 in float32; Normalize: (x - mean) / std in float32. (HF computes
  // float32(u8 * (1/255.0)), identical for all 256 values.) Tabulated per channel.
  float lut[3][256];
  for (int c = 0; c < 3; ++c)
    for (int v = 0; v < 256; ++v) {
      const float x = static_cast<float>(v) / 255.0f;
      lut[c][v] = (x - opt.mean[c]) / opt.std[c];
    }
  const size_t plane = size_t(opt.size) * opt.size;
  const uint8_t* p = rgb.pixels.data();
  for (size_t i = 0; i < plane; ++i) {
    out[i] = lut[0][p[3 * i]];
    out[plane + i] = lut[1][p[3 * i + 1]];
    out[2 * plane + i] = lut[2][p[3 * i + 2]];
  }
}

std::vector<float> preprocess(const Image& img, const PreprocessOptions& opt) {
  check_options(opt);
  std::vector<float> out(size_t(3) * opt.size * opt.size);
  preprocess_into(img, out.data(), opt);
  return out;
}

std::vector<float> preprocess(const std::vector<Image>& imgs, const PreprocessOptions& opt) {
  check_options(opt);
  const size_t per = size_t(3) * opt.size * opt.size;
  std::vector<float> out(per * imgs.size());
  for (size_t i = 0; i < imgs.size(); ++i) {
    try {
      preprocess_into(imgs[i], out.data() + per * i, opt);
    } catch (const Error& e) {
      LINCIR_THROW(e.status(), "batch image " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace lincir
