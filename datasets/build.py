#!/usr/bin/env python3
"""Data builders for SigLIP training / zero-shot evaluation (see datasets/README.md).

Subcommands:
  split            emoji base-name 80/20 split -> train/heldout class lists
  train            image-caption training set (WebDataset tar shards or folder+JSONL)
  zeroshot-style   held-out STYLE benchmark (one design, class folders)
  heldout-classes  held-out CLASSES benchmark (20% of base names, all designs)
  subgroups        emoji subgroup classification benchmark (class folders)
  study            the RINS study's data: multi-caption training shards, a tokenizer trained on
                   them, and held-out style / classes / pairs benchmarks split into dev and test

Source code for each source lives in its own module: sigdata/emoji.py,
sigdata/openclipart.py, sigdata/tuxpaint.py; shared writers in sigdata/common.py.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sigdata import common, emoji, openclipart, tuxpaint  # noqa: E402
from sigdata.common import png_bytes, to_square_rgb  # noqa: E402

SOURCE_INFO = {
    "openclipart": ("Openclipart 0.18 (openclipart.org), via Debian", openclipart.PACKAGE,
                    "Public domain (Creative Commons Public Domain Dedication); no attribution required."),
    "tuxpaint": ("Tux Paint stamps, Copyright 2002-2022 Bill Kendrick and the Tux Paint contributors",
                 tuxpaint.PACKAGE, "GPL-2.0-or-later (images and descriptions)."),
}
EMOJI_ATTRIB = {
    "noto": "Noto Color Emoji, Copyright 2013-2017 Google Inc. SIL Open Font License 1.1.",
    "twemoji": "Twemoji graphics Copyright 2019 Twitter, Inc and other contributors. CC-BY 4.0 "
               "(https://creativecommons.org/licenses/by/4.0/).",
    "openmoji": "OpenMoji (https://openmoji.org), the open-source emoji and icon project. "
                "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/).",
    "emojione": "Emoji artwork provided by EmojiOne (Copyright 2014 Ranks.com Inc.), via the "
                "gemojione gem. CC BY-SA 4.0.",
    "symbola": "Symbola font, Copyright 2007-2015 George Douros. 'Fonts are free for any use; they "
               "may be opened, edited, modified, regenerated, packaged and redistributed.'",
}


# ---------------------------------------------------------------- helpers


def read_list(path):
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def excluded_labels(bases):
    """Emoji labels whose base name is in `bases`, plus the bases themselves."""
    if not bases:
        return set()
    return {e.label for e in emoji.load_catalogue() if e.base in bases or e.label in bases} | set(bases)


def drop_label_matches(samples, labels):
    """Drop non-emoji samples whose caption label names an excluded emoji class
    exactly ("musical note", "a boar." -> "boar")."""
    import re
    out = []
    for s in samples:
        l = re.sub(r"^(a|an|the) ", "", s.label.strip().rstrip("."))
        if s.source != "emoji" and (l in labels or s.label in labels):
            continue
        out.append(s)
    return out


def render_png(s, size, optimise):
    try:
        im = s.render(size)
    except Exception:
        return None
    if im is None:
        return None
    sq = to_square_rgb(im, size)
    if sq is None or common.is_blank(sq):
        return None
    return png_bytes(sq, optimise)


def versions(designs, sources):
    rows = []
    for d in designs:
        kind, pkg = emoji.PACKAGES[d]
        rows.append((f"emoji/{d}", kind, pkg, common.package_version(pkg), emoji.LICENSES[d]))
    if designs:
        for kind, pkg, lic in emoji.TEXT_PACKAGES:
            rows.append(("emoji text", kind, pkg, common.package_version(pkg), lic))
    for s in sources:
        if s in SOURCE_INFO:
            kind, pkg = SOURCE_INFO[s][1]
            lic = openclipart.LICENSE if s == "openclipart" else tuxpaint.LICENSE
            rows.append((s, kind, pkg, common.package_version(pkg), lic))
    rows.append(("rasteriser", "deb", "librsvg2-bin", common.package_version("librsvg2-bin"), "LGPL-2+ (tool only)"))
    return rows


def write_sources_md(out, title, info, designs, sources, counts, extra=""):
    rows = versions(designs, sources)
    lines = [f"# {title}", "", "Built by `datasets/build.py` from installed Debian/PyPI packages.", "",
             "## Packages", "", "| part | kind | package | version | license |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    lines += ["", "## Counts", "", "| source/design | images |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(counts.items())]
    lines += ["", f"Total: {sum(counts.values())}", "", "## Attribution and licenses", ""]
    for d in designs:
        lines.append(f"- emoji/{d}: {EMOJI_ATTRIB[d]}")
    if designs:
        lines.append("- Emoji names, groups and keywords: Unicode emoji-test.txt and CLDR annotations, "
                     "Copyright 1991-2022 Unicode, Inc., Unicode License (Unicode-DFS-2016).")
    for s in sources:
        if s in SOURCE_INFO:
            lines.append(f"- {s}: {SOURCE_INFO[s][0]}. {SOURCE_INFO[s][2]}")
    lines += ["", "Images were re-rendered (composited over white, cropped, resized); each image keeps "
              "the license of its design/source (see `index.tsv`, column `license`). Share-alike "
              "designs (OpenMoji, EmojiOne: CC BY-SA 4.0; Tux Paint: GPL-2+) require derived "
              "images to be shared under the same terms.", ""]
    if extra:
        lines += [extra, ""]
    lines += ["## Build settings", "", "```json", json.dumps(info, indent=1, sort_keys=True), "```", ""]
    with open(os.path.join(out, "SOURCES.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"info": info, "counts": counts,
                   "packages": [dict(zip(["part", "kind", "package", "version", "license"], r)) for r in rows]},
                  f, indent=1, sort_keys=True)


def progress(i, n, what):
    if i % 500 == 0 or i == n:
        print(f"  {what}: {i}/{n}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- train


def train_samples(a):
    designs = [d for d in (a.designs.split(",") if a.designs else emoji.DESIGNS) if d != a.holdout_design]
    srcs = a.sources.split(",")
    excl = read_list(a.exclude_classes)
    out = []
    if "emoji" in srcs:
        out += emoji.samples(designs, include_skin_tones=a.include_skin_tones,
                             include_flags=not a.no_flags, exclude_bases=excl)
    else:
        designs = []
    if "openclipart" in srcs:
        out += openclipart.samples()
    if "tuxpaint" in srcs:
        out += tuxpaint.samples()
    if excl:
        out = drop_label_matches(out, excluded_labels(excl))
    return out, designs, srcs


def write_train(a, samples, designs, srcs, title="Training set", extra=""):
    samples = sorted(samples, key=lambda s: s.uid)
    random.Random(a.seed).shuffle(samples)
    w = common.TrainWriter(a.out, a.format, a.shard_size)
    counts, skipped = Counter(), Counter()
    for i, s in enumerate(samples):
        png = render_png(s, a.size, a.optimise)
        if png is None:
            skipped[f"{s.source}/{s.design}"] += 1
        else:
            cap = s.make_caption(random.Random(f"{a.seed}:{s.uid}"))
            w.add(png, cap, s)
            counts[f"{s.source}/{s.design}"] += 1
        progress(i + 1, len(samples), "train")
    info = w.close()
    info.update({"size": a.size, "seed": a.seed, "holdout_design": getattr(a, "holdout_design", None),
                 "designs": designs, "sources": srcs, "skipped_unrenderable": dict(skipped),
                 "exclude_classes": getattr(a, "exclude_classes", None),
                 "include_skin_tones": getattr(a, "include_skin_tones", False),
                 "flags": not getattr(a, "no_flags", False), "png": a.optimise})
    write_sources_md(a.out, title, info, designs, srcs, dict(counts), extra)
    print(json.dumps({"out": a.out, "counts": dict(counts), "skipped": dict(skipped)}), file=sys.stderr)
    return counts


def cmd_train(a):
    samples, designs, srcs = train_samples(a)
    if a.limit:
        samples = sorted(samples, key=lambda s: s.uid)
        random.Random(a.seed + 1).shuffle(samples)
        samples = samples[: a.limit]
    write_train(a, samples, designs, srcs)


# ---------------------------------------------------------------- benchmarks


def write_benchmark(out, title, class_items, size, optimise, templates, designs, sources, info, extra=""):
    """class_items: list of (class_text, [Sample]) -> class folders NNNN_slug."""
    classes, items, counts = [], {}, Counter()
    n_digits = max(4, len(str(len(class_items))))
    k = 0
    for text, samples in class_items:
        pngs = []
        for s in samples:
            png = render_png(s, size, optimise)
            if png is not None:
                fname = f"{s.design}_{s.meta.get('hex', common.slug(s.uid))}.png"
                pngs.append((fname, png, s))
        if not pngs:
            continue
        folder = f"{str(k).zfill(n_digits)}_{common.slug(text, 48)}"
        k += 1
        classes.append((folder, text))
        items[folder] = pngs
        for _, _, s in pngs:
            counts[f"{s.source}/{s.design}"] += 1
    res = common.write_classfolder(out, classes, items, templates)
    info = dict(info, **res, size=size, png=optimise)
    write_sources_md(out, title, info, designs, sources, dict(counts), extra)
    print(json.dumps({"out": out, **res}), file=sys.stderr)
    return classes


def emoji_by_label(designs, **kw):
    by = defaultdict(list)
    for s in emoji.samples(designs, **kw):
        by[s.label].append(s)
    return by


def cmd_zeroshot_style(a):
    excl = read_list(a.exclude_classes)
    only = read_list(a.classes)
    by = emoji_by_label([a.holdout_design], include_skin_tones=a.include_skin_tones,
                        include_flags=not a.no_flags, exclude_bases=excl, only_labels=only)
    # classes must also exist in training: at least one other design has the emoji
    others = [d for d in emoji.DESIGNS if d != a.holdout_design]
    train_by = emoji_by_label(others, include_skin_tones=a.include_skin_tones,
                              include_flags=not a.no_flags, exclude_bases=excl, only_labels=only)
    labels = [l for l in by if l in train_by]
    if a.max_classes and len(labels) > a.max_classes:
        labels = sorted(labels)
        random.Random(a.seed).shuffle(labels)
        labels = labels[: a.max_classes]
    items = [(l, by[l]) for l in sorted(labels)]
    write_benchmark(a.out, f"Zero-shot benchmark, held-out style: {a.holdout_design}", items, a.size,
                    a.optimise, emoji.ZEROSHOT_TEMPLATES, [a.holdout_design], [],
                    {"benchmark": "zeroshot-style", "holdout_design": a.holdout_design, "seed": a.seed,
                     "exclude_classes": a.exclude_classes})


def cmd_split(a):
    train, held = emoji.class_split(a.seed, a.fraction)
    os.makedirs(a.out, exist_ok=True)
    for name, lst in (("emoji_train_bases.txt", train), ("emoji_heldout_bases.txt", held)):
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            f.write(f"# emoji base names (skin tone removed, man/woman/person folded); split seed {a.seed}\n")
            f.write("\n".join(lst) + "\n")
    print(f"train bases {len(train)}, held-out bases {len(held)} -> {a.out}", file=sys.stderr)


def cmd_heldout_classes(a):
    if a.heldout_bases:
        held = read_list(a.heldout_bases)
    else:
        held = set(emoji.class_split(a.seed, a.fraction)[1])
    designs = a.designs.split(",") if a.designs else emoji.DESIGNS
    by = emoji_by_label(designs, include_skin_tones=a.include_skin_tones, include_flags=not a.no_flags,
                        only_bases=held)
    labels = sorted(by)
    if a.max_classes and len(labels) > a.max_classes:
        random.Random(a.seed).shuffle(labels)
        labels = sorted(labels[: a.max_classes])
    items = [(l, by[l]) for l in labels]
    write_benchmark(a.out, "Held-out classes benchmark (emoji base names never seen in training)", items,
                    a.size, a.optimise, emoji.ZEROSHOT_TEMPLATES, designs, [],
                    {"benchmark": "heldout-classes", "split_seed": a.seed, "fraction": a.fraction,
                     "designs": designs},
                    "Train with `build.py train --exclude-classes <emoji_heldout_bases.txt>` so these "
                    "classes never appear in training.")


def cmd_subgroups(a):
    designs = a.designs.split(",") if a.designs else [a.holdout_design]
    cat = [e for e in emoji.load_catalogue() if not e.skin_tone and (not a.no_flags or not e.is_flag)]
    sizes = Counter(e.subgroup for e in cat)
    keep = {g for g, c in sizes.items() if c >= a.min_members}
    by = defaultdict(list)
    for s in emoji.samples(designs, include_flags=not a.no_flags):
        if s.meta["subgroup"] in keep:
            by[s.meta["subgroup"]].append(s)
    items = [(g.replace("-", " "), by[g]) for g in sorted(by)]
    write_benchmark(a.out, "Emoji subgroup classification", items, a.size, a.optimise,
                    emoji.ZEROSHOT_TEMPLATES, designs, [],
                    {"benchmark": "subgroups", "min_members": a.min_members, "designs": designs})


# ---------------------------------------------------------------- study


def cmd_study(a):
    """See sigdata/study.py. Deterministic for a seed and package versions."""
    import time
    from sigdata import study
    started = time.time()
    hd = a.holdout_design
    others = [d for d in emoji.DESIGNS if d != hd]
    held = study.held_out_labels(a.seed)
    cands = emoji.samples(others, include_flags=False, exclude_bases=set(held.values()))
    cands += openclipart.samples() + tuxpaint.samples()
    cands = sorted(cands, key=lambda s: s.uid)
    caption_of = {s.uid: study.captions(s, a.seed) for s in cands}
    cands = [s for s in cands if caption_of[s.uid]]
    keep, dropped, left_out = study.plan_leaks(cands, caption_of, held, a.max_leaks)
    drop = {u for uids in dropped.values() for u in uids}
    cands = [s for s in cands if s.uid not in drop]
    pairs = [s for s in cands if study.held_out_pair(a.seed, s.uid, a.pairs_fraction)]
    train = [s for s in cands if not study.held_out_pair(a.seed, s.uid, a.pairs_fraction)]
    if os.path.isdir(a.out):
        import shutil
        shutil.rmtree(a.out)
    os.makedirs(a.out)

    # Training shards: the candidate captions one per line.
    random.Random(f"{a.seed}:order").shuffle(train)
    w = common.TrainWriter(os.path.join(a.out, "train"), "tar", 1000)
    counts, lines, train_labels = Counter(), [], set()
    for i, s in enumerate(train):
        png = render_png(s, a.size, a.optimise)
        if png is not None:
            w.add(png, "\n".join(caption_of[s.uid]), s)
            counts[f"{s.source}/{s.design}"] += 1
            lines += caption_of[s.uid]
            if s.source == "emoji":
                train_labels.add(s.label)
        progress(i + 1, len(train), "train")
    info = w.close()
    write_sources_md(os.path.join(a.out, "train"), "RINS study training set", dict(info, size=a.size, seed=a.seed),
                     others, ["emoji", "openclipart", "tuxpaint"], dict(counts),
                     "Each sample's .txt holds its candidate captions, one per line; training draws one per epoch.")
    with open(os.path.join(a.out, "captions_all.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(c.lower() for c in lines) + "\n")

    # Benchmarks, each split once by class into dev and test.
    def split_benchmark(name, title, by, labels, designs, info):
        made = {}
        for half in ("dev", "test"):
            items = [(l, by[l]) for l in sorted(labels) if study.half(a.seed, l) == half]
            classes = write_benchmark(os.path.join(a.out, name, half), f"{title} ({half})", items, a.size, a.optimise,
                                      emoji.ZEROSHOT_TEMPLATES, designs, [], dict(info, half=half))
            made[half] = classes
        return made

    style_by = emoji_by_label([hd], include_flags=False)
    style = split_benchmark("heldout-style", f"Held-out style: every {hd} image of a trained class", style_by,
                            [l for l in style_by if l in train_labels], [hd],
                            {"benchmark": "heldout-style", "holdout_design": hd, "seed": a.seed})
    classes_by = emoji_by_label(emoji.DESIGNS, include_flags=False, only_labels=set(keep))
    heldout = split_benchmark("heldout-classes", "Held-out classes: emoji never trained on, all designs", classes_by,
                              list(classes_by), emoji.DESIGNS, {"benchmark": "heldout-classes", "seed": a.seed})
    pair_items = {"dev": [], "test": []}
    for s in pairs:
        png = render_png(s, a.size, a.optimise)
        if png is not None:
            pair_items[study.half(a.seed, s.label if s.source == "emoji" else s.uid)].append((png, caption_of[s.uid][0], s))
    pair_counts = {h: study.write_pairs(os.path.join(a.out, "heldout-pairs", h), v) for h, v in pair_items.items()}

    # Tokenizer from the training captions only.
    import sentencepiece as spm
    prefix = os.path.join(a.out, "tokenizer")
    for vocab in (a.vocab, 3200, 2400, 1600):
        try:
            spm.SentencePieceTrainer.train(
                input=os.path.join(a.out, "captions_all.txt"), model_prefix=prefix, model_type="unigram",
                character_coverage=1.0, num_threads=2, minloglevel=2, input_sentence_size=0,
                shuffle_input_sentence=False, vocab_size=vocab, normalization_rule_name="nmt_nfkc",
                byte_fallback=True, pad_id=-1, eos_id=1, unk_id=2, bos_id=0,
                bos_piece="<s>", eos_piece="</s>", unk_piece="<unk>")
            break
        except RuntimeError as e:
            print(f"  vocabulary {vocab} too large for the captions ({e}); trying smaller", file=sys.stderr)
    os.remove(prefix + ".vocab")

    # Verification: no held-out class text in any training caption line.
    class_texts = [t for half in heldout.values() for _, t in half]
    leaks = study.verify_no_leaks(lines, class_texts)
    report = {"rule": "lowercase; words are runs of letters and digits; a class name leaks into a caption when "
                      "its words occur there consecutively, the last one also with +s or +es",
              "max_leaks": a.max_leaks, "dropped_training_samples": {l: len(u) for l, u in dropped.items()},
              "dropped_total": len(drop), "held_out_labels_left_out": dict(left_out),
              "verification_leaks": [f"{n}: {c}" for n, c in leaks[:20]]}
    with open(os.path.join(a.out, "leak_report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, sort_keys=True)
    summary = {
        "seed": a.seed, "size": a.size, "holdout_design": hd, "build_seconds": round(time.time() - started),
        "train": {"samples": sum(counts.values()), "caption_lines": len(lines), "by_source": dict(counts)},
        "heldout-style": {h: {"classes": len(c)} for h, c in style.items()},
        "heldout-classes": {h: {"classes": len(c)} for h, c in heldout.items()},
        "heldout-pairs": pair_counts, "leaks_dropped_samples": len(drop),
        "packages": [dict(zip(["part", "kind", "package", "version", "license"], r))
                     for r in versions(emoji.DESIGNS, ["openclipart", "tuxpaint"])],
    }
    for name in ("heldout-style", "heldout-classes"):
        for h in ("dev", "test"):
            root = os.path.join(a.out, name, h)
            n = sum(len(files) for d, _, files in os.walk(root) if d != root)
            k = summary[name][h]["classes"]
            summary[name][h] = {"classes": k, "images": n, "chance_top1": round(1 / k, 6) if k else None}
    with open(os.path.join(a.out, "study_data.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    print(json.dumps({k: summary[k] for k in ("train", "heldout-style", "heldout-classes", "heldout-pairs")}),
          file=sys.stderr)
    if leaks:
        print(f"LEAKS: {len(leaks)} held-out class names in training captions, e.g. {leaks[:3]}", file=sys.stderr)
        sys.exit(1)


# ---------------------------------------------------------------- CLI


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common_args(q, out):
        q.add_argument("--out", default=out)
        q.add_argument("--size", type=int, default=64, help="square image side, 32..224")
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--optimise", choices=["none", "lossless", "palette"], default="lossless",
                       help="PNG encoding: lossless (default) or palette (quantise to 256 colours)")
        q.add_argument("--holdout-design", default="twemoji", choices=emoji.DESIGNS)
        q.add_argument("--include-skin-tones", action="store_true")
        q.add_argument("--no-flags", action="store_true", help="drop the Flags group")

    q = sub.add_parser("train", help="training set")
    common_args(q, "build/train")
    q.add_argument("--format", choices=["tar", "folder"], default="tar")
    q.add_argument("--shard-size", type=int, default=1000)
    q.add_argument("--sources", default="emoji,openclipart,tuxpaint")
    q.add_argument("--designs", default="", help="emoji designs (default all but --holdout-design)")
    q.add_argument("--exclude-classes", default="", help="file of emoji base names/labels to exclude")
    q.add_argument("--limit", type=int, default=0, help="keep a random subset of this many samples")
    q.set_defaults(fn=cmd_train)

    q = sub.add_parser("zeroshot-style", help="held-out style benchmark")
    common_args(q, "build/zeroshot_style")
    q.add_argument("--exclude-classes", default="")
    q.add_argument("--classes", default="", help="file of class labels to restrict to")
    q.add_argument("--max-classes", type=int, default=0)
    q.set_defaults(fn=cmd_zeroshot_style)

    q = sub.add_parser("split", help="emoji class split")
    q.add_argument("--out", default="build/splits")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--fraction", type=float, default=0.2)
    q.set_defaults(fn=cmd_split)

    q = sub.add_parser("heldout-classes", help="held-out classes benchmark")
    common_args(q, "build/heldout_classes")
    q.add_argument("--fraction", type=float, default=0.2)
    q.add_argument("--heldout-bases", default="", help="file from `split` (default: recompute with --seed)")
    q.add_argument("--designs", default="")
    q.add_argument("--max-classes", type=int, default=0)
    q.set_defaults(fn=cmd_heldout_classes)

    q = sub.add_parser("subgroups", help="subgroup classification benchmark")
    common_args(q, "build/subgroups")
    q.add_argument("--designs", default="", help="default: the held-out design")
    q.add_argument("--min-members", type=int, default=10)
    q.set_defaults(fn=cmd_subgroups)

    q = sub.add_parser("study", help="the RINS study's data (training shards, tokenizer, split benchmarks)")
    common_args(q, "build/study")
    q.add_argument("--max-leaks", type=int, default=10,
                   help="a held-out class naming more training samples than this is left out of the benchmark")
    q.add_argument("--pairs-fraction", type=float, default=0.05, help="training samples held out as pairs")
    q.add_argument("--vocab", type=int, default=4000)
    q.set_defaults(fn=cmd_study, size=32, optimise="palette")

    a = p.parse_args(argv)
    if hasattr(a, "size") and not 32 <= a.size <= 224:
        p.error("--size must be in 32..224")
    a.fn(a)


if __name__ == "__main__":
    main()
