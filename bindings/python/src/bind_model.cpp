// ClipModel, Composer, Tokenizer, keyword spans and the runtime functions. Thin: inputs are
// converted under the GIL, the core runs without it, outputs become numpy arrays without copies.
#include <algorithm>
#include <array>

#include "lincir/clip.hpp"
#include "lincir/composer.hpp"
#include "lincir/keywords.hpp"
#include "lincir/tokenizer.hpp"
#include "lincir/version.hpp"
#include "support.hpp"

namespace lincir::python {

namespace {

// Images are decoded chunk by chunk so that a long list of large files never sits decoded in
// memory at once; `fn(images, begin)` returns the rows of that chunk.
template <class Fn>
Embeddings encode_chunked(const std::vector<ImageSource>& sources, int64_t dim, int chunk, Fn&& fn) {
  const size_t n = sources.size();
  const size_t step = size_t(std::max(1, chunk));
  Embeddings out(int64_t(n), dim);
  for (size_t b = 0; b < n; b += step) {
    const size_t e = std::min(n, b + step);
    std::vector<Image> images = materialize(sources, b, e);
    Embeddings part = fn(std::move(images), b, e);
    LINCIR_CHECK_STATUS(part.rows() == int64_t(e - b) && part.cols() == dim, Status::internal,
                        "unexpected result shape from the encoder");
    out.middleRows(int64_t(b), int64_t(e - b)) = part;
  }
  return out;
}

std::vector<Reference> as_references(std::vector<Image>&& images) {
  std::vector<Reference> refs;
  refs.reserve(images.size());
  for (auto& img : images) refs.push_back(Reference::from_image(std::move(img)));
  return refs;
}

// texts: one per image or one for all; returns the texts of rows [b, e).
std::vector<std::string> text_slice(const std::vector<std::string>& texts, size_t b, size_t e) {
  if (texts.size() == 1) return texts;
  return std::vector<std::string>(texts.begin() + long(b), texts.begin() + long(e));
}

void check_pairing(size_t n_images, size_t n_texts, const char* fn) {
  if (n_texts == 1 && n_images > 0) return;
  if (n_texts != n_images)
    throw_status(Status::invalid_argument,
                 std::string(fn) + ": " + std::to_string(n_images) + " images but " +
                     std::to_string(n_texts) + " texts (give one text per image, or one for all)");
}

std::vector<std::string> apply_template(std::vector<std::string> texts, const std::string& tmpl) {
  if (tmpl.empty()) return texts;
  PromptTemplate t{tmpl};
  for (auto& s : texts) s = t.apply(s);
  return texts;
}

py::array token_array(py::handle obj, int64_t max_len) {
  py::array arr = py::isinstance<py::array>(obj) ? py::reinterpret_borrow<py::array>(obj)
                                                 : py::array(py::module_::import("numpy").attr("asarray")(obj));
  if (arr.dtype().kind() != 'i' && arr.dtype().kind() != 'u')
    throw_type("tokens must be an integer array, got dtype " + py::str(arr.dtype()).cast<std::string>());
  if (arr.ndim() == 1) arr = arr.attr("reshape")(1, -1);
  if (arr.ndim() != 2 || arr.shape(1) < 1 || arr.shape(1) > max_len)
    throw_status(Status::invalid_argument,
                 "tokens must be a 2-D array [n, context_length] with 1 <= context_length <= " +
                     std::to_string(max_len));
  return py::array_t<int32_t, py::array::c_style | py::array::forcecast>::ensure(arr);
}

}  // namespace

void bind_model(py::module_& m) {
  // ---- runtime ----
  m.def("version", [] { return std::string(version_string()); },
        "The version of the lincir C++ library this module was built with.");
  m.def("build_info", [] { return std::string(build_info()); },
        "Build facts of the C++ library: LibTorch version, CUDA / faiss support, compiler.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"),
        "Sets the intra-op threads of every LibTorch computation in this process (0 = all cores).\n"
        "Not safe while inference runs in another thread.");
  m.def("num_threads", &num_threads, "Intra-op threads used by LibTorch computations.");
  m.def("cuda_available", &cuda_available, "True when this build can use CUDA and a device is visible.");
  m.def("normalize", [](py::handle x) {
        FloatMatrix v = float_matrix(x, "x");
        Embeddings out;
        {
          py::gil_scoped_release nogil;
          out = normalize(v.map());
        }
        return matrix_to_numpy(std::move(out));
      }, py::arg("x"),
      "Rows of ``x`` scaled to unit L2 norm (rows of zeros stay zero), as float32 (N, D).");
  m.def("preprocess", [](py::handle images, int size, const std::string& mode) {
        const PreprocessMode pm = parse_preprocess(mode);
        if (size <= 0) throw_status(Status::invalid_argument, "size must be positive");
        auto sources = image_sources(images);
        const size_t plane = size_t(3) * size_t(size) * size_t(size);
        std::vector<float> out(sources.size() * plane);
        {
          py::gil_scoped_release nogil;
          PreprocessOptions opt;
          opt.size = size;
          opt.mode = pm;
          for (size_t i = 0; i < sources.size(); ++i) {
            auto img = materialize(sources, i, i + 1);
            preprocess_into(img[0], out.data() + i * plane, opt);
          }
        }
        py::array flat = vector_to_numpy(std::move(out), py::ssize_t(sources.size()), py::ssize_t(plane));
        return py::array(flat.attr("reshape")(py::ssize_t(sources.size()), 3, size, size));
      }, py::arg("images"), py::arg("size") = 224, py::arg("mode") = "openai",
      "CLIP preprocessing of a list of images (paths, bytes, uint8 arrays, (array, mode) tuples)\n"
      "into normalised float32 pixels (N, 3, size, size); ``mode`` is 'openai' (clip._transform)\n"
      "or 'hf' (CLIPImageProcessor). Releases the GIL.");

