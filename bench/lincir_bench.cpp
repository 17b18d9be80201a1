// lincir side of the benchmark against bench/torch_reference.py (run both with bench/run).
//
// Workloads at real CLIP shapes with random weights (written once to --dir, never committed):
//   query   composed query: φ + pseudo token + text tower + L2 normalise, one ~16-word prompt
//   image   one image through the vision tower (preprocessing excluded)
//   train   one LinCIR training step, batch --batch captions of --words words
//   search  exact top-10 over --gallery x 768 float32: one query (vs the memory-bandwidth floor
//           measured here), 64 queries (vs faiss IndexFlatIP), float16 gallery recall@10
//   rss     peak resident memory of loading ViT-L/14 + φ for inference (a child process each)
// query and image run once per --precision (full = float32 reference, int8 = the int8 linear
// layers) and report the cosine of each precision's output with the float32 output.
// Prints one JSON object on stdout (timings: median and min milliseconds, like the baseline).
#include <ATen/CPUGeneratorImpl.h>
#include <faiss/IndexFlat.h>
#include <omp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "clip/towers.hpp"
#include "composer/pseudo_tokens.hpp"
#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/gallery.hpp"
#include "lincir/projector.hpp"
#include "lincir/safetensors.hpp"
#include "lincir/trainer.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace lincir;

