// Decoding: every container against Pillow 9.4's reading of the same file
// (tests/data/images/expected.*, made by make_fixtures.py), sources that must agree, limits,
// and broken input.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "image/image_test_util.hpp"
#include "lincir/image.hpp"
#include "lincir/safetensors.hpp"
#include "support/test_support.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

std::string fmt_path(const std::string& name) { return data_path("images/formats/" + name); }

Status decode_status(const std::vector<uint8_t>& bytes, std::string* msg = nullptr,
                     const DecodeLimits& limits = {}) {
  try {
    Image::decode(bytes.data(), bytes.size(), limits);
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

Status load_status(const std::string& path, std::string* msg = nullptr,
                   const DecodeLimits& limits = {}) {
  try {
    Image::load(path, limits);
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

bool is_jpeg(const std::string& name) { return name.size() > 4 && name.substr(name.size() - 4) == ".jpg"; }

}  // namespace

// Every fixture decodes to Pillow's mode, size and pixels (exactly; JPEG within the decoder
// tolerance of docs/images.md).
TEST(ImageDecode, EveryFormatMatchesPillow) {
  const auto expected = read_json(data_path("images/expected.json"));
  const SafeTensors st = SafeTensors::open(data_path("images/expected.safetensors"));
  int checked = 0;
  for (const auto& [name, e] : expected["files"].items()) {
    SCOPED_TRACE(name);
    const Image img = Image::load(fmt_path(name));
    const ImageMode mode = mode_from_pillow(e["mode"]);
    EXPECT_EQ(img.mode, mode) << "got " << image_mode_name(img.mode) << ", Pillow says "
                              << e["mode"].get<std::string>();
    ASSERT_EQ(img.width, e["size_wh"][0].get<int>());
    ASSERT_EQ(img.height, e["size_wh"][1].get<int>());
    const std::string key = e["key"];
    const std::vector<uint8_t> want_rgb = u8_tensor(st, key + ".rgb");
    const Image rgb = to_rgb(img);
    if (is_jpeg(name)) {
      int max_diff = 0;
      double sum = 0;
      for (size_t i = 0; i < want_rgb.size(); ++i) {
        const int d = std::abs(int(rgb.pixels[i]) - int(want_rgb[i]));
        max_diff = std::max(max_diff, d);
        sum += d;
      }
      std::printf("  %-24s stb vs libjpeg-turbo: max %d levels, mean %.3f\n", name.c_str(),
                  max_diff, sum / double(want_rgb.size()));
      // Measured: max 3 levels, mean 0.08 (4:2:0 and progressive files); docs/images.md.
      EXPECT_LE(max_diff, 6);
      EXPECT_LE(sum / double(want_rgb.size()), 0.25);
    } else {
      EXPECT_TRUE(bytes_equal(rgb.pixels, want_rgb)) << "convert(\"RGB\")";
      if (st.contains(key + ".native")) {
        EXPECT_TRUE(bytes_equal(img.pixels, u8_tensor(st, key + ".native"))) << "native pixels";
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 26);
}

TEST(ImageDecode, AnimatedGifGivesFirstFrame) {
  // Covered by EveryFormatMatchesPillow too (Pillow's Image.open shows frame 0); this pins the
  // contract on its own.
  const SafeTensors st = SafeTensors::open(data_path("images/expected.safetensors"));
  const Image img = Image::load(fmt_path("anim.gif"));
  EXPECT_EQ(img.mode, ImageMode::palette);
  EXPECT_TRUE(bytes_equal(to_rgb(img).pixels, u8_tensor(st, "anim_gif.rgb")));
}

// The same pixels through every entry point: file, encoded bytes, and a caller buffer with row
// padding, for each channel count; and the same model input from all of them.
TEST(ImageDecode, FileBytesAndStridedBufferAgree) {
  const struct {
    std::string path;
    int channels;
  } cases[] = {{data_path("parity/images/gray_L_33x47.png"), 1},
               {fmt_path("la.png"), 2},
               {data_path("parity/images/nonsquare_50x37.png"), 3},
               {data_path("parity/images/rgba_36x36.png"), 4}};
  PreprocessOptions opt;
  opt.size = 24;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const Image from_file = Image::load(c.path);
    ASSERT_EQ(from_file.channels(), c.channels);
    const std::vector<uint8_t> bytes = read_bytes(c.path);
    const Image from_bytes = Image::decode(bytes.data(), bytes.size());
    EXPECT_EQ(from_bytes.mode, from_file.mode);
    EXPECT_TRUE(bytes_equal(from_bytes.pixels, from_file.pixels));

    // Caller buffer: rows padded with 7 junk bytes.
    const size_t row = size_t(from_file.width) * c.channels, stride = row + 7;
    std::vector<uint8_t> buf(stride * from_file.height, 0xAB);
    for (int y = 0; y < from_file.height; ++y)
      std::memcpy(buf.data() + stride * y, from_file.pixels.data() + row * y, row);
    const Image wrapped =
        Image::from_pixels(buf.data(), from_file.width, from_file.height, c.channels, stride);
    EXPECT_EQ(wrapped.mode, from_file.mode);
    EXPECT_TRUE(image_equals(wrapped, from_file.width, from_file.height, from_file.mode,
                             from_file.pixels));
    // Tightly packed (stride 0) too.
    const Image packed = Image::from_pixels(from_file.pixels.data(), from_file.width,
                                            from_file.height, c.channels);
    EXPECT_TRUE(bytes_equal(packed.pixels, from_file.pixels));

    const std::vector<float> a = preprocess(from_file, opt), b = preprocess(from_bytes, opt),
                             w = preprocess(wrapped, opt);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, w);
  }
}

TEST(ImageDecode, FromPixelsRejectsBadArguments) {
  std::vector<uint8_t> px(64 * 64 * 4, 1);
  auto status = [&](const uint8_t* d, int w, int h, int c, size_t stride) {
    try {
      Image::from_pixels(d, w, h, c, stride);
    } catch (const Error& e) {
      return e.status();
    }
    return Status::ok;
  };
  EXPECT_EQ(status(px.data(), 4, 4, 3, 0), Status::ok);
  EXPECT_EQ(status(nullptr, 4, 4, 3, 0), Status::invalid_argument);
  EXPECT_EQ(status(px.data(), 0, 4, 3, 0), Status::invalid_argument);
  EXPECT_EQ(status(px.data(), 4, -1, 3, 0), Status::invalid_argument);
  EXPECT_EQ(status(px.data(), 4, 4, 0, 0), Status::invalid_argument);
  EXPECT_EQ(status(px.data(), 4, 4, 5, 0), Status::invalid_argument);
  EXPECT_EQ(status(px.data(), 4, 4, 3, 11), Status::invalid_argument);  // stride < row (12)
  EXPECT_EQ(status(px.data(), 4, 4, 3, 12), Status::ok);
  EXPECT_EQ(status(px.data(), kMaxImageSide + 1, 1, 1, 0), Status::invalid_argument);
  // stride * height would overflow size_t: rejected before anything is read.
  EXPECT_EQ(status(px.data(), 4, 3, 1, SIZE_MAX / 2), Status::invalid_argument);
}

TEST(ImageDecode, LimitsAreCheckedBeforeDecoding) {
  std::string msg;
  // 33 bytes: a PNG signature and an IHDR claiming 100000 x 100000 RGB, no image data at all.
  // Were it decoded, stb would fail on the missing IDAT (format error); the limit is reported
  // instead, from the header alone.
  EXPECT_EQ(load_status(fmt_path("huge_header.png"), &msg), Status::invalid_argument);
  EXPECT_NE(msg.find("100000x100000"), std::string::npos) << msg;
  DecodeLimits generous;
  generous.max_side = kMaxImageSide;
  EXPECT_EQ(load_status(fmt_path("huge_header.png"), &msg, generous), Status::invalid_argument);
  EXPECT_NE(msg.find("pixels"), std::string::npos) << msg;

  const std::string png = data_path("parity/images/gradient_rgb.png");  // 64x64
  DecodeLimits side;
  side.max_side = 63;
  EXPECT_EQ(load_status(png, &msg, side), Status::invalid_argument);
  EXPECT_NE(msg.find("per side"), std::string::npos) << msg;
  side.max_side = 64;
  EXPECT_EQ(load_status(png, &msg, side), Status::ok) << msg;
  DecodeLimits pixels;
  pixels.max_pixels = 64 * 64 - 1;
  EXPECT_EQ(load_status(png, &msg, pixels), Status::invalid_argument);
  pixels.max_pixels = 64 * 64;
  EXPECT_EQ(load_status(png, &msg, pixels), Status::ok) << msg;
  DecodeLimits bytes;
  bytes.max_encoded_bytes = 100;  // the file is 387 bytes
  EXPECT_EQ(load_status(png, &msg, bytes), Status::invalid_argument);
  EXPECT_NE(msg.find("bytes"), std::string::npos) << msg;

  // Same checks for another container (limits come from stb's header parse there).
  DecodeLimits small;
  small.max_side = 8;
  EXPECT_EQ(load_status(fmt_path("photo420.jpg"), &msg, small), Status::invalid_argument);
  EXPECT_EQ(load_status(fmt_path("pal.gif"), &msg, small), Status::invalid_argument);

  // Invalid limits themselves.
  DecodeLimits bad;
  bad.max_side = 0;
  EXPECT_EQ(load_status(png, &msg, bad), Status::invalid_argument);
  bad = {};
  bad.max_side = kMaxImageSide + 1;
  EXPECT_EQ(load_status(png, &msg, bad), Status::invalid_argument);
  bad = {};
  bad.max_pixels = 0;
  EXPECT_EQ(load_status(png, &msg, bad), Status::invalid_argument);
  bad = {};
  bad.max_encoded_bytes = size_t(INT_MAX) + 1;
  EXPECT_EQ(load_status(png, &msg, bad), Status::invalid_argument);
}

// A PNG / GIF whose data inflates far beyond what its header size needs is stopped by the
// per-allocation cap instead of being decompressed: a 2x2 PNG whose IDAT inflates to 8 MiB.
TEST(ImageDecode, DecompressionBombIsBounded) {
  auto crc32 = [](const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
  };
  auto chunk = [&](std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& d) {
    const uint32_t n = uint32_t(d.size());
    for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(n >> s));
    const size_t start = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), d.begin(), d.end());
    const uint32_t c = crc32(out.data() + start, out.size() - start);
    for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(c >> s));
  };
  // zlib stream of stored blocks would be as large as its output; use fixed-Huffman runs
  // instead: a block of "literal 0, then <length 258, distance 1> repeated", which inflates
  // 8 MiB from ~32 KiB.
  std::vector<uint8_t> z = {0x78, 0x01};
  uint64_t bitbuf = 0;
  int bits = 0;
  auto put = [&](uint32_t v, int n) {  // LSB-first
    bitbuf |= uint64_t(v) << bits;
    bits += n;
    while (bits >= 8) {
      z.push_back(uint8_t(bitbuf));
      bitbuf >>= 8;
      bits -= 8;
    }
  };
  auto put_rev = [&](uint32_t code, int n) {  // Huffman codes go MSB-first
    uint32_t r = 0;
    for (int i = 0; i < n; ++i) r |= ((code >> i) & 1u) << (n - 1 - i);
    put(r, n);
  };
  put(1, 1);                        // final block
  put(1, 2);                        // fixed Huffman
  put_rev(0x30 + 0, 8);             // literal 0
  for (int i = 0; i < (8 << 20) / 258; ++i) {
    put_rev(0xC5, 8);               // length symbol 285 (258): codes 280-287 are 8 bits 0xC0+
    put_rev(0, 5);                  // distance code 0 (distance 1)
  }
  put_rev(0, 7);                    // end of block (256)
  if (bits) put(0, 8 - bits);
  for (int i = 0; i < 4; ++i) z.push_back(0);  // adler32 (not checked by stb)
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  chunk(png, "IHDR", {0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0});
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  std::string msg;
  EXPECT_EQ(decode_status(png, &msg), Status::format) << msg;
  EXPECT_NE(msg.find("memory"), std::string::npos) << msg;
}