  // ---- tokenizer ----
  py::class_<Tokenizer>(m, "Tokenizer",
                        "CLIP's byte-level BPE tokenizer (clip.tokenize id for id). Immutable and\n"
                        "thread-safe; copies share the vocabulary.")
      .def(py::init<>(), "The standard CLIP vocabulary (embedded in the library).")
      .def_static("from_file", &Tokenizer::from_file, py::arg("path"),
                  py::call_guard<py::gil_scoped_release>(),
                  "A BPE merges file (plain or gzip) in CLIP's format.")
      .def_readonly_static("SOT", &Tokenizer::kSot, "<|startoftext|> id.")
      .def_readonly_static("EOT", &Tokenizer::kEot, "<|endoftext|> id.")
      .def_readonly_static("PLACEHOLDER", &Tokenizer::kPlaceholder, "Id of '$', LinCIR's pseudo-token slot.")
      .def_property_readonly("vocab_size", &Tokenizer::vocab_size, "49408 for the standard vocabulary.")
      .def("encode", [](const Tokenizer& t, const std::string& text) { return t.encode(text); },
           py::arg("text"), "BPE ids of ``text`` without start/end tokens, never truncated.")
      .def("tokenize", [](const Tokenizer& t, py::handle texts, int context_length, bool truncate) {
             auto v = string_list(texts, "texts");
             std::vector<int32_t> ids;
             {
               py::gil_scoped_release nogil;
               ids = t.tokenize(v, context_length, truncate);
             }
             return vector_to_numpy(std::move(ids), py::ssize_t(v.size()), context_length);
           }, py::arg("texts"), py::arg("context_length") = 77, py::arg("truncate") = true,
           "clip.tokenize: int32 (N, context_length), [SOT] + ids + [EOT] zero-padded. Too long\n"
           "texts are truncated (last id EOT) or, with truncate=False, raise InvalidArgumentError.")
      .def("decode", [](const Tokenizer& t, const std::vector<int32_t>& ids, bool skip_special) {
             return t.decode(ids, skip_special);
           }, py::arg("ids"), py::arg("skip_special") = false,
           "Inverse of encode (each '</w>' becomes a space).");

