// faiss backends behind the Gallery interface: flat must equal the exact search, IVF and HNSW
// must reach recall@10 >= 0.9 on clustered data, and exclusions/padding must behave as exact.
// In a build without faiss the same tests check that the backends are refused.
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <set>
#include <thread>

#include "gallery/gallery_reference.hpp"
#include "lincir/gallery.hpp"
#include "support/test_support.hpp"

namespace lincir {
namespace {

using test::brute_force;
using test::clustered_matrix;
using test::iota_ids;
using test::random_matrix;
using test::recall_at_k;

GalleryOptions with_backend(GalleryBackend b) {
  GalleryOptions o;
  o.index.backend = b;
  return o;
}

// In a build without faiss: constructing the backend must be refused; returns true then.
bool refused_without_faiss(GalleryBackend b) {
  if (Gallery::faiss_available()) return false;
  try {
    Gallery g(8, with_backend(b));
    ADD_FAILURE() << "faiss backend accepted without faiss";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::unsupported) << e.what();
  }
  return true;
}

// Same ranking as the exact backend: equal ids except at near-ties, scores within 1e-5.
void expect_same_ranking(const SearchResult& a, const SearchResult& exact) {
  ASSERT_EQ(a.ids.rows(), exact.ids.rows());
  ASSERT_EQ(a.ids.cols(), exact.ids.cols());
  for (Eigen::Index q = 0; q < a.ids.rows(); ++q)
    for (Eigen::Index j = 0; j < a.ids.cols(); ++j) {
      if (exact.ids(q, j) == -1) {
        EXPECT_EQ(a.ids(q, j), -1);
        EXPECT_EQ(a.scores(q, j), -std::numeric_limits<float>::infinity());
        continue;
      }
      EXPECT_NEAR(a.scores(q, j), exact.scores(q, j), 1e-5) << q << "," << j;
      if (a.ids(q, j) != exact.ids(q, j)) {  // only a near-tie may swap
        const float s = exact.scores(q, j);
        const bool tie = (j > 0 && exact.scores(q, j - 1) - s < 1e-5f) ||
                         (j + 1 < a.ids.cols() && s - exact.scores(q, j + 1) < 1e-5f);
        EXPECT_TRUE(tie) << "q=" << q << " rank " << j << ": " << a.ids(q, j) << " vs "
                         << exact.ids(q, j);
      }
    }
}

TEST(GalleryFaiss, FlatEqualsExact) {
  if (refused_without_faiss(GalleryBackend::faiss_flat)) return;
  const int n = 1000, d = 32, k = 10;
  Embeddings g = random_matrix(n, d, 41), q = random_matrix(40, d, 42);
  auto ids = iota_ids(n, 10, 3);
  Gallery flat(d, with_backend(GalleryBackend::faiss_flat)), exact(d);
  flat.add(g, ids);
  exact.add(g, ids);
  expect_same_ranking(flat.search(q, k), exact.search(q, k));
  expect_same_ranking(flat.search(q.topRows(1), k), exact.search(q.topRows(1), k));

  SearchOptions o;  // exclusions: drop each query's exact top-2
  auto top = exact.search(q, 2);
  o.exclude.resize(40);
  for (int i = 0; i < 40; ++i) o.exclude[i] = {top.ids(i, 0), top.ids(i, 1)};
  auto rf = flat.search(q, k, o);
  expect_same_ranking(rf, exact.search(q, k, o));
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < k; ++j) {
      EXPECT_NE(rf.ids(i, j), top.ids(i, 0));
      EXPECT_NE(rf.ids(i, j), top.ids(i, 1));
    }
}

TEST(GalleryFaiss, PaddingAndEmptyGallery) {
  if (refused_without_faiss(GalleryBackend::faiss_hnsw)) return;
  const int d = 8;
  for (auto b : {GalleryBackend::faiss_flat, GalleryBackend::faiss_ivf, GalleryBackend::faiss_hnsw}) {
    SCOPED_TRACE(gallery_backend_name(b));
    Gallery g(d, with_backend(b)), exact(d);
    Embeddings q = random_matrix(3, d, 43);
    auto empty = g.search(q, 4);
    EXPECT_TRUE((empty.ids.array() == -1).all());
    Embeddings v = random_matrix(6, d, 44);
    g.add(v, iota_ids(6));
    exact.add(v, iota_ids(6));
    SearchOptions o;
    o.exclude_one = {0, 1, 2};
    expect_same_ranking(g.search(q, 9, o), exact.search(q, 9, o));
  }
}

