// Storage of a gallery's vectors: a row-major block of float32 or float16 values, either owned
// or borrowed from a memory-mapped gallery file (copied on the first mutation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Core>

#include "core/file_io.hpp"
#include "lincir/gallery.hpp"

namespace lincir::detail {

inline uint16_t float_to_half(float f) { return Eigen::half_impl::float_to_half_rtne(f).x; }
inline float half_to_float(uint16_t h) {
  return Eigen::half_impl::half_to_float(Eigen::half_impl::raw_uint16_to_half(h));
}

inline size_t storage_elem_size(GalleryStorage s) { return s == GalleryStorage::float16 ? 2 : 4; }

// Not thread-safe by itself: the Gallery's lock serialises mutations against reads.
class VectorStore {
 public:
  VectorStore(size_t dim, GalleryStorage storage) : dim_(dim), storage_(storage) {}

  size_t dim() const { return dim_; }
  size_t size() const { return n_; }
  GalleryStorage storage() const { return storage_; }
  size_t row_bytes() const { return dim_ * storage_elem_size(storage_); }
  size_t nbytes() const { return n_ * row_bytes(); }
  const void* data() const { return data_; }
  bool is_mapped() const { return file_ != nullptr; }

  // float32 rows starting at `row` when the storage is float32, else nullptr.
  const float* f32_rows(size_t row) const {
    return storage_ == GalleryStorage::float32 ? static_cast<const float*>(data_) + row * dim_
                                               : nullptr;
  }
  // Copies rows [begin, end) as float32 into `out` (row-major, (end-begin) x dim).
  void decode(size_t begin, size_t end, float* out) const;

  // Appends n float32 rows, converted to the storage type. Strong exception guarantee.
  void append(const float* rows, size_t n);
  // Appends all rows of `other` (same dim), converting the storage type if needed.
  void append(const VectorStore& other);
  // Drops rows n.. (n <= size()); used to roll back a failed append, which left the rows owned.
  void truncate(size_t n);
  // Keeps the rows whose keep[i] is non-zero, in order.
  void compact(const std::vector<uint8_t>& keep);
  // Borrows n rows at `data` inside `file` (validated by the caller, aligned for the type).
  void borrow(std::shared_ptr<MappedFile> file, const uint8_t* data, size_t n);
  // Takes n rows from raw little-endian bytes (copied).
  void assign_bytes(const uint8_t* bytes, size_t n);

 private:
  void make_owned();
  void refresh();

  size_t dim_;
  GalleryStorage storage_;
  size_t n_ = 0;
  std::vector<float> f32_;
  std::vector<uint16_t> f16_;
  std::shared_ptr<MappedFile> file_;  // non-null while borrowing
  const void* data_ = nullptr;
};

}  // namespace lincir::detail
