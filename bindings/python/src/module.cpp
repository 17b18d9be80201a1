// The _lincir extension module. The pure-Python package `lincir` (bindings/python/lincir)
// imports it and adds the ergonomic layer (lincir.load, Model, Trainer with a progress bar).
#include "support.hpp"

namespace lincir::python {
void bind_model(py::module_& m);
void bind_projector(py::module_& m);
void bind_gallery(py::module_& m);
void bind_trainer(py::module_& m);
}  // namespace lincir::python

PYBIND11_MODULE(_lincir, m) {
  namespace lp = lincir::python;
  m.doc() =
      "Native core of lincir (zero-shot composed image retrieval, LinCIR). Use the `lincir`\n"
      "package rather than this module directly.";
  lp::register_errors(m);
  lp::bind_projector(m);  // before the Composer/Trainer signatures that mention it
  lp::bind_model(m);
  lp::bind_gallery(m);
  lp::bind_trainer(m);
}
