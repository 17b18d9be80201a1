#include "eval_runner/part_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "core/file_io.hpp"
#include "lincir/common.hpp"

namespace lincir::detail {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "part files are little-endian");

constexpr char kMagic[8] = {'L', 'C', 'I', 'R', 'P', 'A', 'R', 'T'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxName = 1u << 16;

uint32_t crc(const void* p, size_t n, uint32_t c = 0) {
  return static_cast<uint32_t>(::crc32(c, static_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

template <class T>
void put(std::vector<uint8_t>& b, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  b.insert(b.end(), p, p + sizeof(T));
}
template <class T>
T get(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::vector<uint8_t> header_bytes(int dim, const std::string& fp) {
  std::vector<uint8_t> b(kMagic, kMagic + 8);
  put<uint32_t>(b, kVersion);
  put<uint32_t>(b, uint32_t(dim));
  put<uint32_t>(b, uint32_t(fp.size()));
  b.insert(b.end(), fp.begin(), fp.end());
  put<uint32_t>(b, crc(b.data(), b.size()));
  return b;
}

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  LINCIR_THROW(Status::io, "cannot " + what + " '" + path + "': " + std::strerror(errno));
}

}  // namespace

GalleryPartFile::GalleryPartFile(const std::string& path, int dim, const std::string& fingerprint,
                                 std::vector<PartRecord>* existing)
    : path_(path), dim_(dim) {
  LINCIR_CHECK(dim > 0, "part file '" + path + "': invalid dimension");
  if (!file_exists(path)) {
    const auto h = header_bytes(dim, fingerprint);
    write_file_atomic(path, h.data(), h.size());
  }
  uint64_t good = 0;
  {
    auto mf = MappedFile::open(path);
    const uint8_t* d = mf->data();
    const uint64_t size = mf->size();
    const std::string bad = "part file '" + path + "' has a corrupt header; delete it to start over";
    LINCIR_CHECK_STATUS(size >= 24 && std::memcmp(d, kMagic, 8) == 0, Status::format, bad);
    LINCIR_CHECK_STATUS(get<uint32_t>(d + 8) == kVersion, Status::format,
                        "part file '" + path + "' has an unknown version; delete it to start over");
    const uint32_t fdim = get<uint32_t>(d + 12), fplen = get<uint32_t>(d + 16);
    LINCIR_CHECK_STATUS(uint64_t(fplen) + 24 <= size, Status::format, bad);
    const uint64_t hlen = 20 + uint64_t(fplen);
    LINCIR_CHECK_STATUS(get<uint32_t>(d + hlen) == crc(d, hlen), Status::format, bad);
    const std::string ffp(reinterpret_cast<const char*>(d + 20), fplen);
    LINCIR_CHECK(int(fdim) == dim && ffp == fingerprint,
                 "part file '" + path + "' was made by another model or with other settings "
                 "(dimension " + std::to_string(fdim) + ", fingerprint '" + ffp.substr(0, 80) +
                 "'); delete it to start over");
    good = hlen + 4;
    const uint64_t vec_bytes = uint64_t(dim) * 4;
    while (good + 12 <= size) {
      const uint8_t* r = d + good;
      const uint32_t nlen = get<uint32_t>(r + 8);
      if (nlen > kMaxName) break;
      const uint64_t rlen = 12 + uint64_t(nlen) + vec_bytes;
      if (good + rlen + 4 > size || get<uint32_t>(r + rlen) != crc(r, rlen)) break;
      if (existing) {
        PartRecord rec;
        rec.id = get<int64_t>(r);
        rec.name.assign(reinterpret_cast<const char*>(r + 12), nlen);
        rec.values.resize(size_t(dim));
        std::memcpy(rec.values.data(), r + 12 + nlen, vec_bytes);
        existing->push_back(std::move(rec));
      }
      good += rlen + 4;
    }
    dropped_ = size - good;
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) io_error("open", path);
  if (dropped_ > 0 && ::ftruncate(fd_, off_t(good)) != 0) io_error("truncate", path);
  if (::lseek(fd_, off_t(good), SEEK_SET) < 0) io_error("seek in", path);
}

GalleryPartFile::~GalleryPartFile() {
  if (fd_ >= 0) ::close(fd_);
}

void GalleryPartFile::append(const int64_t* ids, const std::string* names, const float* rows,
                             int64_t n) {
  std::vector<uint8_t> b;
  for (int64_t i = 0; i < n; ++i) {
    const size_t start = b.size();
    const std::string& name = names ? names[i] : std::string();
    LINCIR_CHECK(name.size() <= kMaxName, "image name longer than 64 KiB: " + name.substr(0, 80));
    put<int64_t>(b, ids[i]);
    put<uint32_t>(b, uint32_t(name.size()));
    b.insert(b.end(), name.begin(), name.end());
    const auto* v = reinterpret_cast<const uint8_t*>(rows + i * dim_);
    b.insert(b.end(), v, v + size_t(dim_) * 4);
    put<uint32_t>(b, crc(b.data() + start, b.size() - start));
  }
  size_t off = 0;
  while (off < b.size()) {
    const ssize_t w = ::write(fd_, b.data() + off, b.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) io_error("write to", path_);
    off += size_t(w);
  }
  if (::fdatasync(fd_) != 0) io_error("sync", path_);
}

void GalleryPartFile::remove() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) io_error("remove", path_);
}

}  // namespace lincir::detail
