"""Writes the malformed-file corpus of Tests/SigLIPImageTests/Resources/malformed/.

    python3 evals/images/make_malformed.py   (after make_fixtures.py)

Each file must make ImageDecoder throw an ImageDecodeError naming the file; the Swift test
holds the expected message fragment for each. Files are derived from the valid fixtures.
"""
import struct
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "Tests/SigLIPImageTests/Resources"
OUT = RESOURCES / "malformed"


def png_chunks(data: bytes) -> list:
    """[(offset, kind, length)] of every chunk in a PNG."""
    chunks, position = [], 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.append((position, kind, length))
        position += 12 + length
    return chunks


def with_crc(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_with_ihdr(png: bytes, width: int, height: int) -> bytes:
    """The same file with IHDR's dimensions replaced (and a correct CRC)."""
    ihdr = bytearray(png[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    return png[:8] + with_crc(b"IHDR", bytes(ihdr)) + png[33:]


def jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same file with the SOF marker's dimensions replaced."""
    data = bytearray(jpeg)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            data[at + 5:at + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise ValueError("no SOF marker")


def with_repeated_last_scan(jpeg: bytes, times: int) -> bytes:
    """A progressive JPEG whose last scan (SOS header and entropy-coded data, up to EOI) is
    repeated: a CPU-exhaustion attack by scan count."""
    last_sos = jpeg.rfind(b"\xff\xda")
    eoi = jpeg.rfind(b"\xff\xd9")
    return jpeg[:last_sos] + jpeg[last_sos:eoi] * times + jpeg[eoi:]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    png = (RESOURCES / "fixtures/rgb8.png").read_bytes()
    jpeg = (RESOURCES / "fixtures/rgb420.jpg").read_bytes()
    progressive = (RESOURCES / "fixtures/rgb_progressive.jpg").read_bytes()
    chunks = {kind: (offset, length) for offset, kind, length in png_chunks(png)}
    idat_offset, idat_length = chunks[b"IDAT"]
    rng = np.random.default_rng(7)
    garbage = rng.integers(0, 256, 600, dtype=np.uint8).tobytes()
    sos = jpeg.find(b"\xff\xda")

    files = {
        "empty.png": b"",
        "text.jpg": b"This is not an image, just some text.\n",
        "notes.txt": b"hello\n",
        "png_signature_only.png": png[:8],
        "png_truncated_ihdr.png": png[:20],
        "png_truncated_before_idat.png": png[:idat_offset],
        "png_truncated_idat.png": png[:idat_offset + 8 + idat_length // 2],
        "png_bad_signature.png": b"\x89PNG\r\n\x1a\x00" + png[8:],
        "png_ascii_mangled.png": b"\x89PNG\n\x1a\n" + png[8:],
        "png_garbage_after_signature.png": png[:8] + garbage,
        "png_bad_ihdr_crc.png": png[:29] + bytes([png[29] ^ 0xFF]) + png[30:],
        "png_bad_idat_crc.png": png[:idat_offset + 8 + idat_length] + b"\0\0\0\0" + png[idat_offset + 12 + idat_length:],
        "png_bad_zlib.png": png[:idat_offset] + with_crc(b"IDAT", b"\x00\x00" + garbage[:idat_length]) +
        png[idat_offset + 12 + idat_length:],
        "png_zero_width.png": png_with_ihdr(png, 0, 29),
        "png_bomb_side.png": png_with_ihdr(png, 100_000, 100_000),
        "png_bomb_pixels.png": png_with_ihdr(png, 20_000, 20_000),
        "jpeg_soi_only.jpg": jpeg[:3],
        "jpeg_truncated_header.jpg": jpeg[:sos // 2],
        "jpeg_truncated_before_scan.jpg": jpeg[:sos],
        "jpeg_truncated_scan.jpg": jpeg[:sos + (len(jpeg) - sos) // 2],
        "jpeg_truncated_progressive.jpg": progressive[:len(progressive) * 2 // 3],
        "jpeg_garbage_after_soi.jpg": jpeg[:3] + garbage,
        "jpeg_zero_height.jpg": jpeg_with_size(jpeg, 37, 0),
        "jpeg_bomb_pixels.jpg": jpeg_with_size(jpeg, 60_000, 60_000),
        # Under the pixel limit, but far more pixels than the bytes could encode.
        "png_bomb_density.png": png_with_ihdr(png, 9_000, 9_000),
        "jpeg_bomb_density.jpg": jpeg_with_size(jpeg, 9_000, 9_000),
        "jpeg_many_scans.jpg": with_repeated_last_scan(progressive, 150),
    }
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    print(f"{len(files)} malformed files in {OUT.relative_to(ROOT)}")
    first_idat = min(offset for offset, kind, _ in png_chunks(png) if kind == b"IDAT")
    write_ancillary(png, first_idat)


def write_ancillary(png: bytes, idat_offset: int) -> None:
    """Valid PNGs (rgb8.png's pixels) carrying ancillary-chunk memory bombs: each must decode to
    exactly rgb8.png's pixels, the chunks skipped unread."""
    out = RESOURCES / "ancillary"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    bomb = zlib.compress(b"\0" * (256 << 20), 9)   # 256 MiB of zeros in about 260 KB
    chunks = {
        "png_ztxt_bomb.png": with_crc(b"zTXt", b"Comment\0\0" + bomb),
        "png_itxt_bomb.png": with_crc(b"iTXt", b"Comment\0\1\0\0\0" + bomb),
        "png_iccp_bomb.png": with_crc(b"iCCP", b"profile\0\0" + bomb),
        "png_many_splt.png": b"".join(with_crc(b"sPLT", b"p%05d\0\x08" % i + b"\0\0\0\0\0\0") for i in range(20_000)),
        "png_many_text.png": b"".join(with_crc(b"tEXt", b"k%05d\0value" % i) for i in range(20_000)),
        "png_unknown_chunks.png": b"".join(with_crc(b"prVt", bytes(100)) for _ in range(2_000)),
    }
    for name, chunk in chunks.items():
        (out / name).write_bytes(png[:idat_offset] + chunk + png[idat_offset:])
    print(f"{len(chunks)} ancillary-chunk bombs in {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
