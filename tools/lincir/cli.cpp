#include "cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "core/file_io.hpp"

namespace lincir::cli {

Globals& globals() {
  static Globals g;
  return g;
}

std::map<std::string, Setup>& registry() {
  static std::map<std::string, Setup> r;
  return r;
}

Registrar::Registrar(const char* order_key, Setup setup) { registry()[order_key] = std::move(setup); }

void log(const std::string& msg) {
  if (!globals().quiet) std::cerr << msg << '\n';
}

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), tty_(::isatty(2) && !globals().quiet) {}

void Progress::update(int64_t done) {
  if (!tty_ || total_ <= 0) return;
  int pct = static_cast<int>(100 * done / total_);
  if (pct == last_pct_) return;
  last_pct_ = pct;
  const int width = 30, fill = pct * width / 100;
  std::fprintf(stderr, "\r%s [%s%s] %lld/%lld", label_.c_str(), std::string(fill, '#').c_str(),
               std::string(width - fill, '.').c_str(), static_cast<long long>(done),
               static_cast<long long>(total_));
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_ && last_pct_ >= 0) std::fprintf(stderr, "\n");
}

std::string assets_dir() {
  if (const char* env = std::getenv("LINCIR_ASSETS")) return env;
  if (detail::file_exists(LINCIR_SOURCE_ASSETS)) return LINCIR_SOURCE_ASSETS;
  return LINCIR_INSTALL_ASSETS;
}

void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << std::endl; }

}  // namespace lincir::cli
