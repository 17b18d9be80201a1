#include "lincir/gallery.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#include "gallery/exact_search.hpp"
#include "gallery/gallery_impl.hpp"

namespace lincir {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kHalfLimit = 65520.f;  // smallest magnitude that rounds to infinity in float16

std::string cell(Eigen::Index r, Eigen::Index c) {
  return "row " + std::to_string(r) + ", column " + std::to_string(c);
}

// Copies `x` to a dense float32 buffer, checking values and normalising rows for the cosine
// metric. `what` names the argument in errors.
std::vector<float> prepare_rows(const EmbeddingsRef& x, GalleryMetric metric, bool to_half,
                                const std::string& what) {
  const Eigen::Index n = x.rows(), d = x.cols();
  std::vector<float> out(static_cast<size_t>(n) * static_cast<size_t>(d));
  for (Eigen::Index i = 0; i < n; ++i) {
    double ss = 0.0;
    for (Eigen::Index j = 0; j < d; ++j) {
      const float v = x(i, j);
      LINCIR_CHECK(std::isfinite(v), what + ": value at " + cell(i, j) + " is not finite");
      ss += double(v) * double(v);
    }
    float scale = 1.f;
    if (metric == GalleryMetric::cosine) {
      LINCIR_CHECK(ss > 0.0, what + ": row " + std::to_string(i) +
                                 " has zero norm and cannot be normalised (cosine metric)");
      scale = static_cast<float>(1.0 / std::sqrt(ss));
    }
    float* o = out.data() + static_cast<size_t>(i) * static_cast<size_t>(d);
    for (Eigen::Index j = 0; j < d; ++j) {
      o[j] = x(i, j) * scale;
      LINCIR_CHECK(!to_half || std::fabs(o[j]) < kHalfLimit,
                   what + ": value at " + cell(i, j) + " overflows float16 storage");
    }
  }
  return out;
}

void check_index_options(const GalleryIndexOptions& o) {
  switch (o.backend) {
    case GalleryBackend::exact:
      break;
    case GalleryBackend::faiss_flat:
    case GalleryBackend::faiss_ivf:
    case GalleryBackend::faiss_hnsw:
      LINCIR_CHECK_STATUS(detail::faiss_compiled(), Status::unsupported,
                          std::string("gallery backend '") + gallery_backend_name(o.backend) +
                              "' needs faiss, which this build of lincir lacks");
      break;
    default:
      LINCIR_THROW(Status::invalid_argument, "gallery: unknown backend value " +
                                                 std::to_string(static_cast<int>(o.backend)));
  }
  LINCIR_CHECK(o.ivf_nlist >= 0, "gallery: ivf_nlist must be >= 0");
  LINCIR_CHECK(o.ivf_nprobe >= 1, "gallery: ivf_nprobe must be >= 1");
  LINCIR_CHECK(o.hnsw_m >= 2 && o.hnsw_m <= 512, "gallery: hnsw_m must be in [2, 512]");
  LINCIR_CHECK(o.hnsw_ef_construction >= 1, "gallery: hnsw_ef_construction must be >= 1");
  LINCIR_CHECK(o.hnsw_ef_search >= 1, "gallery: hnsw_ef_search must be >= 1");
}

// Appends rows to the gallery state with all-or-nothing semantics. `append_store` adds exactly
// ids.size() rows to g.store. The caller holds the exclusive lock and validated the ids.
template <class AppendStore>
void commit_append(Gallery::Impl& g, const std::vector<int64_t>& ids,
                   const std::vector<std::string>* names, const AppendStore& append_store) {
  const size_t old = g.ids.size(), n = ids.size();
  try {
    g.ids.reserve(old + n);
    g.names.reserve(old + n);
    g.pos_of.reserve(old + n);
    append_store();
    for (size_t i = 0; i < n; ++i) {
      g.ids.push_back(ids[i]);
      g.names.push_back(names && !names->empty() ? (*names)[i] : std::string());
      g.pos_of.emplace(ids[i], old + i);
    }
  } catch (...) {
    for (size_t i = old; i < g.ids.size(); ++i) g.pos_of.erase(g.ids[i]);
    g.ids.resize(old);
    g.names.resize(old);
    g.store.truncate(old);
    throw;
  }
  if (g.ann) {
    // Extend the faiss index with the stored (possibly float16-rounded) rows, exactly what a
    // rebuild would index. On failure drop it: the next search rebuilds it.
    try {
      std::vector<float> rows(n * g.store.dim());
      g.store.decode(old, old + n, rows.data());
      g.ann->add(rows.data(), n);
    } catch (...) {
      g.ann.reset();
    }
  }
}

// Caller holds at least a shared lock on g.mutex.
std::shared_ptr<detail::AnnIndex> ensure_ann(const Gallery::Impl& g) {
  std::lock_guard<std::mutex> lock(g.ann_mutex);
  if (!g.ann && g.store.size() > 0) g.ann = detail::build_ann_index(g.index_options, g.store);
  return g.ann;
}

void write_row(std::vector<detail::Candidate>& c, size_t k, float* scores, int64_t* pos) {
  std::sort(c.begin(), c.end(), detail::ranks_before);
  for (size_t j = 0; j < k; ++j) {
    scores[j] = j < c.size() ? c[j].score : kNegInf;
    pos[j] = j < c.size() ? c[j].pos : -1;
  }
}

void ann_topk(const Gallery::Impl& g, const float* q, size_t nq, size_t k,
              const std::vector<std::vector<int64_t>>& excluded, const SearchOptions& o,
              float* out_scores, int64_t* out_pos) {
  const size_t n = g.store.size();
  auto ann = ensure_ann(g);
  if (!ann || nq == 0) {
    std::fill(out_scores, out_scores + nq * k, kNegInf);
    std::fill(out_pos, out_pos + nq * k, int64_t{-1});
    return;
  }
  // Ask for enough extra results to still have k after dropping the excluded ones.
  size_t max_ex = 0;
  for (const auto& e : excluded) max_ex = std::max(max_ex, e.size());
  const size_t kq = std::min(n, k + max_ex);
  std::vector<float> scores(nq * kq);
  std::vector<int64_t> labels(nq * kq);
  ann->search(q, nq, kq, o, scores.data(), labels.data());
  std::vector<detail::Candidate> c;
  for (size_t i = 0; i < nq; ++i) {
    c.clear();
    const std::vector<int64_t>* ex = excluded.empty() ? nullptr : &excluded[i];
    for (size_t j = 0; j < kq; ++j) {
      const int64_t p = labels[i * kq + j];
      if (p < 0 || static_cast<size_t>(p) >= n) continue;
      if (ex && std::binary_search(ex->begin(), ex->end(), p)) continue;
      if (std::isnan(scores[i * kq + j])) continue;
      c.push_back({scores[i * kq + j], p});
    }
    if (c.size() > k) {  // keep faiss' best k, re-ranked with the deterministic tie-break
      std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(),
                        detail::ranks_before);
      c.resize(k);
    }
    write_row(c, k, out_scores + i * k, out_pos + i * k);
  }
}

}  // namespace

