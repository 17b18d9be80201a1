// Shared helpers of the _lincir extension: numpy <-> Eigen conversion without copies where the
// layout allows, image inputs gathered under the GIL and decoded without it, and the exception
// classes. Internal to the bindings.
//
// GIL discipline: everything that touches Python objects (argument parsing, building views that
// keep their array alive) runs with the GIL held; the C++ work then runs inside
// `py::gil_scoped_release`, reading only raw pointers into buffers that stay alive because their
// owners (py::object members) are destroyed after the GIL is re-acquired.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lincir/common.hpp"
#include "lincir/image.hpp"

namespace lincir::python {

namespace py = pybind11;

// ---- errors ----

// Creates lincir.LincirError and its per-status subclasses in `m` and registers the translator
// of lincir::Error. Must run before any other binding is used.
void register_errors(py::module_& m);
// Raises the Python exception class of `status` (used for checks done in the bindings).
[[noreturn]] void throw_status(Status status, const std::string& message);
// The status's identifier as the Python classes expose it ("invalid_argument", "io", ...).
const char* status_name_py(Status s) noexcept;
// TypeError with this message.
[[noreturn]] void throw_type(const std::string& message);

// ---- numpy outputs (no copy: the array owns the moved matrix) ----

template <class Matrix>
py::array matrix_to_numpy(Matrix&& m) {
  using M = std::decay_t<Matrix>;
  using T = typename M::Scalar;
  const py::ssize_t rows = m.rows(), cols = m.cols();
  if (rows == 0 || cols == 0) return py::array_t<T>(std::vector<py::ssize_t>{rows, cols});
  auto* owned = new M(std::forward<Matrix>(m));
  py::capsule owner(owned, [](void* p) { delete static_cast<M*>(p); });
  return py::array_t<T>({rows, cols}, {py::ssize_t(sizeof(T)) * cols, py::ssize_t(sizeof(T))},
                        owned->data(), owner);
}

template <class T>
py::array vector_to_numpy(std::vector<T>&& v, py::ssize_t rows, py::ssize_t cols) {
  if (rows == 0 || cols == 0) return py::array_t<T>(std::vector<py::ssize_t>{rows, cols});
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({rows, cols}, {py::ssize_t(sizeof(T)) * cols, py::ssize_t(sizeof(T))},
                        owned->data(), owner);
}

// ---- numpy inputs ----

// A read-only float32 [rows, cols] view of a Python array-like. Float32 arrays whose rows are
// contiguous (any row stride) are used in place; other real dtypes (float16/64, integers) and
// other layouts are converted into a private copy. Complex, bool, object and string dtypes raise
// TypeError; other ranks raise ValueError (InvalidArgumentError). `keep` owns the memory.
struct FloatMatrix {
  py::object keep;
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_stride = 0;  // in floats
  bool copied = false;

  using Map = Eigen::Map<const Embeddings, Eigen::Unaligned, Eigen::OuterStride<>>;
  Map map() const { return Map(data, rows, cols, Eigen::OuterStride<>(row_stride)); }
};
// `what` names the argument in messages. allow_1d: a 1-D array is one row. expect_cols >= 0:
// the column count must match (InvalidArgumentError naming both numbers).
FloatMatrix float_matrix(py::handle obj, const std::string& what, int64_t expect_cols = -1,
                         bool allow_1d = true);

// A C-contiguous float32 array with exactly `shape` (-1 = any), converted if necessary.
py::array_t<float, py::array::c_style> float_array(py::handle obj, const std::string& what,
                                                    const std::vector<int64_t>& shape);

// Integer ids from an int sequence or integer array (floats, bools, strings: TypeError).
std::vector<int64_t> int64_list(py::handle obj, const std::string& what);

// list[str] from a sequence of str (a single str is rejected here: the Python layer wraps it).
std::vector<std::string> string_list(py::handle obj, const std::string& what);

// ---- images ----

// A held buffer export (PEP 3118) of a bytes-like object: while it lives the exporter cannot
// resize or free the memory. Released in the destructor, which needs the GIL.
struct BufferExport {
  Py_buffer view{};
  bool held = false;
  BufferExport() = default;
  BufferExport(const BufferExport&) = delete;
  BufferExport& operator=(const BufferExport&) = delete;
  ~BufferExport() {
    if (held) PyBuffer_Release(&view);
  }
};

// One image input, as gathered under the GIL. Pixels and encoded bytes are referenced in place;
// `owner` / `buffer` keep them alive and must be destroyed with the GIL held.
struct ImageSource {
  enum class Kind { path, bytes, pixels } kind = Kind::path;
  std::string path;
  py::object owner;
  std::unique_ptr<BufferExport> buffer;  // bytes-like: an export blocks resizing
  const uint8_t* data = nullptr;
  size_t size = 0;  // bytes
  int width = 0, height = 0, channels = 0;
  int64_t row_stride = 0;  // bytes between rows
  bool contiguous_pixels = true;
  ImageMode mode = ImageMode::rgb;
  std::string label;  // for messages: "images[3]"
};

// Accepts, per item: str (a path), bytes / bytearray / memoryview (an encoded file), a uint8
// numpy array HxW (gray) or HxWxC with C in 1..4, or a tuple (uint8 array, mode) where mode is a
// Pillow mode name ("L", "LA", "RGB", "RGBA", "P" for palette images expanded to RGB, "1" for
// bilevel images stored as 0/255). Raises TypeError / InvalidArgumentError naming the item.
std::vector<ImageSource> image_sources(py::handle items);

// Decodes / copies sources [begin, end) into Images. Runs without the GIL.
std::vector<Image> materialize(const std::vector<ImageSource>& sources, size_t begin, size_t end);

// Parses "openai" / "hf".
PreprocessMode parse_preprocess(const std::string& s);

}  // namespace lincir::python
