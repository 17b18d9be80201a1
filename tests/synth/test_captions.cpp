// Captions: determinism, truthfulness, variety, keyword-span statistics, the modification
// grammar in the training language, and held-out pairs and phrasings.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

std::string joined(const Text& t) {
  std::string s;
  for (const std::string& w : t.tokens) s += (s.empty() ? "" : " ") + w;
  return s;
}

bool has_token(const Text& t, const std::string& w) {
  return std::find(t.tokens.begin(), t.tokens.end(), w) != t.tokens.end();
}

std::vector<Caption> corpus(const Captioner& cap, uint64_t seed, int n, Split split) {
  CaptionCorpus c(cap, seed, split);
  return c.next_batch(n);
}

TEST(SynthCaptions, KeywordSpanRule) {
  // "a photo of a big ring that is purple , at the bottom on a black background" ->
  // `$ of $ that is $ , at $ on $` (the prototype's example of LinCIR's spaCy rule).
  Text t;
  const std::pair<const char*, Pos> words[] = {
      {"a", Pos::det},          {"photo", Pos::noun}, {"of", Pos::adp},    {"a", Pos::det},
      {"big", Pos::adj},        {"ring", Pos::noun},  {"that", Pos::pron}, {"is", Pos::aux},
      {"purple", Pos::adj},     {",", Pos::punct},    {"at", Pos::adp},    {"the", Pos::det},
      {"bottom", Pos::noun},    {"on", Pos::adp},     {"a", Pos::det},     {"black", Pos::adj},
      {"background", Pos::noun}};
  for (const auto& [w, p] : words) {
    t.tokens.push_back(w);
    t.pos.push_back(p);
  }
  const std::vector<std::string> expected = {"a photo", "a big ring", "purple", "the bottom",
                                             "a black background"};
  EXPECT_EQ(keyword_spans(t), expected);
  const SpanStats s = span_stats({t});
  EXPECT_EQ(s.spans, 5u);
  EXPECT_EQ(s.keyword_tokens, 11u);
  EXPECT_EQ(s.tokens, 17u);
}

TEST(SynthCaptions, DeterministicPerSeed) {
  const Captioner cap;
  Scene s;
  s.background = Background::brown;
  s.objects = {{Shape::triangle, Color::orange, Size::large, Position::bottom}};
  const auto a = cap.captions(s, 5, 8), b = cap.captions(s, 5, 8), c = cap.captions(s, 6, 8);
  ASSERT_EQ(a.size(), 8u);
  std::set<std::string> distinct;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].text, b[i].text);
    EXPECT_EQ(a[i].pos, b[i].pos);
    distinct.insert(a[i].text);
  }
  EXPECT_EQ(distinct.size(), 8u);  // several phrasings of one scene
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].text == c[i].text;
  EXPECT_LT(same, 3);
  const auto x = corpus(cap, 1, 50, Split::train), y = corpus(cap, 1, 50, Split::train);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i].text, y[i].text);
}

TEST(SynthCaptions, GoldenChecksumGuardsCrossPlatformDeterminism) {
  // Regression guard, not a correctness check: captions use integer arithmetic and exact
  // double comparisons only, so the corpus must be identical on every platform and build.
  // Update only with a deliberate change of the language.
  uint64_t h = 1469598103934665603ull;
  for (const Caption& c : corpus(Captioner(World::rich()), 2024, 200, Split::all))
    for (char ch : c.text + "\n") h = (h ^ uint8_t(ch)) * 1099511628211ull;
  EXPECT_EQ(h, 0xf9b10daf8be845fcull) << "caption checksum changed: 0x" << std::hex << h;
}