// Every strict prefix of a file must either fail with Error(format) or (for formats whose tail
// is optional: TGA footer, GIF trailer) decode to exactly the full file's pixels. stb alone
// would return zero-filled images for truncated JPEG/GIF/BMP/TGA/PNM data.
TEST(ImageDecode, TruncatedFilesFailOrDecodeIdentically) {
  const std::vector<std::string> files = {
      fmt_path("rgb24.bmp"), fmt_path("pal8.bmp"),   fmt_path("gray8.bmp"),
      fmt_path("pal.gif"),   fmt_path("anim.gif"),   fmt_path("pal_transparent.gif"),
      fmt_path("rgb.tga"),   fmt_path("rgb_rle.tga"), fmt_path("pal.tga"),
      fmt_path("rgb.ppm"),   fmt_path("gray.pgm"),   fmt_path("rgb_maxval1000.ppm"),
      fmt_path("la.png"),    fmt_path("pal_trns.png"), fmt_path("rgb16.png"),
      fmt_path("photo420.jpg"), fmt_path("photo_progressive.jpg"), fmt_path("gray.jpg"),
      data_path("parity/images/gradient_rgb.jpg"), data_path("parity/images/stripes_rgb.png")};
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    const std::vector<uint8_t> full = read_bytes(path);
    const Image ref = Image::decode(full.data(), full.size());
    int failed = 0, same = 0;
    for (size_t len = 0; len < full.size(); ++len) {
      const std::vector<uint8_t> prefix(full.begin(), full.begin() + len);
      try {
        const Image img = Image::decode(prefix.data(), prefix.size());
        ASSERT_TRUE(image_equals(img, ref.width, ref.height, ref.mode, ref.pixels))
            << "prefix of " << len << " of " << full.size() << " bytes decoded differently";
        ++same;
      } catch (const Error& e) {
        ASSERT_EQ(e.status(), Status::format) << "prefix " << len << ": " << e.what();
        ++failed;
      }
    }
    std::printf("  %-28s %zu prefixes: %d rejected, %d decode identically\n",
                path.substr(path.find_last_of('/') + 1).c_str(), full.size(), failed, same);
    // Cutting the file in half always fails.
    EXPECT_EQ(decode_status(std::vector<uint8_t>(full.begin(), full.begin() + full.size() / 2)),
              Status::format);
    EXPECT_GT(failed, 0);
  }
}

