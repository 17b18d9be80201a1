"""Gallery: search against a numpy brute force, ids/names, exclusion, save/load, errors."""

import os

import numpy as np
import pytest

import lincir


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _brute_force(vectors, queries, k, ids):
    scores = _unit(queries.astype(np.float64)) @ _unit(vectors.astype(np.float64)).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.asarray(ids)[order]


@pytest.fixture()
def data():
    rng = np.random.default_rng(11)
    return rng.standard_normal((50, 16)).astype(np.float32), rng.standard_normal((4, 16)).astype(np.float32)


def test_add_search_matches_brute_force(data):
    vectors, queries = data
    g = lincir.Gallery(16)
    ids = g.add(vectors, names=["img%02d.jpg" % i for i in range(50)])
    assert ids.dtype == np.int64 and list(ids) == list(range(50))
    assert len(g) == 50 and g.dim == 16 and g.metric == "cosine" and 7 in g and 50 not in g
    scores, found = g.search(queries, k=5)
    assert scores.dtype == np.float32 and found.dtype == np.int64 and scores.shape == found.shape == (4, 5)
    exp_scores, exp_ids = _brute_force(vectors, queries, 5, ids)
    np.testing.assert_array_equal(found, exp_ids)
    np.testing.assert_allclose(scores, exp_scores, atol=1e-5, rtol=0)
    # A stored vector finds itself first, with cosine 1.
    s, f = g.search(vectors[17], k=1)
    assert f.shape == (1, 1) and f[0, 0] == 17 and abs(s[0, 0] - 1) < 1e-5
    assert g.name_of(17) == "img17.jpg" and g.names[3] == "img03.jpg"
    # float64 / Fortran-ordered / strided inputs give the same answer as float32 C arrays.
    for q in (queries.astype(np.float64), np.asfortranarray(queries), np.repeat(queries, 2, axis=1)[:, ::2]):
        s2, f2 = g.search(q, k=5)
        np.testing.assert_array_equal(f2, found)
        np.testing.assert_allclose(s2, scores, atol=1e-6, rtol=0)


def test_explicit_ids_auto_ids_remove_merge(data):
    vectors, queries = data
    g = lincir.Gallery(16)
    g.add(vectors[:10], ids=np.arange(100, 110))
    auto = g.add(vectors[10:12])
    assert list(auto) == [110, 111]
    assert g.remove([100, 105, 999]) == 2 and len(g) == 10
    other = lincir.Gallery(16)
    other.add(vectors[20:25], ids=[500, 501, 502, 503, 504])
    g.merge(other)
    assert len(g) == 15 and 503 in g
    np.testing.assert_allclose(g.vectors([503]), _unit(vectors[23:24]), atol=1e-6, rtol=0)
    with pytest.raises(lincir.InvalidArgumentError, match="501|duplicate|id"):
        g.add(vectors[:1], ids=[501])
    assert len(g) == 15  # nothing added on error


def test_exclusion(data):
    vectors, _ = data
    g = lincir.Gallery(16)
    g.add(vectors)
    queries = vectors[[3, 8]]
    _, found = g.search(queries, k=3)
    assert list(found[:, 0]) == [3, 8]
    _, ex_one = g.search(queries, k=3, exclude=[3, 8])  # one id per query
    assert 3 not in ex_one[0] and 8 not in ex_one[1]
    np.testing.assert_array_equal(ex_one[:, :2], found[:, 1:])
    _, ex_lists = g.search(queries, k=3, exclude=[[3, found[0, 1]], []])
    assert list(ex_lists[0][:1]) == [found[0, 2]] and list(ex_lists[1]) == list(found[1])
    _, ex_scalar = g.search(vectors[3], k=2, exclude=3)
    assert 3 not in ex_scalar[0]
    _, ex_np = g.search(queries, k=3, exclude=np.int64(3))  # numpy scalars, e.g. ids[i]
    assert 3 not in ex_np[0] and list(ex_np[1]) == list(found[1])
    _, ex_np_list = g.search(queries, k=3, exclude=[np.int64(3), np.int32(8)])
    np.testing.assert_array_equal(ex_np_list, ex_one)
    # Exclusions that leave fewer than k candidates pad with -1 / -inf.
    small = lincir.Gallery(16)
    small.add(vectors[:2])
    s, f = small.search(vectors[0], k=2, exclude=0)
    assert f[0, 1] == -1 and s[0, 1] == -np.inf
    with pytest.raises(lincir.InvalidArgumentError, match="exclude has 1 entries for 2 queries"):
        g.search(queries, k=3, exclude=[[3]])


