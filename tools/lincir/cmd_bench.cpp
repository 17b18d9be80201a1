// `lincir bench`: lincir's own performance workloads (bench_workloads.hpp) at a chosen backbone,
// as a table or JSON. bench/run runs it against the PyTorch reference (docs/performance.md).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench_workloads.hpp"
#include "cli.hpp"
#include "lincir/common.hpp"

namespace lincir::cli {
namespace {

using json = nlohmann::json;

struct BenchArgs {
  bench::Options o;
  std::vector<std::string> only = {"query", "image", "train", "search", "rss"};
  std::string format = "table";
  std::string rss_child;  // hidden: run as the rss workload's child at this precision
};

// Runs this binary again as the rss child for one precision and returns its JSON.
json run_rss_child(const BenchArgs& a, const bench::Model& m, const std::string& precision) {
  std::vector<std::string> args = {"lincir", "--threads", std::to_string(a.o.threads), "-q", "bench",
                                   "--rss-child", precision, "--model", m.weights, "--phi", m.phi,
                                   "--words", std::to_string(a.o.words)};
  if (!m.config_path.empty()) args.insert(args.end(), {"--config", m.config_path});
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  int fds[2];
  LINCIR_CHECK_STATUS(pipe(fds) == 0, Status::internal, "lincir bench: pipe() failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  LINCIR_CHECK_STATUS(pid > 0, Status::internal, "lincir bench: fork() failed");
  std::string text;
  char buf[4096];
  ssize_t got;
  while ((got = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, size_t(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  LINCIR_CHECK_STATUS(WIFEXITED(status) && WEXITSTATUS(status) == 0, Status::internal,
                      "lincir bench: the rss child process (" + precision + ") failed");
  return json::parse(text);
}

std::string num(double x, int digits = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", digits, x);
  return b;
}

void row(const std::string& name, const json& r, const std::string& note) {
  std::printf("%-44s %10s %10s  %s\n", name.c_str(), num(r.value("median_ms", 0.0)).c_str(),
              num(r.value("min_ms", 0.0)).c_str(), note.c_str());
}

std::string cosine_note(const json& r) {
  return r.contains("cosine_vs_float32")
             ? "cosine vs float32 " + num(r["cosine_vs_float32"].get<double>(), 5)
             : "";
}

void print_table(const json& j) {
  std::printf("lincir bench: %s, %d threads\n", j["backbone"].get<std::string>().c_str(),
              j["threads"].get<int>());
  std::printf("%-44s %10s %10s  %s\n", "workload", "median ms", "min ms", "notes");
  const char* label[] = {"full", "float32", "int8", "int8"};
  if (j.contains("query"))
    for (int i = 0; i < 4; i += 2)
      if (j["query"].contains(label[i])) {
        const json& r = j["query"][label[i]];
        std::string note = cosine_note(r);
        note += (note.empty() ? "" : ", ") + std::to_string(r["tokens"].get<int>()) + " tokens";
        if (r.contains("full77"))
          note += ", all 77 positions " + num(r["full77"]["median_ms"].get<double>()) +
                  " ms (max abs diff " + num(r["trim_max_abs_diff"].get<double>() * 1e6, 2) + "e-6)";
        row(std::string("composed query, ") + label[i + 1], r, note);
      }
  if (j.contains("image"))
    for (int i = 0; i < 4; i += 2)
      if (j["image"].contains(label[i]))
        row(std::string("image embedding, ") + label[i + 1], j["image"][label[i]],
            cosine_note(j["image"][label[i]]));
  if (j.contains("train")) {
    const json& r = j["train"];
    row("training step, batch " + std::to_string(r["batch"].get<int>()), r,
        num(r["captions_per_s"].get<double>(), 2) + " captions/s, reference recipe " +
            num(r["recipe_hours_this_cpu"].get<double>()) + " h on this CPU");
  }
  if (j.contains("search")) {
    const json& r = j["search"];
    const std::string shape = std::to_string(r["gallery"].get<int64_t>()) + " x " +
                              std::to_string(r["dim"].get<int64_t>());
    row("search top-10, 1 query, " + shape, r["search_1"],
        num(r["search_1"]["vs_floor"].get<double>(), 2) + "x the floor (" +
            num(r["floor_ms"].get<double>(), 2) + " ms at " + num(r["read_bandwidth_gbs"].get<double>()) +
            " GB/s)");
    row("search top-10, 64 queries", r["search_64"],
        num(r["search_64"]["per_query_ms"].get<double>(), 3) + " ms per query");
    if (r.contains("faiss_64"))
      row("  faiss IndexFlatIP, 64 queries", r["faiss_64"],
          num(r["faiss_64"]["per_query_ms"].get<double>(), 3) + " ms per query, agreement@10 " +
              num(r["faiss_agreement_at_10"].get<double>(), 4));
    row("search top-10, 1 query, float16 gallery", r["float16_search_1"],
        "recall@10 vs exact " + num(r["float16_recall_at_10"].get<double>(), 4));
  }
  if (j.contains("rss"))
    for (int i = 0; i < 4; i += 2)
      if (j["rss"].contains(label[i])) {
        const json& r = j["rss"][label[i]];
        std::printf("%-44s %10s %10s  %sx the %s MiB of weight files\n",
                    (std::string("peak RSS (MiB), ") + label[i + 1]).c_str(),
                    num(r["peak_rss_bytes"].get<double>() / (1 << 20), 0).c_str(), "-",
                    num(r["ratio"].get<double>(), 2).c_str(),
                    num(r["weight_bytes"].get<double>() / (1 << 20), 0).c_str());
      }
}

void run(BenchArgs& a) {
  a.o.threads = globals().threads > 0 ? globals().threads
                                      : int(std::max(1u, std::thread::hardware_concurrency()));
  set_num_threads(a.o.threads);
  if (!a.rss_child.empty()) {
    bench::Model m;
    m.weights = a.o.model;
    m.config_path = a.o.config;
    m.phi = a.o.phi;
    print_json(bench::rss_child(a.o, m, a.rss_child));
    return;
  }
  a.o.only = {a.only.begin(), a.only.end()};
  // float32 first (the reference of the other precisions), each precision once.
  std::vector<std::string> precisions;
  for (const char* p : {"full", "int8"})
    if (std::find(a.o.precisions.begin(), a.o.precisions.end(), p) != a.o.precisions.end())
      precisions.push_back(p);
  a.o.precisions = precisions;
  const bench::Model m = bench::prepare(a.o);
  json out = {{"threads", a.o.threads},
              {"words", a.o.words},
              {"backbone", m.config.name},
              {"model", m.random ? "random weights" : m.weights}};
  auto step = [&](const char* name, auto fn) {
    if (!a.o.only.count(name)) return;
    log(std::string("lincir bench: ") + name);
    out[name] = fn(a.o, m);
  };
  step("query", bench::bench_query);
  step("image", bench::bench_image);
  step("train", bench::bench_train);
  step("search", bench::bench_search);
  if (a.o.only.count("rss")) {
    log("lincir bench: rss");
    for (const std::string& p : a.o.precisions) out["rss"][p] = run_rss_child(a, m, p);
  }
  if (a.format == "json") {
    print_json(out);
  } else {
    print_table(out);
  }
}

Registrar reg("80-bench", [](CLI::App& app) {
  static BenchArgs a;
  a.o.dir = (std::filesystem::temp_directory_path() / "lincir-bench").string();
  auto* cmd = app.add_subcommand("bench", "Time lincir's workloads (query, image, train, search, memory)");
  cmd->footer(
      "Examples:\n"
      "  lincir bench                                   # random ViT-L/14 weights, all workloads\n"
      "  lincir --threads 2 bench --only query,image --format json\n"
      "  lincir bench --model ViT-B-32 --only search --gallery 100000\n"
      "  lincir bench --model clip.safetensors --config clip.json --phi phi.safetensors\n"
      "Random weights of a preset are written once to --dir and reused. bench/run runs these\n"
      "workloads against the PyTorch reference pipeline (docs/performance.md).");
  cmd->add_option("--model", a.o.model, "a CLIP preset name (random weights of that shape) or weights")
      ->capture_default_str();
  cmd->add_option("--config", a.o.config, "model config JSON (when the weights carry none)");
  cmd->add_option("--phi", a.o.phi, "φ weights (default: random φ of the model's sizes)");
  cmd->add_option("--dir", a.o.dir, "folder for the random weights")->capture_default_str();
  cmd->add_option("--only", a.only, "workloads: query, image, train, search, rss")
      ->delimiter(',')
      ->check(CLI::IsMember({"query", "image", "train", "search", "rss"}))
      ->capture_default_str();
  cmd->add_option("--precision", a.o.precisions, "linear-layer precisions of query, image and rss")
      ->delimiter(',')
      ->check(CLI::IsMember({"full", "int8"}))
      ->capture_default_str();
  cmd->add_option("--reps", a.o.reps, "timed calls per measurement")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch-size", a.o.batch, "captions per training step")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--gallery", a.o.gallery, "gallery vectors for search")
      ->check(CLI::Range(int64_t{10}, int64_t{1} << 34))
      ->capture_default_str();
  cmd->add_option("--words", a.o.words, "words per prompt and caption")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  cmd->add_option("--format", a.format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->add_option("--rss-child", a.rss_child)->group("");
  cmd->callback([] { run(a); });
});

}  // namespace
}  // namespace lincir::cli
