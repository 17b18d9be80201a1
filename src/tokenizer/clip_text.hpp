// The text side of CLIP's SimpleTokenizer.encode before BPE: basic_clean, whitespace_clean,
// lower() and the pre-tokenizer regex, on code points.
#pragma once

#include <string>
#include <vector>

namespace lincir::detail {

// Python's str.isspace().
bool python_isspace(char32_t c);

// whitespace_clean(basic_clean(text)).lower():
// ftfy.fix_text, html.unescape twice, strip(); every run of Unicode White_Space -> one ' ',
// strip(); full Unicode lower-casing (İ -> i + U+0307, final sigma).
std::u32string clip_clean(const std::u32string& text);

struct PreToken {
  size_t begin, end;  // code point range in the cleaned text
  int special;        // 0, or the id of a literal <|startoftext|> / <|endoftext|>
};

// regex.findall of CLIP's pattern (IGNORECASE, regex module semantics):
// <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
std::vector<PreToken> clip_pretokenize(const std::u32string& text, int sot_id, int eot_id);

}  // namespace lincir::detail
