// `lincir encode`: images or texts -> CLIP embeddings as .npy or JSON.
#include <fstream>

#include "cli.hpp"
#include "lincir/eval_runner.hpp"
#include "model_args.hpp"

namespace lincir::cli {
namespace {

struct EncodeArgs {
  ModelArgs model;
  std::string image_dir, image_list, text_file, output, preprocess = "hf";
  std::vector<std::string> images, texts;
  bool normalize = false;
};

std::vector<std::string> read_text_lines(const std::string& path) {
  std::ifstream in(path);
  LINCIR_CHECK_STATUS(in.good(), Status::io, "cannot open text file '" + path + "'");
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (!l.empty()) out.push_back(l);
  }
  LINCIR_CHECK(!out.empty(), "text file '" + path + "' has no non-empty line");
  return out;
}

void run(const EncodeArgs& a) {
  const bool want_images = !a.image_dir.empty() || !a.image_list.empty() || !a.images.empty();
  const bool want_texts = !a.texts.empty() || !a.text_file.empty();
  LINCIR_CHECK(want_images != want_texts, "encode either images (--image-dir, --image-list, --images) "
                                          "or texts (--text, --text-file), not both or neither");
  const ClipModel clip = a.model.load();
  Embeddings out;
  std::vector<std::string> inputs;
  if (want_texts) {
    inputs = a.texts;
    if (!a.text_file.empty())
      for (auto& t : read_text_lines(a.text_file)) inputs.push_back(std::move(t));
    out = clip.encode_text(inputs);
  } else {
    std::vector<std::string> paths;
    collect_images(a.image_dir, a.image_list, a.images, paths, inputs);
    std::vector<int64_t> ids(paths.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int64_t(i);
    GalleryBuildOptions o;
    o.gallery.metric = GalleryMetric::inner_product;
    o.preprocess = resolve_preprocess(a.preprocess, nullptr);
    o.batch_size = a.model.batch_size;
    Progress bar("encoding", int64_t(paths.size()));
    o.on_progress = [&](int64_t d, int64_t) {
      bar.update(d);
      return true;
    };
    const Gallery g = build_gallery(clip, paths, ids, {}, "", o);
    bar.finish();
    out = g.vectors(ids);
  }
  if (a.normalize) out = lincir::normalize(out);
  write_embeddings(out, inputs, a.output, want_texts ? "text" : "image");
}

Registrar reg("10-encode", [](CLI::App& app) {
  static EncodeArgs a;
  auto* cmd = app.add_subcommand("encode", "Encode images or texts into CLIP embeddings (.npy or JSON)");
  cmd->footer(
      "Examples:\n"
      "  lincir encode --model ViT-L-14.safetensors --image-dir photos/ -o photos.npy\n"
      "  lincir encode --model clip.safetensors --config clip.json --text 'a red car' --text 'a dog'\n"
      "  lincir encode --model clip.safetensors --text-file captions.txt --normalize -o text.json\n"
      "Rows follow the input order (folders: sorted relative paths). Without -o the result is JSON\n"
      "on stdout: {\"kind\", \"count\", \"dim\", \"inputs\", \"embeddings\"}.");
  a.model.add(cmd);
  cmd->add_option("--image-dir", a.image_dir, "encode every image below this folder (recursive, sorted)");
  cmd->add_option("--image-list", a.image_list, "text file with one image path per line (relative to it)");
  cmd->add_option("--images", a.images, "image files");
  cmd->add_option("--text", a.texts, "text to encode (repeatable)");
  cmd->add_option("--text-file", a.text_file, "text file, one text per non-empty line");
  cmd->add_option("--preprocess", a.preprocess, "image preprocessing: hf (LinCIR eval) or openai (clip._transform)")
      ->check(CLI::IsMember({"hf", "openai"}))
      ->capture_default_str();
  cmd->add_flag("--normalize", a.normalize, "L2-normalise every row");
  cmd->add_option("-o,--output", a.output, "output file: .npy (float32 [N, D]) or .json");
  cmd->callback([] { run(a); });
});

}  // namespace
}  // namespace lincir::cli
