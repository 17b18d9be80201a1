// The demo's HTML report: a self-contained page plus PNG thumbnails beside it.
#include <filesystem>
#include <set>
#include <sstream>

#include "core/file_io.hpp"
#include "lincir/demo.hpp"

namespace lincir::demo {
namespace {

std::string escape_html(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string thumb_name(int gallery_index) { return "img/g" + std::to_string(gallery_index) + ".png"; }

// Up to n queries, round-robin over the first change's kind, so every kind shows.
std::vector<int> pick_queries(const synth::CirSet& set, int n) {
  std::map<int, std::vector<int>> by_kind;
  for (size_t q = 0; q < set.queries.size(); ++q)
    by_kind[int(set.queries[q].changes.front().kind)].push_back(int(q));
  std::vector<int> out;
  for (size_t round = 0; int(out.size()) < n; ++round) {
    bool any = false;
    for (auto& [k, qs] : by_kind) {
      if (round < qs.size() && int(out.size()) < n) {
        out.push_back(qs[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

const MethodResult* find_method(const BenchResult& r, const std::string& name) {
  for (const MethodResult& m : r.methods)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace

void write_report(const BenchResult& result, const std::string& dir, int num_queries) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "img", ec);
  LINCIR_CHECK_STATUS(!ec, Status::io, "demo report: cannot create '" + dir + "/img': " + ec.message());
  const synth::CirSet& set = result.set;
  const synth::Captioner captioner(set.world);
  std::string default_name;
  for (const PhiVariant& v : phi_variants())
    if (v.is_default) default_name = "lincir:" + v.name;
  std::vector<const MethodResult*> shown;
  for (const char* name : {default_name.c_str(), "sum"})
    if (const MethodResult* m = find_method(result, name)) shown.push_back(m);

  std::set<int> thumbs;
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<title>lincir demo: composed image retrieval in a synthetic world</title>\n<style>\n"
       "body{font-family:sans-serif;margin:1.5em;background:#fafafa;color:#222}\n"
       "table{border-collapse:collapse;margin-bottom:1.5em}\n"
       "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}\n"
       "th{background:#eee}\n"
       "img.t{width:80px;height:80px;image-rendering:pixelated;border:3px solid transparent}\n"
       "img.hit{border-color:#1a9e3a}\n"
       ".mod{font-size:1.05em;font-weight:bold;max-width:16em}\n"
       ".cap{font-size:0.75em;color:#555;max-width:16em}\n"
       "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
       "</style>\n</head>\n<body>\n"
       "<h1>lincir demo</h1>\n<p>"
    << set.queries.size() << " composed queries (split <code>" << synth::to_string(set.options.split)
    << "</code>, seed " << set.options.seed << ") against a gallery of " << set.gallery.size()
    << " generated scenes; the reference is removed from its own ranking. Recall in %.</p>\n"
    << "<table>\n<tr><th>method</th><th>R@1</th><th>R@5</th><th>R@10</th></tr>\n";
  for (const MethodResult& m : result.methods) {
    h << "<tr><td>" << escape_html(m.label) << "</td>";
    for (double v : m.recall) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", v);
      h << "<td class=\"num\">" << buf << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</table>\n<h2>Example queries</h2>\n<p>Green frame: the true target. Captions under "
       "the images are the scenes' canonical descriptions.</p>\n<table>\n<tr><th>reference</th>"
       "<th>modification</th>";
  for (const MethodResult* m : shown) h << "<th>top 5: " << escape_html(m->label) << "</th>";
  h << "<th>target</th></tr>\n";
  auto img = [&](int g, bool hit) {
    thumbs.insert(g);
    const std::string cap = captioner.canonical(set.gallery[size_t(g)].scene).text;
    return "<img class=\"t" + std::string(hit ? " hit" : "") + "\" src=\"" + thumb_name(g) +
           "\" alt=\"" + escape_html(cap) + "\" title=\"" + escape_html(cap) + "\">";
  };
  for (int q : pick_queries(set, num_queries)) {
    const synth::Triplet& t = set.queries[size_t(q)];
    const int ref = set.reference_index[size_t(q)], target = set.target_index[size_t(q)];
    h << "<tr><td>" << img(ref, false) << "<div class=\"cap\">"
      << escape_html(captioner.canonical(t.reference).text) << "</div></td>";
    h << "<td><div class=\"mod\">" << escape_html(t.modification.text.text) << "</div><div class=\"cap\">"
      << to_string(t.changes.front().kind) << (t.changes.size() > 1 ? " + second change" : "")
      << (t.heldout_combo ? ", held-out pair" : "") << (t.modification.heldout ? ", held-out phrasing" : "")
      << "</div></td>";
    for (const MethodResult* m : shown) {
      h << "<td>";
      for (int k = 0; k < 5 && k < int(m->top[size_t(q)].size()); ++k) {
        const int g = m->top[size_t(q)][size_t(k)];
        if (g >= 0) h << img(g, g == target);
      }
      h << "</td>";
    }
    h << "<td>" << img(target, true) << "<div class=\"cap\">"
      << escape_html(captioner.canonical(t.target).text) << "</div></td></tr>\n";
  }
  // A status line filled in by the browser once everything has loaded: a reader sees at a glance
  // whether thumbnails are missing, and the headless-Chromium test reads the same attribute.
  h << "</table>\n<p id=\"images\" data-status=\"pending\">images: loading</p>\n"
       "<script>\nwindow.addEventListener('load',function(){\n"
       "var a=document.images,ok=0;for(var i=0;i<a.length;i++)"
       "if(a[i].complete&&a[i].naturalWidth>0)ok++;\n"
       "var p=document.getElementById('images');p.dataset.status=ok+'/'+a.length;\n"
       "p.textContent='images: '+ok+' of '+a.length+' loaded';});\n</script>\n"
       "</body>\n</html>\n";

  const synth::RenderOptions& ro = result.render;
  for (int g : thumbs)
    synth::write_png((fs::path(dir) / thumb_name(g)).string(),
                     synth::render(set.gallery[size_t(g)].scene, set.gallery[size_t(g)].render_seed, ro));
  const std::string html = h.str();
  detail::write_file_atomic((fs::path(dir) / "report.html").string(), html.data(), html.size());
}

}  // namespace lincir::demo
