"""The part of faiss this package calls, in plain torch: exact inner-product search and spherical
k-means. ``ramen_edu.retrieval`` uses it as its ``BACKEND.lib`` when no faiss build is installed.

Why it exists: a machine with CUDA torch but without a faiss wheel (the GPU machine that runs
``benchmarks/gpu_suite.py`` has no faiss and no network) must still evaluate a model (exact
top-k search over the label embeddings) and batch by clusters (``sampling.balanced_clusters``
calls ``faiss.Kmeans``). Only the names and signatures those two modules call are provided:

* :class:`IndexFlatIP` — exact maximum-inner-product search, ``search(q, k) -> (scores, ids)``
  in faiss's order (``retrieval.LabelIndex`` turns it into ``Retrieved(ids, scores)``). Exact:
  float32 products with TF32 switched off during the search, so the top-k equals faiss's
  ``IndexFlatIP`` up to the order of exact ties.
* :class:`Kmeans` — spherical k-means (``spherical=True`` only, the one kind ``sampling`` asks
  for) with faiss's arguments: random distinct initial centroids, ``niter`` Lloyd iterations,
  the best of ``nredo`` restarts, training on at most ``k · max_points_per_centroid`` sampled
  points. Not bit-identical to faiss (another random stream, empty clusters re-seeded from
  random points instead of splitting a large one): cluster batches differ from a faiss run's,
  the method does not.
* ``get_num_gpus``, ``omp_get_max_threads``, ``omp_set_num_threads`` — CUDA device count and
  torch's intra-op threads.

Everything runs on CUDA when torch sees a GPU, else on the CPU; all loops are over query chunks
or iterations, never over points.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch

__all__ = ["BACKEND", "IndexFlatIP", "Kmeans", "get_num_gpus", "omp_get_max_threads", "omp_set_num_threads"]

#: what ``retrieval.BACKEND.name`` says when this module stands in for faiss (run records quote it)
BACKEND = "torch exact"


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def get_num_gpus() -> int:
    """CUDA devices torch sees (faiss's ``get_num_gpus``)."""
    return torch.cuda.device_count()


def omp_get_max_threads() -> int:
    """torch's intra-op thread count (faiss's OpenMP thread count)."""
    return torch.get_num_threads()


def omp_set_num_threads(n: int) -> None:
    torch.set_num_threads(max(1, int(n)))


@contextlib.contextmanager
def _exact_float32():
    """Full float32 matrix products: TF32 (10-bit mantissa) would reorder near-ties in the top-k."""
    if not torch.cuda.is_available():
        yield
        return
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


def _rows_float32(x, what: str) -> np.ndarray:
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    if x.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (rows × dim), got shape {x.shape}")
    return x


class IndexFlatIP:
    """Exact inner-product index (faiss ``IndexFlatIP``): ``add`` rows (N, d), ``search`` (Q, d).

    The stored rows live on the GPU when there is one (float32: 312K labels × 384 dims is 480 MB).
    A search scores one chunk of queries against every row at a time; the chunk is sized so the
    (chunk × N) score block stays near 512 MB on a GPU and 64 MB on a CPU.
    """

    def __init__(self, d: int) -> None:
        self.d = int(d)
        self.device = _device()
        self._rows = torch.zeros((0, self.d), dtype=torch.float32, device=self.device)

    @property
    def ntotal(self) -> int:
        return int(self._rows.shape[0])

    def add(self, x) -> None:
        x = _rows_float32(x, "x")
        if x.shape[1] != self.d:
            raise ValueError(f"IndexFlatIP.add: rows have dim {x.shape[1]}, the index holds dim {self.d}")
        self._rows = torch.cat([self._rows, torch.from_numpy(x).to(self.device)])

    def search(self, q, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows by inner product: (Q, d) -> (scores float32 (Q, k), ids int64 (Q, k)), best
        first. When k exceeds the rows stored, the tail is id -1, score -inf (faiss pads too)."""
        q = _rows_float32(q, "queries")
        if q.shape[1] != self.d:
            raise ValueError(f"IndexFlatIP.search: queries have dim {q.shape[1]}, the index holds dim {self.d}")
        n, k = len(q), int(k)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        ids = np.full((n, k), -1, dtype=np.int64)
        depth = min(k, self.ntotal)
        if depth == 0 or n == 0:
            return scores, ids
        budget = 2**27 if self.device.type == "cuda" else 2**24  # floats in one score block
        chunk = max(1, budget // self.ntotal)
        with torch.inference_mode(), _exact_float32():
            for start in range(0, n, chunk):  # a loop over query chunks, not queries
                block = torch.from_numpy(q[start:start + chunk]).to(self.device) @ self._rows.T
                top = torch.topk(block, depth, dim=1, largest=True, sorted=True)
                scores[start:start + chunk, :depth] = top.values.cpu().numpy()
                ids[start:start + chunk, :depth] = top.indices.cpu().numpy()
        return scores, ids


class Kmeans:
    """Spherical k-means with faiss ``Kmeans``' constructor: ``Kmeans(d, k, niter=, seed=,
    spherical=True, nredo=, max_points_per_centroid=, ...)``, then ``train(x)``; afterwards
    ``centroids`` (k, d) float32 unit rows, ``obj`` the final objective (sum of each training
    point's cosine to its centroid, higher is better) and ``index`` an :class:`IndexFlatIP` over
    the centroids (``index.search(x, 1)`` assigns points, as with faiss's spherical k-means).
    """

    def __init__(self, d: int, k: int, *, niter: int = 25, seed: int = 1234, spherical: bool = False,
                 verbose: bool = False, nredo: int = 1, min_points_per_centroid: int = 39,
                 max_points_per_centroid: int = 256, gpu=False, **unused) -> None:
        if not spherical:
            raise NotImplementedError("ramen_edu.torch_search.Kmeans implements spherical k-means only "
                                      "(the kind ramen_edu.sampling uses); install faiss for L2 k-means")
        self.d, self.k = int(d), int(k)
        self.niter, self.nredo = max(1, int(niter)), max(1, int(nredo))
        self.seed = int(seed)
        self.max_points_per_centroid = int(max_points_per_centroid)
        self.centroids: np.ndarray | None = None
        self.obj = 0.0
        self.index: IndexFlatIP | None = None

    def train(self, x) -> float:
        """Fit the centroids to ``x`` (N, d); returns the objective of the best restart."""
        x = _rows_float32(x, "x")
        n = len(x)
        if n < self.k:
            raise ValueError(f"Kmeans.train: {n} points for {self.k} centroids; need at least one point each")
        device = _device()
        gen = torch.Generator(device="cpu").manual_seed(self.seed % 2**63)
        cap = self.k * self.max_points_per_centroid
        if n > cap:  # faiss trains on a random sample of at most k · max_points_per_centroid points
            x = x[torch.randperm(n, generator=gen)[:cap].numpy()]
        points = torch.nn.functional.normalize(torch.from_numpy(x).to(device), dim=1)
        best, best_obj = None, -np.inf
        with torch.inference_mode(), _exact_float32():
            for _ in range(self.nredo):
                centroids, obj = self._lloyd(points, gen)
                if obj > best_obj:
                    best, best_obj = centroids, obj
        self.centroids = best.cpu().numpy()
        self.obj = float(best_obj)
        self.index = IndexFlatIP(self.d)
        self.index.add(self.centroids)
        return self.obj

    def _lloyd(self, points: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, float]:
        """One restart: ``niter`` assignment / mean-and-normalise rounds from k random points."""
        n, k = len(points), self.k
        centroids = points[torch.randperm(n, generator=gen)[:k].to(points.device)].clone()
        obj = -np.inf
        for _ in range(self.niter):
            sim, assign = (points @ centroids.T).max(dim=1)
            obj = float(sim.sum())
            sums = torch.zeros_like(centroids).index_add_(0, assign, points)
            counts = torch.bincount(assign, minlength=k)
            empty = counts == 0
            if bool(empty.any()):  # re-seed an empty cluster at a random point (faiss splits a big one)
                pick = torch.randint(n, (int(empty.sum()),), generator=gen).to(points.device)
                sums[empty] = points[pick]
            centroids = torch.nn.functional.normalize(sums, dim=1)
        return centroids, obj
