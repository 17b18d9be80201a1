// Benchmark evaluation driver: encode every image once (cached), compose the queries in batches,
// rank by the benchmark's protocol, score or write the server files.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/file_io.hpp"
#include "lincir/eval_runner.hpp"

namespace lincir {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void report(const EvalRunOptions& opt, const char* stage, int64_t done, int64_t total) {
  if (opt.on_progress && !opt.on_progress(stage, done, total))
    LINCIR_THROW(Status::cancelled, std::string("evaluation stopped during ") + stage + " (" +
                                        std::to_string(done) + " of " + std::to_string(total) + ")");
}

// "CIRR val" -> "cirr-val": a file-name-safe label for cache files.
std::string slug(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) out += char(std::tolower(c));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "images" : out;
}

const char* preprocess_name(PreprocessMode m) { return m == PreprocessMode::hf ? "hf" : "openai"; }

// The text variants of a query whose unit features are averaged (see EvalRunOptions::prompt).
std::vector<std::string> text_variants(const Benchmark& bench, const BenchmarkQuery& q) {
  if (bench.kind() == BenchmarkKind::fashioniq) {
    const auto p = fashioniq_caption_pair(q);
    return {p[0], p[1]};
  }
  return q.texts;
}

}  // namespace

const char* eval_method_name(EvalMethod m) noexcept {
  switch (m) {
    case EvalMethod::lincir: return "lincir";
    case EvalMethod::image_only: return "image-only";
    case EvalMethod::text_only: return "text-only";
    case EvalMethod::sum: return "sum";
  }
  return "?";
}

EvalMethod parse_eval_method(const std::string& s) {
  if (s == "lincir") return EvalMethod::lincir;
  if (s == "image-only" || s == "image_only") return EvalMethod::image_only;
  if (s == "text-only" || s == "text_only") return EvalMethod::text_only;
  if (s == "sum" || s == "image+text") return EvalMethod::sum;
  LINCIR_THROW(Status::invalid_argument,
               "unknown evaluation method '" + s + "' (expected lincir, image-only, text-only or sum)");
}

// ------------------------------------------------------------------------------------ stage 1

Embeddings encode_benchmark_images(const ClipModel& clip, const Benchmark& bench,
                                   const std::string& image_root, const EvalRunOptions& opt,
                                   const Gallery* index, EvalEncodeStats* stats) {
  const auto& images = bench.images();
  const int64_t n = int64_t(images.size()), g = bench.gallery_size();
  const int dim = clip.config().embed_dim;
  LINCIR_CHECK(opt.cache_dir.empty() || !opt.fingerprint.empty(),
               "an image-feature cache needs a model fingerprint (EvalRunOptions::fingerprint)");
  if (index) {
    LINCIR_CHECK(index->dim() == dim, "gallery index has dimension " + std::to_string(index->dim()) +
                                          ", the model " + std::to_string(dim));
    LINCIR_CHECK(int64_t(index->size()) == g,
                 "gallery index has " + std::to_string(index->size()) + " vectors, " +
                     bench.description() + " has " + std::to_string(g) + " gallery images");
  }
  // Which rows come from files: all, or (with an index) those outside the shared gallery plus
  // every reference.
  std::vector<char> need(size_t(n), index ? 0 : 1);
  if (index) {
    for (int64_t i = g; i < n; ++i) need[size_t(i)] = 1;
    for (const auto& q : bench.queries()) need[size_t(q.reference)] = 1;
  }
  std::vector<int64_t> rows;
  std::vector<std::string> paths, names;
  for (int64_t i = 0; i < n; ++i)
    if (need[size_t(i)]) rows.push_back(i);
  // Only the images actually read must exist.
  if (!index) {
    bench.check_images(image_root);
  } else {
    int64_t missing = 0;
    std::string list;
    for (int64_t r : rows) {
      const std::string p = bench.image_path(image_root, r);
      if (!detail::file_exists(p)) {
        if (missing < 10) list += (missing ? ", " : "") + images[size_t(r)];
        ++missing;
      }
    }
    LINCIR_CHECK_STATUS(missing == 0, Status::io,
                        bench.description() + ": " + std::to_string(missing) + " of " +
                            std::to_string(rows.size()) + " reference images not found under '" +
                            image_root + "': " + list + (missing > 10 ? " and more" : ""));
  }
  for (int64_t r : rows) {
    paths.push_back(bench.image_path(image_root, r));
    names.push_back(images[size_t(r)]);
  }

  EvalEncodeStats st;
  st.images = n;
  Embeddings out(n, dim);
  if (index) {
    const auto ids = index->ids();
    const Embeddings v = index->vectors(ids);
    for (int64_t i = 0; i < g; ++i)
      if (!need[size_t(i)]) {
        out.row(i) = v.row(i);
        ++st.cached;
      }
  }

  GalleryBuildOptions bo;
  bo.gallery.metric = GalleryMetric::inner_product;  // raw features: φ needs them unnormalised
  bo.preprocess = opt.preprocess;
  bo.batch_size = opt.batch_size;
  bo.limits = opt.limits;
  bo.fingerprint = opt.fingerprint + "|preprocess=" + preprocess_name(opt.preprocess);
  const int64_t total = int64_t(rows.size());
  bo.on_progress = [&](int64_t d, int64_t t) {
    if (opt.on_progress && !opt.on_progress("encode", d, t)) return false;
    return true;
  };
  std::string cache;
  if (!opt.cache_dir.empty()) {
    std::string key = bo.fingerprint;
    for (const auto& nm : names) key += "\n" + nm;
    cache = (fs::path(opt.cache_dir) /
             (slug(bench.description()) + "-" + sha256_hex(key.data(), key.size()).substr(0, 16) + ".gallery"))
                .string();
    std::error_code ec;
    fs::create_directories(opt.cache_dir, ec);
    LINCIR_CHECK_STATUS(!ec, Status::io, "cannot create cache folder '" + opt.cache_dir + "': " + ec.message());
    st.cache_file = cache;
  }
  if (total > 0) {
    Embeddings feats;
    if (!cache.empty() && fs::exists(cache)) {
      Gallery c = Gallery::load(cache);
      bool ok = c.dim() == dim && int64_t(c.size()) == total;
      for (int64_t k = 0; ok && k < total; ++k) ok = c.id(size_t(k)) == rows[size_t(k)] && c.name(size_t(k)) == names[size_t(k)];
      LINCIR_CHECK_STATUS(ok, Status::format,
                          "cache file '" + cache + "' does not hold the images of " +
                              bench.description() + "; delete it to re-encode");
      feats = c.vectors(rows);
      st.cached += total;
      report(opt, "encode", total, total);
    } else {
      GalleryBuildStats bs;
      Gallery built = build_gallery(clip, paths, rows, names, cache, bo, &bs);
      feats = built.vectors(rows);
      st.cached += bs.resumed;
      st.encoded += bs.encoded;
    }
    for (int64_t k = 0; k < total; ++k) out.row(rows[size_t(k)]) = feats.row(k);
  }
  if (stats) *stats = st;
  return out;
}