namespace {

struct Args {
  int threads = 0;
  std::set<std::string> only = {"query", "image", "train", "search", "rss"};
  int reps = 10;
  int batch = 32;
  int64_t gallery = 1000000;
  int words = 16;
  std::string dir = "/tmp/lincir-bench";
  std::vector<std::string> precisions = {"full", "int8"};
};

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

// ---- random ViT-L/14 weights ----

std::string weights_path(const Args& a) { return a.dir + "/vit-l-14-random.safetensors"; }
std::string phi_path(const Args& a) { return a.dir + "/phi-random.safetensors"; }

void ensure_weights(const Args& a) {
  fs::create_directories(a.dir);
  const ClipConfig c = ClipConfig::preset("ViT-L-14");
  if (fs::exists(weights_path(a))) {
    try {
      const SafeTensors st = SafeTensors::open(weights_path(a));
      if (st.metadata().count("lincir_bench") && st.size() > 300) {
        if (!fs::exists(phi_path(a))) {
          ProjectorConfig pc;
          pc.backbone = c.name;
          Projector(pc, 1).save(phi_path(a));
        }
        return;
      }
    } catch (const Error&) {
    }
  }
  std::cerr << "lincir_bench: writing random ViT-L/14 weights to " << weights_path(a) << "\n";
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
  save_safetensors(weights_path(a), out, {{"clip_config", c.to_json()}, {"lincir_bench", "1"}});
  ProjectorConfig pc;
  pc.backbone = c.name;
  Projector(pc, 1).save(phi_path(a));
}

ClipLoadOptions load_options(const std::string& precision) {
  ClipLoadOptions o;
  if (precision == "int8") {
    o.linear_precision = ClipLoadOptions::LinearPrecision::int8;
  } else if (precision != "full") {
    throw std::invalid_argument("unknown precision '" + precision + "' (full, int8)");
  }
  return o;
}

Embeddings random_rows(int64_t n, int64_t d, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> nd;
  Embeddings e(n, d);
  for (Eigen::Index i = 0; i < e.size(); ++i) e.data()[i] = nd(rng);
  return e;
}

// ---- workloads ----

json bench_query(const Args& a) {
  json out;
  std::mt19937 rng(3);
  const std::string prompt = random_words(rng, a.words, 3);  // `$` as the 4th word (baseline)
  const Embeddings img = random_rows(1, 768, 11);
  Embeddings reference;
  for (const std::string& p : a.precisions) {
    ClipModel m = ClipModel::load(weights_path(a), load_options(p));
    Composer comp(m, Projector::load(phi_path(a)));
    Embeddings q;
    json r = timed([&] { q = comp.compose_embeddings(img, {prompt}); }, a.reps);
    if (p == "full" || reference.size() == 0) reference = q;
    r["cosine_vs_float32"] = cosine(q, reference);
    // Where the time goes: φ alone, and the prompt through the text tower alone.
    Embeddings tok;
    r["phi_ms"] = timed([&] { tok = comp.pseudo_tokens(img); }, a.reps)["median_ms"];
    r["text_ms"] = timed([&] { comp.encode_with_pseudo_tokens(tok, {prompt}); }, a.reps)["median_ms"];
    const std::vector<int32_t> ids = m.tokenizer().tokenize(std::string_view(prompt), 77, true);
    r["tokens"] = std::find(ids.begin(), ids.end(), Tokenizer::kEot) - ids.begin() + 1;
    c10::InferenceMode guard;
    const auto& towers = lincir::detail::towers(m);
    const torch::Tensor id =
        torch::from_blob(const_cast<int32_t*>(ids.data()), {1, 77}, torch::kInt32).to(torch::kLong);
    const torch::Tensor pt = torch::from_blob(const_cast<float*>(tok.data()), {1, 768});
    auto inj = lincir::detail::inject_pseudo_tokens(towers, id, pt, comp.injection_mode(), comp.marker_token());
    // The text tower alone (blocks, final LayerNorm, projection) on the injected prompt.
    r["tower_ms"] = timed([&] { towers.encode_text_embeddings(inj.embeddings, inj.pool_index, true); },
                          a.reps)["median_ms"];
    if (p == "full") {
      // Trimming at the last end-of-text is exact: compare with all 77 positions.
      const torch::Tensor trimmed = towers.encode_text_embeddings(inj.embeddings, inj.pool_index, true);
      const torch::Tensor full = towers.encode_text_embeddings(inj.embeddings, inj.pool_index, false);
      r["trim_max_abs_diff"] = (trimmed - full).abs().max().item<double>();
      r["full77"] = timed([&] { towers.encode_text_embeddings(inj.embeddings, inj.pool_index, false); },
                          std::max(3, a.reps / 3));
    }
    out[p] = r;
  }
  return out;
}

json bench_image(const Args& a) {
  json out;
  const Embeddings px = random_rows(1, 3 * 224 * 224, 5);
  Embeddings reference;
  for (const std::string& p : a.precisions) {
    ClipModel m = ClipModel::load(weights_path(a), load_options(p));
    Embeddings e;
    json r = timed([&] { e = m.encode_pixels(px.data(), 1); }, std::max(3, a.reps / 3));
    if (p == "full" || reference.size() == 0) reference = e;
    r["cosine_vs_float32"] = cosine(e, reference);
    out[p] = r;
  }
  return out;
}

// Forward FLOPs of the text tower's blocks for one sequence of n tokens (matmuls only).
double text_forward_flops(const ClipConfig& c, double n) {
  const double d = c.text_width, m = c.text_mlp_width;
  const double per_token = 2.0 * (4 * d * d + 2 * d * m);  // qkv + out, fc + proj
  const double attention = 2.0 * 2.0 * n * d;              // scores + weighted sum (upper bound)
  return c.text_layers * n * (per_token + attention);
}

json bench_train(const Args& a) {
  ClipModel m = ClipModel::load(weights_path(a));
  TrainerOptions o;
  o.batch_size = a.batch;
  o.steps = 1 << 30;
  o.seed = 1;
  Trainer trainer(m, o);
  std::mt19937 rng(9);
  const int reps = std::max(3, a.reps / 3);
  std::vector<std::vector<CaptionRecord>> batches(static_cast<size_t>(reps + 2));
  double tokens = 0;
  for (auto& b : batches)
    for (int i = 0; i < a.batch; ++i) {
      CaptionRecord r;
      r.text = random_words(rng, a.words);
      const auto ids = m.tokenizer().tokenize(std::string_view(r.text), 77, true);
      tokens += double(std::find(ids.begin(), ids.end(), Tokenizer::kEot) - ids.begin() + 1);
      b.push_back(std::move(r));
    }
  tokens /= double(batches.size() * size_t(a.batch));
  size_t next = 0;
  json r = timed([&] { trainer.train_step(batches[next++ % batches.size()]); }, reps);
  r["batch"] = a.batch;
  const double s = r["median_ms"].get<double>() / 1e3;
  r["captions_per_s"] = round2(a.batch / s);
  // The reference recipe: 20k steps x 512 captions. Per caption: the target pass and the masked
  // pass forward, plus the masked pass's backward to its inputs (about one more forward; the
  // tower's weights are frozen, so no weight gradients).
  const ClipConfig& c = m.config();
  const double captions = 20000.0 * 512.0;
  const double flops_ref = 3.0 * text_forward_flops(c, 77);
  const double flops_lincir = 3.0 * text_forward_flops(c, tokens);
  r["mean_tokens"] = round2(tokens);
  r["recipe_captions"] = captions;
  r["recipe_hours_this_cpu"] = round2(captions / (a.batch / s) / 3600.0);
  r["flops_per_caption_77_tokens"] = flops_ref;
  r["flops_per_caption_trimmed"] = flops_lincir;
  // One H100 SXM: 989 TFLOP/s dense bf16; assume 40% of it is achieved.
  const double gpu = 989e12 * 0.4;
  r["recipe_hours_h100_77_tokens"] = round2(captions * flops_ref / gpu / 3600.0);
  r["recipe_hours_h100_trimmed"] = round2(captions * flops_lincir / gpu / 3600.0);
  return r;
}

// Read bandwidth of `threads` threads streaming a buffer much larger than the caches (best of 5).
double read_bandwidth_gbs(int threads) {
  const size_t n = size_t(1) << 28;  // 1 GiB of floats
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

// Fills a gallery-shaped source chunk by chunk (the same vectors for the same seed).
template <typename Fn>
void for_each_chunk(int64_t n, int64_t d, Fn fn) {
  auto gen = at::detail::createCPUGenerator(1234);
  const int64_t chunk = 65536;
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t rows = std::min(chunk, n - b);
    torch::Tensor x = at::randn({rows, d}, gen);
    x = x / x.norm(2, 1, true);
    Eigen::Map<const Embeddings> e(x.data_ptr<float>(), rows, d);
    fn(b, Embeddings(e));
  }
}

json bench_search(const Args& a) {
  const int64_t n = a.gallery, d = 768;
  const int k = 10;
  json r;
  const double bw = read_bandwidth_gbs(a.threads);
  r["read_bandwidth_gbs"] = round2(bw);
  const Embeddings q64 = random_rows(64, d, 21);
  const Embeddings q1 = q64.topRows(1);
  SearchOptions so;
  so.num_threads = a.threads;
  SearchResult exact64;
  {
    Gallery g{int(d)};
    std::vector<int64_t> ids;
    for_each_chunk(n, d, [&](int64_t b, const Embeddings& e) {
      ids.resize(size_t(e.rows()));
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = b + int64_t(i);
      g.add(e, ids);
    });
    const double bytes = double(g.vector_bytes());
    r["gallery_bytes"] = bytes;
    r["floor_ms"] = round2(bytes / (bw * 1e9) * 1e3);
    r["search_1"] = timed([&] { g.search(q1, k, so); }, a.reps);
    r["search_1"]["vs_floor"] = round2(r["search_1"]["median_ms"].get<double>() / r["floor_ms"].get<double>());
    r["search_64"] = timed([&] { exact64 = g.search(q64, k, so); }, std::max(3, a.reps / 3));
    r["search_64"]["per_query_ms"] = std::round(r["search_64"]["median_ms"].get<double>() / 64 * 1000) / 1000;
  }
  {
    omp_set_num_threads(a.threads);
    faiss::IndexFlatIP index(d);
    for_each_chunk(n, d, [&](int64_t, const Embeddings& e) { index.add(e.rows(), e.data()); });
    const Embeddings qn = normalize(q64);
    std::vector<float> dist(64 * k);
    std::vector<faiss::Index::idx_t> lab(64 * k);
    r["faiss_64"] = timed([&] { index.search(64, qn.data(), k, dist.data(), lab.data()); },
                          std::max(3, a.reps / 3));
    r["faiss_64"]["per_query_ms"] = std::round(r["faiss_64"]["median_ms"].get<double>() / 64 * 1000) / 1000;
    double agree = 0;
    for (int q = 0; q < 64; ++q)
      for (int j = 0; j < k; ++j)
        for (int l = 0; l < k; ++l) agree += exact64.ids(q, j) == lab[size_t(q * k + l)];
    r["faiss_agreement_at_10"] = agree / (64.0 * k);
  }
  {
    GalleryOptions go;
    go.storage = GalleryStorage::float16;
    Gallery g{int(d), go};
    std::vector<int64_t> ids;
    for_each_chunk(n, d, [&](int64_t b, const Embeddings& e) {
      ids.resize(size_t(e.rows()));
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = b + int64_t(i);
      g.add(e, ids);
    });
    r["float16_bytes"] = double(g.vector_bytes());
    r["float16_search_1"] = timed([&] { g.search(q1, k, so); }, a.reps);
    const SearchResult h = g.search(q64, k, so);
    double hit = 0;
    for (int q = 0; q < 64; ++q)
      for (int j = 0; j < k; ++j)
        for (int l = 0; l < k; ++l) hit += exact64.ids(q, j) == h.ids(q, l);
    r["float16_recall_at_10"] = hit / (64.0 * k);
  }
  r["gallery"] = n;
  return r;
}

long status_kb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.compare(0, key.size(), key) == 0) return std::stol(line.substr(key.size()));
  return -1;
}