TEST(SynthCaptions, TokensAreTaggedFromTheLexiconAndTextIsConsistent) {
  std::map<std::string, Pos> lex;
  for (const auto& [w, p] : vocabulary()) lex[w] = p;
  const Captioner cap(World::rich());
  for (const Caption& c : corpus(cap, 2, 3000, Split::all)) {
    ASSERT_EQ(c.tokens.size(), c.pos.size());
    ASSERT_FALSE(c.tokens.empty());
    for (size_t i = 0; i < c.tokens.size(); ++i) {
      auto it = lex.find(c.tokens[i]);
      ASSERT_NE(it, lex.end()) << c.tokens[i] << " in: " << c.text;
      ASSERT_EQ(it->second, c.pos[i]) << c.tokens[i] << " in: " << c.text;
    }
    // The text is the tokens with punctuation attached to the word before it.
    std::string rebuilt;
    for (size_t i = 0; i < c.tokens.size(); ++i)
      rebuilt += (i > 0 && c.pos[i] != Pos::punct ? " " : "") + c.tokens[i];
    ASSERT_EQ(rebuilt, c.text);
    ASSERT_NE(c.pos.front(), Pos::punct);
    ASSERT_NE(c.pos.back(), Pos::punct);
    // a/an agreement
    for (size_t i = 0; i + 1 < c.tokens.size(); ++i) {
      const bool vowel = std::string("aeio").find(c.tokens[i + 1][0]) != std::string::npos;
      if (c.tokens[i] == "a") {
        ASSERT_FALSE(vowel) << c.text;
      }
      if (c.tokens[i] == "an") {
        ASSERT_TRUE(vowel) << c.text;
      }
    }
  }
}

TEST(SynthCaptions, PlainCaptionsOnlyStateTrueAttributes) {
  // In the standard world object colours and background colours are disjoint words.
  const World w = World::standard();
  const Captioner cap(w);
  Rng rng(8);
  std::map<std::string, Size> size_words = {{"small", Size::small},
                                            {"little", Size::small},
                                            {"tiny", Size::small},
                                            {"large", Size::large},
                                            {"big", Size::large}};
  int checked = 0;
  for (int i = 0; i < 3000; ++i) {
    const Scene s = w.sample(rng, Split::all);
    const Caption c = cap.caption(s, rng, Split::all);
    if (c.composed) continue;
    ++checked;
    for (const std::string& tok : c.tokens) {
      bool ok = true;
      for (Color col : w.colors)
        if (tok == to_string(col)) {
          ok = false;
          for (const Object& o : s.objects) ok = ok || o.color == col;
        }
      for (Shape sh : w.shapes)
        if (tok == to_string(sh)) {
          ok = false;
          for (const Object& o : s.objects) ok = ok || o.shape == sh;
        }
      for (Background b : w.backgrounds)
        if (tok == to_string(b)) ok = s.background == b;
      if (size_words.count(tok)) {
        ok = false;
        for (const Object& o : s.objects) ok = ok || o.size == size_words[tok];
      }
      for (Position p : w.positions) {
        const bool named = tok == to_string(p) || (p == Position::center && tok == "middle");
        if (named) {
          ok = false;
          for (const Object& o : s.objects) ok = ok || o.position == p;
        }
      }
      ASSERT_TRUE(ok) << "'" << tok << "' is false of " << s.key() << ": " << c.text;
    }
  }
  EXPECT_GT(checked, 2000);
}

