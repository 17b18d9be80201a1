// lincir_model and lincir_context: loading, encoding and composition.
#include <algorithm>

#include "capi_handles.hpp"

using namespace lincir;

namespace {

lincir_model_params default_model_params() {
  lincir_model_params p{};
  p.struct_size = sizeof(p);
  p.device = nullptr;
  p.dtype = LINCIR_DTYPE_FLOAT32;
  p.config_path = nullptr;
  p.phi_path = nullptr;
  p.preprocess = LINCIR_PREPROCESS_OPENAI;
  return p;
}

void check_out(size_t n, size_t dim, const float* out, size_t out_len) {
  LINCIR_C_NOT_NULL(out);
  LINCIR_C_ARG(out_len >= n * dim, "output buffer holds " + std::to_string(out_len) +
                                       " floats, " + std::to_string(n * dim) + " needed");
}

void copy_out(const Embeddings& e, float* out) {
  std::copy(e.data(), e.data() + e.size(), out);
}

std::vector<std::string> texts_of(const char* const* texts, size_t n) {
  LINCIR_C_NOT_NULL(texts);
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    LINCIR_C_ARG(texts[i] != nullptr, "texts[" + std::to_string(i) + "] is NULL");
    v.emplace_back(texts[i]);
  }
  return v;
}

// A text without the marker is a modification: put it into the CIRR template.
std::vector<std::string> prompts_of(const lincir_model& m, std::vector<std::string> texts) {
  const Tokenizer& tok = m.clip.tokenizer();
  for (auto& t : texts) {
    auto ids = tok.encode(t);
    if (std::find(ids.begin(), ids.end(), m.composer->marker_token()) == ids.end())
      t = PromptTemplate::cirr().apply(t);
  }
  return texts;
}

const lincir_model& model_of(const lincir_context* ctx) {
  LINCIR_C_NOT_NULL(ctx);
  return *ctx->model;
}

const Composer& composer_of(const lincir_model& m) {
  LINCIR_CHECK(m.composer.has_value(),
               "the model has no projector: load one with lincir_model_params.phi_path");
  return *m.composer;
}

}  // namespace

extern "C" {

int lincir_model_params_init(lincir_model_params* params) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(params);
  *params = default_model_params();
  LINCIR_C_CATCH
}

int lincir_model_load(lincir_model** out, const char* clip_path,
                      const lincir_model_params* params) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(clip_path);
  const lincir_model_params p = capi::read_params(params, default_model_params(), "lincir_model_params");
  ClipLoadOptions o;
  if (p.device) o.device = Device::parse(p.device);
  LINCIR_C_ARG(p.dtype >= LINCIR_DTYPE_FLOAT32 && p.dtype <= LINCIR_DTYPE_BFLOAT16,
               "invalid dtype " + std::to_string(p.dtype));
  o.dtype = p.dtype == LINCIR_DTYPE_FLOAT16   ? DType::float16
            : p.dtype == LINCIR_DTYPE_BFLOAT16 ? DType::bfloat16
                                               : DType::float32;
  if (p.config_path) o.config_path = p.config_path;
  LINCIR_C_ARG(p.preprocess == LINCIR_PREPROCESS_OPENAI || p.preprocess == LINCIR_PREPROCESS_HF,
               "invalid preprocess " + std::to_string(p.preprocess));
  auto m = std::make_unique<lincir_model>(lincir_model{ClipModel::load(clip_path, o), std::nullopt,
                                                       PreprocessMode::openai});
  m->preprocess = p.preprocess == LINCIR_PREPROCESS_HF ? PreprocessMode::hf : PreprocessMode::openai;
  if (p.phi_path) {
    ProjectorLoadOptions po;
    po.expect_input_dim = m->clip.config().embed_dim;
    po.expect_output_dim = m->clip.config().text_width;
    ComposerOptions co;
    co.preprocess = m->preprocess;
    m->composer.emplace(m->clip, Projector::load(p.phi_path, po), co);
  }
  *out = m.release();
  LINCIR_C_CATCH
}

