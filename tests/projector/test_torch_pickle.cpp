// The restricted pickle reader behind torch checkpoint loading (src/projector/torch_pickle.hpp),
// on hand-assembled streams: the opcodes torch.save emits, and hostile inputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lincir/common.hpp"
#include "projector/torch_pickle.hpp"

using namespace lincir;
using namespace lincir::detail;
using Kind = PyValue::Kind;

namespace {

struct Stream {
  std::vector<uint8_t> b;
  Stream() { op(0x80).op(0x02); }  // PROTO 2
  Stream& op(uint8_t c) { b.push_back(c); return *this; }
  Stream& str(const std::string& s) {  // BINUNICODE
    op('X');
    for (int i = 0; i < 4; ++i) b.push_back(uint8_t(s.size() >> (8 * i)));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Stream& int1(uint8_t v) { return op('K').op(v); }
  Stream& global(const std::string& m, const std::string& n) {
    op('c');
    b.insert(b.end(), m.begin(), m.end());
    b.push_back('\n');
    b.insert(b.end(), n.begin(), n.end());
    b.push_back('\n');
    return *this;
  }
  std::unique_ptr<PickleDoc> parse() const { return parse_torch_pickle(b.data(), b.size(), "test"); }
};

Status status_of(const Stream& s) {
  try {
    s.parse();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::ok;
}

}  // namespace

TEST(TorchPickle, DictsWithSetitemAndSetitems) {
  Stream s;
  s.op('}').str("a").int1(1).op('s');                           // {'a': 1} via SETITEM
  s.op('(').str("b").int1(2).str("a").int1(3).op('u').op('.');  // SETITEMS, overwrite 'a'
  auto doc = s.parse();
  const auto& root = *doc->root;
  ASSERT_TRUE(root.is(Kind::dict));
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.get("a")->i, 3);
  EXPECT_EQ(root.get("b")->i, 2);
  EXPECT_EQ(root.get("c"), nullptr);
}

TEST(TorchPickle, RebuildsTensorMetadata) {
  // _rebuild_tensor_v2(('storage', torch.HalfStorage, '7', 'cuda:1', 12), 2, (2, 3), (1, 2),
  //                    False, OrderedDict())
  Stream s;
  s.global("torch._utils", "_rebuild_tensor_v2");
  s.op('(').op('(').str("storage").global("torch", "HalfStorage").str("7").str("cuda:1").int1(12);
  s.op('t').op('Q');                       // BINPERSID
  s.int1(2);
  s.int1(2).int1(3).op(0x86);              // (2, 3)
  s.int1(1).int1(2).op(0x86);              // (1, 2)
  s.op(0x89);                              // False
  s.global("collections", "OrderedDict").op(')').op('R');
  s.op('t').op('R').op('.');
  auto doc = s.parse();
  const auto& t = *doc->root;
  ASSERT_TRUE(t.is(Kind::tensor));
  EXPECT_EQ(t.tensor.dtype, "Half");
  EXPECT_EQ(t.tensor.storage_key, "7");
  EXPECT_EQ(t.tensor.location, "cuda:1");
  EXPECT_EQ(t.tensor.storage_numel, 12);
  EXPECT_EQ(t.tensor.offset, 2);
  EXPECT_EQ(t.tensor.sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.tensor.strides, (std::vector<int64_t>{1, 2}));
}

TEST(TorchPickle, UnknownGlobalsBecomeOpaqueObjects) {
  Stream s;
  s.op('}').str("args").global("argparse", "Namespace").op(')').op(0x81);  // NEWOBJ
  s.op('}').str("lr").op('G');
  for (uint8_t c : {0x3f, 0x1a, 0x36, 0xe2, 0xeb, 0x1c, 0x43, 0x2d}) s.op(c);  // 1e-4 big-endian
  s.op('s').op('b');  // BUILD with a state dict
  s.op('s').op('.');
  auto doc = s.parse();
  const auto* args = doc->root->get("args");
  ASSERT_NE(args, nullptr);
  EXPECT_TRUE(args->is(Kind::object));
  EXPECT_EQ(args->s, "argparse.Namespace");
}

TEST(TorchPickle, NegativeLongAndMemo) {
  Stream s;
  s.op(']').op('q').op(0);                          // list, memo 0
  s.op(0x8a).op(2).op(0xfe).op(0xff).op('a');       // LONG1 -2, APPEND
  s.op('0');                                        // POP the list
  s.op('h').op(0).op('.');                          // BINGET 0
  auto doc = s.parse();
  ASSERT_TRUE(doc->root->is(Kind::list));
  ASSERT_EQ(doc->root->items.size(), 1u);
  EXPECT_EQ(doc->root->items[0]->i, -2);
}

TEST(TorchPickle, MalformedStreamsThrowFormatErrors) {
  EXPECT_EQ(status_of(Stream{}), Status::format);  // no STOP: truncated
  Stream underflow;
  underflow.op(0x85).op('.');                       // TUPLE1 on an empty stack
  EXPECT_EQ(status_of(underflow), Status::format);
  Stream below_mark;
  below_mark.int1(1).op('(').op(0x85).op('.');      // pops across a MARK
  EXPECT_EQ(status_of(below_mark), Status::format);
  Stream memo;
  memo.op('h').op(9).op('.');                       // undefined memo entry
  EXPECT_EQ(status_of(memo), Status::format);
  Stream no_mark;
  no_mark.op('t').op('.');
  EXPECT_EQ(status_of(no_mark), Status::format);
  Stream long_string;
  long_string.op('X').op(0xff).op(0xff).op(0xff).op(0x7f).op('.');
  EXPECT_EQ(status_of(long_string), Status::format);
  Stream unknown;
  unknown.op('I').op('.');                          // text-mode INT: not emitted by torch.save
  EXPECT_EQ(status_of(unknown), Status::format);
  Stream two_values;
  two_values.int1(1).int1(2).op('.');
  EXPECT_EQ(status_of(two_values), Status::format);
  Stream bad_storage;
  bad_storage.op('(').str("storage").global("os", "system").str("0").str("cpu").int1(1).op('t').op('Q').op('.');
  EXPECT_EQ(status_of(bad_storage), Status::format);
  std::vector<uint8_t> not_pickle = {'P', 'K', 3, 4};
  EXPECT_THROW(parse_torch_pickle(not_pickle.data(), not_pickle.size(), "x"), Error);
  EXPECT_THROW(parse_torch_pickle(nullptr, 0, "x"), Error);
}

TEST(TorchPickle, DeepNestingAndCyclesDoNotOverflow) {
  // 200000 nested lists: [[[...]]] built by pushing lists and appending each to the one below.
  Stream deep;
  const int n = 200000;
  for (int i = 0; i < n; ++i) deep.op(']');
  for (int i = 0; i < n - 1; ++i) deep.op('a');
  deep.op('.');
  {
    auto doc = deep.parse();
    const PyValue* v = doc->root;
    int depth = 0;
    while (!v->items.empty()) {
      v = v->items[0];
      ++depth;
    }
    EXPECT_EQ(depth, n - 1);
  }  // destroying the document must not recurse
  Stream cycle;
  cycle.op(']').op('2').op('a').op('.');  // l = []; l.append(l)
  auto doc = cycle.parse();
  ASSERT_TRUE(doc->root->is(Kind::list));
  EXPECT_EQ(doc->root->items[0], doc->root);
}
