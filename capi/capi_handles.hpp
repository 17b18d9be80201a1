// The opaque handle types of lincir.h: thin owners of the C++ objects.
#pragma once

#include "capi_internal.hpp"
#include "lincir/gallery.hpp"
#include "lincir/image.hpp"

struct lincir_image {
  lincir::Image image;
};

struct lincir_gallery {
  lincir::Gallery gallery;
};

#include <optional>

#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/trainer.hpp"

struct lincir_model {
  lincir::ClipModel clip;
  std::optional<lincir::Composer> composer;  // when a projector was loaded
  lincir::PreprocessMode preprocess = lincir::PreprocessMode::openai;
};

// Contexts hold no scratch state yet; the handle keeps the per-thread contract in the ABI so
// per-thread buffers can be added without breaking callers.
struct lincir_context {
  const lincir_model* model;
};

struct lincir_trainer {
  const lincir_model* model;
  lincir_trainer_params params;
  std::string text_field;
  std::optional<lincir::Trainer> trainer;
};
