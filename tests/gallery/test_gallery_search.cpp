// Exact search, mutation and lookups of lincir::Gallery against a brute-force reference.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <limits>
#include <map>
#include <thread>

#include "gallery/gallery_reference.hpp"
#include "lincir/gallery.hpp"

namespace lincir {
namespace {

using test::brute_force;
using test::iota_ids;
using test::random_matrix;
using test::RefHit;

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

#define EXPECT_STATUS(stmt, st)                                \
  do {                                                         \
    try {                                                      \
      stmt;                                                    \
      ADD_FAILURE() << "no exception from " #stmt;             \
    } catch (const Error& e) {                                 \
      EXPECT_EQ(e.status(), st) << e.what();                   \
    }                                                          \
  } while (0)

// Every rank's score matches the reference's score at that rank, the returned id really has that
// score, and where the reference has no near-tie the id is exactly the reference id. Slots past
// the eligible count are padding.
void expect_matches(const SearchResult& r, const std::vector<std::vector<RefHit>>& ref, int k,
                    double tol = 1e-5) {
  ASSERT_EQ(r.scores.rows(), static_cast<Eigen::Index>(ref.size()));
  ASSERT_EQ(r.scores.cols(), k);
  ASSERT_EQ(r.ids.cols(), k);
  for (size_t q = 0; q < ref.size(); ++q) {
    std::map<int64_t, double> score_of;
    for (const auto& h : ref[q]) score_of[h.id] = h.score;
    std::set<int64_t> seen;
    for (int j = 0; j < k; ++j) {
      const int64_t id = r.ids(q, j);
      if (j >= int(ref[q].size())) {
        EXPECT_EQ(id, -1) << "q=" << q << " j=" << j;
        EXPECT_EQ(r.scores(q, j), kNegInf);
        continue;
      }
      ASSERT_TRUE(score_of.count(id)) << "q=" << q << " j=" << j << " id " << id << " not eligible";
      EXPECT_TRUE(seen.insert(id).second) << "duplicate id " << id;
      EXPECT_NEAR(r.scores(q, j), ref[q][j].score, tol) << "q=" << q << " j=" << j;
      EXPECT_NEAR(score_of[id], ref[q][j].score, tol) << "q=" << q << " j=" << j;
      const double prev = j > 0 ? ref[q][j - 1].score : 1e30;
      const double next = j + 1 < int(ref[q].size()) ? ref[q][j + 1].score : -1e30;
      if (prev - ref[q][j].score > 1e-4 && ref[q][j].score - next > 1e-4) {
        EXPECT_EQ(id, ref[q][j].id) << "q=" << q << " j=" << j;
      }
    }
  }
}

void expect_identical(const SearchResult& a, const SearchResult& b) {
  ASSERT_EQ(a.ids.rows(), b.ids.rows());
  ASSERT_EQ(a.ids.cols(), b.ids.cols());
  EXPECT_TRUE((a.ids.array() == b.ids.array()).all());
  EXPECT_EQ(0, std::memcmp(a.scores.data(), b.scores.data(), sizeof(float) * a.scores.size()));
}

TEST(GallerySearch, ExactTopKMatchesBruteForce) {
  const int n = 777, d = 48, nq = 37, k = 10;
  Embeddings g = random_matrix(n, d, 1), q = random_matrix(nq, d, 2);
  auto ids = iota_ids(n, 1000, 3);
  Gallery gallery(d);
  gallery.add(g.topRows(300), std::vector<int64_t>(ids.begin(), ids.begin() + 300));
  gallery.add(g.bottomRows(n - 300), std::vector<int64_t>(ids.begin() + 300, ids.end()));
  ASSERT_EQ(gallery.size(), size_t(n));
  auto ref = brute_force(g, ids, q, true);
  expect_matches(gallery.search(q, k), ref, k);
  // One query takes the GEMV path; it must agree with the batched result.
  auto one = gallery.search(q.row(5), k);
  auto ref5 = brute_force(g, ids, q.middleRows(5, 1), true);
  expect_matches(one, ref5, k);
  // Scores are cosine similarities even though the queries are not normalised.
  EXPECT_LE(one.scores(0, 0), 1.0f + 1e-6f);
}

TEST(GallerySearch, ThreadedPathsMatchBruteForceAndEachOther) {
  // Large enough for the work heuristic to allow 4 threads.
  {  // few queries: the gallery is split between threads and the heaps merged
    const int n = 8192, d = 256, nq = 16, k = 7;
    Embeddings g = random_matrix(n, d, 3), q = random_matrix(nq, d, 4);
    auto ids = iota_ids(n);
    Gallery gallery(d);
    gallery.add(g, ids);
    SearchOptions one, four;
    one.num_threads = 1;
    four.num_threads = 4;
    auto r1 = gallery.search(q, k, one);
    auto r4 = gallery.search(q, k, four);
    auto ref = brute_force(g, ids, q, true);
    expect_matches(r1, ref, k);
    expect_matches(r4, ref, k);
    EXPECT_TRUE((r1.ids.array() == r4.ids.array()).all());
  }
  {  // many queries: the queries are split between threads
    const int n = 2048, d = 128, nq = 160, k = 5;
    Embeddings g = random_matrix(n, d, 5), q = random_matrix(nq, d, 6);
    auto ids = iota_ids(n, 7);
    Gallery gallery(d);
    gallery.add(g, ids);
    SearchOptions one, four;
    one.num_threads = 1;
    four.num_threads = 4;
    auto ref = brute_force(g, ids, q, true);
    expect_matches(gallery.search(q, k, one), ref, k);
    expect_matches(gallery.search(q, k, four), ref, k);
  }
}

TEST(GallerySearch, InnerProductMetricKeepsVectorsAsGiven) {
  const int n = 200, d = 16, k = 6;
  Embeddings g = random_matrix(n, d, 7) * 3.f, q = random_matrix(9, d, 8);
  auto ids = iota_ids(n);
  GalleryOptions o;
  o.metric = GalleryMetric::inner_product;
  Gallery gallery(d, o);
  gallery.add(g, ids);
  EXPECT_EQ(gallery.metric(), GalleryMetric::inner_product);
  Embeddings v = gallery.vectors({3, 17});
  EXPECT_TRUE(v.row(0).isApprox(g.row(3)));
  EXPECT_TRUE(v.row(1).isApprox(g.row(17)));
  expect_matches(gallery.search(q, k), brute_force(g, ids, q, false), k, 1e-4);

  Gallery cosine(d);
  cosine.add(g, ids);
  EXPECT_NEAR(cosine.vectors({3}).row(0).norm(), 1.0, 1e-6);
  EXPECT_TRUE(cosine.vectors({3}).row(0).isApprox(g.row(3).normalized()));
}

TEST(GallerySearch, ExclusionLists) {
  const int n = 300, d = 24, nq = 6, k = 12;
  Embeddings g = random_matrix(n, d, 9), q = random_matrix(nq, d, 10);
  auto ids = iota_ids(n, 50);
  Gallery gallery(d);
  gallery.add(g, ids);
  auto plain = brute_force(g, ids, q, true);
  // Exclude each query's own top-3 (as CIRR removes the reference), an unknown id, and for
  // query 0 also exclude_one.
  SearchOptions o;
  std::vector<std::vector<int64_t>> ex(nq);
  for (int i = 0; i < nq; ++i) ex[i] = {plain[i][0].id, plain[i][2].id, 999999};
  ex[3] = {};
  o.exclude = ex;
  o.exclude_one.assign(nq, -1);
  o.exclude_one[0] = plain[0][1].id;
  auto ref_ex = ex;
  ref_ex[0].push_back(plain[0][1].id);
  auto r = gallery.search(q, k, o);
  expect_matches(r, brute_force(g, ids, q, true, ref_ex), k);
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < k; ++j)
      for (int64_t e : ref_ex[i]) EXPECT_NE(r.ids(i, j), e);

