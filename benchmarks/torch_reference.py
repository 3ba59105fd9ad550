#!/usr/bin/python3
"""heed's PyTorch reference: three small transformer training workloads in eager PyTorch.

`heed bench --workload NAME` times the same training step in heed; `benchmarks/compare.sh` runs
the two side by side, and `tests/tools/torch_equivalence.py` imports this module to check that
heed's Seq2Seq and DecoderLM compute what these models compute. Standard library and torch only
(Debian's python3-torch 1.13); run it with /usr/bin/python3.

Command line
    torch_reference.py --workload copy-tiny|sort-small|long-lm [--steps 60] [--warmup 10]
                       [--threads 2] [--seed 0] [--json] [--omp-wait-policy env|passive|active]
    torch_reference.py --check-learning [N] [--eval-every 100] [--threads 2] [--seed 0] [--json]

Workloads (fp32; ids 0 = PAD, never used since nothing is padded, 1 = BOS, 2 unused; data
tokens uniform in [3, vocab), drawn from a torch.Generator seeded with --seed)

    name        model           vocab  length  d_model heads layers     d_ff  batch  target
    copy-tiny   encoder-decoder    16      32      128     4  2 enc+2 dec  512     64  source
    sort-small  encoder-decoder    64      64      256     8  4 enc+4 dec 1024     32  sorted
    long-lm     decoder-only       64     512      128     4  2            512      8  (below)

    encoder-decoder: encoder reads the source; decoder reads [BOS] + target[:-1] (teacher
                     forcing, causal self-attention) and predicts the target.
    decoder-only:    a sequence of 256 random tokens followed by the same 256 again; the model
                     reads [BOS] + sequence[:-1] under a causal mask and predicts the sequence.
    Every step predicts batch x length target tokens (2048, 2048, 4096), and
    tokens/s = that count / median step time.

Model
    A token embedding (one table, shared by encoder and decoder inputs) initialised N(0, 1/d_model)
    and multiplied by sqrt(d_model); fixed sinusoidal positions added; dropout 0.1 on the sum.
    Encoder-decoder: torch.nn.Transformer; decoder-only: torch.nn.TransformerEncoder over
    nn.TransformerEncoderLayer with a causal mask and a final LayerNorm. Both batch_first, pre-LN
    (norm_first), GELU, dropout 0.1 in every layer, PyTorch's own initialisation. Logits come
    from an untied nn.Linear(d_model, vocab). Parameter names are those of these torch modules
    (embed.embed.weight, transformer.encoder.layers.0.self_attn.in_proj_weight, ..., out.bias;
    blocks.layers.N.*, blocks.norm.* for the decoder-only model): heed exports and loads
    parameters by exactly these names.

One timed training step
    make the batch -> forward -> mean cross-entropy over every target token -> backward ->
    AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 on every parameter) ->
    zero_grad(set_to_none=True). No clipping, no schedule, no mixed precision.
    --warmup steps run first and are not counted; then each of --steps steps is timed with
    time.perf_counter(). Reported: median and minimum step time, target tokens/s from the
    median, the last step's loss, the process's peak RSS, and which BLAS torch calls. Each
    step's loss is read out as a number, so no step's autograd graph lives into the next one
    and the peak RSS is that of one step.

--check-learning [N] (default 2000)
    Trains copy-tiny for up to N steps; every --eval-every steps it greedy-decodes 256 fresh
    sources (a generator apart from the training data) and stops at the first evaluation with
    >= 99% exact-sequence accuracy, reporting that step and the time taken.

Threads and the BLAS
    --threads goes to torch.set_num_threads() and, before torch is imported, to OMP_NUM_THREADS,
    OPENBLAS_NUM_THREADS and MKL_NUM_THREADS: Debian's torch calls the system BLAS through
    libblas.so.3, whose thread pool set_num_threads() does not reach.
    --omp-wait-policy: 'env' (default) leaves OMP_WAIT_POLICY as the environment has it (unset:
    GNU OpenMP spins, then sleeps: torch as a user gets it); 'passive' / 'active' set it before
    torch is imported. Debian's torch runs its own kernels on GNU OpenMP threads and its matrix
    products on OpenBLAS's own pthreads; spinning OpenMP workers take the cores those threads
    need, so on 2 cores PASSIVE makes copy-tiny and sort-small steps ~1.6x faster.
    The JSON's "blas" names the library torch's sgemm_ calls really reach (the symbol's address
    looked up in /proc/self/maps): "OpenBLAS <core>" (the kernel set OpenBLAS picked), or
    "netlib reference BLAS (path)" when libblas.so.3 is netlib's, Debian's default without
    libopenblas0-pthread and 5-10x slower.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

PAD_ID, BOS_ID, FIRST_DATA_ID = 0, 1, 3
DROPOUT = 0.1
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 0.01
CHECK_TARGET = 0.99          # exact-sequence accuracy --check-learning stops at
CHECK_EVAL_BATCH = 256
CHECK_EVAL_SEED_OFFSET = 1_000_003

# A model config is a plain dict (the equivalence test builds one from JSON):
#   kind "seq2seq": vocab, seq_len, d_model, nhead, enc_layers, dec_layers, d_ff
#   kind "lm":      vocab, seq_len, d_model, nhead, layers, d_ff
# A workload adds the task (copy | sort | half-copy) and the batch size.
WORKLOADS = {
    "copy-tiny": {"kind": "seq2seq", "task": "copy", "vocab": 16, "seq_len": 32,
                  "d_model": 128, "nhead": 4, "enc_layers": 2, "dec_layers": 2,
                  "d_ff": 512, "batch": 64},
    "sort-small": {"kind": "seq2seq", "task": "sort", "vocab": 64, "seq_len": 64,
                   "d_model": 256, "nhead": 8, "enc_layers": 4, "dec_layers": 4,
                   "d_ff": 1024, "batch": 32},
    "long-lm": {"kind": "lm", "task": "half-copy", "vocab": 64, "seq_len": 512,
                "d_model": 128, "nhead": 4, "layers": 2, "d_ff": 512, "batch": 8},
}


def command_line(argv=None):
    parser = argparse.ArgumentParser(
        description="heed's PyTorch reference: time transformer training steps "
                    "(see the module docstring for the exact contract).")
    parser.add_argument("--workload", choices=list(WORKLOADS),
                        help="the workload to time (needed unless --check-learning)")
    parser.add_argument("--steps", type=int, default=60, help="timed steps (default 60)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="steps run first and not timed (default 10)")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for torch and the BLAS (default 2)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of initialisation, dropout and data (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--omp-wait-policy", choices=["env", "passive", "active"],
                        default="env",
                        help="OMP_WAIT_POLICY for torch's OpenMP threads; 'env' (default) "
                             "keeps the environment's")
    parser.add_argument("--check-learning", type=int, nargs="?", const=2000, default=None,
                        metavar="N",
                        help="train copy-tiny for up to N steps (default 2000) until greedy "
                             "exact-sequence accuracy reaches 99%%")
    parser.add_argument("--eval-every", type=int, default=100,
                        help="steps between evaluations of --check-learning (default 100)")
    args = parser.parse_args(argv)
    if args.workload is None and args.check_learning is None:
        parser.error("give --workload NAME or --check-learning [N]")
    if args.steps < 1 and args.check_learning is None:
        parser.error("--steps must be at least 1")
    if args.warmup < 0 or args.threads < 1 or args.eval_every < 1:
        parser.error("--warmup must be >= 0, --threads and --eval-every >= 1")
    return args


def prepare_environment(args):
    """Thread counts and wait policy, which the runtimes read once, when torch loads them."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    if args.omp_wait_policy != "env":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()


