// Tokenizer API behaviour beyond the parity fixture: placeholder id, context lengths, invalid
// UTF-8, decode options, custom merges files and concurrent use.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lincir/tokenizer.hpp"
#include "merges_text.hpp"
#include "support/test_support.hpp"

namespace {

using lincir::Status;
using lincir::Tokenizer;
using Ids = std::vector<int32_t>;

template <typename F>
Status status_of(F f) {
  try {
    f();
  } catch (const lincir::Error& e) {
    return e.status();
  }
  return Status::ok;
}

Ids padded(Ids ids, size_t n) {
  ids.resize(n, 0);
  return ids;
}

TEST(TokenizerApi, PlaceholderDollar) {
  const Tokenizer tok;
  EXPECT_EQ(tok.encode("$"), Ids{Tokenizer::kPlaceholder});
  EXPECT_EQ(Tokenizer::kPlaceholder, 259);
  const Ids t = tok.tokenize("a photo of $ that is red");
  EXPECT_EQ(t[0], Tokenizer::kSot);
  EXPECT_EQ(t[4], 259);
  EXPECT_EQ(tok.decode({259}), "$ ");
}

TEST(TokenizerApi, EmptyAndPadding) {
  const Tokenizer tok;
  EXPECT_TRUE(tok.encode("").empty());
  EXPECT_TRUE(tok.encode(" \t\n ").empty());
  EXPECT_EQ(tok.tokenize(""), padded({Tokenizer::kSot, Tokenizer::kEot}, 77));
  EXPECT_EQ(tok.tokenize("ab", 5), (Ids{Tokenizer::kSot, 3937, Tokenizer::kEot, 0, 0}));
}

TEST(TokenizerApi, ContextLength) {
  const Tokenizer tok;
  for (int n : {1, 0, -3})
    EXPECT_EQ(status_of([&] { tok.tokenize("a cat", n); }), Status::invalid_argument) << n;
  EXPECT_EQ(status_of([&] { tok.tokenize(std::vector<std::string>{"a"}, 1); }),
            Status::invalid_argument);
  EXPECT_EQ(tok.tokenize("", 2), (Ids{Tokenizer::kSot, Tokenizer::kEot}));
  // Too long for 2 (or 4): truncated keeps the first ids and ends with EOT; otherwise an error.
  const Ids bpe = tok.encode("a photo of a cat");
  ASSERT_EQ(bpe.size(), 5u);
  EXPECT_EQ(tok.tokenize("a photo of a cat", 2), (Ids{Tokenizer::kSot, Tokenizer::kEot}));
  EXPECT_EQ(tok.tokenize("a photo of a cat", 4),
            (Ids{Tokenizer::kSot, bpe[0], bpe[1], Tokenizer::kEot}));
  EXPECT_EQ(status_of([&] { tok.tokenize("a photo of a cat", 4, false); }),
            Status::invalid_argument);
  // Exactly fitting is not truncation.
  Ids fit = {Tokenizer::kSot};
  fit.insert(fit.end(), bpe.begin(), bpe.end());
  fit.push_back(Tokenizer::kEot);
  EXPECT_EQ(tok.tokenize("a photo of a cat", 7, false), fit);
  EXPECT_EQ(tok.tokenize("a photo of a cat", 100).size(), 100u);
}

TEST(TokenizerApi, Batch) {
  const Tokenizer tok;
  EXPECT_TRUE(tok.tokenize(std::vector<std::string>{}).empty());
  const std::vector<std::string> texts = {"a dog", "", "two cats on a sofa"};
  const Ids batch = tok.tokenize(texts, 9);
  ASSERT_EQ(batch.size(), 27u);
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(Ids(batch.begin() + 9 * i, batch.begin() + 9 * (i + 1)), tok.tokenize(texts[i], 9));
  try {
    tok.tokenize(std::vector<std::string>{"a", std::string(200, 'x') + " y z w v"}, 4, false);
    ADD_FAILURE() << "no error";
  } catch (const lincir::Error& e) {
    EXPECT_EQ(e.status(), Status::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("text 1"), std::string::npos) << e.what();
  }
}

// Bytes that are not UTF-8 are decoded like Python's bytes.decode("utf-8", "replace") (each
// maximal ill-formed subsequence becomes U+FFFD) and the result is tokenized as that string.
// Expected ids: openai/CLIP's SimpleTokenizer.encode on the decoded Python str.
TEST(TokenizerApi, InvalidUtf8) {
  const Tokenizer tok;
  EXPECT_EQ(tok.encode("caf\xE9 au lait"), (Ids{20867, 39802, 2566, 572, 585}));
  EXPECT_EQ(tok.encode("caf\xE9 au lait"), tok.encode("caf\xEF\xBF\xBD au lait"));
  EXPECT_EQ(tok.encode("\xED\xA0\x80x"), (Ids{47356, 47356, 39802, 343}));  // encoded surrogate
  EXPECT_EQ(tok.encode("\xC0\x80"), (Ids{47356, 39802}));                   // overlong NUL
  EXPECT_EQ(tok.encode("\xFF\xFE"), (Ids{47356, 39802}));
  EXPECT_EQ(tok.encode("photo \xE2\x82"), (Ids{1125, 39802}));  // truncated sequence
  EXPECT_EQ(tok.encode(std::string("a\0b", 3)), (Ids{3937}));   // NUL removed (ftfy)
  for (int b = 0x80; b < 0x100; ++b) {
    const std::string s = "x" + std::string(1, static_cast<char>(b)) + "y\xF0\x9F";
    EXPECT_NO_THROW(tok.tokenize(s)) << b;
  }
}

// Regex-module quirks of the pre-tokenizer (reference: SimpleTokenizer.encode).
TEST(TokenizerApi, CaseInsensitivePatternQuirks) {
  const Tokenizer tok;
  // "'ſ" matches the 's alternative (IGNORECASE, simple case folding): one pre-token.
  EXPECT_EQ(tok.encode("it'\xC5\xBF"), (Ids{585, 6, 129, 379}));
  // ... and so does "<|ſtartoftext|>" as a whole, but it is BPE-encoded, not the SOT id.
  EXPECT_EQ(tok.encode("<|\xC5\xBFtartoftext|>"),
            (Ids{27, 91, 129, 123, 2002, 6659, 18169, 91, 285}));
  // U+0345 matches none of the alternatives and disappears like whitespace.
  EXPECT_EQ(tok.encode("x\xCD\x85y"), (Ids{343, 344}));
}

TEST(TokenizerApi, Decode) {
  const Tokenizer tok;
  const Ids t = tok.tokenize("a photo of a cat", 12);
  EXPECT_EQ(tok.decode(t, /*skip_special=*/true), "a photo of a cat ");
  // Without skipping, SOT/EOT are spelled out and the zero padding is id 0, "!".
  EXPECT_EQ(tok.decode(t), "<|startoftext|>a photo of a cat <|endoftext|>!!!!!");
  // A literal "!" before the EOT is kept; only zeros after it are padding.
  EXPECT_EQ(tok.decode({Tokenizer::kSot, 0, Tokenizer::kEot, 0, 0}, true), "!");
  EXPECT_EQ(tok.decode({}), "");
  // Byte-level ids (layout of bytes_to_unicode): 0xE2 -> 158, 0x82 -> 224, 0xAC + "</w>" -> 361
  // spell the euro sign; a lone lead byte decodes to U+FFFD, like errors="replace".
  EXPECT_EQ(tok.decode({158, 224, 361}), "\xE2\x82\xAC ");
  EXPECT_EQ(tok.decode({158}), "\xEF\xBF\xBD");
  EXPECT_EQ(tok.decode({158, 288}),
            "\xEF\xBF\xBD"
            "A ");  // 0xE2 then "A</w>"
  EXPECT_EQ(status_of([&] { tok.decode({5, 49408}); }), Status::invalid_argument);
  EXPECT_EQ(status_of([&] { tok.decode({-1}); }), Status::invalid_argument);
}

TEST(TokenizerApi, CopiesShareBehaviour) {
  const Tokenizer a;
  Tokenizer b = a;
  Tokenizer c(std::move(b));
  Tokenizer d;
  d = c;
  EXPECT_EQ(c.encode("a red dress"), a.encode("a red dress"));
  EXPECT_EQ(d.vocab_size(), 49408);
}

// ---- merges files ----------------------------------------------------------------------------

void write_text(const std::string& path, const std::string& s) {
  lincir::test::write_bytes(path, std::vector<uint8_t>(s.begin(), s.end()));
}

void write_gz(const std::string& path, const std::string& s) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, s.data(), static_cast<unsigned>(s.size())), static_cast<int>(s.size()));
  gzclose(f);
}

