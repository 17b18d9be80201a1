// The world's tagged lexicon, the text builder and LinCIR's keyword-span rule.
//
// Tags follow the Universal Dependencies English conventions that the hand-labelled keyword
// reference uses: colour words ADJ, "left"/"top"/... after a determiner NOUN, "next" in "next
// to" ADV, "instead" ADV, relative "that"/"which" PRON, "is"/"are"/"should"/"be"/"can" AUX,
// "not" PART, "no"/"both"/"another" DET, "two"/"three" NUM.
#include "synth/text.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

namespace lincir::synth {
namespace {

struct Entry {
  const char* words;
  Pos pos;
};

// Each word has exactly one tag in this world's grammar.
constexpr Entry kLexicon[] = {
    {"a an the no another both each", Pos::det},
    {"red green blue yellow purple orange cyan pink white black gray brown navy beige "
     "small little tiny large big smaller bigger larger plain striped dotted same simple "
     "single lone other",
     Pos::adj},
    {"circle square triangle star cross diamond ring hexagon heart "
     "circles squares triangles stars crosses diamonds rings hexagons hearts "
     "shape shapes object objects figure figures icon "
     "left right top bottom center middle side corner "
     "background backdrop photo picture image drawing illustration render scene color "
     "stripes dots pair row column frame canvas clip art",
     Pos::noun},
    {"sits sit floats float rests appears appear stands lies placed drawn shown painted "
     "moved shifted make replace turn move add remove change shaped becomes has shows "
     "showing featuring seen take stacked arranged",
     Pos::verb},
    {"is are should be can", Pos::aux},
    {"on at in of with to near against into like above below over without from beside by",
     Pos::adp},
    {"instead now also too next only away here", Pos::adv},
    {"not", Pos::part},
    {"it there that which", Pos::pron},
    {"and but plus", Pos::cconj},
    {"two three", Pos::num},
    {", : ;", Pos::punct},
};

const std::unordered_map<std::string, Pos>& lexicon() {
  static const std::unordered_map<std::string, Pos> table = [] {
    std::unordered_map<std::string, Pos> m;
    for (const Entry& e : kLexicon) {
      std::string_view s(e.words);
      size_t i = 0;
      while (i < s.size()) {
        size_t j = s.find(' ', i);
        if (j == std::string_view::npos) j = s.size();
        if (j > i) {
          auto [it, fresh] = m.emplace(std::string(s.substr(i, j - i)), e.pos);
          if (!fresh && it->second != e.pos)
            LINCIR_THROW(Status::internal, "synth lexicon: two tags for '" + it->first + "'");
        }
        i = j + 1;
      }
    }
    return m;
  }();
  return table;
}

Pos parse_pos(std::string_view s) {
  for (int i = 0; i <= int(Pos::punct); ++i)
    if (s == to_string(Pos(i))) return Pos(i);
  LINCIR_THROW(Status::internal, "synth: unknown POS tag '" + std::string(s) + "'");
}

bool starts_with_vowel_sound(const std::string& w) {
  return !w.empty() && std::string_view("aeio").find(w[0]) != std::string_view::npos;
}

}  // namespace

const char* to_string(Pos p) noexcept {
  static constexpr const char* kNames[] = {"DET",   "ADJ", "NOUN", "PROPN", "VERB",
                                           "AUX",   "ADP", "ADV",  "PRON",  "CCONJ",
                                           "SCONJ", "NUM", "PART", "PUNCT"};
  return int(p) <= int(Pos::punct) ? kNames[int(p)] : "?";
}

bool is_keyword_pos(Pos p) noexcept {
  return p == Pos::det || p == Pos::adj || p == Pos::noun || p == Pos::propn;
}

std::vector<std::string> keyword_spans(const Text& t) {
  std::vector<std::string> spans;
  std::string cur;
  for (size_t i = 0; i < t.tokens.size(); ++i) {
    if (i < t.pos.size() && is_keyword_pos(t.pos[i])) {
      if (!cur.empty()) cur += ' ';
      cur += t.tokens[i];
    } else if (!cur.empty()) {
      spans.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) spans.push_back(std::move(cur));
  return spans;
}

SpanStats span_stats(const std::vector<Text>& texts) {
  SpanStats s;
  for (const Text& t : texts) {
    ++s.texts;
    s.tokens += t.tokens.size();
    size_t spans = 0;
    bool in_span = false;
    for (size_t i = 0; i < t.tokens.size(); ++i) {
      const bool kw = i < t.pos.size() && is_keyword_pos(t.pos[i]);
      s.keyword_tokens += kw;
      if (kw && !in_span) ++spans;
      in_span = kw;
    }
    s.spans += spans;
    s.texts_without_span += spans == 0;
  }
  return s;
}

std::vector<std::pair<std::string, Pos>> vocabulary() {
  std::map<std::string, Pos> sorted(lexicon().begin(), lexicon().end());
  return {sorted.begin(), sorted.end()};
}

namespace detail {

Pos lexicon_pos(std::string_view word) {
  auto it = lexicon().find(std::string(word));
  if (it == lexicon().end())
    LINCIR_THROW(Status::internal, "synth: word '" + std::string(word) + "' is not in the lexicon");
  return it->second;
}

void TextBuilder::word(std::string_view w) {
  const size_t slash = w.find('/');
  if (slash != std::string_view::npos && slash > 0) {
    word(w.substr(0, slash), parse_pos(w.substr(slash + 1)));
    return;
  }
  word(w, lexicon_pos(w));
}

void TextBuilder::word(std::string_view w, Pos p) {
  LINCIR_CHECK_STATUS(!w.empty(), Status::internal, "synth: empty word");
  t_.tokens.emplace_back(w);
  t_.pos.push_back(p);
}

void TextBuilder::words(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) word(s.substr(i, j - i));
    i = j + 1;
  }
}

void TextBuilder::append(const Text& t) {
  t_.tokens.insert(t_.tokens.end(), t.tokens.begin(), t.tokens.end());
  t_.pos.insert(t_.pos.end(), t.pos.begin(), t.pos.end());
}

Text TextBuilder::finish() const {
  Text out;
  for (size_t i = 0; i < t_.tokens.size(); ++i) {
    const bool punct = t_.pos[i] == Pos::punct;
    // No leading punctuation and no two punctuation marks in a row.
    if (punct && (out.tokens.empty() || out.pos.back() == Pos::punct)) continue;
    out.tokens.push_back(t_.tokens[i]);
    out.pos.push_back(t_.pos[i]);
  }
  while (!out.tokens.empty() && out.pos.back() == Pos::punct) {
    out.tokens.pop_back();
    out.pos.pop_back();
  }
  for (size_t i = 0; i + 1 < out.tokens.size(); ++i) {
    if (out.tokens[i] == "a" && starts_with_vowel_sound(out.tokens[i + 1])) out.tokens[i] = "an";
    if (out.tokens[i] == "an" && !starts_with_vowel_sound(out.tokens[i + 1])) out.tokens[i] = "a";
  }
  for (size_t i = 0; i < out.tokens.size(); ++i) {
    if (i > 0 && out.pos[i] != Pos::punct) out.text += ' ';
    out.text += out.tokens[i];
  }
  return out;
}

}  // namespace detail
}  // namespace lincir::synth
