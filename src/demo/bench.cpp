// The demo benchmark: gallery rendering and encoding, every method's queries, recall.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lincir/composer.hpp"
#include "lincir/demo.hpp"
#include "lincir/gallery.hpp"

namespace lincir::demo {
namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Embeddings rows_of(const Embeddings& m, const std::vector<int>& idx) {
  Embeddings out(Eigen::Index(idx.size()), m.cols());
  for (size_t i = 0; i < idx.size(); ++i) out.row(Eigen::Index(i)) = m.row(idx[i]);
  return out;
}

// The group keys a query belongs to, for the R@1 breakdown.
std::vector<std::string> groups_of(const synth::Triplet& t) {
  std::vector<std::string> g{to_string(t.changes.front().kind)};
  if (t.changes.size() > 1) g.push_back("two changes");
  if (t.heldout_combo) g.push_back("held-out pair");
  if (t.modification.heldout) g.push_back("held-out phrasing");
  return g;
}

}  // namespace

synth::CirOptions BenchOptions::default_cir_options() {
  synth::CirOptions o;
  o.seed = 123;
  o.num_queries = 1000;
  o.split = synth::Split::heldout;
  return o;
}

BenchResult run_benchmark(const LoadedModels& models, const BenchOptions& options,
                          const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  LINCIR_CHECK(options.top_k >= 10, "BenchOptions.top_k must be >= 10 (R@10)");
  const ClipModel& clip = models.clip;
  BenchResult res;
  res.set = synth::make_cir_set(options.world, options.cir);
  const synth::CirSet& set = res.set;
  const int64_t ng = int64_t(set.gallery.size()), nq = int64_t(set.queries.size());
  LINCIR_CHECK(ng > options.top_k, "demo benchmark: the gallery is smaller than top_k");
  say("gallery: " + std::to_string(ng) + " scenes, " + std::to_string(nq) + " queries");

  // Gallery embeddings, rendered and encoded in chunks (images are not kept).
  synth::RenderOptions ro = options.render;
  ro.size = clip.config().image_resolution;
  res.render = ro;
  Embeddings gal(ng, clip.config().embed_dim);
  const int64_t chunk = 512;
  for (int64_t b = 0; b < ng; b += chunk) {
    const int64_t n = std::min(chunk, ng - b);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<Image> imgs;
    for (int64_t i = b; i < b + n; ++i)
      imgs.push_back(synth::render(set.gallery[size_t(i)].scene, set.gallery[size_t(i)].render_seed, ro));
    res.render_seconds += since(t0);
    t0 = std::chrono::steady_clock::now();
    gal.middleRows(b, n) = clip.encode_images(imgs, PreprocessMode::openai);
    res.encode_seconds += since(t0);
  }
  say("gallery encoded in " + std::to_string(int(res.encode_seconds + res.render_seconds)) + " s");

  const auto tq = std::chrono::steady_clock::now();
  Gallery gallery(clip.config().embed_dim);
  std::vector<int64_t> ids(static_cast<size_t>(ng));
  for (int64_t i = 0; i < ng; ++i) ids[size_t(i)] = i;
  gallery.add(gal, ids);
  SearchOptions so;
  for (int r : set.reference_index) so.exclude_one.push_back(r);

  std::vector<std::string> mods, prompts, oracle_texts;
  const PromptTemplate tmpl{options.prompt};
  const synth::Captioner captioner(options.world);
  for (const synth::Triplet& t : set.queries) {
    mods.push_back(t.modification.text.text);
    prompts.push_back(tmpl.apply(t.modification.text.text));
    oracle_texts.push_back(captioner.canonical(t.target).text);
  }
  const Embeddings ref = rows_of(gal, set.reference_index);
  const Embeddings ref_n = normalize(ref);
  const Embeddings txt_n = normalize(clip.encode_text(mods));

  for (const synth::Triplet& t : set.queries)
    for (const std::string& g : groups_of(t)) res.group_sizes[g] += 1;

  auto score = [&](MethodResult m, const Embeddings& queries) {
    const SearchResult sr = gallery.search(queries, options.top_k, so);
    int64_t hits[3] = {0, 0, 0};
    std::map<std::string, int64_t> g1;
    m.top.resize(size_t(nq));
    for (int64_t q = 0; q < nq; ++q) {
      const int target = set.target_index[size_t(q)];
      int rank = -1;
      for (int k = 0; k < options.top_k; ++k) {
        const int64_t id = sr.ids(q, k);
        m.top[size_t(q)].push_back(int(id));
        if (id == target && rank < 0) rank = k;
      }
      hits[0] += rank == 0;
      hits[1] += rank >= 0 && rank < 5;
      hits[2] += rank >= 0 && rank < 10;
      if (rank == 0)
        for (const std::string& g : groups_of(set.queries[size_t(q)])) g1[g] += 1;
    }
    for (int k = 0; k < 3; ++k) m.recall[size_t(k)] = nq ? 100.0 * double(hits[k]) / double(nq) : 0.0;
    for (const auto& [g, n] : res.group_sizes)
      m.r1_by_group[g] = 100.0 * double(g1.count(g) ? g1.at(g) : 0) / double(n);
    say(m.label + ": R@1 " + std::to_string(m.recall[0]));
    res.methods.push_back(std::move(m));
  };

  score({"image", "image only (reference embedding)", false, {}, {}, {}}, ref_n);
  score({"text", "text only (modification alone)", false, {}, {}, {}}, txt_n);
  score({"sum", "image + text (sum of normalised embeddings)", false, {}, {}, {}},
        normalize(ref_n + txt_n));
  for (const auto& [variant, phi] : models.projectors) {
    const Composer composer(clip, phi.clone());
    score({"lincir:" + variant.name, variant.label, true, {}, {}, {}},
          composer.compose_embeddings(ref, prompts));
  }
  if (options.oracle)
    score({"oracle", "oracle: canonical caption of the target (upper bound)", false, {}, {}, {}},
          normalize(clip.encode_text(oracle_texts)));
  res.query_seconds = since(tq);
  return res;
}

