"""Mixed precision by what the device can do: one choice for the trainer, the encoder and the
benchmarks.

* a CUDA GPU with native bfloat16 (Ampere and later: A100, H100, H200, L4, RTX 30xx+):
  bf16 autocast, no gradient scaling (bf16 has float32's exponent range, so gradients do not
  underflow);
* a CUDA GPU without it (Turing and older, e.g. Colab's free T4): fp16 autocast with a
  ``torch.amp.GradScaler``: fp16's 5-bit exponent underflows small gradients to 0 unless the
  loss is scaled up before backward (and the gradients down before the step);
* the CPU (or mixed precision switched off): no autocast at all, float32 — the CPU numbers of
  the book are float32, and this path must not change them.

``torch.cuda.is_bf16_supported()`` answers True on a T4 by default because bf16 can be
*emulated* there (slowly, through float32); ``including_emulation=False`` asks for native support.
"""
from __future__ import annotations

import contextlib

import torch


def native_bf16(device: torch.device | str) -> bool:
    """True when ``device`` is a CUDA GPU that runs bfloat16 natively (not emulated)."""
    device = torch.device(device)
    if device.type != "cuda":
        return False
    with torch.cuda.device(device):
        try:
            return bool(torch.cuda.is_bf16_supported(including_emulation=False))
        except TypeError:  # torch < 2.3 has no including_emulation and never counted emulation
            return bool(torch.cuda.is_bf16_supported())


def mixed_precision(device: torch.device | str, enabled: bool = True) -> tuple[torch.dtype | None, bool]:
    """(autocast dtype or None, needs a GradScaler) for ``device``.

    (torch.bfloat16, False) on a CUDA GPU with native bf16; (torch.float16, True) on an older CUDA
    GPU; (None, False) on the CPU or when ``enabled`` is False (float32, no autocast)."""
    device = torch.device(device)
    if not enabled or device.type != "cuda":
        return None, False
    if native_bf16(device):
        return torch.bfloat16, False
    return torch.float16, True


def autocast(device: torch.device | str, enabled: bool = True):
    """A context manager: ``torch.autocast`` with :func:`mixed_precision`'s dtype, or a no-op
    (``contextlib.nullcontext``) where that is None — the CPU runs exactly as without it.
    Reusable: the trainer enters the same object once per step."""
    device = torch.device(device)
    dtype, _ = mixed_precision(device, enabled)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def grad_scaler(device: torch.device | str, enabled: bool = True) -> "torch.amp.GradScaler | None":
    """A ``torch.amp.GradScaler`` where :func:`mixed_precision` says fp16 needs one, else None."""
    device = torch.device(device)
    _, needs = mixed_precision(device, enabled)
    return torch.amp.GradScaler(device.type) if needs else None


def describe(device: torch.device | str, enabled: bool = True) -> str:
    """'bf16 autocast', 'fp16 autocast + GradScaler' or 'float32' (for run records and logs)."""
    dtype, needs = mixed_precision(device, enabled)
    if dtype is None:
        return "float32"
    return "bf16 autocast" if dtype == torch.bfloat16 else "fp16 autocast + GradScaler" if needs else "fp16 autocast"
