// ClipConfig: presets, JSON layouts (flat OpenAI names, OpenCLIP, HuggingFace), validation and
// parameter counts.
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lincir/clip.hpp"

namespace lincir {
namespace {

using json = nlohmann::json;
using Act = ClipConfig::Activation;

struct Preset {
  const char* name;
  const char* alias;  // OpenAI's spelling
  int embed, res, v_layers, v_width, v_heads, patch, v_mlp, t_width, t_heads, t_layers, t_mlp;
  Act act;
};

// OpenAI's released ViTs (clip/model.py build_model: heads = width / 64, mlp 4x) and OpenCLIP's
// LAION ViT-H-14 (head_width 80) and ViT-bigG-14 (head_width 104, mlp_ratio 4.9231 -> 8192).
constexpr Preset kPresets[] = {
    {"ViT-B-32", "ViT-B/32", 512, 224, 12, 768, 12, 32, 3072, 512, 8, 12, 2048, Act::quick_gelu},
    {"ViT-B-16", "ViT-B/16", 512, 224, 12, 768, 12, 16, 3072, 512, 8, 12, 2048, Act::quick_gelu},
    {"ViT-L-14", "ViT-L/14", 768, 224, 24, 1024, 16, 14, 4096, 768, 12, 12, 3072, Act::quick_gelu},
    {"ViT-L-14-336", "ViT-L/14@336px", 768, 336, 24, 1024, 16, 14, 4096, 768, 12, 12, 3072,
     Act::quick_gelu},
    {"ViT-H-14", "ViT-H/14", 1024, 224, 32, 1280, 16, 14, 5120, 1024, 16, 24, 4096, Act::gelu},
    {"ViT-bigG-14", "ViT-bigG/14", 1280, 224, 48, 1664, 16, 14, 8192, 1280, 20, 32, 5120,
     Act::gelu},
};

[[noreturn]] void fail(Status s, const std::string& origin, const std::string& what) {
  LINCIR_THROW(s, "CLIP config " + origin + ": " + what);
}

// Typed field access with errors that name the source and the field.
class Fields {
 public:
  Fields(const json& j, std::string origin, std::string prefix = "")
      : j_(j), origin_(std::move(origin)), prefix_(std::move(prefix)) {
    if (!j_.is_object()) fail(Status::format, origin_, where("") + "is not a JSON object");
  }
  bool has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  const json& at(const char* key) const { return j_.at(key); }

  int get_int(const char* key) const {
    if (!has(key)) fail(Status::format, origin_, "missing field '" + prefix_ + key + "'");
    return to_int(j_.at(key), key);
  }
  int get_int(const char* key, int def) const { return has(key) ? to_int(j_.at(key), key) : def; }
  // First of several accepted spellings.
  int get_int_any(std::initializer_list<const char*> keys) const {
    for (const char* k : keys)
      if (has(k)) return to_int(j_.at(k), k);
    fail(Status::format, origin_, "missing field '" + prefix_ + *keys.begin() + "'");
  }
  double get_double(const char* key, double def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_number()) fail(Status::format, origin_, where(key) + "must be a number");
    return v.get<double>();
  }
  bool get_bool(const char* key, bool def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_boolean()) fail(Status::format, origin_, where(key) + "must be true or false");
    return v.get<bool>();
  }
  std::string get_string(const char* key, const std::string& def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_string()) fail(Status::format, origin_, where(key) + "must be a string");
    return v.get<std::string>();
  }
  // Image/patch sizes may be [h, w] in OpenCLIP configs; only squares are supported.
  int get_square(const char* key, int def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (v.is_array()) {
      if (v.size() != 2) fail(Status::format, origin_, where(key) + "must be an int or [h, w]");
      const int a = to_int(v[0], key), b = to_int(v[1], key);
      if (a != b)
        fail(Status::unsupported, origin_, where(key) + "non-square sizes are not supported");
      return a;
    }
    return to_int(v, key);
  }
  // Options that change the architecture into something this library does not implement.
  void require(const char* key, const json& expected) const {
    if (has(key) && j_.at(key) != expected)
      fail(Status::unsupported, origin_,
           where(key) + j_.at(key).dump() + " is not supported (only " + expected.dump() + ")");
  }
  void require_absent(const char* key, const char* what) const {
    if (has(key) && !(j_.at(key).is_boolean() && !j_.at(key).get<bool>()))
      fail(Status::unsupported, origin_, where(key) + what + " is not supported");
  }
  std::string where(const std::string& key) const { return "field '" + prefix_ + key + "' "; }
  const std::string& origin() const { return origin_; }

 private:
  int to_int(const json& v, const char* key) const {
    if (v.is_number_integer()) {
      const int64_t x = v.get<int64_t>();
      if (x < INT32_MIN || x > INT32_MAX)
        fail(Status::format, origin_, where(key) + "is out of range");
      return static_cast<int>(x);
    }
    // JSON writers sometimes emit 768.0.
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::floor(d) == d && std::fabs(d) < 2e9) return static_cast<int>(d);
    }
    fail(Status::format, origin_, where(key) + "must be an integer");
  }
  const json& j_;
  std::string origin_, prefix_;
};

