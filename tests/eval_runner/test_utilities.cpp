// Checksums, image lists and shards of the evaluation driver.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lincir/eval_runner.hpp"
#include "support/test_support.hpp"

namespace lincir {
namespace {

using test::data_path;
using test::TempDir;

TEST(Sha256, FipsTestVectors) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two.data(), two.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(million.data(), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// The benchmark data carries sha256sum's output for its files: an independent reference.
TEST(Sha256, FilesMatchSha256sum) {
  std::ifstream sums(data_path("benchmarks/SHA256SUMS"));
  ASSERT_TRUE(sums.good());
  std::string line;
  int checked = 0;
  while (std::getline(sums, line)) {
    std::istringstream ls(line);
    std::string hash, file;
    ls >> hash >> file;
    if (file.empty()) continue;
    if (file[0] == '*') file.erase(0, 1);
    EXPECT_EQ(sha256_file(data_path("benchmarks/" + file)), hash) << file;
    ++checked;
  }
  EXPECT_GE(checked, 10);
  EXPECT_THROW(sha256_file("/nonexistent/file"), Error);
}

TEST(Shard, ParseAndContiguousRanges) {
  const Shard s = Shard::parse("2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 3);
  for (const char* bad : {"3/3", "1", "a/2", "-1/2", "1/0", "", "1/2/3", "1/"})
    EXPECT_THROW(Shard::parse(bad), Error) << bad;
  for (size_t n : {0, 1, 7, 10, 1001}) {
    for (int count : {1, 2, 3, 7}) {
      size_t next = 0;
      for (int i = 0; i < count; ++i) {
        auto [b, e] = Shard{i, count}.range(n);
        EXPECT_EQ(b, next);
        EXPECT_LE(e - b, n / count + 1);
        EXPECT_GE(e - b, n / count);
        next = e;
      }
      EXPECT_EQ(next, n);
    }
  }
}

TEST(ImageLists, FolderListingIsRecursiveSortedAndRelative) {
  TempDir t;
  namespace fs = std::filesystem;
  fs::create_directories(t.file("b/c"));
  for (const char* f : {"z.PNG", "a.jpg", "b/c/x.jpeg", "b/readme.txt", "b/y.bmp"})
    test::write_bytes(t.file(f), {1, 2, 3});
  EXPECT_EQ(list_image_files(t.path()), (std::vector<std::string>{"a.jpg", "b/c/x.jpeg", "b/y.bmp", "z.PNG"}));
  EXPECT_THROW(list_image_files(t.file("b/c/x.jpeg")), Error);
  fs::create_directories(t.file("empty"));
  EXPECT_THROW(list_image_files(t.file("empty")), Error);
}

TEST(ImageLists, ListFileSkipsCommentsAndBlankLines) {
  TempDir t;
  const std::string txt = "\xEF\xBB\xBF# gallery\r\na.png\r\n\n  \nsub/b.jpg\n#c.png\n/abs/d.png";
  test::write_bytes(t.file("list.txt"), std::vector<uint8_t>(txt.begin(), txt.end()));
  EXPECT_EQ(read_path_list(t.file("list.txt")), (std::vector<std::string>{"a.png", "sub/b.jpg", "/abs/d.png"}));
  test::write_bytes(t.file("empty.txt"), {'#', '\n'});
  EXPECT_THROW(read_path_list(t.file("empty.txt")), Error);
  EXPECT_THROW(read_path_list(t.file("missing.txt")), Error);
}

TEST(EvalMethod, NamesRoundTrip) {
  for (auto m : {EvalMethod::lincir, EvalMethod::image_only, EvalMethod::text_only, EvalMethod::sum})
    EXPECT_EQ(parse_eval_method(eval_method_name(m)), m);
  EXPECT_EQ(parse_eval_method("image+text"), EvalMethod::sum);
  EXPECT_THROW(parse_eval_method("oracle"), Error);
}

}  // namespace
}  // namespace lincir
