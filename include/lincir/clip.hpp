// CLIP (ViT image tower + causal text tower) at numerical parity with openai/CLIP
// `clip/model.py`: configurations, checkpoint loading and the two encoders.
//
// Outputs are the un-normalised projected features of CLIP.encode_text / CLIP.encode_image,
// always as float32 Embeddings (one row per input), whatever the compute dtype. Use normalize()
// for cosine similarities.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lincir/common.hpp"
#include "lincir/image.hpp"
#include "lincir/tokenizer.hpp"

namespace lincir {

// Hyper-parameters of a ViT CLIP. Every field is architecture: the number of attention heads and
// the activation are always taken from here, never guessed from weight shapes (they cannot be).
// Value type; thread-compatible.
struct ClipConfig {
  enum class Activation {
    quick_gelu,  // x * sigmoid(1.702 x): OpenAI checkpoints
    gelu,        // exact erf GELU: OpenCLIP LAION ViT-H-14 / ViT-bigG-14, HF hidden_act "gelu"
  };

  std::string name;  // informational ("ViT-B-32", a file stem, HF _name_or_path)
  int embed_dim = 512;
  int image_resolution = 224;
  int vision_layers = 12;
  int vision_width = 768;
  int vision_heads = 12;
  int vision_patch_size = 32;
  int vision_mlp_width = 3072;
  int context_length = 77;
  int vocab_size = 49408;
  int text_width = 512;
  int text_heads = 8;
  int text_layers = 12;
  int text_mlp_width = 2048;
  Activation activation = Activation::quick_gelu;
  double layer_norm_eps = 1e-5;

  // Built-in architectures: "ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336" (OpenAI,
  // QuickGELU) and "ViT-H-14", "ViT-bigG-14" (OpenCLIP LAION, exact GELU). OpenAI spellings
  // ("ViT-B/32") are accepted too. Throws Error(invalid_argument) listing the names otherwise.
  static ClipConfig preset(const std::string& name);
  static std::vector<std::string> preset_names();

  // Parses a JSON config, detecting its layout:
  //  - flat, openai/CLIP build_model names (tests/data/parity/model_config.json): embed_dim,
  //    image_resolution, vision_layers, vision_width, vision_heads, vision_patch_size,
  //    context_length, vocab_size, transformer_width|text_width, transformer_heads|text_heads,
  //    transformer_layers|text_layers; optional vision_mlp_width / text_mlp_width (4 x width),
  //    act|activation ("quick_gelu" default, as every OpenAI model), layer_norm_eps, name;
  //  - OpenCLIP model config {embed_dim, quick_gelu, vision_cfg{...}, text_cfg{...}} (also
  //    wrapped as {"model_cfg": {...}} in open_clip_config.json); heads = width / head_width,
  //    mlp = int(width * mlp_ratio), GELU unless quick_gelu is true, open_clip defaults;
  //  - HuggingFace CLIPConfig config.json {projection_dim, text_config{...}, vision_config{...}}
  //    with transformers' defaults for absent fields; hidden_act "quick_gelu" or "gelu".
  // Variants this library does not implement (OpenCLIP attentional pooling, layer scale, custom
  // text towers, timm/HF backbones, ResNets; other HF activations) give Error(unsupported).
  // Malformed JSON, missing or mistyped fields give Error(format) naming the source and field;
  // inconsistent values give Error(invalid_argument) (see validate()).
  static ClipConfig from_json_file(const std::string& path);
  static ClipConfig from_json_string(const std::string& json, const std::string& origin = "JSON");
  // The flat layout above (round-trips through from_json_string).
  std::string to_json() const;

  // Throws Error(invalid_argument) naming the field: non-positive or absurd sizes, width not
  // divisible by heads, resolution not divisible by the patch size, eps not positive.
  void validate() const;

  int vision_grid() const { return image_resolution / vision_patch_size; }
  // Parameter counts as open_clip's profiler reports them (docs/model_profile.csv): the image
  // tower (model.visual, including its projection) and the text tower (token and positional
  // embeddings, blocks, ln_final, text_projection). param_count() adds logit_scale.
  int64_t vision_param_count() const;
  int64_t text_param_count() const;
  int64_t param_count() const;

