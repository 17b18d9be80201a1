#include "lincir/tokenizer.hpp"

#include <zlib.h>

#include <array>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "core/file_io.hpp"
#include "tokenizer/bpe_vocab.hpp"
#include "tokenizer/clip_text.hpp"
#include "tokenizer/utf8.hpp"

extern "C" const unsigned char lincir_detail_bpe_vocab_gz[];
extern "C" const unsigned char lincir_detail_bpe_vocab_gz_end[];

namespace lincir {
namespace {

// Inflates a gzip/zlib stream, stopping once `max_lines` lines are complete (the merges file has
// ~262k lines of which the first 48,895 are used). Throws Error(format) if it is corrupt.
std::string gunzip_lines(const unsigned char* data, size_t size, size_t max_lines,
                         const std::string& source) {
  z_stream zs{};
  LINCIR_CHECK_STATUS(inflateInit2(&zs, 15 + 32) == Z_OK, Status::internal,
                      "zlib: inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  std::string out;
  size_t lines = 0;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END && lines < max_lines) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      LINCIR_THROW(Status::format,
                   source + ": corrupt gzip data (zlib error " + std::to_string(rc) + ")");
    }
    const size_t n = sizeof(buf) - zs.avail_out;
    for (size_t i = 0; i < n; ++i) lines += buf[i] == '\n';
    out.append(buf, n);
    if (n == 0 && zs.avail_in == 0 && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      LINCIR_THROW(Status::format, source + ": truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

std::string merges_text(const unsigned char* data, size_t size, const std::string& source) {
  const bool gz = size >= 2 && data[0] == 0x1F && data[1] == 0x8B;
  if (!gz) return std::string(reinterpret_cast<const char*>(data), size);
  return gunzip_lines(data, size, detail::BpeVocab::kNumMerges + 1, source);
}

// Caches the BPE ids of recent words. Sharded so that concurrent callers rarely contend; a full
// shard is simply emptied (the cache only saves time, it never changes a result).
class BpeCache {
 public:
  bool get(const std::string& word, std::vector<int32_t>& out) const {
    Shard& s = shard(word);
    std::lock_guard<std::mutex> lock(s.mutex);
    const auto it = s.map.find(word);
    if (it == s.map.end()) return false;
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }
  void put(const std::string& word, const int32_t* ids, size_t n) const {
    if (word.size() > kMaxWordBytes) return;
    Shard& s = shard(word);
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.map.size() >= kMaxEntriesPerShard) s.map.clear();
    s.map.emplace(word, std::vector<int32_t>(ids, ids + n));
  }

 private:
  static constexpr size_t kShards = 16, kMaxEntriesPerShard = 4096, kMaxWordBytes = 128;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  Shard& shard(const std::string& w) const {
    return shards_[std::hash<std::string>()(w) % kShards];
  }
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace

struct Tokenizer::Impl {
  explicit Impl(detail::BpeVocab v) : vocab(std::move(v)) {}
  detail::BpeVocab vocab;
  BpeCache cache;
};

Tokenizer::Tokenizer() {
  // The embedded vocabulary is parsed once per process and shared by every default Tokenizer.
  static const std::shared_ptr<const Impl> standard = [] {
    const std::string source = "embedded bpe_simple_vocab_16e6.txt.gz";
    const auto size =
        static_cast<size_t>(lincir_detail_bpe_vocab_gz_end - lincir_detail_bpe_vocab_gz);
    return std::make_shared<const Impl>(detail::BpeVocab::from_merges(
        merges_text(lincir_detail_bpe_vocab_gz, size, source), source));
  }();
  impl_ = standard;
}

Tokenizer Tokenizer::from_file(const std::string& path) {
  const auto file = detail::MappedFile::open(path);
  Tokenizer t;
  t.impl_ = std::make_shared<const Impl>(
      detail::BpeVocab::from_merges(merges_text(file->data(), file->size(), path), path));
  return t;
}

Tokenizer::Tokenizer(const Tokenizer&) = default;
Tokenizer& Tokenizer::operator=(const Tokenizer&) = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

int Tokenizer::vocab_size() const {
  return impl_->vocab.size();
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  const detail::BpeVocab& vocab = impl_->vocab;
  const std::u32string clean = detail::clip_clean(detail::utf8_decode_replace(text));
  std::vector<int32_t> ids;
  std::string word;
  for (const detail::PreToken& p :
       detail::clip_pretokenize(clean, vocab.sot_id(), vocab.eot_id())) {
    if (p.special) {
      ids.push_back(p.special);
      continue;
    }
    word = detail::utf8_encode(std::u32string_view(clean).substr(p.begin, p.end - p.begin));
    if (impl_->cache.get(word, ids)) continue;
    const size_t before = ids.size();
    vocab.encode_word(word, ids);
    impl_->cache.put(word, ids.data() + before, ids.size() - before);
  }
  return ids;
}

namespace {

void check_context_length(int context_length) {
  LINCIR_CHECK(context_length >= 2,
               "Tokenizer::tokenize: context_length must be at least 2 (room "
               "for <|startoftext|> and <|endoftext|>), got " +
                   std::to_string(context_length));
}

// clip.tokenize for one row: SOT + ids + EOT, truncated (last id forced to EOT) or rejected when
// too long, zero-padded.
void fill_row(const std::vector<int32_t>& ids, int32_t sot, int32_t eot, int context_length,
              bool truncate, int32_t* row, const std::string& what) {
  const size_t ctx = static_cast<size_t>(context_length);
  const size_t n = ids.size() + 2;
  LINCIR_CHECK(n <= ctx || truncate, "Tokenizer::tokenize: " + what + " has " + std::to_string(n) +
                                         " tokens, more than context_length " +
                                         std::to_string(context_length) +
                                         " (pass truncate=true to cut it)");
  std::fill(row, row + ctx, 0);
  row[0] = sot;
  const size_t body = std::min(ids.size(), ctx - 1);
  std::copy(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(body), row + 1);
  row[std::min(n, ctx) - 1] = eot;
}

}  // namespace

std::vector<int32_t> Tokenizer::tokenize(std::string_view text, int context_length,
                                         bool truncate) const {
  check_context_length(context_length);
  std::vector<int32_t> row(static_cast<size_t>(context_length));
  fill_row(encode(text), impl_->vocab.sot_id(), impl_->vocab.eot_id(), context_length, truncate,
           row.data(), "the text");
  return row;
}

std::vector<int32_t> Tokenizer::tokenize(const std::vector<std::string>& texts, int context_length,
                                         bool truncate) const {
  check_context_length(context_length);
  const size_t ctx = static_cast<size_t>(context_length);
  std::vector<int32_t> out(texts.size() * ctx);
  for (size_t i = 0; i < texts.size(); ++i)
    fill_row(encode(texts[i]), impl_->vocab.sot_id(), impl_->vocab.eot_id(), context_length,
             truncate, out.data() + i * ctx, "text " + std::to_string(i));
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  const detail::BpeVocab& vocab = impl_->vocab;
  std::string bytes;
  bool after_eot = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    LINCIR_CHECK(id >= 0 && id < vocab.size(), "Tokenizer::decode: id " + std::to_string(id) +
                                                   " at position " + std::to_string(i) +
                                                   " is outside the vocabulary [0, " +
                                                   std::to_string(vocab.size()) + ")");
    if (skip_special) {
      if (id == vocab.sot_id()) continue;
      if (id == vocab.eot_id()) {
        after_eot = true;
        continue;
      }
      if (after_eot && id == 0) continue;
    }
    bytes += vocab.token_bytes(id);
  }
  // bytearray(...).decode("utf-8", errors="replace").replace("</w>", " ")
  const std::string text = detail::utf8_encode(detail::utf8_decode_replace(bytes));
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 4, "</w>") == 0) {
      out.push_back(' ');
      i += 4;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace lincir
