"""Bad inputs raise lincir's exceptions (or TypeError) with messages naming the problem."""

import os
import re
import struct

import numpy as np
import pytest

import lincir
from conftest import CONFIG, DATA, PHI, WEIGHTS


def test_exception_hierarchy():
    assert issubclass(lincir.LincirError, RuntimeError)
    for cls, builtin, status, code in [
            (lincir.InvalidArgumentError, ValueError, "invalid_argument", -1),
            (lincir.FileError, OSError, "io", -2),
            (lincir.FormatError, ValueError, "format", -3),
            (lincir.OutOfMemoryError, MemoryError, "out_of_memory", -4),
            (lincir.DeviceError, lincir.LincirError, "device", -5),
            (lincir.UnsupportedError, NotImplementedError, "unsupported", -6),
            (lincir.CancelledError, lincir.LincirError, "cancelled", -7),
            (lincir.InternalError, lincir.LincirError, "internal", -99)]:
        assert issubclass(cls, lincir.LincirError) and issubclass(cls, builtin)
        assert cls.status == status and cls.code == code
        assert cls.__module__ == "lincir" and cls.__doc__


def test_image_inputs(model, tmp_path):
    with pytest.raises(TypeError, match=r"images\[0\].*uint8.*float32.*encode_pixels"):
        model.encode_image(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"images\[0\].*channels.*\(8, 8, 5\)"):
        model.encode_image(np.zeros((8, 8, 5), np.uint8))
    with pytest.raises(ValueError, match=r"images\[0\].*HxW"):
        model.encode_image([np.zeros((2, 8, 8, 3), np.uint8)])
    with pytest.raises(lincir.InvalidArgumentError, match="bad image size"):
        model.encode_image(np.zeros((0, 8, 3), np.uint8))
    missing = str(tmp_path / "nope.png")
    with pytest.raises(lincir.FileError, match=r"images\[1\].*nope\.png") as e:
        model.encode_image([np.zeros((8, 8), np.uint8), missing])
    assert isinstance(e.value, OSError)
    with pytest.raises(lincir.FormatError, match=r"images\[0\]"):
        model.encode_image(b"\x89PNG\r\n\x1a\n this is not really a png")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"garbage" * 20)
    with pytest.raises(lincir.FormatError, match="bad.jpg"):
        model.encode_image(str(bad))
    with pytest.raises(TypeError, match=r"images\[0\].*int"):
        model.encode_image([42])
    with pytest.raises(TypeError, match="images must be"):
        model.encode_image(42)
    with pytest.raises(ValueError, match="shape \\(N, 3, 32, 32\\)"):
        model.encode_pixels(np.zeros((1, 3, 16, 16), np.float32))


def test_text_inputs(model):
    with pytest.raises(TypeError, match=r"texts\[1\] must be str"):
        model.encode_text(["ok", 3])
    with pytest.raises(TypeError, match="bytes"):
        model.encode_text(b"bytes")
    with pytest.raises(lincir.InvalidArgumentError):
        model.tokenize(["word " * 100], truncate=False)
    with pytest.raises(lincir.InvalidArgumentError, match="context_length"):
        model.encode_text(np.zeros((1, 100), np.int32))
    with pytest.raises(TypeError, match="integer"):
        model.clip.encode_tokens(np.zeros((1, 77), np.float32))


