// The projector φ: maps a CLIP image embedding (projection space, P values) to a pseudo-word
// token embedding (text-tower width, W values) that the composer places where the prompt has its
// marker (`$`).
//
// Three published projectors are supported side by side, as LinCIR's demo offers them:
//   - lincir   LinCIR's Phi (navervision/lincir models.py):
//              Linear(P,H) -> GELU(erf) -> Dropout(p) -> Linear(H,H) -> GELU -> Dropout(p) ->
//              Linear(H,W), H = 4P, p = 0.5 while training. State-dict keys
//              layers.{0,3,6}.{weight,bias}.
//   - searle   SEARLE's Phi (miccunifi/SEARLE src/phi.py): the same network and keys. It differs in
//              how the composer uses its token (only the first `$` is replaced).
//   - pic2word Pic2Word's IM2TEXT (google-research/composed_image_retrieval model/model.py):
//              [Linear(P,H) -> Dropout(p) -> ReLU] x 2 -> Linear(H,W), H = 512, p = 0.1.
//              Keys layers.{0,1}.0.{weight,bias} and fc_out.{weight,bias}.
// Dropout is only active while training (see the trainer); inference never drops.
//
// Files:
//   - lincir's own format is safetensors: the state-dict tensors (float32) plus metadata
//     `format` = "lincir.projector", `format_version` = "1", `kind`, `backbone`, `input_dim`,
//     `hidden_dim`, `output_dim`, `dropout`, `training_step`. A safetensors file holding only the
//     tensors (no metadata) is also accepted; the kind and sizes are then read from the keys and
//     shapes.
//   - the published checkpoints: PyTorch `torch.save` zip archives. LinCIR (`lincir_large.pt`)
//     and SEARLE (`SEARLE_ViT-L14.pt`) hold `{'Phi': state_dict, ...}`; Pic2Word
//     (`pic2word_model.pt`) holds `{'state_dict_img2text': state_dict, ...}` with DataParallel's
//     `module.` prefix, next to the whole CLIP model and optimizer state. Only the projector's
//     tensors are read from the archive (other entries are parsed but never loaded), and every
//     storage is mapped to the CPU whatever device it was saved from. The legacy (pre-1.6,
//     non-zip) torch format is not supported.
//
// Thread safety: forward() and the const accessors may be called concurrently on one Projector;
// to(), load and assignment need exclusive access. A Projector is a cheap-to-move value; copies
// are not allowed (use clone()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lincir/common.hpp"

namespace lincir {

enum class ProjectorKind { lincir, searle, pic2word };

// "lincir", "searle", "pic2word".
const char* projector_kind_name(ProjectorKind k) noexcept;
// Inverse of projector_kind_name. Throws Error(invalid_argument).
ProjectorKind parse_projector_kind(const std::string& s);

struct ProjectorConfig {
  ProjectorKind kind = ProjectorKind::lincir;
  int input_dim = 768;   // P: the CLIP projection (embedding) dimension
  int hidden_dim = 0;    // 0 = the kind's default: 4P (lincir, searle) or 512 (pic2word)
  int output_dim = 768;  // W: the width of the CLIP text tower (token embedding size)
  // Training-time dropout probability; negative = the kind's default (0.5, or 0.1 for pic2word).
  float dropout = -1.f;
  // Name of the CLIP model the projector was trained for (informative, stored in files).
  std::string backbone;
};

struct ProjectorLoadOptions {
  // The kind to load as. Unset: taken from the file (safetensors metadata), else inferred from
  // the layout (`Phi` or layers.{0,3,6} -> lincir, `state_dict_img2text` or fc_out -> pic2word).
  // SEARLE's checkpoints are laid out like LinCIR's: pass ProjectorKind::searle explicitly.
  std::optional<ProjectorKind> kind;
  // Overrides the backbone name recorded in the file (torch checkpoints record none).
  std::string backbone;
  // When set, the loaded sizes must match (Error(invalid_argument) naming the file otherwise);
  // 0 = not checked.
  int expect_input_dim = 0;
  int expect_output_dim = 0;
};

class Projector {
 public:
  // A freshly initialised projector (PyTorch's default nn.Linear initialisation, drawn from a
  // generator seeded with `seed`, so equal seeds give equal weights). Validates the config
  // (positive sizes, dropout in [0,1)); throws Error(invalid_argument).
  explicit Projector(const ProjectorConfig& config, uint64_t seed = 0);

  // Loads a projector file, detecting the container: safetensors or a torch.save zip archive.
  // Throws Error(io) if unreadable, Error(format) for a corrupt or unrecognised file, a missing
  // or mis-shaped tensor, Error(invalid_argument) when an expectation in `options` fails.
  static Projector load(const std::string& path, const ProjectorLoadOptions& options = {});
  static Projector load_safetensors(const std::string& path,
                                    const ProjectorLoadOptions& options = {});
  static Projector load_torch_checkpoint(const std::string& path,
                                         const ProjectorLoadOptions& options = {});

  // Writes the safetensors format described above, atomically. `training_step` < 0 keeps the
  // projector's own training_step(). Weights are copied to the CPU for writing.
  void save(const std::string& path, int64_t training_step = -1) const;

  // Applies φ at inference (no dropout, no gradient): [N, input_dim] -> [N, output_dim].
  // Throws Error(invalid_argument) if x has the wrong number of columns.
  Embeddings forward(EmbeddingsRef x) const;

  // Moves the weights to `device` (Error(device) if unavailable). Weights stay float32.
  void to(const Device& device);
  Device device() const;

  // The effective configuration (defaults resolved: hidden_dim and dropout are never 0/-1).
  const ProjectorConfig& config() const;
  ProjectorKind kind() const { return config().kind; }
  int input_dim() const { return config().input_dim; }
  int output_dim() const { return config().output_dim; }
  // Optimisation steps this projector was trained for (from its file or set by the trainer);
  // -1 when unknown.
  int64_t training_step() const;
  void set_training_step(int64_t step);

  // An independent deep copy (same device).
  Projector clone() const;

  Projector(Projector&&) noexcept;
  Projector& operator=(Projector&&) noexcept;
  ~Projector();

  struct Impl;  // opaque; the trainer and composer reach the torch module through it

 private:
  explicit Projector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend struct ProjectorAccess;
};

}  // namespace lincir
