// `lincir search` and `lincir compose`: reference image + modification text -> composed query;
// `search` ranks a gallery file by it, `compose` writes the query embeddings.
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "lincir/eval_runner.hpp"
#include "model_args.hpp"

namespace lincir::cli {
namespace {

struct QueryArgs {
  ModelArgs model;
  PhiArgs phi;
  std::vector<std::string> images, texts;
  std::string tmpl = PromptTemplate{}.pattern, method = "lincir", preprocess = "auto";
  // search
  std::string gallery, backend = "exact", format = "table";
  int k = 10;
  // compose
  std::string output;
};

// Loads what the method needs and composes one query per image.
Embeddings compose(const QueryArgs& a, const ClipModel& clip) {
  LINCIR_CHECK(!a.images.empty(), "give at least one --image");
  LINCIR_CHECK(a.texts.size() == a.images.size() || a.texts.size() == 1,
               std::to_string(a.texts.size()) + " --text for " + std::to_string(a.images.size()) +
                   " --image: give one text per image, or one for all");
  const EvalMethod method = parse_eval_method(a.method);
  LINCIR_CHECK(method != EvalMethod::lincir || !a.phi.phi.empty(), "the lincir method needs --phi");
  std::optional<Projector> phi;
  if (method == EvalMethod::lincir) phi.emplace(a.phi.load());
  const PreprocessMode mode = resolve_preprocess(a.preprocess, phi ? &*phi : nullptr);
  std::unique_ptr<Composer> composer;
  if (phi) {
    ComposerOptions co;
    co.preprocess = mode;
    co.batch_size = a.model.batch_size;
    composer = std::make_unique<Composer>(clip, std::move(*phi), co);
  }
  std::vector<Image> imgs;
  for (const auto& p : a.images) imgs.push_back(Image::load(p));
  const Embeddings refs = clip.encode_images(imgs, mode);
  std::vector<std::vector<std::string>> texts;
  for (size_t i = 0; i < a.images.size(); ++i) texts.push_back({a.texts.size() == 1 ? a.texts[0] : a.texts[i]});
  return compose_queries(clip, composer.get(), method, refs, texts, PromptTemplate{a.tmpl}, a.model.batch_size);
}

void run_search(const QueryArgs& a) {
  LINCIR_CHECK(a.k > 0, "--k must be positive");
  const ClipModel clip = a.model.load();
  GalleryLoadOptions lo;
  lo.index.backend = parse_gallery_backend(a.backend);
  const Gallery g = Gallery::load(a.gallery, lo);
  LINCIR_CHECK(g.dim() == clip.config().embed_dim,
               "gallery '" + a.gallery + "' has dimension " + std::to_string(g.dim()) + ", the model " +
                   std::to_string(clip.config().embed_dim) + ": built with another model?");
  const Embeddings q = compose(a, clip);
  const SearchResult r = g.search(q, a.k);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (int64_t i = 0; i < q.rows(); ++i) {
    nlohmann::ordered_json res = nlohmann::ordered_json::array();
    for (int64_t j = 0; j < r.ids.cols(); ++j) {
      const int64_t id = r.ids(i, j);
      if (id < 0) break;
      res.push_back({{"rank", j + 1}, {"id", id}, {"name", g.name_of(id)}, {"score", r.scores(i, j)}});
    }
    out.push_back({{"query", i},
                   {"image", a.images[size_t(i)]},
                   {"text", a.texts.size() == 1 ? a.texts[0] : a.texts[size_t(i)]},
                   {"results", res}});
  }
  if (a.format == "json") {
    std::cout << out.dump(2) << std::endl;
    return;
  }
  std::cout << "query\trank\tscore\tid\tname\n";
  for (const auto& qo : out)
    for (const auto& e : qo["results"])
      std::cout << qo["query"].get<int64_t>() << '\t' << e["rank"].get<int64_t>() << '\t' << std::fixed
                << std::setprecision(4) << e["score"].get<double>() << '\t' << e["id"].get<int64_t>() << '\t'
                << e["name"].get<std::string>() << '\n';
}

void run_compose(const QueryArgs& a) {
  const ClipModel clip = a.model.load();
  const Embeddings q = compose(a, clip);
  std::vector<std::string> labels;
  for (size_t i = 0; i < a.images.size(); ++i)
    labels.push_back(a.images[i] + " | " + (a.texts.size() == 1 ? a.texts[0] : a.texts[i]));
  write_embeddings(q, labels, a.output, "composed");
}

void add_query_options(CLI::App* cmd, QueryArgs& a) {
  a.model.add(cmd);
  a.phi.add(cmd, false);
  cmd->add_option("--image", a.images, "reference image (repeatable)")->required();
  cmd->add_option("--text", a.texts, "modification text (repeatable: one per image, or one for all)")->required();
  cmd->add_option("--template", a.tmpl,
                  "prompt for the lincir method; $ = the image, {} = the text; '' = use the text verbatim")
      ->capture_default_str();
  cmd->add_option("--method", a.method, "lincir, image-only, text-only or sum")
      ->check(CLI::IsMember({"lincir", "image-only", "text-only", "sum"}))
      ->capture_default_str();
  cmd->add_option("--preprocess", a.preprocess, "auto (hf for LinCIR φ, openai for SEARLE/Pic2Word), hf or openai")
      ->check(CLI::IsMember({"auto", "hf", "openai"}))
      ->capture_default_str();
}

Registrar reg_search("30-search", [](CLI::App& app) {
  static QueryArgs a;
  auto* cmd = app.add_subcommand("search", "Composed image retrieval: image + text -> top-k of a gallery");
  cmd->footer(
      "Examples:\n"
      "  lincir search --model ViT-L-14.safetensors --phi lincir_large.pt --gallery photos.gallery \\\n"
      "      --image dress.jpg --text 'is red with long sleeves' --k 5\n"
      "  lincir search ... --image a.jpg --image b.jpg --text 'at night' --format json\n"
      "  lincir search ... --method image-only   (baselines need no --phi)\n"
      "Table columns: query, rank, score (cosine), id, name.");
  add_query_options(cmd, a);
  cmd->add_option("--gallery", a.gallery, "gallery file from `lincir index build`")->required();
  cmd->add_option("-k,--k", a.k, "results per query")->capture_default_str();
  cmd->add_option("--backend", a.backend, "exact, faiss_flat, faiss_ivf or faiss_hnsw")->capture_default_str();
  cmd->add_option("--format", a.format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([] { run_search(a); });
});

Registrar reg_compose("31-compose", [](CLI::App& app) {
  static QueryArgs a;
  auto* cmd = app.add_subcommand("compose", "Composed query embeddings (image + text) as .npy or JSON");
  cmd->footer(
      "Examples:\n"
      "  lincir compose --model ViT-L-14.safetensors --phi lincir_large.pt --image dress.jpg \\\n"
      "      --text 'is red' -o query.npy\n"
      "Rows are unit-norm query features, to compare by dot product with normalised image embeddings.");
  add_query_options(cmd, a);
  cmd->add_option("-o,--output", a.output, "output file: .npy or .json (default: JSON on stdout)");
  cmd->callback([] { run_compose(a); });
});

}  // namespace
}  // namespace lincir::cli
