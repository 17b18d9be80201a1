// Errors, versions and process-wide settings of the C ABI.
#include "capi_internal.hpp"
#include "lincir/version.hpp"

namespace lincir::capi {
namespace {
thread_local std::string t_last_error;
}  // namespace

void set_error(int /*status*/, const std::string& msg) noexcept {
  try {
    t_last_error = msg;
  } catch (...) {
    t_last_error.clear();  // out of memory while reporting: keep an empty message
  }
}

void clear_error() noexcept { t_last_error.clear(); }

int status_code(Status s) noexcept { return static_cast<int>(s); }

const char* last_error() noexcept { return t_last_error.c_str(); }

}  // namespace lincir::capi

using namespace lincir;

static_assert(LINCIR_ERR_INVALID_ARGUMENT == static_cast<int>(Status::invalid_argument));
static_assert(LINCIR_ERR_IO == static_cast<int>(Status::io));
static_assert(LINCIR_ERR_FORMAT == static_cast<int>(Status::format));
static_assert(LINCIR_ERR_OUT_OF_MEMORY == static_cast<int>(Status::out_of_memory));
static_assert(LINCIR_ERR_DEVICE == static_cast<int>(Status::device));
static_assert(LINCIR_ERR_UNSUPPORTED == static_cast<int>(Status::unsupported));
static_assert(LINCIR_ERR_CANCELLED == static_cast<int>(Status::cancelled));
static_assert(LINCIR_ERR_INTERNAL == static_cast<int>(Status::internal));
static_assert(LINCIR_C_VERSION_MAJOR == LINCIR_VERSION_MAJOR && LINCIR_C_VERSION_MINOR == LINCIR_VERSION_MINOR &&
                  LINCIR_C_VERSION_PATCH == LINCIR_VERSION_PATCH,
              "lincir.h and the project version disagree");

extern "C" {

const char* lincir_last_error(void) noexcept { return capi::last_error(); }

const char* lincir_status_str(int status) noexcept {
  switch (status) {
    case LINCIR_OK: case LINCIR_ERR_INVALID_ARGUMENT: case LINCIR_ERR_IO: case LINCIR_ERR_FORMAT:
    case LINCIR_ERR_OUT_OF_MEMORY: case LINCIR_ERR_DEVICE: case LINCIR_ERR_UNSUPPORTED:
    case LINCIR_ERR_CANCELLED: case LINCIR_ERR_INTERNAL:
      return status_str(static_cast<Status>(status));
    default:
      return "unknown status";
  }
}

int lincir_version_major(void) noexcept { return LINCIR_VERSION_MAJOR; }
int lincir_version_minor(void) noexcept { return LINCIR_VERSION_MINOR; }
int lincir_version_patch(void) noexcept { return LINCIR_VERSION_PATCH; }
int lincir_version_number(void) noexcept {
  return LINCIR_VERSION_MAJOR * 10000 + LINCIR_VERSION_MINOR * 100 + LINCIR_VERSION_PATCH;
}
const char* lincir_version_string(void) noexcept { return version_string(); }
int lincir_abi_version(void) noexcept { return LINCIR_ABI_VERSION; }
const char* lincir_build_info(void) noexcept { return build_info(); }
const char* lincir_default_marker(void) noexcept { return "$"; }

int lincir_set_num_threads(int n_threads) noexcept {
  LINCIR_C_TRY
  LINCIR_C_ARG(n_threads >= 0, "n_threads must be >= 0");
  set_num_threads(n_threads);
  LINCIR_C_CATCH
}

}  // extern "C"
