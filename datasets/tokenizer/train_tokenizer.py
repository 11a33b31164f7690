#!/usr/bin/env python3
"""Train the small SentencePiece unigram models used by SigLIPText.

Caption text comes from Debian packages (no network):
  unicode-data        /usr/share/unicode/emoji/emoji-test.txt   (emoji names)
  unicode-cldr-core   /usr/share/unicode/cldr/common/annotations/en.xml (keywords)

Outputs (deterministic for a given seed and package versions):
  datasets/tokenizer/siglip-emoji-4k.model          the committed training model
  Tests/SigLIPTextTests/Resources/tiny-nfkc-cf.model   test model: nfkc_cf, no byte
      fallback, user-defined symbols, extra whitespace kept
  Tests/SigLIPTextTests/Resources/tiny-identity-suffix.model  test model: identity
      normalisation, no dummy prefix, whitespace as suffix

Usage: python3 datasets/tokenizer/train_tokenizer.py [--seed 0]
"""
import argparse
import html
import os
import random
import re
import sys

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EMOJI_TEST = "/usr/share/unicode/emoji/emoji-test.txt"
CLDR_EN = "/usr/share/unicode/cldr/common/annotations/en.xml"

TEMPLATES = [
    "a picture of a {}", "a photo of a {}", "a photo of the {}", "an emoji of a {}",
    "a drawing of a {}", "a close-up photo of a {}", "a bright photo of the {}",
    "a cartoon {}", "the {} icon", "{}", "a small {}", "a big {}",
    "a sticker showing a {}", "an illustration of the {}", "a {} on a white background",
]


def emoji_names():
    """(emoji, name) for every fully-qualified emoji in emoji-test.txt."""
    out = []
    with open(EMOJI_TEST, encoding="utf-8") as f:
        for line in f:
            if "; fully-qualified" not in line or "#" not in line:
                continue
            comment = line.split("#", 1)[1].strip()
            parts = comment.split(" ", 2)  # emoji, version, name
            if len(parts) == 3:
                out.append((parts[0], parts[2]))
    return out


def cldr_keywords():
    """(cp, [keywords]) from the CLDR English annotations (non-tts entries)."""
    out = []
    pat = re.compile(r'<annotation cp="([^"]*)">([^<]*)</annotation>')
    with open(CLDR_EN, encoding="utf-8") as f:
        for line in f:
            m = pat.search(line)
            if m:
                kws = [html.unescape(k.strip()) for k in m.group(2).split("|")]
                out.append((html.unescape(m.group(1)), [k for k in kws if k]))
    return out


def article(name):
    return "an" if name[:1].lower() in "aeiou" else "a"


def build_captions(seed):
    rng = random.Random(seed)
    names = emoji_names()
    keywords = cldr_keywords()
    captions = []
    for _, name in names:
        for t in rng.sample(TEMPLATES, 4):
            cap = t.format(name)
            cap = cap.replace("a " + name, article(name) + " " + name, 1)
            captions.append(cap)
    for _, kws in keywords:
        captions.append(", ".join(kws))
        for k in kws:
            captions.append(rng.choice(TEMPLATES).format(k))
    rng.shuffle(captions)
    return captions, len(names), len(keywords)


def train(corpus, prefix, **kw):
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="unigram",
        character_coverage=1.0, num_threads=2, minloglevel=2,
        input_sentence_size=0, shuffle_input_sentence=False, **kw)
    os.remove(prefix + ".vocab")
    return prefix + ".model"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab", type=int, default=3200)
    args = ap.parse_args()

    captions, n_names, n_kw = build_captions(args.seed)
    work = os.path.join(ROOT, "datasets", "tokenizer", "build")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, "captions.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write("\n".join(c.lower() for c in captions) + "\n")
    print(f"emoji names: {n_names}, CLDR annotation entries: {n_kw}, captions: {len(captions)}")

    # (a) The training model: SigLIP-style ids. 0 = <s> (BOS, a control piece SigLIP never
    # emits), 1 = </s> (EOS, also the pad value: pad_id is -1 and no piece is named <pad>,
    # so sp.pad_id() == -1 and SigLIPTokenizer pads with EOS), 2 = <unk>.
    main_model = train(
        corpus, os.path.join(ROOT, "datasets", "tokenizer", "siglip-emoji-4k"),
        vocab_size=args.vocab, normalization_rule_name="nmt_nfkc", byte_fallback=True,
        pad_id=-1, eos_id=1, unk_id=2, bos_id=0,
        bos_piece="<s>", eos_piece="</s>", unk_piece="<unk>")
    print(main_model, os.path.getsize(main_model), "bytes")

    res = os.path.join(ROOT, "Tests", "SigLIPTextTests", "Resources")
    # (b) nfkc_cf, no byte fallback, user-defined symbols, whitespace kept as is.
    m = train(corpus, os.path.join(res, "tiny-nfkc-cf"), vocab_size=300,
              normalization_rule_name="nfkc_cf", byte_fallback=False,
              remove_extra_whitespaces=False,
              user_defined_symbols=["<person>", "🙂", "ab"], seed_sentencepiece_size=100000)
    print(m, os.path.getsize(m), "bytes")
    # (c) identity normalisation, no dummy prefix, whitespace as suffix.
    m = train(corpus, os.path.join(res, "tiny-identity-suffix"), vocab_size=250,
              normalization_rule_name="identity", byte_fallback=False,
              add_dummy_prefix=False, treat_whitespace_as_suffix=True,
              unk_id=3, bos_id=0, eos_id=1, pad_id=2)
    print(m, os.path.getsize(m), "bytes")


if __name__ == "__main__":
    sys.exit(main())
