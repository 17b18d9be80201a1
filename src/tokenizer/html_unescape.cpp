#include "tokenizer/html_unescape.hpp"

#include <algorithm>
#include <cstring>

#include "tokenizer/unicode_tables.hpp"

namespace lincir::detail {
namespace {

using tables::Entity;

const Entity* find_entity(const Entity* table, size_t count, const std::string& name) {
  const Entity* end = table + count;
  const Entity* it = std::lower_bound(table, end, name, [](const Entity& e, const std::string& n) {
    return std::strcmp(e.name, n.c_str()) < 0;
  });
  return (it != end && name == it->name) ? it : nullptr;
}

// `text[b, e)` as an ASCII std::string, or false when it holds a non-ASCII code point.
bool ascii_slice(const std::u32string& text, size_t b, size_t e, std::string& out) {
  out.clear();
  for (size_t i = b; i < e; ++i) {
    if (text[i] >= 0x80) return false;
    out.push_back(static_cast<char>(text[i]));
  }
  return true;
}

void append_entity(std::u32string& out, const Entity& e) {
  for (char32_t c : e.cp)
    if (c) out.push_back(c);
}

bool is_digit(char32_t c) {
  return c >= U'0' && c <= U'9';
}
bool is_hex(char32_t c) {
  return is_digit(c) || (c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F');
}
bool is_ascii_alnum(char32_t c) {
  return is_digit(c) || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
}

// html._invalid_charrefs: numeric references in the C1 range are read as windows-1252.
char32_t invalid_charref(uint64_t n) {
  static const char32_t kC1[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                   0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                   0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
  if (n == 0) return 0xFFFD;
  if (n == 0x0D) return U'\r';
  if (n >= 0x80 && n <= 0x9F) return kC1[n - 0x80];
  return 0;
}

// html._invalid_codepoints: replaced by nothing.
bool invalid_codepoint(uint64_t n) {
  return (n >= 0x1 && n <= 0x8) || (n >= 0xE && n <= 0x1F) || (n >= 0x7F && n <= 0x9F) ||
         (n >= 0xFDD0 && n <= 0xFDEF) || n == 0xB || ((n & 0xFFFE) == 0xFFFE && n <= 0x10FFFF);
}

void append_numeric(std::u32string& out, uint64_t n) {
  if (char32_t c = invalid_charref(n)) {
    out.push_back(c);
  } else if ((n >= 0xD800 && n <= 0xDFFF) || n > 0x10FFFF) {
    out.push_back(0xFFFD);
  } else if (!invalid_codepoint(n)) {
    out.push_back(static_cast<char32_t>(n));
  }
}

// Parses digits of `base` from text[i]; returns the end. `value` saturates above 0x10FFFF.
size_t parse_number(const std::u32string& t, size_t i, int base, uint64_t& value) {
  value = 0;
  for (; i < t.size() && (base == 10 ? is_digit(t[i]) : is_hex(t[i])); ++i) {
    const char32_t c = t[i];
    const unsigned d = is_digit(c) ? c - U'0' : (c | 0x20) - U'a' + 10;
    value = value > 0x10FFFF ? value : value * base + d;
  }
  return i;
}

bool name_char(char32_t c) {
  return c != U'\t' && c != U'\n' && c != U'\f' && c != U' ' && c != U'<' && c != U'&' &&
         c != U'#' && c != U';';
}

// Matches html._charref at text[amp] == '&'. On success appends the replacement and returns the
// end of the match; returns 0 when nothing matches there.
size_t python_charref(const std::u32string& t, size_t amp, std::u32string& out) {
  const size_t n = t.size();
  size_t i = amp + 1;
  if (i < n && t[i] == U'#') {
    uint64_t value = 0;
    size_t e = 0;
    if (i + 1 < n && is_digit(t[i + 1])) {
      e = parse_number(t, i + 1, 10, value);
    } else if (i + 2 < n && (t[i + 1] == U'x' || t[i + 1] == U'X') && is_hex(t[i + 2])) {
      e = parse_number(t, i + 2, 16, value);
    } else {
      return 0;  // the name alternative cannot start with '#'
    }
    if (e < n && t[e] == U';') ++e;
    append_numeric(out, value);
    return e;
  }
  size_t e = i;
  while (e < n && e - i < 32 && name_char(t[e])) ++e;
  if (e == i) return 0;
  if (e < n && t[e] == U';') ++e;
  std::string name;
  if (ascii_slice(t, i, e, name)) {
    if (const Entity* ent = find_entity(tables::kHtml5Entities, tables::kHtml5EntityCount, name)) {
      append_entity(out, *ent);
      return e;
    }
  }
  // Longest prefix (at least 2 characters) that is a known name; the rest is kept.
  for (size_t x = e - i - 1; x >= 2; --x) {
    if (!ascii_slice(t, i, i + x, name)) continue;
    if (const Entity* ent = find_entity(tables::kHtml5Entities, tables::kHtml5EntityCount, name)) {
      append_entity(out, *ent);
      out.append(t, i + x, e - (i + x));
      return e;
    }
  }
  out.append(t, amp, e - amp);
  return e;
}

}  // namespace

std::u32string python_html_unescape(const std::u32string& text) {
  if (text.find(U'&') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == U'&') {
      if (size_t e = python_charref(text, i, out)) {
        i = e;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::u32string ftfy_unescape_html(const std::u32string& text) {
  if (text.find(U'&') == std::u32string::npos) return text;
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  std::string name;
  while (i < text.size()) {
    if (text[i] == U'&') {
      // HTML_ENTITY_RE: &#?[0-9A-Za-z]{1,24};
      size_t b = i + 1;
      if (b < text.size() && text[b] == U'#') ++b;
      size_t e = b;
      while (e < text.size() && is_ascii_alnum(text[e])) ++e;
      if (e > b && e - b <= 24 && e < text.size() && text[e] == U';') {
        ++e;
        ascii_slice(text, i + 1, e, name);  // e.g. "eacute;" or "#x41;"
        const Entity* ent = nullptr;
        if (name[0] != '#') {
          ent = find_entity(tables::kHtml5Entities, tables::kHtml5EntityCount, name);
          if (!ent)
            ent = find_entity(tables::kFtfyUpperEntities, tables::kFtfyUpperEntityCount, name);
        }
        if (ent) {
          append_entity(out, *ent);
        } else if (name[0] == '#') {
          const std::u32string ref(text, i, e - i);
          std::u32string dec = python_html_unescape(ref);
          // Only decode when html.unescape consumed the ';' as well.
          out += dec.find(U';') == std::u32string::npos ? dec : ref;
        } else {
          out.append(text, i, e - i);
        }
        i = e;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace lincir::detail
