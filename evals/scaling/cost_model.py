#!/usr/bin/env python3
"""The cost model of one data-parallel SigLIP step (docs/SCALING.md), and its projections.

    step = compute + all-reduce + ring
    compute    = n_local × F_example / S_node
    all-reduce = 2(K−1)/K × 4P / β  +  2(K−1) α        (ring all-reduce of P float32 gradients)
    ring       = 2K × (α + 4·n_local·E / β)             (K shifts of the text block and of its gradient)

--check prints the model's figures for the 2-rank measurement on one machine (shared memory);
the default prints the ViT-B/16 projections for K = 8, 64, 512 nodes at 10 and 100 Gbit/s.
Standard library only.
"""
import argparse

# ViT-B/16 SigLIP, 224 px, 64 text tokens, 32,000-piece vocabulary (siglip-train's own counts).
B16_PARAMETERS = 203_155_970
B16_WIDTH = 768
# Training FLOPs per example at batch 32 (siglip-train --model B/16 --depth 12 --image-size 224
# --text-length 64 prints 1.39e11); the loss adds 6·B·E per example for a global batch B.
B16_FLOPS_PER_EXAMPLE = 1.39e11


def step_seconds(k, n_local, flops_per_example, node_flops, parameters, width, bandwidth, latency, global_batch):
    compute = n_local * (flops_per_example + 6 * global_batch * width) / node_flops
    allreduce = (2 * (k - 1) / k * 4 * parameters / bandwidth + 2 * (k - 1) * latency) if k > 1 else 0.0
    ring = 2 * k * (latency + 4 * n_local * width / bandwidth) if k > 1 else 0.0
    return compute, allreduce, ring


def duration(seconds):
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds:.0f} s"


def projections(node_flops, global_batch, examples):
    print(f"ViT-B/16 SigLIP: P = {B16_PARAMETERS:,} parameters, E = {B16_WIDTH}, "
          f"{B16_FLOPS_PER_EXAMPLE:.3g} training FLOPs per example; global batch {global_batch:,}; "
          f"a node sustains {node_flops / 1e9:.0f} GFLOP/s")
    print("| nodes K | network | local batch | compute | all-reduce | ring | step | comm share | examples/s | time to "
          f"{examples:.0e} examples |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k in (8, 64, 512):
        for gbit, latency in ((10, 30e-6), (100, 5e-6)):
            n_local = global_batch // k
            c, a, r = step_seconds(k, n_local, B16_FLOPS_PER_EXAMPLE, node_flops, B16_PARAMETERS, B16_WIDTH,
                                   gbit * 1e9 / 8, latency, global_batch)
            step = c + a + r
            rate = global_batch / step
            print(f"| {k} | {gbit} Gbit/s | {n_local:,} | {c:.2f} s | {a:.3f} s | {r * 1000:.1f} ms | {step:.2f} s | "
                  f"{100 * (a + r) / step:.1f}% | {rate:,.0f} | {duration(examples / rate)} |")


def check(compute_seconds, allreduce_bandwidth, ring_bandwidth, parameters, width, n_local, k=2):
    """The model's communication for the measured 2-rank run, from siglip-bench --ring's bandwidths."""
    allreduce = 2 * (k - 1) / k * 4 * parameters / allreduce_bandwidth
    ring = 2 * k * 4 * n_local * width / ring_bandwidth
    print(f"model: all-reduce {1000 * allreduce:.1f} ms + ring {1000 * ring:.2f} ms = {1000 * (allreduce + ring):.1f} ms "
          f"of communication; with {1000 * compute_seconds:.0f} ms of compute, a step of "
          f"{1000 * (compute_seconds + allreduce + ring):.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--node-gflops", type=float, default=240, help="sustained GFLOP/s of one node (default: this 2-core machine on S/16-B/16 training)")
    parser.add_argument("--global-batch", type=int, default=32768)
    parser.add_argument("--examples", type=float, default=1e9)
    parser.add_argument("--check", action="store_true", help="the 2-rank measurement of docs/SCALING.md instead")
    parser.add_argument("--compute-ms", type=float, default=415, help="--check: one rank's compute per step (measured step minus communication), ms")
    parser.add_argument("--allreduce-gbs", type=float, default=1.68, help="--check: all-reduce bus bandwidth, GB/s")
    parser.add_argument("--ring-gbs", type=float, default=6.4, help="--check: ring exchange bandwidth, GB/s")
    parser.add_argument("--parameters", type=int, default=6_478_466, help="--check: parameters of the measured model")
    parser.add_argument("--width", type=int, default=192, help="--check: embedding width of the measured model")
    parser.add_argument("--local-batch", type=int, default=64, help="--check: each rank's batch")
    a = parser.parse_args()
    if a.check:
        check(a.compute_ms / 1000, a.allreduce_gbs * 1e9, a.ring_gbs * 1e9, a.parameters, a.width, a.local_batch)
    else:
        projections(a.node_gflops * 1e9, a.global_batch, a.examples)