namespace detail {
bool rebuild_positions(Gallery::Impl& g) {
  g.pos_of.clear();
  g.pos_of.reserve(g.ids.size());
  for (size_t i = 0; i < g.ids.size(); ++i)
    if (!g.pos_of.emplace(g.ids[i], i).second) return false;
  return true;
}
}  // namespace detail

const char* gallery_backend_name(GalleryBackend b) noexcept {
  switch (b) {
    case GalleryBackend::exact: return "exact";
    case GalleryBackend::faiss_flat: return "faiss_flat";
    case GalleryBackend::faiss_ivf: return "faiss_ivf";
    case GalleryBackend::faiss_hnsw: return "faiss_hnsw";
  }
  return "?";
}

GalleryBackend parse_gallery_backend(const std::string& s) {
  if (s == "exact") return GalleryBackend::exact;
  if (s == "faiss_flat" || s == "flat") return GalleryBackend::faiss_flat;
  if (s == "faiss_ivf" || s == "ivf") return GalleryBackend::faiss_ivf;
  if (s == "faiss_hnsw" || s == "hnsw") return GalleryBackend::faiss_hnsw;
  LINCIR_THROW(Status::invalid_argument,
               "unknown gallery backend '" + s + "' (expected exact, faiss_flat, faiss_ivf or faiss_hnsw)");
}