TEST(TokenizerMergesFile, PlainAndGzipGiveTheStandardVocabulary) {
  const lincir::test::TempDir dir;
  const std::string plain = lincir::test::standard_merges_text();
  ASSERT_GT(plain.size(), 400000u);
  write_text(dir.file("merges.txt"), plain);
  write_gz(dir.file("merges.txt.gz"), plain);
  const Tokenizer ref;
  const auto cases =
      lincir::test::read_json(lincir::test::data_path("parity/tokenizer_cases.json"));
  for (const char* name : {"merges.txt", "merges.txt.gz"}) {
    const Tokenizer t = Tokenizer::from_file(dir.file(name));
    EXPECT_EQ(t.vocab_size(), 49408);
    for (const auto& c : cases["cases"])
      EXPECT_EQ(t.tokenize(c["text"].get<std::string>()), c["tokens"].get<Ids>()) << name;
  }
}

TEST(TokenizerMergesFile, UsesTheFileContents) {
  // Every merge is "Ā Ā" (bytes 0x00 0x00): no merge applies to ordinary text, so words come out
  // as byte symbols: 'a' is id 64 (bytes '!'..'~' come first), "b</w>" is 256 + 65.
  std::string merges = "#version: 0.2\n";
  for (int i = 0; i < 48894; ++i) merges += "\xC4\x80 \xC4\x80\n";
  const lincir::test::TempDir dir;
  write_text(dir.file("m.txt"), merges);
  const Tokenizer t = Tokenizer::from_file(dir.file("m.txt"));
  EXPECT_EQ(t.encode("ab"), (Ids{64, 321}));
  EXPECT_EQ(t.vocab_size(), 49408);
  EXPECT_EQ(t.tokenize("ab", 4), (Ids{Tokenizer::kSot, 64, 321, Tokenizer::kEot}));
  EXPECT_EQ(t.decode({64, 321}), "ab ");
}