// ------------------------------------------------------------------------------------ stage 2

Embeddings compose_queries(const ClipModel& clip, const Composer* composer, EvalMethod method,
                           EmbeddingsRef refs, const std::vector<std::vector<std::string>>& texts,
                           const PromptTemplate& prompt, int batch_size) {
  LINCIR_CHECK(method != EvalMethod::lincir || composer != nullptr,
               "the lincir method needs a composer (CLIP + φ)");
  LINCIR_CHECK(batch_size > 0, "batch size must be positive");
  const int dim = clip.config().embed_dim;
  LINCIR_CHECK(refs.cols() == dim && refs.rows() == int64_t(texts.size()),
               "compose_queries: " + std::to_string(refs.rows()) + " x " + std::to_string(refs.cols()) +
                   " reference features for " + std::to_string(texts.size()) + " queries of dimension " +
                   std::to_string(dim));
  // One row per (query, text variant), processed in chunks.
  std::vector<int64_t> owner;
  std::vector<std::string> flat;
  for (size_t q = 0; q < texts.size(); ++q) {
    const std::vector<std::string> one{""};
    for (const auto& t : texts[q].empty() ? one : texts[q]) {
      owner.push_back(int64_t(q));
      flat.push_back(method == EvalMethod::lincir && !prompt.pattern.empty() ? prompt.apply(t) : t);
    }
  }
  Embeddings out = Embeddings::Zero(refs.rows(), dim);
  for (size_t b = 0; b < flat.size(); b += size_t(batch_size)) {
    const size_t e = std::min(flat.size(), b + size_t(batch_size));
    Embeddings img(int64_t(e - b), dim);
    for (size_t k = b; k < e; ++k) img.row(int64_t(k - b)) = refs.row(owner[k]);
    const std::vector<std::string> tx(flat.begin() + ptrdiff_t(b), flat.begin() + ptrdiff_t(e));
    Embeddings f;
    switch (method) {
      case EvalMethod::lincir: f = composer->compose_embeddings(img, tx); break;
      case EvalMethod::image_only: f = normalize(img); break;
      case EvalMethod::text_only: f = normalize(clip.encode_text(tx)); break;
      case EvalMethod::sum: {
        const Embeddings s = normalize(img) + normalize(clip.encode_text(tx));
        f = normalize(s);
        break;
      }
    }
    for (size_t k = b; k < e; ++k) out.row(owner[k]) += f.row(int64_t(k - b));
  }
  return normalize(out);
}

