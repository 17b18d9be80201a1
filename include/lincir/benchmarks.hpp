// Composed image retrieval benchmarks: loaders for the official annotation files of FashionIQ,
// CIRR, CIRCO and GeneCIS (object tasks), and for the generic triplet format (JSONL), all read
// into one uniform structure, plus the mapping from image names to files under a user's image
// root. Metrics and submission files are in lincir/eval.hpp; protocols in docs/benchmarks.md.
//
// Typical driver:
//   Benchmark b = Benchmark::cirr("/data/cirr", "val");       // annotations only
//   b.check_images("/data/cirr/img_raw");                     // one clear error if any missing
//   auto paths = b.image_paths("/data/cirr/img_raw");         // encode these (images(), in order)
//   for (const BenchmarkQuery& q : b.queries()) { /* compose b.images()[q.reference] + q.texts */ }
//   MetricsTable t = evaluate(b, scores);                     // lincir/eval.hpp
//
// Thread safety: a Benchmark is immutable after loading; all const members may be called
// concurrently. Loaders are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "lincir/common.hpp"

namespace lincir {

enum class BenchmarkKind { fashioniq, cirr, circo, genecis, triplets };

const char* benchmark_kind_name(BenchmarkKind k) noexcept;  // "fashioniq", "cirr", ...
// Parses "fashioniq" (or "fiq"), "cirr", "circo", "genecis", "triplets" (or "jsonl").
// Throws Error(invalid_argument) otherwise.
BenchmarkKind parse_benchmark_kind(const std::string& s);

// One query. Images are indices into Benchmark::images().
struct BenchmarkQuery {
  // Query id as a decimal string: CIRR `pairid`, CIRCO `id`, the triplet line's "id" when given,
  // otherwise the query's position in the annotation file (0-based).
  std::string id;
  int64_t reference = -1;          // the reference image
  std::vector<std::string> texts;  // modification text(s), unmodified: FashionIQ has the two
                                   // captions in file order, GeneCIS the condition, others one
  // Ground truths, empty when the split hides them (FashionIQ test, CIRR test1, CIRCO test).
  // CIRCO: target_img_id first, then the other gt_img_ids (Recall@K uses only the first).
  std::vector<int64_t> targets;
  // Per-query candidate list (GeneCIS; triplet lines with "gallery"), in tie-break order; empty
  // when the query is ranked against the shared gallery (images()[0, gallery_size())).
  // GeneCIS: the 14 distractors in file order, then the target (so ties never favour the target;
  // a distractor equal to the target is dropped: it is the same image).
  std::vector<int64_t> gallery;
  std::vector<int64_t> subset;       // CIRR img_set.members (6 images, including the reference)
  std::vector<std::string> aspects;  // CIRCO semantic_aspects (val only)
  std::string shared_concept;        // CIRCO shared_concept (not used by the metrics)
};

// Generic triplet file options (see Benchmark::triplets).
struct TripletOptions {
  // Shared gallery: a folder (every image file below it, recursively, sorted by path; extensions
  // jpg jpeg png bmp gif tga ppm pgm pnm, any case) or a text file with one image path per line
  // (relative to the list file's folder; blank lines and lines starting with '#' skipped).
  // Empty: `gallery_images`, else every image the file names (references, targets and per-line
  // galleries, in order of first appearance).
  std::string gallery;
  std::vector<std::string> gallery_images;  // paths relative to the JSONL file's folder
  // Keep the reference in its own ranking (default: it is removed, as CIRR does).
  bool keep_reference = false;
};

// Everything a command line needs to pick and load a benchmark.
struct BenchmarkSpec {
  BenchmarkKind kind = BenchmarkKind::cirr;
  // FashionIQ/CIRR/CIRCO: the annotation root (the folder holding captions/ + image_splits/,
  // or annotations/ for CIRCO). GeneCIS: the task file (change_object.json) or its folder.
  // Triplets: the JSONL file.
  std::string annotations;
  std::string split;   // empty = "val" (FashionIQ, CIRR, CIRCO); unused for GeneCIS/triplets
  std::string subset;  // FashionIQ category (dress|shirt|toptee); GeneCIS task when
                       // `annotations` is a folder (change_object|focus_object)
  // CIRCO: COCO image_info_unlabeled2017.json or the unlabeled2017 image folder (required).
  // Triplets: TripletOptions::gallery.
  std::string gallery;
  bool keep_reference = false;  // triplets only
};

namespace detail {
struct BenchmarkBuilder;
}

class Benchmark {
 public:
  // FashionIQ, one category ("dress", "shirt", "toptee") and split ("train", "val", "test"):
  // reads <dir>/captions/cap.<category>.<split>.json and <dir>/image_splits/split.<category>.
  // <split>.json. Gallery = the split file (in file order); reference kept in the ranking.
  // Images are found as <root>/<asin>.png|.jpg or <root>/images/<asin>.png|.jpg.
  static Benchmark fashioniq(const std::string& dir, const std::string& category,
                             const std::string& split = "val");
  // CIRR rc2, split "val", "test1" (or "train" if its captions are present): reads
  // <dir>/captions/cap.rc2.<split>.json and <dir>/image_splits/split.rc2.<split>.json. Gallery =
  // the split file in key order; the reference is removed from its ranking. Images are found at
  // the split file's relative path under <root> or <root>/img_raw.
  static Benchmark cirr(const std::string& dir, const std::string& split = "val");
  // CIRCO, split "val" or "test": reads <dir>/annotations/<split>.json. `gallery` is COCO's
  // image_info_unlabeled2017.json (gallery in that file's order) or a folder of COCO-named images
  // (%012d.jpg, sorted by id). Every reference and ground truth must be in the gallery
  // (Error(invalid_argument) listing those that are not). Reference kept in the ranking. Images
  // are found as <root>/<file_name>, <root>/unlabeled2017/.. or
  // <root>/COCO2017_unlabeled/unlabeled2017/..
  static Benchmark circo(const std::string& dir, const std::string& split,
                         const std::string& gallery);
  // Same with the gallery given as COCO image ids (decimal strings), in order.
  static Benchmark circo(const std::string& dir, const std::string& split,
                         const std::vector<std::string>& gallery_ids);
  // GeneCIS object task file (change_object.json, focus_object.json): per-query galleries of
  // the 14 distractors plus the target; no shared gallery. Images (COCO 2017 val) are found as
  // <root>/%012d.jpg or <root>/val2017/%012d.jpg. The attribute tasks (Visual Genome crops) are
  // not supported (Error(unsupported)).
  static Benchmark genecis(const std::string& task_file);
  // Generic triplets, JSONL, one query per line:
  //   {"reference": "<image path>", "modification": "<text>" or ["<text>", ...],
  //    "targets": ["<image path>", ...], "gallery": ["<image path>", ...] (optional),
  //    "id": "<query id>" or <int> (optional)}
  // Paths are relative to the JSONL file's folder (absolute paths are kept); other fields are
  // ignored; blank lines are skipped. Image names are the paths, lexically normalised ("./a.png"
  // and "a.png" are the same image). Every target must be a candidate of its query (in the
  // shared gallery, or in its own "gallery", to which targets are otherwise appended).
  static Benchmark triplets(const std::string& jsonl_path, const TripletOptions& options = {});
  // Dispatches on spec.kind.
  static Benchmark load(const BenchmarkSpec& spec);
  // The three FashionIQ categories (dress, shirt, toptee) of one split.
  static std::vector<Benchmark> fashioniq_all(const std::string& dir,
                                              const std::string& split = "val");

