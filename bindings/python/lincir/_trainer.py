"""lincir.Trainer: LinCIR's caption-only training of the projector φ."""

import os

from . import _lincir
from ._model import Model, _texts
from ._progress import make_progress

_OPTION_DOCS = {
    "steps": "optimisation steps (1000)",
    "batch_size": "captions per step and process (64)",
    "lr": "AdamW learning rate (1e-4)",
    "weight_decay": "AdamW weight decay (0.01)",
    "beta1": "AdamW beta1 (0.9)",
    "beta2": "AdamW beta2 (0.999)",
    "eps": "AdamW epsilon (1e-8)",
    "warmup_steps": "linear warm-up steps (0)",
    "cosine": "cosine decay after warm-up (False: constant)",
    "min_lr_ratio": "cosine floor as a fraction of lr (0)",
    "grad_clip": "max global gradient norm, 0 = off",
    "noise_scale": "scale of LinCIR's u*eps noise, 0 = off (1)",
    "mask_mode": "'keywords' (LinCIR), 'caption' ('a photo of $') or 'mix'",
    "mix_ratio": "probability of the whole-caption mask with mask_mode='mix' (0.5)",
    "seed": "seed of φ's initialisation, noise, dropout and masks (0)",
    "bf16": "bfloat16 autocast for the towers (False)",
    "dropout": "φ dropout, < 0 = 0.5",
    "checkpoint_path": "checkpoint file ('' = none); fit resumes from it",
    "checkpoint_every": "steps between checkpoints, 0 = at the end only",
    "resume": "resume from checkpoint_path when it exists (True)",
    "validate_every": "steps between calls of fit's validate callback (0 = never)",
    "best_path": "where the best φ by validation is written ('' = nowhere)",
    "caption_field": "jsonl key / csv column of the caption ('caption')",
    "spans_field": "jsonl key of precomputed keyword spans ('spans')",
    "shuffle_buffer": "records in the shuffle buffer (10000; 0 or 1 = file order)",
    "data_seed": "seed of the data order (0 = seed)",
    "rank": "data-parallel rank (0)",
    "world_size": "data-parallel processes (1)",
    "master_addr": "rendezvous address ('127.0.0.1')",
    "master_port": "rendezvous port (29500)",
    "timeout_seconds": "collective timeout (300)",
}


def _native_clip(model):
    if isinstance(model, Model):
        return model.clip
    if isinstance(model, _lincir.ClipModel):
        return model
    raise TypeError("model must be a lincir.Model or lincir.ClipModel, got %s" % type(model).__name__)


class Trainer:
    """Trains the projector φ from captions alone (LinCIR, Gu et al., CVPR 2024) with the
    model's frozen text tower.

    ``Trainer(model, init=None, **options)``: ``model`` is a :class:`lincir.Model` (or native
    ClipModel); ``init`` an optional :class:`Projector` to start from (else a fresh one from
    ``seed``); options (defaults in brackets)::

    %s

    Unknown options raise TypeError; invalid values InvalidArgumentError. A Trainer is used by
    one thread at a time (another thread gets InvalidArgumentError while ``fit`` runs).
    """

    def __init__(self, model, init=None, **options):
        """See the class docstring for the options."""
        opts = _lincir.TrainerOptions()
        if "betas" in options:
            options["beta1"], options["beta2"] = options.pop("betas")
        for name, value in options.items():
            if name not in _OPTION_DOCS:
                raise TypeError("unknown Trainer option %r; valid options: %s"
                                % (name, ", ".join(sorted(_OPTION_DOCS))))
            if name in ("checkpoint_path", "best_path") and value is not None:
                value = os.fspath(value)
            setattr(opts, name, value)
        self._native = _lincir.Trainer(_native_clip(model), opts, init)

    def fit(self, captions_path, progress=True, callback=None, validate=None):
        """Trains until ``steps`` (resuming from ``checkpoint_path`` when it exists).

        ``captions_path``: a caption file (.txt one per line, .jsonl with ``caption_field``,
        .csv/.tsv, optionally .gz) or a folder of them. ``progress``: True shows a progress bar
        on stderr (tqdm when installed; a redrawn line on a terminal; plain lines otherwise),
        False nothing, or a text stream to write to. ``callback(p)`` runs after every step with
        a :class:`TrainerProgress` (``step``, ``total_steps``, ``loss``, ``lr``, ...); returning
        False stops training. ``validate(projector) -> float`` runs every ``validate_every``
        steps (higher is better). The C++ loop runs without the GIL; callbacks hold it. Ctrl-C
        or an exception in a callback stops training (a checkpoint is written if configured) and
        is re-raised. Returns a dict: steps, cancelled, resumed, last_loss, best_validation.
        """
        bar = make_progress(progress)

        def on_step(p):
            if bar is not None:
                bar.update(p)
            if callback is not None:
                return callback(p)
            return True

        try:
            return self._native.fit(os.fspath(captions_path), on_step, validate)
        finally:
            if bar is not None:
                bar.close()

    def train_step(self, captions, spans=None):
        """One optimisation step on these captions (a list of str; ``spans``: optional keyword
        spans per caption, as lists of str). Returns the loss."""
        return self._native.train_step(_texts(captions, "captions"), spans)

    def evaluate(self, captions, spans=None):
        """The loss of the current φ on these captions, without updating it (no dropout, no
        noise): for monitoring."""
        return self._native.evaluate(_texts(captions, "captions"), spans)

    def masked_caption(self, caption, step=0, index=0):
        """The masked caption (keyword spans replaced by ``$``) a step would train on."""
        return self._native.masked_caption(caption, step, index)

    @property
    def projector(self):
        """A copy of the current φ (:class:`lincir.Projector`)."""
        return self._native.projector

    @property
    def step(self):
        """Optimisation steps done."""
        return self._native.step

    @property
    def options(self):
        """The options as a dict."""
        o = self._native.options
        return {name: getattr(o, name) for name in _OPTION_DOCS}

    def save_projector(self, path):
        """Writes the current φ (lincir safetensors) atomically; load it with Projector.load or
        lincir.load(..., phi=path)."""
        self._native.projector.save(os.fspath(path), self._native.step)

    def save_checkpoint(self, path):
        """Writes φ, the optimiser state and the data position (for resuming) atomically."""
        self._native.save_checkpoint(os.fspath(path))

    def load_checkpoint(self, path):
        """Restores a checkpoint written by save_checkpoint / fit."""
        self._native.load_checkpoint(os.fspath(path))


Trainer.__doc__ = Trainer.__doc__ % "\n    ".join(
    "%-17s %s" % (k, v) for k, v in _OPTION_DOCS.items())
