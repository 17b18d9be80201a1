// The synthetic composed-image-retrieval benchmark behind `lincir demo`: the bundled tiny CLIP
// (trained by lincir::ClipPretrainer on lincir::synth scenes) and projectors φ trained by the
// LinCIR trainer on the world's captions only, evaluated on held-out composed queries against
// the training-free baselines.
//
// Methods (every one ranks the same gallery, reference removed from its own ranking as in CIRR):
//   image-only   the normalised reference image embedding
//   text-only    the normalised embedding of the modification text alone
//   image+text   normalize(normalize(image) + normalize(text))   (Pic2Word's "mixture")
//   LinCIR ...   "a photo of $ that {modification}" with φ(reference image) at `$`, one row per
//                bundled φ variant (mask mode and noise, see phi_variants())
//   oracle       the canonical caption of the target scene (an upper bound, not a method)
//
// Thread safety: functions are reentrant; results are values.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lincir/clip.hpp"
#include "lincir/common.hpp"
#include "lincir/projector.hpp"
#include "lincir/synth.hpp"
#include "lincir/trainer.hpp"

namespace lincir::demo {

// ---------------------------------------------------------------------------------------------
// Models

// A φ variant of the demo table. `name` is the file stem suffix (phi_<name>.safetensors).
struct PhiVariant {
  std::string name;
  std::string label;  // table row label
  MaskMode mask_mode = MaskMode::keywords;
  float noise_scale = 1.f;
  bool is_default = false;  // the library's default settings (keyword spans, noise 1)
};
// keywords (default: keyword spans, noise 1), keywords_nonoise (noise 0), caption (whole
// caption -> "a photo of $", noise 1), mix (whole caption with probability 0.5, noise 1).
std::vector<PhiVariant> phi_variants();

// Where the bundled models live: <dir>/tiny_clip.safetensors (+ tiny_clip.json),
// <dir>/phi_<variant>.safetensors and <dir>/models.json (how they were made, expected metrics).
struct ModelFiles {
  std::string dir;
  std::string clip() const { return dir + "/tiny_clip.safetensors"; }
  std::string phi(const std::string& variant) const { return dir + "/phi_" + variant + ".safetensors"; }
  std::string manifest() const { return dir + "/models.json"; }
};

struct LoadedModels {
  ClipModel clip;
  std::vector<std::pair<PhiVariant, Projector>> projectors;  // in phi_variants() order
};
// Loads the CLIP and every φ variant present (a missing default φ is Error(io)).
LoadedModels load_models(const ModelFiles& files);

// φ training on the world's captions, language only: captions of random training scenes
// (synth::CaptionCorpus, Split::train, so no held-out pair or phrasing), their exact keyword
// spans taken from the generator's part-of-speech tags, fed to lincir::Trainer::train_step.
struct PhiTrainOptions {
  TrainerOptions trainer = default_trainer_options();
  synth::World world = synth::World::standard();
  synth::CaptionOptions captions;
  // The demo's optimisation settings (1,000 steps of 256 captions, AdamW lr 5e-4, wd 0.01,
  // 100 warm-up steps, cosine decay); mask mode and noise are the library's defaults.
  static TrainerOptions default_trainer_options();
};
Projector train_projector(const ClipModel& clip, const PhiTrainOptions& options,
                          const std::function<bool(const TrainerProgress&)>& on_step = {});

// Writes `phi` like Projector::save but with float16 tensors (Projector::load reads them back
// as float32). Atomic.
void save_projector_fp16(const Projector& phi, const std::string& path);

// ---------------------------------------------------------------------------------------------
// Benchmark

struct BenchOptions {
  synth::World world = synth::World::standard();
  // Default: seed 123, 1,000 queries of Split::heldout (every query has a held-out (shape,
  // colour) pair in its reference or target, or a held-out phrasing), the whole single-object
  // universe, every one-attribute neighbour of every target and 800 multi-object distractors.
  synth::CirOptions cir = default_cir_options();
  synth::RenderOptions render;  // render.size is forced to the model's resolution
  std::string prompt = "a photo of $ that {}";  // LinCIR's CIRR/CIRCO template
  int top_k = 10;                               // kept per query (>= 10: R@10 needs it)
  bool oracle = true;                           // add the target-caption upper bound
  static synth::CirOptions default_cir_options();
};

struct MethodResult {
  std::string name;   // "image", "text", "sum", "lincir:<variant>", "oracle"
  std::string label;  // table label
  bool trained = false;  // needs a trained φ
  std::array<double, 3> recall{};  // R@1, R@5, R@10 in %
  std::map<std::string, double> r1_by_group;  // R@1 per change kind, "two changes",
                                              // "held-out pair", "held-out phrasing"
  std::vector<std::vector<int>> top;  // per query: gallery indices, best first (top_k)
};

struct BenchResult {
  synth::CirSet set;
  synth::RenderOptions render;  // as used for the gallery (size = the model's resolution)
  std::vector<MethodResult> methods;
  std::map<std::string, int64_t> group_sizes;  // queries per r1_by_group key
  double render_seconds = 0, encode_seconds = 0, query_seconds = 0;
};

// Renders and encodes the gallery, runs every method. `log` receives progress lines.
BenchResult run_benchmark(const LoadedModels& models, const BenchOptions& options = {},
                          const std::function<void(const std::string&)>& log = {});

// The table as text (aligned columns, two decimals) and as JSON
// ({"queries": N, "gallery": M, "methods": [{"name", "label", "R@1", "R@5", "R@10",
//   "R@1_by_group": {...}}], ...}).
std::string table_text(const BenchResult& result);
std::string table_json(const BenchResult& result, int indent = 2);

// Writes <dir>/report.html and its PNG thumbnails (<dir>/img/...): for `num_queries` queries
// (spread over the change kinds) the reference, the modification, the top-5 of the default
// LinCIR and of image+text, and the true target. Creates `dir`; Error(io) on failure.
void write_report(const BenchResult& result, const std::string& dir, int num_queries = 12);

}  // namespace lincir::demo
