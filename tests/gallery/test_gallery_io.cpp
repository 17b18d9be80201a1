// Gallery files: round trips, the byte layout of docs/gallery-format.md, and corrupt files.
#include <gtest/gtest.h>

#include <cstring>

#include "gallery/gallery_reference.hpp"
#include "lincir/gallery.hpp"
#include "support/test_support.hpp"

namespace lincir {
namespace {

using test::iota_ids;
using test::random_matrix;
using test::read_bytes;
using test::TempDir;
using test::write_bytes;

// Independent bitwise CRC-32 (IEEE 802.3, reflected, as zlib.crc32) for the spec checks.
uint32_t crc32_ref(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int b = 0; b < 8; ++b) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}

template <class T>
void poke(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof(T));
}

void fix_crc(std::vector<uint8_t>& b) {
  poke<uint32_t>(b, b.size() - 8, crc32_ref(b.data(), b.size() - 8));
}

// Loads `bytes` from a file and expects Error(format) whose message names the file and
// contains `what` (if given).
void expect_format_error(const TempDir& dir, const std::vector<uint8_t>& bytes,
                         const std::string& what = "", bool memory_map = true) {
  const std::string path = dir.file("bad.lcg");
  write_bytes(path, bytes);
  GalleryLoadOptions o;
  o.memory_map = memory_map;
  try {
    Gallery::load(path, o);
    ADD_FAILURE() << "no error (" << what << ")";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::format) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    if (!what.empty()) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
}

Gallery small_gallery() {
  GalleryOptions o;
  o.metric = GalleryMetric::inner_product;
  Gallery g(3, o);
  Embeddings v(2, 3);
  v << 1.f, -2.f, 0.5f, 0.f, 3.25f, -1.f;
  g.add(v, {7, 9}, {"a", "bc"});
  return g;
}

TEST(GalleryIO, LayoutMatchesSpec) {
  TempDir dir;
  small_gallery().save(dir.file("g.lcg"));
  const auto bytes = read_bytes(dir.file("g.lcg"));

  // Built by hand from docs/gallery-format.md.
  std::vector<uint8_t> e(160, 0);
  std::memcpy(e.data(), "LCIRGLRY", 8);
  poke<uint32_t>(e, 8, 1);     // version
  poke<uint32_t>(e, 12, 64);   // header bytes
  poke<uint32_t>(e, 16, 3);    // dim
  poke<uint32_t>(e, 20, 1);    // dtype float32
  poke<uint64_t>(e, 24, 2);    // count
  poke<uint32_t>(e, 32, 0);    // flags: not normalised (inner product)
  poke<uint64_t>(e, 40, 11);   // names section: 2 lengths + "abc"
  poke<uint64_t>(e, 48, 128);  // vectors offset: align64(64 + 16 + 11)
  poke<int64_t>(e, 64, 7);
  poke<int64_t>(e, 72, 9);
  poke<uint32_t>(e, 80, 1);
  poke<uint32_t>(e, 84, 2);
  std::memcpy(e.data() + 88, "abc", 3);
  const float v[6] = {1.f, -2.f, 0.5f, 0.f, 3.25f, -1.f};
  std::memcpy(e.data() + 128, v, sizeof v);
  std::memcpy(e.data() + 156, "LCGE", 4);
  fix_crc(e);
  EXPECT_EQ(bytes, e);

  // A file written from the spec loads with the right content.
  write_bytes(dir.file("spec.lcg"), e);
  Gallery g = Gallery::load(dir.file("spec.lcg"));
  EXPECT_EQ(g.ids(), (std::vector<int64_t>{7, 9}));
  EXPECT_EQ(g.name(1), "bc");
  EXPECT_EQ(g.metric(), GalleryMetric::inner_product);
  EXPECT_EQ(g.vectors({9})(0, 1), 3.25f);
}

