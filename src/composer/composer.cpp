#include "lincir/composer.hpp"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "clip/int8_linear.hpp"
#include "clip/towers.hpp"
#include "composer/pseudo_tokens.hpp"
#include "projector/phi_module.hpp"

namespace lincir {

// ---- small public helpers ----

const char* injection_mode_name(InjectionMode m) noexcept {
  switch (m) {
    case InjectionMode::every_marker: return "every_marker";
    case InjectionMode::first_marker: return "first_marker";
    case InjectionMode::before_eot: return "before_eot";
  }
  return "?";
}

InjectionMode parse_injection_mode(const std::string& s) {
  for (auto m : {InjectionMode::every_marker, InjectionMode::first_marker, InjectionMode::before_eot})
    if (s == injection_mode_name(m)) return m;
  LINCIR_THROW(Status::invalid_argument, "unknown injection mode '" + s +
                                             "' (expected every_marker, first_marker or before_eot)");
}

InjectionMode default_injection_mode(ProjectorKind kind) noexcept {
  return kind == ProjectorKind::lincir ? InjectionMode::every_marker : InjectionMode::first_marker;
}

Reference Reference::from_path(std::string path) {
  Reference r;
  r.kind_ = Kind::path;
  r.path_ = std::move(path);
  return r;
}
Reference Reference::from_bytes(std::vector<uint8_t> encoded) {
  Reference r;
  r.kind_ = Kind::bytes;
  r.bytes_ = std::move(encoded);
  return r;
}
Reference Reference::from_image(Image image) {
  Reference r;
  r.kind_ = Kind::image;
  r.image_ = std::move(image);
  return r;
}
Reference Reference::from_pixels(std::vector<float> chw) {
  Reference r;
  r.kind_ = Kind::pixels;
  r.values_ = std::move(chw);
  return r;
}
Reference Reference::from_embedding(std::vector<float> embedding) {
  Reference r;
  r.kind_ = Kind::embedding;
  r.values_ = std::move(embedding);
  return r;
}

std::string PromptTemplate::apply(const std::string& modification) const {
  const size_t at = pattern.find("{}");
  LINCIR_CHECK(at != std::string::npos && pattern.find("{}", at + 2) == std::string::npos,
               "prompt template '" + pattern + "' must contain exactly one {}");
  return pattern.substr(0, at) + modification + pattern.substr(at + 2);
}

std::array<std::string, 2> fashioniq_texts(const std::string& c1, const std::string& c2) {
  auto strip = [](const std::string& s) {
    const char* chars = ".?, ";
    const size_t b = s.find_first_not_of(chars);
    if (b == std::string::npos) return std::string();
    return s.substr(b, s.find_last_not_of(chars) - b + 1);
  };
  const std::string a = strip(c1), b = strip(c2);
  return {a + " and " + b, b + " and " + a};
}

// ---- Composer ----

struct Composer::Impl {
  ClipModel clip;
  Projector projector;
  ComposerOptions options;
  InjectionMode mode = InjectionMode::every_marker;
  PreprocessMode preprocess = PreprocessMode::hf;
  int32_t marker = Tokenizer::kPlaceholder;
  std::shared_ptr<const detail::ClipTowers> towers;
  // φ's three linear layers in int8, when the CLIP model runs its linear layers in int8 (at
  // batch 1 φ is a weight-bandwidth-bound GEMV over ~57 MB of float32 weights).
  std::vector<detail::Int8Linear> phi8;

  Impl(ClipModel c, Projector p) : clip(std::move(c)), projector(std::move(p)) {}

  int E() const { return clip.config().embed_dim; }
  int W() const { return clip.config().text_width; }
  int L() const { return clip.config().context_length; }

  // Tokenizes `texts` (row-major [n, L]) and checks their markers against the mode, naming the
  // text in errors.
  std::vector<int32_t> tokenize_checked(const std::vector<std::string>& texts) const {
    const Tokenizer& tok = clip.tokenizer();
    std::vector<int32_t> ids = tok.tokenize(texts, L(), /*truncate=*/true);
    for (size_t i = 0; i < texts.size(); ++i) {
      const int32_t* row = ids.data() + i * static_cast<size_t>(L());
      const auto n = std::count(row, row + L(), marker);
      const std::string what = "query text '" + texts[i] + "'";
      if (mode == InjectionMode::before_eot) {
        LINCIR_CHECK(n == 0, what + " contains the marker '" + options.marker +
                                 "'; before_eot mode appends the image token itself");
        LINCIR_CHECK(row[L() - 1] == 0,
                     what + " fills the context length; before_eot mode needs one free position");
        continue;
      }
      if (n == 0) {
        auto bpe = tok.encode(texts[i]);
        const bool lost = std::find(bpe.begin(), bpe.end(), marker) != bpe.end();
        LINCIR_CHECK(!lost, what + ": its marker '" + options.marker + "' lies beyond the " +
                                std::to_string(L()) + "-token context length and was truncated away");
        LINCIR_CHECK(false, what + " has no marker: '" + options.marker +
                                "' must stand as a word of its own (e.g. \"a photo of " +
                                options.marker + " that ...\"; \"" + options.marker +
                                ",\" is not a marker)");
      }
      LINCIR_CHECK(mode != InjectionMode::first_marker || n == 1,
                   what + " has " + std::to_string(n) + " markers; " +
                       injection_mode_name(mode) + " mode (" +
                       projector_kind_name(projector.kind()) + ") uses exactly one");
    }
    return ids;
  }

