// Port of ftfy 6.3.1 (Apache-2.0, Copyright 2023 Robyn Speer): ftfy/__init__.py (fix_text,
// fix_and_explain, fix_encoding) and the fixers of ftfy/fixes.py that its defaults apply. The
// character tables and regular expressions are generated from ftfy itself (unicode_tables.cpp).
#include "tokenizer/ftfy.hpp"

#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>

#include "lincir/common.hpp"
#include "tokenizer/html_unescape.hpp"
#include "tokenizer/icu_util.hpp"
#include "tokenizer/unicode_tables.hpp"
#include "tokenizer/utf8.hpp"

namespace lincir::detail {
namespace {

using Bytes = std::string;  // raw bytes of a single-byte encoding

// ---- compiled data ------------------------------------------------------------------------------

struct Encoding {
  const tables::Charmap* map;
  bool sloppy;
  std::unordered_map<char32_t, unsigned char> encode;  // non-ASCII chars, and the one for 0x1A
};

struct Data {
  std::unique_ptr<icu::RegexPattern> detector, altered, lossy, a_grave;
  std::vector<Encoding> encodings;
  const icu::Normalizer2* nfc = nullptr;
};

std::unique_ptr<icu::RegexPattern> compile(const char* pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError perr;
  std::unique_ptr<icu::RegexPattern> p(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern), 0, perr, status));
  LINCIR_CHECK_STATUS(
      U_SUCCESS(status) && p, Status::internal,
      std::string("ftfy: cannot compile a generated ICU regex: ") + u_errorName(status));
  return p;
}

Data make_data() {
  Data d;
  d.detector = compile(tables::kUtf8DetectorPattern);
  d.altered = compile(tables::kAlteredUtf8Pattern);
  d.lossy = compile(tables::kLossyUtf8Pattern);
  d.a_grave = compile(tables::kAGraveWordPattern);
  for (size_t k = 0; k < tables::kCharmapCount; ++k) {
    Encoding e;
    e.map = &tables::kCharmaps[k];
    e.sloppy = std::string(e.map->name).rfind("sloppy", 0) == 0;
    e.encode[e.map->byte_1a] = 0x1A;
    for (int b = 0; b < 128; ++b) e.encode[e.map->high[b]] = static_cast<unsigned char>(0x80 + b);
    d.encodings.push_back(std::move(e));
  }
  UErrorCode status = U_ZERO_ERROR;
  d.nfc = icu::Normalizer2::getNFCInstance(status);
  LINCIR_CHECK_STATUS(U_SUCCESS(status), Status::internal, "ftfy: ICU NFC data unavailable");
  return d;
}

const Data& data() {
  static const Data d = make_data();
  return d;
}

// ---- helpers ------------------------------------------------------------------------------------

bool all_ascii(const std::u32string& s) {
  return std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0x80; });
}

// Text whose code points U+0000..U+00FF stand for bytes, so byte regexes can run on it.
icu::UnicodeString bytes_to_icu(const Bytes& b) {
  icu::UnicodeString s;
  for (unsigned char c : b) s.append(static_cast<UChar>(c));
  return s;
}
Bytes icu_to_bytes(const icu::UnicodeString& s) {
  Bytes b;
  b.reserve(static_cast<size_t>(s.length()));
  for (int32_t i = 0; i < s.length(); ++i) b.push_back(static_cast<char>(s.charAt(i)));
  return b;
}

bool search(const icu::RegexPattern& p, const icu::UnicodeString& s) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> m(p.matcher(s, status));
  return U_SUCCESS(status) && m->find();
}

// re.sub(pattern, f, text) where f maps the matched text to its replacement.
template <typename F>
icu::UnicodeString substitute(const icu::RegexPattern& p, const icu::UnicodeString& s, F f) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> m(p.matcher(s, status));
  if (U_FAILURE(status)) return s;
  icu::UnicodeString out;
  int32_t last = 0;
  while (m->find()) {
    const int32_t b = m->start(status), e = m->end(status);
    out.append(s, last, b - last);
    out.append(f(icu::UnicodeString(s, b, e - b)));
    last = e;
  }
  out.append(s, last, s.length() - last);
  return out;
}

// text.encode(encoding); false where a character has no byte (chardata.possible_encoding).
bool encode_charmap(const Encoding& e, const std::u32string& text, Bytes& out) {
  out.clear();
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80 && c != 0x1A) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    auto it = e.encode.find(c);
    if (it == e.encode.end()) return false;
    out.push_back(static_cast<char>(it->second));
  }
  return true;
}

