#include "npy.hpp"

#include <cstring>

#include "core/file_io.hpp"

namespace lincir::cli {

std::string npy_bytes(const Embeddings& m) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "'<f4' data is written as in memory");
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(m.rows()) +
                       ", " + std::to_string(m.cols()) + "), }";
  // magic (6) + version (2) + header length (2) + header, padded so the data starts 64-aligned.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const uint16_t hlen = static_cast<uint16_t>(header.size());
  out += char(hlen & 0xff);
  out += char(hlen >> 8);
  out += header;
  const size_t bytes = size_t(m.size()) * sizeof(float);
  const size_t off = out.size();
  out.resize(off + bytes);
  if (bytes) std::memcpy(&out[off], m.data(), bytes);  // row-major = C order
  return out;
}

void write_npy(const std::string& path, const Embeddings& m) {
  const std::string b = npy_bytes(m);
  detail::write_file_atomic(path, b.data(), b.size());
}

}  // namespace lincir::cli
