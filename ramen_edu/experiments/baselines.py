"""``ramen-edu baselines``: RAMEN against the graph-at-inference and graph-in-the-labels baselines.

    ramen-edu baselines --config configs/wiki_seealso_cpu.json --seeds 3

Rows (every one on the config's recipe, same data, batches, budget and evaluation path):

    Untrained              the recipe's encoder, not trained (``ramen-edu ablate``'s reference row)
    ST fine-tune           sentence-transformers' own trainer, --st-epochs epochs (the same)
    RAMEN                  the recipe as it is (graphs regularize training only)
    No graph               regularize=False
    AugGT                  No graph trained on the augmented ground truth (augmented_truth.py)
    GCN (learned linker)   the two-stage GCN (two_stage.py): link by the trained encoder, aggregate
    GCN (oracle linker)    the same trained GCN, linked at test time by the documents' true anchors

The two GCN rows come from the same training run per seed (only the first stage differs). The
first two rows are made by ``ramen_edu.experiments.ablate.reference_model``, as in the ablation.
Each (row, seed) keeps, next to ``ramen-edu ablate``'s run.json and per_doc.npz:

    per_doc_zero_shot.npz  per-document P@k/nDCG@k/PSP@k of the zero-shot task (Table 12)
    ranks.npz              the rank of every true test pair among all labels (tail cases)
    run.json "analysis"    P@5/PSP@5 per label quantile, FN@k per quantile (k = 5 … 100,
                           Table 8), zero-shot metrics, the ranks of the watched pairs
                           (e.g. "Cladistics" → "Crown group")

and OUT/baselines.json + baselines.md hold the comparisons (mean ± std over seeds, paired
intervals over test documents), the quantile and FN tables and the tail cases.

The rows × seeds loop, the run folders, scratch folders and the "finished" rule are
``ramen_edu.experiments.runner``'s, as for ``ramen-edu ablate``: a (row, seed) is finished when
run.json (with "test_metrics"), per_doc.npz and ranks.npz exist, the recorded config equals the
row's (``ablate.expected_config``; a field an older record lacks counts as its default) and its
"baseline" settings are this invocation's; one made with other settings raises.

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from ramen_edu.baselines.analysis import (FN_KS, find_tail_cases, fn_by_quantile, gain_reachability, graph_reachable,
                                          true_label_ranks, zero_shot_labels, zero_shot_scores)
from ramen_edu.baselines.augmented_truth import augmented_dataset
from ramen_edu.experiments.comparison import compare_methods, format_comparison
from ramen_edu.tables import markdown_table
from ramen_edu.data.catalog import load_dataset
from ramen_edu.evaluation import score_split
from ramen_edu.metrics import QUANTILE_RULE, label_quantiles
from ramen_edu.experiments.runner import (COMPARED, KS, PER_DOC_FILE, RUN_FILE, add_reference_arguments, add_run_arguments, check_counts,
                                         default_out,
                                         finished, finished_seeds,
                                         hf_progress_bars, load_per_doc, match_rows, only_methods, prepare_scratch,
                                         read_record, run_dir, run_jobs, save_per_doc, write_json, write_markdown)
from ramen_edu.runinfo import atomic_write_bytes, environment
from ramen_edu.experiments.ablate import (REFERENCE_ROWS, expected_config, record_defaults, reference_model,
                                       require_extras, shared_untrained)
from ramen_edu.training.cli import resolve_config

__all__ = ["ROWS", "WATCH", "load_baselines", "run_baselines", "score_model"]

ROWS = (*REFERENCE_ROWS, "RAMEN", "No graph", "AugGT", "GCN (learned linker)", "GCN (oracle linker)")
#: the label-quantile rule of runs whose analysis names none (ties were split by label id)
OLD_QUANTILE_RULE = "equal volume, ties split by label id"
GCN_ROWS = {"GCN (learned linker)": "learned", "GCN (oracle linker)": "oracle"}
ZERO_SHOT_FILE, RANKS_FILE = "per_doc_zero_shot.npz", "ranks.npz"
#: (document text, label text) pairs whose rank every run records: the paper's Figure 2 / Table 13
WATCH = (("Cladistics", "Crown group"), ("Clade", "Crown group"))
DEPTH = max(FN_KS)  # labels retrieved per test document (FN@100 needs 100)


def _spec(row: str, *, gcn_set: str, gcn_k: int, auggt: dict) -> dict:
    """What, beyond the config, defines a row (recorded; a mismatch means a different row)."""
    if row in GCN_ROWS:
        return {"method": "two-stage GCN", "anchor_set": gcn_set, "k": gcn_k, "aggregation": "attention",
                "linker": GCN_ROWS[row]}
    if row == "AugGT":
        return {"method": "AugGT", **auggt}
    return {"method": row}  # a reference row's settings are its run.json "config"


def _row_config(row: str, config, seed: int, gcn_set: str):
    from ramen_edu.baselines.two_stage import gcn_overrides

    if row == "RAMEN" or row in REFERENCE_ROWS:  # a reference row reads the recipe (reference_settings)
        return dataclasses.replace(config, seed=seed)
    if row in ("No graph", "AugGT"):
        return dataclasses.replace(config, regularize=False, seed=seed)
    return dataclasses.replace(config, **gcn_overrides(gcn_set), seed=seed)


def score_model(model, dataset, bins: np.ndarray, *, watch=WATCH) -> dict:
    """Everything a run keeps about a trained retriever on ``dataset``'s test split.

    model: a RamenModel or TwoStageModel (anything with ``query_embeddings``, ``label_embeddings``
    and ``index``). bins: (L,) label quantiles. Returns {"per_doc", "zero_shot_rows",
    "zero_shot", "ranks", "analysis"} (see the module docstring).
    """
    query = model.query_embeddings(dataset.test_texts)
    labels = model.label_embeddings()
    exclude = dataset.filter_matrix() if len(dataset.filter_pairs) else None
    top = model.index.search(query, DEPTH, exclude=exclude)
    per_doc = score_split(top, dataset, ks=KS, per_document=True)
    by_bin = score_split(top, dataset, ks=(5,), bins=bins)
    zs_rows, zs = zero_shot_scores(query, labels, dataset, ks=KS)
    watched = []
    for doc, label in watch:
        if label in dataset.label_texts:
            j = dataset.label_texts.index(label)
            scores = model.query_embeddings([doc]) @ labels.T
            watched.append({"doc": doc, "label": label,
                            "rank": int(1 + (scores[0] > scores[0, j]).sum()), "of": dataset.n_labels})
    analysis = {
        "quantiles": {str(b): {m: v[m] for m in ("P@5", "PSP@5")} for b, v in by_bin.items()},
        "fn_by_quantile": {str(b): v for b, v in fn_by_quantile(top, dataset, bins).items()},
        "zero_shot_metrics": {m: float(v.mean()) for m, v in zs.items()},
        "zero_shot_documents": int(len(zs_rows)),
        "watched": watched,
        "quantile_rule": QUANTILE_RULE,
    }
    return {"per_doc": per_doc, "zero_shot_rows": zs_rows, "zero_shot": zs,
            "ranks": true_label_ranks(query, labels, dataset.test_y, exclude=exclude), "analysis": analysis}


def _save_run(run_dir: Path, record: dict, scored: dict) -> None:
    import io

    run_dir.mkdir(parents=True, exist_ok=True)
    save_per_doc(run_dir / PER_DOC_FILE, scored["per_doc"])
    if scored["zero_shot"]:
        save_per_doc(run_dir / ZERO_SHOT_FILE, scored["zero_shot"])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, ranks=scored["ranks"].astype(np.int32), zero_shot_rows=scored["zero_shot_rows"])
    atomic_write_bytes(run_dir / RANKS_FILE, buffer.getvalue())
    record = {**record, "test_metrics": {m: float(v.mean()) for m, v in scored["per_doc"].items()},
              "analysis": scored["analysis"]}
    write_json(run_dir / RUN_FILE, record)  # last: its presence marks the run finished


def _train(row: str, dataset, cfg, work: Path, *, gcn_set: str, gcn_k: int, auggt: dict, progress: bool):
    """Train one row's model in the scratch folder; returns (model, extra record facts)."""
    from ramen_edu.baselines.two_stage import train_two_stage
    from ramen_edu.training import trainer as trainer_module

    resume = prepare_scratch(work, cfg)
    with hf_progress_bars(progress):
        if row in GCN_ROWS:
            return train_two_stage(dataset, cfg, anchor_set=gcn_set, k=gcn_k, run_dir=work, resume=resume,
                                   progress=progress), {}
        if row == "AugGT":
            augmented, stats = augmented_dataset(dataset, **auggt)
            return trainer_module.train(augmented, cfg, run_dir=work, resume=resume, progress=progress), \
                {"augmentation": stats}
        return trainer_module.train(dataset, cfg, run_dir=work, resume=resume, progress=progress), {}


