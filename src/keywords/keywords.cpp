#include "lincir/keywords.hpp"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>

#include "keywords/english_tokenizer.hpp"
#include "keywords/lexicon.hpp"
#include "keywords/pos_tagger.hpp"

namespace lincir {
namespace {

// Python's str.isspace(): White_Space plus the information separators U+001C..U+001F.
bool is_py_space(UChar32 c) { return u_isUWhiteSpace(c) || (c >= 0x1c && c <= 0x1f); }

bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}
bool is_ascii_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Length of the whitespace code point starting at byte i (0 if none).
size_t space_len(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  if (is_ascii_space(static_cast<unsigned char>(s[i]))) return 1;
  if (static_cast<unsigned char>(s[i]) < 0x80) return 0;
  int32_t j = static_cast<int32_t>(i);
  UChar32 c;
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), j, static_cast<int32_t>(s.size()), c);
  return (c >= 0 && is_py_space(c)) ? static_cast<size_t>(j) - i : 0;
}

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Does `span` (space-separated tokens) occur at byte `pos` of `text` on token boundaries? On
// success sets `end`.
bool match_at(std::string_view text, size_t pos, std::string_view span, size_t& end) {
  auto word = [&](size_t k) { return is_word_byte(static_cast<unsigned char>(text[k])); };
  if (pos > 0 && pos < text.size() && word(pos - 1) && word(pos)) return false;
  size_t j = pos;
  for (size_t i = 0; i < span.size(); ++i) {
    if (span[i] == ' ') {
      size_t ws = 0, l;
      while ((l = space_len(text, j + ws)) > 0) ws += l;
      if (ws == 0) {
        // Tokens that touch in the text ("woman's" for "woman 's") match when a punctuation
        // character sits at the junction.
        if (j == 0 || j >= text.size() || (word(j - 1) && word(j))) return false;
      }
      j += ws;
      while (i + 1 < span.size() && span[i + 1] == ' ') ++i;
      continue;
    }
    if (j >= text.size() || text[j] != span[i]) return false;
    ++j;
  }
  if (j == pos) return false;
  if (j < text.size() && word(j - 1) && word(j)) return false;
  end = j;
  return true;
}

std::string trim_spaces(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && s[b] == ' ') ++b;
  while (e > b && s[e - 1] == ' ') --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

std::string normalize_caption(std::string_view caption) {
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(caption.data(), static_cast<int32_t>(caption.size())));
  icu::UnicodeString lower(u);
  lower.toLower(icu::Locale::getRoot());
  std::string s;
  lower.toUTF8String(s);
  s.erase(std::remove(s.begin(), s.end(), '$'), s.end());
  // strip(): leading and trailing Unicode whitespace.
  size_t b = 0;
  while (size_t l = space_len(s, b)) b += l;
  size_t e = s.size();
  while (e > b) {
    size_t k = e - 1;  // start of the last code point
    while (k > b && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    if (space_len(s, k) != e - k) break;
    e = k;
  }
  return s.substr(b, e - b);
}

std::vector<KeywordToken> tokenize_english(std::string_view text) {
  std::vector<KeywordToken> out;
  for (const auto& r : detail::tokenize_spacy_english(text))
    out.push_back({r.begin, r.end, std::string(text.substr(r.begin, r.end - r.begin)),
                   r.space ? "SPACE" : ""});
  return out;
}

struct KeywordExtractor::Impl {
  const detail::Lexicon* lexicon = nullptr;
};

KeywordExtractor::KeywordExtractor() {
  auto impl = std::make_shared<Impl>();
  impl->lexicon = &detail::Lexicon::embedded();
  impl_ = std::move(impl);
}

std::vector<KeywordToken> KeywordExtractor::tag(std::string_view normalized) const {
  const auto raw = detail::tokenize_spacy_english(normalized);
  std::vector<std::string> words;
  std::vector<bool> space;
  words.reserve(raw.size());
  for (const auto& r : raw) {
    words.push_back(ascii_lower(std::string(normalized.substr(r.begin, r.end - r.begin))));
    space.push_back(r.space);
  }
  const auto tags = detail::tag_tokens(*impl_->lexicon, words, space);
  std::vector<KeywordToken> out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i)
    out.push_back({raw[i].begin, raw[i].end,
                   std::string(normalized.substr(raw[i].begin, raw[i].end - raw[i].begin)),
                   detail::upos_name(tags[i])});
  return out;
}

std::vector<KeywordSpan> KeywordExtractor::extract_normalized(std::string_view normalized) const {
  const auto tokens = tag(normalized);
  std::vector<KeywordSpan> spans;
  bool open = false;
  for (const auto& t : tokens) {
    const bool kw = t.upos == "DET" || t.upos == "ADJ" || t.upos == "NOUN" || t.upos == "PROPN";
    if (!kw) {
      open = false;
      continue;
    }
    if (!open) {
      spans.push_back({t.begin, t.end, t.text});
      open = true;
    } else {
      spans.back().end = t.end;
      spans.back().text += ' ';
      spans.back().text += t.text;
    }
  }
  return spans;
}

