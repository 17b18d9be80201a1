#include "support/mini_benchmarks.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "support/test_support.hpp"

namespace lincir::test {
namespace {

namespace fs = std::filesystem;
using OJson = nlohmann::ordered_json;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

OJson read_ordered(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open " + path);
  return OJson::parse(f);
}

void write_json(const std::string& path, const OJson& j) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path);
  f << j.dump(4);
  if (!f) throw std::runtime_error("cannot write " + path);
}

std::string bench_data(const std::string& rel) { return data_path("benchmarks/" + rel); }

std::string coco_file(int64_t id) {
  char b[32];
  std::snprintf(b, sizeof b, "%012lld.jpg", static_cast<long long>(id));
  return b;
}

}  // namespace

void write_test_image(const std::string& path, uint64_t seed, int w) {
  fs::create_directories(fs::path(path).parent_path());
  std::vector<uint8_t> px(size_t(w) * w * 3);
  uint64_t s = seed;
  // 4x4-pixel blocks of random colours: survives resizing to the model's 32 px input.
  std::vector<uint8_t> blocks(size_t((w + 3) / 4) * ((w + 3) / 4) * 3);
  for (auto& b : blocks) b = uint8_t(splitmix(s) >> 56);
  const int bw = (w + 3) / 4;
  for (int y = 0; y < w; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) px[(size_t(y) * w + x) * 3 + c] = blocks[(size_t(y / 4) * bw + x / 4) * 3 + c];
  const bool jpg = path.size() > 4 && path.compare(path.size() - 4, 4, ".jpg") == 0;
  const int ok = jpg ? stbi_write_jpg(path.c_str(), w, w, 3, px.data(), 95)
                     : stbi_write_png(path.c_str(), w, w, 3, px.data(), w * 3);
  if (!ok) throw std::runtime_error("cannot write image " + path);
}

// ------------------------------------------------------------------------------------- CIRR

MiniBenchmark make_mini_cirr(const std::string& dir, const std::string& split, int nq,
                             bool copy_targets) {
  const OJson caps = read_ordered(bench_data("cirr/captions/cap.rc2." + split + ".json"));
  const OJson files = read_ordered(bench_data("cirr/image_splits/split.rc2." + split + ".json"));
  std::set<std::string> used, keep;
  OJson out = OJson::array();
  for (const auto& e : caps) {
    if (int(out.size()) == nq) break;
    const std::string ref = e["reference"];
    const std::string tgt = e.contains("target_hard") ? e["target_hard"].get<std::string>() : "";
    if (used.count(ref) || (!tgt.empty() && (used.count(tgt) || tgt == ref))) continue;
    used.insert(ref);
    if (!tgt.empty()) used.insert(tgt);
    for (const auto& m : e["img_set"]["members"]) keep.insert(m.get<std::string>());
    out.push_back(e);
  }
  OJson split_out = OJson::object();
  for (auto it = files.begin(); it != files.end(); ++it)
    if (keep.count(it.key())) split_out[it.key()] = it.value();
  write_json(dir + "/captions/cap.rc2." + split + ".json", out);
  write_json(dir + "/image_splits/split.rc2." + split + ".json", split_out);

  MiniBenchmark mb;
  mb.annotations = dir;
  mb.root = dir + "/images";
  mb.split = split;
  mb.queries = int(out.size());
  auto file_of = [&](const std::string& name) {
    return mb.root + "/" + split_out[name].get<std::string>().substr(2);  // "./dev/x.png"
  };
  for (auto it = split_out.begin(); it != split_out.end(); ++it) {
    write_test_image(file_of(it.key()), fnv1a(it.key()));
    mb.images.push_back(it.key());
  }
  if (copy_targets)
    for (const auto& e : out)
      fs::copy_file(file_of(e["reference"]), file_of(e["target_hard"]), fs::copy_options::overwrite_existing);
  return mb;
}

// -------------------------------------------------------------------------------- FashionIQ

