// End-to-end evaluation and gallery building: the driver logic behind `lincir eval` and
// `lincir index build`, kept in the library so that C++ and Python users run exactly the same
// pipeline as the command line.
//
//   1. build_gallery: image files -> CLIP image features in a Gallery, resumable (a `.part` file
//      records every finished batch, so a killed build continues where it stopped) and
//      splittable into shards (Shard) that separate processes or machines build and
//      Gallery::merge joins.
//   2. encode_benchmark_images: every image a Benchmark uses, encoded once (optionally cached
//      on disk through build_gallery, hence resumable too).
//   3. compose_benchmark_queries: all queries of the benchmark in batches, with LinCIR or a
//      baseline (EvalMethod).
//   4. rank_benchmark: protocol rankings (reference removal, per-query galleries, ties by
//      candidate order) that lincir::evaluate scores and the submission writers accept.
//   run_benchmark chains them, adds timings and writes the test-server files of hidden splits.
//
// The stages are separate functions so that callers can cache or replace any of them (tests
// plant embeddings between stages 2 and 4).
//
// Thread safety: functions are reentrant; the models they receive are only read (ClipModel and
// Composer are safe to share). build_gallery must not run twice at once on the same output.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lincir/benchmarks.hpp"
#include "lincir/clip.hpp"
#include "lincir/common.hpp"
#include "lincir/composer.hpp"
#include "lincir/eval.hpp"
#include "lincir/gallery.hpp"
#include "lincir/image.hpp"

