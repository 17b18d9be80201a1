// Composed queries: a reference image plus a modification text -> one L2-normalised CLIP text
// embedding, to search a gallery of (normalised) CLIP image embeddings by cosine similarity.
//
// LinCIR's recipe (navervision/lincir, encode_with_pseudo_tokens.py / validate.py):
//   1. encode the reference image with the CLIP image tower (un-normalised projected embedding),
//   2. map it with the projector φ to a pseudo-word token embedding,
//   3. tokenize the prompt (e.g. "a photo of $ that is red") with clip.tokenize; positions holding
//      the marker token (`$` as a word of its own, BPE id 259) take the pseudo token instead of
//      their token embedding; positional embeddings, the causal text tower, the final LayerNorm,
//      pooling at the first end-of-text token and the text projection run unchanged,
//   4. L2-normalise.
// How the pseudo token enters the prompt depends on the method (InjectionMode):
//   - every_marker (LinCIR): every marker position takes the pseudo token.
//   - first_marker (SEARLE's encode_with_pseudo_tokens; Pic2Word's encode_text_img_retrieval,
//     which evaluates CIR with the prompt "a photo of * , {caption}" and replaces the `*`): only
//     the first marker; the text must hold exactly one.
//   - before_eot (Pic2Word's encode_text_img, its training prompt "a photo of"): the token is
//     inserted just before the end-of-text token, the rest of the sequence shifts right by one
//     (the last position drops out) and pooling moves with the end-of-text token. The text must
//     not contain the marker.
// The default follows the projector's kind: lincir -> every_marker, searle -> first_marker,
// pic2word -> first_marker (Pic2Word's own retrieval semantics; use marker "*" for its prompts).
//
// Marker rules (errors are Error(invalid_argument) naming the text): `$` is a marker only as a
// pre-token of its own ("a photo of $ that", "$ , x", "$1"); "$," or "[$]" tokenize differently
// and are not markers. A text for every_marker needs at least one marker, for first_marker exactly
// one, and a marker removed by truncation to the context length is an error.
//
// Thread safety: a Composer is immutable after construction; every method is const and may be
// called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lincir/clip.hpp"
#include "lincir/common.hpp"
#include "lincir/image.hpp"
#include "lincir/projector.hpp"

namespace lincir {

enum class InjectionMode { every_marker, first_marker, before_eot };

const char* injection_mode_name(InjectionMode m) noexcept;  // "every_marker", ...
InjectionMode parse_injection_mode(const std::string& s);   // Error(invalid_argument)
InjectionMode default_injection_mode(ProjectorKind kind) noexcept;

// A reference image in any of the forms a caller may hold it. Value type.
class Reference {
 public:
  enum class Kind { path, bytes, image, pixels, embedding };

  // An image file (decoded with Image::load).
  static Reference from_path(std::string path);
  // An encoded image in memory (JPEG, PNG, ...; decoded with Image::decode).
  static Reference from_bytes(std::vector<uint8_t> encoded);
  // A decoded image; wrap a caller's 8-bit pixel buffer with Image::from_pixels.
  static Reference from_image(Image image);
  // Preprocessed pixels, [3, R, R] float32 CHW normalised as the model expects
  // (R = ClipConfig::image_resolution), e.g. from lincir::preprocess.
  static Reference from_pixels(std::vector<float> chw);
  // A CLIP image embedding as ClipModel::encode_images returns it (un-normalised, embed_dim).
  static Reference from_embedding(std::vector<float> embedding);

  Kind kind() const { return kind_; }
  const std::string& path() const { return path_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  const Image& image() const { return image_; }
  const std::vector<float>& values() const { return values_; }  // pixels or embedding

 private:
  Kind kind_ = Kind::embedding;
  std::string path_;
  std::vector<uint8_t> bytes_;
  Image image_;
  std::vector<float> values_;
};

// A prompt pattern: `{}` receives the modification text, the marker stands for the image.
struct PromptTemplate {
  std::string pattern = "a photo of $ that {}";

  // The templates of LinCIR's / SEARLE's evaluation: CIRR, CIRCO and FashionIQ all use
  // "a photo of $ that {}" (FashionIQ fills `{}` with its two captions, see fashioniq_texts).
  static PromptTemplate cirr() { return {}; }
  static PromptTemplate circo() { return {}; }
  static PromptTemplate fashioniq() { return {}; }