def run_baselines(dataset, config, *, seeds: int, out, rows=None, gcn_set: str = "category", gcn_k: int = 5,
                  auggt: dict | None = None, dataset_source: str | None = None, progress: bool = True,
                  log=print, info: dict | None = None, st_epochs: int = 1) -> dict:
    """Train every missing (row, seed) of ``ROWS`` into ``out``, then write baselines.json/.md.

    config: the RAMEN recipe (regularize must be True). gcn_set/gcn_k: the GCN's linked anchor
    set and anchors per document. auggt: ``augmented_dataset`` options (default the paper's
    reading through the label graph, at most 2 added labels per document). st_epochs: epochs of
    the "ST fine-tune" row (as ``ramen-edu ablate --st-epochs``). Resumable like
    ``ramen-edu ablate``. Returns the baselines.json content.
    """
    log = log or (lambda *a, **k: None)
    if not config.regularize:
        raise ValueError("the config sets regularize=false; give the RAMEN recipe (the baselines are derived from it)")
    if gcn_set not in dataset.anchors:
        raise ValueError(f"gcn_set={gcn_set!r}: dataset {dataset.name!r} has anchor sets {list(dataset.anchors)}")
    auggt = dict(auggt or {"anchor_set": None, "via": "labels", "max_added": 2})
    if not isinstance(st_epochs, int) or isinstance(st_epochs, bool) or st_epochs < 1:
        raise ValueError(f"st_epochs (--st-epochs) must be a positive integer, got {st_epochs!r}")
    chosen = list(ROWS) if rows is None else list(rows)
    unknown = [r for r in chosen if r not in ROWS]
    if unknown:
        raise ValueError(f"unknown row(s) {unknown}; valid rows: {', '.join(ROWS)}")
    require_extras(chosen)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    bins = label_quantiles(dataset.label_frequency(), 5)
    opts = dict(gcn_set=gcn_set, gcn_k=gcn_k, auggt=auggt)
    defaults = record_defaults()

    def expected(row: str, seed: int) -> dict:
        return expected_config(row, _row_config(row, config, seed, gcn_set), st_epochs=st_epochs)

    def done(row: str, seed: int) -> bool:
        """The runner's one "finished" rule, with this command's files and baseline settings."""
        return finished(run_dir(out, row, seed), expected(row, seed), files=(PER_DOC_FILE, RANKS_FILE),
                        identity={"baseline": _spec(row, **opts)}, defaults=defaults)

    shared = {}  # the untrained pre-trained encoder: one model for every seed (its label embeddings kept)

    def make(row: str, group, seed: int, work: Path, prefix: str) -> None:
        t0, cfg = time.time(), _row_config(row, config, seed, gcn_set)
        log(f"{prefix} {' + '.join(group)} · seed {seed}: {'scoring' if row == 'Untrained' else 'training'}")
        if row in REFERENCE_ROWS:
            if row in shared:
                model, record = shared[row][0], {**shared[row][1], "config": expected(row, seed), "wall_time_s": 0.0,
                                                 "model_reused_from_seed": shared[row][1]["config"]["seed"]}
            else:
                model, record = reference_model(row, dataset, cfg, work, st_epochs=st_epochs, progress=progress)
                if shared_untrained(row, cfg):
                    shared[row] = (model, dict(record))
            extra = {}
        else:
            model, extra = _train(row, dataset, cfg, work, progress=progress, **opts)
            record = read_record(work / RUN_FILE)
        record["dataset_source"] = dataset_source or dataset.name
        for r in group:
            scored_model = model.with_linker(GCN_ROWS[r], dataset, seed=seed) if r in GCN_ROWS else model
            scored = score_model(scored_model, dataset, bins)
            _save_run(run_dir(out, r, seed), {**record, **extra, "baseline": _spec(r, **opts), "row": r}, scored)
            m = scored["per_doc"]
            log(f"{prefix} {r} · seed {seed}: P@1 {100 * m['P@1'].mean():.2f} · "
                f"PSP@1 {100 * m['PSP@1'].mean():.2f} · {time.time() - t0:.0f} s")
        shutil.rmtree(work, ignore_errors=True)  # the weights are not kept

    jobs = []  # seed-major, as ramen-edu ablate
    for seed in range(seeds):
        for row in chosen:
            if row == "GCN (oracle linker)" and "GCN (learned linker)" in chosen:
                continue  # trained and scored with the learned-linker row
            group = [r for r in GCN_ROWS if r in chosen or r == row] if row in GCN_ROWS else [row]
            jobs.append((tuple(group), seed))
    n_trained = run_jobs(out, jobs, done=done, make=make, log=log)
    shared.clear()
    summary = summarize(out, dataset, config, seeds=seeds, **opts)
    if summary["quantile_rule"] != QUANTILE_RULE:
        log(f"note: the per-quantile tables come from runs binned by {summary['quantile_rule']!r}, not by "
            f"today's {QUANTILE_RULE!r}; a run's bins are fixed when it is scored, so retrain into another "
            "--out to refresh them")
    summary.update({"trained_this_invocation": n_trained, "wall_time_s": round(time.time() - started, 1),
                    "dataset": dataset_source or dataset.name, **({"info": info} if info else {})})
    write_json(out / "baselines.json", summary)
    write_markdown(out / "baselines.md", _markdown(summary))
    return summary