def test_loading(tmp_path):
    with pytest.raises(lincir.FileError, match="missing.safetensors"):
        lincir.load(str(tmp_path / "missing.safetensors"), config=CONFIG)
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\xff" * 64)
    with pytest.raises(lincir.FormatError, match="corrupt.safetensors"):
        lincir.load(str(corrupt), config=CONFIG)
    with pytest.raises(lincir.FormatError, match="phi_weights|clip|key|tensor"):
        lincir.load(PHI, config=CONFIG)  # a projector is not a CLIP model
    with pytest.raises(lincir.InvalidArgumentError, match="device|gpu"):
        lincir.load(WEIGHTS, config=CONFIG, device="gpu")
    with pytest.raises(lincir.InvalidArgumentError, match="preprocess"):
        lincir.load(WEIGHTS, config=CONFIG, preprocess="bilinear")
    with pytest.raises(lincir.FileError, match="nophi"):
        lincir.load(WEIGHTS, config=CONFIG, phi=str(tmp_path / "nophi.safetensors"))
    with pytest.raises(lincir.InvalidArgumentError, match="64|input"):
        # a φ whose input size does not match the model's embedding size
        lincir.load(WEIGHTS, config=CONFIG, phi=lincir.Projector(input_dim=10, output_dim=32))
    with pytest.raises(lincir.FileError, match="nophi"):
        lincir.Projector.load(str(tmp_path / "nophi.safetensors"))
    with pytest.raises(lincir.FormatError):
        lincir.Projector.load(str(corrupt))
    with pytest.raises(lincir.InvalidArgumentError, match="kind|unknown"):
        lincir.Projector(kind="nope")


# ---- issue 9 item 6: every class of docs/errors.md through Python ----

def _rle8_bmp():
    """A 1x1 8-bit BMP with BI_RLE8 compression (docs/errors.md: unsupported)."""
    off = 14 + 40 + 1024
    bmp = bytearray(off + 4)
    bmp[0:2] = b"BM"
    for at, v in [(2, len(bmp)), (10, off), (14, 40), (18, 1), (22, 1), (30, 1), (34, 4)]:
        bmp[at:at + 4] = struct.pack("<I", v)
    bmp[26] = 1  # planes
    bmp[28] = 8  # bits per pixel
    bmp[off:off + 4] = bytes([1, 0, 0, 1])  # one pixel of colour 0, end of bitmap
    return bytes(bmp)


def test_none_arguments_are_type_errors(model_phi):
    """The Python form of NULL: None where a path, array, text or model is expected."""
    model = model_phi
    g = lincir.Gallery(model.embed_dim)
    for call in [lambda: lincir.load(None, config=CONFIG),
                 lambda: lincir.Gallery.load(None),
                 lambda: lincir.Projector.load(None),
                 lambda: g.add(None),
                 lambda: g.search(None, k=1),
                 lambda: model.encode_image(None),
                 lambda: model.encode_text(None),
                 lambda: model.compose(None, "a photo of $"),
                 lambda: model.compose(np.zeros((8, 8, 3), np.uint8), None),
                 lambda: model.compose_embeddings(None, ["a photo of $"]),
                 lambda: lincir.Trainer(None)]:
        with pytest.raises(TypeError):
            call()
    assert len(g) == 0


def test_wrong_dimensions_and_dtypes(model_phi):
    model = model_phi
    g = lincir.Gallery(model.embed_dim)
    with pytest.raises(lincir.InvalidArgumentError, match="63 columns"):
        model.compose_embeddings(np.ones((1, 63), np.float32), ["a photo of $"])
    with pytest.raises(lincir.InvalidArgumentError, match="10 columns"):
        model.projector(np.zeros((1, 10), np.float32))
    with pytest.raises(lincir.InvalidArgumentError, match="columns"):
        g.add(np.ones((1, model.embed_dim + 1), np.float32))
    assert len(g) == 0
    # Non-numeric arrays are rejected; other numeric dtypes are converted to float32 once
    # (docs/python.md), so they give exactly the float32 answer.
    with pytest.raises(TypeError, match="real numbers"):
        g.add(np.array([["x"] * model.embed_dim]))
    with pytest.raises(TypeError, match="uint8.*float64"):
        model.encode_image(np.zeros((8, 8, 3), np.float64))
    ref = np.random.default_rng(0).standard_normal((2, model.embed_dim))
    np.testing.assert_array_equal(model.compose_embeddings(ref, ["a $", "b $"]),
                                  model.compose_embeddings(ref.astype(np.float32), ["a $", "b $"]))