def test_save_load_round_trip(data, tmp_path):
    vectors, queries = data
    g = lincir.Gallery(16, storage="float16")
    g.add(vectors, ids=np.arange(50) * 3, names=["n%d" % i for i in range(50)])
    path = str(tmp_path / "gallery.lcg")
    g.save(path)
    for memory_map in (True, False):
        h = lincir.Gallery.load(path, memory_map=memory_map)
        assert len(h) == 50 and h.dim == 16 and h.storage == "float16"
        np.testing.assert_array_equal(h.ids, np.arange(50) * 3)
        assert h.names == g.names
        for a, b in zip(g.search(queries, k=7), h.search(queries, k=7)):
            np.testing.assert_array_equal(a, b)
    assert "size=50" in repr(h)


def test_errors_name_the_problem(data, tmp_path):
    vectors, queries = data
    g = lincir.Gallery(16)
    with pytest.raises(lincir.InvalidArgumentError, match="empty"):
        g.search(queries, k=1)
    g.add(vectors[:5])
    with pytest.raises(lincir.InvalidArgumentError, match="k=6 exceeds the gallery size 5"):
        g.search(queries, k=6)
    with pytest.raises(lincir.InvalidArgumentError, match="k must be positive"):
        g.search(queries, k=0)
    with pytest.raises(ValueError, match="has 8 columns.*expected 16"):
        g.search(np.zeros((2, 8), np.float32), k=1)
    with pytest.raises(lincir.InvalidArgumentError, match="has 8 columns"):
        g.add(np.ones((2, 8), np.float32))
    with pytest.raises(ValueError, match="2-D"):
        g.add(np.ones((2, 4, 4), np.float32))
    with pytest.raises(TypeError, match="real numbers.*complex"):
        g.add(np.ones((2, 16), np.complex64))
    with pytest.raises(TypeError, match="integers"):
        g.add(vectors[:1], ids=[1.5])
    with pytest.raises(lincir.InvalidArgumentError, match="finite|NaN|nan"):
        g.add(np.full((1, 16), np.nan, np.float32))
    with pytest.raises(lincir.InvalidArgumentError):
        lincir.Gallery(0)
    missing = str(tmp_path / "missing.lcg")
    with pytest.raises(lincir.FileError, match="missing.lcg") as e:
        lincir.Gallery.load(missing)
    assert isinstance(e.value, OSError) and e.value.status == "io" and e.value.code == -2
    corrupt = tmp_path / "corrupt.lcg"
    corrupt.write_bytes(b"not a gallery at all, just some bytes" * 10)
    with pytest.raises(lincir.FormatError, match="corrupt.lcg") as e:
        lincir.Gallery.load(str(corrupt))
    assert e.value.status == "format"
    good = str(tmp_path / "good.lcg")
    g.save(good)
    data_bytes = open(good, "rb").read()
    truncated = tmp_path / "truncated.lcg"
    truncated.write_bytes(data_bytes[: len(data_bytes) // 2])
    with pytest.raises(lincir.FormatError):
        lincir.Gallery.load(str(truncated))
    flipped = bytearray(data_bytes)
    flipped[len(flipped) // 2] ^= 0xFF
    (tmp_path / "flipped.lcg").write_bytes(bytes(flipped))
    with pytest.raises(lincir.FormatError):
        lincir.Gallery.load(str(tmp_path / "flipped.lcg"))


def test_gallery_of_model_embeddings(model, png_paths):
    g = lincir.Gallery(model.embed_dim)
    feats = model.encode_image(png_paths)
    g.add(feats, names=[os.path.basename(p) for p in png_paths])
    _, found = g.search(feats, k=1)
    np.testing.assert_array_equal(found[:, 0], np.arange(len(png_paths)))
