// Files are never half-written: a writer process saving a gallery, a φ file and a trainer
// checkpoint in a loop (helpers/atomic_writer.cpp) is killed with SIGKILL at random moments;
// after every kill each file must load (checksums verified) and hold either the last version
// the writer finished or the one it was writing, never anything else.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "helpers/reliability_files.hpp"
#include "lincir/clip.hpp"
#include "lincir/gallery.hpp"
#include "lincir/projector.hpp"
#include "lincir/trainer.hpp"
#include "support/test_support.hpp"

extern char** environ;

namespace {

using namespace lincir;
namespace rel = lincir::reliability;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The fork server of helpers/atomic_writer.cpp, with pipes to its stdin and from its stdout.
struct Server {
  pid_t pid = -1;
  FILE* in = nullptr;   // its stdin
  FILE* out = nullptr;  // its stdout (server and children)
};

Server spawn_server(const std::string& dir) {
  int to[2], from[2];
  EXPECT_EQ(pipe(to), 0);
  EXPECT_EQ(pipe(from), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, from[1], STDOUT_FILENO);
  for (int fd : {to[0], to[1], from[0], from[1]}) posix_spawn_file_actions_addclose(&fa, fd);
  const std::string data = LINCIR_TEST_DATA_DIR;
  const char* argv[] = {LINCIR_ATOMIC_WRITER, data.c_str(), dir.c_str(), nullptr};
  Server s;
  const int rc = posix_spawn(&s.pid, LINCIR_ATOMIC_WRITER, &fa, nullptr,
                             const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(to[0]);
  close(from[1]);
  EXPECT_EQ(rc, 0) << "cannot start " << LINCIR_ATOMIC_WRITER;
  s.in = fdopen(to[1], "w");
  s.out = fdopen(from[0], "r");
  return s;
}

// Reads one protocol line; false at end of stream.
bool read_line(FILE* f, std::string* line) {
  char buf[512];
  if (!std::fgets(buf, sizeof buf, f)) return false;
  *line = buf;
  return true;
}

struct Acked {
  int64_t version = -1, step = -1;
  int iterations = 0;
};

// Child output: "done <version> <step>"; an "error" line fails the test.
void parse_child_line(const std::string& line, Acked* a) {
  long long v = 0, s = 0;
  if (std::sscanf(line.c_str(), "done %lld %lld", &v, &s) == 2) {
    a->version = v;
    a->step = s;
    ++a->iterations;
  } else {
    ADD_FAILURE() << "writer: " << line;
  }
}

int count_and_remove_temp_files(const std::string& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) {
      fs::remove(e.path());
      ++n;
    }
  return n;
}

TEST(AtomicFiles, SurviveSigkillAtRandomMoments) {
  const char* env_rounds = std::getenv("LINCIR_KILL_ROUNDS");
  const int rounds = env_rounds ? std::atoi(env_rounds) : 100;
  test::TempDir dir;

  // What the files must contain (the writer derives it from the same functions).
  ClipLoadOptions lo;
  lo.config_path = test::data_path("parity/model_config.json");
  const ClipModel model = ClipModel::load(test::data_path("parity/weights_openai.safetensors"), lo);
  Trainer verifier(model, rel::trainer_options());
  Gallery reference(rel::kDim);
  reference.add(rel::gallery_vectors(), rel::gallery_ids(0));
  const Embeddings expected_vectors = reference.vectors(rel::gallery_ids(0));
  const Embeddings probe = Embeddings::Constant(1, rel::kDim, 0.25f);
  const Embeddings expected_phi = Projector(rel::phi_config(), 7).forward(probe);

  std::mt19937 rng(20240611);
  double iteration_ms = 0;  // measured in round 0
  int64_t next_version = 0;
  int64_t seen_gallery = -1, seen_phi = -1, seen_step = -1;
  int mid_write = 0, kept_old = 0, got_new = 0;
  Server server = spawn_server(dir.path());
  struct Reap {  // on an early return: stop the server (its child dies with it, PDEATHSIG)
    Server& s;
    ~Reap() {
      if (s.pid > 0) {
        kill(s.pid, SIGKILL);
        waitpid(s.pid, nullptr, 0);
      }
    }
  } reap{server};
  ASSERT_NE(server.out, nullptr);
  std::string line;
  ASSERT_TRUE(read_line(server.out, &line)) << "writer died during set-up";
  ASSERT_EQ(line, "ready\n");
  int total_iterations = 0;
  for (int round = 0; round < rounds; ++round) {
    std::fprintf(server.in, "go %lld\n", static_cast<long long>(next_version));
    std::fflush(server.in);
    int child = 0;
    ASSERT_TRUE(read_line(server.out, &line));
    ASSERT_EQ(std::sscanf(line.c_str(), "pid %d", &child), 1) << line;
    Acked acked;
    if (round == 0) {  // time a few iterations, so later kills land anywhere in one
      const auto t0 = Clock::now();
      for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(read_line(server.out, &line));
        parse_child_line(line, &acked);
      }
      iteration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / 3;
    }
    const double delay_ms = std::uniform_real_distribution<double>(0, 1.5 * iteration_ms)(rng);
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delay_ms));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int reaped = 0, sig = 0;
    while (read_line(server.out, &line)) {
      if (std::sscanf(line.c_str(), "reaped %d %d", &reaped, &sig) == 2) break;
      parse_child_line(line, &acked);
    }
    ASSERT_EQ(reaped, child) << "the writer server died";
    ASSERT_EQ(sig, SIGKILL) << "the child exited by itself";
    total_iterations += acked.iterations;

    // The writer of this round started at next_version; it finished acked.version (if any) and
    // may have been writing the one after.
    const int64_t lo_v = acked.version >= 0 ? acked.version : seen_gallery;
    const int64_t hi_v = acked.version >= 0 ? acked.version + 1 : next_version;
    const std::string gallery_path = dir.file(rel::kGalleryFile);
    if (seen_gallery < 0 && acked.version < 0 && !fs::exists(gallery_path)) {
      next_version += 1;
      count_and_remove_temp_files(dir.path());
      continue;  // killed before the very first save completed: nothing to check yet
    }
    SCOPED_TRACE("round " + std::to_string(round) + ", kill after " + std::to_string(delay_ms) + " ms");
    // Gallery: loads (CRC, sizes), and is exactly one version.
    Gallery g = Gallery::load(gallery_path);
    ASSERT_EQ(g.size(), size_t(rel::kRows));
    const int64_t gv = g.id(0) / rel::kRows;
    EXPECT_EQ(g.ids(), rel::gallery_ids(gv));
    EXPECT_TRUE(g.vectors(rel::gallery_ids(gv)) == expected_vectors);
    EXPECT_GE(gv, lo_v);
    EXPECT_LE(gv, hi_v);
    EXPECT_GE(gv, seen_gallery);
    (gv == seen_gallery ? kept_old : got_new) += 1;
    seen_gallery = gv;
    // φ: loads (checksum), the training step tells the version, the weights are exact.
    if (fs::exists(dir.file(rel::kPhiFile)) || acked.version >= 0 || seen_phi >= 0) {
      Projector phi = Projector::load(dir.file(rel::kPhiFile));
      const int64_t pv = phi.training_step();
      EXPECT_GE(pv, acked.version >= 0 ? acked.version : seen_phi);
      EXPECT_LE(pv, hi_v);
      EXPECT_GE(pv, seen_phi);
      EXPECT_TRUE(phi.forward(probe) == expected_phi);
      seen_phi = pv;
    }
    // Checkpoint: loads into a trainer (checksum, every tensor), step never goes back.
    if (fs::exists(dir.file(rel::kCheckpointFile)) || acked.step >= 0 || seen_step >= 0) {
      verifier.load_checkpoint(dir.file(rel::kCheckpointFile));
      const int64_t step = verifier.step();
      if (acked.step >= 0) {
        EXPECT_GE(step, acked.step);
        EXPECT_LE(step, acked.step + 1);
      }
      EXPECT_GE(step, seen_step);
      seen_step = step;
    }
    mid_write += count_and_remove_temp_files(dir.path()) > 0;
    next_version = hi_v + 1;
  }
  std::fprintf(server.in, "quit\n");
  fclose(server.in);
  fclose(server.out);
  int status = 0;
  waitpid(server.pid, &status, 0);
  server.pid = -1;
  EXPECT_GT(total_iterations, 0) << "the writer never completed an iteration";
  std::printf("[ SIGKILL  ] %d rounds, iteration %.1f ms, %d iterations completed; %d kills left a "
              "temporary file (killed mid-write), gallery kept the old version %d times, had a "
              "new one %d times; final gallery version %lld, φ step %lld, trainer step %lld\n",
              rounds, iteration_ms, total_iterations, mid_write, kept_old, got_new,
              static_cast<long long>(seen_gallery), static_cast<long long>(seen_phi),
              static_cast<long long>(seen_step));
}

