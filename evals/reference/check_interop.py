"""Checks that checkpoints written by our Swift code load in Hugging Face `transformers`.

Every case converts a checkpoint with `siglip-eval convert --checkpoint SRC --output OUT`
(our reader, then our writer: config.json and a float32 model.safetensors) and loads OUT with
`SiglipModel.from_pretrained` strictly (no missing, unexpected or mismatched tensors, no
loading errors; eager attention). Then:

  reference   Tests/SigLIPModelsTests/Resources/reference (a float32 SiglipModel): our output
              must hold exactly the tensors of the original directory and give exactly its
              outputs (image and text embeddings, logits, loss) on the committed inputs
              (io.safetensors), when transformers runs both here; and those outputs must be
              within 1e-5 of the committed ones ("committed": made on another machine, whose
              float32 arithmetic may round differently: 7.2e-7 on the logits on a Zen 4 EPYC
              with torch 2.15 CPU, the original directory as much as ours).
  hf-float32, hf-float16, hf-bfloat16
              Tests/Fixtures/hf-zeroshot/<dtype> (tiny random SiglipModels saved by
              transformers in that dtype, see make_hf_zeroshot_fixture.py): our output must
              hold exactly the tensors of the original directory loaded by transformers with
              torch_dtype=torch.float32 (16-bit values widened), and give exactly its image and
              text embeddings and logits on the fixture's pixels and prompts (expected-<dtype>).
  bv-<file>   the big_vision .npz fixtures of Tests/SigLIPModelsTests/Resources/bigvision
              (see make_bigvision_fixtures.py; convert needs no spiece.model for them): our
              output must hold exactly the tensors of the fixture script's expected_*.safetensors
              (convert_siglip_to_hf.py's names and layouts), and, on seeded random pixels and
              token ids, give exactly the outputs of a SiglipModel configured independently from
              the script's sizes (MAIN / NOHEAD: so heads, eps and sizes in our config.json are
              checked too) holding those expected tensors.

Each case prints its worst |difference| per tensor group; the script fails unless every one
is 0 (the conversions are exact: float32 copies, and widening 16-bit values is exact), apart
from the reference case's comparison with its committed outputs (at most 1e-5).

    pip install torch transformers safetensors numpy sentencepiece protobuf ml_dtypes
    python3 evals/reference/check_interop.py
"""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import subprocess
import sys
import tempfile

import numpy as np
import torch
import transformers
from safetensors.numpy import load_file
from transformers import SiglipConfig, SiglipModel

# Outputs are committed from another machine: as far as they may be from this one's.
COMMITTED_TOLERANCE = 1e-5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REFERENCE = os.path.join(ROOT, "Tests", "SigLIPModelsTests", "Resources", "reference")
HF_ZEROSHOT = os.path.join(ROOT, "Tests", "Fixtures", "hf-zeroshot")
BIGVISION = os.path.join(ROOT, "Tests", "SigLIPModelsTests", "Resources", "bigvision")
# big_vision fixture -> (expected tensors, sizes in make_bigvision_fixtures.py)
BIGVISION_CASES = [
    ("siglip_f32_blocks.npz", "expected_f32.safetensors", "MAIN"),
    ("siglip_f32_stacked.npz", "expected_f32.safetensors", "MAIN"),
    ("siglip_bf16_blocks.npz", "expected_bf16.safetensors", "MAIN"),
    ("siglip_bf16_stacked.npz", "expected_bf16.safetensors", "MAIN"),
    ("siglip_f32_nohead.npz", "expected_nohead.safetensors", "NOHEAD"),
    ("siglip_f32_params.npz", "expected_nohead.safetensors", "NOHEAD"),
]


