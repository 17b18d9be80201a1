// In-process references for the CLI tests: the parity model and φ, and a .npy reader written
// from the NumPy format specification (independent of the CLI's writer).
#pragma once

#include <cstring>
#include <string>

#include "cli/cli_runner.hpp"
#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/projector.hpp"

namespace lincir::test {

inline const ClipModel& parity_model() {
  static const ClipModel m = [] {
    ClipLoadOptions o;
    o.config_path = data_path("parity/model_config.json");
    return ClipModel::load(data_path("parity/weights_openai.safetensors"), o);
  }();
  return m;
}

// Parses a version 1.0 .npy file of little-endian float32 in C order; fails the test otherwise.
inline Embeddings read_npy(const std::string& path) {
  const std::string b = slurp(path);
  EXPECT_GE(b.size(), 10u);
  if (b.size() < 10) return {};
  EXPECT_EQ(b.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t hlen = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8;
  EXPECT_EQ((10 + hlen) % 64, 0u) << "data not 64-byte aligned";
  const std::string h = b.substr(10, hlen);
  EXPECT_EQ(h.back(), '\n');
  EXPECT_NE(h.find("'descr': '<f4'"), std::string::npos) << h;
  EXPECT_NE(h.find("'fortran_order': False"), std::string::npos) << h;
  const size_t s = h.find("'shape': (");
  EXPECT_NE(s, std::string::npos) << h;
  long rows = 0, cols = 0;
  EXPECT_EQ(std::sscanf(h.c_str() + s, "'shape': (%ld, %ld)", &rows, &cols), 2) << h;
  EXPECT_EQ(b.size(), 10 + hlen + size_t(rows * cols) * 4);
  Embeddings m(rows, cols);
  if (b.size() == 10 + hlen + size_t(rows * cols) * 4) std::memcpy(m.data(), b.data() + 10 + hlen, b.size() - 10 - hlen);
  return m;
}

inline float max_diff(const Embeddings& a, const Embeddings& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.size() == 0) return a.size() == b.size() ? 0.f : 1e9f;
  return (a - b).cwiseAbs().maxCoeff();
}

inline Embeddings json_matrix(const nlohmann::json& rows) {
  Embeddings m(int64_t(rows.size()), rows.empty() ? 0 : int64_t(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[i].size(); ++j) m(int64_t(i), int64_t(j)) = rows[i][j].get<float>();
  return m;
}

// Expects a failure reported as exactly one "lincir: error: ..." line on stderr.
inline void expect_one_line_error(const CliResult& r, const std::string& needle = "") {
  EXPECT_NE(r.rc, 0);
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("lincir: error: ", 0), 0u) << lines[0];
  if (!needle.empty()) {
    EXPECT_NE(lines[0].find(needle), std::string::npos) << lines[0];
  }
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace lincir::test
