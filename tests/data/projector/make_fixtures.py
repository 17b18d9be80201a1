#!/usr/bin/env python3
"""Regenerates the projector test fixtures in this folder (needs torch 1.13 and numpy).

  /usr/bin/python3 tests/data/projector/make_fixtures.py

- phi_cuda_location.pt: the Phi weights of ../parity/phi_weights.safetensors loaded into an
  nn.Module with LinCIR's Phi structure and saved as torch.save({'epoch': 7, 'Phi':
  phi.state_dict()}) while every storage is tagged 'cuda:0', as a file written on a GPU machine
  is. A real state_dict() is an OrderedDict with `_metadata` (one-entry dicts, pickled with the
  SETITEM opcode). Python's torch.load refuses the file on a CPU-only machine unless
  map_location='cpu' is given (checked below).
- pic2word_layout.pt: a small Pic2Word IM2TEXT (embed 64, middle 48, output 32) in the layout of
  Pic2Word's released checkpoint: {'epoch', 'name', 'state_dict' (a stand-in CLIP state dict),
  'state_dict_img2text' (nn.DataParallel(im2text).state_dict(): 'module.' prefix), 'optimizer'},
  storages
  tagged 'cuda:0', fc_out.weight stored as a non-contiguous (transposed) view.
- pic2word_outputs.safetensors: 'input' [5,64] and 'output' [5,32] = IM2TEXT(input) in eval mode,
  computed here with torch's own modules.
"""
import os
import struct
import json

import numpy as np
import torch
import torch.nn as nn
import torch.serialization as ser

HERE = os.path.dirname(os.path.abspath(__file__))
PARITY = os.path.join(HERE, "..", "parity")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32"
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(v["shape"])
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def save_as_cuda(obj, path):
    real = ser.location_tag
    ser.location_tag = lambda storage: "cuda:0"
    try:
        torch.save(obj, path)
    finally:
        ser.location_tag = real
    if not torch.cuda.is_available():
        try:
            torch.load(path)
            raise AssertionError("expected torch.load to refuse a CUDA-tagged file on CPU")
        except RuntimeError:
            pass
    return torch.load(path, map_location="cpu")


class Phi(nn.Module):  # LinCIR's / SEARLE's Phi structure (keys layers.{0,3,6})
    def __init__(self, input_dim, hidden_dim, output_dim, dropout=0.5):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_dim, hidden_dim), nn.GELU(), nn.Dropout(p=dropout),
            nn.Linear(hidden_dim, hidden_dim), nn.GELU(), nn.Dropout(p=dropout),
            nn.Linear(hidden_dim, output_dim))

    def forward(self, x):
        return self.layers(x)


class Im2Text(nn.Module):  # Pic2Word's IM2TEXT structure (keys fc_out, layers.{0,1}.0)
    def __init__(self, embed_dim, middle_dim, output_dim, dropout=0.1):
        super().__init__()
        self.fc_out = nn.Linear(middle_dim, output_dim)
        blocks, dim = [], embed_dim
        for _ in range(2):
            blocks.append(nn.Sequential(nn.Linear(dim, middle_dim), nn.Dropout(dropout), nn.ReLU()))
            dim = middle_dim
        self.layers = nn.Sequential(*blocks)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.fc_out(x)


def main():
    torch.manual_seed(20240607)
    weights = read_safetensors(os.path.join(PARITY, "phi_weights.safetensors"))
    phi = Phi(64, 256, 32)
    phi.load_state_dict(weights)
    back = save_as_cuda({"epoch": 7, "Phi": phi.state_dict()}, os.path.join(HERE, "phi_cuda_location.pt"))
    for k in weights:
        assert torch.equal(back["Phi"][k], weights[k])

    m = Im2Text(64, 48, 32).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.05 * torch.randn_like(p))
        w = torch.randn(48, 32) * 0.1
        m.fc_out.weight.set_(w.t())  # non-contiguous [32, 48] view
    assert not m.fc_out.weight.is_contiguous()
    sd = nn.DataParallel(m).state_dict()
    assert all(k.startswith("module.") for k in sd)
    clip_standin = {"module.positional_embedding": torch.randn(77, 32),
                    "module.text_projection": torch.randn(32, 64)}
    optimizer = {"state": {0: {"step": 10, "exp_avg": torch.zeros(3)}},
                 "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.98), "eps": 1e-6,
                                   "weight_decay": 0.2, "params": [0]}]}
    ckpt = {"epoch": 3, "name": "pic2word_fixture", "state_dict": clip_standin,
            "state_dict_img2text": sd, "optimizer": optimizer}
    back = save_as_cuda(ckpt, os.path.join(HERE, "pic2word_layout.pt"))
    assert not back["state_dict_img2text"]["module.fc_out.weight"].is_contiguous()

    x = torch.randn(5, 64)
    with torch.no_grad():
        y = m(x)
    write_safetensors(os.path.join(HERE, "pic2word_outputs.safetensors"), {"input": x, "output": y})


if __name__ == "__main__":
    main()