if __name__ == "__main__":
    ARGS = command_line()
    prepare_environment(ARGS)

import torch  # noqa: E402  (after prepare_environment when run as a program)
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

def causal_mask(length):
    """(length, length) additive mask: 0 where key <= query, -inf above the diagonal."""
    return torch.full((length, length), float("-inf")).triu(diagonal=1)


def make_batch(cfg, batch_size, generator):
    """One batch of the workload's task, every tensor (batch_size, seq_len) int64.

    seq2seq -> (src, dec_in, labels); lm -> (inp, labels). dec_in / inp are the labels shifted
    right by one behind BOS (teacher forcing).
    """
    length, vocab = cfg["seq_len"], cfg["vocab"]
    bos = torch.full((batch_size, 1), BOS_ID, dtype=torch.long)
    if cfg["kind"] == "lm":
        first_half = torch.randint(FIRST_DATA_ID, vocab, (batch_size, length // 2),
                                   generator=generator)
        labels = torch.cat([first_half, first_half], dim=1)
        return torch.cat([bos, labels[:, :-1]], dim=1), labels
    src = torch.randint(FIRST_DATA_ID, vocab, (batch_size, length), generator=generator)
    if cfg["task"] == "copy":
        labels = src.clone()
    elif cfg["task"] == "sort":
        labels = src.sort(dim=1).values
    else:
        raise ValueError(f"unknown seq2seq task {cfg['task']!r}")
    return src, torch.cat([bos, labels[:, :-1]], dim=1), labels


# ---------------------------------------------------------------------------------------------
# Models. Attribute names (and so state_dict names) are part of the contract with heed.
# ---------------------------------------------------------------------------------------------

def sinusoidal_positions(length, d_model):
    """(length, d_model): sin at even features, cos at odd, wavelengths 2*pi .. 10000*2*pi."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32)
                          * (-math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class TokenAndPosition(nn.Module):
    """ids (B, L) -> dropout(embedding * sqrt(d_model) + positions) (B, L, d_model)."""

    def __init__(self, vocab, d_model, max_len):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        nn.init.normal_(self.embed.weight, mean=0.0, std=d_model ** -0.5)
        self.scale = math.sqrt(d_model)
        # Not a parameter and not saved: state_dict holds parameters only, as heed's files do.
        self.register_buffer("pe", sinusoidal_positions(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, ids):
        return self.dropout(self.embed(ids) * self.scale + self.pe[:ids.size(1)])


class Seq2SeqModel(nn.Module):
    """nn.Transformer encoder-decoder; its stacks end in the final LayerNorms it adds."""

    def __init__(self, cfg):
        super().__init__()
        self.embed = TokenAndPosition(cfg["vocab"], cfg["d_model"], cfg["seq_len"])
        self.transformer = nn.Transformer(
            d_model=cfg["d_model"], nhead=cfg["nhead"], num_encoder_layers=cfg["enc_layers"],
            num_decoder_layers=cfg["dec_layers"], dim_feedforward=cfg["d_ff"],
            dropout=DROPOUT, activation="gelu", batch_first=True, norm_first=True)
        self.out = nn.Linear(cfg["d_model"], cfg["vocab"])

    def encode(self, src):
        return self.transformer.encoder(self.embed(src))

    def decode(self, dec_in, memory, mask):
        hidden = self.transformer.decoder(self.embed(dec_in), memory, tgt_mask=mask)
        return self.out(hidden)

    def forward(self, src, dec_in, mask):
        memory = self.encode(src)          # the encoder runs (and draws dropout) first
        return self.decode(dec_in, memory, mask)


class CausalLM(nn.Module):
    """Decoder-only LM: nn.TransformerEncoder under a causal mask, then a final LayerNorm."""

    def __init__(self, cfg):
        super().__init__()
        d_model = cfg["d_model"]
        self.embed = TokenAndPosition(cfg["vocab"], d_model, cfg["seq_len"])
        layer = nn.TransformerEncoderLayer(
            d_model=d_model, nhead=cfg["nhead"], dim_feedforward=cfg["d_ff"], dropout=DROPOUT,
            activation="gelu", batch_first=True, norm_first=True)
        # TransformerEncoder copies `layer`, so every layer starts from the same weights.
        self.blocks = nn.TransformerEncoder(layer, cfg["layers"], norm=nn.LayerNorm(d_model))
        self.out = nn.Linear(d_model, cfg["vocab"])

    def forward(self, inp, mask):
        return self.out(self.blocks(self.embed(inp), mask=mask))


def build_model(cfg):
    """The reference model for a config dict (see WORKLOADS), in train mode."""
    if cfg["kind"] == "seq2seq":
        return Seq2SeqModel(cfg)
    if cfg["kind"] == "lm":
        return CausalLM(cfg)
    raise ValueError(f"unknown model kind {cfg['kind']!r}")


def make_optimizer(model):
    """AdamW with weight decay on every parameter, biases and LayerNorms included."""
    return torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999),
                             eps=1e-8, weight_decay=WEIGHT_DECAY)


def loss_of(model, batch, mask, vocab):
    """Mean cross-entropy of the model on one batch from make_batch."""
    *inputs, labels = batch
    logits = model(*inputs, mask)
    return F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1))


def training_step(model, optimizer, cfg, generator, mask):
    loss = loss_of(model, make_batch(cfg, cfg["batch"], generator), mask, cfg["vocab"])
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


# ---------------------------------------------------------------------------------------------
# What the process is running on
# ---------------------------------------------------------------------------------------------

def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # ru_maxrss: KiB


def mapped_files():
    """(start, end, path) of every file mapped into this process, from /proc/self/maps."""
    regions = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith("/"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                regions.append((start, end, fields[5].strip()))
    return regions


def file_defining(symbol, regions):
    """The mapped file whose code a call to `symbol` from torch reaches, or None.

    Looks the symbol up as the dynamic linker binds torch's reference to it: first in the global
    scope (the program, LD_PRELOAD), then breadth-first through libtorch_cpu's own dependencies,
    and finds the mapping that holds the address. Several BLAS libraries can be mapped at once
    (netlib's libblas.so.3 beside an OpenBLAS pulled in by liblapack.so.3); only this tells
    which one runs.
    """
    import ctypes
    torch_libraries = [path for _, _, path in regions
                       if os.path.basename(path).startswith("libtorch_cpu")]
    for library in [None] + sorted(set(torch_libraries)):
        try:
            address = ctypes.cast(getattr(ctypes.CDLL(library), symbol), ctypes.c_void_p).value
        except (OSError, AttributeError):
            continue
        for start, end, path in regions:
            if start <= address < end:
                return path
    return None


def blas_in_use():
    """The BLAS that torch's float32 matrix products (sgemm_) really run on."""
    import ctypes
    try:
        regions = mapped_files()
    except OSError:
        return "unknown (no /proc/self/maps)"
    path = file_defining("sgemm_", regions)
    if path is None:
        return "unknown (no sgemm_ outside torch; torch.__config__.show() lists its BLAS)"
    name = os.path.basename(path).lower()
    try:
        library = ctypes.CDLL(path)              # already mapped: the same handle, nothing loads
        library.openblas_get_corename.restype = ctypes.c_char_p
        return "OpenBLAS " + library.openblas_get_corename().decode()
    except (OSError, AttributeError):
        pass
    if "openblas" in path.lower():
        return "OpenBLAS (" + path + ")"
    if "mkl" in name:
        return "Intel MKL (" + path + ")"
    if "blis" in name:
        return "BLIS (" + path + ")"
    if name.startswith("libblas.so"):
        # What Debian's libblas3 installs: the Fortran reference implementation.
        return "netlib reference BLAS (" + path + ")"
    return "unknown BLAS (" + path + ")"


def runtime_fields():
    return {"torch_version": torch.__version__, "blas": blas_in_use(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset")}


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------

def benchmark(workload, steps, warmup, seed):
    cfg = WORKLOADS[workload]
    torch.manual_seed(seed)                              # initialisation, then dropout
    data = torch.Generator().manual_seed(seed)           # the batches
    model = build_model(cfg).train()
    optimizer = make_optimizer(model)
    mask = causal_mask(cfg["seq_len"])
    tokens_per_step = cfg["batch"] * cfg["seq_len"]

    step_times, loss = [], float("nan")
    for step in range(warmup + steps):
        start = time.perf_counter()
        loss = training_step(model, optimizer, cfg, data, mask)
        elapsed = time.perf_counter() - start
        if step >= warmup:
            step_times.append(elapsed)

    median = statistics.median(step_times)
    return {
        "workload": workload,
        "threads": torch.get_num_threads(),
        "median_step_s": round(median, 6),
        "min_step_s": round(min(step_times), 6),
        "tokens_per_s": round(tokens_per_step / median, 1),
        "final_loss": round(loss, 5),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "params": sum(p.numel() for p in model.parameters()),
        "steps": steps,
        "warmup": warmup,
        "tokens_per_step": tokens_per_step,
        **runtime_fields(),
    }


def print_benchmark(r):
    print(f"{r['workload']}: {r['params']:,} parameters, {r['tokens_per_step']} target tokens a "
          f"step, {r['threads']} threads, torch {r['torch_version']}, BLAS {r['blas']}, "
          f"OMP_WAIT_POLICY {r['omp_wait_policy']}")
    print(f"  {r['steps']} timed steps after {r['warmup']} warm-up: median "
          f"{r['median_step_s'] * 1e3:.1f} ms, min {r['min_step_s'] * 1e3:.1f} ms, "
          f"{r['tokens_per_s']:,.0f} target tokens/s")
    print(f"  final loss {r['final_loss']:.4f}, peak RSS {r['peak_rss_mb']:.0f} MB")


# ---------------------------------------------------------------------------------------------
# --check-learning
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def greedy_accuracy(model, cfg, generator, count=CHECK_EVAL_BATCH):
    """Greedy-decode `count` fresh sources; returns (exact-sequence, token) accuracy."""
    was_training = model.training
    model.eval()
    src, _, target = make_batch(cfg, count, generator)
    memory = model.encode(src)
    decoded = torch.full((count, 1), BOS_ID, dtype=torch.long)
    for _ in range(target.size(1)):
        logits = model.decode(decoded, memory, causal_mask(decoded.size(1)))
        decoded = torch.cat([decoded, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
    model.train(was_training)
    hits = decoded[:, 1:] == target
    return hits.all(dim=1).float().mean().item(), hits.float().mean().item()


def check_learning(max_steps, eval_every, seed, verbose):
    cfg = WORKLOADS["copy-tiny"]
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(seed)
    held_out = torch.Generator().manual_seed(seed + CHECK_EVAL_SEED_OFFSET)
    model = build_model(cfg).train()
    optimizer = make_optimizer(model)
    mask = causal_mask(cfg["seq_len"])

    began, training_s = time.perf_counter(), 0.0
    history, reached = [], None
    for step in range(1, max_steps + 1):
        start = time.perf_counter()
        loss = training_step(model, optimizer, cfg, data, mask)
        training_s += time.perf_counter() - start
        if step % eval_every and step != max_steps:
            continue
        seq_acc, tok_acc = greedy_accuracy(model, cfg, held_out)
        elapsed = time.perf_counter() - began
        history.append({"step": step, "loss": round(loss, 5), "seq_acc": seq_acc,
                        "tok_acc": round(tok_acc, 5), "elapsed_s": round(elapsed, 2)})
        if verbose:
            print(f"step {step:5d}  loss {loss:.4f}  token acc {tok_acc:.4f}  "
                  f"exact-sequence acc {seq_acc:.4f}  {elapsed:.1f} s", flush=True)
        if seq_acc >= CHECK_TARGET:
            reached = step
            break
    return {
        "mode": "check-learning",
        "workload": "copy-tiny",
        "threads": torch.get_num_threads(),
        "target_seq_acc": CHECK_TARGET,
        "reached_step": reached,                              # null when never reached
        "wall_s": round(time.perf_counter() - began, 2),      # training and evaluation
        "train_s": round(training_s, 2),                      # training steps only
        **runtime_fields(),
        "history": history,
    }


def main(args):
    torch.set_num_threads(args.threads)
    if args.check_learning is not None:
        result = check_learning(args.check_learning, args.eval_every, args.seed, not args.json)
        if args.json:
            print(json.dumps(result))
        elif result["reached_step"] is None:
            print(f"{CHECK_TARGET:.0%} exact-sequence accuracy not reached in "
                  f"{args.check_learning} steps ({result['wall_s']:.1f} s)")
        else:
            print(f"{CHECK_TARGET:.0%} exact-sequence accuracy at step {result['reached_step']}"
                  f" after {result['wall_s']:.1f} s ({result['train_s']:.1f} s training)")
        return 0
    result = benchmark(args.workload, args.steps, args.warmup, args.seed)
    if args.json:
        print(json.dumps(result))
    else:
        print_benchmark(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
