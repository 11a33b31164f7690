"""Golden token ids from Hugging Face `transformers` for the SigLIP text conventions.

`SiglipTokenizer` (as the released checkpoints' processors use it) on our committed
SentencePiece model (datasets/tokenizer/siglip-emoji-4k.model): canonicalisation (lowercase,
ASCII punctuation removed, whitespace collapsed and stripped), EOS appended, padding to
`max_length` with the pad id, truncation keeping EOS. Texts cover punctuation of every kind,
case, odd whitespace, accents, CJK, emoji, digits, apostrophes and hyphens, the empty string,
and lengths around the limit; each at max_length 64 (the released models) and 16.

Writes Tests/SigLIPTextTests/Resources/golden-hf-siglip.json:
  {"transformers", "sentencepiece", "model", "eos_id", "pad_id",
   "cases": [{"text", "length", "ids"}]}

    pip install transformers sentencepiece protobuf
    python3 evals/reference/make_hf_tokenizer_golden.py
"""
import json
import os
import pathlib
import string

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import sentencepiece
import transformers
from transformers import SiglipTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "datasets" / "tokenizer" / "siglip-emoji-4k.model"
OUT = ROOT / "Tests" / "SigLIPTextTests" / "Resources" / "golden-hf-siglip.json"

TEXTS = [
    "", "a photo of a dog.", "itap of a {}.", "a photo of the large {}!", "A Photo Of A CAT",
    string.punctuation, "only!!! punctuation???", "...", "'quoted' \"double\" `back`",
    "don't stop-believing, state-of-the-art", "e.g. U.S.A. vs. U.K.", "50% off: $9.99 (today) #sale @shop",
    "tabs\tand\nnewlines\r\nand  spaces", "  leading and trailing  ", "non\u00a0breaking\u2003em space",
    "café naïve résumé Ångström", "ÉCOLE ÜBER İstanbul ΣΊΣΥΦΟΣ", "straße", "日本語のテキスト 中文 한국어",
    "emoji 🐶🐱 and 👍🏽 and 🇯🇵", "a red apple 🍎", "numbers 0123456789 and 3.14159", "tilde~caret^pipe|backslash\\",
    "brackets [x] {y} (z) <w>", "mixed_underscore_words and dash—em and en–dash", "“curly quotes” ‘single’",
    "ellipsis… and bullet • and middot ·", "x" * 5, "supercalifragilisticexpialidocious",
    "the quick brown fox jumps over the lazy dog",
]
# Long texts: around and past 16 and 64 tokens before EOS.
words = "the quick brown fox jumps over the lazy dog near a red barn in the morning light".split()
for n in [10, 13, 14, 15, 16, 17, 20, 40, 55, 60, 61, 62, 63, 64, 65, 70, 120]:
    TEXTS.append(" ".join(words[i % len(words)] for i in range(n)))
TEXTS.append("emoji " * 40)
TEXTS.append("A, B; C: D! " * 20)


def main():
    tokenizer = SiglipTokenizer(vocab_file=str(MODEL), model_max_length=64)
    cases = []
    for length in [64, 16]:
        ids = tokenizer(TEXTS, padding="max_length", max_length=length, truncation=True)["input_ids"]
        for text, row in zip(TEXTS, ids):
            assert len(row) == length
            cases.append({"text": text, "length": length, "ids": row})
    OUT.write_text(json.dumps({
        "transformers": transformers.__version__, "sentencepiece": sentencepiece.__version__, "model": MODEL.name,
        "eos_id": tokenizer.eos_token_id, "pad_id": tokenizer.pad_token_id, "cases": cases,
    }, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases (transformers {transformers.__version__})")


if __name__ == "__main__":
    main()
