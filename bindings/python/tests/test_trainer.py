"""Trainer: fit on the keyword-span captions, progress display, callbacks, errors."""

import io
import json

import numpy as np
import pytest

import lincir
from lincir import _progress
from conftest import CAPTIONS, CONFIG, WEIGHTS


def _captions(n):
    with open(CAPTIONS, encoding="utf-8") as f:
        return [json.loads(line)["caption"] for line in f][:n]


def _trainer(model, **kw):
    opts = dict(steps=25, batch_size=16, lr=2e-3, seed=1, shuffle_buffer=64)
    opts.update(kw)
    return lincir.Trainer(model, **opts)


def test_fit_decreases_the_loss(model, tmp_path):
    trainer = _trainer(model)
    held_out = _captions(48)
    before = trainer.evaluate(held_out)
    losses = []
    result = trainer.fit(CAPTIONS, progress=False, callback=lambda p: losses.append((p.step, p.loss)))
    after = trainer.evaluate(held_out)
    assert result["steps"] == 25 and not result["cancelled"] and trainer.step == 25
    assert [s for s, _ in losses] == list(range(1, 26))
    assert all(np.isfinite(l) for _, l in losses)
    assert after < 0.7 * before, (before, after)
    assert np.mean([l for _, l in losses[-5:]]) < np.mean([l for _, l in losses[:5]])
    # The trained φ is usable: saved, reloaded, composed with.
    phi = trainer.projector
    assert (phi.input_dim, phi.output_dim, phi.training_step) == (64, 32, 25)
    path = str(tmp_path / "phi.safetensors")
    trainer.save_projector(path)
    reloaded = lincir.Projector.load(path)
    x = np.random.default_rng(0).standard_normal((3, 64)).astype(np.float32)
    np.testing.assert_array_equal(reloaded(x), phi(x))
    m = lincir.load(WEIGHTS, config=CONFIG, phi=path)
    q = m.compose(np.full((40, 40, 3), 128, np.uint8), "a photo of $ that is red")
    assert q.shape == (1, 64) and abs(np.linalg.norm(q) - 1) < 1e-5


def test_same_seed_same_result_and_train_step(model):
    a, b = _trainer(model, steps=3), _trainer(model, steps=3)
    ra = a.fit(CAPTIONS, progress=False)
    rb = b.fit(CAPTIONS, progress=False)
    assert ra["last_loss"] == rb["last_loss"]
    loss = a.train_step(_captions(8))
    assert np.isfinite(loss) and a.step == 4
    spans_loss = a.train_step(["a red car on the road"], spans=[["a red car", "the road"]])
    assert np.isfinite(spans_loss)
    assert "$" in a.masked_caption("a red car parked on the street")


def test_progress_outputs(model, monkeypatch, capfd):
    monkeypatch.setattr(_progress, "_tqdm", None)  # the fallbacks, whether or not tqdm exists
    plain = io.StringIO()
    _trainer(model, steps=4).fit(CAPTIONS, progress=plain)
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("step 1/4 loss ") and lines[-1].startswith("step 4/4 loss ")
    assert "\r" not in plain.getvalue()

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    _trainer(model, steps=4).fit(CAPTIONS, progress=tty)
    out = tty.getvalue()
    assert out.startswith("\r[") and "4/4 100%" in out and out.endswith("\n") and "ETA" in out
    capfd.readouterr()
    _trainer(model, steps=2).fit(CAPTIONS, progress=False)
    assert capfd.readouterr().err == ""
    _trainer(model, steps=2).fit(CAPTIONS)  # progress=True: stderr (not a terminal here)
    assert "step 2/2 loss" in capfd.readouterr().err


def test_callback_stops_and_exceptions_propagate(model, tmp_path):
    t = _trainer(model, steps=10, checkpoint_path=str(tmp_path / "ckpt.safetensors"))
    r = t.fit(CAPTIONS, progress=False, callback=lambda p: p.step < 3)
    assert r["cancelled"] and r["steps"] == 3 and t.step == 3
    assert (tmp_path / "ckpt.safetensors").exists()  # written when stopped
    # Resuming from the checkpoint continues at step 3.
    t2 = _trainer(model, steps=5, checkpoint_path=str(tmp_path / "ckpt.safetensors"))
    r2 = t2.fit(CAPTIONS, progress=False)
    assert r2["resumed"] and r2["steps"] == 2 and t2.step == 5

    def boom(p):
        raise KeyError("from the callback")

    t3 = _trainer(model, steps=10)
    with pytest.raises(KeyError, match="from the callback"):
        t3.fit(CAPTIONS, progress=False, callback=boom)
    assert t3.step == 1
    assert np.isfinite(t3.train_step(_captions(4)))  # still usable

    seen = []

    def validate(phi):
        seen.append(phi.output_dim)
        return 1.0

    t4 = _trainer(model, steps=4, validate_every=2, best_path=str(tmp_path / "best.safetensors"))
    r4 = t4.fit(CAPTIONS, progress=False, validate=validate)
    assert seen == [32, 32] and r4["best_validation"] == 1.0 and (tmp_path / "best.safetensors").exists()
    with pytest.raises(ZeroDivisionError):
        _trainer(model, steps=4, validate_every=1).fit(CAPTIONS, progress=False, validate=lambda phi: 1 / 0)


def test_trainer_errors(model, tmp_path):
    with pytest.raises(TypeError, match="unknown Trainer option 'step'.*steps"):
        lincir.Trainer(model, step=10)
    with pytest.raises(lincir.InvalidArgumentError, match="batch"):
        lincir.Trainer(model, batch_size=0)
    with pytest.raises(lincir.InvalidArgumentError, match="mask"):
        lincir.Trainer(model, mask_mode="everything")
    with pytest.raises(lincir.FileError, match="no_such_captions"):
        _trainer(model).fit(str(tmp_path / "no_such_captions.jsonl"), progress=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "wrong field"}\n')
    with pytest.raises(lincir.FormatError):
        _trainer(model, steps=1).fit(str(bad), progress=False)
    with pytest.raises(TypeError):
        lincir.Trainer("not a model")


def test_ctrl_c_stops_fit(model):
    """SIGINT during fit (the C++ loop runs without the GIL) stops it with KeyboardInterrupt."""
    import os
    import signal
    import threading

    started = threading.Event()
    t = _trainer(model, steps=2000, batch_size=2)

    def send_sigint():
        started.wait(60)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=send_sigint, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        t.fit(CAPTIONS, progress=False, callback=lambda p: started.set())
    assert 1 <= t.step < 2000
