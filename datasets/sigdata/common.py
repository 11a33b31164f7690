"""Shared helpers for the data builders: image normalisation, PNG encoding,
WebDataset tar shards, folder/JSONL output, class-folder benchmarks, manifests.

Everything here is deterministic: no timestamps inside tars (mtime 0, uid/gid 0),
stable ordering, explicit seeds.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from PIL import Image

# ---------------------------------------------------------------- samples


@dataclass
class Sample:
    """One (image, caption source) item before rendering.

    `render` returns an RGBA (or RGB) PIL image of any size, or None if the
    source could not be rendered. `make_caption(rng)` returns one caption.
    """
    uid: str                      # stable unique id, e.g. "emoji/noto/1F98A"
    source: str                   # "emoji" | "openclipart" | "tuxpaint"
    design: str                   # emoji design, or the source name again
    label: str                    # class text (emoji name, stamp text, title)
    render: Callable[[int], Optional[Image.Image]]
    make_caption: Callable[..., str]
    license: str
    origin: str                   # path of the file the image came from
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------- text


def ascii_fold(text: str) -> str:
    """NFKD-fold accents (piñata -> pinata), straighten quotes, collapse spaces."""
    text = (text.replace("\u201c", '"').replace("\u201d", '"')
                .replace("\u2019", "'").replace("\u2018", "'"))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip()


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def slug(text: str, maxlen: int = 60) -> str:
    s = ascii_fold(text).lower()
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    return (s[:maxlen].rstrip("_")) or "x"


# ---------------------------------------------------------------- images


def to_square_rgb(img: Image.Image, size: int, margin: float = 0.04,
                  crop: bool = True) -> Optional[Image.Image]:
    """Composite over white, crop to the drawn content, fit into a white
    square of `size` px with `margin` (fraction of size) on each side.
    Returns None if the image is blank (nothing drawn)."""
    img = img.convert("RGBA")
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, img).convert("RGB")
    if crop:
        # content = any pixel visibly different from white after compositing
        inv = Image.eval(flat.convert("L"), lambda v: 255 - v)
        box = inv.point(lambda v: 255 if v > 10 else 0).getbbox()
        if box is None:
            return None
        flat = flat.crop(box)
    w, h = flat.size
    if w < 1 or h < 1:
        return None
    inner = max(1, int(round(size * (1 - 2 * margin))))
    scale = inner / max(w, h)
    nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
    flat = flat.resize((nw, nh), Image.LANCZOS, reducing_gap=3.0)
    out = Image.new("RGB", (size, size), (255, 255, 255))
    out.paste(flat, ((size - nw) // 2, (size - nh) // 2))
    return out


def is_blank(img: Image.Image) -> bool:
    lo, hi = img.convert("L").getextrema()
    return hi - lo < 16


def png_bytes(img: Image.Image, optimise: str = "lossless") -> bytes:
    """Encode RGB as PNG. optimise: "none" | "lossless" (palette when the image
    has <= 256 colours, else RGB; max zlib) | "palette" (quantise to at most
    256 colours when needed: visually lossless for these drawings, ~2x smaller)."""
    buf = io.BytesIO()
    if optimise == "none":
        img.save(buf, "PNG")
        return buf.getvalue()
    cands = []
    colours = img.getcolors(256)
    if colours is not None:
        p = img.convert("P", palette=Image.ADAPTIVE, colors=len(colours))
        # exact: ADAPTIVE with colours >= actual count keeps them all
        if list(p.convert("RGB").getdata()) == list(img.getdata()):
            cands.append(p)
    elif optimise == "palette":
        cands.append(img.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    cands.append(img)
    best = None
    for c in cands:
        b = io.BytesIO()
        c.save(b, "PNG", optimize=True)
        v = b.getvalue()
        if best is None or len(v) < len(best):
            best = v
    return best


def rsvg(path: str, px: int, timeout: int = 30) -> Optional[Image.Image]:
    """Rasterise an SVG with rsvg-convert so its longer side is `px`."""
    try:
        r = subprocess.run(["rsvg-convert", "-a", "-w", str(px), "-h", str(px), path],
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0 or not r.stdout:
        return None
    try:
        im = Image.open(io.BytesIO(r.stdout))
        im.load()
        return im
    except Exception:
        return None


# ---------------------------------------------------------------- writers


def _tar_add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = 0
    ti.mode = 0o644
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    tf.addfile(ti, io.BytesIO(data))


class TrainWriter:
    """Writes (png, caption) pairs either as WebDataset tar shards
    (`<prefix>-NNNNN.tar` holding `KEY.png` + `KEY.txt`, KEY = zero-padded
    global index) or as a folder (`images/KEY.png` + `captions.jsonl`).
    Also writes `index.tsv` (key, shard, source, design, label, license, origin)."""

    def __init__(self, out: str, fmt: str = "tar", shard_size: int = 1000,
                 prefix: str = "train", key_digits: int = 7):
        self.out, self.fmt, self.shard_size = out, fmt, shard_size
        self.prefix, self.key_digits = prefix, key_digits
        os.makedirs(out, exist_ok=True)
        self.n = 0
        self.tf = None
        self.shards: list[tuple[str, int]] = []
        self.index = open(os.path.join(out, "index.tsv"), "w", encoding="utf-8")
        self.index.write("key\tfile\tsource\tdesign\tlabel\tlicense\torigin\n")
        if fmt == "folder":
            os.makedirs(os.path.join(out, "images"), exist_ok=True)
            self.jsonl = open(os.path.join(out, "captions.jsonl"), "w", encoding="utf-8")

    def add(self, png: bytes, caption: str, s: Sample) -> None:
        key = str(self.n).zfill(self.key_digits)
        if self.fmt == "tar":
            if self.tf is None or self.shards[-1][1] >= self.shard_size:
                self._close_shard()
                name = f"{self.prefix}-{len(self.shards):05d}.tar"
                self.tf = tarfile.open(os.path.join(self.out, name), "w", format=tarfile.USTAR_FORMAT)
                self.shards.append((name, 0))
            _tar_add(self.tf, key + ".png", png)
            _tar_add(self.tf, key + ".txt", caption.encode("utf-8"))
            name, c = self.shards[-1]
            self.shards[-1] = (name, c + 1)
            where = name
        else:
            rel = f"images/{key}.png"
            with open(os.path.join(self.out, rel), "wb") as f:
                f.write(png)
            self.jsonl.write(json.dumps({"image": rel, "caption": caption}, ensure_ascii=False) + "\n")
            where = rel
        self.index.write("\t".join([key, where, s.source, s.design, s.label.replace("\t", " "),
                                    s.license, short_origin(s.origin)]) + "\n")
        self.n += 1

    def _close_shard(self):
        if self.tf is not None:
            self.tf.close()
            self.tf = None

    def close(self) -> dict:
        self._close_shard()
        self.index.close()
        info = {"format": self.fmt, "num_samples": self.n}
        if self.fmt == "tar":
            with open(os.path.join(self.out, "shards.txt"), "w") as f:
                for name, c in self.shards:
                    f.write(f"{name}\t{c}\n")
            info["shards"] = [{"file": n, "samples": c} for n, c in self.shards]
        else:
            self.jsonl.close()
        return info


def write_classfolder(root: str, classes: list[tuple[str, str]], items: dict,
                      templates: list[str]) -> dict:
    """classes: [(folder, class_text)] (folders must sort in the given order);
    items: folder -> [(filename, png bytes, Sample)].
    Writes root/<folder>/<file>.png, classnames.txt (sorted folder order),
    templates.txt, classes.tsv (index, folder, class text) and index.tsv."""
    os.makedirs(root, exist_ok=True)
    classes = sorted(classes)
    with open(os.path.join(root, "classnames.txt"), "w", encoding="utf-8") as f:
        for _, text in classes:
            f.write(text + "\n")
    with open(os.path.join(root, "templates.txt"), "w", encoding="utf-8") as f:
        for t in templates:
            f.write(t + "\n")
    n = 0
    with open(os.path.join(root, "classes.tsv"), "w", encoding="utf-8") as f, \
            open(os.path.join(root, "index.tsv"), "w", encoding="utf-8") as idx:
        f.write("index\tfolder\tclass\n")
        idx.write("file\tsource\tdesign\tlabel\tlicense\torigin\n")
        for i, (folder, text) in enumerate(classes):
            f.write(f"{i}\t{folder}\t{text}\n")
            os.makedirs(os.path.join(root, folder), exist_ok=True)
            for fname, png, s in items[folder]:
                with open(os.path.join(root, folder, fname), "wb") as g:
                    g.write(png)
                idx.write("\t".join([f"{folder}/{fname}", s.source, s.design, s.label,
                                     s.license, short_origin(s.origin)]) + "\n")
                n += 1
    return {"num_classes": len(classes), "num_images": n}


def short_origin(p: str) -> str:
    """Drop machine-specific prefixes: '.../site-packages/x' -> 'pip:x',
    '/usr/share/x' -> 'x' (Debian package files)."""
    if "/site-packages/" in p:
        return "pip:" + p.split("/site-packages/", 1)[1]
    if p.startswith("/usr/share/"):
        return p[len("/usr/share/"):]
    return p


def dir_size(path: str) -> tuple[int, int]:
    """(apparent bytes, number of files)"""
    tot = files = 0
    for dp, _, fns in os.walk(path):
        for fn in fns:
            tot += os.path.getsize(os.path.join(dp, fn))
            files += 1
    return tot, files


def package_version(pkg: str) -> str:
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            return r.stdout.strip()
    except FileNotFoundError:
        pass
    try:
        from importlib.metadata import version
        return version(pkg)
    except Exception:
        return "unknown"
