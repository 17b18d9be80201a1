// Minimal C++ example: load CLIP + projector, index a few images, answer one composed query.
// Usage: compose_search <clip.safetensors> <config.json> <phi.safetensors> <reference image>
//                       <modification text> <gallery image>...
#include <lincir/lincir.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s clip config phi reference text gallery-image...\n", argv[0]);
    return 2;
  }
  lincir::ClipLoadOptions load;
  load.config_path = argv[2];
  lincir::ClipModel clip = lincir::ClipModel::load(argv[1], load);
  lincir::Composer composer(clip, lincir::Projector::load(argv[3]));

  std::vector<lincir::Image> images;
  std::vector<int64_t> ids;
  for (int i = 6; i < argc; ++i) {
    images.push_back(lincir::Image::load(argv[i]));
    ids.push_back(i - 6);
  }
  lincir::Gallery gallery(clip.config().embed_dim);
  gallery.add(clip.encode_images(images), ids);  // normalised on insertion

  const lincir::Embeddings query = composer.compose(
      {lincir::Reference::from_path(argv[4])}, {argv[5]}, lincir::PromptTemplate::cirr());
  const int k = std::min<int>(3, static_cast<int>(images.size()));
  const lincir::SearchResult top = gallery.search(query, k);
  for (int i = 0; i < k; ++i)
    std::printf("%d. %s %.4f\n", i + 1, argv[6 + top.ids(0, i)], top.scores(0, i));
  return 0;
} catch (const lincir::Error& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
