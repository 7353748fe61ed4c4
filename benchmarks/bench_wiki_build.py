"""Time each stage of building the Wikipedia see-also benchmark from the shared sample.

    python benchmarks/bench_wiki_build.py [--data PATH] [--variant titles|text]

Stages, timed separately (wall clock, one process): read (JSONL → Article records), labels +
split + filter pairs, the mentions automaton pass, the random walks for labels, writing the XC
folder; then the end-to-end ``build_wiki_seealso`` (empty cache, in its own process) and a
cached reload. Also prints peak memory (the build process' peak RSS, and this process'), the
mentions rule table, label survival for min_docs_per_label 1/2/3 and the
dataset card.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--variant", default="titles", choices=("titles", "text"))
    args = parser.parse_args()

    cache = tempfile.mkdtemp(prefix="bench-wiki-")
    os.environ["RAMEN_EDU_CACHE"] = cache  # a fresh cache: the first build is a real build

    import numpy as np
    import scipy.sparse as sp

    from ramen_edu.settings import find_data_file
    from ramen_edu.data import wiki_benchmark as wb
    from ramen_edu.data.mentions import MentionRules, find_mentions, see_also_pairs
    from ramen_edu.data.xc_format import write_xc_dataset
    from ramen_edu.graphs import random_walk_with_restart

    path = Path(args.data) if args.data else find_data_file()
    print(f"source: {path} ({path.stat().st_size / 2**20:.1f} MB)")
    times = {}

    t = time.perf_counter()
    articles, _ = wb._load(path)
    times["read"] = time.perf_counter() - t
    print(f"read: {len(articles):,} articles in {times['read']:.1f} s")
    for row in wb.label_survival(articles):
        print("  label survival:", row)

    titles = [a.title for a in articles]
    t = time.perf_counter()
    ref = see_also_pairs(titles, [a.see_also for a in articles])
    mentions, report = find_mentions(titles, [a.text for a in articles], MentionRules(),
                                     reference=ref)
    times["mentions automaton (all articles)"] = time.perf_counter() - t
    print(f"mentions: {report.raw_matches:,} raw matches, {mentions.nnz:,} edges in "
          f"{times['mentions automaton (all articles)']:.1f} s")
    print(report.table())
    print("  dropped titles:", report.dropped_titles)
    print("  examples:", json.dumps(report.examples, ensure_ascii=False))

    # a random walk of the size the builder runs: every label from a doc-label-article graph
    undirected = (mentions + mentions.T).tocsr()
    undirected.data[:] = 1.0
    has_see_also = np.flatnonzero([bool(a.see_also) for a in articles])
    graph = undirected[has_see_also].tocsr()
    t = time.perf_counter()
    walked = random_walk_with_restart(graph, hops=400, restart=0.8, top_k=10, seed=0)
    stage = "random walk (one walker per document, 400 hops)"
    times[stage] = time.perf_counter() - t
    print(f"random walk: {graph.shape[0]:,} walkers over {graph.nnz:,} edges, "
          f"{walked.nnz:,} edges kept, {times[stage]:.1f} s")

    # end to end in a fresh process, so its peak RSS is the build's own
    code = ("import json, resource, time\n"
            "from ramen_edu.data.wiki_benchmark import build_wiki_seealso\n"
            "t = time.perf_counter()\n"
            f"build_wiki_seealso({str(path)!r}, variant={args.variant!r}, cache=True)\n"
            "print(json.dumps({'seconds': time.perf_counter() - t, 'peak_rss_mib': "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    child = json.loads(out.stdout.strip().splitlines()[-1])
    times["build_wiki_seealso end to end (no cache, own process)"] = child["seconds"]
    ds = wb.build_wiki_seealso(path, variant=args.variant, cache=True)  # from the cache
    folder = Path(cache) / "bench-write"
    t = time.perf_counter()
    write_xc_dataset(ds, folder)
    times["write XC folder"] = time.perf_counter() - t
    size = sum(f.stat().st_size for f in folder.iterdir())

    t = time.perf_counter()
    wb.build_wiki_seealso(path, variant=args.variant, cache=True)
    times["cached reload"] = time.perf_counter() - t

    print("\nstage times (s):")
    for name, value in times.items():
        print(f"  {name:<52}{value:8.2f}")
    print(f"\npeak RSS of the end-to-end build (its own process): {child['peak_rss_mib']:,.0f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this benchmark process (all stages): {rss:,.0f} MiB")
    print(f"XC folder: {size / 2**20:.1f} MB\n")
    card_md = next(Path(cache).glob("wiki-seealso-*/card.md")).read_text()
    print(card_md)
    assert sp.issparse(ds.train_y)


if __name__ == "__main__":
    main()
