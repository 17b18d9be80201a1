// The only translation unit that compiles stb_image (stb_backend.cpp). Everything stb-specific
// (configuration, allocation cap, failure strings) stays behind these two calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lincir::detail {

struct StbInfo {
  int width = 0;
  int height = 0;
  int channels = 0;  // as stb would return them with req_comp = 0
};

// Header-only inspection (no pixel allocation). Returns false and sets `*reason` on failure.
bool stb_info(const uint8_t* data, size_t size, StbInfo* info, std::string* reason);

struct StbFree {
  void operator()(uint8_t* p) const noexcept;
};
using StbPixels = std::unique_ptr<uint8_t, StbFree>;

// Decodes 8-bit pixels with `req_channels` (1..4) channels per pixel. No single allocation made
// by stb_image may exceed `alloc_cap` bytes (it fails with "outofmem" instead), which bounds
// decompression bombs. Returns null and sets `*reason` on failure.
StbPixels stb_decode(const uint8_t* data, size_t size, int req_channels, size_t alloc_cap,
                     int* width, int* height, std::string* reason);

}  // namespace lincir::detail
