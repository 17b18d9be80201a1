// `lincir eval`: composed image retrieval metrics on a generic triplet file or on FashionIQ,
// CIRR, CIRCO and GeneCIS; a JSON report with metrics, configuration, checksums and timings; the
// server files of the hidden test splits. The work is lincir::run_benchmark
// (lincir/eval_runner.hpp); this file only maps flags to it.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "core/file_io.hpp"
#include "lincir/eval_runner.hpp"
#include "lincir/version.hpp"
#include "model_args.hpp"

namespace lincir::cli {
namespace {

namespace fs = std::filesystem;
using OJson = nlohmann::ordered_json;

struct EvalArgs {
  ModelArgs model;
  PhiArgs phi;
  std::string triplets, gallery, gallery_root, benchmark, split = "val", root, annotations, subset,
      method = "lincir", tmpl = PromptTemplate{}.pattern, preprocess = "auto", cache, report,
      submission_dir = ".", format = "table";
  bool keep_reference = false;
};

bool is_gallery_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in.gcount() == 8 && std::memcmp(magic, "LCIRGLRY", 8) == 0;
}

// Stage progress on a TTY: one bar per stage.
struct StageBars {
  std::string stage;
  std::unique_ptr<Progress> bar;
  bool update(const std::string& s, int64_t done, int64_t total) {
    if (s != stage || !bar) {
      if (bar) bar->finish();
      stage = s;
      bar = std::make_unique<Progress>(s, total);
    }
    bar->update(done);
    return true;
  }
  void finish() {
    if (bar) bar->finish();
    bar.reset();
    stage.clear();
  }
};

void run(const EvalArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  LINCIR_CHECK(a.triplets.empty() != a.benchmark.empty(),
               "give either --triplets FILE.jsonl or --benchmark NAME (with --annotations and --root)");
  const EvalMethod method = parse_eval_method(a.method);
  LINCIR_CHECK(method != EvalMethod::lincir || !a.phi.phi.empty(),
               "the lincir method needs --phi (or choose --method image-only|text-only|sum)");

  // Annotations first: a typo fails before minutes of model loading.
  std::vector<Benchmark> benches;
  std::optional<Gallery> index;
  if (!a.triplets.empty()) {
    TripletOptions to;
    to.keep_reference = a.keep_reference;
    if (is_gallery_file(a.gallery)) {
      index.emplace(Gallery::load(a.gallery));
      const fs::path base = fs::absolute(a.gallery_root.empty() ? fs::path(a.triplets).parent_path() : fs::path(a.gallery_root));
      for (size_t i = 0; i < index->size(); ++i) {
        const std::string n = index->name(i);
        LINCIR_CHECK(!n.empty(), "gallery index '" + a.gallery + "' has no image names: cannot match it to the triplets");
        to.gallery_images.push_back((base / n).lexically_normal().string());
      }
    } else {
      to.gallery = a.gallery;
    }
    benches.push_back(Benchmark::triplets(a.triplets, to));
  } else {
    LINCIR_CHECK(!a.annotations.empty(), "--benchmark needs --annotations (the annotation folder or file)");
    LINCIR_CHECK(!a.root.empty(), "--benchmark needs --root (the image folder)");
    const BenchmarkKind kind = parse_benchmark_kind(a.benchmark);
    LINCIR_CHECK(kind != BenchmarkKind::triplets, "use --triplets FILE for the generic triplet format");
    if (kind == BenchmarkKind::fashioniq && a.subset.empty()) {
      benches = Benchmark::fashioniq_all(a.annotations, a.split);
    } else {
      BenchmarkSpec spec;
      spec.kind = kind;
      spec.annotations = a.annotations;
      spec.split = a.split;
      spec.subset = a.subset;
      spec.gallery = a.gallery;
      benches.push_back(Benchmark::load(spec));
    }
  }

  const auto tl = std::chrono::steady_clock::now();
  const ClipModel clip = a.model.load();
  std::optional<Projector> phi;
  std::string phi_sha;
  if (!a.phi.phi.empty()) {
    phi.emplace(a.phi.load());
    phi_sha = path_checksum(a.phi.phi);
  }
  EvalRunOptions o;
  o.method = method;
  o.prompt.pattern = a.tmpl;
  o.preprocess = resolve_preprocess(a.preprocess, phi ? &*phi : nullptr);
  o.batch_size = a.model.batch_size;
  o.cache_dir = a.cache;
  if (!a.cache.empty()) o.fingerprint = a.model.fingerprint();
  std::unique_ptr<Composer> composer;
  if (phi && method == EvalMethod::lincir) {
    ComposerOptions co;
    co.preprocess = o.preprocess;
    co.batch_size = a.model.batch_size;
    composer = std::make_unique<Composer>(clip, std::move(*phi), co);
  }
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - tl).count();

