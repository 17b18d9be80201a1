"""encode_text / encode_image / preprocess against openai/CLIP's outputs (tests/data/parity)."""

import os

import numpy as np

import lincir
from conftest import PARITY, load_json, read_safetensors

TOL = 1e-4  # ~30x the float32 noise measured on this data (parity/README.md)


def _text_ref():
    return load_json("text_cases.json"), read_safetensors(os.path.join(PARITY, "text_outputs.safetensors"))


def test_encode_text_matches_reference(model):
    cases, ref = _text_ref()
    out = model.encode_text(cases["texts"])
    assert out.dtype == np.float32
    assert out.shape == ref["text_features"].shape == (24, 64)
    np.testing.assert_allclose(out, ref["text_features"], atol=TOL, rtol=0)


def test_tokenize_and_encode_tokens_match_reference(model):
    cases, ref = _text_ref()
    tokens = model.tokenize(cases["texts"])
    assert tokens.dtype == np.int32 and tokens.shape == (24, 77)
    np.testing.assert_array_equal(tokens, ref["tokens"])
    np.testing.assert_array_equal(lincir.tokenize(cases["texts"]), ref["tokens"])
    np.testing.assert_allclose(model.encode_text(ref["tokens"]), ref["text_features"], atol=TOL, rtol=0)


def test_encode_text_normalize_and_single_string(model):
    cases, ref = _text_ref()
    one = model.encode_text(cases["texts"][1])
    assert one.shape == (1, 64)
    np.testing.assert_allclose(one[0], ref["text_features"][1], atol=TOL, rtol=0)
    unit = model.encode_text(cases["texts"], normalize=True)
    expected = ref["text_features"] / np.linalg.norm(ref["text_features"], axis=1, keepdims=True)
    np.testing.assert_allclose(unit, expected, atol=TOL, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    assert model.encode_text([]).shape == (0, 64)


def test_encode_image_paths_match_reference(model, png_paths, image_ref):
    out = model.encode_image(png_paths)
    assert out.dtype == np.float32 and out.shape == (9, 64)
    np.testing.assert_allclose(out, image_ref["png_batch.image_features"], atol=TOL, rtol=0)


def test_encode_image_hf_preprocessing_matches_reference(png_paths, image_ref):
    from conftest import CONFIG, WEIGHTS
    hf = lincir.load(WEIGHTS, config=CONFIG, preprocess="hf")
    np.testing.assert_allclose(hf.encode_image(png_paths), image_ref["png_batch_hfproc.image_features"],
                               atol=TOL, rtol=0)


def test_preprocess_and_encode_pixels(model, png_paths, image_ref):
    px = model.preprocess(png_paths)
    assert px.dtype == np.float32 and px.shape == (9, 3, 32, 32)
    np.testing.assert_allclose(px, image_ref["png_batch.pixel_values"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(lincir.preprocess(png_paths, size=32), px, atol=0, rtol=0)
    feats = model.encode_pixels(image_ref["png_batch.pixel_values"])
    np.testing.assert_allclose(feats, image_ref["png_batch.image_features"], atol=TOL, rtol=0)
    # float64 pixels are converted, not rejected
    np.testing.assert_allclose(model.encode_pixels(image_ref["random_input.pixel_values"].astype(np.float64)),
                               image_ref["random_input.image_features"], atol=TOL, rtol=0)


def test_model_properties(model, model_phi):
    assert model.embed_dim == 64 and model.image_resolution == 32 and model.context_length == 77
    assert model.config["transformer_heads"] == 4 or model.config.get("text_heads") == 4
    assert model.device == "cpu" and model.dtype == "float32"
    assert not model.has_phi and model.projector is None
    assert model_phi.has_phi and model_phi.projector.input_dim == 64 and model_phi.projector.output_dim == 32
    assert "embed_dim=64" in repr(model)
    assert isinstance(lincir.__version__, str) and lincir.__version__