MiniBenchmark make_mini_fashioniq(const std::string& dir, int nq, int extra) {
  MiniBenchmark mb;
  mb.annotations = dir;
  mb.root = dir + "/images";
  mb.split = "val";
  for (const std::string cat : {"dress", "shirt", "toptee"}) {
    const OJson caps = read_ordered(bench_data("fashioniq/captions/cap." + cat + ".val.json"));
    const OJson gallery = read_ordered(bench_data("fashioniq/image_splits/split." + cat + ".val.json"));
    std::set<std::string> used;
    OJson out = OJson::array();
    for (const auto& e : caps) {
      if (int(out.size()) == nq) break;
      const std::string c = e["candidate"], t = e["target"];
      if (c == t || used.count(c) || used.count(t)) continue;
      used.insert(c);
      used.insert(t);
      out.push_back(e);
    }
    OJson g = OJson::array();
    int extras = 0;
    for (const auto& a : gallery) {
      const std::string s = a;
      if (used.count(s) || extras++ < extra) {
        g.push_back(s);
        write_test_image(mb.root + "/" + s + ".png", fnv1a(cat + s));
        mb.images.push_back(s);
      }
    }
    write_json(dir + "/captions/cap." + cat + ".val.json", out);
    write_json(dir + "/image_splits/split." + cat + ".val.json", g);
    mb.queries += int(out.size());
  }
  return mb;
}

// ------------------------------------------------------------------------------------ CIRCO

MiniBenchmark make_mini_circo(const std::string& dir, const std::string& split, int nq,
                              int min_gallery) {
  const OJson ann = read_ordered(bench_data("circo/annotations/" + split + ".json"));
  std::set<int64_t> used;
  std::vector<int64_t> gallery;
  OJson out = OJson::array();
  for (const auto& e : ann) {
    if (int(out.size()) == nq) break;
    std::vector<int64_t> ims = {e["reference_img_id"].get<int64_t>()};
    if (e.contains("gt_img_ids"))
      for (const auto& g : e["gt_img_ids"]) ims.push_back(g.get<int64_t>());
    bool clash = false;
    for (size_t i = 0; i < ims.size(); ++i) clash = clash || used.count(ims[i]) || (i > 0 && ims[i] == ims[0]);
    if (clash) continue;
    for (int64_t i : ims) {
      used.insert(i);
      gallery.push_back(i);
    }
    OJson q = e;
    q["id"] = int64_t(out.size());  // the loader wants ids 0..n-1
    out.push_back(q);
  }
  // Distractors: references of the queries left out, which are real COCO ids.
  for (const auto& e : ann) {
    if (int(gallery.size()) >= min_gallery) break;
    const int64_t r = e["reference_img_id"];
    if (used.insert(r).second) gallery.push_back(r);
  }
  for (int64_t k = 1; int(gallery.size()) < min_gallery; ++k)
    if (used.insert(k).second) gallery.push_back(k);
  write_json(dir + "/annotations/" + split + ".json", out);
  OJson info = {{"info", {{"description", "lincir test gallery"}}}, {"images", OJson::array()}};
  MiniBenchmark mb;
  mb.annotations = dir;
  mb.root = dir + "/images";
  mb.split = split;
  mb.queries = int(out.size());
  mb.gallery = dir + "/image_info_unlabeled2017.json";
  for (int64_t id : gallery) {
    info["images"].push_back({{"id", id}, {"file_name", coco_file(id)}, {"width", 40}, {"height", 40}});
    write_test_image(mb.root + "/unlabeled2017/" + coco_file(id), fnv1a("circo" + std::to_string(id)));
    mb.images.push_back(std::to_string(id));
  }
  write_json(mb.gallery, info);
  return mb;
}

// ---------------------------------------------------------------------------------- GeneCIS

MiniBenchmark make_mini_genecis(const std::string& dir, int nq) {
  const OJson ann = read_ordered(bench_data("genecis/change_object.json"));
  std::set<int64_t> targets, written;
  OJson out = OJson::array();
  for (const auto& e : ann) {
    if (int(out.size()) == nq) break;
    const int64_t t = e["target"]["val_image_id"], r = e["reference"]["val_image_id"];
    if (t == r || targets.count(t)) continue;
    targets.insert(t);
    out.push_back(e);
  }
  MiniBenchmark mb;
  mb.annotations = dir + "/change_object.json";
  mb.root = dir + "/images";
  mb.queries = int(out.size());
  write_json(mb.annotations, out);
  auto image = [&](const OJson& o) {
    const int64_t id = o["val_image_id"];
    if (!written.insert(id).second) return;
    write_test_image(mb.root + "/val2017/" + coco_file(id), fnv1a("genecis" + std::to_string(id)));
    mb.images.push_back(std::to_string(id));
  };
  for (const auto& e : out) {
    image(e["reference"]);
    image(e["target"]);
    for (const auto& g : e["gallery"]) image(g);
  }
  return mb;
}

}  // namespace lincir::test
