// Image lists for gallery builds: folder listings, list files and deterministic shards.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/file_io.hpp"
#include "lincir/eval_runner.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  static const char* exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm", ".pnm"};
  return std::any_of(std::begin(exts), std::end(exts), [&](const char* x) { return e == x; });
}

bool parse_int(const std::string& s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  out = std::stoi(s);
  return true;
}

}  // namespace

std::vector<std::string> list_image_files(const std::string& folder) {
  std::error_code ec;
  LINCIR_CHECK_STATUS(fs::is_directory(folder, ec), Status::io,
                      "image folder '" + folder + "' does not exist or is not a folder");
  std::vector<std::string> out;
  const fs::path base(folder);
  fs::recursive_directory_iterator it(base, fs::directory_options::follow_directory_symlink, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_image_file(it->path())) continue;
    out.push_back(it->path().lexically_relative(base).generic_string());
  }
  if (ec) LINCIR_THROW(Status::io, "cannot list image folder '" + folder + "': " + ec.message());
  LINCIR_CHECK(!out.empty(), "image folder '" + folder + "' holds no image files "
                             "(jpg jpeg png bmp gif tga ppm pgm pnm)");
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> read_path_list(const std::string& list_file) {
  const auto bytes = detail::read_file(list_file);
  std::string text(bytes.begin(), bytes.end());
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t stop = text.find('\n', start);
    if (stop == std::string::npos) stop = text.size();
    std::string l = text.substr(start, stop - start);
    start = stop + 1;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    const bool blank = std::all_of(l.begin(), l.end(), [](unsigned char c) { return std::isspace(c); });
    if (blank || l[0] == '#') continue;
    out.push_back(std::move(l));
  }
  LINCIR_CHECK(!out.empty(), "list file '" + list_file + "' names no image");
  return out;
}

Shard Shard::parse(const std::string& s) {
  const size_t slash = s.find('/');
  Shard sh;
  const bool ok = slash != std::string::npos && parse_int(s.substr(0, slash), sh.index) &&
                  parse_int(s.substr(slash + 1), sh.count) && sh.count >= 1 && sh.index < sh.count;
  LINCIR_CHECK(ok, "invalid shard '" + s + "': expected i/N with 0 <= i < N (e.g. 0/4)");
  return sh;
}

std::pair<size_t, size_t> Shard::range(size_t n) const {
  LINCIR_CHECK(count >= 1 && index >= 0 && index < count,
               "invalid shard " + std::to_string(index) + "/" + std::to_string(count));
  // n * i in 128 bits: no overflow for any list size.
  const auto cut = [&](size_t i) { return size_t((unsigned __int128)n * i / size_t(count)); };
  return {cut(size_t(index)), cut(size_t(index) + 1)};
}

}  // namespace lincir
