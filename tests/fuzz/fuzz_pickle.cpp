// The restricted pickle reader of torch.save archives (data.pkl), fed directly: far more
// executions per second than going through the zip container in fuzz_projector.
#include <cstdint>

#include "fuzz_util.hpp"
#include "projector/torch_pickle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto doc = lincir::detail::parse_torch_pickle(data, size, "fuzz.pkl");
    if (!doc || !doc->root) std::abort();
  } catch (const lincir::Error& e) {
    lincir::fuzz::expect_message(e);
  }
  return 0;
}
