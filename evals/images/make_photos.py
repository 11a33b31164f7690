"""Synthesise photo-like JPEGs for the decode benchmark (deterministic for a seed).

    python3 evals/images/make_photos.py /tmp/photos            # 200 files, 500x375, quality 90

Each image: a smooth two-colour gradient background (random angle), a few soft-edged
ellipses and rectangles in random colours, a sinusoidal texture, then Gaussian sensor
noise; saved as baseline JPEG, quality 90, 4:2:0, like a typical downsized photo.
Requires numpy and Pillow.
"""
import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * x / width + np.sin(angle) * y / height + 1) / 2
    top, bottom = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    image = top * (1 - t[..., None]) + bottom * t[..., None]
    fx, fy, phase = rng.uniform(8, 60), rng.uniform(8, 60), rng.uniform(0, 2 * np.pi)
    image += 18 * (np.sin(x / fx + phase) * np.cos(y / fy))[..., None]
    base = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    shapes = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for _ in range(int(rng.integers(3, 9))):
        x0, y0 = rng.uniform(-50, width), rng.uniform(-50, height)
        w, h = rng.uniform(30, 220), rng.uniform(30, 180)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3)) + (int(rng.integers(120, 256)),)
        box = [x0, y0, x0 + w, y0 + h]
        (draw.ellipse if rng.uniform() < 0.5 else draw.rectangle)(box, fill=colour)
    shapes = shapes.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.5, 3))))
    base.paste(shapes, (0, 0), shapes)
    pixels = np.asarray(base, dtype=np.float32) + rng.normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--width", type=int, default=500)
    parser.add_argument("--height", type=int, default=375)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for i in range(args.count):
        photo(rng, args.width, args.height).save(args.folder / f"photo_{i:04d}.jpg", quality=args.quality,
                                                 subsampling="4:2:0", optimize=False, progressive=False)
    print(f"wrote {args.count} JPEGs ({args.width}x{args.height}, quality {args.quality}) to {args.folder}")


if __name__ == "__main__":
    main()
