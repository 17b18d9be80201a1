// Helpers shared by the clip tests: fixture tensors as torch tensors and the parity model.
#pragma once

#include <gtest/gtest.h>
#include <torch/types.h>

#include <string>

#include "clip/towers.hpp"
#include "lincir/clip.hpp"
#include "lincir/safetensors.hpp"
#include "support/test_support.hpp"

namespace lincir::test {

inline std::string parity(const std::string& rel) {
  return data_path("parity/" + rel);
}

// A fixture tensor: float tensors as float32, integer tensors as int64.
inline torch::Tensor fixture_tensor(const SafeTensors& st, const std::string& name) {
  const TensorView& v = st.get(name);
  if (v.dtype == TensorDType::I32 || v.dtype == TensorDType::I64) {
    std::vector<int64_t> x = st.to_int64(name);
    return torch::from_blob(x.data(), v.shape, torch::kLong).clone();
  }
  std::vector<float> x = st.to_float(name);
  return torch::from_blob(x.data(), v.shape, torch::kFloat).clone();
}

inline float max_abs(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30f;
  return (a.to(torch::kCPU, torch::kFloat) - b.to(torch::kCPU, torch::kFloat))
      .abs()
      .max()
      .item<float>();
}

inline torch::Tensor to_tensor(const Embeddings& e) {
  return torch::from_blob(const_cast<float*>(e.data()), {e.rows(), e.cols()}, torch::kFloat)
      .clone();
}

// The parity model (OpenAI names + flat config), loaded once per process and shared.
inline const ClipModel& parity_model() {
  static const ClipModel model = [] {
    ClipLoadOptions opt;
    opt.config_path = parity("model_config.json");
    return ClipModel::load(parity("weights_openai.safetensors"), opt);
  }();
  return model;
}

inline const SafeTensors& text_outputs() {
  static const SafeTensors st = SafeTensors::open(parity("text_outputs.safetensors"));
  return st;
}
inline const SafeTensors& image_outputs() {
  static const SafeTensors st = SafeTensors::open(parity("image_outputs.safetensors"));
  return st;
}

// Status of the Error thrown by `fn` (Status::ok if none); the message goes to *msg.
template <typename Fn>
Status error_of(Fn&& fn, std::string* msg = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

}  // namespace lincir::test
