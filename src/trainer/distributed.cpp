#include "trainer/distributed.hpp"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <chrono>

namespace lincir::detail {

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0, world = 1;
};

ProcessGroup::ProcessGroup(const DistributedOptions& o) : impl_(std::make_unique<Impl>()) {
  LINCIR_CHECK(o.world_size >= 1 && o.rank >= 0 && o.rank < o.world_size,
               "distributed rank " + std::to_string(o.rank) + " out of range for world size " +
                   std::to_string(o.world_size));
  LINCIR_CHECK(o.master_port > 0 && o.master_port < 65536,
               "invalid master port " + std::to_string(o.master_port));
  impl_->rank = o.rank;
  impl_->world = o.world_size;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<size_t>(o.world_size);
    so.timeout = std::chrono::seconds(o.timeout_seconds);
    impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(o.timeout_seconds));
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o.master_addr));
    impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o.rank, o.world_size, opts);
  } catch (const std::exception& e) {
    LINCIR_THROW(Status::io, "cannot join the process group at " + o.master_addr + ":" +
                                 std::to_string(o.master_port) + " as rank " +
                                 std::to_string(o.rank) + ": " + e.what());
  }
}

ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::rank() const { return impl_->rank; }
int ProcessGroup::world_size() const { return impl_->world; }

void ProcessGroup::average(std::vector<at::Tensor>& tensors) {
  if (tensors.empty()) return;
  // One flat buffer: one collective per step instead of one per parameter.
  std::vector<at::Tensor> flat{at::cat([&] {
    std::vector<at::Tensor> v;
    for (auto& t : tensors) v.push_back(t.reshape(-1));
    return v;
  }())};
  impl_->pg->allreduce(flat)->wait();
  flat[0].div_(impl_->world);
  int64_t off = 0;
  for (auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(flat[0].narrow(0, off, n).view_as(t));
    off += n;
  }
}

void ProcessGroup::barrier() { impl_->pg->barrier()->wait(); }

}  // namespace lincir::detail
