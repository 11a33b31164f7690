#!/usr/bin/env python3
"""Draw sample training curves for a visual check of the chart code (stdlib only).

Writes three synthetic metrics.jsonl files — a typical run with evaluations at 1 and 2
rounds, an edge case (constant loss, a NaN loss, a single evaluation) and a long run whose
loss is best on a log scale with no evaluations — and draws each with `siglip-eval curves`.

    python3 evals/charts/sample_curves.py [--out /tmp/siglip-curves]
"""
import argparse
import json
import math
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def step(i, examples, flops, loss):
    return {"step": i, "loss": loss, "lr": 1e-3, "t": 2.3, "b": -5.0, "grad_norm": 1.0, "images_per_s": 100.0,
            "examples": examples, "flops": flops, "skipped_files": 0, "image_cosine": 0.3, "text_cosine": 0.3,
            "image_rounds": 1}


def evaluation(i, examples, flops, rounds, top1):
    return {"eval": {"step": i, "examples": examples, "flops": flops, "rounds": rounds, "top1": top1,
                     "top5": min(1.0, 2 * top1), "images": 250, "classes": 250}}


def typical():
    lines = []
    for i in range(300):
        examples = (i + 1) * 4096
        noise = 0.6 * math.sin(i * 1.7) * math.cos(i * 0.31) * math.exp(-i / 200)
        lines.append(step(i + 1, examples, examples * 3.2e9, 18 * math.exp(-i / 60) + 2 + noise))
    for rounds in (1, 2):
        for i in range(30, 301, 30):
            top1 = (0.05 + 0.4 * (1 - math.exp(-i / 120))) * (1.15 if rounds == 2 else 1)
            lines.append(evaluation(i, i * 4096, i * 4096 * 3.2e9 * rounds, rounds, top1))
    return lines


def edges():
    return [step(1, 512, 1e12, 0.693), step(2, 1024, 2e12, 0.693), step(3, 1536, 3e12, "nan"),
            evaluation(3, 1536, 3e12, 1, 0.001)]


def log_scale():
    return [step(i, i * 1000, i * 5e13, 200 / i + 0.5 + 0.3 * math.sin(i)) for i in range(1, 2001)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="/tmp/siglip-curves")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, lines, title in [("typical", typical(), "SigLIP Ti/16 + RINS (sample data)"),
                               ("edges", edges(), "edge cases: constant loss, NaN loss, one evaluation"),
                               ("log", log_scale(), "log-scale loss, no evaluations")]:
        metrics = os.path.join(a.out, f"{name}.jsonl")
        with open(metrics, "w") as f:
            f.write("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
        png = os.path.join(a.out, f"{name}.png")
        subprocess.run(["swift", "run", "-c", "release", "siglip-eval", "curves", "--metrics", metrics,
                        "--output", png, "--title", title], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
