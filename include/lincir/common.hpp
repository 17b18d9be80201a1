// lincir: zero-shot composed image retrieval (LinCIR) as an embeddable C++ library.
//
// Common vocabulary of the public C++ API: the error type every function throws, the status
// codes shared with the C ABI, the embedding matrix type and the device/dtype selectors.
// Public headers never include LibTorch; tensors cross the API as Eigen row-major matrices.
#pragma once

#include <Eigen/Core>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace lincir {

// Status codes. The numeric values are part of the stable C ABI (see lincir.h): never renumber.
enum class Status : int {
  ok = 0,
  invalid_argument = -1,  // bad pointer, size, dimension, option or text
  io = -2,                // a file could not be opened, read, written or renamed
  format = -3,            // a file or buffer is not what it claims to be (corrupt, truncated)
  out_of_memory = -4,
  device = -5,            // the requested device (e.g. CUDA) is unavailable
  unsupported = -6,       // valid input that this build cannot handle (dtype, format, option)
  cancelled = -7,         // a callback asked to stop
  internal = -99,         // a bug: please report it
};

// Short, static, human-readable name of a status ("invalid argument", ...).
const char* status_str(Status s) noexcept;

// The one exception type of the library. `status()` tells the class of failure; `what()` names
// the object involved (file, argument) and the problem.
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  Status status() const noexcept { return status_; }

 private:
  Status status_;
};

namespace detail {
[[noreturn]] void throw_error(Status status, const char* file, int line, const std::string& msg);
}  // namespace detail

// Throw lincir::Error(status, msg) unless `cond` holds. `msg` may be any expression convertible
// to std::string and is only evaluated on failure.
#define LINCIR_CHECK_STATUS(cond, status, msg)                                      \
  do {                                                                              \
    if (!(cond)) ::lincir::detail::throw_error((status), __FILE__, __LINE__, (msg)); \
  } while (0)
#define LINCIR_CHECK(cond, msg) LINCIR_CHECK_STATUS(cond, ::lincir::Status::invalid_argument, msg)
#define LINCIR_THROW(status, msg) ::lincir::detail::throw_error((status), __FILE__, __LINE__, (msg))

// N x D float32 matrix, one embedding per row: the type every encoder returns.
using Embeddings = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using EmbeddingsRef = Eigen::Ref<const Embeddings>;

enum class DeviceType { cpu, cuda };

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;  // CUDA ordinal
  static Device cpu() { return {}; }
  static Device cuda(int i = 0) { return {DeviceType::cuda, i}; }
  // Parses "cpu", "cuda", "cuda:1". Throws Error(invalid_argument) otherwise.
  static Device parse(const std::string& s);
  std::string str() const;
};

// Compute precision of the towers. float32 is the reference; bfloat16/float16 trade accuracy for
// speed (float16 only on CUDA).
enum class DType { float32, float16, bfloat16 };
DType parse_dtype(const std::string& s);
const char* dtype_name(DType d) noexcept;

// Intra-op threads used by every LibTorch computation in this process (LibTorch defaults to 1
// on some machines). 0 means "all available cores". Not thread-safe against running inference.
void set_num_threads(int n);
int num_threads();

// True when this build can use CUDA and at least one device is visible.
bool cuda_available();

}  // namespace lincir
