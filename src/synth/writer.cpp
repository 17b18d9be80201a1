// Writers: PNG images into a freshly staged folder (renamed into place when complete) and
// JSONL/JSON/text files written atomically, all paths relative to the output folder.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "core/file_io.hpp"
#include "lincir/synth.hpp"

namespace lincir::synth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string image_name(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "images/%06zu.png", i);
  return buf;
}

void write_text(const std::string& path, const std::string& text) {
  detail::write_file_atomic(path, text.data(), text.size());
}

void write_plain_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) LINCIR_THROW(Status::io, "cannot create '" + path + "'");
  const size_t n = std::fwrite(bytes.data(), 1, bytes.size(), f);
  const bool ok = n == bytes.size() && std::fclose(f) == 0;
  if (!ok) LINCIR_THROW(Status::io, "cannot write '" + path + "'");
}

// Creates `dir`, checks `dir`/images, and returns a fresh staging folder for the images.
std::string prepare(const std::string& dir, bool overwrite) {
  LINCIR_CHECK(!dir.empty(), "synth writer: empty output folder");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) LINCIR_THROW(Status::io, "cannot create folder '" + dir + "': " + ec.message());
  const fs::path images = fs::path(dir) / "images";
  if (fs::exists(images, ec) && !overwrite)
    LINCIR_THROW(Status::io, "'" + images.string() + "' exists (pass overwrite to replace it)");
  std::random_device rd;  // unique staging name; not part of any output
  const std::string stage =
      (fs::path(dir) / (".images.tmp." + std::to_string(::getpid()) + "." + std::to_string(rd())))
          .string();
  fs::remove_all(stage, ec);
  fs::create_directories(fs::path(stage) / "images", ec);
  if (ec) LINCIR_THROW(Status::io, "cannot create folder '" + stage + "': " + ec.message());
  return stage;
}

// Moves the staged images into place (replacing an old folder when allowed).
void commit_images(const std::string& dir, const std::string& stage) {
  std::error_code ec;
  const fs::path images = fs::path(dir) / "images";
  if (fs::exists(images, ec)) {
    const fs::path old = fs::path(stage) / "old";
    fs::rename(images, old, ec);
    if (ec) LINCIR_THROW(Status::io, "cannot move '" + images.string() + "' away: " + ec.message());
  }
  fs::rename(fs::path(stage) / "images", images, ec);
  if (ec)
    LINCIR_THROW(Status::io, "cannot move images into '" + images.string() + "': " + ec.message());
  fs::remove_all(stage, ec);
}

