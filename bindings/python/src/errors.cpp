// lincir::Error -> Python exceptions. One class per Status, all deriving from lincir.LincirError
// (a RuntimeError) and, where a builtin fits, from it too, so that `except ValueError` or
// `except OSError` code written against the standard library keeps working.
#include <array>
#include <utility>

#include "support.hpp"

namespace lincir::python {

namespace {

struct ErrorClass {
  Status status;
  const char* name;
  PyObject* builtin;  // second base, or nullptr
  const char* doc;
};

PyObject* g_base = nullptr;
std::array<std::pair<Status, PyObject*>, 9> g_classes{};

PyObject* class_for(Status s) {
  for (const auto& [st, cls] : g_classes)
    if (st == s && cls) return cls;
  return g_base;
}

}  // namespace

[[noreturn]] void throw_status(Status status, const std::string& message) {
  PyErr_SetString(class_for(status), message.c_str());
  throw py::error_already_set();
}

[[noreturn]] void throw_type(const std::string& message) { throw py::type_error(message); }

void register_errors(py::module_& m) {
  py::dict base_attrs;
  base_attrs["status"] = py::none();
  base_attrs["code"] = py::none();
  g_base = PyErr_NewExceptionWithDoc(
      "lincir.LincirError",
      "Base class of every error raised by lincir's C++ core (a RuntimeError).\n\n"
      "Attributes (on the class): ``status``, the core's status name (``\"invalid_argument\"``,\n"
      "``\"io\"``, ``\"format\"``, ...), and ``code``, its stable numeric value (the C ABI's).\n"
      "The message names the object involved (file, argument) and the problem.",
      PyExc_RuntimeError, base_attrs.ptr());
  if (!g_base) throw py::error_already_set();
  m.add_object("LincirError", py::handle(g_base));

  const ErrorClass classes[] = {
      {Status::invalid_argument, "InvalidArgumentError", PyExc_ValueError,
       "A bad argument: size, dimension, option, text (also a ValueError)."},
      {Status::io, "FileError", PyExc_OSError,
       "A file could not be opened, read, written or renamed (also an OSError)."},
      {Status::format, "FormatError", PyExc_ValueError,
       "A file or buffer is not what it claims to be: corrupt, truncated, wrong kind\n"
       "(also a ValueError)."},
      {Status::out_of_memory, "OutOfMemoryError", PyExc_MemoryError,
       "An allocation failed (also a MemoryError)."},
      {Status::device, "DeviceError", nullptr, "The requested device (e.g. CUDA) is unavailable."},
      {Status::unsupported, "UnsupportedError", PyExc_NotImplementedError,
       "Valid input that this build cannot handle (also a NotImplementedError)."},
      {Status::cancelled, "CancelledError", nullptr, "A callback asked to stop."},
      {Status::internal, "InternalError", nullptr, "A bug in lincir: please report it."},
  };
  size_t i = 0;
  for (const auto& c : classes) {
    py::tuple bases = c.builtin ? py::make_tuple(py::handle(g_base), py::handle(c.builtin))
                                : py::make_tuple(py::handle(g_base));
    py::dict attrs;
    attrs["status"] = std::string(status_name_py(c.status));
    attrs["code"] = static_cast<int>(c.status);
    const std::string qualified = std::string("lincir.") + c.name;
    PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), c.doc, bases.ptr(), attrs.ptr());
    if (!cls) throw py::error_already_set();
    g_classes[i++] = {c.status, cls};
    m.add_object(c.name, py::handle(cls));
  }

  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(class_for(e.status()), e.what());
    }
  });
}

const char* status_name_py(Status s) noexcept {
  switch (s) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid_argument";
    case Status::io: return "io";
    case Status::format: return "format";
    case Status::out_of_memory: return "out_of_memory";
    case Status::device: return "device";
    case Status::unsupported: return "unsupported";
    case Status::cancelled: return "cancelled";
    case Status::internal: return "internal";
  }
  return "internal";
}

}  // namespace lincir::python
