// Extraction on the span rule's documented examples, masking on token boundaries, precomputed
// spans, the random-word fallback and the "a photo of $" hook.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lincir/keywords.hpp"

namespace {

std::vector<std::string> texts(const std::vector<lincir::KeywordSpan>& spans) {
  std::vector<std::string> out;
  for (const auto& s : spans) out.push_back(s.text);
  return out;
}

using V = std::vector<std::string>;

const lincir::KeywordExtractor& extractor() {
  static const lincir::KeywordExtractor ex;
  return ex;
}

TEST(KeywordExtractor, SpanRuleExamplesFromTheReferenceReadme) {
  const auto& ex = extractor();
  EXPECT_EQ(texts(ex.extract("a red car parked on the street")), (V{"a red car", "the street"}));
  EXPECT_EQ(texts(ex.extract("a 3-year-old girl playing with blocks")),
            (V{"a", "year", "old girl", "blocks"}));
  EXPECT_EQ(texts(ex.extract("our trip to the mountains last summer")),
            (V{"trip", "the mountains last summer"}));
  EXPECT_TRUE(ex.extract("from above").empty());
  EXPECT_TRUE(ex.extract("").empty());
  EXPECT_TRUE(ex.extract("   $  ").empty());
}

TEST(KeywordExtractor, NormalizesAndReportsOffsetsInTheNormalizedText) {
  const auto& ex = extractor();
  const std::string caption = "  A Red Car $ parked on THE street ";
  const std::string lower = lincir::normalize_caption(caption);
  ASSERT_EQ(lower, "a red car  parked on the street");
  const auto spans = ex.extract(caption);
  ASSERT_EQ(texts(spans), (V{"a red car", "the street"}));
  EXPECT_EQ(lower.substr(spans[0].begin, spans[0].end - spans[0].begin), "a red car");
  EXPECT_EQ(lower.substr(spans[1].begin, spans[1].end - spans[1].begin), "the street");
}

TEST(KeywordExtractor, TagsVerbsParticiplesAndCompounds) {
  const auto& ex = extractor();
  auto tags = [&](const std::string& s) {
    std::vector<std::string> out;
    for (const auto& t : ex.tag(s)) out.push_back(t.upos);
    return out;
  };
  // A finite verb after the subject, a participle after a noun, a gerund noun compound.
  EXPECT_EQ(tags("model walks the runway"), (V{"NOUN", "VERB", "DET", "NOUN"}));
  EXPECT_EQ(tags("a dog running on the beach"), (V{"DET", "NOUN", "VERB", "ADP", "DET", "NOUN"}));
  EXPECT_EQ(tags("men 's running shoes"), (V{"NOUN", "PART", "NOUN", "NOUN"}));
  EXPECT_EQ(tags("a sleeping cat"), (V{"DET", "VERB", "NOUN"}));
  EXPECT_EQ(tags("a highly detailed map")[2], "ADJ");
  EXPECT_EQ(tags("the fashion show at night")[2], "NOUN");
  EXPECT_EQ(tags("he looks at the camera")[1], "VERB");
  EXPECT_EQ(tags("listening to music")[1], "ADP");
  EXPECT_EQ(tags("things to do")[1], "PART");
}

TEST(MaskSpans, ReplacesWholeSpansOnTheirOwnBytes) {
  const auto& ex = extractor();
  const std::string lower = "a man and a dog";
  const auto spans = ex.extract_normalized(lower);
  ASSERT_EQ(texts(spans), (V{"a man", "a dog"}));
  EXPECT_EQ(lincir::mask_spans(lower, spans), "$ and $");
  EXPECT_EQ(lincir::mask_spans(lower, spans, "[$]"), "[$] and [$]");
  // The reference's str.replace("a", "$") would give "$ m$n $nd $ dog"; a span "a" masks only
  // the article it stands for.
  const auto only_a = lincir::locate_spans(lower, {"a"});
  ASSERT_EQ(only_a.size(), 1u);
  EXPECT_EQ(lincir::mask_spans(lower, only_a), "$ man and a dog");
  // Order of the span list does not matter; no spans leaves the text unchanged.
  EXPECT_EQ(lincir::mask_spans(lower, {spans[1], spans[0]}), "$ and $");
  EXPECT_EQ(lincir::mask_spans(lower, {}), lower);
}

TEST(MaskSpans, RejectsOverlappingEmptyOrOutOfRangeSpans) {
  const std::string lower = "a red car";
  try {
    lincir::mask_spans(lower, {{0, 5, "a red"}, {2, 9, "red car"}});
    FAIL() << "overlap accepted";
  } catch (const lincir::Error& e) {
    EXPECT_EQ(e.status(), lincir::Status::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("overlaps"), std::string::npos);
  }
  EXPECT_THROW(lincir::mask_spans(lower, {{3, 3, ""}}), lincir::Error);
  EXPECT_THROW(lincir::mask_spans(lower, {{0, 10, "x"}}), lincir::Error);
  EXPECT_THROW(lincir::mask_spans(lower, {{5, 2, "x"}}), lincir::Error);
}

TEST(LocateSpans, FindsPrecomputedSpansOnTokenBoundaries) {
  const std::string lower = "a woman's hat and a man's hat on the table";
  size_t unmatched = 99;
  const auto spans =
      lincir::locate_spans(lower, {"a woman", "hat", "a man", "hat", "the table"}, &unmatched);
  EXPECT_EQ(unmatched, 0u);
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(lincir::mask_spans(lower, spans), "$'s $ and $'s $ on $");
  // Missing, empty and word-internal matches are skipped and counted.
  const auto some = lincir::locate_spans(lower, {"the chair", "", "wom", "table"}, &unmatched);
  EXPECT_EQ(unmatched, 3u);
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(lower.substr(some[0].begin, some[0].end - some[0].begin), "table");
}

TEST(LocateSpans, MatchesSpaCyTokenTextsAgainstTheCaption) {
  // Reference spans join tokens with spaces; in the text tokens may touch or be spaced widely.
  const std::string lower = "the cat's  tail, a close-up";
  size_t unmatched = 99;
  const auto spans = lincir::locate_spans(lower, {"the cat 's tail", "a close - up"}, &unmatched);
  EXPECT_EQ(unmatched, 0u);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(lincir::mask_spans(lower, spans), "$, $");
  // Out-of-order texts are still found, without overlapping an earlier match.
  const auto rev = lincir::locate_spans("a dog and a cat", {"a cat", "a dog", "a dog"}, &unmatched);
  EXPECT_EQ(rev.size(), 2u);
  EXPECT_EQ(unmatched, 1u);
  EXPECT_EQ(lincir::mask_spans("a dog and a cat", rev), "$ and $");
}

TEST(MaskOrFallback, MasksSpansOrOneSeededRandomWord) {
  std::mt19937_64 rng(7);
  const auto& ex = extractor();
  const std::string lower = "a red car parked on the street";
  const auto m = lincir::mask_or_fallback(lower, ex.extract_normalized(lower), rng);
  EXPECT_EQ(m.text, "$ parked on $");
  EXPECT_EQ(m.placeholders, 2u);
  EXPECT_EQ(m.source, lincir::MaskedCaption::Source::keyword_spans);

  const std::string words = "from above quickly";
  ASSERT_TRUE(ex.extract_normalized(words).empty());
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    std::mt19937_64 r1(seed), r2(seed);
    const auto a = lincir::mask_or_fallback(words, {}, r1);
    const auto b = lincir::mask_or_fallback(words, {}, r2);
    EXPECT_EQ(a.text, b.text);  // deterministic for a seed
    EXPECT_EQ(a.source, lincir::MaskedCaption::Source::random_word);
    EXPECT_EQ(a.placeholders, 1u);
    seen.insert(a.text);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"$ above quickly", "from $ quickly", "from above $"}));

  // The draw is rng() % word count, one draw.
  std::mt19937_64 r3(123), r4(123);
  const uint64_t draw = r4();
  const auto c = lincir::mask_or_fallback("one two three four five", {}, r3);
  const char* expected[] = {"$ two three four five", "one $ three four five",
                            "one two $ four five", "one two three $ five", "one two three four $"};
  EXPECT_EQ(c.text, expected[draw % 5]);

  // Nothing to mask: the whole-caption fallback.
  const auto e = lincir::mask_or_fallback("", {}, rng);
  EXPECT_EQ(e.text, "a photo of $");
  EXPECT_EQ(e.source, lincir::MaskedCaption::Source::whole_caption);
  EXPECT_THROW(lincir::mask_or_fallback("x", {}, rng, ""), lincir::Error);
}

