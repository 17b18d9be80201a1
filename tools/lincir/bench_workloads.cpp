#include "bench_workloads.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <thread>

#include "clip/towers.hpp"
#include "cli.hpp"
#include "composer/pseudo_tokens.hpp"
#include "lincir/composer.hpp"
#include "lincir/gallery.hpp"
#include "lincir/projector.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/trainer.hpp"

namespace lincir::cli::bench {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double round2(double x) { return std::round(x * 100.0) / 100.0; }

// Two untimed calls, then `reps` timed ones (the baseline's `timed`).
json timed(const std::function<void()>& fn, int reps) {
  fn();
  fn();
  std::vector<double> ts;
  for (int i = 0; i < reps; ++i) {
    const double t = now_ms();
    fn();
    ts.push_back(now_ms() - t);
  }
  return {{"median_ms", round2(median(ts))},
          {"min_ms", round2(*std::min_element(ts.begin(), ts.end()))},
          {"reps", reps}};
}

// Smallest row-wise cosine of two embedding matrices.
double cosine(const Embeddings& a, const Embeddings& b) {
  double worst = 1.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    const double d = a.row(i).cast<double>().dot(b.row(i).cast<double>());
    const double n = a.row(i).cast<double>().norm() * b.row(i).cast<double>().norm();
    worst = std::min(worst, n > 0 ? d / n : 0.0);
  }
  return worst;
}

// Common English words that are single CLIP BPE tokens, for prompts and captions.
const std::vector<std::string>& words() {
  static const std::vector<std::string> w = {
      "dog",    "cat",    "red",    "blue",   "green",  "small",  "large",  "man",    "woman",
      "child",  "car",    "tree",   "house",  "street", "beach",  "water",  "white",  "black",
      "old",    "young",  "table",  "chair",  "window", "door",   "grass",  "field",  "sky",
      "bird",   "horse",  "train",  "bus",    "road",   "city",   "park",   "river",  "boat",
      "shirt",  "dress",  "hat",    "bag",    "ball",   "food",   "plate",  "cup",    "phone",
      "book",   "flower", "wall",   "floor",  "room",   "kitchen", "bed",   "light",  "sign",
      "yellow", "brown",  "orange", "pink",   "purple", "gray",   "dark",   "bright", "wooden",
      "metal",  "glass",  "snow",   "rain",   "sun",    "night",  "morning", "group", "people",
      "two",    "three",  "standing", "sitting", "walking", "running", "holding", "looking",
      "near",   "with",   "on",     "in",     "under",  "behind", "next",   "front",  "top",
      "the",    "a",      "of",     "and",    "is",     "are",    "at",     "by"};
  return w;
}

std::string random_words(std::mt19937& rng, int n, int marker_at = -1) {
  std::uniform_int_distribution<size_t> pick(0, words().size() - 1);
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += i == marker_at ? std::string("$") : words()[pick(rng)];
  }
  return s;
}

Embeddings random_rows(int64_t n, int64_t d, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> nd;
  Embeddings e(n, d);
  for (Eigen::Index i = 0; i < e.size(); ++i) e.data()[i] = nd(rng);
  return e;
}

int64_t pixel_count(const ClipConfig& c) {
  return int64_t{3} * c.image_resolution * c.image_resolution;
}

// ---- random weights ----

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// True when `path` holds the random weights this code writes for config `c`.
bool random_weights_current(const std::string& path, const ClipConfig& c) {
  if (!fs::exists(path)) return false;
  try {
    const SafeTensors st = SafeTensors::open(path);
    const auto& md = st.metadata();
    const auto it = md.find("clip_config");
    return md.count("lincir_bench") && it != md.end() && it->second == c.to_json();
  } catch (const Error&) {
    return false;
  }
}

