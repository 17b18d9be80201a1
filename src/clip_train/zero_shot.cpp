// Zero-shot exact-scene classification over a world's single-object universe.
#include <cmath>

#include "lincir/clip_pretrain.hpp"

namespace lincir {

ZeroShotResult evaluate_zero_shot(const ClipModel& model, const synth::World& world,
                                  const ZeroShotOptions& options) {
  LINCIR_CHECK(options.stride >= 1, "ZeroShotOptions.stride must be >= 1");
  const std::vector<synth::Scene> scenes = world.single_object_scenes(synth::Split::all);
  LINCIR_CHECK(!scenes.empty(), "evaluate_zero_shot: the world has no single-object scene");
  const synth::Captioner captioner(world);
  std::vector<std::string> captions;
  for (const synth::Scene& s : scenes) captions.push_back(captioner.canonical(s).text);

  synth::RenderOptions ro = options.render;
  ro.size = model.config().image_resolution;
  std::vector<size_t> queries;
  std::vector<Image> images;
  for (size_t i = 0; i < scenes.size(); i += size_t(options.stride)) {
    queries.push_back(i);
    images.push_back(synth::render(scenes[i], synth::mix_seed(options.seed, i), ro));
  }
  const Embeddings text = model.encode_text(captions);
  const Embeddings img = model.encode_images(images, PreprocessMode::openai);
  const Embeddings tn = normalize(text), in = normalize(img);
  const Eigen::MatrixXf sim = in * tn.transpose();  // [queries, candidates]

  ZeroShotResult r;
  r.candidates = int64_t(scenes.size());
  r.queries = int64_t(queries.size());
  int64_t hit = 0, hit_seen = 0, hit_held = 0, t2i = 0;
  std::array<int64_t, 5> attr{};
  double tsq = 0, isq = 0, cos = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    const size_t truth = queries[q];
    Eigen::Index best = 0;
    sim.row(Eigen::Index(q)).maxCoeff(&best);
    // Text -> image among the query images: the caption of this scene against every image.
    Eigen::Index best_img = 0;
    sim.col(Eigen::Index(truth)).maxCoeff(&best_img);
    t2i += size_t(best_img) == q;
    const bool ok = size_t(best) == truth;
    const bool held = world.has_heldout(scenes[truth]);
    hit += ok;
    (held ? hit_held : hit_seen) += ok;
    (held ? r.queries_heldout : r.queries_seen) += 1;
    if (!held) {
      const synth::Scene& a = scenes[truth];
      const synth::Scene& b = scenes[size_t(best)];
      attr[0] += a.background == b.background && a.texture == b.texture;
      attr[1] += a.objects[0].shape == b.objects[0].shape;
      attr[2] += a.objects[0].color == b.objects[0].color;
      attr[3] += a.objects[0].size == b.objects[0].size;
      attr[4] += a.objects[0].position == b.objects[0].position;
    }
    tsq += double(text.row(Eigen::Index(truth)).squaredNorm());
    isq += double(img.row(Eigen::Index(q)).squaredNorm());
    cos += double(sim(Eigen::Index(q), Eigen::Index(truth)));
  }
  auto pct = [](int64_t a, int64_t b) { return b ? 100.0 * double(a) / double(b) : 0.0; };
  r.top1 = pct(hit, r.queries);
  r.top1_seen = pct(hit_seen, r.queries_seen);
  r.top1_heldout = pct(hit_held, r.queries_heldout);
  r.text_to_image_top1 = pct(t2i, r.queries);
  for (int k = 0; k < 5; ++k) r.attribute_accuracy[size_t(k)] = pct(attr[size_t(k)], r.queries_seen);
  const double dim = double(text.cols());
  r.text_rms = std::sqrt(tsq / (double(r.queries) * dim));
  r.image_rms = std::sqrt(isq / (double(r.queries) * dim));
  r.matched_cosine = cos / double(r.queries);
  return r;
}

}  // namespace lincir
