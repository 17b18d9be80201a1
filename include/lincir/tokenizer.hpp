// CLIP's byte-level BPE tokenizer, reproducing openai/CLIP `clip.tokenize` /
// `SimpleTokenizer` id for id, including its text cleaning: ftfy 6.3.1 `fix_text` (ported, with
// its mojibake repair), Python's `html.unescape`, whitespace folding, Unicode lower-casing and the
// pre-tokenizer regex (see docs/tokenizer.md for the exact semantics and the few differences).
//
// Input text is UTF-8. Ill-formed byte sequences never fail: each maximal ill-formed subsequence
// becomes U+FFFD, exactly like Python's `bytes.decode("utf-8", errors="replace")`, and the result
// is what the reference gives for that Python string.
//
// Thread safety: a Tokenizer is immutable after construction; all methods are const and may be
// called concurrently (an internal word cache is guarded by sharded mutexes). Copies are cheap and
// share the vocabulary.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

class Tokenizer {
 public:
  static constexpr int32_t kSot = 49406;        // <|startoftext|>
  static constexpr int32_t kEot = 49407;        // <|endoftext|>
  static constexpr int32_t kPlaceholder = 259;  // "$</w>": LinCIR's pseudo-token slot
  static constexpr int kDefaultContextLength = 77;

  // The standard CLIP vocabulary (bpe_simple_vocab_16e6, embedded in the library). It is parsed
  // once per process (the first construction takes some tens of milliseconds) and shared.
  Tokenizer();
  // A merges file in the same format, gzip-compressed or plain: a header line, then at least
  // 48,894 "left right" merge lines, of which exactly the first 48,894 are used (so the vocabulary
  // always has 49,408 ids and kSot/kEot hold). Throws Error(io) if it cannot be read and
  // Error(format) if it is corrupt, too short or has a malformed merge line.
  static Tokenizer from_file(const std::string& path);

  // BPE ids of `text` without SOT/EOT, never truncated (SimpleTokenizer.encode).
  std::vector<int32_t> encode(std::string_view text) const;

  // [SOT] + encode(text) + [EOT], zero-padded to `context_length` (clip.tokenize). When too long:
  // with `truncate` keep the first context_length ids and set the last to EOT; without it throw
  // Error(invalid_argument). context_length < 2 throws Error(invalid_argument).
  std::vector<int32_t> tokenize(std::string_view text, int context_length = kDefaultContextLength,
                                bool truncate = true) const;
  // Batch form: row-major [texts.size(), context_length].
  std::vector<int32_t> tokenize(const std::vector<std::string>& texts,
                                int context_length = kDefaultContextLength,
                                bool truncate = true) const;

  // Inverse of encode (SimpleTokenizer.decode): the ids' bytes are decoded as UTF-8 with U+FFFD
  // for ill-formed sequences, then each "</w>" becomes a space. SOT/EOT/padding ids (0 after the
  // EOT) are skipped when `skip_special` is set. An id outside [0, vocab_size()) throws
  // Error(invalid_argument).
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;

  int vocab_size() const;  // 49408 for the standard vocabulary

  Tokenizer(const Tokenizer&);
  Tokenizer& operator=(const Tokenizer&);
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace lincir
