// Shared helpers of the libFuzzer targets (tests/fuzz/README.md).
//
// Loaders that take a path get the input through a scratch file: one per process (libFuzzer's
// -fork/-jobs workers run side by side), in $LINCIR_FUZZ_TMPDIR, else /dev/shm, else /tmp,
// rewritten in place for every input and removed at exit.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lincir/common.hpp"

namespace lincir::fuzz {

class ScratchFile {
 public:
  explicit ScratchFile(const std::string& suffix) {
    const char* dir = std::getenv("LINCIR_FUZZ_TMPDIR");
    std::string d = dir && *dir ? dir : (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    path_ = d + "/lincir-fuzz-" + std::to_string(::getpid()) + suffix;
  }
  ~ScratchFile() { ::unlink(path_.c_str()); }
  // Replaces the file's content with `size` bytes (plain write, no fsync: speed matters here).
  const std::string& write(const uint8_t* data, size_t size) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    while (size > 0) {
      ssize_t n = ::write(fd, data, size);
      if (n <= 0) std::abort();
      data += n;
      size -= static_cast<size_t>(n);
    }
    ::close(fd);
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The one failure a loader may report for bad input is lincir::Error with a message; anything
// else escaping (std::bad_alloc aside, which libFuzzer's malloc limit reports itself) is a bug
// and crashes the target. An empty message is a bug too: errors must name the problem.
inline void expect_message(const Error& e) {
  if (e.what() == nullptr || e.what()[0] == '\0') std::abort();
}

}  // namespace lincir::fuzz
