"""ramen_edu.precision: bf16 on a GPU with native bf16, fp16 + GradScaler on one without (a T4),
float32 with no autocast on the CPU — checked with the CUDA capability mocked, so it runs here."""
from __future__ import annotations

import contextlib

import pytest
import torch

from ramen_edu import precision


@pytest.fixture
def fake_cuda(monkeypatch):
    """Pretend a CUDA GPU is there; ``fake_cuda(native_bf16=...)`` sets what it can do.
    torch.cuda.device() would touch the driver, so it is replaced by a no-op context."""
    def setup(native_bf16: bool):
        def is_bf16_supported(including_emulation: bool = True):
            # what torch answers: a T4 "supports" bf16 by emulation, natively it does not
            return True if including_emulation else native_bf16
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
        monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    return setup


def test_bf16_capable_gpu_gets_bf16_autocast_and_no_scaler(fake_cuda):
    fake_cuda(native_bf16=True)
    assert precision.mixed_precision("cuda") == (torch.bfloat16, False)
    assert precision.describe("cuda:0") == "bf16 autocast"
    assert precision.grad_scaler("cuda") is None
    ctx = precision.autocast("cuda")
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.bfloat16


def test_fp16_only_gpu_gets_fp16_autocast_and_a_grad_scaler(fake_cuda):
    fake_cuda(native_bf16=False)  # a T4: bf16 only emulated
    assert precision.mixed_precision("cuda") == (torch.float16, True)
    assert precision.describe("cuda") == "fp16 autocast + GradScaler"
    ctx = precision.autocast("cuda")
    assert isinstance(ctx, torch.autocast) and ctx.fast_dtype == torch.float16
    with pytest.warns(UserWarning) if not torch.cuda.is_available() else contextlib.nullcontext():
        # without a real GPU torch warns and disables the scaler; it is still the right type
        scaler = precision.grad_scaler("cuda")
    assert isinstance(scaler, torch.amp.GradScaler)


def test_switched_off_on_a_gpu_is_float32(fake_cuda):
    fake_cuda(native_bf16=True)
    assert precision.mixed_precision("cuda", enabled=False) == (None, False)


def test_cpu_is_float32_without_autocast_even_when_cuda_has_bf16(fake_cuda):
    fake_cuda(native_bf16=True)
    assert precision.mixed_precision("cpu") == (None, False)
    assert precision.mixed_precision(torch.device("cpu"), enabled=True) == (None, False)
    assert precision.describe("cpu") == "float32" and precision.grad_scaler("cpu") is None
    ctx = precision.autocast("cpu")
    assert isinstance(ctx, contextlib.nullcontext)  # no autocast at all: CPU numbers unchanged
    with ctx:
        out = torch.ones(2, 2) @ torch.ones(2, 2)
    assert out.dtype == torch.float32 and not torch.is_autocast_enabled("cpu")


def test_trainer_uses_the_choice_and_the_cpu_step_has_no_scaler():
    from ramen_edu.data.synthetic import make_synthetic_world
    from ramen_edu.training.config import TINY_ENCODER, TrainConfig
    from ramen_edu.training.trainer import Trainer

    world = make_synthetic_world(n_train=40, n_test=8, n_labels=12, n_topics=3, seed=0)
    trainer = Trainer(world, TrainConfig(encoder=TINY_ENCODER, device="cpu", batch_size=8, epochs=1,
                                         eval_docs=0, bandit=False), progress=False)
    assert trainer.scaler is None and isinstance(trainer.autocast, contextlib.nullcontext)
    assert "grad_scaler" not in trainer.state_dict()  # CPU checkpoints keep their keys
