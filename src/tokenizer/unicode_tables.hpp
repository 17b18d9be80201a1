// Static data for the tokenizer's text cleaning, generated from CPython 3.11 and ftfy 6.3.1 by
// scripts/tokenizer/gen_unicode_tables.py into unicode_tables.cpp (do not edit that file).
#pragma once

#include <cstddef>

namespace lincir::detail::tables {

// A named character reference: `name` without the leading '&' (with its ';' when it has one),
// expanding to 1..3 code points (unused slots are 0).
struct Entity {
  const char* name;
  char32_t cp[3];
};
// One code point mapped to 1..3 code points (unused slots are 0).
struct Mapping {
  char32_t from;
  char32_t to[3];
};
// A single-byte encoding: bytes 0x00..0x7F except 0x1A decode to themselves.
struct Charmap {
  const char* name;
  char32_t byte_1a;    // what byte 0x1A decodes to
  char32_t high[128];  // what bytes 0x80..0xFF decode to
};

extern const Entity kHtml5Entities[];  // sorted by name (bytewise)
extern const size_t kHtml5EntityCount;
extern const Entity kFtfyUpperEntities[];  // sorted by name (bytewise)
extern const size_t kFtfyUpperEntityCount;

extern const char32_t kPythonSpace[];  // ascending
extern const size_t kPythonSpaceCount;

extern const Mapping kFtfyLigatures[];  // ascending `from`
extern const size_t kFtfyLigatureCount;
extern const Mapping kFtfyWidthMap[];  // ascending `from`
extern const size_t kFtfyWidthMapCount;
extern const char32_t kFtfyControlChars[];  // ascending
extern const size_t kFtfyControlCharCount;

extern const Charmap kCharmaps[];  // ftfy.chardata.CHARMAP_ENCODINGS, in ftfy's trial order
extern const size_t kCharmapCount;
extern const char32_t kStrictCp1252High[128];  // 0xFFFFFFFF where windows-1252 is undefined

// ftfy.badness.BADNESS_RE, whose alternatives are sequences of single-character classes.
struct BadClass {
  unsigned first_range, range_count;  // inclusive [lo, hi] pairs in kBadRanges
  unsigned flags;                     // 1: negated, 2: also Python's \s, 4: also Python's \w
};
struct BadElement {
  unsigned char_class;
  unsigned optional;  // `?`
};
struct BadAlternative {
  unsigned first_element, element_count;
  unsigned anchored;  // `^`: only at the start of the text
};
extern const BadClass kBadClasses[];
extern const size_t kBadClassCount;
extern const char32_t kBadRanges[];
extern const BadElement kBadElements[];
extern const BadAlternative kBadAlternatives[];
extern const size_t kBadAlternativeCount;

// ICU regular expressions (translations of ftfy's Python ones).
extern const char* const kUtf8DetectorPattern;  // ftfy.chardata.UTF8_DETECTOR_RE
extern const char* const kAlteredUtf8Pattern;   // ftfy.chardata.ALTERED_UTF8_RE (bytes)
extern const char* const kLossyUtf8Pattern;     // ftfy.chardata.LOSSY_UTF8_RE (bytes)
extern const char* const kAGraveWordPattern;    // ftfy.fixes.A_GRAVE_WORD_RE (bytes)

}  // namespace lincir::detail::tables
