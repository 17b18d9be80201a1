// Internal construction of Benchmark objects by the loaders.
#pragma once

#include <string>
#include <vector>

#include "lincir/benchmarks.hpp"

namespace lincir::detail {

struct BenchmarkBuilder {
  Benchmark b;

  BenchmarkBuilder(BenchmarkKind kind, std::string split, std::string subset, std::string source);

  // Adds an image (once: returns the existing index for a known name). `rel_path` is its file
  // location relative to a layout prefix (default: the name).
  int64_t add_image(const std::string& name, const std::string& rel_path = "");
  // Index of a known image, or -1.
  int64_t find(const std::string& name) const;
  // Marks everything added so far as the shared gallery.
  void end_gallery() { b.gallery_size_ = int64_t(b.images_.size()); }
  void set_layout(std::vector<std::string> prefixes, std::vector<std::string> exts = {});
  void set_default_root(std::string root) { b.default_root_ = std::move(root); }
  void set_exclude_reference(bool v) { b.exclude_reference_ = v; }
  void add_query(BenchmarkQuery q) { b.queries_.push_back(std::move(q)); }
  std::vector<BenchmarkQuery>& queries() { return b.queries_; }
  // Sets has_targets from the queries (all or none must have targets: Error(format) otherwise).
  Benchmark finish();
};

}  // namespace lincir::detail