// In a child process: load for inference, run one query and one image (every weight touched),
// report the peak RSS.
json rss_child(const Args& a, const std::string& precision) {
  const long base_kb = status_kb("VmRSS");
  json stages;
  auto stage = [&](const char* name) {
    stages[name] = {{"rss_mib", status_kb("VmRSS") / 1024}, {"peak_mib", status_kb("VmHWM") / 1024}};
  };
  stage("start");
  ClipModel m = ClipModel::load(weights_path(a), load_options(precision));
  stage("clip_loaded");
  Composer comp(m, Projector::load(phi_path(a)));
  stage("phi_loaded");
  std::mt19937 rng(3);
  comp.compose_embeddings(random_rows(1, 768, 1), {random_words(rng, a.words, 3)});
  stage("after_query");
  const Embeddings px = random_rows(1, 3 * 224 * 224, 5);
  m.encode_pixels(px.data(), 1);
  stage("after_image");
  // Tensor bytes = file size - 8 - header (not SafeTensors::open: a second mapping, whose CRC
  // check reads every page, would count the weights twice).
  double weights = 0;
  for (const std::string& p : {weights_path(a), phi_path(a)}) {
    std::ifstream f(p, std::ios::binary);
    uint64_t header = 0;
    f.read(reinterpret_cast<char*>(&header), 8);
    weights += double(fs::file_size(p)) - 8.0 - double(header);
  }
  const double peak = double(status_kb("VmHWM")) * 1024;
  return {{"precision", precision},
          {"weight_bytes_float32", weights},
          {"peak_rss_bytes", peak},
          {"process_rss_before_load_bytes", double(base_kb) * 1024},
          {"ratio", round2(peak / weights)},
          {"ratio_without_process_base", round2((peak - double(base_kb) * 1024) / weights)},
          {"stages", stages}};
}

