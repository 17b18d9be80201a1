// `lincir index build|merge|info`: gallery files from image folders or lists, resumable and
// shardable; merging shards; inspecting and verifying a gallery file.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>

#include "cli.hpp"
#include "lincir/eval_runner.hpp"
#include "model_args.hpp"

namespace lincir::cli {
namespace {

namespace fs = std::filesystem;

struct BuildArgs {
  ModelArgs model;
  std::string image_dir, image_list, output, shard = "0/1", storage = "float32", metric = "cosine",
                                             preprocess = "hf";
  std::vector<std::string> images;
  int64_t stop_after = -1;  // hidden: simulate a killed build (tests)
};

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string output;
};

struct InfoArgs {
  std::string path, format = "table";
  int names = 0;
};

void build(const BuildArgs& a) {
  std::vector<std::string> paths, names;
  collect_images(a.image_dir, a.image_list, a.images, paths, names);
  const Shard shard = Shard::parse(a.shard);
  const auto [b, e] = shard.range(paths.size());
  // Ids are positions in the whole (unsharded) list, so shards merge without clashes and in order.
  std::vector<int64_t> ids;
  for (size_t i = b; i < e; ++i) ids.push_back(int64_t(i));
  std::vector<std::string> sp(paths.begin() + ptrdiff_t(b), paths.begin() + ptrdiff_t(e));
  std::vector<std::string> sn(names.begin() + ptrdiff_t(b), names.begin() + ptrdiff_t(e));
  if (!shard.whole())
    log("shard " + a.shard + ": images [" + std::to_string(b) + ", " + std::to_string(e) + ") of " +
        std::to_string(paths.size()));

  const ClipModel clip = a.model.load();
  GalleryBuildOptions o;
  o.gallery.metric = a.metric == "cosine" ? GalleryMetric::cosine : GalleryMetric::inner_product;
  o.gallery.storage = a.storage == "float16" ? GalleryStorage::float16 : GalleryStorage::float32;
  o.preprocess = resolve_preprocess(a.preprocess, nullptr);
  o.batch_size = a.model.batch_size;
  o.fingerprint = a.model.fingerprint() + ";preprocess=" + a.preprocess;
  if (fs::exists(gallery_part_path(a.output))) log("resuming from " + gallery_part_path(a.output));
  Progress bar("indexing", int64_t(sp.size()));
  bool first = true;
  o.on_progress = [&](int64_t done, int64_t total) {
    if (first && done > 0) log("resuming: " + std::to_string(done) + " of " + std::to_string(total) + " images already encoded");
    first = false;
    bar.update(done);
    return a.stop_after < 0 || done < a.stop_after;
  };
  GalleryBuildStats st;
  const Gallery g = build_gallery(clip, sp, ids, sn, a.output, o, &st);
  bar.finish();
  log("wrote " + a.output + ": " + std::to_string(g.size()) + " images (" + std::to_string(st.encoded) +
      " encoded, " + std::to_string(st.resumed) + " resumed), dim " + std::to_string(g.dim()));
}

void merge(const MergeArgs& a) {
  LINCIR_CHECK(!a.inputs.empty(), "index merge: no input galleries");
  std::vector<std::pair<int64_t, Gallery>> parts;
  for (const auto& p : a.inputs) {
    Gallery g = Gallery::load(p);
    const int64_t first = g.size() ? g.id(0) : std::numeric_limits<int64_t>::max();
    parts.emplace_back(first, std::move(g));
  }
  // Shard order (by first id) whatever the order on the command line: the merged gallery then
  // equals an unsharded build.
  std::stable_sort(parts.begin(), parts.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  GalleryOptions go;
  go.metric = parts[0].second.metric();
  go.storage = parts[0].second.storage();
  Gallery out(parts[0].second.dim(), go);
  for (const auto& [first, g] : parts) out.merge(g);
  out.save(a.output);
  log("merged " + std::to_string(parts.size()) + " galleries into " + a.output + ": " +
      std::to_string(out.size()) + " vectors");
}

void info(const InfoArgs& a) {
  const Gallery g = Gallery::load(a.path);  // validates every field and the CRC-32
  nlohmann::ordered_json j;
  j["path"] = a.path;
  j["size"] = g.size();
  j["dim"] = g.dim();
  j["metric"] = g.metric() == GalleryMetric::cosine ? "cosine" : "inner_product";
  j["storage"] = g.storage() == GalleryStorage::float16 ? "float16" : "float32";
  j["vector_bytes"] = g.vector_bytes();
  j["file_bytes"] = fs::file_size(a.path);
  j["checksum"] = "ok";
  j["part_file"] = fs::exists(gallery_part_path(a.path));
  auto names = nlohmann::ordered_json::array();
  for (size_t i = 0; i < std::min<size_t>(size_t(std::max(a.names, 0)), g.size()); ++i)
    names.push_back({{"id", g.id(i)}, {"name", g.name(i)}});
  if (a.names > 0) j["entries"] = names;
  if (a.format == "json") {
    std::cout << j.dump(2) << std::endl;
    return;
  }
  for (auto& [k, v] : j.items()) {
    if (k == "entries") continue;
    std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << '\n';
  }
  for (const auto& n : names) std::cout << n["id"].get<int64_t>() << '\t' << n["name"].get<std::string>() << '\n';
}

Registrar reg("20-index", [](CLI::App& app) {
  auto* idx = app.add_subcommand("index", "Build, merge and inspect gallery index files");
  idx->require_subcommand(1);
  idx->footer(
      "Examples:\n"
      "  lincir index build --model clip.safetensors --image-dir photos/ -o photos.gallery\n"
      "  lincir index build --model clip.safetensors --image-list all.txt --shard 0/4 -o part0.gallery\n"
      "  lincir index merge -o all.gallery part0.gallery part1.gallery part2.gallery part3.gallery\n"
      "  lincir index info all.gallery --format json");

  static BuildArgs b;
  auto* bc = idx->add_subcommand("build", "Encode images into a gallery file (resumable, shardable)");
  bc->footer(
      "The build is resumable: finished batches are appended to <output>.part; run the same\n"
      "command again after a kill and it continues. --shard i/N builds the i-th of N contiguous\n"
      "slices of the sorted image list (ids = positions in the whole list), so N processes or\n"
      "machines can build in parallel; `lincir index merge` joins them.\n"
      "Names stored: paths relative to --image-dir, or as written in --image-list.");
  b.model.add(bc);
  bc->add_option("--image-dir", b.image_dir, "every image below this folder (recursive, sorted)");
  bc->add_option("--image-list", b.image_list, "text file with one image path per line (relative to it)");
  bc->add_option("images", b.images, "image files");
  bc->add_option("-o,--output", b.output, "gallery file to write")->required();
  bc->add_option("--shard", b.shard, "build shard i of N (i/N, 0-based)")->capture_default_str();
  bc->add_option("--storage", b.storage, "float32 or float16")
      ->check(CLI::IsMember({"float32", "float16"}))
      ->capture_default_str();
  bc->add_option("--metric", b.metric, "cosine (vectors normalised) or inner-product (raw features)")
      ->check(CLI::IsMember({"cosine", "inner-product"}))
      ->capture_default_str();
  bc->add_option("--preprocess", b.preprocess, "hf (LinCIR eval) or openai (clip._transform; SEARLE, Pic2Word)")
      ->check(CLI::IsMember({"hf", "openai"}))
      ->capture_default_str();
  bc->add_option("--stop-after", b.stop_after)->group("");  // tests: stop like a kill
  bc->callback([] { build(b); });

  static MergeArgs m;
  auto* mc = idx->add_subcommand("merge", "Merge gallery shards (disjoint ids) into one file");
  mc->add_option("inputs", m.inputs, "gallery files")->required();
  mc->add_option("-o,--output", m.output, "merged gallery file")->required();
  mc->callback([] { merge(m); });

  static InfoArgs i;
  auto* ic = idx->add_subcommand("info", "Size, dimension, storage of a gallery file; verifies its checksum");
  ic->add_option("path", i.path, "gallery file")->required();
  ic->add_option("--format", i.format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ic->add_option("--names", i.names, "also list the first N ids and names");
  ic->callback([] { info(i); });
});

}  // namespace
}  // namespace lincir::cli
