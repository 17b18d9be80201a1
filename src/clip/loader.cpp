#include "clip/loader.hpp"

#include <torch/script.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/file_io.hpp"
#include "lincir/safetensors.hpp"

namespace lincir::detail {
namespace {

namespace fs = std::filesystem;

std::string shape_str(c10::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// ---- safetensors (single file or HF shards) ----

class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(std::string path) : path_(std::move(path)) {}

  void add_file(const std::string& file) {
    auto st = std::make_shared<const SafeTensors>(SafeTensors::open(file));
    for (const auto& name : st->names()) where_[name] = st;
    files_.push_back(std::move(st));
  }
  bool has(const std::string& key) const override { return where_.count(key) > 0; }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    for (const auto& kv : where_) out.push_back(kv.first);
    return out;
  }
  const std::string& path() const override { return path_; }
  const SafeTensors& first() const { return *files_.front(); }

  torch::Tensor get(const std::string& key) const override {
    auto it = where_.find(key);
    LINCIR_CHECK_STATUS(it != where_.end(), Status::format,
                        "CLIP weights '" + path_ + "': missing tensor '" + key + "'");
    const std::shared_ptr<const SafeTensors>& st = it->second;
    const TensorView& v = st->get(key);
    torch::ScalarType t;
    switch (v.dtype) {
      case TensorDType::F32:
        t = torch::kFloat;
        break;
      case TensorDType::F16:
        t = torch::kHalf;
        break;
      case TensorDType::BF16:
        t = torch::kBFloat16;
        break;
      case TensorDType::F64:
        t = torch::kDouble;
        break;
      default:
        LINCIR_THROW(Status::format, "CLIP weights '" + path_ + "': tensor '" + key + "' is " +
                                         tensor_dtype_name(v.dtype) +
                                         ", expected a floating-point type");
    }
    const size_t item = tensor_dtype_size(v.dtype);
    auto opts = torch::TensorOptions().dtype(t);
    if (reinterpret_cast<uintptr_t>(v.data) % item == 0) {
      // Zero-copy view of the read-only mapping; the deleter keeps the file mapped.
      std::shared_ptr<const SafeTensors> keep = st;
      return torch::from_blob(
          const_cast<uint8_t*>(v.data), v.shape, [keep](void*) mutable { keep.reset(); }, opts);
    }
    torch::Tensor out = torch::empty(v.shape, opts);
    std::memcpy(out.data_ptr(), v.data, v.nbytes);
    return out;
  }

