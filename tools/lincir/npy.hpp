// NumPy .npy files (format version 1.0): float32 little-endian C-order [N, D] matrices, the
// embedding output of `lincir encode` / `lincir compose` (np.load reads them directly).
#pragma once

#include <string>

#include "lincir/common.hpp"

namespace lincir::cli {

// The complete file contents: magic, version 1.0, the header dict
// {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with spaces to a multiple of
// 64 bytes and ended by '\n', then the data.
std::string npy_bytes(const Embeddings& m);
// Written atomically.
void write_npy(const std::string& path, const Embeddings& m);

}  // namespace lincir::cli
