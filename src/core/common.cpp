#include "lincir/common.hpp"

#include <cstring>

namespace lincir {

const char* status_str(Status s) noexcept {
  switch (s) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid argument";
    case Status::io: return "i/o error";
    case Status::format: return "bad file format";
    case Status::out_of_memory: return "out of memory";
    case Status::device: return "device unavailable";
    case Status::unsupported: return "unsupported";
    case Status::cancelled: return "cancelled";
    case Status::internal: return "internal error";
  }
  return "unknown status";
}

namespace detail {
[[noreturn]] void throw_error(Status status, const char* /*file*/, int /*line*/,
                              const std::string& msg) {
  // File/line are deliberately not part of the user-facing message: messages name the user's
  // object (a path, an argument), which is what a caller can act on.
  throw Error(status, msg);
}
}  // namespace detail

Device Device::parse(const std::string& s) {
  if (s == "cpu") return Device::cpu();
  if (s == "cuda") return Device::cuda(0);
  if (s.rfind("cuda:", 0) == 0 && s.size() > 5 && s.size() < 9) {
    int idx = 0;
    for (size_t i = 5; i < s.size(); ++i) {
      LINCIR_CHECK(s[i] >= '0' && s[i] <= '9', "invalid device '" + s + "'");
      idx = idx * 10 + (s[i] - '0');
    }
    return Device::cuda(idx);
  }
  LINCIR_THROW(Status::invalid_argument,
               "invalid device '" + s + "' (expected cpu, cuda or cuda:N)");
}

std::string Device::str() const {
  return type == DeviceType::cpu ? std::string("cpu") : "cuda:" + std::to_string(index);
}

DType parse_dtype(const std::string& s) {
  if (s == "float32" || s == "fp32" || s == "f32") return DType::float32;
  if (s == "float16" || s == "fp16" || s == "f16") return DType::float16;
  if (s == "bfloat16" || s == "bf16") return DType::bfloat16;
  LINCIR_THROW(Status::invalid_argument,
               "invalid dtype '" + s + "' (expected float32, float16 or bfloat16)");
}

const char* dtype_name(DType d) noexcept {
  switch (d) {
    case DType::float32: return "float32";
    case DType::float16: return "float16";
    case DType::bfloat16: return "bfloat16";
  }
  return "?";
}

}  // namespace lincir
