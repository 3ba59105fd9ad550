#!/usr/bin/python3
"""heed <-> PyTorch equivalence of the reference models (benchmarks/torch_reference.py).

  torch_equivalence.py check DIR   DIR holds heed's files (see below): load heed's weights into
      the torch model, recompute everything and compare; exit 1 with a message on a mismatch.
  torch_equivalence.py make DIR    build the torch model from a seed and write the same files
      for heed to load and compare.

Files in DIR (safetensors, read/written here with json + struct only):
  config.json         {"kind": "seq2seq"|"lm", "vocab", "d_model", "nhead", "enc_layers",
                       "dec_layers", "layers", "d_ff", "seq_len", "lr", "weight_decay"}
  weights.safetensors the model's parameters (state_dict names)
  case.safetensors    inputs ("src", "dec_in" / "inp", "labels": I64), "logits", "loss",
                      "grad.<name>" for every parameter, "after.<name>" after one AdamW step
Comparison: for every tensor, |heed - torch| <= 1e-4 * max|torch| (+1e-7) elementwise. After the
AdamW step one more term is allowed per element: AdamW's first update is lr * g / (|g| + eps), so
two gradients that agree within the tolerance above can still move a parameter differently where
g is at the level of rounding noise (the key part of in_proj_bias has an exactly zero true
gradient: softmax ignores a shift shared by all keys). The allowance is that difference itself,
lr * |u(g_heed) - u(g_torch)| with u(g) = g / (|g| + eps), computed from the two gradients.
"""
import importlib.util
import json
import os
import struct
import sys

import torch


def load_reference():
    """The repository's own reference module, found beside this file's tree (tests/tools/..)."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, os.pardir, os.pardir, "benchmarks", "torch_reference.py")
    spec = importlib.util.spec_from_file_location("heed_torch_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = load_reference()

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8), "I32": (torch.int32, 4)}
NAMES = {torch.float32: "F32", torch.int64: "I64", torch.int32: "I32"}


def read(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, _ = DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        blob = t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def build(cfg):
    torch_cfg = dict(kind=cfg["kind"], vocab=cfg["vocab"], d_model=cfg["d_model"], nhead=cfg["nhead"],
                     enc_layers=cfg.get("enc_layers", 0), dec_layers=cfg.get("dec_layers", 0),
                     layers=cfg.get("layers", 0), d_ff=cfg["d_ff"], seq_len=cfg["seq_len"], batch=1)
    return ref.build_model(torch_cfg), torch_cfg


def run(model, cfg, case):
    """Forward, loss, backward, one AdamW step; returns the computed tensors."""
    model.eval()
    mask = ref.causal_mask(case["labels"].shape[1])
    if cfg["kind"] == "seq2seq":
        logits = model(case["src"], case["dec_in"], mask)
    else:
        logits = model(case["inp"], mask)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg["vocab"]), case["labels"].reshape(-1))
    loss.backward()
    out = {"logits": logits.detach(), "loss": loss.detach().reshape(())}
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    opt.step()
    for name, p in model.named_parameters():
        out["after." + name] = p.detach().clone()
    return out


def adam_allowance(got, want, name, lr, eps=1e-8):
    """lr * |u(g_got) - u(g_want)| for an "after.<param>" tensor, else 0."""
    if not name.startswith("after."):
        return 0.0
    key = "grad." + name[len("after."):]
    u = lambda g: g / (g.abs() + eps)  # noqa: E731
    return lr * (u(got[key].double()) - u(want[key].double())).abs()


def compare(got, want, what, lr):
    errors = []
    for name, w in want.items():
        if name not in got:
            errors.append(f"{what}: '{name}' missing")
            continue
        if w.numel() == 0:
            continue
        g = got[name].to(w.dtype).reshape(w.shape)
        scale = w.abs().max().item()
        excess = ((g - w).abs().double() - 1e-4 * scale - 1e-7 - adam_allowance(got, want, name, lr)).max().item()
        if excess > 0:
            diff = (g - w).abs().max().item()
            errors.append(f"{what}: '{name}' differs: max abs diff {diff:.3g} vs scale {scale:.3g}")
    return errors


def main():
    mode, d = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(d, "config.json")))
    torch.set_num_threads(1)
    if mode == "check":
        model, _ = build(cfg)
        weights = read(os.path.join(d, "weights.safetensors"))
        names = [n for n, _ in model.named_parameters()]
        if list(weights.keys()) != names:
            print(f"parameter names/order differ:\n heed  {list(weights.keys())}\n torch {names}", file=sys.stderr)
            return 1
        model.load_state_dict(weights, strict=True)
        case = read(os.path.join(d, "case.safetensors"))
        inputs = {k: case[k] for k in ("src", "dec_in", "inp", "labels") if k in case}
        mine = run(model, cfg, inputs)
        errors = compare(case, mine, "heed vs torch", cfg["lr"])
        for e in errors:
            print(e, file=sys.stderr)
        return 1 if errors else 0
    if mode == "make":
        torch.manual_seed(cfg.get("seed", 0))
        model, _ = build(cfg)
        write(os.path.join(d, "weights.safetensors"), dict(model.state_dict()))
        g = torch.Generator().manual_seed(1)
        B, L, V = 3, cfg["seq_len"], cfg["vocab"]
        if cfg["kind"] == "seq2seq":
            src = torch.randint(3, V, (B, L), generator=g)
            dec_in = torch.cat([torch.full((B, 1), 1), torch.randint(3, V, (B, L - 1), generator=g)], dim=1)
            inputs = {"src": src, "dec_in": dec_in, "labels": torch.randint(3, V, (B, L), generator=g)}
        else:
            inputs = {"inp": torch.randint(3, V, (B, L), generator=g), "labels": torch.randint(3, V, (B, L), generator=g)}
        out = run(model, cfg, inputs)
        write(os.path.join(d, "case.safetensors"), {**inputs, **out})
        return 0
    print("usage: torch_equivalence.py check|make DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
