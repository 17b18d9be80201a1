// Gallery: add / search / save / load with numpy in and out. Every method releases the GIL
// around the core call; the core makes concurrent use of one Gallery safe.
#include <algorithm>

#include "lincir/gallery.hpp"
#include "support.hpp"

namespace lincir::python {

namespace {

GalleryMetric parse_metric(const std::string& s) {
  if (s == "cosine") return GalleryMetric::cosine;
  if (s == "inner_product" || s == "ip") return GalleryMetric::inner_product;
  throw_status(Status::invalid_argument, "unknown metric '" + s + "' (expected 'cosine' or 'inner_product')");
}
GalleryStorage parse_storage(const std::string& s) {
  if (s == "float32") return GalleryStorage::float32;
  if (s == "float16") return GalleryStorage::float16;
  throw_status(Status::invalid_argument, "unknown storage '" + s + "' (expected 'float32' or 'float16')");
}
const char* metric_name(GalleryMetric m) { return m == GalleryMetric::cosine ? "cosine" : "inner_product"; }
const char* storage_name(GalleryStorage s) { return s == GalleryStorage::float32 ? "float32" : "float16"; }

GalleryIndexOptions index_options(const std::string& backend, int nlist, int nprobe, int hnsw_m,
                                  int ef_construction, int ef_search) {
  GalleryIndexOptions o;
  o.backend = parse_gallery_backend(backend);
  o.ivf_nlist = nlist;
  o.ivf_nprobe = nprobe;
  o.hnsw_m = hnsw_m;
  o.hnsw_ef_construction = ef_construction;
  o.hnsw_ef_search = ef_search;
  return o;
}

// An int, a numpy integer scalar or a 0-d integer array (not a bool).
bool is_int_scalar(py::handle h) {
  if (PyBool_Check(h.ptr())) return false;
  if (py::isinstance<py::array>(h)) {
    auto a = py::reinterpret_borrow<py::array>(h);
    return a.ndim() == 0 && (a.dtype().kind() == 'i' || a.dtype().kind() == 'u');
  }
  return PyIndex_Check(h.ptr()) != 0;
}

// exclude: None; an int (the same id for every query); one int per query (-1 = none); or one
// list of ids per query.
void parse_exclude(py::handle exclude, int64_t nq, SearchOptions& o) {
  if (exclude.is_none()) return;
  if (is_int_scalar(exclude)) {
    o.exclude_one.assign(size_t(nq), exclude.cast<int64_t>());
    return;
  }
  if (!py::isinstance<py::sequence>(exclude) && !py::isinstance<py::array>(exclude))
    throw_type("exclude must be None, an id, one id per query or one list of ids per query");
  const size_t n = py::len(exclude);
  if (int64_t(n) != nq)
    throw_status(Status::invalid_argument, "exclude has " + std::to_string(n) + " entries for " +
                                               std::to_string(nq) + " queries (give one per query)");
  bool all_scalar = true;
  for (py::handle item : exclude) all_scalar = all_scalar && is_int_scalar(item);
  if (all_scalar) {
    o.exclude_one = int64_list(exclude, "exclude");
    return;
  }
  size_t i = 0;
  for (py::handle item : exclude) {
    const std::string what = "exclude[" + std::to_string(i++) + "]";
    if (item.is_none()) o.exclude.emplace_back();
    else if (is_int_scalar(item)) o.exclude.push_back({item.cast<int64_t>()});
    else o.exclude.push_back(int64_list(item, what));
  }
}

}  // namespace

void bind_gallery(py::module_& m) {
  py::class_<Gallery>(m, "Gallery",
                      "An in-memory index of embeddings (one unique int64 id and an optional name per\n"
                      "vector) with exact or faiss top-k search. With metric='cosine' (default) vectors\n"
                      "and queries are L2-normalised, so scores are cosine similarities. Every method is\n"
                      "thread-safe and releases the GIL.")
      .def(py::init([](int dim, const std::string& metric, const std::string& storage,
                       const std::string& backend, int ivf_nlist, int ivf_nprobe, int hnsw_m,
                       int hnsw_ef_construction, int hnsw_ef_search) {
             GalleryOptions o;
             o.metric = parse_metric(metric);
             o.storage = parse_storage(storage);
             o.index = index_options(backend, ivf_nlist, ivf_nprobe, hnsw_m, hnsw_ef_construction, hnsw_ef_search);
             return std::make_unique<Gallery>(dim, o);
           }), py::arg("dim"), py::arg("metric") = "cosine", py::arg("storage") = "float32",
           py::arg("backend") = "exact", py::arg("ivf_nlist") = 0, py::arg("ivf_nprobe") = 16,
           py::arg("hnsw_m") = 32, py::arg("hnsw_ef_construction") = 80, py::arg("hnsw_ef_search") = 64,
           "An empty gallery of dimension ``dim``. metric: 'cosine' | 'inner_product'; storage:\n"
           "'float32' | 'float16'; backend: 'exact' | 'faiss_flat' | 'faiss_ivf' | 'faiss_hnsw'\n"
           "(faiss ones only if Gallery.faiss_available()).")
      .def("add", [](Gallery& g, py::handle embeddings, py::handle ids, py::handle names) {
             FloatMatrix e = float_matrix(embeddings, "embeddings", g.dim());
             std::vector<int64_t> id_list;
             const bool auto_ids = ids.is_none();
             if (!auto_ids) id_list = int64_list(ids, "ids");
             std::vector<std::string> name_list;
             if (!names.is_none()) name_list = string_list(names, "names");
             {
               py::gil_scoped_release nogil;
               if (auto_ids) {
                 const auto existing = g.ids();
                 const int64_t next = existing.empty() ? 0 : *std::max_element(existing.begin(), existing.end()) + 1;
                 for (int64_t i = 0; i < e.rows; ++i) id_list.push_back(next + i);
               }
               g.add(e.map(), id_list, name_list);
             }
             return vector_to_numpy(std::move(id_list), 1, py::ssize_t(e.rows)).attr("reshape")(-1);
           }, py::arg("embeddings"), py::arg("ids") = py::none(), py::arg("names") = py::none(),
           "Appends the rows of ``embeddings`` (N, dim). ``ids``: one int >= 0 per row, unique; None\n"
           "numbers them after the largest id present (0, 1, ... for a new gallery). ``names``: one\n"
           "str per row or None. Returns the ids (int64). On error nothing is added.")
      .def("search", [](const Gallery& g, py::handle queries, int k, py::handle exclude, int num_threads,
                        int nprobe, int ef_search) {
             FloatMatrix q = float_matrix(queries, "queries", g.dim());
             const size_t size = g.size();
             if (size == 0) throw_status(Status::invalid_argument, "search: the gallery is empty");
             if (k <= 0) throw_status(Status::invalid_argument, "search: k must be positive, got " + std::to_string(k));
             if (size_t(k) > size)
               throw_status(Status::invalid_argument, "search: k=" + std::to_string(k) +
                                                          " exceeds the gallery size " + std::to_string(size) +
                                                          " (use k=min(k, len(gallery)))");
             SearchOptions o;
             parse_exclude(exclude, q.rows, o);
             o.num_threads = num_threads;
             o.nprobe = nprobe;
             o.ef_search = ef_search;
             SearchResult r;
             {
               py::gil_scoped_release nogil;
               r = g.search(q.map(), k, o);
             }
             return py::make_tuple(matrix_to_numpy(std::move(r.scores)), matrix_to_numpy(std::move(r.ids)));
           }, py::arg("queries"), py::arg("k"), py::arg("exclude") = py::none(), py::arg("num_threads") = 0,
           py::arg("nprobe") = 0, py::arg("ef_search") = 0,
           "Top-k search of each row of ``queries`` (nq, dim) or one query (dim,). Returns\n"
           "(scores float32 (nq, k), ids int64 (nq, k)), best first. ``exclude``: an id left out of\n"
           "every ranking, one id per query (-1 = none) or one list of ids per query. When\n"
           "exclusions leave fewer than k candidates the rest is padded with id -1 / score -inf.\n"
           "Raises InvalidArgumentError for an empty gallery or k > len(gallery).")
      .def("remove", [](Gallery& g, py::handle ids) {
             auto v = int64_list(ids, "ids");
             py::gil_scoped_release nogil;
             return g.remove(v);
           }, py::arg("ids"), "Removes these ids (unknown ids ignored); returns how many were removed.")
      .def("merge", [](Gallery& g, const Gallery& other) {
             if (&g == &other) throw_status(Status::invalid_argument, "merge: cannot merge a gallery into itself");
             py::gil_scoped_release nogil;
             g.merge(other);
           }, py::arg("other"), "Appends all vectors of ``other`` (same dim and metric, disjoint ids).")
      .def("save", [](const Gallery& g, const std::string& path) {
             py::gil_scoped_release nogil;
             g.save(path);
           }, py::arg("path"), "Writes the gallery atomically (docs/gallery-format.md).")
      .def_static("load", [](const std::string& path, bool memory_map, const std::string& backend, int ivf_nlist,
                             int ivf_nprobe, int hnsw_m, int hnsw_ef_construction, int hnsw_ef_search) {
            GalleryLoadOptions o;
            o.memory_map = memory_map;
            o.index = index_options(backend, ivf_nlist, ivf_nprobe, hnsw_m, hnsw_ef_construction, hnsw_ef_search);
            py::gil_scoped_release nogil;
            return Gallery::load(path, o);
          }, py::arg("path"), py::arg("memory_map") = true, py::arg("backend") = "exact",
          py::arg("ivf_nlist") = 0, py::arg("ivf_nprobe") = 16, py::arg("hnsw_m") = 32,
          py::arg("hnsw_ef_construction") = 80, py::arg("hnsw_ef_search") = 64,
          "Reads and validates a gallery file (FileError if unreadable, FormatError if corrupt).")
      .def("build_index", [](const Gallery& g) {
             py::gil_scoped_release nogil;
             g.build_index();
           }, "Builds the faiss index now rather than on the first search.")
      .def("vectors", [](const Gallery& g, py::handle ids) {
             auto v = int64_list(ids, "ids");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = g.vectors(v);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("ids"), "The stored vectors of these ids (normalised for cosine), (len(ids), dim).")
      .def("__len__", &Gallery::size, "Number of vectors.")
      .def("__contains__", [](const Gallery& g, int64_t id) { return g.contains(id); }, "Whether the id is present.")
      .def_property_readonly("dim", &Gallery::dim, "Vector dimension.")
      .def_property_readonly("metric", [](const Gallery& g) { return std::string(metric_name(g.metric())); },
                             "'cosine' or 'inner_product'.")
      .def_property_readonly("storage", [](const Gallery& g) { return std::string(storage_name(g.storage())); },
                             "'float32' or 'float16'.")
      .def_property_readonly("backend", [](const Gallery& g) {
        return std::string(gallery_backend_name(g.index_options().backend));
      }, "Search backend: 'exact', 'faiss_flat', 'faiss_ivf' or 'faiss_hnsw'.")
      .def_property_readonly("vector_bytes", &Gallery::vector_bytes, "Bytes used by the stored vectors.")
      .def_property_readonly("ids", [](const Gallery& g) {
        auto v = g.ids();
        const auto n = py::ssize_t(v.size());
        return vector_to_numpy(std::move(v), 1, n).attr("reshape")(-1);
      }, "All ids in insertion order (int64).")
      .def_property_readonly("names", [](const Gallery& g) {
        std::vector<std::string> out;
        for (size_t i = 0, n = g.size(); i < n; ++i) out.push_back(g.name(i));
        return out;
      }, "All names in insertion order ('' where none was given).")
      .def("name_of", &Gallery::name_of, py::arg("id"), "The name of an id (InvalidArgumentError if unknown).")
      .def_static("faiss_available", &Gallery::faiss_available, "True when this build has the faiss backends.")
      .def("__repr__", [](const Gallery& g) {
        return "lincir.Gallery(dim=" + std::to_string(g.dim()) + ", size=" + std::to_string(g.size()) +
               ", metric='" + metric_name(g.metric()) + "', storage='" + storage_name(g.storage()) +
               "', backend='" + gallery_backend_name(g.index_options().backend) + "')";
      });
}

}  // namespace lincir::python
