// Rule-based English part-of-speech tagger for keyword spans (internal). It only needs to put
// each token on the right side of the keyword boundary ({DET, ADJ, NOUN, PROPN} versus the
// rest), so it concentrates on verbs, participles and gerunds versus nouns and adjectives, and
// on the closed-class words that end a span. See docs/keywords.md for the method.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keywords/lexicon.hpp"

namespace lincir::detail {

enum class Pos {
  DET, PRON, ADP, CCONJ, SCONJ, PART, AUX, NUM, PUNCT, SYM, SPACE, ADV, ADJ, NOUN, PROPN, VERB,
  INTJ, X
};

const char* upos_name(Pos p);
inline bool is_keyword_pos(Pos p) {
  return p == Pos::DET || p == Pos::ADJ || p == Pos::NOUN || p == Pos::PROPN;
}

// Tags lower-cased tokens (`space[i]` marks whitespace tokens).
std::vector<Pos> tag_tokens(const Lexicon& lex, const std::vector<std::string>& tokens,
                            const std::vector<bool>& space);

}  // namespace lincir::detail
