// Gallery file loading (docs/gallery-format.md): the input is written to a scratch file and
// loaded both memory-mapped and copied; a gallery that loads is searched and its lookups read.
#include <cstdint>
#include <cstdlib>

#include "fuzz_util.hpp"
#include "lincir/gallery.hpp"

namespace {

void exercise(const lincir::Gallery& g) {
  if (g.dim() <= 0 || g.dim() > 65536) std::abort();
  const size_t n = g.size();
  if (g.ids().size() != n) std::abort();
  for (size_t i = 0; i < n && i < 4; ++i) {
    if (g.index_of(g.id(i)) != i) std::abort();
    (void)g.name(i);
  }
  lincir::Embeddings q = lincir::Embeddings::Ones(2, g.dim());
  q(1, 0) = -1.f;
  const int k = n == 0 ? 1 : static_cast<int>(std::min<size_t>(n + 1, 5));
  lincir::SearchOptions so;
  so.num_threads = 1;
  auto r = g.search(q, k, so);
  if (r.ids.rows() != 2 || r.ids.cols() != k) std::abort();
  for (int j = 0; j < k; ++j)
    if ((size_t(j) < n) != (r.ids(0, j) >= 0)) std::abort();  // padded only past the gallery
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lincir::fuzz::ScratchFile file(".lcg");
  const std::string& path = file.write(data, size);
  bool ok[2] = {false, false};
  for (int mm = 0; mm < 2; ++mm) {
    lincir::GalleryLoadOptions opt;
    opt.memory_map = mm == 1;
    try {
      auto g = lincir::Gallery::load(path, opt);
      ok[mm] = true;
      exercise(g);
    } catch (const lincir::Error& e) {
      lincir::fuzz::expect_message(e);
    }
  }
  if (ok[0] != ok[1]) std::abort();  // both ways validate the same file identically
  return 0;
}
