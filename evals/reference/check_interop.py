"""Checks that a checkpoint written by our Swift code loads in Hugging Face `transformers`.

`siglip-eval convert` loads the committed reference model through our reader and saves it
through our writer; this script loads that directory with
`SiglipModel.from_pretrained` (strict: no missing or unexpected tensors) and requires the
outputs to equal the committed reference outputs.

    pip install torch transformers safetensors numpy
    python3 evals/reference/check_interop.py
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import SiglipModel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "SigLIPModelsTests", "Resources", "reference")


def main() -> int:
    out = tempfile.mkdtemp(prefix="siglip-interop-")
    subprocess.run(["swift", "run", "-c", "release", "siglip-eval", "convert", "--checkpoint", FIXTURES, "--output", out],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    model, info = SiglipModel.from_pretrained(out, output_loading_info=True, attn_implementation="eager")
    problems = {k: v for k, v in info.items() if v}
    if problems:
        print("loading problems:", problems)
        return 1
    io = load_file(os.path.join(FIXTURES, "io.safetensors"))
    with torch.no_grad():
        result = model(input_ids=torch.from_numpy(io["input_ids"]), pixel_values=torch.from_numpy(io["pixel_values"]),
                       return_loss=True)
    worst = 0.0
    for name, value in [("image_embeds", result.image_embeds), ("text_embeds", result.text_embeds),
                        ("logits_per_image", result.logits_per_image), ("loss", result.loss.reshape(1))]:
        diff = float(np.abs(value.numpy() - io[name]).max())
        worst = max(worst, diff)
        print(f"{name}: max |diff| {diff:.3g}")
    print(f"loaded {out} with transformers: no missing/unexpected tensors; worst difference {worst:.3g}")
    return 0 if worst == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main())
