#include "lincir/projector.hpp"

#include <torch/cuda.h>

#include <cmath>
#include <cstring>
#include <map>

#include "core/file_io.hpp"
#include "lincir/safetensors.hpp"
#include "projector/phi_module.hpp"
#include "projector/torch_checkpoint.hpp"

namespace lincir {

namespace {

constexpr const char* kFormatName = "lincir.projector";
constexpr const char* kFormatVersion = "1";

std::unique_ptr<Projector::Impl> make_impl(const ProjectorConfig& config) {
  auto impl = std::make_unique<Projector::Impl>();
  impl->module = detail::ProjectorModule(config);
  impl->module->eval();
  return impl;
}

torch::Device torch_device(const Device& d) {
  if (d.type == DeviceType::cpu) return torch::Device(torch::kCPU);
  LINCIR_CHECK_STATUS(torch::cuda::is_available(), Status::device,
                      "device " + d.str() + " requested but CUDA is not available in this build/machine");
  LINCIR_CHECK_STATUS(d.index >= 0 && static_cast<size_t>(d.index) < torch::cuda::device_count(),
                      Status::device, "CUDA device " + d.str() + " does not exist");
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(d.index));
}

int64_t parse_int(const std::string& s, const std::string& what, const std::string& source) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  LINCIR_THROW(Status::format, source + ": metadata '" + what + "' is not an integer: '" + s + "'");
}

// Checks the loaded sizes against the caller's expectations.
void check_expectations(const ProjectorConfig& c, const ProjectorLoadOptions& o,
                        const std::string& source) {
  LINCIR_CHECK(o.expect_input_dim <= 0 || o.expect_input_dim == c.input_dim,
               source + ": projector input dimension " + std::to_string(c.input_dim) +
                   " does not match the expected " + std::to_string(o.expect_input_dim) +
                   " (CLIP embedding size)");
  LINCIR_CHECK(o.expect_output_dim <= 0 || o.expect_output_dim == c.output_dim,
               source + ": projector output dimension " + std::to_string(c.output_dim) +
                   " does not match the expected " + std::to_string(o.expect_output_dim) +
                   " (text tower width)");
}

// A searle projector may be loaded from a lincir-layout file and vice versa (same network);
// pic2word is a different network.
ProjectorKind choose_kind(ProjectorKind from_file, const ProjectorLoadOptions& o,
                          const std::string& source) {
  if (!o.kind) return from_file;
  const bool file_phi = from_file != ProjectorKind::pic2word;
  const bool want_phi = *o.kind != ProjectorKind::pic2word;
  LINCIR_CHECK_STATUS(file_phi == want_phi, Status::format,
                      source + " holds a " + projector_kind_name(from_file) +
                          " projector, not a " + projector_kind_name(*o.kind) + " one");
  return *o.kind;
}

Projector build(ProjectorConfig config, const std::map<std::string, torch::Tensor>& tensors,
                int64_t step, const ProjectorLoadOptions& options, const std::string& source) {
  config = detail::resolve_projector_config(config);
  check_expectations(config, options, source);
  auto impl = make_impl(config);
  impl->module->load_tensors(tensors, source);
  impl->training_step = step;
  return ProjectorAccess::wrap(std::move(impl));
}

}  // namespace

const char* projector_kind_name(ProjectorKind k) noexcept {
  switch (k) {
    case ProjectorKind::lincir: return "lincir";
    case ProjectorKind::searle: return "searle";
    case ProjectorKind::pic2word: return "pic2word";
  }
  return "?";
}

ProjectorKind parse_projector_kind(const std::string& s) {
  if (s == "lincir") return ProjectorKind::lincir;
  if (s == "searle") return ProjectorKind::searle;
  if (s == "pic2word") return ProjectorKind::pic2word;
  LINCIR_THROW(Status::invalid_argument,
               "unknown projector kind '" + s + "' (expected lincir, searle or pic2word)");
}

Projector::Projector(const ProjectorConfig& config, uint64_t seed) : impl_(make_impl(config)) {
  impl_->module->reset_parameters(seed);
}

Projector::Projector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Projector::Projector(Projector&&) noexcept = default;
Projector& Projector::operator=(Projector&&) noexcept = default;
Projector::~Projector() = default;

Projector Projector::load(const std::string& path, const ProjectorLoadOptions& options) {
  LINCIR_CHECK_STATUS(detail::file_exists(path), Status::io, "cannot open '" + path + "'");
  if (detail::looks_like_zip(path) || detail::looks_like_legacy_torch(path))
    return load_torch_checkpoint(path, options);
  return load_safetensors(path, options);
}

