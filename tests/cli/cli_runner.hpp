// Runs the built `lincir` binary as a user would: arguments, exit status, stdout and stderr kept
// apart (no shell involved).
#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

extern char** environ;

namespace lincir::test {

struct CliResult {
  int rc = -1;
  std::string out, err;
  // stderr lines, for the one-line error rule.
  std::vector<std::string> err_lines() const {
    std::vector<std::string> l;
    std::istringstream s(err);
    for (std::string x; std::getline(s, x);) l.push_back(x);
    return l;
  }
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline CliResult run_cli(const std::vector<std::string>& args) {
  TempDir io;
  const std::string out = io.file("out"), err = io.file("err");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_s = {LINCIR_CLI_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  CliResult r;
  if (posix_spawn(&pid, LINCIR_CLI_PATH, &fa, nullptr, argv.data(), environ) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    ADD_FAILURE() << "cannot start " << LINCIR_CLI_PATH;
    return r;
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// The parity model flags: --model, --config (and --threads 1 for reproducible runs goes first).
inline std::vector<std::string> with_model(std::vector<std::string> args) {
  args.insert(args.end(), {"--model", data_path("parity/weights_openai.safetensors"), "--config",
                           data_path("parity/model_config.json")});
  return args;
}

inline std::string phi_path() { return data_path("parity/phi_weights.safetensors"); }

}  // namespace lincir::test