// ftfy's "utf-8-variants" codec (strict): UTF-8 plus CESU-8 surrogate pairs and Java's C0 80 NUL.
bool decode_utf8_variants(const Bytes& b, std::u32string& out) {
  out.clear();
  size_t i = 0, start = 0;
  std::u32string part;
  auto flush = [&](size_t end) {
    if (!utf8_decode_strict(std::string_view(b).substr(start, end - start), part)) return false;
    out += part;
    return true;
  };
  auto u = [&](size_t k) { return static_cast<unsigned char>(b[k]); };
  while (i < b.size()) {
    if (u(i) == 0xC0 && i + 1 < b.size() && u(i + 1) == 0x80) {
      if (!flush(i)) return false;
      out.push_back(0);
      i += 2;
      start = i;
    } else if (u(i) == 0xED && i + 5 < b.size() && u(i + 1) >= 0xA0 && u(i + 1) <= 0xAF &&
               u(i + 2) >= 0x80 && u(i + 2) <= 0xBF && u(i + 3) == 0xED && u(i + 4) >= 0xB0 &&
               u(i + 4) <= 0xBF && u(i + 5) >= 0x80 && u(i + 5) <= 0xBF) {
      if (!flush(i)) return false;
      out.push_back(static_cast<char32_t>(((u(i + 1) & 0x0F) << 16) + ((u(i + 2) & 0x3F) << 10) +
                                          ((u(i + 4) & 0x0F) << 6) + (u(i + 5) & 0x3F) + 0x10000));
      i += 6;
      start = i;
    } else {
      ++i;
    }
  }
  return flush(b.size());
}

// fixes.restore_byte_a0
Bytes restore_byte_a0(const Bytes& b) {
  const Data& d = data();
  icu::UnicodeString s = substitute(*d.a_grave, bytes_to_icu(b), [](const icu::UnicodeString&) {
    return icu::UnicodeString(static_cast<UChar>(0xC3))
        .append(static_cast<UChar>(0xA0))
        .append(static_cast<UChar>(0x20));
  });
  s = substitute(*d.altered, s, [](icu::UnicodeString m) {
    return m.findAndReplace(icu::UnicodeString(static_cast<UChar>(0x20)),
                            icu::UnicodeString(static_cast<UChar>(0xA0)));
  });
  return icu_to_bytes(s);
}

// fixes.replace_lossy_sequences
Bytes replace_lossy_sequences(const Bytes& b) {
  const icu::UnicodeString s = substitute(*data().lossy, bytes_to_icu(b),
                                          [](const auto&) { return bytes_to_icu("\xEF\xBF\xBD"); });
  return icu_to_bytes(s);
}

char32_t sloppy_1252(char32_t c1) {
  return data().encodings[1].map->high[c1 - 0x80];
}

// fixes.fix_c1_controls
std::u32string fix_c1_controls(std::u32string t) {
  for (char32_t& c : t)
    if (c >= 0x80 && c <= 0x9F) c = sloppy_1252(c);
  return t;
}

std::u32string fix_encoding_impl(const std::u32string& text);

// fixes.decode_inconsistent_utf8
std::u32string decode_inconsistent_utf8(const std::u32string& text) {
  const icu::UnicodeString s = to_icu(text);
  const size_t n = text.size();
  return from_icu(substitute(*data().detector, s, [n](const icu::UnicodeString& m) {
    const std::u32string sub = from_icu(m);
    if (sub.size() < n && ftfy_is_bad(sub)) return to_icu(fix_encoding_impl(sub));
    return m;
  }));
}

// ftfy._fix_encoding_one_step_and_explain
std::u32string fix_encoding_one_step(const std::u32string& text) {
  if (text.empty() || all_ascii(text) || !ftfy_is_bad(text)) return text;
  const Data& d = data();
  bool latin1_possible = false;
  Bytes bytes;
  std::u32string fixed;
  for (const Encoding& e : d.encodings) {
    if (!encode_charmap(e, text, bytes)) continue;
    const std::string name = e.map->name;
    if (name == "latin-1") latin1_possible = true;
    if (name != "macroman" && search(*d.altered, bytes_to_icu(bytes)))
      bytes = restore_byte_a0(bytes);
    if (e.sloppy) bytes = replace_lossy_sequences(bytes);
    if (decode_utf8_variants(bytes, fixed)) return fixed;
  }
  if (search(*d.detector, to_icu(text))) {
    fixed = decode_inconsistent_utf8(text);
    if (fixed != text) return fixed;
  }
  // ftfy checks for "windows-1252" among the possible encodings, which only ever lists
  // "sloppy-windows-1252", so Latin-1 text is always re-read as strict windows-1252 here.
  if (latin1_possible) {
    fixed.clear();
    bool ok = true;
    for (char32_t c : text) {
      if (c >= 0x80 && c <= 0xFF) {
        const char32_t m = tables::kStrictCp1252High[c - 0x80];
        if (m == 0xFFFFFFFF) {
          ok = false;
          break;
        }
        fixed.push_back(m);
      } else {
        fixed.push_back(c);
      }
    }
    if (ok && fixed != text) return fixed;
  }
  if (std::any_of(text.begin(), text.end(), [](char32_t c) { return c >= 0x80 && c <= 0x9F; }))
    return fix_c1_controls(text);
  return text;
}

// ftfy loops until nothing changes; the cap only guards against a cycle, which ftfy would never
// leave (no input is known to reach it).
constexpr int kMaxRounds = 64;

std::u32string fix_encoding_impl(const std::u32string& text) {
  std::u32string cur = text;
  for (int round = 0; round < kMaxRounds; ++round) {
    std::u32string next = fix_encoding_one_step(cur);
    if (next == cur) return cur;
    cur = std::move(next);
  }
  return cur;
}

