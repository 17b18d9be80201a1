// Internals of the C ABI: the one try/catch macro pair that turns every C++ exception into a
// status code plus a thread-local message, argument checks, and params-struct reading.
#pragma once

#include <cstring>
#include <new>
#include <string>

#include "lincir.h"
#include "lincir/common.hpp"

namespace lincir::capi {

void set_error(int status, const std::string& msg) noexcept;
void clear_error() noexcept;
int status_code(Status s) noexcept;
const char* last_error() noexcept;

// Copies the caller's params struct (any struct_size) over defaults: only the fields that fit in
// the caller's struct_size are read, so older callers keep working.
template <typename T>
T read_params(const T* user, const T& defaults, const char* what) {
  T p = defaults;
  if (user == nullptr) return p;
  LINCIR_CHECK(user->struct_size >= sizeof(uint32_t),
               std::string(what) + ".struct_size is not set (call the _init function)");
  std::memcpy(&p, user, user->struct_size < sizeof(T) ? user->struct_size : sizeof(T));
  p.struct_size = sizeof(T);
  return p;
}

}  // namespace lincir::capi

// Every exported function body is wrapped in this pair: no exception crosses the boundary.
#define LINCIR_C_TRY            \
  ::lincir::capi::clear_error(); \
  try {
#define LINCIR_C_CATCH                                                                     \
  }                                                                                        \
  catch (const ::lincir::Error& e) {                                                       \
    ::lincir::capi::set_error(::lincir::capi::status_code(e.status()), e.what());          \
    return ::lincir::capi::status_code(e.status());                                        \
  }                                                                                        \
  catch (const std::bad_alloc&) {                                                          \
    ::lincir::capi::set_error(LINCIR_ERR_OUT_OF_MEMORY, "out of memory");                  \
    return LINCIR_ERR_OUT_OF_MEMORY;                                                       \
  }                                                                                        \
  catch (const std::exception& e) {                                                        \
    ::lincir::capi::set_error(LINCIR_ERR_INTERNAL, std::string("internal error: ") + e.what()); \
    return LINCIR_ERR_INTERNAL;                                                            \
  }                                                                                        \
  catch (...) {                                                                            \
    ::lincir::capi::set_error(LINCIR_ERR_INTERNAL, "internal error: unknown exception");   \
    return LINCIR_ERR_INTERNAL;                                                            \
  }                                                                                        \
  return LINCIR_OK;

// Argument checks that fail with LINCIR_ERR_INVALID_ARGUMENT and a message naming the argument.
#define LINCIR_C_ARG(cond, msg) LINCIR_CHECK(cond, msg)
#define LINCIR_C_NOT_NULL(p) LINCIR_CHECK((p) != nullptr, #p " is NULL")
