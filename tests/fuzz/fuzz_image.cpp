// Image decoding from bytes (JPEG, PNG, BMP, GIF, TGA, PNM) with limits, then both CLIP
// preprocessing pipelines at a small size on what decoded.
#include <cstdint>

#include "fuzz_util.hpp"
#include "lincir/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Smaller than the defaults so that legitimate large images do not dominate the run time;
  // the limit checks themselves are the same code.
  lincir::DecodeLimits limits;
  limits.max_side = 8192;
  limits.max_pixels = int64_t(1) << 20;
  lincir::Image img;
  try {
    img = lincir::Image::decode(data, size, limits);
  } catch (const lincir::Error& e) {
    lincir::fuzz::expect_message(e);
    return 0;
  }
  if (img.width <= 0 || img.height <= 0 || img.width > limits.max_side ||
      img.height > limits.max_side ||
      img.pixels.size() != size_t(img.width) * img.height * img.channels())
    std::abort();
  if (int64_t(img.width) * img.height <= (int64_t(1) << 16)) {
    lincir::PreprocessOptions opt;
    opt.size = 8;
    auto a = lincir::preprocess(img, opt);
    opt.mode = lincir::PreprocessMode::hf;
    auto b = lincir::preprocess(img, opt);
    if (a.size() != 3 * 8 * 8 || b.size() != a.size()) std::abort();
  }
  return 0;
}
