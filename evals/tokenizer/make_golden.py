#!/usr/bin/env python3
"""Golden fixtures for SigLIPText, produced with the Python `sentencepiece` library.

Writes Tests/SigLIPTextTests/Resources/golden-<model>.json for every model:
  {"model": "<file name>", "sentencepiece": "<version>",
   "cases": [{"hex": "<input UTF-8 bytes>", "text": "<input or null if invalid UTF-8>",
              "ids": [...], "pieces": [...], "decoded": "<sp.decode(ids)>"}]}
and golden-siglip.json for the SigLIP wrapper on the committed model:
  {"cases": [{"text", "length", "lowercase", "canonicalize", "ids": [L ids]}]}

The SigLIP reference wrapper (below) is the obvious one: optional canonicalisation
(big_vision or HF), optional lowercasing, sp.encode, keep the first L-1 ids, append
EOS, pad with the pad value (the model's pad id if >= 0 else EOS).

Usage: python3 evals/tokenizer/make_golden.py   (after datasets/tokenizer/train_tokenizer.py)
"""
import json
import os
import random
import re
import string
import sys

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "datasets", "tokenizer"))
import train_tokenizer  # noqa: E402  (caption builder)

RES = os.path.join(ROOT, "Tests", "SigLIPTextTests", "Resources")
MODELS = {
    "siglip-emoji-4k": os.path.join(ROOT, "datasets", "tokenizer", "siglip-emoji-4k.model"),
    "tiny-nfkc-cf": os.path.join(RES, "tiny-nfkc-cf.model"),
    "tiny-identity-suffix": os.path.join(RES, "tiny-identity-suffix.model"),
}

SPECIAL = [
    "", " ", "   ", "\t", "\n", " \t\n ", "a", "A", "hello world", "Hello World",
    "  leading spaces", "trailing spaces   ", "  both  ", "multiple    inner   spaces",
    "tab\tseparated\twords", "new\nline\nwords", "mixed \t\n whitespace \r\n here",
    "A Picture Of A FOX", "a picture of a fox", "fox, face", "Fox, Face!",
    "grinning face with big eyes", "GRINNING FACE WITH BIG EYES", "gRiNnInG fAcE",
    "Hello, world! How's it going? (fine) [ok] {yes} <no> @home #tag $5 %50 ^up &and *star",
    "end with punctuation...", "quotes \"double\" and 'single' `back`", "a_b_c snake_case_name",
    "slashes/and\\backslashes", "hyphen-ated and en–dash and em—dash", "semi;colon:colon",
    "0", "123", "3.14159", "1,000,000", "2024-01-31", "room 101", "v1.2.3", "42nd street",
    "café", "naïve résumé", "Crème Brûlée", "über straße", "ÅNGSTRÖM", "ñandú", "Œuvre",
    "e\u0301", "cafe\u0301 decomposed", "a\u0300\u0301\u0302 stacked marks", "\u0301 leading mark",
    "日本語のテキスト", "中文字符", "한국어 텍스트", "こんにちは 世界",
    "مرحبا بالعالم", "שלום עולם", "Привет мир", "Ελληνικά ΟΔΟΣ", "हिन्दी", "ไทย",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ", "ｆｏｘ １２３", "ﬁ ligature ﬀ", "①②③", "㎏ ㎞ ㍿", "Ⅻ ⅻ",
    "½ ¼ ¾", "x² y³", "ｶﾀｶﾅ", "\u3000ideographic\u3000space\u3000",
    "non\u00a0breaking space", "zero\u200bwidth space", "soft\u00adhyphen", "bom\ufeffmark",
    "🦊", "a picture of a 🦊", "😀😃😄", "👍🏽", "👋🏿 wave", "👨‍👩‍👧‍👦", "👩🏽‍💻 coder",
    "🏳️‍🌈", "🇯🇵 🇺🇸 🇫🇷", "❤️", "☺️ ☺", "#️⃣ 1️⃣", "🧑🏻‍🤝‍🧑🏿",
    "<person> ab 🙂", "<person><person>", "abab", "xab", "🙂🙂", "<PERSON>",
    "\u2581", "\u2581\u2581 already escaped", "a\u2581b", "\ufffd replacement",
    "control\x01char\x7f", "null\x00byte", "bell\x07", "ⅰⅱⅲ", "™ ℃ №", "…",
    "ꙮ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚", "\U0001F9FF\U0001FAE0", "\U00010348 gothic", "\uE000 private use",
    "xyzzy qwfp zxcvb", "Q", "ʘ‿ʘ", "¯\\_(ツ)_/¯",
]