// nn.Linear-style uniform weights, identity LayerNorms, in the OpenAI layout (like the baseline).
void write_random_weights(const std::string& path, const ClipConfig& c) {
  log("lincir bench: writing random " + c.name + " weights to " + path);
  torch::manual_seed(0);
  std::vector<torch::Tensor> keep;
  std::vector<TensorToWrite> out;
  auto add = [&](const std::string& name, torch::Tensor t) {
    keep.push_back(t.contiguous());
    out.push_back({name, TensorDType::F32, keep.back().sizes().vec(), keep.back().data_ptr()});
  };
  auto uniform = [](std::vector<int64_t> shape, int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(double(fan_in));
    return torch::rand(shape) * (2 * bound) - bound;
  };
  auto blocks = [&](const std::string& p, int layers, int64_t d, int64_t m) {
    for (int i = 0; i < layers; ++i) {
      const std::string b = p + std::to_string(i) + ".";
      add(b + "ln_1.weight", torch::ones({d}));
      add(b + "ln_1.bias", torch::zeros({d}));
      add(b + "attn.in_proj_weight", uniform({3 * d, d}, d));
      add(b + "attn.in_proj_bias", torch::zeros({3 * d}));
      add(b + "attn.out_proj.weight", uniform({d, d}, d));
      add(b + "attn.out_proj.bias", torch::zeros({d}));
      add(b + "ln_2.weight", torch::ones({d}));
      add(b + "ln_2.bias", torch::zeros({d}));
      add(b + "mlp.c_fc.weight", uniform({m, d}, d));
      add(b + "mlp.c_fc.bias", uniform({m}, d));
      add(b + "mlp.c_proj.weight", uniform({d, m}, m));
      add(b + "mlp.c_proj.bias", uniform({d}, m));
    }
  };
  const int64_t wt = c.text_width, wv = c.vision_width, e = c.embed_dim, g = c.vision_grid();
  const int64_t p = c.vision_patch_size;
  add("token_embedding.weight", torch::randn({c.vocab_size, wt}) * 0.02);
  add("positional_embedding", torch::randn({c.context_length, wt}) * 0.01);
  blocks("transformer.resblocks.", c.text_layers, wt, c.text_mlp_width);
  add("ln_final.weight", torch::ones({wt}));
  add("ln_final.bias", torch::zeros({wt}));
  add("text_projection", torch::randn({wt, e}) / std::sqrt(double(wt)));
  add("visual.conv1.weight", uniform({wv, 3, p, p}, 3 * p * p));
  add("visual.class_embedding", torch::randn({wv}) / std::sqrt(double(wv)));
  add("visual.positional_embedding", torch::randn({g * g + 1, wv}) / std::sqrt(double(wv)));
  add("visual.ln_pre.weight", torch::ones({wv}));
  add("visual.ln_pre.bias", torch::zeros({wv}));
  blocks("visual.transformer.resblocks.", c.vision_layers, wv, c.vision_mlp_width);
  add("visual.ln_post.weight", torch::ones({wv}));
  add("visual.ln_post.bias", torch::zeros({wv}));
  add("visual.proj", torch::randn({wv, e}) / std::sqrt(double(wv)));
  add("logit_scale", torch::full({}, std::log(1 / 0.07)));
  save_safetensors(path, out, {{"clip_config", c.to_json()}, {"lincir_bench", "1"}});
}

// Bytes of the weights themselves: a safetensors file without its header, otherwise the files.
double weight_bytes(const std::string& path) {
  if (fs::is_directory(path)) {
    double total = 0;
    for (const auto& e : fs::recursive_directory_iterator(path))
      if (e.is_regular_file()) total += double(e.file_size());
    return total;
  }
  std::ifstream f(path, std::ios::binary);
  uint64_t header = 0;
  f.read(reinterpret_cast<char*>(&header), 8);
  const double size = double(fs::file_size(path));
  const bool safetensors = path.size() > 12 && path.substr(path.size() - 12) == ".safetensors";
  return safetensors && f && double(header) + 8 <= size ? size - 8 - double(header) : size;
}

// Read bandwidth of `threads` threads streaming `bytes` (well beyond the caches), best of 5.
double read_bandwidth_gbs(int threads, size_t bytes) {
  const size_t n = bytes / sizeof(float);
  std::vector<float> buf(n, 1.0f);
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<double> sums(static_cast<size_t>(threads));
    const double t0 = now_ms();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        const size_t b = n / threads * t, e = t + 1 == threads ? n : n / threads * (t + 1);
        float acc[16] = {0};
        for (size_t i = b; i + 16 <= e; i += 16)
          for (int j = 0; j < 16; ++j) acc[j] += buf[i + j];
        double s = 0;
        for (float x : acc) s += x;
        sums[static_cast<size_t>(t)] = s;
      });
    for (auto& t : ts) t.join();
    const double ms = now_ms() - t0;
    double total = 0;
    for (double s : sums) total += s;
    if (total < 0) std::cerr << total;  // keeps the loop alive
    best = std::max(best, double(n) * 4 / (ms / 1e3) / 1e9);
  }
  return best;
}

