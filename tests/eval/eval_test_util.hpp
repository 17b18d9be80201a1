// Shared helpers of the eval tests: benchmark data paths, error expectations, small files.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lincir/common.hpp"
#include "support/test_support.hpp"

namespace lincir::test {

inline std::string bench_dir(const std::string& rel) { return data_path("benchmarks/" + rel); }

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path);
}

inline std::string read_text(const std::string& path) {
  const auto b = read_bytes(path);
  return std::string(b.begin(), b.end());
}

// Runs fn, expects lincir::Error with `status` whose message contains every needle.
inline void expect_error(const std::function<void()>& fn, Status status,
                         const std::vector<std::string>& needles) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(int(e.status()), int(status)) << e.what();
    for (const auto& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
          << "message lacks '" << n << "': " << e.what();
  }
}

}  // namespace lincir::test
