"""Benchmark ramen_edu.metrics.all_metrics at XC scale: time and peak memory.

Default problem: 100,000 test documents × 300,000 labels, 100 scored predictions per document,
a long-tailed ground truth of ~5 labels per document (Zipf-like label popularity, some documents
without labels), propensities from a long-tailed training frequency vector, every metric at
k = 1, 3, 5. Scenarios:

* csr        — predictions as a sparse (N × L) score matrix (rows ~100 entries, tied scores);
* csr+filter — the same with one excluded (document, label) pair per document;
* arrays     — the same predictions as (ids, scores) (N × 100) arrays, -1 padded;
* csr ragged — one document with 20,000 predictions, which takes the global-sort path;
* quantiles  — ``quantile_metrics`` over the 5 equal-volume label bins (restrict mode).

Memory: tracemalloc peak of the all_metrics call (numpy buffers are traced) and the process's
max RSS (resource.getrusage, includes the generated data). Run:
    nice -n 10 .venv/bin/python benchmarks/bench_metrics.py [--docs N] [--labels L] [--preds M]
Times are best and median of --repeats runs (the machine may be shared).
"""
from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from ramen_edu import metrics as M


def zipf_labels(rng, size, perm, s=1.0):
    """Label ids with popularity ∝ 1/rank^s; perm maps popularity rank -> label id."""
    n_labels = perm.size
    p = 1.0 / np.arange(1, n_labels + 1) ** s
    cdf = np.cumsum(p / p.sum())
    ranks = np.minimum(np.searchsorted(cdf, rng.uniform(size=size)), n_labels - 1)
    return perm[ranks]


def _is_true(pred, true):
    """Which stored predictions are relevant: binary search of (row·L + label) keys."""
    L = pred.shape[1]
    pk = np.repeat(np.arange(pred.shape[0], dtype=np.int64), np.diff(pred.indptr)) * L + pred.indices
    tk = np.repeat(np.arange(true.shape[0], dtype=np.int64), np.diff(true.indptr)) * L + true.indices
    pos = np.minimum(np.searchsorted(tk, pk), tk.size - 1)
    return tk[pos] == pk


def make_problem(n_docs, n_labels, n_preds, seed=0):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n_labels)  # the same popular labels in training, test and predictions
    per_doc = rng.poisson(5, n_docs)  # ~5 labels per document, some with none
    rows = np.repeat(np.arange(n_docs), per_doc)
    true = sp.csr_matrix((np.ones(rows.size, np.float32), (rows, zipf_labels(rng, rows.size, perm))),
                         shape=(n_docs, n_labels))
    true.data[:] = 1
    # predictions: n_preds draws from the same long tail plus, half the time, the true labels
    prow = np.repeat(np.arange(n_docs), n_preds)
    pcol = zipf_labels(rng, prow.size, perm, s=0.8)
    t = true.tocoo()
    take = rng.uniform(size=t.nnz) < 0.5
    prow = np.concatenate([prow, t.row[take]])
    pcol = np.concatenate([pcol, t.col[take]])
    pred = sp.csr_matrix((np.ones(prow.size, np.float32), (prow, pcol)), shape=(n_docs, n_labels))
    pred.sum_duplicates()  # a label drawn twice is one prediction
    # scores rounded to 3 decimals (ties); true labels score higher on average, so that the
    # metrics land in a realistic range instead of near zero
    true.sum_duplicates()
    is_true = _is_true(pred, true)
    pred.data = np.round(rng.uniform(size=pred.nnz) + 0.3 * is_true, 3).astype(np.float32)
    freq = np.bincount(zipf_labels(rng, 5 * 10 * n_docs, perm), minlength=n_labels)
    return pred, true, freq


