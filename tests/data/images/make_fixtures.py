#!/usr/bin/python3
"""Regenerates the small image fixtures of tests/image (run once by hand with Pillow 9.4;
the tests never run Python). Writes:
  formats/*           tiny files of every supported container / mode variant
  expected.json       per file: Pillow's mode and size
  expected.safetensors  per file `NAME.rgb`: np.array(Image.open(f).convert("RGB")),
                      `NAME.native`: np.array(Image.open(f)) for non-palette modes
  resize.safetensors  random images and Pillow's Image.resize(..., BICUBIC) outputs
"""
import io, json, os, struct
import numpy as np
import PIL
from PIL import Image

assert PIL.__version__ == "9.4.0", PIL.__version__
HERE = os.path.dirname(os.path.abspath(__file__))
FMT = os.path.join(HERE, "formats")
os.makedirs(FMT, exist_ok=True)
rng = np.random.default_rng(20240611)


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        dt = {np.dtype("uint8"): "U8", np.dtype("int32"): "I32"}[arr.dtype]
        b = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def smooth(h, w, c):
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * 255 // max(w - 1, 1) + k * 60) % 256 for k in range(c)]
    planes[-1] = (planes[-1] + y * 255 // max(h - 1, 1)) % 256
    a = np.stack(planes, -1).astype(np.uint8)
    return a[..., 0] if c == 1 else a


files = {}


def add(name, im, fmt, **kw):
    path = os.path.join(FMT, name)
    im.save(path, fmt, **kw)
    files[name] = path


rgb = smooth(7, 9, 3)
add("rgb24.bmp", Image.fromarray(rgb, "RGB"), "BMP")
pal = Image.fromarray(rgb, "RGB").quantize(colors=12, method=Image.Quantize.MEDIANCUT)
add("pal8.bmp", pal, "BMP")
add("gray8.bmp", Image.fromarray(smooth(6, 5, 1), "L"), "BMP")
add("pal.gif", pal, "GIF")
gt = pal.copy()
gt.info["transparency"] = 3
add("pal_transparent.gif", gt, "GIF", transparency=3)
add("gray.gif", Image.fromarray(smooth(5, 6, 1), "L"), "GIF")
# Unoptimised: the identity grey palette is kept, and Pillow opens the file as "L".
add("gray_identity.gif", Image.fromarray(smooth(5, 6, 1), "L"), "GIF", optimize=False)
add("rgb.tga", Image.fromarray(rgb, "RGB"), "TGA")
add("rgb_rle.tga", Image.fromarray(rgb, "RGB"), "TGA", compression="tga_rle")
add("rgba.tga", Image.fromarray(smooth(5, 4, 4), "RGBA"), "TGA")
add("gray.tga", Image.fromarray(smooth(4, 6, 1), "L"), "TGA")
add("pal.tga", pal, "TGA")
add("gray.pgm", Image.fromarray(smooth(5, 7, 1), "L"), "PPM")
add("rgb.ppm", Image.fromarray(rgb, "RGB"), "PPM")
# maxval 1000, 16-bit samples (Pillow rescales to 8 bits for RGB)
v = rng.integers(0, 1001, (3, 4, 3)).astype(">u2")
with open(os.path.join(FMT, "rgb_maxval1000.ppm"), "wb") as f:
    f.write(b"P6\n# comment\n4 3\n1000\n" + v.tobytes())
files["rgb_maxval1000.ppm"] = os.path.join(FMT, "rgb_maxval1000.ppm")
v = rng.integers(0, 16, (3, 5)).astype(np.uint8)
with open(os.path.join(FMT, "gray_maxval15.pgm"), "wb") as f:
    f.write(b"P5 5 3 15\n" + v.tobytes())
files["gray_maxval15.pgm"] = os.path.join(FMT, "gray_maxval15.pgm")
f0 = Image.fromarray(smooth(6, 8, 3), "RGB").quantize(colors=8)
f1 = Image.fromarray(255 - smooth(6, 8, 3), "RGB").quantize(colors=8)
f0.save(os.path.join(FMT, "anim.gif"), "GIF", save_all=True, append_images=[f1], duration=100)
files["anim.gif"] = os.path.join(FMT, "anim.gif")
# JPEG: chroma-subsampled and progressive variants (Pillow's decode is libjpeg-turbo's).
photo = np.clip(smooth(40, 48, 3).astype(int) + rng.integers(-20, 21, (40, 48, 3)), 0, 255)
photo = Image.fromarray(photo.astype(np.uint8), "RGB")
add("photo420.jpg", photo, "JPEG", quality=90, subsampling="4:2:0")
add("photo_progressive.jpg", photo, "JPEG", quality=85, progressive=True)
add("gray.jpg", Image.fromarray(smooth(16, 24, 1), "L"), "JPEG", quality=95)
# PNG variants
add("pal_trns.png", gt, "PNG", transparency=3)
add("bilevel.png", Image.fromarray(smooth(6, 10, 1) > 128).convert("1"), "PNG")
gtr = Image.fromarray(smooth(5, 6, 1), "L")
add("gray_trns.png", gtr, "PNG", transparency=40)
add("rgb_trns.png", Image.fromarray(rgb, "RGB"), "PNG", transparency=(0, 60, 120))
add("la.png", Image.fromarray(smooth(5, 6, 2), "LA"), "PNG")
a16 = (rng.integers(0, 65536, (4, 5, 3))).astype(">u2")
# 16-bit RGB PNG written by hand via Pillow's raw encoder is not available; use zlib directly.
import zlib
raw = b"".join(b"\x00" + a16[y].tobytes() for y in range(a16.shape[0]))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
png16 = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 4, 16, 2, 0, 0, 0)) + \
    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
