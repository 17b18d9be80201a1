#include "projector/torch_zip_check.hpp"

#include <caffe2/serialize/versions.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/file_io.hpp"
#include "lincir/common.hpp"

namespace lincir::detail {
namespace {

constexpr uint32_t kEocdSig = 0x06054b50, kZip64EocdSig = 0x06064b50, kZip64LocSig = 0x07064b50;
constexpr uint32_t kCentralSig = 0x02014b50, kLocalSig = 0x04034b50;

struct Reader {
  const uint8_t* p;
  uint64_t n;
  bool has(uint64_t off, uint64_t len) const { return off <= n && len <= n - off; }
  uint32_t u16(uint64_t o) const { return p[o] | (uint32_t(p[o + 1]) << 8); }
  uint32_t u32(uint64_t o) const { return u16(o) | (u16(o + 2) << 16); }
  uint64_t u64(uint64_t o) const { return u32(o) | (uint64_t(u32(o + 4)) << 32); }
};

struct Entry {
  std::string name;
  uint32_t method = 0, flags = 0, crc = 0;
  uint64_t comp = 0, uncomp = 0, local = 0;
  uint32_t external_attr = 0;
};

bool iequal(const std::string& a, const std::string& b) {  // miniz's default name matching
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

void check_torch_zip(const uint8_t* data, size_t size, const std::string& path) {
  auto fail = [&](const std::string& what) {
    LINCIR_THROW(Status::format, "torch archive '" + path + "': " + what);
  };
  const Reader r{data, size};
  // End of central directory: the last signature within the final 64 KiB + 22 bytes, as miniz.
  if (size < 22) fail("too short for a zip archive");
  uint64_t eocd = UINT64_MAX;
  const uint64_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (uint64_t o = size - 22 + 1; o-- > lowest;)
    if (r.u32(o) == kEocdSig) {
      eocd = o;
      break;
    }
  if (eocd == UINT64_MAX) fail("no zip end-of-central-directory record (truncated?)");
  uint64_t count = r.u16(eocd + 10), cd_size = r.u32(eocd + 12), cd_off = r.u32(eocd + 16);
  // miniz switches to the zip64 record whenever a zip64 locator precedes the end record, whatever
  // the classic fields say (a zip64 record of 0 entries made LibTorch's reader leak: found by
  // fuzzing). torch.save writes the record right before its locator; anything else is refused,
  // so that every miniz version reads the same record.
  const bool zip64 = eocd >= 20 + 56 && r.u32(eocd - 20) == kZip64LocSig;
  if (zip64) {
    const uint64_t z = r.u64(eocd - 20 + 8);
    if (z != eocd - 20 - 56 || r.u32(z) != kZip64EocdSig)
      fail("bad zip64 end-of-central-directory record");
    count = r.u64(z + 32);
    cd_size = r.u64(z + 40);
    cd_off = r.u64(z + 48);
  } else if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_off == 0xFFFFFFFF) {
    fail("zip64 locator missing");
  }
  if (!r.has(cd_off, cd_size)) fail("central directory lies outside the file");
  if (count == 0) fail("the archive holds no records");
  if (count > cd_size / 46) fail("central directory too small for its entry count");

  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(count));
  uint64_t pos = cd_off;
  const uint64_t cd_end = cd_off + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (pos > cd_end || cd_end - pos < 46 || r.u32(pos) != kCentralSig)
      fail("central directory entry " + std::to_string(i) + " is malformed");
    Entry e;
    e.external_attr = r.u32(pos + 38);
    e.flags = r.u16(pos + 8);
    e.method = r.u16(pos + 10);
    e.crc = r.u32(pos + 16);
    e.comp = r.u32(pos + 20);
    e.uncomp = r.u32(pos + 24);
    const uint32_t name_len = r.u16(pos + 28), extra_len = r.u16(pos + 30),
                   comment_len = r.u16(pos + 32);
    e.local = r.u32(pos + 42);
    const uint64_t var = uint64_t(name_len) + extra_len + comment_len;
    if (cd_end - pos - 46 < var) fail("central directory entry " + std::to_string(i) + " is truncated");
    e.name.assign(reinterpret_cast<const char*>(data + pos + 46), name_len);
    // LibTorch looks records up by C string: a NUL inside a name would make it miss them.
    if (e.name.find('\0') != std::string::npos)
      fail("central directory entry " + std::to_string(i) + " has a NUL byte in its name");
    // Zip64 extended information: the 0xFFFFFFFF fields, in this order. Parsed as strictly as
    // miniz does when it stats a record (any malformed field is an error there).
    if (e.uncomp == 0xFFFFFFFF || e.comp == 0xFFFFFFFF || e.local == 0xFFFFFFFF) {
      uint64_t x = pos + 46 + name_len;
      const uint64_t x_end = x + extra_len;
      while (x < x_end) {
        if (x_end - x < 4) fail("bad extra field in entry '" + e.name + "'");
        const uint32_t id = r.u16(x), len = r.u16(x + 2);
        if (x_end - x - 4 < len) fail("bad extra field in entry '" + e.name + "'");
        if (id == 0x0001) {
          uint64_t f = x + 4;
          const uint64_t f_end = f + len;
          for (uint64_t* v : {&e.uncomp, &e.comp, &e.local})
            if (*v == 0xFFFFFFFF) {
              if (f_end - f < 8) fail("bad zip64 field in entry '" + e.name + "'");
              *v = r.u64(f);
              f += 8;
            }
          break;
        }
        x += 4 + len;
      }
    }
    // LibTorch allocates the declared size of a record before inflating it: only stored records
    // (size bounded by the file) are accepted, which is what torch.save writes.
    if (e.method != 0)
      LINCIR_THROW(Status::unsupported, "torch archive '" + path + "': record '" + e.name +
                                            "' is compressed (method " + std::to_string(e.method) +
                                            "); torch.save writes uncompressed archives");
    if (e.comp != e.uncomp) fail("record '" + e.name + "' has inconsistent sizes");
    if (!r.has(e.local, 30) || e.comp > r.n - e.local - 30)
      fail("record '" + e.name + "' lies outside the file (truncated?)");
    entries.push_back(std::move(e));
    pos += 46 + var;
  }

