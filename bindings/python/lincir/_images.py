"""Image inputs: everything the public API accepts, turned into what the native module takes.

The native module accepts, per image, a path (str), encoded bytes (bytes / bytearray /
memoryview), a uint8 numpy array (HxW or HxWxC, C in 1..4) or a tuple (uint8 array, Pillow mode).
Arrays and bytes are read in place, without the GIL; Pillow images become (array, mode) tuples
so that palette ("P") and bilevel ("1") images keep the resizing rule Pillow applies to them.
"""

import os

import numpy as np

try:  # Pillow is optional
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - exercised only without Pillow
    _PILImage = None

_DIRECT_MODES = ("L", "LA", "RGB", "RGBA")
_ALPHA_MODES = ("PA", "La", "RGBa")


def _is_pil(obj):
    return _PILImage is not None and isinstance(obj, _PILImage.Image)


def _pil_item(img):
    mode = img.mode
    if mode in _DIRECT_MODES:
        return (np.asarray(img), mode)
    if mode == "P":
        # Pillow resizes palette images with NEAREST whatever the filter: keep the mode.
        return (np.asarray(img.convert("RGB")), "P")
    if mode == "1":
        return (np.asarray(img, dtype=np.uint8) * np.uint8(255), "1")
    # Other modes (I;16, I, F, CMYK, YCbCr, ...): Pillow's own conversion.
    target = "RGBA" if mode in _ALPHA_MODES else "RGB"
    return (np.asarray(img.convert(target)), target)


def _item(obj):
    if isinstance(obj, str):
        return obj
    if isinstance(obj, os.PathLike):
        path = os.fspath(obj)
        return path if isinstance(path, str) else os.fsdecode(path)
    if _is_pil(obj):
        return _pil_item(obj)
    return obj  # arrays, bytes-likes, or anything else the native layer will reject by name


def _is_single(obj):
    if isinstance(obj, (str, os.PathLike, bytes, bytearray, memoryview)) or _is_pil(obj):
        return True
    if isinstance(obj, np.ndarray):
        return obj.ndim != 4
    return False


def image_items(images):
    """Returns the list of native image items for ``images`` (one image or a list of them).

    A 4-D uint8 array is a batch N x H x W x C (split into views, no copy); 2-D and 3-D arrays
    are one image.
    """
    if _is_single(images):
        return [_item(images)]
    if isinstance(images, np.ndarray):  # 4-D batch
        return [images[i] for i in range(images.shape[0])]
    try:
        seq = list(images)
    except TypeError:
        raise TypeError(
            "images must be a path, bytes, a PIL image, a uint8 numpy array or a list of them, "
            "got %s" % type(images).__name__) from None
    return [_item(x) for x in seq]
