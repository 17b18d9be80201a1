// Benchmark: common accessors, image file lookup and the missing-image report.
#include <filesystem>
#include <sys/stat.h>

#include "eval/benchmark_builder.hpp"
#include "lincir/benchmarks.hpp"

namespace lincir {
namespace {

bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string join(const std::string& root, const std::string& rel) {
  if (root.empty()) return rel;
  if (root.back() == '/') return root + rel;
  return root + "/" + rel;
}

}  // namespace

const char* benchmark_kind_name(BenchmarkKind k) noexcept {
  switch (k) {
    case BenchmarkKind::fashioniq: return "fashioniq";
    case BenchmarkKind::cirr: return "cirr";
    case BenchmarkKind::circo: return "circo";
    case BenchmarkKind::genecis: return "genecis";
    case BenchmarkKind::triplets: return "triplets";
  }
  return "unknown";
}

BenchmarkKind parse_benchmark_kind(const std::string& s) {
  if (s == "fashioniq" || s == "fiq") return BenchmarkKind::fashioniq;
  if (s == "cirr") return BenchmarkKind::cirr;
  if (s == "circo") return BenchmarkKind::circo;
  if (s == "genecis") return BenchmarkKind::genecis;
  if (s == "triplets" || s == "jsonl") return BenchmarkKind::triplets;
  LINCIR_THROW(Status::invalid_argument,
               "unknown benchmark '" + s + "' (expected fashioniq, cirr, circo, genecis or triplets)");
}

std::string Benchmark::description() const {
  std::string d;
  switch (kind_) {
    case BenchmarkKind::fashioniq: d = "FashionIQ"; break;
    case BenchmarkKind::cirr: d = "CIRR"; break;
    case BenchmarkKind::circo: d = "CIRCO"; break;
    case BenchmarkKind::genecis: d = "GeneCIS"; break;
    case BenchmarkKind::triplets: d = "triplets " + source_; break;
  }
  if (!subset_.empty()) d += " " + subset_;
  if (!split_.empty()) d += " " + split_;
  return d;
}

int64_t Benchmark::index_of(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

std::string Benchmark::image_path(const std::string& root_in, int64_t i) const {
  LINCIR_CHECK(i >= 0 && i < int64_t(images_.size()),
               "image index " + std::to_string(i) + " out of range for " + description() + " (" +
                   std::to_string(images_.size()) + " images)");
  const std::string& rel = rel_paths_[size_t(i)];
  if (!rel.empty() && rel[0] == '/') return rel;  // absolute triplet path
  const std::string root = root_in.empty() ? default_root_ : root_in;
  LINCIR_CHECK(!root.empty(), description() + ": an image root folder is required");
  std::string first;
  const std::vector<std::string> no_ext{""};
  const auto& exts = path_exts_.empty() ? no_ext : path_exts_;
  for (const auto& prefix : path_prefixes_) {
    for (const auto& ext : exts) {
      std::string p = join(root, prefix + rel + ext);
      if (is_file(p)) return p;
      if (first.empty()) first = std::move(p);
    }
  }
  return first;
}

std::string Benchmark::image_path(const std::string& root, const std::string& name) const {
  const int64_t i = index_of(name);
  LINCIR_CHECK(i >= 0, "image '" + name + "' is not part of " + description());
  return image_path(root, i);
}

std::vector<std::string> Benchmark::image_paths(const std::string& root) const {
  std::vector<std::string> out;
  out.reserve(images_.size());
  for (size_t i = 0; i < images_.size(); ++i) out.push_back(image_path(root, int64_t(i)));
  return out;
}

std::vector<std::string> Benchmark::missing_images(const std::string& root) const {
  std::vector<std::string> missing;
  for (size_t i = 0; i < images_.size(); ++i)
    if (!is_file(image_path(root, int64_t(i)))) missing.push_back(images_[i]);
  return missing;
}

void Benchmark::check_images(const std::string& root) const {
  const std::string r = root.empty() ? default_root_ : root;
  LINCIR_CHECK(!r.empty(), description() + ": an image root folder is required");
  const auto missing = missing_images(r);
  if (missing.empty()) return;
  std::error_code ec;
  std::string msg = description() + ": " + std::to_string(missing.size()) + " of " +
                    std::to_string(images_.size()) + " images not found under '" + r + "'";
  if (!std::filesystem::is_directory(r, ec)) msg += " (not a directory)";
  msg += " (e.g. '" + image_path(r, index_of(missing[0])) + "'): ";
  const size_t shown = std::min<size_t>(missing.size(), 10);
  for (size_t i = 0; i < shown; ++i) msg += (i ? ", " : "") + missing[i];
  if (missing.size() > shown) msg += " and " + std::to_string(missing.size() - shown) + " more";
  LINCIR_THROW(Status::io, msg);
}

Benchmark Benchmark::load(const BenchmarkSpec& spec) {
  LINCIR_CHECK(!spec.annotations.empty(), "benchmark annotations path is empty");
  const std::string split = spec.split.empty() ? "val" : spec.split;
  switch (spec.kind) {
    case BenchmarkKind::fashioniq:
      LINCIR_CHECK(!spec.subset.empty(),
                   "FashionIQ needs a category (dress, shirt or toptee)");
      return fashioniq(spec.annotations, spec.subset, split);
    case BenchmarkKind::cirr: return cirr(spec.annotations, split);
    case BenchmarkKind::circo:
      LINCIR_CHECK(!spec.gallery.empty(),
                   "CIRCO needs its gallery: COCO's image_info_unlabeled2017.json or the "
                   "unlabeled2017 image folder");
      return circo(spec.annotations, split, spec.gallery);
    case BenchmarkKind::genecis: {
      std::error_code ec;
      if (std::filesystem::is_directory(spec.annotations, ec)) {
        LINCIR_CHECK(!spec.subset.empty(),
                     "GeneCIS needs a task (change_object or focus_object) when given a folder");
        return genecis(spec.annotations + "/" + spec.subset + ".json");
      }
      return genecis(spec.annotations);
    }
    case BenchmarkKind::triplets: {
      TripletOptions o;
      o.gallery = spec.gallery;
      o.keep_reference = spec.keep_reference;
      return triplets(spec.annotations, o);
    }
  }
  LINCIR_THROW(Status::invalid_argument, "unknown benchmark kind");
}

std::vector<Benchmark> Benchmark::fashioniq_all(const std::string& dir, const std::string& split) {
  std::vector<Benchmark> out;
  for (const char* c : {"dress", "shirt", "toptee"}) out.push_back(fashioniq(dir, c, split));
  return out;
}

namespace detail {

BenchmarkBuilder::BenchmarkBuilder(BenchmarkKind kind, std::string split, std::string subset,
                                   std::string source) {
  b.kind_ = kind;
  b.split_ = std::move(split);
  b.subset_ = std::move(subset);
  b.source_ = std::move(source);
  b.path_prefixes_ = {""};
}

int64_t BenchmarkBuilder::add_image(const std::string& name, const std::string& rel_path) {
  auto [it, inserted] = b.index_.emplace(name, int64_t(b.images_.size()));
  if (inserted) {
    b.images_.push_back(name);
    b.rel_paths_.push_back(rel_path.empty() ? name : rel_path);
  }
  return it->second;
}

int64_t BenchmarkBuilder::find(const std::string& name) const { return b.index_of(name); }

void BenchmarkBuilder::set_layout(std::vector<std::string> prefixes,
                                  std::vector<std::string> exts) {
  b.path_prefixes_ = std::move(prefixes);
  b.path_exts_ = std::move(exts);
}

Benchmark BenchmarkBuilder::finish() {
  size_t with = 0;
  for (const auto& q : b.queries_) with += q.targets.empty() ? 0 : 1;
  if (with != 0 && with != b.queries_.size())
    LINCIR_THROW(Status::format, b.source_ + ": " + std::to_string(with) + " of " +
                                     std::to_string(b.queries_.size()) +
                                     " queries have targets: expected all or none");
  b.has_targets_ = with != 0;
  return std::move(b);
}

}  // namespace detail
}  // namespace lincir
