// Contrastive pretraining of a small CLIP on the procedural world of lincir::synth, and the
// zero-shot checks of such a model. This is how the bundled tiny CLIP (assets/demo/) is made:
// the demo's model is trained by the library itself, with the same towers, tokenizer and file
// format as real CLIP models, so ClipModel::load reads the result like any OpenAI checkpoint.
//
// One step (OpenAI CLIP's objective):
//   * a batch of B distinct scenes of Split::train: B * (1 - hard_negative_fraction) random
//     scenes, the rest one-attribute neighbours of those (World::neighbors), so that every batch
//     holds pairs that differ in a single colour, shape, size, position or background;
//   * each scene rendered with fresh jitter, and captioned afresh: a complete description with
//     probability complete_caption_fraction, else a free caption of synth::Captioner (partial
//     mentions, varied sentence shapes, composed "X that is blue instead of red" captions);
//   * symmetric InfoNCE over the B x B cosine similarities times a learnable temperature
//     exp(logit_scale) (clamped at max_logit_scale), in float32;
//   * AdamW (weight decay on weight matrices only), linear warm-up then cosine decay over
//     `steps`, global gradient-norm clipping.
//
// The text tower uses the real CLIP BPE tokenizer and vocabulary (49,408 ids). The world only
// ever produces a few hundred of them, so training keeps a compact table of the token rows it has
// met; the saved token_embedding is the full [49408, width] table in which every token that never
// occurred in a training caption is zero (such a token then contributes its position only).
//
// Determinism: a run is a pure function of the options (seeded scenes, renders, captions and
// initialisation; dropout is not used) for a fixed number of intra-op threads. bf16 autocast is
// offered, but LibTorch 1.13 on CPUs without AVX512-BF16 runs bfloat16 GEMMs through a slow
// fallback (measured ~16x slower than float32 on the project's machines), so it is off by default.
//
// Thread safety: a ClipPretrainer is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "lincir/clip.hpp"
#include "lincir/common.hpp"
#include "lincir/synth.hpp"

namespace lincir {

// The tiny architecture of the bundled model: ViT width 128, 4 layers, 4 heads, patch 8 on 40 px
// (25 patches + CLS); text width 128, 3 layers, 4 heads, context 32; embedding 128; QuickGELU.
// ~1.45 M parameters without the token embedding table.
ClipConfig tiny_clip_config();

struct ClipPretrainOptions {
  ClipConfig config = tiny_clip_config();
  synth::World world = synth::World::standard();
  synth::RenderOptions render;       // render.size is forced to config.image_resolution
  synth::CaptionOptions captions;    // free captions (complete_caption_fraction aside)
  double complete_caption_fraction = 0.75;
  double hard_negative_fraction = 0.5;
  int64_t steps = 1500;
  int batch_size = 256;
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.98f, eps = 1e-6f;
  float weight_decay = 0.05f;        // on 2-D weight matrices only
  int64_t warmup_steps = 60;
  float min_lr_ratio = 0.0f;         // cosine decays to min_lr_ratio * lr
  float grad_clip = 1.0f;            // max global gradient norm; 0 = off
  float init_logit_scale = 1.0f / 0.07f;
  float max_logit_scale = 100.0f;
  bool bf16 = false;                 // bfloat16 autocast for the towers (see above)
  uint64_t seed = 0;
};

struct ClipPretrainProgress {
  int64_t step = 0;  // steps done
  int64_t total_steps = 0;
  float loss = 0.f;           // this step's symmetric InfoNCE loss
  float accuracy = 0.f;       // in-batch image->text top-1 of this step
  float logit_scale = 0.f;    // exp(logit_scale), the inverse temperature
  float lr = 0.f;
  double seconds = 0.0;       // wall time of this step (data + forward + backward + update)
};

class ClipPretrainer {
 public:
  // Initialises the towers from options.seed (OpenAI CLIP's initialisation: normal std 0.02
  // token table, std 0.01 positions, width^-0.5-scaled attention/MLP/projections). Throws
  // Error(invalid_argument) for bad options (non-positive sizes, fractions outside [0, 1], a
  // batch below 2, a world the config cannot render).
  explicit ClipPretrainer(const ClipPretrainOptions& options);
  ~ClipPretrainer();
  ClipPretrainer(ClipPretrainer&&) noexcept;
  ClipPretrainer& operator=(ClipPretrainer&&) noexcept;

  // One optimisation step on a freshly generated batch.
  ClipPretrainProgress train_step();
  // Steps until options.steps; `on_step` after each (return false to stop early). Returns the
  // last progress.
  ClipPretrainProgress fit(const std::function<bool(const ClipPretrainProgress&)>& on_step = {});

  // Writes the model as safetensors with OpenAI key names (token_embedding.weight,
  // transformer.resblocks.N..., visual.*, logit_scale) and the config both as metadata
  // "clip_config" and as <stem>.json beside it, so ClipModel::load(path) reads it. `fp16` stores
  // every tensor as IEEE half (LayerNorm parameters and logit_scale included), halving the file.
  // `metadata` entries are added to the file's metadata. Atomic writes; Error(io) on failure.
  void save(const std::string& path, bool fp16 = false,
            const std::map<std::string, std::string>& metadata = {}) const;

  int64_t step() const;
  const ClipPretrainOptions& options() const;
  // Number of distinct BPE tokens seen in training captions so far.
  int64_t tokens_seen() const;
  // Trainable parameters, without and with the full token embedding table.
  int64_t parameter_count(bool with_token_table = false) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Zero-shot classification over the single-object universe of a world: every single-object scene
// is rendered once (jitter from `seed`) and matched against the canonical captions of all of
// them (Captioner::canonical, "a photo of a small red circle on the left on a navy background").
struct ZeroShotOptions {
  uint64_t seed = 1;
  synth::RenderOptions render;  // render.size is forced to the model's resolution
  // Score only every `stride`-th scene as a query (1 = all); the candidate captions are always
  // all of them.
  int stride = 1;
};

struct ZeroShotResult {
  int64_t candidates = 0;         // single-object scenes (captions to choose from)
  int64_t queries = 0, queries_seen = 0, queries_heldout = 0;
  double top1 = 0;                // image -> exact caption, % over all queries
  double top1_seen = 0;           // queries without a held-out (shape, colour) pair
  double top1_heldout = 0;        // queries with one
  double text_to_image_top1 = 0;  // a query's caption -> its image, among the query images, %
  // Share (%) of seen queries whose top-1 caption has the right background, shape, colour,
  // size and position.
  std::array<double, 5> attribute_accuracy{};
  // Embedding statistics of matched pairs (for the LinCIR noise scale): RMS per dimension of
  // the text and image embeddings, mean cosine between matched image and text.
  double text_rms = 0, image_rms = 0, matched_cosine = 0;
};

ZeroShotResult evaluate_zero_shot(const ClipModel& model, const synth::World& world,
                                  const ZeroShotOptions& options = {});

}  // namespace lincir
