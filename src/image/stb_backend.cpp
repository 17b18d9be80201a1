// stb_image compiled once, with only the formats this library promises. Configuration:
// - STBI_NO_STDIO: files are mapped by MappedFile and decoded from memory.
// - STBI_MAX_DIMENSIONS = kMaxImageSide: stb's own sanity bound; our DecodeLimits are checked
//   before decoding and may not exceed it.
// - vertical flip is never enabled (stbi_set_flip_vertically_on_load is never called), and
//   failure strings / flags are thread-local in this stb version, so decoding is reentrant.
// - Allocations go through a per-thread cap set for the duration of one decode, and are zeroed.
// Known stb 2.27 defects that matter for hostile input are guarded elsewhere: container.cpp
// validates JPEG Huffman table sizes and PNM sample counts, decode.cpp never hands 16-bit PNM to
// stb (docs/images.md).
#include "image/stb_backend.hpp"

#include <climits>
#include <cstdlib>

// stb's inlined readers trip GCC's may-be-uninitialized analysis (the fields are set on every
// path that reads them); silenced for this translation unit only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "lincir/image.hpp"

namespace {
thread_local size_t t_alloc_cap = 0;  // 0 = no decode in progress: refuse everything

// Zeroed, as stb 2.28 does with its JPEG state: in 2.27 a scan that uses a Huffman table the
// file never defined reads uninitialised memory as table data (wild indices).
void* capped_malloc(size_t n) { return n <= t_alloc_cap ? std::calloc(1, n) : nullptr; }
void* capped_realloc(void* p, size_t n) { return n <= t_alloc_cap ? std::realloc(p, n) : nullptr; }
}  // namespace

// stb 2.27 calls memcpy(NULL, src, 0) for an empty PNG IDAT chunk before any data (undefined
// behaviour that UBSan reports; fixed upstream in 2.28): route stb's memcpy through a wrapper
// that skips empty copies. <cstring> is included first so that stb's own #include is a no-op.
#include <cstring>
namespace {
inline void* stb_memcpy(void* dst, const void* src, size_t n) {
  return n ? std::memcpy(dst, src, n) : dst;
}
}  // namespace
#define memcpy(d, s, n) stb_memcpy((d), (s), (n))

#define STBI_MALLOC(sz) capped_malloc(sz)
#define STBI_REALLOC(p, newsz) capped_realloc(p, newsz)
#define STBI_FREE(p) std::free(p)
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#define STBI_ONLY_PNM
#define STBI_MAX_DIMENSIONS (lincir::kMaxImageSide)
#define STBI_ASSERT(x) ((void)0)  // never abort on bad input; stb reports errors itself
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#undef memcpy
// Entry points with known memory-safety bugs in stb 2.27 that this library must never reach:
// vertical flip (CVE-2023-45662, CVE-2023-45667) and the animated-GIF loader
// (CVE-2023-45661, CVE-2023-45664, CVE-2023-45666). Poisoned so that no later edit can call them.
#if defined(__GNUC__)
#pragma GCC poison stbi_set_flip_vertically_on_load stbi_set_flip_vertically_on_load_thread
#pragma GCC poison stbi_load_gif_from_memory
#endif

namespace lincir::detail {
namespace {

struct CapScope {
  explicit CapScope(size_t cap) { t_alloc_cap = cap; }
  ~CapScope() { t_alloc_cap = 0; }
};

std::string failure_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown decoder error";
}

}  // namespace

void StbFree::operator()(uint8_t* p) const noexcept { stbi_image_free(p); }

bool stb_info(const uint8_t* data, size_t size, StbInfo* info, std::string* reason) {
  if (size > size_t(INT_MAX)) {
    *reason = "buffer larger than 2 GiB";
    return false;
  }
  // Header parsing allocates only stb's fixed-size decoder state (JPEG, GIF): allow 1 MiB.
  CapScope cap(size_t(1) << 20);
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &c)) {
    *reason = failure_reason();
    return false;
  }
  info->width = w;
  info->height = h;
  info->channels = c;
  return true;
}

StbPixels stb_decode(const uint8_t* data, size_t size, int req_channels, size_t alloc_cap,
                     int* width, int* height, std::string* reason) {
  if (size > size_t(INT_MAX)) {
    *reason = "buffer larger than 2 GiB";
    return nullptr;
  }
  CapScope cap(alloc_cap);
  int w = 0, h = 0, c = 0;
  stbi_uc* p = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &c, req_channels);
  if (!p) {
    *reason = failure_reason();
    return nullptr;
  }
  *width = w;
  *height = h;
  return StbPixels(p);
}

}  // namespace lincir::detail