  SearchOptions only_one;  // the single-id form alone
  only_one.exclude_one.resize(nq);
  std::vector<std::vector<int64_t>> ref_one(nq);
  for (int i = 0; i < nq; ++i) ref_one[i] = {only_one.exclude_one[i] = plain[i][0].id};
  expect_matches(gallery.search(q, k, only_one), brute_force(g, ids, q, true, ref_one), k);

  SearchOptions bad;
  bad.exclude.resize(nq + 1);
  EXPECT_STATUS(gallery.search(q, k, bad), Status::invalid_argument);
  bad = {};
  bad.exclude_one.resize(1);
  EXPECT_STATUS(gallery.search(q, k, bad), Status::invalid_argument);
}

TEST(GallerySearch, PadsWithMinusOneWhenKExceedsEligible) {
  const int d = 8;
  Embeddings g = random_matrix(5, d, 11), q = random_matrix(2, d, 12);
  auto ids = iota_ids(5, 10);
  Gallery gallery(d);
  auto empty = gallery.search(q, 3);  // empty gallery: everything is padding
  EXPECT_TRUE((empty.ids.array() == -1).all());
  EXPECT_TRUE((empty.scores.array() == kNegInf).all());

  gallery.add(g, ids);
  auto r = gallery.search(q, 8);
  expect_matches(r, brute_force(g, ids, q, true), 8);
  for (int i = 0; i < 2; ++i)
    for (int j = 5; j < 8; ++j) {
      EXPECT_EQ(r.ids(i, j), -1);
      EXPECT_EQ(r.scores(i, j), kNegInf);
    }
  SearchOptions o;
  o.exclude = {{10, 11}, {14}};
  auto re = gallery.search(q, 8, o);
  expect_matches(re, brute_force(g, ids, q, true, o.exclude), 8);
  EXPECT_NE(re.ids(0, 2), -1);  // ids 12, 13, 14 remain for query 0
  EXPECT_EQ(re.ids(0, 3), -1);
  EXPECT_EQ(re.ids(1, 4), -1);

  auto none = gallery.search(Embeddings(0, d), 4);
  EXPECT_EQ(none.ids.rows(), 0);
  EXPECT_EQ(none.ids.cols(), 4);
}

// Integer-valued vectors give exactly representable dot products, so ties are exact ties and
// the order among them must be by insertion position (not by id).
void check_ties(int n, int d, int nq, int k, GalleryStorage storage, int threads) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> val(-1, 1);
  Embeddings g(n, d), q(nq, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) g(i, j) = float(val(rng));
  // Only 5 distinct gallery rows: plenty of ties at every score.
  for (int i = 5; i < n; ++i) g.row(i) = g.row(int(rng() % 5));
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < d; ++j) q(i, j) = float(val(rng));
  std::vector<int64_t> ids = iota_ids(n);
  std::shuffle(ids.begin(), ids.end(), rng);  // id order differs from position order
  GalleryOptions o;
  o.metric = GalleryMetric::inner_product;
  o.storage = storage;
  Gallery gallery(d, o);
  gallery.add(g, ids);
  SearchOptions so;
  so.num_threads = threads;
  auto r = gallery.search(q, k, so);
  auto ref = brute_force(g, ids, q, false);
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < k; ++j) {
      ASSERT_EQ(r.ids(i, j), ref[i][j].id) << "q=" << i << " rank " << j;
      ASSERT_EQ(r.scores(i, j), float(ref[i][j].score));
    }
}

