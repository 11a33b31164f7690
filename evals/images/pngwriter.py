"""A tiny pure-Python PNG encoder covering every colour type, bit depth and Adam7.

Used by make_fixtures.py to write PNG variants that Pillow cannot (2/4-bit grey,
16-bit grey+alpha, interlaced files, tRNS on every colour type). numpy only for arrays.
"""
import struct
import zlib

import numpy as np

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def pack_row(samples: np.ndarray, bit_depth: int) -> bytes:
    """samples: [w * channels] unsigned ints < 2**bit_depth -> packed bytes."""
    if bit_depth == 16:
        return samples.astype(">u2").tobytes()
    if bit_depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // bit_depth
    padded = np.zeros(-(-len(samples) // per_byte) * per_byte, dtype=np.uint8)
    padded[: len(samples)] = samples
    padded = padded.reshape(-1, per_byte)
    out = np.zeros(len(padded), dtype=np.uint8)
    for i in range(per_byte):
        out |= padded[:, i] << (8 - bit_depth * (i + 1))
    return out.tobytes()


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_rows(rows: list, bpp: int) -> bytes:
    """Filters each row with type (row index % 5), exercising all five PNG filters."""
    out = bytearray()
    previous = bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = index % 5
        filtered = bytearray(len(row))
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            filtered[i] = (x - predictor) & 0xFF
        out.append(kind)
        out += filtered
        previous = row
    return bytes(out)


def encode(samples: np.ndarray, color_type: int, bit_depth: int, *, palette=None, trns: bytes = None,
           interlace: bool = False) -> bytes:
    """samples: [h, w, channels] unsigned ints (palette indices for colour type 3)."""
    height, width, channels = samples.shape
    assert channels == CHANNELS[color_type]
    bpp = max(1, channels * bit_depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        rows = [pack_row(r.reshape(-1), bit_depth) for r in sub]
        raw += filter_rows(rows, bpp)
    data = zlib.compress(raw, 9)
    half = len(data) // 2  # two IDAT chunks, to exercise chunk boundaries
    body = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type,
                                                              0, 0, 1 if interlace else 0))
    if palette is not None:
        body += chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        body += chunk(b"tRNS", trns)
    return body + chunk(b"IDAT", data[:half]) + chunk(b"IDAT", data[half:]) + chunk(b"IEND", b"")
