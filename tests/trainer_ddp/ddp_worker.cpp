// Data-parallel training check (run by tests/trainer_ddp/run_ddp.cmake):
//   ddp_worker train <rank> <world> <port> <batch> <steps> <data dir> <out.safetensors>
//   ddp_worker compare <a.safetensors> <b.safetensors> <tolerance>
// Two ranks with batch B must give the same φ as one process with batch 2B (dropout off, since
// its masks depend on the batch layout; noise and masking do not).
#include <cmath>
#include <cstdio>
#include <string>

#include "lincir/safetensors.hpp"
#include "lincir/trainer.hpp"

using namespace lincir;

static int train(int argc, char** argv) {
  if (argc != 9) return 2;
  const std::string data = argv[7];
  ClipLoadOptions lo;
  lo.config_path = data + "/parity/model_config.json";
  ClipModel model = ClipModel::load(data + "/parity/weights_openai.safetensors", lo);
  TrainerOptions o;
  o.distributed.rank = std::stoi(argv[2]);
  o.distributed.world_size = std::stoi(argv[3]);
  o.distributed.master_port = std::stoi(argv[4]);
  o.batch_size = std::stoi(argv[5]);
  o.steps = std::stoi(argv[6]);
  o.lr = 1e-3f;
  o.seed = 11;
  o.dropout = 0.f;
  o.data.shuffle_buffer = 32;
  Trainer t(model, o);
  t.fit(data + "/keywords/spans.jsonl");
  if (o.distributed.rank == 0) t.projector().save(argv[8]);
  return 0;
}

static int compare(char** argv) {
  auto a = SafeTensors::open(argv[2]), b = SafeTensors::open(argv[3]);
  const double tol = std::stod(argv[4]);
  double worst = 0.0;
  for (const auto& name : a.names()) {
    auto x = a.to_float(name), y = b.to_float(name);
    if (x.size() != y.size()) return std::fprintf(stderr, "%s: sizes differ\n", name.c_str()), 1;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, double(std::fabs(x[i] - y[i])));
  }
  std::printf("max |phi(2 ranks) - phi(1 rank, 2x batch)| = %.3g (tolerance %.3g)\n", worst, tol);
  return worst <= tol ? 0 : 1;
}

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "train") return train(argc, argv);
  if (mode == "compare" && argc == 5) return compare(argv);
  std::fprintf(stderr, "usage: see the comment at the top of ddp_worker.cpp\n");
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ddp_worker: %s\n", e.what());
  return 1;
}
