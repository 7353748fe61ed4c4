"""Checkpoints that resume exactly and load with ``torch.load(..., weights_only=True)``.

A checkpoint holds everything the next epoch depends on: encoder weights, optimizer and LR
scheduler state, the bandit's λ state, the batch sampler's position, the current (pruned) graphs,
every random-number generator, and the history so far. ``weights_only=True`` refuses arbitrary
Python objects (loading a checkpoint never runs code), so numpy arrays and sparse matrices are
stored as tagged tensors and rebuilt on load.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from ramen_edu.runinfo import CHECKPOINT_FILE, atomic_write

CHECKPOINT_FORMAT = 1  # the "format" entry of every checkpoint the trainer writes
# what to do about a checkpoint that cannot be resumed from
RESTART_HINT = "start a new run_dir, or delete the checkpoint and train again without --resume"


def to_safe(obj):
    """Recursively replace numpy arrays/scalars and csr matrices by ``weights_only``-loadable values.

    Arrays become ``{"__ndarray__": uint8 tensor of the raw bytes, "dtype", "shape"}`` (any dtype,
    bit exact); csr matrices become ``{"__csr__": (data, indices, indptr), "shape"}``.
    """
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        return {"__ndarray__": torch.from_numpy(np.frombuffer(arr.tobytes(), np.uint8).copy()),
                "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if sp.issparse(obj):
        m = sp.csr_matrix(obj)
        return {"__csr__": [to_safe(m.data), to_safe(m.indices), to_safe(m.indptr)], "shape": list(m.shape)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: to_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_safe(v) for v in obj)
    return obj


def from_safe(obj):
    """Inverse of :func:`to_safe`."""
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            raw = obj["__ndarray__"].numpy().tobytes()
            return np.frombuffer(raw, dtype=np.dtype(obj["dtype"])).reshape(obj["shape"]).copy()
        if "__csr__" in obj:
            data, indices, indptr = (from_safe(x) for x in obj["__csr__"])
            return sp.csr_matrix((data, indices, indptr), shape=tuple(obj["shape"]))
        return {k: from_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_safe(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(from_safe(v) for v in obj)
    return obj


def rng_state() -> dict:
    """States of torch (CPU and CUDA), numpy's global and Python's ``random`` generators."""
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` returned (after :func:`from_safe`)."""
    torch.set_rng_state(state["torch"])
    np.random.set_state(tuple(state["numpy"]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, state: dict) -> Path:
    """Write ``state`` atomically and durably (``runinfo.atomic_write``): a crash mid-write keeps
    the previous checkpoint."""
    safe = to_safe(state)
    return atomic_write(path, lambda f: torch.save(safe, f))


def load_checkpoint(path: str | Path, *, map_location="cpu") -> dict:
    """Read a checkpoint with ``weights_only=True`` (no code runs) and rebuild arrays/matrices.

    Raises FileNotFoundError when there is none, ValueError naming the file and the fix when it
    is damaged or not a ramen-edu training checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: train first, or drop --resume")
    try:
        raw = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a corrupt or foreign file: say which
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path} is not a ramen-edu checkpoint readable with weights_only=True "
                         f"({first_line}): {RESTART_HINT}") from err
    if not (isinstance(raw, dict) and raw.get("format") == CHECKPOINT_FORMAT):
        raise ValueError(f"{path} is not a ramen-edu training checkpoint (no \"format\": "
                         f"{CHECKPOINT_FORMAT} entry): {RESTART_HINT}")
    return from_safe(raw)
