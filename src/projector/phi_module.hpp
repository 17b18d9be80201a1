// The projector networks as a torch::nn::Module, for the trainer (torch::optim on parameters(),
// train()/eval() toggling dropout) and the composer (differentiable forward on tensors).
// Parameter names equal the published state-dict keys of each kind (see lincir/projector.hpp),
// so named_parameters() is the file layout.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <map>
#include <string>
#include <vector>

#include "lincir/projector.hpp"

namespace lincir::detail {

// Resolves the kind defaults of a config (hidden_dim 0, dropout < 0) and validates it.
// Throws Error(invalid_argument) naming the bad field.
ProjectorConfig resolve_projector_config(ProjectorConfig c);

class ProjectorModuleImpl : public torch::nn::Module {
 public:
  explicit ProjectorModuleImpl(const ProjectorConfig& config);

  // [..., input_dim] float32 -> [..., output_dim]. Dropout (p = config().dropout) follows
  // is_training().
  torch::Tensor forward(const torch::Tensor& x);
  // The same network with dropout skipped whatever the mode: inference, safe to call
  // concurrently with other infer() calls.
  torch::Tensor infer(const torch::Tensor& x);

  const ProjectorConfig& config() const { return config_; }

  // Expected tensor shapes by state-dict key, in file order.
  std::vector<std::pair<std::string, std::vector<int64_t>>> expected_shapes() const;

  // Copies `tensors` (exactly the expected keys, matching shapes) into the parameters.
  // Throws Error(format) naming `source` and the offending key.
  void load_tensors(const std::map<std::string, torch::Tensor>& tensors, const std::string& source);

  // Re-draws every weight and bias uniformly in +-1/sqrt(fan_in) (nn.Linear's default) from a
  // generator seeded with `seed`.
  void reset_parameters(uint64_t seed);

 private:
  torch::Tensor run(const torch::Tensor& x, bool dropout);

  ProjectorConfig config_;
  std::vector<torch::nn::Linear> linears_;  // the three linear layers in order
};
TORCH_MODULE(ProjectorModule);

// Infers the kind from state-dict keys: "lincir" for layers.{0,3,6}, "pic2word" for fc_out.
// Throws Error(format) naming `source` when neither layout matches.
ProjectorKind infer_projector_kind(const std::vector<std::string>& keys, const std::string& source);

// Reads input/hidden/output sizes of `kind` from the shapes in `tensors` (weights are [out, in]).
// Throws Error(format) if a key is missing or not 2-D.
ProjectorConfig config_from_shapes(ProjectorKind kind,
                                   const std::map<std::string, std::vector<int64_t>>& shapes,
                                   const std::string& source);

}  // namespace lincir::detail

namespace lincir {

// The internal state behind lincir::Projector.
struct Projector::Impl {
  detail::ProjectorModule module{nullptr};
  int64_t training_step = -1;
  Device device;
};

// Internal access to a Projector's module (for the composer and trainer).
struct ProjectorAccess {
  static detail::ProjectorModule& module(Projector& p) { return p.impl_->module; }
  static const detail::ProjectorModule& module(const Projector& p) { return p.impl_->module; }
  static Projector wrap(std::unique_ptr<Projector::Impl> impl) { return Projector(std::move(impl)); }
};

}  // namespace lincir
