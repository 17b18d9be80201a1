// Miniature copies of the real benchmarks for end-to-end tests: the annotation files of
// tests/data/benchmarks reduced to a consistent subset of queries (every image they name is in
// the reduced gallery, CIRCO ids renumbered 0..n-1 as its loader requires), with small synthetic
// images written under the real file names and layouts. The chosen queries have distinct,
// non-overlapping ground truths and references, so an oracle that plants each query's feature
// on its targets must score 100%.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lincir::test {

// A w x w RGB image of pseudo-random blocks drawn from `seed`; PNG, or JPEG when the path ends
// in .jpg (the format follows the real file names).
void write_test_image(const std::string& path, uint64_t seed, int w = 40);

struct MiniBenchmark {
  std::string annotations;  // what the loader takes: the annotation folder, or the GeneCIS file
  std::string root;         // image root
  std::string gallery;      // CIRCO: the COCO image-info file
  std::string split;
  std::vector<std::string> images;  // every image name written
  int queries = 0;
};

// CIRR rc2 (split "val" or "test1"), `nq` queries, images under <dir>/images/<split path>.
// With `copy_targets`, each target file is a byte copy of its query's reference (val only): an
// image-only oracle then ranks it first (CIRR removes the reference).
MiniBenchmark make_mini_cirr(const std::string& dir, const std::string& split, int nq,
                             bool copy_targets = false);
// FashionIQ val, all three categories, `nq` queries each, plus `extra` distractors per category.
MiniBenchmark make_mini_fashioniq(const std::string& dir, int nq, int extra = 6);
// CIRCO ("val" or "test"), `nq` queries, a gallery of their images plus distractors up to at
// least `min_gallery` images (the test submission needs 50), COCO info file in <dir>.
MiniBenchmark make_mini_circo(const std::string& dir, const std::string& split, int nq,
                              int min_gallery = 60);
// GeneCIS change_object, `nq` queries, COCO val images under <dir>/images/val2017.
MiniBenchmark make_mini_genecis(const std::string& dir, int nq);

}  // namespace lincir::test
