#include "projector/torch_checkpoint.hpp"

#include <ATen/Functions.h>
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>

#include "core/file_io.hpp"
#include "lincir/common.hpp"
#include "projector/torch_zip_check.hpp"

namespace lincir::detail {

namespace {

// The first line of a LibTorch error, without its C++ backtrace.
std::string short_message(const std::exception& e) {
  const auto* c10 = dynamic_cast<const c10::Error*>(&e);
  std::string m = c10 ? c10->what_without_backtrace() : e.what();
  auto nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

bool scalar_type(const std::string& name, at::ScalarType* out) {
  static const std::pair<const char*, at::ScalarType> kTypes[] = {
      {"Float", at::kFloat}, {"Double", at::kDouble}, {"Half", at::kHalf},
      {"BFloat16", at::kBFloat16}, {"Long", at::kLong}, {"Int", at::kInt},
      {"Short", at::kShort}, {"Char", at::kChar}, {"Byte", at::kByte}, {"Bool", at::kBool}};
  for (const auto& t : kTypes) {
    if (name == t.first) {
      *out = t.second;
      return true;
    }
  }
  return false;
}

}  // namespace

struct TorchArchive::Impl {
  std::string path;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::unique_ptr<PickleDoc> doc;
};

bool looks_like_zip(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  return f.read(magic, 4) && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

bool looks_like_legacy_torch(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char head[2] = {};
  // A PROTO opcode first; the legacy format then pickles its magic number.
  return f.read(reinterpret_cast<char*>(head), 2) && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5;
}

TorchArchive TorchArchive::open(const std::string& path) {
  LINCIR_CHECK_STATUS(std::ifstream(path, std::ios::binary).good(), Status::io,
                      "cannot open '" + path + "'");
  LINCIR_CHECK_STATUS(!looks_like_legacy_torch(path), Status::unsupported,
                      "'" + path +
                          "' uses the legacy (pre-1.6) torch.save format; re-save it with a "
                          "recent PyTorch (torch.save(torch.load(f), f))");
  LINCIR_CHECK_STATUS(looks_like_zip(path), Status::format,
                      "'" + path + "' is not a torch.save zip archive");
  {  // LibTorch's reader leaks when its constructor rejects a file: check the layout first.
    auto file = MappedFile::open(path);
    check_torch_zip(file->data(), file->size(), path);
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  at::DataPtr pickle;
  size_t pickle_size = 0;
  try {
    impl->reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    LINCIR_CHECK_STATUS(impl->reader->hasRecord("data.pkl"), Status::format,
                        "'" + path + "' has no data.pkl record (not a torch.save archive)");
    std::tie(pickle, pickle_size) = impl->reader->getRecord("data.pkl");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    LINCIR_THROW(Status::format, "cannot read torch archive '" + path + "': " + short_message(e));
  }
  impl->doc = parse_torch_pickle(static_cast<const uint8_t*>(pickle.get()), pickle_size,
                                 "torch archive '" + path + "'");
  return TorchArchive(std::move(impl));
}

const PyValue& TorchArchive::root() const { return *impl_->doc->root; }
const std::string& TorchArchive::path() const { return impl_->path; }

at::Tensor TorchArchive::materialize(const PyValue& t, const std::string& what) const {
  const std::string where = "torch archive '" + impl_->path + "', tensor '" + what + "'";
  LINCIR_CHECK_STATUS(t.kind == PyValue::Kind::tensor, Status::format, where + ": not a tensor");
  const auto& m = t.tensor;
  at::ScalarType type;
  LINCIR_CHECK_STATUS(scalar_type(m.dtype, &type), Status::unsupported,
                      where + ": unsupported storage type " + m.dtype + "Storage");
  const int64_t item = static_cast<int64_t>(c10::elementSize(type));
  // Sizes and strides come from the file: bound them before any arithmetic.
  constexpr int64_t kLimit = int64_t(1) << 40;
  int64_t numel = 1, last = m.offset;
  LINCIR_CHECK_STATUS(m.offset >= 0 && m.offset < kLimit, Status::format, where + ": bad storage offset");
  for (size_t d = 0; d < m.sizes.size(); ++d) {
    const int64_t size = m.sizes[d], stride = m.strides[d];
    LINCIR_CHECK_STATUS(size >= 0 && size < kLimit && stride >= 0 && stride < kLimit, Status::format,
                        where + ": bad size or stride");
    numel *= size;
    LINCIR_CHECK_STATUS(numel < kLimit, Status::format, where + ": too many elements");
    if (size > 0) last += (size - 1) * stride;
    LINCIR_CHECK_STATUS(last < kLimit, Status::format, where + ": view too large");
  }
  if (numel == 0) return at::empty(m.sizes, at::TensorOptions().dtype(type));
  LINCIR_CHECK_STATUS(last < m.storage_numel, Status::format,
                      where + ": view extends past its storage");
  at::DataPtr data;
  size_t nbytes = 0;
  try {
    std::tie(data, nbytes) = impl_->reader->getRecord("data/" + m.storage_key);
  } catch (const std::exception& e) {
    LINCIR_THROW(Status::format, where + ": cannot read record data/" + m.storage_key + ": " +
                                     short_message(e));
  }
  LINCIR_CHECK_STATUS(static_cast<uint64_t>(last + 1) * static_cast<uint64_t>(item) <= nbytes,
                      Status::format,
                      where + ": its record holds " + std::to_string(nbytes) +
                          " bytes, fewer than the tensor needs (truncated archive?)");
  auto* base = static_cast<uint8_t*>(data.get()) + m.offset * item;
  return at::from_blob(base, m.sizes, m.strides, at::TensorOptions().dtype(type))
      .clone(at::MemoryFormat::Contiguous);
}

TorchArchive::TorchArchive(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorchArchive::TorchArchive(TorchArchive&&) noexcept = default;
TorchArchive& TorchArchive::operator=(TorchArchive&&) noexcept = default;
TorchArchive::~TorchArchive() = default;

}  // namespace lincir::detail
