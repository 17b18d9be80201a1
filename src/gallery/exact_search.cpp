#include "gallery/exact_search.hpp"

#include "gallery/score_kernel.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <thread>

namespace lincir::detail {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMat>;
using RowMap = Eigen::Map<RowMat>;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr size_t kQueryBlock = 128;
// Below this many multiply-adds per thread, starting a thread costs more than it saves.
constexpr double kMinMacsPerThread = double(1 << 23);

// Gallery rows per GEMM block: about 2 MB of float32 so a block (and its float16 decode) stays
// in cache while every query block is multiplied against it.
size_t gallery_block(size_t dim) {
  return std::clamp<size_t>((size_t{1} << 21) / (4 * dim), 256, 4096);
}

// Bounded heap keeping the k best candidates; the worst kept one sits on top so a new candidate
// is usually rejected by one comparison against threshold().
class TopK {
 public:
  void reset(size_t k) {
    k_ = k;
    heap_.clear();
    heap_.reserve(k);
  }
  float threshold() const { return heap_.size() < k_ ? kNegInf : heap_.front().score; }
  void push(const Candidate& c) {
    if (heap_.size() < k_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    } else if (ranks_before(c, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    }
  }
  std::vector<Candidate>& items() { return heap_; }

 private:
  size_t k_ = 0;
  std::vector<Candidate> heap_;  // max-heap under ranks_before: front() ranks last
};

// Feeds one query's scores for gallery positions [base, base + n) into its heap.
void select(const float* scores, size_t n, int64_t base, TopK& heap,
            const std::vector<int64_t>* excluded) {
  float thr = heap.threshold();
  for (size_t j = 0; j < n; ++j) {
    const float s = scores[j];
    // Positions rise within a scan, so a score equal to the threshold never ranks before the
    // kept candidate: `<=` would also be correct once full, `<` keeps the not-full case simple.
    if (!(s >= thr)) continue;  // also drops NaN
    const int64_t pos = base + static_cast<int64_t>(j);
    if (excluded && std::binary_search(excluded->begin(), excluded->end(), pos)) continue;
    heap.push({s, pos});
    thr = heap.threshold();
  }
}

// Scans gallery rows [g0, g1) for queries [q0, q1), updating heaps[q - q0].
void scan(const VectorStore& store, const float* queries, size_t q0, size_t q1, size_t g0,
          size_t g1, const std::vector<std::vector<int64_t>>& excluded, TopK* heaps) {
  const size_t d = store.dim();
  const size_t gb = gallery_block(d);
  std::vector<float> decoded(store.f32_rows(0) ? 0 : gb * d);
  std::vector<float> scores(std::min(kQueryBlock, q1 - q0) * gb);
  std::vector<float> pack;
  for (size_t gs = g0; gs < g1; gs += gb) {
    const size_t ge = std::min(g1, gs + gb);
    const size_t n = ge - gs;
    const float* rows = store.f32_rows(gs);
    if (!rows) {
      store.decode(gs, ge, decoded.data());
      rows = decoded.data();
    }
    ConstRowMap g(rows, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
    for (size_t qs = q0; qs < q1; qs += kQueryBlock) {
      const size_t qe = std::min(q1, qs + kQueryBlock);
      const size_t m = qe - qs;
      if (m == 1) {  // memory-bound GEMV scan
        Eigen::Map<Eigen::VectorXf> s(scores.data(), static_cast<Eigen::Index>(n));
        s.noalias() = g * Eigen::Map<const Eigen::VectorXf>(queries + qs * d,
                                                            static_cast<Eigen::Index>(d));
      } else if (score_kernel_available()) {
        score_block(queries + qs * d, m, rows, n, d, scores.data(), pack);
      } else {
        RowMap s(scores.data(), static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(n));
        s.noalias() = ConstRowMap(queries + qs * d, static_cast<Eigen::Index>(m),
                                  static_cast<Eigen::Index>(d)) *
                      g.transpose();
      }
      for (size_t qi = 0; qi < m; ++qi) {
        const size_t q = qs + qi;
        select(scores.data() + qi * n, n, static_cast<int64_t>(gs), heaps[q - q0],
               excluded.empty() ? nullptr : &excluded[q]);
      }
    }
  }
}

// Writes `cands` (any order) as one result row: best first, padded.
void write_row(std::vector<Candidate>& cands, size_t k, float* scores, int64_t* pos) {
  const size_t keep = std::min(k, cands.size());
  std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(keep), cands.end(),
                    ranks_before);
  for (size_t j = 0; j < k; ++j) {
    scores[j] = j < keep ? cands[j].score : kNegInf;
    pos[j] = j < keep ? cands[j].pos : -1;
  }
}

// Runs f(0..T-1), f(0) on the calling thread. If a thread cannot be started its share runs
// inline; the first exception of any share is rethrown after all have finished.
template <class F>
void run_parallel(size_t t_count, const F& f) {
  std::vector<std::exception_ptr> errors(t_count);
  std::vector<std::thread> threads;
  std::vector<size_t> inline_shares{0};
  threads.reserve(t_count);
  for (size_t t = 1; t < t_count; ++t) {
    try {
      threads.emplace_back([&f, &errors, t] {
        try {
          f(t);
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    } catch (...) {
      inline_shares.push_back(t);
    }
  }
  for (size_t t : inline_shares) {
    try {
      f(t);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  }
  for (auto& th : threads) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

void exact_topk(const VectorStore& store, const float* queries, size_t nq, size_t k,
                const std::vector<std::vector<int64_t>>& excluded, int num_threads,
                float* out_scores, int64_t* out_pos) {
  const size_t n = store.size();
  const size_t d = store.dim();
  if (nq == 0) return;
  if (n == 0) {
    std::fill(out_scores, out_scores + nq * k, kNegInf);
    std::fill(out_pos, out_pos + nq * k, int64_t{-1});
    return;
  }
  const size_t kk = std::min(k, n);  // heaps never need more than n slots

  size_t threads = num_threads > 0 ? static_cast<size_t>(num_threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
  const double macs = double(nq) * double(n) * double(d);
  threads = std::min(threads, std::max<size_t>(1, static_cast<size_t>(macs / kMinMacsPerThread)));
  threads = std::min<size_t>(threads, 256);

  // Splitting the queries makes every thread stream the whole gallery; on a gallery much larger
  // than the caches, splitting the gallery (each thread scores all queries on its share) reads it
  // once, which is what bounds the search there.
  const bool large = n >= threads * 16 * gallery_block(d);
  if (threads == 1 || (nq >= threads * 8 && !(large && nq <= kQueryBlock))) {
    // Split the queries: each share scans the whole gallery for its own queries.
    threads = std::min(threads, nq);
    const size_t chunk = (nq + threads - 1) / threads;
    run_parallel(threads, [&](size_t t) {
      const size_t q0 = std::min(nq, t * chunk), q1 = std::min(nq, q0 + chunk);
      if (q0 >= q1) return;
      std::vector<TopK> heaps(q1 - q0);
      for (auto& h : heaps) h.reset(kk);
      scan(store, queries, q0, q1, 0, n, excluded, heaps.data());
      for (size_t q = q0; q < q1; ++q)
        write_row(heaps[q - q0].items(), k, out_scores + q * k, out_pos + q * k);
    });
    return;
  }

  // Few queries, large gallery: split the gallery, then merge each query's per-share heaps.
  const size_t chunk = (n + threads - 1) / threads;
  std::vector<std::vector<TopK>> heaps(threads, std::vector<TopK>(nq));
  run_parallel(threads, [&](size_t t) {
    for (auto& h : heaps[t]) h.reset(kk);
    const size_t g0 = std::min(n, t * chunk), g1 = std::min(n, g0 + chunk);
    if (g0 < g1) scan(store, queries, 0, nq, g0, g1, excluded, heaps[t].data());
  });
  std::vector<Candidate> merged;
  for (size_t q = 0; q < nq; ++q) {
    merged.clear();
    for (size_t t = 0; t < threads; ++t) {
      const auto& items = heaps[t][q].items();
      merged.insert(merged.end(), items.begin(), items.end());
    }
    write_row(merged, k, out_scores + q * k, out_pos + q * k);
  }
}

}  // namespace lincir::detail
