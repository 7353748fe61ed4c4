"""Inference: maximum-inner-product search over label embeddings with faiss.

RAMEN needs no graph at inference (the point of the method, §3): embed the labels once,
embed a new document, return the labels with the largest cosine. Where no faiss is installed
(a GPU machine with CUDA torch only), the same exact search runs in torch
(``ramen_edu.torch_search``); ``BACKEND`` names which one this process uses.
"""
from __future__ import annotations

from importlib import metadata
from types import ModuleType
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

#: the faiss wheels on PyPI that install the module ``faiss``; the GPU ones need a CUDA driver
FAISS_GPU_DISTRIBUTIONS = ("faiss-gpu-cu12", "faiss-gpu-cu11", "faiss-gpu")


def _installed(distribution: str) -> bool:
    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def load_faiss():
    """The ``faiss`` module, or an ImportError that names the install line fixing this environment.

    faiss-cpu and faiss-gpu-cu12 both install the folder ``faiss/``; with both present the second
    one's files overwrite parts of the first and ``import faiss`` fails deep inside SWIG
    (``module 'faiss._swigfaiss' has no attribute 'delete_GpuResourcesVector'``) while
    ``pip check`` sees nothing wrong. That case is caught here, before the import.
     (installing)
    """
    gpu = [d for d in FAISS_GPU_DISTRIBUTIONS if _installed(d)]
    if gpu and _installed("faiss-cpu"):
        raise ImportError(
            f"both faiss-cpu and {gpu[0]} are installed; they share one 'faiss' folder and break each other. "
            f"Keep one: `pip uninstall -y faiss-cpu {gpu[0]} && pip install {gpu[0]}` (GPU) or "
            f"`pip uninstall -y faiss-cpu {gpu[0]} && pip install faiss-cpu` (CPU); install ramen-edu with "
            "exactly one of the extras [cpu] or [gpu]")
    try:
        import faiss
    except ImportError as err:
        raise ImportError(
            f"faiss is not installed ({err}): install ramen-edu with `pip install -e \".[cpu]\"`, or "
            "`.[gpu]` on a machine with a CUDA 12 driver (conda: `conda install -c conda-forge faiss-cpu`)"
        ) from err
    return faiss


class SearchBackend(NamedTuple):
    """The library that runs exact inner-product search (:class:`LabelIndex`) and spherical k-means
    (``sampling.balanced_clusters``) in this process.

    name: "faiss" or "torch exact" (``torch_search.BACKEND``); run records quote it.
    lib:  the module itself, faiss or ``ramen_edu.torch_search``: both provide ``IndexFlatIP``,
          ``Kmeans``, ``get_num_gpus``, ``omp_get_max_threads``, ``omp_set_num_threads`` (GPU
          faiss builds also ``StandardGpuResources`` and ``index_cpu_to_gpu``).
    """

    name: str
    lib: ModuleType


def choose_backend() -> SearchBackend:
    """faiss, or its torch stand-in where no faiss is installed. A faiss build that is there but
    fails (faiss-cpu and faiss-gpu-cu12 together, a half-installed wheel) raises load_faiss's
    error: it needs fixing, not hiding. Only when there is no module ``faiss`` at all (the GPU
    machine of benchmarks/gpu_suite.py: CUDA torch, no faiss wheel, no network) do exact search
    and spherical k-means run in torch (ramen_edu.torch_search), with a warning."""
    try:
        return SearchBackend("faiss", load_faiss())
    except ImportError as err:
        cause = err.__cause__
        if not (isinstance(cause, ModuleNotFoundError) and cause.name == "faiss"):
            raise
        import warnings

        from ramen_edu import torch_search

        warnings.warn(f"{cause}: search and k-means run in torch instead "
                      f"(ramen_edu.torch_search, '{torch_search.BACKEND}'); install ramen-edu with the "
                      "[cpu] or [gpu] extra for faiss", stacklevel=3)
        return SearchBackend(torch_search.BACKEND, torch_search)


#: the search backend of this process, chosen once at import (read ``BACKEND.lib`` when searching,
#: so that a test can swap the whole backend, name and library together)
BACKEND = choose_backend()


def _as_float32_rows(x: np.ndarray, what: str) -> np.ndarray:
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if x.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (rows × dim), got shape {x.shape}")
    return x