std::vector<KeywordSpan> KeywordExtractor::extract(std::string_view caption) const {
  return extract_normalized(normalize_caption(caption));
}

std::vector<KeywordSpan> locate_spans(std::string_view normalized,
                                      const std::vector<std::string>& span_texts,
                                      size_t* unmatched) {
  std::vector<KeywordSpan> found;
  size_t missing = 0, cursor = 0;
  auto overlaps = [&](size_t b, size_t e) {
    for (const auto& s : found)
      if (b < s.end && s.begin < e) return true;
    return false;
  };
  for (const auto& raw : span_texts) {
    const std::string text = trim_spaces(raw);
    if (text.empty()) {
      ++missing;
      continue;
    }
    bool ok = false;
    for (int pass = 0; pass < 2 && !ok; ++pass) {
      for (size_t pos = pass == 0 ? cursor : 0; pos < normalized.size(); ++pos) {
        size_t end = 0;
        if (match_at(normalized, pos, text, end) && !overlaps(pos, end)) {
          found.push_back({pos, end, text});
          cursor = end;
          ok = true;
          break;
        }
      }
    }
    if (!ok) ++missing;
  }
  std::sort(found.begin(), found.end(),
            [](const KeywordSpan& a, const KeywordSpan& b) { return a.begin < b.begin; });
  if (unmatched) *unmatched = missing;
  return found;
}

std::string mask_spans(std::string_view normalized, const std::vector<KeywordSpan>& spans,
                       std::string_view placeholder) {
  std::vector<const KeywordSpan*> order;
  order.reserve(spans.size());
  for (const auto& s : spans) {
    LINCIR_CHECK(s.begin < s.end && s.end <= normalized.size(),
                 "mask_spans: span [" + std::to_string(s.begin) + ", " + std::to_string(s.end) +
                     ") is empty or outside the caption of " + std::to_string(normalized.size()) +
                     " bytes");
    order.push_back(&s);
  }
  std::sort(order.begin(), order.end(),
            [](const KeywordSpan* a, const KeywordSpan* b) { return a->begin < b->begin; });
  std::string out;
  out.reserve(normalized.size() + spans.size() * placeholder.size());
  size_t pos = 0;
  for (const KeywordSpan* s : order) {
    LINCIR_CHECK(s->begin >= pos, "mask_spans: span [" + std::to_string(s->begin) + ", " +
                                      std::to_string(s->end) + ") overlaps another span");
    out.append(normalized.substr(pos, s->begin - pos));
    out.append(placeholder);
    pos = s->end;
  }
  out.append(normalized.substr(pos));
  return out;
}

std::string whole_caption_fallback(std::string_view placeholder) {
  return "a photo of " + std::string(placeholder);
}

MaskedCaption mask_or_fallback(std::string_view normalized, const std::vector<KeywordSpan>& spans,
                               std::mt19937_64& rng, std::string_view placeholder) {
  LINCIR_CHECK(!placeholder.empty(), "mask_or_fallback: the placeholder is empty");
  MaskedCaption m;
  if (!spans.empty()) {
    m.text = mask_spans(normalized, spans, placeholder);
    m.placeholders = spans.size();
    m.source = MaskedCaption::Source::keyword_spans;
    return m;
  }
  std::vector<std::pair<size_t, size_t>> words;
  for (size_t i = 0; i < normalized.size();) {
    if (size_t l = space_len(normalized, i)) {
      i += l;
      continue;
    }
    size_t j = i;
    while (j < normalized.size() && space_len(normalized, j) == 0) ++j;
    words.emplace_back(i, j);
    i = j;
  }
  if (words.empty()) {
    m.text = whole_caption_fallback(placeholder);
    m.placeholders = 1;
    m.source = MaskedCaption::Source::whole_caption;
    return m;
  }
  const auto& w = words[static_cast<size_t>(rng() % words.size())];
  m.text = std::string(normalized.substr(0, w.first));
  m.text.append(placeholder);
  m.text.append(normalized.substr(w.second));
  m.placeholders = 1;
  m.source = MaskedCaption::Source::random_word;
  return m;
}

MaskedCaption ensure_placeholder(MaskedCaption masked,
                                 const std::function<bool(const std::string&)>& keeps_placeholder,
                                 std::string_view placeholder) {
  LINCIR_CHECK(static_cast<bool>(keeps_placeholder),
               "ensure_placeholder: keeps_placeholder is an empty function");
  LINCIR_CHECK(!placeholder.empty(), "ensure_placeholder: the placeholder is empty");
  if (masked.placeholders > 0 && keeps_placeholder(masked.text)) return masked;
  MaskedCaption m;
  m.text = whole_caption_fallback(placeholder);
  m.placeholders = 1;
  m.source = MaskedCaption::Source::whole_caption;
  return m;
}

}  // namespace lincir