// ---- the character-level fixers ----------------------------------------------------------------

template <typename T>
const T* find_from(const T* table, size_t n, char32_t c) {
  const T* end = table + n;
  const T* it = std::lower_bound(table, end, c, [](const T& m, char32_t v) { return m.from < v; });
  return (it != end && it->from == c) ? it : nullptr;
}

// fix_latin_ligatures + fix_character_width (both str.translate with a table).
std::u32string translate(const std::u32string& t, const tables::Mapping* table, size_t n) {
  std::u32string out;
  out.reserve(t.size());
  for (char32_t c : t) {
    const tables::Mapping* m = c >= 0x80 ? find_from(table, n, c) : nullptr;
    if (!m) {
      out.push_back(c);
      continue;
    }
    for (char32_t r : m->to)
      if (r) out.push_back(r);
  }
  return out;
}

// fixes.uncurl_quotes
void uncurl_quotes(std::u32string& t) {
  for (char32_t& c : t) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B))
      c = U'\'';
    else if (c >= 0x201C && c <= 0x201F)
      c = U'"';
  }
}

// fixes.fix_line_breaks
std::u32string fix_line_breaks(const std::u32string& t) {
  std::u32string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    if (c == U'\r') {
      if (i + 1 < t.size() && t[i + 1] == U'\n') ++i;
      out.push_back(U'\n');
    } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
      out.push_back(U'\n');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// fixes.remove_terminal_escapes: "\033\[((?:\d|;)*)([a-zA-Z])" (\d: any Unicode decimal digit).
std::u32string remove_terminal_escapes(const std::u32string& t) {
  if (t.find(U'\x1b') == std::u32string::npos) return t;
  std::u32string out;
  out.reserve(t.size());
  size_t i = 0;
  while (i < t.size()) {
    if (t[i] == U'\x1b' && i + 1 < t.size() && t[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < t.size() &&
             (t[j] == U';' || u_charType(static_cast<UChar32>(t[j])) == U_DECIMAL_DIGIT_NUMBER))
        ++j;
      if (j < t.size() && ((t[j] >= U'a' && t[j] <= U'z') || (t[j] >= U'A' && t[j] <= U'Z'))) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(t[i++]);
  }
  return out;
}

// fixes.remove_control_chars
std::u32string remove_control_chars(const std::u32string& t) {
  std::u32string out;
  out.reserve(t.size());
  for (char32_t c : t)
    if (!std::binary_search(tables::kFtfyControlChars,
                            tables::kFtfyControlChars + tables::kFtfyControlCharCount, c))
      out.push_back(c);
  return out;
}

std::u32string nfc(const std::u32string& t) {
  if (all_ascii(t)) return t;
  const icu::Normalizer2* n = data().nfc;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString s = to_icu(t);
  if (n->isNormalized(s, status) && U_SUCCESS(status)) return t;
  status = U_ZERO_ERROR;
  const icu::UnicodeString r = n->normalize(s, status);
  return U_SUCCESS(status) ? from_icu(r) : t;
}

// ftfy.fix_and_explain for one segment.
std::u32string fix_segment(std::u32string text, bool unescape_html) {
  for (int round = 0; round < kMaxRounds; ++round) {
    const std::u32string orig = text;
    if (unescape_html) text = ftfy_unescape_html(text);
    text = fix_encoding_impl(text);
    text = fix_c1_controls(std::move(text));
    if (!all_ascii(text)) {
      text = translate(text, tables::kFtfyLigatures, tables::kFtfyLigatureCount);
      text = translate(text, tables::kFtfyWidthMap, tables::kFtfyWidthMapCount);
      uncurl_quotes(text);
    }
    text = fix_line_breaks(text);
    // fix_surrogates: text decoded from UTF-8 never holds surrogate code points.
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    text = nfc(text);
    if (text == orig) return text;
  }
  return text;
}

}  // namespace

std::u32string ftfy_fix_encoding(const std::u32string& text) {
  return fix_encoding_impl(text);
}

std::u32string ftfy_fix_text(const std::u32string& text) {
  // Printable ASCII (plus \t \n \f) without '&' is left alone by every fixer.
  if (std::all_of(text.begin(), text.end(), [](char32_t c) {
        return (c >= 0x20 && c < 0x7F && c != U'&') || c == U'\t' || c == U'\n' || c == U'\f';
      }))
    return text;
  constexpr size_t kMaxDecodeLength = 1000000;  // TextFixerConfig.max_decode_length
  std::u32string out;
  out.reserve(text.size());
  bool unescape_html = true;  // "auto": switched off for good by the first segment with a '<'
  size_t pos = 0;
  while (pos < text.size()) {
    size_t brk = text.find(U'\n', pos);
    brk = brk == std::u32string::npos ? text.size() : brk + 1;
    brk = std::min(brk, pos + kMaxDecodeLength);
    const std::u32string segment = text.substr(pos, brk - pos);
    if (unescape_html && segment.find(U'<') != std::u32string::npos) unescape_html = false;
    out += fix_segment(segment, unescape_html);
    pos = brk;
  }
  return out;
}

}  // namespace lincir::detail