TEST(EnsurePlaceholder, FallsBackWhenTruncationDropsEveryPlaceholder) {
  // A stand-in for the CLIP token budget: the placeholder must be among the first 4 words.
  auto within_4_words = [](const std::string& text) {
    size_t words = 0, pos = 0;
    while (pos < text.size() && words < 4) {
      const size_t sp = text.find(' ', pos);
      const std::string w = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
      if (w.find('$') != std::string::npos) return true;
      ++words;
      if (sp == std::string::npos) break;
      pos = sp + 1;
    }
    return false;
  };
  lincir::MaskedCaption early{"$ on a long road far away", 1,
                              lincir::MaskedCaption::Source::keyword_spans};
  const auto kept = lincir::ensure_placeholder(early, within_4_words);
  EXPECT_EQ(kept.text, early.text);
  EXPECT_EQ(kept.source, lincir::MaskedCaption::Source::keyword_spans);

  lincir::MaskedCaption late{"on a long road far away $", 1,
                             lincir::MaskedCaption::Source::keyword_spans};
  const auto fb = lincir::ensure_placeholder(late, within_4_words, "[$]");
  EXPECT_EQ(fb.text, "a photo of [$]");
  EXPECT_EQ(fb.placeholders, 1u);
  EXPECT_EQ(fb.source, lincir::MaskedCaption::Source::whole_caption);
  EXPECT_EQ(lincir::whole_caption_fallback(), "a photo of $");

  EXPECT_THROW(lincir::ensure_placeholder(early, nullptr), lincir::Error);
}

