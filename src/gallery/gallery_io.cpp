// Gallery files: see docs/gallery-format.md for the layout. Every field is checked against the
// file length (with overflow checks) before it is used, so a corrupt file can only produce
// Error(format).
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/file_io.hpp"
#include "gallery/gallery_impl.hpp"
#include "lincir/gallery.hpp"

namespace lincir {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "gallery files are little-endian; a big-endian port must byte-swap here");

constexpr char kMagic[8] = {'L', 'C', 'I', 'R', 'G', 'L', 'R', 'Y'};
constexpr char kEndMagic[4] = {'L', 'C', 'G', 'E'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderBytes = 64;
constexpr uint64_t kFooterBytes = 8;
constexpr uint64_t kAlign = 64;
constexpr uint32_t kDTypeF32 = 1, kDTypeF16 = 2;
constexpr uint32_t kFlagNormalized = 1;  // vectors are L2-normalised: cosine metric

uint64_t align_up(uint64_t x) { return (x + kAlign - 1) & ~(kAlign - 1); }

uint32_t crc_update(uint32_t crc, const void* data, size_t n) {
  const Bytef* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes 32-bit lengths
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, size_t{1} << 30));
    crc = static_cast<uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    n -= chunk;
  }
  return crc;
}

template <class T>
void put(uint8_t* buf, size_t off, T v) {
  std::memcpy(buf + off, &v, sizeof(T));
}
template <class T>
T get(const uint8_t* buf, size_t off) {
  T v;
  std::memcpy(&v, buf + off, sizeof(T));
  return v;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

void Gallery::save(const std::string& path) const {
  const Impl& g = *impl_;
  detail::ReadLock lock(g.mutex);
  const uint64_t n = g.ids.size();
  std::vector<uint32_t> lengths(n);
  std::string name_bytes;
  for (size_t i = 0; i < n; ++i) {
    lengths[i] = static_cast<uint32_t>(g.names[i].size());
    name_bytes += g.names[i];
  }
  const uint64_t names_section = 4 * n + name_bytes.size();
  const uint64_t names_end = kHeaderBytes + 8 * n + names_section;
  const uint64_t vectors_offset = align_up(names_end);

  uint8_t header[kHeaderBytes] = {};
  std::memcpy(header, kMagic, 8);
  put<uint32_t>(header, 8, kVersion);
  put<uint32_t>(header, 12, static_cast<uint32_t>(kHeaderBytes));
  put<uint32_t>(header, 16, static_cast<uint32_t>(g.dim));
  put<uint32_t>(header, 20, g.store.storage() == GalleryStorage::float16 ? kDTypeF16 : kDTypeF32);
  put<uint64_t>(header, 24, n);
  put<uint32_t>(header, 32, g.metric == GalleryMetric::cosine ? kFlagNormalized : 0u);
  put<uint64_t>(header, 40, names_section);
  put<uint64_t>(header, 48, vectors_offset);

  detail::write_file_atomic(path, [&](const detail::ByteSink& sink) {
    uint32_t crc = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
    auto emit = [&](const void* p, size_t size) {
      if (size == 0) return;
      crc = crc_update(crc, p, size);
      sink(p, size);
    };
    emit(header, sizeof header);
    emit(g.ids.data(), n * 8);
    emit(lengths.data(), n * 4);
    emit(name_bytes.data(), name_bytes.size());
    const uint8_t zeros[kAlign] = {};
    emit(zeros, vectors_offset - names_end);
    emit(g.store.data(), g.store.nbytes());
    uint8_t footer[kFooterBytes];
    put<uint32_t>(footer, 0, crc);
    std::memcpy(footer + 4, kEndMagic, 4);
    sink(footer, sizeof footer);
  });
}

Gallery Gallery::load(const std::string& path, const GalleryLoadOptions& options) {
  auto file = detail::MappedFile::open(path);
  const uint8_t* d = file->data();
  const uint64_t size = file->size();
  auto fail = [&](const std::string& what) {
    LINCIR_THROW(Status::format, "gallery file '" + path + "': " + what);
  };

  if (size < kHeaderBytes + kFooterBytes)
    fail("too short (" + std::to_string(size) + " bytes) to be a gallery file");
  if (std::memcmp(d, kMagic, 8) != 0) fail("bad magic: not a lincir gallery file");
  const uint32_t version = get<uint32_t>(d, 8);
  if (version != kVersion)
    fail("unsupported format version " + std::to_string(version) + " (this build reads version " +
         std::to_string(kVersion) + ")");
  if (get<uint32_t>(d, 12) != kHeaderBytes)
    fail("header size " + std::to_string(get<uint32_t>(d, 12)) + " is not 64");
  const uint32_t dim = get<uint32_t>(d, 16);
  if (dim == 0 || dim > uint32_t(detail::kMaxGalleryDim))
    fail("dimension " + std::to_string(dim) + " is outside [1, " +
         std::to_string(detail::kMaxGalleryDim) + "]");
  const uint32_t dtype = get<uint32_t>(d, 20);
  if (dtype != kDTypeF32 && dtype != kDTypeF16) fail("unknown dtype " + std::to_string(dtype));
  const uint64_t count = get<uint64_t>(d, 24);
  const uint32_t flags = get<uint32_t>(d, 32);
  if (flags & ~kFlagNormalized) fail("unknown flags " + hex(flags));
  if (get<uint32_t>(d, 36) != 0 || get<uint64_t>(d, 56) != 0) fail("reserved header fields are not zero");
  const uint64_t names_section = get<uint64_t>(d, 40);
  const uint64_t vectors_offset = get<uint64_t>(d, 48);

  // Sizes, each bounded by the file length before it is combined with another.
  const uint64_t body = size - kHeaderBytes - kFooterBytes;
  if (count > body / 8) fail("vector count " + std::to_string(count) + " does not fit in the file");
  if (names_section > body - 8 * count)
    fail("names section of " + std::to_string(names_section) + " bytes does not fit in the file");
  if (names_section < 4 * count)
    fail("names section of " + std::to_string(names_section) + " bytes is too small for " +
         std::to_string(count) + " name lengths");
  const uint64_t names_end = kHeaderBytes + 8 * count + names_section;
  if (vectors_offset != align_up(names_end))
    fail("vector offset " + std::to_string(vectors_offset) + " is not " +
         std::to_string(align_up(names_end)));
  const uint64_t elem = dtype == kDTypeF16 ? 2 : 4;
  uint64_t vector_bytes = 0, expected = 0;
  if (__builtin_mul_overflow(count, uint64_t(dim) * elem, &vector_bytes) ||
      __builtin_add_overflow(vectors_offset, vector_bytes, &expected) ||
      __builtin_add_overflow(expected, kFooterBytes, &expected) || expected != size)
    fail("file size " + std::to_string(size) + " does not match the header (" +
         std::to_string(count) + " vectors of dimension " + std::to_string(dim) + ")");
  if (std::memcmp(d + size - 4, kEndMagic, 4) != 0) fail("bad end marker (truncated file?)");
  const uint32_t stored_crc = get<uint32_t>(d, size - kFooterBytes);
  const uint32_t crc = crc_update(static_cast<uint32_t>(::crc32(0L, Z_NULL, 0)), d,
                                  size - kFooterBytes);
  if (crc != stored_crc)
    fail("checksum mismatch (stored " + hex(stored_crc) + ", computed " + hex(crc) + ")");
  for (uint64_t i = names_end; i < vectors_offset; ++i)
    if (d[i] != 0) fail("non-zero padding before the vector block");

  GalleryOptions go;
  go.metric = (flags & kFlagNormalized) ? GalleryMetric::cosine : GalleryMetric::inner_product;
  go.storage = dtype == kDTypeF16 ? GalleryStorage::float16 : GalleryStorage::float32;
  go.index = options.index;
  Gallery gallery(static_cast<int>(dim), go);  // validates the index options
  Impl& g = *gallery.impl_;

  const size_t n = static_cast<size_t>(count);
  g.ids.resize(n);
  if (n) std::memcpy(g.ids.data(), d + kHeaderBytes, n * 8);
  for (size_t i = 0; i < n; ++i)
    if (g.ids[i] < 0) fail("id " + std::to_string(g.ids[i]) + " at position " + std::to_string(i) + " is negative");
  if (!detail::rebuild_positions(g)) fail("duplicate ids");

  const uint8_t* lengths = d + kHeaderBytes + 8 * count;
  const uint8_t* chars = lengths + 4 * count;
  uint64_t remaining = names_section - 4 * count, offset = 0;
  g.names.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t len = get<uint32_t>(lengths, 4 * i);
    if (len > remaining) fail("name " + std::to_string(i) + " runs past the names section");
    g.names[i].assign(reinterpret_cast<const char*>(chars + offset), len);
    offset += len;
    remaining -= len;
  }
  if (remaining != 0) fail(std::to_string(remaining) + " unused bytes in the names section");

  // Non-finite values would break the ranking order; the writer never produces them.
  const uint8_t* vec = d + vectors_offset;
  const size_t values = n * dim;
  if (dtype == kDTypeF32) {
    for (size_t i = 0; i < values; ++i)
      if (!std::isfinite(get<float>(vec, 4 * i)))
        fail("non-finite value in vector " + std::to_string(i / dim));
  } else {
    for (size_t i = 0; i < values; ++i)
      if ((get<uint16_t>(vec, 2 * i) & 0x7c00u) == 0x7c00u)
        fail("non-finite value in vector " + std::to_string(i / dim));
  }
  if (options.memory_map)
    g.store.borrow(std::move(file), vec, n);  // mmap is page-aligned, the block 64-aligned
  else
    g.store.assign_bytes(vec, n);
  return gallery;
}

}  // namespace lincir