void round_trip(GalleryMetric metric, GalleryStorage storage, int n) {
  TempDir dir;
  const int d = 24;
  GalleryOptions o;
  o.metric = metric;
  o.storage = storage;
  Gallery g(d, o);
  Embeddings v = random_matrix(n, d, 31);
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(i % 3 ? "näme " + std::to_string(i) : std::string("x\0y", 3));
  if (n) g.add(v, iota_ids(n, 3, 5), names);
  g.save(dir.file("a.lcg"));
  for (bool mmap : {true, false}) {
    GalleryLoadOptions lo;
    lo.memory_map = mmap;
    Gallery h = Gallery::load(dir.file("a.lcg"), lo);
    EXPECT_EQ(h.metric(), metric);
    EXPECT_EQ(h.storage(), storage);
    EXPECT_EQ(h.dim(), d);
    EXPECT_EQ(h.ids(), g.ids());
    for (int i = 0; i < n; ++i) EXPECT_EQ(h.name(i), names[i]);
    if (n) {
      Embeddings a = g.vectors(g.ids()), b = h.vectors(h.ids());
      EXPECT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * a.size()));
    }
    Embeddings q = random_matrix(5, d, 32);
    auto ra = g.search(q, 7), rb = h.search(q, 7);
    EXPECT_TRUE((ra.ids.array() == rb.ids.array()).all());
    EXPECT_EQ(0, std::memcmp(ra.scores.data(), rb.scores.data(), sizeof(float) * ra.scores.size()));
    h.save(dir.file("b.lcg"));
    EXPECT_EQ(read_bytes(dir.file("a.lcg")), read_bytes(dir.file("b.lcg"))) << "mmap=" << mmap;
  }
}

TEST(GalleryIO, RoundTripIsBitIdentical) {
  round_trip(GalleryMetric::cosine, GalleryStorage::float32, 50);
  round_trip(GalleryMetric::cosine, GalleryStorage::float16, 33);
  round_trip(GalleryMetric::inner_product, GalleryStorage::float32, 1);
  round_trip(GalleryMetric::inner_product, GalleryStorage::float16, 17);
  round_trip(GalleryMetric::cosine, GalleryStorage::float32, 0);
}

TEST(GalleryIO, MappedGalleryCopiesOnWrite) {
  TempDir dir;
  const int d = 8;
  Gallery g(d);
  Embeddings v = random_matrix(40, d, 33);
  g.add(v.topRows(30), iota_ids(30));
  g.save(dir.file("g.lcg"));
  const auto original = read_bytes(dir.file("g.lcg"));
  Gallery h = Gallery::load(dir.file("g.lcg"));
  h.add(v.bottomRows(10), iota_ids(10, 30));
  EXPECT_EQ(h.remove({0, 1}), 2u);
  EXPECT_EQ(read_bytes(dir.file("g.lcg")), original);  // the mapping was never written through
  Gallery full(d);
  full.add(v.bottomRows(38), iota_ids(38, 2));
  Embeddings q = random_matrix(3, d, 34);
  EXPECT_TRUE((h.search(q, 5).ids.array() == full.search(q, 5).ids.array()).all());

  // Overwriting the file (atomic rename) while a gallery maps it leaves that gallery intact.
  Gallery m = Gallery::load(dir.file("g.lcg"));
  auto before = m.search(q, 5);
  h.save(dir.file("g.lcg"));
  auto again = m.search(q, 5);
  EXPECT_TRUE((before.ids.array() == again.ids.array()).all());
  EXPECT_EQ(Gallery::load(dir.file("g.lcg")).size(), 38u);
}

TEST(GalleryIO, ShardedBuildByMerge) {
  TempDir dir;
  const int d = 16, n = 90;
  Embeddings v = random_matrix(n, d, 35);
  Gallery whole(d);
  whole.add(v, iota_ids(n));
  for (int s = 0; s < 3; ++s) {
    Gallery shard(d);
    shard.add(v.middleRows(30 * s, 30), iota_ids(30, 30 * s));
    shard.save(dir.file("shard" + std::to_string(s)));
  }
  Gallery merged = Gallery::load(dir.file("shard0"));
  merged.merge(Gallery::load(dir.file("shard1")));
  merged.merge(Gallery::load(dir.file("shard2")));
  merged.save(dir.file("merged"));
  whole.save(dir.file("whole"));
  EXPECT_EQ(read_bytes(dir.file("merged")), read_bytes(dir.file("whole")));
}

