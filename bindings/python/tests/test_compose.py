"""compose / Projector against navervision/lincir's outputs (tests/data/parity phi_*)."""

import os

import numpy as np
import pytest

import lincir
from conftest import CONFIG, PARITY, PHI, WEIGHTS, load_json, read_safetensors

TOL = 1e-4


@pytest.fixture(scope="module")
def phi_ref():
    return load_json("phi_cases.json"), read_safetensors(os.path.join(PARITY, "phi_outputs.safetensors"))


def _e2e_images(cases):
    return [os.path.join(PARITY, "images", n + ".png") for n in cases["e2e"]["image_names"]]


def test_compose_matches_reference(model_phi, phi_ref):
    cases, ref = phi_ref
    texts = cases["e2e"]["texts"]
    out = model_phi.compose(_e2e_images(cases), texts)
    assert out.dtype == np.float32 and out.shape == (3, 64)
    np.testing.assert_allclose(out, ref["e2e.query_features_normalized"], atol=TOL, rtol=0)
    # From cached (un-normalised) image embeddings.
    np.testing.assert_allclose(model_phi.compose_embeddings(ref["e2e.image_features"], texts),
                               ref["e2e.query_features_normalized"], atol=TOL, rtol=0)
    # Modification texts put into a template.
    mods = [t[len("a photo of $ that "):] for t in texts]
    np.testing.assert_allclose(model_phi.compose(_e2e_images(cases), mods, template="a photo of $ that {}"),
                               ref["e2e.query_features_normalized"], atol=TOL, rtol=0)


def test_compose_broadcasting(model_phi, phi_ref):
    cases, ref = phi_ref
    images = _e2e_images(cases)
    texts = cases["e2e"]["texts"]
    one_text = model_phi.compose(images, texts[0])
    np.testing.assert_allclose(one_text, model_phi.compose(images, [texts[0]] * 3), atol=1e-6, rtol=0)
    one_image = model_phi.compose(images[1], texts)
    np.testing.assert_allclose(one_image, model_phi.compose([images[1]] * 3, texts), atol=1e-6, rtol=0)
    np.testing.assert_allclose(one_image[1], ref["e2e.query_features_normalized"][1], atol=TOL, rtol=0)


def test_projector_forward_and_round_trip(phi_ref, tmp_path):
    _, ref = phi_ref
    phi = lincir.Projector.load(PHI)
    assert (phi.kind, phi.input_dim, phi.hidden_dim, phi.output_dim) == ("lincir", 64, 256, 32)
    out = phi(ref["phi_input"])
    np.testing.assert_allclose(out, ref["phi_output"], atol=TOL, rtol=0)
    path = str(tmp_path / "phi.safetensors")
    phi.save(path)
    again = lincir.Projector.load(path)
    np.testing.assert_array_equal(again.forward(ref["phi_input"]), out)
    # A Projector object can be passed to load() instead of a path.
    m = lincir.load(WEIGHTS, config=CONFIG, phi=again)
    np.testing.assert_allclose(m.compose_embeddings(ref["e2e.image_features"], load_json("phi_cases.json")["e2e"]["texts"]),
                               ref["e2e.query_features_normalized"], atol=TOL, rtol=0)


def test_compose_errors(model, model_phi):
    with pytest.raises(lincir.LincirError, match="no projector"):
        model.compose(np.zeros((8, 8, 3), np.uint8), "a photo of $")
    img = np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(lincir.InvalidArgumentError, match="marker|\\$"):
        model_phi.compose(img, "a photo without the marker")
    with pytest.raises(ValueError, match="2 images but 3 texts"):
        model_phi.compose([img, img], ["a $", "b $", "c $"])
    with pytest.raises(lincir.InvalidArgumentError, match="columns"):
        model_phi.compose_embeddings(np.zeros((2, 10), np.float32), "a photo of $")
    with pytest.raises(lincir.InvalidArgumentError, match="\\{\\}"):
        model_phi.compose(img, "red", template="a photo of $ that")