// Recall@10 of `b` against brute force on clustered data, for the plain search and for each of
// `variants` (a variant with exclude_one set excludes each query's true nearest neighbour).
std::vector<double> backend_recall(GalleryBackend b, std::vector<SearchOptions> variants) {
  const int n = 3000, d = 32, nq = 150, k = 10;
  Embeddings g = clustered_matrix(n, d, 30, 0.4f, 45, 46);
  Embeddings q = clustered_matrix(nq, d, 30, 0.4f, 45, 47);  // same blobs, fresh points
  auto ids = iota_ids(n, 0, 2);
  Gallery gallery(d, with_backend(b));
  gallery.add(g, ids);
  const auto plain = brute_force(g, ids, q, true);
  std::vector<std::vector<int64_t>> nearest(nq);
  for (int i = 0; i < nq; ++i) nearest[i] = {plain[i][0].id};
  const auto without_nearest = brute_force(g, ids, q, true, nearest);
  std::vector<double> out{recall_at_k(gallery.search(q, k).ids, plain, k)};
  for (auto o : variants) {
    const bool excluding = !o.exclude_one.empty();
    if (excluding)
      for (int i = 0; i < nq; ++i) o.exclude_one[i] = nearest[i][0];
    auto r = gallery.search(q, k, o);
    for (int i = 0; excluding && i < nq; ++i)
      for (int j = 0; j < k; ++j) EXPECT_NE(r.ids(i, j), nearest[i][0]);
    out.push_back(recall_at_k(r.ids, excluding ? without_nearest : plain, k));
  }
  return out;
}

TEST(GalleryFaiss, IvfRecall) {
  if (refused_without_faiss(GalleryBackend::faiss_ivf)) return;
  SearchOptions excl, one_probe;
  excl.exclude_one.assign(150, 0);
  one_probe.nprobe = 1;  // fewer lists probed: still a valid, if worse, answer
  auto r = backend_recall(GalleryBackend::faiss_ivf, {excl, one_probe});
  EXPECT_GE(r[0], 0.9);
  EXPECT_GE(r[1], 0.9);
  EXPECT_GE(r[2], 0.3);
  EXPECT_LE(r[2], r[0]);
}

TEST(GalleryFaiss, HnswRecall) {
  if (refused_without_faiss(GalleryBackend::faiss_hnsw)) return;
  SearchOptions excl;
  excl.exclude_one.assign(150, 0);
  excl.ef_search = 128;
  auto r = backend_recall(GalleryBackend::faiss_hnsw, {excl});
  EXPECT_GE(r[0], 0.9);
  EXPECT_GE(r[1], 0.9);
}

TEST(GalleryFaiss, IndexFollowsAddRemoveAndMerge) {
  if (refused_without_faiss(GalleryBackend::faiss_flat)) return;
  const int d = 16, k = 8;
  Embeddings v = random_matrix(300, d, 48), q = random_matrix(12, d, 49);
  GalleryOptions o = with_backend(GalleryBackend::faiss_flat);
  o.storage = GalleryStorage::float16;
  Gallery g(d, o), exact(d, GalleryOptions{GalleryMetric::cosine, GalleryStorage::float16, {}});
  g.add(v.topRows(100), iota_ids(100));
  exact.add(v.topRows(100), iota_ids(100));
  g.build_index();
  expect_same_ranking(g.search(q, k), exact.search(q, k));
  g.add(v.middleRows(100, 100), iota_ids(100, 100));  // extends the built index
  exact.add(v.middleRows(100, 100), iota_ids(100, 100));
  expect_same_ranking(g.search(q, k), exact.search(q, k));
  auto top = exact.search(q, 1);
  std::vector<int64_t> gone(top.ids.data(), top.ids.data() + top.ids.size());
  g.remove(gone);  // positions shift: the index is rebuilt
  exact.remove(gone);
  expect_same_ranking(g.search(q, k), exact.search(q, k));
  Gallery part(d, o), part_exact(d, GalleryOptions{GalleryMetric::cosine, GalleryStorage::float16, {}});
  part.add(v.bottomRows(100), iota_ids(100, 200));
  part_exact.add(v.bottomRows(100), iota_ids(100, 200));
  g.merge(part);
  exact.merge(part_exact);
  expect_same_ranking(g.search(q, k), exact.search(q, k));
}

TEST(GalleryFaiss, LoadWithBackendAndConcurrentSearches) {
  if (refused_without_faiss(GalleryBackend::faiss_hnsw)) return;
  test::TempDir dir;
  const int d = 24, k = 10;
  Embeddings v = clustered_matrix(1500, d, 20, 0.5f, 50, 51);
  Gallery exact(d);
  exact.add(v, iota_ids(1500));
  exact.save(dir.file("g.lcg"));
  for (auto b : {GalleryBackend::faiss_flat, GalleryBackend::faiss_hnsw}) {
    SCOPED_TRACE(gallery_backend_name(b));
    GalleryLoadOptions lo;
    lo.index.backend = b;
    Gallery g = Gallery::load(dir.file("g.lcg"), lo);
    EXPECT_EQ(g.index_options().backend, b);
    std::vector<Embeddings> batches;
    std::vector<SearchResult> expected;
    for (int t = 0; t < 8; ++t) {
      batches.push_back(clustered_matrix(3 + t, d, 20, 0.5f, 50, 60 + t));
      expected.push_back(g.search(batches[t], k));
    }
    if (b == GalleryBackend::faiss_flat) expect_same_ranking(expected[7], exact.search(batches[7], k));
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        for (int it = 0; it < 10; ++it) {
          const int bi = (t + it) % 8;
          auto r = g.search(batches[bi], k);
          if (!(r.ids.array() == expected[bi].ids.array()).all()) ++mismatches;
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(mismatches.load(), 0);
  }
}

}  // namespace
}  // namespace lincir
