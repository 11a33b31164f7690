"""Make the tiny big_vision (.npz) checkpoint fixtures for the Swift tests.

big_vision releases SigLIP checkpoints as NumPy .npz files: one array per parameter of the
two-tower Flax model, named by its path in the parameter tree ("img/embedding/kernel",
"txt/Encoder_0/encoderblock_0/MlpBlock_0/Dense_0/bias", "t", "b"), float32 or bfloat16
(which NumPy stores as a 2-byte void, '<V2' for an ml_dtypes array). Encoder blocks are one
group of arrays per block ("encoderblock_0", ...) or, from models trained with scan=True, one
group stacked on a leading depth axis ("encoderblock").

This script builds a tiny random parameter tree with the real names and writes, into
`Tests/SigLIPModelsTests/Resources/bigvision/`:

  siglip_f32_blocks.npz     float32, one member per block        (np.savez: stored members)
  siglip_f32_stacked.npz    float32, blocks stacked              (np.savez_compressed: deflated)
  siglip_bf16_blocks.npz    bfloat16 as ml_dtypes '<V2'          (deflated)
  siglip_bf16_stacked.npz   bfloat16 as a plain 2-byte void '|V2' (stored)
  siglip_f32_nohead.npz     a smaller float32 model without "txt/head" (as the i18n B/16 256
                            release): the text head is then the identity
  siglip_f32_params.npz     the same under "params/", plus an "opt/..." member that a loader
                            must ignore (big_vision's checkpoints with optimiser state; float32,
                            since every member must be an array the reader accepts)
  expected_f32.safetensors  the float32 tree converted to Hugging Face names and layouts
  expected_bf16.safetensors the bfloat16 tree widened to float32, converted likewise
  expected_nohead.safetensors
  resampling.safetensors    position-embedding grids and their resampling to other grids
  dtypes.npz                one small array per accepted dtype ('<f4', '<f2', '<f8', '<V2',
                            '|V2', a 0-d array) and, for each, "<name>__f32": its float32 value
  bad_*.npz                 inputs a loader must refuse, one fault each (see make_bad_inputs;
                            README.md lists them)

The conversion to Hugging Face is written here from the rules of transformers'
`models/siglip/convert_siglip_to_hf.py`: a Flax kernel [in, out] is transposed; attention
kernels [D, H, D/H] (query, key, value) and [H, D/H, D] (out) are first reshaped to [-1, D];
biases are flattened; the patch kernel [P, P, 3, D] is transposed (3, 2, 0, 1); position
embeddings [1, N, D] become [N, D]; the MAP head's query, key and value are concatenated into
`in_proj_weight` / `in_proj_bias`; stacked blocks are split along axis 0 (the stacked files here
are the per-block trees stacked, so both layouts convert to the same expected tensors).

Resampling follows big_vision's `vit.resample_posemb`: the [N, D] table as a sqrt(N) x sqrt(N)
grid, `scipy.ndimage.zoom(grid, (new/old, new/old, 1), order=1)`, i.e. bilinear with the corner
samples aligned (output index i samples input coordinate i * (old - 1) / (new - 1)), in double
precision, rounded to float32. The reference here is that formula in NumPy; when SciPy is
installed the script checks it against `scipy.ndimage.zoom` to within 1 float32 ulp.

Run from the package root (NumPy and ml_dtypes; SciPy optional, for the cross-check):

    pip install numpy ml_dtypes && python3 evals/reference/make_bigvision_fixtures.py
"""

import io
import json
import pathlib
import re
import struct
import zipfile

import ml_dtypes
import numpy as np

SEED = 20250611
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "SigLIPModelsTests" / "Resources" / "bigvision"

# Odd, unequal sizes so that a transposed or mis-split array shows: image 9 px, patch 3 (a 3x3
# grid of 9 patches), width 8, 2 heads of 4, MLP 12, 2 blocks; text vocabulary 13, width 6,
# 3 heads of 2, MLP 10, 3 blocks, length 5, projection to 8 (the image width).
MAIN = dict(patch=3, grid=3, width=8, heads=2, mlp=12, depth=2,
            vocab=13, text_width=6, text_heads=3, text_mlp=10, text_depth=3, length=5, embed=8)