// Fills a gallery chunk by chunk with unit vectors (the same ones for the same n and d).
void fill_gallery(Gallery& g, int64_t n, int64_t d) {
  auto gen = at::detail::createCPUGenerator(1234);
  const int64_t chunk = 65536;
  std::vector<int64_t> ids;
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t rows = std::min(chunk, n - b);
    torch::Tensor x = at::randn({rows, d}, gen);
    x = x / x.norm(2, 1, true);
    ids.resize(size_t(rows));
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = b + int64_t(i);
    g.add(Eigen::Map<const Embeddings>(x.data_ptr<float>(), rows, d), ids);
  }
}

// Fraction of the exact top-k ids that `other` also returns (per query, any order).
double agreement(const SearchResult& exact, const SearchResult& other) {
  double hit = 0;
  const auto nq = exact.ids.rows(), k = exact.ids.cols();
  for (Eigen::Index q = 0; q < nq; ++q)
    for (Eigen::Index j = 0; j < k; ++j)
      for (Eigen::Index l = 0; l < k; ++l) hit += exact.ids(q, j) == other.ids(q, l);
  return hit / double(nq * k);
}

long status_kb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.compare(0, key.size(), key) == 0) return std::stol(line.substr(key.size()));
  return -1;
}

// Forward FLOPs of the text tower's blocks for one sequence of n tokens (matmuls only).
double text_forward_flops(const ClipConfig& c, double n) {
  const double d = c.text_width, m = c.text_mlp_width;
  const double per_token = 2.0 * (4 * d * d + 2 * d * m);  // qkv + out, fc + proj
  const double attention = 2.0 * 2.0 * n * d;              // scores + weighted sum (upper bound)
  return c.text_layers * n * (per_token + attention);
}

}  // namespace

ClipLoadOptions load_options(const Model& m, const std::string& precision) {
  ClipLoadOptions o;
  o.config_path = m.config_path;
  if (precision == "int8") {
    o.linear_precision = ClipLoadOptions::LinearPrecision::int8;
  } else {
    LINCIR_CHECK(precision == "full", "unknown precision '" + precision + "' (full, int8)");
  }
  return o;
}

Model prepare(const Options& o) {
  Model m;
  m.config_path = o.config;
  const bool file = fs::exists(o.model);
  LINCIR_CHECK(!o.dir.empty() || (file && !o.phi.empty()), "lincir bench: no folder for random weights");
  if (file) {
    m.weights = o.model;
    m.config = m.config_path.empty() ? ClipModel::load(m.weights, load_options(m, "full")).config()
                                     : ClipConfig::from_json_file(m.config_path);
  } else {
    m.config = ClipConfig::preset(o.model);  // Error(invalid_argument) naming the known presets
    m.random = true;
    fs::create_directories(o.dir);
    m.weights = o.dir + "/" + lower(m.config.name) + "-random.safetensors";
    if (!random_weights_current(m.weights, m.config)) write_random_weights(m.weights, m.config);
  }
  if (!o.phi.empty()) {
    m.phi = o.phi;
  } else {
    fs::create_directories(o.dir);
    ProjectorConfig pc;
    pc.input_dim = m.config.embed_dim;
    pc.output_dim = m.config.text_width;
    pc.backbone = m.config.name;
    m.phi = o.dir + "/phi-random-" + std::to_string(pc.input_dim) + "x" +
            std::to_string(pc.output_dim) + ".safetensors";
    if (!fs::exists(m.phi)) Projector(pc, 1).save(m.phi);
  }
  return m;
}

