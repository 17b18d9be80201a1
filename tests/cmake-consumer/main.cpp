// Uses only the public, torch-free headers of an installed lincir.
#include <lincir/lincir.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  lincir::Tokenizer tok;
  auto ids = tok.tokenize("a photo of $ that is red");
  // [SOT] a photo of $ ... : the placeholder must come out as token 259.
  if (ids.at(0) != lincir::Tokenizer::kSot || ids.at(4) != lincir::Tokenizer::kPlaceholder) {
    std::fprintf(stderr, "unexpected ids\n");
    return 1;
  }
  if (argc > 1) {  // a safetensors weights file to validate
    auto st = lincir::SafeTensors::open(argv[1]);
    std::printf("tensors: %zu\n", st.size());
  }
  std::printf("lincir %s ok\n", lincir::version_string());
  return 0;
}
