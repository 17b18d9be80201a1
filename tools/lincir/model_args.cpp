#include "model_args.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/file_io.hpp"
#include "lincir/eval_runner.hpp"
#include "npy.hpp"

namespace lincir::cli {

namespace fs = std::filesystem;

void ModelArgs::add(CLI::App* cmd, bool inference_precision) {
  cmd->add_option("--model", model, "CLIP weights: .safetensors, HF/OpenCLIP folder or OpenAI .pt")
      ->required();
  cmd->add_option("--config", config, "model config JSON (when the weights carry none)");
  if (inference_precision)
    cmd->add_option("--precision", precision, "tower precision: fp32, bf16 or fp16 (CUDA)")
        ->check(CLI::IsMember({"fp32", "bf16", "fp16"}))
        ->capture_default_str();
  cmd->add_option("--batch-size", batch_size, "images or texts per forward pass")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

ClipModel ModelArgs::load() const {
  if (globals().threads > 0) set_num_threads(globals().threads);
  ClipLoadOptions o;
  o.device = Device::parse(globals().device);
  o.dtype = precision == "bf16" ? DType::bfloat16 : precision == "fp16" ? DType::float16 : DType::float32;
  o.config_path = config;
  o.batch_size = batch_size;
  log("loading CLIP from " + model);
  return ClipModel::load(model, o);
}

const std::string& ModelArgs::model_checksum() const {
  if (model_sha_.empty()) model_sha_ = path_checksum(model);
  return model_sha_;
}

const std::string& ModelArgs::config_checksum() const {
  if (config_sha_.empty() && !config.empty()) config_sha_ = path_checksum(config);
  return config_sha_;
}

std::string ModelArgs::fingerprint() const {
  std::string fp = "model=" + model_checksum();
  if (!config.empty()) fp += ";config=" + config_checksum();
  return fp + ";precision=" + precision;
}

void PhiArgs::add(CLI::App* cmd, bool required) {
  auto* o = cmd->add_option("--phi", phi, "projector φ: lincir .safetensors or a published .pt "
                                          "(lincir_large.pt, SEARLE, Pic2Word)");
  if (required) o->required();
  cmd->add_option("--phi-kind", kind, "lincir, searle or pic2word (default: from the file)")
      ->check(CLI::IsMember({"lincir", "searle", "pic2word"}));
}

Projector PhiArgs::load() const {
  ProjectorLoadOptions o;
  if (!kind.empty()) o.kind = parse_projector_kind(kind);
  log("loading φ from " + phi);
  return Projector::load(phi, o);
}

PreprocessMode resolve_preprocess(const std::string& flag, const Projector* phi) {
  if (flag == "hf") return PreprocessMode::hf;
  if (flag == "openai") return PreprocessMode::openai;
  LINCIR_CHECK(flag == "auto", "invalid --preprocess '" + flag + "' (hf, openai or auto)");
  return !phi || phi->kind() == ProjectorKind::lincir ? PreprocessMode::hf : PreprocessMode::openai;
}

std::string path_checksum(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return sha256_file(path);
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path().lexically_relative(path).generic_string());
  LINCIR_CHECK_STATUS(!ec, Status::io, "cannot list '" + path + "': " + ec.message());
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) all += f + " " + sha256_file((fs::path(path) / f).string()) + "\n";
  return sha256_hex(all.data(), all.size());
}

void write_embeddings(const Embeddings& m, const std::vector<std::string>& inputs,
                      const std::string& output, const std::string& kind) {
  auto ext = fs::path(output).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (!output.empty() && ext == ".npy") {
    write_npy(output, m);
    log("wrote " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) + " float32 to " + output);
    return;
  }
  LINCIR_CHECK(output.empty() || ext == ".json",
               "unknown output format for '" + output + "': use a .npy or .json file name");
  nlohmann::ordered_json j;
  j["kind"] = kind;
  j["count"] = m.rows();
  j["dim"] = m.cols();
  j["inputs"] = inputs;
  auto rows = nlohmann::ordered_json::array();
  for (int64_t i = 0; i < m.rows(); ++i)
    rows.push_back(std::vector<float>(m.row(i).data(), m.row(i).data() + m.cols()));
  j["embeddings"] = std::move(rows);
  if (output.empty()) {
    std::cout << j.dump() << std::endl;
  } else {
    const std::string s = j.dump() + "\n";
    detail::write_file_atomic(output, s.data(), s.size());
    log("wrote " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) + " to " + output);
  }
}

void collect_images(const std::string& dir, const std::string& list,
                    const std::vector<std::string>& explicit_paths, std::vector<std::string>& paths,
                    std::vector<std::string>& names) {
  const int sources = !dir.empty() + !list.empty() + !explicit_paths.empty();
  LINCIR_CHECK(sources == 1, "give the images one way: --image-dir, --image-list or paths");
  paths.clear();
  names.clear();
  if (!dir.empty()) {
    names = list_image_files(dir);
    for (const auto& n : names) paths.push_back((fs::path(dir) / n).string());
  } else if (!list.empty()) {
    names = read_path_list(list);
    const fs::path base = fs::path(list).parent_path();
    for (const auto& n : names) paths.push_back(fs::path(n).is_absolute() ? n : (base / n).string());
  } else {
    names = explicit_paths;
    paths = explicit_paths;
  }
}

bool stderr_is_tty() { return ::isatty(2) && !globals().quiet; }

}  // namespace lincir::cli
