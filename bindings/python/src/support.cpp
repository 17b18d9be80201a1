#include "support.hpp"

#include <climits>
#include <cstdint>

namespace lincir::python {

namespace {

std::string type_name(py::handle obj) {
  return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (i) s += ", ";
    s += std::to_string(a.shape(i));
  }
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

py::array as_array(py::handle obj, const std::string& what, const char* expected) {
  if (py::isinstance<py::array>(obj)) return py::reinterpret_borrow<py::array>(obj);
  if (py::isinstance<py::str>(obj) || py::isinstance<py::bytes>(obj) || obj.is_none())
    throw_type(what + " must be " + expected + ", got " + type_name(obj));
  py::object arr;
  try {
    arr = py::module_::import("numpy").attr("asarray")(obj);
  } catch (py::error_already_set&) {
    throw_type(what + " must be " + expected + ", got " + type_name(obj));
  }
  return py::reinterpret_borrow<py::array>(arr);
}

}  // namespace

FloatMatrix float_matrix(py::handle obj, const std::string& what, int64_t expect_cols,
                         bool allow_1d) {
  py::array arr = as_array(obj, what, "a 2-D array of floats");
  const char kind = arr.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u')
    throw_type(what + " must hold real numbers (float32 preferred), got dtype " + dtype_str(arr));
  if (arr.ndim() == 1 && allow_1d) {
    arr = arr.attr("reshape")(1, -1);
  } else if (arr.ndim() != 2) {
    throw_status(Status::invalid_argument,
                 what + " must be a 2-D array [rows, dim], got shape " + shape_str(arr));
  }
  FloatMatrix out;
  out.rows = arr.shape(0);
  out.cols = arr.shape(1);
  if (expect_cols >= 0 && out.cols != expect_cols)
    throw_status(Status::invalid_argument, what + " has " + std::to_string(out.cols) +
                                               " columns (shape " + shape_str(arr) +
                                               "), expected " + std::to_string(expect_cols));
  const auto addr = reinterpret_cast<uintptr_t>(arr.data());
  const py::ssize_t s0 = arr.strides(0), s1 = arr.strides(1);
  const bool in_place = arr.dtype().equal(py::dtype::of<float>()) && addr % alignof(float) == 0 &&
                        (out.cols <= 1 || s1 == py::ssize_t(sizeof(float))) &&
                        (out.rows <= 1 || (s0 % py::ssize_t(sizeof(float)) == 0 &&
                                           s0 >= py::ssize_t(sizeof(float)) * out.cols));
  if (in_place) {
    out.keep = arr;
    out.data = static_cast<const float*>(arr.data());
    out.row_stride = out.rows <= 1 ? out.cols : s0 / py::ssize_t(sizeof(float));
  } else {
    auto conv = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(arr);
    if (!conv) throw_type(what + ": cannot convert dtype " + dtype_str(arr) + " to float32");
    out.keep = conv;
    out.data = conv.data();
    out.row_stride = out.cols;
    out.copied = true;
  }
  if (out.row_stride == 0) out.row_stride = 1;  // [rows, 0]: any positive stride is valid
  return out;
}

py::array_t<float, py::array::c_style> float_array(py::handle obj, const std::string& what,
                                                    const std::vector<int64_t>& shape) {
  py::array arr = as_array(obj, what, "an array of floats");
  const char kind = arr.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u')
    throw_type(what + " must hold real numbers (float32 preferred), got dtype " + dtype_str(arr));
  bool ok = arr.ndim() == py::ssize_t(shape.size());
  for (size_t i = 0; ok && i < shape.size(); ++i)
    ok = shape[i] < 0 || arr.shape(py::ssize_t(i)) == shape[i];
  if (!ok) {
    std::string want = "(";
    for (size_t i = 0; i < shape.size(); ++i)
      want += (i ? ", " : "") + (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
    throw_status(Status::invalid_argument,
                 what + " must have shape " + want + "), got " + shape_str(arr));
  }
  auto conv = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(arr);
  if (!conv) throw_type(what + ": cannot convert dtype " + dtype_str(arr) + " to float32");
  return conv;
}

std::vector<int64_t> int64_list(py::handle obj, const std::string& what) {
  py::array arr = as_array(obj, what, "a sequence of integers");
  if (arr.ndim() != 1)
    throw_status(Status::invalid_argument,
                 what + " must be 1-D (one id per row), got shape " + shape_str(arr));
  const char kind = arr.dtype().kind();
  if (arr.size() > 0 && kind != 'i' && kind != 'u')
    throw_type(what + " must hold integers, got dtype " + dtype_str(arr));
  auto conv = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(arr);
  if (!conv) throw_type(what + ": cannot convert dtype " + dtype_str(arr) + " to int64");
  return std::vector<int64_t>(conv.data(), conv.data() + conv.size());
}

std::vector<std::string> string_list(py::handle obj, const std::string& what) {
  if (py::isinstance<py::str>(obj) || !py::isinstance<py::sequence>(obj))
    throw_type(what + " must be a list of str, got " + type_name(obj));
  std::vector<std::string> out;
  size_t i = 0;
  for (py::handle item : obj) {
    if (!py::isinstance<py::str>(item))
      throw_type(what + "[" + std::to_string(i) + "] must be str, got " + type_name(item));
    out.push_back(item.cast<std::string>());
    ++i;
  }
  return out;
}

// ---- images ----

namespace {

bool parse_mode(const std::string& s, ImageMode* mode) {
  static const std::pair<const char*, ImageMode> modes[] = {
      {"L", ImageMode::gray},     {"LA", ImageMode::gray_alpha}, {"RGB", ImageMode::rgb},
      {"RGBA", ImageMode::rgba},  {"P", ImageMode::palette},     {"1", ImageMode::bilevel}};
  for (const auto& [name, m] : modes)
    if (s == name) {
      *mode = m;
      return true;
    }
  return false;
}

ImageSource pixel_source(py::array arr, const std::string& label, const ImageMode* forced_mode) {
  if (arr.dtype().kind() != 'u' || arr.itemsize() != 1) {
    const char kind = arr.dtype().kind();
    throw_type(label + ": pixel arrays must be uint8 (HxW or HxWxC), got dtype " + dtype_str(arr) +
               (kind == 'f' ? "; for preprocessed float pixels use Model.encode_pixels" : ""));
  }
  if (arr.ndim() != 2 && arr.ndim() != 3)
    throw_status(Status::invalid_argument,
                 label + ": a pixel array must be HxW (gray) or HxWxC, got shape " + shape_str(arr) +
                     " (a batch NxHxWxC is split by lincir.Model.encode_image)");
  const int64_t h = arr.shape(0), w = arr.shape(1), c = arr.ndim() == 3 ? arr.shape(2) : 1;
  if (c < 1 || c > 4)
    throw_status(Status::invalid_argument,
                 label + ": pixel arrays need 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA) channels, got shape " +
                     shape_str(arr));
  if (h <= 0 || w <= 0 || h > INT_MAX || w > INT_MAX)
    throw_status(Status::invalid_argument, label + ": bad image size, shape " + shape_str(arr));
  ImageMode mode = c == 1 ? ImageMode::gray
                   : c == 2 ? ImageMode::gray_alpha
                   : c == 3 ? ImageMode::rgb
                            : ImageMode::rgba;
  if (forced_mode) {
    if (image_mode_channels(*forced_mode) != c)
      throw_status(Status::invalid_argument,
                   label + ": mode '" + image_mode_name(*forced_mode) + "' needs " +
                       std::to_string(image_mode_channels(*forced_mode)) + " channels, the array has shape " +
                       shape_str(arr));
    mode = *forced_mode;
  }
  // Rows may be strided (crops, slices); pixels and channels must be packed, else copy once.
  const py::ssize_t s_row = arr.strides(0), s_px = arr.strides(1),
                    s_ch = arr.ndim() == 3 ? arr.strides(2) : 1;
  const bool packed = (c == 1 || s_ch == 1) && (w == 1 || s_px == c) && (h == 1 || s_row >= w * c);
  if (!packed) arr = py::module_::import("numpy").attr("ascontiguousarray")(arr);
  ImageSource s;
  s.kind = ImageSource::Kind::pixels;
  s.data = static_cast<const uint8_t*>(arr.data());
  s.width = int(w);
  s.height = int(h);
  s.channels = int(c);
  s.row_stride = (h == 1 || !packed) ? w * c : arr.strides(0);
  s.mode = mode;
  s.owner = arr;
  s.label = label;
  return s;
}

}  // namespace

std::vector<ImageSource> image_sources(py::handle items) {
  if (py::isinstance<py::str>(items) || !py::isinstance<py::sequence>(items))
    throw_type("images must be a list, got " + type_name(items));
  std::vector<ImageSource> out;
  size_t i = 0;
  for (py::handle item : items) {
    const std::string label = "images[" + std::to_string(i++) + "]";
    if (py::isinstance<py::str>(item)) {
      ImageSource s;
      s.kind = ImageSource::Kind::path;
      s.path = item.cast<std::string>();
      s.label = label;
      out.push_back(std::move(s));
    } else if (py::isinstance<py::array>(item)) {
      out.push_back(pixel_source(py::reinterpret_borrow<py::array>(item), label, nullptr));
    } else if (py::isinstance<py::tuple>(item) && py::len(item) == 2 &&
               py::isinstance<py::array>(item[py::int_(0)]) && py::isinstance<py::str>(item[py::int_(1)])) {
      ImageMode mode;
      const auto name = item[py::int_(1)].cast<std::string>();
      if (!parse_mode(name, &mode))
        throw_status(Status::invalid_argument,
                     label + ": unknown image mode '" + name + "' (L, LA, RGB, RGBA, P, 1)");
      out.push_back(pixel_source(item[py::int_(0)].cast<py::array>(), label, &mode));
    } else if (PyObject_CheckBuffer(item.ptr())) {
      auto exp = std::make_unique<BufferExport>();
      if (PyObject_GetBuffer(item.ptr(), &exp->view, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        throw_type(label + ": a bytes-like image must be contiguous");
      }
      exp->held = true;
      ImageSource s;
      s.kind = ImageSource::Kind::bytes;
      s.data = static_cast<const uint8_t*>(exp->view.buf);
      s.size = size_t(exp->view.len);
      s.buffer = std::move(exp);
      s.owner = py::reinterpret_borrow<py::object>(item);
      s.label = label;
      out.push_back(std::move(s));
    } else {
      throw_type(label + ": expected a path (str), encoded bytes, a uint8 numpy array or a PIL "
                 "image, got " + type_name(item));
    }
  }
  return out;
}

std::vector<Image> materialize(const std::vector<ImageSource>& sources, size_t begin, size_t end) {
  std::vector<Image> out;
  out.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const ImageSource& s = sources[i];
    try {
      switch (s.kind) {
        case ImageSource::Kind::path: out.push_back(Image::load(s.path)); break;
        case ImageSource::Kind::bytes: out.push_back(Image::decode(s.data, s.size)); break;
        case ImageSource::Kind::pixels: {
          Image img = Image::from_pixels(s.data, s.width, s.height, s.channels, size_t(s.row_stride));
          img.mode = s.mode;
          out.push_back(std::move(img));
          break;
        }
      }
    } catch (const Error& e) {
      throw Error(e.status(), s.label + ": " + e.what());
    }
  }
  return out;
}

PreprocessMode parse_preprocess(const std::string& s) {
  if (s == "openai") return PreprocessMode::openai;
  if (s == "hf") return PreprocessMode::hf;
  throw_status(Status::invalid_argument, "unknown preprocess mode '" + s + "' (expected 'openai' or 'hf')");
}

}  // namespace lincir::python