bool Gallery::faiss_available() noexcept { return detail::faiss_compiled(); }

Gallery::Gallery(int dim, const GalleryOptions& options) {
  LINCIR_CHECK(dim >= 1 && dim <= detail::kMaxGalleryDim,
               "gallery dimension " + std::to_string(dim) + " is outside [1, " +
                   std::to_string(detail::kMaxGalleryDim) + "]");
  LINCIR_CHECK(options.metric == GalleryMetric::cosine ||
                   options.metric == GalleryMetric::inner_product,
               "gallery: unknown metric value");
  LINCIR_CHECK(options.storage == GalleryStorage::float32 ||
                   options.storage == GalleryStorage::float16,
               "gallery: unknown storage value");
  check_index_options(options.index);
  impl_ = std::make_unique<Impl>(dim, options);
}

Gallery::Gallery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gallery::~Gallery() = default;
Gallery::Gallery(Gallery&&) noexcept = default;
Gallery& Gallery::operator=(Gallery&&) noexcept = default;

void Gallery::add(EmbeddingsRef emb, const std::vector<int64_t>& ids,
                  const std::vector<std::string>& names) {
  Impl& g = *impl_;
  const size_t n = static_cast<size_t>(emb.rows());
  LINCIR_CHECK(emb.cols() == g.dim, "gallery add: embeddings have " + std::to_string(emb.cols()) +
                                        " columns, the gallery dimension is " +
                                        std::to_string(g.dim));
  LINCIR_CHECK(ids.size() == n, "gallery add: " + std::to_string(ids.size()) + " ids for " +
                                    std::to_string(n) + " embeddings");
  LINCIR_CHECK(names.empty() || names.size() == n,
               "gallery add: " + std::to_string(names.size()) + " names for " +
                   std::to_string(n) + " embeddings (give none or one per row)");
  for (size_t i = 0; i < n; ++i)
    LINCIR_CHECK(ids[i] >= 0, "gallery add: id " + std::to_string(ids[i]) + " at row " +
                                  std::to_string(i) + " is negative (ids must be >= 0)");
  for (size_t i = 0; i < names.size(); ++i)
    LINCIR_CHECK(names[i].size() <= 0xffffffffu, "gallery add: name at row " +
                                                     std::to_string(i) + " is too long");
  {
    std::vector<int64_t> sorted(ids);
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    LINCIR_CHECK(dup == sorted.end(),
                 "gallery add: id " + std::to_string(dup == sorted.end() ? 0 : *dup) +
                     " appears more than once");
  }
  // The expensive copy/normalisation happens before taking the lock.
  const std::vector<float> rows =
      prepare_rows(emb, g.metric, g.store.storage() == GalleryStorage::float16, "gallery add");

  detail::WriteLock lock(g.mutex);
  for (int64_t id : ids)
    LINCIR_CHECK(!g.pos_of.count(id),
                 "gallery add: id " + std::to_string(id) + " is already in the gallery");
  commit_append(g, ids, &names, [&] { g.store.append(rows.data(), n); });
}

