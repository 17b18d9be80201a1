// File helpers shared by every loader and writer: read-only memory maps and atomic writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lincir::detail {

// A read-only view of a whole file, memory-mapped (or owned bytes for in-memory sources).
// Movable, not copyable; the mapping lives as long as the object (share it via shared_ptr).
class MappedFile {
 public:
  // Maps `path`; throws Error(io) naming the path if it cannot be opened or mapped.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  // Wraps a copy of `size` bytes at `data` (for parsing buffers with the same code).
  static std::shared_ptr<MappedFile> from_bytes(const void* data, size_t size, std::string name);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<uint8_t> owned_;
  std::string name_;
};

// Reads a whole file into memory. Throws Error(io).
std::vector<uint8_t> read_file(const std::string& path);

// Writes a file so that readers only ever see the old or the new complete content: the bytes go
// to a temporary file in the same directory, which is fsync'ed, renamed over `path`, and the
// directory is fsync'ed. `write` is called with a function that appends bytes.
using ByteSink = std::function<void(const void* data, size_t size)>;
void write_file_atomic(const std::string& path, const std::function<void(const ByteSink&)>& write);
void write_file_atomic(const std::string& path, const void* data, size_t size);

bool file_exists(const std::string& path);

// CRC-32 (IEEE, zlib's crc32()) of `size` bytes, continuing from `crc` (0 to start). Any size.
uint32_t crc32(uint32_t crc, const void* data, size_t size);

}  // namespace lincir::detail
