#include "lincir/trainer.hpp"

#include <ATen/autocast_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "clip/towers.hpp"
#include "core/file_io.hpp"
#include "lincir/keywords.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/tokenizer.hpp"
#include "projector/phi_module.hpp"
#include "trainer/distributed.hpp"

namespace lincir {
namespace {

constexpr const char* kCheckpointFormat = "lincir-trainer-checkpoint";
constexpr const char* kCheckpointVersion = "1";

uint64_t mix64(uint64_t a, uint64_t b) {
  uint64_t z = a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Streams of randomness, separated so that changing one use never shifts another.
enum Stream : uint64_t { kMask = 1, kNoise = 2, kDropout = 3 };

// bfloat16 autocast on CPU for the duration of a step (restores the previous state).
class AutocastGuard {
 public:
  explicit AutocastGuard(bool on) : on_(on) {
    if (!on_) return;
    prev_enabled_ = at::autocast::is_cpu_enabled();
    prev_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  }
  ~AutocastGuard() {
    if (!on_) return;
    at::autocast::set_cpu_enabled(prev_enabled_);
    at::autocast::set_autocast_cpu_dtype(prev_dtype_);
    at::autocast::clear_cache();
  }

 private:
  bool on_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

std::string param_key(const at::Tensor& p) {
  return c10::guts::to_string(p.unsafeGetTensorImpl());
}

}  // namespace

const char* mask_mode_name(MaskMode m) noexcept {
  switch (m) {
    case MaskMode::keywords: return "keywords";
    case MaskMode::whole_caption: return "caption";
    case MaskMode::mix: return "mix";
  }
  return "?";
}

MaskMode parse_mask_mode(const std::string& s) {
  if (s == "keywords" || s == "spans") return MaskMode::keywords;
  if (s == "caption" || s == "whole_caption" || s == "whole") return MaskMode::whole_caption;
  if (s == "mix") return MaskMode::mix;
  LINCIR_THROW(Status::invalid_argument,
               "invalid mask mode '" + s + "' (expected keywords, caption or mix)");
}

struct Trainer::Impl {
  ClipModel model;
  std::shared_ptr<const detail::ClipTowers> towers;
  TrainerOptions opt;
  Projector phi;
  std::unique_ptr<torch::optim::AdamW> optim;
  KeywordExtractor keywords;
  std::unique_ptr<detail::ProcessGroup> pg;
  int rank = 0, world = 1;
  int64_t step = 0;
  uint64_t records = 0;  // global records consumed by fit()

  Impl(const ClipModel& m, const TrainerOptions& o, Projector p)
      : model(m), towers(detail::shared_towers(m)), opt(o), phi(std::move(p)) {}

  detail::ProjectorModule& module() { return ProjectorAccess::module(phi); }
  int64_t global_batch() const { return int64_t(opt.batch_size) * world; }

  float lr_at(int64_t s) const {
    float f = 1.f;
    if (opt.warmup_steps > 0 && s < opt.warmup_steps) {
      f = float(s + 1) / float(opt.warmup_steps);
    } else if (opt.cosine) {
      const double span = std::max<int64_t>(1, opt.steps - opt.warmup_steps);
      const double prog = std::min(1.0, double(s - opt.warmup_steps) / span);
      f = float(opt.min_lr_ratio + (1.0 - opt.min_lr_ratio) * 0.5 * (1.0 + std::cos(M_PI * prog)));
    }
    return opt.lr * f;
  }

  bool keeps_placeholder(const std::string& text) const {
    auto ids = model.tokenizer().tokenize(text, towers->config().context_length, true);
    for (int32_t id : ids)
      if (id == Tokenizer::kPlaceholder) return true;
    return false;
  }

  std::string mask(const CaptionRecord& rec, uint64_t global_index) const {
    std::mt19937_64 rng(mix64(mix64(opt.seed, kMask), global_index));
    const std::string norm = normalize_caption(rec.text);
    bool whole = opt.mask_mode == MaskMode::whole_caption;
    if (opt.mask_mode == MaskMode::mix)
      whole = std::uniform_real_distribution<double>(0.0, 1.0)(rng) < opt.mix_ratio;
    if (whole) return whole_caption_fallback();
    std::vector<KeywordSpan> spans =
        rec.has_spans ? locate_spans(norm, rec.spans) : keywords.extract_normalized(norm);
    MaskedCaption m = mask_or_fallback(norm, spans, rng);
    m = ensure_placeholder(std::move(m), [&](const std::string& t) { return keeps_placeholder(t); });
    return m.text;
  }

  torch::Tensor tokenize(const std::vector<std::string>& texts) const {
    const int ctx = towers->config().context_length;
    auto ids = model.tokenizer().tokenize(texts, ctx, true);
    return torch::from_blob(ids.data(), {int64_t(texts.size()), ctx}, torch::kInt32)
        .to(torch::kLong)
        .to(towers->device());
  }

  // Loss of φ on `batch`; global_base is the global index of batch[0]. With `train` the step
  // draws noise and dropout; without it neither.
  torch::Tensor loss(const std::vector<CaptionRecord>& batch, uint64_t global_base, bool train) {
    const int64_t B = static_cast<int64_t>(batch.size());
    std::vector<std::string> targets, masked;
    for (int64_t i = 0; i < B; ++i) {
      targets.push_back(normalize_caption(batch[size_t(i)].text));
      masked.push_back(mask(batch[size_t(i)], global_base + uint64_t(i)));
    }
    AutocastGuard autocast(opt.bf16);
    torch::Tensor t;
    {
      torch::NoGradGuard no_grad;
      t = towers->encode_text(tokenize(targets)).to(torch::kFloat32);
    }
    torch::Tensor x = t;
    if (train && opt.noise_scale != 0.f) {
      // Noise of the whole global batch from a per-step generator: a sample's noise does not
      // depend on how many processes share the batch.
      auto gen = at::make_generator<at::CPUGeneratorImpl>(mix64(mix64(opt.seed, kNoise), uint64_t(step)));
      const int64_t G = global_batch();
      const int64_t E = t.size(1);
      auto u = at::rand({G, 1}, gen, torch::kFloat32);
      auto eps = at::randn({G, E}, gen, torch::kFloat32);
      const int64_t off = int64_t(global_base) - step * G;
      x = t + (u.narrow(0, off, B) * eps.narrow(0, off, B)).to(t.device()) * opt.noise_scale;
    }
    if (train) {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(mix64(mix64(opt.seed, kDropout), uint64_t(step) * uint64_t(world) + uint64_t(rank)));
    }
    module()->train(train);
    torch::Tensor s = module()->forward(x);  // [B, W]
    torch::Tensor ids = tokenize(masked);
    torch::Tensor emb = towers->embed_tokens(ids);
    torch::Tensor slot = (ids == Tokenizer::kPlaceholder).unsqueeze(-1);
    emb = torch::where(slot, s.to(emb.dtype()).unsqueeze(1).expand_as(emb), emb);
    torch::Tensor t_hat = towers->encode_text_embeddings(emb, towers->pool_index(ids), true);
    return torch::mse_loss(t_hat.to(torch::kFloat32), t);
  }

  float train_step(const std::vector<CaptionRecord>& batch, uint64_t global_base) {
    LINCIR_CHECK(!batch.empty(), "empty training batch");
    for (auto& g : optim->param_groups())
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr_at(step));
    optim->zero_grad();
    torch::Tensor l = loss(batch, global_base, true);
    l.backward();
    auto params = module()->parameters();
    if (pg) {
      std::vector<at::Tensor> grads;
      for (auto& p : params) grads.push_back(p.grad());
      grads.push_back(l.detach().reshape({1}).clone());
      pg->average(grads);
      l = grads.back();
    }
    if (opt.grad_clip > 0.f) torch::nn::utils::clip_grad_norm_(params, opt.grad_clip);
    optim->step();
    ++step;
    phi.set_training_step(step);
    return l.item<float>();
  }
};

Trainer::Trainer(const ClipModel& model, const TrainerOptions& options, const Projector* init) {
  const TrainerOptions& o = options;
  LINCIR_CHECK(o.steps >= 0, "steps must be >= 0");
  LINCIR_CHECK(o.batch_size > 0, "batch_size must be > 0");
  LINCIR_CHECK(o.lr > 0.f && std::isfinite(o.lr), "lr must be a positive number");
  LINCIR_CHECK(o.weight_decay >= 0.f, "weight_decay must be >= 0");
  LINCIR_CHECK(o.noise_scale >= 0.f && std::isfinite(o.noise_scale), "noise_scale must be >= 0");
  LINCIR_CHECK(o.mix_ratio >= 0.f && o.mix_ratio <= 1.f, "mix_ratio must be in [0, 1]");
  LINCIR_CHECK(o.warmup_steps >= 0 && o.checkpoint_every >= 0 && o.validate_every >= 0,
               "warmup_steps, checkpoint_every and validate_every must be >= 0");
  LINCIR_CHECK(o.grad_clip >= 0.f, "grad_clip must be >= 0");
  LINCIR_CHECK(o.min_lr_ratio >= 0.f && o.min_lr_ratio <= 1.f, "min_lr_ratio must be in [0, 1]");
  const ClipConfig& cfg = model.config();
  ProjectorConfig pc;
  pc.kind = ProjectorKind::lincir;
  pc.input_dim = cfg.embed_dim;
  pc.output_dim = cfg.text_width;
  pc.dropout = o.dropout;
  pc.backbone = cfg.name;
  if (init) {
    LINCIR_CHECK(init->input_dim() == cfg.embed_dim && init->output_dim() == cfg.text_width,
                 "initial projector dims " + std::to_string(init->input_dim()) + "->" +
                     std::to_string(init->output_dim()) + " do not match the model (" +
                     std::to_string(cfg.embed_dim) + "->" + std::to_string(cfg.text_width) + ")");
  }
  impl_ = std::make_unique<Impl>(model, o, init ? init->clone() : Projector(pc, o.seed));
  impl_->phi.to(model.device());
  if (o.distributed.world_size > 1) {
    impl_->pg = std::make_unique<detail::ProcessGroup>(o.distributed);
    impl_->rank = o.distributed.rank;
    impl_->world = o.distributed.world_size;
  }
  impl_->optim = std::make_unique<torch::optim::AdamW>(
      impl_->module()->parameters(),
      torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
}

Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;

float Trainer::train_step(const std::vector<CaptionRecord>& batch) {
  const uint64_t base = uint64_t(impl_->step) * uint64_t(impl_->global_batch()) +
                        uint64_t(impl_->rank) * uint64_t(batch.size());
  return impl_->train_step(batch, base);
}

float Trainer::evaluate(const std::vector<CaptionRecord>& batch) {
  LINCIR_CHECK(!batch.empty(), "empty evaluation batch");
  torch::NoGradGuard no_grad;
  return impl_->loss(batch, 0, false).item<float>();
}

std::string Trainer::masked_caption(const CaptionRecord& caption, int64_t step, int64_t index) const {
  return impl_->mask(caption, uint64_t(step) * uint64_t(impl_->global_batch()) + uint64_t(index));
}

FitResult Trainer::fit(const std::string& captions_path, const TrainerCallbacks& cb) {
  Impl& m = *impl_;
  FitResult res;
  res.best_validation = -std::numeric_limits<double>::infinity();
  if (m.opt.resume && !m.opt.checkpoint_path.empty() && detail::file_exists(m.opt.checkpoint_path)) {
    load_checkpoint(m.opt.checkpoint_path);
    res.resumed = true;
  }
  CaptionStreamOptions d = m.opt.data;
  if (d.seed == 0) d.seed = m.opt.seed;
  d.loop = true;
  CaptionStream stream(captions_path, d);
  stream.skip(m.records);
  const int64_t B = m.opt.batch_size, G = m.global_batch();
  const bool writer = m.rank == 0;
  double last_val = std::numeric_limits<double>::quiet_NaN();
  std::vector<CaptionRecord> global(static_cast<size_t>(G)), mine;
  while (m.step < m.opt.steps) {
    for (auto& r : global) stream.next(r);  // loops forever: never false
    m.records += uint64_t(G);
    mine.assign(global.begin() + m.rank * B, global.begin() + (m.rank + 1) * B);
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t base = uint64_t(m.step) * uint64_t(G) + uint64_t(m.rank) * uint64_t(B);
    const float lr = m.lr_at(m.step);
    res.last_loss = m.train_step(mine, base);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++res.steps;
    if (m.opt.validate_every > 0 && cb.validate && m.step % m.opt.validate_every == 0) {
      last_val = cb.validate(m.phi);
      if (last_val > res.best_validation) {
        res.best_validation = last_val;
        if (writer && !m.opt.best_path.empty()) m.phi.save(m.opt.best_path, m.step);
      }
    }
    if (writer && !m.opt.checkpoint_path.empty() && m.opt.checkpoint_every > 0 &&
        m.step % m.opt.checkpoint_every == 0)
      save_checkpoint(m.opt.checkpoint_path);
    if (cb.on_step) {
      TrainerProgress p{m.step, m.opt.steps, res.last_loss, lr, dt > 0 ? double(G) / dt : 0.0, last_val};
      if (!cb.on_step(p)) {
        res.cancelled = true;
        break;
      }
    }
  }
  if (writer && !m.opt.checkpoint_path.empty()) save_checkpoint(m.opt.checkpoint_path);
  return res;
}

void Trainer::save_checkpoint(const std::string& path) const {
  Impl& m = *impl_;
  std::vector<at::Tensor> keep;  // CPU copies alive until written
  std::vector<TensorToWrite> out;
  nlohmann::json adam_steps = nlohmann::json::object();
  auto add = [&](const std::string& name, const at::Tensor& t) {
    keep.push_back(t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    out.push_back({name, TensorDType::F32, keep.back().sizes().vec(), keep.back().data_ptr()});
  };
  auto& state = m.optim->state();
  for (const auto& np : m.module()->named_parameters()) {
    add("phi." + np.key(), np.value());
    auto it = state.find(param_key(np.value()));
    if (it != state.end()) {
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      add("adam." + np.key() + ".exp_avg", s.exp_avg());
      add("adam." + np.key() + ".exp_avg_sq", s.exp_avg_sq());
      adam_steps[np.key()] = s.step();
    }
  }
  const auto& c = m.phi.config();
  nlohmann::json options = {{"batch_size", m.opt.batch_size}, {"world_size", m.world},
                            {"seed", m.opt.seed}, {"mask_mode", mask_mode_name(m.opt.mask_mode)},
                            {"noise_scale", m.opt.noise_scale}, {"lr", m.opt.lr},
                            {"weight_decay", m.opt.weight_decay}, {"bf16", m.opt.bf16}};
  save_safetensors(path, out,
                   {{"format", kCheckpointFormat},
                    {"version", kCheckpointVersion},
                    {"step", std::to_string(m.step)},
                    {"records", std::to_string(m.records)},
                    {"adam_steps", adam_steps.dump()},
                    {"options", options.dump()},
                    {"input_dim", std::to_string(c.input_dim)},
                    {"hidden_dim", std::to_string(c.hidden_dim)},
                    {"output_dim", std::to_string(c.output_dim)},
                    {"backbone", c.backbone}});
}

void Trainer::load_checkpoint(const std::string& path) {
  Impl& m = *impl_;
  SafeTensors st = SafeTensors::open(path);
  const auto& md = st.metadata();
  auto meta = [&](const char* k) -> const std::string& {
    auto it = md.find(k);
    if (it == md.end())
      LINCIR_THROW(Status::format, "'" + path + "' is not a lincir trainer checkpoint (no '" + k + "')");
    return it->second;
  };
  if (meta("format") != kCheckpointFormat)
    LINCIR_THROW(Status::format, "'" + path + "' is not a lincir trainer checkpoint");
  if (meta("version") != kCheckpointVersion)
    LINCIR_THROW(Status::format, "'" + path + "' has checkpoint version " + meta("version") +
                                     ", this build reads " + kCheckpointVersion);
  auto options = nlohmann::json::parse(meta("options"), nullptr, false);
  auto adam_steps = nlohmann::json::parse(meta("adam_steps"), nullptr, false);
  if (options.is_discarded() || adam_steps.is_discarded() || !adam_steps.is_object())
    LINCIR_THROW(Status::format, "'" + path + "': corrupt checkpoint metadata");
  auto same = [&](const char* k, const nlohmann::json& v) {
    if (!options.contains(k) || options[k] != v)
      LINCIR_THROW(Status::invalid_argument,
                   "checkpoint '" + path + "' was written with " + k + " = " +
                       (options.contains(k) ? options[k].dump() : "?") + ", this run uses " + v.dump());
  };
  same("batch_size", m.opt.batch_size);
  same("world_size", m.world);
  same("seed", m.opt.seed);
  same("mask_mode", mask_mode_name(m.opt.mask_mode));
  int64_t step = 0;
  uint64_t records = 0;
  try {
    step = std::stoll(meta("step"));
    records = std::stoull(meta("records"));
  } catch (const std::exception&) {
    LINCIR_THROW(Status::format, "'" + path + "': corrupt step/records metadata");
  }
  torch::NoGradGuard no_grad;
  auto& state = m.optim->state();
  auto tensor = [&](const std::string& name, const at::Tensor& like) {
    const TensorView& v = st.get(name);
    if (v.dtype != TensorDType::F32 || v.shape != like.sizes().vec())
      LINCIR_THROW(Status::format, "'" + path + "': tensor '" + name + "' has the wrong shape or dtype");
    auto data = st.to_float(name);
    return torch::from_blob(data.data(), like.sizes(), torch::kFloat32).clone().to(like.device());
  };
  for (const auto& np : m.module()->named_parameters()) {
    if (!st.contains("phi." + np.key()))
      LINCIR_THROW(Status::format, "'" + path + "' lacks tensor 'phi." + np.key() + "'");
    np.value().copy_(tensor("phi." + np.key(), np.value()));
    state.erase(param_key(np.value()));
    if (adam_steps.contains(np.key())) {
      if (!adam_steps[np.key()].is_number_integer())  // get<int64_t> would throw json's own error
        LINCIR_THROW(Status::format, "'" + path + "': corrupt adam_steps metadata");
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      s->step(adam_steps[np.key()].get<int64_t>());
      s->exp_avg(tensor("adam." + np.key() + ".exp_avg", np.value()));
      s->exp_avg_sq(tensor("adam." + np.key() + ".exp_avg_sq", np.value()));
      state[param_key(np.value())] = std::move(s);
    }
  }
  m.step = step;
  m.records = records;
  m.phi.set_training_step(step);
}

const Projector& Trainer::projector() const { return impl_->phi; }
int64_t Trainer::step() const { return impl_->step; }
const TrainerOptions& Trainer::options() const { return impl_->opt; }

}  // namespace lincir
