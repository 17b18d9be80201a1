#include "lincir/captions.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace lincir {
namespace {

namespace fs = std::filesystem;
constexpr size_t kMaxLine = size_t(1) << 20;  // longer lines are malformed (and skipped)

enum class Format { text, jsonl, csv, tsv };

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Format from the name with an optional ".gz" removed; nullopt-like `ok=false` for other files.
bool caption_format(std::string name, Format* f) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ends_with(name, ".gz")) name.resize(name.size() - 3);
  if (ends_with(name, ".jsonl") || ends_with(name, ".json")) *f = Format::jsonl;
  else if (ends_with(name, ".csv")) *f = Format::csv;
  else if (ends_with(name, ".tsv")) *f = Format::tsv;
  else if (ends_with(name, ".txt")) *f = Format::text;
  else return false;
  return true;
}

bool valid_utf8(const std::string& s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Splits one CSV record (RFC 4180: quoted fields, doubled quotes). Returns false on an
// unterminated quote.
bool split_csv(const std::string& line, char sep, bool quotes, std::vector<std::string>* out) {
  out->clear();
  std::string field;
  bool in_q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_q) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_q = false;
        }
      } else {
        field.push_back(c);
      }
    } else if (quotes && c == '"' && field.empty()) {
      in_q = true;
    } else if (c == sep) {
      out->push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  if (in_q) return false;
  out->push_back(std::move(field));
  return true;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

struct CaptionStream::Impl {
  CaptionStreamOptions opt;
  std::vector<std::string> files;
  std::vector<Format> formats;
  CaptionStreamStats stats;
  // Reader state.
  size_t file_idx = 0;
  gzFile gz = nullptr;
  uint64_t line_no = 0;
  int column = -1;  // csv/tsv caption column, from the header
  int n_columns = 0;
  bool pass_had_record = false;
  uint64_t warnings = 0;
  std::vector<char> buf = std::vector<char>(64 * 1024);
  // Shuffle state.
  std::vector<CaptionRecord> pool;
  uint64_t rng = 0;
  bool exhausted = false;  // no more records in this pass

  ~Impl() { close(); }
  void close() {
    if (gz) gzclose(gz);
    gz = nullptr;
  }

  void warn(const std::string& reason) {
    ++stats.malformed;
    if (opt.on_warning) {
      opt.on_warning(files[file_idx], line_no, reason);
    } else if (warnings++ < 10) {
      std::cerr << "lincir: warning: " << files[file_idx] << ":" << line_no << ": " << reason
                << ", skipped\n";
    }
  }

  // Reads one physical line; false at end of file. Over-long lines are returned truncated with
  // *too_long set (the rest is consumed).
  bool read_line(std::string* line, bool* too_long) {
    line->clear();
    *too_long = false;
    for (;;) {
      if (!gzgets(gz, buf.data(), static_cast<int>(buf.size()))) {
        int err = 0;
        const char* msg = gzerror(gz, &err);
        if (err != Z_OK && err != Z_STREAM_END)
          LINCIR_THROW(Status::format, "cannot read '" + files[file_idx] + "': " + msg);
        return !line->empty();
      }
      size_t n = std::strlen(buf.data());
      if (line->size() < kMaxLine) line->append(buf.data(), n);
      else *too_long = true;
      if (n > 0 && buf[n - 1] == '\n') break;
    }
    if (line->size() > kMaxLine) *too_long = true;
    while (!line->empty() && (line->back() == '\n' || line->back() == '\r')) line->pop_back();
    return true;
  }

  bool open_next_file() {
    close();
    while (file_idx < files.size()) {
      gz = gzopen(files[file_idx].c_str(), "rb");
      if (!gz) LINCIR_THROW(Status::io, "cannot open '" + files[file_idx] + "'");
      gzbuffer(gz, 256 * 1024);
      line_no = 0;
      column = -1;
      if (formats[file_idx] == Format::csv || formats[file_idx] == Format::tsv) {
        std::string header;
        bool too_long = false;
        if (!read_line(&header, &too_long)) {
          close();
          ++file_idx;
          continue;
        }
        ++line_no;
        std::vector<std::string> cols;
        const bool csv = formats[file_idx] == Format::csv;
        if (header.size() >= 3 && header.compare(0, 3, "\xEF\xBB\xBF") == 0) header.erase(0, 3);
        split_csv(header, csv ? ',' : '\t', csv, &cols);
        for (size_t i = 0; i < cols.size(); ++i)
          if (trim(cols[i]) == opt.field) column = static_cast<int>(i);
        if (column < 0)
          LINCIR_THROW(Status::format, "'" + files[file_idx] + "' has no column '" + opt.field +
                                           "' in its header line");
        n_columns = static_cast<int>(cols.size());
      }
      return true;
    }
    return false;
  }

  // Next valid record of the current pass (file order); false when the pass is over.
  bool read_record(CaptionRecord* rec) {
    for (;;) {
      if (!gz && !open_next_file()) return false;
      std::string line;
      bool too_long = false;
      if (!read_line(&line, &too_long)) {
        close();
        ++file_idx;
        continue;
      }
      ++line_no;
      ++stats.lines_read;
      if (too_long) {
        warn("line longer than 1 MiB");
        continue;
      }
      if (trim(line).empty()) continue;  // blank lines are not records
      if (line_no == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
      if (!parse(line, rec)) continue;
      rec->text = trim(rec->text);
      if (rec->text.empty()) {
        warn("empty caption");
        continue;
      }
      if (!valid_utf8(rec->text)) {
        warn("invalid UTF-8");
        continue;
      }
      pass_had_record = true;
      return true;
    }
  }

  bool parse(const std::string& line, CaptionRecord* rec) {
    rec->spans.clear();
    rec->has_spans = false;
    switch (formats[file_idx]) {
      case Format::text: rec->text = line; return true;
      case Format::jsonl: {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return warn("invalid JSON"), false;
        auto it = j.find(opt.field);
        if (it == j.end() || !it->is_string()) return warn("no string field '" + opt.field + "'"), false;
        rec->text = it->get<std::string>();
        auto sp = j.find(opt.spans_field);
        if (sp != j.end() && !sp->is_null()) {
          if (!sp->is_array()) return warn("'" + opt.spans_field + "' is not a list"), false;
          for (const auto& s : *sp) {
            if (!s.is_string()) return warn("'" + opt.spans_field + "' holds a non-string"), false;
            rec->spans.push_back(s.get<std::string>());
          }
          rec->has_spans = true;
        }
        return true;
      }
      case Format::csv:
      case Format::tsv: {
        const bool csv = formats[file_idx] == Format::csv;
        std::vector<std::string> cols;
        if (!split_csv(line, csv ? ',' : '\t', csv, &cols)) return warn("unterminated quote"), false;
        if (static_cast<int>(cols.size()) != n_columns)
          return warn(std::to_string(cols.size()) + " columns, header has " +
                      std::to_string(n_columns)), false;
        rec->text = cols[static_cast<size_t>(column)];
        return true;
      }
    }
    return false;
  }

  void start_pass() {
    close();
    file_idx = 0;
    pass_had_record = false;
    exhausted = false;
    rng = opt.seed * 0x9E3779B97F4A7C15ull + stats.epoch + 1;
    pool.clear();
  }

  bool next(CaptionRecord& out) {
    const size_t cap = std::max<size_t>(opt.shuffle_buffer, 1);
    for (;;) {
      while (!exhausted && pool.size() < cap) {
        CaptionRecord r;
        if (read_record(&r)) pool.push_back(std::move(r));
        else exhausted = true;
      }
      if (!pool.empty()) {
        size_t j = cap == 1 ? 0 : static_cast<size_t>(splitmix64(rng) % pool.size());
        out = std::move(pool[j]);
        if (j != pool.size() - 1) pool[j] = std::move(pool.back());
        pool.pop_back();
        ++stats.records;
        return true;
      }
      if (!pass_had_record)
        LINCIR_THROW(Status::format, "no valid caption in " + std::to_string(files.size()) +
                                         " file(s) starting with '" + files[0] + "' (" +
                                         std::to_string(stats.malformed) + " malformed lines)");
      if (!opt.loop) return false;
      ++stats.epoch;
      start_pass();
    }
  }
};

CaptionStream::CaptionStream(const std::string& path, const CaptionStreamOptions& options)
    : impl_(std::make_unique<Impl>()) {
  LINCIR_CHECK(!options.field.empty(), "caption field name is empty");
  impl_->opt = options;
  std::error_code ec;
  Format f;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it); it.increment(ec)) {
      if (it->is_regular_file(ec) && caption_format(it->path().filename().string(), &f))
        impl_->files.push_back(it->path().string());
    }
    std::sort(impl_->files.begin(), impl_->files.end());
    if (impl_->files.empty())
      LINCIR_THROW(Status::io, "no caption files (.txt/.jsonl/.csv/.tsv, optionally .gz) in '" + path + "'");
  } else if (fs::is_regular_file(path, ec)) {
    impl_->files.push_back(path);
  } else {
    LINCIR_THROW(Status::io, "caption file or folder '" + path + "' does not exist");
  }
  for (const auto& file : impl_->files) {
    if (!caption_format(fs::path(file).filename().string(), &f)) f = Format::text;
    impl_->formats.push_back(f);
  }
  impl_->start_pass();
}

CaptionStream::~CaptionStream() = default;
CaptionStream::CaptionStream(CaptionStream&&) noexcept = default;
CaptionStream& CaptionStream::operator=(CaptionStream&&) noexcept = default;

bool CaptionStream::next(CaptionRecord& out) { return impl_->next(out); }

void CaptionStream::skip(uint64_t n) {
  CaptionRecord r;
  for (uint64_t i = 0; i < n; ++i)
    if (!impl_->next(r)) return;
}

const CaptionStreamStats& CaptionStream::stats() const { return impl_->stats; }
const std::vector<std::string>& CaptionStream::files() const { return impl_->files; }

}  // namespace lincir
