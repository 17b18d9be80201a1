// The generic triplet format: JSONL, one query per line (see Benchmark::triplets).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_set>

#include "core/file_io.hpp"
#include "eval/benchmark_builder.hpp"
#include "eval/json_read.hpp"
#include "lincir/benchmarks.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using detail::Json;

struct RawQuery {
  size_t line = 0;
  std::string id;
  std::string reference;
  std::vector<std::string> texts, targets, gallery;
  bool has_gallery = false;
};

// Image name: the path lexically normalised, relative to the JSONL folder when inside it.
class Namer {
 public:
  explicit Namer(const fs::path& base) : base_(base) {}
  std::string operator()(const fs::path& dir, const std::string& p) const {
    const fs::path q(p);
    const fs::path abs = (q.is_absolute() ? q : dir / q).lexically_normal();
    const fs::path rel = abs.lexically_relative(base_);
    if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
    return abs.generic_string();
  }
  const fs::path& base() const { return base_; }

 private:
  fs::path base_;
};

[[noreturn]] void line_error(const std::string& file, size_t line, const std::string& problem) {
  LINCIR_THROW(Status::format, file + ":" + std::to_string(line) + ": " + problem);
}

std::vector<std::string> read_lines(const std::string& path) {
  const auto bytes = detail::read_file(path);
  std::string text(bytes.begin(), bytes.end());
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // UTF-8 BOM
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string l = text.substr(start, end - start);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(std::move(l));
    start = end + 1;
  }
  return lines;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

bool is_image_file(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  static const char* exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm"};
  return std::any_of(std::begin(exts), std::end(exts), [&](const char* x) { return e == x; });
}

std::vector<std::string> strings_or_string(const Json& j, const std::string& file, size_t line,
                                           const char* field) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (!v.is_string()) line_error(file, line, std::string("\"") + field + "\" must hold strings");
      out.push_back(v.get<std::string>());
    }
  } else {
    line_error(file, line, std::string("\"") + field + "\" must be a string or an array of strings");
  }
  return out;
}

std::vector<std::string> shared_gallery(const TripletOptions& opt, const Namer& name) {
  std::vector<std::string> out;
  if (!opt.gallery.empty()) {
    std::error_code ec;
    if (fs::is_directory(opt.gallery, ec)) {
      std::vector<fs::path> files;
      fs::recursive_directory_iterator it(opt.gallery, ec), end;
      for (; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && is_image_file(it->path())) files.push_back(it->path());
      if (ec) LINCIR_THROW(Status::io, "cannot list gallery folder '" + opt.gallery + "': " + ec.message());
      for (const auto& f : files) out.push_back(name(fs::current_path(), f.string()));
      std::sort(out.begin(), out.end());
      LINCIR_CHECK(!out.empty(), "gallery folder '" + opt.gallery + "' has no image files");
    } else {
      const fs::path dir = fs::absolute(opt.gallery).parent_path();
      for (const auto& l : read_lines(opt.gallery)) {
        if (blank(l) || l[0] == '#') continue;
        out.push_back(name(dir, l));
      }
      LINCIR_CHECK(!out.empty(), "gallery list '" + opt.gallery + "' names no images");
    }
  } else {
    for (const auto& g : opt.gallery_images) out.push_back(name(name.base(), g));
  }
  return out;
}

}  // namespace

