// Contrastive pretraining of a CLIP on synth scenes (see lincir/clip_pretrain.hpp).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "clip/towers.hpp"
#include "clip_train/batch.hpp"
#include "core/file_io.hpp"
#include "lincir/clip_pretrain.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/tokenizer.hpp"

namespace lincir {
namespace {

// bfloat16 autocast on CPU for a scope (restores the previous state).
class AutocastScope {
 public:
  explicit AutocastScope(bool on) : on_(on) {
    if (!on_) return;
    prev_enabled_ = at::autocast::is_cpu_enabled();
    prev_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  }
  ~AutocastScope() {
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

torch::Tensor leaf(torch::Tensor t) { return t.set_requires_grad(true); }

// Named tensors of the model in OpenAI key order, for saving and parameter groups.
struct Named {
  std::string name;
  torch::Tensor tensor;
};

void add_block(std::vector<Named>& out, const std::string& p, const detail::BlockWeights& b) {
  out.push_back({p + "ln_1.weight", b.ln_1_weight});
  out.push_back({p + "ln_1.bias", b.ln_1_bias});
  out.push_back({p + "attn.in_proj_weight", b.in_proj_weight});
  out.push_back({p + "attn.in_proj_bias", b.in_proj_bias});
  out.push_back({p + "attn.out_proj.weight", b.out_proj_weight});
  out.push_back({p + "attn.out_proj.bias", b.out_proj_bias});
  out.push_back({p + "ln_2.weight", b.ln_2_weight});
  out.push_back({p + "ln_2.bias", b.ln_2_bias});
  out.push_back({p + "mlp.c_fc.weight", b.c_fc_weight});
  out.push_back({p + "mlp.c_fc.bias", b.c_fc_bias});
  out.push_back({p + "mlp.c_proj.weight", b.c_proj_weight});
  out.push_back({p + "mlp.c_proj.bias", b.c_proj_bias});
}

// Every tensor except the token table, with OpenAI names.
std::vector<Named> named_weights(const detail::ClipWeights& w, const torch::Tensor& logit_scale) {
  std::vector<Named> out;
  out.push_back({"positional_embedding", w.positional_embedding});
  for (size_t i = 0; i < w.text_blocks.size(); ++i)
    add_block(out, "transformer.resblocks." + std::to_string(i) + ".", w.text_blocks[i]);
  out.push_back({"ln_final.weight", w.ln_final_weight});
  out.push_back({"ln_final.bias", w.ln_final_bias});
  out.push_back({"text_projection", w.text_projection});
  out.push_back({"visual.conv1.weight", w.conv1_weight});
  out.push_back({"visual.class_embedding", w.class_embedding});
  out.push_back({"visual.positional_embedding", w.vision_positional_embedding});
  out.push_back({"visual.ln_pre.weight", w.ln_pre_weight});
  out.push_back({"visual.ln_pre.bias", w.ln_pre_bias});
  for (size_t i = 0; i < w.vision_blocks.size(); ++i)
    add_block(out, "visual.transformer.resblocks." + std::to_string(i) + ".", w.vision_blocks[i]);
  out.push_back({"visual.ln_post.weight", w.ln_post_weight});
  out.push_back({"visual.ln_post.bias", w.ln_post_bias});
  out.push_back({"visual.proj", w.visual_proj});
  out.push_back({"logit_scale", logit_scale});
  return out;
}

// Weight decay applies to weight matrices (linear, conv, projections), not to biases, LayerNorm
// gains, embeddings or the temperature (as open_clip / OpenAI do for gains and biases; the token
// table is excluded too, since most of its rows are only rarely used).
bool decays(const std::string& name) {
  return name.find("proj_weight") != std::string::npos || name.find("c_fc.weight") != std::string::npos ||
         name.find("c_proj.weight") != std::string::npos || name == "text_projection" ||
         name == "visual.proj" || name == "visual.conv1.weight" ||
         name.find("out_proj.weight") != std::string::npos;
}

}  // namespace

ClipConfig tiny_clip_config() {
  ClipConfig c;
  c.name = "lincir-tiny-synth";
  c.embed_dim = 128;
  c.image_resolution = 40;
  c.vision_layers = 4;
  c.vision_width = 128;
  c.vision_heads = 4;
  c.vision_patch_size = 8;
  c.vision_mlp_width = 512;
  c.context_length = 32;
  c.vocab_size = 49408;
  c.text_width = 128;
  c.text_heads = 4;
  c.text_layers = 3;
  c.text_mlp_width = 512;
  c.activation = ClipConfig::Activation::quick_gelu;
  return c;
}

struct ClipPretrainer::Impl {
  ClipPretrainOptions opt;
  Tokenizer tokenizer;
  detail::ClipWeights w;
  torch::Tensor table;       // [rows, Wt] compact token table (leaf)
  torch::Tensor logit_scale; // [] log of the inverse temperature (leaf)
  std::unordered_map<int32_t, int64_t> row_of;  // BPE id -> table row
  std::vector<int32_t> id_of_row;
  std::vector<char> seen;    // per row: occurred in a training caption
  std::unique_ptr<detail::ClipTowers> towers;
  std::unique_ptr<torch::optim::AdamW> optim;
  std::vector<Named> named;  // all parameters but the table
  detail::BatchMaker batches;
  int64_t step = 0;

