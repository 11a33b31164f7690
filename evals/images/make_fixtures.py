"""Writes the decode/resize fixtures of Tests/SigLIPImageTests/Resources and their expected pixels.

    pip install Pillow numpy
    python3 evals/images/make_fixtures.py

Expected pixels are what Pillow gives: Image.open, ImageOps.exif_transpose, then .convert("RGB"),
with two explicit rules (the Swift decoder follows them exactly):
  * transparency (alpha channel, tRNS, palette alpha) is composited over white as
    round((c * a + 255 * (255 - a)) / 255), computed here with integers from Pillow's RGBA;
  * 16-bit samples keep their high byte (Pillow does this for LA/RGB/RGBA; for 16-bit grey
    Pillow's "I;16" -> "RGB" conversion clips at 255, which we do not copy: we take value >> 8).
Outputs: fixtures/*.png|jpg, expected/*.rgb (raw [h, w, 3] uint8) and manifest.json.
Deterministic: fixed seeds, no timestamps.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).parent))
import pngwriter  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "Tests/SigLIPImageTests/Resources"
FIXTURES = RESOURCES / "fixtures"
EXPECTED = RESOURCES / "expected"
WIDTH, HEIGHT = 37, 29  # odd, not a multiple of the JPEG MCU, not square


def base_image(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth gradients, a disc and a bar, light noise: [h, w, 3] uint8."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(1, width - 1)
    g = 255 * y / max(1, height - 1)
    b = 128 + 100 * np.sin(x / 5.0) * np.cos(y / 7.0)
    image = np.stack([r, g, b], axis=-1)
    disc = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (min(width, height) * 0.25) ** 2
    image[disc] = [250, 40, 30]
    image[(x > width * 0.15) & (x < width * 0.25)] = [20, 20, 200]
    image += rng.normal(0, 4, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def gray_of(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((r * 299 + g * 587 + b * 114) // 1000).astype(np.uint8)


def alpha_ramp(width: int, height: int) -> np.ndarray:
    """0 at the left edge, 255 at the right, a fully opaque and a fully clear block."""
    a = np.tile(np.linspace(0, 255, width).round().astype(np.uint8), (height, 1))
    a[: height // 4, : width // 4] = 255
    a[-height // 4:, -width // 4:] = 0
    return a


def composite_over_white(rgba: np.ndarray) -> np.ndarray:
    c, a = rgba[..., :3].astype(np.int64), rgba[..., 3:4].astype(np.int64)
    return ((c * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def pillow_rgb(path: Path, draft=None) -> np.ndarray:
    """The reference decode: [h, w, 3] uint8 as described in the module docstring."""
    with Image.open(path) as im:
        if draft is not None:
            im.draft("RGB", draft)
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I"):
            g = (np.asarray(im).astype(np.uint32) >> 8).astype(np.uint8)
            return np.repeat(g[..., None], 3, axis=-1)
        if im.mode in ("LA", "RGBA", "PA") or "transparency" in im.info:
            return composite_over_white(np.asarray(im.convert("RGBA")))
        return np.asarray(im.convert("RGB"))


def png_variants() -> dict:
    """name -> PNG bytes, one per colour type / bit depth / tRNS / interlace combination."""
    rgb = base_image(WIDTH, HEIGHT, seed=1)
    gray = gray_of(rgb)
    alpha = alpha_ramp(WIDTH, HEIGHT)
    rng = np.random.default_rng(2)
    low = rng.integers(0, 256, (HEIGHT, WIDTH, 4), dtype=np.uint16)  # random low bytes for 16-bit
    wide = lambda a, k: a.astype(np.uint16)[..., None] * 256 + low[..., :k] if a.ndim == 2 \
        else a.astype(np.uint16) * 256 + low[..., :k]
    rgb_key = rgb.copy()
    rgb_key[5:9, 5:12] = [10, 20, 30]  # the tRNS colour
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    out = {}
    for bits in (1, 2, 4, 8):
        out[f"gray{bits}"] = (gray[..., None] >> (8 - bits), 0, bits, {})
    out["gray16"] = (wide(gray, 1), 0, 16, {})
    key = int(np.bincount(gray.reshape(-1)).argmax())
    out["gray8_trns"] = (gray[..., None], 0, 8, {"trns": key.to_bytes(2, "big")})
    out["grayalpha8"] = (np.stack([gray, alpha], -1), 4, 8, {})
    out["grayalpha16"] = (wide(np.stack([gray, alpha], -1), 2), 4, 16, {})
    out["rgb8"] = (rgb, 2, 8, {})
    out["rgb16"] = (wide(rgb, 3), 2, 16, {})
    out["rgb8_trns"] = (rgb_key, 2, 8, {"trns": b"\x00\x0a\x00\x14\x00\x1e"})
    out["rgba8"] = (np.concatenate([rgb, alpha[..., None]], -1), 6, 8, {})
    out["rgba16"] = (wide(np.concatenate([rgb, alpha[..., None]], -1), 4), 6, 16, {})
    for bits in (1, 2, 4, 8):
        n = 2 ** bits
        palette = np.random.default_rng(10 + bits).integers(0, 256, (n, 3))
        index = ((x // 3 + y // 2) % n)[..., None]
        out[f"palette{bits}"] = (index, 3, bits, {"palette": palette})
        if bits in (4, 8):
            trns = bytes(np.linspace(0, 255, n // 2).round().astype(np.uint8))  # only some entries
            out[f"palette{bits}_trns"] = (index, 3, bits, {"palette": palette, "trns": trns})
    for name in ("gray1", "gray8", "gray16", "grayalpha8", "rgb8", "rgb16", "rgba16", "palette8_trns", "gray8_trns"):
        samples, color_type, bits, extra = out[name]
        out[name + "_interlaced"] = (samples, color_type, bits, dict(extra, interlace=True))
    return {name: pngwriter.encode(s, ct, b, **extra) for name, (s, ct, b, extra) in out.items()}


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def ycck_jpeg(cmyk: Image.Image) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        tool = Path(tmp) / "ycck_encode"
        subprocess.run(["cc", "-O1", "-o", str(tool), str(Path(__file__).parent / "ycck_encode.c"), "-ljpeg"],
                       check=True)
        inverted = 255 - np.asarray(cmyk)  # Adobe convention, as Pillow writes CMYK
        return subprocess.run([str(tool), str(cmyk.width), str(cmyk.height)], input=inverted.tobytes(),
                              capture_output=True, check=True).stdout


def jpeg_variants() -> dict:
    """name -> JPEG bytes: baseline (4:2:0, 4:2:2, 4:4:4), progressive, grey, CMYK, YCCK, EXIF 1-8."""
    rgb = Image.fromarray(base_image(WIDTH, HEIGHT, seed=3))
    out = {}
    for name, options in {"rgb420": dict(subsampling=2), "rgb422": dict(subsampling=1),
                          "rgb444": dict(subsampling=0), "rgb_optimized": dict(optimize=True),
                          "rgb_progressive": dict(progressive=True),
                          "rgb_progressive444": dict(progressive=True, subsampling=0)}.items():
        out[name] = (rgb, options)
    out["gray"] = (rgb.convert("L"), {})
    out["gray_progressive"] = (rgb.convert("L"), dict(progressive=True))
    out["cmyk"] = (rgb.convert("CMYK"), {})
    out["cmyk_progressive"] = (rgb.convert("CMYK"), dict(progressive=True))
    for orientation in range(1, 9):
        out[f"exif{orientation}"] = (rgb, dict(exif=exif_bytes(orientation)))
    out["exif6_gray"] = (rgb.convert("L"), dict(exif=exif_bytes(6), progressive=True))
    encoded = {}
    for name, (image, options) in out.items():
        path = Path(tempfile.mkstemp(suffix=".jpg")[1])
        image.save(path, "JPEG", quality=90, **options)
        encoded[name] = path.read_bytes()
        path.unlink()
    encoded["ycck"] = ycck_jpeg(rgb.convert("CMYK"))
    return encoded


def large_jpeg() -> bytes:
    """400 x 300, for the reduced-size (DCT scaling) decode."""
    path = Path(tempfile.mkstemp(suffix=".jpg")[1])
    Image.fromarray(base_image(400, 300, seed=4)).save(path, "JPEG", quality=60)
    data = path.read_bytes()
    path.unlink()
    return data


def write_expected(name: str, pixels: np.ndarray) -> dict:
    (EXPECTED / f"{name}.rgb").write_bytes(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes())
    return {"expected": f"expected/{name}.rgb", "width": int(pixels.shape[1]), "height": int(pixels.shape[0])}


def main() -> None:
    for folder in (FIXTURES, EXPECTED):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
    manifest = {"decode": [], "resize": [], "scaled": []}
    files = {f"{k}.png": v for k, v in png_variants().items()}
    files.update({f"{k}.jpg": v for k, v in jpeg_variants().items()})
    files["large.jpg"] = large_jpeg()
    for file, data in sorted(files.items()):
        (FIXTURES / file).write_bytes(data)
        if file == "large.jpg":
            continue
        entry = {"file": f"fixtures/{file}", "format": "png" if file.endswith(".png") else "jpeg"}
        entry.update(write_expected(file.replace(".", "_"), pillow_rgb(FIXTURES / file)))
        manifest["decode"].append(entry)

    # Reduced-size decode: 400x300 with minimum 64x64 -> 1/4 scale = 100x75. The reference is
    # Pillow's full decode reduced by a 4x4 box average (Pillow's own draft() also changes the IDCT
    # and upsampling, so it is no closer); the test uses a loose tolerance.
    full = pillow_rgb(FIXTURES / "large.jpg")
    boxed = full.reshape(75, 4, 100, 4, 3).astype(np.float64).mean(axis=(1, 3)).round()
    entry = {"file": "fixtures/large.jpg", "minimum": [64, 64]}
    entry.update(write_expected("large_quarter", boxed))
    manifest["scaled"].append(entry)

    # Resize references: Pillow's uint8 resize of decoded fixtures, down, up and mixed.
    sources = {"rgb8.png": pillow_rgb(FIXTURES / "rgb8.png")}
    big = base_image(96, 80, seed=5)
    big[::7, :] = 255 - big[::7, :]  # sharp lines, so bicubic overshoots and clips
    Image.fromarray(big).save(FIXTURES / "resize_source.png")
    sources["resize_source.png"] = big
    targets = {"rgb8.png": [(80, 70), (37, 13), (11, 29)],
               "resize_source.png": [(32, 32), (48, 40), (17, 13), (7, 5), (150, 31), (96, 80)]}
    for source, sizes in targets.items():
        for width, height in sizes:
            for filter_name, flag in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
                result = np.asarray(Image.fromarray(sources[source]).resize((width, height), flag))
                name = f"resize_{source.split('.')[0]}_{filter_name}_{width}x{height}"
                entry = {"source": f"fixtures/{source}", "filter": filter_name}
                entry.update(write_expected(name, result))
                manifest["resize"].append(entry)
    (RESOURCES / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in RESOURCES.rglob("*") if p.is_file())
    print(f"{len(manifest['decode'])} decode fixtures, {len(manifest['resize'])} resize references, "
          f"{total / 1024:.0f} KiB in {RESOURCES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
