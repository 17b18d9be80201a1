// UTF-8 <-> UTF-32 conversions with Python's error semantics.
#pragma once

#include <string>
#include <string_view>

namespace lincir::detail {

// Decodes UTF-8 like Python's bytes.decode("utf-8", errors="replace"): every maximal subpart of
// an ill-formed sequence (Unicode 3.9, "U+FFFD substitution of maximal subparts") becomes one
// U+FFFD. Encoded surrogates and overlong forms are ill-formed. Never throws.
std::u32string utf8_decode_replace(std::string_view bytes);

// Strict UTF-8 decoding; false (with `out` unspecified) on any ill-formed byte sequence.
bool utf8_decode_strict(std::string_view bytes, std::u32string& out);

void utf8_append(std::string& out, char32_t cp);
std::string utf8_encode(std::u32string_view text);

}  // namespace lincir::detail
