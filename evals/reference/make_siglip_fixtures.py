"""Make the tiny SigLIP reference fixtures for the Swift tests.

Builds a tiny, fully randomised `transformers.SiglipModel` (float32, CPU, eager
attention, fixed seed, one thread, deterministic algorithms), runs one forward
pass with `return_loss=True` and one backward pass, and writes into
`Tests/SigLIPModelsTests/Resources/reference/`:

  config.json         the HF config (as `save_pretrained` writes it)
  model.safetensors   every parameter, HF names (as `save_pretrained` writes it)
  io.safetensors      inputs (pixel_values [3,3,24,24] NCHW, input_ids [3,7] I64)
                      and outputs (image/text pooled [3,48], normalised embeds
                      [3,48], last hidden states [3,9,48] / [3,7,40],
                      logits_per_image/text [3,3], loss [1])
  grads.safetensors   d loss / d parameter for every parameter, same names
  README.md           what the files are and which versions made them

Sizes are odd on purpose (head dims 12 and 20, 9 patches, 7 tokens) so layout
bugs show. The text tower gets no attention_mask (SigLIP does not mask).
The script then reloads the saved model with `SiglipModel.from_pretrained` and
asserts that it reproduces the outputs, and checks the loss against the formula
-(1/n) * sum_ij logsigmoid(z_ij * L_ij), z = 2*eye - 1.

Run from the package root (no network access to the hub is used):

    pip install torch transformers safetensors numpy && python3 evals/reference/make_siglip_fixtures.py
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import math
import pathlib
import shutil
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import SiglipConfig, SiglipModel

SEED = 20240601
N = 3  # batch
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "SigLIPModelsTests" / "Resources" / "reference"

VISION = dict(
    image_size=24,
    patch_size=8,  # -> 3x3 = 9 patches
    hidden_size=48,
    intermediate_size=80,
    num_hidden_layers=2,
    num_attention_heads=4,  # head dim 12
    num_channels=3,
    hidden_act="gelu_pytorch_tanh",
    layer_norm_eps=1e-6,
)
TEXT = dict(
    vocab_size=97,
    hidden_size=40,
    intermediate_size=72,
    num_hidden_layers=2,
    num_attention_heads=2,  # head dim 20
    max_position_embeddings=7,
    hidden_act="gelu_pytorch_tanh",
    layer_norm_eps=1e-6,
    projection_size=48,  # must equal the vision width
    pad_token_id=1,
    eos_token_id=1,
    bos_token_id=None,
)


def build_model() -> SiglipModel:
    config = SiglipConfig(text_config=TEXT, vision_config=VISION)
    config._attn_implementation = "eager"
    torch.manual_seed(SEED)
    model = SiglipModel(config).to(torch.float32)
    model.config._attn_implementation = "eager"
    assert model.text_model.head.out_features == VISION["hidden_size"], "projection_size not honoured"
    randomise(model)
    model.eval()
    return model


@torch.no_grad()
def randomise(model: SiglipModel) -> None:
    """Overwrite every parameter with non-trivial random values (own generator)."""
    g = torch.Generator().manual_seed(SEED + 1)

    def normal(shape, std, mean=0.0):
        return torch.randn(shape, generator=g, dtype=torch.float32) * std + mean

    for name, p in model.named_parameters():  # fixed (registration) order
        leaf = name.split(".")[-1]
        is_norm = "layer_norm" in name or "layernorm" in name or "post_layernorm" in name
        if name == "logit_scale":
            v = normal(p.shape, 0.1, math.log(10.0))
        elif name == "logit_bias":
            v = normal(p.shape, 0.1, -2.0)
        elif is_norm and leaf == "weight":
            v = normal(p.shape, 0.1, 1.0)
        elif leaf == "bias" or leaf == "in_proj_bias":
            v = normal(p.shape, 0.1)
        elif leaf == "probe":
            v = normal(p.shape, 1.0)
        elif "embedding" in name and "patch_embedding" not in name:
            v = normal(p.shape, 0.2)  # token / position tables
        else:
            # matrices (Linear (out,in), in_proj (3D,D), conv (D,C,P,P)): fan-in scaling
            fan_in = p[0].numel()
            v = normal(p.shape, 1.2 / math.sqrt(fan_in))
        p.copy_(v)


def make_inputs():
    g = torch.Generator().manual_seed(SEED + 2)
    pixel_values = torch.rand((N, VISION["num_channels"], 24, 24), generator=g) * 2.0 - 1.0
    L = TEXT["max_position_embeddings"]
    input_ids = torch.randint(2, TEXT["vocab_size"], (N, L), generator=g, dtype=torch.int64)
    input_ids[:, -1] = 1  # EOS in the last position of every row
    input_ids[1, 3:] = 1  # row 1: EOS after 3 tokens, then padded with 1s (= EOS id)
    return pixel_values.contiguous(), input_ids.contiguous()


def run(model: SiglipModel, pixel_values, input_ids):
    model.zero_grad(set_to_none=True)
    out = model(input_ids=input_ids, pixel_values=pixel_values, return_loss=True)
    out.loss.backward()
    return out


def check_loss(out) -> None:
    L = out.logits_per_image.detach().double()
    n = L.shape[0]
    z = 2.0 * torch.eye(n, dtype=torch.float64) - 1.0
    by_hand = -torch.nn.functional.logsigmoid(z * L).sum() / n
    assert abs(by_hand.item() - out.loss.item()) < 1e-5, (by_hand.item(), out.loss.item())
    # logits_per_image[i, j] = exp(t) * <img_i, txt_j> + b
    return by_hand.item()


def manual_forward(sd, pixel_values, input_ids):
    """Re-derive every output from the raw tensors with plain torch ops (no HF modules).

    Checks our reading of the model (docs/DESIGN.md §4): row-major patches, pre-LN blocks, tanh
    GELU, MAP head without a probe residual, last-token text pooling, z / ||z||.
    """
    F = torch.nn.functional

    def lin(x, pre):
        return x @ sd[pre + ".weight"].T + sd[pre + ".bias"]

    def ln(x, pre, eps=1e-6):
        return F.layer_norm(x, x.shape[-1:], sd[pre + ".weight"], sd[pre + ".bias"], eps)

    def mha(q, k, v, heads):  # q: [B, Nq, D], k/v: [B, N, D] already projected
        B, Nq, D = q.shape
        hd = D // heads
        split = lambda t: t.reshape(B, t.shape[1], heads, hd).transpose(1, 2)
        a = torch.softmax(split(q) @ split(k).transpose(-1, -2) / math.sqrt(hd), dim=-1)
        return (a @ split(v)).transpose(1, 2).reshape(B, Nq, D)

    def encoder(x, pre, layers, heads):
        for i in range(layers):
            p = f"{pre}.encoder.layers.{i}"
            h = ln(x, p + ".layer_norm1")
            a = mha(lin(h, p + ".self_attn.q_proj"), lin(h, p + ".self_attn.k_proj"),
                    lin(h, p + ".self_attn.v_proj"), heads)
            x = x + lin(a, p + ".self_attn.out_proj")
            h = ln(x, p + ".layer_norm2")
            x = x + lin(F.gelu(lin(h, p + ".mlp.fc1"), approximate="tanh"), p + ".mlp.fc2")
        return x

    # image tower
    P, D = VISION["patch_size"], VISION["hidden_size"]
    B, C, Hh, Ww = pixel_values.shape
    patches = pixel_values.reshape(B, C, Hh // P, P, Ww // P, P).permute(0, 2, 4, 1, 3, 5)
    patches = patches.reshape(B, (Hh // P) * (Ww // P), C * P * P)  # row-major patches, (c, py, px) inside
    w = sd["vision_model.embeddings.patch_embedding.weight"].reshape(D, -1)
    x = patches @ w.T + sd["vision_model.embeddings.patch_embedding.bias"]
    x = x + sd["vision_model.embeddings.position_embedding.weight"]
    x = encoder(x, "vision_model", VISION["num_hidden_layers"], VISION["num_attention_heads"])
    v_last = ln(x, "vision_model.post_layernorm")
    wq, wk, wv = sd["vision_model.head.attention.in_proj_weight"].chunk(3, dim=0)
    bq, bk, bv = sd["vision_model.head.attention.in_proj_bias"].chunk(3, dim=0)
    probe = sd["vision_model.head.probe"].expand(B, 1, D)
    y = mha(probe @ wq.T + bq, v_last @ wk.T + bk, v_last @ wv.T + bv, VISION["num_attention_heads"])
    y = lin(y, "vision_model.head.attention.out_proj")
    y = y + lin(F.gelu(lin(ln(y, "vision_model.head.layernorm"), "vision_model.head.mlp.fc1"),
                       approximate="tanh"), "vision_model.head.mlp.fc2")
    img = y[:, 0]

    # text tower
    x = sd["text_model.embeddings.token_embedding.weight"][input_ids]
    x = x + sd["text_model.embeddings.position_embedding.weight"][: input_ids.shape[1]]
    x = encoder(x, "text_model", TEXT["num_hidden_layers"], TEXT["num_attention_heads"])
    t_last = ln(x, "text_model.final_layer_norm")
    txt = lin(t_last[:, -1], "text_model.head")

    img_n = img / img.norm(dim=-1, keepdim=True)
    txt_n = txt / txt.norm(dim=-1, keepdim=True)
    logits = sd["logit_scale"].exp() * img_n @ txt_n.T + sd["logit_bias"]  # [images, texts]
    z = 2.0 * torch.eye(B) - 1.0
    loss = -F.logsigmoid(z * logits).sum() / B
    return {
        "image_pooled": img, "text_pooled": txt, "image_embeds": img_n, "text_embeds": txt_n,
        "vision_last_hidden_state": v_last, "text_last_hidden_state": t_last,
        "logits_per_image": logits, "logits_per_text": logits.T, "loss": loss.reshape(1),
    }


def main() -> None:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    model = build_model()
    pixel_values, input_ids = make_inputs()
    out = run(model, pixel_values, input_ids)
    loss_by_hand = check_loss(out)

    vo, to = out.vision_model_output, out.text_model_output
    io = {
        "pixel_values": pixel_values,
        "input_ids": input_ids,
        "image_embeds": out.image_embeds,
        "text_embeds": out.text_embeds,
        "image_pooled": vo.pooler_output,
        "text_pooled": to.pooler_output,
        "vision_last_hidden_state": vo.last_hidden_state,
        "text_last_hidden_state": to.last_hidden_state,
        "logits_per_image": out.logits_per_image,
        "logits_per_text": out.logits_per_text,
        "loss": out.loss.reshape(1),
    }
    io = {k: v.detach().contiguous().clone() for k, v in io.items()}
    expected_shapes = {
        "pixel_values": (3, 3, 24, 24), "input_ids": (3, 7),
        "image_embeds": (3, 48), "text_embeds": (3, 48),
        "image_pooled": (3, 48), "text_pooled": (3, 48),
        "vision_last_hidden_state": (3, 9, 48), "text_last_hidden_state": (3, 7, 40),
        "logits_per_image": (3, 3), "logits_per_text": (3, 3), "loss": (1,),
    }
    for k, s in expected_shapes.items():
        assert tuple(io[k].shape) == s, (k, io[k].shape, s)
    assert io["input_ids"].dtype == torch.int64
    # Normalisation as HF does it: z / ||z|| (no epsilon).
    for emb, pooled in (("image_embeds", "image_pooled"), ("text_embeds", "text_pooled")):
        ref = io[pooled] / io[pooled].norm(dim=-1, keepdim=True)
        assert torch.allclose(ref, io[emb], atol=1e-6), emb

    # Independent re-derivation from the raw tensors (float64), values and gradients.
    sd = {k: v.detach().double().requires_grad_(True) for k, v in model.named_parameters()}
    mine = manual_forward(sd, pixel_values.double(), input_ids)
    for k, v in mine.items():
        assert torch.allclose(v.detach().float(), io[k], rtol=1e-4, atol=1e-5), f"manual {k}"
    mine["loss"].sum().backward()
    manual_dv = max((v.detach().float() - io[k]).abs().max().item() for k, v in mine.items())

    grads, manual_dg = {}, 0.0
    for name, p in model.named_parameters():
        assert torch.allclose(sd[name].grad.float(), p.grad, rtol=1e-3, atol=1e-5), f"manual grad {name}"
        manual_dg = max(manual_dg, (sd[name].grad.float() - p.grad).abs().max().item())
        assert p.grad is not None, f"no gradient for {name}"
        assert p.grad.abs().max() > 0, f"zero gradient for {name}"
        grads[name] = p.grad.detach().contiguous().clone()

    # ---- write ---------------------------------------------------------------
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        written = sorted(os.listdir(tmp))
        for fname in ("config.json", "model.safetensors"):
            assert fname in written, written
            shutil.copyfile(os.path.join(tmp, fname), OUT / fname)
        extra = [f for f in written if f not in ("config.json", "model.safetensors")]
    # Fixed metadata so that the bytes do not depend on anything but the values.
    save_file(io, str(OUT / "io.safetensors"), metadata={"format": "pt"})
    save_file(grads, str(OUT / "grads.safetensors"), metadata={"format": "pt"})

    # ---- verify: saved names, reload, reproduce -----------------------------
    saved = load_file(str(OUT / "model.safetensors"))
    params = dict(model.named_parameters())
    assert set(saved) == set(params), (set(saved) ^ set(params))
    for k, v in saved.items():
        assert torch.equal(v, params[k].detach()), k
    assert set(load_file(str(OUT / "grads.safetensors"))) == set(saved)

    reloaded = SiglipModel.from_pretrained(str(OUT), attn_implementation="eager").eval()
    io_back = load_file(str(OUT / "io.safetensors"))
    out2 = run(reloaded, io_back["pixel_values"], io_back["input_ids"])
    vo2, to2 = out2.vision_model_output, out2.text_model_output
    got = {
        "image_embeds": out2.image_embeds, "text_embeds": out2.text_embeds,
        "image_pooled": vo2.pooler_output, "text_pooled": to2.pooler_output,
        "vision_last_hidden_state": vo2.last_hidden_state,
        "text_last_hidden_state": to2.last_hidden_state,
        "logits_per_image": out2.logits_per_image, "logits_per_text": out2.logits_per_text,
        "loss": out2.loss.reshape(1),
    }
    for k, v in got.items():
        assert torch.allclose(v.detach(), io_back[k], rtol=1e-5, atol=1e-6), k
    for name, p in reloaded.named_parameters():
        assert torch.allclose(p.grad, grads[name], rtol=1e-4, atol=1e-6), name

    # ---- README ----------------------------------------------------------------
    (OUT / "README.md").write_text(
        "# Tiny SigLIP reference fixtures\n\n"
        "`config.json` + `model.safetensors`: a tiny randomised HF `SiglipModel` (vision 24 px / patch 8 / width 48 / "
        "2 layers / 4 heads / mlp 80; text vocab 97 / length 7 / width 40 / 2 layers / 2 heads / mlp 72 / projection 48), "
        "as `save_pretrained` writes it.\n"
        "`io.safetensors`: inputs (`pixel_values` [3,3,24,24] NCHW, `input_ids` [3,7] I64, no attention mask) and outputs "
        "(pooled, normalised embeddings, last hidden states, logits, sigmoid `loss` [1]) of one forward pass.\n"
        "`grads.safetensors`: d loss / d parameter for every parameter, under the `model.safetensors` names.\n"
        f"Made with torch {torch.__version__.split('+')[0]}, transformers {transformers.__version__}, float32 CPU, "
        "eager attention, 1 thread, by:\n"
        "`pip install torch transformers safetensors numpy && python3 evals/reference/make_siglip_fixtures.py`\n"
    )

    # ---- summary -------------------------------------------------------------
    torch.set_printoptions(precision=4, sci_mode=False)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    print(f"save_pretrained wrote {written}; dropped {extra}")
    print(f"parameters: {sum(p.numel() for p in model.parameters())} in {len(params)} tensors")
    for k, v in io.items():
        print(f"  io {k:26s} {list(v.shape)} {str(v.dtype).replace('torch.', '')}")
    print("logits_per_image:\n", io["logits_per_image"])
    print("sigmoid(logits_per_image):\n", torch.sigmoid(io["logits_per_image"]))
    print(f"logit_scale={model.logit_scale.item():.6f} (exp={model.logit_scale.exp().item():.4f}) "
          f"logit_bias={model.logit_bias.item():.6f}")
    print(f"loss = {io['loss'].item():.8f} (by hand {loss_by_hand:.8f})")
    print(f"float64 re-derivation vs HF float32: max |d value| {manual_dv:.2e}, max |d grad| {manual_dg:.2e}")
    groups = {}
    for name, g in grads.items():
        parts = name.split(".")
        if "layers" in parts:
            key = ".".join(parts[: parts.index("layers") + 2])
        else:
            key = ".".join(parts[:2]) if len(parts) > 2 else parts[0]
        groups[key] = max(groups.get(key, 0.0), g.abs().max().item())
    print("max |grad| per group:")
    for key, m in groups.items():
        print(f"  {key:40s} {m:.4e}")
    for f in sorted(os.listdir(OUT)):
        print(f"  {f:20s} {os.path.getsize(OUT / f):8d} bytes")


if __name__ == "__main__":
    main()