 private:
  std::string path_;
  std::vector<std::shared_ptr<const SafeTensors>> files_;
  std::map<std::string, std::shared_ptr<const SafeTensors>> where_;
};

// ---- TorchScript ----

class MapSource : public TensorSource {
 public:
  MapSource(std::string path, std::map<std::string, torch::Tensor> tensors)
      : path_(std::move(path)), tensors_(std::move(tensors)) {}
  bool has(const std::string& key) const override { return tensors_.count(key) > 0; }
  torch::Tensor get(const std::string& key) const override {
    auto it = tensors_.find(key);
    LINCIR_CHECK_STATUS(it != tensors_.end(), Status::format,
                        "CLIP weights '" + path_ + "': missing tensor '" + key + "'");
    LINCIR_CHECK_STATUS(
        it->second.is_floating_point(), Status::format,
        "CLIP weights '" + path_ + "': tensor '" + key + "' is not a floating-point tensor");
    return it->second;
  }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    for (const auto& kv : tensors_) out.push_back(kv.first);
    return out;
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::map<std::string, torch::Tensor> tensors_;
};

// ---- OpenAI <-> HuggingFace names ----

// How an OpenAI-named tensor is stored in a HF CLIPModel checkpoint.
struct HfKey {
  std::string name;        // HF key (for in_proj: the q_proj key; k/v follow)
  bool qkv = false;        // in_proj_{weight,bias}: concatenate q, k, v
  bool transpose = false;  // projections: HF [E, W] -> OpenAI [W, E]
};

HfKey hf_key(const std::string& k) {
  static const std::map<std::string, std::string> simple = {
      {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
      {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
      {"ln_final.weight", "text_model.final_layer_norm.weight"},
      {"ln_final.bias", "text_model.final_layer_norm.bias"},
      {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
      {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
      {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
      {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"},  // sic
      {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
      {"visual.ln_post.weight", "vision_model.post_layernorm.weight"},
      {"visual.ln_post.bias", "vision_model.post_layernorm.bias"},
      {"logit_scale", "logit_scale"},
  };
  if (auto it = simple.find(k); it != simple.end()) return {it->second};
  if (k == "text_projection") return {"text_projection.weight", false, true};
  if (k == "visual.proj") return {"visual_projection.weight", false, true};
  static const std::regex block(R"(^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$)");
  std::smatch m;
  if (std::regex_match(k, m, block)) {
    const std::string prefix = std::string(m[1].matched ? "vision_model" : "text_model") +
                               ".encoder.layers." + m[2].str() + ".";
    static const std::map<std::string, std::string> parts = {
        {"attn.out_proj.weight", "self_attn.out_proj.weight"},
        {"attn.out_proj.bias", "self_attn.out_proj.bias"},
        {"ln_1.weight", "layer_norm1.weight"},
        {"ln_1.bias", "layer_norm1.bias"},
        {"ln_2.weight", "layer_norm2.weight"},
        {"ln_2.bias", "layer_norm2.bias"},
        {"mlp.c_fc.weight", "mlp.fc1.weight"},
        {"mlp.c_fc.bias", "mlp.fc1.bias"},
        {"mlp.c_proj.weight", "mlp.fc2.weight"},
        {"mlp.c_proj.bias", "mlp.fc2.bias"},
    };
    const std::string rest = m[3].str();
    if (rest == "attn.in_proj_weight") return {prefix + "self_attn.q_proj.weight", true, false};
    if (rest == "attn.in_proj_bias") return {prefix + "self_attn.q_proj.bias", true, false};
    if (auto it = parts.find(rest); it != parts.end()) return {prefix + it->second};
  }
  LINCIR_THROW(Status::internal, "no HuggingFace name for CLIP tensor '" + k + "'");
}

// Fetches the OpenAI-named tensor `key` with `shape`, from either naming, converted to
// `dtype` on `device`.
class Assembler {
 public:
  Assembler(const TensorSource& src, KeyNaming naming, torch::Device device,
            torch::ScalarType dtype)
      : src_(src), naming_(naming), device_(device), dtype_(dtype) {}

  torch::Tensor take(const std::string& key, std::vector<int64_t> shape, bool float32 = false) {
    torch::Tensor t;
    if (naming_ == KeyNaming::openai) {
      t = checked(key, shape, "");
    } else {
      const HfKey h = hf_key(key);
      const std::string note = " (OpenAI name '" + key + "')";
      if (h.qkv) {
        std::vector<int64_t> part = shape;
        part[0] /= 3;
        const size_t q = h.name.find("q_proj.");
        const std::string base = h.name.substr(0, q), suffix = h.name.substr(q + 6);  // ".weight"
        t = at::cat({checked(base + "q_proj" + suffix, part, note),
                     checked(base + "k_proj" + suffix, part, note),
                     checked(base + "v_proj" + suffix, part, note)},
                    0);
      } else if (h.transpose) {
        t = checked(h.name, {shape[1], shape[0]}, note).t();
      } else {
        t = checked(h.name, shape, note);
      }
    }
    const torch::ScalarType target = float32 ? torch::kFloat : dtype_;
    if (t.device() == device_ && t.scalar_type() == target) return t;  // in place, no copy
    return t.to(device_, target);
  }

  bool has(const std::string& key) const {
    return src_.has(naming_ == KeyNaming::openai ? key : hf_key(key).name);
  }

 private:
  torch::Tensor checked(const std::string& name, const std::vector<int64_t>& shape,
                        const std::string& note) const {
    LINCIR_CHECK_STATUS(src_.has(name), Status::format,
                        "CLIP weights '" + src_.path() + "': missing tensor '" + name + "'" + note);
    torch::Tensor t = src_.get(name);
    LINCIR_CHECK_STATUS(t.sizes() == c10::IntArrayRef(shape), Status::format,
                        "CLIP weights '" + src_.path() + "': tensor '" + name + "'" + note +
                            " has shape " + shape_str(t.sizes()) + ", expected " +
                            shape_str(shape) + " from the config");
    return t;
  }

  const TensorSource& src_;
  KeyNaming naming_;
  torch::Device device_;
  torch::ScalarType dtype_;
};

std::vector<BlockWeights> take_blocks(Assembler& a, const std::string& prefix, int layers,
                                      int64_t d, int64_t m) {
  std::vector<BlockWeights> out(layers);
  for (int i = 0; i < layers; ++i) {
    const std::string p = prefix + std::to_string(i) + ".";
    BlockWeights& b = out[i];
    b.ln_1_weight = a.take(p + "ln_1.weight", {d}, true);
    b.ln_1_bias = a.take(p + "ln_1.bias", {d}, true);
    b.in_proj_weight = a.take(p + "attn.in_proj_weight", {3 * d, d});
    b.in_proj_bias = a.take(p + "attn.in_proj_bias", {3 * d});
    b.out_proj_weight = a.take(p + "attn.out_proj.weight", {d, d});
    b.out_proj_bias = a.take(p + "attn.out_proj.bias", {d});
    b.ln_2_weight = a.take(p + "ln_2.weight", {d}, true);
    b.ln_2_bias = a.take(p + "ln_2.bias", {d}, true);
    b.c_fc_weight = a.take(p + "mlp.c_fc.weight", {m, d});
    b.c_fc_bias = a.take(p + "mlp.c_fc.bias", {m});
    b.c_proj_weight = a.take(p + "mlp.c_proj.weight", {d, m});
    b.c_proj_bias = a.take(p + "mlp.c_proj.bias", {d});
  }
  // A checkpoint deeper than the config means the config is wrong, not that layers are spare.
  LINCIR_CHECK_STATUS(!a.has(prefix + std::to_string(layers) + ".ln_1.weight"), Status::format,
                      "CLIP weights: the checkpoint has more than " + std::to_string(layers) +
                          " blocks under '" + prefix + "' (config mismatch)");
  return out;
}

int count_blocks(const TensorSource& src, const std::string& prefix) {
  int n = 0;
  while (src.has(prefix + std::to_string(n) + ".attn.in_proj_weight")) ++n;
  return n;
}

std::optional<std::string> existing(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p.string();
  return std::nullopt;
}

// Config for a loose safetensors file: metadata, then a JSON beside it.
std::optional<ClipConfig> config_beside(const fs::path& file, const SafetensorsSource* st) {
  if (st) {
    const auto& meta = st->first().metadata();
    if (auto it = meta.find("clip_config"); it != meta.end())
      return ClipConfig::from_json_string(it->second,
                                          "metadata 'clip_config' of '" + file.string() + "'");
  }
  const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  std::string stem = file.filename().string();
  for (const char* ext : {".safetensors.index.json", ".safetensors", ".pt", ".pth", ".bin"}) {
    const std::string e = ext;
    if (stem.size() > e.size() && stem.compare(stem.size() - e.size(), e.size(), e) == 0) {
      stem.resize(stem.size() - e.size());
      break;
    }
  }
  for (const fs::path& cand :
       {dir / (stem + ".json"), dir / "open_clip_config.json", dir / "config.json"})
    if (auto p = existing(cand)) return ClipConfig::from_json_file(*p);
  return std::nullopt;
}

bool starts_with_zip_magic(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[4] = {};
  f.read(m, 4);
  return f.gcount() == 4 && std::memcmp(m, "PK\x03\x04", 4) == 0;
}

}  // namespace

std::unique_ptr<TensorSource> open_safetensors_source(const std::string& path) {
  auto src = std::make_unique<SafetensorsSource>(path);
  const std::string idx = ".safetensors.index.json";
  if (path.size() > idx.size() && path.compare(path.size() - idx.size(), idx.size(), idx) == 0) {
    std::ifstream f(path);
    LINCIR_CHECK_STATUS(f.good(), Status::io, "cannot open '" + path + "'");
    nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
    LINCIR_CHECK_STATUS(!j.is_discarded() && j.is_object() && j.contains("weight_map") &&
                            j["weight_map"].is_object(),
                        Status::format, "'" + path + "' is not a safetensors index (weight_map)");
    std::set<std::string> shards;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      LINCIR_CHECK_STATUS(it.value().is_string(), Status::format,
                          "'" + path + "': weight_map entry '" + it.key() + "' is not a file name");
      const std::string shard = it.value().get<std::string>();
      LINCIR_CHECK_STATUS(shard.find('/') == std::string::npos && shard != ".." && !shard.empty(),
                          Status::format, "'" + path + "': bad shard name '" + shard + "'");
      shards.insert(shard);
    }
    const fs::path dir = fs::path(path).parent_path();
    for (const auto& s : shards) src->add_file((dir / s).string());
  } else {
    src->add_file(path);
  }
  return src;
}

std::unique_ptr<TensorSource> open_torchscript_source(const std::string& path) {
  torch::jit::Module m;
  try {
    m = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    LINCIR_THROW(Status::format, "'" + path +
                                     "' is not a loadable TorchScript archive (state dicts saved "
                                     "with torch.save are not supported; convert them to "
                                     "safetensors): " +
                                     e.what_without_backtrace());
  }
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : m.named_parameters(/*recurse=*/true)) tensors[p.name] = p.value.detach();
  for (const auto& p : m.named_buffers(/*recurse=*/true))
    if (!tensors.count(p.name)) tensors[p.name] = p.value.detach();
  return std::make_unique<MapSource>(path, std::move(tensors));
}

KeyNaming detect_naming(const TensorSource& src) {
  if (src.has("visual.conv1.weight") || src.has("token_embedding.weight")) return KeyNaming::openai;
  if (src.has("vision_model.embeddings.patch_embedding.weight") ||
      src.has("text_model.embeddings.token_embedding.weight"))
    return KeyNaming::hf;
  LINCIR_THROW(Status::format,
               "'" + src.path() +
                   "' does not hold CLIP weights with OpenAI/OpenCLIP names (visual.conv1.weight, "
                   "token_embedding.weight) or HuggingFace names "
                   "(vision_model.embeddings.patch_embedding.weight)");
}

ClipConfig infer_openai_config(const TensorSource& src) {
  auto shape = [&](const std::string& k) { return src.get(k).sizes().vec(); };
  auto dim = [&](const std::string& k, size_t i, size_t rank) {
    const auto s = shape(k);
    LINCIR_CHECK_STATUS(s.size() == rank, Status::format,
                        "CLIP weights '" + src.path() + "': tensor '" + k + "' has rank " +
                            std::to_string(s.size()) + ", expected " + std::to_string(rank));
    return static_cast<int>(s[i]);
  };
  LINCIR_CHECK_STATUS(src.has("visual.proj"), Status::unsupported,
                      "'" + src.path() + "': only ViT CLIP models are supported (no visual.proj)");
  ClipConfig c;
  c.name = fs::path(src.path()).stem().string();
  c.vision_width = dim("visual.conv1.weight", 0, 4);
  c.vision_patch_size = dim("visual.conv1.weight", 3, 4);
  c.vision_layers = count_blocks(src, "visual.transformer.resblocks.");
  const int tokens = dim("visual.positional_embedding", 0, 2);
  int grid = 0;
  while ((grid + 1) * (grid + 1) <= tokens - 1) ++grid;
  LINCIR_CHECK_STATUS(grid * grid + 1 == tokens, Status::format,
                      "'" + src.path() + "': visual.positional_embedding has " +
                          std::to_string(tokens) + " rows, not grid^2 + 1");
  c.image_resolution = grid * c.vision_patch_size;
  c.embed_dim = dim("text_projection", 1, 2);
  c.context_length = dim("positional_embedding", 0, 2);
  c.vocab_size = dim("token_embedding.weight", 0, 2);
  c.text_width = dim("ln_final.weight", 0, 1);
  c.text_layers = count_blocks(src, "transformer.resblocks.");
  LINCIR_CHECK_STATUS(c.vision_layers > 0 && c.text_layers > 0, Status::format,
                      "'" + src.path() + "': no transformer blocks found");
  c.vision_mlp_width = dim("visual.transformer.resblocks.0.mlp.c_fc.weight", 0, 2);
  c.text_mlp_width = dim("transformer.resblocks.0.mlp.c_fc.weight", 0, 2);
  LINCIR_CHECK(c.vision_width % 64 == 0 && c.text_width % 64 == 0,
               "'" + src.path() + "': cannot infer the number of attention heads (widths " +
                   std::to_string(c.vision_width) + "/" + std::to_string(c.text_width) +
                   " are not multiples of 64, as in OpenAI's models); pass a config");
  c.vision_heads = c.vision_width / 64;
  c.text_heads = c.text_width / 64;
  c.activation = ClipConfig::Activation::quick_gelu;
  c.layer_norm_eps = 1e-5;
  c.validate();
  return c;
}

std::shared_ptr<const ClipTowers> build_towers(const TensorSource& src, KeyNaming naming,
                                               const ClipConfig& c, torch::Device device,
                                               torch::ScalarType dtype) {
  c.validate();
  Assembler a(src, naming, device, dtype);
  const int64_t wt = c.text_width, wv = c.vision_width, e = c.embed_dim, g = c.vision_grid();
  ClipWeights w;
  w.token_embedding = a.take("token_embedding.weight", {c.vocab_size, wt});
  w.positional_embedding = a.take("positional_embedding", {c.context_length, wt});
  w.text_blocks = take_blocks(a, "transformer.resblocks.", c.text_layers, wt, c.text_mlp_width);
  w.ln_final_weight = a.take("ln_final.weight", {wt}, true);
  w.ln_final_bias = a.take("ln_final.bias", {wt}, true);
  w.text_projection = a.take("text_projection", {wt, e});
  w.conv1_weight = a.take("visual.conv1.weight", {wv, 3, c.vision_patch_size, c.vision_patch_size});
  w.class_embedding = a.take("visual.class_embedding", {wv});
  w.vision_positional_embedding = a.take("visual.positional_embedding", {g * g + 1, wv});
  w.ln_pre_weight = a.take("visual.ln_pre.weight", {wv}, true);
  w.ln_pre_bias = a.take("visual.ln_pre.bias", {wv}, true);
  w.vision_blocks =
      take_blocks(a, "visual.transformer.resblocks.", c.vision_layers, wv, c.vision_mlp_width);
  w.ln_post_weight = a.take("visual.ln_post.weight", {wv}, true);
  w.ln_post_bias = a.take("visual.ln_post.bias", {wv}, true);
  w.visual_proj = a.take("visual.proj", {wv, e});
  // Not used by the encoders; absent in some exports.
  if (a.has("logit_scale")) w.logit_scale = a.take("logit_scale", {}, true);
  return std::make_shared<const ClipTowers>(c, std::move(w), device, dtype);
}

std::shared_ptr<const ClipTowers> load_towers(const std::string& path, const ClipLoadOptions& opt) {
  const torch::Device device = to_torch_device(opt.device);
  const torch::ScalarType dtype = to_torch_dtype(opt.dtype, opt.device);
  std::optional<ClipConfig> config = opt.config;
  if (config) config->validate();
  if (!config && !opt.config_path.empty()) config = ClipConfig::from_json_file(opt.config_path);

  std::error_code ec;
  LINCIR_CHECK_STATUS(!path.empty(), Status::invalid_argument, "empty CLIP checkpoint path");
  LINCIR_CHECK_STATUS(fs::exists(path, ec), Status::io,
                      "CLIP checkpoint '" + path + "' does not exist");
  std::unique_ptr<TensorSource> src;
  try {
    if (fs::is_directory(path, ec)) {
      const fs::path dir(path);
      if (auto cfg = existing(dir / "config.json")) {
        if (auto st = existing(dir / "model.safetensors")) {
          src = open_safetensors_source(*st);
        } else if (auto ix = existing(dir / "model.safetensors.index.json")) {
          src = open_safetensors_source(*ix);
        } else {
          LINCIR_THROW(Status::unsupported,
                       "HuggingFace directory '" + path +
                           "' has no model.safetensors (pytorch_model.bin is not supported; "
                           "convert it to safetensors)");
        }
        if (!config) config = ClipConfig::from_json_file(*cfg);
      } else if (auto st = existing(dir / "open_clip_model.safetensors")) {
        src = open_safetensors_source(*st);
        if (!config) {
          auto cfg = existing(dir / "open_clip_config.json");
          LINCIR_CHECK_STATUS(cfg.has_value(), Status::invalid_argument,
                              "OpenCLIP directory '" + path + "' has no open_clip_config.json");
          config = ClipConfig::from_json_file(*cfg);
        }
      } else {
        LINCIR_THROW(Status::format,
                     "directory '" + path +
                         "' is neither a HuggingFace CLIPModel checkpoint (config.json + "
                         "model.safetensors) nor an OpenCLIP one (open_clip_config.json + "
                         "open_clip_model.safetensors)");
      }
    } else if (starts_with_zip_magic(path)) {
      src = open_torchscript_source(path);
      if (!config) config = infer_openai_config(*src);
    } else {
      src = open_safetensors_source(path);
      if (!config) config = config_beside(path, static_cast<const SafetensorsSource*>(src.get()));
      LINCIR_CHECK(config.has_value(),
                   "no CLIP config for '" + path +
                       "': pass ClipLoadOptions::config or config_path, add a 'clip_config' "
                       "metadata entry, or put <stem>.json / config.json beside it (attention "
                       "heads and the activation cannot be inferred from weights)");
    }
    return build_towers(*src, detect_naming(*src), *config, device, dtype);
  } catch (const c10::Error& e) {
    LINCIR_THROW(Status::format,
                 "loading CLIP checkpoint '" + path + "' failed: " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    LINCIR_THROW(Status::out_of_memory, "out of memory loading CLIP checkpoint '" + path + "'");
  }
}

}  // namespace lincir::detail
