"""``ramen-edu ablate``: RAMEN's ablation (Table 5 of the paper), every row trained with N seeds.

    ramen-edu ablate --config configs/synthetic_smoke.json --seeds 3
    ramen-edu ablate --config configs/wiki_seealso_gpu.json --seeds 3 --rows RAMEN "No graph"

Each row is a set of ``TrainConfig`` overrides on the config file's recipe (``ablation_rows``):

    RAMEN            the recipe as it is
    No Bandit        bandit=False: λ stay at their initial values (recipes that tune λ online), or
    With Bandit      bandit=True: the paper's online tuning (recipes with fixed λ, as the book's)
    No Pruning       prune=False: the unpruned graphs throughout
    No Doc graph     doc_graph=False: only the label-side regularizers R_z
    No Label graph   label_graph=False: only the document-side regularizers R_x
    <set> only       anchor_sets=[set], one row per anchor set (when the dataset has several)
    λ <value>        lambda_regularizer=value, one row per --lambdas value (a fixed-λ grid)
    Scrambled graph  scramble_graph=True: every anchor graph's edges shuffled, degrees kept (ours:
                     a control — does the gain come from the edges or only from the anchor texts?)
    No graph         regularize=False: the no-graph baseline

Every (row, seed) trains in a scratch folder (``OUT/.work/``, ignored by git; an interrupted run
resumes from its last epoch's checkpoint), then keeps only what the comparison needs::

    OUT/runs/<row>/seed<s>/run.json      the run record + "test_metrics" (test split, filters applied)
    OUT/runs/<row>/seed<s>/per_doc.npz   per-test-document P@k (uint8 hit counts, exact),
                                         nDCG@k and PSP@k (float32), k = 1, 3, 5
    OUT/ablation.json                    rows × seeds metrics, the comparisons against "No graph"
                                         and against "RAMEN" (``ramen_edu.comparison``), configs,
                                         environment
    OUT/ablation.md                      the table (also printed)

The command is resumable: a (row, seed) whose run.json and per_doc.npz exist is not trained again
(its recorded config must match; a different recipe needs another --out).

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import math
import re
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ramen_edu.comparison import compare_methods, format_comparison, per_document_scores, validation_scores
from ramen_edu.config import PROFILES, project_root
from ramen_edu.data.catalog import load_dataset
from ramen_edu.runinfo import atomic_write_bytes, atomic_write_text, environment
from ramen_edu.training.cli import resolve_config
from ramen_edu.training.config import TrainConfig

__all__ = ["ablation_rows", "cli_ablate", "load_per_doc", "load_row", "run_ablation", "save_per_doc",
           "BASELINE_ROW", "FULL_ROW"]

FULL_ROW = "RAMEN"
BASELINE_ROW = "No graph"
KS = (1, 3, 5)  # the cut-offs kept per document (Table 5 reports P@1, P@5, PSP@1, PSP@5)
COMPARED = ("P@1", "P@3", "P@5", "PSP@1", "PSP@3", "PSP@5")
TABLE_METRICS = ("P@1", "P@5", "PSP@1", "PSP@5")
TABLE_DELTAS = ("P@1", "PSP@1")
RUN_FILE, PER_DOC_FILE, WORK_DIR = "run.json", "per_doc.npz", ".work"


# --------------------------------------------------------------------------------------------
# the rows
# --------------------------------------------------------------------------------------------
def ablation_rows(anchor_sets: Sequence[str], *, bandit: bool = True,
                  lambdas: Sequence[float] = ()) -> dict[str, dict]:
    """The rows of RAMEN's Table 5 as {row name: TrainConfig overrides}, in the table's order.

    anchor_sets: the dataset's anchor set names (``list(dataset.anchors)``). A "<set> only" row
    per set is added when there are at least two sets (with one, it would repeat "RAMEN").
    bandit: whether the recipe tunes λ with the bandit. If it does, the second row is "No Bandit"
    (fixed λ, Table 5); if it does not (the book recipe: validated fixed λ), it is "With Bandit"
    (the paper's online tuning added back), so the bandit is always measured against fixed λ.
    lambdas: extra rows "λ <value>" that start every λ_x, λ_z at that value — with the bandit
    off, a grid of fixed λ whose *validation-slice* metrics (run.json "validation_metrics")
    choose the recipe's λ.
    The last two rows are controls: "Scrambled graph" (RAMEN on graphs whose edges are shuffled,
    ``ramen_edu.graphs.shuffle_edges``: the same anchor texts and degrees, chance pairings) and
    "No graph" (the baseline every row is compared with).
    """
    rows: dict[str, dict] = {
        FULL_ROW: {},
        **({"No Bandit": {"bandit": False}} if bandit else {"With Bandit": {"bandit": True}}),
        "No Pruning": {"prune": False},
        "No Doc graph": {"doc_graph": False},
        "No Label graph": {"label_graph": False},
    }
    if len(anchor_sets) > 1:
        for name in anchor_sets:
            rows[f"{name} only"] = {"anchor_sets": [name]}
    for value in lambdas:
        rows[f"λ {value:g}"] = {"lambda_regularizer": float(value)}
    rows["Scrambled graph"] = {"scramble_graph": True}
    rows[BASELINE_ROW] = {"regularize": False}
    return rows


def _slug(row: str) -> str:
    """A folder name for a row: "No Doc graph" -> "no-doc-graph"."""
    return re.sub(r"[^a-z0-9]+", "-", row.lower()).strip("-") or "row"


# --------------------------------------------------------------------------------------------
# compact per-document scores
# --------------------------------------------------------------------------------------------
def save_per_doc(path: str | Path, per_doc: dict[str, np.ndarray], ks: Sequence[int] = KS) -> Path:
    """Write the per-document P@k, nDCG@k, PSP@k of one run as a compressed .npz (written atomically).

    P@k is stored as uint8 hit counts (P@k · k, exact); nDCG@k and PSP@k as float32 (relative
    error ≤ 6e-8, far below the 0.01 % the tables print). ``load_per_doc`` reads it back.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {"ks": np.asarray(ks, dtype=np.int64)}
    for k in ks:
        if not 1 <= k <= 255:
            raise ValueError(f"k={k}: hit counts are stored as uint8, so k must be in 1..255")
        hits = np.rint(np.asarray(per_doc[f"P@{k}"]) * k)
        arrays[f"P@{k}"] = hits.astype(np.uint8)
        for family in ("nDCG", "PSP"):
            if f"{family}@{k}" in per_doc:
                arrays[f"{family}@{k}"] = np.asarray(per_doc[f"{family}@{k}"], dtype=np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return atomic_write_bytes(path, buffer.getvalue())  # never a half-written file that looks finished


def load_per_doc(path: str | Path) -> dict[str, np.ndarray]:
    """{metric: float64 (n_docs,)} from a file written by ``save_per_doc`` (P@k exactly as scored)."""
    with np.load(Path(path)) as z:
        ks = [int(k) for k in z["ks"]]
        out = {}
        for family in ("P", "nDCG", "PSP"):
            for k in ks:
                key = f"{family}@{k}"
                if key in z.files:
                    v = z[key].astype(np.float64)
                    out[key] = v / k if family == "P" else v  # the same division metrics does
    return out


def load_row(out: str | Path, row: str) -> list[dict[str, np.ndarray]]:
    """Per-document scores of every finished seed of one row of an ablation folder, seed order:
    the input ``comparison.compare_methods`` takes, also across two ablation folders (e.g. a
    recipe variant ablated into its own --out, compared with the main table's rows).
    Raises FileNotFoundError naming the folder when the row has no finished seed.
    Taught in: book/04_training.ipynb
    """
    folder = Path(out) / "runs" / _slug(row)
    files = sorted(folder.glob(f"seed*/{PER_DOC_FILE}"), key=lambda f: int(f.parent.name[4:]))
    files = [f for f in files if (f.parent / RUN_FILE).is_file()]
    if not files:
        raise FileNotFoundError(f"{folder}: no finished seed of row {row!r} (run `ramen-edu ablate` "
                                f"with --out {out} --rows {row!r})")
    return [load_per_doc(f) for f in files]


# --------------------------------------------------------------------------------------------
# one (row, seed)
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _hf_progress_bars(enabled: bool):
    """Silence transformers' own bars (saving the model prints one) when progress is off."""
    try:  # lazy: transformers is heavy and `ramen-edu ablate -h` must not import it
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers is a dependency of training
        yield
        return
    was = hf_logging.is_progress_bar_enabled()
    if not enabled:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was and not enabled:
            hf_logging.enable_progress_bar()


def _json_safe(obj):
    """NaN/inf -> None and numpy scalars -> Python, so ablation.json is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(_json_safe(data), indent=1, ensure_ascii=False, default=str))


def _comparable(config: dict) -> dict:
    return json.loads(json.dumps(config, default=str))


def _config_mismatch(recorded: dict, expected: dict) -> list[str]:
    """Fields whose recorded value differs (fields the older record lacks are not counted)."""
    expected = _comparable(expected)
    return sorted(k for k in expected if k in recorded and recorded[k] != expected[k])


def _finished(run_dir: Path, expected: dict) -> bool:
    """True when (row, seed) is done; raises when it was done with another recipe."""
    record_file = run_dir / RUN_FILE
    if not (record_file.is_file() and (run_dir / PER_DOC_FILE).is_file()):
        return False
    record = json.loads(record_file.read_text())
    if "test_metrics" not in record:
        return False
    diff = _config_mismatch(record.get("config", {}), expected)
    if diff:
        raise ValueError(f"{run_dir} was trained with a different config (fields {diff}); "
                         "ablate into another --out, or delete that folder to retrain it")
    return True


def prepare_scratch(work: Path, config: TrainConfig) -> bool:
    """Make ``work`` (OUT/.work/<row>/seed<s>) ready for a training run; True = resume there.

    An interrupted run left its checkpoint in the scratch folder: continue it, unless it was
    started with another recipe (then its checkpoint is useless and goes). ``OUT/.work`` gets a
    .gitignore, so scratch checkpoints never get committed.
    """
    resume = False
    if (work / "checkpoint.pt").is_file() and (work / RUN_FILE).is_file():
        recorded = json.loads((work / RUN_FILE).read_text()).get("config", {})
        resume = not _config_mismatch(recorded, config.to_dict())
    if not resume and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work.parent.parent / ".gitignore").write_text("*\n")
    return resume


def _train_one(dataset, dataset_source: str, config: TrainConfig, row: str, overrides: dict,
               run_dir: Path, work: Path, progress: bool) -> None:
    from ramen_edu.training import trainer as trainer_module  # lazy: torch; keeps `ramen-edu ablate -h` light

    resume = prepare_scratch(work, config)
    # looked up on the module at call time, so a test can count the runs it trains
    with _hf_progress_bars(progress):
        model = trainer_module.train(dataset, config, run_dir=work, resume=resume, progress=progress)
    per_doc = per_document_scores(model, dataset, ks=KS, k=config.eval_k)
    record = json.loads((work / RUN_FILE).read_text())
    record["validation_metrics"] = validation_scores(model, dataset, config)
    record["dataset_source"] = dataset_source
    record["ablation"] = {"row": row, "overrides": overrides, "seed": config.seed}
    # each value is the mean of its per-document vector: exactly RamenModel.evaluate's numbers
    record["test_metrics"] = {m: float(v.mean()) for m, v in per_doc.items()}
    run_dir.mkdir(parents=True, exist_ok=True)
    save_per_doc(run_dir / PER_DOC_FILE, per_doc)
    _write_json(run_dir / RUN_FILE, record)  # last: its presence marks the run finished
    shutil.rmtree(work)  # the checkpoint and model weights are not kept


# --------------------------------------------------------------------------------------------
# the whole ablation
# --------------------------------------------------------------------------------------------
def _lambda_text(mean_lambda: dict[str, float]) -> str:
    """{"doc_label": 1.0, "doc_anchor:topic": .1, ...} -> "l 1.00 · x:topic 0.10 · ..."."""
    if not mean_lambda:
        return "–"
    short = {"doc_label": "l", "doc_anchor": "x", "label_anchor": "z"}
    parts = []
    for term, value in mean_lambda.items():
        side, _, anchor = term.partition(":")
        name = short.get(side, side) + (f":{anchor}" if anchor else "")
        parts.append(f"{name} {value:.2f}")
    return " · ".join(parts)


def _validation_text(by_seed: dict) -> str:
    """Mean validation-slice P@1 over seeds, in percent ("–" for records without it)."""
    values = [m["P@1"] for m in by_seed.values() if m and "P@1" in m]
    return f"{100 * np.mean(values):.2f}" if values else "–"


def run_ablation(dataset, config: TrainConfig, *, seeds: int, out: str | Path,
                 rows: Sequence[str] | None = None, dataset_source: str | None = None,
                 progress: bool = True, log=print, info: dict | None = None,
                 lambdas: Sequence[float] = ()) -> dict:
    """Train every (row, seed) not yet in ``out``, then write ablation.json and ablation.md.

    dataset: an XCDataset. config: the RAMEN recipe the rows modify (regularize must be True).
    seeds: N, the seeds 0..N−1 (each replaces config.seed). rows: row names of
    ``ablation_rows(list(dataset.anchors))`` (default all). progress: the trainer's progress
    output; log: where one status line per (row, seed) goes (None: nowhere). info: extra facts for
    ablation.json (e.g. the config file). Returns the ablation.json content; its "table" is the
    markdown table.
    """

    log = log or (lambda *a, **k: None)
    if not config.regularize:
        raise ValueError("the config sets regularize=false (the no-graph baseline); the ablation "
                         "modifies the RAMEN recipe, so give a config that trains RAMEN (the "
                         "'No graph' row is added for you)")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be a positive integer (seeds 0..N-1), got {seeds!r}")
    all_rows = ablation_rows(list(dataset.anchors), bandit=config.bandit, lambdas=lambdas)
    chosen = list(all_rows) if rows is None else list(rows)
    unknown = [r for r in chosen if r not in all_rows]
    if unknown:
        raise ValueError(f"unknown ablation row(s) {unknown}; valid rows for dataset "
                         f"{dataset.name!r}: {', '.join(all_rows)}")

    def run_config(row: str, seed: int) -> TrainConfig:
        return dataclasses.replace(config, **all_rows[row], seed=seed)

    # every row's config is checked before the first training, not when its turn comes (a bad
    # --lambdas value used to fail after all the rows before it had trained)
    for row in chosen:
        try:
            run_config(row, seeds - 1)
        except (TypeError, ValueError) as err:
            raise type(err)(f"ablation row {row!r} ({all_rows[row]}): {err}") from None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    todo = [(r, s) for s in range(seeds) for r in chosen]  # seed-major: a partial run already compares every row
    n_trained = 0
    for i, (row, seed) in enumerate(todo, 1):
        cfg = run_config(row, seed)
        run_dir = out / "runs" / _slug(row) / f"seed{seed}"
        if _finished(run_dir, cfg.to_dict()):
            log(f"[{i}/{len(todo)}] {row} · seed {seed}: done earlier, skipped")
            continue
        t0 = time.time()
        log(f"[{i}/{len(todo)}] {row} · seed {seed}: training")
        _train_one(dataset, dataset_source or dataset.name, cfg, row, all_rows[row], run_dir,
                   out / WORK_DIR / _slug(row) / f"seed{seed}", progress)
        n_trained += 1
        m = json.loads((run_dir / RUN_FILE).read_text())["test_metrics"]
        log(f"[{i}/{len(todo)}] {row} · seed {seed}: P@1 {100 * m['P@1']:.2f} · "
            f"PSP@1 {100 * m['PSP@1']:.2f} · {time.time() - t0:.0f} s")
    shutil.rmtree(out / WORK_DIR, ignore_errors=True)

    # the summary covers every row with finished seeds in 0..N−1, also those of earlier
    # invocations with other --rows, so ablating in pieces ends with the full table
    results: dict[str, dict] = {}
    per_doc: dict[str, list] = {}
    for row in all_rows:
        done = [s for s in range(seeds)
                if _finished(out / "runs" / _slug(row) / f"seed{s}", run_config(row, s).to_dict())]
        if not done:
            continue
        records = {s: json.loads((out / "runs" / _slug(row) / f"seed{s}" / RUN_FILE).read_text())
                   for s in done}
        per_doc[row] = [load_per_doc(out / "runs" / _slug(row) / f"seed{s}" / PER_DOC_FILE) for s in done]
        lambdas = [r.get("final_lambda") or {} for r in records.values()]
        terms = [t for t in lambdas[0] if all(t in lam for lam in lambdas)] if lambdas else []
        results[row] = {
            "overrides": all_rows[row],
            "seeds": done,
            "test_metrics": {str(s): r["test_metrics"] for s, r in records.items()},
            "validation_metrics": {str(s): r.get("validation_metrics") for s, r in records.items()},
            "final_lambda": {str(s): r.get("final_lambda") for s, r in records.items()},
            "final_lambda_mean": {t: float(np.mean([lam[t] for lam in lambdas])) for t in terms},
            "wall_time_s": {str(s): r.get("wall_time_s") for s, r in records.items()},
            "config_seed0": run_config(row, 0).to_dict(),
        }
    comparisons = {}
    for base in (BASELINE_ROW, FULL_ROW):
        if base in per_doc:
            comparisons[f"vs {base}"] = compare_methods(per_doc, base, metrics=COMPARED)
    lam = {row: {"val P@1": _validation_text(r["validation_metrics"]),
                 "λ at end (mean over seeds)": _lambda_text(r["final_lambda_mean"])}
           for row, r in results.items()}
    tables = {}
    if per_doc:
        # mean ± std columns from whichever comparison exists; Δ columns only against No graph
        main = comparisons.get(f"vs {BASELINE_ROW}") or compare_methods(
            per_doc, next(iter(per_doc)), metrics=COMPARED)
        deltas = TABLE_DELTAS if f"vs {BASELINE_ROW}" in comparisons else ()
        tables["vs No graph"] = format_comparison(main, TABLE_METRICS, deltas, extra=lam, method_header="row")
        if f"vs {FULL_ROW}" in comparisons:
            tables["vs RAMEN"] = format_comparison(comparisons[f"vs {FULL_ROW}"], TABLE_METRICS,
                                                   TABLE_DELTAS, method_header="row")
    env = environment()
    summary = {
        "kind": "ramen-edu ablation (RAMEN Table 5)",
        "dataset": dataset_source or dataset.name,
        "dataset_summary": dataset.summary(),
        "seeds": list(range(seeds)),
        "rows": results,
        "comparison": comparisons,
        "base_config": config.to_dict(),
        "row_overrides": all_rows,
        "environment": env,
        "trained_this_invocation": n_trained,
        "wall_time_s": round(time.time() - started, 1),
        **({"info": info} if info else {}),
        "table": tables.get("vs No graph", ""),
    }
    _write_json(out / "ablation.json", summary)
    (out / "ablation.md").write_text(_markdown(summary, tables))
    return summary


def _markdown(summary: dict, tables: dict[str, str]) -> str:
    env = summary["environment"]
    n_docs = next(iter(summary["comparison"].values()))["n_docs"] if summary["comparison"] else "?"
    lines = [
        f"# Ablation (RAMEN Table 5) · {summary['dataset']}",
        "",
        f"Seeds {summary['seeds'][0]}–{summary['seeds'][-1]} per row · profile "
        f"{summary.get('info', {}).get('profile', env['profile'])} · commit {env['git_commit']} · "
        f"{env['device']} · {n_docs} test documents (filters applied). Written by `ramen-edu ablate`; "
        "the numbers behind it are in ablation.json.",
        "",
        tables.get("vs No graph", "(no finished runs)"),
        "",
        "Values in percent. P@k, PSP@k: mean ± std over training seeds (std with ddof 1). "
        "Δ vs No graph: the paired difference over test documents — per document, the mean over "
        "seeds of the row minus that of No graph — as mean ± 1.96·sd/√n (95 % normal interval); "
        "\\* marks an interval that excludes 0. λ at end: the run record's `final_lambda`, mean "
        "over seeds (l = λ of the document–label term, x:S and z:S = document- and label-side λ "
        "of anchor set S).",
    ]
    if "vs RAMEN" in tables:
        lines += ["", "## Against RAMEN", "", tables["vs RAMEN"], "",
                  "Δ vs RAMEN: what removing each component costs (negative: the component helps)."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ramen-edu ablate",
        description="RAMEN's ablation (Table 5): every row trained with seeds 0..N-1, compared "
                    "against 'No graph' and 'RAMEN' (mean ± std over seeds, paired interval over "
                    "test documents). Resumable: finished (row, seed) runs are skipped.")
    ap.add_argument("--config", help="JSON file of TrainConfig fields (may name dataset and profile): "
                                     "the RAMEN recipe the rows modify")
    ap.add_argument("--seeds", type=int, default=3, help="train seeds 0..N-1 per row (default 3)")
    ap.add_argument("--rows", nargs="+", metavar="ROW",
                    help="only these rows, e.g. --rows RAMEN 'No graph' (default: all; the "
                         "summary still includes rows finished earlier in --out)")
    ap.add_argument("--out", help="output folder (default: book/results/ablation-<dataset>-<profile>)")
    ap.add_argument("--dataset", help="catalog name (synthetic-default, wiki-seealso) or a dataset folder")
    ap.add_argument("--profile", choices=PROFILES, help="sizes to train at (default: active)")
    ap.add_argument("--lambdas", nargs="+", type=float, metavar="λ",
                    help="add rows 'λ <value>' starting every λ_x, λ_z at these values (a fixed-λ "
                         "grid when the recipe's bandit is off; chosen on validation metrics)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars and no per-run lines")
    return ap


def match_rows(ap: argparse.ArgumentParser, requested: Sequence[str], valid: Sequence[str], where: str = "") -> list[str]:
    """The rows named by ``--rows``, matched case-insensitively ("no graph" is "No graph"), in the
    order given, without repeats; an unknown name is a usage error listing the valid ones."""
    by_lower = {r.lower(): r for r in valid}
    unknown = [r for r in requested if r.lower() not in by_lower]
    if unknown:
        ap.error(f"--rows: unknown row(s) {unknown}; valid rows{where}: " + ", ".join(repr(r) for r in valid))
    return list(dict.fromkeys(by_lower[r.lower()] for r in requested))


def cli_ablate(argv: list[str]) -> int:
    """``ramen-edu ablate``: train the ablation rows × seeds, write ablation.json/.md, print the table."""
    ap = _parser()
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error(f"--seeds must be ≥ 1, got {args.seeds}")

    config, dataset_name, profile_name = resolve_config(args.config, args.dataset, args.profile)
    dataset = load_dataset(dataset_name)
    valid = ablation_rows(list(dataset.anchors), bandit=config.bandit, lambdas=args.lambdas or ())
    rows = match_rows(ap, args.rows, valid, f" for {dataset.name}") if args.rows else None
    stem = Path(dataset_name).name
    out = Path(args.out) if args.out else project_root() / "book" / "results" / f"ablation-{stem}-{profile_name}"
    info = {"config_file": args.config, "profile": profile_name, "argv": ["ramen-edu", "ablate", *argv]}
    summary = run_ablation(dataset, config, seeds=args.seeds, out=out, rows=rows,
                           dataset_source=dataset_name, progress=not args.quiet,
                           log=None if args.quiet else print, info=info, lambdas=args.lambdas or ())
    print(f"\n{dataset.name}: ablation over seeds 0..{args.seeds - 1} "
          f"({summary['trained_this_invocation']} run(s) trained now)")
    print(summary["table"])
    print(f"\nwritten: {out / 'ablation.json'}, {out / 'ablation.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(cli_ablate(sys.argv[1:]))