Act parse_activation(const std::string& s, const std::string& origin, const std::string& field) {
  if (s == "quick_gelu") return Act::quick_gelu;
  if (s == "gelu") return Act::gelu;
  fail(Status::unsupported, origin,
       "field '" + field + "' = \"" + s + "\" is not supported (quick_gelu or gelu)");
}

ClipConfig parse_flat(const Fields& f) {
  ClipConfig c;
  c.name = f.get_string("name", "");
  c.embed_dim = f.get_int("embed_dim");
  c.image_resolution = f.get_int("image_resolution");
  c.vision_layers = f.get_int("vision_layers");
  c.vision_width = f.get_int("vision_width");
  c.vision_heads = f.get_int("vision_heads");
  c.vision_patch_size = f.get_int("vision_patch_size");
  c.vision_mlp_width = f.get_int("vision_mlp_width", 4 * c.vision_width);
  c.context_length = f.get_int("context_length");
  c.vocab_size = f.get_int("vocab_size");
  c.text_width = f.get_int_any({"transformer_width", "text_width"});
  c.text_heads = f.get_int_any({"transformer_heads", "text_heads"});
  c.text_layers = f.get_int_any({"transformer_layers", "text_layers"});
  c.text_mlp_width = f.get_int("text_mlp_width", 4 * c.text_width);
  const char* act_key = f.has("activation") ? "activation" : "act";
  c.activation = parse_activation(f.get_string(act_key, "quick_gelu"), f.origin(), act_key);
  c.layer_norm_eps = f.get_double("layer_norm_eps", 1e-5);
  // Descriptive fields of the parity fixture: accept them only with the values implemented here.
  f.require("text_pool", "argmax");
  f.require("text_causal_mask", true);
  f.require("vision_pool", "class_token");
  f.require("vision_patch_bias", false);
  f.require("text_projection_bias", false);
  if (f.has("vision_grid") && c.vision_patch_size > 0 &&
      f.get_int("vision_grid") * c.vision_patch_size != c.image_resolution)
    fail(Status::invalid_argument, f.origin(),
         "vision_grid does not equal image_resolution / vision_patch_size");
  return c;
}

