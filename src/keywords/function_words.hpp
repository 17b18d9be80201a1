// Closed-class English words for the keyword tagger (internal), written by hand: determiners,
// pronouns, adpositions, conjunctions, auxiliaries, particles, number words and the few
// open-class words whose tag the tagger decides by special rules ("like", "next", "live", ...).
#pragma once

#include <string>

#include "keywords/pos_tagger.hpp"

namespace lincir::detail {

enum class FunctionWord {
  none,                // an open-class word
  determiner,          // a an the every each both some any no another all ...
  demonstrative,       // this that these those: DET before a nominal, else PRON
  subject_pronoun,     // i you he she it we they who which: a verb follows
  pronoun,             // me him us them myself ... something everyone there
  possessive,          // my your his her its our their (PRON, as spaCy 3 maps PRP$)
  adposition,          // of in on at with ...
  particle,            // up down out off away ... (ADP, as the reference tags verb particles)
  cconj,               // and or but nor &
  sconj,               // if because although while as ...
  aux,                 // be / have / do forms and contracted 'm 're 've 'd 'll
  modal,               // can could will would shall should may might must ca wo sha
  negation,            // not n't nt (PART)
  to,                  // PART before a verb, else ADP
  apostrophe_s,        // 's: PART after a noun, AUX after a pronoun
  apostrophe,          // plural possessive ' (PART)
  number,              // one two ... hundred (NUM)
  adverb,              // very really so too also just ... (ADV)
  degree_or_quantity,  // much more most less least enough: ADJ before a noun, else ADV
  adjective_like,      // few many several other own such: ADJ, may open a noun phrase
  next,                // "next to" ADV, else ADJ
  like,                // VERB after a subject or auxiliary, else ADP
  well,                // ADV, NOUN after a determiner
  live,                // ADV after a verb, else ADJ
  back,                // ADV after a verb, else NOUN
  interjection,        // oh wow hello yes please ...
};

FunctionWord function_word(const std::string& w);
Pos function_word_pos(FunctionWord fw);

}  // namespace lincir::detail
