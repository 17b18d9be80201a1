// Issue part 6: a tiny end-to-end retrieval. The fixture CLIP model and φ compose queries from
// reference image files and modification texts; a lincir::Gallery of the nine fixture PNGs
// answers them. The expected ranking is computed independently here, from the reference
// implementation's own outputs: LinCIR's query features (phi_outputs e2e.query_features) against
// openai/CLIP's image features of the same PNGs (image_outputs png_batch.image_features), cosine
// similarity and sorting done with Eigen.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "composer_fixtures.hpp"
#include "lincir/gallery.hpp"

using namespace lincir;
using namespace lincir::test;

namespace {

struct Ranked {
  std::vector<int64_t> ids;
  std::vector<float> scores;
};

Ranked rank(const Eigen::RowVectorXf& scores, int64_t exclude) {
  std::vector<int64_t> order(static_cast<size_t>(scores.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  Ranked r;
  for (int64_t i : order) {
    if (i == exclude) continue;
    r.ids.push_back(i);
    r.scores.push_back(scores[i]);
  }
  return r;
}

// Rankings agree position by position, except that items whose reference scores lie within
// `tie` of each other may come in either order (the fixture weights are random, so a few scores
// nearly coincide; float32 noise between implementations is ~1e-6).
void expect_same_ranking(const Ranked& expected, const std::vector<int64_t>& got, float tie, int query) {
  ASSERT_EQ(got.size(), expected.ids.size()) << "query " << query;
  size_t i = 0;
  while (i < expected.ids.size()) {
    size_t j = i + 1;
    while (j < expected.ids.size() && expected.scores[j - 1] - expected.scores[j] < tie) ++j;
    std::set<int64_t> want(expected.ids.begin() + static_cast<long>(i), expected.ids.begin() + static_cast<long>(j));
    std::set<int64_t> have(got.begin() + static_cast<long>(i), got.begin() + static_cast<long>(j));
    EXPECT_EQ(want, have) << "query " << query << ", ranks " << i << ".." << j - 1;
    i = j;
  }
}

}  // namespace

TEST(EndToEnd, ComposedQueriesRankTheFixtureGallery) {
  const auto image_cases = read_json(parity_file("image_cases.json"));
  const auto names = image_cases["png_batch_order"].get<std::vector<std::string>>();
  const auto e2e = read_json(parity_file("phi_cases.json"))["e2e"];
  const auto texts = e2e["texts"].get<std::vector<std::string>>();
  const auto ref_rows = e2e["png_batch_rows"].get<std::vector<int64_t>>();

  // --- the library: images -> gallery, reference files + texts -> composed queries -> search
  ComposerOptions opt;
  opt.preprocess = PreprocessMode::openai;  // the reference features used clip._transform
  const Composer composer(parity_clip(), parity_phi(), opt);
  std::vector<Image> gallery_images;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < names.size(); ++i) {
    gallery_images.push_back(Image::load(parity_file("images/" + names[i] + ".png")));
    ids.push_back(static_cast<int64_t>(i));
  }
  Gallery gallery(composer.embed_dim());
  gallery.add(composer.clip().encode_images(gallery_images, PreprocessMode::openai), ids, names);

  std::vector<Reference> refs;
  std::vector<int64_t> exclude;
  for (int64_t row : ref_rows) {
    refs.push_back(Reference::from_path(parity_file("images/" + names[static_cast<size_t>(row)] + ".png")));
    exclude.push_back(row);  // CIRR-style: the reference is not a valid answer
  }
  const Embeddings queries = composer.compose(refs, texts);
  SearchOptions so;
  so.exclude_one = exclude;
  const int k = static_cast<int>(names.size()) - 1;
  const SearchResult found = gallery.search(queries, k, so);

  // --- the independent reference
  const Embeddings ref_queries = matrix("phi_outputs.safetensors", "e2e.query_features_normalized");
  const Embeddings ref_gallery = normalize(matrix("image_outputs.safetensors", "png_batch.image_features"));
  const Embeddings scores = ref_queries * ref_gallery.transpose();
  for (int q = 0; q < 3; ++q) {
    const Ranked expected = rank(scores.row(q), exclude[static_cast<size_t>(q)]);
    std::vector<int64_t> got(found.ids.row(q).data(), found.ids.row(q).data() + k);
    expect_same_ranking(expected, got, 1e-5f, q);
    for (int r = 0; r < k; ++r) {
      EXPECT_NEAR(found.scores(q, r), scores(q, got[static_cast<size_t>(r)]), 1e-4f) << "query " << q;
    }
    EXPECT_EQ(std::count(got.begin(), got.end(), exclude[static_cast<size_t>(q)]), 0);
  }
  // The composed queries carry the text: changing only the text changes the ranking of query 0.
  const Embeddings other = composer.compose({refs[0]}, {"a photo of $ that is a gray portrait"});
  SearchOptions so0;
  so0.exclude_one = {exclude[0]};
  const SearchResult other_found = gallery.search(other, k, so0);
  EXPECT_NE(std::vector<int64_t>(other_found.ids.row(0).data(), other_found.ids.row(0).data() + k),
            std::vector<int64_t>(found.ids.row(0).data(), found.ids.row(0).data() + k));
}
