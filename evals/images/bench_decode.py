"""Pillow's decode + preprocess throughput, the reference for SigLIPImage.benchmarkDecode.

    pip install Pillow numpy
    python3 evals/images/bench_decode.py --make-synthetic /tmp/bench_images --count 64
    python3 evals/images/bench_decode.py /tmp/bench_images --target 224 --threads 1

    python3 evals/images/bench_decode.py /tmp/photos --target 64 --threads 2 --reduced-size --repeats 3 --json

Per image, from bytes already in memory: Image.open, draft (when --reduced-size, like our
minimumSize), exif_transpose, convert("RGB"), resize((target, target), BILINEAR), then
float32 x / 255 * 2 - 1 (HWC). Threads share one process (Pillow releases the GIL while
decoding and resizing). Prints images/s and decoded megapixels/s; with --repeats N, the
best of N timed passes; with --json, one JSON object per line instead (what the Swift
side of the comparison reads).
"""
import argparse
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps


def make_synthetic(folder: Path, count: int, seed: int = 0) -> None:
    """`count` photo-like 640x480 JPEGs (quality 90, 4:2:0): gradients, shapes and noise."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    for i in range(count):
        fx, fy, phase = rng.uniform(5, 60), rng.uniform(5, 60), rng.uniform(0, 6.3)
        image = np.stack([128 + 100 * np.sin(x / fx + phase), 128 + 100 * np.cos(y / fy),
                          255 * x / 640 * (y / 480)], axis=-1)
        image += rng.normal(0, 12, image.shape)
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(folder / f"{i:04d}.jpg", quality=90)


def process(data: bytes, target: int, reduced: bool) -> int:
    with Image.open(io.BytesIO(data)) as im:
        if reduced:
            im.draft("RGB", (target, target))
        im = ImageOps.exif_transpose(im).convert("RGB")
        pixels = im.width * im.height
        out = np.asarray(im.resize((target, target), Image.BILINEAR), dtype=np.float32) / 255 * 2 - 1
        assert out.shape == (target, target, 3)
        return pixels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--target", type=int, default=224)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reduced-size", action="store_true", help="allow DCT-scaled JPEG decoding (draft)")
    parser.add_argument("--make-synthetic", action="store_true", help="write synthetic JPEGs into FOLDER and exit")
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=1, help="timed passes; the fastest is reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    if args.make_synthetic:
        make_synthetic(args.folder, args.count)
        return
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    blobs = [p.read_bytes() for p in files]
    for data in blobs[:4]:
        process(data, args.target, args.reduced_size)  # warm-up
    seconds, pixels = float("inf"), 0
    with ThreadPoolExecutor(args.threads) as pool:
        for _ in range(max(1, args.repeats)):
            start = time.perf_counter()
            pixels = sum(pool.map(lambda d: process(d, args.target, args.reduced_size), blobs))
            seconds = min(seconds, time.perf_counter() - start)
    if args.json:
        print(json.dumps({"library": "Pillow", "version": Image.__version__, "images": len(blobs),
                          "seconds": seconds, "images_per_second": len(blobs) / seconds,
                          "megapixels_per_second": pixels / 1e6 / seconds, "threads": args.threads,
                          "target": args.target, "reduced_size": args.reduced_size}))
        return
    print(f"Pillow {Image.__version__}: {len(blobs)} images in {seconds:.3f} s: {len(blobs) / seconds:.1f} images/s, "
          f"{pixels / 1e6 / seconds:.1f} Mpx/s (threads {args.threads}, target {args.target}, "
          f"reduced size {args.reduced_size})")


if __name__ == "__main__":
    main()
