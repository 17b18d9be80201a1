// Benchmark metrics and test-server submissions, computed from a score matrix or from rankings.
// The protocols (reference removal, galleries, metric formulas) are those of the official
// evaluation code; see docs/benchmarks.md.
//
// Metric names (all values are percentages):
//   R@K         Recall@K: a ground truth is in the top K (CIRCO: only target_img_id, as its
//               server does; triplets: any of the targets).
//   Rsubset@K   CIRR Recall_subset@K: the target is in the top K of the ranking restricted to the
//               query's group members (reference removed, so 5 candidates).
//   mAP@K       mean over queries of AP@K = sum_{i<=K} P@i * rel_i / min(|G|, K) (CIRCO).
//   mAP@10[aspect]  CIRCO mAP@10 over the queries tagged with that semantic aspect.
//   (R@5+Rsubset@1)/2, (R@10+R@50)/2   derived means commonly reported (CIRR, FashionIQ average).
// Default metrics: FashionIQ R@10,50; CIRR R@1,2,5,10,50, Rsubset@1,2,3 and the mean; CIRCO
// mAP@5,10,25,50, R@5,10,25,50 and per-aspect mAP@10; GeneCIS R@1,2,3; triplets R@1,5,10,50 and
// mAP@5,10,25,50.
//
// Ties and duplicates:
//   - Scores: candidates with equal scores are ordered by their position in the candidate list
//     (the shared gallery's file order, or the query's own gallery order), so a constant score
//     matrix reproduces the "file order" rankings. NaN scores are an error.
//   - Rankings: an image listed twice in one query's ranking is an Error(invalid_argument) (the
//     official CIRCO script rejects duplicates too). Entries that are not candidates (the
//     reference where the protocol removes it, images outside the query's gallery) are skipped,
//     negative entries (-1, a search's padding) are ignored.
//   - A ranking may be shorter than the candidate list (top-k). A metric that it does not
//     determine (R@50 from 10 entries without a hit, Rsubset@K when fewer than K group members
//     are listed) is an Error(invalid_argument) telling how many entries are needed, never a
//     silent miss.
//
// Thread safety: all functions are reentrant; they only read the Benchmark.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lincir/benchmarks.hpp"
#include "lincir/common.hpp"

namespace lincir {

// One ranking per query, best first, of indices into Benchmark::images().
using Ranking = std::vector<int64_t>;
using Rankings = std::vector<Ranking>;
// Query-by-rank matrix of image indices (e.g. SearchResult::ids from lincir/gallery.hpp).
using RankingMatrix = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Metric {
  std::string name;  // "R@10", "Rsubset@1", "mAP@5", "mAP@10[negation]", "(R@5+Rsubset@1)/2"
  double value = 0;  // percent
  // Per-query sum (hits for recall, sum of AP for mAP) and number of queries: value =
  // 100 * sum / count. Absent for derived metrics (means of other metrics or of tables).
  std::optional<double> sum;
  int64_t count = 0;
};

// The result of one evaluation, in report order.
struct MetricsTable {
  std::string benchmark;  // "fashioniq", "cirr", ...
  std::string split;      // "val", ...
  std::string subset;     // FashionIQ category or "average", GeneCIS task, ...
  int64_t queries = 0;
  std::vector<Metric> metrics;