json bench_query(const Options& o, const Model& mdl) {
  json out;
  std::mt19937 rng(3);
  const std::string prompt = random_words(rng, o.words, 3);  // `$` as the 4th word (baseline)
  const Embeddings img = random_rows(1, mdl.config.embed_dim, 11);
  Embeddings reference;
  for (const std::string& p : o.precisions) {
    const ClipModel m = ClipModel::load(mdl.weights, load_options(mdl, p));
    const Composer comp(m, Projector::load(mdl.phi));
    Embeddings q;
    json r = timed([&] { q = comp.compose_embeddings(img, {prompt}); }, o.reps);
    if (p == "full") reference = q;  // precisions come float32 first
    if (reference.size()) r["cosine_vs_float32"] = cosine(q, reference);
    // Where the time goes: φ alone, and the prompt through the text tower alone.
    Embeddings tok;
    r["phi_ms"] = timed([&] { tok = comp.pseudo_tokens(img); }, o.reps)["median_ms"];
    r["text_ms"] = timed([&] { comp.encode_with_pseudo_tokens(tok, {prompt}); }, o.reps)["median_ms"];
    const std::vector<int32_t> ids = m.tokenizer().tokenize(std::string_view(prompt), 77, true);
    r["tokens"] = std::find(ids.begin(), ids.end(), Tokenizer::kEot) - ids.begin() + 1;
    c10::InferenceMode guard;
    const auto& towers = lincir::detail::towers(m);
    const torch::Tensor id =
        torch::from_blob(const_cast<int32_t*>(ids.data()), {1, 77}, torch::kInt32).to(torch::kLong);
    const torch::Tensor pt = torch::from_blob(const_cast<float*>(tok.data()), {1, tok.cols()});
    const auto inj = lincir::detail::inject_pseudo_tokens(towers, id, pt, comp.injection_mode(),
                                                          comp.marker_token());
    // The text tower alone (blocks, final LayerNorm, projection) on the injected prompt.
    r["tower_ms"] = timed([&] { towers.encode_text_embeddings(inj.embeddings, inj.pool_index, true); },
                          o.reps)["median_ms"];
    if (p == "full") {
      // Trimming at the last end-of-text is exact: compare with all 77 positions.
      const torch::Tensor trimmed = towers.encode_text_embeddings(inj.embeddings, inj.pool_index, true);
      const torch::Tensor full = towers.encode_text_embeddings(inj.embeddings, inj.pool_index, false);
      r["trim_max_abs_diff"] = (trimmed - full).abs().max().item<double>();
      r["full77"] = timed([&] { towers.encode_text_embeddings(inj.embeddings, inj.pool_index, false); },
                          std::max(3, o.reps / 3));
    }
    out[p] = r;
  }
  return out;
}

json bench_image(const Options& o, const Model& mdl) {
  json out;
  const Embeddings px = random_rows(1, pixel_count(mdl.config), 5);
  Embeddings reference;
  for (const std::string& p : o.precisions) {
    const ClipModel m = ClipModel::load(mdl.weights, load_options(mdl, p));
    Embeddings e;
    json r = timed([&] { e = m.encode_pixels(px.data(), 1); }, std::max(3, o.reps / 3));
    if (p == "full") reference = e;
    if (reference.size()) r["cosine_vs_float32"] = cosine(e, reference);
    out[p] = r;
  }
  return out;
}

json bench_train(const Options& o, const Model& mdl) {
  const ClipModel m = ClipModel::load(mdl.weights, load_options(mdl, "full"));
  TrainerOptions to;
  to.batch_size = o.batch;
  to.steps = 1 << 30;
  to.seed = 1;
  Trainer trainer(m, to);
  std::mt19937 rng(9);
  const int reps = std::max(3, o.reps / 3);
  std::vector<std::vector<CaptionRecord>> batches(static_cast<size_t>(reps + 2));
  double tokens = 0;
  for (auto& b : batches)
    for (int i = 0; i < o.batch; ++i) {
      CaptionRecord r;
      r.text = random_words(rng, o.words);
      const auto ids = m.tokenizer().tokenize(std::string_view(r.text), 77, true);
      tokens += double(std::find(ids.begin(), ids.end(), Tokenizer::kEot) - ids.begin() + 1);
      b.push_back(std::move(r));
    }
  tokens /= double(batches.size() * size_t(o.batch));
  size_t next = 0;
  json r = timed([&] { trainer.train_step(batches[next++ % batches.size()]); }, reps);
  r["batch"] = o.batch;
  const double s = r["median_ms"].get<double>() / 1e3;
  r["captions_per_s"] = round2(o.batch / s);
  // The reference recipe: 20k steps x 512 captions. Per caption: the target pass and the masked
  // pass forward, plus the masked pass's backward to its inputs (about one more forward; the
  // tower's weights are frozen, so no weight gradients).
  const ClipConfig& c = m.config();
  const double captions = 20000.0 * 512.0;
  const double flops_ref = 3.0 * text_forward_flops(c, 77);
  const double flops_lincir = 3.0 * text_forward_flops(c, tokens);
  r["mean_tokens"] = round2(tokens);
  r["recipe_captions"] = captions;
  r["recipe_hours_this_cpu"] = round2(captions / (o.batch / s) / 3600.0);
  r["flops_per_caption_77_tokens"] = flops_ref;
  r["flops_per_caption_trimmed"] = flops_lincir;
  // One H100 SXM: 989 TFLOP/s dense bf16; assume 40% of it is achieved.
  const double gpu = 989e12 * 0.4;
  r["recipe_hours_h100_77_tokens"] = round2(captions * flops_ref / gpu / 3600.0);
  r["recipe_hours_h100_trimmed"] = round2(captions * flops_lincir / gpu / 3600.0);
  return r;
}

