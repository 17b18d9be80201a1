// The workloads of `lincir bench` (docs/performance.md): lincir's side of the comparison with the
// PyTorch reference pipeline (bench/torch_reference.py, driven by bench/run).
//
//   query   composed query: φ + pseudo token + text tower + L2 normalise, one ~16-word prompt
//   image   one image through the vision tower (preprocessing excluded)
//   train   one LinCIR training step, batch `batch` captions of `words` words
//   search  exact top-10 over `gallery` x D float32: one query (vs the memory-bandwidth floor
//           measured here), 64 queries (vs faiss IndexFlatIP where built with faiss), and the
//           float16 gallery's time and recall@10
//   rss     peak resident memory of loading CLIP + φ for inference (measured by the caller in a
//           child process each, see rss_child)
// query and image run once per precision ("full" = float32 reference, "int8" = int8 linear
// layers) and report each precision's cosine with the float32 output (when "full" runs too). Timings are the median and
// min milliseconds of `reps` calls after two untimed ones, like the baseline's.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "lincir/clip.hpp"

namespace lincir::cli::bench {

struct Options {
  int threads = 1;  // threads of every workload (the caller sets LibTorch's)
  std::set<std::string> only = {"query", "image", "train", "search", "rss"};
  int reps = 10;
  int batch = 32;
  int64_t gallery = 1000000;
  int words = 16;
  std::vector<std::string> precisions = {"full", "int8"};  // "full" first when present
  // A preset name (random weights of that shape, written once to `dir`) or a weights file/folder.
  std::string model = "ViT-L-14";
  std::string config;  // config JSON for a weights file without one
  std::string phi;     // φ file; empty = random φ of the model's sizes (written to `dir`)
  std::string dir;     // folder for the random weights
};

// What the workloads load: the weights, their config and φ (files), and the model's config.
struct Model {
  std::string weights, config_path, phi;
  ClipConfig config;
  bool random = false;  // random weights of a preset
};

// Resolves `o.model`: writes random preset weights and/or a random φ to `o.dir` when they are not
// there yet (reused across runs: ViT-L/14 is 1.7 GB). Throws Error for an unknown preset or an
// unreadable model.
Model prepare(const Options& o);

nlohmann::json bench_query(const Options& o, const Model& m);
nlohmann::json bench_image(const Options& o, const Model& m);
nlohmann::json bench_train(const Options& o, const Model& m);
nlohmann::json bench_search(const Options& o, const Model& m);

// In the child process of the rss workload: load for inference at `precision`, run one query and
// one image (every weight touched), report the peak RSS against the weight bytes. Uses only the
// file paths of `m` (not prepare(): its checks would read the weights and raise the peak).
nlohmann::json rss_child(const Options& o, const Model& m, const std::string& precision);

ClipLoadOptions load_options(const Model& m, const std::string& precision);

}  // namespace lincir::cli::bench
