// Image::load / Image::decode: container inspection, limits from the header, stb_image decode,
// then the small conversions that give Pillow's mode and samples.
#include <climits>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/file_io.hpp"
#include "image/container.hpp"
#include "image/stb_backend.hpp"
#include "lincir/image.hpp"

namespace lincir {
namespace {

void check_limits_valid(const DecodeLimits& l) {
  LINCIR_CHECK(l.max_encoded_bytes > 0 && l.max_encoded_bytes <= size_t(INT_MAX),
               "DecodeLimits::max_encoded_bytes must be in 1..2^31-1");
  LINCIR_CHECK(l.max_side > 0 && l.max_side <= kMaxImageSide,
               "DecodeLimits::max_side must be in 1.." + std::to_string(kMaxImageSide));
  LINCIR_CHECK(l.max_pixels > 0, "DecodeLimits::max_pixels must be positive");
}

void check_dimensions(int64_t w, int64_t h, const DecodeLimits& l, const std::string& name) {
  LINCIR_CHECK_STATUS(w > 0 && h > 0, Status::format,
                      "image '" + name + "': header has an empty size");
  LINCIR_CHECK(w <= l.max_side && h <= l.max_side,
               "image '" + name + "' is " + std::to_string(w) + "x" + std::to_string(h) +
                   ", more than the limit of " + std::to_string(l.max_side) + " pixels per side");
  LINCIR_CHECK(w * h <= l.max_pixels, "image '" + name + "' has " + std::to_string(w * h) +
                                          " pixels, more than the limit of " +
                                          std::to_string(l.max_pixels));
}

// Pillow's PPM decoder for maxval != 255: min(255, round(v / maxval * 255)), Python rounding
// (half to even, which is what nearbyint does in the default rounding mode).
Image decode_scaled_pnm(const uint8_t* data, const detail::ContainerInfo& ci) {
  Image img;
  img.width = int(ci.width);
  img.height = int(ci.height);
  img.mode = ci.mode;
  const size_t n = size_t(img.width) * img.height * img.channels();
  img.pixels.resize(n);
  const uint8_t* src = data + ci.pnm_data_offset;
  const bool wide = ci.pnm_maxval > 255;
  const double maxval = ci.pnm_maxval;
  for (size_t i = 0; i < n; ++i) {
    const double v = wide ? double((src[2 * i] << 8) | src[2 * i + 1]) : double(src[i]);
    const double r = std::nearbyint(v / maxval * 255.0);
    img.pixels[i] = uint8_t(r > 255.0 ? 255.0 : r);
  }
  return img;
}

Image decode_impl(const uint8_t* data, size_t size, const DecodeLimits& limits,
                  const std::string& name) {
  check_limits_valid(limits);
  LINCIR_CHECK_STATUS(size > 0, Status::format, "image '" + name + "' is empty (0 bytes)");
  LINCIR_CHECK(size <= limits.max_encoded_bytes,
               "image '" + name + "' is " + std::to_string(size) + " bytes, more than the limit of " +
                   std::to_string(limits.max_encoded_bytes));

  // Our own header parse first: format, Pillow mode, completeness, and the size, which is
  // checked against the limits before stb_image reads anything.
  const detail::ContainerInfo ci = detail::inspect_container(data, size, name);
  const char* fmt = detail::container_format_name(ci.format);
  if (ci.width || ci.height) check_dimensions(ci.width, ci.height, limits, name);

  // stb's header parse (JPEG sizes come from here) and the limits again.
  detail::StbInfo info;
  std::string reason;
  if (!detail::stb_info(data, size, &info, &reason))
    LINCIR_THROW(Status::format, "image '" + name + "': cannot read the " + fmt +
                                     " header (stb_image: " + reason + ")");
  check_dimensions(info.width, info.height, limits, name);
  LINCIR_CHECK_STATUS(ci.format == detail::ContainerFormat::jpeg ||
                          (info.width == ci.width && info.height == ci.height),
                      Status::format, "image '" + name + "': inconsistent " + fmt + " header");

  if (ci.format == detail::ContainerFormat::pnm && ci.pnm_maxval != 255)
    return decode_scaled_pnm(data, ci);

  // GIF transparency: decode a copy whose first frame does not declare a transparent index.
  std::vector<uint8_t> patched;
  if (ci.gif_transparency_flag_offset) {
    patched.assign(data, data + size);
    patched[ci.gif_transparency_flag_offset] &= uint8_t(~1u);
    data = patched.data();
  }

  int req = ci.stb_channels;
  ImageMode mode = ci.mode;
  if (ci.format == detail::ContainerFormat::jpeg) {
    // One component: "L"; YCbCr/RGB (and CMYK, which stb converts): "RGB".
    req = info.channels == 1 ? 1 : 3;
    mode = info.channels == 1 ? ImageMode::gray : ImageMode::rgb;
  }

  // Largest single allocation a sane decode needs: 16-bit RGBA planes (8 bytes per pixel) with
  // JPEG block padding, twice over for the zlib buffer growth, plus fixed-size tables.
  const size_t cap = size_t(info.width + 64) * size_t(info.height + 64) * 16 + (size_t(4) << 20);
  int w = 0, h = 0;
  detail::StbPixels px = detail::stb_decode(data, size, req, cap, &w, &h, &reason);
  if (!px) {
    if (reason == "outofmem")
      LINCIR_THROW(Status::format, "image '" + name + "': the " + fmt +
                                       " decoder needed more memory than a " +
                                       std::to_string(info.width) + "x" +
                                       std::to_string(info.height) +
                                       " image can (corrupt or hostile data)");
    LINCIR_THROW(Status::format,
                 "image '" + name + "': cannot decode " + fmt + " data (stb_image: " + reason + ")");
  }
  LINCIR_CHECK_STATUS(w == info.width && h == info.height, Status::format,
                      "image '" + name + "': decoded size differs from the header");

  Image img;
  img.width = w;
  img.height = h;
  img.mode = mode;
  const size_t npx = size_t(w) * size_t(h);
  if (ci.keep_first_channel) {
    img.pixels.resize(npx);
    const uint8_t* src = px.get();
    for (size_t i = 0; i < npx; ++i) img.pixels[i] = src[3 * i];
  } else {
    img.pixels.assign(px.get(), px.get() + npx * size_t(req));
  }
  return img;
}

}  // namespace

Image Image::load(const std::string& path, const DecodeLimits& limits) {
  check_limits_valid(limits);
  auto file = detail::MappedFile::open(path);  // Error(io) naming the path
  return decode_impl(file->data(), file->size(), limits, path);
}

Image Image::decode(const void* data, size_t size, const DecodeLimits& limits) {
  LINCIR_CHECK(data != nullptr || size == 0, "Image::decode: null data pointer");
  return decode_impl(static_cast<const uint8_t*>(data), size, limits, "<buffer>");
}

}  // namespace lincir
