// lincir_trainer: LinCIR's projector from a caption file, with progress and cancellation.
#include <cmath>

#include "capi_handles.hpp"

using namespace lincir;

namespace {

lincir_trainer_params default_trainer_params() {
  const TrainerOptions d;
  lincir_trainer_params p{};
  p.struct_size = sizeof(p);
  p.steps = d.steps;
  p.batch_size = d.batch_size;
  p.lr = d.lr;
  p.weight_decay = d.weight_decay;
  p.warmup_steps = static_cast<int32_t>(d.warmup_steps);
  p.cosine = d.cosine ? 1 : 0;
  p.grad_clip = d.grad_clip;
  p.noise_scale = d.noise_scale;
  p.mask_mode = LINCIR_MASK_KEYWORDS;
  p.mix_ratio = d.mix_ratio;
  p.seed = d.seed;
  p.bf16 = 0;
  p.text_field = nullptr;
  p.checkpoint_path = nullptr;
  p.checkpoint_every = 0;
  p.progress = nullptr;
  p.abort = nullptr;
  p.user_data = nullptr;
  return p;
}

TrainerOptions options_of(const lincir_trainer_params& p) {
  TrainerOptions o;
  o.steps = p.steps;
  o.batch_size = p.batch_size;
  o.lr = p.lr;
  o.weight_decay = p.weight_decay;
  o.warmup_steps = p.warmup_steps;
  o.cosine = p.cosine != 0;
  o.grad_clip = p.grad_clip;
  o.noise_scale = p.noise_scale;
  LINCIR_C_ARG(p.mask_mode >= LINCIR_MASK_KEYWORDS && p.mask_mode <= LINCIR_MASK_MIX,
               "invalid mask_mode " + std::to_string(p.mask_mode));
  o.mask_mode = p.mask_mode == LINCIR_MASK_CAPTION ? MaskMode::whole_caption
                : p.mask_mode == LINCIR_MASK_MIX   ? MaskMode::mix
                                                   : MaskMode::keywords;
  o.mix_ratio = p.mix_ratio;
  o.seed = p.seed;
  o.bf16 = p.bf16 != 0;
  if (p.text_field) o.data.field = p.text_field;
  if (p.checkpoint_path) o.checkpoint_path = p.checkpoint_path;
  o.checkpoint_every = p.checkpoint_every;
  return o;
}

}  // namespace

extern "C" {

int lincir_trainer_params_init(lincir_trainer_params* params) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(params);
  *params = default_trainer_params();
  LINCIR_C_CATCH
}

int lincir_trainer_new(lincir_trainer** out, const lincir_model* model,
                       const lincir_trainer_params* params) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(model);
  auto t = std::make_unique<lincir_trainer>();
  t->model = model;
  t->params = capi::read_params(params, default_trainer_params(), "lincir_trainer_params");
  t->trainer.emplace(model->clip, options_of(t->params));
  *out = t.release();
  LINCIR_C_CATCH
}

void lincir_trainer_free(lincir_trainer* trainer) noexcept { delete trainer; }

int lincir_trainer_fit(lincir_trainer* trainer, const char* captions_path) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(trainer);
  LINCIR_C_NOT_NULL(captions_path);
  const lincir_trainer_params& p = trainer->params;
  TrainerCallbacks cb;
  if (p.progress || p.abort) {
    cb.on_step = [&p](const TrainerProgress& pr) {
      if (p.progress) p.progress(pr.step, pr.total_steps, pr.loss, p.user_data);
      return !(p.abort && p.abort(p.user_data) != 0);
    };
  }
  FitResult r = trainer->trainer->fit(captions_path, cb);
  if (r.cancelled) {
    capi::set_error(LINCIR_ERR_CANCELLED,
                    "training cancelled by the abort callback at step " + std::to_string(trainer->trainer->step()));
    return LINCIR_ERR_CANCELLED;
  }
  LINCIR_C_CATCH
}

int64_t lincir_trainer_step(const lincir_trainer* trainer) noexcept {
  return trainer && trainer->trainer ? trainer->trainer->step() : -1;
}

int lincir_trainer_save_projector(const lincir_trainer* trainer, const char* path) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(trainer);
  LINCIR_C_NOT_NULL(path);
  trainer->trainer->projector().save(path);
  LINCIR_C_CATCH
}

}  // extern "C"
