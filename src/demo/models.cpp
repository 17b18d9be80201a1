// The demo's models: φ variants, loading, language-only φ training on world captions, and
// float16 projector files.
#include <Eigen/Core>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/file_io.hpp"
#include "lincir/demo.hpp"
#include "lincir/safetensors.hpp"

namespace lincir::demo {

std::vector<PhiVariant> phi_variants() {
  std::vector<PhiVariant> v;
  v.push_back({"keywords", "LinCIR (keyword spans, noise 1; library default)", MaskMode::keywords,
               1.f, true});
  v.push_back({"keywords_nonoise", "LinCIR without noise (keyword spans, noise 0)",
               MaskMode::keywords, 0.f, false});
  v.push_back({"caption", "LinCIR, whole-caption masking ('a photo of $')",
               MaskMode::whole_caption, 1.f, false});
  v.push_back({"mix", "LinCIR, mixed masking (50% whole caption)", MaskMode::mix, 1.f, false});
  return v;
}

LoadedModels load_models(const ModelFiles& files) {
  LoadedModels m{ClipModel::load(files.clip()), {}};
  for (const PhiVariant& v : phi_variants()) {
    const std::string path = files.phi(v.name);
    if (!v.is_default && !detail::file_exists(path)) continue;
    LINCIR_CHECK_STATUS(detail::file_exists(path), Status::io,
                        "demo models: the default projector '" + path + "' is missing");
    ProjectorLoadOptions lo;
    lo.expect_input_dim = m.clip.config().embed_dim;
    lo.expect_output_dim = m.clip.config().text_width;
    m.projectors.emplace_back(v, Projector::load(path, lo));
  }
  return m;
}

TrainerOptions PhiTrainOptions::default_trainer_options() {
  TrainerOptions o;  // mask_mode keywords and noise_scale 1 stay the library's defaults
  o.steps = 1000;
  o.batch_size = 256;
  o.lr = 5e-4f;
  o.weight_decay = 0.01f;
  o.warmup_steps = 100;
  o.cosine = true;
  o.seed = 0;
  return o;
}

Projector train_projector(const ClipModel& clip, const PhiTrainOptions& options,
                          const std::function<bool(const TrainerProgress&)>& on_step) {
  Trainer trainer(clip, options.trainer);
  synth::CaptionCorpus corpus(synth::Captioner(options.world, options.captions),
                              synth::mix_seed(options.trainer.seed, 0xCA9), synth::Split::train);
  const int B = options.trainer.batch_size;
  while (trainer.step() < options.trainer.steps) {
    std::vector<CaptionRecord> batch;
    batch.reserve(size_t(B));
    for (const synth::Caption& c : corpus.next_batch(B)) {
      CaptionRecord r;
      r.text = c.text;
      r.spans = synth::keyword_spans(c);  // exact: from the generator's tags
      r.has_spans = true;
      batch.push_back(std::move(r));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const float loss = trainer.train_step(batch);
    const double dt =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (on_step) {
      TrainerProgress p;
      p.step = trainer.step();
      p.total_steps = options.trainer.steps;
      p.loss = loss;
      p.captions_per_second = dt > 0 ? double(B) / dt : 0.0;
      if (!on_step(p)) break;
    }
  }
  return trainer.projector().clone();
}

void save_projector_fp16(const Projector& phi, const std::string& path) {
  const std::string tmp = path + ".f32.tmp";
  phi.save(tmp);
  std::vector<std::vector<Eigen::half>> data;
  std::vector<TensorToWrite> out;
  std::map<std::string, std::string> meta;
  {
    SafeTensors st = SafeTensors::open(tmp);
    meta = st.metadata();
    for (const std::string& name : st.names()) {
      const std::vector<float> f = st.to_float(name);
      data.emplace_back(f.size());
      for (size_t i = 0; i < f.size(); ++i) data.back()[i] = Eigen::half(f[i]);
    }
    size_t k = 0;
    for (const std::string& name : st.names())
      out.push_back({name, TensorDType::F16, st.get(name).shape, data[k++].data()});
  }
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  save_safetensors(path, out, meta);
}

}  // namespace lincir::demo
