// The heap-based BPE merge loop against the direct procedure of SimpleTokenizer.bpe.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lincir/tokenizer.hpp"
#include "merges_text.hpp"
#include "support/test_support.hpp"
#include "tokenizer/bpe_vocab.hpp"

namespace {

using lincir::detail::BpeVocab;

const BpeVocab& vocab() {
  static const BpeVocab v = BpeVocab::from_merges(lincir::test::standard_merges_text(), "merges");
  return v;
}

std::vector<int32_t> fast(const std::string& w) {
  std::vector<int32_t> out;
  vocab().encode_word(w, out);
  return out;
}
std::vector<int32_t> naive(const std::string& w) {
  std::vector<int32_t> out;
  vocab().encode_word_naive(w, out);
  return out;
}

TEST(Bpe, StandardMergesAreInTrainingOrder) {
  EXPECT_TRUE(vocab().merges_in_training_order());
  EXPECT_EQ(vocab().size(), 49408);
  EXPECT_EQ(vocab().sot_id(), lincir::Tokenizer::kSot);
  EXPECT_EQ(vocab().eot_id(), lincir::Tokenizer::kEot);
}

TEST(Bpe, HeapEqualsDirectProcedure) {
  std::vector<std::string> words = {
      "a",          "ab",           "aaa", "aaaa", "aaaaaaaaaaaaa", "abababab",
      "photograph", "unbelievably", "$$",  "....", "\xE2\x82\xAC"};
  const auto cases =
      lincir::test::read_json(lincir::test::data_path("parity/tokenizer_cases.json"));
  for (const auto& c : cases["cases"]) {
    std::string t = c["text"];
    for (size_t b = 0, e; b < t.size(); b = e + 1) {
      e = t.find(' ', b);
      if (e == std::string::npos) e = t.size();
      if (e > b) words.push_back(t.substr(b, e - b));
    }
  }
  std::mt19937 rng(7);
  const std::string letters = "aeinorstlcdhumpgbyfwkvxzjq";
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    const int len = 1 + static_cast<int>(rng() % (i % 10 == 0 ? 300 : 20));
    const size_t alphabet = 2 + rng() % letters.size();  // small alphabets repeat pairs a lot
    for (int k = 0; k < len; ++k) w.push_back(letters[rng() % alphabet]);
    words.push_back(w);
  }
  for (int i = 0; i < 500; ++i) {  // arbitrary bytes
    std::string w;
    for (int k = 0, len = 1 + static_cast<int>(rng() % 12); k < len; ++k)
      w.push_back(static_cast<char>(rng() % 256));
    words.push_back(w);
  }
  int n = 0;
  for (const auto& w : words) {
    ASSERT_EQ(fast(w), naive(w)) << w;
    ++n;
  }
  EXPECT_GT(n, 3500);
}

TEST(Bpe, VeryLongWordIsFastAndLossless) {
  // 100k letters in one pre-token: the direct procedure is quadratic here.
  std::mt19937 rng(3);
  std::string w;
  for (int i = 0; i < 100000; ++i) w.push_back(static_cast<char>('a' + rng() % 26));
  const lincir::Tokenizer tok;
  const auto ids = tok.encode(w);
  EXPECT_LT(ids.size(), w.size() * 2 / 3);  // merged (random letters: ~1.8 bytes per id)
  EXPECT_EQ(tok.decode(ids), w + " ");
}

}  // namespace