TEST(GalleryIO, EveryFlippedByteIsDetected) {
  TempDir dir;
  small_gallery().save(dir.file("g.lcg"));
  const auto good = read_bytes(dir.file("g.lcg"));
  for (size_t i = 0; i < good.size(); ++i)
    for (uint8_t mask : {uint8_t(0x01), uint8_t(0x80)}) {
      auto b = good;
      b[i] ^= mask;
      SCOPED_TRACE("byte " + std::to_string(i));
      expect_format_error(dir, b);
    }
}

TEST(GalleryIO, EveryTruncationIsDetected) {
  TempDir dir;
  small_gallery().save(dir.file("g.lcg"));
  const auto good = read_bytes(dir.file("g.lcg"));
  for (size_t len = 0; len < good.size(); ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    expect_format_error(dir, std::vector<uint8_t>(good.begin(), good.begin() + len));
  }
  auto longer = good;
  longer.push_back(0);
  expect_format_error(dir, longer);
}

TEST(GalleryIO, InconsistentHeadersWithValidChecksum) {
  // Checksums are recomputed so that the structural checks themselves are exercised.
  TempDir dir;
  small_gallery().save(dir.file("g.lcg"));
  const auto good = read_bytes(dir.file("g.lcg"));
  auto patched = [&](auto mutate) {
    auto b = good;
    mutate(b);
    fix_crc(b);
    return b;
  };
  auto b = good;
  std::memcpy(b.data(), "GGUF\0\0\0\0", 8);
  expect_format_error(dir, b, "magic");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 8, 2); }), "version 2");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 12, 128); }), "header size");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 16, 0); }), "dimension");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 16, 0xffffffffu); }), "dimension");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 16, 4); }), "file size");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 20, 7); }), "dtype");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 20, 2); }), "file size");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 24, uint64_t(1) << 62); }), "count");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 24, ~uint64_t(0)); }), "count");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 24, 3); }));
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 32, 4); }), "flags");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 36, 1); }), "reserved");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 40, ~uint64_t(0) - 3); }), "names section");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 40, 12); }), "unused");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 40, 60); }), "offset");
  expect_format_error(dir, patched([](auto& b) { poke<uint64_t>(b, 48, 64); }), "offset");
  expect_format_error(dir, patched([](auto& b) { poke<int64_t>(b, 72, 7); }), "duplicate");
  expect_format_error(dir, patched([](auto& b) { poke<int64_t>(b, 72, -9); }), "negative");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 84, 3); }), "name 1");
  expect_format_error(dir, patched([](auto& b) { poke<uint32_t>(b, 84, 1); }), "unused");
  expect_format_error(dir, patched([](auto& b) { b[100] = 1; }), "padding");
  expect_format_error(dir, patched([](auto& b) { poke<float>(b, 132, std::numeric_limits<float>::infinity()); }), "non-finite");
  expect_format_error(dir, patched([](auto& b) { std::memcpy(b.data() + b.size() - 4, "XXXX", 4); }), "end marker");
  b = good;
  b[130] ^= 0x10;  // a flipped vector bit only the checksum can see
  expect_format_error(dir, b, "checksum");
  expect_format_error(dir, b, "checksum", /*memory_map=*/false);
}

TEST(GalleryIO, MissingOrUnwritablePathIsIoError) {
  TempDir dir;
  try {
    Gallery::load(dir.file("missing.lcg"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
  }
  try {
    small_gallery().save(dir.file("no/such/dir/g.lcg"));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
  }
}

}  // namespace
}  // namespace lincir
