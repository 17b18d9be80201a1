#include "keywords/word_analysis.hpp"

#include <algorithm>
#include <cstring>

namespace lincir::detail {

bool ends_with(const std::string& s, const char* suf) {
  const size_t n = std::strlen(suf);
  return s.size() >= n && s.compare(s.size() - n, n, suf) == 0;
}

namespace {

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

// Past participles identical to the base form (WordNet lists only forms that differ).
bool same_form_past(const std::string& w) {
  static const char* const k[] = {"set", "cut", "put", "hit", "let", "shut", "spread", "cast",
                                  "cost", "hurt", "read", "quit", "split", "bet", "burst",
                                  "broadcast", "upset", "shed", "thrust", "bid", "fit", "rid"};
  for (const char* x : k)
    if (w == x) return true;
  return false;
}

class Analyzer {
 public:
  explicit Analyzer(const Lexicon& lex) : lex_(lex) {}

  Analysis analyze(const std::string& w) const {
    Analysis a;
    if (const LemmaInfo* li = lex_.find(w)) {
      a.known = true;
      if (li->classes & kNoun) {
        a.noun = a.surface_noun = true;
        a.cn = std::max(a.cn, li->count[0]);
        a.noun_lemma = w;
        a.noun_lemmas.push_back(w);
      }
      if (li->classes & kVerb) {
        a.v_base = true;
        a.cv = std::max(a.cv, li->count[1]);
        if (same_form_past(w)) a.v_ed = a.v_ed_irregular = true;
      }
      if (li->classes & kAdj) {
        a.adj = a.surface_adj = true;
        a.ca = std::max(a.ca, li->count[2]);
      }
      if (li->classes & kAdv) {
        a.adv = true;
        a.cr = std::max(a.cr, li->count[3]);
      }
    }
    if (const auto* irr = lex_.irregular(w)) {
      for (const auto& x : *irr) {
        if (x.lemma == w) continue;  // WordNet lists a few forms as their own inflection
        const LemmaInfo* li = lex_.find(x.lemma);
        const uint32_t c = li ? li->count[x.cls == kNoun ? 0 : x.cls == kVerb ? 1 : x.cls == kAdj ? 2 : 3] : 0;
        a.known = true;
        if (x.cls == kNoun) {
          a.noun_pl = true;
          a.cn = std::max(a.cn, c);
          if (a.noun_lemma.empty()) a.noun_lemma = x.lemma;
          a.noun_lemmas.push_back(x.lemma);
        } else if (x.cls == kVerb) {
          if (ends_with(w, "ing")) {
            a.v_ing = true;
          } else if (w == x.lemma + "s" || w == x.lemma + "es") {
            a.v_s = true;
          } else {
            a.v_ed = a.v_ed_irregular = true;
          }
          a.cv = std::max(a.cv, c);
        } else if (x.cls == kAdj) {
          a.adj = true;
          a.ca = std::max(a.ca, c);
        } else {
          a.adv = true;
          a.cr = std::max(a.cr, c);
        }
      }
    }
    inflections(w, a);
    if (!a.known) guess(w, a);
    return a;
  }

 private:
  const LemmaInfo* has(const std::string& lemma, WordClass c) const {
    const LemmaInfo* li = lex_.find(lemma);
    return (li && (li->classes & c)) ? li : nullptr;
  }

  // Regular English inflections (WordNet's morphy rules plus consonant doubling).
  void inflections(const std::string& w, Analysis& a) const {
    const size_t n = w.size();
    if (n >= 3 && w.back() == 's' && w[n - 2] != 's' && w[n - 2] != '\'') {
      std::vector<std::string> stems = {w.substr(0, n - 1)};
      if (ends_with(w, "es")) stems.push_back(w.substr(0, n - 2));
      if (ends_with(w, "ies")) stems.push_back(w.substr(0, n - 3) + "y");
      for (const auto& s : stems) {
        if (const LemmaInfo* li = has(s, kNoun)) {
          a.known = a.noun_pl = true;
          a.cn = std::max(a.cn, li->count[0]);
          if (a.noun_lemma.empty()) a.noun_lemma = s;
          a.noun_lemmas.push_back(s);
        }
        if (const LemmaInfo* li = has(s, kVerb)) {
          a.known = a.v_s = true;
          a.cv = std::max(a.cv, li->count[1]);
        }
      }
    }
    if (n >= 5 && ends_with(w, "men")) {
      const std::string s = w.substr(0, n - 3) + "man";
      if (const LemmaInfo* li = has(s, kNoun)) {
        a.known = a.noun_pl = true;
        a.cn = std::max(a.cn, li->count[0]);
        if (a.noun_lemma.empty()) a.noun_lemma = s;
        a.noun_lemmas.push_back(s);
      }
    }
    auto verb_stems = [&](const std::string& stem, bool e_form) {
      std::vector<std::string> s = {stem, stem + "e"};
      if (e_form && !stem.empty() && stem.back() == 'i') s.push_back(stem.substr(0, stem.size() - 1) + "y");
      const size_t m = stem.size();
      if (m >= 3 && stem[m - 1] == stem[m - 2] && !is_vowel(stem[m - 1]))
        s.push_back(stem.substr(0, m - 1));
      return s;
    };
    if (n >= 5 && ends_with(w, "ing")) {
      for (const auto& s : verb_stems(w.substr(0, n - 3), false))
        if (const LemmaInfo* li = has(s, kVerb)) {
          a.known = a.v_ing = true;
          a.cv = std::max(a.cv, li->count[1]);
        }
    }
    if (n >= 4 && ends_with(w, "ed")) {
      for (const auto& s : verb_stems(w.substr(0, n - 2), true))
        if (const LemmaInfo* li = has(s, kVerb)) {
          a.known = a.v_ed = true;
          a.cv = std::max(a.cv, li->count[1]);
        }
    }
    for (const char* suf : {"er", "est"}) {
      const size_t k = std::strlen(suf);
      if (n >= k + 3 && ends_with(w, suf)) {
        for (const auto& s : verb_stems(w.substr(0, n - k), true))
          if (const LemmaInfo* li = has(s, kAdj)) {
            a.known = a.adj = true;
            a.ca = std::max(a.ca, li->count[2]);
          }
      }
    }
  }

  static void guess(const std::string& w, Analysis& a) {
    a.guessed = true;
    const size_t n = w.size();
    if (n >= 5 && ends_with(w, "ly")) {
      a.adv = true;
    } else if (n >= 6 && ends_with(w, "ing")) {
      a.v_ing = true;
      a.noun = true;
    } else if (n >= 5 && ends_with(w, "ed")) {
      a.v_ed = true;
      a.adj = true;
    } else if (n >= 4 && w.back() == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') {
      a.noun_pl = true;
    } else {
      static const char* const adj_suffixes[] = {"ous", "ful", "ive", "able", "ible", "ical",
                                                 "ish", "less", "esque", "ic", "ian", "ese"};
      for (const char* s : adj_suffixes)
        if (n >= std::strlen(s) + 3 && ends_with(w, s)) a.adj = true;
      if (!a.adj) a.noun = true;
    }
  }

  const Lexicon& lex_;
};

}  // namespace

Analysis analyze_word(const Lexicon& lex, const std::string& w) {
  return Analyzer(lex).analyze(w);
}

}  // namespace lincir::detail
