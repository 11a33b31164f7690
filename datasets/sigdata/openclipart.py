"""Openclipart source (Debian openclipart-svg, public domain): SVG drawings whose
metadata holds a title (dc:title) and keywords (rdf:li in dc:subject).

Each drawing appears once (files are duplicated across category folders; the
deepest folder is its category). Drawings in computer/icons, shapes/stars and
special/patterns (and special/gradients, which are colour swatches) are dropped.
Captions: the cleaned title plus 0-3 of its keywords in random order.
"""
from __future__ import annotations

import html
import os
import random
import re

from .common import Sample, article, ascii_fold, rsvg

ROOT = "/usr/share/openclipart/svg"
PACKAGE = ("deb", "openclipart-svg")
LICENSE = "public-domain"
DROP = {"computer/icons", "shapes/stars", "special/patterns", "special/gradients"}
TEMPLATES = ["{t}", "a drawing of {a} {t}", "clip art of {a} {t}", "{a} {t}",
             "an illustration of {a} {t}", "a picture of {a} {t}"]
STOP_KW = {"clip art", "clipart", "clip-art", "image", "images", "media", "svg", "png",
           "public domain", "publicdomain", "openclipart", "externalsource", "unchecked",
           "how i did it", "remix", "inkscape", "drawing", "illustration", "picture",
           "cartoon", "icon", "symbol", "colour", "color", "nopublisher"}


def _category(path: str) -> str:
    rel = os.path.relpath(os.path.dirname(path), ROOT)
    return "/".join(rel.split(os.sep)[:2])


def clean_title(t: str, stem: str) -> str:
    t = ascii_fold(html.unescape(t or "")).lower()
    if not t:
        t = stem.lower()
    t = t.replace("_", " ").replace(",", " ")
    t = re.sub(r"^(a )?clip ?arts? by [a-z .]+ - ", "", t)
    t = re.sub(r"\.(svg|png)$", "", t)
    t = re.sub(r"(?<=[a-z])\d+$", "", t)          # "bee3" -> "bee"
    t = re.sub(r"\s+\d+$", "", t)                 # "flower 2" -> "flower"
    t = re.sub(r"[^a-z0-9'&\- ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def parse_meta(path: str):
    with open(path, "rb") as f:
        head = f.read(60000).decode("utf-8", "replace")
    m = re.search(r"<cc:Work.*?</cc:Work>", head, re.S)
    block = m.group(0) if m else head
    tm = re.search(r"<dc:title>(.*?)</dc:title>", block, re.S)
    title = tm.group(1).strip() if tm else ""
    sm = re.search(r"<dc:subject>(.*?)</dc:subject>", block, re.S)
    kws = []
    if sm:
        for k in re.findall(r"<rdf:li>(.*?)</rdf:li>", sm.group(1), re.S):
            k = ascii_fold(html.unescape(k)).lower().replace(",", " ").replace("_", " ").strip()
            k = re.sub(r"\s+", " ", k)
            if (k and k not in STOP_KW and len(k) <= 30 and k not in kws
                    and re.fullmatch(r"[a-z][a-z0-9 '&\-]*", k)):
                kws.append(k)
    return title, kws


def collect():
    """-> list of (path, category) with one entry per unique drawing."""
    by_name: dict[str, list[str]] = {}
    for dp, dns, fns in os.walk(ROOT):
        dns.sort()
        for fn in sorted(fns):
            if fn.endswith(".svg"):
                by_name.setdefault(fn, []).append(os.path.join(dp, fn))
    out = []
    for fn in sorted(by_name):
        paths = by_name[fn]
        if any(_category(p) in DROP for p in paths):
            continue
        real = [p for p in paths if not os.path.islink(p)] or paths
        best = max(real, key=lambda p: (p.count(os.sep), p))
        out.append((best, _category(best)))
    return out


def make_caption(title: str, kws: list, rng: random.Random) -> str:
    cap = rng.choice(TEMPLATES).format(t=title, a=article(title))
    others = [k for k in kws if k != title]
    k = rng.randint(0, min(3, len(others)))
    if k:
        cap += ", " + ", ".join(rng.sample(others, k))
    return cap


def samples() -> list[Sample]:
    out = []
    for path, cat in collect():
        stem = os.path.basename(path)[:-4]
        title, kws = parse_meta(path)
        t = clean_title(title, stem)
        if not t or len(t) < 2:
            if not kws:
                continue
            t = kws[0]
        out.append(Sample(
            uid=f"openclipart/{cat}/{stem}", source="openclipart", design="openclipart",
            label=t, render=(lambda size, p=path: rsvg(p, max(3 * size, 192))),
            make_caption=(lambda rng, t=t, kws=kws: make_caption(t, kws, rng)),
            license=LICENSE, origin=path, meta={"category": cat, "keywords": kws[:12]}))
    return out