  // Pseudo tokens [n, W] + texts -> features [n, E], chunked.
  Embeddings encode(const EmbeddingsRef& pseudo, const std::vector<std::string>& texts, bool norm) const {
    const int64_t n = pseudo.rows();
    LINCIR_CHECK(pseudo.cols() == W(), "pseudo tokens have " + std::to_string(pseudo.cols()) +
                                           " columns, the text width is " + std::to_string(W()));
    LINCIR_CHECK(static_cast<int64_t>(texts.size()) == n || texts.size() == 1,
                 "got " + std::to_string(texts.size()) + " texts for " + std::to_string(n) +
                     " references (give one text per reference, or one text for all)");
    Embeddings out(n, E());
    if (n == 0) return out;
    std::vector<std::string> all = texts;
    if (all.size() == 1 && n > 1) all.assign(static_cast<size_t>(n), texts[0]);
    const std::vector<int32_t> ids = tokenize_checked(all);
    Embeddings tokens = pseudo;  // contiguous row-major copy
    c10::InferenceMode guard;
    const int64_t chunk = std::max(1, options.batch_size);
    for (int64_t b0 = 0; b0 < n; b0 += chunk) {
      const int64_t b = std::min(chunk, n - b0);
      auto id = torch::from_blob(const_cast<int32_t*>(ids.data()) + b0 * L(), {b, L()}, torch::kInt32)
                    .to(torch::kLong);
      auto p = torch::from_blob(tokens.data() + b0 * W(), {b, W()}, torch::kFloat32);
      auto f = detail::encode_with_pseudo_tokens(*towers, id, p, mode, marker)
                   .to(torch::kCPU, torch::kFloat32)
                   .contiguous();
      std::memcpy(out.data() + b0 * E(), f.data_ptr<float>(), sizeof(float) * static_cast<size_t>(b * E()));
    }
    return norm ? normalize(out) : out;
  }

  Embeddings references(const std::vector<Reference>& refs) const {
    const int64_t n = static_cast<int64_t>(refs.size());
    const int R = clip.config().image_resolution;
    const size_t pixels = size_t(3) * R * R;
    Embeddings out(n, E());
    // Consecutive references of the same family are encoded together, at most batch_size at once.
    const int64_t chunk = std::max(1, options.batch_size);
    int64_t i = 0;
    while (i < n) {
      const Reference& r = refs[static_cast<size_t>(i)];
      const std::string what = "reference " + std::to_string(i);
      if (r.kind() == Reference::Kind::embedding) {
        LINCIR_CHECK(static_cast<int64_t>(r.values().size()) == E(),
                     what + ": embedding has " + std::to_string(r.values().size()) +
                         " values, the model's embedding size is " + std::to_string(E()));
        for (int j = 0; j < E(); ++j) {
          LINCIR_CHECK(std::isfinite(r.values()[j]), what + ": embedding holds NaN or infinity");
          out(i, j) = r.values()[j];
        }
        ++i;
        continue;
      }
      int64_t j = i;
      if (r.kind() == Reference::Kind::pixels) {
        std::vector<float> batch;
        for (; j < n && j - i < chunk && refs[static_cast<size_t>(j)].kind() == Reference::Kind::pixels; ++j) {
          const auto& v = refs[static_cast<size_t>(j)].values();
          LINCIR_CHECK(v.size() == pixels, "reference " + std::to_string(j) + ": pixel buffer has " +
                                               std::to_string(v.size()) + " values, expected 3 x " +
                                               std::to_string(R) + " x " + std::to_string(R));
          batch.insert(batch.end(), v.begin(), v.end());
        }
        out.middleRows(i, j - i) = clip.encode_pixels(batch.data(), j - i);
      } else {
        std::vector<Image> images;
        auto is_image = [](const Reference& x) {
          return x.kind() == Reference::Kind::path || x.kind() == Reference::Kind::bytes ||
                 x.kind() == Reference::Kind::image;
        };
        for (; j < n && j - i < chunk && is_image(refs[static_cast<size_t>(j)]); ++j) {
          const Reference& x = refs[static_cast<size_t>(j)];
          if (x.kind() == Reference::Kind::path) {
            images.push_back(Image::load(x.path()));
          } else if (x.kind() == Reference::Kind::bytes) {
            images.push_back(Image::decode(x.bytes().data(), x.bytes().size()));
          } else {
            LINCIR_CHECK(!x.image().empty(), "reference " + std::to_string(j) + ": empty image");
            images.push_back(x.image());
          }
        }
        out.middleRows(i, j - i) = clip.encode_images(images, preprocess);
      }
      i = j;
    }
    return out;
  }

