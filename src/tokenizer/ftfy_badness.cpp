// ftfy.badness.is_bad (ftfy 6.3.1, Apache-2.0): does the text contain a character sequence that is
// much more likely mojibake than intended? BADNESS_RE is an alternation of short sequences of
// single-character classes (generated into unicode_tables.cpp), matched here directly: a general
// regex engine spent ~100x longer on this hot path (it runs on every non-ASCII line).
#include <unicode/uchar.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "tokenizer/clip_text.hpp"
#include "tokenizer/ftfy.hpp"
#include "tokenizer/unicode_tables.hpp"

namespace lincir::detail {
namespace {

using Mask = std::array<uint64_t, 2>;  // one bit per class (at most 128)

bool test(const Mask& m, unsigned k) {
  return (m[k / 64] >> (k % 64)) & 1;
}
void set(Mask& m, unsigned k, bool on) {
  const uint64_t bit = uint64_t{1} << (k % 64);
  m[k / 64] = on ? (m[k / 64] | bit) : (m[k / 64] & ~bit);
}
unsigned first_class(size_t alt) {
  return tables::kBadElements[tables::kBadAlternatives[alt].first_element].char_class;
}

// Python's \w on str: str.isalnum() or '_' (isalnum: a letter, or any Numeric_Type).
bool python_word(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  return c == U'_' || (U_GET_GC_MASK(cp) & U_GC_L_MASK) != 0 ||
         u_getNumericValue(cp) != U_NO_NUMERIC_VALUE;
}

struct CharInfo {
  Mask classes;     // the classes the character belongs to, negation and \s / \w included
  uint64_t starts;  // the alternatives whose first element accepts it
};

// Per code point segment (a sorted list of segment starts), the classes whose explicit ranges
// contain it and the alternatives starting with such a class. Classes with a flag (negation, \s,
// \w: a handful) are resolved per character.
class ClassIndex {
 public:
  ClassIndex() {
    std::vector<char32_t> cuts = {0};
    for (size_t k = 0; k < tables::kBadClassCount; ++k) {
      const auto& c = tables::kBadClasses[k];
      if (c.flags) flagged_classes_.push_back(static_cast<unsigned>(k));
      for (unsigned r = 0; r < c.range_count; ++r) {
        cuts.push_back(tables::kBadRanges[2 * (c.first_range + r)]);
        cuts.push_back(tables::kBadRanges[2 * (c.first_range + r) + 1] + 1);
      }
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    starts_ = cuts;
    info_.assign(cuts.size(), CharInfo{Mask{0, 0}, 0});
    for (size_t k = 0; k < tables::kBadClassCount; ++k) {
      const auto& c = tables::kBadClasses[k];
      for (unsigned r = 0; r < c.range_count; ++r) {
        const char32_t lo = tables::kBadRanges[2 * (c.first_range + r)];
        const char32_t hi = tables::kBadRanges[2 * (c.first_range + r) + 1];
        for (size_t s = index_of(lo); s < starts_.size() && starts_[s] <= hi; ++s)
          set(info_[s].classes, static_cast<unsigned>(k), true);
      }
    }
    for (size_t a = 0; a < tables::kBadAlternativeCount; ++a) {
      if (tables::kBadClasses[first_class(a)].flags) {
        flagged_first_.push_back(a);
        continue;
      }
      for (CharInfo& info : info_)
        if (test(info.classes, first_class(a))) info.starts |= uint64_t{1} << a;
    }
    for (char32_t c = 0; c < 128; ++c) ascii_[c] = compute(c);
  }

  CharInfo get(char32_t c) const { return c < 128 ? ascii_[c] : compute(c); }

 private:
  CharInfo compute(char32_t c) const {
    CharInfo info = info_[index_of(c)];
    for (unsigned k : flagged_classes_) {
      const unsigned flags = tables::kBadClasses[k].flags;
      bool in = test(info.classes, k) || ((flags & 2) && python_isspace(c)) ||
                ((flags & 4) && python_word(c));
      set(info.classes, k, in != ((flags & 1) != 0));
    }
    for (size_t a : flagged_first_)
      if (test(info.classes, first_class(a))) info.starts |= uint64_t{1} << a;
    return info;
  }
  size_t index_of(char32_t c) const {
    return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), c) -
                               starts_.begin()) -
           1;
  }

  std::vector<char32_t> starts_;
  std::vector<CharInfo> info_;
  std::vector<unsigned> flagged_classes_;
  std::vector<size_t> flagged_first_;  // alternatives whose first class has a flag
  std::array<CharInfo, 128> ascii_;
};

const ClassIndex& class_index() {
  static const ClassIndex index;
  return index;
}

bool match_at(const std::vector<CharInfo>& info, unsigned elem, unsigned end, size_t pos) {
  for (; elem < end; ++elem, ++pos) {
    const tables::BadElement& e = tables::kBadElements[elem];
    const bool here = pos < info.size() && test(info[pos].classes, e.char_class);
    if (e.optional)
      return (here && match_at(info, elem + 1, end, pos + 1)) || match_at(info, elem + 1, end, pos);
    if (!here) return false;
  }
  return true;
}

}  // namespace

bool ftfy_is_bad(const std::u32string& t) {
  static_assert(sizeof(uint64_t) * 8 >= 37, "one bit per alternative");
  std::vector<CharInfo> info(t.size());
  const ClassIndex& index = class_index();
  for (size_t i = 0; i < t.size(); ++i) info[i] = index.get(t[i]);
  for (size_t pos = 0; pos < t.size(); ++pos) {
    for (uint64_t cand = info[pos].starts; cand; cand &= cand - 1) {
      const auto& alt = tables::kBadAlternatives[__builtin_ctzll(cand)];
      if (alt.anchored && pos != 0) continue;
      // The first element (never optional in BADNESS_RE) is known to match at `pos`.
      if (match_at(info, alt.first_element + 1, alt.first_element + alt.element_count, pos + 1))
        return true;
    }
  }
  return false;
}

}  // namespace lincir::detail