Projector Projector::load_safetensors(const std::string& path, const ProjectorLoadOptions& options) {
  auto st = SafeTensors::open(path);
  const std::string source = "projector file '" + path + "'";
  const auto& meta = st.metadata();
  auto m = [&](const char* key) -> const std::string* {
    auto it = meta.find(key);
    return it == meta.end() ? nullptr : &it->second;
  };
  if (const auto* fmt = m("format")) {
    LINCIR_CHECK_STATUS(*fmt == kFormatName, Status::format,
                        source + ": metadata format is '" + *fmt + "', expected '" + kFormatName + "'");
    const auto* ver = m("format_version");
    LINCIR_CHECK_STATUS(ver && *ver == kFormatVersion, Status::unsupported,
                        source + ": unsupported format_version '" + (ver ? *ver : "") + "'");
  }
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& name : st.names()) shapes[name] = st.get(name).shape;

  ProjectorKind kind = detail::infer_projector_kind(st.names(), source);
  if (const auto* k = m("kind")) {
    ProjectorKind declared;
    try {
      declared = parse_projector_kind(*k);
    } catch (const Error&) {
      LINCIR_THROW(Status::format, source + ": unknown projector kind '" + *k + "' in metadata");
    }
    LINCIR_CHECK_STATUS((declared == ProjectorKind::pic2word) == (kind == ProjectorKind::pic2word),
                        Status::format,
                        source + ": metadata kind '" + *k + "' does not match its tensors");
    kind = declared;
  }
  kind = choose_kind(kind, options, source);
  ProjectorConfig config = detail::config_from_shapes(kind, shapes, source);
  // Declared sizes must agree with the tensors: a mismatch means a corrupt or hand-edited file.
  const std::pair<const char*, int> declared_dims[] = {
      {"input_dim", config.input_dim}, {"hidden_dim", config.hidden_dim}, {"output_dim", config.output_dim}};
  for (const auto& d : declared_dims) {
    if (const auto* v = m(d.first)) {
      LINCIR_CHECK_STATUS(parse_int(*v, d.first, source) == d.second, Status::format,
                          source + ": metadata " + d.first + " = " + *v +
                              " does not match the tensor shapes (" + std::to_string(d.second) + ")");
    }
  }
  if (const auto* v = m("dropout")) {
    try {
      config.dropout = std::stof(*v);
    } catch (const std::exception&) {
      LINCIR_THROW(Status::format, source + ": metadata dropout is not a number: '" + *v + "'");
    }
  }
  if (const auto* v = m("backbone")) config.backbone = *v;
  if (!options.backbone.empty()) config.backbone = options.backbone;
  int64_t step = -1;
  if (const auto* v = m("training_step")) step = parse_int(*v, "training_step", source);

  // Each tensor owns its converted values (no second copy), and the mapping is released before
  // the module is built: peak memory stays near two copies of the weights, not four.
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& name : st.names()) {
    const auto& view = st.get(name);
    auto values = std::make_shared<std::vector<float>>(st.to_float(name));
    tensors[name] = torch::from_blob(values->data(), view.shape, [values](void*) {}, torch::kFloat32);
  }
  { const SafeTensors release = std::move(st); }
  return build(config, tensors, step, options, source);
}

