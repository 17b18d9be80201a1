#include "projector/torch_pickle.hpp"

#include <cstring>
#include <limits>

#include "lincir/common.hpp"

namespace lincir::detail {

const PyValue* PyValue::get(const std::string& key) const {
  if (kind != Kind::dict) return nullptr;
  auto it = index.find(key);
  return it == index.end() ? nullptr : entries[it->second].second;
}

namespace {

using Kind = PyValue::Kind;

void dict_set(PyValue& d, PyRef key, PyRef value) {
  if (key->kind == Kind::string) {
    auto it = d.index.find(key->s);
    if (it != d.index.end()) {
      d.entries[it->second].second = value;
      return;
    }
    d.index.emplace(key->s, d.entries.size());
  }
  d.entries.emplace_back(key, value);
}

class Parser {
 public:
  Parser(const uint8_t* data, size_t size, const std::string& name, PickleDoc& doc)
      : p_(data), end_(data + size), name_(name), doc_(doc) {}

  PyRef run() {
    LINCIR_CHECK_STATUS(p_ < end_ && *p_ == 0x80, Status::format,
                        name_ + ": not a pickle stream (no PROTO opcode)");
    for (;;) {
      const uint8_t op = u8();
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1) fail("the stream leaves " + std::to_string(stack_.size()) + " values");
    return stack_.back();
  }

 private:
  PyRef make(Kind k) {
    doc_.arena.emplace_back();
    doc_.arena.back().kind = k;
    return &doc_.arena.back();
  }
  PyRef make_int(int64_t i) {
    auto v = make(Kind::integer);
    v->i = i;
    return v;
  }
  PyRef make_str(Kind k, std::string s) {
    auto v = make(k);
    v->s = std::move(s);
    return v;
  }

  [[noreturn]] void fail(const std::string& why) const {
    LINCIR_THROW(Status::format, name_ + ": malformed pickle: " + why);
  }

  const uint8_t* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("truncated");
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  uint8_t u8() { return *take(1); }
  uint64_t le(size_t n) {
    const uint8_t* b = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(b[i]) << (8 * i);
    return v;
  }
  std::string bytes(uint64_t n) {
    if (n > static_cast<uint64_t>(end_ - p_)) fail("truncated string");
    const uint8_t* b = take(static_cast<size_t>(n));
    return std::string(reinterpret_cast<const char*>(b), static_cast<size_t>(n));
  }
  std::string line() {
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    if (!nl) fail("unterminated GLOBAL name");
    std::string s(reinterpret_cast<const char*>(p_), static_cast<size_t>(nl - p_));
    p_ = nl + 1;
    return s;
  }

