#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer targets into tests/fuzz/corpus/<target>/.

Deterministic (fixed seeds, gzip mtime 0), so rerunning gives the same bytes. Needs Debian's
python3 with numpy, PIL and torch (/usr/bin/python3 here). Each corpus holds small valid files and
the known malformed cases (truncated headers, huge header lengths, overlapping offsets, dims that
overflow, images with absurd sizes, ...). Files named crash-* are regression inputs of bugs that
fuzzing found; this script never touches them.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [--out tests/fuzz/corpus]
"""
import argparse
import collections
import gzip
import io
import json
import os
import pickle
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image

OUT = None


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as g:
        g.write(data)
    return buf.getvalue()


# ---------------------------------------------------------------- safetensors

def st_bytes(tensors, metadata=None, pad=True, raw_header=None):
    """tensors: list of (name, dtype, shape, bytes) laid out in order."""
    header, off, blob = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dt, shape, data in tensors:
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        off += len(data)
        blob += data
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blob


def st_header(header, blob=b""):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + blob


def safetensors_corpus():
    rng = np.random.default_rng(1)
    f32 = rng.standard_normal((3, 4)).astype("<f4").tobytes()
    put("safetensors", "valid_f32.safetensors", st_bytes([("w", "F32", (3, 4), f32)]))
    put("safetensors", "valid_mixed.safetensors", st_bytes([
        ("a", "F16", (2, 2), np.arange(4, dtype="<f2").tobytes()),
        ("b", "BF16", (3,), b"\x80\x3f\x00\x40\x40\x40"),
        ("c", "I64", (2,), struct.pack("<qq", -1, 2**62)),
        ("d", "U8", (0, 5), b""),
        ("e", "BOOL", (), b"\x01"),
        ("f", "F64", (1,), struct.pack("<d", float("nan"))),
        ("g", "I8", (2,), b"\x80\x7f"), ("h", "I16", (1,), b"\x00\x80"), ("i", "I32", (1,), b"\xff\xff\xff\x7f"),
    ], metadata={"format": "pt", "note": "x"}))
    put("safetensors", "valid_empty.safetensors", st_bytes([]))
    # lincir's writer records the data section's CRC-32 in the metadata; the reader verifies it.
    put("safetensors", "valid_crc.safetensors", st_bytes(
        [("w", "F32", (3, 4), f32)], metadata={"lincir.crc32": "%08x" % zlib.crc32(f32)}))
    put("safetensors", "bad_crc.safetensors", st_bytes(
        [("w", "F32", (3, 4), f32)], metadata={"lincir.crc32": "%08x" % (zlib.crc32(f32) ^ 1)}))
    put("safetensors", "crc_not_hex.safetensors", st_bytes(
        [("w", "F32", (3, 4), f32)], metadata={"lincir.crc32": "zz"}))
    put("safetensors", "trunc_len.safetensors", b"\x10\x00\x00")
    put("safetensors", "trunc_header.safetensors", st_bytes([("w", "F32", (3, 4), f32)])[:20])
    put("safetensors", "trunc_data.safetensors", st_bytes([("w", "F32", (3, 4), f32)])[:-5])
    put("safetensors", "huge_header_len.safetensors", struct.pack("<Q", 2**63 + 5) + b"{}")
    put("safetensors", "header_len_past_end.safetensors", struct.pack("<Q", 4096) + b"{}      ")
    put("safetensors", "header_len_100mb.safetensors", struct.pack("<Q", 100_000_001) + b"{}")
    put("safetensors", "bad_json.safetensors", st_bytes([], raw_header=b'{"w": {"dtype": "F32", '))
    put("safetensors", "not_object.safetensors", st_bytes([], raw_header=b"[1, 2, 3]"))
    put("safetensors", "deep_json.safetensors", st_bytes([], raw_header=b"[" * 5000 + b"]" * 5000))
    put("safetensors", "overlap.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
    put("safetensors", "same_offsets.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8))
    put("safetensors", "gap.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8))
    put("safetensors", "trailing.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9))
    put("safetensors", "begin_gt_end.safetensors", st_header({
        "a": {"dtype": "U8", "shape": [0], "data_offsets": [4, 0]}}, b"\0" * 4))
    put("safetensors", "offset_past_end.safetensors", st_header({
        "a": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]}}, b"\0" * 4))
    put("safetensors", "dims_overflow.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 0]}}))
    put("safetensors", "dims_overflow_zero.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [0, 2**62, 2**62, 2**62], "data_offsets": [0, 0]}}))
    put("safetensors", "dims_int64_wrap_zero.safetensors", st_header({
        "a": {"dtype": "U8", "shape": [3, 2**62, 0], "data_offsets": [0, 0]}}))
    put("safetensors", "dims_int64max.safetensors", st_header({
        "a": {"dtype": "U8", "shape": [2**63 - 1], "data_offsets": [0, 2**63 - 1]}}))
    put("safetensors", "dims_u64.safetensors", st_header({
        "a": {"dtype": "U8", "shape": [2**64 - 1], "data_offsets": [0, 1]}}, b"\0"))
    put("safetensors", "negative_dim.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4))
    put("safetensors", "float_dim.safetensors", st_header({
        "a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}, b"\0" * 4))
    put("safetensors", "bad_dtype.safetensors", st_header({
        "a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8))
    put("safetensors", "bad_meta.safetensors", st_header({"__metadata__": {"a": 1}}))
    put("safetensors", "meta_not_object.safetensors", st_header({"__metadata__": [1]}))
    put("safetensors", "missing_fields.safetensors", st_header({"a": {"dtype": "F32"}}))
    put("safetensors", "offsets_3.safetensors", st_header({
        "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1, 2]}}, b"\0"))


# ---------------------------------------------------------------- images

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_raw(w, h, depth=8, color=2, idat=None):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"\0" * 64)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) +
            png_chunk(b"IEND", b""))


def pil(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def image_corpus(src_dirs):
    for d in src_dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.getsize(p) <= 4096 and not name.endswith((".json", ".py", ".safetensors")):
                put("image", "fixture_" + name, open(p, "rb").read())
    rng = np.random.default_rng(2)
    rgb = Image.fromarray(rng.integers(0, 256, (9, 13, 3), dtype=np.uint8), "RGB")
    put("image", "rgb.png", pil(rgb, "PNG"))
    put("image", "rgba.png", pil(rgb.convert("RGBA"), "PNG"))
    put("image", "rgb.jpg", pil(rgb, "JPEG", quality=80))
    put("image", "rgb_prog.jpg", pil(rgb, "JPEG", quality=80, progressive=True))
    put("image", "gray.jpg", pil(rgb.convert("L"), "JPEG"))
    put("image", "rgb.bmp", pil(rgb, "BMP"))
    put("image", "p4.bmp", pil(rgb.convert("P", palette=Image.ADAPTIVE, colors=16), "BMP"))
    put("image", "bw.bmp", pil(rgb.convert("1"), "BMP"))
    put("image", "rgb.gif", pil(rgb, "GIF"))
    put("image", "rgb.tga", pil(rgb, "TGA", compression="tga_rle"))
    put("image", "rgb.ppm", pil(rgb, "PPM"))
    put("image", "gray16.png", pil(Image.fromarray(
        rng.integers(0, 65536, (5, 7), dtype=np.uint16).astype(np.int32), "I"), "PNG"))
    # Absurd sizes: every container's size fields at their extremes.
    put("image", "png_2g_x_2g.png", png_raw(0x7FFFFFFF, 0x7FFFFFFF))
    put("image", "png_4g_x_1.png", png_raw(0xFFFFFFFF, 1))
    put("image", "png_1_x_100m.png", png_raw(1, 100_000_000))
    put("image", "png_0_x_5.png", png_raw(0, 5))
    put("image", "png_16k_bomb.png", png_raw(16384, 4096, idat=zlib.compress(b"\0" * (1 << 20), 9)))
    put("image", "png_bad_depth.png", png_raw(4, 4, depth=7))
    put("image", "png_bad_color.png", png_raw(4, 4, color=5))
    put("image", "png_empty_idat.png", png_raw(4, 4, idat=b""))
    put("image", "png_no_idat.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(
        ">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) + png_chunk(b"IEND", b""))
    put("image", "png_plte_only.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(
        ">IIBBBBB", 2, 2, 8, 3, 0, 0, 0)) + png_chunk(b"IDAT", zlib.compress(b"\0\0\0\0\0\0")) +
        png_chunk(b"IEND", b""))
    put("image", "png_trunc.png", pil(rgb, "PNG")[:40])
    jpg = pil(rgb, "JPEG", quality=80)
    i = jpg.find(b"\xff\xc0")
    h, w = struct.unpack(">HH", jpg[i + 5:i + 9])
    put("image", "jpeg_65535_x_65535.jpg", jpg[:i + 5] + struct.pack(">HH", 65535, 65535) + jpg[i + 9:])
    put("image", "jpeg_0_x_0.jpg", jpg[:i + 5] + struct.pack(">HH", 0, 0) + jpg[i + 9:])
    put("image", "jpeg_trunc_header.jpg", jpg[:i + 4])
    put("image", "jpeg_trunc_scan.jpg", jpg[:len(jpg) * 2 // 3])
    put("image", "jpeg_no_eoi.jpg", jpg[:-2])
    j = jpg.find(b"\xff\xc4")
    put("image", "jpeg_dht_300.jpg", jpg[:j + 4] + bytes([0x00]) + bytes([255] * 16) + jpg[j + 21:])
    gif = pil(rgb, "GIF")
    put("image", "gif_65535_screen.gif", gif[:6] + struct.pack("<HH", 65535, 65535) + gif[10:])
    k = gif.find(b"\x2c")  # image descriptor
    put("image", "gif_frame_past_screen.gif",
        gif[:k + 5] + struct.pack("<HH", 4000, 4000) + gif[k + 9:])
    put("image", "gif_trunc.gif", gif[:len(gif) // 2])
    put("image", "gif_lzw_codesize12.gif", gif[:k + 10] + bytes([12]) + gif[k + 11:]
        if gif[k + 9] & 0x80 == 0 else gif)
    bmp = pil(rgb, "BMP")
    put("image", "bmp_huge.bmp", bmp[:18] + struct.pack("<ii", 0x7FFFFFFF, -0x7FFFFFFF) + bmp[26:])
    put("image", "bmp_neg_width.bmp", bmp[:18] + struct.pack("<ii", -5, 5) + bmp[26:])
    put("image", "bmp_intmin_height.bmp", bmp[:18] + struct.pack("<ii", 5, -2**31) + bmp[26:])
    put("image", "bmp_trunc.bmp", bmp[:60])
    tga = pil(rgb, "TGA")
    put("image", "tga_65535.tga", tga[:12] + struct.pack("<HH", 65535, 65535) + tga[16:])
    put("image", "ppm_huge.ppm", b"P6\n1000000 1000000\n255\n" + b"\0" * 30)
    put("image", "ppm_maxval_65535.ppm", b"P6\n2 2\n65535\n" + b"\1" * 24)
    put("image", "ppm_maxval_0.ppm", b"P5\n2 2\n0\n" + b"\1" * 4)
    put("image", "ppm_maxval_huge.ppm", b"P5\n2 2\n99999999999\n" + b"\1" * 4)
    put("image", "ppm_dims_overflow.ppm", b"P5\n99999999999999999999 2\n255\n" + b"\1" * 4)
    put("image", "ppm_trunc.ppm", b"P6\n4 4\n255\n" + b"\1" * 10)


# ---------------------------------------------------------------- gallery (docs/gallery-format.md)

def gallery(ids, names, vecs, dtype=1, flags=1, dim=None, n=None, s=None, v=None, crc=None,
            version=1, hdr=64, end=b"LCGE", reserved=0, pad=b"\0"):
    vecs = np.asarray(vecs, dtype="<f4" if dtype == 1 else "<f2")
    N = len(ids) if n is None else n
    D = vecs.shape[1] if dim is None else dim
    lens = b"".join(struct.pack("<I", len(x)) for x in names)
    nb = b"".join(names)
    S = len(lens) + len(nb) if s is None else s
    names_end = 64 + 8 * len(ids) + len(lens) + len(nb)
    real_v = (names_end + 63) // 64 * 64
    V = real_v if v is None else v
    header = (b"LCIRGLRY" + struct.pack("<IIIIQIIQQQ", version, hdr, D, dtype, N, flags, reserved,
                                        S, V, 0))
    body = header + b"".join(struct.pack("<q", i) for i in ids) + lens + nb
    body += pad * (real_v - len(body))
    body += vecs.tobytes()
    c = zlib.crc32(body) if crc is None else crc
    return body + struct.pack("<I", c) + end


def gallery_corpus():
    rng = np.random.default_rng(3)
    v = rng.standard_normal((3, 4)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    names = [b"a.jpg", b"", b"\xff\xfe"]
    put("gallery", "valid.lcg", gallery([5, 0, 9], names, v))
    put("gallery", "valid_f16.lcg", gallery([1, 2, 3], names, v, dtype=2))
    put("gallery", "valid_ip.lcg", gallery([1, 2, 3], names, v * 3, flags=0))
    put("gallery", "valid_empty.lcg", gallery([], [], np.zeros((0, 8))))
    put("gallery", "trunc_header.lcg", gallery([5, 0, 9], names, v)[:40])
    put("gallery", "trunc_body.lcg", gallery([5, 0, 9], names, v)[:-20])
    put("gallery", "bad_crc.lcg", gallery([5, 0, 9], names, v, crc=0))
    put("gallery", "n_huge.lcg", gallery([5, 0, 9], names, v, n=2**61))
    put("gallery", "n_wrap.lcg", gallery([5, 0, 9], names, v, n=2**64 - 1))
    put("gallery", "dim_0.lcg", gallery([5, 0, 9], names, v, dim=0))
    put("gallery", "dim_65537.lcg", gallery([5, 0, 9], names, v, dim=65537))
    put("gallery", "dim_overflow.lcg", gallery([5, 0, 9], names, v, dim=2**31 + 4))
    put("gallery", "s_huge.lcg", gallery([5, 0, 9], names, v, s=2**63))
    put("gallery", "v_huge.lcg", gallery([5, 0, 9], names, v, v=2**64 - 64))
    put("gallery", "v_inside_names.lcg", gallery([5, 0, 9], names, v, v=64))
    put("gallery", "dup_ids.lcg", gallery([5, 5, 9], names, v))
    put("gallery", "neg_id.lcg", gallery([5, -1, 9], names, v))
    vn = v.copy()
    vn[1, 2] = np.nan
    put("gallery", "nan.lcg", gallery([5, 0, 9], names, vn))
    put("gallery", "bad_version.lcg", gallery([5, 0, 9], names, v, version=2))
    put("gallery", "bad_dtype.lcg", gallery([5, 0, 9], names, v, dtype=3))
    put("gallery", "bad_flags.lcg", gallery([5, 0, 9], names, v, flags=6))
    put("gallery", "bad_end.lcg", gallery([5, 0, 9], names, v, end=b"LCGX"))
    put("gallery", "name_len_lie.lcg", gallery([5, 0, 9], [b"a.jpg", b"", b"\xff\xfe"], v, s=100))
    put("gallery", "reserved.lcg", gallery([5, 0, 9], names, v, reserved=1))
    put("gallery", "nonzero_pad.lcg", gallery([5, 0, 9], names, v, pad=b"\1"))


# ---------------------------------------------------------------- projector + pickle

class FakeStorage:
    def __init__(self, key, cls, numel, location="cpu"):
        self.key, self.cls, self.numel, self.location = key, cls, numel, location


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def torch_pickle(obj, protocol=2):
    import torch

    class P(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, FakeStorage):
                return ("storage", o.cls, o.key, o.location, o.numel)
            return None

        def reducer_override(self, o):
            if isinstance(o, FakeTensor):
                return (torch._utils._rebuild_tensor_v2,
                        (o.storage, o.offset, tuple(o.size), tuple(o.stride), False,
                         collections.OrderedDict()))
            return NotImplemented

    buf = io.BytesIO()
    P(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


def torch_zip(pkl, records, name="archive", version=b"3\n"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(name + "/data.pkl", pkl)
        for k, data in records.items():
            z.writestr(name + "/data/" + k, data)
        if version is not None:
            z.writestr(name + "/version", version)
    return buf.getvalue()


def phi_state(P=4, H=16, W=4, seed=0):
    import torch
    torch.manual_seed(seed)
    return {"layers.0.weight": torch.randn(H, P), "layers.0.bias": torch.randn(H),
            "layers.3.weight": torch.randn(H, H), "layers.3.bias": torch.randn(H),
            "layers.6.weight": torch.randn(W, H), "layers.6.bias": torch.randn(W)}


def projector_corpus():
    import torch
    sd = phi_state()
    buf = io.BytesIO()
    torch.save({"Phi": sd, "epoch": 3}, buf)
    put("projector", "lincir_phi.pt", buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        pkl_name = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        put("pickle", "lincir_phi.pkl", z.read(pkl_name))
    buf = io.BytesIO()
    torch.save(collections.OrderedDict(sd), buf)
    put("projector", "bare_state_dict.pt", buf.getvalue())
    torch.manual_seed(1)
    p2w = {"module.layers.0.0.weight": torch.randn(8, 4), "module.layers.0.0.bias": torch.randn(8),
           "module.layers.1.0.weight": torch.randn(8, 8), "module.layers.1.0.bias": torch.randn(8),
           "module.fc_out.weight": torch.randn(4, 8), "module.fc_out.bias": torch.randn(4)}
    buf = io.BytesIO()
    torch.save({"state_dict_img2text": p2w, "epoch": 1, "name": "x"}, buf)
    put("projector", "pic2word.pt", buf.getvalue())
    buf = io.BytesIO()
    torch.save({"Phi": {k: v.half() for k, v in sd.items()}}, buf)
    put("projector", "lincir_phi_half.pt", buf.getvalue())
    # lincir's own safetensors format.
    meta = {"format": "lincir.projector", "format_version": "1", "kind": "lincir",
            "backbone": "tiny", "input_dim": "4", "hidden_dim": "16", "output_dim": "4",
            "dropout": "0.5", "training_step": "7"}
    tensors = [(k, "F32", tuple(v.shape), v.numpy().astype("<f4").tobytes()) for k, v in sd.items()]
    put("projector", "lincir_phi.safetensors", st_bytes(tensors, metadata=dict(
        meta, **{"lincir.crc32": "%08x" % zlib.crc32(b"".join(t[3] for t in tensors))})))
    put("projector", "phi_no_meta.safetensors", st_bytes(tensors))
    put("projector", "phi_meta_dims_lie.safetensors",
        st_bytes(tensors, metadata=dict(meta, input_dim="999999999", hidden_dim="-3")))
    put("projector", "phi_meta_kind_bad.safetensors", st_bytes(tensors, metadata=dict(meta, kind="x")))
    put("projector", "phi_wrong_shape.safetensors", st_bytes(
        [(k, "F32", (1,) + tuple(v.shape), v.numpy().astype("<f4").tobytes()) for k, v in sd.items()]))
    put("projector", "phi_missing_tensor.safetensors", st_bytes(tensors[:-1]))

    # Hand-made archives: the pickle is what torch.save writes, the tensors are fakes.
    fs = torch.FloatStorage
    def arch(fname, tensors, records, **kw):
        pkl = torch_pickle({"Phi": collections.OrderedDict(tensors)})
        put("pickle", fname + ".pkl", pkl)
        put("projector", fname + ".pt", torch_zip(pkl, records, **kw))
    ok = {k: FakeTensor(FakeStorage(str(i), fs, v.numel()), 0, list(v.shape),
                        [v.shape[1], 1] if v.dim() == 2 else [1])
          for i, (k, v) in enumerate(sd.items())}
    recs = {str(i): v.numpy().astype("<f4").tobytes() for i, v in enumerate(sd.values())}
    arch("fake_ok", ok, recs)
    big = dict(ok)
    big["layers.0.weight"] = FakeTensor(FakeStorage("0", fs, 64), 0, [2**62, 4], [4, 1])
    arch("sizes_overflow", big, recs)
    view = dict(ok)
    view["layers.0.weight"] = FakeTensor(FakeStorage("0", fs, 64), 60, [16, 4], [4, 1])
    arch("view_past_storage", view, recs)
    neg = dict(ok)
    neg["layers.0.weight"] = FakeTensor(FakeStorage("0", fs, 64), 0, [16, 4], [-4, 1])
    arch("negative_stride", neg, recs)
    negoff = dict(ok)
    negoff["layers.0.weight"] = FakeTensor(FakeStorage("0", fs, 64), -8, [16, 4], [4, 1])
    arch("negative_offset", negoff, recs)
    short = dict(recs)
    short["0"] = short["0"][:8]
    arch("record_short", ok, short)
    missing = dict(recs)
    del missing["0"]
    arch("record_missing", ok, missing)
    numel_lie = dict(ok)
    numel_lie["layers.0.weight"] = FakeTensor(FakeStorage("0", fs, 2**60), 0, [16, 4], [4, 1])
    arch("storage_numel_huge", numel_lie, recs)
    cplx = dict(ok)
    cplx["layers.0.weight"] = FakeTensor(FakeStorage("0", torch.ComplexFloatStorage, 32), 0, [16, 4], [4, 1])
    arch("complex_storage", cplx, recs)
    cuda = {k: FakeTensor(FakeStorage(v.storage.key, fs, v.storage.numel, "cuda:3"), 0, v.size, v.stride)
            for k, v in ok.items()}
    arch("cuda_location", cuda, recs)
    arch("no_version", ok, recs, version=None)
    arch("odd_prefix", ok, recs, name="x/y")
    full = torch_zip(torch_pickle({"Phi": collections.OrderedDict(ok)}), recs)
    put("projector", "zip_trunc_cd.pt", full[:-30])
    put("projector", "zip_trunc_half.pt", full[:len(full) // 2])
    put("projector", "legacy_pickle.pt", pickle.dumps({"Phi": 1}, protocol=2))
    # Pickle streams on their own: protocols, memo, deep nesting, bad opcodes.
    put("pickle", "proto4.pkl", torch_pickle({"Phi": collections.OrderedDict(ok), "a": [1, 2.5, "s", b"b",
                                               None, True, (1, 2, 3), {"k": 2**70}]}, protocol=4))
    put("pickle", "deep_list.pkl", b"\x80\x02" + b"]" * 20000 + b"." )
    put("pickle", "deep_append.pkl", b"\x80\x02" + b"](" * 5000 + b"e" * 5000 + b".")
    put("pickle", "memo_get_unset.pkl", b"\x80\x02h\x05.")
    put("pickle", "stack_underflow.pkl", b"\x80\x02a.")
    put("pickle", "empty.pkl", b"")
    put("pickle", "no_stop.pkl", b"\x80\x02}q\x00")
    put("pickle", "long_huge.pkl", b"\x80\x02\x8b\xff\xff\xff\x7f" + b"\x01" * 8 + b".")
    put("pickle", "binunicode_huge.pkl", b"\x80\x02X\xff\xff\xff\xff" + b"a" * 8 + b".")
    put("pickle", "cycle.pkl", b"\x80\x02]q\x00h\x00a.")


# ---------------------------------------------------------------- tokenizer

def tokenizer_corpus():
    cases = {
        "ascii": "a photo of a cat sitting on a red sofa",
        "marker": "a photo of $ that is red with shorter sleeves",
        "html": "fish &amp; chips &lt;b&gt; &#x1F600; &#0; &#xD800; &notanentity; &amp",
        "mojibake": "CafÃ© â€œquotedâ€\x9d naÃ¯ve",
        "cjk_emoji": "猫が好き 🐈‍⬛ 👩🏽‍🚀 Ｆｕｌｌｗｉｄｔｈ",
        "combining": "e\u0301\u0301\u0301 \u0130stanbul \u1e9e \ufb03",
        "punct": "don't you'll I'M   x--y ... !!! 12345678901234567890",
        "long_word": "a" * 3000,
        "many_words": " ".join(["word"] * 200),
        "controls": "tab\there\r\nnew\x00null\x1b[31m\u2028\u202e",
    }
    for k, v in cases.items():
        put("tokenizer", k + ".txt", v)
    put("tokenizer", "invalid_utf8.bin", b"\xff\xfe\xc0\xaf\xe0\x80\x80\xed\xa0\x80\xf4\x90\x80\x80abc\xc3")
    put("tokenizer", "overlong.bin", b"\xc1\xbf\xe0\x9f\xbf\xf0\x8f\xbf\xbf")
    put("tokenizer", "latin1.bin", "naïve café".encode("latin-1"))
    put("tokenizer", "windows1252.bin", "“smart” — quotes".encode("cp1252"))


# ---------------------------------------------------------------- captions
# First byte: bits 0-1 format (0 txt, 1 jsonl, 2 csv, 3 tsv), bits 2-4 shuffle buffer, 5-7 seed.

def captions_corpus():
    def c(name, fmt, body, shuffle=0):
        if isinstance(body, str):
            body = body.encode("utf-8")
        put("captions", name, bytes([fmt | (shuffle << 2)]) + body)
    c("txt", 0, "a dog on grass\n\nA red car  \r\n   \nlast line without newline", 3)
    c("jsonl", 1, '{"caption": "a dog", "spans": ["dog"]}\n{"caption": "two cats"}\n'
      '{"caption": 5}\n{"other": "x"}\nnot json\n{"caption": "", "spans": []}\n'
      '{"caption": "s", "spans": "notalist"}\n{"caption": "t", "spans": [1, 2]}\n[1,2]\n', 2)
    c("csv", 2, 'id,caption,extra\n1,"a ""quoted"" caption, with comma",x\n2,plain,y\n'
      '3,"unterminated,z\n4,too,many,cols\n5\n', 1)
    c("tsv", 3, "caption\tid\na cat\t1\n\t2\nwith \"quotes\"\t3\n", 0)
    c("csv_no_column", 2, "a,b\n1,2\n")
    c("csv_bom", 2, "\ufeffcaption\nbom header\n")
    c("invalid_utf8", 0, b"ok line\n\xff\xfe bad\n\xc3\x28\nfine\n")
    c("txt_gz", 0, gz(b"gz line one\ngz line two\n"))
    c("jsonl_gz", 1, gz(b'{"caption": "gz json"}\n'))
    c("gz_trunc", 0, gz(b"x" * 200 + b"\n")[:20])
    c("gz_trailing", 0, gz(b"first\n") + b"garbage")
    c("gz_concat", 3, gz(b"caption\n") + gz(b"second member\n"))
    c("gz_bomb_line", 0, gz(b"y" * (3 << 20)))
    c("empty", 1, b"")
    c("nul_bytes", 0, b"a\0b\nc\n")
    c("deep_json", 1, b"[" * 3000 + b"]" * 3000 + b"\n")


def main():
    global OUT
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "corpus"))
    args = ap.parse_args()
    OUT = args.out
    root = os.path.join(here, "..", "data")
    safetensors_corpus()
    image_corpus([os.path.join(root, "images", "formats"), os.path.join(root, "parity", "images")])
    gallery_corpus()
    projector_corpus()
    tokenizer_corpus()
    captions_corpus()
    for t in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, t))
        print(f"{t}: {len(files)} files, {sum(os.path.getsize(os.path.join(OUT, t, f)) for f in files)} bytes")


if __name__ == "__main__":
    main()
