// spaCy 3's English tokenization rules (spacy/lang/punctuation.py, spacy/lang/en/punctuation.py,
// spacy/lang/char_classes.py, spacy/lang/en/tokenizer_exceptions.py), re-implemented without
// regular expressions. The algorithm follows spaCy's Tokenizer: split on whitespace (a single
// ' ' is absorbed, other whitespace becomes a token), then per chunk: special cases, repeated
// prefix/suffix stripping (stopping at special cases), infix splitting of what remains.
// Character classes use ICU properties where spaCy lists scripts by hand; emoticons and
// URL/abbreviation exceptions are not reproduced (see docs/keywords.md).
#include "keywords/english_tokenizer.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <unordered_map>

namespace lincir::detail {
namespace {

using U32 = std::u32string;
using U32View = std::u32string_view;

// ---- character classes ------------------------------------------------------------------------

bool is_py_space(char32_t c) {
  return u_isUWhiteSpace(static_cast<UChar32>(c)) || (c >= 0x1c && c <= 0x1f);
}
// Invalid UTF-8 bytes decode to this value (outside Unicode) and count as letters, so that they
// never split a word.
constexpr char32_t kInvalid = 0x110000;

bool is_alpha(char32_t c) {
  return c == kInvalid || u_isalpha(static_cast<UChar32>(c));
}
// spaCy's ALPHA_LOWER / ALPHA_UPPER include uncased scripts (CJK, Hangul, ...).
bool is_alpha_lower(char32_t c) {
  return is_alpha(c) && !u_isupper(static_cast<UChar32>(c));
}
bool is_alpha_upper(char32_t c) {
  return is_alpha(c) && !u_islower(static_cast<UChar32>(c));
}
bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

const U32 kPunct = U"…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪";
const U32 kQuotes = U"'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉⟦⟧";
const U32 kCurrency1 = U"$£€¥฿₽﷼₴₠₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₵₶₷₸₹₺₻₼₾₿";

bool in(const U32& set, char32_t c) { return set.find(c) != U32::npos; }
bool is_icon(char32_t c) {
  return u_charType(static_cast<UChar32>(c)) == U_OTHER_SYMBOL;
}

// Units glued to a number ("5km") are split off as a suffix.
const std::vector<U32>& units() {
  static const std::vector<U32> u = {
      U"km", U"km²", U"km³", U"m", U"m²", U"m³", U"dm", U"dm²", U"dm³", U"cm", U"cm²", U"cm³",
      U"mm", U"mm²", U"mm³", U"ha", U"µm", U"nm", U"yd", U"in", U"ft", U"kg", U"g", U"mg", U"µg",
      U"t", U"lb", U"oz", U"m/s", U"km/h", U"kmh", U"mph", U"hPa", U"Pa", U"mbar", U"mb", U"MB",
      U"kb", U"KB", U"gb", U"GB", U"tb", U"TB", U"T", U"G", U"M", U"K", U"%"};
  return u;
}
const std::vector<U32>& multi_currency() {
  static const std::vector<U32> c = {U"US$", U"C$", U"A$"};
  return c;
}

// ---- special cases (tokenizer exceptions) -----------------------------------------------------

using Pieces = std::vector<U32>;

void add_exc(std::unordered_map<U32, Pieces>& m, const Pieces& pieces) {
  U32 key;
  for (const auto& p : pieces) key += p;
  m[key] = pieces;
  // spaCy lists lower-case and title-case forms; the title form capitalises the first piece.
  if (!pieces.empty() && !pieces[0].empty() && pieces[0][0] >= U'a' && pieces[0][0] <= U'z') {
    Pieces t = pieces;
    t[0][0] = static_cast<char32_t>(t[0][0] - U'a' + U'A');
    U32 tkey;
    for (const auto& p : t) tkey += p;
    m[tkey] = t;
  }
}

std::unordered_map<U32, Pieces> build_exceptions() {
  std::unordered_map<U32, Pieces> m;
  // Both the straight and the curly apostrophe.
  for (const U32& ap : {U32(U"'"), U32(U"’")}) {
    auto A = [&](const char32_t* s) {
      U32 out = ap;
      out.append(s);
      return out;
    };
    add_exc(m, {U"i", A(U"m")});
    add_exc(m, {U"i", A(U"m"), U"a"});
    for (const char32_t* p : {U"i", U"you", U"he", U"she", U"it", U"we", U"they"}) {
      add_exc(m, {p, A(U"ll")});
      add_exc(m, {p, A(U"ll"), A(U"ve")});
      add_exc(m, {p, A(U"d")});
      add_exc(m, {p, A(U"d"), A(U"ve")});
    }
    for (const char32_t* p : {U"i", U"you", U"we", U"they"}) add_exc(m, {p, A(U"ve")});
    for (const char32_t* p : {U"you", U"we", U"they"}) add_exc(m, {p, A(U"re")});
    for (const char32_t* p : {U"he", U"she", U"it"}) add_exc(m, {p, A(U"s")});
    for (const char32_t* w :
         {U"who", U"what", U"when", U"where", U"why", U"how", U"there", U"that"}) {
      for (const char32_t* s : {U"s", U"ll", U"re", U"ve", U"d"}) add_exc(m, {w, A(s)});
      add_exc(m, {w, A(U"ll"), A(U"ve")});
      add_exc(m, {w, A(U"d"), A(U"ve")});
    }
    for (const char32_t* v : {U"ca", U"could", U"do", U"does", U"did", U"had", U"may", U"might",
                              U"must", U"need", U"ought", U"sha", U"should", U"wo", U"would"}) {
      add_exc(m, {v, U"n" + A(U"t")});
      add_exc(m, {v, U"n" + A(U"t"), A(U"ve")});
    }
    for (const char32_t* v : {U"could", U"might", U"must", U"should", U"would"})
      add_exc(m, {v, A(U"ve")});
    for (const char32_t* v : {U"ai", U"are", U"is", U"was", U"were", U"have", U"has", U"dare"})
      add_exc(m, {v, U"n" + A(U"t")});
    for (const char32_t* w : {U"doin", U"goin", U"nothin", U"nuthin", U"ol", U"somethin"})
      add_exc(m, {U32(w) + ap});
    for (const char32_t* w : {U"cause", U"em", U"ll", U"nuff", U"cos", U"coz", U"cuz", U"bout"})
      add_exc(m, {A(w)});
    add_exc(m, {U"y" + ap, U"all"});
    add_exc(m, {U"how", A(U"d"), A(U"y")});
    add_exc(m, {U"not", A(U"ve")});
    add_exc(m, {U"let", A(U"s")});
    add_exc(m, {A(U"s")});
    add_exc(m, {A(U"re")});
    add_exc(m, {A(U"d")});
    add_exc(m, {U"ma" + ap + U"am"});
    add_exc(m, {U"o" + ap + U"clock"});
    add_exc(m, {U"lovin" + ap});
    add_exc(m, {U"havin" + ap});
  }
  // The same contractions written without an apostrophe.
  add_exc(m, {U"i", U"m"});
  add_exc(m, {U"i", U"m", U"a"});
  for (const char32_t* p : {U"i", U"you", U"he", U"she", U"it", U"we", U"they"}) {
    add_exc(m, {p, U"ll"});
    add_exc(m, {p, U"ll", U"ve"});
    add_exc(m, {p, U"d"});
    add_exc(m, {p, U"d", U"ve"});
  }
  for (const char32_t* p : {U"i", U"you", U"we", U"they"}) add_exc(m, {p, U"ve"});
  for (const char32_t* p : {U"you", U"we", U"they"}) add_exc(m, {p, U"re"});
  for (const char32_t* p : {U"he", U"she", U"it"}) add_exc(m, {p, U"s"});
  for (const char32_t* w :
       {U"who", U"what", U"when", U"where", U"why", U"how", U"there", U"that"}) {
    for (const char32_t* s : {U"s", U"ll", U"re", U"ve", U"d"}) add_exc(m, {w, s});
    add_exc(m, {w, U"ll", U"ve"});
    add_exc(m, {w, U"d", U"ve"});
  }
  for (const char32_t* v : {U"ca", U"could", U"do", U"does", U"did", U"had", U"may", U"might",
                            U"must", U"need", U"ought", U"sha", U"should", U"wo", U"would"}) {
    add_exc(m, {v, U"nt"});
    add_exc(m, {v, U"nt", U"ve"});
  }
  for (const char32_t* v : {U"could", U"might", U"must", U"should", U"would"})
    add_exc(m, {v, U"ve"});
  for (const char32_t* v : {U"ai", U"are", U"is", U"was", U"were", U"have", U"has", U"dare"})
    add_exc(m, {v, U"nt"});
  for (const char32_t* w : {U"doin", U"goin", U"nothin", U"nuthin", U"ol", U"somethin", U"cause",
                            U"em", U"ll", U"nuff", U"lovin", U"havin"})
    add_exc(m, {w});
  add_exc(m, {U"y", U"all"});
  add_exc(m, {U"not", U"ve"});
  add_exc(m, {U"can", U"not"});
  add_exc(m, {U"gon", U"na"});
  add_exc(m, {U"got", U"ta"});
  add_exc(m, {U"and/or"});
  add_exc(m, {U"w/o"});
  for (int h = 1; h <= 12; ++h) {
    U32 n;
    for (char ch : std::to_string(h)) n += static_cast<char32_t>(ch);
    for (const char32_t* p : {U"a.m.", U"am", U"p.m.", U"pm"}) add_exc(m, {n, p});
  }
  for (const char32_t* w : {U"a.m.", U"p.m.", U"e.g.", U"i.e.", U"vs.", U"co.", U"mt.", U"st.",
                            U"dr.", U"mr.", U"mrs.", U"ms.", U"jr.", U"inc.", U"ltd.", U"ph.d."})
    add_exc(m, {w});
  // spaCy drops these generated entries because they are ordinary words.
  for (const char32_t* w : {U"ill", U"its", U"hell", U"shell", U"shed", U"were", U"well",
                            U"whore", U"Ill", U"Its", U"Hell", U"Shell", U"Shed", U"Were",
                            U"Well", U"Whore"})
    m.erase(w);
  return m;
}

const std::unordered_map<U32, Pieces>& exceptions() {
  static const auto m = build_exceptions();
  return m;
}

size_t longest_exception() {
  static const size_t n = [] {
    size_t m = 0;
    for (const auto& kv : exceptions()) m = std::max(m, kv.first.size());
    return m;
  }();
  return n;
}

const Pieces* special(U32View s) {
  if (s.empty() || s.size() > longest_exception()) return nullptr;  // no copy of long chunks
  auto it = exceptions().find(U32(s));
  return it == exceptions().end() ? nullptr : &it->second;
}

// ---- affixes ----------------------------------------------------------------------------------

bool starts_with_at(U32View s, size_t pos, const U32& p) {
  return s.size() >= pos + p.size() && s.compare(pos, p.size(), p) == 0;
}

// Length of the prefix of `s` (0 if none).
size_t find_prefix(U32View s) {
  if (s.empty()) return 0;
  const char32_t c = s[0];
  if (c == U'§' || c == U'%' || c == U'=' || c == U'—' || c == U'–') return 1;
  if (c == U'+') return (s.size() > 1 && is_digit(s[1])) ? 0 : 1;
  if (in(kPunct, c)) return 1;
  if (c == U'.') {
    size_t n = 1;
    while (n < s.size() && s[n] == U'.') ++n;
    return n >= 2 ? n : 0;
  }
  if (in(kQuotes, c) || in(kCurrency1, c) || is_icon(c)) return 1;
  for (const auto& cur : multi_currency())
    if (starts_with_at(s, 0, cur)) return cur.size();
  return 0;
}

// Does a suffix alternative match s[pos:] exactly (to the end)?
bool suffix_at(U32View s, size_t pos) {
  const size_t rest = s.size() - pos;
  const char32_t c = s[pos];
  const char32_t prev = pos > 0 ? s[pos - 1] : 0;
  if (rest == 1) {
    if (in(kPunct, c) || in(kQuotes, c) || is_icon(c) || c == U'—' || c == U'–') return true;
    if (c == U'+' && pos > 0 && is_digit(prev)) return true;
    if (pos > 0 && is_digit(prev) && in(kCurrency1, c)) return true;
    if (c == U'.' && pos > 0) {
      if (pos >= 2 && s[pos - 2] == U'°' &&
          (prev == U'F' || prev == U'f' || prev == U'C' || prev == U'c' || prev == U'K' ||
           prev == U'k'))
        return true;
      if (is_digit(prev) || is_alpha_lower(prev) || prev == U'%' || prev == U'²' ||
          prev == U'-' || prev == U'+' || in(kQuotes, prev) || in(kPunct, prev))
        return true;
      if (pos >= 2 && is_alpha_upper(prev) && is_alpha_upper(s[pos - 2])) return true;
    }
  }
  if (c == U'.' && rest >= 2) {  // an ellipsis
    bool dots = true;
    for (size_t i = pos; i < s.size(); ++i) dots = dots && s[i] == U'.';
    if (dots) return true;
  }
  if (rest == 2 && (c == U'\'' || c == U'’') && (s[pos + 1] == U's' || s[pos + 1] == U'S'))
    return true;
  if (pos > 0 && is_digit(prev)) {
    for (const auto& cur : multi_currency())
      if (s.compare(pos, U32::npos, cur) == 0) return true;
    for (const auto& u : units())
      if (s.compare(pos, U32::npos, u) == 0) return true;
  }
  return false;
}

// Length of the suffix of `s`: the match that starts leftmost, as Python's re.search finds it.
// Only a trailing run of dots or the last few characters can match, so only those starts are
// tried (linear time on long chunks).
size_t find_suffix(U32View s) {
  const size_t n = s.size();
  size_t dots = 0;
  while (dots < n && s[n - 1 - dots] == U'.') ++dots;
  if (dots > 5) return dots;  // an ellipsis that starts before every other candidate
  for (size_t k = std::min<size_t>(n, 5); k >= 1; --k)
    if (suffix_at(s, n - k)) return k;
  return 0;
}

const std::vector<U32>& hyphens() {
  static const std::vector<U32> h = {U"-", U"–", U"—", U"--", U"---", U"——", U"~"};
  return h;
}

// Infix match starting at `pos` (length, or 0). Mirrors the alternatives of spaCy's English
// infixes in order.
size_t infix_at(U32View s, size_t pos) {
  const char32_t c = s[pos];
  const char32_t prev = pos > 0 ? s[pos - 1] : 0;
  auto next_is = [&](size_t len, auto pred) {
    return pos + len < s.size() && pred(s[pos + len]);
  };
  if (c == U'.' && pos + 1 < s.size() && s[pos + 1] == U'.') {
    size_t n = 2;
    while (pos + n < s.size() && s[pos + n] == U'.') ++n;
    return n;
  }
  if (c == U'…' || is_icon(c)) return 1;
  if (pos == 0) return 0;
  if (is_digit(prev) && (c == U'+' || c == U'-' || c == U'*' || c == U'^') &&
      next_is(1, [](char32_t n) { return is_digit(n) || n == U'-'; }))
    return 1;
  if (c == U'.' && (is_alpha_lower(prev) || in(kQuotes, prev)) &&
      next_is(1, [](char32_t n) { return is_alpha_upper(n) || in(kQuotes, n); }))
    return 1;
  if (c == U',' && is_alpha(prev) && next_is(1, is_alpha)) return 1;
  if (is_alpha(prev) || is_digit(prev)) {
    for (const auto& h : hyphens())
      if (starts_with_at(s, pos, h) && next_is(h.size(), is_alpha)) return h.size();
    if ((c == U':' || c == U'<' || c == U'>' || c == U'=' || c == U'/') && next_is(1, is_alpha))
      return 1;
  }
  return 0;
}

bool is_url_like(U32View s) {
  return starts_with_at(s, 0, U"http://") || starts_with_at(s, 0, U"https://") ||
         starts_with_at(s, 0, U"www.");
}

struct Piece {
  size_t begin, end;  // code point range in the chunk
};

// Tokenizes one whitespace-free chunk (code points [0, s.size())) into pieces.
void split_chunk(const U32& s, std::vector<Piece>& out) {
  if (const Pieces* sp = special(s)) {
    size_t p = 0;
    for (const auto& x : *sp) {
      out.push_back({p, p + x.size()});
      p += x.size();
    }
    return;
  }
  std::vector<Piece> prefixes, suffixes;
  size_t b = 0, e = s.size();
  const U32View sv(s);
  auto sub = [&](size_t x, size_t y) { return sv.substr(x, y - x); };
  size_t last = SIZE_MAX;
  bool stop_special = false;
  while (b < e && e - b != last) {
    const U32View cur = sub(b, e);
    if (is_url_like(cur)) break;
    if (special(cur)) {
      stop_special = true;
      break;
    }
    last = e - b;
    const size_t pre = find_prefix(cur);
    if (pre && pre < cur.size() && special(cur.substr(pre))) {
      prefixes.push_back({b, b + pre});
      b += pre;
      stop_special = true;
      break;
    }
    const size_t suf = find_suffix(cur.substr(pre));
    if (suf && cur.size() - suf > 0 && special(cur.substr(0, cur.size() - suf))) {
      suffixes.push_back({e - suf, e});
      e -= suf;
      stop_special = true;
      break;
    }
    if (pre && suf && pre + suf <= cur.size()) {
      prefixes.push_back({b, b + pre});
      suffixes.push_back({e - suf, e});
      b += pre;
      e -= suf;
    } else if (pre) {
      prefixes.push_back({b, b + pre});
      b += pre;
    } else if (suf) {
      suffixes.push_back({e - suf, e});
      e -= suf;
    }
    if (b < e && special(sub(b, e))) {
      stop_special = true;
      break;
    }
  }
  out.insert(out.end(), prefixes.begin(), prefixes.end());
  if (b < e) {
    const U32View mid = sub(b, e);
    if (const Pieces* sp = stop_special ? special(mid) : nullptr) {
      size_t p = b;
      for (const auto& x : *sp) {
        out.push_back({p, p + x.size()});
        p += x.size();
      }
    } else if (is_url_like(mid)) {
      out.push_back({b, e});
    } else {
      size_t start = 0;
      size_t pos = 0;
      while (pos < mid.size()) {
        const size_t len = infix_at(mid, pos);
        if (len == 0) {
          ++pos;
          continue;
        }
        if (pos > start) out.push_back({b + start, b + pos});
        out.push_back({b + pos, b + pos + len});
        pos += len;
        start = pos;
      }
      if (start < mid.size()) out.push_back({b + start, e});
    }
  }
  out.insert(out.end(), suffixes.rbegin(), suffixes.rend());
}

}  // namespace

std::vector<RawToken> tokenize_spacy_english(std::string_view text) {
  // Decode to code points, remembering each one's byte offset.
  U32 cps;
  std::vector<size_t> off;
  cps.reserve(text.size());
  off.reserve(text.size() + 1);
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    off.push_back(static_cast<size_t>(i));
    UChar32 c;
    U8_NEXT(bytes, i, n, c);
    cps.push_back(c < 0 ? kInvalid : static_cast<char32_t>(c));
  }
  off.push_back(text.size());

  std::vector<RawToken> out;
  auto emit_chunk = [&](size_t b, size_t e) {
    std::vector<Piece> pieces;
    split_chunk(cps.substr(b, e - b), pieces);
    for (const auto& p : pieces) out.push_back({off[b + p.begin], off[b + p.end], false});
  };
  size_t start = 0;
  bool in_ws = false;
  for (size_t i = 0; i < cps.size(); ++i) {
    const bool ws = is_py_space(cps[i]);
    if (ws == in_ws) continue;
    if (start < i) {
      if (in_ws)
        out.push_back({off[start], off[i], true});
      else
        emit_chunk(start, i);
    }
    // A single ' ' after a word is absorbed; any other whitespace starts a whitespace token.
    start = (cps[i] == U' ' && ws) ? i + 1 : i;
    in_ws = ws;
  }
  if (start < cps.size()) {
    if (in_ws)
      out.push_back({off[start], off[cps.size()], true});
    else
      emit_chunk(start, cps.size());
  }
  return out;
}

}  // namespace lincir::detail