def load_baselines(out) -> dict:
    """{row: {"records": [run.json per seed], "per_doc": [...], "zero_shot": [...], "ranks": int (S, P)}}
    for every row with finished seeds in ``out`` (seed order).
    Taught in: book/05_baselines_and_tail.ipynb
    """
    out = Path(out)
    rows = {}
    for row in ROWS:
        dirs = finished_seeds(out, row, files=(PER_DOC_FILE, RANKS_FILE))
        if not dirs:
            continue
        with_zs = [d for d in dirs if (d / ZERO_SHOT_FILE).is_file()]
        ranks = []
        for d in dirs:
            with np.load(d / RANKS_FILE) as z:
                ranks.append(z["ranks"].astype(np.int64))
        rows[row] = {"seeds": [int(d.name[4:]) for d in dirs],
                     "records": [read_record(d / RUN_FILE) for d in dirs],
                     "per_doc": [load_per_doc(d / PER_DOC_FILE) for d in dirs],
                     "zero_shot": [load_per_doc(d / ZERO_SHOT_FILE) for d in with_zs],
                     "ranks": np.stack(ranks)}
    return rows


def _seed_stats(values) -> dict:
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": int(len(v))}


def summarize(out, dataset, config, *, seeds: int, gcn_set: str, gcn_k: int, auggt: dict) -> dict:
    """baselines.json's content from the finished runs in ``out`` (see :func:`run_baselines`)."""
    rows = load_baselines(out)
    per_doc = {r: v["per_doc"] for r, v in rows.items()}
    comparisons = {f"vs {base}": compare_methods(per_doc, base, metrics=COMPARED)
                   for base in ("No graph", "RAMEN", *REFERENCE_ROWS) if base in per_doc}
    zs = {r: v["zero_shot"] for r, v in rows.items() if v["zero_shot"]}
    zero_shot = compare_methods(zs, "No graph", metrics=("P@1", "P@3", "P@5", "PSP@1", "PSP@5")) \
        if "No graph" in zs else None
    quantiles = {r: {b: {m: _seed_stats([rec["analysis"]["quantiles"][b][m] for rec in v["records"]])
                         for m in ("P@5", "PSP@5")} for b in v["records"][0]["analysis"]["quantiles"]}
                 for r, v in rows.items()}
    fn = {r: [rec["analysis"]["fn_by_quantile"] for rec in v["records"]] for r, v in rows.items()}
    fn_diff = {}
    for a, b in (("RAMEN", "GCN (learned linker)"), ("RAMEN", "No graph"), ("RAMEN", "GCN (oracle linker)")):
        if a in fn and b in fn and len(fn[a]) == len(fn[b]):
            fn_diff[f"{a} − {b}"] = {
                q: {key: _seed_stats([sa[q][key] - sb[q][key] for sa, sb in zip(fn[a], fn[b])])
                    for key in fn[a][0][q]} for q in fn[a][0]}
    # which true test pairs each graph can reach (via the test documents' hidden edges), made
    # once per anchor set: the tail cases use the GCN's set, the reachability test every set
    ranks = {r: v["ranks"] for r, v in rows.items()}
    freq = dataset.label_frequency()
    reach = {name: graph_reachable(a.test_doc_anchor, a.doc_anchor, dataset.train_y)
             for name, a in dataset.anchors.items() if a.test_doc_anchor is not None}
    cases = []
    if "RAMEN" in rows and "No graph" in rows and gcn_set in reach:
        found = find_tail_cases(ranks, dataset.test_y, reach[gcn_set], freq)
        cases = [{**c, "doc_text": dataset.test_texts[c["doc"]], "label_text": dataset.label_texts[c["label"]]}
                 for c in found]
    # is the graph the reason for each row's biggest wins over No graph?
    reachability = {}
    if "No graph" in rows:
        reachability = {name: {r: gain_reachability(ranks, dataset.test_y, m, freq, low="No graph", high=r)
                               for r in rows if r != "No graph"}
                        for name, m in reach.items()}
    zs_labels = zero_shot_labels(dataset)
    # runs scored before label_quantiles became tie-aware do not name their rule
    rules = sorted({rec["analysis"].get("quantile_rule", OLD_QUANTILE_RULE) for v in rows.values()
                    for rec in v["records"]})
    return {
        "kind": "ramen-edu baselines (RAMEN Tables 2, 5 (AugGT), 8, 12, 13)",
        "dataset_summary": dataset.summary(),
        "seeds": list(range(seeds)),
        "rows": {r: {"seeds": v["seeds"], "test_metrics": [rec["test_metrics"] for rec in v["records"]],
                     "wall_time_s": [rec.get("wall_time_s") for rec in v["records"]],
                     "watched": [rec["analysis"]["watched"] for rec in v["records"]],
                     **({"augmentation": v["records"][0].get("augmentation")} if r == "AugGT" else {})}
                 for r, v in rows.items()},
        "comparison": comparisons,
        "zero_shot": {"labels": int(zs_labels.sum()), "comparison": zero_shot},
        "quantiles": quantiles,
        "fn_diff": fn_diff,
        "quantile_rule": " + ".join(rules) or QUANTILE_RULE,
        "tail_cases": cases,
        "gain_reachability": reachability,
        "settings": {"gcn_anchor_set": gcn_set, "gcn_k": gcn_k, "auggt": auggt, "base_config": config.to_dict()},
        "environment": environment(),
    }