def to_arrays(pred, m):
    ids = M.top_k_ids(pred, m)
    rows = np.arange(ids.shape[0])[:, None]
    # scores at those ids by binary search in each row's sorted columns (vectorised)
    keys = np.repeat(np.arange(pred.shape[0], dtype=np.int64), np.diff(pred.indptr)) * pred.shape[1] \
        + pred.indices
    q = rows * pred.shape[1] + np.maximum(ids, 0)
    scores = np.where(ids >= 0, pred.data[np.minimum(np.searchsorted(keys, q), keys.size - 1)], 0.0)
    return ids, scores.astype(np.float32)


def measure(fn, repeats):
    """(best, median) wall time over repeats — the machine is shared, best-of is the stable
    number — and the tracemalloc peak of one more call."""
    walls = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t0)
        del out
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(walls), float(np.median(walls)), peak


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--labels", type=int, default=300_000)
    ap.add_argument("--preds", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    pred, true, freq = make_problem(args.docs, args.labels, args.preds)
    print(f"problem: {args.docs:,} docs × {args.labels:,} labels; predictions nnz {pred.nnz:,} "
          f"({pred.nnz / args.docs:.1f}/doc), truth nnz {true.nnz:,} ({true.nnz / args.docs:.2f}/doc, "
          f"{np.mean(np.diff(true.indptr) == 0):.1%} docs without labels); built in "
          f"{time.perf_counter() - t0:.1f} s")
    pred_bytes = pred.data.nbytes + pred.indices.nbytes + pred.indptr.nbytes
    print(f"prediction csr size: {pred_bytes / 2**20:.0f} MiB")

    kw = dict(label_frequency=freq, n_train=10 * args.docs, ks=(1, 3, 5))
    top1 = M.top_k_ids(pred, 1)[:, 0]
    filt = np.stack([np.arange(args.docs), np.maximum(top1, 0)], axis=1)[top1 >= 0]
    ids, scores = to_arrays(pred, args.preds)
    extra = np.arange(20_000) * (args.labels // 20_000)
    ragged = sp.csr_matrix(
        (np.concatenate([pred.data, np.full(extra.size, 0.5, np.float32)]),
         (np.concatenate([np.repeat(np.arange(args.docs), np.diff(pred.indptr)), np.zeros(extra.size, int)]),
          np.concatenate([pred.indices, extra]))), shape=pred.shape)
    ragged.sum_duplicates()

    bins = M.label_quantiles(freq, n_bins=5)
    scenarios = {
        "csr": lambda: M.all_metrics(pred, true, **kw),
        "csr+filter": lambda: M.all_metrics(pred, true, filter=filt, **kw),
        "arrays": lambda: M.all_metrics((ids, scores), true, **kw),
        "csr ragged": lambda: M.all_metrics(ragged, true, **kw),
        "top_k_ids only": lambda: M.top_k_ids(pred, 5),
        "quantiles (5)": lambda: M.quantile_metrics(pred, true, bins, **kw),
    }
    rows = []
    results = {}
    for name, fn in scenarios.items():
        best, median, peak = measure(fn, args.repeats)
        rows.append((name, best, median, peak))
        if name not in ("top_k_ids only", "quantiles (5)"):
            results[name] = fn()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print()
    print(f"{'scenario':<16}{'best (s)':>10}{'median (s)':>12}{'peak traced (MiB)':>20}"
          f"{'peak / pred csr':>17}")
    for name, best, median, peak in rows:
        print(f"{name:<16}{best:>10.2f}{median:>12.2f}{peak / 2**20:>20.0f}{peak / pred_bytes:>17.1f}")
    print(f"process max RSS: {rss:.0f} MiB (includes the generated data)")
    print()
    print(M.format_table(results, columns=[c for c in results["csr"] if not c.startswith("R@")]))
    print()
    print(f"quantile-wise (restrict mode; bin 0 = tail, labels per bin {np.bincount(bins).tolist()}):")
    q = M.quantile_metrics(pred, true, bins, **kw)
    print(M.format_table({f"bin {b}": r for b, r in q.items()},
                         columns=["P@1", "P@5", "PSP@5", "R@5", "FN@5"]))


if __name__ == "__main__":
    main()