Embeddings compose_benchmark_queries(const ClipModel& clip, const Composer* composer,
                                     const Benchmark& bench, EmbeddingsRef feats,
                                     const EvalRunOptions& opt) {
  LINCIR_CHECK(opt.method != EvalMethod::lincir || composer != nullptr,
               "the lincir method needs a composer (CLIP + φ)");
  LINCIR_CHECK(opt.batch_size > 0, "batch size must be positive");
  const int dim = clip.config().embed_dim;
  LINCIR_CHECK(feats.rows() == int64_t(bench.images().size()) && feats.cols() == dim,
               "image features are " + std::to_string(feats.rows()) + " x " + std::to_string(feats.cols()) +
                   ", expected " + std::to_string(bench.images().size()) + " x " + std::to_string(dim));
  const auto& qs = bench.queries();
  const int64_t nq = int64_t(qs.size());
  Embeddings out(nq, dim);
  report(opt, "compose", 0, nq);
  for (int64_t b = 0; b < nq; b += opt.batch_size) {
    const int64_t e = std::min<int64_t>(nq, b + opt.batch_size);
    Embeddings refs(e - b, dim);
    std::vector<std::vector<std::string>> texts;
    for (int64_t q = b; q < e; ++q) {
      refs.row(q - b) = feats.row(qs[size_t(q)].reference);
      texts.push_back(text_variants(bench, qs[size_t(q)]));
    }
    out.middleRows(b, e - b) = compose_queries(clip, composer, opt.method, refs, texts, opt.prompt, opt.batch_size);
    report(opt, "compose", e, nq);
  }
  return out;
}

// ------------------------------------------------------------------------------------ stage 3

Rankings rank_benchmark(const Benchmark& bench, EmbeddingsRef queries, EmbeddingsRef feats,
                        int64_t k, const EvalRunOptions& opt) {
  const auto& qs = bench.queries();
  const int64_t nq = int64_t(qs.size()), g = bench.gallery_size();
  LINCIR_CHECK(queries.rows() == nq, "rank_benchmark: " + std::to_string(queries.rows()) +
                                         " query rows for " + std::to_string(nq) + " queries");
  LINCIR_CHECK(feats.rows() == int64_t(bench.images().size()) && feats.cols() == queries.cols(),
               "rank_benchmark: image features are " + std::to_string(feats.rows()) + " x " +
                   std::to_string(feats.cols()) + ", expected " + std::to_string(bench.images().size()) +
                   " x " + std::to_string(queries.cols()));
  LINCIR_CHECK(queries.allFinite() && feats.allFinite(), "rank_benchmark: non-finite features");
  const Embeddings unit = normalize(feats);
  const Embeddings qn = normalize(queries);
  const bool excl = bench.excludes_reference();
  Rankings out(static_cast<size_t>(nq));
  auto order = [](const Eigen::VectorXf& s, std::vector<int64_t>& cand, int64_t kk) {
    // Best score first; equal scores keep the candidate order (pos holds it).
    std::vector<int64_t> pos(cand.size());
    std::iota(pos.begin(), pos.end(), 0);
    auto better = [&](int64_t a, int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); };
    const size_t take = kk <= 0 ? pos.size() : std::min(pos.size(), size_t(kk));
    std::partial_sort(pos.begin(), pos.begin() + ptrdiff_t(take), pos.end(), better);
    std::vector<int64_t> r(take);
    for (size_t i = 0; i < take; ++i) r[i] = cand[size_t(pos[i])];
    return r;
  };
  constexpr int64_t kBlock = 256;
  std::vector<int64_t> shared;  // queries ranked against the shared gallery
  for (int64_t q = 0; q < nq; ++q) {
    const auto& bq = qs[size_t(q)];
    if (!bq.gallery.empty()) {
      std::vector<int64_t> cand;
      for (int64_t c : bq.gallery)
        if (!(excl && c == bq.reference)) cand.push_back(c);
      Eigen::VectorXf s(int64_t(cand.size()));
      for (size_t i = 0; i < cand.size(); ++i) s[int64_t(i)] = unit.row(cand[i]).dot(qn.row(q));
      out[size_t(q)] = order(s, cand, k);
    } else {
      shared.push_back(q);
    }
  }
  if (!shared.empty()) LINCIR_CHECK(g > 0, bench.description() + " has queries without a gallery");
  report(opt, "rank", 0, int64_t(shared.size()));
  for (size_t b = 0; b < shared.size(); b += size_t(kBlock)) {
    const size_t e = std::min(shared.size(), b + size_t(kBlock));
    Embeddings qb(int64_t(e - b), qn.cols());
    for (size_t i = b; i < e; ++i) qb.row(int64_t(i - b)) = qn.row(shared[i]);
    const Embeddings s = qb * unit.topRows(g).transpose();
    for (size_t i = b; i < e; ++i) {
      const auto& bq = qs[size_t(shared[i])];
      std::vector<int64_t> cand;
      Eigen::VectorXf sc(g);
      cand.reserve(size_t(g));
      int64_t m = 0;
      for (int64_t c = 0; c < g; ++c) {
        if (excl && c == bq.reference) continue;
        cand.push_back(c);
        sc[m++] = s(int64_t(i - b), c);
      }
      sc.conservativeResize(m);
      out[size_t(shared[i])] = order(sc, cand, k);
    }
    report(opt, "rank", int64_t(e), int64_t(shared.size()));
  }
  return out;
}