// open_clip's CLIPVisionCfg / CLIPTextCfg (model_configs/*.json), with its defaults.
ClipConfig parse_open_clip(const json& j, const std::string& origin) {
  Fields top(j, origin);
  if (top.get_bool("custom_text", false))
    fail(Status::unsupported, origin, "custom text towers (custom_text) are not supported");
  ClipConfig c;
  c.name = top.get_string("name", "");
  c.embed_dim = top.get_int("embed_dim");
  c.activation = top.get_bool("quick_gelu", false) ? Act::quick_gelu : Act::gelu;

  Fields v(top.at("vision_cfg"), origin, "vision_cfg.");
  if (v.has("layers") && v.at("layers").is_array())
    fail(Status::unsupported, origin,
         "ResNet image towers (vision_cfg.layers is a list) are not supported");
  v.require_absent("timm_model_name", "a timm image tower");
  v.require_absent("attentional_pool", "attentional pooling");
  v.require_absent("no_ln_pre", "no_ln_pre");
  v.require_absent("final_ln_after_pool", "final_ln_after_pool");
  v.require_absent("ls_init_value", "layer scale");
  v.require_absent("output_tokens", "output_tokens");
  v.require("pool_type", "tok");
  v.require("pos_embed_type", "learnable");
  c.image_resolution = v.get_square("image_size", 224);
  c.vision_layers = v.get_int("layers", 12);
  c.vision_width = v.get_int("width", 768);
  const int head_width = v.get_int("head_width", 64);
  if (head_width <= 0 || c.vision_width % head_width != 0)
    fail(Status::invalid_argument, origin, "vision_cfg.width is not a multiple of head_width");
  c.vision_heads = c.vision_width / head_width;
  // Python int(width * mlp_ratio) truncates.
  c.vision_mlp_width = static_cast<int>(c.vision_width * v.get_double("mlp_ratio", 4.0));
  c.vision_patch_size = v.get_square("patch_size", 16);

  Fields t(top.at("text_cfg"), origin, "text_cfg.");
  t.require_absent("hf_model_name", "a HuggingFace text tower");
  t.require_absent("ls_init_value", "layer scale");
  t.require_absent("embed_cls", "embed_cls");
  t.require_absent("no_causal_mask", "no_causal_mask");
  t.require_absent("final_ln_after_pool", "final_ln_after_pool");
  t.require_absent("proj_bias", "a text projection bias");
  t.require_absent("output_tokens", "output_tokens");
  t.require("pool_type", "argmax");
  t.require("proj_type", "linear");
  c.context_length = t.get_int("context_length", 77);
  c.vocab_size = t.get_int("vocab_size", 49408);
  c.text_width = t.get_int("width", 512);
  c.text_heads = t.get_int("heads", 8);
  c.text_layers = t.get_int("layers", 12);
  c.text_mlp_width = static_cast<int>(c.text_width * t.get_double("mlp_ratio", 4.0));
  c.layer_norm_eps = 1e-5;
  for (const Fields* f : {&v, &t}) {
    if (f->has("norm_kwargs")) {
      Fields nk(f->at("norm_kwargs"), origin, "norm_kwargs.");
      c.layer_norm_eps = nk.get_double("eps", 1e-5);
    }
  }
  return c;
}

// transformers' CLIPConfig / CLIPTextConfig / CLIPVisionConfig, with their defaults.
ClipConfig parse_hf(const json& j, const std::string& origin) {
  Fields top(j, origin);
  if (top.has("model_type")) {
    const std::string mt = top.get_string("model_type", "");
    if (mt != "clip")
      fail(Status::unsupported, origin, "model_type \"" + mt + "\" is not a CLIPModel");
  }
  const json& tj = top.has("text_config") ? top.at("text_config") : top.at("text_config_dict");
  const json& vj =
      top.has("vision_config") ? top.at("vision_config") : top.at("vision_config_dict");
  Fields t(tj, origin, "text_config."), v(vj, origin, "vision_config.");
  ClipConfig c;
  c.name = top.get_string("_name_or_path", "");
  c.embed_dim = top.get_int("projection_dim", 512);
  c.vocab_size = t.get_int("vocab_size", 49408);
  c.text_width = t.get_int("hidden_size", 512);
  c.text_mlp_width = t.get_int("intermediate_size", 2048);
  c.text_layers = t.get_int("num_hidden_layers", 12);
  c.text_heads = t.get_int("num_attention_heads", 8);
  c.context_length = t.get_int("max_position_embeddings", 77);
  c.vision_width = v.get_int("hidden_size", 768);
  c.vision_mlp_width = v.get_int("intermediate_size", 3072);
  c.vision_layers = v.get_int("num_hidden_layers", 12);
  c.vision_heads = v.get_int("num_attention_heads", 12);
  c.image_resolution = v.get_int("image_size", 224);
  c.vision_patch_size = v.get_int("patch_size", 32);
  if (v.get_int("num_channels", 3) != 3)
    fail(Status::unsupported, origin, "vision_config.num_channels must be 3");
  const Act ta =
      parse_activation(t.get_string("hidden_act", "quick_gelu"), origin, "text_config.hidden_act");
  const Act va = parse_activation(v.get_string("hidden_act", "quick_gelu"), origin,
                                  "vision_config.hidden_act");
  if (ta != va)
    fail(Status::unsupported, origin, "text and vision towers with different activations");
  c.activation = ta;
  const double te = t.get_double("layer_norm_eps", 1e-5), ve = v.get_double("layer_norm_eps", 1e-5);
  if (te != ve)
    fail(Status::unsupported, origin, "text and vision towers with different layer_norm_eps");
  c.layer_norm_eps = te;
  return c;
}

