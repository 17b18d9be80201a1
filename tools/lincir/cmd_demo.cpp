// `lincir demo`: composed image retrieval in the bundled synthetic world. Builds a gallery of
// generated scenes, runs held-out composed queries with the bundled tiny CLIP and φ variants and
// the training-free baselines, prints the Recall@1/5/10 table (stdout) and writes an HTML report.
#include <chrono>
#include <iostream>

#include "cli.hpp"
#include "lincir/common.hpp"
#include "lincir/demo.hpp"

namespace lincir::cli {
namespace {

struct DemoArgs {
  std::string models;  // empty = <assets>/demo
  std::string out = "demo/out";
  std::string format = "table";
  std::string split = "heldout";
  int queries = 1000;
  uint64_t seed = 123;
  int report_queries = 12;
  bool no_report = false;
  std::string write_set;  // also write the benchmark as PNG + JSONL triplets here
  std::string prompt = "a photo of $ that {}";
};

Registrar reg("60-demo", [](CLI::App& app) {
  static DemoArgs a;
  auto* cmd = app.add_subcommand(
      "demo", "Composed image retrieval on generated scenes: LinCIR vs. training-free baselines");
  cmd->add_option("--models", a.models, "folder with the demo models (default: <assets>/demo)");
  cmd->add_option("--out", a.out, "folder for report.html and its thumbnails")->capture_default_str();
  cmd->add_option("--format", a.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--split", a.split, "queries: heldout, all or train")
      ->check(CLI::IsMember({"heldout", "all", "train"}))
      ->capture_default_str();
  cmd->add_option("--queries", a.queries, "number of composed queries")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "benchmark seed")->capture_default_str();
  cmd->add_option("--report-queries", a.report_queries, "queries shown in the HTML report")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_flag("--no-report", a.no_report, "do not write the HTML report");
  cmd->add_option("--prompt", a.prompt, "LinCIR prompt: `$` = the image, `{}` = the modification")
      ->capture_default_str();
  cmd->add_option("--write-set", a.write_set,
                  "also write the benchmark (images, queries.jsonl in the generic triplet format, "
                  "gallery.txt) to this folder, for `lincir eval` or other tools");
  cmd->callback([] {
    const auto t0 = std::chrono::steady_clock::now();
    set_num_threads(globals().threads);
    demo::ModelFiles files{a.models.empty() ? assets_dir() + "/demo" : a.models};
    log("lincir demo: models from " + files.dir + ", " + std::to_string(num_threads()) + " threads");
    const demo::LoadedModels models = demo::load_models(files);
    demo::BenchOptions bo;
    bo.cir.seed = a.seed;
    bo.cir.num_queries = a.queries;
    bo.cir.split = synth::parse_split(a.split);
    bo.prompt = a.prompt;
    const demo::BenchResult r = demo::run_benchmark(models, bo, [](const std::string& s) { log(s); });
    if (!a.write_set.empty()) {
      synth::write_cir_set(r.set, a.write_set, r.render, true);
      log("benchmark written to " + a.write_set);
    }
    if (!a.no_report && a.report_queries > 0) {
      demo::write_report(r, a.out, a.report_queries);
      log("report: " + a.out + "/report.html");
    }
    if (a.format == "json")
      std::cout << demo::table_json(r) << std::endl;
    else
      std::cout << demo::table_text(r);
    log("demo took " +
        std::to_string(int(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())) +
        " s");
  });
});

}  // namespace
}  // namespace lincir::cli
