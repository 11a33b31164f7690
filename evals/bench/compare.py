"""Side-by-side speed and memory: `siglip-bench` (ours) against PyTorch eager.

For each configuration, runs ours and PyTorch alternately, `--rounds` times each, every run
a fresh process (so peak RSS is the configuration's own) with the same thread count and the
same number of timed steps after warm-up. Alternating matters on a shared machine: its speed
drifts by tens of percent over minutes, and neighbouring runs see about the same machine.
Prints every run, then per configuration the median ms/step of each side, their ratio
(PyTorch time / our time: above 1 means we are faster) and the median of the rounds' own
ratios ("paired": each round's two runs saw about the same machine) with their geometric mean
and its 95% confidence interval (Student's t on the logarithms of the rounds' ratios, so the
interval is honest about how few rounds there are), our model-FLOP utilisation against
the sgemm throughput measured in the same process, and both peak RSS figures.

Exact command (as run for the README figures, from the repo root):

    swift build -c release --product siglip-bench
    pip install torch transformers safetensors numpy
    python3 evals/bench/compare.py --config all --threads 2 --steps 10 --rounds 3 [--instruction-set avx2|avx512]
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIGS = ["ti16-64-train", "s16-224-train", "b16-224-infer"]


# Two-sided 95% quantiles of Student's t with 1..30 degrees of freedom (beyond: the normal's).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def geometric_mean_ci(ratios: list) -> tuple:
    """The geometric mean of the ratios and its 95% confidence interval (None with one ratio)."""
    logs = [math.log(r) for r in ratios]
    mean = statistics.fmean(logs)
    if len(logs) < 2:
        return math.exp(mean), None
    t = T975[len(logs) - 2] if len(logs) - 1 <= len(T975) else 1.96
    half = t * statistics.stdev(logs) / math.sqrt(len(logs))
    return math.exp(mean), (math.exp(mean - half), math.exp(mean + half))


def run_json(command: list, env=None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run(command + ["--json", f.name], check=True, stdout=subprocess.DEVNULL, env=env)
        with open(f.name) as g:
            return json.load(g)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="all", choices=[*CONFIGS, "all"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10, help="timed steps per run (median reported)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side per configuration, alternating")
    ap.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "siglip-bench"),
                    help="our benchmark binary (swift build -c release --product siglip-bench)")
    ap.add_argument("--json", help="write the summary as JSON to this file")
    ap.add_argument("--instruction-set", choices=["avx2", "avx512"],
                    help="hold both sides to this level: ours through --instruction-set (OpenBLAS's Haswell kernels at "
                         "avx2), PyTorch through ATEN_CPU_CAPABILITY, MKL_ENABLE_INSTRUCTIONS, ONEDNN_MAX_CPU_ISA and OPENBLAS_CORETYPE")
    args = ap.parse_args()
    if not os.path.exists(args.bench):
        sys.exit(f"compare.py: {args.bench} does not exist; run `swift build -c release --product siglip-bench` first")

    names = CONFIGS if args.config == "all" else [args.config]
    common = ["--threads", str(args.threads), "--steps", str(args.steps)]
    level = ["--instruction-set", args.instruction_set] if args.instruction_set else []
    torch_env = dict(os.environ)
    if args.instruction_set == "avx2":
        torch_env.update(ATEN_CPU_CAPABILITY="avx2", MKL_ENABLE_INSTRUCTIONS="AVX2", ONEDNN_MAX_CPU_ISA="AVX2",
                         OPENBLAS_CORETYPE="Haswell")
    elif args.instruction_set == "avx512":
        torch_env.update(ATEN_CPU_CAPABILITY="avx512")
    summary = []
    for name in names:
        ours, theirs = [], []
        for r in range(args.rounds):
            ours.append(run_json([args.bench, "--config", name] + common + level))
            theirs.append(run_json([sys.executable, os.path.join(HERE, "torch_siglip_bench.py"), "--config", name] + common,
                                   env=torch_env))
            print(f"{name} round {r + 1}: ours {ours[-1]['ms_per_step']:.1f} ms/step "
                  f"(sgemm {ours[-1]['sgemm_gflops']:.0f}, FMA peak {ours[-1]['fma_peak_gflops']:.0f} GFLOP/s, "
                  f"{ours[-1]['compute']['instruction_set']}, GEMM {ours[-1]['gemm']}, routing {ours[-1]['compute']['gemm_routing']}), "
                  f"PyTorch {theirs[-1]['ms_per_step']:.1f} ms/step",
                  flush=True)
        ratios = [t["ms_per_step"] / o["ms_per_step"] for o, t in zip(ours, theirs)]
        geomean, ci = geometric_mean_ci(ratios)
        ms_ours = statistics.median(o["ms_per_step"] for o in ours)
        ms_theirs = statistics.median(t["ms_per_step"] for t in theirs)
        row = dict(
            config=name, threads=args.threads, batch=ours[0]["batch"], rounds=args.rounds, steps=args.steps,
            ours_ms_per_step=round(ms_ours, 1), pytorch_ms_per_step=round(ms_theirs, 1),
            ours_images_per_s=round(ours[0]["batch"] / ms_ours * 1e3, 2),
            pytorch_images_per_s=round(theirs[0]["batch"] / ms_theirs * 1e3, 2),
            speedup=round(ms_theirs / ms_ours, 3),
            round_speedups=[round(r, 3) for r in ratios],
            # Paired: each round's two runs saw about the same machine, so the median of the rounds'
            # ratios is steadier on a drifting VM than the ratio of the two sides' medians.
            paired_speedup=round(statistics.median(ratios), 3),
            paired_geomean=round(geomean, 3),
            paired_ci95=[round(x, 3) for x in ci] if ci else None,
            ours_mfu=round(statistics.median(o["mfu"] for o in ours), 3),
            pytorch_mfu=round(statistics.median(t["gflops"] / o["sgemm_gflops"] for o, t in zip(ours, theirs)), 3),
            sgemm_gflops=round(statistics.median(o["sgemm_gflops"] for o in ours), 1),
            ours_mfu_of_peak=round(statistics.median(o["mfu_of_peak"] for o in ours), 3),
            pytorch_mfu_of_peak=round(statistics.median(t["gflops"] / o["fma_peak_gflops"] for o, t in zip(ours, theirs)), 3),
            fma_peak_gflops=round(statistics.median(o["fma_peak_gflops"] for o in ours), 1),
            instruction_set=ours[0]["compute"]["instruction_set"], gemm=ours[0]["gemm"], cpu=ours[0]["compute"]["cpu"],
            gemm_routing=ours[0]["compute"]["gemm_routing"], blas_kernels=ours[0]["compute"]["blas_kernels"],
            ours_peak_rss_mb=max(o["peak_rss_mb"] for o in ours),
            pytorch_peak_rss_mb=max(t["peak_rss_mb"] for t in theirs),
            torch_version=theirs[0]["torch_version"],
        )
        summary.append(row)
    print()
    if summary:
        s0 = summary[0]
        print(f"{s0['cpu']}, kernels {s0['instruction_set']}, GEMM {s0['gemm']} (routing: {s0['gemm_routing']}), {args.threads} threads, "
              f"PyTorch {s0['torch_version']}; sgemm {s0['sgemm_gflops']:.0f}, FMA peak {s0['fma_peak_gflops']:.0f} GFLOP/s")
    print(f"{'configuration':15s} {'ours ms/step':>13s} {'PyTorch ms/step':>16s} {'speed-up':>9s} {'paired':>7s} "
          f"{'geo-mean [95% CI]':>21s} "
          f"{'MFU of sgemm ours/PyTorch':>26s} {'of FMA peak':>14s} {'peak RSS ours/PyTorch':>22s}")
    for s in summary:
        ci = f"[{s['paired_ci95'][0]:.2f}, {s['paired_ci95'][1]:.2f}]" if s["paired_ci95"] else "[one round]"
        print(f"{s['config']:15s} {s['ours_ms_per_step']:13.1f} {s['pytorch_ms_per_step']:16.1f} {s['speedup']:8.2f}x "
              f"{s['paired_speedup']:6.2f}x {s['paired_geomean']:6.2f}x {ci:>13s} "
              f"{100 * s['ours_mfu']:16.0f}% / {100 * s['pytorch_mfu']:3.0f}% "
              f"{100 * s['ours_mfu_of_peak']:7.0f}% / {100 * s['pytorch_mfu_of_peak']:3.0f}% "
              f"{s['ours_peak_rss_mb']:10.0f} / {s['pytorch_peak_rss_mb']:.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
