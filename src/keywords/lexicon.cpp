#include "keywords/lexicon.hpp"

#include <zlib.h>

#include <cstdlib>

#include "lincir/common.hpp"

extern "C" {
extern const unsigned char lincir_detail_keywords_lexicon_gz[];
extern const unsigned char lincir_detail_keywords_lexicon_gz_end[];
}

namespace lincir::detail {
namespace {

std::string gunzip(const unsigned char* data, size_t size) {
  z_stream zs{};
  LINCIR_CHECK_STATUS(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, Status::internal,
                      "keyword lexicon: inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      LINCIR_THROW(Status::internal, "keyword lexicon: embedded data is not valid gzip");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      LINCIR_THROW(Status::internal, "keyword lexicon: embedded data is truncated");
    }
  }
  inflateEnd(&zs);
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> f;
  size_t p = 0;
  while (true) {
    const size_t t = line.find('\t', p);
    f.push_back(line.substr(p, t == std::string_view::npos ? std::string_view::npos : t - p));
    if (t == std::string_view::npos) break;
    p = t + 1;
  }
  return f;
}

uint32_t to_u32(std::string_view s, size_t line_no) {
  uint32_t v = 0;
  LINCIR_CHECK_STATUS(!s.empty() && s.size() < 10, Status::format,
                      "keyword lexicon line " + std::to_string(line_no) + ": bad count");
  for (char c : s) {
    LINCIR_CHECK_STATUS(c >= '0' && c <= '9', Status::format,
                        "keyword lexicon line " + std::to_string(line_no) + ": bad count");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

WordClass class_of(char c, size_t line_no) {
  switch (c) {
    case 'n': return kNoun;
    case 'v': return kVerb;
    case 'a': return kAdj;
    case 'r': return kAdv;
    default:
      LINCIR_THROW(Status::format,
                   "keyword lexicon line " + std::to_string(line_no) + ": bad word class");
  }
}

}  // namespace

Lexicon Lexicon::parse(std::string_view text) {
  Lexicon lex;
  size_t p = 0, line_no = 0;
  while (p < text.size()) {
    size_t nl = text.find('\n', p);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(p, nl - p);
    p = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const auto f = split_tabs(line);
    const std::string where = "keyword lexicon line " + std::to_string(line_no);
    if (f[0] == "W") {
      LINCIR_CHECK_STATUS(f.size() == 7, Status::format, where + ": expected 7 fields");
      LemmaInfo info;
      for (char c : f[2]) info.classes |= class_of(c, line_no);
      for (int i = 0; i < 4; ++i) info.count[i] = to_u32(f[3 + i], line_no);
      lex.lemmas_[std::string(f[1])] = info;
    } else if (f[0] == "X") {
      LINCIR_CHECK_STATUS(f.size() == 4 && f[3].size() == 1, Status::format,
                          where + ": expected 4 fields");
      lex.irregular_[std::string(f[1])].push_back({std::string(f[2]), class_of(f[3][0], line_no)});
    } else if (f[0] == "C") {
      LINCIR_CHECK_STATUS(f.size() == 3, Status::format, where + ": expected 3 fields");
      lex.compounds_.insert(std::string(f[1]) + ' ' + std::string(f[2]));
    } else {
      LINCIR_THROW(Status::format, where + ": unknown record type");
    }
  }
  return lex;
}

const Lexicon& Lexicon::embedded() {
  static const Lexicon lex = [] {
    const size_t size = static_cast<size_t>(lincir_detail_keywords_lexicon_gz_end -
                                            lincir_detail_keywords_lexicon_gz);
    Lexicon l = parse(gunzip(lincir_detail_keywords_lexicon_gz, size));
    LINCIR_CHECK_STATUS(l.size() > 1000, Status::internal, "keyword lexicon: embedded data is empty");
    return l;
  }();
  return lex;
}

const LemmaInfo* Lexicon::find(std::string_view lemma) const {
  auto it = lemmas_.find(std::string(lemma));
  return it == lemmas_.end() ? nullptr : &it->second;
}

const std::vector<Irregular>* Lexicon::irregular(std::string_view form) const {
  auto it = irregular_.find(std::string(form));
  return it == irregular_.end() ? nullptr : &it->second;
}

bool Lexicon::ing_compound(std::string_view first, std::string_view second) const {
  std::string key(first);
  key += ' ';
  key += second;
  return compounds_.count(key) != 0;
}

}  // namespace lincir::detail
