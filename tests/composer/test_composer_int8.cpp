// Composed queries with int8 linear layers (CLIP towers and φ) against the float32 composer:
// cosine >= 0.995 on the parity model for every projector kind.
#include "composer_fixtures.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

const ClipModel& parity_clip_int8() {
  static const ClipModel model = [] {
    ClipLoadOptions opt;
    opt.config_path = parity_file("model_config.json");
    opt.linear_precision = ClipLoadOptions::LinearPrecision::int8;
    return ClipModel::load(parity_file("weights_openai.safetensors"), opt);
  }();
  return model;
}

double min_row_cosine(const Embeddings& a, const Embeddings& b) {
  double worst = 1.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    const double d = a.row(i).cast<double>().dot(b.row(i).cast<double>());
    worst = std::min(worst, d / (a.row(i).cast<double>().norm() * b.row(i).cast<double>().norm()));
  }
  return worst;
}

}  // namespace

TEST(ComposerInt8, MatchesFloat32ForEveryProjectorKind) {
  const Embeddings img = matrix("phi_outputs.safetensors", "phi_input");
  ASSERT_GT(img.rows(), 1);
  for (ProjectorKind kind : {ProjectorKind::lincir, ProjectorKind::searle, ProjectorKind::pic2word}) {
    SCOPED_TRACE(projector_kind_name(kind));
    // No Pic2Word fixture: a seeded IM2TEXT of the parity sizes, with its marker "*".
    const bool p2w = kind == ProjectorKind::pic2word;
    ProjectorConfig pc;
    pc.kind = kind;
    pc.input_dim = 64;
    pc.output_dim = 32;
    ComposerOptions opt;
    if (p2w) opt.marker = "*";
    const std::vector<std::string> texts = {p2w ? "a photo of * , is red and has a small dog next to it"
                                                : "a photo of $ that is red and has a small dog next to it"};
    const Composer f32(parity_clip(), p2w ? Projector(pc, 5) : parity_phi(kind), opt);
    const Composer q8(parity_clip_int8(), p2w ? Projector(pc, 5) : parity_phi(kind), opt);
    const double phi = min_row_cosine(q8.pseudo_tokens(img), f32.pseudo_tokens(img));
    EXPECT_GE(phi, 0.995);
    EXPECT_LT(phi, 1.0 - 1e-9) << "the int8 φ should differ from float32 (is it used at all?)";
    EXPECT_GE(min_row_cosine(q8.compose_embeddings(img, texts), f32.compose_embeddings(img, texts)),
              0.995);
  }
}
