// Tokenization and normalisation cases from tests/data/keywords/README.md ("Tokenization") and
// spaCy's English tokenizer rules (prefixes, suffixes, infixes, contraction exceptions).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lincir/keywords.hpp"

namespace {

std::vector<std::string> toks(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& t : lincir::tokenize_english(text)) out.push_back(t.text);
  return out;
}

using V = std::vector<std::string>;

TEST(EnglishTokenizer, HyphensBetweenLettersOrDigitAndLetterAreSplit) {
  EXPECT_EQ(toks("a close-up of a flower"), (V{"a", "close", "-", "up", "of", "a", "flower"}));
  EXPECT_EQ(toks("well-dressed"), (V{"well", "-", "dressed"}));
  EXPECT_EQ(toks("a 3-year-old girl"), (V{"a", "3", "-", "year", "-", "old", "girl"}));
  EXPECT_EQ(toks("five-star hotel"), (V{"five", "-", "star", "hotel"}));
  EXPECT_EQ(toks("2-story house"), (V{"2", "-", "story", "house"}));
  EXPECT_EQ(toks("state-of-the-art"), (V{"state", "-", "of", "-", "the", "-", "art"}));
  // A hyphen before a digit is not an infix after a letter; digit-digit is split.
  EXPECT_EQ(toks("f-16 jet"), (V{"f-16", "jet"}));
  EXPECT_EQ(toks("1-2"), (V{"1", "-", "2"}));
  EXPECT_EQ(toks("rock--paper"), (V{"rock", "--", "paper"}));
}

TEST(EnglishTokenizer, PossessivesAndContractions) {
  EXPECT_EQ(toks("a woman's face"), (V{"a", "woman", "'s", "face"}));
  EXPECT_EQ(toks("the kids' room"), (V{"the", "kids", "'", "room"}));
  EXPECT_EQ(toks("he's happy"), (V{"he", "'s", "happy"}));
  EXPECT_EQ(toks("it's"), (V{"it", "'s"}));
  EXPECT_EQ(toks("it’s"), (V{"it", "’s"}));
  EXPECT_EQ(toks("can't"), (V{"ca", "n't"}));
  EXPECT_EQ(toks("don't"), (V{"do", "n't"}));
  EXPECT_EQ(toks("won't"), (V{"wo", "n't"}));
  EXPECT_EQ(toks("i'm"), (V{"i", "'m"}));
  EXPECT_EQ(toks("they're"), (V{"they", "'re"}));
  EXPECT_EQ(toks("cannot"), (V{"can", "not"}));
  EXPECT_EQ(toks("let's go"), (V{"let", "'s", "go"}));
  EXPECT_EQ(toks("dont"), (V{"do", "nt"}));
  // Words that spaCy keeps whole although they look like contractions.
  EXPECT_EQ(toks("its well shed ill were"), (V{"its", "well", "shed", "ill", "were"}));
  EXPECT_EQ(toks("Can't"), (V{"Ca", "n't"}));
}

TEST(EnglishTokenizer, TokensThatStayWhole) {
  EXPECT_EQ(toks("1950s style"), (V{"1950s", "style"}));
  EXPECT_EQ(toks("3d render 4k 8k"), (V{"3d", "render", "4k", "8k"}));
  EXPECT_EQ(toks("the 18th hole"), (V{"the", "18th", "hole"}));
  EXPECT_EQ(toks("coffee & a croissant"), (V{"coffee", "&", "a", "croissant"}));
  EXPECT_EQ(toks("rock'n'roll"), (V{"rock'n'roll"}));
}

TEST(EnglishTokenizer, PunctuationPrefixesSuffixesAndInfixes) {
  EXPECT_EQ(toks("i love this photo!"), (V{"i", "love", "this", "photo", "!"}));
  EXPECT_EQ(toks("portrait, highly detailed."), (V{"portrait", ",", "highly", "detailed", "."}));
  EXPECT_EQ(toks("things to do in berlin: a guide"),
            (V{"things", "to", "do", "in", "berlin", ":", "a", "guide"}));
  EXPECT_EQ(toks("\"sunset\" (oil)"), (V{"\"", "sunset", "\"", "(", "oil", ")"}));
  EXPECT_EQ(toks("wait..."), (V{"wait", "..."}));
  EXPECT_EQ(toks("red,green"), (V{"red", ",", "green"}));
  EXPECT_EQ(toks("black/white"), (V{"black", "/", "white"}));
  EXPECT_EQ(toks("5km run"), (V{"5", "km", "run"}));
  EXPECT_EQ(toks("$5"), (V{"$", "5"}));
}

TEST(EnglishTokenizer, ExtraWhitespaceBecomesSpaceTokensWithOffsets) {
  const std::string text = "a  red\tcar";
  const auto t = lincir::tokenize_english(text);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_EQ(t[1].text, " ");
  EXPECT_EQ(t[1].upos, "SPACE");
  EXPECT_EQ(t[2].text, "red");
  EXPECT_EQ(t[3].text, "\t");
  EXPECT_EQ(t[4].text, "car");
  for (const auto& x : t) EXPECT_EQ(text.substr(x.begin, x.end - x.begin), x.text);
  EXPECT_TRUE(lincir::tokenize_english("").empty());
  EXPECT_TRUE(lincir::tokenize_english("   ").empty() ||
              lincir::tokenize_english("   ")[0].upos == "SPACE");
}

TEST(EnglishTokenizer, MultibyteOffsetsAndInvalidUtf8) {
  const std::string text = "café—crème brûlée";
  const auto t = lincir::tokenize_english(text);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].text, "café");
  EXPECT_EQ(t[1].text, "—");
  EXPECT_EQ(t[2].text, "crème");
  EXPECT_EQ(t[3].text, "brûlée");
  const std::string bad = "a \xff\xfe cat";
  const auto tb = lincir::tokenize_english(bad);
  ASSERT_EQ(tb.size(), 3u);
  EXPECT_EQ(tb[1].text, "\xff\xfe");
}

TEST(NormalizeCaption, MatchesPythonLowerReplaceStrip) {
  EXPECT_EQ(lincir::normalize_caption("A Red CAR"), "a red car");
  EXPECT_EQ(lincir::normalize_caption("  $Hello$ World $ "), "hello world");
  EXPECT_EQ(lincir::normalize_caption("$"), "");
  EXPECT_EQ(lincir::normalize_caption("\t\n Caption \n"), "caption");
  EXPECT_EQ(lincir::normalize_caption("ÉCOLE"), "école");
  // Python lowercases a final capital sigma to final sigma (U+03C2).
  EXPECT_EQ(lincir::normalize_caption("ΟΔΟΣ"), "οδος");
  // Full case mapping: U+0130 becomes "i" + U+0307.
  EXPECT_EQ(lincir::normalize_caption("İ"), "i\xcc\x87");
  // Unicode whitespace (U+3000, U+00A0) is stripped like Python's str.strip().
  EXPECT_EQ(lincir::normalize_caption("\xe3\x80\x80" "cat\xc2\xa0"), "cat");
  // Internal whitespace is kept.
  EXPECT_EQ(lincir::normalize_caption("a  b"), "a  b");
  // Invalid UTF-8 becomes U+FFFD instead of failing.
  EXPECT_EQ(lincir::normalize_caption("A\xff"), "a\xef\xbf\xbd");
}

}  // namespace
