// Keyword spans for LinCIR's Self-Masking Projection (SMP), without spaCy.
//
// LinCIR (navervision/lincir, loader.py) lowercases a caption, removes `$`, tags it with spaCy's
// en_core_web_sm and takes every maximal run of DET/ADJ/NOUN/PROPN tokens as a keyword span; the
// training target is the caption with each span replaced by the pseudo-token placeholder.
// KeywordExtractor reproduces that rule with a built-in English tokenizer (spaCy's English
// prefix/suffix/infix rules and contraction exceptions) and a rule-based part-of-speech tagger
// whose open-class lexicon is derived from WordNet 3.0 (embedded in the library). Its agreement
// with hand-labelled reference spans is measured in docs/keywords.md.
//
// Differences from the reference, on purpose:
// - mask_spans() replaces each span at its own byte range, on token boundaries. The reference uses
//   Python's str.replace, which also rewrites matching substrings inside other words (the span
//   "a" would turn "and" into "$nd") and every other occurrence of the span's text.
// - Lowercasing follows ICU's root-locale full case mapping, which matches Python's str.lower()
//   (including final sigma); see docs/keywords.md for the whitespace that strip() removes.
//
// Thread safety: every function here is reentrant; a KeywordExtractor is immutable after
// construction and its const methods may be called concurrently. The embedded lexicon is
// decompressed once per process, on first use, and shared by all extractors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

// A keyword span of a normalised caption: bytes [begin, end) of that caption. `text` is the
// span's tokens joined by single spaces, exactly as the reference lists spans; it equals
// caption.substr(begin, end - begin) unless two of its tokens touch without whitespace.
struct KeywordSpan {
  size_t begin = 0;
  size_t end = 0;
  std::string text;
};

// One token of a normalised caption with its Universal POS tag ("NOUN", "VERB", ...).
struct KeywordToken {
  size_t begin = 0;
  size_t end = 0;
  std::string text;
  std::string upos;
};

// LinCIR's clean-up before tagging: caption.lower().replace('$', '').strip(). Invalid UTF-8
// bytes are replaced by U+FFFD first (Python would have refused to decode them).
std::string normalize_caption(std::string_view caption);

// The spaCy-style English tokenization of `text` (no normalisation is applied), as byte ranges
// with their text; `upos` is left empty.
std::vector<KeywordToken> tokenize_english(std::string_view text);

class KeywordExtractor {
 public:
  // Uses the embedded lexicon. Throws Error(internal) only if the embedded data is corrupt.
  KeywordExtractor();

  // Tokens of an already-normalised caption with their tags.
  std::vector<KeywordToken> tag(std::string_view normalized) const;

  // Keyword spans of an already-normalised caption, left to right, duplicates kept.
  std::vector<KeywordSpan> extract_normalized(std::string_view normalized) const;

  // normalize_caption(caption), then its spans; offsets refer to the normalised text.
  std::vector<KeywordSpan> extract(std::string_view caption) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// Spans given by the user (e.g. precomputed with spaCy and stored in the training file), as
// texts, matched against the normalised caption: each text is looked up on token boundaries
// (not inside a longer word), with any run of whitespace in the caption matching a space of
// the text and adjacent tokens ("kids'") matching a space too. Texts are matched in order, each
// after the previous match when possible, else anywhere that does not overlap an earlier match.
// Texts that are empty or not found are skipped; `unmatched`, when given, receives their count.
std::vector<KeywordSpan> locate_spans(std::string_view normalized,
                                      const std::vector<std::string>& span_texts,
                                      size_t* unmatched = nullptr);

// `normalized` with each span's bytes replaced by `placeholder`. Spans must lie within the text
// and must not overlap (they may come in any order); otherwise throws Error(invalid_argument).
std::string mask_spans(std::string_view normalized, const std::vector<KeywordSpan>& spans,
                       std::string_view placeholder = "$");

// The masked caption that a training step uses.
struct MaskedCaption {
  std::string text;          // the caption with placeholders
  size_t placeholders = 0;   // how many placeholders `text` holds
  // How the placeholders were chosen. keyword_spans: LinCIR's SMP; random_word: no span was
  // found, so one random word was masked; whole_caption: "a photo of $" (see
  // ensure_placeholder). LinCIR's `indicator` is 0 exactly for whole_caption.
  enum class Source { keyword_spans, random_word, whole_caption } source = Source::keyword_spans;
};

// Masks the spans, or, when `spans` is empty, one word of `normalized` chosen with `rng` (one
// draw, index = rng() % word_count, over the whitespace-separated words; replaced on its own
// bytes only). An empty caption gives "a photo of " + placeholder (whole_caption).
MaskedCaption mask_or_fallback(std::string_view normalized, const std::vector<KeywordSpan>& spans,
                               std::mt19937_64& rng, std::string_view placeholder = "$");

// LinCIR's last resort: when truncation to the text encoder's context would drop every
// placeholder, the training text becomes "a photo of $". `keeps_placeholder(text)` must tell
// whether at least one placeholder of `text` survives the encoder's truncation (e.g. the CLIP
// tokenizer's 77-token budget). Returns `masked` unchanged when it does, else the fallback text
// with source whole_caption (the fallback itself is not checked again).
MaskedCaption ensure_placeholder(MaskedCaption masked,
                                 const std::function<bool(const std::string&)>& keeps_placeholder,
                                 std::string_view placeholder = "$");

// The fallback text: "a photo of " + placeholder.
std::string whole_caption_fallback(std::string_view placeholder = "$");

}  // namespace lincir
