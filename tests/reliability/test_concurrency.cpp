// One loaded model and one gallery shared by many threads: 8 threads compose and search 10,240
// queries concurrently and every result must equal the single-threaded one bit for bit; then
// searches run while another thread keeps adding and removing vectors, and every search must see
// the gallery entirely before or entirely after a mutation (the shared_mutex of gallery.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/gallery.hpp"
#include "lincir/projector.hpp"
#include "support/test_support.hpp"

namespace {

using namespace lincir;

constexpr int kThreads = 8;
constexpr int kBatch = 4;        // rows per compose call (the same in the baseline)
constexpr int kSpecs = 64;       // distinct query batches
constexpr int kCallsPerThread = 320;  // 8 * 320 * 4 = 10,240 queries
constexpr int kTopK = 10;

const Composer& composer() {
  static const Composer c = [] {
    ClipLoadOptions lo;
    lo.config_path = test::data_path("parity/model_config.json");
    ClipModel clip = ClipModel::load(test::data_path("parity/weights_openai.safetensors"), lo);
    return Composer(clip, Projector::load(test::data_path("parity/phi_weights.safetensors")));
  }();
  return c;
}

struct Spec {
  Embeddings refs;  // raw reference image embeddings, kBatch x 64
  std::vector<std::string> texts;
};

std::vector<Spec> make_specs() {
  static const char* kMods[] = {"is red", "has two dogs", "at night", "without the hat",
                                "is made of wood", "seen from above", "in the snow", "is smaller"};
  std::mt19937 rng(7);
  std::normal_distribution<float> n;
  std::vector<Spec> specs(kSpecs);
  for (int s = 0; s < kSpecs; ++s) {
    specs[s].refs.resize(kBatch, composer().embed_dim());
    for (int64_t i = 0; i < specs[s].refs.size(); ++i) specs[s].refs.data()[i] = n(rng);
    for (int b = 0; b < kBatch; ++b)
      specs[s].texts.push_back(std::string("a photo of $ that ") + kMods[(s * kBatch + b) % 8]);
  }
  return specs;
}

Gallery make_gallery(int n, int64_t first_id, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  Embeddings v(n, composer().embed_dim());
  for (int64_t i = 0; i < v.size(); ++i) v.data()[i] = d(rng);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = first_id + i;
  Gallery g(composer().embed_dim());
  g.add(v, ids);
  return g;
}

bool same(const SearchResult& a, const SearchResult& b) { return a.ids == b.ids && a.scores == b.scores; }

TEST(Concurrency, EightThreadsComposeAndSearchLikeOne) {
  set_num_threads(1);  // intra-op parallelism off: results are then bitwise reproducible
  const auto specs = make_specs();
  const Gallery gallery = make_gallery(3000, 0, 11);
  std::vector<Embeddings> expected_q(kSpecs);
  std::vector<SearchResult> expected_r(kSpecs);
  for (int s = 0; s < kSpecs; ++s) {
    expected_q[s] = composer().compose_embeddings(specs[s].refs, specs[s].texts);
    expected_r[s] = gallery.search(expected_q[s], kTopK);
  }
  std::atomic<int> mismatches{0}, queries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < kCallsPerThread; ++k) {
        const int s = (t * 17 + k * 5) % kSpecs;
        try {
          const Embeddings q = composer().compose_embeddings(specs[s].refs, specs[s].texts);
          const SearchResult r = gallery.search(q, kTopK);
          if (!(q == expected_q[s]) || !same(r, expected_r[s])) ++mismatches;
        } catch (const std::exception& e) {
          ADD_FAILURE() << "thread " << t << ": " << e.what();
          ++mismatches;
        }
        queries += kBatch;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(queries.load(), kThreads * kCallsPerThread * kBatch);
  EXPECT_GE(queries.load(), 10000);
  EXPECT_EQ(mismatches.load(), 0);
  set_num_threads(0);
}

TEST(Concurrency, SearchesSeeWholeMutations) {
  const auto specs = make_specs();
  std::vector<Embeddings> queries(kSpecs);
  for (int s = 0; s < kSpecs; ++s) queries[s] = composer().compose_embeddings(specs[s].refs, specs[s].texts);
  // Decoys: the queries themselves, so that they take the top ranks whenever they are present.
  Embeddings decoys(kSpecs * kBatch, composer().embed_dim());
  std::vector<int64_t> decoy_ids(decoys.rows());
  for (int s = 0; s < kSpecs; ++s)
    for (int b = 0; b < kBatch; ++b) {
      decoys.row(s * kBatch + b) = queries[s].row(b);
      decoy_ids[s * kBatch + b] = 1000000 + s * kBatch + b;
    }
  Gallery gallery = make_gallery(3000, 0, 12);
  std::vector<SearchResult> without(kSpecs), with(kSpecs);
  for (int s = 0; s < kSpecs; ++s) without[s] = gallery.search(queries[s], kTopK);
  gallery.add(decoys, decoy_ids);
  for (int s = 0; s < kSpecs; ++s) with[s] = gallery.search(queries[s], kTopK);
  ASSERT_FALSE(same(without[0], with[0]));
  ASSERT_EQ(gallery.remove(decoy_ids), decoy_ids.size());

  std::atomic<bool> stop{false};
  std::atomic<int> saw_without{0}, saw_with{0}, torn{0}, mutations{0};
  std::thread writer([&] {
    while (!stop) {
      gallery.add(decoys, decoy_ids);
      if (gallery.remove(decoy_ids) != decoy_ids.size()) ++torn;
      mutations += 2;
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads - 1; ++t)
    readers.emplace_back([&, t] {
      for (int k = 0; k < 300; ++k) {
        const int s = (t * 13 + k) % kSpecs;
        const SearchResult r = gallery.search(queries[s], kTopK);
        if (same(r, without[s])) ++saw_without;
        else if (same(r, with[s])) ++saw_with;
        else ++torn;
      }
    });
  for (auto& th : readers) th.join();
  stop = true;
  writer.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(saw_without.load() + saw_with.load(), (kThreads - 1) * 300);
  EXPECT_EQ(gallery.size(), 3000u);
  std::printf("[ MUTATION ] %d mutations during %d searches: %d saw the gallery without the "
              "decoys, %d with them, %d torn\n",
              mutations.load(), (kThreads - 1) * 300, saw_without.load(), saw_with.load(),
              torn.load());
}

}  // namespace
