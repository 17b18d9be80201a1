// Internal text machinery of the synthetic world: the tagged lexicon and a builder that
// produces lincir::synth::Text with exact UPOS tags.
#pragma once

#include <string>
#include <string_view>

#include "lincir/synth.hpp"

namespace lincir::synth::detail {

// The UPOS tag of a lexicon word; throws Error(internal) for words outside the lexicon, so
// every word the world emits has a known tag (tests enumerate vocabulary()).
Pos lexicon_pos(std::string_view word);

// Accumulates tokens. Words are tagged from the lexicon unless a tag is given; a pattern word
// may carry an explicit tag as "word/TAG" (e.g. "left/ADV").
class TextBuilder {
 public:
  void word(std::string_view w);
  void word(std::string_view w, Pos p);
  // Space-separated words, each as word().
  void words(std::string_view s);
  void append(const Text& t);
  bool empty() const { return t_.tokens.empty(); }
  size_t size() const { return t_.tokens.size(); }
  // Fixes "a" before a vowel sound to "an", drops doubled punctuation and builds the text.
  Text finish() const;

 private:
  Text t_;
};

}  // namespace lincir::synth::detail
