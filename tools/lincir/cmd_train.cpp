// `lincir train`: learn φ from captions (LinCIR), with checkpoints, resume, JSONL metrics and
// data-parallel ranks.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>

#include "cli.hpp"
#include "core/file_io.hpp"
#include "lincir/captions.hpp"
#include "lincir/trainer.hpp"
#include "model_args.hpp"

namespace lincir::cli {
namespace {

struct TrainArgs {
  ModelArgs model;
  std::string captions, output, field = "caption", spans_field = "spans", checkpoint, log_jsonl, init,
                        mask_mode = "keywords", precision = "fp32", lr_scheduler = "const", val_captions,
                        best_output, master_addr = "127.0.0.1";
  int64_t steps = -1, warmup = 0, checkpoint_every = 0, log_every = 50, val_every = 0;
  double epochs = 0;
  float lr = 1e-4f, wd = 0.01f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, grad_clip_norm = 0.f,
        noise_scale = 1.f, mix_ratio = 0.5f, dropout = -1.f, min_lr_ratio = 0.f;
  uint64_t seed = 0;
  size_t shuffle_buffer = 10000;
  int val_size = 256, rank = 0, world_size = 1, master_port = 29500;
  bool resume = false;
};

std::atomic<bool> g_stop{false};
void on_sigint(int) { g_stop = true; }

// Captions in one pass over the corpus (for --epochs).
int64_t count_captions(const std::string& path, const CaptionStreamOptions& base) {
  CaptionStreamOptions o = base;
  o.loop = false;
  o.shuffle_buffer = 0;
  CaptionStream s(path, o);
  CaptionRecord r;
  int64_t n = 0;
  while (s.next(r)) ++n;
  return n;
}

std::vector<CaptionRecord> read_validation(const std::string& path, const CaptionStreamOptions& base, int n) {
  CaptionStreamOptions o = base;
  o.loop = false;
  o.shuffle_buffer = 0;
  CaptionStream s(path, o);
  std::vector<CaptionRecord> out;
  CaptionRecord r;
  while (int(out.size()) < n && s.next(r)) out.push_back(r);
  return out;
}

void run(const TrainArgs& a) {
  LINCIR_CHECK((a.steps > 0) != (a.epochs > 0), "give the training length as --steps N or --epochs X");
  const ClipModel clip = a.model.load();
  TrainerOptions o;
  o.batch_size = a.model.batch_size;
  o.lr = a.lr;
  o.weight_decay = a.wd;
  o.beta1 = a.beta1;
  o.beta2 = a.beta2;
  o.eps = a.eps;
  o.warmup_steps = a.warmup;
  o.cosine = a.lr_scheduler == "cosine";
  o.min_lr_ratio = a.min_lr_ratio;
  o.grad_clip = a.grad_clip_norm;
  o.noise_scale = a.noise_scale;
  o.mask_mode = parse_mask_mode(a.mask_mode);
  o.mix_ratio = a.mix_ratio;
  o.seed = a.seed;
  o.bf16 = a.precision == "bf16";
  o.dropout = a.dropout;
  o.checkpoint_path = a.checkpoint;
  o.checkpoint_every = a.checkpoint_every;
  o.resume = a.resume;
  o.data.field = a.field;
  o.data.spans_field = a.spans_field;
  o.data.shuffle_buffer = a.shuffle_buffer;
  o.distributed.rank = a.rank;
  o.distributed.world_size = a.world_size;
  o.distributed.master_addr = a.master_addr;
  o.distributed.master_port = a.master_port;
  LINCIR_CHECK(!a.resume || !a.checkpoint.empty(), "--resume needs --checkpoint PATH");
  LINCIR_CHECK(a.resume || a.checkpoint.empty() || !detail::file_exists(a.checkpoint),
               "checkpoint '" + a.checkpoint + "' exists: pass --resume to continue from it, or delete it");
  if (a.epochs > 0) {
    const int64_t n = count_captions(a.captions, o.data);
    const double per_step = double(o.batch_size) * a.world_size;
    o.steps = std::max<int64_t>(1, int64_t(std::ceil(a.epochs * double(n) / per_step)));
    log(std::to_string(n) + " captions, " + std::to_string(a.epochs) + " epochs: " +
        std::to_string(o.steps) + " steps");
  } else {
    o.steps = a.steps;
  }
  std::optional<Projector> init;
  if (!a.init.empty()) init.emplace(Projector::load(a.init));

  TrainerCallbacks cb;
  std::vector<CaptionRecord> val;
  if (!a.val_captions.empty()) {
    LINCIR_CHECK(a.val_every > 0, "--val-captions needs --val-every N");
    val = read_validation(a.val_captions, o.data, a.val_size);
    LINCIR_CHECK(!val.empty(), "no validation caption in '" + a.val_captions + "'");
    o.validate_every = a.val_every;
    o.best_path = a.best_output;
    // Score = minus the loss of φ on the held-out captions (no noise, no dropout), computed by a
    // single-process trainer that starts from the current φ.
    cb.validate = [&](const Projector& phi) {
      TrainerOptions vo = o;
      vo.distributed = {};
      vo.checkpoint_path.clear();
      Trainer ev(clip, vo, &phi);
      return -double(ev.evaluate(val));
    };
  }
  Trainer trainer(clip, o, init ? &*init : nullptr);

  std::unique_ptr<std::ofstream> jsonl;
  if (!a.log_jsonl.empty() && a.rank == 0) {
    jsonl = std::make_unique<std::ofstream>(a.log_jsonl, std::ios::app);
    LINCIR_CHECK_STATUS(jsonl->good(), Status::io, "cannot open '" + a.log_jsonl + "' for writing");
  }
  const bool tty = stderr_is_tty();
  Progress bar("training", o.steps);
  cb.on_step = [&](const TrainerProgress& p) {
    if (jsonl) {
      nlohmann::ordered_json j = {{"step", p.step}, {"loss", p.loss}, {"lr", p.lr},
                                  {"captions_per_second", p.captions_per_second}};
      if (!std::isnan(p.validation)) j["validation"] = p.validation;
      *jsonl << j.dump() << '\n' << std::flush;
    }
    if (tty) {
      bar.update(p.step);
    } else if (a.log_every > 0 && (p.step % a.log_every == 0 || p.step == p.total_steps)) {
      std::ostringstream s;
      s << "step " << p.step << "/" << p.total_steps << " loss " << std::setprecision(5) << p.loss << " lr "
        << std::scientific << std::setprecision(2) << p.lr << std::defaultfloat << " "
        << int64_t(p.captions_per_second) << " captions/s";
      log(s.str());
    }
    return !g_stop.load();
  };
  auto* old = std::signal(SIGINT, on_sigint);
  const FitResult r = trainer.fit(a.captions, cb);
  std::signal(SIGINT, old);
  bar.finish();
  if (r.resumed) log("resumed from " + a.checkpoint);
  if (r.cancelled) {
    LINCIR_THROW(Status::cancelled, "training interrupted at step " + std::to_string(trainer.step()) +
                                        (a.checkpoint.empty() ? std::string(" (no --checkpoint: progress lost)")
                                                              : "; continue with --resume"));
  }
  if (a.rank == 0) {
    trainer.projector().save(a.output, trainer.step());
    log("wrote φ to " + a.output + " (step " + std::to_string(trainer.step()) + ", last loss " +
        std::to_string(r.last_loss) + ")");
  }
}

Registrar reg("40-train", [](CLI::App& app) {
  static TrainArgs a;
  auto* cmd = app.add_subcommand("train", "Train the projector φ from captions alone (LinCIR)");
  cmd->footer(
      "Examples:\n"
      "  lincir train --model ViT-L-14.safetensors --captions cc3m.jsonl --field caption \\\n"
      "      --steps 100000 --batch-size 256 --lr 1e-4 --warmup 1000 --lr-scheduler cosine \\\n"
      "      --precision bf16 --checkpoint run/ckpt.safetensors --checkpoint-every 1000 \\\n"
      "      --log-jsonl run/metrics.jsonl -o run/phi.safetensors\n"
      "  (after a kill: the same command with --resume)\n"
      "  two machines: add --world-size 2 --rank 0|1 --master-addr HOST --master-port 29500\n"
      "Captions: .txt (one per line), .jsonl (--field, optional --spans-field), .csv/.tsv (column\n"
      "--field), gzip or folders of them. --log-jsonl appends one line per step:\n"
      "{\"step\", \"loss\", \"lr\", \"captions_per_second\"[, \"validation\"]}. Ctrl-C stops after the current\n"
      "step and writes the checkpoint.");
  a.model.batch_size = 64;
  a.model.add(cmd, /*inference_precision=*/false);
  cmd->get_option("--batch-size")->description("captions per step and process");
  cmd->add_option("--captions", a.captions, "caption file or folder")->required();
  cmd->add_option("-o,--output", a.output, "φ file to write (.safetensors)")->required();
  cmd->add_option("--field", a.field, "jsonl key / csv column of the caption")->capture_default_str();
  cmd->add_option("--spans-field", a.spans_field, "jsonl key of precomputed keyword spans")->capture_default_str();
  cmd->add_option("--steps", a.steps, "optimisation steps");
  cmd->add_option("--epochs", a.epochs, "passes over the corpus (converted to steps)");
  cmd->add_option("--lr", a.lr, "peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--wd", a.wd, "weight decay")->capture_default_str();
  cmd->add_option("--beta1", a.beta1, "AdamW beta1")->capture_default_str();
  cmd->add_option("--beta2", a.beta2, "AdamW beta2")->capture_default_str();
  cmd->add_option("--eps", a.eps, "AdamW epsilon")->capture_default_str();
  cmd->add_option("--warmup", a.warmup, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--lr-scheduler", a.lr_scheduler, "const or cosine (decay after warm-up)")
      ->check(CLI::IsMember({"const", "cosine"}))
      ->capture_default_str();
  cmd->add_option("--min-lr-ratio", a.min_lr_ratio, "cosine floor as a fraction of --lr")->capture_default_str();
  cmd->add_option("--grad-clip-norm", a.grad_clip_norm, "max global gradient norm (0 = off)")->capture_default_str();
  cmd->add_option("--precision", a.precision, "fp32 or bf16 (autocast of the towers)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "seed of φ's initialisation, noise, masks and shuffling")->capture_default_str();
  cmd->add_option("--mask-mode", a.mask_mode, "keywords (LinCIR), caption ('a photo of $') or mix")
      ->check(CLI::IsMember({"keywords", "caption", "mix"}))
      ->capture_default_str();
  cmd->add_option("--mix-ratio", a.mix_ratio, "mix: probability of the whole-caption mask")->capture_default_str();
  cmd->add_option("--noise-scale", a.noise_scale, "scale of the u*eps text-feature noise (0 = off)")->capture_default_str();
  cmd->add_option("--dropout", a.dropout, "φ dropout (default 0.5)");
  cmd->add_option("--shuffle-buffer", a.shuffle_buffer, "captions in the shuffle buffer (0 = file order)")->capture_default_str();
  cmd->add_option("--init", a.init, "start from this φ instead of a random one");
  cmd->add_option("--checkpoint", a.checkpoint, "checkpoint file (φ + AdamW state + data position)");
  cmd->add_option("--checkpoint-every", a.checkpoint_every, "steps between checkpoints (0 = at the end)")->capture_default_str();
  cmd->add_flag("--resume", a.resume, "continue from --checkpoint when it exists");
  cmd->add_option("--log-jsonl", a.log_jsonl, "append per-step metrics to this JSONL file");
  cmd->add_option("--log-every", a.log_every, "steps between log lines when stderr is not a terminal")->capture_default_str();
  cmd->add_option("--val-captions", a.val_captions, "held-out captions: φ's loss on them is the validation score");
  cmd->add_option("--val-size", a.val_size, "validation captions used")->capture_default_str();
  cmd->add_option("--val-every", a.val_every, "steps between validations");
  cmd->add_option("--best-output", a.best_output, "write the best-validating φ here");
  cmd->add_option("--rank", a.rank, "this process's rank (data parallel)")->capture_default_str();
  cmd->add_option("--world-size", a.world_size, "number of processes (data parallel)")->capture_default_str();
  cmd->add_option("--master-addr", a.master_addr, "rank 0's address")->capture_default_str();
  cmd->add_option("--master-port", a.master_port, "rank 0's TCP port")->capture_default_str();
  cmd->callback([] { run(a); });
});

}  // namespace
}  // namespace lincir::cli
