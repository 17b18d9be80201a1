// Resumable gallery builds (see build_gallery in lincir/eval_runner.hpp).
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "eval_runner/part_file.hpp"
#include "lincir/eval_runner.hpp"

namespace lincir {

std::string gallery_part_path(const std::string& output) { return output + ".part"; }

Gallery build_gallery(const ClipModel& model, const std::vector<std::string>& paths,
                      const std::vector<int64_t>& ids, const std::vector<std::string>& names,
                      const std::string& output, const GalleryBuildOptions& opt,
                      GalleryBuildStats* stats) {
  const int64_t n = int64_t(paths.size());
  LINCIR_CHECK(ids.size() == paths.size(), "build_gallery: " + std::to_string(ids.size()) +
                                               " ids for " + std::to_string(n) + " images");
  LINCIR_CHECK(names.empty() || names.size() == paths.size(),
               "build_gallery: " + std::to_string(names.size()) + " names for " + std::to_string(n) + " images");
  LINCIR_CHECK(opt.batch_size > 0, "build_gallery: batch size must be positive");
  const int dim = model.config().embed_dim;
  std::unordered_map<int64_t, int64_t> pos;  // id -> position in the request
  pos.reserve(paths.size());
  for (int64_t i = 0; i < n; ++i) {
    LINCIR_CHECK(ids[size_t(i)] >= 0, "build_gallery: negative id " + std::to_string(ids[size_t(i)]));
    LINCIR_CHECK(pos.emplace(ids[size_t(i)], i).second,
                 "build_gallery: duplicate id " + std::to_string(ids[size_t(i)]));
  }
  auto name_of = [&](int64_t i) { return names.empty() ? std::string() : names[size_t(i)]; };

  Embeddings feats(n, dim);
  std::vector<char> done(size_t(n), 0);
  int64_t resumed = 0;
  std::unique_ptr<detail::GalleryPartFile> part;
  if (!output.empty()) {
    const std::string pp = gallery_part_path(output);
    std::vector<detail::PartRecord> recs;
    part = std::make_unique<detail::GalleryPartFile>(pp, dim, opt.fingerprint, &recs);
    for (const auto& r : recs) {
      const auto it = pos.find(r.id);
      LINCIR_CHECK(it != pos.end() && name_of(it->second) == r.name,
                   "part file '" + pp + "' holds image id " + std::to_string(r.id) + " ('" + r.name +
                       "') which this build does not ask for under that name: it belongs to "
                       "another build; delete it to start over");
      if (done[size_t(it->second)]) continue;  // a batch re-appended after a failed sync
      feats.row(it->second) = Eigen::Map<const Eigen::RowVectorXf>(r.values.data(), dim);
      done[size_t(it->second)] = 1;
      ++resumed;
    }
  }
  std::vector<int64_t> todo;
  for (int64_t i = 0; i < n; ++i)
    if (!done[size_t(i)]) todo.push_back(i);

  if (stats) *stats = {n, resumed, 0};
  auto progress = [&](int64_t d) {
    if (opt.on_progress && !opt.on_progress(d, n))
      LINCIR_THROW(Status::cancelled, "gallery build stopped after " + std::to_string(d) + " of " +
                                          std::to_string(n) + " images" +
                                          (output.empty() ? std::string() : " (progress kept in '" + gallery_part_path(output) + "')"));
  };
  progress(resumed);
  int64_t finished = resumed;
  for (size_t b = 0; b < todo.size(); b += size_t(opt.batch_size)) {
    const size_t e = std::min(todo.size(), b + size_t(opt.batch_size));
    std::vector<Image> imgs;
    imgs.reserve(e - b);
    for (size_t k = b; k < e; ++k) imgs.push_back(Image::load(paths[size_t(todo[k])], opt.limits));
    const Embeddings f = model.encode_images(imgs, opt.preprocess);
    std::vector<int64_t> bids;
    std::vector<std::string> bnames;
    for (size_t k = b; k < e; ++k) {
      feats.row(todo[k]) = f.row(int64_t(k - b));
      bids.push_back(ids[size_t(todo[k])]);
      bnames.push_back(name_of(todo[k]));
    }
    if (part) part->append(bids.data(), bnames.data(), f.data(), f.rows());
    finished += int64_t(e - b);
    if (stats) stats->encoded += int64_t(e - b);
    progress(finished);
  }

  Gallery g(dim, opt.gallery);
  if (n > 0) g.add(feats, ids, names);
  if (!output.empty()) {
    g.save(output);
    part->remove();
  }
  return g;
}

}  // namespace lincir
