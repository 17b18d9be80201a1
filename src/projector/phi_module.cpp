#include "projector/phi_module.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>

#include <cmath>
#include <set>

namespace lincir::detail {

namespace {

std::string shape_str(c10::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

bool is_phi(ProjectorKind k) { return k == ProjectorKind::lincir || k == ProjectorKind::searle; }

}  // namespace

ProjectorConfig resolve_projector_config(ProjectorConfig c) {
  if (c.hidden_dim == 0) c.hidden_dim = is_phi(c.kind) ? 4 * c.input_dim : 512;
  if (c.dropout < 0.f) c.dropout = is_phi(c.kind) ? 0.5f : 0.1f;
  LINCIR_CHECK(c.input_dim > 0, "projector input_dim must be positive, got " + std::to_string(c.input_dim));
  LINCIR_CHECK(c.hidden_dim > 0, "projector hidden_dim must be positive, got " + std::to_string(c.hidden_dim));
  LINCIR_CHECK(c.output_dim > 0, "projector output_dim must be positive, got " + std::to_string(c.output_dim));
  // 2^20 per side keeps every weight matrix far below int64 and memory limits.
  constexpr int kMaxDim = 1 << 20;
  LINCIR_CHECK(c.input_dim <= kMaxDim && c.hidden_dim <= kMaxDim && c.output_dim <= kMaxDim,
               "projector dimensions above 2^20 are not supported");
  LINCIR_CHECK(std::isfinite(c.dropout) && c.dropout >= 0.f && c.dropout < 1.f,
               "projector dropout must be in [0, 1), got " + std::to_string(c.dropout));
  return c;
}

ProjectorModuleImpl::ProjectorModuleImpl(const ProjectorConfig& config)
    : config_(resolve_projector_config(config)) {
  namespace nn = torch::nn;
  const int64_t P = config_.input_dim, H = config_.hidden_dim, W = config_.output_dim;
  const double p = config_.dropout;
  // The containers only give the parameters their published names (layers.0/3/6 for Phi,
  // layers.{0,1}.0 and fc_out for IM2TEXT); forward() walks linears_ itself.
  if (is_phi(config_.kind)) {
    nn::Linear l0(P, H), l3(H, H), l6(H, W);
    register_module("layers", nn::ModuleList(l0, nn::GELU(), nn::Dropout(p), l3, nn::GELU(),
                                             nn::Dropout(p), l6));
    linears_ = {l0, l3, l6};
  } else {
    nn::Linear l0(P, H), l1(H, H), out(H, W);
    register_module("fc_out", out);
    register_module("layers", nn::ModuleList(nn::Sequential(l0, nn::Dropout(p), nn::ReLU()),
                                             nn::Sequential(l1, nn::Dropout(p), nn::ReLU())));
    linears_ = {l0, l1, out};
  }
}

torch::Tensor ProjectorModuleImpl::forward(const torch::Tensor& x) {
  return run(x, is_training());
}

torch::Tensor ProjectorModuleImpl::infer(const torch::Tensor& x) { return run(x, false); }

torch::Tensor ProjectorModuleImpl::run(const torch::Tensor& x, bool dropout) {
  LINCIR_CHECK(x.dim() >= 1 && x.size(-1) == config_.input_dim,
               "projector input must have " + std::to_string(config_.input_dim) +
                   " features per row, got shape " + shape_str(x.sizes()));
  namespace F = torch::nn::functional;
  const bool phi = is_phi(config_.kind);
  auto hidden = [&](const torch::Tensor& t) {
    // Phi: Linear -> GELU -> Dropout; IM2TEXT: Linear -> Dropout -> ReLU (same result for ReLU,
    // since dropout only scales and zeroes).
    auto a = phi ? F::gelu(t, F::GELUFuncOptions().approximate("none")) : torch::relu(t);
    return dropout ? F::dropout(a, F::DropoutFuncOptions().p(config_.dropout).training(true)) : a;
  };
  auto y = hidden(linears_[0]->forward(x));
  y = hidden(linears_[1]->forward(y));
  return linears_[2]->forward(y);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> ProjectorModuleImpl::expected_shapes() const {
  const int64_t P = config_.input_dim, H = config_.hidden_dim, W = config_.output_dim;
  if (is_phi(config_.kind)) {
    return {{"layers.0.weight", {H, P}}, {"layers.0.bias", {H}}, {"layers.3.weight", {H, H}},
            {"layers.3.bias", {H}},      {"layers.6.weight", {W, H}}, {"layers.6.bias", {W}}};
  }
  return {{"layers.0.0.weight", {H, P}}, {"layers.0.0.bias", {H}}, {"layers.1.0.weight", {H, H}},
          {"layers.1.0.bias", {H}},      {"fc_out.weight", {W, H}}, {"fc_out.bias", {W}}};
}

void ProjectorModuleImpl::load_tensors(const std::map<std::string, torch::Tensor>& tensors,
                                       const std::string& source) {
  auto expected = expected_shapes();
  for (const auto& kv : tensors) {
    bool known = false;
    for (const auto& e : expected) known = known || e.first == kv.first;
    LINCIR_CHECK_STATUS(known, Status::format,
                        source + ": unexpected tensor '" + kv.first + "' for a " +
                            projector_kind_name(config_.kind) + " projector");
  }
  auto params = named_parameters(/*recurse=*/true);
  torch::NoGradGuard no_grad;
  for (const auto& e : expected) {
    auto it = tensors.find(e.first);
    LINCIR_CHECK_STATUS(it != tensors.end(), Status::format,
                        source + ": missing tensor '" + e.first + "'");
    const auto& t = it->second;
    LINCIR_CHECK_STATUS(t.sizes().vec() == e.second, Status::format,
                        source + ": tensor '" + e.first + "' has shape " + shape_str(t.sizes()) +
                            ", expected " + shape_str(e.second));
    LINCIR_CHECK_STATUS(t.is_floating_point(), Status::format,
                        source + ": tensor '" + e.first + "' is not floating point");
    auto f = t.to(torch::kFloat32);
    LINCIR_CHECK_STATUS(torch::isfinite(f).all().item<bool>(), Status::format,
                        source + ": tensor '" + e.first + "' holds NaN or infinite values");
    auto* p = params.find(e.first);
    LINCIR_CHECK_STATUS(p != nullptr, Status::internal, "projector has no parameter " + e.first);
    p->copy_(f);
  }
}

void ProjectorModuleImpl::reset_parameters(uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  auto params = named_parameters(true);
  for (auto& kv : params) {
    // Weights are [out, in]; a bias shares its layer's fan_in, found from the sibling weight.
    const std::string& name = kv.key();
    std::string prefix = name.substr(0, name.rfind('.'));
    auto* w = params.find(prefix + ".weight");
    const int64_t fan_in = w->size(1);
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    auto fresh = torch::empty(kv.value().sizes(), torch::kFloat32).uniform_(-bound, bound, gen);
    kv.value().copy_(fresh);
  }
}

ProjectorKind infer_projector_kind(const std::vector<std::string>& keys, const std::string& source) {
  std::set<std::string> k(keys.begin(), keys.end());
  if (k.count("layers.0.weight") && k.count("layers.6.weight")) return ProjectorKind::lincir;
  if (k.count("fc_out.weight") && k.count("layers.0.0.weight")) return ProjectorKind::pic2word;
  LINCIR_THROW(Status::format, source +
                                   ": not a projector state dict (expected layers.{0,3,6}.* of a "
                                   "LinCIR/SEARLE Phi or fc_out.*, layers.{0,1}.0.* of Pic2Word)");
}

ProjectorConfig config_from_shapes(ProjectorKind kind,
                                   const std::map<std::string, std::vector<int64_t>>& shapes,
                                   const std::string& source) {
  auto dims = [&](const std::string& key) {
    auto it = shapes.find(key);
    LINCIR_CHECK_STATUS(it != shapes.end(), Status::format, source + ": missing tensor '" + key + "'");
    LINCIR_CHECK_STATUS(it->second.size() == 2 && it->second[0] > 0 && it->second[1] > 0 &&
                            it->second[0] <= INT32_MAX && it->second[1] <= INT32_MAX,
                        Status::format,
                        source + ": tensor '" + key + "' must be a non-empty matrix, has shape " +
                            shape_str(it->second));
    return it->second;
  };
  ProjectorConfig c;
  c.kind = kind;
  const bool phi = is_phi(kind);
  auto first = dims(phi ? "layers.0.weight" : "layers.0.0.weight");
  auto last = dims(phi ? "layers.6.weight" : "fc_out.weight");
  c.input_dim = static_cast<int>(first[1]);
  c.hidden_dim = static_cast<int>(first[0]);
  c.output_dim = static_cast<int>(last[0]);
  return c;
}

}  // namespace lincir::detail