TEST(SynthCaptions, CaptionsMentionSomeAttributesWithVerbsAndClauses) {
  const World w = World::standard();
  const Captioner cap(w);
  Rng rng(4);
  int n = 0, color = 0, size = 0, position = 0, background = 0, all = 0, verb = 0, rel = 0;
  std::set<std::string> texts;
  for (int i = 0; i < 4000; ++i) {
    const Scene s = w.sample(rng, 1, Split::train);
    const Caption c = cap.caption(s, rng);
    if (c.composed) continue;
    ++n;
    texts.insert(c.text);
    const Object& o = s.objects[0];
    const bool has_color = has_token(c, to_string(o.color));
    bool has_size = false;
    for (const char* z : {"small", "little", "tiny", "large", "big"}) has_size |= has_token(c, z);
    const bool has_pos = has_token(c, to_string(o.position)) || has_token(c, "middle");
    const bool has_bg = has_token(c, to_string(s.background));
    color += has_color, size += has_size, position += has_pos, background += has_bg;
    all += has_color && has_size && has_pos && has_bg && has_token(c, to_string(o.shape));
    bool v = false;
    for (Pos p : c.pos) v |= p == Pos::verb || p == Pos::aux;
    verb += v;
    rel += has_token(c, "that") || has_token(c, "which");
  }
  // Partial: each attribute is sometimes left out; few captions say everything.
  for (int k : {color, size, position, background}) {
    EXPECT_GT(k, n / 5);
    EXPECT_LT(k, n * 9 / 10);
  }
  EXPECT_LT(all, n / 5);
  EXPECT_GT(verb, n / 3);
  EXPECT_GT(rel, n / 20);
  EXPECT_GT(texts.size(), size_t(n) / 2);  // varied
}

TEST(SynthCaptions, KeywordSpanStatisticsLookLikeRealCaptions) {
  // Hand-labelled real-style captions: 2.4 spans per caption covering 71% of the tokens.
  // Measured here (seed 3, 20,000 captions): one-object plain captions 2.40 spans / 70.7%;
  // all training captions 3.05 spans / 68.8% (two- and three-object scenes and composed
  // captions describe more things).
  const World w = World::standard();
  const Captioner cap(w);
  Rng rng(3);
  std::vector<Text> single, everything;
  for (int i = 0; i < 6000; ++i) {
    const Scene s = w.sample(rng, Split::train);
    const Caption c = cap.caption(s, rng);
    everything.push_back(c);
    if (!c.composed && s.objects.size() == 1) single.push_back(c);
  }
  const SpanStats one = span_stats(single), all = span_stats(everything);
  EXPECT_GT(one.spans_per_text(), 2.1);
  EXPECT_LT(one.spans_per_text(), 2.7);
  EXPECT_GT(one.keyword_token_fraction(), 0.65);
  EXPECT_LT(one.keyword_token_fraction(), 0.77);
  EXPECT_GT(all.spans_per_text(), 2.4);
  EXPECT_LT(all.spans_per_text(), 3.4);
  EXPECT_GT(all.keyword_token_fraction(), 0.63);
  EXPECT_LT(all.keyword_token_fraction(), 0.76);
  EXPECT_EQ(all.texts_without_span, 0u);
}

TEST(SynthCaptions, TrainingLanguageCoversTheModificationGrammar) {
  const Captioner cap;
  const std::vector<Caption> cs = corpus(cap, 9, 8000, Split::train);
  std::string all;
  int composed = 0;
  for (const Caption& c : cs) {
    all += " " + joined(c) + " |";
    composed += c.composed;
  }
  EXPECT_NEAR(composed / double(cs.size()), 0.25, 0.03);
  for (const char* phrase : {" instead of ", " smaller ", " bigger ", " moved to the ",
                             " the same scene but ", " background instead of ", " make it ",
                             " add a ", " remove the ", " that is ", " without the "})
    EXPECT_NE(all.find(phrase), std::string::npos) << phrase;
  // Every word of every phrasing, held-out ones included, occurs in training captions, so no
  // query word is untrained (the prototype's "verbose" failure).
  std::set<std::string> seen;
  for (const Caption& c : cs) seen.insert(c.tokens.begin(), c.tokens.end());
  for (const Phrasing& p : phrasings()) {
    std::istringstream in(p.pattern);
    for (std::string w; in >> w;) {
      if (w.front() != '{') {
        EXPECT_TRUE(seen.count(w)) << "'" << w << "' of '" << p.pattern << "'";
      }
    }
  }
}