  Embeddings pseudo(const EmbeddingsRef& image_embeddings) const {
    LINCIR_CHECK(image_embeddings.cols() == E(),
                 "image embeddings have " + std::to_string(image_embeddings.cols()) +
                     " columns, the model's embedding size is " + std::to_string(E()));
    if (!phi8.empty()) return pseudo_int8(options.normalize_projector_input
                                              ? normalize(image_embeddings)
                                              : Embeddings(image_embeddings));
    if (options.normalize_projector_input) return projector.forward(normalize(image_embeddings));
    return projector.forward(image_embeddings);
  }

  void quantize_phi() {
    std::map<std::string, torch::Tensor> p;
    for (const auto& kv : ProjectorAccess::module(projector)->named_parameters()) p[kv.key()] = kv.value();
    const bool pic2word = projector.kind() == ProjectorKind::pic2word;
    const std::vector<std::string> layers =
        pic2word ? std::vector<std::string>{"layers.0.0", "layers.1.0", "fc_out"}
                 : std::vector<std::string>{"layers.0", "layers.3", "layers.6"};
    for (const std::string& l : layers) {
      const std::string w = l + ".weight", b = l + ".bias";
      LINCIR_CHECK_STATUS(p.count(w) && p.count(b), Status::internal,
                          std::string("Composer: the ") + projector_kind_name(projector.kind()) +
                              " projector has no parameter '" + w + "'");
      phi8.emplace_back(p.at(w), p.at(b));
    }
  }

