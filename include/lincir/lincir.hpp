// lincir: the whole public C++ API in one include. Each header documents its classes'
// ownership, lifetime and thread safety; none includes LibTorch.
#pragma once

#include "lincir/benchmarks.hpp"
#include "lincir/captions.hpp"
#include "lincir/clip.hpp"
#include "lincir/clip_pretrain.hpp"
#include "lincir/common.hpp"
#include "lincir/composer.hpp"
#include "lincir/demo.hpp"
#include "lincir/eval.hpp"
#include "lincir/gallery.hpp"
#include "lincir/image.hpp"
#include "lincir/keywords.hpp"
#include "lincir/projector.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/synth.hpp"
#include "lincir/tokenizer.hpp"
#include "lincir/trainer.hpp"
#include "lincir/version.hpp"