  // ---- keywords ----
  py::class_<KeywordSpan>(m, "KeywordSpan", "A keyword span: bytes [begin, end) of the normalised caption.")
      .def_readonly("begin", &KeywordSpan::begin, "First byte.")
      .def_readonly("end", &KeywordSpan::end, "One past the last byte.")
      .def_readonly("text", &KeywordSpan::text, "The span's tokens joined by spaces.")
      .def("__repr__", [](const KeywordSpan& s) {
        return "KeywordSpan(" + std::to_string(s.begin) + ", " + std::to_string(s.end) + ", '" + s.text + "')";
      });
  py::class_<KeywordExtractor>(m, "KeywordExtractor",
                               "LinCIR's keyword spans (runs of DET/ADJ/NOUN/PROPN) without spaCy.\n"
                               "Immutable and thread-safe.")
      .def(py::init<>(), "Uses the embedded lexicon.")
      .def("extract", [](const KeywordExtractor& k, const std::string& caption) { return k.extract(caption); },
           py::arg("caption"),
           "Spans of normalize_caption(caption); offsets refer to the normalised text.")
      .def("tag", [](const KeywordExtractor& k, const std::string& normalized) {
             std::vector<std::pair<std::string, std::string>> out;
             for (auto& t : k.tag(normalized)) out.emplace_back(t.text, t.upos);
             return out;
           }, py::arg("normalized"), "[(token, UPOS tag)] of an already-normalised caption.");
  m.def("normalize_caption", [](const std::string& c) { return normalize_caption(c); }, py::arg("caption"),
        "LinCIR's clean-up before tagging: lower-case, '$' removed, stripped.");
  m.def("mask_spans", [](const std::string& normalized, const std::vector<KeywordSpan>& spans,
                         const std::string& placeholder) { return mask_spans(normalized, spans, placeholder); },
        py::arg("normalized"), py::arg("spans"), py::arg("placeholder") = "$",
        "``normalized`` with every span replaced by ``placeholder``.");