TEST(SynthCaptions, ComposedCaptionsDescribeTheScene) {
  const World w = World::standard();
  const Captioner cap(w, CaptionOptions{1.0, 0.6, false});
  Rng rng(12);
  int n = 0;
  for (int i = 0; i < 2000; ++i) {
    const Scene s = w.sample(rng, Split::train);
    const Caption c = cap.caption(s, rng);
    if (!c.composed) continue;
    ++n;
    ASSERT_EQ(c.phrasing_ids.size(), 1u);
    const Phrasing& p = phrasings()[size_t(c.phrasing_ids[0])];
    EXPECT_FALSE(p.heldout);
    ASSERT_TRUE(w.allows(c.source, Split::train)) << c.source.key();
    // The source is one edit away from the scene: the neighbours of the source contain it.
    bool neighbor = false;
    for (const Scene& x : w.neighbors(c.source)) neighbor |= x == s;
    if (p.kind == ChangeKind::add) neighbor = true;  // additions are not one-attribute edits
    EXPECT_TRUE(neighbor) << c.source.key() << " -> " << s.key() << ": " << c.text;
    // "X instead of Y": Y is the source's value, X the scene's (single objects).
    const auto& t = c.tokens;
    for (size_t k = 1; k + 2 < t.size(); ++k) {
      if (t[k] != "instead" || s.objects.size() != 1) continue;
      for (Color col : w.colors)
        if (t[k + 2] == to_string(col)) {
          EXPECT_NE(s.objects[0].color, col) << c.text;
          EXPECT_EQ(t[k - 1], to_string(s.objects[0].color)) << c.text;
        }
    }
  }
  EXPECT_GT(n, 1500);
}

TEST(SynthCaptions, CompleteAndCanonicalCaptionsNameEverything) {
  const World w = World::rich();
  const Captioner complete(w, CaptionOptions{0.25, 0.6, true});
  Rng rng(6);
  for (int i = 0; i < 500; ++i) {
    const Scene s = w.sample(rng, Split::all);
    const Caption c = complete.caption(s, rng, Split::all);
    const Caption k = complete.canonical(s);
    EXPECT_FALSE(c.composed);
    for (const Text* t : {static_cast<const Text*>(&c), static_cast<const Text*>(&k)}) {
      for (const Object& o : s.objects) {
        EXPECT_TRUE(has_token(*t, to_string(o.color))) << t->text;
        EXPECT_TRUE(has_token(*t, to_string(o.shape)) || s.objects.size() > 1) << t->text;
      }
      EXPECT_TRUE(has_token(*t, to_string(s.background))) << t->text;
      // The rich world has textures, so complete captions name the texture, plain included.
      const bool texture = s.texture == Texture::plain ? has_token(*t, "plain")
                           : s.texture == Texture::stripes
                               ? has_token(*t, "striped") || has_token(*t, "stripes")
                               : has_token(*t, "dotted") || has_token(*t, "dots");
      EXPECT_TRUE(texture) << t->text;
    }
    bool small = false, large = false;
    for (const char* z : {"small", "little", "tiny"}) small |= has_token(c, z);
    for (const char* z : {"large", "big"}) large |= has_token(c, z);
    for (const Object& o : s.objects) EXPECT_TRUE(o.size == Size::small ? small : large) << c.text;
    for (const Object& o : s.objects) {
      EXPECT_TRUE(has_token(k, to_string(o.shape))) << k.text;
      EXPECT_TRUE(has_token(k, to_string(o.size))) << k.text;
      EXPECT_TRUE(has_token(k, to_string(o.position))) << k.text;
    }
  }
  Scene s;
  s.background = Background::navy;
  s.objects = {{Shape::circle, Color::red, Size::small, Position::left}};
  EXPECT_EQ(Captioner().canonical(s).text,
            "a photo of a small red circle on the left on a navy background");
}

