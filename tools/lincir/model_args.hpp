// Options and helpers shared by the subcommands that load models or write embeddings
// (encode, index, search, compose, train, eval).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/projector.hpp"

namespace lincir::cli {

// --model, --config, --precision, --batch-size.
struct ModelArgs {
  std::string model;
  std::string config;
  std::string precision = "fp32";
  int batch_size = 32;

  // `inference_precision`: whether --precision selects the towers' dtype (encode, eval, ...);
  // `train` defines its own --precision.
  void add(CLI::App* cmd, bool inference_precision = true);
  // Applies --threads/--device and loads the model (Error from ClipModel::load on failure).
  ClipModel load() const;
  // Identity of the weights + config + dtype (SHA-256 of the files), for caches and reports.
  std::string fingerprint() const;
  // SHA-256 of the weights (of every file for a folder) and of the config ("" without one),
  // computed once.
  const std::string& model_checksum() const;
  const std::string& config_checksum() const;

 private:
  mutable std::string model_sha_, config_sha_;
};

// --phi, --phi-kind.
struct PhiArgs {
  std::string phi;
  std::string kind;  // "" = from the file
  void add(CLI::App* cmd, bool required);
  Projector load() const;
};

// "hf" / "openai" / "auto" (auto: hf for a LinCIR φ or none, as LinCIR's evaluation; openai for
// SEARLE and Pic2Word).
PreprocessMode resolve_preprocess(const std::string& flag, const Projector* phi);

// SHA-256 of a file, or of every file below a folder (a HuggingFace checkpoint directory).
std::string path_checksum(const std::string& path);

// Writes N x D embeddings by the output's extension (.npy or .json); without an output, JSON on
// stdout. `inputs` label the rows in JSON.
void write_embeddings(const Embeddings& m, const std::vector<std::string>& inputs,
                      const std::string& output, const std::string& kind);

// Reads the images of a folder (--image-dir), a list file (--image-list) or explicit paths.
// Fills the paths to read and the names to record (relative paths / as written).
void collect_images(const std::string& dir, const std::string& list,
                    const std::vector<std::string>& explicit_paths, std::vector<std::string>& paths,
                    std::vector<std::string>& names);

// True when stderr is a terminal and logs are on (progress bars instead of log lines).
bool stderr_is_tty();

}  // namespace lincir::cli