INVALID = [b"\xff", b"abc \xff def", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xf0\x9f\x98",
           b"\xed\xa0\x80 surrogate", b"\xc0\xaf overlong", b"\xf4\x90\x80\x80 too big",
           b"ok \x80\x80 cont", b"\xef\xbf\xbd valid fffd"]


def captions(n, seed=1):
    caps, _, _ = train_tokenizer.build_captions(0)
    rng = random.Random(seed)
    chosen = rng.sample(caps, n)
    # Mixed-case variants of some of them.
    return chosen + [c.title() for c in chosen[: n // 4]] + [c.upper() for c in chosen[: n // 8]]


def long_string(seed=2):
    caps, _, _ = train_tokenizer.build_captions(0)
    rng = random.Random(seed)
    s = " ".join(rng.sample(caps, 400)) + " 🦊👍🏽日本\u00e9 " * 20
    return s


def all_inputs():
    out = [s.encode("utf-8") for s in SPECIAL + captions(200) + [long_string()]]
    return out + INVALID


def case(sp, data):
    ids = sp.encode(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {"hex": data.hex(), "text": text, "ids": ids,
            "pieces": [sp.id_to_piece(i) for i in ids], "decoded": sp.decode(ids)}


# ---- SigLIP reference wrapper --------------------------------------------------------

def canonicalize_big_vision(text, keep=None):
    """big_vision prompt_engineering._canonicalize."""
    text = text.replace("_", " ")
    table = str.maketrans("", "", string.punctuation)
    if keep:
        text = keep.join(part.translate(table) for part in text.split(keep))
    else:
        text = text.translate(table)
    text = text.lower()
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def canonicalize_hf(text, keep=None):
    """transformers SiglipTokenizer.canonicalize_text."""
    table = str.maketrans("", "", string.punctuation)
    if keep:
        text = keep.join(part.translate(table) for part in text.split(keep))
    else:
        text = text.translate(table)
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def siglip_ids(sp, text, length, lowercase, canon):
    if canon == "bigVision":
        text = canonicalize_big_vision(text)
    elif canon == "huggingFace":
        text = canonicalize_hf(text)
    if lowercase:
        text = text.lower()
    eos = sp.eos_id()
    pad = sp.pad_id() if sp.pad_id() >= 0 else eos
    ids = sp.encode(text)[: length - 1] + [eos]
    return ids + [pad] * (length - len(ids))


def siglip_cases(sp):
    texts = [s for s in SPECIAL if s] + captions(40, seed=3) + [long_string()]
    out = []
    for t in texts:
        for length in (16, 64):
            for lowercase, canon in ((True, "none"), (False, "none"), (True, "bigVision"),
                                     (True, "huggingFace")):
                out.append({"text": t, "length": length, "lowercase": lowercase,
                            "canonicalize": canon,
                            "ids": siglip_ids(sp, t, length, lowercase, canon)})
    return out


def canon_cases():
    texts = SPECIAL + ["great_white_shark", "a photo of a {}.", "a {}'s photo!", "{ } {x} {}{}",
                       "Tench, Tinca tinca", "  Multiple   ___ spaces__ ", "\x1c\x1d\x1e\x1f seps",
                       "\u2028line\u2029para\x85nel"]
    out = []
    for t in texts:
        for keep in (None, "{}", ","):
            out.append({"text": t, "keep": keep, "bigVision": canonicalize_big_vision(t, keep),
                        "huggingFace": canonicalize_hf(t, keep), "lower": t.lower()})
    return out


def dump(name, obj):
    path = os.path.join(RES, name)
    # One case per line: compact, yet diffs stay readable.
    head = {k: v for k, v in obj.items() if k != "cases"}
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in obj["cases"]]
    prefix = json.dumps(head, ensure_ascii=False)[:-1] + (", " if head else "")
    text = prefix + '"cases": [\n' + ",\n".join(lines) + "\n]}\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(path, os.path.getsize(path), "bytes")


def main():
    inputs = all_inputs()
    for name, path in MODELS.items():
        sp = spm.SentencePieceProcessor(model_file=path)
        cases = [case(sp, d) for d in inputs]
        dump(f"golden-{name}.json", {"model": os.path.basename(path),
                                     "sentencepiece": spm.__version__, "cases": cases})
        print(name, len(cases), "cases")
    sp = spm.SentencePieceProcessor(model_file=MODELS["siglip-emoji-4k"])
    sc = siglip_cases(sp)
    dump("golden-siglip.json", {"model": "siglip-emoji-4k.model", "cases": sc})
    cc = canon_cases()
    dump("golden-canonicalize.json", {"cases": cc})
    print("siglip", len(sc), "canonicalize", len(cc))


if __name__ == "__main__":
    sys.exit(main())
