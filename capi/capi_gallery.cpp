// lincir_gallery: top-k cosine search over stored embeddings.
#include <cmath>
#include <limits>

#include "capi_handles.hpp"

using namespace lincir;

namespace {

Eigen::Map<const Embeddings> rows(const float* data, size_t n, size_t dim) {
  return Eigen::Map<const Embeddings>(data, static_cast<Eigen::Index>(n),
                                      static_cast<Eigen::Index>(dim));
}

}  // namespace

extern "C" {

int lincir_gallery_new(lincir_gallery** out, int dim) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_ARG(dim > 0, "dim must be > 0, got " + std::to_string(dim));
  *out = new lincir_gallery{Gallery(dim)};
  LINCIR_C_CATCH
}

void lincir_gallery_free(lincir_gallery* gallery) noexcept { delete gallery; }

int lincir_gallery_add(lincir_gallery* gallery, const float* embeddings, size_t n, size_t dim,
                       const int64_t* ids) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(gallery);
  if (n == 0) return LINCIR_OK;
  LINCIR_C_NOT_NULL(embeddings);
  LINCIR_C_NOT_NULL(ids);
  LINCIR_C_ARG(dim == static_cast<size_t>(gallery->gallery.dim()),
               "dim " + std::to_string(dim) + " does not match the gallery's " +
                   std::to_string(gallery->gallery.dim()));
  gallery->gallery.add(rows(embeddings, n, dim), std::vector<int64_t>(ids, ids + n));
  LINCIR_C_CATCH
}

int lincir_gallery_search(const lincir_gallery* gallery, const float* queries, size_t nq,
                          size_t dim, int k, const int64_t* exclude, float* scores,
                          int64_t* ids) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(gallery);
  LINCIR_C_ARG(k > 0, "k must be > 0, got " + std::to_string(k));
  if (nq == 0) return LINCIR_OK;
  LINCIR_C_NOT_NULL(queries);
  LINCIR_C_NOT_NULL(scores);
  LINCIR_C_NOT_NULL(ids);
  LINCIR_C_ARG(dim == static_cast<size_t>(gallery->gallery.dim()),
               "dim " + std::to_string(dim) + " does not match the gallery's " +
                   std::to_string(gallery->gallery.dim()));
  SearchOptions opt;
  if (exclude) opt.exclude_one.assign(exclude, exclude + nq);
  SearchResult r = gallery->gallery.search(rows(queries, nq, dim), k, opt);
  std::memcpy(scores, r.scores.data(), nq * static_cast<size_t>(k) * sizeof(float));
  std::memcpy(ids, r.ids.data(), nq * static_cast<size_t>(k) * sizeof(int64_t));
  LINCIR_C_CATCH
}

int64_t lincir_gallery_size(const lincir_gallery* gallery) noexcept {
  return gallery ? static_cast<int64_t>(gallery->gallery.size()) : -1;
}

int lincir_gallery_dim(const lincir_gallery* gallery) noexcept {
  return gallery ? gallery->gallery.dim() : -1;
}

int lincir_gallery_save(const lincir_gallery* gallery, const char* path) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(gallery);
  LINCIR_C_NOT_NULL(path);
  gallery->gallery.save(path);
  LINCIR_C_CATCH
}

int lincir_gallery_load(lincir_gallery** out, const char* path) noexcept {
  LINCIR_C_TRY
  LINCIR_C_NOT_NULL(out);
  *out = nullptr;
  LINCIR_C_NOT_NULL(path);
  *out = new lincir_gallery{Gallery::load(path)};
  LINCIR_C_CATCH
}

}  // extern "C"
