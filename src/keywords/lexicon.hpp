// The keyword tagger's open-class lexicon (internal): WordNet 3.0 lemmas with their word classes
// and SemCor frequencies, WordNet's irregular inflections, and "-ing" noun compounds. Generated
// by scripts/gen_keywords_lexicon.py into assets/keywords_lexicon.tsv.gz and embedded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lincir::detail {

enum WordClass : uint8_t { kNoun = 1, kVerb = 2, kAdj = 4, kAdv = 8 };

struct LemmaInfo {
  uint8_t classes = 0;  // WordClass bits
  uint32_t count[4] = {0, 0, 0, 0};  // SemCor tag counts: noun, verb, adjective, adverb
};

struct Irregular {
  std::string lemma;
  WordClass cls;
};

class Lexicon {
 public:
  // The embedded lexicon, parsed on first use (thread-safe). Throws Error(internal) if corrupt.
  static const Lexicon& embedded();
  // Parses the generator's text format (already decompressed). Throws Error(format).
  static Lexicon parse(std::string_view text);

  const LemmaInfo* find(std::string_view lemma) const;
  const std::vector<Irregular>* irregular(std::string_view form) const;
  // Is "<first> <second>" a WordNet noun compound (first ends in "ing")?
  bool ing_compound(std::string_view first, std::string_view second) const;
  size_t size() const { return lemmas_.size(); }

 private:
  std::unordered_map<std::string, LemmaInfo> lemmas_;
  std::unordered_map<std::string, std::vector<Irregular>> irregular_;
  std::unordered_set<std::string> compounds_;
};

}  // namespace lincir::detail