std::string table_text(const BenchResult& r) {
  std::ostringstream os;
  char line[512];
  std::snprintf(line, sizeof line, "%-58s %7s %7s %7s\n", "method", "R@1", "R@5", "R@10");
  os << line;
  for (const MethodResult& m : r.methods) {
    std::snprintf(line, sizeof line, "%-58s %7.2f %7.2f %7.2f\n", m.label.c_str(), m.recall[0],
                  m.recall[1], m.recall[2]);
    os << line;
  }
  os << "\nR@1 by query group (queries):\n";
  std::snprintf(line, sizeof line, "%-24s", "group");
  os << line;
  for (const MethodResult& m : r.methods) {
    std::snprintf(line, sizeof line, " %9s", m.name.substr(0, 9).c_str());
    os << line;
  }
  os << '\n';
  for (const auto& [g, n] : r.group_sizes) {
    std::snprintf(line, sizeof line, "%-24s", (g + " (" + std::to_string(n) + ")").c_str());
    os << line;
    for (const MethodResult& m : r.methods) {
      std::snprintf(line, sizeof line, " %9.2f", m.r1_by_group.at(g));
      os << line;
    }
    os << '\n';
  }
  return os.str();
}

std::string table_json(const BenchResult& r, int indent) {
  nlohmann::json j;
  j["queries"] = r.set.queries.size();
  j["gallery"] = r.set.gallery.size();
  j["split"] = synth::to_string(r.set.options.split);
  j["seed"] = r.set.options.seed;
  j["groups"] = r.group_sizes;
  j["methods"] = nlohmann::json::array();
  for (const MethodResult& m : r.methods)
    j["methods"].push_back({{"name", m.name},
                            {"label", m.label},
                            {"trained", m.trained},
                            {"R@1", m.recall[0]},
                            {"R@5", m.recall[1]},
                            {"R@10", m.recall[2]},
                            {"R@1_by_group", m.r1_by_group}});
  j["seconds"] = {{"render", r.render_seconds}, {"encode", r.encode_seconds},
                  {"queries", r.query_seconds}};
  return j.dump(indent);
}

}  // namespace lincir::demo