with open(os.path.join(FMT, "rgb16.png"), "wb") as f:
    f.write(png16)
files["rgb16.png"] = os.path.join(FMT, "rgb16.png")
# A header claiming 100000 x 100000 pixels (no image data at all).
huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
with open(os.path.join(FMT, "huge_header.png"), "wb") as f:
    f.write(huge)

expected, tensors = {}, []
for name, path in sorted(files.items()):
    im = Image.open(path)
    im.load()
    key = name.replace(".", "_")
    expected[name] = {"key": key, "mode": im.mode, "size_wh": list(im.size)}
    tensors.append((key + ".rgb", np.array(im.convert("RGB"))))
    if im.mode in ("L", "LA", "RGB", "RGBA"):
        tensors.append((key + ".native", np.array(im)))
    elif im.mode == "1":
        tensors.append((key + ".native", np.array(im.convert("L"))))
with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"pillow": PIL.__version__, "files": expected}, f, indent=1, sort_keys=True)
save_safetensors(os.path.join(HERE, "expected.safetensors"), tensors)

# Resize cases: random content and sizes, every mode, down and up.
cases, tensors = [], []
modes = ["L", "LA", "RGB", "RGBA", "P", "1"]
sizes = [((13, 17), (5, 7)), ((40, 30), (53, 40)), ((9, 9), (31, 4)), ((64, 48), (21, 16)),
         ((33, 47), (32, 45)), ((50, 37), (43, 32)), ((7, 5), (7, 11)), ((31, 19), (12, 19)),
         ((50, 30), (120, 72)), ((90, 60), (29, 19)), ((3, 2), (1, 1)), ((47, 40), (37, 32))]
i = 0
for mode in modes:
    for (w, h), (ow, oh) in sizes:
        if mode in ("P", "1") and i % 2:
            i += 1
            continue
        if mode == "P":
            base = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB")
            im = base.quantize(colors=20)
        elif mode == "1":
            im = Image.fromarray(rng.integers(0, 2, (h, w), dtype=np.uint8) * 255, "L").convert("1")
        else:
            c = len(mode)
            noise = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
            if mode in ("LA", "RGBA"):
                noise[..., -1][rng.random((h, w)) < 0.2] = 0
                noise[..., -1][rng.random((h, w)) < 0.2] = 255
            arr = (noise[..., 0] if c == 1 else noise)
            im = Image.fromarray(arr, mode)
        out = im.resize((ow, oh), Image.BICUBIC)
        key = f"case{i:02d}"
        cases.append({"key": key, "mode": mode, "in_wh": [w, h], "out_wh": [ow, oh]})
        tensors.append((key + ".in", np.array(im.convert("RGB") if mode == "P" else
                                             (im.convert("L") if mode == "1" else im))))
        tensors.append((key + ".out", np.array(out.convert("RGB") if mode == "P" else
                                              (out.convert("L") if mode == "1" else out))))
        i += 1
save_safetensors(os.path.join(HERE, "resize.safetensors"), tensors)
with open(os.path.join(HERE, "resize.json"), "w") as f:
    json.dump({"pillow": PIL.__version__, "cases": cases}, f, indent=1)
print("ok", len(files), "files,", len(cases), "resize cases")