json bench_rss(const Args& a, char** argv) {
  json out;
  for (const std::string& p : a.precisions) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      const std::string threads = std::to_string(a.threads);
      execl("/proc/self/exe", argv[0], "--only", "rss_child", "--precision", p.c_str(), "--dir",
            a.dir.c_str(), "--threads", threads.c_str(), (char*)nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string text;
    char buf[4096];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, size_t(got));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    out[p] = json::parse(text)["rss_child"];
  }
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ',')) v.push_back(x);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  a.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
      return argv[++i];
    };
    if (k == "--threads") a.threads = std::stoi(val());
    else if (k == "--only") { auto v = split(val()); a.only = {v.begin(), v.end()}; }
    else if (k == "--reps") a.reps = std::stoi(val());
    else if (k == "--batch") a.batch = std::stoi(val());
    else if (k == "--gallery") a.gallery = std::stoll(val());
    else if (k == "--words") a.words = std::stoi(val());
    else if (k == "--dir") a.dir = val();
    else if (k == "--precision") a.precisions = split(val());
    else {
      std::cerr << "usage: lincir_bench [--threads N] [--only query,image,train,search,rss] "
                   "[--reps 10] [--batch 32] [--gallery 1000000] [--words 16] [--dir DIR] "
                   "[--precision full,int8]\n";
      return 2;
    }
  }
  try {
    set_num_threads(a.threads);
    if (!a.only.count("rss_child")) ensure_weights(a);  // its CRC check would raise the peak
    json out = {{"threads", a.threads}, {"words", a.words}, {"backbone", "ViT-L-14"}};
    if (a.only.count("rss_child")) {
      std::cout << json{{"rss_child", rss_child(a, a.precisions.at(0))}}.dump() << std::endl;
      return 0;
    }
    if (a.only.count("query")) out["query"] = bench_query(a);
    if (a.only.count("image")) out["image"] = bench_image(a);
    if (a.only.count("train")) out["train"] = bench_train(a);
    if (a.only.count("search")) out["search"] = bench_search(a);
    if (a.only.count("rss")) out["rss"] = bench_rss(a, argv);
    std::cout << out.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "lincir_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
