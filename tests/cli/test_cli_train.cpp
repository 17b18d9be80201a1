// `lincir train`: φ from captions with metrics log, checkpoints and bit-exact resume.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_fixtures.hpp"
#include "lincir/trainer.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using namespace lincir::test;

std::vector<std::string> train_args(const std::string& out, int steps) {
  return with_model({"--threads", "1", "train", "--captions", data_path("keywords/spans.jsonl"), "--field", "caption",
                     "--steps", std::to_string(steps), "--batch-size", "4", "--lr", "1e-3", "--warmup", "1",
                     "--lr-scheduler", "cosine", "--seed", "7", "--shuffle-buffer", "16", "-o", out});
}

// φ's response to fixed inputs: equal for equal weights.
Embeddings probe(const std::string& phi_file) {
  const Projector p = Projector::load(phi_file);
  Embeddings x(3, p.input_dim());
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = float((i * 37) % 11) / 11.f - 0.5f;
  return p.forward(x);
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> out;
  for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
  return out;
}

TEST(CliTrain, WritesPhiAndOneMetricsLinePerStep) {
  TempDir t;
  auto args = train_args(t.file("phi.safetensors"), 3);
  args.insert(args.end(), {"--log-jsonl", t.file("m.jsonl"), "--log-every", "1"});
  const CliResult r = run_cli(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("step 3/3 loss"), std::string::npos) << r.err;  // not a TTY: log lines
  const Projector p = Projector::load(t.file("phi.safetensors"));
  EXPECT_EQ(p.kind(), ProjectorKind::lincir);
  EXPECT_EQ(p.input_dim(), 64);
  EXPECT_EQ(p.output_dim(), 32);
  EXPECT_EQ(p.training_step(), 3);
  const auto lines = read_jsonl(t.file("m.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(lines[size_t(i)]["step"], i + 1);
    EXPECT_GT(lines[size_t(i)]["loss"].get<double>(), 0.0);
    EXPECT_GE(lines[size_t(i)]["captions_per_second"].get<double>(), 0.0);
  }
  // Warm-up of 1 step then cosine decay over 3 steps (trainer schedule: lr at the step's start).
  EXPECT_NEAR(lines[1]["lr"].get<double>(), 1e-3, 1e-9);
  EXPECT_NEAR(lines[2]["lr"].get<double>(), 5e-4, 1e-9);

  // The same run in-process gives the same φ (the CLI only maps flags).
  TrainerOptions o;
  o.steps = 3;
  o.batch_size = 4;
  o.lr = 1e-3f;
  o.warmup_steps = 1;
  o.cosine = true;
  o.seed = 7;
  o.data.shuffle_buffer = 16;
  set_num_threads(1);
  Trainer tr(parity_model(), o);
  tr.fit(data_path("keywords/spans.jsonl"));
  tr.projector().save(t.file("lib.safetensors"));
  EXPECT_EQ(probe(t.file("lib.safetensors")), probe(t.file("phi.safetensors")));
}

TEST(CliTrain, ResumeFromACheckpointIsBitExact) {
  TempDir t;
  ASSERT_EQ(run_cli(train_args(t.file("full.safetensors"), 4)).rc, 0);
  auto first = train_args(t.file("half.safetensors"), 2);
  first.insert(first.end(), {"--checkpoint", t.file("ckpt.safetensors")});
  ASSERT_EQ(run_cli(first).rc, 0);
  ASSERT_TRUE(fs::exists(t.file("ckpt.safetensors")));
  // Without --resume an existing checkpoint is not silently overwritten.
  auto again = train_args(t.file("x.safetensors"), 4);
  again.insert(again.begin(), "-q");
  again.insert(again.end(), {"--checkpoint", t.file("ckpt.safetensors")});
  expect_one_line_error(run_cli(again), "--resume");
  auto second = train_args(t.file("resumed.safetensors"), 4);
  second.insert(second.end(), {"--checkpoint", t.file("ckpt.safetensors"), "--resume"});
  const CliResult r = run_cli(second);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from"), std::string::npos) << r.err;
  EXPECT_EQ(probe(t.file("resumed.safetensors")), probe(t.file("full.safetensors")));
  EXPECT_NE(probe(t.file("half.safetensors")), probe(t.file("full.safetensors")));
}

TEST(CliTrain, OptionsAndBadInput) {
  TempDir t;
  // Epochs are converted to steps from the corpus size; mix masking, bf16, no noise, clipping.
  auto args = with_model({"train", "--captions", data_path("keywords/spans.jsonl"), "--epochs", "0.01",
                          "--batch-size", "4", "--mask-mode", "mix", "--mix-ratio", "0.3", "--precision", "bf16",
                          "--noise-scale", "0", "--grad-clip-norm", "1", "--dropout", "0.2", "--wd", "0",
                          "-o", t.file("p.safetensors")});
  const CliResult r = run_cli(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("captions, "), std::string::npos) << r.err;
  EXPECT_GE(Projector::load(t.file("p.safetensors")).training_step(), 1);
  // Validation writes the best φ.
  auto v = train_args(t.file("v.safetensors"), 2);
  v.insert(v.end(), {"--val-captions", data_path("keywords/spans.jsonl"), "--val-every", "1", "--val-size", "8",
                     "--best-output", t.file("best.safetensors"), "--log-jsonl", t.file("v.jsonl")});
  ASSERT_EQ(run_cli(v).rc, 0);
  EXPECT_TRUE(fs::exists(t.file("best.safetensors")));
  EXPECT_TRUE(read_jsonl(t.file("v.jsonl"))[1].contains("validation"));

  expect_one_line_error(run_cli(with_model({"-q", "train", "--captions", data_path("keywords/spans.jsonl"), "-o", t.file("a")})), "--steps");
  expect_one_line_error(run_cli(with_model({"-q", "train", "--captions", data_path("keywords/spans.jsonl"), "--steps", "1",
                                            "--resume", "-o", t.file("a")})), "--checkpoint");
}

}  // namespace
}  // namespace lincir
