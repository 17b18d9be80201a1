// Approximate (or alternative exact) search indexes behind the Gallery interface. Only the faiss
// implementation exists; without faiss, building one throws Error(unsupported).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "gallery/vector_store.hpp"
#include "lincir/gallery.hpp"

namespace lincir::detail {

// An index whose labels are gallery positions (rows are added in position order).
// search() is const and safe to call from several threads at once; add() is not.
class AnnIndex {
 public:
  virtual ~AnnIndex() = default;
  virtual size_t size() const = 0;
  // Appends n float32 rows (normalised as the metric requires), labelled size()..size()+n-1.
  virtual void add(const float* rows, size_t n) = 0;
  // For nq queries writes k inner-product scores and labels per query, best first; missing
  // results have label -1. k <= size().
  virtual void search(const float* queries, size_t nq, size_t k, const SearchOptions& options,
                      float* scores, int64_t* labels) const = 0;
};

bool faiss_compiled() noexcept;

// Builds an index of the chosen (faiss) backend over all rows of `store`: trains it (IVF) and
// adds every row. store.size() must be > 0.
std::unique_ptr<AnnIndex> build_ann_index(const GalleryIndexOptions& options,
                                          const VectorStore& store);

}  // namespace lincir::detail
