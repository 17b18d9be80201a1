// safetensors parsing from bytes: header length, JSON, dtypes, shapes, offsets; then every
// tensor is converted, which reads every byte the header claims.
#include <cstdint>
#include <cstring>

#include "fuzz_util.hpp"
#include "lincir/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto st = lincir::SafeTensors::from_bytes(data, size, "fuzz.safetensors");
    size_t total = 0;
    for (const auto& name : st.names()) {
      const auto& t = st.get(name);
      if (t.numel() < 0) std::abort();
      total += t.nbytes;
      if (total > size) std::abort();  // tensors are validated to fit in the buffer
      auto f = st.to_float(name);
      if (f.size() != static_cast<size_t>(t.numel())) std::abort();
      try {
        auto i = st.to_int64(name);
        if (i.size() != f.size()) std::abort();
      } catch (const lincir::Error& e) {  // not an integer tensor
        lincir::fuzz::expect_message(e);
      }
    }
    (void)st.metadata().size();
  } catch (const lincir::Error& e) {
    lincir::fuzz::expect_message(e);
  }
  return 0;
}