void lincir_model_free(lincir_model* model) noexcept { delete model; }

int lincir_model_embed_dim(const lincir_model* model) noexcept {
  return model ? model->clip.config().embed_dim : -1;
}

int lincir_model_has_projector(const lincir_model* model) noexcept {
  return model ? (model->composer ? 1 : 0) : -1;
}

int lincir_context_new(lincir_context** out, const lincir_model* model) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(model);
  *out = new lincir_context{model};
  LINCIR_C_CATCH
}

void lincir_context_free(lincir_context* ctx) noexcept { delete ctx; }

int lincir_encode_images(lincir_context* ctx, const lincir_image* const* images, size_t n,
                         int normalize, float* out, size_t out_len) noexcept {
  LINCIR_C_TRY
  const lincir_model& m = model_of(ctx);
  if (n == 0) return LINCIR_OK;
  LINCIR_C_NOT_NULL(images);
  const size_t dim = static_cast<size_t>(m.clip.config().embed_dim);
  check_out(n, dim, out, out_len);
  std::vector<Image> imgs;
  imgs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    LINCIR_C_ARG(images[i] != nullptr, "images[" + std::to_string(i) + "] is NULL");
    imgs.push_back(images[i]->image);
  }
  Embeddings e = m.clip.encode_images(imgs, m.preprocess);
  copy_out(normalize ? lincir::normalize(e) : e, out);
  LINCIR_C_CATCH
}

int lincir_encode_texts(lincir_context* ctx, const char* const* texts, size_t n, int normalize,
                        float* out, size_t out_len) noexcept {
  LINCIR_C_TRY
  const lincir_model& m = model_of(ctx);
  if (n == 0) return LINCIR_OK;
  auto v = texts_of(texts, n);
  check_out(n, static_cast<size_t>(m.clip.config().embed_dim), out, out_len);
  Embeddings e = m.clip.encode_text(v);
  copy_out(normalize ? lincir::normalize(e) : e, out);
  LINCIR_C_CATCH
}

int lincir_compose(lincir_context* ctx, const lincir_image* const* references,
                   const char* const* texts, size_t n, float* out, size_t out_len) noexcept {
  LINCIR_C_TRY
  const lincir_model& m = model_of(ctx);
  const Composer& c = composer_of(m);
  if (n == 0) return LINCIR_OK;
  LINCIR_C_NOT_NULL(references);
  auto v = prompts_of(m, texts_of(texts, n));
  check_out(n, static_cast<size_t>(c.embed_dim()), out, out_len);
  std::vector<Image> imgs;
  for (size_t i = 0; i < n; ++i) {
    LINCIR_C_ARG(references[i] != nullptr, "references[" + std::to_string(i) + "] is NULL");
    imgs.push_back(references[i]->image);
  }
  copy_out(c.compose(imgs, v), out);
  LINCIR_C_CATCH
}

int lincir_compose_embeddings(lincir_context* ctx, const float* reference_embeddings, size_t n,
                              size_t dim, const char* const* texts, float* out,
                              size_t out_len) noexcept {
  LINCIR_C_TRY
  const lincir_model& m = model_of(ctx);
  const Composer& c = composer_of(m);
  if (n == 0) return LINCIR_OK;
  LINCIR_C_NOT_NULL(reference_embeddings);
  LINCIR_C_ARG(dim == static_cast<size_t>(c.embed_dim()),
               "dim " + std::to_string(dim) + " does not match the model's embedding size " +
                   std::to_string(c.embed_dim()));
  auto v = prompts_of(m, texts_of(texts, n));
  check_out(n, dim, out, out_len);
  Eigen::Map<const Embeddings> emb(reference_embeddings, static_cast<Eigen::Index>(n),
                                   static_cast<Eigen::Index>(dim));
  copy_out(c.compose_embeddings(emb, v), out);
  LINCIR_C_CATCH
}

}  // extern "C"
