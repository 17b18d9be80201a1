#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "lincir/captions.hpp"
#include "support/test_support.hpp"

using namespace lincir;

namespace {

void write_text(const std::string& path, const std::string& s) {
  std::ofstream f(path, std::ios::binary);
  f << s;
}

void write_gz(const std::string& path, const std::string& s) {
  gzFile g = gzopen(path.c_str(), "wb");
  ASSERT_NE(g, nullptr);
  gzwrite(g, s.data(), static_cast<unsigned>(s.size()));
  gzclose(g);
}

std::vector<std::string> read_all(const std::string& path, CaptionStreamOptions opt = {}) {
  opt.loop = false;
  CaptionStream s(path, opt);
  std::vector<std::string> out;
  CaptionRecord r;
  while (s.next(r)) out.push_back(r.text);
  return out;
}

CaptionStreamOptions quiet(size_t shuffle = 1) {
  CaptionStreamOptions o;
  o.shuffle_buffer = shuffle;
  o.on_warning = [](const std::string&, uint64_t, const std::string&) {};
  return o;
}

}  // namespace

TEST(CaptionStream, ReadsEveryFormatInFileOrder) {
  test::TempDir d;
  write_text(d.file("a.txt"), "a red car\n\n  a dog on a beach  \r\nlast line without newline");
  write_text(d.file("b.jsonl"),
             "{\"caption\": \"a cat\", \"spans\": [\"a cat\"]}\n{\"text\": \"x\"}\nnot json\n"
             "{\"caption\": \"two birds\"}\n");
  write_text(d.file("c.csv"), "id,caption\n1,\"a man, smiling\"\n2,\"say \"\"hi\"\"\"\n3\n");
  write_text(d.file("d.tsv"), "caption\tid\na boat\t7\n");
  write_gz(d.file("e.txt.gz"), "gz one\ngz two\n");
  auto opt = quiet();
  uint64_t warned = 0;
  opt.on_warning = [&](const std::string&, uint64_t, const std::string&) { ++warned; };
  EXPECT_EQ(read_all(d.file("a.txt"), opt),
            (std::vector<std::string>{"a red car", "a dog on a beach", "last line without newline"}));
  EXPECT_EQ(read_all(d.file("b.jsonl"), opt), (std::vector<std::string>{"a cat", "two birds"}));
  EXPECT_EQ(warned, 2u);  // missing field, invalid JSON
  EXPECT_EQ(read_all(d.file("c.csv"), opt), (std::vector<std::string>{"a man, smiling", "say \"hi\""}));
  EXPECT_EQ(warned, 3u);  // wrong column count
  EXPECT_EQ(read_all(d.file("d.tsv"), opt), (std::vector<std::string>{"a boat"}));
  EXPECT_EQ(read_all(d.file("e.txt.gz"), opt), (std::vector<std::string>{"gz one", "gz two"}));
  // The folder reads all files in sorted order.
  auto all = read_all(d.path(), opt);
  EXPECT_EQ(all.size(), 3u + 2u + 2u + 1u + 2u);
  EXPECT_EQ(all.front(), "a red car");
  EXPECT_EQ(all.back(), "gz two");
}

TEST(CaptionStream, PrecomputedSpans) {
  test::TempDir d;
  write_text(d.file("s.jsonl"), "{\"caption\": \"a red car\", \"spans\": [\"a red car\"]}\n{\"caption\": \"b\"}\n");
  CaptionStream s(d.file("s.jsonl"), quiet());
  CaptionRecord r;
  ASSERT_TRUE(s.next(r));
  EXPECT_TRUE(r.has_spans);
  EXPECT_EQ(r.spans, std::vector<std::string>{"a red car"});
  ASSERT_TRUE(s.next(r));
  EXPECT_FALSE(r.has_spans);
}

TEST(CaptionStream, ShuffleIsAPermutationAndSeeded) {
  test::TempDir d;
  std::string text;
  for (int i = 0; i < 500; ++i) text += "caption " + std::to_string(i) + "\n";
  write_text(d.file("c.txt"), text);
  auto a = read_all(d.file("c.txt"), quiet(64));
  auto b = read_all(d.file("c.txt"), quiet(64));
  auto o = quiet(64);
  o.seed = 99;
  auto c = read_all(d.file("c.txt"), o);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), 500u);
  EXPECT_NE(a, read_all(d.file("c.txt"), quiet(1)));
}

TEST(CaptionStream, SkipReproducesTheStateAcrossEpochs) {
  test::TempDir d;
  std::string text;
  for (int i = 0; i < 37; ++i) text += "c" + std::to_string(i) + "\n";
  write_text(d.file("c.txt"), text);
  CaptionStream full(d.file("c.txt"), quiet(16));
  std::vector<std::string> seq;
  CaptionRecord r;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(full.next(r));
    seq.push_back(r.text);
  }
  EXPECT_EQ(full.stats().epoch, 2u);
  // Epochs are reshuffled.
  EXPECT_NE(std::vector<std::string>(seq.begin(), seq.begin() + 37),
            std::vector<std::string>(seq.begin() + 37, seq.begin() + 74));
  CaptionStream resumed(d.file("c.txt"), quiet(16));
  resumed.skip(58);
  for (int i = 58; i < 100; ++i) {
    ASSERT_TRUE(resumed.next(r));
    EXPECT_EQ(r.text, seq[static_cast<size_t>(i)]);
  }
}

TEST(CaptionStream, BadInputs) {
  test::TempDir d;
  EXPECT_THROW(CaptionStream("/nonexistent/captions.txt"), Error);
  std::filesystem::create_directory(d.file("empty"));
  try {
    CaptionStream s(d.file("empty"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
  }
  // Every line malformed: fatal, with a message.
  write_text(d.file("bad.jsonl"), "nope\n{\"x\": 1}\n");
  CaptionStream s(d.file("bad.jsonl"), quiet());
  CaptionRecord r;
  try {
    s.next(r);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::format);
    EXPECT_NE(std::string(e.what()).find("no valid caption"), std::string::npos);
  }
  // A CSV without the column.
  write_text(d.file("x.csv"), "a,b\n1,2\n");
  CaptionStream c(d.file("x.csv"), quiet());
  EXPECT_THROW(c.next(r), Error);
  // Invalid UTF-8 is skipped, valid lines survive.
  write_text(d.file("u.txt"), "ok\n\xff\xfe bad\nfine\n");
  EXPECT_EQ(read_all(d.file("u.txt"), quiet()), (std::vector<std::string>{"ok", "fine"}));
  // Garbage gzip.
  write_text(d.file("g.txt.gz"), std::string("\x1f\x8b\x08\x00garbage", 12));
  CaptionStream g(d.file("g.txt.gz"), quiet());
  EXPECT_THROW(g.next(r), Error);
}
