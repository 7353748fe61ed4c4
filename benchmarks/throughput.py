"""Encoder throughput and model FLOP utilisation (MFU): what a training or inference step of a
text encoder costs on this device, against the device's own measured matrix-product ceiling.

* :func:`matmul_ceiling` — the attainable dense rate: an n × n × n product (n = 8192 on a GPU)
  in bf16, timed after warm-up on random data (zeros run faster than real data on an H200);
  2·n³ FLOP per product.
* :func:`encoder_flops` — matrix FLOP of one sequence of T tokens through an encoder, counted
  from the model itself: 2 · (weights of every ``nn.Linear`` outside the pooler) per token, plus
  the attention products (QKᵀ and AV: 4 · T · d per token per layer). Embedding look-ups,
  layer norms, softmax and pooling are not counted (the PaLM/Megatron convention). A training
  step is 3× the forward (the backward pass computes two products per forward product).
* :func:`time_encoder` — encodings per second of one encoder at batch B and length T: a
  training step (bf16 autocast forward, an in-batch triplet loss, backward, AdamW step: what
  ``Trainer.step`` runs per encoder call) or an inference step (``inference_mode`` forward).
  Inputs are random token ids at the full length T (no padding), so the FLOP count is exact.
  Timed with CUDA events per step after warm-up, median step reported (METHOD: events, median,
  no host clock on asynchronous work); on the CPU with ``perf_counter``.
* :func:`random_encoder` — an ``Encoder`` with random weights from a config: the DistilBERT
  size the paper trains (6 layers, d = 768, 66M parameters) or any smaller test size.

MFU = (encodings/s × FLOP per encoding) / ceiling. Used by ``benchmarks/gpu_suite.py`` (which puts
this folder on ``sys.path``: ``benchmarks/`` is not a package), so it lives beside it, outside the
library.
"""
from __future__ import annotations

import math
import time

import torch

from ramen_edu import precision

__all__ = ["encoder_flops", "matmul_ceiling", "random_encoder", "time_encoder"]


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed_steps(step, n: int, device: torch.device) -> list[float]:
    """Seconds of each of ``n`` calls of ``step()``: CUDA events recorded around every call and read
    after one final synchronisation (so the queue is never drained between steps), or the host
    clock on the CPU."""
    if device.type == "cuda":
        events = [torch.cuda.Event(enable_timing=True) for _ in range(n + 1)]
        events[0].record()
        for i in range(n):
            step()
            events[i + 1].record()
        torch.cuda.synchronize(device)
        return [events[i].elapsed_time(events[i + 1]) / 1e3 for i in range(n)]
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        out.append(time.perf_counter() - t0)
    return out


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else 0.5 * (s[mid - 1] + s[mid])


def _n_steps(step, device: torch.device, *, warmup: int, min_time_s: float, min_steps: int,
             max_steps: int) -> int:
    """Run ``warmup`` steps (kernels chosen, allocator warm), each synchronised, and size the timed
    run from the last one: enough steps for ``min_time_s``, within [min_steps, max_steps]."""
    last = 0.0
    for _ in range(max(1, warmup)):
        _sync(device)
        t0 = time.perf_counter()
        step()
        _sync(device)
        last = time.perf_counter() - t0
    return int(min(max_steps, max(min_steps, math.ceil(min_time_s / max(last, 1e-6)))))


