// The text cleaning steps against the real Python implementations (ftfy 6.3.1, CPython 3.11's
// html.unescape and UTF-8 decoder, the regex module), recorded in
// tests/data/tokenizer/text_reference.json by scripts/tokenizer/gen_text_reference.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "tokenizer/clip_text.hpp"
#include "tokenizer/ftfy.hpp"
#include "tokenizer/html_unescape.hpp"
#include "tokenizer/utf8.hpp"

namespace {

using namespace lincir::detail;

const nlohmann::json& reference() {
  static const nlohmann::json j =
      lincir::test::read_json(lincir::test::data_path("tokenizer/text_reference.json"));
  return j;
}

std::u32string u32(const nlohmann::json& j) {
  std::u32string out;
  EXPECT_TRUE(utf8_decode_strict(j.get<std::string>(), out));
  return out;
}

std::string u8(const std::u32string& s) {
  return utf8_encode(s);
}

// Runs `check` on every text case and fails with the first few differing inputs.
template <typename F>
void for_each_case(const char* field, F fn) {
  int bad = 0, n = 0;
  for (const auto& c : reference()["text_cases"]) {
    ++n;
    const std::string got = fn(c);
    const std::string want = c[field].dump();
    if (got != want && ++bad <= 5)
      ADD_FAILURE() << field << " of " << c["text"].dump() << ": got " << got << ", want " << want;
  }
  EXPECT_EQ(bad, 0) << "of " << n;
  EXPECT_GT(n, 1000);
}

TEST(TextCleaning, FtfyFixText) {
  for_each_case("fix_text", [](const auto& c) {
    return nlohmann::json(u8(ftfy_fix_text(u32(c["text"])))).dump();
  });
}

TEST(TextCleaning, FtfyFixEncoding) {
  for_each_case("fix_encoding", [](const auto& c) {
    return nlohmann::json(u8(ftfy_fix_encoding(u32(c["text"])))).dump();
  });
}

TEST(TextCleaning, FtfyIsBad) {
  for_each_case("is_bad",
                [](const auto& c) { return nlohmann::json(ftfy_is_bad(u32(c["text"]))).dump(); });
}

TEST(TextCleaning, FtfyUnescapeHtml) {
  for_each_case("ftfy_unescape_html", [](const auto& c) {
    return nlohmann::json(u8(ftfy_unescape_html(u32(c["text"])))).dump();
  });
}

TEST(TextCleaning, PythonHtmlUnescape) {
  for_each_case("html_unescape", [](const auto& c) {
    return nlohmann::json(u8(python_html_unescape(u32(c["text"])))).dump();
  });
}

TEST(TextCleaning, ClipClean) {
  for_each_case("clip_clean", [](const auto& c) {
    return nlohmann::json(u8(clip_clean(u32(c["text"])))).dump();
  });
}

TEST(TextCleaning, ClipPretokenize) {
  for_each_case("clip_pretokens", [](const auto& c) {
    const std::u32string clean = u32(c["clip_clean"]);
    std::vector<std::string> tokens;
    for (const PreToken& p : clip_pretokenize(clean, 49406, 49407))
      tokens.push_back(u8(clean.substr(p.begin, p.end - p.begin)));
    return nlohmann::json(tokens).dump();
  });
}

TEST(TextCleaning, Utf8DecodeReplaceLikePython) {
  int n = 0;
  for (const auto& c : reference()["utf8_cases"]) {
    const std::string hex = c["bytes_hex"];
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    EXPECT_EQ(u8(utf8_decode_replace(bytes)), c["decoded"].get<std::string>()) << hex;
    ++n;
  }
  EXPECT_EQ(n, 300);
}

TEST(TextCleaning, HandPickedHtml) {
  auto un = [](const char* s) { return u8(python_html_unescape(utf8_decode_replace(s))); };
  EXPECT_EQ(un("&amp;"), "&");
  EXPECT_EQ(un("&amp"), "&");               // legacy name without ';'
  EXPECT_EQ(un("&notit;"), "\xC2\xACit;");  // longest known prefix ("not"), rest kept
  EXPECT_EQ(un("&#0;"), "\xEF\xBF\xBD");    // U+FFFD
  EXPECT_EQ(un("&#x80;"), "\xE2\x82\xAC");  // C1 read as windows-1252: euro sign
  EXPECT_EQ(un("a&#1;b"), "ab");            // invalid code point removed
  EXPECT_EQ(un("&#xD800;&#1114112;"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(un("&#99999999999999999999999;"), "\xEF\xBF\xBD");  // no overflow
  EXPECT_EQ(un("&unknown; &#;"), "&unknown; &#;");
  auto fu = [](const char* s) { return u8(ftfy_unescape_html(utf8_decode_replace(s))); };
  EXPECT_EQ(fu("P&EACUTE;REZ &amp &nTILDE;"), "P\xC3\x89REZ &amp &nTILDE;");
}

}  // namespace