  explicit Impl(const ClipPretrainOptions& o) : opt(o), batches(o) {}

  int64_t row(int32_t id) {
    auto it = row_of.find(id);
    if (it != row_of.end()) return it->second;
    LINCIR_CHECK(int64_t(id_of_row.size()) < table.size(0),
                 "ClipPretrainer: the captions use more than " + std::to_string(table.size(0)) +
                     " distinct tokens");
    const int64_t r = int64_t(id_of_row.size());
    row_of.emplace(id, r);
    id_of_row.push_back(id);
    return r;
  }

  void init() {
    const ClipConfig& c = opt.config;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(synth::mix_seed(opt.seed, 0x1417));
    auto normal = [&](std::vector<int64_t> shape, double stdv) {
      return leaf(at::normal(0.0, stdv, shape, gen));
    };
    auto zeros = [](std::vector<int64_t> shape) { return leaf(torch::zeros(shape)); };
    auto ones = [](std::vector<int64_t> shape) { return leaf(torch::ones(shape)); };
    auto blocks = [&](int layers, int64_t d, int64_t m) {
      // openai/CLIP initialize_parameters: attention width^-0.5, residual projections further
      // scaled by (2 layers)^-0.5, MLP input (2 width)^-0.5.
      const double attn_std = std::pow(double(d), -0.5);
      const double proj_std = attn_std * std::pow(2.0 * layers, -0.5);
      const double fc_std = std::pow(2.0 * d, -0.5);
      std::vector<detail::BlockWeights> out(static_cast<size_t>(layers));
      for (auto& b : out) {
        b.ln_1_weight = ones({d});
        b.ln_1_bias = zeros({d});
        b.in_proj_weight = normal({3 * d, d}, attn_std);
        b.in_proj_bias = zeros({3 * d});
        b.out_proj_weight = normal({d, d}, proj_std);
        b.out_proj_bias = zeros({d});
        b.ln_2_weight = ones({d});
        b.ln_2_bias = zeros({d});
        b.c_fc_weight = normal({m, d}, fc_std);
        b.c_fc_bias = zeros({m});
        b.c_proj_weight = normal({d, m}, proj_std);
        b.c_proj_bias = zeros({d});
      }
      return out;
    };
    const int64_t wt = c.text_width, wv = c.vision_width, e = c.embed_dim;
    const int64_t g = c.vision_grid(), p = c.vision_patch_size;
    // The compact table: the world's whole vocabulary fits with room to spare.
    table = normal({batches.vocabulary_bound(tokenizer), wt}, 0.02);
    // The towers check the full table's shape; they never read it (tokens are embedded here).
    w.token_embedding = torch::zeros({1, wt}).expand({c.vocab_size, wt});
    w.positional_embedding = normal({c.context_length, wt}, 0.01);
    w.text_blocks = blocks(c.text_layers, wt, c.text_mlp_width);
    w.ln_final_weight = ones({wt});
    w.ln_final_bias = zeros({wt});
    w.text_projection = normal({wt, e}, std::pow(double(wt), -0.5));
    const double bound = 1.0 / std::sqrt(double(3 * p * p));  // nn.Conv2d's default init
    w.conv1_weight = leaf(at::rand({wv, 3, p, p}, gen).mul_(2 * bound).sub_(bound));
    const double vs = std::pow(double(wv), -0.5);
    w.class_embedding = normal({wv}, vs);
    w.vision_positional_embedding = normal({g * g + 1, wv}, vs);
    w.ln_pre_weight = ones({wv});
    w.ln_pre_bias = zeros({wv});
    w.vision_blocks = blocks(c.vision_layers, wv, c.vision_mlp_width);
    w.ln_post_weight = ones({wv});
    w.ln_post_bias = zeros({wv});
    w.visual_proj = normal({wv, e}, vs);
    logit_scale = leaf(torch::full({}, std::log(double(opt.init_logit_scale)), torch::kFloat));
    w.logit_scale = logit_scale;
    seen.assign(size_t(table.size(0)), 0);
    towers = std::make_unique<detail::ClipTowers>(c, w, torch::kCPU, torch::kFloat);
    named = named_weights(w, logit_scale);

    std::vector<torch::Tensor> decay, no_decay{table};
    for (const Named& n : named) (decays(n.name) ? decay : no_decay).push_back(n.tensor);
    auto base = torch::optim::AdamWOptions(opt.lr)
                    .betas({opt.beta1, opt.beta2})
                    .eps(opt.eps);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                   torch::optim::AdamWOptions(base).weight_decay(opt.weight_decay)));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                      torch::optim::AdamWOptions(base).weight_decay(0.0)));
    optim = std::make_unique<torch::optim::AdamW>(std::move(groups), base);
  }

  float lr_at(int64_t s) const {
    double f = 1.0;
    if (opt.warmup_steps > 0 && s < opt.warmup_steps) {
      f = double(s + 1) / double(opt.warmup_steps);
    } else {
      const double span = double(std::max<int64_t>(1, opt.steps - opt.warmup_steps));
      const double prog = std::min(1.0, double(s - opt.warmup_steps) / span);
      f = opt.min_lr_ratio + (1.0 - opt.min_lr_ratio) * 0.5 * (1.0 + std::cos(M_PI * prog));
    }
    return float(opt.lr * f);
  }

  // Text features of a batch, computed in length buckets: sequences are sorted by length and
  // each bucket is trimmed to its own longest (causal attention makes trimming exact), which
  // roughly halves the text tower's work on these mixed-length captions.
  torch::Tensor encode_text_bucketed(const torch::Tensor& x, const std::vector<int64_t>& pool) {
    const int64_t B = x.size(0);
    std::vector<int64_t> order(static_cast<size_t>(B));
    for (int64_t i = 0; i < B; ++i) order[size_t(i)] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return pool[size_t(a)] < pool[size_t(b)]; });
    const int64_t buckets = std::min<int64_t>(4, B);
    std::vector<torch::Tensor> parts;
    for (int64_t k = 0; k < buckets; ++k) {
      const int64_t lo = B * k / buckets, hi = B * (k + 1) / buckets;
      if (hi <= lo) continue;
      std::vector<int64_t> idx(order.begin() + lo, order.begin() + hi), pidx;
      for (int64_t i : idx) pidx.push_back(pool[size_t(i)]);
      const torch::Tensor rows = torch::tensor(idx, torch::kLong);
      parts.push_back(towers
                          ->encode_text_embeddings(x.index_select(0, rows),
                                                   torch::tensor(pidx, torch::kLong), true)
                          .to(torch::kFloat));
    }
    // Back to batch order.
    std::vector<int64_t> inverse(static_cast<size_t>(B));
    for (int64_t i = 0; i < B; ++i) inverse[size_t(order[size_t(i)])] = i;
    return torch::cat(parts, 0).index_select(0, torch::tensor(inverse, torch::kLong));
  }

  ClipPretrainProgress train_step() {
    const auto t0 = std::chrono::steady_clock::now();
    const detail::Batch b = batches.make(step, tokenizer);
    const int64_t B = int64_t(b.captions.size());
    const int64_t L = opt.config.context_length;
    // Token ids -> compact rows; pooling at the first EOT (the maximal id), as clip.tokenize
    // output is pooled by CLIP.
    std::vector<int64_t> rows(size_t(B * L), 0), pool(size_t(B), L - 1);
    for (int64_t i = 0; i < B; ++i) {
      bool found = false;
      for (int64_t j = 0; j < L; ++j) {
        const int32_t id = b.ids[size_t(i * L + j)];
        const int64_t r = row(id);
        rows[size_t(i * L + j)] = r;
        seen[size_t(r)] = 1;
        if (!found && id == Tokenizer::kEot) {
          pool[size_t(i)] = j;
          found = true;
        }
      }
    }
    const float lr = lr_at(step);
    for (auto& g : optim->param_groups())
      static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    optim->zero_grad();

    const torch::Tensor row_t = torch::from_blob(rows.data(), {B, L}, torch::kLong);
    const torch::Tensor pixels = torch::from_blob(const_cast<float*>(b.pixels.data()),
                                                  {B, 3, opt.config.image_resolution,
                                                   opt.config.image_resolution},
                                                  torch::kFloat);
    torch::Tensor img, txt;
    {
      AutocastScope autocast(opt.bf16);
      const torch::Tensor x = table.index_select(0, row_t.view({-1})).view({B, L, -1});
      txt = encode_text_bucketed(x, pool);
      img = towers->encode_image(pixels).to(torch::kFloat);
    }
    img = img / img.norm(2, -1, true);
    txt = txt / txt.norm(2, -1, true);
    const torch::Tensor logits = logit_scale.exp() * at::matmul(img, txt.t());  // [B, B]
    const torch::Tensor labels = torch::arange(B, torch::kLong);
    const torch::Tensor loss =
        0.5 * (at::cross_entropy_loss(logits, labels) + at::cross_entropy_loss(logits.t(), labels));
    loss.backward();
    if (opt.grad_clip > 0.f) {
      std::vector<torch::Tensor> params{table};
      for (const Named& n : named) params.push_back(n.tensor);
      torch::nn::utils::clip_grad_norm_(params, opt.grad_clip);
    }
    optim->step();
    {
      torch::NoGradGuard ng;
      logit_scale.clamp_(std::log(1e-3), std::log(double(opt.max_logit_scale)));
    }
    ++step;
    ClipPretrainProgress p;
    p.step = step;
    p.total_steps = opt.steps;
    p.loss = loss.item<float>();
    p.accuracy = logits.detach().argmax(1).eq(labels).to(torch::kFloat).mean().item<float>();
    p.logit_scale = std::exp(logit_scale.item<float>());
    p.lr = lr;
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p;
  }
};

