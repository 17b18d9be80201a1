// Caption corpora for training the projector: streamed from plain text (one caption per line),
// JSON lines (a named field, optional precomputed keyword spans), CSV/TSV (a named column),
// gzip-compressed versions of each (detected from the content, not the name), and folders of
// such files (read recursively in sorted order). The corpus is never loaded into memory: records
// pass through a fixed-size shuffle buffer.
//
// Malformed lines (invalid JSON, missing field, wrong column count, empty caption, invalid UTF-8)
// are counted and skipped with a warning; reading fails with Error(format) only when a whole pass
// over the corpus yields no valid caption.
//
// The order of records is a pure function of (files, options.seed): reading the same corpus with
// the same seed gives the same sequence, and skip(n) reproduces the state after n records, which
// is how training resumes bit-exactly.
//
// Thread safety: one thread at a time per CaptionStream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

struct CaptionRecord {
  std::string text;
  // Keyword spans given by the file (jsonl `spans_field`, a list of strings); empty = none given.
  std::vector<std::string> spans;
  bool has_spans = false;
};

struct CaptionStreamOptions {
  std::string field = "caption";     // jsonl key / csv-tsv header column with the caption
  std::string spans_field = "spans"; // jsonl key with precomputed spans (optional)
  size_t shuffle_buffer = 10000;     // 0 or 1 = file order
  uint64_t seed = 0;
  bool loop = true;                  // start a new epoch (new shuffle) at the end
  // Called for each skipped malformed line (file, line number, reason). Default: log to stderr,
  // at most 10 times per stream.
  std::function<void(const std::string& file, uint64_t line, const std::string& reason)> on_warning;
};

struct CaptionStreamStats {
  uint64_t lines_read = 0;
  uint64_t malformed = 0;
  uint64_t records = 0;  // records returned so far
  uint64_t epoch = 0;
};

class CaptionStream {
 public:
  // `path` is a file or a folder. Throws Error(io) if it does not exist or a folder holds no
  // caption file, Error(invalid_argument) for bad options.
  CaptionStream(const std::string& path, const CaptionStreamOptions& options = {});
  ~CaptionStream();
  CaptionStream(CaptionStream&&) noexcept;
  CaptionStream& operator=(CaptionStream&&) noexcept;

  // The next record; false when the corpus is exhausted (only if !loop).
  bool next(CaptionRecord& out);
  // Advances by n records as if next() had been called n times.
  void skip(uint64_t n);
  const CaptionStreamStats& stats() const;
  // The caption files found, in reading order.
  const std::vector<std::string>& files() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lincir
