"""Make the Hugging Face zero-shot end-to-end fixture for the Swift tests.

A tiny, randomly initialised `transformers.SiglipModel` with a trained SentencePiece model
(datasets/tokenizer/siglip-emoji-4k.model) and a `SiglipProcessor` (bicubic resize to 32 px,
mean/std 0.5, as the released processors), saved with `save_pretrained` three times: float32,
float16 and bfloat16. A small folder benchmark (3 classes × 2 images, PNG and JPEG of other
sizes than 32 px, so decoding and resizing are exercised) with class names and templates.
For each dtype, transformers computes what `siglip-eval zero-shot` must reproduce:

  pixels       [N, 32, 32, 3]  the processor's pixel values (NHWC, in [-1, 1])
  image_embeds [N, E]          L2-normalised image features
  class_embeds [C, E]          per class: the templates' normalised text features averaged,
                               renormalised (prompts through the processor's tokenizer)
  logits       [N, C]          image_embeds · class_embedsᵀ · exp(t) + b

For float16/bfloat16 the reference runs the saved 16-bit weights widened to float32 (what our
loader does), so our outputs must match it to float32 rounding.

Writes Tests/Fixtures/hf-zeroshot/{float32,float16,bfloat16}/ (the model directories),
bench/ and expected-<dtype>.safetensors. Run from the package root:

    pip install torch transformers safetensors numpy pillow sentencepiece
    python3 evals/reference/make_hf_zeroshot_fixture.py
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pathlib
import shutil

import numpy as np
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file
from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipProcessor, SiglipTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "hf-zeroshot"
SPIECE = ROOT / "datasets" / "tokenizer" / "siglip-emoji-4k.model"
SEED = 20261203
LENGTH = 16
SIZE = 32
CLASSES = ["red apple", "sea turtle", "violin"]
TEMPLATES = ["a photo of a {}.", "a drawing of the {}!", "{}"]


def make_benchmark(bench):
    """3 classes × 2 images: smooth random colour fields of different sizes, PNG and JPEG."""
    rng = np.random.default_rng(SEED)
    (bench).mkdir(parents=True)
    (bench / "classnames.txt").write_text("\n".join(CLASSES) + "\n")
    (bench / "templates.txt").write_text("\n".join(TEMPLATES) + "\n")
    files = []
    for k, name in enumerate(CLASSES):
        folder = bench / f"class{k}"
        folder.mkdir()
        for j, (w, h, ext) in enumerate([(48, 40, "png"), (37, 53, "jpg")]):
            base = rng.uniform(0, 255, size=(4, 4, 3))
            img = Image.fromarray(base.astype(np.uint8)).resize((w, h), Image.BILINEAR)
            noise = rng.integers(-20, 20, size=(h, w, 3))
            arr = np.clip(np.asarray(img).astype(int) + noise, 0, 255).astype(np.uint8)
            path = folder / f"{j}.{ext}"
            Image.fromarray(arr).save(path, quality=90) if ext == "jpg" else Image.fromarray(arr).save(path)
            files.append(path)
    return files


def expected(model, processor, files):
    with torch.no_grad():
        images = [Image.open(f).convert("RGB") for f in files]
        pixels = processor(images=images, return_tensors="pt")["pixel_values"]
        image = model.get_image_features(pixel_values=pixels)
        image = getattr(image, "pooler_output", image)
        image = image / image.norm(dim=-1, keepdim=True)
        texts = [t.format(c) for c in CLASSES for t in TEMPLATES]
        ids = processor(text=texts, padding="max_length", max_length=LENGTH, return_tensors="pt")["input_ids"]
        text = model.get_text_features(input_ids=ids)
        text = getattr(text, "pooler_output", text)
        text = text / text.norm(dim=-1, keepdim=True)
        classes = text.reshape(len(CLASSES), len(TEMPLATES), -1).mean(dim=1)
        classes = classes / classes.norm(dim=-1, keepdim=True)
        logits = image @ classes.T * model.logit_scale.exp() + model.logit_bias
    return {
        "pixels": pixels.permute(0, 2, 3, 1).contiguous(),
        "image_embeds": image.contiguous(),
        "class_embeds": classes.contiguous(),
        "logits": logits.contiguous(),
        "input_ids": ids.to(torch.int64).contiguous(),
    }


def main():
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    files = make_benchmark(OUT / "bench")

    tokenizer = SiglipTokenizer(vocab_file=str(SPIECE), model_max_length=LENGTH)
    vocab = tokenizer.sp_model.get_piece_size()
    eos = tokenizer.eos_token_id
    config = SiglipConfig(
        text_config=dict(vocab_size=vocab, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=LENGTH, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=eos, bos_token_id=eos),
        vision_config=dict(image_size=SIZE, patch_size=8, hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                           num_attention_heads=4),
    )
    config._attn_implementation = "eager"
    model = SiglipModel(config).eval()
    processor = SiglipProcessor(
        image_processor=SiglipImageProcessor(size={"height": SIZE, "width": SIZE}, resample=Image.BICUBIC),
        tokenizer=tokenizer)

    for dtype_name, dtype in [("float32", torch.float32), ("float16", torch.float16), ("bfloat16", torch.bfloat16)]:
        directory = OUT / dtype_name
        model.to(dtype).save_pretrained(directory, safe_serialization=True)
        model.to(torch.float32)
        processor.save_pretrained(directory)
        reloaded = SiglipModel.from_pretrained(directory, torch_dtype=dtype, attn_implementation="eager").float().eval()
        save_file(expected(reloaded, processor, files), OUT / f"expected-{dtype_name}.safetensors")
    (OUT / "README.md").write_text(
        "Made by evals/reference/make_hf_zeroshot_fixture.py with "
        f"torch {torch.__version__}, transformers {transformers.__version__}, numpy {np.__version__}. "
        "See the script for what each file holds.\n")
    print(f"wrote {OUT} (vocabulary {vocab}, EOS/pad {eos})")


if __name__ == "__main__":
    main()