ClipPretrainer::ClipPretrainer(const ClipPretrainOptions& options) {
  const ClipPretrainOptions& o = options;
  o.config.validate();
  LINCIR_CHECK(o.steps >= 0, "ClipPretrainOptions.steps must be >= 0");
  LINCIR_CHECK(o.batch_size >= 2, "ClipPretrainOptions.batch_size must be >= 2");
  LINCIR_CHECK(o.lr > 0.f && std::isfinite(o.lr), "ClipPretrainOptions.lr must be positive");
  LINCIR_CHECK(o.weight_decay >= 0.f, "ClipPretrainOptions.weight_decay must be >= 0");
  LINCIR_CHECK(o.warmup_steps >= 0, "ClipPretrainOptions.warmup_steps must be >= 0");
  LINCIR_CHECK(o.grad_clip >= 0.f, "ClipPretrainOptions.grad_clip must be >= 0");
  LINCIR_CHECK(o.min_lr_ratio >= 0.f && o.min_lr_ratio <= 1.f,
               "ClipPretrainOptions.min_lr_ratio must be in [0, 1]");
  LINCIR_CHECK(o.hard_negative_fraction >= 0.0 && o.hard_negative_fraction < 1.0,
               "ClipPretrainOptions.hard_negative_fraction must be in [0, 1)");
  LINCIR_CHECK(o.complete_caption_fraction >= 0.0 && o.complete_caption_fraction <= 1.0,
               "ClipPretrainOptions.complete_caption_fraction must be in [0, 1]");
  LINCIR_CHECK(o.init_logit_scale > 0.f && o.max_logit_scale >= o.init_logit_scale,
               "ClipPretrainOptions: need 0 < init_logit_scale <= max_logit_scale");
  LINCIR_CHECK(o.config.vocab_size == Tokenizer::kEot + 1,
               "ClipPretrainOptions.config.vocab_size must be 49408 (the CLIP tokenizer's)");
  o.world.validate();
  impl_ = std::make_unique<Impl>(o);
  impl_->opt.render.size = o.config.image_resolution;
  impl_->init();
}

