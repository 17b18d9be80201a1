// Projector (φ) loading: lincir's safetensors files and torch.save zip checkpoints (LibTorch's
// zip reader + lincir's restricted pickle reader, lazy storages). The container is detected from
// the content as Projector::load does. A projector that loads is applied to one input row.
#include <ATen/Parallel.h>

#include <cstdint>
#include <cstdlib>

#include "fuzz_util.hpp"
#include "lincir/projector.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lincir::fuzz::ScratchFile file(".phi");
  const std::string& path = file.write(data, size);
  try {
    auto phi = lincir::Projector::load(path);
    const auto& c = phi.config();
    if (c.input_dim <= 0 || c.output_dim <= 0 || c.hidden_dim <= 0) std::abort();
    lincir::Embeddings x = lincir::Embeddings::Constant(1, c.input_dim, 0.5f);
    auto y = phi.forward(x);
    if (y.rows() != 1 || y.cols() != c.output_dim) std::abort();
  } catch (const lincir::Error& e) {
    lincir::fuzz::expect_message(e);
  }
  return 0;
}