# The model without a text head: the text width must equal the image width.
NOHEAD = dict(patch=2, grid=2, width=4, heads=1, mlp=4, depth=1,
              vocab=5, text_width=4, text_heads=2, text_mlp=4, text_depth=1, length=3, embed=None)

IMAGE_ENCODER, TEXT_ENCODER = "img/Transformer", "txt/Encoder_0"


# ---- the big_vision parameter tree ---------------------------------------------------------

def make_tree(sizes, rng):
    """A random parameter tree in the per-block layout: {path: float32 array}."""
    tree = {}

    def normal(shape, std=0.5, mean=0.0):
        return (rng.standard_normal(shape) * std + mean).astype(np.float32)

    def layer_norm(path, d):
        tree[f"{path}/scale"] = normal((d,), 0.1, 1.0)
        tree[f"{path}/bias"] = normal((d,), 0.1)

    def attention(path, d, h):
        for name in ("query", "key", "value"):
            tree[f"{path}/{name}/kernel"] = normal((d, h, d // h))
            tree[f"{path}/{name}/bias"] = normal((h, d // h), 0.1)
        tree[f"{path}/out/kernel"] = normal((h, d // h, d))
        tree[f"{path}/out/bias"] = normal((d,), 0.1)

    def mlp(path, d, m):
        tree[f"{path}/Dense_0/kernel"] = normal((d, m))
        tree[f"{path}/Dense_0/bias"] = normal((m,), 0.1)
        tree[f"{path}/Dense_1/kernel"] = normal((m, d))
        tree[f"{path}/Dense_1/bias"] = normal((d,), 0.1)

    def encoder(path, depth, d, h, m):
        for i in range(depth):
            block = f"{path}/encoderblock_{i}"
            layer_norm(f"{block}/LayerNorm_0", d)
            attention(f"{block}/MultiHeadDotProductAttention_0", d, h)
            layer_norm(f"{block}/LayerNorm_1", d)
            mlp(f"{block}/MlpBlock_0", d, m)
        layer_norm(f"{path}/encoder_norm", d)

    p, d = sizes["patch"], sizes["width"]
    tree["img/embedding/kernel"] = normal((p, p, 3, d))
    tree["img/embedding/bias"] = normal((d,), 0.1)
    tree["img/pos_embedding"] = normal((1, sizes["grid"] ** 2, d))
    encoder(IMAGE_ENCODER, sizes["depth"], d, sizes["heads"], sizes["mlp"])
    tree["img/MAPHead_0/probe"] = normal((1, 1, d))
    attention("img/MAPHead_0/MultiHeadDotProductAttention_0", d, sizes["heads"])
    layer_norm("img/MAPHead_0/LayerNorm_0", d)
    mlp("img/MAPHead_0/MlpBlock_0", d, sizes["mlp"])

    w = sizes["text_width"]
    tree["txt/Embed_0/embedding"] = normal((sizes["vocab"], w))
    tree["txt/pos_embedding"] = normal((1, sizes["length"], w))
    encoder(TEXT_ENCODER, sizes["text_depth"], w, sizes["text_heads"], sizes["text_mlp"])
    if sizes["embed"] is not None:
        tree["txt/head/kernel"] = normal((w, sizes["embed"]))
        tree["txt/head/bias"] = normal((sizes["embed"],), 0.1)
    tree["t"] = np.array([np.log(10.0) + 0.1 * rng.standard_normal()], np.float32)
    tree["b"] = np.array([-2.0 + 0.1 * rng.standard_normal()], np.float32)
    return tree


def stacked(tree):
    """The scan=True layout: each encoder's blocks stacked on a leading depth axis."""
    out = {}
    groups = {}
    for path, value in tree.items():
        for encoder in (IMAGE_ENCODER, TEXT_ENCODER):
            prefix = f"{encoder}/encoderblock_"
            if path.startswith(prefix):
                index, relative = path[len(prefix):].split("/", 1)
                groups.setdefault(f"{encoder}/encoderblock/{relative}", {})[int(index)] = value
                break
        else:
            out[path] = value
    for path, layers in groups.items():
        out[path] = np.stack([layers[i] for i in range(len(layers))])
    return out


def bfloat16(tree):
    """The tree rounded to bfloat16 (round to nearest even), as ml_dtypes arrays."""
    return {k: v.astype(ml_dtypes.bfloat16) for k, v in tree.items()}


# ---- the conversion to Hugging Face names and layouts ----------------------------------------

def to_hugging_face(tree, sizes):
    """{Hugging Face name: float32 array} from a per-block tree, by convert_siglip_to_hf.py's rules."""
    tree = {k: np.asarray(v, np.float32) for k, v in tree.items()}
    hf = {}

    def dense(src, dst):
        hf[f"{dst}.weight"] = tree[f"{src}/kernel"].T
        hf[f"{dst}.bias"] = tree[f"{src}/bias"]

    def norm(src, dst):
        hf[f"{dst}.weight"] = tree[f"{src}/scale"]
        hf[f"{dst}.bias"] = tree[f"{src}/bias"]

    def heads_kernel(path, d):  # [D, H, D/H] or [H, D/H, D] -> [-1, D] -> transposed
        return tree[path].reshape(-1, d).T

    def block(src, dst, d):
        norm(f"{src}/LayerNorm_0", f"{dst}.layer_norm1")
        norm(f"{src}/LayerNorm_1", f"{dst}.layer_norm2")
        for name, proj in (("query", "q_proj"), ("key", "k_proj"), ("value", "v_proj"), ("out", "out_proj")):
            hf[f"{dst}.self_attn.{proj}.weight"] = heads_kernel(f"{src}/MultiHeadDotProductAttention_0/{name}/kernel", d)
            hf[f"{dst}.self_attn.{proj}.bias"] = tree[f"{src}/MultiHeadDotProductAttention_0/{name}/bias"].reshape(-1)
        dense(f"{src}/MlpBlock_0/Dense_0", f"{dst}.mlp.fc1")
        dense(f"{src}/MlpBlock_0/Dense_1", f"{dst}.mlp.fc2")

    d = sizes["width"]
    hf["vision_model.embeddings.patch_embedding.weight"] = tree["img/embedding/kernel"].transpose(3, 2, 0, 1)
    hf["vision_model.embeddings.patch_embedding.bias"] = tree["img/embedding/bias"]
    hf["vision_model.embeddings.position_embedding.weight"] = tree["img/pos_embedding"].reshape(-1, d)
    for i in range(sizes["depth"]):
        block(f"{IMAGE_ENCODER}/encoderblock_{i}", f"vision_model.encoder.layers.{i}", d)
    norm(f"{IMAGE_ENCODER}/encoder_norm", "vision_model.post_layernorm")
    head = "img/MAPHead_0"
    hf["vision_model.head.probe"] = tree[f"{head}/probe"]
    att = f"{head}/MultiHeadDotProductAttention_0"
    hf["vision_model.head.attention.in_proj_weight"] = np.concatenate(
        [heads_kernel(f"{att}/{n}/kernel", d) for n in ("query", "key", "value")], axis=0)
    hf["vision_model.head.attention.in_proj_bias"] = np.concatenate(
        [tree[f"{att}/{n}/bias"].reshape(-1) for n in ("query", "key", "value")])
    hf["vision_model.head.attention.out_proj.weight"] = heads_kernel(f"{att}/out/kernel", d)
    hf["vision_model.head.attention.out_proj.bias"] = tree[f"{att}/out/bias"]
    norm(f"{head}/LayerNorm_0", "vision_model.head.layernorm")
    dense(f"{head}/MlpBlock_0/Dense_0", "vision_model.head.mlp.fc1")
    dense(f"{head}/MlpBlock_0/Dense_1", "vision_model.head.mlp.fc2")

    w = sizes["text_width"]
    hf["text_model.embeddings.token_embedding.weight"] = tree["txt/Embed_0/embedding"]
    hf["text_model.embeddings.position_embedding.weight"] = tree["txt/pos_embedding"].reshape(-1, w)
    for i in range(sizes["text_depth"]):
        block(f"{TEXT_ENCODER}/encoderblock_{i}", f"text_model.encoder.layers.{i}", w)
    norm(f"{TEXT_ENCODER}/encoder_norm", "text_model.final_layer_norm")
    if "txt/head/kernel" in tree:
        dense("txt/head", "text_model.head")
    else:  # as the conversion does for the checkpoint released without a text head
        hf["text_model.head.weight"] = np.eye(w, dtype=np.float32)
        hf["text_model.head.bias"] = np.zeros(w, np.float32)
    hf["logit_scale"] = tree["t"]
    hf["logit_bias"] = tree["b"]
    return {k: np.ascontiguousarray(v, np.float32) for k, v in hf.items()}


# ---- position-embedding resampling -----------------------------------------------------------

def resample_grid(table, old, new):
    """[old*old, D] -> [new*new, D], scipy.ndimage.zoom(order=1)'s arithmetic, in float64."""
    d = table.shape[1]
    grid = table.reshape(old, old, d).astype(np.float64)
    step = (old - 1) / (new - 1) if new > 1 else 1.0
    taps = []
    for i in range(new):
        c = i * step
        low = min(int(np.floor(c)), old - 1)
        taps.append((low, min(low + 1, old - 1), c - low))
    out = np.empty((new, new, d), np.float64)
    for y, (y0, y1, ty) in enumerate(taps):
        for x, (x0, x1, tx) in enumerate(taps):
            top = (1 - tx) * grid[y0, x0] + tx * grid[y0, x1]
            bottom = (1 - tx) * grid[y1, x0] + tx * grid[y1, x1]
            out[y, x] = (1 - ty) * top + ty * bottom
    return out.reshape(new * new, d).astype(np.float32)


def check_against_scipy(table, old, new):
    """Max |difference| from big_vision's own call, or None without SciPy; asserts <= 1 ulp."""
    try:
        import scipy.ndimage
    except ImportError:
        return None
    d = table.shape[1]
    zoomed = scipy.ndimage.zoom(table.reshape(old, old, d), (new / old, new / old, 1), order=1).reshape(new * new, d)
    ours = resample_grid(table, old, new)
    np.testing.assert_array_max_ulp(ours, zoomed, maxulp=1)
    return float(np.abs(ours - zoomed).max())


# ---- files -----------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    """A float32 safetensors file (names sorted), written by hand so that NumPy is enough."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], "<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def zip_members(path, members, compression=zipfile.ZIP_STORED):
    """An .npz written member by member, as np.savez does (for members NumPy would not write)."""
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members.items():
            with z.open(name, "w", force_zip64=True) as f:
                f.write(data)


def zip64_offset(path):
    """A one-member .npz whose central directory points, through a ZIP64 extra field, at a local
    header offset of 2^63 + 5 (a reader that converts it to a signed offset unchecked traps)."""
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros(3, np.float32))
    data = bytearray(buffer.getvalue())
    end = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack_from("<II", data, end + 12)
    entry = data[offset:offset + size]
    name, extra = struct.unpack_from("<HH", entry, 28)
    assert extra == 0, "NumPy's central directory entry was expected to have no extra field"
    struct.pack_into("<I", entry, 42, 0xFFFFFFFF)
    entry = entry[:46 + name] + struct.pack("<HHQ", 1, 8, 2 ** 63 + 5) + entry[46 + name:]
    struct.pack_into("<H", entry, 30, 12)
    record = bytearray(data[end:])
    struct.pack_into("<I", record, 12, len(entry))
    path.write_bytes(bytes(data[:offset]) + bytes(entry) + bytes(record))


def unterminated_deflate(path):
    """A one-member .npz whose deflated member is a non-final stored block of 65535 bytes
    holding the .npy and nothing more: the deflate stream runs on past the member."""
    npy = npy_bytes(np.zeros(3, np.float32))
    stream = b"\x00\xff\xff\x00\x00" + npy
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("x.npy", stream)
    data = bytearray(path.read_bytes())
    crc = zipfile.crc32(npy)
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    for at, method, crc_at, usize_at in ((local, 8, 14, 22), (central, 10, 16, 24)):
        struct.pack_into("<H", data, at + method, 8)
        struct.pack_into("<I", data, at + crc_at, crc)
        struct.pack_into("<I", data, at + usize_at, len(npy))
    path.write_bytes(bytes(data))


def make_bad_inputs(tree):
    """{file name: fault}: one fault each, a loader must refuse each with a clear error. The
    whole-model faults start from `tree`, the model of siglip_f32_nohead.npz (the smallest)."""
    bad = {}
    good = (OUT / "siglip_f32_nohead.npz").read_bytes()
    (OUT / "bad_truncated.npz").write_bytes(good[: len(good) * 3 // 5])
    bad["bad_truncated.npz"] = "the first 60% of siglip_f32_nohead.npz"
    (OUT / "bad_not_zip.npz").write_bytes(npy_bytes(np.zeros(3, np.float32)))
    bad["bad_not_zip.npz"] = "a .npy file, not a zip archive"

    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3 }"
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    broken = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + np.zeros(6, "<f4").tobytes()
    zip_members(OUT / "bad_header.npz", {"x.npy": broken})
    bad["bad_header.npz"] = "member x.npy's header dict is malformed (an unclosed shape tuple)"

    zip_members(OUT / "bad_dtype.npz", {"x.npy": npy_bytes(np.arange(4, dtype="<i4"))})
    bad["bad_dtype.npz"] = "member x.npy is int32 ('<i4')"
    zip_members(OUT / "bad_big_endian.npz", {"x.npy": npy_bytes(np.arange(4, dtype=">f4"))})
    bad["bad_big_endian.npz"] = "member x.npy is big-endian float32 ('>f4')"
    zip_members(OUT / "bad_fortran.npz", {"x.npy": npy_bytes(np.asfortranarray(np.ones((2, 3), np.float32)))})
    bad["bad_fortran.npz"] = "member x.npy is in Fortran order"
    short = npy_bytes(np.zeros(5, np.float32))[:-8]  # the header says 5 floats, 3 follow
    zip_members(OUT / "bad_size.npz", {"x.npy": short})
    bad["bad_size.npz"] = "member x.npy's header says shape (5,) but holds 3 floats"

    zip64_offset(OUT / "bad_zip64.npz")
    bad["bad_zip64.npz"] = "member x.npy's central-directory entry gives its local header a ZIP64 offset of 2^63 + 5"
    unterminated_deflate(OUT / "bad_deflate.npz")
    bad["bad_deflate.npz"] = ("member x.npy is deflated as a stored block that promises 65535 bytes: the stream does not end "
                              "within the member (Python's zipfile stops at the member's end and accepts it)")

    missing = dict(tree)
    del missing["txt/Encoder_0/encoderblock_0/MlpBlock_0/Dense_1/bias"]
    np.savez(OUT / "bad_missing.npz", **missing)
    bad["bad_missing.npz"] = "siglip_f32_nohead.npz without txt/Encoder_0/encoderblock_0/MlpBlock_0/Dense_1/bias"
    width = NOHEAD["width"]
    wrong = dict(tree)
    wrong["img/MAPHead_0/LayerNorm_0/scale"] = np.ones(width + 1, np.float32)
    np.savez(OUT / "bad_shape.npz", **wrong)
    bad["bad_shape.npz"] = f"img/MAPHead_0/LayerNorm_0/scale has {width + 1} values, not {width}"
    extra = dict(tree)
    extra["img/head/kernel"] = np.zeros((width, 4), np.float32)
    np.savez(OUT / "bad_extra.npz", **extra)
    bad["bad_extra.npz"] = "an image-tower classifier head img/head/kernel, which SigLIP has not"
    return bad


def make_dtypes():
    """dtypes.npz: one array per accepted dtype and its float32 value."""
    arrays = {
        "f32": np.array([[1.5, -0.0, 1e-40], [np.inf, -3.25, 7.0]], np.float32),
        "f16": np.array([65504, 6e-8, -np.inf, -0.0, 1 / 3], np.float16),
        "f64": np.array([[0.1, 1e-50], [-1e300, 2.0 ** -130]], np.float64),
        "bf16": np.array([1.0, -2.5, 3e38, 1e-39], np.float32).astype(ml_dtypes.bfloat16),
        "scalar": np.array(2.5, np.float32),
    }
    arrays["void2"] = arrays["bf16"].view(np.dtype("V2"))
    with np.errstate(over="ignore"):
        expected = {f"{k}__f32": (v.view(ml_dtypes.bfloat16) if k == "void2" else v).astype(np.float32) for k, v in arrays.items()}
    np.savez(OUT / "dtypes.npz", **arrays, **expected)
    with zipfile.ZipFile(OUT / "dtypes.npz") as z:
        descrs = {n: re.search(rb"'descr': '([^']*)'", z.read(n)).group(1).decode() for n in z.namelist() if "__" not in n}
    assert descrs["bf16.npy"] == "<V2" and descrs["void2.npy"] == "|V2", descrs
    return descrs


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    rng = np.random.default_rng(SEED)
    tree = make_tree(MAIN, rng)
    nohead = make_tree(NOHEAD, rng)
    tree16 = bfloat16(tree)

    np.savez(OUT / "siglip_f32_blocks.npz", **tree)
    np.savez_compressed(OUT / "siglip_f32_stacked.npz", **stacked(tree))
    np.savez_compressed(OUT / "siglip_bf16_blocks.npz", **tree16)
    np.savez(OUT / "siglip_bf16_stacked.npz", **{k: v.view(np.dtype("V2")) for k, v in stacked(tree16).items()})
    np.savez(OUT / "siglip_f32_nohead.npz", **nohead)
    np.savez(OUT / "siglip_f32_params.npz", **{f"params/{k}": v for k, v in nohead.items()},
             **{"opt/mu/t": np.zeros(1, np.float32)})

    write_safetensors(OUT / "expected_f32.safetensors", to_hugging_face(tree, MAIN))
    write_safetensors(OUT / "expected_bf16.safetensors", to_hugging_face(tree16, MAIN))
    write_safetensors(OUT / "expected_nohead.safetensors", to_hugging_face(nohead, NOHEAD))

    # Resampling: the fixture model's 3x3 grid to 5x5 (a 9-px model at 15 px) and 2x2; a 14x14
    # grid (224 px, patch 16) to 16x16 (256 px) and 24x24 (384 px).
    table = tree["img/pos_embedding"].reshape(-1, MAIN["width"])
    big = rng.standard_normal((14 * 14, 3)).astype(np.float32)
    resampled = {"grid3": table, "grid14": big}
    scipy_error = {}
    for name, source, old, new in (("grid3", table, 3, 5), ("grid3", table, 3, 2), ("grid14", big, 14, 16), ("grid14", big, 14, 24)):
        resampled[f"{name}_to_{new}"] = resample_grid(source, old, new)
        scipy_error[f"{name}_to_{new}"] = check_against_scipy(source, old, new)
    write_safetensors(OUT / "resampling.safetensors", resampled)

    descrs = make_dtypes()
    bad = make_bad_inputs(nohead)

    # Check what was written: every .npz reads back with NumPy as the arrays it was made from.
    for name, source in (("siglip_f32_blocks.npz", tree), ("siglip_bf16_blocks.npz", tree16)):
        with np.load(OUT / name) as z:
            for k, v in source.items():
                assert np.array_equal(z[k].view(v.dtype) if z[k].dtype.kind == "V" else z[k], v), (name, k)
    with np.load(OUT / "siglip_f32_stacked.npz") as z:
        assert z[f"{IMAGE_ENCODER}/encoderblock/LayerNorm_0/scale"].shape == (MAIN["depth"], MAIN["width"])

    readme = [
        "# Tiny big_vision SigLIP checkpoint fixtures",
        "",
        "Made by `pip install numpy ml_dtypes && python3 evals/reference/make_bigvision_fixtures.py` "
        f"(NumPy {np.__version__}, ml_dtypes {ml_dtypes.__version__}); see the script for what each file holds.",
        "",
        f"Main model: {MAIN}. Without a text head: {NOHEAD}.",
        "",
        "Encoder blocks: `siglip_*_blocks.npz` one member per block, `siglip_*_stacked.npz` stacked on a leading depth axis.",
        f"bfloat16 descrs: {descrs['bf16.npy']} (ml_dtypes) in `siglip_bf16_blocks.npz`, {descrs['void2.npy']} (plain void) in "
        "`siglip_bf16_stacked.npz`.",
        "",
        "Resampling (big_vision's `scipy.ndimage.zoom(order=1)`, reproduced in NumPy): max |NumPy - SciPy| "
        + ", ".join(f"{k} {'n/a (no SciPy)' if v is None else f'{v:.1e}'}" for k, v in scipy_error.items()) + ".",
        "",
        "Inputs to refuse:",
        *[f"- `{k}`: {v}" for k, v in bad.items()],
        "",
    ]
    (OUT / "README.md").write_text("\n".join(readme))

    total = 0
    for f in sorted(OUT.iterdir()):
        total += f.stat().st_size
        print(f"  {f.name:30s} {f.stat().st_size:8d} bytes")
    print(f"  total {total} bytes; resampling vs SciPy: {scipy_error}")


if __name__ == "__main__":
    main()
