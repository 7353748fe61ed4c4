"""Benchmark RAMEN batch construction and NGAME-style balanced clustering (not a test).

Prints: time to build one global batch (ids, sampled positives, all false-negative masks) at the
paper's batch size on a synthetic LF-WikiSeeAlso-like shape; time of ``balanced_clusters`` per
cluster size; and how much more similar the documents of a cluster batch are than those of a
random batch (mean cosine to the most similar other document of the batch, i.e. how hard the
hardest in-batch negative is), on embeddings with planted topics of ~64 documents.

Run: ``python benchmarks/bench_sampling.py [--docs 200000]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from ramen_edu.sampling import BatchSampler, balanced_clusters


def random_graph(rng, n_rows, n_cols, per_row):
    rows = np.repeat(np.arange(n_rows), per_row)
    cols = rng.integers(0, n_cols, n_rows * per_row)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_rows, n_cols))


def topic_embeddings(rng, n, dim, topics):
    centres = rng.normal(size=(topics, dim))
    x = centres[rng.integers(0, topics, n)] + 1.5 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def hardest_negative_cosine(emb, batches):
    """Mean over documents of the cosine to the most similar OTHER document of its batch."""
    out = []
    for b in batches:
        e = emb[b.doc_ids]
        s = e @ e.T
        np.fill_diagonal(s, -np.inf)
        out.append(s.max(axis=1).mean())
    return float(np.mean(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--labels", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--dim", type=int, default=384)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    n, n_labels, b = args.docs, args.labels, args.batch_size
    y = random_graph(rng, n, n_labels, 3)
    graphs = {"hyperlink": (random_graph(rng, n, 3 * n, 20), random_graph(rng, n_labels, 3 * n, 10)),
              "category": (random_graph(rng, n, n // 4, 5), random_graph(rng, n_labels, n // 4, 5))}
    sampler = BatchSampler(y, graphs, b, strategy="random")
    sampler.set_epoch(0)
    it = sampler.iter_global()
    next(it)
    t = time.perf_counter()
    reps = 50
    for _ in range(reps):
        next(it)
    per_batch = (time.perf_counter() - t) / reps
    print(f"batch construction: {per_batch * 1e3:.1f} ms per global batch of {b} "
          f"({n} docs, {n_labels} labels, 2 anchor sets, 5 (B×B) masks)")

    emb = topic_embeddings(rng, n, args.dim, topics=n // 64)
    for size in (16, 64, 256):
        t = time.perf_counter()
        ids = balanced_clusters(emb, size, seed=0)
        dt = time.perf_counter() - t
        sizes = np.bincount(ids)
        print(f"balanced_clusters N={n} D={args.dim} C={size}: {dt:.1f} s, "
              f"{len(sizes)} clusters, sizes {sizes.min()}..{sizes.max()}")

    for strategy in ("random", "cluster"):
        s = BatchSampler(y, {}, b, strategy=strategy, initial_cluster_size=64)
        s.set_epoch(0, emb if strategy == "cluster" else None)
        batches = [s.batch(i) for i in range(20)]
        print(f"{strategy:>7} batches (C=64): mean cosine to the hardest in-batch document "
              f"{hardest_negative_cosine(emb, batches):.3f}")


if __name__ == "__main__":
    main()
