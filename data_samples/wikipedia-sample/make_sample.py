"""Make ``data_samples/wikipedia-sample/`` from the project's 57,200-article Wikipedia file.

    python data_samples/wikipedia-sample/make_sample.py \
        --source ../shared/data/wikipedia-2019/articles.jsonl.gz

Deterministic (same source, same arguments → byte-identical ``articles.jsonl.gz``): records keep
the source's order and bytes, the gzip header carries no name or time, and the only randomness
is ``--seed``.

What is chosen, and why
-----------------------
The see-also benchmark (``ramen_edu.data.wiki_benchmark``) keeps a see-also target as a label
only when at least two documents list it. A uniform sample of 10 % of the articles would keep
both listers of such a label with probability 1 %, leaving almost no benchmark. So the sample is
built *label by label*: a chosen label brings **every** article that lists it and the label's
own article (when the source has one: its categories and text feed the anchor graphs).

1. **The paper's neighbourhood**: every article within two see-also steps (either direction) of
   *Clade* — Cladistics, Monophyly, Phylogenetics, ... — and the labels they list or are.
2. **A seeded sample**: the remaining labels (≥ 2 listers) in a seeded random order, added while
   the compressed file stays under ``--max-bytes`` (found by bisection on the number of labels).
3. **The book's example stays a training document**: the chapters show *Cladistics*' anchors,
   pruned edges and predictions, which only a training document has (test documents are in no
   graph). The benchmark's split is a seeded permutation of however many documents the sample
   has, so the last step takes one random label fewer until :data:`TRAIN_DOCUMENTS` are all
   training documents of ``build_wiki_seealso`` on the sample (usually zero or one step).

Labels are counted on the titles the benchmark builder uses: each See-also item through
:func:`ramen_edu.data.see_also.item_title` (descriptions, citation markers and markup removed;
the source's page titles kept whole) and then
:func:`ramen_edu.data.wikipedia.normalize_see_also_target` (first letter, underscores, spaces,
``#section``; items that name no article dropped).

Licence: Wikipedia text, CC BY-SA 3.0, "Wikipedia contributors" (see README.md next to this file).
"""
from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np

from ramen_edu.data.see_also import clean_see_also
from ramen_edu.data.wikipedia import normalize_see_also_target, normalize_title

HERE = Path(__file__).resolve().parent
SEED_TITLES = ("Clade",)
TRAIN_DOCUMENTS = ("Cladistics",)  # shown by chapters 4 and 5: must be training documents
NEIGHBOURHOOD_STEPS = 2


def read_source(path: Path) -> tuple[list[bytes], list[dict]]:
    """The source's lines (bytes, kept verbatim) and their parsed records, in file order."""
    with gzip.open(path, "rb") as f:
        lines = [line if line.endswith(b"\n") else line + b"\n" for line in f if line.strip()]
    records = []
    for n, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}, line {n}: not JSON ({e.msg}); is this the articles.jsonl.gz "
                             "of DATA.md?") from None
    return lines, records