  // ---- CLIP ----
  py::class_<ClipModel>(m, "ClipModel",
                        "A loaded CLIP model (C++ core). Copies share the immutable weights; every\n"
                        "method may be called concurrently from several threads. Prefer lincir.load.")
      .def_static("load", [](const std::string& path, const std::string& config_path,
                             const std::string& config_json, const std::string& preset,
                             const std::string& device, const std::string& dtype, int batch_size) {
            ClipLoadOptions o;
            o.device = Device::parse(device);
            o.dtype = parse_dtype(dtype);
            o.batch_size = batch_size;
            if (!preset.empty()) o.config = ClipConfig::preset(preset);
            else if (!config_json.empty()) o.config = ClipConfig::from_json_string(config_json, "config");
            o.config_path = config_path;
            py::gil_scoped_release nogil;
            return ClipModel::load(path, o);
          }, py::arg("path"), py::arg("config_path") = "", py::arg("config_json") = "",
          py::arg("preset") = "", py::arg("device") = "cpu", py::arg("dtype") = "float32",
          py::arg("batch_size") = 32,
          "Loads CLIP weights (safetensors file, HF/OpenCLIP folder or OpenAI TorchScript .pt).\n"
          "The architecture comes from ``preset``, ``config_json``, ``config_path``, the file's\n"
          "metadata or a JSON beside it. Releases the GIL.")
      .def_static("preset_names", &ClipConfig::preset_names, "Built-in architecture names.")
      .def_property_readonly("config_json", [](const ClipModel& c) { return c.config().to_json(); },
                             "The architecture as JSON (openai/CLIP build_model names).")
      .def_property_readonly("embed_dim", [](const ClipModel& c) { return c.config().embed_dim; }, "Embedding size.")
      .def_property_readonly("image_resolution", [](const ClipModel& c) { return c.config().image_resolution; },
                             "Input side R of the image tower.")
      .def_property_readonly("context_length", [](const ClipModel& c) { return c.config().context_length; },
                             "Token positions of the text tower.")
      .def_property_readonly("text_width", [](const ClipModel& c) { return c.config().text_width; },
                             "Token embedding size (φ's output size).")
      .def_property_readonly("device", [](const ClipModel& c) { return c.device().str(); }, "'cpu' or 'cuda:N'.")
      .def_property_readonly("dtype", [](const ClipModel& c) { return std::string(dtype_name(c.dtype())); },
                             "Compute precision.")
      .def_property_readonly("tokenizer", [](const ClipModel& c) { return c.tokenizer(); }, "The model's Tokenizer.")
      .def("encode_text", [](const ClipModel& c, py::handle texts, bool norm) {
             auto v = string_list(texts, "texts");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = v.empty() ? Embeddings(0, c.config().embed_dim) : c.encode_text(v);
               if (norm) out = normalize(out);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("texts"), py::arg("normalize") = false,
           "Text features float32 (N, embed_dim) of a list of str. Releases the GIL.")
      .def("encode_tokens", [](const ClipModel& c, py::handle tokens, bool norm) {
             py::array_t<int32_t> ids = token_array(tokens, c.config().context_length);
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = c.encode_tokens(ids.data(), ids.shape(0), ids.shape(1));
               if (norm) out = normalize(out);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("tokens"), py::arg("normalize") = false,
           "Text features of token ids (N, L) as clip.tokenize makes them. Releases the GIL.")
      .def("encode_images", [](const ClipModel& c, py::handle images, const std::string& preprocess,
                               bool norm, int chunk) {
             const PreprocessMode mode = parse_preprocess(preprocess);
             auto sources = image_sources(images);
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = encode_chunked(sources, c.config().embed_dim, chunk,
                                    [&](std::vector<Image>&& imgs, size_t, size_t) {
                                      return c.encode_images(imgs, mode);
                                    });
               if (norm) out = normalize(out);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("images"), py::arg("preprocess") = "openai", py::arg("normalize") = false,
           py::arg("chunk") = 32,
           "Image features float32 (N, embed_dim) of a list of image inputs (see lincir.Model).\n"
           "Releases the GIL.")
      .def("encode_pixels", [](const ClipModel& c, py::handle pixels, bool norm) {
             const int64_t r = c.config().image_resolution;
             auto px = float_array(pixels, "pixels", {-1, 3, r, r});
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = px.shape(0) == 0 ? Embeddings(0, c.config().embed_dim)
                                      : c.encode_pixels(px.data(), px.shape(0));
               if (norm) out = normalize(out);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("pixels"), py::arg("normalize") = false,
           "Image features of preprocessed pixels float32 (N, 3, R, R). Releases the GIL.");

  // ---- composer ----
  py::class_<Composer>(m, "Composer",
                       "CLIP + projector φ: composed queries (reference image + modification text)\n"
                       "as unit-norm CLIP text features. Immutable; methods may run concurrently.")
      .def(py::init([](const ClipModel& clip, const Projector& projector, const std::string& injection,
                       const std::string& marker, const std::string& preprocess,
                       bool normalize_projector_input, int batch_size) {
             ComposerOptions o;
             if (!injection.empty()) o.injection = parse_injection_mode(injection);
             o.marker = marker;
             if (!preprocess.empty()) o.preprocess = parse_preprocess(preprocess);
             o.normalize_projector_input = normalize_projector_input;
             o.batch_size = batch_size;
             Projector copy = projector.clone();
             py::gil_scoped_release nogil;
             return std::make_unique<Composer>(clip, std::move(copy), o);
           }), py::arg("clip"), py::arg("projector"), py::arg("injection") = "", py::arg("marker") = "$",
           py::arg("preprocess") = "", py::arg("normalize_projector_input") = false,
           py::arg("batch_size") = 32,
           "``projector`` is copied. injection: '' (the projector kind's default), 'every_marker',\n"
           "'first_marker' or 'before_eot'; preprocess: '' (kind default), 'openai' or 'hf'.")
      .def_property_readonly("injection_mode", [](const Composer& c) { return std::string(injection_mode_name(c.injection_mode())); },
                             "How the pseudo token enters the prompt.")
      .def_property_readonly("marker_token", &Composer::marker_token, "BPE id of the marker word.")
      .def_property_readonly("embed_dim", &Composer::embed_dim, "Query embedding size.")
      .def_property_readonly("projector", [](const Composer& c) { return c.projector().clone(); },
                             "A copy of the projector.")
      .def("compose", [](const Composer& c, py::handle images, py::handle texts, const std::string& tmpl,
                         int chunk) {
             auto sources = image_sources(images);
             auto t = apply_template(string_list(texts, "texts"), tmpl);
             check_pairing(sources.size(), t.size(), "compose");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = encode_chunked(sources, c.embed_dim(), chunk,
                                    [&](std::vector<Image>&& imgs, size_t b, size_t e) {
                                      return c.compose(imgs, text_slice(t, b, e));
                                    });
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("images"), py::arg("texts"), py::arg("template") = "", py::arg("chunk") = 32,
           "Composed query features, unit rows (N, embed_dim). Releases the GIL.")
      .def("compose_embeddings", [](const Composer& c, py::handle emb, py::handle texts, const std::string& tmpl) {
             FloatMatrix e = float_matrix(emb, "image_embeddings", c.embed_dim());
             auto t = apply_template(string_list(texts, "texts"), tmpl);
             check_pairing(size_t(e.rows), t.size(), "compose_embeddings");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = e.rows == 0 ? Embeddings(0, c.embed_dim()) : c.compose_embeddings(e.map(), t);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("image_embeddings"), py::arg("texts"), py::arg("template") = "",
           "Composed queries from un-normalised CLIP image embeddings. Releases the GIL.")
      .def("compose_fashioniq", [](const Composer& c, py::handle images,
                                   const std::vector<std::array<std::string, 2>>& captions,
                                   const std::string& tmpl, int chunk) {
             auto sources = image_sources(images);
             if (captions.size() != sources.size())
               throw_status(Status::invalid_argument, "compose_fashioniq: one caption pair per image");
             PromptTemplate t;
             if (!tmpl.empty()) t.pattern = tmpl;
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = encode_chunked(sources, c.embed_dim(), chunk,
                                    [&](std::vector<Image>&& imgs, size_t b, size_t e) {
                                      std::vector<std::array<std::string, 2>> cap(captions.begin() + long(b),
                                                                                  captions.begin() + long(e));
                                      return c.compose_fashioniq(as_references(std::move(imgs)), cap, t);
                                    });
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("images"), py::arg("captions"), py::arg("template") = "", py::arg("chunk") = 32,
           "FashionIQ queries: both caption orders composed, averaged, re-normalised.")
      .def("pseudo_tokens", [](const Composer& c, py::handle emb) {
             FloatMatrix e = float_matrix(emb, "image_embeddings", c.embed_dim());
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = c.pseudo_tokens(e.map());
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("image_embeddings"), "φ(image embeddings): pseudo tokens (N, text_width).")
      .def("encode_with_pseudo_tokens", [](const Composer& c, py::handle tokens, py::handle texts, bool norm) {
             FloatMatrix p = float_matrix(tokens, "pseudo_tokens", c.clip().config().text_width);
             auto t = string_list(texts, "texts");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = c.encode_with_pseudo_tokens(p.map(), t, norm);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("pseudo_tokens"), py::arg("texts"), py::arg("normalize") = true,
           "Text features of ``texts`` with the pseudo tokens at their markers.")
      .def("image_only", [](const Composer& c, py::handle images, int chunk) {
             auto sources = image_sources(images);
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = encode_chunked(sources, c.embed_dim(), chunk, [&](std::vector<Image>&& imgs, size_t, size_t) {
                 return c.image_only(as_references(std::move(imgs)));
               });
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("images"), py::arg("chunk") = 32, "Baseline: normalised image embeddings.")
      .def("text_only", [](const Composer& c, py::handle texts) {
             auto t = string_list(texts, "texts");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = t.empty() ? Embeddings(0, c.embed_dim()) : c.text_only(t);
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("texts"), "Baseline: normalised text embeddings.")
      .def("image_plus_text", [](const Composer& c, py::handle images, py::handle texts, int chunk) {
             auto sources = image_sources(images);
             auto t = string_list(texts, "texts");
             check_pairing(sources.size(), t.size(), "image_plus_text");
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = encode_chunked(sources, c.embed_dim(), chunk,
                                    [&](std::vector<Image>&& imgs, size_t b, size_t e) {
                                      return c.image_plus_text(as_references(std::move(imgs)),
                                                               text_slice(t, b, e));
                                    });
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("images"), py::arg("texts"), py::arg("chunk") = 32,
           "Baseline: normalize(normalize(image) + normalize(text)).");
}

}  // namespace lincir::python
