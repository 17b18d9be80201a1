"""lincir.load and lincir.Model: CLIP encoders plus the LinCIR composer, numpy in and out."""

import json
import os

import numpy as np

from . import _lincir
from ._images import image_items

_PRESETS = None


def _texts(texts, what="texts"):
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("%s must be str or a list of str, got bytes (decode it first)" % what)
    try:
        return list(texts)
    except TypeError:
        raise TypeError("%s must be str or a list of str, got %s" % (what, type(texts).__name__)) from None


def _config_args(config):
    """Maps load(config=...) to the native keyword arguments."""
    global _PRESETS
    if config is None:
        return {}
    if isinstance(config, dict):
        return {"config_json": json.dumps(config)}
    if isinstance(config, os.PathLike):
        return {"config_path": os.fspath(config)}
    if not isinstance(config, str):
        raise TypeError("config must be None, a dict, a JSON string, a preset name or a path, got %s"
                        % type(config).__name__)
    if config.lstrip().startswith("{"):
        return {"config_json": config}
    if _PRESETS is None:
        _PRESETS = set(_lincir.ClipModel.preset_names())
    if config in _PRESETS or config.replace("/", "-") in _PRESETS:
        return {"preset": config}
    return {"config_path": config}


class Model:
    """A CLIP model, optionally with the projector φ that composes queries.

    Created by :func:`lincir.load`. Every encoder takes plain Python/numpy inputs, releases the
    GIL while the C++ core runs (so several threads can encode at once) and returns a float32
    numpy array with one row per input, ``(N, D)``, even for a single input.

    Image inputs, alone or in a list: a path (``str`` or ``os.PathLike``), encoded file bytes
    (``bytes``, ``bytearray``, ``memoryview``), a ``PIL.Image.Image`` (any mode), or a uint8
    numpy array HxW (gray) or HxWxC with C = 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA); a 4-D uint8
    array N x H x W x C is a batch. Arrays are read in place (rows may be strided, e.g. a crop);
    other layouts are copied once. Float arrays are rejected: use :meth:`encode_pixels` for
    preprocessed pixels.

    Thread safety: all methods may be called concurrently. Do not modify an input array while a
    call that reads it is running in another thread.
    """

    def __init__(self, clip, composer=None, preprocess="openai", batch_size=32):
        """Wraps native objects; use :func:`lincir.load` instead."""
        self._clip = clip
        self._composer = composer
        self._preprocess = preprocess
        self._batch_size = int(batch_size)

    # ---- properties ----
    @property
    def clip(self):
        """The native :class:`lincir.ClipModel`."""
        return self._clip

    @property
    def composer(self):
        """The native :class:`lincir.Composer`, or None without φ."""
        return self._composer

    @property
    def has_phi(self):
        """True when the model can compose (a projector was loaded)."""
        return self._composer is not None

    @property
    def projector(self):
        """A copy of the projector φ (:class:`lincir.Projector`), or None."""
        return None if self._composer is None else self._composer.projector

    @property
    def config(self):
        """The CLIP architecture as a dict (openai/CLIP build_model names)."""
        return json.loads(self._clip.config_json)

    @property
    def embed_dim(self):
        """Dimension D of every embedding this model returns."""
        return self._clip.embed_dim

    @property
    def image_resolution(self):
        """Side R of the square input of the image tower."""
        return self._clip.image_resolution

    @property
    def context_length(self):
        """Token positions of the text tower (77 for CLIP)."""
        return self._clip.context_length

    @property
    def device(self):
        """'cpu' or 'cuda:N'."""
        return self._clip.device

    @property
    def dtype(self):
        """Compute precision: 'float32', 'bfloat16' or 'float16'."""
        return self._clip.dtype

    @property
    def preprocess_mode(self):
        """'openai' (clip._transform) or 'hf' (CLIPImageProcessor)."""
        return self._preprocess

    def __repr__(self):
        return "lincir.Model(embed_dim=%d, image_resolution=%d, device=%r, dtype=%r, phi=%s)" % (
            self.embed_dim, self.image_resolution, self.device, self.dtype,
            repr(self.projector) if self.has_phi else "None")

    # ---- encoders ----
    def encode_image(self, images, normalize=False):
        """CLIP image features, float32 ``(N, embed_dim)``.

        ``images``: one image or a list (see the class docstring). ``normalize``: L2-normalise
        the rows (for cosine similarity). Raises FileError for unreadable files, FormatError for
        corrupt ones, TypeError / InvalidArgumentError for bad arrays (naming ``images[i]``).
        """
        return self._clip.encode_images(image_items(images), preprocess=self._preprocess,
                                        normalize=normalize, chunk=self._batch_size)

    def encode_text(self, texts, normalize=False):
        """CLIP text features, float32 ``(N, embed_dim)``.

        ``texts``: a str, a list of str, or an integer array of token ids ``(N, L)`` as
        :meth:`tokenize` returns. Texts longer than the context are truncated (clip.tokenize).
        """
        if isinstance(texts, np.ndarray) and texts.dtype.kind in "iu":
            return self._clip.encode_tokens(texts, normalize=normalize)
        return self._clip.encode_text(_texts(texts), normalize=normalize)

    def encode_pixels(self, pixels, normalize=False):
        """Image features of preprocessed pixels, float32 ``(N, 3, R, R)`` with R the image
        resolution (e.g. from :meth:`preprocess`)."""
        return self._clip.encode_pixels(pixels, normalize=normalize)

    def preprocess(self, images):
        """The model's preprocessing: float32 ``(N, 3, R, R)`` normalised pixels."""
        return _lincir.preprocess(image_items(images), size=self.image_resolution, mode=self._preprocess)

    def tokenize(self, texts, context_length=None, truncate=True):
        """clip.tokenize: int32 ``(N, context_length)`` (default: the model's context length)."""
        n = self.context_length if context_length is None else int(context_length)
        return self._clip.tokenizer.tokenize(_texts(texts), n, truncate)

    # ---- composed queries ----
    def _need_phi(self):
        if self._composer is None:
            raise _lincir.LincirError(
                "this model has no projector φ: pass phi=<path> to lincir.load to compose queries")
        return self._composer

    def compose(self, images, texts, template=None):
        """Composed-query features (reference image + modification text), unit rows
        ``(N, embed_dim)``, to search a gallery of image embeddings by cosine similarity.

        ``texts`` hold the marker ``$`` where the image goes ("a photo of $ that is red"), or,
        with ``template`` (e.g. ``"a photo of $ that {}"``), are put into it first. Pair one text
        per image, one text for all images, or one image for all texts. Needs φ.
        """
        composer = self._need_phi()
        items = image_items(images)
        t = _texts(texts)
        tmpl = "" if template is None else template
        if len(items) == 1 and len(t) > 1:  # one image, many texts: encode it once
            emb = self._clip.encode_images(items, preprocess=self._preprocess, chunk=1)
            return composer.compose_embeddings(np.repeat(emb, len(t), axis=0), t, tmpl)
        return composer.compose(items, t, tmpl, chunk=self._batch_size)

    def compose_embeddings(self, image_embeddings, texts, template=None):
        """Like :meth:`compose` from un-normalised image embeddings ``(N, embed_dim)`` as
        :meth:`encode_image` returns them (e.g. cached)."""
        return self._need_phi().compose_embeddings(image_embeddings, _texts(texts),
                                                   "" if template is None else template)


