// Internal: the training batches of ClipPretrainer (scenes, hard negatives, renders, captions).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lincir/clip_pretrain.hpp"
#include "lincir/synth.hpp"
#include "lincir/tokenizer.hpp"

namespace lincir::detail {

struct Batch {
  std::vector<synth::Scene> scenes;
  std::vector<std::string> captions;
  std::vector<int32_t> ids;   // [B, context_length] clip.tokenize output
  std::vector<float> pixels;  // [B, 3, R, R] CLIP-normalised
};

class BatchMaker {
 public:
  explicit BatchMaker(const ClipPretrainOptions& options);
  // The batch of step `step`: a pure function of (options, step).
  Batch make(int64_t step, const Tokenizer& tokenizer) const;
  // An upper bound on the distinct BPE ids the world's texts can produce (its vocabulary's
  // pieces, SOT/EOT/padding) plus headroom.
  int64_t vocabulary_bound(const Tokenizer& tokenizer) const;

 private:
  ClipPretrainOptions opt_;
  synth::Captioner free_;
  synth::Captioner complete_;
};

}  // namespace lincir::detail
