// Tagging proceeds in two passes. Pass 1 gives every token a context-free analysis: closed-class
// words come from hand-written lists (function_words.cpp), open-class words from the WordNet
// lexicon plus English inflection rules (and suffix guesses for unknown words). Pass 2 decides
// left to right, looking at the tags already decided on the left and the pass-1 guess on the
// right. The rules encode caption grammar: [NP] [verb | participle] [PP]*, prenominal
// participles, noun compounds, agreement between a subject and a finite verb, and the tagging
// conventions of UD English EWT that the reference spans follow.
#include "keywords/pos_tagger.hpp"

#include <algorithm>
#include <cstring>

#include "keywords/function_words.hpp"
#include "keywords/word_analysis.hpp"

namespace lincir::detail {
namespace {

struct Tok {
  std::string w;
  bool space = false;
  FunctionWord fw = FunctionWord::none;
  Analysis a;
  Pos init = Pos::X;  // context-free guess
  Pos tag = Pos::X;   // final
  bool finite = false;
  bool plural = false;  // a plural (or coordinated) nominal: for subject-verb agreement
};

// ASCII tests, independent of the C locale the host application may have set.
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alnum(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool has_alnum(const std::string& w) {
  for (unsigned char c : w)
    if (is_alnum(c) || c >= 0x80) return true;
  return false;
}
bool has_digit(const std::string& w) {
  for (unsigned char c : w)
    if (is_digit(c)) return true;
  return false;
}

// Tokens with digits: numbers, decades, ordinals, "4k", "3d".
Pos number_like(const std::string& w) {
  bool all_num = true;
  for (unsigned char c : w)
    if (!(is_digit(c) || c == ',' || c == '.')) all_num = false;
  if (all_num) return Pos::NUM;
  if (ends_with(w, "st") || ends_with(w, "nd") || ends_with(w, "rd") || ends_with(w, "th")) {
    bool digits = true;
    for (size_t i = 0; i + 2 < w.size(); ++i) digits = digits && is_digit(static_cast<unsigned char>(w[i]));
    if (digits) return Pos::ADJ;
  }
  if (w.size() >= 2 && w.back() == 'd' && is_digit(static_cast<unsigned char>(w[w.size() - 2])))
    return Pos::ADJ;  // "3d"
  return Pos::NOUN;   // "1950s", "4k", "mp3"
}

// Lexicalized participles and participle-like adjectives that stay adjectives before a noun
// (UD EWT tags them ADJ); other participles before a noun are VERB in the reference.
bool lexicalized_adjective(const std::string& w) {
  static const char* const k[] = {
      "detailed", "broken", "crowded", "closed", "tired", "interested", "excited", "bored",
      "scared", "frightened", "worried", "surprised", "amazed", "pleased", "satisfied", "married",
      "retired", "used", "advanced", "limited", "experienced", "skilled", "talented", "armed",
      "sophisticated", "complicated", "renowned", "famed", "noted", "assorted", "beloved",
      "learned", "aged", "rugged", "wicked", "naked", "crooked", "jagged", "ragged", "striped",
      "spotted", "bearded", "winged", "horned", "hooded", "colored", "coloured", "flavored",
      "themed", "shaped", "sized", "animated", "polished", "refined", "mixed", "varied", "united",
      "amazing", "stunning", "charming", "interesting", "exciting", "boring", "relaxing",
      "inspiring", "refreshing", "surprising", "fascinating", "astonishing", "breathtaking",
      "terrifying", "frightening", "disturbing", "pleasing", "appealing", "welcoming", "loving",
      "caring", "striking", "outstanding", "promising", "dazzling", "soothing", "calming",
      "touching", "compelling", "convincing", "challenging", "rewarding", "satisfying",
      "entertaining", "amusing", "annoying", "confusing", "depressing", "disappointing",
      "disgusting", "embarrassing", "encouraging", "exhausting", "frustrating", "horrifying",
      "intriguing", "overwhelming", "shocking", "tempting", "thrilling", "alarming",
      "captivating", "enchanting", "mesmerizing", "mesmerising", "imposing", "haunting",
      "matching", "missing", "leading", "existing", "following", "remaining", "upcoming",
      "ongoing", "outgoing", "neighboring", "neighbouring", "surrounding", "corresponding",
      "interesting", "inviting", "cozy", "lasting", "everlasting", "understanding",
      "handmade", "homemade"};
  for (const char* x : k)
    if (w == x) return true;
  return false;
}

// A plural noun form. Nouns that WordNet lists in the plural ("times", "sports", "stairs") do
// not count: they often modify another noun ("times square", "sports car").
bool looks_plural(const Tok& t) { return t.a.noun_pl && !t.a.noun; }

class Tagger {
 public:
  Tagger(const Lexicon& lex, const std::vector<std::string>& words, const std::vector<bool>& space)
      : lex_(lex) {
    t_.resize(words.size());
    for (size_t i = 0; i < words.size(); ++i) {
      t_[i].w = words[i];
      t_[i].space = space[i];
    }
  }

  std::vector<Pos> run() {
    for (auto& t : t_) first_pass(t);
    bool finite_seen = false;
    for (size_t i = 0; i < t_.size(); ++i) {
      Tok& t = t_[i];
      t.tag = decide(i, finite_seen);
      if (t.tag == Pos::VERB && t.finite) finite_seen = true;
      if (t.tag == Pos::PUNCT || t.tag == Pos::SCONJ ||
          (t.tag == Pos::PRON && (t.w == "that" || t.w == "who" || t.w == "which")))
        finite_seen = false;
      t.plural = (t.tag == Pos::NOUN || t.tag == Pos::PROPN) && looks_plural(t);
      if ((t.tag == Pos::NOUN || t.tag == Pos::PROPN) && i >= 2 && t_[i - 1].tag == Pos::CCONJ &&
          (t_[i - 2].tag == Pos::NOUN || t_[i - 2].tag == Pos::PROPN))
        t.plural = true;
      if (t.tag == Pos::PRON && (t.w == "they" || t.w == "we" || t.w == "you" || t.w == "i"))
        t.plural = true;
    }
    std::vector<Pos> out;
    out.reserve(t_.size());
    for (const auto& t : t_) out.push_back(t.tag);
    return out;
  }

 private:
  void first_pass(Tok& t) {
    if (t.space) {
      t.init = Pos::SPACE;
      return;
    }
    if (!has_alnum(t.w)) {
      t.init = (t.w == "&") ? Pos::CCONJ : Pos::PUNCT;
      t.fw = function_word(t.w);
      if (t.fw != FunctionWord::none) t.init = function_word_pos(t.fw);
      return;
    }
    t.fw = function_word(t.w);
    if (t.fw != FunctionWord::none) {
      t.init = function_word_pos(t.fw);
      t.a = analyze_word(lex_, t.w);
      return;
    }
    if (has_digit(t.w)) {
      t.init = number_like(t.w);
      return;
    }
    t.a = analyze_word(lex_, t.w);
    const Analysis& a = t.a;
    if (a.adv && !a.nominal() && !a.verb())
      t.init = Pos::ADV;
    else if (a.nominal())
      t.init = (a.adj && ((!a.noun && !a.noun_pl) || a.ca > a.cn)) ? Pos::ADJ : Pos::NOUN;
    else if (a.verb())
      t.init = Pos::VERB;
    else if (a.adv)
      t.init = Pos::ADV;
    else
      t.init = Pos::NOUN;
  }

  const Tok* at(size_t i) const { return i < t_.size() ? &t_[i] : nullptr; }

  // Could token i head or continue a noun phrase (pass-1 view)?
  bool nominal_at(size_t i) const {
    const Tok* t = at(i);
    if (!t) return false;
    if (t->fw != FunctionWord::none)
      return t->fw == FunctionWord::adjective_like || t->fw == FunctionWord::number ||
             t->fw == FunctionWord::live || t->fw == FunctionWord::next;
    if (t->init == Pos::NOUN || t->init == Pos::ADJ || t->init == Pos::PROPN) return true;
    return t->a.nominal() && !t->a.participle();
  }
  Pos prev_tag(size_t i) const { return i == 0 ? Pos::X : t_[i - 1].tag; }
  bool starts_clause(size_t i) const {
    if (i == 0) return true;
    const Tok& p = t_[i - 1];
    return p.tag == Pos::PUNCT && p.w != "-";
  }
  bool after_hyphen(size_t i) const { return i > 0 && t_[i - 1].w == "-"; }
  bool next_is_word(size_t i, const char* w) const { return at(i + 1) && at(i + 1)->w == w; }
  bool next_takes_object(size_t i) const {
    const Tok* n = at(i + 1);
    if (!n) return false;
    return n->init == Pos::DET || n->init == Pos::PRON || n->init == Pos::NUM;
  }

  // Is the subject whose last noun is token j plural? Looks through "of" phrases ("supporters
  // of the club wave flags") to the head noun.
  bool subject_plural(size_t j) const {
    for (int hops = 0; hops < 4; ++hops) {
      if (t_[j].plural) return true;
      size_t k = j;
      // Bounded: noun phrases are short, and an unbounded walk would be quadratic on junk input.
      while (k > 0 && j - k < 16 && (t_[k - 1].tag == Pos::NOUN || t_[k - 1].tag == Pos::PROPN ||
                       t_[k - 1].tag == Pos::ADJ || t_[k - 1].tag == Pos::DET ||
                       t_[k - 1].tag == Pos::NUM))
        --k;
      if (k < 2 || t_[k - 1].w != "of" ||
          !(t_[k - 2].tag == Pos::NOUN || t_[k - 2].tag == Pos::PROPN))
        return false;
      j = k - 2;
    }
    return false;
  }

  Pos decide(size_t i, bool finite_seen) {
    Tok& t = t_[i];
    if (t.init == Pos::SPACE || t.init == Pos::PUNCT) return t.init;
    if (t.fw != FunctionWord::none) return decide_function_word(i);
    if (has_digit(t.w)) return t.init;
    return decide_open(i, finite_seen);
  }

  Pos decide_function_word(size_t i) {
    Tok& t = t_[i];
    const Pos prev = prev_tag(i);
    const Tok* p = i ? &t_[i - 1] : nullptr;
    switch (t.fw) {
      case FunctionWord::demonstrative:
        if (t.w == "that" && p && (prev == Pos::NOUN || prev == Pos::PROPN)) return Pos::PRON;
        return nominal_at(i + 1) ? Pos::DET : Pos::PRON;
      case FunctionWord::to: {
        const Tok* n = at(i + 1);
        if (n && (n->w == "be" || n->w == "do" || n->w == "have")) return Pos::PART;
        if (n && n->fw == FunctionWord::none && n->a.v_base && !n->a.noun_pl &&
            n->a.cv > n->a.cn && n->init != Pos::PROPN)
          return Pos::PART;
        return Pos::ADP;
      }
      case FunctionWord::apostrophe_s:
        if (p && (prev == Pos::PRON || p->w == "let")) return Pos::AUX;
        return Pos::PART;
      case FunctionWord::like:
        if (p && (prev == Pos::PRON || prev == Pos::AUX || prev == Pos::PART)) return Pos::VERB;
        return Pos::ADP;
      case FunctionWord::modal:
        if (p && (prev == Pos::DET || prev == Pos::ADJ)) return Pos::NOUN;
        return Pos::AUX;
      case FunctionWord::degree_or_quantity:  // much, more, most, less, least, enough
        if (nominal_at(i + 1) && at(i + 1)->init == Pos::NOUN) return Pos::ADJ;
        return Pos::ADV;
      case FunctionWord::next:
        if (next_is_word(i, "to")) return Pos::ADV;
        return Pos::ADJ;
      case FunctionWord::particle: {  // up, down, out, off, ...
        if (t.w == "up" && p &&
            (p->w == "close" || (p->w == "-" && i >= 2 && t_[i - 2].w == "close")))
          return Pos::NOUN;
        return Pos::ADP;
      }
      case FunctionWord::well:
        if (next_is_word(i, "-") || (at(i + 1) && at(i + 1)->a.participle())) return Pos::ADV;
        if (prev == Pos::DET || prev == Pos::ADJ) return Pos::NOUN;
        return Pos::ADV;
      case FunctionWord::live:
        if (prev == Pos::VERB && !nominal_at(i + 1)) return Pos::ADV;
        return Pos::ADJ;
      case FunctionWord::back:
        if (prev == Pos::VERB && !nominal_at(i + 1)) return Pos::ADV;
        return Pos::NOUN;
      default:
        return t.init;
    }
  }

  // Participle or gerund directly before a noun: VERB in the reference unless lexicalized as an
  // adjective or the first part of a noun compound.
  Pos prenominal_participle(size_t i) const {
    const Tok& t = t_[i];
    const Tok* n = at(i + 1);
    if (t.a.v_ing && n) {
      if (lex_.ing_compound(t.w, n->w)) return Pos::NOUN;
      for (const auto& lemma : n->a.noun_lemmas)
        if (lex_.ing_compound(t.w, lemma)) return Pos::NOUN;
    }
    if (lexicalized_adjective(t.w) || (t.a.surface_adj && t.a.ca >= 10)) return Pos::ADJ;
    if (t.a.v_ing && t.a.surface_noun && !t.a.surface_adj && t.a.cn >= 3) return Pos::NOUN;
    if (!t.a.verb()) return t.init;
    return Pos::VERB;
  }

  Pos nominal_tag(const Tok& t) const {
    if (t.init == Pos::NOUN || t.init == Pos::ADJ || t.init == Pos::PROPN) return t.init;
    if (t.a.adj && !t.a.noun && !t.a.noun_pl) return Pos::ADJ;
    return Pos::NOUN;
  }

  Pos decide_open(size_t i, bool finite_seen) {
    Tok& t = t_[i];
    const Analysis& a = t.a;
    const Pos prev = prev_tag(i);
    const Tok* p = i ? &t_[i - 1] : nullptr;
    const Tok* n = at(i + 1);
    const bool next_nominal = nominal_at(i + 1);

    // Adverb / adjective / noun words that act as adverbs after a verb ("sitting outside").
    if (a.adv && !a.verb()) {
      if (!a.nominal()) return Pos::ADV;
      if (prev == Pos::VERB && !next_nominal) return Pos::ADV;
      if (n && n->init == Pos::ADJ && !n->a.noun && !n->a.noun_pl && !a.noun &&
          prev != Pos::DET && prev != Pos::ADJ)
        return Pos::ADV;  // "pretty good"
      return nominal_tag(t);
    }
    if (!a.verb()) return t.init == Pos::VERB ? Pos::NOUN : t.init;

    const bool after_subject_pron =
        p && prev == Pos::PRON &&
        (p->fw == FunctionWord::subject_pronoun || p->fw == FunctionWord::demonstrative);
    const bool after_aux = prev == Pos::AUX;
    const bool after_to = prev == Pos::PART && p && p->w == "to";
    const bool np_internal = prev == Pos::DET || prev == Pos::ADJ || prev == Pos::NUM ||
                             (prev == Pos::PRON && p->fw == FunctionWord::possessive) ||
                             (prev == Pos::PART && p && (p->w == "'s" || p->w == "'" || p->w == "’s"));
    const bool after_nominal = prev == Pos::NOUN || prev == Pos::PROPN;

    if (after_aux) {
      if (a.participle()) return Pos::VERB;
      if (a.v_base && p && p->fw == FunctionWord::modal) return Pos::VERB;
      if (a.v_base && p && (p->w == "do" || p->w == "does" || p->w == "did" || p->w == "ca" ||
                            p->w == "wo"))
        return Pos::VERB;
      return a.nominal() ? nominal_tag(t) : Pos::VERB;
    }
    if (after_to && a.v_base) {
      t.finite = false;
      return Pos::VERB;
    }
    if (after_subject_pron) {
      t.finite = true;
      return Pos::VERB;
    }

    // Participles and gerunds.
    if (a.participle() && !(a.v_ed_irregular && !ends_with(t.w, "ed") && a.surface_noun &&
                            !after_nominal && !next_nominal)) {
      if (after_nominal) {
        // "a dog running", "a horse drawn carriage"; but "an oil painting of a ship", "a
        // vector set of icons".
        if (a.nominal() && n && n->w == "of") return nominal_tag(t);
        if (a.v_ed_irregular && !ends_with(t.w, "ed") && a.surface_noun &&
            (finite_seen || !n || n->init == Pos::PUNCT))
          return Pos::NOUN;  // "golfer hits his tee shot", "macro shot"
        if (a.v_ing && a.surface_noun && !a.surface_adj && a.cn >= 10 &&
            (!n || n->w == "of" || n->init == Pos::PUNCT))
          return Pos::NOUN;
        if (a.v_ed_irregular && !ends_with(t.w, "ed") && a.surface_noun && a.cn >= a.cv &&
            !next_takes_object(i))
          return Pos::NOUN;  // "his tee shot on the green"
        return Pos::VERB;
      }
      if (next_nominal) return prenominal_participle(i);
      if (np_internal) return a.nominal() ? nominal_tag(t) : Pos::NOUN;
      if (prev == Pos::ADV) {
        if (lexicalized_adjective(t.w) || (a.surface_adj && a.ca >= 10)) return Pos::ADJ;
        return Pos::VERB;
      }
      if (prev == Pos::CCONJ && i >= 2) {
        const Tok& before = t_[i - 2];
        if (before.tag == Pos::VERB) return Pos::VERB;
        if (before.tag == Pos::ADJ) return a.nominal() ? nominal_tag(t) : Pos::ADJ;
      }
      // Heading a clause (start, after a preposition or comma): a gerund, unless a plain noun.
      if (a.v_ing && a.surface_noun && !a.surface_adj && a.cn >= 10 && !next_takes_object(i))
        return Pos::NOUN;
      if (!a.v_ing && a.nominal() && lexicalized_adjective(t.w)) return Pos::ADJ;
      return Pos::VERB;
    }

    // Finite verb or noun/adjective.
    if (!a.nominal()) {
      t.finite = true;
      return Pos::VERB;
    }
    if (!after_nominal || finite_seen) return nominal_tag(t);
    const bool subj_plural = subject_plural(i - 1);
    const bool agrees = (a.v_s && !subj_plural) || (a.v_base && subj_plural) ||
                        (a.v_ed && !a.v_base && !a.v_s);
    const bool verb_prior = a.cv >= a.cn;
    const bool next_opens_object =
        n && (next_takes_object(i) || n->init == Pos::ADP || n->fw == FunctionWord::particle ||
              (n->init == Pos::PRON && n->fw == FunctionWord::possessive));
    if (!agrees) {
      // A plural noun rarely modifies another noun, so "heels walks down" is a verb whose
      // subject lies further left ("woman wearing high heels walks down the street").
      if (a.v_s && p->plural && verb_prior && a.cv > 0 && next_opens_object) {
        t.finite = true;
        return Pos::VERB;
      }
      return nominal_tag(t);
    }
    bool verb = false;
    if (!n || n->init == Pos::PUNCT || n->init == Pos::SCONJ || n->init == Pos::CCONJ) {
      // Intransitive at the end of a clause: only after a plural subject ("fans cheer");
      // after a singular noun a compound ("dew drops", "movie stars") is the likelier reading.
      verb = subj_plural && a.v_base && !p->a.noun;
    } else if (next_takes_object(i) || n->init == Pos::ADV ||
               (n->init == Pos::PRON && n->fw == FunctionWord::possessive)) {
      verb = true;
    } else if (n->init == Pos::ADP || n->init == Pos::PART || n->fw == FunctionWord::particle ||
               n->fw == FunctionWord::to) {
      verb = verb_prior || (subj_plural && a.v_base);
    } else if (nominal_at(i + 1)) {
      verb = (verb_prior && a.cv > 0) || (subj_plural && a.v_base);
    }
    if (verb) {
      t.finite = true;
      return Pos::VERB;
    }
    return nominal_tag(t);
  }

  const Lexicon& lex_;
  std::vector<Tok> t_;
};

}  // namespace

const char* upos_name(Pos p) {
  switch (p) {
    case Pos::DET: return "DET";
    case Pos::PRON: return "PRON";
    case Pos::ADP: return "ADP";
    case Pos::CCONJ: return "CCONJ";
    case Pos::SCONJ: return "SCONJ";
    case Pos::PART: return "PART";
    case Pos::AUX: return "AUX";
    case Pos::NUM: return "NUM";
    case Pos::PUNCT: return "PUNCT";
    case Pos::SYM: return "SYM";
    case Pos::SPACE: return "SPACE";
    case Pos::ADV: return "ADV";
    case Pos::ADJ: return "ADJ";
    case Pos::NOUN: return "NOUN";
    case Pos::PROPN: return "PROPN";
    case Pos::VERB: return "VERB";
    case Pos::INTJ: return "INTJ";
    case Pos::X: return "X";
  }
  return "X";
}

std::vector<Pos> tag_tokens(const Lexicon& lex, const std::vector<std::string>& tokens,
                            const std::vector<bool>& space) {
  Tagger tagger(lex, tokens, space);
  return tagger.run();
}

}  // namespace lincir::detail
