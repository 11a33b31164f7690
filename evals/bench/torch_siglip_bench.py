"""PyTorch CPU peer benchmark for SigLIP (random init from a config, no downloads).

Times `transformers.SiglipModel` in PyTorch eager mode on the CPU, for comparison
with the Swift implementation:

  ti16-64-train   ViT-Ti/16 (192/12/768/3) at 64 px + text tower of the same size
                  (vocab 32000, length 16, projection 192), batch 64; one step =
                  forward(return_loss=True) + backward + AdamW(lr 1e-3, wd 1e-4) step
  s16-224-train   ViT-S/16 (384/12/1536/6) at 224 px + same-size text tower, batch 32,
                  same training step
  b16-224-infer   ViT-B/16 (768/12/3072/12) at 224 px, image tower only
                  (`model.get_image_features` under torch.no_grad), batch 8

Per configuration: 2 warm-up steps, then the median of --steps timed steps; prints
ms/step, images/s, peak RSS (getrusage max RSS of a fresh process per configuration),
analytic model FLOPs per step (every matmul 2*m*n*k; training = 3x forward) and the
achieved GFLOP/s.

Exact command (as run for the committed figures):

    pip install torch transformers safetensors numpy
    python3 evals/bench/torch_siglip_bench.py --config ti16-64-train --threads 2 --steps 3
    python3 evals/bench/torch_siglip_bench.py --config b16-224-infer --threads 2 --steps 3
    # or everything, with a JSON record:
    python3 evals/bench/torch_siglip_bench.py --config all --threads 2 --steps 5 --json torch_bench.json
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Tower:
    width: int
    depth: int
    mlp: int
    heads: int


@dataclass(frozen=True)
class BenchConfig:
    name: str
    vision: Tower
    text: Tower
    image_size: int
    patch: int
    batch: int
    train: bool
    vocab: int = 32000
    text_len: int = 16


TI = Tower(192, 12, 768, 3)
S = Tower(384, 12, 1536, 6)
B = Tower(768, 12, 3072, 12)

CONFIGS = {
    "ti16-64-train": BenchConfig("ti16-64-train", TI, TI, 64, 16, 64, True),
    "s16-224-train": BenchConfig("s16-224-train", S, S, 224, 16, 32, True),
    "b16-224-infer": BenchConfig("b16-224-infer", B, B, 224, 16, 8, False),
}


# ---- analytic FLOPs (every matmul counts 2*m*n*k) ------------------------------

def encoder_flops(n: int, t: Tower) -> int:
    """One example through `t.depth` pre-LN blocks on n tokens."""
    d, m = t.width, t.mlp
    per_layer = (
        2 * n * d * 3 * d  # Q, K, V projections
        + 2 * n * n * d  # scores Q K^T (all heads)
        + 2 * n * n * d  # weighted sum A V
        + 2 * n * d * d  # output projection
        + 2 * n * d * m * 2  # MLP fc1 + fc2
    )
    return t.depth * per_layer


def image_tower_flops(c: BenchConfig) -> int:
    """One image: patch embedding, encoder, MAP head."""
    n = (c.image_size // c.patch) ** 2
    d, m = c.vision.width, c.vision.mlp
    patch = 2 * n * (3 * c.patch * c.patch) * d
    map_head = (
        2 * 1 * d * d  # probe -> query
        + 2 * n * d * 2 * d  # keys, values of the n tokens
        + 2 * 1 * n * d  # scores
        + 2 * 1 * n * d  # weighted sum
        + 2 * 1 * d * d  # output projection
        + 2 * 1 * d * m * 2  # MLP
    )
    return patch + encoder_flops(n, c.vision) + map_head


def text_tower_flops(c: BenchConfig) -> int:
    """One text: encoder on text_len tokens + head (width -> image width)."""
    return encoder_flops(c.text_len, c.text) + 2 * c.text.width * c.vision.width


def flops_per_step(c: BenchConfig) -> int:
    if not c.train:
        return c.batch * image_tower_flops(c)
    forward = (
        c.batch * (image_tower_flops(c) + text_tower_flops(c))
        + 2 * c.batch * c.batch * c.vision.width  # logits matrix
    )
    return 3 * forward


# ---- model + step ----------------------------------------------------------------

def build(c: BenchConfig, attn: str):
    from transformers import SiglipConfig, SiglipModel

    vision = dict(
        hidden_size=c.vision.width, num_hidden_layers=c.vision.depth,
        intermediate_size=c.vision.mlp, num_attention_heads=c.vision.heads,
        image_size=c.image_size, patch_size=c.patch, num_channels=3,
    )
    text = dict(
        hidden_size=c.text.width, num_hidden_layers=c.text.depth,
        intermediate_size=c.text.mlp, num_attention_heads=c.text.heads,
        vocab_size=c.vocab, max_position_embeddings=c.text_len,
        projection_size=c.vision.width, pad_token_id=1, eos_token_id=1, bos_token_id=None,
    )
    config = SiglipConfig(text_config=text, vision_config=vision)
    config._attn_implementation = attn
    torch.manual_seed(0)
    model = SiglipModel(config).float()
    model.config._attn_implementation = attn
    model.text_model.config._attn_implementation = attn
    model.vision_model.config._attn_implementation = attn
    return model


def make_step(c: BenchConfig, model):
    g = torch.Generator().manual_seed(1)
    pixels = torch.rand((c.batch, 3, c.image_size, c.image_size), generator=g) * 2 - 1
    if not c.train:
        model.eval()

        def step():
            with torch.no_grad():
                out = model.get_image_features(pixel_values=pixels)
            # transformers >= 5 returns a BaseModelOutputWithPooling, 4.x a tensor
            return getattr(out, "pooler_output", out)

        return step

    ids = torch.randint(2, c.vocab, (c.batch, c.text_len), generator=g)
    ids[:, -1] = 1
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        out = model(input_ids=ids, pixel_values=pixels, return_loss=True)
        out.loss.backward()
        opt.step()
        return out.loss

    return step


def run_one(c: BenchConfig, threads: int, steps: int, attn: str) -> dict:
    torch.set_num_threads(threads)
    model = build(c, attn)
    step = make_step(c, model)
    for _ in range(2):  # warm-up
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    flops = flops_per_step(c)
    return dict(
        config=c.name,
        threads=threads,
        batch=c.batch,
        ms_per_step=round(sec * 1e3, 2),
        images_per_s=round(c.batch / sec, 2),
        flops_per_step=flops,
        gflops=round(flops / sec / 1e9, 2),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        torch_version=torch.__version__,
        attn_implementation=attn,
        params=sum(p.numel() for p in model.parameters()),
        step_times_ms=[round(t * 1e3, 2) for t in times],
    )


def show(r: dict) -> None:
    print(
        f"{r['config']:14s} threads={r['threads']} batch={r['batch']:3d} attn={r['attn_implementation']}: "
        f"{r['ms_per_step']:10.1f} ms/step  {r['images_per_s']:8.2f} img/s  "
        f"{r['flops_per_step'] / 1e9:8.2f} GFLOP/step  {r['gflops']:7.2f} GFLOP/s  "
        f"peak RSS {r['peak_rss_mb']:.0f} MB  (params {r['params'] / 1e6:.2f} M; "
        f"steps {r['step_times_ms']} ms)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="all", choices=[*CONFIGS, "all"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5, help="timed steps (median reported)")
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"],
                    help="HF attention implementation (sdpa is the HF default)")
    ap.add_argument("--json", help="write the results as a JSON list to this file")
    args = ap.parse_args()

    names = list(CONFIGS) if args.config == "all" else [args.config]
    print(f"torch {torch.__version__}, threads {args.threads}, {args.steps} timed steps after 2 warm-up",
          flush=True)
    results = []
    for name in names:
        if len(names) == 1:
            r = run_one(CONFIGS[name], args.threads, args.steps, args.attn)
        else:  # a fresh process per configuration so that peak RSS is its own
            with tempfile.NamedTemporaryFile(suffix=".json") as f:
                subprocess.run(
                    [sys.executable, __file__, "--config", name, "--threads", str(args.threads),
                     "--steps", str(args.steps), "--attn", args.attn, "--json", f.name],
                    check=True, stdout=subprocess.DEVNULL,
                )
                r = json.load(open(f.name))[0]
        show(r)
        results.append(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
