// MetricsTable: lookup, JSON and text rendering, averaging over tables; FashionIQ captions.
#include <nlohmann/json.hpp>

#include <cstdio>

#include "lincir/eval.hpp"

namespace lincir {

const Metric* MetricsTable::find(const std::string& name) const noexcept {
  for (const auto& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

double MetricsTable::value(const std::string& name) const {
  const Metric* m = find(name);
  LINCIR_CHECK(m != nullptr, "metric '" + name + "' is not in the " + benchmark + " table");
  return m->value;
}

std::string MetricsTable::to_json(int indent) const {
  nlohmann::ordered_json j;
  j["benchmark"] = benchmark;
  j["split"] = split;
  j["subset"] = subset;
  j["queries"] = queries;
  nlohmann::ordered_json vals = nlohmann::ordered_json::object();
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
  for (const auto& m : metrics) {
    vals[m.name] = m.value;
    if (m.sum) counts[m.name] = {{"sum", *m.sum}, {"count", m.count}};
  }
  j["metrics"] = std::move(vals);
  j["counts"] = std::move(counts);
  return j.dump(indent < 0 ? -1 : indent);
}

std::string MetricsTable::to_text() const {
  std::string title = benchmark;
  if (!subset.empty()) title += " " + subset;
  if (!split.empty()) title += " " + split;
  title += " (" + std::to_string(queries) + " queries)\n";
  size_t w = 0;
  for (const auto& m : metrics) w = std::max(w, m.name.size());
  std::string out = title;
  for (const auto& m : metrics) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%8.2f", m.value);
    out += "  " + m.name + std::string(w - m.name.size(), ' ') + buf + "\n";
  }
  return out;
}

MetricsTable average_tables(const std::vector<MetricsTable>& tables, const std::string& subset) {
  LINCIR_CHECK(!tables.empty(), "average_tables: no tables");
  MetricsTable t;
  t.benchmark = tables[0].benchmark;
  t.split = tables[0].split;
  t.subset = subset;
  for (const auto& m : tables[0].metrics) {
    Metric a;
    a.name = m.name;
    for (const auto& tb : tables) {
      const Metric* x = tb.find(m.name);
      LINCIR_CHECK(x != nullptr && tb.metrics.size() == tables[0].metrics.size(),
                   "average_tables: tables have different metrics ('" + m.name + "' missing in " +
                       tb.benchmark + " " + tb.subset + ")");
      a.value += x->value;
      a.count += x->count;
    }
    a.value /= double(tables.size());
    t.metrics.push_back(std::move(a));
  }
  for (const auto& tb : tables) t.queries += tb.queries;
  const Metric* r10 = t.find("R@10");
  const Metric* r50 = t.find("R@50");
  if (r10 && r50 && !t.find("(R@10+R@50)/2")) {
    Metric m;
    m.name = "(R@10+R@50)/2";
    m.value = (r10->value + r50->value) / 2;
    m.count = t.queries;
    t.metrics.push_back(m);
  }
  return t;
}

std::array<std::string, 2> fashioniq_caption_pair(const BenchmarkQuery& q) {
  LINCIR_CHECK(q.texts.size() == 2, "query " + q.id + ": FashionIQ queries have 2 captions, got " +
                                        std::to_string(q.texts.size()));
  auto strip = [](const std::string& s) {
    const char* set = ".?, ";
    const size_t b = s.find_first_not_of(set);
    if (b == std::string::npos) return std::string();
    return s.substr(b, s.find_last_not_of(set) - b + 1);
  };
  const std::string a = strip(q.texts[0]), b = strip(q.texts[1]);
  return {a + " and " + b, b + " and " + a};
}

}  // namespace lincir