Benchmark Benchmark::triplets(const std::string& file, const TripletOptions& opt) {
  const fs::path base = fs::absolute(fs::path(file)).parent_path().lexically_normal();
  const Namer name(base);

  std::vector<RawQuery> raw;
  std::unordered_set<std::string> ids;
  const auto lines = read_lines(file);
  for (size_t li = 0; li < lines.size(); ++li) {
    if (blank(lines[li])) continue;
    const size_t ln = li + 1;
    Json j;
    try {
      j = Json::parse(lines[li]);
    } catch (const Json::exception& e) {
      line_error(file, ln, std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) line_error(file, ln, "expected a JSON object");
    RawQuery q;
    q.line = ln;
    auto ref = j.find("reference");
    if (ref == j.end() || !ref->is_string() || ref->get<std::string>().empty())
      line_error(file, ln, "\"reference\" must be a non-empty string");
    q.reference = name(base, ref->get<std::string>());
    auto mod = j.find("modification");
    if (mod == j.end()) line_error(file, ln, "missing \"modification\"");
    q.texts = strings_or_string(*mod, file, ln, "modification");
    if (q.texts.empty()) line_error(file, ln, "\"modification\" is empty");
    auto tg = j.find("targets");
    if (tg == j.end()) line_error(file, ln, "missing \"targets\"");
    for (const auto& t : strings_or_string(*tg, file, ln, "targets")) {
      if (t.empty()) line_error(file, ln, "empty target path");
      std::string n = name(base, t);
      if (std::find(q.targets.begin(), q.targets.end(), n) != q.targets.end())
        line_error(file, ln, "duplicate target \"" + t + "\"");
      q.targets.push_back(std::move(n));
    }
    if (q.targets.empty()) line_error(file, ln, "\"targets\" is empty");
    auto gal = j.find("gallery");
    if (gal != j.end()) {
      q.has_gallery = true;
      for (const auto& g : strings_or_string(*gal, file, ln, "gallery")) {
        if (g.empty()) line_error(file, ln, "empty gallery path");
        q.gallery.push_back(name(base, g));
      }
    }
    auto id = j.find("id");
    if (id != j.end()) {
      if (id->is_string()) q.id = id->get<std::string>();
      else if (id->is_number_integer()) q.id = id->dump();
      else line_error(file, ln, "\"id\" must be a string or an integer");
    } else {
      q.id = std::to_string(raw.size());
    }
    if (!ids.insert(q.id).second) line_error(file, ln, "duplicate query id \"" + q.id + "\"");
    raw.push_back(std::move(q));
  }
  if (raw.empty()) LINCIR_THROW(Status::format, file + ": no queries");

  detail::BenchmarkBuilder bb(BenchmarkKind::triplets, "", "", file);
  bb.set_default_root(base.string());
  bb.set_exclude_reference(!opt.keep_reference);
  const auto explicit_gallery = shared_gallery(opt, name);
  if (!explicit_gallery.empty()) {
    for (const auto& g : explicit_gallery) bb.add_image(g);
  } else {
    for (const auto& q : raw) {
      bb.add_image(q.reference);
      for (const auto& t : q.targets) bb.add_image(t);
      for (const auto& g : q.gallery) bb.add_image(g);
    }
  }
  bb.end_gallery();
  const int64_t gsize = int64_t(bb.b.images().size());

  for (auto& r : raw) {
    BenchmarkQuery q;
    q.id = r.id;
    q.texts = std::move(r.texts);
    q.reference = bb.add_image(r.reference);
    for (const auto& t : r.targets) {
      const int64_t ti = bb.add_image(t);
      if (ti == q.reference && !opt.keep_reference)
        line_error(file, r.line, "target \"" + t + "\" is the reference, which is removed from "
                                 "its own ranking (keep_reference keeps it)");
      if (!r.has_gallery && ti >= gsize)
        line_error(file, r.line, "target \"" + t + "\" is not in the gallery");
      q.targets.push_back(ti);
    }
    if (r.has_gallery) {
      for (const auto& g : r.gallery) {
        const int64_t gi = bb.add_image(g);
        if (std::find(q.gallery.begin(), q.gallery.end(), gi) == q.gallery.end()) q.gallery.push_back(gi);
      }
      for (int64_t ti : q.targets)
        if (std::find(q.gallery.begin(), q.gallery.end(), ti) == q.gallery.end()) q.gallery.push_back(ti);
    }
    bb.add_query(std::move(q));
  }
  return bb.finish();
}

}  // namespace lincir
