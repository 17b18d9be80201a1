#include "gallery/vector_store.hpp"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define LINCIR_GALLERY_X86 1
#endif

namespace lincir::detail {
namespace {

// float16 -> float32 is the inner loop of every float16 search, so it must not be Eigen's
// bit-by-bit software conversion: use the F16C instruction when the CPU has it (chosen at run
// time, so portable builds still get it), else a 256 KB lookup table.
#ifdef LINCIR_GALLERY_X86
__attribute__((target("avx,f16c"))) void decode_f16c(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i,
                     _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; ++i) dst[i] = half_to_float(src[i]);
}

bool have_f16c() {
  // F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports does not know "f16c".
  static const bool ok = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
  }();
  return ok;
}
#endif

const float* half_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = half_to_float(static_cast<uint16_t>(h));
    return t;
  }();
  return table.data();
}

void decode_f16(const uint16_t* src, float* dst, size_t n) {
#ifdef LINCIR_GALLERY_X86
  if (have_f16c()) return decode_f16c(src, dst, n);
#endif
  const float* t = half_table();
  for (size_t i = 0; i < n; ++i) dst[i] = t[src[i]];
}

}  // namespace

void VectorStore::refresh() {
  if (file_) return;
  data_ = storage_ == GalleryStorage::float32 ? static_cast<const void*>(f32_.data())
                                              : static_cast<const void*>(f16_.data());
}

void VectorStore::make_owned() {
  if (!file_) return;
  const size_t count = n_ * dim_;
  if (storage_ == GalleryStorage::float32) {
    std::vector<float> v(count);
    if (count) std::memcpy(v.data(), data_, count * sizeof(float));
    f32_.swap(v);
  } else {
    std::vector<uint16_t> v(count);
    if (count) std::memcpy(v.data(), data_, count * sizeof(uint16_t));
    f16_.swap(v);
  }
  file_.reset();
  refresh();
}

void VectorStore::decode(size_t begin, size_t end, float* out) const {
  const size_t count = (end - begin) * dim_;
  if (storage_ == GalleryStorage::float32) {
    if (count) std::memcpy(out, f32_rows(begin), count * sizeof(float));
    return;
  }
  decode_f16(static_cast<const uint16_t*>(data_) + begin * dim_, out, count);
}

void VectorStore::append(const float* rows, size_t n) {
  if (n == 0) return;
  make_owned();
  const size_t count = n * dim_;
  if (storage_ == GalleryStorage::float32) {
    f32_.insert(f32_.end(), rows, rows + count);
  } else {
    std::vector<uint16_t> h(count);
    for (size_t i = 0; i < count; ++i) h[i] = float_to_half(rows[i]);
    f16_.insert(f16_.end(), h.begin(), h.end());
  }
  n_ += n;
  refresh();
}

void VectorStore::append(const VectorStore& other) {
  if (other.n_ == 0) return;
  if (other.storage_ == storage_) {
    make_owned();
    const size_t count = other.n_ * dim_;
    if (storage_ == GalleryStorage::float32) {
      const float* p = static_cast<const float*>(other.data_);
      f32_.insert(f32_.end(), p, p + count);
    } else {
      const uint16_t* p = static_cast<const uint16_t*>(other.data_);
      f16_.insert(f16_.end(), p, p + count);
    }
    n_ += other.n_;
    refresh();
    return;
  }
  std::vector<float> tmp(other.n_ * dim_);
  other.decode(0, other.n_, tmp.data());
  append(tmp.data(), other.n_);
}

void VectorStore::truncate(size_t n) {
  if (n >= n_) return;
  make_owned();
  if (storage_ == GalleryStorage::float32) f32_.resize(n * dim_);
  else f16_.resize(n * dim_);
  n_ = n;
  refresh();
}

void VectorStore::compact(const std::vector<uint8_t>& keep) {
  make_owned();
  const size_t eb = storage_elem_size(storage_);
  uint8_t* base = storage_ == GalleryStorage::float32 ? reinterpret_cast<uint8_t*>(f32_.data())
                                                      : reinterpret_cast<uint8_t*>(f16_.data());
  const size_t rb = dim_ * eb;
  size_t out = 0;
  for (size_t i = 0; i < n_; ++i) {
    if (!keep[i]) continue;
    if (out != i) std::memmove(base + out * rb, base + i * rb, rb);
    ++out;
  }
  n_ = out;
  if (storage_ == GalleryStorage::float32) f32_.resize(n_ * dim_);
  else f16_.resize(n_ * dim_);
  refresh();
}

void VectorStore::borrow(std::shared_ptr<MappedFile> file, const uint8_t* data, size_t n) {
  f32_.clear();
  f16_.clear();
  file_ = std::move(file);
  data_ = data;
  n_ = n;
}

void VectorStore::assign_bytes(const uint8_t* bytes, size_t n) {
  file_.reset();
  const size_t count = n * dim_;
  if (storage_ == GalleryStorage::float32) {
    std::vector<float> v(count);
    if (count) std::memcpy(v.data(), bytes, count * sizeof(float));
    f32_.swap(v);
  } else {
    std::vector<uint16_t> v(count);
    if (count) std::memcpy(v.data(), bytes, count * sizeof(uint16_t));
    f16_.swap(v);
  }
  n_ = n;
  refresh();
}

}  // namespace lincir::detail
