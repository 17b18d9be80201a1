#include "clip/int8_linear.hpp"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <mutex>

#include "lincir/common.hpp"

namespace lincir::detail {

namespace {

bool onednn_available() {
  const auto& engines = at::globalContext().supportedQEngines();
  return std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) != engines.end();
}

}  // namespace

bool int8_linear_available() { return int8_gemm_available() || onednn_available(); }

Int8Linear::Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias) {
  LINCIR_CHECK_STATUS(int8_linear_available(), Status::unsupported,
                      "int8 linear layers need an AVX2 CPU or LibTorch's oneDNN quantized engine");
  LINCIR_CHECK(weight.defined() && weight.dim() == 2 && weight.device().is_cpu(),
               "int8 linear: weight must be a 2-D CPU tensor");
  c10::InferenceMode guard;
  const torch::Tensor w = weight.to(torch::kFloat).contiguous();
  out_ = w.size(0);
  in_ = w.size(1);
  if (int8_gemm_available()) {
    LINCIR_CHECK(!bias.defined() || bias.numel() == out_, "int8 linear: bias size mismatch");
    const torch::Tensor b = bias.defined() ? bias.to(torch::kFloat).contiguous() : torch::Tensor();
    avx2_ = std::make_shared<const PackedInt8Weights>(pack_int8_weights(
        w.data_ptr<float>(), b.defined() ? b.data_ptr<float>() : nullptr, out_, in_));
    return;
  }
  // Symmetric per-channel scales; an all-zero row keeps a tiny positive scale (quantizes to 0).
  const torch::Tensor scale =
      (w.abs().amax(1).to(torch::kDouble) / 127.0).clamp_min(1e-12);
  const torch::Tensor zero = torch::zeros({out_}, torch::kLong);
  // Vectorised round-to-nearest-even (at::quantize_per_channel rounds element by element).
  const torch::Tensor q =
      at::round(w / scale.to(torch::kFloat).unsqueeze(1)).clamp_(-127, 127).to(torch::kChar);
  const torch::Tensor qw = at::_make_per_channel_quantized_tensor(q, scale, zero, 0);
  c10::optional<at::Tensor> b;
  if (bias.defined()) b = bias.to(torch::kFloat).contiguous();
  static const auto prepack =
      c10::Dispatcher::singleton()
          .findSchemaOrThrow("quantized::linear_prepack", "")
          .typed<c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>)>();
  // The packing backend follows the process-wide quantized engine: select oneDNN for this call
  // only (serialised, so concurrent loads cannot interleave their engine switches).
  static std::mutex engine_mutex;
  std::lock_guard<std::mutex> lock(engine_mutex);
  at::Context& ctx = at::globalContext();
  const at::QEngine previous = ctx.qEngine();
  ctx.setQEngine(at::QEngine::ONEDNN);
  try {
    packed_ = prepack.call(qw, b);
  } catch (...) {
    ctx.setQEngine(previous);
    throw;
  }
  ctx.setQEngine(previous);
}

torch::Tensor Int8Linear::operator()(const torch::Tensor& x) const {
  LINCIR_CHECK(defined() && x.size(-1) == in_, "int8 linear: input has " +
                                                   std::to_string(x.size(-1)) + " features, expected " +
                                                   std::to_string(in_));
  std::vector<int64_t> shape = x.sizes().vec();
  const torch::Tensor x2 = x.to(torch::kFloat).reshape({-1, in_}).contiguous();
  if (avx2_) {
    torch::Tensor y = torch::empty({x2.size(0), out_}, torch::kFloat);
    int8_gemm(*avx2_, x2.data_ptr<float>(), x2.size(0), y.data_ptr<float>());
    shape.back() = out_;
    return y.view(shape);
  }
  torch::Tensor y = packed_->apply_dynamic(x2, /*reduce_range=*/true);
  shape.back() = out_;
  return y.view(shape);
}

}  // namespace lincir::detail
