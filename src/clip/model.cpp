// ClipModel: the public, torch-free face of the towers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "clip/loader.hpp"
#include "clip/towers.hpp"
#include "lincir/clip.hpp"

namespace lincir {

struct ClipModel::Impl {
  std::shared_ptr<const detail::ClipTowers> towers;
  Device device;
  DType dtype = DType::float32;
  int batch_size = 32;
  // Created on first use: models used only with token ids / pixels never pay for it.
  mutable std::once_flag tokenizer_once;
  mutable std::unique_ptr<Tokenizer> tokenizer;
};

namespace {

Embeddings to_embeddings(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kFloat).contiguous();
  Embeddings out(c.size(0), c.size(1));
  if (c.numel() > 0) std::memcpy(out.data(), c.data_ptr<float>(), sizeof(float) * c.numel());
  return out;
}

// Runs `fn` on row chunks of at most `batch` rows and stacks the [rows, E] results.
template <typename Fn>
Embeddings chunked(int64_t n, int batch, int64_t embed_dim, Fn fn) {
  Embeddings out(n, embed_dim);
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t rows = std::min<int64_t>(batch, n - begin);
    const Embeddings part = to_embeddings(fn(begin, rows));
    out.middleRows(begin, rows) = part;
  }
  return out;
}

// Torch failures (out of memory, kernels missing for a dtype) become lincir errors.
template <typename Fn>
auto guarded(const char* what, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    LINCIR_THROW(Status::internal, std::string(what) + " failed: " + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    LINCIR_THROW(Status::out_of_memory, std::string(what) + ": out of memory");
  }
}

}  // namespace

ClipModel::ClipModel(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
ClipModel::~ClipModel() = default;

ClipModel ClipModel::load(const std::string& path, const ClipLoadOptions& options) {
  LINCIR_CHECK(options.batch_size > 0, "ClipLoadOptions::batch_size must be positive");
  auto impl = std::make_shared<Impl>();
  impl->towers = detail::load_towers(path, options);
  if (options.linear_precision == ClipLoadOptions::LinearPrecision::int8) {
    auto quantized = std::make_shared<detail::ClipTowers>(*impl->towers);  // shares the weights
    guarded("int8 quantization of the CLIP linear layers",
            [&] { quantized->quantize_linears_int8(); });
    impl->towers = std::move(quantized);
  }
  impl->device = options.device;
  impl->dtype = options.dtype;
  impl->batch_size = options.batch_size;
  return ClipModel(std::move(impl));
}

const ClipConfig& ClipModel::config() const {
  return impl_->towers->config();
}
Device ClipModel::device() const {
  return impl_->device;
}
DType ClipModel::dtype() const {
  return impl_->dtype;
}

const Tokenizer& ClipModel::tokenizer() const {
  std::call_once(impl_->tokenizer_once, [&] { impl_->tokenizer = std::make_unique<Tokenizer>(); });
  return *impl_->tokenizer;
}

Embeddings ClipModel::encode_text(const std::vector<std::string>& texts) const {
  const int ctx = config().context_length;
  const std::vector<int32_t> ids = tokenizer().tokenize(texts, ctx, /*truncate=*/true);
  return encode_tokens(ids.data(), static_cast<int64_t>(texts.size()), ctx);
}

Embeddings ClipModel::encode_tokens(const int32_t* ids, int64_t n, int64_t context_length) const {
  const ClipConfig& c = config();
  LINCIR_CHECK(n >= 0, "encode_tokens: negative row count " + std::to_string(n));
  LINCIR_CHECK(context_length >= 1 && context_length <= c.context_length,
               "encode_tokens: context_length " + std::to_string(context_length) +
                   " is outside [1, " + std::to_string(c.context_length) + "]");
  LINCIR_CHECK(ids != nullptr || n == 0, "encode_tokens: null ids");
  for (int64_t i = 0; i < n * context_length; ++i) {
    LINCIR_CHECK(ids[i] >= 0 && ids[i] < c.vocab_size,
                 "encode_tokens: token id " + std::to_string(ids[i]) + " at row " +
                     std::to_string(i / context_length) + ", position " +
                     std::to_string(i % context_length) + " is outside [0, " +
                     std::to_string(c.vocab_size) + ")");
  }
  return guarded("CLIP text encoding", [&] {
    c10::InferenceMode guard;
    const torch::Tensor all =
        torch::from_blob(const_cast<int32_t*>(ids), {n, context_length}, torch::kInt);
    return chunked(n, impl_->batch_size, c.embed_dim, [&](int64_t begin, int64_t rows) {
      return impl_->towers->encode_text(all.narrow(0, begin, rows));
    });
  });
}

Embeddings ClipModel::encode_pixels(const float* chw, int64_t n) const {
  const ClipConfig& c = config();
  const int64_t r = c.image_resolution;
  LINCIR_CHECK(n >= 0, "encode_pixels: negative image count " + std::to_string(n));
  LINCIR_CHECK(chw != nullptr || n == 0, "encode_pixels: null pixels");
  return guarded("CLIP image encoding", [&] {
    c10::InferenceMode guard;
    const torch::Tensor all =
        torch::from_blob(const_cast<float*>(chw), {n, 3, r, r}, torch::kFloat);
    return chunked(n, impl_->batch_size, c.embed_dim, [&](int64_t begin, int64_t rows) {
      return impl_->towers->encode_image(all.narrow(0, begin, rows));
    });
  });
}

Embeddings ClipModel::encode_images(const std::vector<Image>& images, PreprocessMode mode) const {
  PreprocessOptions opt;
  opt.size = config().image_resolution;
  opt.mode = mode;
  // Preprocess chunk by chunk so a large batch never holds all float pixels at once.
  const int64_t n = static_cast<int64_t>(images.size());
  const size_t per_image = size_t(3) * opt.size * opt.size;
  Embeddings out(n, config().embed_dim);
  std::vector<float> px;
  for (int64_t begin = 0; begin < n; begin += impl_->batch_size) {
    const int64_t rows = std::min<int64_t>(impl_->batch_size, n - begin);
    px.resize(per_image * rows);
    for (int64_t i = 0; i < rows; ++i)
      preprocess_into(images[begin + i], px.data() + i * per_image, opt);
    out.middleRows(begin, rows) = encode_pixels(px.data(), rows);
  }
  return out;
}

Embeddings normalize(const EmbeddingsRef& x) {
  Embeddings out = x;
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    const double norm = out.row(i).cast<double>().norm();
    if (norm > 0) out.row(i) /= static_cast<float>(norm);
  }
  return out;
}

namespace detail {
const ClipTowers& towers(const ClipModel& model) {
  return *model.impl_->towers;
}
std::shared_ptr<const ClipTowers> shared_towers(const ClipModel& model) {
  return model.impl_->towers;
}
}  // namespace detail

}  // namespace lincir