Projector Projector::load_torch_checkpoint(const std::string& path, const ProjectorLoadOptions& options) {
  using Kind = detail::PyValue::Kind;
  auto archive = detail::TorchArchive::open(path);
  const std::string source = "torch checkpoint '" + path + "'";
  const auto& root = archive.root();
  LINCIR_CHECK_STATUS(root.is(Kind::dict), Status::format, source + ": top-level object is not a dict");
  // Where the projector's state dict lives: LinCIR/SEARLE use "Phi", Pic2Word
  // "state_dict_img2text"; otherwise the root itself may be the state dict.
  const detail::PyValue* sd = &root;
  std::string container;
  for (const char* key : {"Phi", "state_dict_img2text"}) {
    if (const auto* v = root.get(key)) {
      sd = v;
      container = key;
      break;
    }
  }
  LINCIR_CHECK_STATUS(sd->is(Kind::dict), Status::format,
                      source + ": entry '" + container + "' is not a state dict");
  std::map<std::string, const detail::PyValue*> found;
  for (const auto& kv : sd->entries) {
    LINCIR_CHECK_STATUS(kv.first->is(Kind::string), Status::format,
                        source + ": state-dict key is not a string");
    std::string name = kv.first->s;
    // nn.DataParallel / DistributedDataParallel prefix (Pic2Word's checkpoints have it).
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    if (!kv.second->is(Kind::tensor)) {
      // A bare top-level dict may mix tensors with other entries (epoch, ...); a state dict may not.
      LINCIR_CHECK_STATUS(container.empty(), Status::format,
                          source + ": state-dict entry '" + kv.first->s + "' is not a tensor");
      continue;
    }
    LINCIR_CHECK_STATUS(found.emplace(name, kv.second).second, Status::format,
                        source + ": duplicate tensor '" + name + "'");
  }
  std::vector<std::string> names;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& kv : found) {
    names.push_back(kv.first);
    shapes[kv.first] = kv.second->tensor.sizes;
  }
  ProjectorKind kind = choose_kind(detail::infer_projector_kind(names, source), options, source);
  ProjectorConfig config = detail::config_from_shapes(kind, shapes, source);
  config.backbone = options.backbone;

  // Only the projector's tensors are read from the archive. In a named container every tensor
  // must belong to the projector (load_tensors rejects strays); a bare root dict may hold more.
  detail::ProjectorModule probe(detail::resolve_projector_config(config));
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& e : probe->expected_shapes()) {
    auto it = found.find(e.first);
    if (it != found.end()) tensors[e.first] = archive.materialize(*it->second, e.first);
  }
  if (!container.empty()) {
    for (const auto& kv : found) {
      LINCIR_CHECK_STATUS(tensors.count(kv.first), Status::format,
                          source + ": unexpected tensor '" + kv.first + "' in '" + container + "'");
    }
  }
  int64_t step = -1;
  for (const char* key : {"global_step", "step"}) {
    const auto* v = root.get(key);
    if (v && v->is(Kind::integer)) step = v->i;
  }
  return build(config, tensors, step, options, source);
}

void Projector::save(const std::string& path, int64_t training_step) const {
  const auto& c = config();
  std::map<std::string, std::string> meta = {
      {"format", kFormatName},
      {"format_version", kFormatVersion},
      {"kind", projector_kind_name(c.kind)},
      {"backbone", c.backbone},
      {"input_dim", std::to_string(c.input_dim)},
      {"hidden_dim", std::to_string(c.hidden_dim)},
      {"output_dim", std::to_string(c.output_dim)},
      {"dropout", std::to_string(c.dropout)},
      {"training_step", std::to_string(training_step >= 0 ? training_step : impl_->training_step)},
  };
  auto params = impl_->module->named_parameters(true);
  std::vector<torch::Tensor> keep;
  std::vector<TensorToWrite> out;
  for (const auto& e : impl_->module->expected_shapes()) {
    auto t = params[e.first].detach().to(torch::kCPU, torch::kFloat32).contiguous();
    keep.push_back(t);
    out.push_back({e.first, TensorDType::F32, e.second, t.data_ptr<float>()});
  }
  save_safetensors(path, out, meta);
}

Embeddings Projector::forward(EmbeddingsRef x) const {
  LINCIR_CHECK(x.cols() == input_dim(),
               "Projector::forward: input has " + std::to_string(x.cols()) +
                   " columns, the projector expects " + std::to_string(input_dim()));
  Embeddings out(x.rows(), output_dim());
  if (x.rows() == 0) return out;
  // Copy into a row-major buffer: EmbeddingsRef may have an outer stride.
  Embeddings in = x;
  torch::NoGradGuard no_grad;
  auto t = torch::from_blob(in.data(), {in.rows(), in.cols()}, torch::kFloat32)
               .to(impl_->module->parameters().front().device());
  auto y = impl_->module->infer(t).to(torch::kCPU).contiguous();
  std::memcpy(out.data(), y.data_ptr<float>(), sizeof(float) * static_cast<size_t>(y.numel()));
  return out;
}

void Projector::to(const Device& device) {
  auto d = torch_device(device);
  impl_->module->to(d);
  impl_->device = device;
}

Device Projector::device() const { return impl_->device; }
const ProjectorConfig& Projector::config() const { return impl_->module->config(); }
int64_t Projector::training_step() const { return impl_->training_step; }
void Projector::set_training_step(int64_t step) { impl_->training_step = step; }

Projector Projector::clone() const {
  auto impl = make_impl(config());
  {
    torch::NoGradGuard no_grad;
    auto src = impl_->module->named_parameters(true);
    auto dst = impl->module->named_parameters(true);
    for (auto& kv : dst) kv.value().copy_(src[kv.key()].to(torch::kCPU));
  }
  impl->training_step = impl_->training_step;
  Projector p(std::move(impl));
  if (impl_->device.type != DeviceType::cpu) p.to(impl_->device);
  return p;
}

}  // namespace lincir
