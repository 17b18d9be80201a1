"""Heavy calls release the GIL: a call blocked inside the C++ core must not stop other Python
threads.

Proof without timing: the worker thread's call opens a FIFO, which blocks in the kernel until a
writer opens it. The main thread waits until /proc shows the worker blocked there (so inside the
C++ call), then runs Python code and opens the writer (again if the call opens the file again).
If the call held the GIL, the main thread could never run that code and the two would deadlock;
the script runs in a subprocess so that a deadlock fails the test (after the subprocess
timeout) instead of hanging it.
"""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import lincir
from conftest import CAPTIONS, CONFIG, PHI, WEIGHTS

SCRIPT = r"""
import ctypes, os, platform, sys, threading, time
import lincir

folder, weights, config, phi, captions = sys.argv[1:6]
cases = sys.argv[6:]

OPENAT = {"x86_64": ("257", "2"), "aarch64": ("56",)}.get(platform.machine(), ())


def blocked_in_fifo_open(tid):
    try:
        with open("/proc/self/task/%d/wchan" % tid) as f:
            if f.read().strip() == "wait_for_partner":
                return True
        with open("/proc/self/task/%d/syscall" % tid) as f:
            fields = f.read().split()
        with open("/proc/self/task/%d/stat" % tid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state == "S" and bool(fields) and fields[0] in OPENAT
    except OSError:
        return False


model = lincir.load(weights, phi=phi, config=config)


def run(case, fifo):
    trainer = lincir.Trainer(model, steps=1, batch_size=2, checkpoint_path=fifo)
    calls = {
        "encode_image": lambda: model.encode_image(fifo),
        "compose": lambda: model.compose(fifo, "a photo of $"),
        "gallery_load": lambda: lincir.Gallery.load(fifo),
        "projector_load": lambda: lincir.Projector.load(fifo),
        "model_load": lambda: lincir.load(fifo, config=config),
        "trainer_fit": lambda: trainer.fit(captions, progress=False),
        # Negative control: libc open() called through ctypes.PyDLL keeps the GIL.
        "control_holds_gil": lambda: ctypes.PyDLL(None).open(fifo.encode(), os.O_RDONLY),
    }
    os.mkfifo(fifo)
    result = {}

    def worker():
        try:
            calls[case]()
            result["returned"] = True
        except BaseException as e:
            result["error"] = e

    t = threading.Thread(target=worker, daemon=True)
    t.start()
    deadline = time.monotonic() + 60
    rounds = 0
    while t.is_alive():
        if not blocked_in_fifo_open(t.native_id):
            if time.monotonic() > deadline:
                print(case, "worker never blocked in the FIFO:", result, flush=True)
                sys.exit(2)
            time.sleep(0.001)
            continue
        # The worker is inside the C++ call, blocked. This thread keeps running Python:
        total = sum(i * i for i in range(100000))
        if case == "trainer_fit" and rounds == 0:
            try:
                trainer.step
                print(case, "a second thread used the busy trainer", flush=True)
                sys.exit(3)
            except lincir.InvalidArgumentError as e:
                assert "in use" in str(e), e
        rounds += 1
        fd = os.open(fifo, os.O_WRONLY)  # lets the worker's open() return (a loader may open twice)
        os.close(fd)
        t.join(0.05)
    if rounds == 0:
        print(case, "finished without blocking in the FIFO:", result, flush=True)
        sys.exit(4)
    err = result.get("error")
    print(case, "OK", type(err).__name__, err, flush=True)


for case in cases:
    run(case, os.path.join(folder, case + ".safetensors"))
"""

CASES = ["encode_image", "compose", "gallery_load", "projector_load", "model_load", "trainer_fit"]


def _run(cases, tmp_path, timeout):
    return subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), WEIGHTS, CONFIG, PHI, CAPTIONS] + cases,
                          capture_output=True, text=True, timeout=timeout)


def test_the_check_detects_a_call_holding_the_gil(tmp_path):
    """Negative control: a C call that keeps the GIL while blocked deadlocks the script (the
    real cases below show that the blocked state itself is detected)."""
    with pytest.raises(subprocess.TimeoutExpired):
        _run(["control_holds_gil"], tmp_path, timeout=10)


def test_blocked_calls_release_the_gil(tmp_path):
    try:
        proc = _run(CASES, tmp_path, timeout=300)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail("deadlock: a call held the GIL while blocked in C++; finished cases:\n" + out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [l.split()[0] for l in lines] == CASES, proc.stdout
    for line in lines:
        # The FIFO is not a regular file: once unblocked, the core reports it.
        assert " OK FileError " in line and "not a regular file" in line, line


def test_concurrent_calls_from_threads(model_phi, png_paths, image_ref):
    """Threads encoding, composing and searching at once get the serial results."""
    texts = ["a photo of a cat", "a red car", "two dogs on a beach"]
    expected_text = model_phi.encode_text(texts)
    expected_img = image_ref["png_batch.image_features"]
    gallery = lincir.Gallery(64)
    gallery.add(expected_img)
    expected_search = gallery.search(expected_img, k=3)
    errors = []

    def work(i):
        try:
            for _ in range(3):
                np.testing.assert_allclose(model_phi.encode_text(texts), expected_text, atol=1e-5, rtol=0)
                np.testing.assert_allclose(model_phi.encode_image(png_paths), expected_img, atol=1e-4, rtol=0)
                s, f = gallery.search(expected_img, k=3)
                np.testing.assert_array_equal(f, expected_search[1])
                assert model_phi.compose(png_paths[i % 9], "a photo of $ that is red").shape == (1, 64)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