def gzip_bytes(lines: list[bytes]) -> bytes:
    """gzip with no file name and mtime 0, so the same lines always give the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.writelines(lines)
    return buffer.getvalue()


def label_groups(records: list[dict], *, seed: int) -> tuple[set[int], list[list[int]]]:
    """The article indices of the neighbourhood of SEED_TITLES (with its labels' articles), and,
    in seeded random order, one list per remaining label: its listers and its own article.
    Computed once; the bisection below only takes longer or shorter prefixes of the list."""
    by_title = {normalize_title(r["title"]): i for i, r in enumerate(records)}
    cleaned, _ = clean_see_also([r["see_also"] for r in records], {r["title"] for r in records})
    targets = [list(dict.fromkeys(t for t in map(normalize_see_also_target, items) if t))
               for items in cleaned]  # the builder's label titles, per article
    listers: dict[str, list[int]] = collections.defaultdict(list)
    for i, ts in enumerate(targets):
        for target in ts:
            listers[target].append(i)
    labels = sorted(t for t, docs in listers.items() if len(docs) >= 2)

    def articles_of(label: str) -> list[int]:
        own = [by_title[label]] if label in by_title else []
        return listers[label] + own

    # 1. the see-also neighbourhood of the paper's example, both directions
    core = {by_title[normalize_title(t)] for t in SEED_TITLES}
    frontier = set(core)
    for _ in range(NEIGHBOURHOOD_STEPS):
        reached = set()
        for i in frontier:
            title = normalize_title(records[i]["title"])
            reached.update(listers.get(title, ()))  # articles listing i
            reached.update(by_title[t] for t in targets[i] if t in by_title)  # articles i lists
        frontier = reached - core
        core |= reached
    core_labels = {t for i in core for t in targets[i]}
    core_labels |= {normalize_title(records[i]["title"]) for i in core}
    core_labels &= set(labels)
    chosen = set(core)
    for label in sorted(core_labels):
        chosen.update(articles_of(label))

    # 2. seeded random labels
    rest = [t for t in labels if t not in core_labels]
    order = np.random.default_rng(seed).permutation(len(rest))
    return chosen, [articles_of(rest[k]) for k in order]


def choose(core: set[int], groups: list[list[int]], n_random_labels: int) -> np.ndarray:
    """Indices (sorted, file order) of the sample: ``core`` plus the first ``n_random_labels``
    groups of :func:`label_groups`."""
    return np.array(sorted(core.union(*groups[:n_random_labels])), dtype=np.int64)


def _examples_train(blob: bytes) -> bool:
    """Whether every title of TRAIN_DOCUMENTS is a training document of the benchmark the
    chapters build from this sample (default parameters, as they call it)."""
    import tempfile

    from ramen_edu.data.wiki_benchmark import build_wiki_seealso

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "articles.jsonl.gz"
        path.write_bytes(blob)
        dataset = build_wiki_seealso(path, cache=False)
    return all(t in dataset.train_texts for t in TRAIN_DOCUMENTS)


def make_sample(source: Path, out_dir: Path, *, seed: int = 0, max_bytes: int = 2_900_000) -> dict:
    """Write ``out_dir/articles.jsonl.gz`` (≤ max_bytes) and ``out_dir/sample.json`` (the card's
    numbers); returns those numbers."""
    lines, records = read_source(source)
    core, groups = label_groups(records, seed=seed)

    def sample_bytes(n_random: int) -> tuple[bytes, np.ndarray]:
        idx = choose(core, groups, n_random)
        return gzip_bytes([lines[i] for i in idx]), idx

    lo, hi = 0, len(groups)  # bisection: the most random labels whose sample still fits
    blob, idx = sample_bytes(0)
    if len(blob) > max_bytes:
        raise ValueError(f"--max-bytes {max_bytes}: the neighbourhood of {SEED_TITLES} alone takes "
                         f"{len(blob)} bytes; raise --max-bytes")
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(sample_bytes(mid)[0]) <= max_bytes:
            lo = mid
        else:
            hi = mid - 1
    blob, idx = sample_bytes(lo)
    while lo > 0 and not _examples_train(blob):
        lo -= 1
        blob, idx = sample_bytes(lo)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "articles.jsonl.gz").write_bytes(blob)
    chosen = [records[i] for i in idx]
    numbers = {
        "source": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "seed": seed,
        "max_bytes": max_bytes,
        "random_labels": lo,
        "articles": len(chosen),
        "with_see_also": sum(bool(r["see_also"]) for r in chosen),
        "see_also_pairs": sum(len(r["see_also"]) for r in chosen),
        "with_categories": sum(bool(r["categories"]) for r in chosen),
        "bytes": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
    }
    (out_dir / "sample.json").write_text(json.dumps(numbers, indent=2) + "\n")
    return numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True,
                        help="the 57,200-article articles.jsonl.gz (DATA.md schema)")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-bytes", type=int, default=2_900_000,
                        help="size cap of the compressed sample (the project allows 3 MB)")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        parser.error(f"--source {args.source}: no such file; it is the full articles.jsonl.gz "
                     "(../shared/data/wikipedia-2019/ here, or `ramen-edu fetch-wiki`)")
    print(json.dumps(make_sample(args.source, args.out, seed=args.seed, max_bytes=args.max_bytes),
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
