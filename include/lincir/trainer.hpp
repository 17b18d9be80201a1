// The LinCIR trainer: learns the projector φ from captions alone (no images).
//
// One step, exactly as LinCIR (Gu et al., CVPR 2024; navervision/lincir train.py):
//   t   = CLIP text feature of the caption (frozen text tower, no gradient)
//   x   = t + u * ε * noise_scale,   u ~ U(0,1) per sample, ε ~ N(0, I)
//   s   = φ(x)                        (dropout active)
//   t^  = text feature of the masked caption, with s at every `$` (token 259)
//   loss = MSE(t^, t)
// The masked caption comes from MaskMode: the keyword spans of the caption (LinCIR's
// self-masking projection; default), the whole caption ("a photo of $"), or a mix. Captions
// whose spans are given by the input file use those spans.
//
// Determinism: every random draw of a step (noise, dropout, masking choices) is derived from
// (seed, step, sample index), so a run is reproducible on CPU for a fixed thread count, resuming
// from a checkpoint continues bit-exactly, and data-parallel training draws the same noise and
// masks for a sample whatever the number of processes. Dropout draws come from LibTorch's
// default CPU generator, which the trainer re-seeds at every step: do not rely on that
// generator's state elsewhere in the process while a trainer runs.
//
// Data-parallel training runs on LibTorch's c10d (ProcessGroupGloo over TCP): start one process
// per rank with the same options (DistributedOptions); each takes its slice of every global
// batch of batch_size * world_size captions and gradients are averaged by all-reduce after
// backward. Rank 0 writes checkpoints.
//
// Thread safety: a Trainer is used by one thread at a time. The ClipModel may be shared.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lincir/captions.hpp"
#include "lincir/clip.hpp"
#include "lincir/common.hpp"
#include "lincir/projector.hpp"

namespace lincir {

enum class MaskMode {
  keywords,       // LinCIR's keyword spans (default)
  whole_caption,  // "a photo of $"
  mix,            // whole caption with probability mix_ratio, else keywords
};
const char* mask_mode_name(MaskMode m) noexcept;  // "keywords", "caption", "mix"
MaskMode parse_mask_mode(const std::string& s);    // Error(invalid_argument) otherwise

struct DistributedOptions {
  int rank = 0;
  int world_size = 1;  // 1 = no process group
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int timeout_seconds = 300;
};

struct TrainerOptions {
  int64_t steps = 1000;
  int batch_size = 64;          // per process
  float lr = 1e-4f;
  float weight_decay = 0.01f;   // AdamW
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  int64_t warmup_steps = 0;     // linear warmup from 0
  bool cosine = false;          // cosine decay to min_lr_ratio * lr after warmup (else constant)
  float min_lr_ratio = 0.f;
  float grad_clip = 0.f;        // max global gradient norm; 0 = off
  float noise_scale = 1.f;      // 0 disables the noise
  MaskMode mask_mode = MaskMode::keywords;
  float mix_ratio = 0.5f;
  uint64_t seed = 0;
  bool bf16 = false;            // bfloat16 autocast (CPU) for the towers
  // φ architecture: input/output dims come from the model; dropout < 0 = 0.5.
  float dropout = -1.f;
  // Checkpoints (rank 0): written atomically every `checkpoint_every` steps (0 = at the end
  // only) and at the end; `fit` resumes from it when it exists and `resume` is set.
  std::string checkpoint_path;
  int64_t checkpoint_every = 0;
  bool resume = true;
  // Validation: every `validate_every` steps the hook scores φ (higher is better); the best φ
  // is written to `best_path` (if set).
  int64_t validate_every = 0;
  std::string best_path;
  CaptionStreamOptions data;    // caption field, shuffle buffer, ... (data.seed defaults to seed)
  DistributedOptions distributed;
};

struct TrainerProgress {
  int64_t step = 0;             // steps done
  int64_t total_steps = 0;
  float loss = 0.f;             // this step's loss (averaged over processes)
  float lr = 0.f;
  double captions_per_second = 0.0;  // global, over the last step
  double validation = 0.0;      // last validation score (NaN if none yet)
};

struct TrainerCallbacks {
  // After every step; return false to stop (fit then returns with cancelled = true, after
  // writing a checkpoint if checkpoints are on).
  std::function<bool(const TrainerProgress&)> on_step;
  // Validation score of φ (higher is better), called every validate_every steps.
  std::function<double(const Projector&)> validate;
};

struct FitResult {
  int64_t steps = 0;
  bool cancelled = false;
  bool resumed = false;
  float last_loss = 0.f;
  double best_validation = 0.0;
};

class Trainer {
 public:
  // φ is initialised from `seed` (or copied from `init` if given, whose dims must match the
  // model: input = embed_dim, output = text width). Error(invalid_argument) for bad options.
  Trainer(const ClipModel& model, const TrainerOptions& options, const Projector* init = nullptr);
  ~Trainer();
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;

  // Trains on a caption file or folder until options.steps (resuming from the checkpoint when
  // present). Throws Error(io/format) for unreadable data, Error(cancelled) never: a stop
  // requested by on_step is reported in FitResult.
  FitResult fit(const std::string& captions_path, const TrainerCallbacks& callbacks = {});

  // One optimisation step on explicit captions (this process's batch). Returns the loss.
  float train_step(const std::vector<CaptionRecord>& batch);

  // The loss of φ on captions without updating it (dropout off, no noise): for monitoring.
  float evaluate(const std::vector<CaptionRecord>& batch);

  // The masked caption (with `$` placeholders) a step would use for a caption (sample index i of
  // step `step`): exposed for inspection and tests.
  std::string masked_caption(const CaptionRecord& caption, int64_t step, int64_t index) const;

  void save_checkpoint(const std::string& path) const;  // atomic
  void load_checkpoint(const std::string& path);        // Error(format) if incompatible

  const Projector& projector() const;
  int64_t step() const;
  const TrainerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lincir