int64_t benchmark_ranking_depth(const Benchmark& bench, const EvalOptions& m) {
  if (bench.has_subsets()) return 0;
  int64_t k = 50;
  for (const auto* ks : {&m.recall_ks, &m.map_ks})
    if (ks->has_value())
      for (int x : **ks) k = std::max<int64_t>(k, x);
  return k;
}

// ------------------------------------------------------------------------------------ driver

std::string BenchmarkRunResult::to_json(int indent) const {
  nlohmann::ordered_json j;
  j["description"] = description;
  j["queries"] = queries;
  j["metrics"] = metrics ? nlohmann::ordered_json::parse(metrics->to_json(-1)) : nlohmann::ordered_json();
  j["submissions"] = submissions;
  j["images"] = {{"total", images.images}, {"encoded", images.encoded}, {"cached", images.cached},
                 {"cache_file", images.cache_file}};
  j["timings"] = {{"encode_s", encode_seconds}, {"compose_s", compose_seconds},
                  {"rank_s", rank_seconds}, {"total_s", total_seconds}};
  return j.dump(indent);
}

BenchmarkRunResult run_benchmark(const ClipModel& clip, const Composer* composer,
                                 const Benchmark& bench, const std::string& image_root,
                                 const EvalRunOptions& opt, const std::string& submission_dir,
                                 const Gallery* index) {
  const auto t0 = Clock::now();
  const bool server = bench.kind() == BenchmarkKind::cirr || bench.kind() == BenchmarkKind::circo;
  if (!bench.has_targets()) {
    LINCIR_CHECK(server, bench.description() + " has no public ground truth and no evaluation "
                                               "server format in lincir: nothing to compute");
    LINCIR_CHECK(!submission_dir.empty(), bench.description() + " has no public ground truth: give a "
                                                                "folder for the submission files");
  }
  LINCIR_CHECK(opt.method != EvalMethod::lincir || composer != nullptr,
               "the lincir method needs a composer (CLIP + φ)");
  BenchmarkRunResult r;
  r.description = bench.description();
  r.queries = int64_t(bench.queries().size());

  auto t = Clock::now();
  const Embeddings feats = encode_benchmark_images(clip, bench, image_root, opt, index, &r.images);
  r.encode_seconds = seconds_since(t);
  t = Clock::now();
  const Embeddings q = compose_benchmark_queries(clip, composer, bench, feats, opt);
  r.compose_seconds = seconds_since(t);
  t = Clock::now();
  const Rankings ranks = rank_benchmark(bench, q, feats, benchmark_ranking_depth(bench, opt.metrics), opt);
  r.rank_seconds = seconds_since(t);

  if (bench.has_targets()) {
    r.metrics = evaluate(bench, ranks, opt.metrics);
  } else {
    std::error_code ec;
    fs::create_directories(submission_dir, ec);
    LINCIR_CHECK_STATUS(!ec, Status::io, "cannot create '" + submission_dir + "': " + ec.message());
    const fs::path dir(submission_dir);
    if (bench.kind() == BenchmarkKind::cirr) {
      const std::string a = (dir / ("cirr_" + bench.split() + "_recall.json")).string();
      const std::string b = (dir / ("cirr_" + bench.split() + "_recall_subset.json")).string();
      write_cirr_submission(bench, ranks, a, b);
      r.submissions = {a, b};
    } else {
      const std::string a = (dir / ("circo_" + bench.split() + ".json")).string();
      write_circo_submission(bench, ranks, a);
      r.submissions = {a};
    }
  }
  r.total_seconds = seconds_since(t0);
  return r;
}

}  // namespace lincir
