#include <gtest/gtest.h>

#include <cstring>

#include "lincir/safetensors.hpp"
#include "support/test_support.hpp"

using namespace lincir;
using lincir::test::data_path;

namespace {

// Builds a safetensors byte string from a raw JSON header and a data section.
std::vector<uint8_t> make_file(const std::string& header, size_t data_bytes, uint64_t hlen_override = 0) {
  std::vector<uint8_t> out(8);
  uint64_t n = hlen_override ? hlen_override : header.size();
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes, 0);
  return out;
}

Status parse_status(const std::vector<uint8_t>& bytes, std::string* msg = nullptr) {
  try {
    SafeTensors::from_bytes(bytes.data(), bytes.size(), "t.safetensors");
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

}  // namespace

TEST(SafeTensors, ReadsParityWeights) {
  auto st = SafeTensors::open(data_path("parity/weights_openai.safetensors"));
  const auto& t = st.get("token_embedding.weight");
  EXPECT_EQ(t.dtype, TensorDType::F32);
  ASSERT_EQ(t.shape.size(), 2u);
  EXPECT_EQ(t.shape[0], 49408);
  EXPECT_EQ(t.shape[1], 32);
  const auto& ls = st.get("logit_scale");
  EXPECT_TRUE(ls.shape.empty());
  EXPECT_EQ(ls.numel(), 1);
  EXPECT_FALSE(st.contains("nope"));
  EXPECT_THROW(st.get("nope"), Error);
}

TEST(SafeTensors, RoundTripWithMetadataAndDtypes) {
  lincir::test::TempDir dir;
  std::vector<float> f = {1.f, -2.5f, 3.25f, 0.f, 7.f, -1e-3f};
  std::vector<uint16_t> h = {0x3c00, 0xc000, 0x0001, 0x7bff};  // 1, -2, min subnormal, 65504
  std::vector<uint16_t> bf = {0x3f80, 0xc020};                  // 1, -2.5
  std::vector<int32_t> ids = {49406, 259, 49407};
  save_safetensors(dir.file("x.safetensors"),
                   {{"f", TensorDType::F32, {2, 3}, f.data()},
                    {"h", TensorDType::F16, {4}, h.data()},
                    {"bf", TensorDType::BF16, {2}, bf.data()},
                    {"ids", TensorDType::I32, {1, 3}, ids.data()}},
                   {{"backbone", "tiny"}});
  auto st = SafeTensors::open(dir.file("x.safetensors"));
  EXPECT_EQ(st.metadata().at("backbone"), "tiny");
  EXPECT_EQ(st.to_float("f"), f);
  auto hv = st.to_float("h");
  EXPECT_FLOAT_EQ(hv[0], 1.f);
  EXPECT_FLOAT_EQ(hv[1], -2.f);
  EXPECT_FLOAT_EQ(hv[2], 5.9604645e-8f);
  EXPECT_FLOAT_EQ(hv[3], 65504.f);
  auto bv = st.to_float("bf");
  EXPECT_FLOAT_EQ(bv[1], -2.5f);
  EXPECT_EQ(st.to_int64("ids"), (std::vector<int64_t>{49406, 259, 49407}));
  EXPECT_THROW(st.to_int64("f"), Error);
}

TEST(SafeTensors, RejectsMalformedFiles) {
  std::string msg;
  EXPECT_EQ(parse_status({1, 2, 3}), Status::format);
  EXPECT_EQ(parse_status(make_file("{}", 0, 1ull << 40), &msg), Status::format);
  EXPECT_NE(msg.find("header length"), std::string::npos) << msg;
  EXPECT_EQ(parse_status(make_file("{not json", 0)), Status::format);
  EXPECT_EQ(parse_status(make_file("[1,2]", 0)), Status::format);
  // Unknown dtype.
  EXPECT_EQ(parse_status(make_file(R"({"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", 1)),
            Status::format);
  // Shape does not match the byte range.
  EXPECT_EQ(parse_status(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), &msg),
            Status::format);
  EXPECT_NE(msg.find("'a'"), std::string::npos) << msg;
  // Offsets past the end.
  EXPECT_EQ(parse_status(make_file(R"({"a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}})", 8)),
            Status::format);
  // Overlapping tensors.
  EXPECT_EQ(parse_status(make_file(
                R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
                8), &msg),
            Status::format);
  EXPECT_NE(msg.find("overlap"), std::string::npos) << msg;
  // Shape whose product overflows 64 bits.
  EXPECT_EQ(parse_status(make_file(
                R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", 0)),
            Status::format);
  // Negative dims and offsets.
  EXPECT_EQ(parse_status(make_file(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", 0)),
            Status::format);
  // Trailing garbage after the last tensor.
  EXPECT_EQ(parse_status(make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", 4)),
            Status::format);
  // Non-string metadata.
  EXPECT_EQ(parse_status(make_file(R"({"__metadata__":{"a":1}})", 0)), Status::format);
  // A valid minimal file parses.
  EXPECT_EQ(parse_status(make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", 2)),
            Status::ok);
}

TEST(SafeTensors, MissingFileIsIoError) {
  try {
    SafeTensors::open("/nonexistent/dir/w.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::io);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/w.safetensors"), std::string::npos);
  }
}