TEST(GallerySearch, TiesBreakByLowerPosition) {
  check_ties(300, 16, 4, 50, GalleryStorage::float32, 1);
  check_ties(300, 16, 1, 50, GalleryStorage::float32, 1);  // GEMV path
  check_ties(300, 16, 4, 50, GalleryStorage::float16, 1);
  check_ties(8192, 256, 8, 40, GalleryStorage::float32, 4);  // split gallery + merge
}

TEST(GallerySearch, ArgumentErrors) {
  const int d = 8;
  Gallery gallery(d);
  Embeddings g = random_matrix(4, d, 14);
  EXPECT_STATUS(Gallery(0), Status::invalid_argument);
  EXPECT_STATUS(Gallery(-3), Status::invalid_argument);
  GalleryOptions bad;
  bad.index.ivf_nprobe = 0;
  EXPECT_STATUS(Gallery(d, bad), Status::invalid_argument);

  EXPECT_STATUS(gallery.add(random_matrix(2, d + 1, 1), {1, 2}), Status::invalid_argument);
  EXPECT_STATUS(gallery.add(g, {1, 2, 3}), Status::invalid_argument);
  EXPECT_STATUS(gallery.add(g, {1, 2, 3, 2}), Status::invalid_argument);
  EXPECT_STATUS(gallery.add(g, {1, 2, 3, -4}), Status::invalid_argument);
  EXPECT_STATUS(gallery.add(g, {1, 2, 3, 4}, {"a"}), Status::invalid_argument);
  Embeddings nan = g;
  nan(2, 3) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_STATUS(gallery.add(nan, {1, 2, 3, 4}), Status::invalid_argument);
  Embeddings zero = g;
  zero.row(1).setZero();
  EXPECT_STATUS(gallery.add(zero, {1, 2, 3, 4}), Status::invalid_argument);
  EXPECT_EQ(gallery.size(), 0u);  // every failed add left the gallery unchanged

  gallery.add(g, {1, 2, 3, 4}, {"a", "b", "c", "d"});
  EXPECT_STATUS(gallery.add(g.topRows(1), {3}), Status::invalid_argument);  // already present
  EXPECT_EQ(gallery.size(), 4u);
  EXPECT_EQ(gallery.name_of(3), "c");

  EXPECT_STATUS(gallery.search(random_matrix(1, d + 2, 1), 3), Status::invalid_argument);
  EXPECT_STATUS(gallery.search(g, 0), Status::invalid_argument);
  EXPECT_STATUS(gallery.search(g, -1), Status::invalid_argument);
  EXPECT_STATUS(gallery.search(nan, 2), Status::invalid_argument);
  SearchOptions so;
  so.num_threads = -1;
  EXPECT_STATUS(gallery.search(g, 2, so), Status::invalid_argument);

  GalleryOptions ip;
  ip.metric = GalleryMetric::inner_product;
  ip.storage = GalleryStorage::float16;
  Gallery half(d, ip);
  Embeddings big = g;
  big(0, 0) = 1e6f;
  EXPECT_STATUS(half.add(big, {1, 2, 3, 4}), Status::invalid_argument);
  EXPECT_STATUS(parse_gallery_backend("annoy"), Status::invalid_argument);
  EXPECT_EQ(parse_gallery_backend("hnsw"), GalleryBackend::faiss_hnsw);
  EXPECT_STREQ(gallery_backend_name(GalleryBackend::faiss_ivf), "faiss_ivf");
}

