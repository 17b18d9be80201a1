// lincir: command line front end of the library. Data goes to stdout, logs and progress to
// stderr; errors are one line on stderr and a non-zero exit status.
#include <iostream>
#include <map>

#include "cli.hpp"
#include "lincir/common.hpp"
#include "lincir/version.hpp"

namespace lincir::cli {
std::map<std::string, Setup>& registry();
}

int main(int argc, char** argv) {
  using namespace lincir::cli;
  CLI::App app{"lincir " LINCIR_VERSION_STRING
               ": zero-shot composed image retrieval (LinCIR) from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", lincir::version_string());
  auto& g = globals();
  app.add_option("--threads", g.threads, "intra-op threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--device", g.device, "cpu, cuda or cuda:N");
  app.add_flag("-q,--quiet", g.quiet, "no logs or progress on stderr");
  for (auto& [key, setup] : registry()) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const lincir::Error& e) {
    std::cerr << "lincir: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "lincir: error: " << e.what() << '\n';
    return 3;
  }
  return 0;
}
