"""Multi-process training with PyTorch's own DistributedDataParallel.

``torchrun --nproc_per_node=N -m ramen_edu.cli train ...`` starts N processes; each one sees the
same global batch (every rank runs the same seeded sampler), encodes its own contiguous block of
rows, and gathers the embeddings of all ranks *with their gradients*
(``torch.distributed.nn.functional.all_gather``). Every rank then computes the loss over the
whole global batch — in-batch negatives come from all B rows, exactly as on one device.

Why the gradients come out right: each rank holds the same loss ℓ. The all-gather's backward
sums the gradients that every rank sends back for rank r's rows, so rank r receives
N·∂ℓ/∂e_r; DDP then averages the parameter gradients over the N ranks, which gives
Σ_r ∂ℓ/∂e_r · ∂e_r/∂θ = ∂ℓ/∂θ, the single-process gradient. ``tests/test_ddp.py`` checks it
with two CPU processes and the gloo backend.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job: rank, world size, and the device it trains on."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: str | None = None) -> DistInfo:
    """Join the process group when launched by ``torchrun`` (or when one is already initialised).

    Backend: NCCL with one GPU per process when CUDA is available, else gloo (CPU). Without
    ``WORLD_SIZE`` > 1 and without an initialised group this is a no-op single-process job.
    """
    if device is not None and device.startswith("cuda"):
        # asked for by name: without this check, the first .to(device) fails deep in torch
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device.partition(":")[2] or 0)
        if index >= count:
            raise ValueError(f"TrainConfig.device is {device!r} but this machine has "
                             f"{'no CUDA device' if count == 0 else f'{count} CUDA device(s)'} "
                             "torch can use: set \"device\" to null (CUDA when available) or \"cpu\"")
    cuda = torch.cuda.is_available() and device != "cpu"
    if not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    if dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
        if cuda:
            local = int(os.environ.get("LOCAL_RANK", rank % max(torch.cuda.device_count(), 1)))
            torch.cuda.set_device(local)
            return DistInfo(rank, world, torch.device("cuda", local))
        return DistInfo(rank, world, torch.device("cpu"))
    return DistInfo(0, 1, torch.device(device) if device else
                    torch.device("cuda" if cuda else "cpu"))


def block(n: int, info: DistInfo) -> slice:
    """This rank's contiguous block of n rows (blocks differ in size by at most one row)."""
    bounds = np.linspace(0, n, info.world_size + 1).round().astype(int)
    return slice(int(bounds[info.rank]), int(bounds[info.rank + 1]))


def gather_rows(x: torch.Tensor, info: DistInfo, *, grad: bool = True) -> torch.Tensor:
    """Concatenate every rank's rows of x, in rank order: (n_r, D) on each rank -> (Σ n_r, D).

    grad=True keeps the autograd graph (torch.distributed.nn.functional.all_gather), so the loss
    over the global batch sends gradients back to the rank that encoded each row. Blocks may
    differ in length; they are padded to the longest for the collective and trimmed after.
    """
    if not info.enabled:
        return x
    sizes = torch.tensor([x.shape[0]], device=x.device)
    all_sizes = [torch.zeros_like(sizes) for _ in range(info.world_size)]
    dist.all_gather(all_sizes, sizes)
    all_sizes = [int(s) for s in all_sizes]
    longest = max(all_sizes)
    if x.shape[0] < longest:
        x = torch.cat([x, x.new_zeros((longest - x.shape[0], *x.shape[1:]))])
    if grad:
        import warnings

        import torch.distributed.nn.functional as dist_fn

        with warnings.catch_warnings():
            # deprecated in favour of a private functional API; the public one is still correct
            warnings.simplefilter("ignore", FutureWarning)
            parts = dist_fn.all_gather(x)
    else:
        parts = [torch.empty_like(x) for _ in range(info.world_size)]
        dist.all_gather(parts, x.contiguous())
    return torch.cat([p[:n] for p, n in zip(parts, all_sizes)])


def gather_array(x: np.ndarray, info: DistInfo) -> np.ndarray:
    """numpy version of :func:`gather_rows` without gradients (embeddings of a whole text pool)."""
    if not info.enabled:
        return x
    return gather_rows(torch.from_numpy(np.ascontiguousarray(x)), info, grad=False).numpy()


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def broadcast_object(obj, info: DistInfo):
    """Rank 0's ``obj`` on every rank (small picklable metadata only, e.g. a metrics dict)."""
    if not info.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
