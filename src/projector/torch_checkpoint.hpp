// Reading tensors out of `torch.save` zip archives without Python: LibTorch's zip reader
// (caffe2::serialize::PyTorchStreamReader) for the records, and our own restricted pickle
// reader (torch_pickle.hpp) for data.pkl, since LibTorch 1.13's unpickler cannot read real
// state dicts.
//
// Two properties matter for published checkpoints:
//   - Storage locations are ignored: every tensor is materialised on the CPU, so a file written on
//     a GPU machine (locations "cuda:0", ...) loads on a CPU-only build.
//   - Storages are read lazily: parsing a 2 GB archive (e.g. Pic2Word's, which carries the whole
//     CLIP model and the optimizer state) reads only the pickle; a requested tensor is then read
//     from its record after checking that its view fits inside the record (a truncated or lying
//     archive gives Error(format), never an out-of-bounds read).
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "projector/torch_pickle.hpp"

namespace lincir::detail {

class TorchArchive {
 public:
  // Opens `path` and parses its data.pkl. Throws Error(io) if unreadable, Error(format) if it is
  // not a torch.save zip archive or its pickle is malformed, Error(unsupported) for the legacy
  // (pre-1.6, non-zip) torch.save format.
  static TorchArchive open(const std::string& path);

  // The unpickled object; valid while the archive lives.
  const PyValue& root() const;

  // A contiguous float32/int CPU tensor with the data of tensor value `t` (kind tensor) read from
  // the archive. `what` names it in error messages. Throws Error(format) for a bad record or
  // view, Error(unsupported) for storage types other than Float, Double, Half, BFloat16, Long,
  // Int, Short, Char, Byte, Bool.
  at::Tensor materialize(const PyValue& t, const std::string& what) const;

  const std::string& path() const;

  TorchArchive(TorchArchive&&) noexcept;
  TorchArchive& operator=(TorchArchive&&) noexcept;
  ~TorchArchive();

 private:
  struct Impl;
  explicit TorchArchive(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True if the file starts like a zip archive ("PK\x03\x04").
bool looks_like_zip(const std::string& path);
// True if the file starts like a bare pickle stream, as pre-1.6 torch.save wrote.
bool looks_like_legacy_torch(const std::string& path);

}  // namespace lincir::detail
