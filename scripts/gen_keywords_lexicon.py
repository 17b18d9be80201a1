#!/usr/bin/env python3
"""Builds assets/keywords_lexicon.tsv.gz, the word-class lexicon of lincir's keyword extractor.

Source: WordNet 3.0 as Debian's `wordnet-base` package installs it (/usr/share/wordnet). WordNet is
distributed under the WordNet 3.0 license (permissive, BSD-like; the notice is reproduced in the
output's header and in assets/README.md). Usage:

    apt-get install wordnet-base
    python3 scripts/gen_keywords_lexicon.py [--wordnet /usr/share/wordnet] [--out assets/keywords_lexicon.tsv.gz]

The output is deterministic (sorted, gzip mtime 0) so that regenerating it gives the same bytes.
Line format (tab separated, UTF-8):
    W <word> <classes> <n> <v> <a> <r>   a single-word lemma; <classes> is a subset of "nvar"
                                         (noun, verb, adjective incl. satellites, adverb); n v a r
                                         are SemCor tag counts (cntlist.rev) per class, a frequency
                                         prior for choosing between readings.
    X <form> <lemma> <class>             an irregular inflection from WordNet's *.exc files
                                         (e.g. "drawn draw v", "mice mouse n", "better good a").
    C <first> <second>                   a two-word noun compound whose first word ends in "ing"
                                         (e.g. "running shoe"): tells a gerund noun modifier from
                                         a participle before a noun.
"""
import argparse
import gzip
import io
import os
import re
import sys
from collections import defaultdict

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
SS_TYPE = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}
WORD_RE = re.compile(r"^[a-z][a-z0-9'.]*$")
ING_COMPOUND_RE = re.compile(r"^([a-z]+ing)_([a-z]+)$")

LICENSE = """\
# Derived from WordNet 3.0 by scripts/gen_keywords_lexicon.py. WordNet 3.0 license:
# Permission to use, copy, modify and distribute this software and database and its
# documentation for any purpose and without fee or royalty is hereby granted, provided that you
# agree to comply with the following copyright notice and statements, including the disclaimer,
# and that the same appear on ALL copies of the software, database and documentation, including
# modifications that you make for internal use or for distribution.
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION,
# PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT- ABILITY OR FITNESS FOR
# ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL
# NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.
# The name of Princeton University or Princeton may not be used in advertising or publicity
# pertaining to distribution of the software and/or database. Title to copyright in this
# software, database and any associated documentation shall at all times remain with Princeton
# University and LICENSEE agrees to preserve same.
"""


def read_index(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(" "):
                continue
            yield line.split(" ", 1)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "assets",
                                                  "keywords_lexicon.tsv.gz"))
    args = ap.parse_args()
    wn = args.wordnet
    if not os.path.isfile(os.path.join(wn, "index.noun")):
        sys.exit(f"error: no WordNet data in {wn} (apt-get install wordnet-base)")

    classes = defaultdict(set)
    compounds = set()
    for pos, name in POS_FILES.items():
        for lemma in read_index(os.path.join(wn, "index." + name)):
            if WORD_RE.match(lemma):
                classes[lemma].add(pos)
            elif pos == "n":
                m = ING_COMPOUND_RE.match(lemma)
                if m:
                    compounds.add((m.group(1), m.group(2)))

    counts = defaultdict(lambda: {"n": 0, "v": 0, "a": 0, "r": 0})
    with open(os.path.join(wn, "cntlist.rev"), encoding="utf-8") as f:
        for line in f:
            key, _sense, cnt = line.split()
            lemma, rest = key.split("%", 1)
            if lemma in classes:
                counts[lemma][SS_TYPE[rest[0]]] += int(cnt)

    exceptions = set()
    for pos, name in POS_FILES.items():
        path = os.path.join(wn, name + ".exc")
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 2 or not WORD_RE.match(parts[0]):
                    continue
                for lemma in parts[1:]:
                    if WORD_RE.match(lemma):
                        exceptions.add((parts[0], lemma, pos))

    out = io.StringIO()
    out.write(LICENSE)
    for word in sorted(classes):
        c = counts[word]
        cls = "".join(p for p in "nvar" if p in classes[word])
        out.write(f"W\t{word}\t{cls}\t{c['n']}\t{c['v']}\t{c['a']}\t{c['r']}\n")
    for form, lemma, pos in sorted(exceptions):
        out.write(f"X\t{form}\t{lemma}\t{pos}\n")
    for first, second in sorted(compounds):
        out.write(f"C\t{first}\t{second}\n")

    data = out.getvalue().encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.getvalue())
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(classes)} words, {len(exceptions)} inflections, "
          f"{len(compounds)} compounds, {len(buf.getvalue())} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
