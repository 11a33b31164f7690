"""The RINS study's data: training shards with several captions per image, and three
benchmarks split once into dev and test halves by class (see datasets/README.md, `study`).

- train/: emoji in the four designs other than the held-out one (held-out classes excluded),
  Openclipart and Tux Paint; each sample's .txt holds its candidate captions, one per line.
- heldout-style/{dev,test}: every held-out-design image of every emoji class in training.
- heldout-classes/{dev,test}: emoji classes never trained on (20 % of base names), all designs;
  no class name occurs in any training caption (word-level rule below, checked at the end).
- heldout-pairs/{dev,test}: 5 % of the training samples, removed from training before it is
  written, as images + captions.jsonl (their first caption), for retrieval and validation loss.
- tokenizer.model: SentencePiece trained on the training captions only.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re

from . import emoji

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lowercased words: runs of letters and digits (the rule of Swift's CaptionLeaks)."""
    return WORD.findall(text.lower())


def phrase_in(phrase: list[str], caption_words: list[str]) -> bool:
    """Whether `phrase` occurs consecutively in `caption_words`, its last word also plural."""
    k = len(phrase)
    if k == 0:
        return False
    last = {phrase[-1], phrase[-1] + "s", phrase[-1] + "es"}
    for i in range(len(caption_words) - k + 1):
        if caption_words[i:i + k - 1] == phrase[:-1] and caption_words[i + k - 1] in last:
            return True
    return False


class PhraseIndex:
    """Class names indexed by first word, to scan many captions quickly."""

    def __init__(self, names):
        self.by_first = {}
        for n in names:
            w = words(n)
            if w:
                self.by_first.setdefault(w[0], []).append((n, w))

    def find(self, caption: str) -> set[str]:
        ws = words(caption)
        found = set()
        for i, w in enumerate(ws):
            keys = {w} | ({w[:-1]} if w.endswith("s") else set()) | ({w[:-2]} if w.endswith("es") else set())
            for key in keys:
                for name, phrase in self.by_first.get(key, []):
                    if phrase_in(phrase, ws[i:]):
                        found.add(name)
        return found


def half(seed: int, key: str) -> str:
    """'dev' or 'test' for a class (or sample) key, deterministic from the seed."""
    h = hashlib.sha256(f"{seed}:split:{key}".encode()).digest()
    return "dev" if h[0] % 2 == 0 else "test"


def held_out_pair(seed: int, uid: str, fraction: float) -> bool:
    h = hashlib.sha256(f"{seed}:pairs:{uid}".encode()).digest()
    return int.from_bytes(h[:4], "big") < fraction * 2 ** 32


def captions(sample, seed: int, count: int = 6, tries: int = 24) -> list[str]:
    """Up to `count` distinct candidate captions of a sample, deterministic from (seed, uid);
    the first is the canonical one (evaluation uses it)."""
    out = []
    for k in range(tries):
        c = sample.make_caption(random.Random(f"{seed}:{sample.uid}:{k}")).strip()
        c = " ".join(c.split())
        if c and c not in out:
            out.append(c)
        if len(out) >= count:
            break
    return out


def held_out_labels(seed: int, fraction: float = 0.2) -> dict[str, str]:
    """Held-out emoji labels → base, from the 80/20 base-name split (no flags, no skin tones)."""
    held = set(emoji.class_split(seed, fraction)[1])
    return {e.label: e.base for e in emoji.load_catalogue()
            if e.base in held and not e.skin_tone and not e.is_flag}


def plan_leaks(train_samples, caption_of, held_labels, max_leaks: int):
    """Decide, per held-out label, whether to keep it as a benchmark class (and drop the
    training samples whose captions name it) or to leave it out of the benchmark (when it
    would remove more than `max_leaks` training samples: a common word). Returns
    (benchmark labels, dropped sample uids by label, labels left out)."""
    index = PhraseIndex(held_labels)
    hits = {}
    for s in train_samples:
        for c in caption_of[s.uid]:
            for name in index.find(c):
                hits.setdefault(name, set()).add(s.uid)
    keep, dropped, left_out = [], {}, []
    for label in sorted(held_labels):
        uids = hits.get(label, set())
        if len(uids) > max_leaks:
            left_out.append((label, len(uids)))
        else:
            keep.append(label)
            if uids:
                dropped[label] = sorted(uids)
    return keep, dropped, left_out


def verify_no_leaks(lines, labels) -> list[tuple[str, str]]:
    index = PhraseIndex(labels)
    leaks = []
    for c in lines:
        for name in index.find(c):
            leaks.append((name, c))
    return leaks


def write_pairs(root: str, items) -> int:
    """items: [(png, caption, sample)] → root/images/NNNNNNN.png + captions.jsonl."""
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    with open(os.path.join(root, "captions.jsonl"), "w", encoding="utf-8") as f:
        for i, (png, caption, s) in enumerate(items):
            rel = f"images/{i:07d}.png"
            with open(os.path.join(root, rel), "wb") as g:
                g.write(png)
            f.write(json.dumps({"image": rel, "caption": caption, "source": s.source, "label": s.label},
                               ensure_ascii=False) + "\n")
    return len(items)
