#include "tokenizer/clip_text.hpp"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "tokenizer/ftfy.hpp"
#include "tokenizer/html_unescape.hpp"
#include "tokenizer/icu_util.hpp"
#include "tokenizer/unicode_tables.hpp"

namespace lincir::detail {
namespace {

// regex module's \s: the Unicode White_Space property.
bool regex_space(char32_t c) {
  if (c < 0x80) return c == U' ' || (c >= U'\t' && c <= U'\r');
  return u_isUWhiteSpace(static_cast<UChar32>(c));
}

std::u32string python_strip(const std::u32string& s) {
  size_t b = 0, e = s.size();
  while (b < e && python_isspace(s[b])) ++b;
  while (e > b && python_isspace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::u32string lower(std::u32string s) {
  if (std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x80; })) {
    for (char32_t& c : s)
      if (c >= U'A' && c <= U'Z') c += 32;
    return s;
  }
  icu::UnicodeString u = to_icu(s);
  u.toLower(icu::Locale::getRoot());  // full mappings and Final_Sigma, like Python's str.lower()
  return from_icu(u);
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= U'a' && (c | 0x20) <= U'z';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0;
}
bool is_number(char32_t c) {
  if (c < 0x80) return c >= U'0' && c <= U'9';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}
// [^\s\p{L}\p{N}] under IGNORECASE. U+0345 (which case-folds to the letter U+03B9) matches no
// alternative at all with the regex module, so it is dropped like whitespace.
bool is_other(char32_t c) {
  return !regex_space(c) && !is_letter(c) && !is_number(c) && c != 0x345;
}

// Case-insensitive match of an ASCII literal at text[i] (simple case folding, as the regex
// module's IGNORECASE: "'ſ" matches "'s").
size_t match_literal(const std::u32string& t, size_t i, const char* lit) {
  size_t k = 0;
  for (; lit[k]; ++k) {
    if (i + k >= t.size()) return 0;
    const char32_t c = t[i + k];
    const auto p = static_cast<char32_t>(lit[k]);
    if (c != p && u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT) !=
                      u_foldCase(static_cast<UChar32>(p), U_FOLD_CASE_DEFAULT))
      return 0;
  }
  return k;
}

bool equals_ascii(const std::u32string& t, size_t b, size_t e, const char* lit) {
  size_t k = 0;
  for (; lit[k]; ++k)
    if (b + k >= e || t[b + k] != static_cast<char32_t>(lit[k])) return false;
  return b + k == e;
}

}  // namespace

bool python_isspace(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return std::binary_search(tables::kPythonSpace, tables::kPythonSpace + tables::kPythonSpaceCount,
                            c);
}

std::u32string clip_clean(const std::u32string& text) {
  // basic_clean
  std::u32string t = ftfy_fix_text(text);
  t = python_html_unescape(python_html_unescape(t));
  t = python_strip(t);
  // whitespace_clean
  std::u32string w;
  w.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (regex_space(t[i])) {
      w.push_back(U' ');
      while (i < t.size() && regex_space(t[i])) ++i;
    } else {
      w.push_back(t[i++]);
    }
  }
  return lower(python_strip(w));
}

std::vector<PreToken> clip_pretokenize(const std::u32string& t, int sot_id, int eot_id) {
  static const char* const kSpecial[2] = {"<|startoftext|>", "<|endoftext|>"};
  static const char* const kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  std::vector<PreToken> out;
  size_t i = 0;
  const size_t n = t.size();
  while (i < n) {
    size_t len = 0;
    int special = 0;
    for (int k = 0; k < 2 && !len && t[i] == U'<'; ++k) {
      len = match_literal(t, i, kSpecial[k]);
      // Only the exact lower-case literal is a special token; other spellings that the
      // case-insensitive regex accepts (e.g. with U+017F) go through BPE like any word.
      if (len && equals_ascii(t, i, i + len, kSpecial[k])) special = k == 0 ? sot_id : eot_id;
    }
    if (!len && t[i] == U'\'')
      for (const char* c : kContractions)
        if ((len = match_literal(t, i, c))) break;
    if (!len && is_letter(t[i]))
      while (i + len < n && is_letter(t[i + len])) ++len;
    if (!len && is_number(t[i])) len = 1;
    if (!len && is_other(t[i]))
      while (i + len < n && is_other(t[i + len])) ++len;
    if (!len) {
      ++i;  // whitespace (or U+0345): not part of any token
      continue;
    }
    out.push_back({i, i + len, special});
    i += len;
  }
  return out;
}

}  // namespace lincir::detail