  StageBars bars;
  o.on_progress = [&](const std::string& s, int64_t d, int64_t t) { return bars.update(s, d, t); };
  std::vector<BenchmarkRunResult> results;
  std::vector<MetricsTable> tables;
  for (const Benchmark& b : benches) {
    log("evaluating " + b.description() + ": " + std::to_string(b.queries().size()) + " queries, " +
        std::to_string(b.images().size()) + " images, method " + eval_method_name(method));
    results.push_back(run_benchmark(clip, composer.get(), b, a.root, o, a.submission_dir, index ? &*index : nullptr));
    bars.finish();
    const auto& r = results.back();
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", r.total_seconds);
    log("  images: " + std::to_string(r.images.encoded) + " encoded, " + std::to_string(r.images.cached) +
        " cached; " + secs + " s");
    if (r.metrics) tables.push_back(*r.metrics);
    for (const auto& f : r.submissions) log("  wrote " + f);
  }
  std::optional<MetricsTable> average;
  if (tables.size() > 1 && benches[0].kind() == BenchmarkKind::fashioniq) average = average_tables(tables);

  OJson rep;
  rep["lincir_version"] = version_string();
  rep["benchmark"] = a.triplets.empty() ? a.benchmark : "triplets";
  rep["split"] = a.triplets.empty() ? a.split : "";
  rep["method"] = eval_method_name(method);
  rep["config"] = {{"model", a.model.model},
                   {"config", a.model.config},
                   {"phi", a.phi.phi},
                   {"phi_kind", composer ? projector_kind_name(composer->projector().kind()) : ""},
                   {"template", a.tmpl},
                   {"preprocess", o.preprocess == PreprocessMode::hf ? "hf" : "openai"},
                   {"precision", a.model.precision},
                   {"batch_size", a.model.batch_size},
                   {"device", globals().device},
                   {"threads", num_threads()},
                   {"annotations", a.triplets.empty() ? a.annotations : a.triplets},
                   {"root", a.root},
                   {"gallery", a.gallery},
                   {"cache", a.cache}};
  rep["checksums"] = {{"algorithm", "sha256"},
                      {"model", a.model.model_checksum()},
                      {"config", a.model.config_checksum()},
                      {"phi", phi_sha}};
  auto res = OJson::array();
  for (const auto& r : results) res.push_back(OJson::parse(r.to_json(-1)));
  rep["results"] = res;
  if (average) rep["average"] = OJson::parse(average->to_json(-1));
  rep["timings"] = {{"load_s", load_s},
                    {"total_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  if (!a.report.empty()) {
    const std::string s = rep.dump(2) + "\n";
    detail::write_file_atomic(a.report, s.data(), s.size());
    log("report: " + a.report);
  }
  if (a.format == "json") {
    std::cout << rep.dump(2) << std::endl;  // ordered keys
    return;
  }
  for (const auto& t : tables) std::cout << t.to_text() << '\n';
  if (average) std::cout << average->to_text() << '\n';
  if (tables.empty()) std::cout << "no metrics (hidden test split): submission files written\n";
}

Registrar reg("50-eval", [](CLI::App& app) {
  static EvalArgs a;
  auto* cmd = app.add_subcommand("eval", "Evaluate composed image retrieval (triplet file or FashionIQ/CIRR/CIRCO/GeneCIS)");
  cmd->footer(
      "Examples:\n"
      "  lincir eval --model ViT-L-14.safetensors --phi lincir_large.pt --benchmark cirr --split val \\\n"
      "      --annotations cirr/ --root cirr/img_raw --cache ~/.cache/lincir --report cirr_val.json\n"
      "  lincir eval ... --benchmark cirr --split test1 --submission-dir out/   (server files)\n"
      "  lincir eval ... --benchmark fashioniq --split val --annotations fashion-iq/ --root fashion-iq/images\n"
      "  lincir eval ... --benchmark circo --split test --annotations CIRCO/ --root COCO/unlabeled2017 \\\n"
      "      --gallery COCO/annotations/image_info_unlabeled2017.json\n"
      "  lincir eval ... --benchmark genecis --annotations genecis/change_object.json --root coco/val2017\n"
      "  lincir eval ... --triplets mine.jsonl --gallery photos/ [--keep-reference]\n"
      "Triplet lines: {\"reference\": \"a.jpg\", \"modification\": \"is red\" or [..], \"targets\": [\"b.jpg\"]},\n"
      "paths relative to the file. --gallery: an image folder, a list file, or an index from\n"
      "`lincir index build` (its names are resolved against --gallery-root, default the JSONL's folder).\n"
      "Methods: lincir (default; needs --phi), image-only, text-only, sum.");
  a.model.add(cmd);
  a.phi.add(cmd, false);
  cmd->add_option("--triplets", a.triplets, "generic triplet file (JSONL)");
  cmd->add_option("--benchmark", a.benchmark, "fashioniq, cirr, circo or genecis")
      ->check(CLI::IsMember({"fashioniq", "fiq", "cirr", "circo", "genecis"}));
  cmd->add_option("--split", a.split, "val, test1 (CIRR), test (CIRCO, FashionIQ)")->capture_default_str();
  cmd->add_option("--subset", a.subset, "FashionIQ category (default: all three + average) or GeneCIS task");
  cmd->add_option("--annotations", a.annotations, "annotation folder (GeneCIS: task file)");
  cmd->add_option("--root", a.root, "image folder (triplets: default the JSONL's folder)");
  cmd->add_option("--gallery", a.gallery,
                  "triplets: image folder, list file or gallery index; CIRCO: image_info_unlabeled2017.json or the image folder");
  cmd->add_option("--gallery-root", a.gallery_root, "folder the names of a gallery index are relative to");
  cmd->add_flag("--keep-reference", a.keep_reference, "triplets: keep the reference in its own ranking");
  cmd->add_option("--method", a.method, "lincir, image-only, text-only or sum")
      ->check(CLI::IsMember({"lincir", "image-only", "text-only", "sum"}))
      ->capture_default_str();
  cmd->add_option("--template", a.tmpl, "prompt; $ = the image, {} = the modification text")->capture_default_str();
  cmd->add_option("--preprocess", a.preprocess, "auto (hf for LinCIR φ, openai for SEARLE/Pic2Word), hf or openai")
      ->check(CLI::IsMember({"auto", "hf", "openai"}))
      ->capture_default_str();
  cmd->add_option("--cache", a.cache, "folder for cached image features (resumable encoding)");
  cmd->add_option("--report", a.report, "write the JSON report here");
  cmd->add_option("--submission-dir", a.submission_dir, "where hidden test splits write the server files")
      ->capture_default_str();
  cmd->add_option("--format", a.format, "table or json (the report on stdout)")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([] { run(a); });
});

}  // namespace
}  // namespace lincir::cli
