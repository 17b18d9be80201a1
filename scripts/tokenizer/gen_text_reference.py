#!/usr/bin/env python3
"""Generate tests/data/tokenizer/text_reference.json: reference outputs of the Python functions that
the C++ tokenizer reproduces for its text cleaning, computed by the real implementations:

- ftfy 6.3.1: fix_text, fix_encoding, badness.is_bad, fixes.unescape_html
- CPython 3.11: html.unescape, bytes.decode("utf-8", "replace")
- regex 2022.10.31: CLIP's whitespace_clean and pre-tokenizer pattern, on the cleaned text
  (basic_clean = ftfy.fix_text, html.unescape twice, strip; then lower())

Inputs: the test cases of ftfy's repository (tests/test-cases/*.json, Apache-2.0, Copyright 2023
Robyn Speer) plus seeded random strings built from characters that exercise each rule.

Usage: pip install ftfy==6.3.1 regex==2022.10.31
       gen_text_reference.py PATH/TO/python-ftfy/tests/test-cases > tests/data/tokenizer/text_reference.json
"""
import glob
import html
import json
import os
import random
import sys

import ftfy
import ftfy.badness
import ftfy.fixes
import regex

assert ftfy.__version__ == "6.3.1", ftfy.__version__
assert regex.__version__ == "2.5.123", regex.__version__  # regex 2022.10.31
assert sys.version_info[:2] == (3, 11), sys.version

CLIP_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def clip_clean(text):
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return regex.sub(r"\s+", " ", text).strip().lower()


rng = random.Random(20240607)

ALPHABET = (
    list("abcdeAEIOSTsxyz019 ") + list("&;#<>'\"!$.,-_|/")
    + ["&amp;", "&lt;", "&#39;", "&#x27;", "&#", "&#x", "&nbsp", "&not", "&notin;", "&EACUTE;",
       "&eacute", "&AMP;", "&#128;", "&#0;", "&#xD800;", "&#1114112;", "&#11;", "&#x1F600;", "&ampx",
       "&amp;amp;", "&SZLIG;", "&FFLIG;", "&#99999999999999999999;", "&#X41;", "&abcdefghijklmnopqrstuvwxyz;"]
    + [chr(c) for c in [
        0x80, 0x81, 0x85, 0x8D, 0x92, 0x9D, 0xA0, 0xA9, 0xAD, 0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD8,
        0xD9, 0xE2, 0xE9, 0xF0, 0xF3, 0x152, 0x153, 0x160, 0x161, 0x178, 0x192, 0x2C6, 0x2DC,
        0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E, 0x2020, 0x2021, 0x2022,
        0x2026, 0x2030, 0x2039, 0x203A, 0x20AC, 0x2122, 0xFFFD, 0x2500, 0x2502, 0x2588, 0x221A,
        0x2248, 0x3B2, 0x393, 0x412, 0x420, 0x421, 0x432, 0x2BC, 0xFF21, 0xFF41, 0xFF76, 0xFF9E,
        0x3000, 0xFB01, 0xFB03, 0x132, 0x1C4, 0x301, 0x308, 0x345, 0x130, 0x3A3, 0x17F, 0x212A,
        0x1E9E, 0xDF, 0x2028, 0x2029, 0xFEFF, 0x200B, 0x200D, 0x1B, 0x0D, 0x0A, 0x09, 0x0B, 0x1C,
        0x1A, 0x7F, 0x206A, 0xFFFC, 0x660, 0x4E2D, 0xAC00, 0x1F600, 0x1F3FD, 0xE01, 0x915, 0x94D,
        0x5D0, 0xB2, 0x2460, 0x2167, 0x5F]]
    + ["\x1b[31m", "\x1b[0;1m", "\r\n", "Ã©", "Ã ", "â€™", "â€œ", "Ã¶", "Â£", "Ã\xa0", "ÃƒÂ©",
       "Ð¿Ñ€Ð¸", "âœ”", "ðŸ˜€", "í ½í¸€", "Ã¢â‚¬Å“", "<|startoftext|>", "<|endoftext|>",
       "<|ENDOFTEXT|>", "<|ſtartoftext|>", "'ſ", "'S", "'LL", "İ", "ΟΔΟΣ ", "ǅ", "x\u0345y"])

ENCODINGS = ["latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250",
             "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2",
             "macroman", "cp437"]


def random_text():
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))


def mojibake():
    base = "".join(rng.choice("abcé ñüß€–—“”’…中😀ÀÉçãõ ") for _ in range(rng.randint(1, 10)))
    try:
        text = base.encode("utf-8").decode(rng.choice(ENCODINGS))
    except UnicodeDecodeError:
        return base
    if rng.random() < 0.3:
        text = text.replace("\xa0", " ")
    if rng.random() < 0.3:
        text = "plain " + text + " text"
    if rng.random() < 0.2:
        text = text.encode("utf-8").decode("sloppy-windows-1252")
    return text


inputs = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    for case in json.load(open(path, encoding="utf-8")):
        inputs += [case["original"], case["fixed"]]
inputs += [
    "a &amp; b\n<c> &amp; d\n&amp; e",  # unescape_html switches off for good at the first '<'
    "&amp; one\r\ntwo &lt;\rthree\u2028four\x85five",
    "x" * 30 + "&" + "a" * 40 + ";",
    "line one Ã©\nline two â€™s\n",
]
inputs += [random_text() for _ in range(500)] + [mojibake() for _ in range(300)]
inputs = list(dict.fromkeys(inputs))  # unique, in order

byte_inputs = []
for _ in range(300):
    byte_inputs.append(bytes(
        rng.randrange(256) if rng.random() < 0.5 else
        rng.choice([0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0x80, 0xA0, 0xBF, 0x8F, 0x90, 0x61])
        for _ in range(rng.randint(1, 10))))

out = {
    "description": "Reference outputs for the tokenizer's text cleaning; see "
                   "scripts/tokenizer/gen_text_reference.py",
    "versions": {"python": sys.version.split()[0], "ftfy": ftfy.__version__,
                 "regex": "2022.10.31"},
    "text_cases": [
        {
            "text": t,
            "fix_text": ftfy.fix_text(t),
            "fix_encoding": ftfy.fix_encoding(t),
            "is_bad": bool(ftfy.badness.is_bad(t)),
            "ftfy_unescape_html": ftfy.fixes.unescape_html(t),
            "html_unescape": html.unescape(t),
            "clip_clean": clip_clean(t),
            "clip_pretokens": CLIP_PATTERN.findall(clip_clean(t)),
        }
        for t in inputs
    ],
    "utf8_cases": [{"bytes_hex": b.hex(), "decoded": b.decode("utf-8", "replace")}
                   for b in byte_inputs],
}
# One case per line, UTF-8.
head = {k: v for k, v in out.items() if not k.endswith("_cases")}
sys.stdout.write(json.dumps(head, ensure_ascii=False)[:-1])
for key in ("text_cases", "utf8_cases"):
    sys.stdout.write(',\n"%s": [\n' % key)
    sys.stdout.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in out[key]))
    sys.stdout.write("\n]")
sys.stdout.write("}\n")