void check_range(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    LINCIR_THROW(Status::invalid_argument,
                 std::string("CLIP config: ") + field + " = " + std::to_string(v) +
                     " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

int64_t block_params(int64_t d, int64_t mlp) {
  return (4 * d * d + 4 * d)        // in_proj (3D x D + 3D) and out_proj (D x D + D)
         + (2 * d * mlp + mlp + d)  // c_fc and c_proj
         + 4 * d;                   // ln_1, ln_2
}

std::string stem_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

}  // namespace

const char* activation_name(ClipConfig::Activation a) noexcept {
  return a == Act::gelu ? "gelu" : "quick_gelu";
}

ClipConfig ClipConfig::preset(const std::string& name) {
  for (const auto& p : kPresets) {
    if (name == p.name || name == p.alias) {
      ClipConfig c;
      c.name = p.name;
      c.embed_dim = p.embed;
      c.image_resolution = p.res;
      c.vision_layers = p.v_layers;
      c.vision_width = p.v_width;
      c.vision_heads = p.v_heads;
      c.vision_patch_size = p.patch;
      c.vision_mlp_width = p.v_mlp;
      c.context_length = 77;
      c.vocab_size = 49408;
      c.text_width = p.t_width;
      c.text_heads = p.t_heads;
      c.text_layers = p.t_layers;
      c.text_mlp_width = p.t_mlp;
      c.activation = p.act;
      c.layer_norm_eps = 1e-5;
      return c;
    }
  }
  std::string names;
  for (const auto& p : kPresets) names += std::string(names.empty() ? "" : ", ") + p.name;
  LINCIR_THROW(Status::invalid_argument,
               "unknown CLIP preset '" + name + "' (known: " + names + ")");
}

std::vector<std::string> ClipConfig::preset_names() {
  std::vector<std::string> out;
  for (const auto& p : kPresets) out.emplace_back(p.name);
  return out;
}

ClipConfig ClipConfig::from_json_string(const std::string& text, const std::string& origin) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) fail(Status::format, origin, "is not valid JSON");
  if (!j.is_object()) fail(Status::format, origin, "is not a JSON object");
  ClipConfig c;
  if (j.contains("model_cfg")) {
    c = parse_open_clip(j.at("model_cfg"), origin);
  } else if (j.contains("vision_cfg") || j.contains("text_cfg")) {
    if (!j.contains("vision_cfg") || !j.contains("text_cfg"))
      fail(Status::format, origin, "OpenCLIP config needs both vision_cfg and text_cfg");
    c = parse_open_clip(j, origin);
  } else if (j.contains("text_config") || j.contains("vision_config") ||
             j.contains("text_config_dict") || j.contains("vision_config_dict")) {
    if (!(j.contains("text_config") || j.contains("text_config_dict")) ||
        !(j.contains("vision_config") || j.contains("vision_config_dict")))
      fail(Status::format, origin, "HuggingFace config needs both text_config and vision_config");
    c = parse_hf(j, origin);
  } else {
    c = parse_flat(Fields(j, origin));
  }
  try {
    c.validate();
  } catch (const Error& e) {
    std::string msg = e.what();
    const std::string prefix = "CLIP config: ";
    if (msg.compare(0, prefix.size(), prefix) == 0) msg.erase(0, prefix.size());
    fail(e.status(), origin, msg);
  }
  return c;
}

ClipConfig ClipConfig::from_json_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) LINCIR_THROW(Status::io, "cannot open CLIP config '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) LINCIR_THROW(Status::io, "cannot read CLIP config '" + path + "'");
  ClipConfig c = from_json_string(ss.str(), "'" + path + "'");
  if (c.name.empty()) {
    std::string stem = stem_of(path);
    // "config" / "open_clip_config" say nothing about the model; use the folder name instead.
    if (stem == "config" || stem == "open_clip_config") {
      size_t slash = path.find_last_of('/');
      stem = slash == std::string::npos || slash == 0 ? "" : stem_of(path.substr(0, slash));
    }
    c.name = stem;
  }
  return c;
}