def _markdown(summary: dict) -> str:
    lines = [f"# Baselines · {summary['dataset']}", "",
             f"Seeds {summary['seeds'][0]}–{summary['seeds'][-1]} · commit {summary['environment']['git_commit']} · "
             f"{summary['environment']['device']}. Written by `ramen-edu baselines`; numbers in baselines.json.", ""]
    comp = summary["comparison"]
    if "vs No graph" in comp:
        lines += [format_comparison(comp["vs No graph"], ("P@1", "P@5", "PSP@1", "PSP@5"), ("P@1", "PSP@1"),
                                    method_header="row"), ""]
    if "vs RAMEN" in comp:
        lines += ["## Against RAMEN", "", format_comparison(comp["vs RAMEN"], ("P@1", "P@5", "PSP@1", "PSP@5"),
                                                            ("P@1", "PSP@1"), method_header="row"), ""]
    for base in REFERENCE_ROWS:  # RAMEN and No graph against what a user would run instead (all rows: the JSON)
        shown = [r for r in (base, "RAMEN", "No graph") if f"vs {base}" in comp and r in comp[f"vs {base}"]["methods"]]
        if len(shown) > 1:
            lines += [f"## Against {base}", "", format_comparison(only_methods(comp[f"vs {base}"], shown),
                                                                  ("P@1", "P@5", "PSP@1", "PSP@5"), ("P@1", "PSP@1"),
                                                                  method_header="row"), ""]
    zs = summary["zero_shot"]
    if zs["comparison"]:
        lines += [f"## Zero-shot labels ({zs['labels']} labels without a training document)", "",
                  format_comparison(zs["comparison"], ("P@1", "P@5", "PSP@1"), ("P@1",), method_header="row"), ""]
    for name, table in summary["fn_diff"].items():
        rows = [[str(q), *(f"{100 * cells[f'FN@{k}']['mean']:+.2f} ± {100 * cells[f'FN@{k}']['std']:.2f}"
                            for k in FN_KS)] for q, cells in table.items()]
        lines += [f"## DIFF@k = FN@k({name.replace(' − ', ') − FN@k(')}) per label quantile (0 = tail), in points", "",
                  markdown_table(["quantile", *(f"DIFF@{k}" for k in FN_KS)], rows), ""]
    if summary["tail_cases"]:
        ranked = list(summary["tail_cases"][0]["ranks"])
        rows = [[str(c["doc_text"]), str(c["label_text"]), str(c["label_frequency"]),
                 *(f"{v:.0f}" for v in c["ranks"].values())] for c in summary["tail_cases"]]
        lines += ["## Tail cases found by program (rank of the true label, geometric mean over seeds)", "",
                  markdown_table(["document", "label", "train docs", *ranked], rows, align="llr" + "r" * len(ranked))]
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ramen-edu baselines",
        description="RAMEN against the untrained encoder, a sentence-transformers fine-tune, No graph, AugGT and "
                    "a two-stage GCN (learned and oracle linker), seeds 0..N-1, with quantile, FN@k, zero-shot "
                    "and tail-case analyses. Resumable.")
    add_run_arguments(ap, "baselines", rows_help=f"only these rows (default all: {', '.join(ROWS)})")
    ap.add_argument("--gcn-set", default="category", help="anchor set the GCN links to (default category)")
    ap.add_argument("--gcn-k", type=int, default=5, help="anchors linked per document (default 5)")
    ap.add_argument("--auggt-max-added", type=int, default=2,
                    help="AugGT: at most this many labels added per document (default 2; -1 = no cap)")
    add_reference_arguments(ap)
    return ap


