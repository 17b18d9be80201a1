// Test-server submission files of CIRR and CIRCO: reading (to score them on val) and writing in
// the servers' exact format (that of the upstream example files, i.e. Python's json.dump).
#include <nlohmann/json.hpp>

#include <unordered_map>

#include "core/file_io.hpp"
#include "eval/json_read.hpp"
#include "eval/ranking.hpp"
#include "lincir/eval.hpp"

namespace lincir {
namespace {

using detail::Json;
using detail::PreparedQuery;

std::string json_str(const std::string& s) { return Json(s).dump(-1, ' ', /*ensure_ascii=*/true); }

// {"k": [v, ...], ...} with json.dumps' default separators.
class SubmissionText {
 public:
  void key(const std::string& k) {
    text_ += text_.empty() ? "{" : ", ";
    text_ += json_str(k) + ": ";
  }
  void list(const std::vector<std::string>& items, bool as_numbers) {
    text_ += "[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) text_ += ", ";
      text_ += as_numbers ? items[i] : json_str(items[i]);
    }
    text_ += "]";
  }
  void raw(const std::string& s) { text_ += s; }
  std::string finish() { return text_.empty() ? "{}" : text_ + "}"; }

 private:
  std::string text_;
};

void write_text(const std::string& path, const std::string& text) {
  detail::write_file_atomic(path, text.data(), text.size());
}

std::vector<std::string> names(const Benchmark& b, const std::vector<int64_t>& idx, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n && i < idx.size(); ++i) out.push_back(b.images()[size_t(idx[i])]);
  return out;
}

void write_cirr(const Benchmark& b, const std::vector<PreparedQuery>& p, const std::string& recall_path,
                const std::string& subset_path) {
  for (int pass = 0; pass < 2; ++pass) {
    const std::string& path = pass == 0 ? recall_path : subset_path;
    if (path.empty()) continue;
    SubmissionText t;
    t.key("version");
    t.raw("\"rc2\"");
    t.key("metric");
    t.raw(pass == 0 ? "\"recall\"" : "\"recall_subset\"");
    for (size_t q = 0; q < p.size(); ++q) {
      const auto& bq = b.queries()[q];
      const auto& list = pass == 0 ? p[q].top : p[q].subset;
      const int64_t need = std::min<int64_t>(pass == 0 ? 50 : 3, pass == 0 ? p[q].n_candidates : p[q].n_subset);
      LINCIR_CHECK(int64_t(list.size()) >= need,
                   "CIRR submission: the ranking of query " + bq.id + " gives " +
                       std::to_string(list.size()) + (pass == 0 ? " images" : " group members") +
                       " (reference excluded), " + std::to_string(need) +
                       " needed; pass longer rankings or a score matrix");
      t.key(bq.id);
      t.list(names(b, list, size_t(need)), false);
    }
    write_text(path, t.finish());
  }
}

void write_circo(const Benchmark& b, const std::vector<PreparedQuery>& p, const std::string& path) {
  LINCIR_CHECK(b.gallery_size() >= 50, "CIRCO submission needs 50 images per query, the gallery has " +
                                           std::to_string(b.gallery_size()));
  SubmissionText t;
  for (size_t q = 0; q < p.size(); ++q) {
    const auto& bq = b.queries()[q];
    LINCIR_CHECK(p[q].top.size() >= 50, "CIRCO submission: the ranking of query " + bq.id + " has " +
                                            std::to_string(p[q].top.size()) + " images, 50 needed");
    t.key(bq.id);
    t.list(names(b, p[q].top, 50), /*as_numbers=*/true);  // names are decimal COCO ids
  }
  write_text(path, t.finish());
}

void require(const Benchmark& b, BenchmarkKind k, const char* what) {
  LINCIR_CHECK(b.kind() == k, std::string(what) + " needs a " +
                                  (k == BenchmarkKind::cirr ? "CIRR" : "CIRCO") + " benchmark, got " +
                                  b.description());
}

}  // namespace

Rankings read_submission(const Benchmark& b, const std::string& path) {
  const bool cirr = b.kind() == BenchmarkKind::cirr;
  LINCIR_CHECK(cirr || b.kind() == BenchmarkKind::circo,
               "submission files exist for CIRR and CIRCO only, not " + b.description());
  const Json j = detail::read_json_file(path);
  detail::json_object(j, path, "top level");
  std::unordered_map<std::string, size_t> qindex;
  for (size_t q = 0; q < b.queries().size(); ++q) qindex.emplace(b.queries()[q].id, q);
  Rankings out(b.queries().size());
  std::vector<bool> present(b.queries().size(), false);
  for (const auto& [key, val] : j.items()) {
    const std::string w = "key \"" + key + "\"";
    if (cirr && (key == "version" || key == "metric")) {
      const std::string v = detail::json_string(val, path, w);
      if (key == "version" && v != "rc2")
        detail::json_format_error(path, w, "unsupported version \"" + v + "\" (expected rc2)");
      if (key == "metric" && v != "recall" && v != "recall_subset")
        detail::json_format_error(path, w, "unknown metric \"" + v + "\"");
      continue;
    }
    auto it = qindex.find(key);
    if (it == qindex.end())
      detail::json_format_error(path, w, "not a query id of " + b.description());
    detail::json_array(val, path, w);
    Ranking& r = out[it->second];
    present[it->second] = true;
    for (size_t i = 0; i < val.size(); ++i) {
      const std::string wi = w + "[" + std::to_string(i) + "]";
      std::string name;
      if (cirr) {
        name = detail::json_string(val[i], path, wi);
      } else if (val[i].is_string()) {  // the CIRCO scorer applies int(), so "123" is accepted
        name = val[i].get<std::string>();
        bool digits = !name.empty() && name.size() <= 18;
        for (char c : name) digits = digits && c >= '0' && c <= '9';
        if (!digits) detail::json_format_error(path, wi, "\"" + name + "\" is not an image id");
        name = std::to_string(std::stoll(name));
      } else {
        name = std::to_string(detail::json_int(val[i], path, wi));
      }
      const int64_t idx = b.index_of(name);
      if (idx < 0) detail::json_format_error(path, wi, "image " + name + " is not in " + b.description());
      r.push_back(idx);
    }
  }
  for (size_t q = 0; q < present.size(); ++q)
    if (!present[q])
      detail::json_format_error(path, "top level", "query " + b.queries()[q].id + " is missing");
  return out;
}

void write_cirr_submission(const Benchmark& b, EmbeddingsRef scores, const std::string& recall_path,
                           const std::string& subset_path) {
  require(b, BenchmarkKind::cirr, "write_cirr_submission");
  write_cirr(b, detail::prepare_scores(b, scores, 50, true), recall_path, subset_path);
}

void write_cirr_submission(const Benchmark& b, const Rankings& rankings,
                           const std::string& recall_path, const std::string& subset_path) {
  require(b, BenchmarkKind::cirr, "write_cirr_submission");
  write_cirr(b, detail::prepare_rankings(b, rankings, true), recall_path, subset_path);
}

void write_circo_submission(const Benchmark& b, EmbeddingsRef scores, const std::string& path) {
  require(b, BenchmarkKind::circo, "write_circo_submission");
  write_circo(b, detail::prepare_scores(b, scores, 50, false), path);
}

void write_circo_submission(const Benchmark& b, const Rankings& rankings, const std::string& path) {
  require(b, BenchmarkKind::circo, "write_circo_submission");
  write_circo(b, detail::prepare_rankings(b, rankings, false), path);
}

}  // namespace lincir