  // The pattern with its `{}` replaced by `modification`. Error(invalid_argument) unless the
  // pattern holds exactly one `{}`.
  std::string apply(const std::string& modification) const;
};

// The two FashionIQ captions joined as LinCIR/SEARLE's evaluation does: each stripped of leading
// and trailing '.', '?', ',' and ' ' (Python str.strip('.?, ')), then "{c1} and {c2}" and
// "{c2} and {c1}".
std::array<std::string, 2> fashioniq_texts(const std::string& c1, const std::string& c2);

struct ComposerOptions {
  // Unset: default_injection_mode(projector kind).
  std::optional<InjectionMode> injection;
  // The marker word; it must be a single BPE token ("$" -> 259, "*" -> 265).
  std::string marker = "$";
  // Image preprocessing for path/bytes/image references. Unset: HuggingFace CLIPImageProcessor
  // semantics for lincir (its evaluation code), OpenAI clip._transform for searle and pic2word.
  std::optional<PreprocessMode> preprocess;
  // Feed φ L2-normalised image embeddings (LinCIR's --l2_normalize training option; off in its
  // released models, SEARLE and Pic2Word).
  bool normalize_projector_input = false;
  // Queries are encoded in chunks of at most this many rows.
  int batch_size = 32;
};

class Composer {
 public:
  // Takes a (cheap, shared) copy of `clip` and ownership of `projector`, which is moved to the
  // model's device. Error(invalid_argument) if the projector's input size is not the model's
  // embedding size or its output size not the text width, if the marker is not one token, or
  // for a bad option.
  // When `clip` was loaded with ClipLoadOptions::linear_precision = int8, φ's linear layers run
  // in int8 as well (quantized once here); projector() keeps the float weights.
  Composer(ClipModel clip, Projector projector, const ComposerOptions& options = {});

  const ClipModel& clip() const;
  const Projector& projector() const;
  InjectionMode injection_mode() const;
  int32_t marker_token() const;
  int embed_dim() const;

  // ---- composed queries: row i combines refs[i] with texts[i]; [n, embed_dim], unit rows ----
  // `texts` hold the marker. refs.size() must equal texts.size(), or one text applies to all refs.
  Embeddings compose(const std::vector<Reference>& refs, const std::vector<std::string>& texts) const;
  // Modifications put into `tmpl` first (CIRR / CIRCO).
  Embeddings compose(const std::vector<Reference>& refs, const std::vector<std::string>& modifications,
                     const PromptTemplate& tmpl) const;
  // Shortcuts for the common forms.
  Embeddings compose(const std::vector<Image>& refs, const std::vector<std::string>& texts) const;
  Embeddings compose_embeddings(EmbeddingsRef image_embeddings,
                                const std::vector<std::string>& texts) const;
  // FashionIQ: captions[i] = {c1, c2} for refs[i]; both orders of fashioniq_texts put into `tmpl`,
  // each query normalised, the two averaged and re-normalised (LinCIR/SEARLE validate.py).
  Embeddings compose_fashioniq(const std::vector<Reference>& refs,
                               const std::vector<std::array<std::string, 2>>& captions,
                               const PromptTemplate& tmpl = PromptTemplate::fashioniq()) const;

  // Steps of compose, for callers that cache them.
  // Reference images -> un-normalised CLIP image embeddings [n, embed_dim].
  Embeddings encode_references(const std::vector<Reference>& refs) const;
  // Image embeddings -> pseudo tokens [n, text_width] (φ, inference).
  Embeddings pseudo_tokens(EmbeddingsRef image_embeddings) const;
  // Pseudo tokens + texts -> composed query features [n, embed_dim]; L2-normalised unless
  // `normalize` is false (then they are the raw projected text features).
  Embeddings encode_with_pseudo_tokens(EmbeddingsRef pseudo_tokens, const std::vector<std::string>& texts,
                                       bool normalize = true) const;

  // ---- baselines from the same model, unit rows ----
  // The normalised reference image embeddings.
  Embeddings image_only(const std::vector<Reference>& refs) const;
  // The normalised text embeddings of `texts` (no image; pass the modification text).
  Embeddings text_only(const std::vector<std::string>& texts) const;
  // normalize(normalize(image) + normalize(text)), row by row (Pic2Word's "mixture" baseline).
  Embeddings image_plus_text(const std::vector<Reference>& refs,
                             const std::vector<std::string>& texts) const;

  Composer(Composer&&) noexcept;
  Composer& operator=(Composer&&) noexcept;
  ~Composer();

  struct Impl;  // opaque

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lincir
