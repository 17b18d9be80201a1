// Shared fixtures of the composer tests: the parity CLIP model, the parity φ, and fixture tensors.
#pragma once

#include <gtest/gtest.h>
#include <torch/types.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/projector.hpp"
#include "lincir/safetensors.hpp"
#include "support/test_support.hpp"

namespace lincir::test {

inline std::string parity_file(const std::string& rel) { return data_path("parity/" + rel); }

inline const ClipModel& parity_clip() {
  static const ClipModel model = [] {
    ClipLoadOptions opt;
    opt.config_path = parity_file("model_config.json");
    return ClipModel::load(parity_file("weights_openai.safetensors"), opt);
  }();
  return model;
}

inline Projector parity_phi(ProjectorKind kind = ProjectorKind::lincir) {
  ProjectorLoadOptions o;
  o.kind = kind;
  return Projector::load(parity_file("phi_weights.safetensors"), o);
}

inline Composer make_composer(ComposerOptions opt = {}, ProjectorKind kind = ProjectorKind::lincir) {
  return Composer(parity_clip(), parity_phi(kind), opt);
}

inline const SafeTensors& fixture(const std::string& file) {
  static std::map<std::string, SafeTensors> cache;
  auto it = cache.find(file);
  if (it == cache.end()) it = cache.emplace(file, SafeTensors::open(parity_file(file))).first;
  return it->second;
}

inline Embeddings matrix(const std::string& file, const std::string& name) {
  const auto& st = fixture(file);
  const auto& v = st.get(name);
  EXPECT_EQ(v.shape.size(), 2u) << name;
  auto values = st.to_float(name);
  Embeddings m(v.shape[0], v.shape[1]);
  std::memcpy(m.data(), values.data(), values.size() * sizeof(float));
  return m;
}

inline torch::Tensor tensor(const std::string& file, const std::string& name) {
  const auto& st = fixture(file);
  const auto& v = st.get(name);
  if (v.dtype == TensorDType::I32 || v.dtype == TensorDType::I64) {
    auto x = st.to_int64(name);
    return torch::from_blob(x.data(), v.shape, torch::kLong).clone();
  }
  auto x = st.to_float(name);
  return torch::from_blob(x.data(), v.shape, torch::kFloat).clone();
}

inline torch::Tensor as_tensor(const Embeddings& e) {
  return torch::from_blob(const_cast<float*>(e.data()), {e.rows(), e.cols()}, torch::kFloat).clone();
}

inline float max_diff(const Embeddings& a, const Embeddings& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  if (a.rows() != b.rows() || a.cols() != b.cols()) return 1e30f;
  return (a - b).cwiseAbs().maxCoeff();
}

inline float max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30f;
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).abs().max().item<float>();
}

template <typename Fn>
Status error_status(Fn&& fn, std::string* msg = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

}  // namespace lincir::test