TEST(GallerySearch, Lookups) {
  const int d = 4;
  Gallery gallery(d);
  gallery.add(random_matrix(3, d, 15), {30, 10, 20}, {"x.png", "y.png", ""});
  gallery.add(random_matrix(1, d, 16), {5});
  EXPECT_EQ(gallery.dim(), d);
  EXPECT_EQ(gallery.id(0), 30);
  EXPECT_EQ(gallery.id(3), 5);
  EXPECT_EQ(gallery.name(1), "y.png");
  EXPECT_EQ(gallery.name(3), "");
  EXPECT_EQ(gallery.ids(), (std::vector<int64_t>{30, 10, 20, 5}));
  EXPECT_TRUE(gallery.contains(20));
  EXPECT_FALSE(gallery.contains(21));
  EXPECT_EQ(gallery.index_of(20), std::optional<size_t>(2));
  EXPECT_EQ(gallery.index_of(21), std::nullopt);
  EXPECT_EQ(gallery.name_of(30), "x.png");
  EXPECT_STATUS(gallery.name_of(31), Status::invalid_argument);
  EXPECT_STATUS(gallery.id(4), Status::invalid_argument);
  EXPECT_STATUS(gallery.name(4), Status::invalid_argument);
  EXPECT_STATUS(gallery.vectors({30, 31}), Status::invalid_argument);
  EXPECT_EQ(gallery.vector_bytes(), 4u * d * sizeof(float));
}

TEST(GallerySearch, RemoveKeepsOrderAndRanking) {
  const int n = 120, d = 12, k = 10;
  Embeddings g = random_matrix(n, d, 17), q = random_matrix(5, d, 18);
  auto ids = iota_ids(n, 0, 2);
  Gallery gallery(d);
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("img" + std::to_string(i));
  gallery.add(g, ids, names);
  auto before = brute_force(g, ids, q, true);
  std::vector<int64_t> gone = {before[0][0].id, before[1][0].id, 2 * 7, 12345};
  std::sort(gone.begin(), gone.end());
  gone.erase(std::unique(gone.begin(), gone.end()), gone.end());
  const size_t expected_removed = gone.size() - 1;  // 12345 is unknown
  EXPECT_EQ(gallery.remove(gone), expected_removed);
  EXPECT_EQ(gallery.size(), n - expected_removed);
  Embeddings kept(int(n - expected_removed), d);
  std::vector<int64_t> kept_ids;
  for (int i = 0, r = 0; i < n; ++i) {
    if (std::count(gone.begin(), gone.end(), ids[i])) continue;
    kept.row(r++) = g.row(i);
    kept_ids.push_back(ids[i]);
  }
  EXPECT_EQ(gallery.ids(), kept_ids);
  EXPECT_EQ(gallery.name_of(kept_ids[10]), "img" + std::to_string(kept_ids[10] / 2));
  expect_matches(gallery.search(q, k), brute_force(kept, kept_ids, q, true), k);
  EXPECT_EQ(gallery.remove({12345}), 0u);
}

