// `lincir similarity`: encode images and texts with a CLIP model and print their cosine
// similarity table (rows: images, columns: texts). Defaults to the bundled fixture model.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "cli.hpp"
#include "lincir/clip.hpp"

namespace lincir::cli {
namespace {

struct SimilarityArgs {
  std::string model, config;
  std::vector<std::string> images;
  std::vector<std::string> texts = {"a photo of a cat", "a red gradient", "black and white stripes",
                                    "a gray photo"};
  std::string format = "table";
};

Registrar reg("40-similarity", [](CLI::App& app) {
  static SimilarityArgs a;
  auto* cmd = app.add_subcommand("similarity", "Cosine similarity table of images x texts")
                  ->footer("Example:\n  lincir similarity --model ViT-B-32.safetensors --image cat.jpg "
                           "--text \"a cat\" --text \"a dog\"\nWithout --model: the bundled "
                           "fixture CLIP (random weights) and its images.");
  cmd->add_option("--model", a.model, "CLIP weights (default: <assets>/fixture-clip/clip.safetensors)");
  cmd->add_option("--config", a.config, "CLIP config JSON (default: beside the weights)");
  cmd->add_option("--image", a.images, "image file (repeatable; default: the bundled images)");
  cmd->add_option("--text", a.texts, "text (repeatable)")->capture_default_str();
  cmd->add_option("--format", a.format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([] {
    set_num_threads(globals().threads);
    ClipLoadOptions o;
    o.device = Device::parse(globals().device);
    std::string model = a.model;
    if (model.empty()) model = assets_dir() + "/fixture-clip/clip.safetensors";
    if (!a.config.empty()) o.config_path = a.config;
    std::vector<std::string> paths = a.images;
    if (paths.empty()) {
      for (const auto& e : std::filesystem::directory_iterator(assets_dir() + "/fixture-clip/images"))
        paths.push_back(e.path().string());
      std::sort(paths.begin(), paths.end());
    }
    LINCIR_CHECK(!a.texts.empty(), "no --text given");
    log("loading " + model);
    ClipModel clip = ClipModel::load(model, o);
    std::vector<Image> imgs;
    for (const auto& p : paths) imgs.push_back(Image::load(p));
    const Embeddings ie = normalize(clip.encode_images(imgs));
    const Embeddings te = normalize(clip.encode_text(a.texts));
    const Embeddings sim = ie * te.transpose();
    if (a.format == "json") {
      nlohmann::json j = {{"model", model}, {"images", paths}, {"texts", a.texts}};
      for (Eigen::Index i = 0; i < sim.rows(); ++i) {
        std::vector<float> row(sim.row(i).data(), sim.row(i).data() + sim.cols());
        j["similarity"].push_back(row);
      }
      print_json(j);
      return;
    }
    std::cout << std::left << std::setw(28) << "image \\ text";
    for (size_t t = 0; t < a.texts.size(); ++t) std::cout << std::right << std::setw(10) << ("T" + std::to_string(t + 1));
    std::cout << '\n';
    for (Eigen::Index i = 0; i < sim.rows(); ++i) {
      std::cout << std::left << std::setw(28) << std::filesystem::path(paths[size_t(i)]).filename().string();
      for (Eigen::Index t = 0; t < sim.cols(); ++t)
        std::cout << std::right << std::setw(10) << std::fixed << std::setprecision(4) << sim(i, t);
      std::cout << '\n';
    }
    for (size_t t = 0; t < a.texts.size(); ++t) std::cout << "T" << t + 1 << " = " << a.texts[t] << '\n';
  });
});

}  // namespace
}  // namespace lincir::cli
