// The `.part` file of a resumable gallery build: an append-only log of finished images.
//
// Layout (little-endian):
//   header  "LCIRPART" | u32 version (1) | u32 dim | u32 fingerprint length | fingerprint bytes |
//           u32 CRC-32 of everything before it
//   record  i64 id | u32 name length | name bytes | dim x f32 | u32 CRC-32 of the record's bytes
// The header is created atomically (write_file_atomic); records are appended after every batch
// and synced. A kill can only leave a torn last record, which fails its length or CRC check and
// is cut off on the next open. This file cannot go through write_file_atomic as a whole: its point
// is to grow without rewriting what is already on disk.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lincir::detail {

struct PartRecord {
  int64_t id = -1;
  std::string name;
  std::vector<float> values;
};

class GalleryPartFile {
 public:
  // Opens `path` for appending, creating it (with its header) if absent. Valid records already
  // there are returned in `existing`; a torn or corrupt tail is truncated away. Throws
  // Error(format) naming the file for a corrupt header, Error(invalid_argument) when its dimension
  // or fingerprint differ from the request (the message says to delete it), Error(io).
  GalleryPartFile(const std::string& path, int dim, const std::string& fingerprint,
                  std::vector<PartRecord>* existing);
  ~GalleryPartFile();
  GalleryPartFile(const GalleryPartFile&) = delete;
  GalleryPartFile& operator=(const GalleryPartFile&) = delete;

  // Appends n records (rows: n x dim floats, row-major) and syncs them to disk.
  void append(const int64_t* ids, const std::string* names, const float* rows, int64_t n);
  // Bytes dropped from the end when the file was opened (a torn record), for logging.
  uint64_t dropped_bytes() const { return dropped_; }
  // Closes and deletes the file (after the finished gallery is saved).
  void remove();

 private:
  std::string path_;
  int dim_;
  int fd_ = -1;
  uint64_t dropped_ = 0;
};

}  // namespace lincir::detail
