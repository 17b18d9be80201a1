// The standard merges file as text (header + the 48,894 merges that are used), read with zlib
// from assets/ for tests that need a plain copy.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace lincir::test {

inline std::string standard_merges_text() {
  const std::string path = std::string(LINCIR_SOURCE_DIR) + "/assets/bpe_simple_vocab_16e6.txt.gz";
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  std::string out;
  char buf[1 << 16];
  int n;
  while (f && (n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  if (f) gzclose(f);
  size_t end = 0;
  for (int line = 0; line < 48895 && end != std::string::npos; ++line)
    end = out.find('\n', end + 1);
  return end == std::string::npos ? out : out.substr(0, end + 1);
}

}  // namespace lincir::test