  Embeddings pseudo_int8(const Embeddings& x) const {
    c10::InferenceMode guard;
    const bool pic2word = projector.kind() == ProjectorKind::pic2word;
    auto act = [&](const torch::Tensor& t) { return pic2word ? at::relu(t) : at::gelu(t); };
    torch::Tensor y = torch::from_blob(const_cast<float*>(x.data()), {x.rows(), x.cols()}, torch::kFloat);
    y = phi8[2](act(phi8[1](act(phi8[0](y))))).contiguous();
    Embeddings out(x.rows(), W());
    std::memcpy(out.data(), y.data_ptr<float>(), sizeof(float) * static_cast<size_t>(y.numel()));
    return out;
  }
};

Composer::Composer(ClipModel clip, Projector projector, const ComposerOptions& options)
    : impl_(std::make_unique<Impl>(std::move(clip), std::move(projector))) {
  Impl& m = *impl_;
  const ClipConfig& c = m.clip.config();
  LINCIR_CHECK(m.projector.input_dim() == c.embed_dim,
               std::string("Composer: the ") + projector_kind_name(m.projector.kind()) +
                   " projector takes " + std::to_string(m.projector.input_dim()) +
                   "-dimensional image embeddings but CLIP model '" + c.name + "' produces " +
                   std::to_string(c.embed_dim) + " (projector trained for another backbone?)");
  LINCIR_CHECK(m.projector.output_dim() == c.text_width,
               std::string("Composer: the ") + projector_kind_name(m.projector.kind()) +
                   " projector outputs " + std::to_string(m.projector.output_dim()) +
                   "-dimensional tokens but CLIP model '" + c.name + "' has text width " +
                   std::to_string(c.text_width));
  LINCIR_CHECK(options.batch_size > 0, "Composer: batch_size must be positive");
  m.options = options;
  m.mode = options.injection.value_or(default_injection_mode(m.projector.kind()));
  m.preprocess = options.preprocess.value_or(m.projector.kind() == ProjectorKind::lincir
                                                 ? PreprocessMode::hf
                                                 : PreprocessMode::openai);
  const auto marker_ids = m.clip.tokenizer().encode(options.marker);
  LINCIR_CHECK(marker_ids.size() == 1, "Composer: marker '" + options.marker + "' is " +
                                           std::to_string(marker_ids.size()) +
                                           " tokens; it must be a single token such as \"$\"");
  m.marker = marker_ids[0];
  m.towers = detail::shared_towers(m.clip);
  if (m.projector.device().type != m.clip.device().type ||
      m.projector.device().index != m.clip.device().index)
    m.projector.to(m.clip.device());
  if (m.towers->int8()) m.quantize_phi();
}

Composer::Composer(Composer&&) noexcept = default;
Composer& Composer::operator=(Composer&&) noexcept = default;
Composer::~Composer() = default;

const ClipModel& Composer::clip() const { return impl_->clip; }
const Projector& Composer::projector() const { return impl_->projector; }
InjectionMode Composer::injection_mode() const { return impl_->mode; }
int32_t Composer::marker_token() const { return impl_->marker; }
int Composer::embed_dim() const { return impl_->E(); }

Embeddings Composer::encode_references(const std::vector<Reference>& refs) const {
  return impl_->references(refs);
}

Embeddings Composer::pseudo_tokens(EmbeddingsRef image_embeddings) const {
  return impl_->pseudo(image_embeddings);
}

Embeddings Composer::encode_with_pseudo_tokens(EmbeddingsRef pseudo_tokens,
                                               const std::vector<std::string>& texts,
                                               bool normalize) const {
  return impl_->encode(pseudo_tokens, texts, normalize);
}

Embeddings Composer::compose(const std::vector<Reference>& refs,
                             const std::vector<std::string>& texts) const {
  LINCIR_CHECK(texts.size() == refs.size() || texts.size() == 1,
               "Composer::compose: " + std::to_string(texts.size()) + " texts for " +
                   std::to_string(refs.size()) + " references");
  return compose_embeddings(impl_->references(refs), texts);
}

Embeddings Composer::compose(const std::vector<Reference>& refs,
                             const std::vector<std::string>& modifications,
                             const PromptTemplate& tmpl) const {
  std::vector<std::string> texts;
  texts.reserve(modifications.size());
  for (const auto& m : modifications) texts.push_back(tmpl.apply(m));
  return compose(refs, texts);
}

Embeddings Composer::compose(const std::vector<Image>& refs, const std::vector<std::string>& texts) const {
  LINCIR_CHECK(texts.size() == refs.size() || texts.size() == 1,
               "Composer::compose: " + std::to_string(texts.size()) + " texts for " +
                   std::to_string(refs.size()) + " images");
  if (refs.empty()) return Embeddings(0, impl_->E());
  return compose_embeddings(impl_->clip.encode_images(refs, impl_->preprocess), texts);
}

Embeddings Composer::compose_embeddings(EmbeddingsRef image_embeddings,
                                        const std::vector<std::string>& texts) const {
  return impl_->encode(impl_->pseudo(image_embeddings), texts, true);
}

Embeddings Composer::compose_fashioniq(const std::vector<Reference>& refs,
                                       const std::vector<std::array<std::string, 2>>& captions,
                                       const PromptTemplate& tmpl) const {
  LINCIR_CHECK(captions.size() == refs.size(),
               "Composer::compose_fashioniq: " + std::to_string(captions.size()) +
                   " caption pairs for " + std::to_string(refs.size()) + " references");
  std::vector<std::string> forward, reversed;
  for (const auto& c : captions) {
    auto t = fashioniq_texts(c[0], c[1]);
    forward.push_back(tmpl.apply(t[0]));
    reversed.push_back(tmpl.apply(t[1]));
  }
  const Embeddings tokens = impl_->pseudo(impl_->references(refs));
  const Embeddings a = impl_->encode(tokens, forward, true);
  const Embeddings b = impl_->encode(tokens, reversed, true);
  return normalize((a + b) / 2.f);
}

Embeddings Composer::image_only(const std::vector<Reference>& refs) const {
  return normalize(impl_->references(refs));
}

Embeddings Composer::text_only(const std::vector<std::string>& texts) const {
  if (texts.empty()) return Embeddings(0, impl_->E());
  return normalize(impl_->clip.encode_text(texts));
}

Embeddings Composer::image_plus_text(const std::vector<Reference>& refs,
                                     const std::vector<std::string>& texts) const {
  LINCIR_CHECK(texts.size() == refs.size() || texts.size() == 1,
               "Composer::image_plus_text: " + std::to_string(texts.size()) + " texts for " +
                   std::to_string(refs.size()) + " references");
  Embeddings img = image_only(refs);
  if (refs.empty()) return img;
  Embeddings txt = text_only(texts);
  if (txt.rows() == 1 && img.rows() > 1) txt = txt.replicate(img.rows(), 1).eval();
  return normalize(img + txt);
}

}  // namespace lincir
