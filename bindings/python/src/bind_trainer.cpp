// Trainer: φ from captions. fit() runs without the GIL; its per-step callback re-acquires it to
// run the Python progress callback and to notice Ctrl-C (PyErr_CheckSignals), and an exception
// raised by a Python callback stops training and is re-raised from fit().
#include <mutex>
#include <optional>

#include "lincir/trainer.hpp"
#include "support.hpp"

namespace lincir::python {

namespace {

// A C++ Trainer is used by one thread at a time; Python threads that share one get an error
// instead of a data race.
struct PyTrainer {
  std::unique_ptr<Trainer> trainer;
  std::mutex busy;

  std::unique_lock<std::mutex> lock() {
    std::unique_lock<std::mutex> l(busy, std::try_to_lock);
    if (!l.owns_lock())
      throw_status(Status::invalid_argument, "this Trainer is in use by another thread (fit is running?)");
    return l;
  }
};

// Thrown through the core when a Python callback raised; the Python error is re-raised by fit.
struct PythonCallbackFailed {};

std::vector<CaptionRecord> records(py::handle captions, py::handle spans) {
  auto texts = string_list(captions, "captions");
  std::vector<CaptionRecord> out(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) out[i].text = std::move(texts[i]);
  if (!spans.is_none()) {
    if (py::len(spans) != out.size())
      throw_status(Status::invalid_argument, "spans must hold one list per caption");
    size_t i = 0;
    for (py::handle s : spans) {
      if (!s.is_none()) {
        out[i].spans = string_list(s, "spans[" + std::to_string(i) + "]");
        out[i].has_spans = true;
      }
      ++i;
    }
  }
  return out;
}

}  // namespace

void bind_trainer(py::module_& m) {
  py::class_<TrainerOptions>(m, "TrainerOptions",
                             "Options of the C++ trainer (see lincir.Trainer for their meaning).")
      .def(py::init<>())
      .def_readwrite("steps", &TrainerOptions::steps)
      .def_readwrite("batch_size", &TrainerOptions::batch_size)
      .def_readwrite("lr", &TrainerOptions::lr)
      .def_readwrite("weight_decay", &TrainerOptions::weight_decay)
      .def_readwrite("beta1", &TrainerOptions::beta1)
      .def_readwrite("beta2", &TrainerOptions::beta2)
      .def_readwrite("eps", &TrainerOptions::eps)
      .def_readwrite("warmup_steps", &TrainerOptions::warmup_steps)
      .def_readwrite("cosine", &TrainerOptions::cosine)
      .def_readwrite("min_lr_ratio", &TrainerOptions::min_lr_ratio)
      .def_readwrite("grad_clip", &TrainerOptions::grad_clip)
      .def_readwrite("noise_scale", &TrainerOptions::noise_scale)
      .def_property("mask_mode", [](const TrainerOptions& o) { return std::string(mask_mode_name(o.mask_mode)); },
                    [](TrainerOptions& o, const std::string& s) { o.mask_mode = parse_mask_mode(s); })
      .def_readwrite("mix_ratio", &TrainerOptions::mix_ratio)
      .def_readwrite("seed", &TrainerOptions::seed)
      .def_readwrite("bf16", &TrainerOptions::bf16)
      .def_readwrite("dropout", &TrainerOptions::dropout)
      .def_readwrite("checkpoint_path", &TrainerOptions::checkpoint_path)
      .def_readwrite("checkpoint_every", &TrainerOptions::checkpoint_every)
      .def_readwrite("resume", &TrainerOptions::resume)
      .def_readwrite("validate_every", &TrainerOptions::validate_every)
      .def_readwrite("best_path", &TrainerOptions::best_path)
      .def_property("caption_field", [](const TrainerOptions& o) { return o.data.field; },
                    [](TrainerOptions& o, const std::string& s) { o.data.field = s; })
      .def_property("spans_field", [](const TrainerOptions& o) { return o.data.spans_field; },
                    [](TrainerOptions& o, const std::string& s) { o.data.spans_field = s; })
      .def_property("shuffle_buffer", [](const TrainerOptions& o) { return o.data.shuffle_buffer; },
                    [](TrainerOptions& o, size_t n) { o.data.shuffle_buffer = n; })
      .def_property("data_seed", [](const TrainerOptions& o) { return o.data.seed; },
                    [](TrainerOptions& o, uint64_t s) { o.data.seed = s; })
      .def_property("rank", [](const TrainerOptions& o) { return o.distributed.rank; },
                    [](TrainerOptions& o, int v) { o.distributed.rank = v; })
      .def_property("world_size", [](const TrainerOptions& o) { return o.distributed.world_size; },
                    [](TrainerOptions& o, int v) { o.distributed.world_size = v; })
      .def_property("master_addr", [](const TrainerOptions& o) { return o.distributed.master_addr; },
                    [](TrainerOptions& o, const std::string& v) { o.distributed.master_addr = v; })
      .def_property("master_port", [](const TrainerOptions& o) { return o.distributed.master_port; },
                    [](TrainerOptions& o, int v) { o.distributed.master_port = v; })
      .def_property("timeout_seconds", [](const TrainerOptions& o) { return o.distributed.timeout_seconds; },
                    [](TrainerOptions& o, int v) { o.distributed.timeout_seconds = v; });

  py::class_<TrainerProgress>(m, "TrainerProgress", "Passed to the fit callback after every step.")
      .def_readonly("step", &TrainerProgress::step, "Steps done.")
      .def_readonly("total_steps", &TrainerProgress::total_steps, "Steps of the whole run.")
      .def_readonly("loss", &TrainerProgress::loss, "This step's loss.")
      .def_readonly("lr", &TrainerProgress::lr, "Learning rate of this step.")
      .def_readonly("captions_per_second", &TrainerProgress::captions_per_second, "Throughput of the last step.")
      .def_readonly("validation", &TrainerProgress::validation, "Last validation score (NaN if none).")
      .def("__repr__", [](const TrainerProgress& p) {
        return "TrainerProgress(step=" + std::to_string(p.step) + "/" + std::to_string(p.total_steps) +
               ", loss=" + std::to_string(p.loss) + ")";
      });

  py::class_<PyTrainer>(m, "Trainer",
                        "The LinCIR trainer (C++ core): learns φ from captions with a frozen CLIP text\n"
                        "tower. Prefer lincir.Trainer, which adds keyword options and a progress bar.\n"
                        "One thread at a time (a second thread gets InvalidArgumentError).")
      .def(py::init([](const ClipModel& model, const TrainerOptions& options, const Projector* init) {
             auto t = std::make_unique<PyTrainer>();
             py::gil_scoped_release nogil;
             t->trainer = std::make_unique<Trainer>(model, options, init);
             return t;
           }), py::arg("model"), py::arg("options"), py::arg("init") = nullptr,
           "φ starts from ``options.seed`` or, if given, a copy of ``init``.")
      .def("fit", [](PyTrainer& self, const std::string& captions_path, py::object on_step, py::object validate) {
             auto lock = self.lock();
             std::optional<py::error_already_set> pending;
             TrainerCallbacks cb;
             cb.on_step = [&](const TrainerProgress& p) -> bool {
               py::gil_scoped_acquire gil;
               try {
                 if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C
                 if (!on_step.is_none()) {
                   py::object r = on_step(py::cast(TrainerProgress(p)));  // a copy: `p` dies
                   if (!r.is_none() && !r.cast<bool>()) return false;
                 }
                 return true;
               } catch (py::error_already_set& e) {
                 pending.emplace(std::move(e));
                 return false;
               }
             };
             if (!validate.is_none()) {
               cb.validate = [&](const Projector& phi) -> double {
                 Projector copy = phi.clone();
                 py::gil_scoped_acquire gil;
                 try {
                   return validate(std::move(copy)).cast<double>();
                 } catch (py::error_already_set& e) {
                   pending.emplace(std::move(e));
                 } catch (const py::cast_error&) {
                   pending.emplace(
                       (PyErr_SetString(PyExc_TypeError, "the validate callback must return a number"),
                        py::error_already_set()));
                 }
                 throw PythonCallbackFailed{};
               };
             }
             FitResult r;
             try {
               py::gil_scoped_release nogil;
               r = self.trainer->fit(captions_path, cb);
             } catch (const PythonCallbackFailed&) {
             }
             if (pending) throw *pending;
             py::dict out;
             out["steps"] = r.steps;
             out["cancelled"] = r.cancelled;
             out["resumed"] = r.resumed;
             out["last_loss"] = r.last_loss;
             out["best_validation"] = r.best_validation;
             return out;
           }, py::arg("captions_path"), py::arg("on_step") = py::none(), py::arg("validate") = py::none(),
           "Trains until options.steps (resuming from the checkpoint when present). ``on_step``\n"
           "(TrainerProgress) -> False stops; ``validate`` (Projector) -> float. Releases the GIL;\n"
           "the callbacks run with it. Returns {steps, cancelled, resumed, last_loss,\n"
           "best_validation}; an exception in a callback (or Ctrl-C) stops and is re-raised.")
      .def("train_step", [](PyTrainer& self, py::handle captions, py::handle spans) {
             auto lock = self.lock();
             auto batch = records(captions, spans);
             py::gil_scoped_release nogil;
             return self.trainer->train_step(batch);
           }, py::arg("captions"), py::arg("spans") = py::none(),
           "One optimisation step on these captions (``spans``: optional keyword spans per caption).\n"
           "Returns the loss.")
      .def("evaluate", [](PyTrainer& self, py::handle captions, py::handle spans) {
             auto lock = self.lock();
             auto batch = records(captions, spans);
             py::gil_scoped_release nogil;
             return self.trainer->evaluate(batch);
           }, py::arg("captions"), py::arg("spans") = py::none(),
           "The loss of φ on these captions without updating it (no dropout, no noise).")
      .def("masked_caption", [](PyTrainer& self, const std::string& caption, int64_t step, int64_t index) {
             auto lock = self.lock();
             CaptionRecord r;
             r.text = caption;
             return self.trainer->masked_caption(r, step, index);
           }, py::arg("caption"), py::arg("step") = 0, py::arg("index") = 0,
           "The masked caption (with '$') that step ``step`` would train on for sample ``index``.")
      .def("save_checkpoint", [](PyTrainer& self, const std::string& path) {
             auto lock = self.lock();
             py::gil_scoped_release nogil;
             self.trainer->save_checkpoint(path);
           }, py::arg("path"), "Writes φ, the optimiser and the data position atomically.")
      .def("load_checkpoint", [](PyTrainer& self, const std::string& path) {
             auto lock = self.lock();
             py::gil_scoped_release nogil;
             self.trainer->load_checkpoint(path);
           }, py::arg("path"), "Restores a checkpoint (FormatError if incompatible).")
      .def_property_readonly("projector", [](PyTrainer& self) {
             auto lock = self.lock();
             return self.trainer->projector().clone();
           }, "A copy of the current φ.")
      .def_property_readonly("step", [](PyTrainer& self) {
             auto lock = self.lock();
             return self.trainer->step();
           }, "Optimisation steps done.")
      .def_property_readonly("options", [](PyTrainer& self) {
             auto lock = self.lock();
             return self.trainer->options();
           }, "A copy of the options.");
}

}  // namespace lincir::python