// Corruption that an atomic rename cannot prevent (bit rot, a copy cut short, tampering) is
// reported on load with the file's name and the problem.
TEST(AtomicFiles, CorruptionIsNamedOnLoad) {
  test::TempDir dir;
  Projector phi(rel::phi_config(), 3);
  const std::string phi_path = dir.file("phi.safetensors");
  phi.save(phi_path);
  auto bytes = test::read_bytes(phi_path);
  auto expect_format = [&](const std::string& path, const char* what, auto&& load) {
    try {
      load(path);
      ADD_FAILURE() << "loaded a corrupt file: " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.status(), Status::format) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  // One flipped bit in the last weight.
  auto flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x10;
  test::write_bytes(phi_path, flipped);
  expect_format(phi_path, "checksum mismatch", [](const std::string& p) { Projector::load(p); });
  // Cut short.
  test::write_bytes(phi_path, std::vector<uint8_t>(bytes.begin(), bytes.end() - 100));
  expect_format(phi_path, "past the data section", [](const std::string& p) { Projector::load(p); });

  Gallery g(8);
  Embeddings v = Embeddings::Random(20, 8);
  std::vector<int64_t> ids(20);
  for (int i = 0; i < 20; ++i) ids[i] = i;
  g.add(v, ids);
  const std::string gal = dir.file("g.lcg");
  g.save(gal);
  auto gb = test::read_bytes(gal);
  gb[gb.size() - 20] ^= 1;
  test::write_bytes(gal, gb);
  expect_format(gal, "checksum mismatch", [](const std::string& p) { Gallery::load(p); });
}

}  // namespace
