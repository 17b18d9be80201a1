"""lincir: zero-shot composed image retrieval (LinCIR, Gu et al., CVPR 2024) on a C++ core.

Quick start::

    import lincir
    model = lincir.load("ViT-L-14.safetensors", phi="lincir_large.pt")
    gallery = lincir.Gallery(model.embed_dim)
    gallery.add(model.encode_image(image_paths), names=image_paths)
    query = model.compose("dress.jpg", "a photo of $ that is red and sleeveless")
    scores, ids = gallery.search(query, k=10)

Every array returned is a float32 (or int) numpy array with one row per input. Heavy calls
release the GIL. Errors from the core are :class:`LincirError` subclasses carrying the core's
message: InvalidArgumentError (also ValueError), FileError (also OSError), FormatError (also
ValueError), UnsupportedError (also NotImplementedError), DeviceError, OutOfMemoryError (also
MemoryError), CancelledError, InternalError; each has ``status`` and ``code`` attributes.
See docs/python.md.
"""

from . import _lincir
from ._lincir import (
    CancelledError,
    ClipModel,
    Composer,
    DeviceError,
    FileError,
    FormatError,
    Gallery,
    InternalError,
    InvalidArgumentError,
    KeywordExtractor,
    KeywordSpan,
    LincirError,
    OutOfMemoryError,
    Projector,
    Tokenizer,
    TrainerProgress,
    UnsupportedError,
    build_info,
    cuda_available,
    mask_spans,
    normalize,
    normalize_caption,
    num_threads,
    set_num_threads,
)
from ._images import image_items as _image_items
from ._model import Model, load
from ._trainer import Trainer

__version__ = _lincir.version()

_default_tokenizer = None


def tokenize(texts, context_length=77, truncate=True):
    """clip.tokenize with the standard CLIP vocabulary: int32 ``(N, context_length)``."""
    global _default_tokenizer
    if _default_tokenizer is None:
        _default_tokenizer = Tokenizer()
    if isinstance(texts, str):
        texts = [texts]
    return _default_tokenizer.tokenize(list(texts), context_length, truncate)


def preprocess(images, size=224, mode="openai"):
    """CLIP preprocessing of one image or a list (same inputs as Model.encode_image) into
    normalised float32 pixels ``(N, 3, size, size)``; ``mode`` 'openai' or 'hf'."""
    return _lincir.preprocess(_image_items(images), size=size, mode=mode)


__all__ = [
    "load", "Model", "Gallery", "Trainer", "Projector", "Tokenizer", "ClipModel", "Composer",
    "KeywordExtractor", "KeywordSpan", "TrainerProgress", "tokenize", "preprocess", "normalize",
    "normalize_caption", "mask_spans", "set_num_threads", "num_threads", "cuda_available",
    "build_info", "LincirError", "InvalidArgumentError", "FileError", "FormatError",
    "OutOfMemoryError", "DeviceError", "UnsupportedError", "CancelledError", "InternalError",
]
