"""‖A − Â‖₂ at scale: matrix-free svds on the rank-(P+1) operator vs forming A − Â densely.

Â = ½(1 1ᵀ + Φ Φᵀ) is dense N × N, but a product (A − Â)v costs O(nnz(A) + N P), so the spectral
norm of the premise gap can be computed for graphs whose Â would not fit in memory. This script
times both routes on random sparse bipartite graphs (documents ∪ anchors, ~6 anchors per document,
P = 384 like MiniLM) and checks they agree where the dense one is still affordable.

    .venv/bin/python benchmarks/bench_theory.py [--sizes 500 1000 2000 4000 20000] [--dense-max 4000]

Taught in: book/03_theorem1.ipynb
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from ramen_edu import theory as th


def instance(n_docs: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_anchors = max(2, n_docs * 2)
    rows = np.repeat(np.arange(n_docs), 6)
    cols = rng.integers(0, n_anchors, rows.size)
    E = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_docs, n_anchors))
    S = th.bipartite_adjacency(E)
    F = rng.standard_normal((S.shape[0], p))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    return S, F


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000, 20000],
                    help="numbers of documents (nodes = 3 × documents)")
    ap.add_argument("--p", type=int, default=384, help="embedding dimension P")
    ap.add_argument("--dense-max", type=int, default=4000, help="largest node count for the dense route")
    args = ap.parse_args(argv)
    print(f"{'nodes':>7} {'nnz':>8} {'svds s':>8} {'dense s':>8} {'‖A−Â‖₂ svds':>14} {'rel. diff':>10}")
    for n_docs in args.sizes:
        S, F = instance(n_docs, args.p)
        t = time.perf_counter()
        fast = th.gap_norm(S, F, method="svds")
        t_fast = time.perf_counter() - t
        if S.shape[0] <= args.dense_max:
            t = time.perf_counter()
            dense = float(np.linalg.norm(S.toarray() - th.predicted_adjacency(F), 2))
            t_dense = time.perf_counter() - t
            print(f"{S.shape[0]:>7} {S.nnz:>8} {t_fast:>8.2f} {t_dense:>8.2f} {fast:>14.6f} "
                  f"{abs(fast - dense) / dense:>10.1e}")
        else:
            print(f"{S.shape[0]:>7} {S.nnz:>8} {t_fast:>8.2f} {'-':>8} {fast:>14.6f} {'-':>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
