"""Inference cost, measured: RAMEN (encode → label search) vs the two-stage GCN (encode → link to
anchors → aggregate → label search), the paper's Table 3 on this machine.

    python benchmarks/bench_inference.py [--encoder minilm|tiny-random] [--queries 200]
                                         [--out book/results/inference_cost_cpu.json]

Both pipelines use the same encoder and the Wikipedia see-also benchmark's labels; the GCN links
to the ``category`` anchor set (k = 5). Weights are untrained: cost does not depend on them.
Reported per pipeline: milliseconds per query at batch 1 (each query alone, median over
``--queries``) and at batch 256 (total ÷ queries), the GCN's time per stage, the bytes each
pipeline must hold beyond the encoder (label index; anchor bank + anchor index + layer), the
parameters, and the process's resident memory after building each pipeline. faiss flat
inner-product search (exact), the project's ``LabelIndex``.

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from ramen_edu.baselines.two_stage import AnchorAggregator, TwoStageModel
from ramen_edu.data.catalog import load_dataset
from ramen_edu.encoders import Encoder
from ramen_edu.runinfo import environment
from ramen_edu.training.model import RamenModel


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_pipeline(retrieve, texts: list[str], *, batch: int) -> float:
    """Milliseconds per query: batch 1 = median of single-query calls; else total ÷ queries."""
    if batch == 1:
        times = []
        for t in texts:
            t0 = time.perf_counter()
            retrieve([t])
            times.append(time.perf_counter() - t0)
        return 1000 * statistics.median(times)
    t0 = time.perf_counter()
    for start in range(0, len(texts), batch):
        retrieve(texts[start:start + batch])
    return 1000 * (time.perf_counter() - t0) / len(texts)


def stage_times(model: TwoStageModel, texts: list[str]) -> dict[str, float]:
    """The GCN's stages on one batch, ms per query: encode, link, aggregate, label search."""
    out = {}
    t0 = time.perf_counter()
    emb = model.encoder.embed(texts, progress=False)
    out["encode"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    links = model.link(texts, emb)
    out["link (anchor search)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with torch.no_grad():
        z = model.head(torch.from_numpy(emb), torch.from_numpy(links)).numpy()
    out["aggregate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.index.search(z, 5)
    out["label search"] = time.perf_counter() - t0
    return {k: 1000 * v / len(texts) for k, v in out.items()}


def paper_scale_search(dim: int, *, labels: int = 312_000, anchors: int = 2_400_000,
                       queries: int = 256) -> dict:
    """Exact inner-product search (faiss flat) over random unit vectors at the paper's sizes:
    the label search both pipelines pay and the anchor search only the GCN pays, ms per query."""
    from ramen_edu.retrieval import LabelIndex

    rng = np.random.default_rng(0)

    def unit(n):
        x = rng.standard_normal((n, dim), dtype=np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    q = unit(queries)
    out = {"labels": labels, "anchors": anchors, "queries": queries, "dim": dim}
    for name, n in (("label", labels), ("anchor", anchors)):
        index = LabelIndex(unit(n))
        index.search(q[:8], 5)  # warm-up
        t0 = time.perf_counter()
        index.search(q, 5)
        out[f"{name}_search_ms_per_query"] = 1000 * (time.perf_counter() - t0) / queries
        out[f"{name}_bank_bytes"] = 4 * n * dim
        del index
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="minilm", choices=["minilm", "tiny-random"])
    ap.add_argument("--queries", type=int, default=200, help="queries timed at batch 1 (default 200)")
    ap.add_argument("--batch-queries", type=int, default=1024, help="queries timed at batch 256 (default 1024)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating repeats, median reported (default 3)")
    ap.add_argument("--anchor-set", default="category")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--paper-scale", action="store_true",
                    help="also time exact search at LF-WikiSeeAlsoTitles-320K's sizes (312K labels, 2.4M "
                         "anchors, D of the encoder; random unit vectors, ~4 GB of RAM)")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args(argv)

    ds = load_dataset("wiki-seealso")
    enc = Encoder.tiny_random(seed=0) if args.encoder == "tiny-random" else Encoder.from_pretrained()
    enc.eval()
    texts = (ds.test_texts * 4)[:max(args.queries, args.batch_queries)]
    anchors = ds.anchors[args.anchor_set]
    base_rss = rss_mb()

    ramen = RamenModel(enc, ds.label_texts)
    ramen.index  # noqa: B018 - build the label index before timing
    ramen_rss = rss_mb()
    gcn = TwoStageModel(enc, ds.label_texts, AnchorAggregator(enc.dim, anchors.n_anchors).eval(),
                        anchor_texts=anchors.texts, anchor_set=args.anchor_set, k=args.k,
                        label_embeddings=ramen.label_embeddings())
    gcn.link(texts[:1], enc.embed(texts[:1], progress=False))  # builds the bank and the anchor index
    gcn.index  # noqa: B018
    gcn_rss = rss_mb()

    for model in (ramen, gcn):  # warm-up: first calls allocate
        model.retrieve(texts[:8], 5)
    # the two pipelines alternate, --repeats times, and each reports its median: a load that
    # comes and goes on the machine then hits both alike
    samples = {"RAMEN": {"ms_per_query_batch1": [], "ms_per_query_batch256": []},
               "two-stage GCN": {"ms_per_query_batch1": [], "ms_per_query_batch256": []}}
    for _ in range(args.repeats):
        for name, model in (("RAMEN", ramen), ("two-stage GCN", gcn)):
            samples[name]["ms_per_query_batch1"].append(
                time_pipeline(lambda t: model.retrieve(t, 5), texts[:args.queries], batch=1))
            samples[name]["ms_per_query_batch256"].append(
                time_pipeline(lambda t: model.retrieve(t, 5, batch_size=256), texts[:args.batch_queries], batch=256))
    timed = {name: {key: statistics.median(v) for key, v in d.items()} for name, d in samples.items()}
    dim, L, M = enc.dim, ds.n_labels, anchors.n_anchors
    encoder_params = sum(p.numel() for p in enc.parameters())
    head_params = sum(p.numel() for p in gcn.head.parameters())
    result = {
        "kind": "ramen-edu inference cost (RAMEN Table 3 analogue)",
        "encoder": enc.name, "dim": dim, "labels": L, "anchor_set": args.anchor_set, "anchors": M, "k": args.k,
        "torch_threads": torch.get_num_threads(), "repeats": args.repeats, "machine": platform.machine(),
        "pipelines": {
            "RAMEN": {
                **timed["RAMEN"],
                "parameters": encoder_params,
                "held_beyond_encoder_bytes": 4 * L * dim,
                "held": "label index (L × D float32)",
                "rss_after_build_mb": ramen_rss - base_rss,
            },
            "two-stage GCN": {
                **timed["two-stage GCN"],
                "stages_ms_per_query_batch256": stage_times(gcn, texts[:256]),
                "parameters": encoder_params + head_params,
                "held_beyond_encoder_bytes": 4 * L * dim + 2 * 4 * M * dim + 4 * head_params,
                "held": "label index + anchor bank (M × D) + anchor index (M × D) + layer (D² + 1)",
                "rss_after_build_mb": gcn_rss - base_rss,
            },
        },
        "environment": environment(),
    }
    if args.paper_scale:
        result["paper_scale_search"] = paper_scale_search(dim)
    r, g = result["pipelines"]["RAMEN"], result["pipelines"]["two-stage GCN"]
    print(f"{enc.name} · D={dim} · {L} labels · {M} {args.anchor_set} anchors · k={args.k} · "
          f"{torch.get_num_threads()} torch threads")
    for name, p in result["pipelines"].items():
        print(f"  {name:<14} batch 1: {p['ms_per_query_batch1']:7.2f} ms/query · batch 256: "
              f"{p['ms_per_query_batch256']:6.2f} ms/query · params {p['parameters'] / 1e6:.2f} M · "
              f"held beyond encoder {p['held_beyond_encoder_bytes'] / 2**20:.1f} MiB · RSS +{p['rss_after_build_mb']:.0f} MB")
    print("  GCN stages (batch 256, ms/query): " + ", ".join(f"{k} {v:.3f}" for k, v in
                                                           g["stages_ms_per_query_batch256"].items()))
    print(f"  GCN / RAMEN time: batch 1 ×{g['ms_per_query_batch1'] / r['ms_per_query_batch1']:.2f}, "
          f"batch 256 ×{g['ms_per_query_batch256'] / r['ms_per_query_batch256']:.2f}")
    if args.paper_scale:
        ps = result["paper_scale_search"]
        print(f"  paper scale, exact search of 256 queries (D={dim}): {ps['labels']} labels "
              f"{ps['label_search_ms_per_query']:.2f} ms/query; {ps['anchors']} anchors "
              f"{ps['anchor_search_ms_per_query']:.2f} ms/query, bank {ps['anchor_bank_bytes'] / 2**30:.2f} GiB")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1, default=str) + "\n")
        print(f"written: {args.out}")
    return result


if __name__ == "__main__":
    main()