  const std::string& first = entries[0].name;
  const auto slash = first.find('/');
  if (slash == std::string::npos) fail("first record '" + first + "' is not inside a folder");
  const std::string prefix = first.substr(0, slash + 1);
  const Entry* version = nullptr;
  for (const char* rec : {".data/version", "version"}) {
    for (const auto& e : entries) {
      if (!iequal(e.name, prefix + rec)) continue;
      if (version && version->name != e.name && iequal(version->name, e.name))
        fail("ambiguous records named '" + e.name + "'");
      if (!version) version = &e;
    }
    if (version) break;
  }
  if (!version) fail("no '" + prefix + "version' record (not a torch.save archive)");
  // miniz refuses to extract a record flagged encrypted (bit 0), patch data (bit 5) or strongly
  // encrypted (bit 6), inside LibTorch's reader constructor (found by fuzzing: bit 6 alone).
  // A record with the DOS directory attribute is "extracted" as nothing (the buffer stays
  // uninitialised) by miniz.
  if (version->external_attr & 0x10) fail("record '" + version->name + "' is marked as a directory");
  if (version->flags & (1u | 32u | 64u)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%04x", version->flags);
    fail("record '" + version->name + "' is encrypted or patch data (general purpose flags " + hex + ")");
  }
  // The record's bytes follow its local header, whose own name/extra lengths count.
  const uint64_t lh = version->local;
  if (r.u32(lh) != kLocalSig) fail("record '" + version->name + "' has no local header");
  const uint64_t body = lh + 30 + r.u16(lh + 26) + r.u16(lh + 28);
  if (!r.has(body, version->comp)) fail("record '" + version->name + "' is truncated");
  if (version->comp > 64) fail("record '" + version->name + "' is too long");
  const std::string text(reinterpret_cast<const char*>(data + body), static_cast<size_t>(version->comp));
  if (crc32(0, text.data(), text.size()) != version->crc)
    fail("record '" + version->name + "' fails its CRC-32 check");
  // std::stoull semantics (what LibTorch uses): leading space, optional sign, decimal digits.
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 20; ++i, ++digits)
    v = v * 10 + uint64_t(text[i] - '0');
  if (digits == 0 || digits >= 20 || v < caffe2::serialize::kMinSupportedFileFormatVersion ||
      v > caffe2::serialize::kMaxSupportedFileFormatVersion)
    fail("unsupported archive version '" + text.substr(0, 16) + "'");
}

}  // namespace lincir::detail
