// Helpers shared by the test executables: locating test data, reading JSON fixtures and
// temporary directories.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lincir::test {

// Path of a file under tests/data.
std::string data_path(const std::string& rel);
nlohmann::json read_json(const std::string& path);
std::vector<uint8_t> read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// A fresh directory removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

float max_abs_diff(const float* a, const float* b, size_t n);

}  // namespace lincir::test
