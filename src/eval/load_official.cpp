// Loaders for the official annotation files of FashionIQ, CIRR, CIRCO and GeneCIS (object
// tasks). Formats and protocols: docs/benchmarks.md.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <unordered_set>

#include "eval/benchmark_builder.hpp"
#include "eval/coco_info.hpp"
#include "eval/json_read.hpp"
#include "lincir/benchmarks.hpp"

namespace lincir {
namespace {

using detail::BenchmarkBuilder;
using detail::Json;
using detail::json_format_error;
using detail::json_int;
using detail::json_member;
using detail::json_string;

std::string elem(size_t i) { return "element " + std::to_string(i); }

void check_one_of(const std::string& what, const std::string& v,
                  std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  LINCIR_THROW(Status::invalid_argument, "invalid " + what + " '" + v + "' (expected " + list + ")");
}

const Json& top_array(const Json& j, const std::string& file) {
  detail::json_array(j, file, "top level");
  if (j.empty()) json_format_error(file, "top level", "no queries (empty array)");
  return j;
}

std::string coco_file_name(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012lld.jpg", static_cast<long long>(id));
  return buf;
}

// A COCO image id as written in the annotations (a non-negative integer) -> image name.
std::string coco_name(const Json& j, const std::string& file, const std::string& where) {
  const int64_t id = json_int(j, file, where);
  if (id < 0) json_format_error(file, where, "negative image id " + std::to_string(id));
  return std::to_string(id);
}

// Relative path from CIRR's split file ("./dev/dev-1-0-img0.png"), refusing anything that could
// leave the image root.
std::string safe_relative(const std::string& p, const std::string& file, const std::string& where) {
  std::string r = p;
  while (r.compare(0, 2, "./") == 0) r.erase(0, 2);
  const std::filesystem::path fp(r);
  bool bad = r.empty() || fp.is_absolute();
  for (const auto& part : fp) bad = bad || part == "..";
  if (bad) json_format_error(file, where, "unsafe or empty image path \"" + p + "\"");
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------- FashionIQ

Benchmark Benchmark::fashioniq(const std::string& dir, const std::string& category,
                               const std::string& split) {
  check_one_of("FashionIQ category", category, {"dress", "shirt", "toptee"});
  check_one_of("FashionIQ split", split, {"train", "val", "test"});
  const std::string split_file = dir + "/image_splits/split." + category + "." + split + ".json";
  const std::string caps_file = dir + "/captions/cap." + category + "." + split + ".json";

  BenchmarkBuilder bb(BenchmarkKind::fashioniq, split, category, caps_file);
  bb.set_layout({"", "images/"}, {".png", ".jpg"});
  const Json gallery = detail::read_json_file(split_file);
  detail::json_array(gallery, split_file, "top level");
  if (gallery.empty()) json_format_error(split_file, "top level", "empty gallery");
  for (size_t i = 0; i < gallery.size(); ++i) {
    const std::string name = json_string(gallery[i], split_file, elem(i));
    if (name.empty() || name.find('/') != std::string::npos)
      json_format_error(split_file, elem(i), "invalid image id \"" + name + "\"");
    if (bb.find(name) >= 0) json_format_error(split_file, elem(i), "duplicate image \"" + name + "\"");
    bb.add_image(name);
  }
  bb.end_gallery();

  const Json caps = detail::read_json_file(caps_file);
  top_array(caps, caps_file);
  for (size_t i = 0; i < caps.size(); ++i) {
    const std::string w = elem(i);
    BenchmarkQuery q;
    q.id = std::to_string(i);
    const std::string ref = json_string(*json_member(caps[i], "candidate", true, caps_file, w),
                                        caps_file, w + ": \"candidate\"");
    q.reference = bb.find(ref);
    if (q.reference < 0)
      json_format_error(caps_file, w, "candidate \"" + ref + "\" is not in " + split_file);
    if (const Json* t = json_member(caps[i], "target", false, caps_file, w)) {
      const std::string target = json_string(*t, caps_file, w + ": \"target\"");
      const int64_t ti = bb.find(target);
      if (ti < 0) json_format_error(caps_file, w, "target \"" + target + "\" is not in " + split_file);
      q.targets.push_back(ti);
    }
    q.texts = detail::json_string_array(*json_member(caps[i], "captions", true, caps_file, w),
                                        caps_file, w + ": \"captions\"");
    if (q.texts.size() != 2)
      json_format_error(caps_file, w, "expected 2 captions, found " + std::to_string(q.texts.size()));
    bb.add_query(std::move(q));
  }
  return bb.finish();
}

// --------------------------------------------------------------------------------------- CIRR

Benchmark Benchmark::cirr(const std::string& dir, const std::string& split) {
  check_one_of("CIRR split", split, {"train", "val", "test1"});
  const std::string split_file = dir + "/image_splits/split.rc2." + split + ".json";
  const std::string caps_file = dir + "/captions/cap.rc2." + split + ".json";

  BenchmarkBuilder bb(BenchmarkKind::cirr, split, "", caps_file);
  bb.set_layout({"", "img_raw/"});
  bb.set_exclude_reference(true);
  std::vector<std::string> keys;
  const Json gallery = detail::read_json_object_ordered(split_file, &keys);
  if (keys.empty()) json_format_error(split_file, "top level", "empty gallery");
  for (const auto& k : keys) {
    const std::string w = "key \"" + k + "\"";
    const std::string rel = safe_relative(json_string(gallery.at(k), split_file, w), split_file, w);
    bb.add_image(k, rel);
  }
  bb.end_gallery();

  const Json caps = detail::read_json_file(caps_file);
  top_array(caps, caps_file);
  std::unordered_set<int64_t> pairids;
  auto image = [&](const std::string& name, const std::string& w, const char* what) {
    const int64_t i = bb.find(name);
    if (i < 0) json_format_error(caps_file, w, std::string(what) + " \"" + name + "\" is not in " + split_file);
    return i;
  };
  for (size_t i = 0; i < caps.size(); ++i) {
    const std::string w = elem(i);
    const Json& e = caps[i];
    BenchmarkQuery q;
    const int64_t pairid = json_int(*json_member(e, "pairid", true, caps_file, w), caps_file, w + ": \"pairid\"");
    if (!pairids.insert(pairid).second)
      json_format_error(caps_file, w, "duplicate pairid " + std::to_string(pairid));
    q.id = std::to_string(pairid);
    q.reference = image(json_string(*json_member(e, "reference", true, caps_file, w), caps_file, w + ": \"reference\""), w, "reference");
    q.texts.push_back(json_string(*json_member(e, "caption", true, caps_file, w), caps_file, w + ": \"caption\""));
    if (const Json* t = json_member(e, "target_hard", false, caps_file, w))
      q.targets.push_back(image(json_string(*t, caps_file, w + ": \"target_hard\""), w, "target_hard"));
    const Json& set = *json_member(e, "img_set", true, caps_file, w);
    const auto members = detail::json_string_array(
        *json_member(set, "members", true, caps_file, w + ": \"img_set\""), caps_file,
        w + ": \"img_set\".\"members\"");
    for (const auto& m : members) {
      const int64_t mi = image(m, w, "group member");
      if (std::find(q.subset.begin(), q.subset.end(), mi) != q.subset.end())
        json_format_error(caps_file, w, "duplicate group member \"" + m + "\"");
      q.subset.push_back(mi);
    }
    if (std::find(q.subset.begin(), q.subset.end(), q.reference) == q.subset.end())
      json_format_error(caps_file, w, "the reference is not among the group members");
    if (!q.targets.empty() &&
        std::find(q.subset.begin(), q.subset.end(), q.targets[0]) == q.subset.end())
      json_format_error(caps_file, w, "target_hard is not among the group members");
    bb.add_query(std::move(q));
  }
  return bb.finish();
}

// -------------------------------------------------------------------------------------- CIRCO

namespace {

Benchmark load_circo(const std::string& dir, const std::string& split,
                     const std::vector<std::string>& gallery, const std::vector<std::string>& files,
                     const std::string& gallery_source) {
  check_one_of("CIRCO split", split, {"val", "test"});
  const std::string file = dir + "/annotations/" + split + ".json";
  BenchmarkBuilder bb(BenchmarkKind::circo, split, "", file);
  bb.set_layout({"", "unlabeled2017/", "COCO2017_unlabeled/unlabeled2017/"});
  LINCIR_CHECK(!gallery.empty(), "CIRCO gallery " + gallery_source + " is empty");
  for (size_t i = 0; i < gallery.size(); ++i) {
    const std::string& g = gallery[i];
    bool digits = !g.empty() && g.size() <= 18;
    for (char c : g) digits = digits && c >= '0' && c <= '9';
    LINCIR_CHECK(digits, "CIRCO gallery " + gallery_source + ": \"" + g + "\" is not a COCO image id");
    const std::string name = std::to_string(std::stoll(g));  // canonical: no leading zeros
    LINCIR_CHECK(bb.find(name) < 0,
                 "CIRCO gallery " + gallery_source + ": duplicate image id " + name);
    bb.add_image(name, files.empty() ? coco_file_name(std::stoll(g)) : files[i]);
  }
  bb.end_gallery();

  const Json ann = detail::read_json_file(file);
  top_array(ann, file);
  std::vector<std::string> absent;
  auto image = [&](const std::string& name) {
    const int64_t i = bb.find(name);
    if (i < 0 && std::find(absent.begin(), absent.end(), name) == absent.end()) absent.push_back(name);
    return i;
  };
  for (size_t i = 0; i < ann.size(); ++i) {
    const std::string w = elem(i);
    const Json& e = ann[i];
    BenchmarkQuery q;
    const int64_t id = json_int(*json_member(e, "id", true, file, w), file, w + ": \"id\"");
    // The submission format keys queries by id and the official scorer expects ids 0..N-1.
    if (id != int64_t(i)) json_format_error(file, w, "\"id\" is " + std::to_string(id) + ", expected " + std::to_string(i));
    q.id = std::to_string(id);
    q.reference = image(coco_name(*json_member(e, "reference_img_id", true, file, w), file, w + ": \"reference_img_id\""));
    q.texts.push_back(json_string(*json_member(e, "relative_caption", true, file, w), file, w + ": \"relative_caption\""));
    if (const Json* s = json_member(e, "shared_concept", false, file, w))
      q.shared_concept = json_string(*s, file, w + ": \"shared_concept\"");
    std::vector<std::string> targets;
    if (const Json* t = json_member(e, "target_img_id", false, file, w))
      targets.push_back(coco_name(*t, file, w + ": \"target_img_id\""));
    if (const Json* g = json_member(e, "gt_img_ids", false, file, w)) {
      detail::json_array(*g, file, w + ": \"gt_img_ids\"");
      std::vector<std::string> gts;
      for (size_t k = 0; k < g->size(); ++k) {
        std::string n = coco_name((*g)[k], file, w + ": \"gt_img_ids\"[" + std::to_string(k) + "]");
        if (std::find(gts.begin(), gts.end(), n) != gts.end())
          json_format_error(file, w, "duplicate ground truth " + n);
        gts.push_back(std::move(n));
      }
      if (!targets.empty() && std::find(gts.begin(), gts.end(), targets[0]) == gts.end())
        json_format_error(file, w, "target_img_id is not among gt_img_ids");
      for (auto& n : gts)
        if (targets.empty() || n != targets[0]) targets.push_back(std::move(n));
    }
    for (const auto& t : targets) q.targets.push_back(image(t));
    if (const Json* a = json_member(e, "semantic_aspects", false, file, w))
      q.aspects = detail::json_string_array(*a, file, w + ": \"semantic_aspects\"");
    bb.add_query(std::move(q));
  }
  if (!absent.empty()) {
    std::string msg = "CIRCO " + split + ": " + std::to_string(absent.size()) +
                      " reference/ground-truth images are not in the gallery " + gallery_source + ":";
    for (size_t i = 0; i < std::min<size_t>(absent.size(), 10); ++i) msg += " " + absent[i];
    if (absent.size() > 10) msg += " and " + std::to_string(absent.size() - 10) + " more";
    LINCIR_THROW(Status::invalid_argument, msg);
  }
  return bb.finish();
}

}  // namespace

Benchmark Benchmark::circo(const std::string& dir, const std::string& split,
                           const std::string& gallery) {
  LINCIR_CHECK(!gallery.empty(),
               "CIRCO needs its gallery: COCO's image_info_unlabeled2017.json or the unlabeled2017 "
               "image folder");
  std::error_code ec;
  std::vector<std::string> ids, files;
  if (std::filesystem::is_directory(gallery, ec)) {
    // Folder: every COCO-named image (12 digits + .jpg), sorted by id.
    std::vector<std::pair<long long, std::string>> found;
    for (const auto& entry : std::filesystem::directory_iterator(gallery, ec)) {
      const std::string n = entry.path().filename().string();
      if (n.size() != 16 || n.compare(12, 4, ".jpg") != 0) continue;
      if (!std::all_of(n.begin(), n.begin() + 12, [](char c) { return c >= '0' && c <= '9'; }))
        continue;
      found.emplace_back(std::stoll(n.substr(0, 12)), n);
    }
    if (ec) LINCIR_THROW(Status::io, "cannot list CIRCO gallery folder '" + gallery + "': " + ec.message());
    LINCIR_CHECK(!found.empty(), "CIRCO gallery folder '" + gallery +
                                     "' has no COCO-named images (%012d.jpg)");
    std::sort(found.begin(), found.end());
    for (auto& [id, n] : found) {
      ids.push_back(std::to_string(id));
      files.push_back(std::move(n));
    }
  } else {
    auto images = detail::read_coco_image_info(gallery);
    for (auto& im : images) {
      ids.push_back(std::to_string(im.id));
      files.push_back(std::move(im.file_name));
    }
  }
  return load_circo(dir, split, ids, files, "'" + gallery + "'");
}

Benchmark Benchmark::circo(const std::string& dir, const std::string& split,
                           const std::vector<std::string>& gallery_ids) {
  return load_circo(dir, split, gallery_ids, {}, "(id list)");
}

// ------------------------------------------------------------------------------------ GeneCIS

Benchmark Benchmark::genecis(const std::string& file) {
  std::string task = std::filesystem::path(file).stem().string();
  BenchmarkBuilder bb(BenchmarkKind::genecis, "", task, file);
  bb.set_layout({"", "val2017/"});
  const Json ann = detail::read_json_file(file);
  top_array(ann, file);
  auto image = [&](const Json& obj, const std::string& w) {
    detail::json_object(obj, file, w);
    if (obj.contains("image_id") && !obj.contains("val_image_id"))
      LINCIR_THROW(Status::unsupported,
                   file + ": " + w + ": Visual Genome images (GeneCIS attribute tasks) are not "
                   "supported; only the object tasks (COCO val2017 images) are");
    const std::string name = coco_name(*json_member(obj, "val_image_id", true, file, w), file, w + ": \"val_image_id\"");
    return bb.add_image(name, coco_file_name(std::stoll(name)));
  };
  for (size_t i = 0; i < ann.size(); ++i) {
    const std::string w = elem(i);
    const Json& e = ann[i];
    BenchmarkQuery q;
    q.id = std::to_string(i);
    q.reference = image(*json_member(e, "reference", true, file, w), w + ": \"reference\"");
    q.texts.push_back(json_string(*json_member(e, "condition", true, file, w), file, w + ": \"condition\""));
    const int64_t target = image(*json_member(e, "target", true, file, w), w + ": \"target\"");
    q.targets.push_back(target);
    const Json& g = detail::json_array(*json_member(e, "gallery", true, file, w), file, w + ": \"gallery\"");
    if (g.empty()) json_format_error(file, w, "empty gallery");
    for (size_t k = 0; k < g.size(); ++k) {
      const int64_t gi = image(g[k], w + ": \"gallery\"[" + std::to_string(k) + "]");
      // The target appended below; a distractor equal to it is the same image (one change_object
      // query), and repeated distractors would count twice.
      if (gi != target && std::find(q.gallery.begin(), q.gallery.end(), gi) == q.gallery.end())
        q.gallery.push_back(gi);
    }
    q.gallery.push_back(target);
    bb.add_query(std::move(q));
  }
  return bb.finish();
}

}  // namespace lincir