struct StageGuard {  // removes the staging folder if writing fails
  std::string path;
  bool done = false;
  ~StageGuard() {
    if (!done) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

template <class E>
json names(const std::vector<E>& v) {
  json a = json::array();
  for (E x : v) a.push_back(to_string(x));
  return a;
}

json world_json(const World& w) {
  json j;
  j["shapes"] = names(w.shapes);
  j["colors"] = names(w.colors);
  j["sizes"] = names(w.sizes);
  j["positions"] = names(w.positions);
  j["backgrounds"] = names(w.backgrounds);
  j["textures"] = names(w.textures);
  j["count_weights"] = {w.count_weights[0], w.count_weights[1], w.count_weights[2]};
  json h = json::array();
  for (const ShapeColor& sc : w.heldout_combos)
    h.push_back(std::string(to_string(sc.color)) + " " + to_string(sc.shape));
  j["heldout_combos"] = h;
  return j;
}

json render_json(const RenderOptions& r) {
  return {{"size", r.size},
          {"supersample", r.supersample},
          {"jitter", r.jitter},
          {"position_jitter", r.position_jitter},
          {"radius_jitter", r.radius_jitter},
          {"rotation_jitter", r.rotation_jitter},
          {"color_jitter", r.color_jitter},
          {"noise_sigma", r.noise_sigma}};
}

json heldout_phrasings_json() {
  json a = json::array();
  for (const Phrasing& p : phrasings())
    if (p.heldout) a.push_back({{"id", p.id}, {"kind", to_string(p.kind)}, {"pattern", p.pattern}});
  return a;
}

}  // namespace

void write_cir_set(const CirSet& set, const std::string& dir, const RenderOptions& render_opt,
                   bool overwrite) {
  LINCIR_CHECK(set.reference_index.size() == set.queries.size() &&
                   set.target_index.size() == set.queries.size(),
               "write_cir_set: reference/target index sizes do not match the queries");
  const std::string stage = prepare(dir, overwrite);
  StageGuard guard{stage};
  std::vector<uint8_t> rgb(size_t(render_opt.size) * render_opt.size * 3);
  Image img;
  img.width = img.height = render_opt.size;
  img.mode = ImageMode::rgb;
  for (size_t i = 0; i < set.gallery.size(); ++i) {
    img.pixels.resize(rgb.size());
    render_into(set.gallery[i].scene, set.gallery[i].render_seed, render_opt, img.pixels.data());
    write_plain_file(stage + "/" + image_name(i), encode_png(img));
  }
  commit_images(dir, stage);
  guard.done = true;

  const Captioner captioner(set.world);
  std::string gallery_txt, scenes_jsonl;
  for (size_t i = 0; i < set.gallery.size(); ++i) {
    gallery_txt += image_name(i) + "\n";
    json j = {{"image", image_name(i)},
              {"scene", set.gallery[i].scene.key()},
              {"caption", captioner.canonical(set.gallery[i].scene).text},
              {"render_seed", set.gallery[i].render_seed}};
    scenes_jsonl += j.dump() + "\n";
  }
  std::string queries_jsonl, meta_jsonl;
  for (size_t q = 0; q < set.queries.size(); ++q) {
    const Triplet& t = set.queries[q];
    const int r = set.reference_index[q], g = set.target_index[q];
    LINCIR_CHECK(
        r >= 0 && size_t(r) < set.gallery.size() && g >= 0 && size_t(g) < set.gallery.size(),
        "write_cir_set: query " + std::to_string(q) + " has a gallery index out of range");
    json line = {{"reference", image_name(size_t(r))},
                 {"modification", t.modification.text.text},
                 {"targets", {image_name(size_t(g))}}};
    queries_jsonl += line.dump() + "\n";
    json kinds = json::array();
    for (const Change& c : t.changes) kinds.push_back(to_string(c.kind));
    json meta = {{"kinds", kinds},
                 {"heldout_combo", t.heldout_combo},
                 {"heldout_phrasing", t.modification.heldout},
                 {"phrasings", t.modification.phrasing_ids},
                 {"reference_scene", t.reference.key()},
                 {"target_scene", t.target.key()},
                 {"reference_caption", captioner.canonical(t.reference).text},
                 {"target_caption", captioner.canonical(t.target).text}};
    meta_jsonl += meta.dump() + "\n";
  }
  json kinds = json::array();
  for (ChangeKind k : set.options.kinds) kinds.push_back(to_string(k));
  json meta = {{"format", "lincir-synth-cir/1"},
               {"queries", "queries.jsonl: generic triplet format, paths relative to this folder"},
               {"reference_in_gallery", true},
               {"exclude_reference_from_ranking", true},
               {"num_gallery", set.gallery.size()},
               {"num_queries", set.queries.size()},
               {"world", world_json(set.world)},
               {"options",
                {{"seed", set.options.seed},
                 {"num_queries", set.options.num_queries},
                 {"split", to_string(set.options.split)},
                 {"kinds", kinds},
                 {"two_object_fraction", set.options.two_object_fraction},
                 {"two_change_fraction", set.options.two_change_fraction},
                 {"include_single_object_scenes", set.options.include_single_object_scenes},
                 {"include_hard_negatives", set.options.include_hard_negatives},
                 {"num_distractors", set.options.num_distractors}}},
               {"render", render_json(render_opt)},
               {"heldout_phrasings", heldout_phrasings_json()}};
  write_text(dir + "/gallery.txt", gallery_txt);
  write_text(dir + "/scenes.jsonl", scenes_jsonl);
  write_text(dir + "/queries_meta.jsonl", meta_jsonl);
  write_text(dir + "/meta.json", meta.dump(2) + "\n");
  write_text(dir + "/queries.jsonl", queries_jsonl);  // last: its presence means complete
}

void write_caption_set(const World& world, const CaptionSetOptions& options, const std::string& dir,
                       const RenderOptions& render_opt, bool overwrite) {
  LINCIR_CHECK(options.num_images >= 0, "CaptionSetOptions.num_images must be >= 0");
  LINCIR_CHECK(options.captions_per_image >= 1,
               "CaptionSetOptions.captions_per_image must be >= 1");
  const Captioner captioner(world, options.captions);
  const std::string stage = prepare(dir, overwrite);
  StageGuard guard{stage};
  SceneStream scenes(world, options.seed, options.split);
  Image img;
  img.width = img.height = render_opt.size;
  img.mode = ImageMode::rgb;
  img.pixels.resize(size_t(render_opt.size) * render_opt.size * 3);
  std::string lines;
  for (int i = 0; i < options.num_images; ++i) {
    const Scene s = scenes.next();
    render_into(s, scenes.next_render_seed(), render_opt, img.pixels.data());
    write_plain_file(stage + "/" + image_name(size_t(i)), encode_png(img));
    for (const Caption& c : captioner.captions(s, mix_seed(options.seed, uint64_t(i)),
                                               options.captions_per_image, options.split)) {
      json j = {{"image", image_name(size_t(i))},
                {"caption", c.text},
                {"scene", s.key()},
                {"composed", c.composed},
                {"spans", keyword_spans(c)}};
      lines += j.dump() + "\n";
    }
  }
  commit_images(dir, stage);
  guard.done = true;
  json meta = {{"format", "lincir-synth-captions/1"},
               {"captions", "captions.jsonl: one (image, caption) pair per line"},
               {"num_images", options.num_images},
               {"captions_per_image", options.captions_per_image},
               {"seed", options.seed},
               {"split", to_string(options.split)},
               {"composed_fraction", options.captions.composed_fraction},
               {"mention_probability", options.captions.mention_probability},
               {"complete", options.captions.complete},
               {"world", world_json(world)},
               {"render", render_json(render_opt)},
               {"heldout_phrasings", heldout_phrasings_json()}};
  write_text(dir + "/meta.json", meta.dump(2) + "\n");
  write_text(dir + "/captions.jsonl", lines);
}

}  // namespace lincir::synth
