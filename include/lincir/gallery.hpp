// Gallery: an in-memory index of image (or any) embeddings with exact or approximate top-k
// search, for the retrieval half of composed image retrieval.
//
// A Gallery holds N vectors of dimension D, each with a unique non-negative int64 id and an
// optional name (e.g. the image file name). Scores are inner products. With the default
// GalleryMetric::cosine, add() L2-normalises every stored vector and search() L2-normalises every
// query, so the score is the cosine similarity (what CLIP/LinCIR rank by); with
// GalleryMetric::inner_product vectors and queries are used as given.
//
// Search backends (GalleryBackend):
//   exact       always available. Blocked matrix multiply (an AVX2/FMA kernel chosen at run
//               time, else Eigen GEMM; one query: a memory-bound GEMV scan) split over threads,
//               with a bounded heap per query. Results are exact
//               and deterministic: equal scores are ordered by insertion position (lower first).
//   faiss_flat  faiss IndexFlatIP: exact, another implementation (BLAS).
//   faiss_ivf   faiss IndexIVFFlat (inner product), trained by k-means on the gallery.
//   faiss_hnsw  faiss IndexHNSWFlat (inner product graph).
// The faiss backends exist only when lincir was built with faiss (Gallery::faiss_available());
// asking for one otherwise throws Error(unsupported). A faiss index is a cache derived from the
// stored vectors: it is built on the first search (or by build_index()), extended in place by
// add()/merge(), rebuilt after remove(), and never saved. It keeps its own float32 copy of the
// vectors (faiss owns that memory), so float16 storage only saves memory with the exact backend.
// IVF is trained (k-means) when the index is first built; later add()s go into the existing lists
// without retraining. Exclusions are honoured by asking faiss for k + (largest exclusion list)
// results and filtering, so an approximate backend may return fewer than k eligible results
// (padded as below); the kept results are ordered with the same tie-break as the exact backend.
//
// Storage (GalleryStorage): float32, or float16 (IEEE half, round-to-nearest-even) which halves
// the vector memory; scores are then computed from the rounded vectors (in float32 arithmetic), so
// rankings can differ from float32 storage for near-ties only.
//
// Files: save()/load() use the versioned, checksummed little-endian format described in
// docs/gallery-format.md. load() validates the whole file (magic, version, every size against the
// file length with overflow checks, CRC-32, duplicate ids, finite values) and throws
// Error(format) naming the file and the problem; a corrupt file never crashes. By default load()
// memory-maps the file and uses its vector block in place (no copy); the first mutation of such a
// gallery copies the vectors into owned memory (copy-on-write).
//
// Thread safety: every member function may be called concurrently on the same Gallery (mutations
// are made safe, not rejected). Const functions (search, lookups, save, build_index) take a shared
// lock and run in parallel with each other; add/remove/merge take an exclusive lock, so they wait
// for running searches to finish, and searches started meanwhile wait for them (writers are
// preferred, so a steady stream of searches cannot starve an add). A search therefore sees the
// gallery entirely before or entirely after a concurrent mutation, never in between. Moving from
// or destroying a Gallery while another thread uses it is not allowed (as with any object), and a
// moved-from Gallery may only be destroyed or assigned to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

enum class GalleryMetric {
  cosine,         // vectors and queries L2-normalised, score = cosine similarity (default)
  inner_product,  // vectors and queries used as given, score = dot product
};

enum class GalleryStorage { float32, float16 };

enum class GalleryBackend { exact, faiss_flat, faiss_ivf, faiss_hnsw };

const char* gallery_backend_name(GalleryBackend b) noexcept;  // "exact", "faiss_flat", ...
// Parses "exact", "faiss_flat" (or "flat"), "faiss_ivf" ("ivf"), "faiss_hnsw" ("hnsw").
// Throws Error(invalid_argument) otherwise.
GalleryBackend parse_gallery_backend(const std::string& s);

// How the search index is built. Only the fields of the chosen backend matter.
struct GalleryIndexOptions {
  GalleryBackend backend = GalleryBackend::exact;
  // IVF: number of k-means lists; 0 picks about 4*sqrt(N), capped so that every list has at
  // least 39 training points. Always clamped to [1, N].
  int ivf_nlist = 0;
  int ivf_nprobe = 16;           // lists probed per query when SearchOptions::nprobe is 0
  uint64_t ivf_seed = 1234;      // k-means seed (training is deterministic for a given gallery)
  int hnsw_m = 32;               // graph degree
  int hnsw_ef_construction = 80;
  int hnsw_ef_search = 64;       // when SearchOptions::ef_search is 0 (at least k is used)
};

struct GalleryOptions {
  GalleryMetric metric = GalleryMetric::cosine;
  GalleryStorage storage = GalleryStorage::float32;
  GalleryIndexOptions index;
};

