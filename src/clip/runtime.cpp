// Process-wide LibTorch settings (threads, CUDA), device/dtype mapping, and version facts.
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <string>
#include <thread>

#include "clip/towers.hpp"
#include "lincir/common.hpp"
#include "lincir/version.hpp"

namespace lincir {

void set_num_threads(int n) {
  LINCIR_CHECK(n >= 0, "set_num_threads: negative thread count " + std::to_string(n));
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

int num_threads() {
  return at::get_num_threads();
}

bool cuda_available() {
  return torch::cuda::is_available();
}

const char* version_string() noexcept {
  return LINCIR_VERSION_STRING;
}

const char* build_info() noexcept {
  static const std::string info = [] {
    std::string s = "lincir " LINCIR_VERSION_STRING "; LibTorch " TORCH_VERSION;
    s += std::string("; CUDA ") + (at::hasCUDA() ? "built in" : "not built in");
#if defined(LINCIR_HAVE_FAISS) && LINCIR_HAVE_FAISS
    s += "; faiss enabled";
#else
    s += "; faiss disabled";
#endif
#if defined(__clang__)
    s += "; clang " __clang_version__;
#elif defined(__GNUC__)
    s += "; gcc " __VERSION__;
#endif
#ifdef NDEBUG
    s += "; release";
#else
    s += "; debug";
#endif
    return s;
  }();
  return info.c_str();
}

namespace detail {

torch::Device to_torch_device(const Device& d) {
  if (d.type == DeviceType::cpu) return torch::Device(torch::kCPU);
  LINCIR_CHECK_STATUS(
      at::hasCUDA(), Status::device,
      "device " + d.str() + " requested, but this build of LibTorch has no CUDA support");
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  LINCIR_CHECK_STATUS(count > 0, Status::device,
                      "device " + d.str() + " requested, but no CUDA device is visible");
  LINCIR_CHECK_STATUS(d.index >= 0 && d.index < count, Status::device,
                      "device " + d.str() + " requested, but only " + std::to_string(count) +
                          " CUDA device(s) are visible");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(d.index));
}

torch::ScalarType to_torch_dtype(DType t, const Device& device) {
  switch (t) {
    case DType::float32:
      return torch::kFloat;
    case DType::bfloat16:
      return torch::kBFloat16;
    case DType::float16:
      LINCIR_CHECK_STATUS(device.type == DeviceType::cuda, Status::unsupported,
                          "float16 is only supported on CUDA devices; use bfloat16 or float32 on "
                          "the CPU");
      return torch::kHalf;
  }
  LINCIR_THROW(Status::invalid_argument, "invalid dtype");
}

}  // namespace detail
}  // namespace lincir