class Retrieved(NamedTuple):
    """Top-k labels per query, best first: ids int64 (N, k), -1 padded; scores float32 (N, k),
    -inf at padding. A tuple ``(ids, scores)``: the form ``ramen_edu.metrics`` takes as it is.
    """

    ids: np.ndarray
    scores: np.ndarray


def faiss_gpu_available() -> bool:
    """True when this faiss build can use a GPU (faiss-gpu installed and a GPU visible)."""
    lib = BACKEND.lib
    return hasattr(lib, "StandardGpuResources") and lib.get_num_gpus() > 0


class LabelIndex:
    """Exact inner-product index over L label embeddings (L, D); on a GPU when faiss sees one.

    Exact (flat) search: at the sizes of this book (≤ 312K labels) it is fast enough and keeps
    the reported metrics free of approximation error.
    """

    def __init__(self, label_emb: np.ndarray, *, use_gpu: bool | None = None) -> None:
        label_emb = _as_float32_rows(label_emb, "label_emb")
        self.n_labels, self.dim = label_emb.shape
        if self.n_labels == 0:  # faiss would fail later with a bare AssertionError in search
            raise ValueError("label_emb has 0 rows: there are no labels to search; the dataset needs "
                             "at least one label (a non-empty Y.txt)")
        lib = BACKEND.lib
        index = lib.IndexFlatIP(self.dim)
        self.on_gpu = faiss_gpu_available() if use_gpu is None else use_gpu
        if self.on_gpu:
            self._resources = lib.StandardGpuResources()  # must outlive the index
            index = lib.index_cpu_to_gpu(self._resources, 0, index)
        index.add(label_emb)
        self.index = index

    def search(self, query_emb: np.ndarray, k: int, *, exclude: sp.csr_matrix | None = None) -> Retrieved:
        """Top-k labels per query: (N, D) -> ``Retrieved(ids int64 (N, k), scores float32 (N, k))``.

        exclude: optional csr (N × L); its stored (query, label) pairs are never returned
        (the XC repository's filter pairs). Rows with fewer than k candidates are padded with
        id -1 and score -inf.
        """
        query_emb = _as_float32_rows(query_emb, "query_emb")
        if query_emb.shape[1] != self.dim:
            raise ValueError(f"query_emb has dim {query_emb.shape[1]}, the index holds dim {self.dim}")
        if k < 1:
            raise ValueError(f"k must be ≥ 1, got {k}")
        n = len(query_emb)
        extra = 0
        if exclude is not None:
            exclude = sp.csr_matrix(exclude)
            if exclude.shape != (n, self.n_labels):
                raise ValueError(f"exclude has shape {exclude.shape}, expected {(n, self.n_labels)}")
            extra = int(exclude.getnnz(axis=1).max()) if exclude.nnz else 0
        depth = min(k + extra, self.n_labels)
        scores, ids = self.index.search(query_emb, depth)  # faiss's order; ours is (ids, scores)
        ids = ids.astype(np.int64)
        if extra:
            # drop excluded pairs, then shift the survivors left so each row keeps its order
            rows = np.repeat(np.arange(n), depth)
            banned = np.asarray(exclude[rows, np.maximum(ids.ravel(), 0)]).ravel() > 0
            banned = banned.reshape(n, depth) | (ids < 0)
            order = np.argsort(banned, axis=1, kind="stable")
            scores = np.take_along_axis(scores, order, axis=1)
            ids = np.take_along_axis(ids, order, axis=1)
            ids[np.take_along_axis(banned, order, axis=1)] = -1
        scores, ids = scores[:, :k], ids[:, :k]
        if ids.shape[1] < k:  # fewer labels than k
            pad = k - ids.shape[1]
            ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return Retrieved(ids, scores)


def topk_to_csr(top: Retrieved, n_labels: int) -> sp.csr_matrix:
    """Top-k arrays ``(ids, scores)`` (N, k) -> csr (N × L) of scores, the sparse form of
    ``ramen_edu.metrics``.

    Padding (id -1) is dropped. Scores are stored as they are (float32 cosines); a stored
    score of 0 or below still counts as a prediction for ``ramen_edu.metrics``, which ranks
    stored entries only.
    """
    ids, scores = np.asarray(top[0]), top[1]
    n, k = ids.shape
    valid = ids >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], (n, k))[valid]
    values = np.asarray(scores, dtype=np.float32)[valid]
    return sp.csr_matrix((values, (rows, ids[valid])), shape=(n, n_labels))
