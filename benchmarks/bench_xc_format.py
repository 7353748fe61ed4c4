"""Read/write speed of the XC sparse format (ramen_edu.data.xc_format) on a random matrix.

    python benchmarks/bench_xc_format.py [--pairs 1000000] [--rows 100000] [--cols 500000]

Prints wall and CPU times (CPU time is steadier on a shared machine) and the file size; checks the round trip is exact.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ramen_edu.data.xc_format import read_sparse, write_sparse


def random_matrix(pairs: int, rows: int, cols: int, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    r = rng.integers(0, rows, pairs)
    c = rng.integers(0, cols, pairs)
    m = sp.csr_matrix((rng.random(pairs).astype(np.float32) + 0.01, (r, c)), shape=(rows, cols))
    m.sum_duplicates()
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    m = random_matrix(args.pairs, args.rows, args.cols)
    binary = m.copy()
    binary.data[:] = 1.0
    with tempfile.TemporaryDirectory() as tmp:
        for label, matrix in (("float values", m), ("binary values (like trn_X_Y.txt)", binary)):
            path = Path(tmp) / "m.txt"
            t, c = time.perf_counter(), time.process_time()
            write_sparse(path, matrix)
            t_write, c_write = time.perf_counter() - t, time.process_time() - c
            reads, cpu = [], []
            for _ in range(args.repeat):
                t, c = time.perf_counter(), time.process_time()
                back = read_sparse(path)
                reads.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
            exact = (back != matrix).nnz == 0 and np.array_equal(back.data, matrix.data)
            print(f"{label}: {matrix.nnz:,} pairs, {matrix.shape[0]:,} rows, "
                  f"{path.stat().st_size / 1e6:.1f} MB; write {t_write:.2f} s wall, {c_write:.2f} s CPU; "
                  f"read best {min(reads):.2f} s wall, {min(cpu):.2f} s CPU (of {args.repeat}); exact round trip: {exact}")


if __name__ == "__main__":
    main()
