#include "clip_train/batch.hpp"

#include <set>
#include <unordered_set>

#include "lincir/image.hpp"

namespace lincir::detail {
namespace {

synth::CaptionOptions complete_options() {
  synth::CaptionOptions o;
  o.complete = true;
  return o;
}

}  // namespace

BatchMaker::BatchMaker(const ClipPretrainOptions& options)
    : opt_(options),
      free_(options.world, options.captions),
      complete_(options.world, complete_options()) {
  opt_.render.size = options.config.image_resolution;
}

int64_t BatchMaker::vocabulary_bound(const Tokenizer& tokenizer) const {
  std::set<int32_t> ids{0, Tokenizer::kSot, Tokenizer::kEot};
  for (const auto& [word, pos] : synth::vocabulary())
    for (int32_t id : tokenizer.encode(word)) ids.insert(id);
  return int64_t(ids.size()) + 256;
}

Batch BatchMaker::make(int64_t step, const Tokenizer& tokenizer) const {
  const int B = opt_.batch_size;
  const int R = opt_.config.image_resolution;
  const int hard = int(double(B) * opt_.hard_negative_fraction + 0.5);
  const int base = std::max(1, B - hard);
  synth::Rng rng(synth::mix_seed(opt_.seed, uint64_t(step) + 1));
  Batch b;
  std::unordered_set<std::string> keys;
  auto add = [&](const synth::Scene& s) {
    if (!keys.insert(s.key()).second) return false;
    b.scenes.push_back(s);
    return true;
  };
  // Distinct scenes: a repeated scene would be a false negative of InfoNCE.
  for (int attempts = 0; int(b.scenes.size()) < base && attempts < 100 * B; ++attempts)
    add(opt_.world.sample(rng, synth::Split::train));
  const size_t n_base = b.scenes.size();
  for (size_t i = 0; int(b.scenes.size()) < B; ++i) {
    LINCIR_CHECK(i < size_t(B) * 1000, "ClipPretrainer: the world has fewer than " +
                                           std::to_string(B) + " distinct training scenes");
    bool added = false;
    if (i < size_t(hard) * 4) {
      std::vector<synth::Scene> nb = opt_.world.neighbors(b.scenes[i % n_base], synth::Split::train);
      for (int tries = 0; tries < 8 && !nb.empty() && !added; ++tries) added = add(rng.pick(nb));
    }
    if (!added) add(opt_.world.sample(rng, synth::Split::train));
  }
  b.pixels.resize(size_t(B) * 3 * R * R);
  PreprocessOptions pp;
  pp.size = R;
  pp.mode = PreprocessMode::openai;
  for (int i = 0; i < B; ++i) {
    const synth::Scene& s = b.scenes[size_t(i)];
    const Image img = synth::render(s, rng.next_u64(), opt_.render);
    preprocess_into(img, b.pixels.data() + size_t(i) * 3 * R * R, pp);
    const bool complete = rng.bernoulli(opt_.complete_caption_fraction);
    b.captions.push_back((complete ? complete_ : free_).caption(s, rng, synth::Split::train).text);
  }
  b.ids = tokenizer.tokenize(b.captions, opt_.config.context_length, true);
  return b;
}

}  // namespace lincir::detail
