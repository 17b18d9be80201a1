// faiss implementations of AnnIndex (compiled only with LINCIR_HAVE_FAISS).
#include "gallery/ann_index.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#ifdef LINCIR_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#endif

namespace lincir::detail {

#ifndef LINCIR_HAVE_FAISS

bool faiss_compiled() noexcept { return false; }

std::unique_ptr<AnnIndex> build_ann_index(const GalleryIndexOptions& options, const VectorStore&) {
  LINCIR_THROW(Status::unsupported, std::string("gallery backend '") +
                                        gallery_backend_name(options.backend) +
                                        "' needs faiss, which this build of lincir lacks");
}

#else

bool faiss_compiled() noexcept { return true; }

namespace {

constexpr size_t kAddChunk = 1 << 16;  // rows decoded and added at a time (bounds temp memory)

// faiss reports errors with its own exception type; re-throw them as lincir errors.
template <class F>
void faiss_call(const char* what, const F& f) {
  try {
    f();
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    LINCIR_THROW(Status::out_of_memory, std::string("faiss ") + what + ": out of memory");
  } catch (const std::exception& e) {
    LINCIR_THROW(Status::internal, std::string("faiss ") + what + " failed: " + e.what());
  }
}

class FaissIndex final : public AnnIndex {
 public:
  FaissIndex(const GalleryIndexOptions& options, std::unique_ptr<faiss::Index> quantizer,
             std::unique_ptr<faiss::Index> index)
      : options_(options), quantizer_(std::move(quantizer)), index_(std::move(index)) {}

  size_t size() const override { return static_cast<size_t>(index_->ntotal); }

  void add(const float* rows, size_t n) override {
    if (options_.backend == GalleryBackend::faiss_hnsw)
      LINCIR_CHECK_STATUS(size() + n <= size_t{2147483647}, Status::unsupported,
                          "faiss HNSW gallery index is limited to 2^31-1 vectors");
    faiss_call("add", [&] { index_->add(static_cast<faiss::Index::idx_t>(n), rows); });
  }

  void search(const float* queries, size_t nq, size_t k, const SearchOptions& o, float* scores,
              int64_t* labels) const override {
    // Per-call parameters: faiss reads them without touching the index, so concurrent searches
    // with different settings are safe.
    faiss::SearchParametersIVF ivf;
    faiss::SearchParametersHNSW hnsw;
    const faiss::SearchParameters* params = nullptr;
    if (options_.backend == GalleryBackend::faiss_ivf) {
      ivf.nprobe = static_cast<size_t>(o.nprobe > 0 ? o.nprobe : options_.ivf_nprobe);
      params = &ivf;
    } else if (options_.backend == GalleryBackend::faiss_hnsw) {
      hnsw.efSearch = std::max(o.ef_search > 0 ? o.ef_search : options_.hnsw_ef_search,
                               static_cast<int>(std::min<size_t>(k, 1 << 30)));
      params = &hnsw;
    }
    faiss_call("search", [&] {
      index_->search(static_cast<faiss::Index::idx_t>(nq), queries,
                     static_cast<faiss::Index::idx_t>(k), scores, labels, params);
    });
  }

 private:
  GalleryIndexOptions options_;
  std::unique_ptr<faiss::Index> quantizer_;  // IVF coarse quantizer; outlives index_
  std::unique_ptr<faiss::Index> index_;
};

// Evenly spaced rows of `store`, decoded to float32, for k-means training.
std::vector<float> training_sample(const VectorStore& store, size_t count) {
  const size_t n = store.size(), d = store.dim();
  count = std::min(count, n);
  std::vector<float> out(count * d);
  for (size_t i = 0; i < count; ++i) {
    const size_t row = (i * n) / count;
    store.decode(row, row + 1, out.data() + i * d);
  }
  return out;
}

}  // namespace

std::unique_ptr<AnnIndex> build_ann_index(const GalleryIndexOptions& options,
                                          const VectorStore& store) {
  const size_t n = store.size();
  const int d = static_cast<int>(store.dim());
  LINCIR_CHECK_STATUS(n > 0, Status::internal, "build_ann_index on an empty gallery");
  std::unique_ptr<faiss::Index> quantizer, index;
  faiss_call("index construction", [&] {
    switch (options.backend) {
      case GalleryBackend::faiss_flat:
        index = std::make_unique<faiss::IndexFlatIP>(d);
        break;
      case GalleryBackend::faiss_ivf: {
        size_t nlist = options.ivf_nlist > 0
                           ? static_cast<size_t>(options.ivf_nlist)
                           : std::min<size_t>(std::lround(4.0 * std::sqrt(double(n))),
                                              std::max<size_t>(1, n / 39));
        nlist = std::clamp<size_t>(nlist, 1, n);
        quantizer = std::make_unique<faiss::IndexFlatIP>(d);
        auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), d, nlist,
                                                         faiss::METRIC_INNER_PRODUCT);
        ivf->cp.seed = static_cast<int>(options.ivf_seed & 0x7fffffff);
        ivf->cp.verbose = false;
        // faiss subsamples beyond 256 points per list anyway; decoding only those saves memory.
        const size_t sample_rows = std::min(n, nlist * 256);
        std::vector<float> sample = training_sample(store, sample_rows);
        ivf->train(static_cast<faiss::Index::idx_t>(sample_rows), sample.data());
        index = std::move(ivf);
        break;
      }
      case GalleryBackend::faiss_hnsw: {
        auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(d, options.hnsw_m,
                                                           faiss::METRIC_INNER_PRODUCT);
        hnsw->hnsw.efConstruction = options.hnsw_ef_construction;
        index = std::move(hnsw);
        break;
      }
      case GalleryBackend::exact:
        break;
    }
  });
  LINCIR_CHECK_STATUS(index != nullptr, Status::internal, "build_ann_index for the exact backend");
  auto ann = std::make_unique<FaissIndex>(options, std::move(quantizer), std::move(index));
  std::vector<float> buf(std::min(n, kAddChunk) * store.dim());
  for (size_t b = 0; b < n; b += kAddChunk) {
    const size_t e = std::min(n, b + kAddChunk);
    const float* rows = store.f32_rows(b);
    if (!rows) {
      store.decode(b, e, buf.data());
      rows = buf.data();
    }
    ann->add(rows, e - b);
  }
  return ann;
}

#endif  // LINCIR_HAVE_FAISS

}  // namespace lincir::detail
