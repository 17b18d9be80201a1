#include "image/container.hpp"

#include <cstring>

namespace lincir::detail {
namespace {

// Bounds-checked little/big-endian readers over the whole buffer.
struct Bytes {
  const uint8_t* p;
  size_t n;
  bool has(size_t off, size_t len) const { return off <= n && len <= n - off; }
  uint32_t u8(size_t off) const { return p[off]; }
  uint32_t le16(size_t off) const { return p[off] | (uint32_t(p[off + 1]) << 8); }
  uint32_t le32(size_t off) const { return le16(off) | (le16(off + 2) << 16); }
  uint32_t be32(size_t off) const {
    return (uint32_t(p[off]) << 24) | (uint32_t(p[off + 1]) << 16) | (uint32_t(p[off + 2]) << 8) |
           p[off + 3];
  }
};

[[noreturn]] void corrupt(const std::string& name, const char* fmt, const std::string& what) {
  LINCIR_THROW(Status::format, "image '" + name + "': " + fmt + ": " + what);
}
[[noreturn]] void truncated(const std::string& name, const char* fmt) {
  corrupt(name, fmt, "file is truncated");
}

// ---- PNG: the IHDR colour type decides the mode (stb adds alpha for tRNS and expands
// palettes, Pillow keeps "L"/"RGB"/"P" and records the transparency separately).
ContainerInfo inspect_png(const Bytes& b, const std::string& name) {
  ContainerInfo ci;
  ci.format = ContainerFormat::png;
  if (!b.has(8, 25)) truncated(name, "PNG");
  if (b.be32(8) != 13 || std::memcmp(b.p + 12, "IHDR", 4) != 0)
    corrupt(name, "PNG", "first chunk is not IHDR");
  ci.width = b.be32(16);
  ci.height = b.be32(20);
  const uint32_t depth = b.u8(24), color = b.u8(25);
  switch (color) {
    case 0:  // grey; 16-bit grey is Pillow mode "I", kept as 8-bit grey here (docs/images.md)
      ci.mode = depth == 1 ? ImageMode::bilevel : ImageMode::gray;
      ci.stb_channels = 1;
      break;
    case 2: ci.mode = ImageMode::rgb; ci.stb_channels = 3; break;
    case 3: ci.mode = ImageMode::palette; ci.stb_channels = 3; break;  // tRNS dropped, see docs
    case 4: ci.mode = ImageMode::gray_alpha; ci.stb_channels = 2; break;
    case 6: ci.mode = ImageMode::rgba; ci.stb_channels = 4; break;
    default: corrupt(name, "PNG", "invalid colour type " + std::to_string(color));
  }
  return ci;
}

// A DHT segment holds tables of (class/id byte, 16 code counts, sum-of-counts symbols). stb_image
// 2.27 does not check that a table has at most 256 symbols and fits the segment before copying
// it into fixed 256-entry arrays (CVE-2021-37789, fixed in stb 2.28), so that is checked here,
// on the same segments stb will parse.
void check_jpeg_dht(const Bytes& b, size_t pos, size_t len, const std::string& name) {
  while (len > 0) {
    if (len < 17) corrupt(name, "JPEG", "bad Huffman table segment");
    const uint32_t q = b.u8(pos);
    if ((q >> 4) > 1 || (q & 15) > 3) corrupt(name, "JPEG", "bad Huffman table id");
    size_t n = 0;
    for (int i = 1; i <= 16; ++i) n += b.u8(pos + i);
    if (n > 256 || 17 + n > len) corrupt(name, "JPEG", "bad Huffman table size");
    pos += 17 + n;
    len -= 17 + n;
  }
}

// ---- JPEG: walk the marker segments and entropy-coded scans up to EOI. stb decodes a JPEG
// cut short without complaint (missing data reads as zeros); Pillow raises "image file is
// truncated", so a missing EOI is treated as truncation.
ContainerInfo inspect_jpeg(const Bytes& b, const std::string& name) {
  ContainerInfo ci;
  ci.format = ContainerFormat::jpeg;
  size_t pos = 2;
  for (;;) {
    // Find the next marker (libjpeg skips extraneous bytes between segments, so do we).
    const void* ff = pos < b.n ? std::memchr(b.p + pos, 0xFF, b.n - pos) : nullptr;
    if (!ff) truncated(name, "JPEG");
    pos = static_cast<const uint8_t*>(ff) - b.p;
    while (pos < b.n && b.p[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= b.n) truncated(name, "JPEG");
    const uint32_t marker = b.p[pos++];
    if (marker == 0xD9) return ci;  // EOI
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (!b.has(pos, 2)) truncated(name, "JPEG");
    const size_t len = (b.u8(pos) << 8) | b.u8(pos + 1);
    if (len < 2) corrupt(name, "JPEG", "bad marker segment length");
    if (!b.has(pos, len)) truncated(name, "JPEG");
    if (marker == 0xC4) check_jpeg_dht(b, pos + 2, len - 2, name);
    pos += len;
    if (marker != 0xDA) continue;
    // Entropy-coded data: 0xFF is followed by a stuffed 0x00 or a restart marker inside a scan;
    // anything else is the next marker.
    for (;;) {
      const void* f = pos < b.n ? std::memchr(b.p + pos, 0xFF, b.n - pos) : nullptr;
      if (!f) truncated(name, "JPEG");
      pos = static_cast<const uint8_t*>(f) - b.p;
      if (pos + 1 >= b.n) truncated(name, "JPEG");
      const uint32_t next = b.p[pos + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
        pos += next == 0xFF ? 1 : 2;
        continue;
      }
      break;
    }
  }
}

// Sub-blocks of a GIF extension or image: length-prefixed, ended by a zero length.
size_t skip_gif_subblocks(const Bytes& b, size_t pos, const std::string& name) {
  for (;;) {
    if (!b.has(pos, 1)) truncated(name, "GIF");
    const size_t len = b.u8(pos++);
    if (len == 0) return pos;
    if (!b.has(pos, len)) truncated(name, "GIF");
    pos += len;
  }
}

// Pillow drops a palette that is the identity grey ramp (entry i == (i, i, i)) and opens the
// frame as "L"; any other palette gives "P".
bool gif_palette_needed(const Bytes& b, size_t off, size_t entries) {
  for (size_t i = 0; i < entries; ++i) {
    const uint8_t* e = b.p + off + 3 * i;
    if (!(e[0] == i && e[1] == i && e[2] == i)) return true;
  }
  return false;
}

ContainerInfo inspect_gif(const Bytes& b, const std::string& name) {
  ContainerInfo ci;
  ci.format = ContainerFormat::gif;
  if (!b.has(0, 13)) truncated(name, "GIF");
  ci.width = b.le16(6);
  ci.height = b.le16(8);
  const uint32_t flags = b.u8(10);
  size_t pos = 13;
  bool global_needed = false, has_global = false;
  if (flags & 0x80) {
    const size_t entries = size_t(2) << (flags & 7);
    if (!b.has(pos, 3 * entries)) truncated(name, "GIF");
    has_global = true;
    global_needed = gif_palette_needed(b, pos, entries);
    pos += 3 * entries;
  }
  size_t gce_flags_offset = 0;
  for (;;) {
    if (!b.has(pos, 1)) truncated(name, "GIF");
    const uint32_t tag = b.u8(pos++);
    if (tag == 0x21) {  // extension
      if (!b.has(pos, 1)) truncated(name, "GIF");
      const uint32_t label = b.u8(pos++);
      // Graphic control extension: block size 4, then the packed flags (bit 0: transparency).
      if (label == 0xF9 && b.has(pos, 2) && b.u8(pos) == 4) gce_flags_offset = pos + 1;
      pos = skip_gif_subblocks(b, pos, name);
    } else if (tag == 0x2C) {  // image descriptor: the first frame
      if (!b.has(pos, 9)) truncated(name, "GIF");
      const uint32_t iflags = b.u8(pos + 8);
      pos += 9;
      bool needed = global_needed, has_palette = has_global;
      if (iflags & 0x80) {
        const size_t entries = size_t(2) << (iflags & 7);
        if (!b.has(pos, 3 * entries)) truncated(name, "GIF");
        has_palette = true;
        needed = gif_palette_needed(b, pos, entries);
        pos += 3 * entries;
      }
      if (!has_palette) corrupt(name, "GIF", "no colour table");
      if (!b.has(pos, 1)) truncated(name, "GIF");
      skip_gif_subblocks(b, pos + 1, name);  // LZW minimum code size, then the data
      ci.mode = needed ? ImageMode::palette : ImageMode::gray;
      ci.stb_channels = 3;
      ci.keep_first_channel = !needed;
      if (gce_flags_offset && (b.u8(gce_flags_offset) & 1))
        ci.gif_transparency_flag_offset = gce_flags_offset;
      return ci;
    } else if (tag == 0x3B) {
      corrupt(name, "GIF", "no image in file");
    } else {
      corrupt(name, "GIF", "unknown block type");
    }
  }
}

// ---- BMP: Pillow's modes: 1/4/8-bit palettes are "P", or "L"/"1" when the palette is the
// identity grey ramp (black/white for 2 colours); 16/24-bit and 32-bit without an alpha mask
// are "RGB" (stb would keep byte 3 of BI_RGB pixels as alpha, so RGB is requested).
ContainerInfo inspect_bmp(const Bytes& b, const std::string& name) {
  ContainerInfo ci;
  ci.format = ContainerFormat::bmp;
  if (!b.has(0, 18)) truncated(name, "BMP");
  const uint32_t data_offset = b.le32(10);
  const uint32_t hsz = b.le32(14);
  if (hsz != 12 && hsz < 40) corrupt(name, "BMP", "unsupported header size");
  if (!b.has(14, hsz)) truncated(name, "BMP");
  int64_t w, h;
  uint32_t bits, compression = 0, colors = 0;
  if (hsz == 12) {
    w = int16_t(b.le16(18));
    h = int16_t(b.le16(20));
    bits = b.le16(24);
  } else {
    w = int32_t(b.le32(18));
    h = int32_t(b.le32(22));
    bits = b.le16(28);
    compression = b.le32(30);
    colors = b.le32(46);
  }
  if (h < 0) h = -h;
  if (w <= 0 || h <= 0) corrupt(name, "BMP", "invalid size");
  ci.width = w;
  ci.height = h;
  if (compression == 1 || compression == 2)
    LINCIR_THROW(Status::unsupported,
                 "image '" + name + "': RLE-compressed BMP is not supported by the decoder");
  if (compression != 0 && compression != 3)
    LINCIR_THROW(Status::unsupported, "image '" + name + "': unsupported BMP compression " +
                                          std::to_string(compression));
  // Uncompressed pixel rows are padded to 4 bytes; the file must hold all of them.
  const uint64_t stride = ((uint64_t(w) * bits + 31) / 32) * 4;
  const uint64_t need = uint64_t(data_offset) + stride * uint64_t(h);
  if (need > b.n) truncated(name, "BMP");

  if (bits <= 8) {
    if (colors == 0) colors = 1u << bits;
    ci.mode = ImageMode::palette;
    ci.stb_channels = 3;
    const size_t entry = hsz == 12 ? 3 : 4;
    const size_t pal = 14 + size_t(hsz);
    bool grey = colors <= 256 && b.has(pal, entry * colors);
    for (uint32_t i = 0; grey && i < colors; ++i) {
      const uint32_t v = colors == 2 ? (i ? 255 : 0) : i;
      // Palette entries are stored B, G, R(, reserved).
      grey = b.u8(pal + entry * i) == v && b.u8(pal + entry * i + 1) == v &&
             b.u8(pal + entry * i + 2) == v;
    }
    if (grey) {
      ci.mode = colors == 2 ? ImageMode::bilevel : ImageMode::gray;
      ci.keep_first_channel = true;
    }
  } else if (bits == 32 && compression == 3 && hsz >= 56 && b.le32(14 + 52) != 0) {
    ci.mode = ImageMode::rgba;
    ci.stb_channels = 4;
  } else {
    ci.mode = ImageMode::rgb;
    ci.stb_channels = 3;
  }
  return ci;
}

// ---- TGA (no magic number): plausible header as Pillow checks it, mode from the image type,
// completeness from the pixel count (walking RLE packets).
bool inspect_tga(const Bytes& b, const std::string& name, ContainerInfo* out) {
  if (!b.has(0, 18)) return false;
  const uint32_t id_len = b.u8(0), cmap_type = b.u8(1), type = b.u8(2);
  const uint32_t cmap_len = b.le16(5), cmap_bits = b.u8(7);
  const uint32_t w = b.le16(12), h = b.le16(14), depth = b.u8(16);
  if (cmap_type > 1 || w == 0 || h == 0) return false;
  if (depth != 8 && depth != 15 && depth != 16 && depth != 24 && depth != 32) return false;
  ContainerInfo ci;
  ci.format = ContainerFormat::tga;
  ci.width = w;
  ci.height = h;
  switch (type & 7) {
    case 1:
      ci.mode = ImageMode::palette;
      ci.stb_channels = 3;
      break;
    case 2:
      ci.mode = depth == 32 ? ImageMode::rgba : ImageMode::rgb;
      ci.stb_channels = depth == 32 ? 4 : 3;
      break;
    case 3:
      ci.mode = depth == 16 ? ImageMode::gray_alpha : ImageMode::gray;
      ci.stb_channels = depth == 16 ? 2 : 1;
      break;
    default: return false;
  }
  if (type != 1 && type != 2 && type != 3 && type != 9 && type != 10 && type != 11) return false;
  size_t pos = 18 + id_len;
  if (cmap_type == 1) pos += size_t(cmap_len) * ((cmap_bits + 7) / 8);
  const size_t bpp = (depth + 7) / 8;
  const uint64_t pixels = uint64_t(w) * h;
  if (type < 8) {
    if (pos > b.n || pixels * bpp > b.n - pos) truncated(name, "TGA");
  } else {
    uint64_t done = 0;
    while (done < pixels) {
      if (!b.has(pos, 1)) truncated(name, "TGA");
      const uint32_t head = b.u8(pos++);
      const uint64_t count = (head & 0x7F) + 1;
      const size_t bytes = (head & 0x80) ? bpp : size_t(count * bpp);
      if (!b.has(pos, bytes)) truncated(name, "TGA");
      pos += bytes;
      done += count;
    }
  }
  *out = ci;
  return true;
}

// ---- Binary PNM (P5 grey, P6 RGB). stb does not check that the samples are all there, and
// reads 16-bit samples in the wrong byte order, so the header is parsed here; maxval 255 is
// decoded by stb, other maxvals are rescaled by the caller as Pillow does.
ContainerInfo inspect_pnm(const Bytes& b, const std::string& name) {
  ContainerInfo ci;
  ci.format = ContainerFormat::pnm;
  const bool rgb = b.p[1] == '6';
  ci.mode = rgb ? ImageMode::rgb : ImageMode::gray;
  ci.stb_channels = rgb ? 3 : 1;
  size_t pos = 2;
  int64_t values[3];
  for (int i = 0; i < 3; ++i) {
    // Whitespace and '#' comments (to end of line) separate the tokens.
    for (;;) {
      if (pos >= b.n) truncated(name, "PNM");
      const uint8_t c = b.p[pos];
      if (c == '#') {
        while (pos < b.n && b.p[pos] != '\n' && b.p[pos] != '\r') ++pos;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++pos;
      } else {
        break;
      }
    }
    int64_t v = 0;
    size_t digits = 0;
    while (pos < b.n && b.p[pos] >= '0' && b.p[pos] <= '9') {
      v = v * 10 + (b.p[pos++] - '0');
      if (++digits > 9) corrupt(name, "PNM", "header number too large");
    }
    if (digits == 0) corrupt(name, "PNM", "malformed header");
    values[i] = v;
  }
  if (pos >= b.n) truncated(name, "PNM");
  ++pos;  // exactly one whitespace byte before the samples
  if (values[0] <= 0 || values[1] <= 0) corrupt(name, "PNM", "invalid size");
  if (values[2] <= 0 || values[2] > 65535) corrupt(name, "PNM", "maxval must be 1..65535");
  ci.width = values[0];
  ci.height = values[1];
  ci.pnm_maxval = int(values[2]);
  ci.pnm_data_offset = pos;
  const uint64_t need = uint64_t(values[0]) * uint64_t(values[1]) * (rgb ? 3 : 1) *
                        (values[2] > 255 ? 2 : 1);
  if (need > b.n - pos) truncated(name, "PNM");
  return ci;
}

}  // namespace

const char* container_format_name(ContainerFormat f) noexcept {
  switch (f) {
    case ContainerFormat::png: return "PNG";
    case ContainerFormat::jpeg: return "JPEG";
    case ContainerFormat::gif: return "GIF";
    case ContainerFormat::bmp: return "BMP";
    case ContainerFormat::tga: return "TGA";
    case ContainerFormat::pnm: return "PNM";
    case ContainerFormat::unknown: break;
  }
  return "unknown";
}

ContainerInfo inspect_container(const uint8_t* data, size_t size, const std::string& name) {
  const Bytes b{data, size};
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPng, 8) == 0) return inspect_png(b, name);
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return inspect_jpeg(b, name);
  if (size >= 6 && (std::memcmp(data, "GIF87a", 6) == 0 || std::memcmp(data, "GIF89a", 6) == 0))
    return inspect_gif(b, name);
  if (size >= 2 && data[0] == 'B' && data[1] == 'M') return inspect_bmp(b, name);
  if (size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6'))
    return inspect_pnm(b, name);
  if (size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7')
    LINCIR_THROW(Status::unsupported, "image '" + name +
                                          "': only binary PGM (P5) and PPM (P6) are supported");
  ContainerInfo ci;
  if (inspect_tga(b, name, &ci)) return ci;
  corrupt(name, "unrecognised data", "not a JPEG, PNG, GIF, BMP, TGA or binary PNM image");
}

}  // namespace lincir::detail