def cli_baselines(argv: list[str]) -> int:
    """``ramen-edu baselines``: train the rows × seeds, write baselines.json/.md, print the tables."""
    ap = _parser()
    args = ap.parse_args(argv)
    check_counts(ap, args)
    if args.gcn_k < 1:
        ap.error(f"--gcn-k must be ≥ 1, got {args.gcn_k}")
    rows = match_rows(ap, args.rows, ROWS) if args.rows else None
    config, dataset_name, profile_name = resolve_config(args.config, args.dataset, args.profile)
    dataset = load_dataset(dataset_name)
    if args.gcn_set not in dataset.anchors:
        ap.error(f"--gcn-set {args.gcn_set!r}: {dataset.name} has anchor sets {', '.join(dataset.anchors)}")
    out = Path(args.out) if args.out else default_out("baselines", dataset_name, profile_name)
    auggt = {"anchor_set": None, "via": "labels", "max_added": None if args.auggt_max_added < 0 else args.auggt_max_added}
    summary = run_baselines(dataset, config, seeds=args.seeds, out=out, rows=rows, gcn_set=args.gcn_set,
                            gcn_k=args.gcn_k, auggt=auggt, dataset_source=dataset_name, progress=not args.quiet,
                            st_epochs=args.st_epochs,
                            log=None if args.quiet else print,
                            info={"config_file": args.config, "profile": profile_name,
                                  "argv": ["ramen-edu", "baselines", *argv]})
    print((out / "baselines.md").read_text())
    print(f"written: {out / 'baselines.json'}, {out / 'baselines.md'} "
          f"({summary['trained_this_invocation']} run(s) trained now)")
    return 0


if __name__ == "__main__":
    sys.exit(cli_baselines(sys.argv[1:]))