TEST(KeywordExtractor, ConcurrentUseGivesTheSameSpans) {
  const std::vector<std::string> captions = {
      "a dog running on the beach", "portrait of a samurai, highly detailed, digital painting",
      "the president shakes hands with a foreign leader", "a cup of tea"};
  std::vector<std::vector<std::string>> expected;
  for (const auto& c : captions) expected.push_back(texts(extractor().extract(c)));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      lincir::KeywordExtractor ex;
      int good = 0;
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < captions.size(); ++i)
          good += texts(ex.extract(captions[i])) == expected[i];
      ok[t] = good;
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 80);
}

}  // namespace

namespace {

// Junk and very long input: no crash, no exception, offsets stay valid, and the work stays
// linear (these inputs took minutes with quadratic affix handling).
TEST(KeywordExtractor, SurvivesLongAndRandomInput) {
  const auto& ex = extractor();
  EXPECT_EQ(lincir::tokenize_english(std::string(100000, '!')).size(), 100000u);
  EXPECT_EQ(lincir::tokenize_english(std::string(50000, '.')).size(), 1u);
  EXPECT_EQ(lincir::tokenize_english("(" + std::string(100000, 'a') + ")").size(), 3u);
  std::string shows;
  for (int i = 0; i < 20000; ++i) shows += "the show ";
  const auto spans = ex.extract(shows);
  EXPECT_EQ(spans.size(), 1u);  // one long noun run, as the span rule says

  std::mt19937_64 rng(2024);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 40, ' ');
    for (auto& c : s) {
      const uint64_t r = rng() % 10;
      c = r < 5 ? static_cast<char>('a' + rng() % 26)
                : r < 7 ? " -'.,$&/"[rng() % 8] : static_cast<char>(rng() % 256);
    }
    const std::string lower = lincir::normalize_caption(s);
    const auto sp = ex.extract_normalized(lower);
    for (const auto& x : sp) {
      ASSERT_LT(x.begin, x.end);
      ASSERT_LE(x.end, lower.size());
    }
    const auto m = lincir::mask_or_fallback(lower, sp, rng);
    EXPECT_GE(m.placeholders, 1u);
    EXPECT_NE(m.text.find('$'), std::string::npos);
  }
}

}  // namespace
