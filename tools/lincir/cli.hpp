// Shared plumbing of the lincir subcommands: global options, output formats, logging to stderr,
// progress bars on a TTY only, and where the bundled assets live.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lincir::cli {

struct Globals {
  int threads = 0;              // 0 = all cores
  std::string device = "cpu";
  std::string format = "table";  // table | json
  bool quiet = false;
};

Globals& globals();

// Registers a subcommand; each cmd_*.cpp calls this from a static initialiser.
using Setup = std::function<void(CLI::App& app)>;
struct Registrar {
  Registrar(const char* order_key, Setup setup);
};

// Log line to stderr unless --quiet.
void log(const std::string& msg);
// Progress on stderr, only when stderr is a terminal: "label  [#####.....] 50/100".
class Progress {
 public:
  Progress(std::string label, int64_t total);
  void update(int64_t done);
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  int last_pct_ = -1;
};

// The bundled assets folder: $LINCIR_ASSETS, the source tree's assets/ or the installed share dir.
std::string assets_dir();

void print_json(const nlohmann::json& j);

}  // namespace lincir::cli
