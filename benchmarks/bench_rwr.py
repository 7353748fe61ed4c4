"""Scale benchmark: anchor-graph build, random walk with restart and cosine pruning at the size of
the paper's LF-WikiSeeAlsoTitles-320K (693K training documents, 312K labels, 2.4M anchors, about
39 anchors per document; Table 15), on a synthetic graph with power-law anchor degrees.

Each scale runs in its own process so its peak memory (RSS) is its own:

    nice -n 10 .venv/bin/python benchmarks/bench_rwr.py                 # scales 1/8 1/4 1/2 1
    nice -n 10 .venv/bin/python benchmarks/bench_rwr.py --scales 0.125 --hops 400
    nice -n 10 .venv/bin/python benchmarks/bench_rwr.py --prune-only    # pruning on 10M edges

Prints one line per scale: edges, build time, walk time (all documents and labels, ``--hops``
hops, restart 0.8, top-10), peak RSS; then how time and memory grow from scale to scale.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp

FULL = {"documents": 693_082, "labels": 312_330, "anchors": 2_400_000, "anchors_per_node": 39}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def synthetic_edges(n_rows: int, n_anchors: int, mean_degree: float, rng, alpha: float = 1.0):
    """Row degrees ~ 1 + Poisson(mean − 1); anchors drawn with P(anchor of rank r) ∝ r^-alpha,
    the power law of Wikipedia link popularity (a few hub articles, a long tail)."""
    deg = 1 + rng.poisson(mean_degree - 1, size=n_rows)
    cdf = np.cumsum(np.arange(1, n_anchors + 1, dtype=np.float64) ** -alpha)
    cdf /= cdf[-1]
    rows = np.repeat(np.arange(n_rows, dtype=np.int32), deg)
    cols = np.searchsorted(cdf, rng.random(len(rows))).astype(np.int32)
    # shuffle anchor ids so hubs are not all at small ids (ids carry no meaning)
    cols = rng.permutation(n_anchors).astype(np.int32)[cols]
    return rows, cols


def run_scale(scale: float, hops: int, seed: int) -> dict:
    from ramen_edu.graphs import build_bipartite, degree_stats, random_walk_with_restart

    rng = np.random.default_rng(seed)
    n_docs, n_labels = int(FULL["documents"] * scale), int(FULL["labels"] * scale)
    n_anchors = int(FULL["anchors"] * scale)
    t0 = time.perf_counter()
    d_rows, d_cols = synthetic_edges(n_docs, n_anchors, FULL["anchors_per_node"], rng)
    l_rows, l_cols = synthetic_edges(n_labels, n_anchors, FULL["anchors_per_node"], rng)
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    docs = sp.csr_matrix((np.ones(len(d_rows), np.float32), (d_rows, d_cols)), shape=(n_docs, n_anchors))
    labels = sp.csr_matrix((np.ones(len(l_rows), np.float32), (l_rows, l_cols)),
                           shape=(n_labels, n_anchors))
    del d_rows, d_cols, l_rows, l_cols
    adj = build_bipartite(docs, labels)
    del docs, labels
    t_build = time.perf_counter() - t0
    stats = degree_stats(adj)
    rss_build = peak_rss_gb()

    t0, c0 = time.perf_counter(), time.process_time()
    dense = random_walk_with_restart(adj, hops=hops, restart=0.8, top_k=10, seed=seed)
    t_walk, cpu_walk = time.perf_counter() - t0, time.process_time() - c0
    return {"scale": scale, "nodes": adj.shape[0], "anchors": adj.shape[1], "edges": int(adj.nnz),
            "max_anchor_degree": stats["anchor_degree"]["max"],
            "edge_share_top1pct_anchors": round(stats["edge_share_top1pct_anchors"], 3),
            "hops": hops, "generate_s": round(t_gen, 1), "build_s": round(t_build, 1),
            "walk_s": round(t_walk, 1), "walk_cpu_s": round(cpu_walk, 1), "walk_us_per_node": round(1e6 * t_walk / adj.shape[0], 1),
            "densified_edges": int(dense.nnz), "peak_rss_after_build_gb": round(rss_build, 2),
            "peak_rss_gb": round(peak_rss_gb(), 2)}


def run_prune(n_edges: int, dim: int, seed: int) -> dict:
    import torch  # noqa: F401  (loaded before timing, as in training)

    from ramen_edu.graphs import prune_edges

    rng = np.random.default_rng(seed)
    n_rows, n_anchors = n_edges // 40, n_edges // 20
    rows, cols = synthetic_edges(n_rows, n_anchors, 40, rng)
    adj = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_rows, n_anchors))
    del rows, cols
    row_emb = rng.standard_normal((n_rows, dim), dtype=np.float32)
    col_emb = rng.standard_normal((n_anchors, dim), dtype=np.float32)
    row_emb /= np.linalg.norm(row_emb, axis=1, keepdims=True)
    col_emb /= np.linalg.norm(col_emb, axis=1, keepdims=True)
    out = {"prune_edges": int(adj.nnz), "dim": dim}
    for backend in ("numpy", "torch"):
        t0, c0 = time.perf_counter(), time.process_time()
        kept, record = prune_edges(adj, row_emb, col_emb, backend=backend)
        t, cpu = time.perf_counter() - t0, time.process_time() - c0
        out[backend] = {"prune_s": round(t, 1), "prune_cpu_s": round(cpu, 1),
                        "edges_per_s_millions": round(adj.nnz / t / 1e6, 2),
                        "fraction_cut": round(record.fraction_cut, 3)}
    out["peak_rss_gb"] = round(peak_rss_gb(), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=float, nargs="+", default=[0.125, 0.25, 0.5, 1.0])
    ap.add_argument("--hops", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prune-edges", type=int, default=10_000_000)
    ap.add_argument("--dim", type=int, default=384, help="embedding size (MiniLM: 384)")
    ap.add_argument("--prune-only", action="store_true")
    ap.add_argument("--no-prune", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:  # one measurement in this process, printed as JSON for the parent
        job = json.loads(args.child)
        out = run_prune(**job) if "n_edges" in job else run_scale(**job)
        print(json.dumps(out))
        return

    def child(job: dict) -> dict:
        proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)],
                              capture_output=True, text=True, env=os.environ)
        if proc.returncode:
            raise SystemExit(f"child {job} failed:\n{proc.stderr}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    print(f"cpu count {os.cpu_count()}, numpy {np.__version__}")
    results = []
    if not args.prune_only:
        for scale in args.scales:
            r = child({"scale": scale, "hops": args.hops, "seed": args.seed})
            results.append(r)
            print(f"scale {scale:>5}: {r['nodes']:>9,} nodes × {r['anchors']:>9,} anchors, "
                  f"{r['edges']:>11,} edges | build {r['build_s']:6.1f} s | walk ({r['hops']} hops) "
                  f"{r['walk_s']:7.1f} s (cpu {r['walk_cpu_s']:.1f} s) = {r['walk_us_per_node']} µs/node | peak RSS "
                  f"{r['peak_rss_after_build_gb']:.2f} GB after build, {r['peak_rss_gb']:.2f} GB after walk",
                  flush=True)
        for a, b in zip(results, results[1:]):
            f = b["edges"] / a["edges"]
            print(f"  ×{f:.2f} edges: walk time ×{b['walk_s'] / a['walk_s']:.2f} (cpu ×{b['walk_cpu_s'] / a['walk_cpu_s']:.2f}), build ×"
                  f"{b['build_s'] / max(a['build_s'], 0.1):.2f}, peak RSS ×{b['peak_rss_gb'] / a['peak_rss_gb']:.2f}")
    if not args.no_prune:
        p = child({"n_edges": args.prune_edges, "dim": args.dim, "seed": args.seed})
        for backend in ("numpy", "torch"):
            b = p[backend]
            print(f"prune ({backend}): {p['prune_edges']:,} edges, dim {p['dim']}: {b['prune_s']} s "
                  f"(cpu {b['prune_cpu_s']} s, {b['edges_per_s_millions']} M edges/s), cut "
                  f"{b['fraction_cut']:.1%} (random embeddings)")
        print(f"prune: peak RSS {p['peak_rss_gb']:.2f} GB (embeddings {p['prune_edges'] // 40:,} + "
              f"{p['prune_edges'] // 20:,} rows × {p['dim']} float32 included)")
    print(json.dumps({"scales": results}, indent=None))


if __name__ == "__main__":
    main()