TEST(GallerySearch, MergeEqualsSingleBuild) {
  const int n = 400, d = 20, k = 10;
  Embeddings g = random_matrix(n, d, 19), q = random_matrix(7, d, 20);
  auto ids = iota_ids(n, 100);
  Gallery whole(d), a(d), b(d);
  whole.add(g, ids);
  a.add(g.topRows(150), std::vector<int64_t>(ids.begin(), ids.begin() + 150));
  b.add(g.bottomRows(n - 150), std::vector<int64_t>(ids.begin() + 150, ids.end()),
        std::vector<std::string>(n - 150, "b"));
  a.merge(b);
  EXPECT_EQ(a.ids(), whole.ids());
  EXPECT_EQ(a.name(200), "b");
  expect_identical(a.search(q, k), whole.search(q, k));

  EXPECT_STATUS(a.merge(b), Status::invalid_argument);  // ids overlap now
  EXPECT_EQ(a.size(), size_t(n));
  EXPECT_STATUS(a.merge(a), Status::invalid_argument);
  EXPECT_STATUS(a.merge(Gallery(d + 1)), Status::invalid_argument);
  GalleryOptions ip;
  ip.metric = GalleryMetric::inner_product;
  EXPECT_STATUS(a.merge(Gallery(d, ip)), Status::invalid_argument);

  GalleryOptions f16;
  f16.storage = GalleryStorage::float16;
  Gallery h(d, f16), c(d);
  h.add(g.topRows(10), iota_ids(10, 5000));
  c.merge(h);  // converted to float32: the float16-rounded values exactly
  EXPECT_EQ(c.storage(), GalleryStorage::float32);
  EXPECT_TRUE((c.vectors({5003}).array() == h.vectors({5003}).array()).all());
}

TEST(GallerySearch, Float16StorageRecall) {
  const int n = 2000, d = 64, nq = 100, k = 10;
  Embeddings g = random_matrix(n, d, 21), q = random_matrix(nq, d, 22);
  auto ids = iota_ids(n);
  GalleryOptions o;
  o.storage = GalleryStorage::float16;
  Gallery half(d, o), full(d);
  half.add(g, ids);
  full.add(g, ids);
  EXPECT_EQ(half.storage(), GalleryStorage::float16);
  EXPECT_EQ(half.vector_bytes() * 2, full.vector_bytes());
  auto rh = half.search(q, k), rf = full.search(q, k);
  auto ref = brute_force(g, ids, q, true);
  EXPECT_GE(test::recall_at_k(rh.ids, ref, k), 0.99);
  EXPECT_LT((rh.scores - rf.scores).cwiseAbs().maxCoeff(), 2e-3f);
  // Decoded vectors are the float16 roundings of the normalised inputs.
  Embeddings v = half.vectors({42});
  Eigen::RowVectorXf expect = g.row(42).normalized();
  for (int j = 0; j < d; ++j) EXPECT_EQ(v(0, j), float(Eigen::half(expect(j))));
}

TEST(GallerySearch, ConcurrentSearchesMatchSingleThreaded) {
  const int n = 1500, d = 32, k = 10;
  Embeddings g = random_matrix(n, d, 23);
  auto ids = iota_ids(n);
  Gallery gallery(d);
  gallery.add(g, ids);
  std::vector<Embeddings> batches;
  std::vector<SearchResult> expected;
  for (int t = 0; t < 8; ++t) {
    batches.push_back(random_matrix(1 + 5 * t, d, 100 + t));
    SearchOptions o;
    if (t % 2) o.exclude_one.assign(batches[t].rows(), t * 10);
    expected.push_back(gallery.search(batches[t], k, o));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int it = 0; it < 20; ++it) {
        const int b = (t + it) % 8;
        SearchOptions o;
        if (b % 2) o.exclude_one.assign(batches[b].rows(), b * 10);
        auto r = gallery.search(batches[b], k, o);
        if (!(r.ids.array() == expected[b].ids.array()).all() ||
            std::memcmp(r.scores.data(), expected[b].scores.data(),
                        sizeof(float) * r.scores.size()) != 0)
          ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(GallerySearch, AddDuringSearchesIsAtomic) {
  const int d = 16, k = 5;
  Embeddings g = random_matrix(600, d, 24), q = random_matrix(3, d, 25);
  Gallery gallery(d);
  gallery.add(g.topRows(300), iota_ids(300));
  const SearchResult before = gallery.search(q, k);
  Gallery full(d);
  full.add(g, iota_ids(600));
  const SearchResult after = full.search(q, k);
  ASSERT_FALSE((before.ids.array() == after.ids.array()).all());  // the add changes the answer

  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      do {
        auto r = gallery.search(q, k);
        if (!(r.ids.array() == before.ids.array()).all() &&
            !(r.ids.array() == after.ids.array()).all())
          ++bad;
        ++searches;
      } while (!done.load());
      // Started after the add returned: must see all of it.
      if (!(gallery.search(q, k).ids.array() == after.ids.array()).all()) ++bad;
    });
  while (searches.load() < 8) std::this_thread::yield();
  gallery.add(g.bottomRows(300), iota_ids(300, 300));
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace lincir
