#!/usr/bin/env python3
"""Composed image retrieval in a few lines with the lincir Python module.

Indexes the images of a folder, then searches it with a reference image plus a modification
text (LinCIR: the image becomes a pseudo-word `$` in the prompt).

    PYTHONPATH=build/python python3 examples/python/compose_search.py \
        --clip ViT-L-14.safetensors --phi lincir_large.pt --images photos/ \
        --reference photos/dress.jpg --text "is red and sleeveless"

CTest runs it on the tiny parity model (tests/data/parity) so that it keeps working.
"""

import argparse
import os
import sys

import lincir


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clip", required=True, help="CLIP weights (.safetensors, HF folder, .pt)")
    ap.add_argument("--config", help="architecture: preset name or JSON file, if the weights lack one")
    ap.add_argument("--phi", required=True, help="projector φ (lincir .safetensors or LinCIR .pt)")
    ap.add_argument("--images", required=True, help="folder of gallery images")
    ap.add_argument("--reference", help="reference image (default: the first gallery image)")
    ap.add_argument("--text", default="is red", help="modification text")
    ap.add_argument("-k", type=int, default=5, help="results to show")
    args = ap.parse_args(argv)

    model = lincir.load(args.clip, phi=args.phi, config=args.config)

    exts = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
    paths = sorted(os.path.join(args.images, f) for f in os.listdir(args.images)
                   if f.lower().endswith(exts))
    if not paths:
        sys.exit("no images in %s" % args.images)

    gallery = lincir.Gallery(model.embed_dim)  # cosine similarity
    ids = gallery.add(model.encode_image(paths), names=[os.path.basename(p) for p in paths])

    reference = args.reference or paths[0]
    query = model.compose(reference, args.text, template="a photo of $ that {}")
    # Leave the reference itself out of the ranking when it is in the gallery (as CIRR does).
    exclude = ids[paths.index(reference)] if reference in paths else None
    scores, found = gallery.search(query, k=min(args.k, len(gallery)), exclude=exclude)

    print("query: %s + %r" % (os.path.basename(reference), args.text))
    for rank, (score, i) in enumerate(zip(scores[0], found[0]), 1):
        if i < 0:
            break
        print("%2d. %-28s %.4f" % (rank, gallery.name_of(int(i)), score))
    return 0


if __name__ == "__main__":
    sys.exit(main())
