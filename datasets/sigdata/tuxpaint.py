"""Tux Paint stamps (Debian tuxpaint-stamps-default, GPL-2+): PNG/SVG drawings, each
with a .txt whose first line is an English description ("A blackbird.").
Caption = that first line (lowercased)."""
from __future__ import annotations

import os

from PIL import Image

from .common import Sample, ascii_fold, rsvg

ROOT = "/usr/share/tuxpaint/stamps"
PACKAGE = ("deb", "tuxpaint-stamps-default")
LICENSE = "GPL-2.0-or-later"


def _open_png(p):
    im = Image.open(p)
    im.load()
    return im


def samples() -> list[Sample]:
    out = []
    for dp, dns, fns in os.walk(ROOT):
        dns.sort()
        for fn in sorted(fns):
            if not fn.endswith(".txt"):
                continue
            stem = fn[:-4]
            png = os.path.join(dp, stem + ".png")
            svg = os.path.join(dp, stem + ".svg")
            if os.path.exists(png):
                path, render = png, (lambda size, p=png: _open_png(p))
            elif os.path.exists(svg):
                path, render = svg, (lambda size, p=svg: rsvg(p, max(3 * size, 192)))
            else:
                continue
            with open(os.path.join(dp, fn), encoding="utf-8", errors="replace") as f:
                first = f.readline().strip()
            text = ascii_fold(first).lower()
            if not text:
                continue
            cat = os.path.relpath(dp, ROOT)
            label = text.rstrip(".!").strip()
            out.append(Sample(
                uid=f"tuxpaint/{cat}/{stem}", source="tuxpaint", design="tuxpaint",
                label=label, render=render, make_caption=(lambda rng, t=text: t),
                license=LICENSE, origin=path, meta={"category": cat}))
    return out
