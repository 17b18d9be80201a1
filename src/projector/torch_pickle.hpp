// A restricted, memory-safe reader for the pickle streams inside `torch.save` archives.
//
// Why not LibTorch's torch::jit::Unpickler: the one in LibTorch 1.13 (Debian's) lacks the SETITEM
// opcode, which every real `module.state_dict()` uses (its `_metadata` holds one-entry dicts), so
// it cannot read LinCIR's, SEARLE's or Pic2Word's released checkpoints; it also trusts stack and
// memo indices of the input. This reader accepts the opcodes of pickle protocols 2-4 that
// torch.save emits, never executes anything, and turns:
//   - torch._utils._rebuild_tensor(_v2) / _rebuild_parameter into tensor metadata (storage key,
//     dtype, offset, sizes, strides); the data stays in the archive (see torch_checkpoint.hpp),
//   - collections.OrderedDict into a dict,
//   - any other global, REDUCE, NEWOBJ or BUILD into an opaque object (so checkpoints carrying
//     e.g. an argparse.Namespace still parse).
// Malformed input (bad opcode, stack or memo misuse, truncation, oversized counts) throws
// Error(format). Nothing recurses on the input's structure: values live in one arena and refer to
// each other by plain pointers, so deep nesting or cycles built by a hostile stream cannot
// overflow the stack, not even on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lincir::detail {

struct PyValue;
using PyRef = PyValue*;  // owned by the PickleDoc's arena

// Tensor metadata from _rebuild_tensor_v2; `dtype` is the storage class name without "Storage"
// ("Float", "Half", "BFloat16", "Double", "Long", "Int", "Short", "Char", "Byte", "Bool", ...).
struct PyTensorMeta {
  std::string storage_key;  // record "data/<key>" in the archive
  std::string dtype;
  std::string location;  // as recorded ("cpu", "cuda:0", ...); ignored when loading
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

struct PyValue {
  enum class Kind { none, boolean, integer, floating, string, bytes, tuple, list, dict, global, object, storage, tensor };
  Kind kind = Kind::none;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;               // string, bytes; global: "module.name"; object: its class
  std::vector<PyRef> items;    // tuple, list
  std::vector<std::pair<PyRef, PyRef>> entries;  // dict, in insertion order
  std::unordered_map<std::string, size_t> index;  // dict: string key -> entries position
  PyTensorMeta tensor;         // storage (key, dtype, location, numel) and tensor

  bool is(Kind k) const { return kind == k; }
  // Dict lookup by string key; nullptr when absent or not a dict.
  const PyValue* get(const std::string& key) const;
};

struct PickleDoc {
  std::deque<PyValue> arena;  // every value; pointers into a deque stay valid as it grows
  const PyValue* root = nullptr;
};

// Parses a pickle stream. `name` appears in error messages.
std::unique_ptr<PickleDoc> parse_torch_pickle(const uint8_t* data, size_t size, const std::string& name);

}  // namespace lincir::detail
