// CLIP's byte-level BPE vocabulary and merge procedure (the layout is described in
// tests/data/parity/README.md and docs/tokenizer.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lincir::detail {

class BpeVocab {
 public:
  static constexpr int kNumMerges = 49152 - 256 - 2;  // merges used: lines 1 .. 48894

  // Builds the vocabulary from the text of a merges file (header line, then "left right" lines;
  // only the first kNumMerges merges are used). Throws Error(format) when it is malformed.
  // `source` names the file in error messages.
  static BpeVocab from_merges(std::string_view text, const std::string& source);

  // Appends the ids of one pre-token, given as its UTF-8 bytes (the last symbol gets "</w>").
  // Repeatedly merges every occurrence (left to right) of the adjacent pair with the lowest rank.
  // O(n log n) with a heap when the merges are in training order (true of CLIP's file), otherwise
  // the direct O(n^2) procedure.
  void encode_word(std::string_view utf8, std::vector<int32_t>& out) const;
  // The direct procedure, always (SimpleTokenizer.bpe as written); exposed for tests.
  void encode_word_naive(std::string_view utf8, std::vector<int32_t>& out) const;
  // Whether encode_word uses the heap: every merge result is a distinct string and each merge's
  // parts are created by earlier merges, so a merge never creates a pair of lower rank.
  bool merges_in_training_order() const { return ordered_; }

  // The bytes a token stands for, "</w>" included literally (SimpleTokenizer.decode then turns
  // "</w>" into a space).
  const std::string& token_bytes(int32_t id) const { return bytes_[static_cast<size_t>(id)]; }

  int size() const { return static_cast<int>(bytes_.size()); }
  int sot_id() const { return sot_; }
  int eot_id() const { return eot_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;  // id of left + right
  };
  static uint64_t key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  std::vector<std::string> bytes_;              // per id
  std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> merge
  int32_t byte_id_[256] = {};                   // id of each byte's symbol
  int32_t byte_end_id_[256] = {};               // ... with "</w>"
  int sot_ = 0, eot_ = 0;
  bool ordered_ = false;
};

}  // namespace lincir::detail
