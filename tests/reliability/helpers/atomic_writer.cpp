// Writer of the SIGKILL test (tests/reliability/test_atomic_kill.cpp): a fork server. It loads
// the model once, then for every "go <version>" line on stdin forks a child that saves a gallery,
// a projector φ and a trainer checkpoint in a loop, a new version each iteration, until the test
// kills it with SIGKILL. Forking keeps each of the 100+ kills cheap (no LibTorch start-up per
// kill); the child is still a separate process that dies at an arbitrary instruction.
//
// Usage: lincir_atomic_writer <tests/data dir> <output dir>
// stdout protocol (one flushed line each):
//   server: "ready" after set-up; "pid <n>" after forking a child; "reaped <n>" once it died
//   child:  "done <version> <step>" after all three files of that version were saved
// A child first reloads the checkpoint left by the previous one (as a restarted trainer would),
// so trainer steps continue across kills. Version v: gallery ids v*kRows + i, φ training_step v.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lincir/clip.hpp"
#include "lincir/gallery.hpp"
#include "lincir/projector.hpp"
#include "lincir/trainer.hpp"
#include "reliability_files.hpp"

namespace {

using namespace lincir;

[[noreturn]] void child_loop(const std::string& out, int64_t version, Trainer& trainer) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the server (a failed test kills it)
  try {
    const std::string ckpt = out + "/" + reliability::kCheckpointFile;
    if (access(ckpt.c_str(), F_OK) == 0) trainer.load_checkpoint(ckpt);
    Projector phi(reliability::phi_config(), /*seed=*/7);
    const Embeddings vectors = reliability::gallery_vectors();
    const std::vector<CaptionRecord> batch = reliability::captions();
    for (;; ++version) {
      Gallery g(reliability::kDim);
      g.add(vectors, reliability::gallery_ids(version));
      g.save(out + "/" + reliability::kGalleryFile);
      phi.set_training_step(version);
      phi.save(out + "/" + reliability::kPhiFile);
      trainer.train_step(batch);
      trainer.save_checkpoint(ckpt);
      std::printf("done %lld %lld\n", static_cast<long long>(version),
                  static_cast<long long>(trainer.step()));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::printf("error %s\n", e.what());
    std::fflush(stdout);
    _exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <data dir> <out dir>\n", argv[0]);
    return 2;
  }
  const std::string data = argv[1], out = argv[2];
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
  try {
    set_num_threads(1);  // no intra-op thread pool: the process forks
    ClipLoadOptions lo;
    lo.config_path = data + "/parity/model_config.json";
    ClipModel model = ClipModel::load(data + "/parity/weights_openai.safetensors", lo);
    Trainer trainer(model, reliability::trainer_options());
    std::printf("ready\n");
    std::fflush(stdout);
    char line[128];
    while (std::fgets(line, sizeof line, stdin)) {
      long long version = 0;
      if (std::sscanf(line, "go %lld", &version) != 1) break;
      const pid_t pid = fork();
      if (pid < 0) {
        std::printf("error fork: %s\n", std::strerror(errno));
        std::fflush(stdout);
        return 1;
      }
      if (pid == 0) child_loop(out, version, trainer);
      std::printf("pid %d\n", static_cast<int>(pid));
      std::fflush(stdout);
      int status = 0;
      waitpid(pid, &status, 0);
      std::printf("reaped %d %d\n", static_cast<int>(pid),
                  WIFSIGNALED(status) ? WTERMSIG(status) : -1);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::printf("error %s\n", e.what());
    std::fflush(stdout);
    return 1;
  }
  return 0;
}
