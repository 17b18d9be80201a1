// The parity CLIP model and φ (tests/data/parity) for the evaluation driver's tests.
#pragma once

#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/projector.hpp"
#include "support/test_support.hpp"

namespace lincir::test {

inline const ClipModel& tiny_clip() {
  static const ClipModel model = [] {
    ClipLoadOptions opt;
    opt.config_path = data_path("parity/model_config.json");
    return ClipModel::load(data_path("parity/weights_openai.safetensors"), opt);
  }();
  return model;
}

inline const Composer& tiny_composer() {
  static const Composer c(tiny_clip(), Projector::load(data_path("parity/phi_weights.safetensors")));
  return c;
}

}  // namespace lincir::test
