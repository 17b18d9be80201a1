// State behind lincir::Gallery, shared by gallery.cpp (mutation, search) and gallery_io.cpp.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gallery/ann_index.hpp"
#include "gallery/vector_store.hpp"
#include "lincir/gallery.hpp"

namespace lincir {
namespace detail {

// Writer-preferring reader/writer lock. std::shared_mutex (glibc rwlock) prefers readers, so a
// steady stream of searches would starve add() indefinitely. A writer holds `gate_` while it
// waits for the readers inside to leave, which keeps new readers out.
class RwLock {
 public:
  void lock() {
    std::lock_guard<std::mutex> g(gate_);
    rw_.lock();
  }
  bool try_lock() {
    if (!gate_.try_lock()) return false;
    const bool ok = rw_.try_lock();
    gate_.unlock();
    return ok;
  }
  void unlock() { rw_.unlock(); }
  void lock_shared() {
    std::lock_guard<std::mutex> g(gate_);
    rw_.lock_shared();
  }
  bool try_lock_shared() {
    if (!gate_.try_lock()) return false;
    const bool ok = rw_.try_lock_shared();
    gate_.unlock();
    return ok;
  }
  void unlock_shared() { rw_.unlock_shared(); }

 private:
  std::mutex gate_;
  std::shared_mutex rw_;
};

using ReadLock = std::shared_lock<RwLock>;
using WriteLock = std::unique_lock<RwLock>;

}  // namespace detail

struct Gallery::Impl {
  Impl(int d, const GalleryOptions& o)
      : dim(d), metric(o.metric), index_options(o.index), store(size_t(d), o.storage) {}

  int dim;
  GalleryMetric metric;
  GalleryIndexOptions index_options;
  detail::VectorStore store;
  std::vector<int64_t> ids;
  std::vector<std::string> names;
  std::unordered_map<int64_t, size_t> pos_of;

  // Readers (search, lookups, save) share it; add/remove/merge hold it exclusively.
  mutable detail::RwLock mutex;
  // The faiss index is a cache built lazily by readers: ann_mutex serialises its construction
  // (under a shared `mutex`); writers holding `mutex` exclusively may touch `ann` directly.
  mutable std::mutex ann_mutex;
  mutable std::shared_ptr<detail::AnnIndex> ann;
};

namespace detail {
constexpr int kMaxGalleryDim = 1 << 16;
// Builds pos_of from ids; returns false if an id is duplicated.
bool rebuild_positions(Gallery::Impl& g);
}  // namespace detail

}  // namespace lincir
