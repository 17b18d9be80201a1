"""Bad inputs raise lincir's exceptions (or TypeError) with messages naming the problem."""

import numpy as np
import pytest

import lincir
from conftest import CONFIG, PHI, WEIGHTS


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