def test_devices_and_compute_dtypes():
    with pytest.raises(lincir.DeviceError, match="cuda:999") as e:
        lincir.load(WEIGHTS, config=CONFIG, device="cuda:999")
    assert e.value.status == "device" and e.value.code == -5
    with pytest.raises(lincir.InvalidArgumentError, match="tpu"):
        lincir.load(WEIGHTS, config=CONFIG, device="tpu")
    with pytest.raises(lincir.InvalidArgumentError, match="float64"):
        lincir.load(WEIGHTS, config=CONFIG, dtype="float64")
    if not lincir.cuda_available():
        with pytest.raises(lincir.UnsupportedError, match="float16") as e:
            lincir.load(WEIGHTS, config=CONFIG, dtype="float16")
        assert isinstance(e.value, NotImplementedError) and e.value.code == -6


def test_unreadable_paths(model_phi, tmp_path):
    """Missing files, a directory where a file is expected, writes into a missing directory."""
    model = model_phi
    missing = str(tmp_path / "missing" / "file")
    for call in [lambda: lincir.load(missing, config=CONFIG),
                 lambda: lincir.load(WEIGHTS, config=missing),
                 lambda: lincir.Gallery.load(missing),
                 lambda: lincir.Projector.load(missing),
                 lambda: model.encode_image(missing)]:
        with pytest.raises(lincir.FileError, match="missing") as e:
            call()
        assert isinstance(e.value, OSError) and e.value.code == -2
    folder = str(tmp_path)
    for call in [lambda: lincir.Gallery.load(folder), lambda: lincir.Projector.load(folder)]:
        with pytest.raises(lincir.FileError, match=re.escape(folder)):
            call()
    g = lincir.Gallery(4)
    with pytest.raises(lincir.FileError, match="missing"):
        g.save(str(tmp_path / "missing" / "g.lcg"))
    with pytest.raises(lincir.FileError, match="missing"):
        model.projector.save(str(tmp_path / "missing" / "phi.safetensors"))
    assert sorted(os.listdir(tmp_path)) == []  # no temporary file left behind


def test_files_of_the_wrong_kind(model, tmp_path):
    png = os.path.join(DATA, "images", "formats", "rgb16.png")
    g = lincir.Gallery(4)
    g.add(np.eye(4, dtype=np.float32)[:2])
    gal = str(tmp_path / "g.lcg")
    g.save(gal)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    cases = [
        (lambda: lincir.load(gal, config=CONFIG), gal),           # gallery as CLIP weights
        (lambda: lincir.load(png, config=CONFIG), png),           # image as CLIP weights
        (lambda: lincir.load(WEIGHTS, config=png), png),          # image as a config
        (lambda: lincir.load(WEIGHTS, config=CONFIG, phi=png), png),  # image as φ
        (lambda: lincir.Projector.load(WEIGHTS), WEIGHTS),        # CLIP weights as φ
        (lambda: lincir.Projector.load(gal), gal),                # gallery as φ
        (lambda: lincir.Projector.load(str(empty)), "empty"),     # empty φ
        (lambda: lincir.Gallery.load(PHI), PHI),                  # φ as gallery
        (lambda: lincir.Gallery.load(png), png),                  # image as gallery
        (lambda: lincir.Gallery.load(str(empty)), "empty"),       # empty gallery
        (lambda: model.encode_image(gal), gal),                   # gallery as image
        (lambda: model.encode_image(CONFIG), CONFIG),             # JSON as image
        (lambda: model.encode_image(b""), "empty"),               # no bytes
    ]
    for call, needle in cases:
        with pytest.raises(lincir.FormatError, match=re.escape(needle)) as e:
            call()
        assert e.value.status == "format" and e.value.code == -3


def test_unsupported_inputs(model, tmp_path):
    with pytest.raises(lincir.UnsupportedError):
        model.encode_image(_rle8_bmp())
    legacy = tmp_path / "legacy.pt"  # pre-1.6 torch.save: a bare pickle stream
    legacy.write_bytes(bytes([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a,
                              0xa8, 0x50, 0x19, 0x2e]))
    with pytest.raises(lincir.UnsupportedError, match="legacy"):
        lincir.Projector.load(str(legacy))