# --------------------------------------------------------------------------------------------
# the ceiling
# --------------------------------------------------------------------------------------------
def matmul_ceiling(device: torch.device | str, *, n: int = 8192, dtype: torch.dtype = torch.bfloat16,
                   warmup: int = 3, repeats: int = 10, seed: int = 0) -> dict:
    """The attainable dense matrix rate: ``repeats`` products of two random n × n matrices in
    ``dtype`` after ``warmup`` untimed ones. Returns {"n", "dtype", "tflops_median",
    "tflops_mean", "seconds_median"}; 2·n³ FLOP per product."""
    device = torch.device(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    a = torch.randn((n, n), generator=gen, device=device, dtype=torch.float32).to(dtype)
    b = torch.randn((n, n), generator=gen, device=device, dtype=torch.float32).to(dtype)
    out = torch.empty((n, n), device=device, dtype=dtype)

    def step():
        torch.matmul(a, b, out=out)

    for _ in range(warmup):
        step()
    _sync(device)
    seconds = _timed_steps(step, repeats, device)
    flop = 2.0 * n**3
    return {"n": n, "dtype": str(dtype).removeprefix("torch."), "repeats": repeats,
            "seconds_median": _median(seconds),
            "tflops_median": flop / _median(seconds) / 1e12,
            "tflops_mean": flop * len(seconds) / sum(seconds) / 1e12}


# --------------------------------------------------------------------------------------------
# the model's FLOP
# --------------------------------------------------------------------------------------------
def _layers_and_width(config) -> tuple[int, int]:
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layers")
    width = getattr(config, "hidden_size", None) or getattr(config, "dim")
    return int(layers), int(width)


def encoder_flops(model: torch.nn.Module, seq_len: int) -> dict:
    """Matrix FLOP of one sequence of ``seq_len`` tokens through ``model`` (a Hugging Face
    encoder, or an ``Encoder`` wrapping one). Returns {"linear_params", "layers", "width",
    "forward", "train"}: forward = T · (2 · linear_params + 4 · layers · T · width), train = 3 ×
    forward. The pooler (run on one token, and never used by mean pooling) is left out."""
    hf = getattr(model, "model", model)
    linear = sum(m.weight.numel() for name, m in hf.named_modules()
                 if isinstance(m, torch.nn.Linear) and "pooler" not in name.split("."))
    layers, width = _layers_and_width(hf.config)
    t = int(seq_len)
    forward = t * (2.0 * linear + 4.0 * layers * t * width)
    return {"linear_params": int(linear), "layers": layers, "width": width,
            "forward": forward, "train": 3.0 * forward}


# --------------------------------------------------------------------------------------------
# encoders with random weights
# --------------------------------------------------------------------------------------------
def random_encoder(kind: str = "distilbert", *, device: torch.device | str = "cpu", seed: int = 0,
                   max_length: int = 128, **sizes):
    """An ``ramen_edu.encoders.Encoder`` with random weights and no tokenizer (timing feeds token
    ids directly). kind "distilbert": ``DistilBertConfig(**sizes)`` — defaults are
    distilbert-base (6 layers, dim 768, 12 heads, 3072 hidden, vocab 30522); kind "bert":
    ``BertConfig(**sizes)``. ``sizes`` shrink either for tests (e.g. dim=32, n_layers=2)."""
    from transformers import BertConfig, BertModel, DistilBertConfig, DistilBertModel

    from ramen_edu.encoders import Encoder

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "distilbert":
            model = DistilBertModel(DistilBertConfig(**sizes))
        elif kind == "bert":
            model = BertModel(BertConfig(**sizes), add_pooling_layer=False)
        else:
            raise ValueError(f"random_encoder: kind={kind!r}; choose 'distilbert' or 'bert'")
    return Encoder(model, None, max_length=max_length, name=f"random-{kind}").to(device)


# --------------------------------------------------------------------------------------------
# encodings per second
# --------------------------------------------------------------------------------------------
def time_encoder(encoder, *, batch: int, seq_len: int, train: bool, bf16: bool = True,
                 warmup: int = 3, min_time_s: float = 1.0, min_steps: int = 5, max_steps: int = 50,
                 lr: float = 2e-4, seed: int = 0) -> dict:
    """Encodings/s of ``encoder`` (an ``Encoder``) at batch ``batch`` × ``seq_len`` tokens.

    train=True: one step = autocast forward of the batch (``ramen_edu.precision``: bf16, or fp16
    with a gradient scaler on a GPU without native bf16), the in-batch triplet loss of its
    first half against its second (``losses.triplet_in_batch``, margin 0.3), backward, AdamW
    (float32 master weights — what the trainer does); the weights change, so pass a copy you do
    not need. train=False: ``inference_mode`` forward. Token ids are random (ids ≥ 1000, past the
    special tokens), attention mask all ones. Returns {"batch", "seq_len", "mode", "steps",
    "step_s_median", "encodings_per_s", "flop_per_encoding", "tflops"}; encodings_per_s =
    batch / median step time, tflops the model FLOP rate it implies (:func:`encoder_flops`).
    Raises torch.OutOfMemoryError as is (the caller records it)."""
    from ramen_edu.losses import triplet_in_batch

    device = encoder.device
    vocab = int(encoder.model.config.vocab_size)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    ids = torch.randint(min(1000, vocab - 1), vocab, (batch, seq_len), generator=gen).to(device)
    mask = torch.ones_like(ids)
    # bf16 where native, fp16 + GradScaler on older GPUs (the trainer's choice), float32 on the CPU
    autocast = precision.autocast(device, bf16)
    half = batch // 2
    positive = torch.arange(half, device=device)
    encoder.train(train)
    if train:
        optimizer = torch.optim.AdamW(encoder.parameters(), lr=lr)
        scaler = precision.grad_scaler(device, bf16)

        def step():
            with autocast:
                emb = encoder(input_ids=ids, attention_mask=mask)
            loss = triplet_in_batch(emb[:half], emb[half:2 * half], positive, margin=0.3)
            optimizer.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
    else:
        def step():
            with torch.inference_mode(), autocast:
                encoder(input_ids=ids, attention_mask=mask)

    n = _n_steps(step, device, warmup=warmup, min_time_s=min_time_s, min_steps=min_steps, max_steps=max_steps)
    seconds = _timed_steps(step, n, device)
    if train:
        optimizer.zero_grad(set_to_none=True)
        del optimizer  # its state (2 × the weights) is not kept past the measurement
    encoder.eval()
    flops = encoder_flops(encoder, seq_len)
    per_encoding = flops["train" if train else "forward"]
    median = _median(seconds)
    rate = batch / median
    return {"batch": batch, "seq_len": seq_len, "mode": "train" if train else "inference",
            "precision": precision.describe(device, bf16), "steps": n, "step_s_median": median, "step_s_mean": sum(seconds) / n,
            "encodings_per_s": rate, "flop_per_encoding": per_encoding,
            "tflops": rate * per_encoding / 1e12}