size_t Gallery::remove(const std::vector<int64_t>& ids) {
  Impl& g = *impl_;
  detail::WriteLock lock(g.mutex);
  const size_t n = g.ids.size();
  std::vector<uint8_t> keep(n, 1);
  size_t removed = 0;
  for (int64_t id : ids) {
    auto it = g.pos_of.find(id);
    if (it != g.pos_of.end() && keep[it->second]) {
      keep[it->second] = 0;
      ++removed;
    }
  }
  if (removed == 0) return 0;
  // Build the new id/name tables first; the store is compacted last, so a failure leaves the
  // gallery unchanged.
  std::vector<int64_t> new_ids;
  std::vector<std::string> new_names;
  new_ids.reserve(n - removed);
  new_names.reserve(n - removed);
  for (size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    new_ids.push_back(g.ids[i]);
    new_names.push_back(g.names[i]);
  }
  std::unordered_map<int64_t, size_t> new_pos;
  new_pos.reserve(new_ids.size());
  for (size_t i = 0; i < new_ids.size(); ++i) new_pos.emplace(new_ids[i], i);
  g.store.compact(keep);
  g.ids.swap(new_ids);
  g.names.swap(new_names);
  g.pos_of.swap(new_pos);
  g.ann.reset();  // positions changed: rebuilt on the next search
  return removed;
}

void Gallery::merge(const Gallery& other) {
  Impl& g = *impl_;
  const Impl& o = *other.impl_;
  LINCIR_CHECK(&g != &o, "gallery merge: cannot merge a gallery into itself");
  LINCIR_CHECK(o.dim == g.dim, "gallery merge: dimension " + std::to_string(o.dim) +
                                   " differs from " + std::to_string(g.dim));
  LINCIR_CHECK(o.metric == g.metric, "gallery merge: the galleries use different metrics");
  // Lock both without risking a deadlock against a concurrent other.merge(*this).
  detail::WriteLock lock_this(g.mutex, std::defer_lock);
  detail::ReadLock lock_other(o.mutex, std::defer_lock);
  std::lock(lock_this, lock_other);
  for (int64_t id : o.ids)
    LINCIR_CHECK(!g.pos_of.count(id),
                 "gallery merge: id " + std::to_string(id) + " is in both galleries");
  commit_append(g, o.ids, &o.names, [&] { g.store.append(o.store); });
}

size_t Gallery::size() const {
  detail::ReadLock lock(impl_->mutex);
  return impl_->ids.size();
}
int Gallery::dim() const { return impl_->dim; }
GalleryMetric Gallery::metric() const { return impl_->metric; }
GalleryStorage Gallery::storage() const { return impl_->store.storage(); }
const GalleryIndexOptions& Gallery::index_options() const { return impl_->index_options; }

size_t Gallery::vector_bytes() const {
  detail::ReadLock lock(impl_->mutex);
  return impl_->store.nbytes();
}

int64_t Gallery::id(size_t i) const {
  detail::ReadLock lock(impl_->mutex);
  LINCIR_CHECK(i < impl_->ids.size(), "gallery: position " + std::to_string(i) +
                                          " out of range (size " +
                                          std::to_string(impl_->ids.size()) + ")");
  return impl_->ids[i];
}

std::string Gallery::name(size_t i) const {
  detail::ReadLock lock(impl_->mutex);
  LINCIR_CHECK(i < impl_->ids.size(), "gallery: position " + std::to_string(i) +
                                          " out of range (size " +
                                          std::to_string(impl_->ids.size()) + ")");
  return impl_->names[i];
}

std::vector<int64_t> Gallery::ids() const {
  detail::ReadLock lock(impl_->mutex);
  return impl_->ids;
}

bool Gallery::contains(int64_t id) const {
  detail::ReadLock lock(impl_->mutex);
  return impl_->pos_of.count(id) != 0;
}

std::optional<size_t> Gallery::index_of(int64_t id) const {
  detail::ReadLock lock(impl_->mutex);
  auto it = impl_->pos_of.find(id);
  if (it == impl_->pos_of.end()) return std::nullopt;
  return it->second;
}

std::string Gallery::name_of(int64_t id) const {
  detail::ReadLock lock(impl_->mutex);
  auto it = impl_->pos_of.find(id);
  LINCIR_CHECK(it != impl_->pos_of.end(), "gallery: unknown id " + std::to_string(id));
  return impl_->names[it->second];
}

