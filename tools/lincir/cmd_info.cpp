// `lincir info`: versions, threads and build flags.
#include <iostream>

#include "cli.hpp"
#include "lincir/common.hpp"
#include "lincir/version.hpp"

namespace lincir::cli {
namespace {

Registrar reg("00-info", [](CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print versions, threads and build flags");
  static std::string format = "table";
  cmd->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([] {
    if (globals().threads > 0) set_num_threads(globals().threads);
    nlohmann::json j = {{"version", version_string()},
                        {"build", build_info()},
                        {"threads", num_threads()},
                        {"cuda_available", cuda_available()},
                        {"assets", assets_dir()}};
    if (format == "json") {
      print_json(j);
    } else {
      for (auto& [k, v] : j.items())
        std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << '\n';
    }
  });
});

}  // namespace
}  // namespace lincir::cli
