// spaCy-style English tokenizer (internal): whitespace split, prefix/suffix/infix punctuation
// rules and the English contraction exceptions, as spaCy 3's English tokenizer applies them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lincir::detail {

struct RawToken {
  size_t begin = 0;  // byte range in the input text
  size_t end = 0;
  bool space = false;  // a whitespace token (spaCy emits one for extra whitespace; tag SPACE)
};

// Tokenizes UTF-8 `text`. Never throws on bad input: invalid bytes are treated as letters.
std::vector<RawToken> tokenize_spacy_english(std::string_view text);

}  // namespace lincir::detail