Embeddings Gallery::vectors(const std::vector<int64_t>& ids) const {
  const Impl& g = *impl_;
  Embeddings out(static_cast<Eigen::Index>(ids.size()), g.dim);
  detail::ReadLock lock(g.mutex);
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = g.pos_of.find(ids[i]);
    LINCIR_CHECK(it != g.pos_of.end(), "gallery vectors: unknown id " + std::to_string(ids[i]));
    g.store.decode(it->second, it->second + 1, out.row(static_cast<Eigen::Index>(i)).data());
  }
  return out;
}

SearchResult Gallery::search(EmbeddingsRef queries, int k, const SearchOptions& options) const {
  const Impl& g = *impl_;
  const size_t nq = static_cast<size_t>(queries.rows());
  LINCIR_CHECK(k > 0, "gallery search: k must be > 0 (got " + std::to_string(k) + ")");
  LINCIR_CHECK(queries.cols() == g.dim, "gallery search: queries have " +
                                            std::to_string(queries.cols()) +
                                            " columns, the gallery dimension is " +
                                            std::to_string(g.dim));
  LINCIR_CHECK(options.exclude.empty() || options.exclude.size() == nq,
               "gallery search: exclude has " + std::to_string(options.exclude.size()) +
                   " lists for " + std::to_string(nq) + " queries");
  LINCIR_CHECK(options.exclude_one.empty() || options.exclude_one.size() == nq,
               "gallery search: exclude_one has " + std::to_string(options.exclude_one.size()) +
                   " ids for " + std::to_string(nq) + " queries");
  LINCIR_CHECK(options.num_threads >= 0, "gallery search: num_threads must be >= 0");
  LINCIR_CHECK(options.nprobe >= 0, "gallery search: nprobe must be >= 0");
  LINCIR_CHECK(options.ef_search >= 0, "gallery search: ef_search must be >= 0");
  const std::vector<float> q = prepare_rows(queries, g.metric, false, "gallery search queries");

  SearchResult r;
  try {
    r.scores.resize(static_cast<Eigen::Index>(nq), k);
    r.ids.resize(static_cast<Eigen::Index>(nq), k);
  } catch (const std::bad_alloc&) {
    LINCIR_THROW(Status::out_of_memory, "gallery search: cannot allocate " + std::to_string(nq) +
                                            " x " + std::to_string(k) + " results");
  }
  const size_t kk = static_cast<size_t>(k);

  detail::ReadLock lock(g.mutex);
  // Exclusions as sorted gallery positions per query.
  std::vector<std::vector<int64_t>> excluded;
  if (!options.exclude.empty() || !options.exclude_one.empty()) {
    excluded.resize(nq);
    for (size_t i = 0; i < nq; ++i) {
      auto add = [&](int64_t id) {
        auto it = g.pos_of.find(id);
        if (it != g.pos_of.end()) excluded[i].push_back(static_cast<int64_t>(it->second));
      };
      if (!options.exclude.empty())
        for (int64_t id : options.exclude[i]) add(id);
      if (!options.exclude_one.empty()) add(options.exclude_one[i]);
      std::sort(excluded[i].begin(), excluded[i].end());
      excluded[i].erase(std::unique(excluded[i].begin(), excluded[i].end()), excluded[i].end());
    }
  }
  // Results are first written as positions, then mapped to ids in place.
  if (g.index_options.backend == GalleryBackend::exact)
    detail::exact_topk(g.store, q.data(), nq, kk, excluded, options.num_threads, r.scores.data(),
                       r.ids.data());
  else
    ann_topk(g, q.data(), nq, kk, excluded, options, r.scores.data(), r.ids.data());
  int64_t* p = r.ids.data();
  for (size_t i = 0; i < nq * kk; ++i)
    if (p[i] >= 0) p[i] = g.ids[static_cast<size_t>(p[i])];
  return r;
}

void Gallery::build_index() const {
  if (impl_->index_options.backend == GalleryBackend::exact) return;
  detail::ReadLock lock(impl_->mutex);
  ensure_ann(*impl_);
}

}  // namespace lincir
