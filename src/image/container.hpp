// Reading just enough of each container format to know (a) the Pillow mode the reference would
// give the image (stb_image expands palettes and adds alpha for tRNS, so its channel count alone
// cannot tell), (b) which channels to ask stb for, and (c) whether the file is complete: stb
// fills missing JPEG/GIF/BMP/TGA/PNM data with zeros instead of failing, while Pillow reports a
// truncated file, so truncation is detected here, from the structure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "lincir/image.hpp"

namespace lincir::detail {

enum class ContainerFormat { unknown, png, jpeg, gif, bmp, tga, pnm };
const char* container_format_name(ContainerFormat f) noexcept;

struct ContainerInfo {
  ContainerFormat format = ContainerFormat::unknown;
  ImageMode mode = ImageMode::rgb;
  // Size from our own header parse (checked against the limits before stb sees the data; stb
  // may refuse huge headers with an unhelpful reason).
  int64_t width = 0;
  int64_t height = 0;
  // Channels to request from stb. When `keep_first_channel` is set, stb is asked for 3 (palette
  // expansion) and only channel 0 is kept (grayscale palettes: Pillow's "L" / "1").
  int stb_channels = 3;
  bool keep_first_channel = false;
  // GIF: offset of the first frame's graphic-control flags byte whose transparency bit must be
  // cleared before stb decodes (Pillow shows a transparent index's palette colour; stb would
  // leave those pixels black). 0 when nothing needs patching.
  size_t gif_transparency_flag_offset = 0;
  // Binary PNM: header fields, and whether stb can decode it (maxval 255) or we scale samples.
  int pnm_maxval = 255;
  size_t pnm_data_offset = 0;
};

// Inspects `data` (size > 0). Throws Error(format) naming `name` for unrecognised data and for a
// broken or truncated container, Error(unsupported) for valid variants stb cannot decode. (stb's
// own TGA probe is looser than Pillow's and would "decode" arbitrary bytes, so unrecognised data
// never reaches stb.)
ContainerInfo inspect_container(const uint8_t* data, size_t size, const std::string& name);

}  // namespace lincir::detail
