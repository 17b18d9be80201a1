// Images: decoding (stb_image; JPEG, PNG, BMP, GIF first frame, TGA, binary PNM), wrapping
// caller pixel buffers, and CLIP preprocessing reproduced bit-exactly from the reference
// (torchvision Resize(BICUBIC) on Pillow 9.4 -> CenterCrop -> convert("RGB") -> Normalize), with
// HuggingFace CLIPImageProcessor semantics as an option. docs/images.md has the details.
//
// Thread safety: Image is a value type; all free functions are reentrant and may run
// concurrently on different (or the same, read-only) images.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

// The Pillow image mode a decoded file would have, which decides how it is resized.
// `palette` images are stored expanded to RGB (nearest-neighbour resizing of palette indices
// equals resizing the expanded pixels) but keep their mode because Pillow resizes them with
// NEAREST whatever filter is asked for; `bilevel` (Pillow "1": 1-bit PNG grey, black/white BMP)
// is stored as 0/255 and is likewise resized with NEAREST.
enum class ImageMode {
  gray /*L*/,
  gray_alpha /*LA*/,
  rgb /*RGB*/,
  rgba /*RGBA*/,
  palette /*P*/,
  bilevel /*1*/,
};

int image_mode_channels(ImageMode m) noexcept;  // 1, 2, 3, 4, 3, 1
const char* image_mode_name(ImageMode m) noexcept;  // Pillow's name: "L", "LA", "RGB", ...

// Limits checked *before* decoding (from the file header), so hostile files cannot make the
// decoder allocate. Every field must be positive; max_side may not exceed kMaxImageSide and
// max_encoded_bytes may not exceed INT32_MAX (stb_image's limit).
struct DecodeLimits {
  size_t max_encoded_bytes = size_t(256) << 20;  // 256 MiB
  int max_side = 16384;                          // pixels per side
  int64_t max_pixels = int64_t(64) << 20;        // 64 MP
};
constexpr int kMaxImageSide = 1 << 20;

// An 8-bit image, row-major HWC, tightly packed.
struct Image {
  int width = 0;
  int height = 0;
  ImageMode mode = ImageMode::rgb;
  std::vector<uint8_t> pixels;  // height * width * channels()

  int channels() const noexcept { return image_mode_channels(mode); }
  bool empty() const noexcept { return width == 0 || height == 0; }

  // Decode a file / an encoded buffer (the bytes are only read during the call). The format is
  // recognised from the content, not the file name. Throws Error(io) for unreadable files,
  // Error(format) for empty, truncated, corrupt or unsupported data (message names the file and
  // stb_image's reason), Error(invalid_argument) when a limit is exceeded or the limits are
  // invalid. Animated GIFs give their first frame; EXIF orientation is not applied (as in the
  // reference).
  static Image load(const std::string& path, const DecodeLimits& limits = {});
  static Image decode(const void* data, size_t size, const DecodeLimits& limits = {});
  // Copy a caller's buffer: `channels` 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA);
  // `stride` bytes between rows (0 = width * channels). Throws Error(invalid_argument) for a
  // null pointer, non-positive or too large sizes, a bad channel count or a stride smaller than a
  // row. The result is independent of `data`.
  static Image from_pixels(const uint8_t* data, int width, int height, int channels,
                           size_t stride = 0);
};

// Which reference pipeline to reproduce.
enum class PreprocessMode {
  openai,  // clip._transform: resize in the image's own mode, round-half-even crop, then RGB
  hf,      // CLIPImageProcessor (LinCIR's evaluation): RGB first, floor crop offsets
};

struct PreprocessOptions {
  int size = 224;  // n_px: shortest side and crop size, 1..kMaxImageSide
  PreprocessMode mode = PreprocessMode::openai;
  std::array<float, 3> mean = {0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> std = {0.26862954f, 0.26130258f, 0.27577711f};  // finite, non-zero
};

// Individual stages (exposed for testing and for users who want the uint8 crops). All throw
// Error(invalid_argument) for an empty or inconsistent image (pixels.size() not matching) or a
// non-positive size.
//
// Pillow 9.4 Image.resize((w, h), BICUBIC) in the image's mode: separable fixed-point bicubic
// (RGBA/LA premultiplied), NEAREST for palette and bilevel images; a copy if the size is equal.
Image resize_bicubic(const Image& img, int width, int height);
// torchvision Resize(n): shorter side to n, longer side int(n * long / short); no-op if equal.
Image resize_shortest_side(const Image& img, int n);
// Crop to n x n: round-half-even offsets (torchvision) or floor offsets (HF). An image smaller
// than n along a side is zero-padded there, centred as torchvision does (both modes).
Image center_crop(const Image& img, int n, PreprocessMode mode = PreprocessMode::openai);
// Pillow convert("RGB"): gray replicated, alpha dropped without compositing, palette expanded.
Image to_rgb(const Image& img);

// The whole pipeline: CHW float32, 3 * size * size values.
std::vector<float> preprocess(const Image& img, const PreprocessOptions& opt = {});
// Same, written to `out` (3 * size * size floats, caller-owned), e.g. one row of a batch.
void preprocess_into(const Image& img, float* out, const PreprocessOptions& opt = {});
// Batch: N * 3 * size * size values, images in order.
std::vector<float> preprocess(const std::vector<Image>& imgs, const PreprocessOptions& opt = {});

}  // namespace lincir
