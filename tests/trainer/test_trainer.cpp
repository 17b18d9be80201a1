#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "lincir/captions.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/trainer.hpp"
#include "support/test_support.hpp"

using namespace lincir;
using lincir::test::data_path;

namespace {

ClipModel parity_model() {
  ClipLoadOptions o;
  o.config_path = data_path("parity/model_config.json");
  return ClipModel::load(data_path("parity/weights_openai.safetensors"), o);
}

const ClipModel& model() {
  static ClipModel m = parity_model();
  return m;
}

// The hand-labelled real-style captions (450), used as a training corpus.
std::string corpus() { return data_path("keywords/spans.jsonl"); }

std::vector<CaptionRecord> first_captions(size_t n, bool loop = false) {
  CaptionStreamOptions o;
  o.shuffle_buffer = 1;
  o.loop = loop;
  CaptionStream s(corpus(), o);
  std::vector<CaptionRecord> out(n);
  for (auto& r : out) EXPECT_TRUE(s.next(r));
  return out;
}

TrainerOptions small_options() {
  TrainerOptions o;
  o.steps = 8;
  o.batch_size = 16;
  o.lr = 1e-3f;
  o.seed = 7;
  o.data.shuffle_buffer = 64;
  return o;
}

std::vector<float> flat_params(const Projector& p) {
  lincir::test::TempDir d;
  p.save(d.file("p.safetensors"));
  auto st = SafeTensors::open(d.file("p.safetensors"));
  std::vector<float> all;
  for (const auto& n : st.names()) {
    auto v = st.to_float(n);
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

}  // namespace

TEST(Trainer, MaskModes) {
  CaptionRecord rec;
  rec.text = "A red car parked on the street";
  auto o = small_options();
  Trainer kw(model(), o);
  EXPECT_EQ(kw.masked_caption(rec, 0, 0), "$ parked on $");
  o.mask_mode = MaskMode::whole_caption;
  Trainer whole(model(), o);
  EXPECT_EQ(whole.masked_caption(rec, 0, 0), "a photo of $");
  o.mask_mode = MaskMode::mix;
  o.mix_ratio = 0.3f;
  Trainer mix(model(), o);
  int n_whole = 0;
  for (int i = 0; i < 1000; ++i) n_whole += mix.masked_caption(rec, 0, i) == "a photo of $";
  EXPECT_NEAR(n_whole / 1000.0, 0.3, 0.05);
  // Precomputed spans win over the extractor, on word boundaries.
  rec.spans = {"the street"};
  rec.has_spans = true;
  EXPECT_EQ(kw.masked_caption(rec, 0, 0), "a red car parked on $");
  // No keyword at all: one random word is masked.
  CaptionRecord none;
  none.text = "from above";
  const std::string m = kw.masked_caption(none, 0, 0);
  EXPECT_TRUE(m == "$ above" || m == "from $") << m;
}

TEST(Trainer, LossFallsWellBelowUntrainedProjector) {
  auto o = small_options();
  o.steps = 300;
  o.batch_size = 32;
  o.noise_scale = 1.f;
  Trainer t(model(), o);
  auto held = first_captions(64);
  const float untrained = t.evaluate(held);
  float first = 0.f, last = 0.f;
  TrainerCallbacks cb;
  std::vector<float> losses;
  cb.on_step = [&](const TrainerProgress& p) {
    losses.push_back(p.loss);
    EXPECT_GT(p.captions_per_second, 0.0);
    return true;
  };
  auto r = t.fit(corpus(), cb);
  ASSERT_EQ(r.steps, 300);
  ASSERT_EQ(losses.size(), 300u);
  for (int i = 0; i < 10; ++i) first += losses[size_t(i)] / 10;
  for (int i = 290; i < 300; ++i) last += losses[size_t(i)] / 10;
  const float trained = t.evaluate(held);
  std::printf("untrained %.5f  first10 %.5f  last10 %.5f  trained(eval) %.5f\n", untrained, first,
              last, trained);
  EXPECT_LT(last, 0.5f * first);
  EXPECT_LT(trained, 0.5f * untrained);
  EXPECT_EQ(t.projector().training_step(), 300);
}

TEST(Trainer, ResumeIsBitExact) {
  lincir::test::TempDir d;
  auto o = small_options();
  o.steps = 12;
  std::vector<float> straight_losses, resumed_losses;
  TrainerCallbacks cb1;
  cb1.on_step = [&](const TrainerProgress& p) { straight_losses.push_back(p.loss); return true; };
  Trainer straight(model(), o);
  straight.fit(corpus(), cb1);

  o.checkpoint_path = d.file("ckpt.safetensors");
  o.steps = 6;
  TrainerCallbacks cb2;
  cb2.on_step = [&](const TrainerProgress& p) { resumed_losses.push_back(p.loss); return true; };
  {
    Trainer first_half(model(), o);
    first_half.fit(corpus(), cb2);
  }
  o.steps = 12;
  Trainer second_half(model(), o);
  auto r = second_half.fit(corpus(), cb2);
  EXPECT_TRUE(r.resumed);
  ASSERT_EQ(resumed_losses.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(resumed_losses[i], straight_losses[i]) << "step " << i;
  EXPECT_EQ(flat_params(second_half.projector()), flat_params(straight.projector()));
}

TEST(Trainer, NoiseAndSeedMatter) {
  auto o = small_options();
  auto batch = first_captions(16);
  Trainer a(model(), o), b(model(), o);
  EXPECT_EQ(a.train_step(batch), b.train_step(batch));  // same seed: same step
  o.noise_scale = 0.f;
  Trainer c(model(), o);
  EXPECT_NE(a.train_step(batch), c.train_step(batch));
}

TEST(Trainer, CancelAndBadInputs) {
  auto o = small_options();
  o.steps = 50;
  Trainer t(model(), o);
  TrainerCallbacks cb;
  cb.on_step = [](const TrainerProgress& p) { return p.step < 3; };
  auto r = t.fit(corpus(), cb);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(t.step(), 3);

  auto bad = small_options();
  bad.batch_size = 0;
  EXPECT_THROW(Trainer(model(), bad), Error);
  bad = small_options();
  bad.mix_ratio = 2.f;
  EXPECT_THROW(Trainer(model(), bad), Error);
  EXPECT_THROW(t.fit("/nonexistent/captions.txt"), Error);
  EXPECT_THROW(t.train_step({}), Error);

  lincir::test::TempDir d;
  std::ofstream(d.file("junk.safetensors")) << "junk";
  EXPECT_THROW(t.load_checkpoint(d.file("junk.safetensors")), Error);
  // A checkpoint from another configuration is refused with a message.
  t.save_checkpoint(d.file("c.safetensors"));
  auto other = small_options();
  other.batch_size = 8;
  Trainer u(model(), other);
  try {
    u.load_checkpoint(d.file("c.safetensors"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch_size"), std::string::npos) << e.what();
  }
  // A mismatched initial projector.
  ProjectorConfig pc;
  pc.input_dim = 10;
  pc.output_dim = 32;
  Projector wrong(pc);
  EXPECT_THROW(Trainer(model(), small_options(), &wrong), Error);
}
