"""``ramen-edu ablate``: RAMEN's ablation (Table 5 of the paper), every row trained with N seeds.

    ramen-edu ablate --config configs/synthetic_smoke.json --seeds 3
    ramen-edu ablate --config configs/wiki_seealso_gpu.json --seeds 3 --rows RAMEN "No graph"

The table opens with what a user would run instead of RAMEN (``REFERENCE_ROWS``, not recipe
overrides; each has its own runner, ``reference_model``):

    Untrained        the encoder the recipe starts from, not trained at all (for "tiny-random",
                     a random tiny BERT seeded by the seed; for the bundled MiniLM, the same
                     model for every seed: evaluated once, its per-document scores reused)
    ST fine-tune     sentence-transformers' own trainer (MultipleNegativesRankingLoss,
                     ``ramen_edu.baselines.st_finetune``), --st-epochs epochs (default 1) with
                     the recipe's batch size, max_length and validation slice

Every other row is a set of ``TrainConfig`` overrides on the config file's recipe (``ablation_rows``):

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

The rows × seeds loop, the run folders and the scratch folders are those of
``ramen_edu.experiments.runner`` (shared with ``ramen-edu baselines``). Every (row, seed) trains in
a scratch folder (``OUT/.work/``, ignored by git; an interrupted run resumes from its last epoch's
checkpoint), then keeps only what the comparison needs::

    OUT/runs/<row>/seed<s>/run.json      the run record + "test_metrics" (test split, filters applied)
    OUT/runs/<row>/seed<s>/per_doc.npz   per-test-document P@k (uint8 hit counts, exact),
                                         nDCG@k and PSP@k (float32), k = 1, 3, 5
    OUT/ablation.json                    rows × seeds metrics, the comparisons of every row
                                         against "No graph", "RAMEN", "Untrained" and "ST
                                         fine-tune" (``ramen_edu.experiments.comparison``), configs,
                                         environment
    OUT/ablation.md                      the table (also printed)

The command is resumable: a finished (row, seed) is not trained again. Finished is the runner's
one rule (``experiments.runner.finished``): run.json with "test_metrics" and per_doc.npz exist,
and the recorded config equals the wanted one (``expected_config``: the row's TrainConfig, or a
reference row's ``reference_settings``), a field an older record lacks counting as its default
(``record_defaults``). A run made with another recipe raises: that needs another --out.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ramen_edu.experiments.comparison import compare_methods, format_comparison, per_document_scores, validation_scores
from ramen_edu.data.catalog import load_dataset
from ramen_edu.experiments.runner import (COMPARED, KS, PER_DOC_FILE, RUN_FILE, WORK_DIR, add_reference_arguments, add_run_arguments, check_counts,
                                         default_out,
                                         declared_defaults,
                                         finished, finished_seeds, fresh_scratch, hf_progress_bars, load_per_doc,
                                         match_rows, only_methods, prepare_scratch, read_record, run_dir, run_jobs,
                                         save_per_doc, write_json, write_markdown)
from ramen_edu.runinfo import environment
from ramen_edu.terms import Term
from ramen_edu.training.cli import resolve_config
from ramen_edu.training.config import TINY_ENCODER, TrainConfig

# load_per_doc, save_per_doc, match_rows, KS, COMPARED, RUN_FILE, PER_DOC_FILE and WORK_DIR are
# ramen_edu.experiments.runner's, importable from here as chapters and older scripts do
__all__ = ["ablation_rows", "cli_ablate", "expected_config", "load_per_doc", "load_row", "reference_model",
           "reference_settings", "require_extras", "run_ablation", "save_per_doc", "shared_untrained", "st_config_for",
           "BASELINE_ROW", "FULL_ROW", "HALVING_ROW", "REFERENCE_ROWS", "ST_ROW", "UNTRAINED_ROW"]

FULL_ROW = "RAMEN"
BASELINE_ROW = "No graph"
UNTRAINED_ROW = "Untrained"
ST_ROW = "ST fine-tune"
#: rows that are no TrainConfig override of the recipe but what a user would run instead of
#: RAMEN; first in every table, each compared against like "No graph" and "RAMEN" are
REFERENCE_ROWS = (UNTRAINED_ROW, ST_ROW)
HALVING_ROW = "Halving bandit"
_REFERENCE_TEXT = {UNTRAINED_ROW: "the encoder they start from, untrained",
                   ST_ROW: "a sentence-transformers fine-tune (MultipleNegativesRankingLoss)"}
TABLE_METRICS = ("P@1", "P@5", "PSP@1", "PSP@5")
TABLE_DELTAS = ("P@1", "PSP@1")


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
    "Halving bandit" tunes λ by successive halving over a grid instead (``bandits.LambdaHalving``).
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
        HALVING_ROW: {"bandit": True, "bandit_mode": "halving"},
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


def load_row(out: str | Path, row: str) -> list[dict[str, np.ndarray]]:
    """Per-document scores of every finished seed of one row of an ablation folder, seed order:
    the input ``comparison.compare_methods`` takes, also across two ablation folders (e.g. a
    recipe variant ablated into its own --out, compared with the main table's rows).
    Raises FileNotFoundError naming the folder when the row has no finished seed.
    Taught in: book/04_training.ipynb
    """
    folders = finished_seeds(out, row)
    if not folders:
        raise FileNotFoundError(f"{run_dir(out, row, 0).parent}: no finished seed of row {row!r} (run "
                                f"`ramen-edu ablate` with --out {out} --rows {row!r})")
    return [load_per_doc(f / PER_DOC_FILE) for f in folders]


# --------------------------------------------------------------------------------------------
# one (row, seed)
# --------------------------------------------------------------------------------------------
def _train_one(dataset, dataset_source: str, config: TrainConfig, row: str, overrides: dict,
               run_dir: Path, work: Path, progress: bool) -> None:
    from ramen_edu.training import trainer as trainer_module  # lazy: torch; keeps `ramen-edu ablate -h` light

    resume = prepare_scratch(work, config)
    # looked up on the module at call time, so a test can count the runs it trains
    with hf_progress_bars(progress):
        model = trainer_module.train(dataset, config, run_dir=work, resume=resume, progress=progress)
    per_doc = per_document_scores(model, dataset, ks=KS, k=config.eval_k)
    record = read_record(work / RUN_FILE)
    _keep_run(model, dataset, config, record, per_doc, run_dir, dataset_source,
              {"row": row, "overrides": overrides, "seed": config.seed})
    shutil.rmtree(work)  # the checkpoint and model weights are not kept


def _keep_run(model, dataset, config: TrainConfig, record: dict, per_doc: dict[str, np.ndarray],
              run_dir: Path, dataset_source: str, ablation: dict) -> None:
    """Write what a finished (row, seed) keeps: per_doc.npz, then run.json with its scores."""
    record["validation_metrics"] = validation_scores(model, dataset, config)
    record["dataset_source"] = dataset_source
    record["ablation"] = ablation
    # each value is the mean of its per-document vector: exactly RamenModel.evaluate's numbers
    record["test_metrics"] = {m: float(v.mean()) for m, v in per_doc.items()}
    run_dir.mkdir(parents=True, exist_ok=True)
    save_per_doc(run_dir / PER_DOC_FILE, per_doc)
    write_json(run_dir / RUN_FILE, record)  # last: its presence marks the run finished


# --------------------------------------------------------------------------------------------
# the reference rows: what a user would run instead of RAMEN
# --------------------------------------------------------------------------------------------
def st_config_for(config: TrainConfig, epochs: int = 1):
    """The "ST fine-tune" row's ``STConfig`` (``ramen_edu.baselines.st_finetune``) from a recipe.

    From the recipe: batch_size, max_length and val_fraction (so the same validation slice is
    held out of training); lr and warmup are sentence-transformers' defaults as STConfig keeps
    them; ``epochs`` is the row's own (``--st-epochs``). The model is the recipe's encoder when
    that names a model (None: the bundled all-MiniLM-L6-v2). For "tiny-random" (tests, CI) it
    is the bundled MiniLM all the same: the row is what a user would fine-tune instead of
    training RAMEN, and nobody fine-tunes a random tiny BERT.
    """
    from ramen_edu.baselines.st_finetune import STConfig  # the module is light; st_finetune imports the rest

    return STConfig(epochs=epochs, batch_size=config.batch_size, max_length=config.max_length,
                    val_fraction=config.val_fraction,
                    model=None if config.encoder == TINY_ENCODER else config.encoder)


def reference_settings(row: str, config: TrainConfig, *, st_epochs: int = 1) -> dict:
    """What defines one (reference row, seed) run: its run.json "config", compared field by field
    when a command resumes (a finished run made with other settings is not reused).

    row: one of ``REFERENCE_ROWS``. config: the recipe, with the run's seed.
    Untrained: the encoder, max_length and seed. ST fine-tune: the ``STConfig`` as a dict and
    the seed. Both: eval_k (labels retrieved per test document) and val_fraction (the slice
    the validation metrics are taken on).
    """
    common = {"seed": config.seed, "eval_k": config.eval_k, "val_fraction": config.val_fraction}
    if row == UNTRAINED_ROW:
        return {"row_kind": "untrained", "encoder": config.encoder, "max_length": config.max_length,
                **common}
    if row == ST_ROW:
        return {"row_kind": "st-finetune",
                "st_config": dataclasses.asdict(st_config_for(config, st_epochs)), **common}
    raise ValueError(f"row {row!r} is not a reference row; those are {', '.join(REFERENCE_ROWS)}")


def expected_config(row: str, config: TrainConfig, *, st_epochs: int = 1) -> dict:
    """What the run.json of (row, seed) must record as its "config" to count as finished: a
    reference row's ``reference_settings``, or the row's ``TrainConfig`` (config: the row's
    recipe with the run's seed) as a dict. Shared by ``ramen-edu ablate`` and ``ramen-edu baselines``.
    """
    return reference_settings(row, config, st_epochs=st_epochs) if row in REFERENCE_ROWS else config.to_dict()


def record_defaults() -> dict:
    """What a field an older run record lacks counts as (``experiments.runner.finished``):
    ``TrainConfig``'s declared defaults, and for a reference row's "st_config" ``STConfig``'s."""
    from ramen_edu.baselines.st_finetune import STConfig  # the module is light; st_finetune imports the rest

    return {**declared_defaults(TrainConfig), "st_config": declared_defaults(STConfig)}


def reference_model(row: str, dataset, config: TrainConfig, work: str | Path, *, st_epochs: int = 1,
                    progress: bool = False):
    """The model of one (reference row, seed), made in the scratch folder ``work`` (emptied
    first; nothing in it is needed afterwards). Returns (RamenModel, record).

    Untrained: ``trainer.build_encoder(config, device)``, the very encoder RAMEN's training of
    this seed starts from. ST fine-tune: ``st_finetune`` with ``st_config_for(config,
    st_epochs)`` and config.seed. The record says what was run: "kind", "method", the
    environment, "dataset", "config" (``reference_settings``), "st_config" for the fine-tune,
    and "wall_time_s" (making the model; scoring it is not counted). The caller scores the model
    by its own evaluation path, as it scores its trained rows (``ramen-edu ablate`` and
    ``ramen-edu baselines`` both do).
    Raises ImportError with the install hint for ST fine-tune without sentence-transformers.
    """
    started = time.time()
    settings = reference_settings(row, config, st_epochs=st_epochs)
    work = Path(work)
    fresh_scratch(work)
    if row == UNTRAINED_ROW:
        import torch  # lazy, like every torch import here: `ramen-edu ablate -h` stays light

        from ramen_edu.encoders import default_device
        from ramen_edu.training.model import RamenModel
        from ramen_edu.training.trainer import build_encoder

        device = torch.device(config.device) if config.device else default_device()
        model = RamenModel(build_encoder(config, device), list(dataset.label_texts), config=config)
        what = {"kind": "untrained encoder",
                "method": "the encoder the recipe starts from, scored without any training"}
    else:
        from ramen_edu.baselines.st_finetune import st_finetune

        st = st_config_for(config, st_epochs)
        with hf_progress_bars(progress):
            model = st_finetune(dataset, work, st, seed=config.seed, progress=progress)
        what = {"kind": "sentence-transformers fine-tune",
                "method": "SentenceTransformerTrainer, MultipleNegativesRankingLoss "
                          "(ramen_edu.baselines.st_finetune)",
                "st_config": dataclasses.asdict(st)}
    # "profile": the recipe's (its sizes), as the trainer records it, not the active one
    record = {**what, **environment(), "profile": config.profile, "dataset": dataset.summary(),
              "config": settings, "wall_time_s": round(time.time() - started, 1)}
    return model, record


def require_extras(rows: Sequence[str]) -> None:
    """Raise ImportError (the install hint) now when a chosen reference row needs a missing extra,
    not after the rows before it have trained; rows that are not chosen need nothing."""
    if ST_ROW in rows:
        from ramen_edu.baselines.st_finetune import require_st

        try:
            require_st()
        except ImportError as err:
            raise ImportError(f"row {ST_ROW!r}: {err} (or leave the row out with --rows)") from None


def shared_untrained(row: str, config: TrainConfig) -> bool:
    """True when every seed of ``row`` scores the same model: the untrained pre-trained encoder
    (only the random tiny BERT depends on the seed)."""
    return row == UNTRAINED_ROW and config.encoder != TINY_ENCODER


def _reference_one(dataset, dataset_source: str, config: TrainConfig, row: str, run_dir: Path,
                   work: Path, *, st_epochs: int, progress: bool, shared: dict) -> None:
    """One (reference row, seed) into ``run_dir``, like ``_train_one`` does a trained row.

    shared: {row: (model, per_doc, record, seed)} of this invocation. An untrained pre-trained
    encoder is the same model for every seed, so it is made and scored once; later seeds reuse
    its per-document scores (their record says "per_doc_reused_from_seed") and only take their
    own validation metrics (each seed holds out its own slice).
    """
    if shared_untrained(row, config) and row in shared:
        model, per_doc, first_record, first_seed = shared[row]
        # no model was made for this seed ("wall_time_s" counts making it, not scoring)
        record = {**first_record, "config": reference_settings(row, config), "wall_time_s": 0.0,
                  "per_doc_reused_from_seed": first_seed}
    else:
        model, record = reference_model(row, dataset, config, work, st_epochs=st_epochs, progress=progress)
        per_doc = per_document_scores(model, dataset, ks=KS, k=config.eval_k)
        if shared_untrained(row, config):
            shared[row] = (model, per_doc, dict(record), config.seed)
    _keep_run(model, dataset, config, record, per_doc, run_dir, dataset_source,
              {"row": row, "reference": record["config"]["row_kind"], "seed": config.seed})
    shutil.rmtree(work, ignore_errors=True)  # the fine-tuned weights are not kept


# --------------------------------------------------------------------------------------------
# the whole ablation
# --------------------------------------------------------------------------------------------
def _lambda_text(mean_lambda: dict[str, float]) -> str:
    """{"doc_label": 1.0, "doc_anchor:topic": .1, ...} -> "l 1.00 · x:topic 0.10 · ..."."""
    if not mean_lambda:
        return "–"
    short = {"doc_label": "l", "doc_anchor": "x", "label_anchor": "z"}
    parts = []
    for name, value in mean_lambda.items():
        term = Term.parse(name)
        parts.append(f"{short[term.side]}{f':{term.anchor_set}' if term.is_regularizer else ''} {value:.2f}")
    return " · ".join(parts)


def _validation_text(by_seed: dict) -> str:
    """Mean validation-slice P@1 over seeds, in percent ("–" for records without it)."""
    values = [m["P@1"] for m in by_seed.values() if m and "P@1" in m]
    return f"{100 * np.mean(values):.2f}" if values else "–"


def run_ablation(dataset, config: TrainConfig, *, seeds: int, out: str | Path,
                 rows: Sequence[str] | None = None, dataset_source: str | None = None,
                 progress: bool = True, log=print, info: dict | None = None,
                 lambdas: Sequence[float] = (), st_epochs: int = 1) -> dict:
    """Train every (row, seed) not yet in ``out``, then write ablation.json and ablation.md.

    dataset: an XCDataset. config: the RAMEN recipe the rows modify (regularize must be True).
    seeds: N, the seeds 0..N−1 (each replaces config.seed). rows: names among ``REFERENCE_ROWS``
    and ``ablation_rows(list(dataset.anchors))`` (default all of both). progress: the trainer's
    progress output; log: where one status line per (row, seed) goes (None: nowhere). info:
    extra facts for ablation.json (e.g. the config file). st_epochs: epochs of the "ST
    fine-tune" row (one epoch of all-MiniLM-L6-v2 takes ~4 min on 2 CPU cores; as many epochs as
    the recipe is the fair comparison where affordable). Returns the ablation.json content; its
    "table" is the markdown table.
    """

    log = log or (lambda *a, **k: None)
    if not config.regularize:
        raise ValueError("the config sets regularize=false (the no-graph baseline); the ablation "
                         "modifies the RAMEN recipe, so give a config that trains RAMEN (the "
                         "'No graph' row is added for you)")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be a positive integer (seeds 0..N-1), got {seeds!r}")
    if not isinstance(st_epochs, int) or isinstance(st_epochs, bool) or st_epochs < 1:
        raise ValueError(f"st_epochs (--st-epochs) must be a positive integer, got {st_epochs!r}")
    trained_rows = ablation_rows(list(dataset.anchors), bandit=config.bandit, lambdas=lambdas)
    all_rows = [*REFERENCE_ROWS, *trained_rows]  # the table's order: the alternatives first
    chosen = list(all_rows) if rows is None else list(rows)
    unknown = [r for r in chosen if r not in all_rows]
    if unknown:
        raise ValueError(f"unknown ablation row(s) {unknown}; valid rows for dataset "
                         f"{dataset.name!r}: {', '.join(all_rows)}")

    def run_config(row: str, seed: int) -> TrainConfig:
        return dataclasses.replace(config, **trained_rows.get(row, {}), seed=seed)

    def expected(row: str, seed: int) -> dict:
        return expected_config(row, run_config(row, seed), st_epochs=st_epochs)

    defaults = record_defaults()

    def done(row: str, seed: int) -> bool:
        """The runner's one "finished" rule; raises when the run was made with another config."""
        return finished(run_dir(out, row, seed), expected(row, seed), defaults=defaults)

    # every row's config is checked before the first training, not when its turn comes (a bad
    # --lambdas value used to fail after all the rows before it had trained)
    for row in chosen:
        try:
            expected(row, seeds - 1)
        except (TypeError, ValueError) as err:
            raise type(err)(f"ablation row {row!r} ({trained_rows.get(row, 'reference row')}): "
                            f"{err}") from None
    require_extras(chosen)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    shared: dict = {}  # the untrained pre-trained encoder, made and scored once (_reference_one)

    def make(row: str, _rows, seed: int, work: Path, prefix: str) -> None:
        t0, cfg, folder = time.time(), run_config(row, seed), run_dir(out, row, seed)
        if row in REFERENCE_ROWS:
            log(f"{prefix} {row} · seed {seed}: {'scoring' if row == UNTRAINED_ROW else 'fine-tuning'}")
            _reference_one(dataset, dataset_source or dataset.name, cfg, row, folder, work,
                           st_epochs=st_epochs, progress=progress, shared=shared)
        else:
            log(f"{prefix} {row} · seed {seed}: training")
            _train_one(dataset, dataset_source or dataset.name, cfg, row, trained_rows[row], folder,
                       work, progress)
        m = read_record(folder / RUN_FILE)["test_metrics"]
        log(f"{prefix} {row} · seed {seed}: P@1 {100 * m['P@1']:.2f} · "
            f"PSP@1 {100 * m['PSP@1']:.2f} · {time.time() - t0:.0f} s")

    # seed-major: a partial run already compares every row
    jobs = [((r,), s) for s in range(seeds) for r in chosen]
    n_trained = run_jobs(out, jobs, done=done, make=make, log=log)
    shared.clear()

    # the summary covers every row with finished seeds in 0..N−1, also those of earlier
    # invocations with other --rows, so ablating in pieces ends with the full table
    results: dict[str, dict] = {}
    per_doc: dict[str, list] = {}
    for row in all_rows:
        seeds_done = [s for s in range(seeds) if done(row, s)]
        if not seeds_done:
            continue
        records = {s: read_record(run_dir(out, row, s) / RUN_FILE) for s in seeds_done}
        per_doc[row] = [load_per_doc(run_dir(out, row, s) / PER_DOC_FILE) for s in seeds_done]
        lambdas = [r.get("final_lambda") or {} for r in records.values()]
        terms = [t for t in lambdas[0] if all(t in lam for lam in lambdas)] if lambdas else []
        results[row] = {
            # a reference row has no overrides: its "config_seed0" is its reference_settings
            **({"reference": records[seeds_done[0]]["config"]["row_kind"]} if row in REFERENCE_ROWS
               else {"overrides": trained_rows[row]}),
            "seeds": seeds_done,
            "test_metrics": {str(s): r["test_metrics"] for s, r in records.items()},
            "validation_metrics": {str(s): r.get("validation_metrics") for s, r in records.items()},
            "final_lambda": {str(s): r.get("final_lambda") for s, r in records.items()},
            "final_lambda_mean": {t: float(np.mean([lam[t] for lam in lambdas])) for t in terms},
            "wall_time_s": {str(s): r.get("wall_time_s") for s, r in records.items()},
            "config_seed0": expected(row, 0),
        }
    # every row against the no-graph baseline, against RAMEN, and against each alternative a user
    # would pick instead (so "RAMEN vs ST fine-tune" is comparison["vs ST fine-tune"]["methods"]["RAMEN"])
    comparisons = {}
    for base in (BASELINE_ROW, FULL_ROW, *REFERENCE_ROWS):
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
        for base in REFERENCE_ROWS:
            # RAMEN and No graph against the alternative; every row is in ablation.json
            shown = [r for r in (base, FULL_ROW, BASELINE_ROW) if r in per_doc]
            if f"vs {base}" in comparisons and len(shown) > 1:
                tables[f"vs {base}"] = format_comparison(only_methods(comparisons[f"vs {base}"], shown),
                                                         TABLE_METRICS, TABLE_DELTAS, method_header="row")
    env = environment()
    summary = {
        "kind": "ramen-edu ablation (RAMEN Table 5)",
        "dataset": dataset_source or dataset.name,
        "dataset_summary": dataset.summary(),
        "seeds": list(range(seeds)),
        "rows": results,
        "comparison": comparisons,
        "base_config": config.to_dict(),
        "row_overrides": trained_rows,
        "reference_rows": {r: expected(r, 0) for r in REFERENCE_ROWS},
        "st_epochs": st_epochs,
        "environment": env,
        "trained_this_invocation": n_trained,
        "wall_time_s": round(time.time() - started, 1),
        **({"info": info} if info else {}),
        "table": tables.get("vs No graph", ""),
    }
    write_json(out / "ablation.json", summary)
    write_markdown(out / "ablation.md", _markdown(summary, tables))
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
                  "Δ vs RAMEN: what removing each component costs (negative: the component helps); "
                  "for Untrained and ST fine-tune, what running them instead of RAMEN costs."]
    for base in REFERENCE_ROWS:
        if f"vs {base}" in tables:
            lines += ["", f"## Against {base}", "", tables[f"vs {base}"], "",
                      f"Δ vs {base}: what RAMEN and No graph gain over {_REFERENCE_TEXT[base]} "
                      "(every row's comparison is in ablation.json)."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ramen-edu ablate",
        description="RAMEN's ablation (Table 5): every row trained with seeds 0..N-1, beside what a "
                    "user would run instead ('Untrained', 'ST fine-tune'), compared against "
                    "'No graph', 'RAMEN' and those two (mean ± std over seeds, paired intervals "
                    "over test documents and over seeds). Resumable: finished (row, seed) runs "
                    "are skipped.")
    add_run_arguments(ap, "ablation",
                      rows_help="only these rows, e.g. --rows RAMEN 'No graph' Untrained (default: all, "
                                "'Untrained' and 'ST fine-tune' included; the summary still includes rows "
                                "finished earlier in --out)")
    ap.add_argument("--lambdas", nargs="+", type=float, metavar="λ",
                    help="add rows 'λ <value>' starting every λ_x, λ_z at these values (a fixed-λ "
                         "grid when the recipe's bandit is off; chosen on validation metrics)")
    add_reference_arguments(ap)
    return ap


def cli_ablate(argv: list[str]) -> int:
    """``ramen-edu ablate``: train the ablation rows × seeds, write ablation.json/.md, print the table."""
    ap = _parser()
    args = ap.parse_args(argv)
    check_counts(ap, args)

    config, dataset_name, profile_name = resolve_config(args.config, args.dataset, args.profile)
    dataset = load_dataset(dataset_name)
    valid = [*REFERENCE_ROWS, *ablation_rows(list(dataset.anchors), bandit=config.bandit,
                                             lambdas=args.lambdas or ())]
    rows = match_rows(ap, args.rows, valid, f" for {dataset.name}") if args.rows else None
    out = Path(args.out) if args.out else default_out("ablation", dataset_name, profile_name)
    info = {"config_file": args.config, "profile": profile_name, "argv": ["ramen-edu", "ablate", *argv]}
    summary = run_ablation(dataset, config, seeds=args.seeds, out=out, rows=rows,
                           dataset_source=dataset_name, progress=not args.quiet,
                           log=None if args.quiet else print, info=info, lambdas=args.lambdas or (),
                           st_epochs=args.st_epochs)
    print(f"\n{dataset.name}: ablation over seeds 0..{args.seeds - 1} "
          f"({summary['trained_this_invocation']} run(s) trained now)")
    print(summary["table"])
    print(f"\nwritten: {out / 'ablation.json'}, {out / 'ablation.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(cli_ablate(sys.argv[1:]))