def converter():
    """Builds siglip-eval (release) once; returns a function converting SRC into a new folder."""
    subprocess.run(["swift", "build", "-c", "release", "--product", "siglip-eval"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    bin_path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    scratch = tempfile.mkdtemp(prefix="siglip-interop-")

    def convert(source, name):
        out = os.path.join(scratch, name)
        subprocess.run([os.path.join(bin_path, "siglip-eval"), "convert", "--checkpoint", source, "--output", out],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return out
    return convert


def load_strict(path, **kwargs):
    model, info = SiglipModel.from_pretrained(path, output_loading_info=True, attn_implementation="eager", **kwargs)
    problems = {k: v for k, v in info.items() if v}
    if problems:
        raise SystemExit(f"{path}: loading problems: {problems}")
    return model.eval()


def max_diff(a, b):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a.shape != b.shape:
        raise SystemExit(f"shape {a.shape} differs from {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())


def state_diff(model, expected):
    """Worst |difference| between a model's state dict and {name: array}; the names must agree."""
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    # transformers keeps non-persistent buffers (position_ids) out of the files; compare parameters.
    names = {k for k in state if not k.endswith("position_ids")}
    if names != set(expected):
        raise SystemExit(f"tensor names differ: only ours {sorted(names - set(expected))}, "
                         f"only expected {sorted(set(expected) - names)}")
    return max(max_diff(state[k], expected[k]) for k in names)


def outputs(model, input_ids, pixel_values):
    with torch.no_grad():
        r = model(input_ids=torch.from_numpy(input_ids), pixel_values=torch.from_numpy(pixel_values))
    return {"image_embeds": r.image_embeds.numpy(), "text_embeds": r.text_embeds.numpy(),
            "logits_per_image": r.logits_per_image.numpy()}


def report(case, diffs):
    print(f"{case:26s} " + "  ".join(f"{k} {v:.3g}" for k, v in diffs.items()))
    return max(diffs.values())


def check_reference(convert):
    """(worst difference from transformers on the original here, worst from the committed outputs)."""
    ours = load_strict(convert(REFERENCE, "reference"))
    theirs = SiglipModel.from_pretrained(REFERENCE, attn_implementation="eager").eval()
    io = load_file(os.path.join(REFERENCE, "io.safetensors"))

    def run(model):
        with torch.no_grad():
            r = model(input_ids=torch.from_numpy(io["input_ids"]), pixel_values=torch.from_numpy(io["pixel_values"]),
                      return_loss=True)
        return {"image_embeds": r.image_embeds.numpy(), "text_embeds": r.text_embeds.numpy(),
                "logits_per_image": r.logits_per_image.numpy(), "loss": r.loss.reshape(1).numpy()}
    a, b = run(ours), run(theirs)
    expected = {k: v.detach().numpy() for k, v in theirs.state_dict().items() if not k.endswith("position_ids")}
    exact = report("reference", {"tensors": state_diff(ours, expected), **{k: max_diff(a[k], b[k]) for k in a}})
    committed = report("reference vs committed", {k: max_diff(a[k], io[k]) for k in a})
    return exact, committed


def check_hf(convert, dtype):
    original = os.path.join(HF_ZEROSHOT, dtype)
    ours = load_strict(convert(original, f"hf-{dtype}"))
    theirs = SiglipModel.from_pretrained(original, torch_dtype=torch.float32, attn_implementation="eager").eval()
    if any(p.dtype != torch.float32 for p in list(ours.parameters()) + list(theirs.parameters())):
        raise SystemExit(f"hf-{dtype}: a model did not load as float32")
    io = load_file(os.path.join(HF_ZEROSHOT, f"expected-{dtype}.safetensors"))
    pixels = np.ascontiguousarray(io["pixels"].transpose(0, 3, 1, 2))   # NHWC -> NCHW
    a, b = outputs(ours, io["input_ids"], pixels), outputs(theirs, io["input_ids"], pixels)
    expected = {k: v.detach().numpy() for k, v in theirs.state_dict().items() if not k.endswith("position_ids")}
    diffs = {"tensors": state_diff(ours, expected), **{k: max_diff(a[k], b[k]) for k in a}}
    return report(f"hf-{dtype}", diffs)


def check_bigvision(convert, npz, expected_file, sizes_name):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_bigvision_fixtures as fixtures   # only its sizes; main() is not run

    sizes = getattr(fixtures, sizes_name)
    ours = load_strict(convert(os.path.join(BIGVISION, npz), "bv-" + npz[:-4]))
    expected = load_file(os.path.join(BIGVISION, expected_file))
    width = sizes["width"]
    config = SiglipConfig(
        text_config=dict(vocab_size=sizes["vocab"], hidden_size=sizes["text_width"],
                         intermediate_size=sizes["text_mlp"], num_hidden_layers=sizes["text_depth"],
                         num_attention_heads=sizes["text_heads"], max_position_embeddings=sizes["length"],
                         projection_size=sizes["embed"] or sizes["text_width"], layer_norm_eps=1e-6,
                         hidden_act="gelu_pytorch_tanh", pad_token_id=1, bos_token_id=None, eos_token_id=1),
        vision_config=dict(image_size=sizes["patch"] * sizes["grid"], patch_size=sizes["patch"], hidden_size=width,
                           intermediate_size=sizes["mlp"], num_hidden_layers=sizes["depth"],
                           num_attention_heads=sizes["heads"], layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh"))
    config._attn_implementation = "eager"
    reference = SiglipModel(config).eval()
    missing, unexpected = reference.load_state_dict({k: torch.from_numpy(v) for k, v in expected.items()}, strict=False)
    if [k for k in missing if not k.endswith("position_ids")] or unexpected:
        raise SystemExit(f"{expected_file} does not fit the configuration: missing {missing}, unexpected {unexpected}")
    rng = np.random.default_rng(20250611)
    size = sizes["patch"] * sizes["grid"]
    pixels = rng.uniform(-1, 1, size=(3, 3, size, size)).astype(np.float32)
    ids = rng.integers(0, sizes["vocab"], size=(4, sizes["length"])).astype(np.int64)
    a, b = outputs(ours, ids, pixels), outputs(reference, ids, pixels)
    diffs = {"tensors": state_diff(ours, expected), **{k: max_diff(a[k], b[k]) for k in a}}
    return report("bv-" + npz[:-4], diffs)


def main() -> int:
    torch.set_num_threads(1)
    transformers.utils.logging.disable_progress_bar()
    convert = converter()
    worst = {}
    worst["reference"], committed = check_reference(convert)
    for dtype in ("float32", "float16", "bfloat16"):
        worst[f"hf-{dtype}"] = check_hf(convert, dtype)
    for npz, expected, sizes in BIGVISION_CASES:
        worst["bv-" + npz[:-4]] = check_bigvision(convert, npz, expected, sizes)
    failed = [k for k, v in worst.items() if v != 0.0]
    print(f"{len(worst)} conversions loaded in transformers strictly (no missing/unexpected/mismatched tensors); "
          f"worst difference from transformers on the source {max(worst.values()):.3g}"
          + (f" (not exact: {', '.join(failed)})" if failed else " (all exact)")
          + f"; reference vs its committed outputs {committed:.3g} (limit {COMMITTED_TOLERANCE:g})")
    return 1 if failed or not committed <= COMMITTED_TOLERANCE else 0


if __name__ == "__main__":
    sys.exit(main())