  // All loaders throw Error(io) for a missing/unreadable file, Error(format) naming the file, the
  // element and the problem for malformed or inconsistent annotations, Error(invalid_argument)
  // for a bad category/split/option.

  BenchmarkKind kind() const noexcept { return kind_; }
  const std::string& split() const noexcept { return split_; }    // "" for GeneCIS/triplets
  const std::string& subset() const noexcept { return subset_; }  // FIQ category, GeneCIS task
  const std::string& source() const noexcept { return source_; }  // the main annotation file
  // "CIRR val", "FashionIQ dress val", ... for messages and tables.
  std::string description() const;

  // Every image the benchmark uses, each once: the shared gallery first (images()[0,
  // gallery_size()), in the order that breaks score ties), then any other image (e.g. GeneCIS
  // images, triplet references outside the gallery). Names follow the benchmark: ASINs
  // (FashionIQ), NLVR2 ids without extension (CIRR), decimal COCO ids (CIRCO, GeneCIS), relative
  // paths (triplets).
  const std::vector<std::string>& images() const noexcept { return images_; }
  int64_t gallery_size() const noexcept { return gallery_size_; }
  const std::vector<BenchmarkQuery>& queries() const noexcept { return queries_; }
  // Index of an image name in images(), or -1.
  int64_t index_of(const std::string& name) const;

  // Protocol flags.
  bool has_targets() const noexcept { return has_targets_; }  // false for hidden test splits
  bool excludes_reference() const noexcept { return exclude_reference_; }
  bool has_subsets() const noexcept { return kind_ == BenchmarkKind::cirr; }

  // Path of image `i` under `root` by the benchmark's naming rules: the first candidate location
  // that exists, else the first candidate. An empty root means the JSONL file's folder for
  // triplets and is an Error(invalid_argument) otherwise. Absolute triplet paths ignore root.
  std::string image_path(const std::string& root, int64_t i) const;
  // Same for an image name of images() (Error(invalid_argument) for an unknown name).
  std::string image_path(const std::string& root, const std::string& name) const;
  std::vector<std::string> image_paths(const std::string& root) const;  // for all images()
  // Names of the images with no file under root (empty when all are there).
  std::vector<std::string> missing_images(const std::string& root) const;
  // Throws one Error(io) if any image is missing: "<benchmark>: N of M images not found under
  // '<root>' (e.g. '<expected path>'): name1, name2, ... and K more".
  void check_images(const std::string& root) const;

 private:
  friend struct detail::BenchmarkBuilder;
  Benchmark() = default;

  BenchmarkKind kind_ = BenchmarkKind::triplets;
  std::string split_, subset_, source_;
  std::vector<std::string> images_;
  std::vector<std::string> rel_paths_;      // per image: file name (or stem) relative to a prefix
  std::vector<std::string> path_prefixes_;  // layouts tried under the root, in order
  std::vector<std::string> path_exts_;      // appended to rel_paths_ when non-empty (FashionIQ)
  std::string default_root_;                // triplets: the JSONL folder
  int64_t gallery_size_ = 0;
  std::vector<BenchmarkQuery> queries_;
  std::unordered_map<std::string, int64_t> index_;
  bool has_targets_ = false;
  bool exclude_reference_ = false;
};

}  // namespace lincir
