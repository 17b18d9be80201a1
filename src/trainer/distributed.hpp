// Data-parallel plumbing over LibTorch's c10d: a Gloo process group on a TCP store, gradient
// all-reduce and scalar averaging. No home-made collective code.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <vector>

#include "lincir/trainer.hpp"

namespace lincir::detail {

class ProcessGroup {
 public:
  // Connects to the group (rank 0 hosts the TCP store). Error(io) if it cannot within the
  // timeout, Error(unsupported) in a build without c10d/Gloo.
  explicit ProcessGroup(const DistributedOptions& options);
  ~ProcessGroup();
  int rank() const;
  int world_size() const;
  // In place: every tensor becomes the mean over processes.
  void average(std::vector<at::Tensor>& tensors);
  void barrier();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lincir::detail
