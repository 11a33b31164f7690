#!/usr/bin/env python3
"""Build the small bundled default data set in datasets/default/ (committed).

  python3 datasets/build_default.py [--out datasets/default] [--size 32] [--seed 0]

- heldout_classes/: emoji base-name split (80/20, seed 0); a benchmark of
  --heldout-classes classes drawn from the 20 % part, all five designs.
- zeroshot/: held-out STYLE benchmark: one twemoji image for each of
  --zs-classes emoji classes (Unicode emoji version <= 1.0, not flags, not
  skin-tone variants, not in the held-out 20 %, drawn in all five designs).
- train/: WebDataset tar shards: every zero-shot class in the 4 other designs,
  plus random other emoji (never held-out classes, never twemoji), openclipart
  and Tux Paint drawings.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import build  # noqa: E402
from sigdata import common, emoji, openclipart, tuxpaint  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--out", default=os.path.join(here, "default"))
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--holdout-design", default="twemoji")
    p.add_argument("--zs-classes", type=int, default=250)
    p.add_argument("--extra-emoji", type=int, default=400)
    p.add_argument("--openclipart", type=int, default=250)
    p.add_argument("--tuxpaint", type=int, default=150)
    p.add_argument("--heldout-classes", type=int, default=50)
    p.add_argument("--optimise", default="palette", choices=["none", "lossless", "palette"])
    a = p.parse_args()
    hd = a.holdout_design
    others = [d for d in emoji.DESIGNS if d != hd]

    if os.path.isdir(a.out):
        for sub in ("train", "zeroshot", "heldout_classes"):
            shutil.rmtree(os.path.join(a.out, sub), ignore_errors=True)
    os.makedirs(a.out, exist_ok=True)

    # 1. class split
    train_bases, held_bases = emoji.class_split(a.seed, 0.2)
    held = set(held_bases)
    hc_dir = os.path.join(a.out, "heldout_classes")
    build.cmd_split(SimpleNamespace(out=hc_dir, seed=a.seed, fraction=0.2))
    held_file = os.path.join(hc_dir, "emoji_heldout_bases.txt")

    # 2. zero-shot classes: old (<= E1.0), in all five designs, renderable
    by_design = {d: {s.label: s for s in emoji.samples([d], include_flags=False)} for d in emoji.DESIGNS}
    cands = [e for e in emoji.load_catalogue()
             if not e.skin_tone and not e.is_flag and e.base not in held and e.version <= 1.0
             and all(e.label in by_design[d] for d in emoji.DESIGNS)]
    cands = sorted({e.label for e in cands})
    random.Random(f"{a.seed}:zeroshot").shuffle(cands)
    zs = []
    for label in cands:
        if len(zs) >= a.zs_classes:
            break
        if all(build.render_png(by_design[d][label], a.size, "none") for d in emoji.DESIGNS):
            zs.append(label)
    zs = sorted(zs)
    print(f"zero-shot classes: {len(zs)}", file=sys.stderr)

    # 3. training samples
    train = [by_design[d][l] for l in zs for d in others]
    pool = sorted((s for d in others for s in by_design[d].values()
                   if s.label not in zs and s.meta["base"] not in held), key=lambda s: s.uid)
    random.Random(f"{a.seed}:emoji").shuffle(pool)
    train += pool[: a.extra_emoji]
    held_labels = build.excluded_labels(held)
    oc = sorted(build.drop_label_matches(openclipart.samples(), held_labels), key=lambda s: s.uid)
    random.Random(f"{a.seed}:openclipart").shuffle(oc)
    train += oc[: a.openclipart]
    tp = sorted(build.drop_label_matches(tuxpaint.samples(), held_labels), key=lambda s: s.uid)
    random.Random(f"{a.seed}:tuxpaint").shuffle(tp)
    train += tp[: a.tuxpaint]
    assert not any(s.design == hd for s in train)
    targs = SimpleNamespace(out=os.path.join(a.out, "train"), size=a.size, seed=a.seed, format="tar",
                            shard_size=1000, optimise=a.optimise, holdout_design=hd,
                            exclude_classes="heldout_classes/emoji_heldout_bases.txt",
                            include_skin_tones=False, no_flags=True)
    extra = (f"Bundled default: every zero-shot class ({len(zs)}, see ../zeroshot/classnames.txt) in each of "
             f"the designs {', '.join(others)}; plus {a.extra_emoji} random other emoji, {a.openclipart} "
             f"openclipart and {a.tuxpaint} Tux Paint drawings. No {hd} image; no held-out class.")
    build.write_train(targs, train, others, ["emoji", "openclipart", "tuxpaint"],
                      "Bundled default training set", extra)

    # 4. zero-shot benchmark (held-out style)
    items = [(l, [by_design[hd][l]]) for l in zs]
    build.write_benchmark(os.path.join(a.out, "zeroshot"), f"Zero-shot benchmark, held-out style: {hd}",
                          items, a.size, a.optimise, emoji.ZEROSHOT_TEMPLATES, [hd], [],
                          {"benchmark": "zeroshot-style", "holdout_design": hd, "seed": a.seed,
                           "selection": "emoji version <= 1.0, no flags/skin tones, present in all designs, "
                                        "not held-out classes; random subset"})

    # 5. held-out classes benchmark
    hc = sorted({l for d in emoji.DESIGNS for l, s in by_design[d].items() if s.meta["base"] in held})
    hc = [l for l in hc if sum(l in by_design[d] for d in emoji.DESIGNS) >= 4]
    random.Random(f"{a.seed}:heldout").shuffle(hc)
    hc = sorted(hc[: a.heldout_classes])
    items = [(l, [by_design[d][l] for d in emoji.DESIGNS if l in by_design[d]]) for l in hc]
    build.write_benchmark(hc_dir, "Held-out classes benchmark (emoji base names never seen in training)",
                          items, a.size, a.optimise, emoji.ZEROSHOT_TEMPLATES, emoji.DESIGNS, [],
                          {"benchmark": "heldout-classes", "split_seed": a.seed, "fraction": 0.2,
                           "selection": f"{a.heldout_classes} random held-out labels (no flags/skin tones) "
                                        "present in >= 4 designs"},
                          "The full 80/20 split of base names is in emoji_train_bases.txt / "
                          "emoji_heldout_bases.txt (skin tone removed, man/woman/person folded).")

    tot = 0
    for sub in ("train", "zeroshot", "heldout_classes"):
        b, n = common.dir_size(os.path.join(a.out, sub))
        tot += b
        print(f"{sub}: {b / 1e6:.2f} MB in {n} files", file=sys.stderr)
    print(f"total: {tot / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
