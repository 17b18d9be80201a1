// `lincir demo-train`: regenerates the demo's bundled models from scratch (scripts/train_demo_models):
// the tiny CLIP (contrastive pretraining on generated scenes), then one φ per variant trained by
// the LinCIR trainer on the world's captions only, then the demo benchmark; writes the models
// (float16 when that keeps parity with float32) and models.json with the settings, timings and
// the metrics to expect.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli.hpp"
#include "core/file_io.hpp"
#include "lincir/clip_pretrain.hpp"
#include "lincir/common.hpp"
#include "lincir/demo.hpp"
#include "lincir/version.hpp"

namespace lincir::cli {
namespace {

struct TrainArgs {
  std::string out;
  int64_t clip_steps = 1500;
  int clip_batch = 256;
  uint64_t seed = 0;
  int64_t phi_steps = 1000;
  int demo_queries = 1000;
  bool skip_clip = false;  // reuse <out>/tiny_clip.safetensors
  double fp16_gate = 1.0;  // max |top-1 difference| in points for float16 files
  int64_t eval_every = 0;  // log a quick zero-shot check every N CLIP steps (0 = off)
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double loadavg() {
  std::ifstream f("/proc/loadavg");
  double l = -1;
  f >> l;
  return l;
}

nlohmann::json zero_shot_json(const ZeroShotResult& r) {
  return {{"candidates", r.candidates},
          {"top1", r.top1},
          {"top1_seen", r.top1_seen},
          {"top1_heldout", r.top1_heldout},
          {"text_to_image_top1", r.text_to_image_top1},
          {"attribute_accuracy",
           {{"background", r.attribute_accuracy[0]},
            {"shape", r.attribute_accuracy[1]},
            {"color", r.attribute_accuracy[2]},
            {"size", r.attribute_accuracy[3]},
            {"position", r.attribute_accuracy[4]}}},
          {"text_rms", r.text_rms},
          {"image_rms", r.image_rms},
          {"matched_cosine", r.matched_cosine}};
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

Registrar reg("61-demo-train", [](CLI::App& app) {
  static TrainArgs a;
  auto* cmd = app.add_subcommand("demo-train",
                                 "Regenerate the demo models: tiny CLIP pretraining, φ variants, "
                                 "expected metrics (tens of minutes on 2 cores)");
  cmd->add_option("--out", a.out, "output folder (e.g. assets/demo)")->required();
  cmd->add_option("--clip-steps", a.clip_steps, "CLIP pretraining steps")->capture_default_str();
  cmd->add_option("--clip-batch", a.clip_batch, "CLIP batch (pairs)")->capture_default_str();
  cmd->add_option("--phi-steps", a.phi_steps, "φ training steps per variant")->capture_default_str();
  cmd->add_option("--seed", a.seed, "seed of every stage")->capture_default_str();
  cmd->add_option("--demo-queries", a.demo_queries, "queries of the closing benchmark")
      ->capture_default_str();
  cmd->add_option("--eval-every", a.eval_every,
                  "log a quick zero-shot check (every 8th scene) every N CLIP steps; 0 = off")
      ->capture_default_str();
  cmd->add_flag("--skip-clip", a.skip_clip, "keep <out>/tiny_clip.safetensors, train only φ");
  cmd->add_option("--fp16-gate", a.fp16_gate,
                  "largest accepted drop (points) of float16 files vs float32")
      ->capture_default_str();
  cmd->callback([] {
    namespace fs = std::filesystem;
    const int threads = globals().threads > 0 ? globals().threads : 2;
    set_num_threads(threads);
    fs::create_directories(a.out);
    const demo::ModelFiles files{a.out};
    const fs::path work = fs::path(a.out) / ".work";
    fs::create_directories(work);
    nlohmann::json manifest;
    manifest["lincir_version"] = version_string();
    manifest["threads"] = threads;
    manifest["seed"] = a.seed;
    manifest["command"] = "lincir --threads " + std::to_string(threads) + " demo-train --out " +
                          a.out + " --seed " + std::to_string(a.seed) + " --clip-steps " +
                          std::to_string(a.clip_steps) + " --clip-batch " +
                          std::to_string(a.clip_batch) + " --phi-steps " +
                          std::to_string(a.phi_steps);
    const synth::World world = synth::World::standard();

    // ---- tiny CLIP ----
    if (!a.skip_clip) {
      ClipPretrainOptions po;
      po.steps = a.clip_steps;
      po.batch_size = a.clip_batch;
      po.seed = a.seed;
      po.world = world;
      ClipPretrainer pt(po);
      log("CLIP pretraining: " + std::to_string(pt.parameter_count(false)) +
          " parameters without the token table, " + std::to_string(po.steps) + " steps x " +
          std::to_string(po.batch_size) + " pairs, " + std::to_string(threads) + " threads");
      const double load0 = loadavg(), cpu0 = cpu_seconds();
      const auto t0 = std::chrono::steady_clock::now();
      double ema = 0;
      const ClipPretrainProgress last = pt.fit([&](const ClipPretrainProgress& p) {
        ema = p.step == 1 ? p.loss : 0.95 * ema + 0.05 * p.loss;
        if (p.step % 25 == 0 || p.step == p.total_steps)
          log("clip step " + std::to_string(p.step) + "/" + std::to_string(p.total_steps) +
              " loss " + fmt(ema) + " acc " + fmt(p.accuracy) + " scale " + fmt(p.logit_scale) +
              " " + fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) +
              " s");
        if (a.eval_every > 0 && p.step % a.eval_every == 0 && p.step < p.total_steps) {
          // Through a file, as a user would load it; the check does not touch training state.
          const std::string probe = (work / "probe.safetensors").string();
          pt.save(probe, false);
          ZeroShotOptions zo;
          zo.stride = 8;
          const ZeroShotResult z = evaluate_zero_shot(ClipModel::load(probe), world, zo);
          log("  zero-shot (every 8th scene) top-1 " + fmt(z.top1) + " held-out " +
              fmt(z.top1_heldout) + " text->image " + fmt(z.text_to_image_top1) + " shape " +
              fmt(z.attribute_accuracy[1]) + " position " + fmt(z.attribute_accuracy[4]));
        }
        return true;
      });
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::string f32 = (work / "tiny_clip_f32.safetensors").string();
      pt.save(f32, false);
      pt.save(files.clip(), true, {{"lincir.demo", "tiny CLIP of lincir demo"}});
      ZeroShotResult z32 = evaluate_zero_shot(ClipModel::load(f32), world);
      ZeroShotResult z16 = evaluate_zero_shot(ClipModel::load(files.clip()), world);
      log("zero-shot top-1 float32 " + fmt(z32.top1) + " (seen " + fmt(z32.top1_seen) +
          ", held-out " + fmt(z32.top1_heldout) + "), float16 " + fmt(z16.top1));
      bool fp16 = z32.top1 - z16.top1 <= a.fp16_gate;
      if (!fp16) {
        log("float16 CLIP misses the parity gate: bundling float32");
        pt.save(files.clip(), false);
      }
      manifest["clip"] = {
          {"file", "tiny_clip.safetensors"},
          {"dtype", fp16 ? "float16" : "float32"},
          {"config", nlohmann::json::parse(pt.options().config.to_json())},
          {"parameters_without_token_table", pt.parameter_count(false)},
          {"token_rows_trained", pt.tokens_seen()},
          {"steps", last.step},
          {"batch_size", po.batch_size},
          {"hard_negative_fraction", po.hard_negative_fraction},
          {"complete_caption_fraction", po.complete_caption_fraction},
          {"lr", po.lr},
          {"warmup_steps", po.warmup_steps},
          {"weight_decay", po.weight_decay},
          {"final_loss_ema", ema},
          {"final_logit_scale", last.logit_scale},
          {"train_wall_seconds", wall},
          {"train_cpu_seconds", cpu_seconds() - cpu0},
          {"loadavg_start", load0},
          {"loadavg_end", loadavg()},
          {"zero_shot_float32", zero_shot_json(z32)},
          {"zero_shot_bundled", zero_shot_json(fp16 ? z16 : z32)}};
      // Written now too, so that `--skip-clip` can resume from here if the φ stage is stopped.
      const std::string partial = manifest.dump(2) + "\n";
      detail::write_file_atomic(files.manifest(), partial.data(), partial.size());
    } else if (detail::file_exists(files.manifest())) {
      std::ifstream f(files.manifest());
      nlohmann::json old = nlohmann::json::parse(f, nullptr, false);
      if (!old.is_discarded() && old.contains("clip")) manifest["clip"] = old["clip"];
    }

    // ---- φ variants ----
    const ClipModel clip = ClipModel::load(files.clip());
    manifest["phi"] = nlohmann::json::array();
    for (const demo::PhiVariant& v : demo::phi_variants()) {
      demo::PhiTrainOptions to;
      to.world = world;
      to.trainer.steps = a.phi_steps;
      to.trainer.seed = a.seed;
      to.trainer.mask_mode = v.mask_mode;
      to.trainer.noise_scale = v.noise_scale;
      const double cpu0 = cpu_seconds(), load0 = loadavg();
      const auto t0 = std::chrono::steady_clock::now();
      double ema = 0;
      log("φ " + v.name + ": " + std::to_string(to.trainer.steps) + " steps x " +
          std::to_string(to.trainer.batch_size) + " captions");
      Projector phi = demo::train_projector(clip, to, [&](const TrainerProgress& p) {
        ema = p.step == 1 ? p.loss : 0.95 * ema + 0.05 * p.loss;
        if (p.step % 100 == 0)
          log("  step " + std::to_string(p.step) + " loss " + fmt(ema * 1000) + "e-3 " +
              fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + " s");
        return true;
      });
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      demo::save_projector_fp16(phi, files.phi(v.name));
      phi.save((work / ("phi_" + v.name + "_f32.safetensors")).string());
      manifest["phi"].push_back({{"variant", v.name},
                                 {"file", "phi_" + v.name + ".safetensors"},
                                 {"mask_mode", mask_mode_name(v.mask_mode)},
                                 {"noise_scale", v.noise_scale},
                                 {"steps", to.trainer.steps},
                                 {"batch_size", to.trainer.batch_size},
                                 {"lr", to.trainer.lr},
                                 {"weight_decay", to.trainer.weight_decay},
                                 {"warmup_steps", to.trainer.warmup_steps},
                                 {"final_loss_ema", ema},
                                 {"train_wall_seconds", wall},
                                 {"train_cpu_seconds", cpu_seconds() - cpu0},
                                 {"loadavg_start", load0},
                                 {"loadavg_end", loadavg()}});
    }

    // ---- float16 parity of φ, then the closing benchmark with the bundled files ----
    demo::BenchOptions bo;
    bo.cir.num_queries = a.demo_queries;
    demo::LoadedModels bundled = demo::load_models(files);
    demo::LoadedModels f32{clip, {}};
    for (const demo::PhiVariant& v : demo::phi_variants())
      f32.projectors.emplace_back(
          v, Projector::load((work / ("phi_" + v.name + "_f32.safetensors")).string()));
    const demo::BenchResult r16 = demo::run_benchmark(bundled, bo, [](const std::string& s) { log(s); });
    const demo::BenchResult r32 = demo::run_benchmark(f32, bo);
    nlohmann::json parity = nlohmann::json::object();
    for (size_t i = 0; i < r16.methods.size(); ++i) {
      if (!r16.methods[i].trained) continue;
      const double d = r32.methods[i].recall[0] - r16.methods[i].recall[0];
      parity[r16.methods[i].name] = {{"R@1_float32", r32.methods[i].recall[0]},
                                     {"R@1_float16", r16.methods[i].recall[0]}};
      if (d > a.fp16_gate) {
        log("float16 φ " + r16.methods[i].name + " misses the parity gate (" + fmt(d) +
            " points): bundling float32");
        const std::string variant = r16.methods[i].name.substr(std::string("lincir:").size());
        fs::copy_file(work / ("phi_" + variant + "_f32.safetensors"), files.phi(variant),
                      fs::copy_options::overwrite_existing);
        parity[r16.methods[i].name]["bundled"] = "float32";
      }
    }
    manifest["phi_float16_parity"] = parity;
    manifest["demo"] = nlohmann::json::parse(demo::table_json(bundled.projectors.empty() ? r32 : r16));
    const std::string text = manifest.dump(2) + "\n";
    detail::write_file_atomic(files.manifest(), text.data(), text.size());
    std::error_code ec;
    fs::remove_all(work, ec);
    std::cout << demo::table_text(r16);
  });
});

}  // namespace
}  // namespace lincir::cli
