#include "lincir/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file_io.hpp"

namespace lincir {
namespace {

using json = nlohmann::json;
constexpr uint64_t kMaxHeader = 100ull * 1000 * 1000;  // same bound as the reference reader
constexpr const char* kCrcKey = "lincir.crc32";  // metadata: CRC-32 of the data section

std::string crc_hex(uint32_t crc) {
  static const char* kHex = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, crc >>= 4) s[i] = kHex[crc & 15];
  return s;
}

struct DTypeName {
  TensorDType t;
  const char* name;
  size_t size;
};
constexpr DTypeName kDTypes[] = {
    {TensorDType::F64, "F64", 8}, {TensorDType::F32, "F32", 4},  {TensorDType::F16, "F16", 2},
    {TensorDType::BF16, "BF16", 2}, {TensorDType::I64, "I64", 8}, {TensorDType::I32, "I32", 4},
    {TensorDType::I16, "I16", 2}, {TensorDType::I8, "I8", 1},     {TensorDType::U8, "U8", 1},
    {TensorDType::BOOL, "BOOL", 1},
};

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ffu;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

const char* tensor_dtype_name(TensorDType t) noexcept {
  for (const auto& d : kDTypes)
    if (d.t == t) return d.name;
  return "?";
}

size_t tensor_dtype_size(TensorDType t) noexcept {
  for (const auto& d : kDTypes)
    if (d.t == t) return d.size;
  return 0;
}

int64_t TensorView::numel() const {
  // A validated shape's product fits in its byte size unless a dimension is 0, in which case the
  // other dimensions may multiply past INT64_MAX (e.g. [3, 2^62, 0]): answer 0 before multiplying.
  for (auto s : shape)
    if (s == 0) return 0;
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

struct SafeTensors::Impl {
  std::shared_ptr<detail::MappedFile> file;
  std::vector<TensorView> tensors;  // sorted by offset
  std::map<std::string, size_t> index;
  std::map<std::string, std::string> metadata;
  std::string path;
};

SafeTensors::SafeTensors(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafeTensors::SafeTensors(SafeTensors&&) noexcept = default;
SafeTensors& SafeTensors::operator=(SafeTensors&&) noexcept = default;
SafeTensors::~SafeTensors() = default;

static std::unique_ptr<SafeTensors::Impl> parse(std::shared_ptr<detail::MappedFile> file);

SafeTensors SafeTensors::open(const std::string& path) {
  return SafeTensors(parse(detail::MappedFile::open(path)));
}

SafeTensors SafeTensors::from_bytes(const void* data, size_t size, const std::string& name) {
  LINCIR_CHECK(data != nullptr || size == 0, "null buffer");
  return SafeTensors(parse(detail::MappedFile::from_bytes(data, size, name)));
}

static std::unique_ptr<SafeTensors::Impl> parse(std::shared_ptr<detail::MappedFile> file) {
  const std::string& fname = file->name();
  auto fail = [&](const std::string& what) {
    LINCIR_THROW(Status::format, "invalid safetensors file '" + fname + "': " + what);
  };
  if (file->size() < 8) fail("file is " + std::to_string(file->size()) + " bytes, too short");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file->data()[i];
  if (n > kMaxHeader) fail("header length " + std::to_string(n) + " exceeds 100 MB");
  if (n > file->size() - 8)
    fail("header length " + std::to_string(n) + " runs past the end of the file");
  const char* hbegin = reinterpret_cast<const char*>(file->data() + 8);
  json header = json::parse(hbegin, hbegin + n, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail("header is not valid JSON");
  if (!header.is_object()) fail("header is not a JSON object");

  auto impl = std::make_unique<SafeTensors::Impl>();
  impl->path = fname;
  const uint8_t* data = file->data() + 8 + n;
  const uint64_t data_size = file->size() - 8 - n;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail("__metadata__ value '" + m.key() + "' is not a string");
        impl->metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + key + "': ";
    if (!v.is_object()) fail(where + "entry is not an object");
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) fail(where + "missing dtype");
    if (sh == v.end() || !sh->is_array()) fail(where + "missing shape");
    if (off == v.end() || !off->is_array() || off->size() != 2) fail(where + "bad data_offsets");
    TensorView t;
    t.name = key;
    const std::string dts = dt->get<std::string>();
    const DTypeName* d = nullptr;
    for (const auto& c : kDTypes)
      if (dts == c.name) d = &c;
    if (!d) fail(where + "unsupported dtype '" + dts + "'");
    t.dtype = d->t;
    uint64_t bytes = d->size;
    for (const auto& s : *sh) {
      if (!s.is_number_unsigned()) fail(where + "shape entries must be non-negative integers");
      const uint64_t dim = s.get<uint64_t>();
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim))
        fail(where + "shape overflows");
      bytes *= dim;
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    if (!(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
      fail(where + "data_offsets must be non-negative integers");
    const uint64_t b = (*off)[0].get<uint64_t>(), e = (*off)[1].get<uint64_t>();
    if (b > e) fail(where + "data_offsets begin > end");
    if (e > data_size)
      fail(where + "data_offsets end " + std::to_string(e) + " past the data section (" +
           std::to_string(data_size) + " bytes)");
    if (e - b != bytes)
      fail(where + "byte size " + std::to_string(e - b) + " does not match dtype and shape (" +
           std::to_string(bytes) + ")");
    t.data = data + b;
    t.nbytes = static_cast<size_t>(bytes);
    impl->tensors.push_back(std::move(t));
  }
  std::sort(impl->tensors.begin(), impl->tensors.end(),
            [&](const TensorView& a, const TensorView& b) {
              return a.data != b.data ? a.data < b.data : a.nbytes < b.nbytes;
            });
  uint64_t pos = 0;
  for (const auto& t : impl->tensors) {
    const uint64_t b = static_cast<uint64_t>(t.data - data);
    if (b < pos) fail("tensor '" + t.name + "' overlaps another tensor");
    if (b > pos) fail("gap in the data section before tensor '" + t.name + "'");
    pos = b + t.nbytes;
  }
  if (pos != data_size)
    fail("data section has " + std::to_string(data_size - pos) + " trailing bytes");
  // Files written by save_safetensors carry the CRC-32 of their data section: verify it, and keep
  // it out of metadata() (it describes the container, not the content).
  auto crc = impl->metadata.find(kCrcKey);
  if (crc != impl->metadata.end()) {
    const std::string actual = crc_hex(detail::crc32(0, data, data_size));
    if (crc->second != actual)
      fail("checksum mismatch: the data section's CRC-32 is " + actual + ", the header records '" +
           crc->second + "' (corrupt file)");
    impl->metadata.erase(crc);
  }
  for (size_t i = 0; i < impl->tensors.size(); ++i) impl->index[impl->tensors[i].name] = i;
  impl->file = std::move(file);
  return impl;
}

bool SafeTensors::contains(const std::string& name) const { return impl_->index.count(name) > 0; }

const TensorView& SafeTensors::get(const std::string& name) const {
  auto it = impl_->index.find(name);
  if (it == impl_->index.end())
    LINCIR_THROW(Status::invalid_argument,
                 "tensor '" + name + "' not found in '" + impl_->path + "'");
  return impl_->tensors[it->second];
}

std::vector<std::string> SafeTensors::names() const {
  std::vector<std::string> out;
  for (const auto& t : impl_->tensors) out.push_back(t.name);
  return out;
}

size_t SafeTensors::size() const { return impl_->tensors.size(); }
const std::map<std::string, std::string>& SafeTensors::metadata() const { return impl_->metadata; }
const std::string& SafeTensors::path() const { return impl_->path; }

std::vector<float> SafeTensors::to_float(const std::string& name) const {
  const TensorView& t = get(name);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  const uint8_t* p = t.data;
  switch (t.dtype) {
    case TensorDType::F32: if (n) std::memcpy(out.data(), p, n * 4); break;
    case TensorDType::F64: for (size_t i = 0; i < n; ++i) out[i] = float(load<double>(p + 8 * i)); break;
    case TensorDType::F16: for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load<uint16_t>(p + 2 * i)); break;
    case TensorDType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint32_t bits = uint32_t(load<uint16_t>(p + 2 * i)) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
      break;
    case TensorDType::I64: for (size_t i = 0; i < n; ++i) out[i] = float(load<int64_t>(p + 8 * i)); break;
    case TensorDType::I32: for (size_t i = 0; i < n; ++i) out[i] = float(load<int32_t>(p + 4 * i)); break;
    case TensorDType::I16: for (size_t i = 0; i < n; ++i) out[i] = float(load<int16_t>(p + 2 * i)); break;
    case TensorDType::I8: for (size_t i = 0; i < n; ++i) out[i] = float(int8_t(p[i])); break;
    case TensorDType::U8:
    case TensorDType::BOOL: for (size_t i = 0; i < n; ++i) out[i] = float(p[i]); break;
  }
  return out;
}

std::vector<int64_t> SafeTensors::to_int64(const std::string& name) const {
  const TensorView& t = get(name);
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<int64_t> out(n);
  const uint8_t* p = t.data;
  switch (t.dtype) {
    case TensorDType::I64: for (size_t i = 0; i < n; ++i) out[i] = load<int64_t>(p + 8 * i); break;
    case TensorDType::I32: for (size_t i = 0; i < n; ++i) out[i] = load<int32_t>(p + 4 * i); break;
    case TensorDType::I16: for (size_t i = 0; i < n; ++i) out[i] = load<int16_t>(p + 2 * i); break;
    case TensorDType::I8: for (size_t i = 0; i < n; ++i) out[i] = int8_t(p[i]); break;
    case TensorDType::U8:
    case TensorDType::BOOL: for (size_t i = 0; i < n; ++i) out[i] = p[i]; break;
    default:
      LINCIR_THROW(Status::invalid_argument, "tensor '" + name + "' in '" + impl_->path +
                                                 "' is " + tensor_dtype_name(t.dtype) +
                                                 ", not an integer type");
  }
  return out;
}

void save_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  std::set<std::string> seen;
  uint64_t offset = 0;
  std::vector<size_t> sizes;
  for (const auto& t : tensors) {
    LINCIR_CHECK(!t.name.empty() && t.name != "__metadata__", "invalid tensor name '" + t.name + "'");
    LINCIR_CHECK(seen.insert(t.name).second, "duplicate tensor name '" + t.name + "'");
    uint64_t bytes = tensor_dtype_size(t.dtype);
    for (auto s : t.shape) {
      LINCIR_CHECK(s >= 0, "negative dimension in tensor '" + t.name + "'");
      bytes *= static_cast<uint64_t>(s);
    }
    LINCIR_CHECK(t.data != nullptr || bytes == 0, "null data for tensor '" + t.name + "'");
    header[t.name] = {{"dtype", tensor_dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    sizes.push_back(static_cast<size_t>(bytes));
  }
  uint32_t crc = 0;
  for (size_t i = 0; i < tensors.size(); ++i) crc = detail::crc32(crc, tensors[i].data, sizes[i]);
  std::map<std::string, std::string> meta = metadata;
  meta[kCrcKey] = crc_hex(crc);
  header["__metadata__"] = meta;
  std::string h = header.dump();
  while (h.size() % 8 != 0) h.push_back(' ');
  detail::write_file_atomic(path, [&](const detail::ByteSink& sink) {
    uint8_t len[8];
    uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
    sink(len, 8);
    sink(h.data(), h.size());
    for (size_t i = 0; i < tensors.size(); ++i) sink(tensors[i].data, sizes[i]);
  });
}

}  // namespace lincir