TEST(ImageDecode, CorruptDataIsAFormatError) {
  std::string msg;
  const std::string text = "definitely not an image, just some text";
  EXPECT_EQ(decode_status(std::vector<uint8_t>(text.begin(), text.end()), &msg), Status::format);
  EXPECT_NE(msg.find("<buffer>"), std::string::npos) << msg;

  // PNG with an invalid colour type in IHDR.
  std::vector<uint8_t> png = read_bytes(data_path("parity/images/gradient_rgb.png"));
  png[25] = 5;
  EXPECT_EQ(decode_status(png, &msg), Status::format) << msg;
  // PNG with its IDAT payload scrambled (zlib data error).
  png = read_bytes(data_path("parity/images/gradient_rgb.png"));
  for (size_t i = 45; i < 120 && i < png.size() - 12; ++i) png[i] = uint8_t(i * 37);
  EXPECT_EQ(decode_status(png, &msg), Status::format) << msg;
  // JPEG whose SOF0 claims 0 components.
  std::vector<uint8_t> jpg = read_bytes(fmt_path("gray.jpg"));
  bool patched = false;
  for (size_t i = 2; i + 9 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
      jpg[i + 9] = 0;
      patched = true;
      break;
    }
  ASSERT_TRUE(patched);
  EXPECT_EQ(decode_status(jpg, &msg), Status::format) << msg;
  // JPEG Huffman table claiming 16 * 64 = 1024 symbols (stb 2.27 would overflow its 256-entry
  // arrays; rejected before stb sees it).
  jpg = read_bytes(fmt_path("gray.jpg"));
  size_t dht = 0;
  for (size_t i = 2; i + 21 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  ASSERT_NE(dht, 0u);
  for (int k = 0; k < 16; ++k) jpg[dht + 5 + k] = 64;
  EXPECT_EQ(decode_status(jpg, &msg), Status::format) << msg;
  EXPECT_NE(msg.find("Huffman"), std::string::npos) << msg;
  // A scan using Huffman tables the file never defines (stb 2.27 reads its uninitialised table
  // memory; our allocations are zeroed): must not crash, and any error is a format error.
  jpg = read_bytes(fmt_path("gray.jpg"));
  patched = false;
  for (size_t i = 2; i + 6 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xDA) {
      jpg[i + 6] = 0x33;  // component 1: DC table 3, AC table 3
      patched = true;
      break;
    }
  ASSERT_TRUE(patched);
  const Status undefined_tables = decode_status(jpg, &msg);
  EXPECT_TRUE(undefined_tables == Status::ok || undefined_tables == Status::format) << msg;
  // A scan cut short by a marker (found by fuzz_image): stb 2.27 keeps decoding bits it does not
  // have and then shifts by 32 (tests/sanitize/stb_ubsan.ignorelist explains why that is benign);
  // the file must fail cleanly.
  EXPECT_EQ(decode_status(read_bytes(data_path("images/malformed/jpeg_scan_cut_by_marker.jpg")),
                          &msg),
            Status::format)
      << msg;
  // GIF without any colour table.
  std::vector<uint8_t> gif = read_bytes(fmt_path("pal.gif"));
  gif[10] &= 0x7F;  // drop the global table flag (the table bytes now read as blocks)
  EXPECT_EQ(decode_status(gif, &msg), Status::format) << msg;
}

TEST(ImageDecode, EmptyMissingAndUnsupportedInputs) {
  std::string msg;
  EXPECT_EQ(decode_status({}, &msg), Status::format) << msg;
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  try {
    Image::decode(nullptr, 0);
    ADD_FAILURE() << "decode(nullptr, 0) did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::format);
  }
  try {
    Image::decode(nullptr, 10);
    ADD_FAILURE() << "decode(nullptr, 10) did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::invalid_argument);
  }

  const std::string missing = data_path("images/formats/does_not_exist.png");
  EXPECT_EQ(load_status(missing, &msg), Status::io);
  EXPECT_NE(msg.find("does_not_exist.png"), std::string::npos) << msg;
  EXPECT_EQ(load_status(data_path("images/formats"), &msg), Status::io) << msg;  // a directory

  TempDir dir;
  write_bytes(dir.file("empty.png"), {});
  EXPECT_EQ(load_status(dir.file("empty.png"), &msg), Status::format);
  EXPECT_NE(msg.find("empty.png"), std::string::npos) << msg;

  // Plain-text / bitmap PNM and RLE BMP are valid files this build does not decode.
  const std::string pbm = "P4\n8 2\n\xF0\x0F";
  EXPECT_EQ(decode_status(std::vector<uint8_t>(pbm.begin(), pbm.end()), &msg),
            Status::unsupported);
  std::vector<uint8_t> bmp = read_bytes(fmt_path("pal8.bmp"));
  bmp[30] = 1;  // BI_RLE8
  EXPECT_EQ(decode_status(bmp, &msg), Status::unsupported) << msg;
}

// Decoding is reentrant: stb's failure reason and our allocation cap are per thread.
TEST(ImageDecode, ConcurrentDecodesAgree) {
  const std::vector<std::string> files = {fmt_path("photo420.jpg"), fmt_path("pal.gif"),
                                          fmt_path("la.png"), fmt_path("rgb_rle.tga"),
                                          fmt_path("huge_header.png")};
  std::vector<Image> ref;
  for (size_t i = 0; i + 1 < files.size(); ++i) ref.push_back(Image::load(files[i]));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < files.size(); ++i) {
          try {
            const Image img = Image::load(files[i]);
            if (i >= ref.size() || img.pixels != ref[i].pixels) ++mismatches[t];
          } catch (const Error& e) {
            if (i != files.size() - 1 || e.status() != Status::invalid_argument) ++mismatches[t];
          }
        }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}
