// Internal: reading CLIP checkpoints (safetensors with OpenAI/OpenCLIP or HuggingFace names, HF
// and OpenCLIP hub directories, OpenAI TorchScript archives) into ClipTowers.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "clip/towers.hpp"
#include "lincir/clip.hpp"

namespace lincir::detail {

// Named CPU tensors of a checkpoint, in the file's own naming.
class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual bool has(const std::string& key) const = 0;
  // A CPU tensor with the stored dtype; may alias a memory mapping that it keeps alive.
  // Error(format) naming the key if absent or not a floating-point tensor.
  virtual torch::Tensor get(const std::string& key) const = 0;
  virtual std::vector<std::string> keys() const = 0;
  virtual const std::string& path() const = 0;  // for messages
};

// Opens a single .safetensors file or a sharded "*.safetensors.index.json".
std::unique_ptr<TensorSource> open_safetensors_source(const std::string& path);
// torch::jit::load on the CPU; named_parameters() (detached).
std::unique_ptr<TensorSource> open_torchscript_source(const std::string& path);

enum class KeyNaming { openai, hf };
// Error(format) when the keys are neither.
KeyNaming detect_naming(const TensorSource& src);

// openai/CLIP build_model's inference from shapes (heads = width / 64, QuickGELU, mlp from c_fc).
// Error(invalid_argument) when a width is not a multiple of 64 (heads cannot be inferred).
ClipConfig infer_openai_config(const TensorSource& src);

// Builds the towers: every tensor looked up under `naming`, shape-checked against `config`
// (Error(format) naming the key in the file's naming), converted to `dtype` (LayerNorm
// parameters to float32) and moved to `device`; tensors already matching are used in place.
std::shared_ptr<const ClipTowers> build_towers(const TensorSource& src, KeyNaming naming,
                                               const ClipConfig& config, torch::Device device,
                                               torch::ScalarType dtype);

// The whole of ClipModel::load's path handling (see lincir/clip.hpp).
std::shared_ptr<const ClipTowers> load_towers(const std::string& path,
                                              const ClipLoadOptions& options);

}  // namespace lincir::detail