  bool operator==(const ClipConfig& o) const;
  bool operator!=(const ClipConfig& o) const { return !(*this == o); }
};

const char* activation_name(ClipConfig::Activation a) noexcept;  // "quick_gelu" / "gelu"

struct ClipLoadOptions {
  Device device = Device::cpu();
  // float32 is the reference. bfloat16 halves the weights' memory on CPU and CUDA; on the CPU it
  // still computes in float32 (LibTorch 1.13's CPU bfloat16 matmul is ~40x slower than float32).
  // float16 only on CUDA (CPU gives Error(unsupported)). LayerNorm always runs in float32.
  DType dtype = DType::float32;
  // Architecture to use; when set it wins over any config found with the weights, and the
  // weights' shapes are checked against it.
  std::optional<ClipConfig> config;
  // A JSON config file (any layout ClipConfig::from_json_file accepts), used when `config` is
  // not set.
  std::string config_path;
  // Inputs are encoded in chunks of at most this many rows (bounds activation memory).
  int batch_size = 32;
  // Arithmetic of the transformer blocks' linear layers (~98% of the FLOPs) in inference.
  //  full (default): the weights' dtype; the reference results.
  //  int8: at load, every block's linear weights are also quantized to int8 per output channel
  //        and pre-packed (for lincir's AVX2 kernel on x86-64 CPUs with AVX2, otherwise for
  //        oneDNN); activations are quantized per call (dynamic quantization, int32
  //        accumulation). 2-3x faster than float32 on AVX2 CPUs (docs/performance.md) and 4x less
  //        weight traffic; embeddings keep cosine >= 0.995 with the float32 ones (tested on the
  //        parity model and on ViT-L/14-shaped random weights). Costs ~25% more memory for the
  //        int8 copies. Calls that need gradients (the trainer's pseudo-token pass) still use the
  //        float weights. CPU only (Error(unsupported) on CUDA); with bfloat16 storage the int8 copies
  //        are made from the bfloat16 weights.
  enum class LinearPrecision { full, int8 };
  LinearPrecision linear_precision = LinearPrecision::full;
};

class ClipModel;
namespace detail {
class ClipTowers;  // src/clip/towers.hpp (internal, LibTorch)
// The model's towers, for components built on them (projector, composer, trainer). Internal.
const ClipTowers& towers(const ClipModel& model);
std::shared_ptr<const ClipTowers> shared_towers(const ClipModel& model);
}  // namespace detail

// A loaded CLIP model. Copies share the same immutable weights (cheap). After load() every
// method is const and may be called concurrently from any number of threads.
class ClipModel {
 public:
  // Loads weights from `path`, which may be
  //  (a) a .safetensors file with OpenAI/OpenCLIP key names (visual.conv1.weight,
  //      transformer.resblocks.N..., token_embedding.weight, ...) or HuggingFace names. The config
  //      comes from, in order: options.config, options.config_path, the file's "clip_config"
  //      metadata entry (a JSON string in any layout above), or a JSON beside the file:
  //      <stem>.json, open_clip_config.json, config.json. Without any, Error(invalid_argument):
  //      heads and activation cannot be inferred from weights.
  //  (b) a directory: a HuggingFace CLIPModel checkpoint (config.json + model.safetensors or a
  //      sharded model.safetensors.index.json; *.position_ids are ignored, q/k/v projections are
  //      concatenated, the projections transposed) or an OpenCLIP hub directory
  //      (open_clip_config.json + open_clip_model.safetensors).
  //  (c) an OpenAI TorchScript archive (*.pt from clip.load's download, float16 or float32),
  //      read with torch::jit::load. Without an explicit config the architecture is inferred from
  //      the parameter shapes exactly as openai/CLIP build_model does (heads = width / 64,
  //      QuickGELU), which is right for every released OpenAI model; archives of other
  //      models (such as the parity fixture, head_dim 8) need options.config / config_path.
  // safetensors weights are memory-mapped and used in place when dtype and alignment allow (the
  // mapping lives as long as the model); otherwise converted once.
  // Errors: Error(io) unreadable path, Error(format) corrupt file or non-CLIP keys, missing tensor
  // or wrong shape (naming the key), Error(device) CUDA requested but unavailable,
  // Error(unsupported) float16 on CPU.
  static ClipModel load(const std::string& path, const ClipLoadOptions& options = {});

  const ClipConfig& config() const;
  Device device() const;
  DType dtype() const;
  // The standard CLIP tokenizer (created on first use).
  const Tokenizer& tokenizer() const;

  // clip.tokenize (truncating to config().context_length) + encode_tokens.
  Embeddings encode_text(const std::vector<std::string>& texts) const;
  // `ids`: row-major [n, context_length] token ids (clip.tokenize output), context_length between
  // 1 and config().context_length (shorter rows behave like rows zero-padded to it). Pools each
  // row at its first maximal id (the first EOT). Ids outside [0, vocab_size) give
  // Error(invalid_argument).
  Embeddings encode_tokens(const int32_t* ids, int64_t n, int64_t context_length) const;
  // preprocess(images, {config().image_resolution, mode}) + encode_pixels.
  Embeddings encode_images(const std::vector<Image>& images,
                           PreprocessMode mode = PreprocessMode::openai) const;
  // `chw`: n normalised images, each [3, R, R] float32 with R = config().image_resolution.
  Embeddings encode_pixels(const float* chw, int64_t n) const;

  ClipModel(const ClipModel&) = default;
  ClipModel& operator=(const ClipModel&) = default;
  ClipModel(ClipModel&&) noexcept = default;
  ClipModel& operator=(ClipModel&&) noexcept = default;
  ~ClipModel();

  struct Impl;  // opaque

 private:
  explicit ClipModel(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  friend const detail::ClipTowers& detail::towers(const ClipModel&);
  friend std::shared_ptr<const detail::ClipTowers> detail::shared_towers(const ClipModel&);
};

// Rows scaled to unit L2 norm (rows of zeros stay zero), as LinCIR/CLIP normalise before cosine
// similarity.
Embeddings normalize(const EmbeddingsRef& x);

}  // namespace lincir
