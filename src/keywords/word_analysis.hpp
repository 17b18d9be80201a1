// Word analysis for the keyword tagger (internal): which classes a lower-cased word form can
// belong to (noun, plural noun, verb forms, adjective, adverb) with SemCor frequency priors, from
// the WordNet lexicon plus English inflection rules, or guessed from the suffix when unknown.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keywords/lexicon.hpp"

namespace lincir::detail {

struct Analysis {
  bool known = false;     // found in the lexicon (directly or by inflection)
  bool noun = false;      // the form is a noun lemma
  bool noun_pl = false;   // the form is a plural of a noun lemma
  bool v_base = false, v_s = false, v_ing = false, v_ed = false;
  bool v_ed_irregular = false;  // past form from WordNet's exception list or same-form list
  bool adj = false;
  bool adv = false;
  uint32_t cn = 0, cv = 0, ca = 0, cr = 0;  // SemCor counts of the lemmas
  bool surface_noun = false;  // the form itself is a noun lemma ("painting")
  bool surface_adj = false;   // the form itself is an adjective lemma ("sleeping")
  std::string noun_lemma;
  std::vector<std::string> noun_lemmas;  // every noun lemma the form may come from
  bool guessed = false;  // unknown word, classes guessed from its suffix

  bool verb() const { return v_base || v_s || v_ing || v_ed; }
  bool nominal() const { return noun || noun_pl || adj; }
  bool participle() const { return v_ing || v_ed; }
};

Analysis analyze_word(const Lexicon& lex, const std::string& w);

bool ends_with(const std::string& s, const char* suf);

}  // namespace lincir::detail
