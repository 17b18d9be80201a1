#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "lincir/common.hpp"

namespace lincir::detail {
namespace {

std::string errno_text() { return std::strerror(errno); }

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string dir_of(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) LINCIR_THROW(Status::io, "cannot open '" + path + "': " + errno_text());
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    LINCIR_THROW(Status::io, "cannot stat '" + path + "': " + errno_text());
  if (!S_ISREG(st.st_mode)) LINCIR_THROW(Status::io, "'" + path + "' is not a regular file");
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->name_ = path;
  m->size_ = static_cast<size_t>(st.st_size);
  if (m->size_ == 0) return m;  // mmap of length 0 is invalid; an empty view is fine
  void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED) LINCIR_THROW(Status::io, "cannot map '" + path + "': " + errno_text());
  m->data_ = static_cast<const uint8_t*>(p);
  m->mapped_ = true;
  return m;
}

std::shared_ptr<MappedFile> MappedFile::from_bytes(const void* data, size_t size,
                                                   std::string name) {
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->owned_.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  m->data_ = m->owned_.data();
  m->size_ = size;
  m->name_ = std::move(name);
  return m;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::vector<uint8_t> read_file(const std::string& path) {
  auto m = MappedFile::open(path);
  return std::vector<uint8_t>(m->data(), m->data() + m->size());
}

uint32_t crc32(uint32_t crc, const void* data, size_t size) {
  const Bytef* p = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes 32-bit lengths
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, size_t{1} << 30));
    crc = static_cast<uint32_t>(::crc32(crc, p, chunk));
    p += chunk;
    size -= chunk;
  }
  return crc;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void write_file_atomic(const std::string& path,
                       const std::function<void(const ByteSink&)>& write) {
  LINCIR_CHECK(!path.empty(), "empty output path");
  std::random_device rd;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  Fd f;
  f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (f.fd < 0) LINCIR_THROW(Status::io, "cannot create '" + tmp + "': " + errno_text());
  try {
    ByteSink sink = [&](const void* data, size_t size) {
      const char* p = static_cast<const char*>(data);
      while (size > 0) {
        ssize_t n = ::write(f.fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) LINCIR_THROW(Status::io, "cannot write '" + tmp + "': " + errno_text());
        p += n;
        size -= static_cast<size_t>(n);
      }
    };
    write(sink);
    if (::fsync(f.fd) != 0) LINCIR_THROW(Status::io, "cannot fsync '" + tmp + "': " + errno_text());
    ::close(f.fd);
    f.fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      LINCIR_THROW(Status::io, "cannot rename '" + tmp + "' to '" + path + "': " + errno_text());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  Fd d;
  d.fd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd >= 0) ::fsync(d.fd);  // best effort: some filesystems refuse directory fsync
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  write_file_atomic(path, [&](const ByteSink& sink) { sink(data, size); });
}

}  // namespace lincir::detail