struct GalleryLoadOptions {
  GalleryIndexOptions index;  // metric and storage come from the file
  // Use the file's vector block in place through a read-only memory map (no copy). The mapping
  // is kept alive by the Gallery; replacing the file afterwards via an atomic rename (as save()
  // does) is safe, truncating it in place is not. false: copy the vectors into memory.
  bool memory_map = true;
};

struct SearchOptions {
  // Ids to leave out of each query's ranking (CIRR removes the reference image from its own
  // ranking). Either empty or one list per query. Ids not in the gallery are ignored.
  std::vector<std::vector<int64_t>> exclude;
  // Convenience form: one id per query (or -1 for none); either empty or one entry per query.
  // Combined with `exclude` when both are given.
  std::vector<int64_t> exclude_one;
  // Threads used by the exact backend: 0 = all hardware threads (only used when the work is large
  // enough to pay for them), 1 = the calling thread only. faiss uses its own OpenMP threads.
  int num_threads = 0;
  int nprobe = 0;     // faiss_ivf: lists probed; 0 = GalleryIndexOptions::ivf_nprobe
  int ef_search = 0;  // faiss_hnsw: search breadth; 0 = GalleryIndexOptions::hnsw_ef_search
};

// Top-k results of nq queries, best first. When fewer than k gallery vectors are eligible (k >
// size, or exclusions), the remaining slots hold id -1 and score -infinity.
struct SearchResult {
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> scores;  // [nq, k]
  Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> ids;   // [nq, k]
};

class Gallery {
 public:
  // An empty gallery of dimension `dim` (> 0). Throws Error(invalid_argument) for a bad dimension
  // or option, Error(unsupported) for a faiss backend in a build without faiss.
  explicit Gallery(int dim, const GalleryOptions& options = {});
  ~Gallery();
  Gallery(Gallery&&) noexcept;
  Gallery& operator=(Gallery&&) noexcept;
  Gallery(const Gallery&) = delete;
  Gallery& operator=(const Gallery&) = delete;

  // Appends emb.rows() vectors (copied; converted to the storage type, L2-normalised for the
  // cosine metric) with their ids and optional names (empty, or one per row). Throws
  // Error(invalid_argument), leaving the gallery unchanged, if the column count is not dim(),
  // ids.size() != emb.rows(), an id is negative or duplicated (within the call or with the
  // gallery), names has the wrong size, a value is not finite, or (cosine) a row has zero norm.
  void add(EmbeddingsRef emb, const std::vector<int64_t>& ids,
           const std::vector<std::string>& names = {});

  // Removes the vectors with these ids; unknown ids are ignored. The remaining vectors keep their
  // relative order. Returns how many were removed.
  size_t remove(const std::vector<int64_t>& ids);

  // Appends all vectors of `other` (same dim and metric, ids disjoint from this gallery's:
  // otherwise Error(invalid_argument) and nothing changes), converting to this gallery's storage
  // type. For sharded builds: build and save shards independently, then load and merge them.
  void merge(const Gallery& other);

  size_t size() const;
  int dim() const;
  GalleryMetric metric() const;
  GalleryStorage storage() const;
  const GalleryIndexOptions& index_options() const;  // fixed at construction/load
  size_t vector_bytes() const;  // bytes used by the stored vectors (owned or mapped)

  // Position-based access, 0 <= i < size() (else Error(invalid_argument)). Positions follow
  // insertion order and shift down after remove().
  int64_t id(size_t i) const;
  std::string name(size_t i) const;
  std::vector<int64_t> ids() const;  // snapshot of all ids in position order

  // Id-based lookups.
  bool contains(int64_t id) const;
  std::optional<size_t> index_of(int64_t id) const;
  std::string name_of(int64_t id) const;  // Error(invalid_argument) for an unknown id
  // The stored (normalised for cosine, decoded from float16) vectors of these ids, one row each.
  // Error(invalid_argument) for an unknown id.
  Embeddings vectors(const std::vector<int64_t>& ids) const;

  // Top-k search of every row of `queries` (nq x dim). Throws Error(invalid_argument) if
  // queries.cols() != dim(), k <= 0, an exclusion list has the wrong size, a query value is not
  // finite or (cosine) a query has zero norm. nq == 0 gives an empty [0, k] result.
  SearchResult search(EmbeddingsRef queries, int k, const SearchOptions& options = {}) const;

  // Builds the faiss index now instead of on the first search (no-op for the exact backend).
  void build_index() const;

  // Writes the gallery atomically (temporary file + rename). Throws Error(io).
  void save(const std::string& path) const;
  // Reads and validates a gallery file. Throws Error(io) if unreadable, Error(format) if invalid.
  static Gallery load(const std::string& path, const GalleryLoadOptions& options = {});

  // True when this build includes the faiss backends.
  static bool faiss_available() noexcept;

  struct Impl;  // opaque

 private:
  explicit Gallery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lincir
