// The CLIP tokenizer on arbitrary bytes (invalid UTF-8 included): text cleaning (ftfy,
// html.unescape), BPE, clip.tokenize truncation, and decode of the ids.
#include <cstdint>
#include <string_view>

#include "fuzz_util.hpp"
#include "lincir/tokenizer.hpp"

namespace {
const lincir::Tokenizer* tok_ptr = nullptr;
}

// The vocabulary is parsed once, outside the per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static const lincir::Tokenizer tokenizer;
  tok_ptr = &tokenizer;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const lincir::Tokenizer& tok = *tok_ptr;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto ids = tok.encode(text);
    for (int32_t id : ids)
      if (id < 0 || id >= tok.vocab_size()) std::abort();
    auto row = tok.tokenize(text, 77, /*truncate=*/true);
    if (row.size() != 77 || row[0] != lincir::Tokenizer::kSot) std::abort();
    // Untruncated: must agree with encode() when it fits, and throw invalid_argument otherwise.
    try {
      auto full = tok.tokenize(text, 77, /*truncate=*/false);
      if (ids.size() + 2 > 77) std::abort();
    } catch (const lincir::Error& e) {
      if (e.status() != lincir::Status::invalid_argument || ids.size() + 2 <= 77) std::abort();
    }
    (void)tok.decode(ids, /*skip_special=*/false);
    (void)tok.decode(row, /*skip_special=*/true);
  } catch (const lincir::Error& e) {
    // No input text may fail encode/tokenize(truncate=true)/decode of its own ids.
    std::abort();
  }
  return 0;
}
