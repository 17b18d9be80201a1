// Projector φ: creation, loading (safetensors or torch.save checkpoints), saving and inference.
#include "lincir/projector.hpp"
#include "support.hpp"

namespace lincir::python {

void bind_projector(py::module_& m) {
  py::class_<Projector>(m, "Projector",
                        "The projector φ: CLIP image embedding (input_dim) -> pseudo-word token\n"
                        "(output_dim). Kinds: 'lincir', 'searle', 'pic2word'. Calling it (or\n"
                        "forward) may run concurrently; loading replaces nothing in place.")
      .def(py::init([](const std::string& kind, int input_dim, int output_dim, int hidden_dim,
                       float dropout, const std::string& backbone, uint64_t seed) {
             ProjectorConfig c;
             c.kind = parse_projector_kind(kind);
             c.input_dim = input_dim;
             c.output_dim = output_dim;
             c.hidden_dim = hidden_dim;
             c.dropout = dropout;
             c.backbone = backbone;
             return std::make_unique<Projector>(c, seed);
           }), py::arg("kind") = "lincir", py::arg("input_dim") = 768, py::arg("output_dim") = 768,
           py::arg("hidden_dim") = 0, py::arg("dropout") = -1.f, py::arg("backbone") = "",
           py::arg("seed") = 0,
           "A freshly initialised projector (PyTorch's nn.Linear init from ``seed``). hidden_dim 0\n"
           "and dropout < 0 take the kind's defaults.")
      .def_static("load", [](const std::string& path, const std::string& kind, const std::string& backbone,
                             int expect_input_dim, int expect_output_dim) {
            ProjectorLoadOptions o;
            if (!kind.empty()) o.kind = parse_projector_kind(kind);
            o.backbone = backbone;
            o.expect_input_dim = expect_input_dim;
            o.expect_output_dim = expect_output_dim;
            py::gil_scoped_release nogil;
            return Projector::load(path, o);
          }, py::arg("path"), py::arg("kind") = "", py::arg("backbone") = "",
          py::arg("expect_input_dim") = 0, py::arg("expect_output_dim") = 0,
          "Loads a projector: lincir's safetensors format, a plain safetensors state dict, or a\n"
          "torch.save checkpoint (LinCIR / SEARLE {'Phi': ...}, Pic2Word). ``kind`` '' = from the\n"
          "file (pass 'searle' for SEARLE checkpoints). Releases the GIL.")
      .def("save", [](const Projector& p, const std::string& path, int64_t training_step) {
             py::gil_scoped_release nogil;
             p.save(path, training_step);
           }, py::arg("path"), py::arg("training_step") = -1,
           "Writes lincir's safetensors format atomically. Releases the GIL.")
      .def("forward", [](const Projector& p, py::handle x) {
             FloatMatrix v = float_matrix(x, "x", p.input_dim());
             Embeddings out;
             {
               py::gil_scoped_release nogil;
               out = v.rows == 0 ? Embeddings(0, p.output_dim()) : p.forward(v.map());
             }
             return matrix_to_numpy(std::move(out));
           }, py::arg("x"), "φ(x) at inference (no dropout): float32 (N, output_dim). Releases the GIL.")
      .def("__call__", [](py::object self, py::handle x) { return self.attr("forward")(x); }, py::arg("x"),
           "Same as forward(x).")
      .def("clone", &Projector::clone, "An independent deep copy.")
      .def_property_readonly("kind", [](const Projector& p) { return std::string(projector_kind_name(p.kind())); },
                             "'lincir', 'searle' or 'pic2word'.")
      .def_property_readonly("input_dim", &Projector::input_dim, "CLIP embedding size P it reads.")
      .def_property_readonly("output_dim", &Projector::output_dim, "Token embedding size W it writes.")
      .def_property_readonly("hidden_dim", [](const Projector& p) { return p.config().hidden_dim; }, "Hidden layer size.")
      .def_property_readonly("dropout", [](const Projector& p) { return p.config().dropout; }, "Training-time dropout probability.")
      .def_property_readonly("backbone", [](const Projector& p) { return p.config().backbone; }, "Name of the CLIP model it was trained for ('' if unknown).")
      .def_property_readonly("device", [](const Projector& p) { return p.device().str(); }, "Where its weights live.")
      .def_property_readonly("training_step", &Projector::training_step,
                             "Optimisation steps it was trained for (-1 = unknown).")
      .def("__repr__", [](const Projector& p) {
        return "lincir.Projector(kind='" + std::string(projector_kind_name(p.kind())) +
               "', input_dim=" + std::to_string(p.input_dim()) + ", hidden_dim=" +
               std::to_string(p.config().hidden_dim) + ", output_dim=" + std::to_string(p.output_dim()) + ")";
      });
}

}  // namespace lincir::python
