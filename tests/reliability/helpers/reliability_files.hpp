// What the SIGKILL test's writer saves, shared by the writer (helpers/atomic_writer.cpp) and the
// test that checks the files (test_atomic_kill.cpp), so both derive the same expected content.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lincir/captions.hpp"
#include "lincir/common.hpp"
#include "lincir/projector.hpp"
#include "lincir/trainer.hpp"

namespace lincir::reliability {

constexpr int kDim = 64;          // the parity model's embedding size
constexpr int64_t kRows = 12000;  // 12000 x 64 float32: a 3 MB gallery file
constexpr const char* kGalleryFile = "gallery.lcg";
constexpr const char* kPhiFile = "phi.safetensors";
constexpr const char* kCheckpointFile = "trainer.ckpt";

inline Embeddings gallery_vectors() {
  std::mt19937 rng(1234);
  std::normal_distribution<float> n;
  Embeddings e(kRows, kDim);
  for (int64_t i = 0; i < e.size(); ++i) e.data()[i] = n(rng);
  return e;
}

inline std::vector<int64_t> gallery_ids(int64_t version) {
  std::vector<int64_t> ids(kRows);
  for (int64_t i = 0; i < kRows; ++i) ids[i] = version * kRows + i;
  return ids;
}

// The parity model: embed_dim 64, text width 32; hidden 4P = 256 (a 0.4 MB φ file).
inline ProjectorConfig phi_config() {
  ProjectorConfig c;
  c.input_dim = kDim;
  c.output_dim = 32;
  c.backbone = "parity";
  return c;
}

inline TrainerOptions trainer_options() {
  TrainerOptions o;
  o.batch_size = 2;
  o.mask_mode = MaskMode::whole_caption;
  o.seed = 5;
  return o;
}

inline std::vector<CaptionRecord> captions() {
  std::vector<CaptionRecord> b(2);
  b[0].text = "a red car parked on a street";
  b[1].text = "two dogs playing in the snow";
  return b;
}

}  // namespace lincir::reliability
