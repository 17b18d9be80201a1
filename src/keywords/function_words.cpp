#include "keywords/function_words.hpp"

#include <unordered_map>

namespace lincir::detail {
namespace {

std::unordered_map<std::string, FunctionWord> build() {
  std::unordered_map<std::string, FunctionWord> m;
  auto add = [&](FunctionWord fw, std::initializer_list<const char*> words) {
    for (const char* w : words) m[w] = fw;
  };
  using F = FunctionWord;
  add(F::determiner, {"a", "an", "the", "every", "each", "both", "some", "any", "no", "another",
                      "all", "either", "neither", "half", "whatever", "whichever", "what"});
  add(F::demonstrative, {"this", "that", "these", "those"});
  add(F::subject_pronoun, {"i", "you", "he", "she", "it", "we", "they", "who", "which"});
  add(F::pronoun, {"me", "him", "us", "them", "myself", "yourself", "himself", "herself",
                   "itself", "ourselves", "yourselves", "themselves", "someone", "somebody",
                   "something", "anyone", "anybody", "anything", "everyone", "everybody",
                   "everything", "nobody", "nothing", "none", "whom", "whose", "mine", "yours",
                   "hers", "ours", "theirs", "there", "whoever", "y'", "u"});
  add(F::possessive, {"my", "your", "his", "her", "its", "our", "their"});
  add(F::adposition,
      {"of", "in", "on", "at", "with", "by", "for", "from", "into", "onto", "under", "above",
       "below", "behind", "beside", "besides", "between", "among", "amongst", "through",
       "across", "about", "against", "during", "before", "after", "since", "until", "till",
       "toward", "towards", "without", "within", "inside", "outside", "near", "upon", "via",
       "per", "unlike", "despite", "past", "beyond", "beneath", "underneath", "amid", "amidst",
       "throughout", "than", "including", "except", "versus", "vs", "vs.", "atop", "onboard",
       "w/o", "amongst", "alongside"});
  add(F::particle, {"up", "down", "out", "off", "over", "around", "along", "away", "aboard"});
  add(F::cconj, {"and", "or", "but", "nor", "&", "and/or", "plus"});
  add(F::sconj, {"if", "because", "although", "though", "while", "whereas", "whether",
                 "unless", "as", "once", "whilst"});
  add(F::aux, {"is", "are", "was", "were", "am", "be", "been", "being", "'m", "'re", "'ve",
               "'d", "'ll", "’m", "’re", "’ve", "’d", "’ll", "m", "re", "ve", "ll", "has",
               "have", "had", "having", "do", "does", "did", "ai", "gon"});
  add(F::modal, {"can", "could", "will", "would", "shall", "should", "may", "might", "must",
                 "ca", "wo", "sha", "ought"});
  add(F::negation, {"not", "n't", "n’t", "nt", "na", "ta"});
  add(F::to, {"to"});
  add(F::apostrophe_s, {"'s", "’s", "s"});
  add(F::apostrophe, {"'", "’"});
  add(F::number, {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                  "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                  "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
                  "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million",
                  "billion"});
  add(F::adverb,
      {"very", "really", "extremely", "slightly", "highly", "quite", "so", "too", "also",
       "just", "only", "even", "still", "already", "always", "never", "often", "sometimes",
       "usually", "here", "now", "then", "again", "almost", "nearly", "rather", "somewhat",
       "fairly", "completely", "totally", "fully", "partly", "mostly", "ever", "yet", "soon",
       "later", "else", "together", "apart", "ago", "instead", "perhaps", "maybe", "probably",
       "definitely", "certainly", "actually", "finally", "recently", "currently", "simply",
       "truly", "absolutely", "how", "when", "where", "why", "incredibly", "forever", "anyway", "anywhere", "everywhere",
       "somewhere", "nowhere", "abroad", "indoors", "outdoors", "upstairs", "downstairs"});
  add(F::degree_or_quantity, {"much", "more", "most", "less", "least", "enough"});
  add(F::adjective_like, {"few", "many", "several", "other", "own", "such", "same", "various",
                          "last", "first", "second", "third", "fewer", "fewest"});
  add(F::next, {"next"});
  add(F::like, {"like"});
  add(F::well, {"well"});
  add(F::live, {"live"});
  add(F::back, {"back"});
  add(F::interjection, {"oh", "wow", "hello", "hi", "hey", "yes", "yeah", "please", "thanks",
                        "ok", "okay", "lol", "omg", "bye", "oops", "ouch", "yay", "hooray"});
  return m;
}

}  // namespace

FunctionWord function_word(const std::string& w) {
  static const auto m = build();
  auto it = m.find(w);
  return it == m.end() ? FunctionWord::none : it->second;
}

Pos function_word_pos(FunctionWord fw) {
  using F = FunctionWord;
  switch (fw) {
    case F::none: return Pos::X;
    case F::determiner: return Pos::DET;
    case F::demonstrative: return Pos::DET;
    case F::subject_pronoun: return Pos::PRON;
    case F::pronoun: return Pos::PRON;
    case F::possessive: return Pos::PRON;
    case F::adposition: return Pos::ADP;
    case F::particle: return Pos::ADP;
    case F::cconj: return Pos::CCONJ;
    case F::sconj: return Pos::SCONJ;
    case F::aux: return Pos::AUX;
    case F::modal: return Pos::AUX;
    case F::negation: return Pos::PART;
    case F::to: return Pos::ADP;
    case F::apostrophe_s: return Pos::PART;
    case F::apostrophe: return Pos::PART;
    case F::number: return Pos::NUM;
    case F::adverb: return Pos::ADV;
    case F::degree_or_quantity: return Pos::ADV;
    case F::adjective_like: return Pos::ADJ;
    case F::next: return Pos::ADJ;
    case F::like: return Pos::ADP;
    case F::well: return Pos::ADV;
    case F::live: return Pos::ADJ;
    case F::back: return Pos::NOUN;
    case F::interjection: return Pos::INTJ;
  }
  return Pos::X;
}

}  // namespace lincir::detail