def load(clip_path, phi=None, config=None, device="cpu", dtype="float32", preprocess="openai",
         batch_size=32, phi_kind=None, injection=None, marker="$"):
    """Loads a CLIP model and, optionally, a projector φ. Returns a :class:`Model`.

    ``clip_path``: a .safetensors file (OpenAI/OpenCLIP or HuggingFace key names), a HuggingFace
    or OpenCLIP folder, or an OpenAI TorchScript ``.pt``. ``config``: the architecture when the
    weights do not carry one: a preset name ("ViT-L-14", see ``ClipModel.preset_names()``), a
    dict, a JSON string or the path of a JSON file. ``phi``: a projector file (lincir
    safetensors or a LinCIR / SEARLE / Pic2Word torch checkpoint) or a :class:`Projector`.
    ``device``: "cpu", "cuda", "cuda:1". ``dtype``: "float32", "bfloat16" or "float16" (CUDA).
    ``preprocess``: "openai" (clip._transform) or "hf" (CLIPImageProcessor, which LinCIR's
    evaluation uses). ``phi_kind``: "lincir", "searle" or "pic2word" when the file cannot tell;
    ``injection`` and ``marker`` override the composer's defaults. Releases the GIL while loading.
    """
    if preprocess not in ("openai", "hf"):
        raise _lincir.InvalidArgumentError("preprocess must be 'openai' or 'hf', got %r" % (preprocess,))
    clip = _lincir.ClipModel.load(os.fspath(clip_path), device=device, dtype=dtype,
                                  batch_size=int(batch_size), **_config_args(config))
    composer = None
    if phi is not None:
        if isinstance(phi, _lincir.Projector):
            projector = phi
        else:
            projector = _lincir.Projector.load(os.fspath(phi), kind=phi_kind or "",
                                               expect_input_dim=clip.embed_dim,
                                               expect_output_dim=clip.text_width)
        composer = _lincir.Composer(clip, projector, injection=injection or "", marker=marker,
                                    preprocess=preprocess, batch_size=int(batch_size))
    return Model(clip, composer, preprocess=preprocess, batch_size=batch_size)
