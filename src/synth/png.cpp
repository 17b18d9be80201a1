// PNG encoding with stb_image_write, compiled here with static linkage so that it cannot clash
// with another component's copy of stb. Deflate is zlib's level 1: stb's built-in compressor
// spends ~1 ms per 40 px image in malloc/free for nothing (noisy pixels barely compress).
#include <zlib.h>

#include <cstdlib>

namespace {
// One deflate state per thread, reset per image: deflateInit allocates ~256 KiB, which costs
// more page faults than compressing a 40 px image.
struct Deflater {
  z_stream zs{};
  bool ok = false;
  Deflater() { ok = deflateInit(&zs, 1) == Z_OK; }
  ~Deflater() {
    if (ok) deflateEnd(&zs);
  }
};

unsigned char* zlib_deflate_fast(unsigned char* data, int size, int* out_size, int /*quality*/) {
  thread_local Deflater d;
  if (!d.ok || deflateReset(&d.zs) != Z_OK) return nullptr;
  const uLong cap = deflateBound(&d.zs, uLong(size));
  auto* out = static_cast<unsigned char*>(std::malloc(cap));  // stb releases it with free()
  if (!out) return nullptr;
  d.zs.next_in = data;
  d.zs.avail_in = uInt(size);
  d.zs.next_out = out;
  d.zs.avail_out = uInt(cap);
  if (deflate(&d.zs, Z_FINISH) != Z_STREAM_END) {
    std::free(out);
    return nullptr;
  }
  *out_size = int(d.zs.total_out);
  return out;
}
}  // namespace

#define STBIW_ZLIB_COMPRESS zlib_deflate_fast
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "core/file_io.hpp"
#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

// Local copy (lincir_image need not be linked). Palette images are stored expanded to RGB.
int mode_channels(ImageMode m) {
  if (m == ImageMode::gray) return 1;
  if (m == ImageMode::gray_alpha) return 2;
  if (m == ImageMode::rgb || m == ImageMode::palette) return 3;
  if (m == ImageMode::rgba) return 4;
  return 0;  // other modes are not encoded here
}

void append_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

}  // namespace

std::vector<uint8_t> encode_png(const Image& image) {
  const int c = mode_channels(image.mode);
  LINCIR_CHECK(c > 0, "encode_png: only gray, gray+alpha, RGB and RGBA images are supported");
  LINCIR_CHECK(image.width > 0 && image.height > 0, "encode_png: empty image");
  LINCIR_CHECK(image.pixels.size() == size_t(image.width) * image.height * c,
               "encode_png: pixel buffer size does not match width*height*channels");
  std::vector<uint8_t> out;
  out.reserve(size_t(image.width) * image.height * c / 2 + 128);
  const int ok = stbi_write_png_to_func(append_bytes, &out, image.width, image.height, c,
                                        image.pixels.data(), image.width * c);
  LINCIR_CHECK_STATUS(ok != 0, Status::internal, "encode_png: stb_image_write failed");
  return out;
}

void write_png(const std::string& path, const Image& image) {
  const std::vector<uint8_t> bytes = encode_png(image);
  detail::write_file_atomic(path, bytes.data(), bytes.size());
}

}  // namespace lincir::synth
