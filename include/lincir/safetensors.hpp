// Validated, memory-mapped reader and atomic writer for the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes
// of JSON mapping tensor names to {dtype, shape, data_offsets} (plus optional "__metadata__"),
// then the raw little-endian, C-contiguous data.
//
// Every file is validated before any tensor is handed out: header length within the file and
// below 100 MB, well-formed JSON, known dtypes, non-negative shapes whose byte size (checked for
// overflow) equals the offset range, offsets inside the data section, tensors non-overlapping and
// covering the data section without gaps. A bad file throws lincir::Error(Status::format) naming
// the file and the problem; it never crashes.
//
// Checksum: save_safetensors records the CRC-32 (zlib/IEEE) of the data section as the metadata
// entry "lincir.crc32" (8 lowercase hex digits); open/from_bytes verify it when present (a
// mismatch is Error(format), "checksum mismatch") and do not list it in metadata(). Files from
// other writers have no such entry and are read unverified.
//
// Thread safety: a SafeTensors object is immutable after construction and may be read from any
// number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

enum class TensorDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// "F32", "BF16", ... as spelled in safetensors headers.
const char* tensor_dtype_name(TensorDType t) noexcept;
size_t tensor_dtype_size(TensorDType t) noexcept;

// A tensor inside a SafeTensors file: a view into its mapping, valid while the file is alive.
struct TensorView {
  std::string name;
  TensorDType dtype = TensorDType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // may be unaligned for the dtype: copy before typed access
  size_t nbytes = 0;
  int64_t numel() const;
};

class SafeTensors {
 public:
  // Maps and validates `path`. Throws Error(io) if unreadable, Error(format) if invalid.
  static SafeTensors open(const std::string& path);
  // Validates a copy of an in-memory buffer; `name` appears in error messages.
  static SafeTensors from_bytes(const void* data, size_t size, const std::string& name = "buffer");

  bool contains(const std::string& name) const;
  // Throws Error(invalid_argument) naming the file and tensor if absent.
  const TensorView& get(const std::string& name) const;
  // Tensor names in file order (by offset).
  std::vector<std::string> names() const;
  size_t size() const;
  const std::map<std::string, std::string>& metadata() const;
  const std::string& path() const;

  // Copies a tensor converted to float32 (from F32/F16/BF16/F64/integers). Row-major.
  std::vector<float> to_float(const std::string& name) const;
  // Copies an integer tensor converted to int64.
  std::vector<int64_t> to_int64(const std::string& name) const;

  SafeTensors(SafeTensors&&) noexcept;
  SafeTensors& operator=(SafeTensors&&) noexcept;
  ~SafeTensors();

  struct Impl;  // opaque

 private:
  explicit SafeTensors(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A tensor to write: bytes are copied from `data` (nbytes = numel * dtype size).
struct TensorToWrite {
  std::string name;
  TensorDType dtype = TensorDType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
};

// Writes a safetensors file atomically (temporary file, fsync, rename). Tensors are laid out in
// the given order; the JSON header is padded with spaces to a multiple of 8 bytes as the
// reference writer does. The metadata always gets the "lincir.crc32" checksum entry (replacing
// one given in `metadata`). Throws Error(invalid_argument) for duplicate names or null data.
void save_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace lincir