namespace lincir {

// ---------------------------------------------------------------------------------- checksums

// SHA-256 (FIPS 180-4) as 64 lowercase hex digits: model and φ fingerprints in reports.
std::string sha256_hex(const void* data, size_t size);
// SHA-256 of a whole file, read in chunks. Error(io) if it cannot be read.
std::string sha256_file(const std::string& path);

// ------------------------------------------------------------------------------- image lists

// Image files below `folder`, recursively, as paths relative to it ('/'-separated), sorted
// bytewise. Extensions (any case): jpg jpeg png bmp gif tga ppm pgm pnm. Error(io) if the folder
// cannot be listed, Error(invalid_argument) if it holds no image.
std::vector<std::string> list_image_files(const std::string& folder);
// The paths of a list file, one per line as written (blank lines and lines starting with '#'
// skipped; a trailing '\r' and a UTF-8 BOM are removed). Relative paths are relative to the list
// file's folder. Error(io) if unreadable, Error(invalid_argument) if it names no path.
std::vector<std::string> read_path_list(const std::string& list_file);

// One of `count` deterministic, contiguous slices of a list: shard i of N takes items
// [i*n/N, (i+1)*n/N), so shards differ in size by at most one and concatenating them in order
// gives the whole list back (merging shards in shard order reproduces an unsharded build).
struct Shard {
  int index = 0;
  int count = 1;
  // Parses "i/N" with 0 <= i < N (Error(invalid_argument) otherwise).
  static Shard parse(const std::string& s);
  std::pair<size_t, size_t> range(size_t n) const;  // [begin, end)
  bool whole() const { return count == 1; }
};

// ------------------------------------------------------------------------- resumable galleries

struct GalleryBuildOptions {
  GalleryOptions gallery;  // metric and storage of the built gallery
  PreprocessMode preprocess = PreprocessMode::openai;
  int batch_size = 32;  // images decoded and encoded together; the part file grows per batch
  // Identity of what is being built (model checksum, preprocessing, ...). It is stored in the
  // part file, and a part file with another fingerprint or dimension is refused rather than mixed
  // in (Error(invalid_argument) telling to delete it).
  std::string fingerprint;
  DecodeLimits limits;
  // After every batch (and once before the first, with the resumed count): images done so far
  // and the total. Returning false stops the build: the part file keeps what is done and
  // build_gallery throws Error(cancelled).
  std::function<bool(int64_t done, int64_t total)> on_progress;
};

struct GalleryBuildStats {
  int64_t total = 0;    // images requested
  int64_t resumed = 0;  // taken from an existing part file
  int64_t encoded = 0;  // encoded by this call
};

// The part file that build_gallery appends to while building `output`: output + ".part".
std::string gallery_part_path(const std::string& output);

// Encodes the image files `paths` with `model` into a gallery holding, for each i, the feature of
// paths[i] under ids[i] and names[i] (names may be empty: no names), in this order.
//
// With a non-empty `output`, every finished batch is appended to gallery_part_path(output) (an
// append-only log of checksummed records, synced to disk after every batch; a record cut short by
// a kill is dropped on the next start) and the next call with the same inputs continues from it:
// only the images not yet in the part file are encoded. At the end the gallery is saved to
// `output` atomically and the part file removed. With an empty `output` nothing is written.
// A part file must agree with the request (fingerprint, dimension, and every id it holds must be
// requested with the same name), otherwise Error(invalid_argument) naming it.
//
// Errors: Error(invalid_argument) for mismatched sizes, duplicate or negative ids, a bad batch
// size; whatever Image::load throws for an unreadable image (naming the file; the work done so
// far stays in the part file); Error(format) for a part file whose header is corrupt;
// Error(cancelled) when on_progress asks to stop; Error(io) when writing fails.
Gallery build_gallery(const ClipModel& model, const std::vector<std::string>& paths,
                      const std::vector<int64_t>& ids, const std::vector<std::string>& names,
                      const std::string& output, const GalleryBuildOptions& options = {},
                      GalleryBuildStats* stats = nullptr);

// ----------------------------------------------------------------------- benchmark evaluation

enum class EvalMethod {
  lincir,      // "a photo of $ that {text}" with φ(reference) at `$` (needs a Composer)
  image_only,  // the normalised reference image feature
  text_only,   // the normalised text feature of the modification text alone
  sum,         // normalize(normalize(image) + normalize(text)) (Pic2Word's "mixture")
};
const char* eval_method_name(EvalMethod m) noexcept;  // "lincir", "image-only", "text-only", "sum"
// Accepts the names above and "image_only", "text_only", "image+text". Error(invalid_argument).
EvalMethod parse_eval_method(const std::string& s);

// Composed queries from reference image features: row i combines ref_features row i (raw CLIP
// image features, as ClipModel::encode_images returns them) with each text of texts[i] by
// `method`; a row with several texts gets one unit feature per text, averaged and re-normalised
// (an empty list counts as one empty text). For EvalMethod::lincir each text is put into
// `prompt` first (an empty pattern uses the texts verbatim: they must hold the marker) and
// `composer` is required (Error(invalid_argument) if null); the baselines only use `clip`.
// Returns [rows, embed_dim] unit rows. Work is done in chunks of `batch_size` texts.
Embeddings compose_queries(const ClipModel& clip, const Composer* composer, EvalMethod method,
                           EmbeddingsRef ref_features,
                           const std::vector<std::vector<std::string>>& texts,
                           const PromptTemplate& prompt = {}, int batch_size = 32);

struct EvalRunOptions {
  EvalMethod method = EvalMethod::lincir;
  // lincir method: each modification text is put into the template. FashionIQ's two captions are
  // first joined in both orders (fashioniq_caption_pair); every query with several text variants
  // (FashionIQ's two orders, a triplet line with several modifications) gets one unit feature per
  // variant, averaged and re-normalised, as LinCIR/SEARLE do for FashionIQ.
  PromptTemplate prompt;
  // Image preprocessing of every image (gallery and references alike). The default is
  // HuggingFace CLIPImageProcessor semantics, as LinCIR's evaluation code; SEARLE and Pic2Word
  // evaluate with OpenAI's clip._transform (PreprocessMode::openai).
  PreprocessMode preprocess = PreprocessMode::hf;
  int batch_size = 32;  // images encoded together, queries composed together
  // Folder for the image-feature cache ("" = no cache). One gallery file per benchmark image set
  // and fingerprint, built through build_gallery (so a killed encoding resumes), reused by later
  // runs with the same images, model and preprocessing.
  std::string cache_dir;
  // Identity of the CLIP model for the cache (e.g. sha256_file of the weights plus the config).
  // Required when cache_dir is set: a cache must never mix models.
  std::string fingerprint;
  EvalOptions metrics;
  DecodeLimits limits;
  // Progress of the long stages ("encode", "compose", "rank"): done and total; returning false
  // stops with Error(cancelled) (an encoding's progress stays in the cache's part file).
  std::function<bool(const std::string& stage, int64_t done, int64_t total)> on_progress;
};

struct EvalEncodeStats {
  int64_t images = 0;   // rows returned
  int64_t encoded = 0;  // encoded by this call
  int64_t cached = 0;   // taken from the cache (finished file or part file) or from `index`
  std::string cache_file;  // the cache gallery used, if any
};

// Stage 1. The CLIP image features of bench.images(), one row each, in order: raw (unnormalised)
// features, as φ needs them. Checks first that every image exists under `image_root`
// (Benchmark::check_images: one Error(io) listing the missing ones).
// `index`, when given, supplies the shared gallery instead of encoding it: row i <
// bench.gallery_size() is the index's vector at position i (normalised when the index uses the
// cosine metric, which ranking does anyway); the index must hold exactly gallery_size() vectors
// of the model's dimension. Reference images are encoded from their files in any case, since φ
// needs their raw features.
Embeddings encode_benchmark_images(const ClipModel& clip, const Benchmark& bench,
                                   const std::string& image_root, const EvalRunOptions& options,
                                   const Gallery* index = nullptr, EvalEncodeStats* stats = nullptr);

// Stage 2. One unit-norm composed query per bench.queries() row, from the reference rows of
// `image_features` (stage 1's layout) and the query texts, by options.method. `composer` is
// required for EvalMethod::lincir (Error(invalid_argument) if null) and unused otherwise; its
// CLIP model must be `clip`.
Embeddings compose_benchmark_queries(const ClipModel& clip, const Composer* composer,
                                     const Benchmark& bench, EmbeddingsRef image_features,
                                     const EvalRunOptions& options);

// Stage 3. Each query's ranking (indices into bench.images(), best first) by cosine similarity:
// candidates are the shared gallery, or the query's own gallery when it has one; the reference
// is removed where the protocol says (Benchmark::excludes_reference); equal scores keep the
// candidate order. At most `k` entries per query (k <= 0: every candidate).
Rankings rank_benchmark(const Benchmark& bench, EmbeddingsRef queries, EmbeddingsRef image_features,
                        int64_t k, const EvalRunOptions& options = {});
// The ranking depth run_benchmark uses: every candidate for CIRR (Recall_subset and its
// submission need the whole ranking), otherwise max(50, largest K of the metrics).
int64_t benchmark_ranking_depth(const Benchmark& bench, const EvalOptions& metrics = {});

struct BenchmarkRunResult {
  std::string description;               // Benchmark::description()
  std::optional<MetricsTable> metrics;   // absent for hidden test splits
  std::vector<std::string> submissions;  // files written (hidden test splits)
  int64_t queries = 0;
  EvalEncodeStats images;
  double encode_seconds = 0, compose_seconds = 0, rank_seconds = 0, total_seconds = 0;
  // {"benchmark": .., "split": .., "subset": .., "description": .., "queries": N,
  //  "metrics": <MetricsTable::to_json> or null, "submissions": [..],
  //  "images": {"total", "encoded", "cached", "cache_file"}, "timings": {"encode_s", ...}}
  std::string to_json(int indent = 2) const;
};

// Stages 1-3 plus scoring. Hidden test splits (no targets) write the server files into
// `submission_dir` (required for them; "" otherwise allowed): CIRR test1
// cirr_<split>_recall.json + cirr_<split>_recall_subset.json, CIRCO circo_<split>.json;
// FashionIQ test and GeneCIS have no server: Error(invalid_argument) before any encoding.
BenchmarkRunResult run_benchmark(const ClipModel& clip, const Composer* composer,
                                 const Benchmark& bench, const std::string& image_root,
                                 const EvalRunOptions& options,
                                 const std::string& submission_dir = "",
                                 const Gallery* index = nullptr);

}  // namespace lincir