// Regexes of the held-out phrasings, built here from the patterns with this test's own slot
// vocabulary.
std::vector<std::pair<std::regex, std::string>> heldout_regexes() {
  const std::string color = "(red|green|blue|yellow|purple|orange|cyan|pink|white)";
  const std::string shape = "(circle|square|triangle|star|cross|diamond|ring|hexagon|heart)";
  const std::string size = "(small|little|tiny|large|big)";
  const std::string pos = "(left|right|top|bottom|center|middle)";
  const std::string at = "((on|at|in|near) the " + pos + ")";
  const std::string object = "(it|the( [a-z]+){1,2}( " + at + ")?)";
  const std::map<std::string, std::string> slots = {{"c0", color},
                                                    {"c1", color},
                                                    {"s0", shape},
                                                    {"s1", shape},
                                                    {"z0", size},
                                                    {"z1", size},
                                                    {"cmp", "(smaller|bigger|larger)"},
                                                    {"p1", pos},
                                                    {"at_p0", at},
                                                    {"at_p1", at},
                                                    {"b0", "(black|gray|brown|navy|white|beige)"},
                                                    {"b1", "(black|gray|brown|navy|white|beige)"},
                                                    {"t0", "(plain|striped|dotted)"},
                                                    {"t1", "(plain|striped|dotted)"},
                                                    {"ref", object},
                                                    {"refnp", object},
                                                    {"gone", object},
                                                    {"keep", object},
                                                    {"new", size + " " + color + " " + shape},
                                                    {"at_new", at}};
  std::vector<std::pair<std::regex, std::string>> out;
  for (const Phrasing& p : phrasings()) {
    if (!p.heldout) continue;
    std::string re = "(^| )";
    std::istringstream in(p.pattern);
    bool first = true;
    for (std::string w; in >> w; first = false) {
      if (!first) {
        re += " ";
      }
      re += w.front() == '{' ? slots.at(w.substr(1, w.size() - 2)) : w;
    }
    out.emplace_back(std::regex(re + "( |$)"), p.pattern);
  }
  return out;
}

TEST(SynthCaptions, HeldOutPhrasingsAndPairsNeverInTrainingCaptions) {
  const World w = World::standard();
  const Captioner cap(w);
  const auto regexes = heldout_regexes();
  ASSERT_GE(regexes.size(), 8u);
  auto count_matches = [&](const std::vector<Caption>& cs) {
    int m = 0;
    for (const Caption& c : cs) {
      const std::string s = joined(c);
      for (const auto& [re, pat] : regexes) m += std::regex_search(s, re);
    }
    return m;
  };
  const std::vector<Caption> train = corpus(cap, 21, 3000, Split::train);
  EXPECT_EQ(count_matches(train), 0);
  // Positive control: the regexes do find the held-out phrasings when they are allowed.
  EXPECT_GT(count_matches(corpus(cap, 21, 3000, Split::all)), 20);

  // No held-out (colour, shape) pair inside a keyword span or as "<shape> that is <colour>".
  auto mentions_heldout = [&](const Caption& c) {
    for (const ShapeColor& sc : w.heldout_combos) {
      for (const std::string& span : keyword_spans(c)) {
        std::istringstream in(span);
        bool col = false, sh = false;
        for (std::string x; in >> x;)
          col |= x == to_string(sc.color), sh |= x == to_string(sc.shape);
        if (col && sh) return true;
      }
      const std::string s = joined(c);
      if (s.find(std::string(to_string(sc.shape)) + " that is " + to_string(sc.color)) !=
          std::string::npos)
        return true;
    }
    return false;
  };
  int train_hits = 0, heldout_hits = 0;
  for (const Caption& c : train) train_hits += mentions_heldout(c);
  for (const Caption& c : corpus(cap, 22, 2000, Split::heldout))
    heldout_hits += mentions_heldout(c);
  EXPECT_EQ(train_hits, 0);
  EXPECT_GT(heldout_hits, 500);  // positive control
}

}  // namespace
}  // namespace lincir::synth