std::string ClipConfig::to_json() const {
  json j = {{"name", name},
            {"embed_dim", embed_dim},
            {"image_resolution", image_resolution},
            {"vision_layers", vision_layers},
            {"vision_width", vision_width},
            {"vision_heads", vision_heads},
            {"vision_patch_size", vision_patch_size},
            {"vision_mlp_width", vision_mlp_width},
            {"context_length", context_length},
            {"vocab_size", vocab_size},
            {"transformer_width", text_width},
            {"transformer_heads", text_heads},
            {"transformer_layers", text_layers},
            {"text_mlp_width", text_mlp_width},
            {"act", activation_name(activation)},
            {"layer_norm_eps", layer_norm_eps}};
  return j.dump(1);
}

void ClipConfig::validate() const {
  constexpr int64_t kMaxWidth = 1 << 16, kMaxLayers = 1024;
  check_range("embed_dim", embed_dim, 1, kMaxWidth);
  check_range("image_resolution", image_resolution, 1, 1 << 14);
  check_range("vision_layers", vision_layers, 1, kMaxLayers);
  check_range("vision_width", vision_width, 1, kMaxWidth);
  check_range("vision_heads", vision_heads, 1, vision_width);
  check_range("vision_patch_size", vision_patch_size, 1, image_resolution);
  check_range("vision_mlp_width", vision_mlp_width, 1, 1 << 18);
  check_range("context_length", context_length, 1, 1 << 16);
  check_range("vocab_size", vocab_size, 1, 1 << 24);
  check_range("text_width", text_width, 1, kMaxWidth);
  check_range("text_heads", text_heads, 1, text_width);
  check_range("text_layers", text_layers, 1, kMaxLayers);
  check_range("text_mlp_width", text_mlp_width, 1, 1 << 18);
  LINCIR_CHECK(vision_width % vision_heads == 0,
               "CLIP config: vision_width " + std::to_string(vision_width) +
                   " is not divisible by vision_heads " + std::to_string(vision_heads));
  LINCIR_CHECK(text_width % text_heads == 0,
               "CLIP config: text_width " + std::to_string(text_width) +
                   " is not divisible by text_heads " + std::to_string(text_heads));
  LINCIR_CHECK(image_resolution % vision_patch_size == 0,
               "CLIP config: image_resolution " + std::to_string(image_resolution) +
                   " is not a multiple of vision_patch_size " + std::to_string(vision_patch_size));
  LINCIR_CHECK(std::isfinite(layer_norm_eps) && layer_norm_eps > 0 && layer_norm_eps < 1,
               "CLIP config: layer_norm_eps must be in (0, 1)");
  LINCIR_CHECK(activation == Act::quick_gelu || activation == Act::gelu,
               "CLIP config: invalid activation");
}

int64_t ClipConfig::vision_param_count() const {
  const int64_t w = vision_width, p = vision_patch_size, g = vision_grid();
  return 3 * w * p * p                                                // conv1 (no bias)
         + w                                                          // class_embedding
         + (g * g + 1) * w                                            // positional_embedding
         + 2 * w                                                      // ln_pre
         + vision_layers * block_params(w, vision_mlp_width) + 2 * w  // ln_post
         + w * int64_t(embed_dim);                                    // proj
}

int64_t ClipConfig::text_param_count() const {
  const int64_t w = text_width;
  return int64_t(vocab_size) * w + int64_t(context_length) * w +
         text_layers * block_params(w, text_mlp_width) + 2 * w + w * int64_t(embed_dim);
}

int64_t ClipConfig::param_count() const {
  return vision_param_count() + text_param_count() + 1;
}

bool ClipConfig::operator==(const ClipConfig& o) const {
  // The name is informational and deliberately not compared.
  return embed_dim == o.embed_dim && image_resolution == o.image_resolution &&
         vision_layers == o.vision_layers && vision_width == o.vision_width &&
         vision_heads == o.vision_heads && vision_patch_size == o.vision_patch_size &&
         vision_mlp_width == o.vision_mlp_width && context_length == o.context_length &&
         vocab_size == o.vocab_size && text_width == o.text_width && text_heads == o.text_heads &&
         text_layers == o.text_layers && text_mlp_width == o.text_mlp_width &&
         activation == o.activation && layer_norm_eps == o.layer_norm_eps;
}

}  // namespace lincir