TEST(TokenizerMergesFile, BadFiles) {
  const lincir::test::TempDir dir;
  EXPECT_EQ(status_of([&] { Tokenizer::from_file(dir.file("missing.txt")); }), Status::io);

  const std::string plain = lincir::test::standard_merges_text();
  write_text(dir.file("short.txt"), plain.substr(0, 5000));
  EXPECT_EQ(status_of([&] { Tokenizer::from_file(dir.file("short.txt")); }), Status::format);

  write_text(dir.file("badline.txt"), "#version\nab\n" + plain.substr(plain.find('\n') + 1));
  EXPECT_EQ(status_of([&] { Tokenizer::from_file(dir.file("badline.txt")); }), Status::format);

  write_gz(dir.file("m.gz"), plain);
  auto gz = lincir::test::read_bytes(dir.file("m.gz"));
  gz.resize(gz.size() / 10);  // truncated stream
  lincir::test::write_bytes(dir.file("trunc.gz"), gz);
  EXPECT_EQ(status_of([&] { Tokenizer::from_file(dir.file("trunc.gz")); }), Status::format);
  gz = lincir::test::read_bytes(dir.file("m.gz"));
  for (size_t i = 20; i < 200; ++i) gz[i] ^= 0x5A;  // corrupt deflate data
  lincir::test::write_bytes(dir.file("corrupt.gz"), gz);
  EXPECT_EQ(status_of([&] { Tokenizer::from_file(dir.file("corrupt.gz")); }), Status::format);

  write_text(dir.file("empty.txt"), "");
  EXPECT_EQ(status_of([&] { Tokenizer::from_file(dir.file("empty.txt")); }), Status::format);
}

// ---- concurrency -----------------------------------------------------------------------------

TEST(TokenizerApi, ConcurrentUseGivesIdenticalResults) {
  const auto cases =
      lincir::test::read_json(lincir::test::data_path("parity/tokenizer_cases.json"));
  std::vector<std::string> texts;
  for (const auto& c : cases["cases"]) texts.push_back(c["text"]);
  for (const auto& c : cases["ftfy_dependent_cases"]) texts.push_back(c["text"]);
  const Tokenizer shared;
  const Ids expected = shared.tokenize(texts);

  constexpr int kThreads = 8;
  std::vector<Ids> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Tokenizer own;  // half the threads use their own handle (same shared data)
      const Tokenizer& tok = t % 2 ? own : shared;
      for (int rep = 0; rep < 3; ++rep) {
        Ids all;
        for (size_t i = 0; i < texts.size(); ++i) {
          // Different start offsets so that threads race on the same cache entries.
          const Ids row = tok.tokenize(texts[(i + static_cast<size_t>(t) * 17) % texts.size()]);
          all.insert(all.end(), row.begin(), row.end());
        }
        results[t] = all;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    Ids rotated;
    for (size_t i = 0; i < texts.size(); ++i) {
      const size_t k = (i + static_cast<size_t>(t) * 17) % texts.size();
      rotated.insert(rotated.end(), expected.begin() + 77 * k, expected.begin() + 77 * (k + 1));
    }
    EXPECT_EQ(results[t], rotated) << "thread " << t;
  }
}

}  // namespace

namespace {

// Large hostile inputs finish and do not throw: random bytes (mostly ill-formed UTF-8), long
// mojibake lines, entity soup.
TEST(TokenizerApi, LargeHostileInputs) {
  const Tokenizer tok;
  std::mt19937 rng(11);
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes.push_back(static_cast<char>(rng() % 256));
  EXPECT_EQ(tok.tokenize(bytes).size(), 77u);
  std::string mojibake, entities;
  for (int i = 0; i < 5000; ++i) mojibake += "\xC3\x83\xC2\xA9 \xC3\xA2\xE2\x82\xAC\xE2\x84\xA2";
  for (int i = 0; i < 5000; ++i) entities += "&amp;amp;&#x" + std::to_string(i) + "&notin";
  EXPECT_GT(tok.encode(mojibake).size(), 5000u);
  EXPECT_GT(tok.encode(entities).size(), 5000u);
}

}  // namespace