ClipPretrainer::~ClipPretrainer() = default;
ClipPretrainer::ClipPretrainer(ClipPretrainer&&) noexcept = default;
ClipPretrainer& ClipPretrainer::operator=(ClipPretrainer&&) noexcept = default;

ClipPretrainProgress ClipPretrainer::train_step() { return impl_->train_step(); }

ClipPretrainProgress ClipPretrainer::fit(const std::function<bool(const ClipPretrainProgress&)>& on_step) {
  ClipPretrainProgress last;
  last.total_steps = impl_->opt.steps;
  last.step = impl_->step;
  while (impl_->step < impl_->opt.steps) {
    last = impl_->train_step();
    if (on_step && !on_step(last)) break;
  }
  return last;
}

void ClipPretrainer::save(const std::string& path, bool fp16,
                          const std::map<std::string, std::string>& metadata) const {
  const Impl& m = *impl_;
  const ClipConfig& c = m.opt.config;
  torch::NoGradGuard ng;
  // The full token table: trained rows at their ids, zero for tokens never seen.
  torch::Tensor full = torch::zeros({c.vocab_size, c.text_width});
  std::vector<int64_t> ids, rows;
  for (size_t r = 0; r < m.id_of_row.size(); ++r)
    if (m.seen[r]) {
      ids.push_back(m.id_of_row[r]);
      rows.push_back(int64_t(r));
    }
  if (!ids.empty())
    full.index_copy_(0, torch::tensor(ids, torch::kLong),
                     m.table.detach().index_select(0, torch::tensor(rows, torch::kLong)));
  std::vector<Named> all{{"token_embedding.weight", full}};
  for (const Named& n : m.named) all.push_back(n);
  std::vector<torch::Tensor> keep;
  std::vector<TensorToWrite> out;
  for (const Named& n : all) {
    keep.push_back(n.tensor.detach().to(fp16 ? torch::kHalf : torch::kFloat).contiguous());
    out.push_back({n.name, fp16 ? TensorDType::F16 : TensorDType::F32, keep.back().sizes().vec(),
                   keep.back().data_ptr()});
  }
  std::map<std::string, std::string> md = metadata;
  md["clip_config"] = c.to_json();
  md["format"] = "pt";
  md["lincir.pretrain.step"] = std::to_string(m.step);
  md["lincir.pretrain.seed"] = std::to_string(m.opt.seed);
  save_safetensors(path, out, md);
  const std::filesystem::path p(path);
  const std::string json = c.to_json();
  detail::write_file_atomic((p.parent_path() / (p.stem().string() + ".json")).string(),
                            json.data(), json.size());
}

int64_t ClipPretrainer::step() const { return impl_->step; }
const ClipPretrainOptions& ClipPretrainer::options() const { return impl_->opt; }

int64_t ClipPretrainer::tokens_seen() const {
  int64_t n = 0;
  for (char s : impl_->seen) n += s;
  return n;
}

int64_t ClipPretrainer::parameter_count(bool with_token_table) const {
  int64_t n = 0;
  for (const Named& x : impl_->named) n += x.tensor.numel();
  if (with_token_table)
    n += int64_t(impl_->opt.config.vocab_size) * impl_->opt.config.text_width;
  return n;
}

}  // namespace lincir