  PyRef pop() {
    if (stack_.size() <= floor()) fail("stack underflow");
    PyRef v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyRef& top() {
    if (stack_.size() <= floor()) fail("stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // Pops everything above the last MARK, and the mark.
  std::vector<PyRef> pop_mark() {
    if (marks_.empty()) fail("no MARK");
    size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) fail("bad MARK");
    std::vector<PyRef> items(stack_.begin() + static_cast<long>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  void push(PyRef v) {
    if (stack_.size() > kMaxStack) fail("stack too deep");
    stack_.push_back(v);
  }
  void memo_put(uint64_t id) { memo_[id] = top(); }
  PyRef memo_get(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end()) fail("memo entry " + std::to_string(id) + " not defined");
    return it->second;
  }

  PyRef tuple(std::vector<PyRef> items) {
    auto t = make(Kind::tuple);
    t->items = std::move(items);
    return t;
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: u8(); break;               // PROTO
      case 0x95: le(8); break;              // FRAME (protocol 4): a hint only
      case '(': marks_.push_back(stack_.size()); break;
      case '}': push(make(Kind::dict)); break;
      case ']': push(make(Kind::list)); break;
      case ')': push(make(Kind::tuple)); break;
      case 'N': push(make(Kind::none)); break;
      case 0x88: case 0x89: {               // NEWTRUE, NEWFALSE
        auto v = make(Kind::boolean);
        v->b = op == 0x88;
        push(v);
        break;
      }
      case 'J': push(make_int(static_cast<int32_t>(le(4)))); break;   // BININT
      case 'K': push(make_int(u8())); break;                          // BININT1
      case 'M': push(make_int(static_cast<int64_t>(le(2)))); break;   // BININT2
      case 0x8a: {                                                    // LONG1
        const uint8_t n = u8();
        if (n > 8) fail("integer wider than 64 bits");
        uint64_t v = n ? le(n) : 0;
        if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        push(make_int(static_cast<int64_t>(v)));
        break;
      }
      case 'G': {                                                     // BINFLOAT, big-endian
        const uint8_t* b = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
        auto v = make(Kind::floating);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        break;
      }
      case 'X': push(make_str(Kind::string, bytes(le(4)))); break;    // BINUNICODE
      case 0x8c: push(make_str(Kind::string, bytes(u8()))); break;    // SHORT_BINUNICODE
      case 0x8d: push(make_str(Kind::string, bytes(le(8)))); break;   // BINUNICODE8
      case 'T': push(make_str(Kind::bytes, bytes(le(4)))); break;     // BINSTRING
      case 'U': push(make_str(Kind::bytes, bytes(u8()))); break;      // SHORT_BINSTRING
      case 'B': push(make_str(Kind::bytes, bytes(le(4)))); break;     // BINBYTES
      case 'C': push(make_str(Kind::bytes, bytes(u8()))); break;      // SHORT_BINBYTES
      case 't': push(tuple(pop_mark())); break;                       // TUPLE
      case 0x85: { auto a = pop(); push(tuple({a})); break; }         // TUPLE1
      case 0x86: { auto b = pop(), a = pop(); push(tuple({a, b})); break; }
      case 0x87: { auto c = pop(), b = pop(), a = pop(); push(tuple({a, b, c})); break; }
      case 'l': {                                                     // LIST
        auto l = make(Kind::list);
        l->items = pop_mark();
        push(l);
        break;
      }
      case 'd': {                                                     // DICT
        auto items = pop_mark();
        if (items.size() % 2) fail("odd number of items for DICT");
        auto d = make(Kind::dict);
        for (size_t i = 0; i < items.size(); i += 2) dict_set(*d, items[i], items[i + 1]);
        push(d);
        break;
      }
      case 'a': {                                                     // APPEND
        auto v = pop();
        auto& l = top();
        if (l->kind == Kind::list) l->items.push_back(v);
        break;
      }
      case 'e': {                                                     // APPENDS
        auto items = pop_mark();
        auto& l = top();
        if (l->kind == Kind::list)
          for (auto v : items) l->items.push_back(v);
        break;
      }
      case 's': {                                                     // SETITEM
        auto v = pop(), k = pop();
        auto& d = top();
        if (d->kind == Kind::dict) dict_set(*d, k, v);
        break;
      }
      case 'u': {                                                     // SETITEMS
        auto items = pop_mark();
        if (items.size() % 2) fail("odd number of items for SETITEMS");
        auto& d = top();
        if (d->kind == Kind::dict)
          for (size_t i = 0; i < items.size(); i += 2) dict_set(*d, items[i], items[i + 1]);
        break;
      }
      case 'q': memo_put(u8()); break;                                // BINPUT
      case 'r': memo_put(le(4)); break;                               // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;                       // MEMOIZE
      case 'h': push(memo_get(u8())); break;                          // BINGET
      case 'j': push(memo_get(le(4))); break;                         // LONG_BINGET
      case '0': pop(); break;                                         // POP
      case '1': pop_mark(); break;                                    // POP_MARK
      case '2': push(top()); break;                                   // DUP
      case 'c': {                                                     // GLOBAL
        std::string module = line();
        std::string cls = line();
        push(make_str(Kind::global, module + "." + cls));
        break;
      }
      case 0x93: {                                                    // STACK_GLOBAL
        auto cls = pop(), module = pop();
        if (cls->kind != Kind::string || module->kind != Kind::string) fail("STACK_GLOBAL needs strings");
        push(make_str(Kind::global, module->s + "." + cls->s));
        break;
      }
      case 'R': {                                                     // REDUCE
        auto args = pop(), fn = pop();
        push(reduce(*fn, *args));
        break;
      }
      case 0x81: {                                                    // NEWOBJ
        pop();  // constructor arguments: unused
        auto cls = pop();
        push(make_str(Kind::object, cls->kind == Kind::global ? cls->s : "?"));
        break;
      }
      case 'b': pop(); top(); break;  // BUILD: sets attributes (e.g. OrderedDict._metadata); unused
      case 'Q': {                                                     // BINPERSID
        auto pid = pop();
        push(persistent(*pid));
        break;
      }
      default:
        fail("unsupported opcode 0x" + hex(op));
    }
  }

  static std::string hex(uint8_t op) {
    const char* d = "0123456789abcdef";
    return std::string{d[op >> 4], d[op & 15]};
  }

  // ('storage', <torch.XStorage>, key, location, numel)
  PyRef persistent(const PyValue& pid) {
    if (pid.kind != Kind::tuple || pid.items.size() < 5 || pid.items[0]->kind != Kind::string ||
        pid.items[0]->s != "storage")
      fail("unknown persistent id");
    const auto& type = *pid.items[1];
    const auto& key = *pid.items[2];
    const auto& loc = *pid.items[3];
    const auto& numel = *pid.items[4];
    if (type.kind != Kind::global || key.kind != Kind::string || loc.kind != Kind::string ||
        numel.kind != Kind::integer || numel.i < 0)
      fail("malformed storage reference");
    const std::string prefix = "torch.", suffix = "Storage";
    const std::string& t = type.s;
    if (t.size() <= prefix.size() + suffix.size() || t.compare(0, prefix.size(), prefix) != 0 ||
        t.compare(t.size() - suffix.size(), suffix.size(), suffix) != 0)
      fail("unknown storage type " + t);
    auto s = make(Kind::storage);
    s->tensor.dtype = t.substr(prefix.size(), t.size() - prefix.size() - suffix.size());
    s->tensor.storage_key = key.s;
    s->tensor.location = loc.s;
    s->tensor.storage_numel = numel.i;
    return s;
  }

  std::vector<int64_t> int_tuple(const PyValue& v) {
    if (v.kind != Kind::tuple && v.kind != Kind::list) fail("tensor size/stride is not a tuple");
    if (v.items.size() > 64) fail("tensor has more than 64 dimensions");
    std::vector<int64_t> out;
    for (const auto& x : v.items) {
      if (x->kind != Kind::integer) fail("tensor size/stride is not an integer");
      out.push_back(x->i);
    }
    return out;
  }

  PyRef reduce(const PyValue& fn, const PyValue& args) {
    const std::string name = fn.kind == Kind::global ? fn.s : "";
    const bool tuple_args = args.kind == Kind::tuple;
    if ((name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") &&
        tuple_args && args.items.size() >= 4) {
      const auto& st = *args.items[0];
      if (st.kind != Kind::storage || args.items[1]->kind != Kind::integer)
        fail("malformed tensor in " + name);
      auto t = make(Kind::tensor);
      t->tensor = st.tensor;
      t->tensor.offset = args.items[1]->i;
      t->tensor.sizes = int_tuple(*args.items[2]);
      t->tensor.strides = int_tuple(*args.items[3]);
      if (t->tensor.sizes.size() != t->tensor.strides.size()) fail("tensor sizes and strides differ in rank");
      return t;
    }
    if ((name == "torch._utils._rebuild_parameter" ||
         name == "torch._utils._rebuild_parameter_with_state") &&
        tuple_args && !args.items.empty() && args.items[0]->kind == Kind::tensor)
      return args.items[0];
    if (name == "collections.OrderedDict") {
      auto d = make(Kind::dict);
      // OrderedDict(), or OrderedDict([(k, v), ...]).
      if (tuple_args && args.items.size() == 1 && args.items[0]->kind == Kind::list) {
        for (const auto& kv : args.items[0]->items) {
          if (kv->kind != Kind::tuple || kv->items.size() != 2) fail("malformed OrderedDict");
          dict_set(*d, kv->items[0], kv->items[1]);
        }
      }
      return d;
    }
    return make_str(Kind::object, name.empty() ? "?" : name);
  }

  static constexpr size_t kMaxStack = size_t(1) << 24;
  const uint8_t* p_;
  const uint8_t* end_;
  const std::string& name_;
  PickleDoc& doc_;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyRef> memo_;
};

}  // namespace

std::unique_ptr<PickleDoc> parse_torch_pickle(const uint8_t* data, size_t size,
                                              const std::string& name) {
  auto doc = std::make_unique<PickleDoc>();
  doc->root = Parser(data, size, name, *doc).run();
  return doc;
}

}  // namespace lincir::detail