json bench_search(const Options& o, const Model& mdl) {
  const int64_t n = o.gallery, d = mdl.config.embed_dim;
  const int k = 10;
  json r;
  // The bandwidth buffer: the gallery's size, at least 256 MiB (beyond any cache), at most 1 GiB.
  const size_t bw_bytes = std::clamp<size_t>(size_t(n * d) * 4, size_t{256} << 20, size_t{1} << 30);
  const double bw = read_bandwidth_gbs(o.threads, bw_bytes);
  r["read_bandwidth_gbs"] = round2(bw);
  const Embeddings q64 = random_rows(64, d, 21);
  const Embeddings q1 = q64.topRows(1);
  SearchOptions so;
  so.num_threads = o.threads;
  SearchResult exact64;
  {
    Gallery g{int(d)};
    fill_gallery(g, n, d);
    const double bytes = double(g.vector_bytes());
    r["gallery_bytes"] = bytes;
    r["floor_ms"] = bytes / (bw * 1e9) * 1e3;
    r["search_1"] = timed([&] { g.search(q1, k, so); }, o.reps);
    r["search_1"]["vs_floor"] = round2(r["search_1"]["median_ms"].get<double>() / r["floor_ms"].get<double>());
    r["floor_ms"] = round2(r["floor_ms"].get<double>());
    r["search_64"] = timed([&] { exact64 = g.search(q64, k, so); }, std::max(3, o.reps / 3));
    r["search_64"]["per_query_ms"] = std::round(r["search_64"]["median_ms"].get<double>() / 64 * 1000) / 1000;
  }
  if (Gallery::faiss_available()) {
    // faiss IndexFlatIP through the gallery's faiss_flat backend (a direct index->search call);
    // faiss's OpenMP threads follow LibTorch's thread setting on this thread.
    GalleryOptions go;
    go.index.backend = GalleryBackend::faiss_flat;
    Gallery g{int(d), go};
    fill_gallery(g, n, d);
    g.build_index();
    SearchResult f;
    r["faiss_64"] = timed([&] { f = g.search(q64, k, so); }, std::max(3, o.reps / 3));
    r["faiss_64"]["per_query_ms"] = std::round(r["faiss_64"]["median_ms"].get<double>() / 64 * 1000) / 1000;
    r["faiss_agreement_at_10"] = agreement(exact64, f);
  }
  {
    GalleryOptions go;
    go.storage = GalleryStorage::float16;
    Gallery g{int(d), go};
    fill_gallery(g, n, d);
    r["float16_bytes"] = double(g.vector_bytes());
    r["float16_search_1"] = timed([&] { g.search(q1, k, so); }, o.reps);
    r["float16_recall_at_10"] = agreement(exact64, g.search(q64, k, so));
  }
  r["gallery"] = n;
  r["dim"] = d;
  return r;
}

json rss_child(const Options& o, const Model& mdl, const std::string& precision) {
  const long base_kb = status_kb("VmRSS");
  json stages;
  auto stage = [&](const char* name) {
    stages[name] = {{"rss_mib", status_kb("VmRSS") / 1024}, {"peak_mib", status_kb("VmHWM") / 1024}};
  };
  stage("start");
  const ClipModel m = ClipModel::load(mdl.weights, load_options(mdl, precision));
  stage("clip_loaded");
  const Composer comp(m, Projector::load(mdl.phi));
  stage("phi_loaded");
  std::mt19937 rng(3);
  comp.compose_embeddings(random_rows(1, m.config().embed_dim, 1), {random_words(rng, o.words, 3)});
  stage("after_query");
  const Embeddings px = random_rows(1, pixel_count(m.config()), 5);
  m.encode_pixels(px.data(), 1);
  stage("after_image");
  // From the files' sizes, not SafeTensors::open: a second mapping, whose CRC check reads every
  // page, would count the weights twice.
  const double weights = weight_bytes(mdl.weights) + weight_bytes(mdl.phi);
  const double peak = double(status_kb("VmHWM")) * 1024;
  return {{"precision", precision},
          {"weight_bytes", weights},
          {"peak_rss_bytes", peak},
          {"process_rss_before_load_bytes", double(base_kb) * 1024},
          {"ratio", round2(peak / weights)},
          {"ratio_without_process_base", round2((peak - double(base_kb) * 1024) / weights)},
          {"stages", stages}};
}

}  // namespace lincir::cli::bench
