"""Fixtures of the lincir Python tests: the parity data (tests/data/parity) and models on it.

The reference values come from openai/CLIP and navervision/lincir run on a tiny random CLIP
(tests/data/parity/README.md). safetensors files are read here with json + numpy (no
safetensors package), so the check does not go through lincir's own reader.
"""

import json
import os
import struct

import numpy as np
import pytest

import lincir

DATA = os.environ.get("LINCIR_TEST_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "data")
PARITY = os.path.join(DATA, "parity")
WEIGHTS = os.path.join(PARITY, "weights_openai.safetensors")
CONFIG = os.path.join(PARITY, "model_config.json")
PHI = os.path.join(PARITY, "phi_weights.safetensors")
CAPTIONS = os.path.join(DATA, "keywords", "spans.jsonl")

_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1",
           "I8": "i1", "I16": "<i2", "BOOL": "?"}


def read_safetensors(path):
    """{name: numpy array} of a safetensors file, parsed by hand."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        arr = np.frombuffer(blob[base + begin:base + end], dtype=_DTYPES[info["dtype"]])
        out[name] = arr.reshape(info["shape"]).copy()
    return out


def load_json(name):
    with open(os.path.join(PARITY, name), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def image_ref():
    return read_safetensors(os.path.join(PARITY, "image_outputs.safetensors"))


@pytest.fixture(scope="session")
def png_paths():
    order = load_json("image_cases.json")["png_batch_order"]
    return [os.path.join(PARITY, "images", name + ".png") for name in order]


@pytest.fixture(scope="session")
def model():
    """The parity CLIP without φ."""
    return lincir.load(WEIGHTS, config=CONFIG)


@pytest.fixture(scope="session")
def model_phi():
    """The parity CLIP with the parity LinCIR φ."""
    return lincir.load(WEIGHTS, phi=PHI, config=CONFIG)
