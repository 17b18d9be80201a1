"""Every image input form gives the features of the file it came from."""

import io
import pathlib

import numpy as np
import pytest
from PIL import Image

import lincir

TOL = 1e-4


def test_pil_numpy_bytes_and_paths_agree(model, png_paths, image_ref):
    ref = image_ref["png_batch.image_features"]
    pil = [Image.open(p) for p in png_paths]  # RGB, L, RGBA and P (palette) images
    assert {im.mode for im in pil} >= {"RGB", "L", "RGBA", "P"}
    np.testing.assert_allclose(model.encode_image(pil), ref, atol=TOL, rtol=0)
    raw = [open(p, "rb").read() for p in png_paths]
    np.testing.assert_allclose(model.encode_image(raw), ref, atol=TOL, rtol=0)
    np.testing.assert_allclose(model.encode_image([bytearray(b) for b in raw]), ref, atol=TOL, rtol=0)
    np.testing.assert_allclose(model.encode_image([memoryview(b) for b in raw]), ref, atol=TOL, rtol=0)
    np.testing.assert_allclose(model.encode_image([pathlib.Path(p) for p in png_paths]), ref, atol=TOL, rtol=0)
    # A mixed list, in order.
    mixed = [png_paths[0], raw[1], pil[2], np.asarray(pil[3]), pathlib.Path(png_paths[4])]
    np.testing.assert_allclose(model.encode_image(mixed), ref[:5], atol=TOL, rtol=0)


def test_numpy_arrays_of_every_channel_count(model, png_paths, image_ref):
    ref = image_ref["png_batch.image_features"]
    names = [pathlib.Path(p).stem for p in png_paths]
    for i, name in enumerate(names):
        im = Image.open(png_paths[i])
        if im.mode == "P":
            continue  # its pixels need the mode: covered by the PIL test
        arr = np.asarray(im)  # HxW (L), HxWx3, HxWx4
        out = model.encode_image(arr)
        assert out.shape == (1, 64), name
        np.testing.assert_allclose(out[0], ref[i], atol=TOL, rtol=0, err_msg=name)
    gray = np.asarray(Image.open(png_paths[names.index("gray_L_33x47")]))
    np.testing.assert_allclose(model.encode_image(gray[:, :, None]),  # HxWx1 is gray too
                               model.encode_image(gray), atol=0, rtol=0)


def test_single_image_forms_return_one_row(model, png_paths, image_ref):
    ref = image_ref["png_batch.image_features"][0]
    for single in (png_paths[0], pathlib.Path(png_paths[0]), open(png_paths[0], "rb").read(),
                   Image.open(png_paths[0]), np.asarray(Image.open(png_paths[0]))):
        out = model.encode_image(single)
        assert out.shape == (1, 64)
        np.testing.assert_allclose(out[0], ref, atol=TOL, rtol=0)


def test_batch_array_and_strided_views(model):
    rng = np.random.default_rng(7)
    batch = rng.integers(0, 256, size=(3, 40, 36, 3), dtype=np.uint8)
    per_image = model.encode_image([batch[i].copy() for i in range(3)])
    np.testing.assert_allclose(model.encode_image(batch), per_image, atol=0, rtol=0)
    # A crop of a larger array has strided rows: read in place, same result as a packed copy.
    big = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    crop = big[5:45, 7:43]
    assert not crop.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(model.encode_image(crop), model.encode_image(np.ascontiguousarray(crop)),
                               atol=0, rtol=0)
    # Reversed channels (BGR view) and a transposed view cannot be read in place: copied.
    bgr = big[:, :, ::-1]
    np.testing.assert_allclose(model.encode_image(bgr), model.encode_image(np.ascontiguousarray(bgr)),
                               atol=0, rtol=0)
    tr = big.transpose(1, 0, 2)
    np.testing.assert_allclose(model.encode_image(tr), model.encode_image(np.ascontiguousarray(tr)),
                               atol=0, rtol=0)
    # The input array is not modified.
    before = big.copy()
    model.encode_image(big)
    np.testing.assert_array_equal(big, before)


def test_pil_modes_without_a_direct_layout(model):
    rng = np.random.default_rng(3)
    rgb = Image.fromarray(rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8), "RGB")
    cmyk = rgb.convert("CMYK")
    np.testing.assert_allclose(model.encode_image(cmyk), model.encode_image(cmyk.convert("RGB")),
                               atol=0, rtol=0)
    bilevel = rgb.convert("1")
    # Pillow's "1" pixels are 0/255; the same picture as 8-bit gray with NEAREST resizing.
    out = model.encode_image(bilevel)
    assert out.shape == (1, 64) and np.isfinite(out).all()
    buf = io.BytesIO()
    bilevel.save(buf, format="PNG")  # a 1-bit PNG decodes as a bilevel image too
    np.testing.assert_allclose(model.encode_image(buf.getvalue()), out, atol=TOL, rtol=0)
