// CLIP's byte-level BPE tokenizer, reproducing openai/CLIP `clip.tokenize` /
// `SimpleTokenizer` id for id (see docs/tokenizer.md for the ftfy subset that is implemented).
//
// Thread safety: a Tokenizer is immutable after construction; all methods are const and may be
// called concurrently.
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
  static constexpr int32_t kSot = 49406;          // <|startoftext|>
  static constexpr int32_t kEot = 49407;          // <|endoftext|>
  static constexpr int32_t kPlaceholder = 259;    // "$</w>": LinCIR's pseudo-token slot
  static constexpr int kDefaultContextLength = 77;

  // The standard CLIP vocabulary (bpe_simple_vocab_16e6, embedded in the library).
  Tokenizer();
  // A merges file in the same format (gzip-compressed or plain). Throws Error(io/format).
  static Tokenizer from_file(const std::string& path);

  // BPE ids of `text` without SOT/EOT, never truncated (SimpleTokenizer.encode).
  std::vector<int32_t> encode(std::string_view text) const;

  // [SOT] + encode(text) + [EOT], zero-padded to `context_length` (clip.tokenize). When too long:
  // with `truncate` keep the first context_length ids and set the last to EOT; without it throw
  // Error(invalid_argument).
  std::vector<int32_t> tokenize(std::string_view text, int context_length = kDefaultContextLength,
                                bool truncate = true) const;
  // Batch form: row-major [texts.size(), context_length].
  std::vector<int32_t> tokenize(const std::vector<std::string>& texts,
                                int context_length = kDefaultContextLength,
                                bool truncate = true) const;

  // Inverse of encode (SimpleTokenizer.decode): each "</w>" becomes a space. SOT/EOT/padding
  // ids (0 after the EOT) are skipped when `skip_special` is set.
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