  const Metric* find(const std::string& name) const noexcept;  // nullptr if absent
  double value(const std::string& name) const;  // Error(invalid_argument) if absent
  // {"benchmark": .., "split": .., "subset": .., "queries": N,
  //  "metrics": {"R@1": 0.1196, ...}, "counts": {"R@1": {"sum": 5, "count": 4181}, ...}}
  // Values are full double precision. `indent` < 0 gives one line.
  std::string to_json(int indent = 2) const;
  // Aligned human-readable table, two decimals.
  std::string to_text() const;
};

// Overrides of the default metric lists: unset = the benchmark's defaults, an empty list = none
// (e.g. opt.map_ks = std::vector<int>{} for recall only). K >= 1.
struct EvalOptions {
  std::optional<std::vector<int>> recall_ks;
  std::optional<std::vector<int>> subset_ks;  // CIRR only (Error(invalid_argument) otherwise)
  std::optional<std::vector<int>> map_ks;
  bool aspects = true;  // CIRCO: mAP@10 per semantic aspect when the split has aspects
};

// Metrics from a score matrix: row q = query q, column j = images()[j] (higher is better).
// Columns: images().size(), or gallery_size() for benchmarks with a shared gallery only; only
// each query's candidates are read. Throws Error(invalid_argument) for a wrong shape, NaN
// candidate scores, a split without targets, or bad options.
MetricsTable evaluate(const Benchmark& bench, EmbeddingsRef scores, const EvalOptions& opt = {});
// Metrics from rankings (one per query; see the rules on ties and duplicates above).
MetricsTable evaluate(const Benchmark& bench, const Rankings& rankings,
                      const EvalOptions& opt = {});

// Unweighted mean of tables with the same metrics (FashionIQ's "average" over categories); adds
// (R@10+R@50)/2 when both exist. Throws Error(invalid_argument) for an empty list or tables
// whose metric names differ.
MetricsTable average_tables(const std::vector<MetricsTable>& tables,
                            const std::string& subset = "average");

// Protocol-filtered top-k of each query from a score matrix (reference removed where the
// protocol says, restricted to the query's gallery, ties by candidate order). k >= 1; fewer
// entries when a query has fewer candidates.
Rankings rank_scores(const Benchmark& bench, EmbeddingsRef scores, int64_t k);
// Rankings from image names (Error(invalid_argument) naming an unknown one).
Rankings rankings_from_names(const Benchmark& bench,
                             const std::vector<std::vector<std::string>>& names);
// Rankings from a matrix of image indices; negative entries are dropped.
Rankings rankings_from_matrix(const RankingMatrix& ids);

// Reads a submission file in the server format of the benchmark (CIRR: {"version": "rc2",
// "metric": .., "<pairid>": [ids]}; CIRCO: {"<id>": [ids]}), e.g. to score it on val. Every
// query must be present. Throws Error(io), Error(format) naming the file and the problem
// (unknown query or image id, duplicate entries are reported by evaluate()).
Rankings read_submission(const Benchmark& bench, const std::string& path);

// CIRR server files (cirr.cecs.anu.edu.au): {"version": "rc2", "metric": "recall", "<pairid>":
// [top 50 ids]} and "recall_subset" with the top 3 group members, reference excluded, queries in
// file order, formatted like the upstream examples. Either path may be empty to skip that file.
// Written atomically. Throws Error(invalid_argument) if the benchmark is not CIRR or a ranking
// does not determine its top 50 / top 3, Error(io) if a file cannot be written.
void write_cirr_submission(const Benchmark& bench, EmbeddingsRef scores,
                           const std::string& recall_path, const std::string& subset_path);
void write_cirr_submission(const Benchmark& bench, const Rankings& rankings,
                           const std::string& recall_path, const std::string& subset_path);
// CIRCO server file (circo.micc.unifi.it): {"0": [50 distinct integer ids], ..., "<N-1>": ..},
// one key per query, written atomically. Throws Error(invalid_argument) if the benchmark is not
// CIRCO, the gallery has fewer than 50 images or a ranking fewer than 50 entries.
void write_circo_submission(const Benchmark& bench, EmbeddingsRef scores, const std::string& path);
void write_circo_submission(const Benchmark& bench, const Rankings& rankings,
                            const std::string& path);

// FashionIQ text queries as LinCIR/SEARLE build them: each caption stripped of '.', '?', ','
// and ' ' at both ends (Python str.strip(".?, ")), joined as "c0 and c1" and "c1 and c0" (the two
// orders whose normalised features are averaged). Needs exactly 2 texts.
std::array<std::string, 2> fashioniq_caption_pair(const BenchmarkQuery& q);

}  // namespace lincir
