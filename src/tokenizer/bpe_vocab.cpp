#include "tokenizer/bpe_vocab.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>

#include "lincir/common.hpp"
#include "tokenizer/utf8.hpp"

namespace lincir::detail {
namespace {

// bytes_to_unicode(): the printable bytes map to themselves, the other 68 to U+0100.. in order.
struct ByteAlphabet {
  char32_t symbol[256];
  int order[256];    // position of each byte in the vocabulary (ids 0..255)
  int byte_of[512];  // symbol (all below U+0200) -> byte, -1 for other code points
  ByteAlphabet() {
    auto printable = [](int b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int pos = 0, extra = 0;
    for (int b = 0; b < 256; ++b)
      if (printable(b)) symbol[b] = static_cast<char32_t>(b), order[b] = pos++;
    for (int b = 0; b < 256; ++b)
      if (!printable(b)) symbol[b] = static_cast<char32_t>(256 + extra++), order[b] = pos++;
    std::fill(std::begin(byte_of), std::end(byte_of), -1);
    for (int b = 0; b < 256; ++b) byte_of[symbol[b]] = b;
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet a;
  return a;
}

std::string_view next_line(std::string_view& text) {
  const size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

}  // namespace

BpeVocab BpeVocab::from_merges(std::string_view text, const std::string& source) {
  const ByteAlphabet& ab = alphabet();
  BpeVocab v;
  std::vector<std::string> names;  // token strings (UTF-8 of the byte symbols), per id
  names.reserve(256 * 2 + kNumMerges + 2);
  std::string byte_order_names[256];
  for (int b = 0; b < 256; ++b) {
    std::string s;
    utf8_append(s, ab.symbol[b]);
    byte_order_names[ab.order[b]] = s;
  }
  for (int k = 0; k < 256; ++k) names.push_back(byte_order_names[k]);
  for (int k = 0; k < 256; ++k) names.push_back(byte_order_names[k] + "</w>");

  next_line(text);  // "#version" header
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(kNumMerges);
  for (int i = 0; i < kNumMerges; ++i) {
    LINCIR_CHECK_STATUS(!text.empty(), Status::format,
                        source + ": merges file has only " + std::to_string(i) + " merges, " +
                            std::to_string(kNumMerges) + " are needed");
    std::string_view line = next_line(text);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF files
    const size_t sp = line.find(' ');
    const bool ok = sp != std::string_view::npos && sp > 0 && sp + 1 < line.size() &&
                    line.find(' ', sp + 1) == std::string_view::npos &&
                    line.find_first_of("\t\r") == std::string_view::npos;
    LINCIR_CHECK_STATUS(ok, Status::format,
                        source + ": line " + std::to_string(i + 2) + " is not \"left right\"");
    merges.emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
    names.push_back(merges.back().first + merges.back().second);
  }
  names.push_back("<|startoftext|>");
  names.push_back("<|endoftext|>");

  // Token strings may repeat; like Python's dict(zip(vocab, range)), the last id wins.
  std::unordered_map<std::string, int32_t> encoder;
  encoder.reserve(names.size());
  for (size_t id = 0; id < names.size(); ++id) encoder[names[id]] = static_cast<int32_t>(id);

  for (int b = 0; b < 256; ++b) {
    v.byte_id_[b] = encoder.at(byte_order_names[ab.order[b]]);
    v.byte_end_id_[b] = encoder.at(byte_order_names[ab.order[b]] + "</w>");
  }
  v.merges_.reserve(merges.size());
  v.ordered_ = encoder.size() == names.size();  // no token string repeats
  for (size_t r = 0; r < merges.size(); ++r) {
    const auto l = encoder.find(merges[r].first), rr = encoder.find(merges[r].second);
    if (l == encoder.end() || rr == encoder.end()) {  // can never apply
      v.ordered_ = false;
      continue;
    }
    // Merge results have ids 512 + rank: the parts must be bytes or results of earlier merges.
    const auto rank = static_cast<int32_t>(r);
    if ((l->second >= 512 && l->second - 512 >= rank) ||
        (rr->second >= 512 && rr->second - 512 >= rank))
      v.ordered_ = false;
    v.merges_[key(l->second, rr->second)] = {rank, encoder.at(merges[r].first + merges[r].second)};
  }

  // Bytes of every token: each symbol maps back to its byte.
  v.bytes_.reserve(names.size());
  for (size_t id = 0; id < names.size(); ++id) {
    std::u32string cps;
    LINCIR_CHECK_STATUS(utf8_decode_strict(names[id], cps), Status::format,
                        source + ": token " + std::to_string(id) + " is not valid UTF-8");
    std::string bytes;
    for (char32_t c : cps) {
      const int b = c < 512 ? ab.byte_of[c] : -1;
      LINCIR_CHECK_STATUS(b >= 0, Status::format,
                          source + ": token " + std::to_string(id) +
                              " holds a character outside the byte alphabet");
      bytes.push_back(static_cast<char>(b));
    }
    v.bytes_.push_back(std::move(bytes));
  }
  v.sot_ = encoder.at("<|startoftext|>");
  v.eot_ = encoder.at("<|endoftext|>");
  return v;
}

void BpeVocab::encode_word(std::string_view utf8, std::vector<int32_t>& out) const {
  if (!ordered_ || utf8.size() < 3) return encode_word_naive(utf8, out);
  // Symbols form a linked list over their initial positions; a merge keeps the left position.
  // Candidate pairs wait in a heap ordered by (rank, position). Since merges are in training
  // order, a merge only creates pairs of higher rank than its own, so the heap pops every
  // occurrence of the current lowest-rank pair left to right before any other pair, which is
  // exactly the direct procedure. Entries made stale by earlier merges are skipped.
  const size_t n = utf8.size();
  std::vector<int32_t> id(n);
  std::vector<int32_t> prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    id[i] = byte_id_[static_cast<unsigned char>(utf8[i])];
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  id[n - 1] = byte_end_id_[static_cast<unsigned char>(utf8.back())];
  struct Candidate {
    int32_t rank, pos, left, right;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::vector<Candidate> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0) return;
    const int32_t nx = next[static_cast<size_t>(pos)];
    if (nx < 0) return;
    const auto it = merges_.find(key(id[static_cast<size_t>(pos)], id[static_cast<size_t>(nx)]));
    if (it == merges_.end()) return;
    heap.push_back(
        {it->second.rank, pos, id[static_cast<size_t>(pos)], id[static_cast<size_t>(nx)]});
    std::push_heap(heap.begin(), heap.end(), std::greater<Candidate>());
  };
  for (size_t i = 0; i + 1 < n; ++i) push(static_cast<int32_t>(i));
  std::vector<bool> gone(n, false);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Candidate>());
    const Candidate c = heap.back();
    heap.pop_back();
    const auto p = static_cast<size_t>(c.pos);
    const int32_t nx = next[p];
    if (gone[p] || nx < 0 || id[p] != c.left || id[static_cast<size_t>(nx)] != c.right) continue;
    id[p] = merges_.at(key(c.left, c.right)).merged;
    gone[static_cast<size_t>(nx)] = true;
    next[p] = next[static_cast<size_t>(nx)];
    if (next[p] >= 0) prev[static_cast<size_t>(next[p])] = c.pos;
    push(prev[p]);
    push(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = next[static_cast<size_t>(i)])
    out.push_back(id[static_cast<size_t>(i)]);
}

void BpeVocab::encode_word_naive(std::string_view utf8, std::vector<int32_t>& out) const {
  if (utf8.empty()) return;
  std::vector<int32_t> word(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) word[i] = byte_id_[static_cast<unsigned char>(utf8[i])];
  word.back() = byte_end_id_[static_cast<unsigned char>(utf8.back())];

  std::vector<int32_t> next;
  next.reserve(word.size());
  while (word.size() > 1) {
    // The adjacent pair with the lowest merge rank ...
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    int32_t first = 0, second = 0, merged = 0;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = merges_.find(key(word[i], word[i + 1]));
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        first = word[i];
        second = word[i + 1];
        merged = it->second.merged;
      }
    }
    if (best_rank == std::numeric_limits<int32_t>::max()) break;
    // ... is merged at every occurrence, left to right.
    next.clear();
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == first && word[i + 1] == second) {
        next.push_back(merged);
        i += 2;
      } else {
        next.push_back(word[i++]);
      }
    }
    word.swap(next);
  }
  out.insert(out.end(), word.begin(), word.end());
}

}  // namespace lincir::detail
