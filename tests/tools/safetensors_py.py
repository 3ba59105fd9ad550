#!/usr/bin/python3
"""An independent safetensors reader/writer (standard library only) to cross-check heed's.

  safetensors_py.py dump FILE    validate FILE strictly, print it as JSON on stdout:
        {"header_length": N, "metadata": {...},
         "tensors": [{"name", "dtype", "shape", "values"}, ...]}   (tensors in header order)
      F32 values are printed as their uint32 bit patterns so comparisons are exact (and NaN,
      infinities and -0.0 survive).
  safetensors_py.py write FILE   write a fixed sample laid out unlike heed's writer (sorted keys,
      spaces after separators, "data_offsets" first, data in reverse header order, extra padding)
      and print its dump.

  safetensors_py.py torch-spec    print the parameter names and shapes of a small PyTorch
      module (nn.TransformerEncoderLayer(4, 2, 8)) as JSON [{"name", "shape"}, ...].
  safetensors_py.py torch-load FILE   load FILE into that module with strict load_state_dict
      and print the module's state dict in the dump format.

Exits with status 1 and a message on stderr when FILE is not valid, 77 when PyTorch is missing.
"""
import json
import struct
import sys

SIZES = {"F32": 4, "I32": 4, "I64": 8}
FORMATS = {"F32": "<I", "I32": "<i", "I64": "<q"}  # F32 read as bits


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        fail("duplicate key in header")
    return pairs  # a list keeps header order


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def dump(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail("file too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        fail("header length beyond file")
    pairs = json.loads(raw[8 : 8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    if not isinstance(pairs, list):
        fail("header is not an object")
    buffer = raw[8 + n :]
    metadata = {}
    tensors = []
    spans = []
    for name, info in pairs:
        if name == "__metadata__":
            metadata = dict(info)
            if not all(isinstance(v, str) for v in metadata.values()):
                fail("metadata value is not a string")
            continue
        info = dict(info)
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in SIZES:
            fail("unsupported dtype " + dtype)
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            fail("bad shape")
        if not (0 <= begin <= end <= len(buffer)) or end - begin != numel(shape) * SIZES[dtype]:
            fail("bad data_offsets for " + name)
        fmt = FORMATS[dtype]
        size = struct.calcsize(fmt)
        values = [struct.unpack(fmt, buffer[i : i + size])[0] for i in range(begin, end, size)]
        tensors.append({"name": name, "dtype": dtype, "shape": shape, "values": values})
        spans.append((begin, end))
    position = 0
    for begin, end in sorted(spans):
        if begin != position:
            fail("data buffer has a hole or an overlap at byte %d" % position)
        position = end
    if position != len(buffer):
        fail("data buffer has trailing bytes")
    return {"header_length": n, "metadata": metadata, "tensors": tensors}


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


SAMPLE = [  # name, dtype, shape, values (F32 as floats)
    ("encoder.layers.0.weight", "F32", [2, 3], [0.5, -1.25, 1.0 / 3.0, 1e-30, -0.0, 3.4e38]),
    ("encoder.layers.0.bias", "F32", [], [7.0]),
    ("token_ids", "I64", [4], [-1, 0, 2**40, -(2**63)]),
    ("mask", "I32", [2, 2], [1, -2, 2**31 - 1, -(2**31)]),
    ("empty", "F32", [0, 3], []),
]


def write(path):
    chunks = {}
    for name, dtype, shape, values in SAMPLE:
        fmt = "<f" if dtype == "F32" else FORMATS[dtype]
        chunks[name] = b"".join(struct.pack(fmt, v) for v in values)
    header = {"__metadata__": {"format": "pt", "note": "written by python \u2713"}}
    offset = 0
    data = b""
    for name, dtype, shape, _ in reversed(SAMPLE):
        header[name] = {"data_offsets": [offset, offset + len(chunks[name])],
                        "dtype": dtype, "shape": shape}
        offset += len(chunks[name])
        data += chunks[name]
    text = json.dumps(header, sort_keys=True, ensure_ascii=False).encode("utf-8")
    text += b" " * (8 - len(text) % 8 + 16)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def torch_module():
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed", file=sys.stderr)
        sys.exit(77)
    torch.manual_seed(0)
    return torch, torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8)


def torch_load(path):
    torch, module = torch_module()
    state = {}
    for t in dump(path)["tensors"]:
        if t["dtype"] != "F32":
            fail("parameter %s is not F32" % t["name"])
        n = len(t["values"])
        floats = struct.unpack("<%df" % n, struct.pack("<%dI" % n, *t["values"]))
        state[t["name"]] = torch.tensor(floats, dtype=torch.float32).reshape(t["shape"])
    module.load_state_dict(state, strict=True)  # raises on a missing or unexpected name
    tensors = []
    for name, value in module.state_dict().items():
        floats = value.flatten().tolist()
        bits = struct.unpack("<%dI" % len(floats), struct.pack("<%df" % len(floats), *floats))
        tensors.append({"name": name, "dtype": "F32", "shape": list(value.shape),
                        "values": list(bits)})
    return {"header_length": 0, "metadata": {}, "tensors": tensors}


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "torch-spec" and len(sys.argv) == 2:
        _, module = torch_module()
        spec = [{"name": k, "shape": list(v.shape)} for k, v in module.state_dict().items()]
        json.dump(spec, sys.stdout)
        return
    if len(sys.argv) != 3 or command not in ("dump", "write", "torch-load"):
        fail(__doc__)
    if command == "write":
        write(sys.argv[2])
    try:
        result = torch_load(sys.argv[2]) if command == "torch-load" else dump(sys.argv[2])
    except (KeyError, TypeError, ValueError) as e:
        fail("invalid safetensors file: %r" % e)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
