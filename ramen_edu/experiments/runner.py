"""The rows × seeds experiment runner that ``ramen-edu ablate`` (:mod:`ramen_edu.experiments.ablate`) and
``ramen-edu baselines`` (:mod:`ramen_edu.experiments.baselines`) share: run folders, the one
"finished" rule, scratch folders, the summary writers and the progress switch.

An experiment is a list of jobs, each one seed of one row (or of a few rows one training serves,
like the two GCN linkers), run seed-major so that a partial run already compares every row::

    OUT/runs/<row-slug>/seed<k>/run.json      the run record, written last: with its "test_metrics"
                                              it marks the run finished
    OUT/runs/<row-slug>/seed<k>/per_doc.npz   per-test-document P@k, nDCG@k, PSP@k (save_per_doc)
    OUT/runs/<row-slug>/seed<k>/...           files a command adds (baselines: ranks.npz, ...)
    OUT/.work/<row-slug>/seed<k>/             scratch: checkpoints and weights while a job runs
                                              (OUT/.work holds a .gitignore); removed after it

**Finished** (:func:`finished`, the one rule): the folder has run.json with "test_metrics" and
the command's other files, and the record's "config" equals the config wanted now. A field the
record lacks counts as its default (``TrainConfig``'s declared default, or the ``defaults``
given), so adding a field whose default keeps the old behaviour never invalidates old runs, and
a run made with a different value of any field is never reused: that raises ValueError naming
the folder and the fields. A field the record holds but the wanted config lacks (a field since
removed) is a difference too.

Only the run-record side of training is known here (``TrainConfig``'s defaults): the runner
imports ``ramen_edu.runinfo``, ``ramen_edu.settings``, ``ramen_edu.training.config`` and numpy,
never the trainer, so the commands above it stay light to import (``ramen-edu ablate -h``).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import io
import json
import math
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ramen_edu.runinfo import CHECKPOINT_FILE, RUN_FILE, atomic_write_bytes, atomic_write_text
from ramen_edu.settings import PROFILES, project_root

__all__ = ["COMPARED", "KS", "PER_DOC_FILE", "RUN_FILE", "RUNS_DIR", "WORK_DIR", "clean_scratch",
           "config_differences", "declared_defaults", "finished", "finished_seeds", "fresh_scratch",
           "hf_progress_bars", "json_safe", "load_per_doc", "match_rows", "only_methods", "prepare_scratch",
           "read_record", "run_dir", "run_jobs", "save_per_doc", "scratch_dir", "slug", "write_json",
           "write_markdown"]

PER_DOC_FILE = "per_doc.npz"
RUNS_DIR, WORK_DIR = "runs", ".work"
KS = (1, 3, 5)  # the cut-offs kept per document (Table 5 reports P@1, P@5, PSP@1, PSP@5)
#: the metrics every row is compared on (ablation.json, baselines.json)
COMPARED = ("P@1", "P@3", "P@5", "PSP@1", "PSP@3", "PSP@5")
_MISSING = object()


# --------------------------------------------------------------------------------------------
# the layout
# --------------------------------------------------------------------------------------------
def slug(row: str) -> str:
    """A folder name for a row: "No Doc graph" -> "no-doc-graph", "λ 0.03" -> "0-03"."""
    return re.sub(r"[^a-z0-9]+", "-", row.lower()).strip("-") or "row"


def run_dir(out: str | Path, row: str, seed: int) -> Path:
    """OUT/runs/<row-slug>/seed<seed>: what one (row, seed) keeps."""
    return Path(out) / RUNS_DIR / slug(row) / f"seed{seed}"


def scratch_dir(out: str | Path, row: str, seed: int) -> Path:
    """OUT/.work/<row-slug>/seed<seed>: where one (row, seed) trains (removed when it is kept)."""
    return Path(out) / WORK_DIR / slug(row) / f"seed{seed}"


def finished_seeds(out: str | Path, row: str, files: Sequence[str] = (PER_DOC_FILE,)) -> list[Path]:
    """The seed folders of ``row`` in ``out`` that hold run.json and ``files``, in seed order (a
    reader's view: no config check, which is :func:`finished`'s job when a command resumes)."""
    folders = [d for d in (Path(out) / RUNS_DIR / slug(row)).glob("seed*")
               if d.is_dir() and d.name[4:].isdigit()]
    return [d for d in sorted(folders, key=lambda d: int(d.name[4:]))
            if all((d / name).is_file() for name in (RUN_FILE, *files))]


# --------------------------------------------------------------------------------------------
# the one "finished" rule
# --------------------------------------------------------------------------------------------
def declared_defaults(cls) -> dict:
    """{field: default} of a config dataclass, JSON-normalised as a run record stores it (fields
    without a default are left out: a record lacking one differs)."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return _comparable(out)


@functools.lru_cache(maxsize=1)
def _train_defaults() -> dict:
    from ramen_edu.training.config import TrainConfig  # light (no torch); kept out of `-h`

    return declared_defaults(TrainConfig)


def _comparable(value):
    """A value as it reads back from run.json (tuples -> lists, paths -> strings, ...)."""
    return json.loads(json.dumps(value, default=str))


def config_differences(recorded: Mapping, wanted: Mapping, defaults: Mapping | None = None,
                       _prefix: str = "") -> list[str]:
    """The fields where a run record's config differs from the wanted one, sorted.

    recorded: run.json "config". wanted: the config the run must have (a ``TrainConfig.to_dict()``
    or a reference row's settings). defaults: what a field the record lacks counts as (default
    ``TrainConfig``'s declared defaults); a nested settings dict is compared field by field when
    ``defaults`` holds a dict for it (e.g. a reference row's "st_config" with ``STConfig``'s).
    A field the record lacks and that has no default differs, and so does a recorded field the
    wanted config lacks. Nested differences read "st_config.epochs".
    """
    defaults = _train_defaults() if defaults is None else defaults
    recorded, wanted = _comparable(dict(recorded)), _comparable(dict(wanted))
    diff = []
    for key in sorted(set(recorded) | set(wanted)):
        have = recorded.get(key, defaults.get(key, _MISSING))
        want = wanted.get(key, _MISSING)
        nested = defaults.get(key)
        if isinstance(have, dict) and isinstance(want, dict) and isinstance(nested, Mapping):
            diff += config_differences(have, want, nested, f"{_prefix}{key}.")
        elif have is _MISSING or want is _MISSING or have != want:
            diff.append(f"{_prefix}{key}")
    return diff


def read_record(path: str | Path) -> dict:
    """A run.json as a dict; a corrupt or non-object file raises ValueError naming it and the fix."""
    path = Path(path)
    hint = f"delete {path.parent} to run it again"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{path} is not valid JSON ({err}); {hint}") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path} should hold a run record (a JSON object), not {type(record).__name__}; {hint}")
    return record


def finished(folder: str | Path, config: Mapping, *, files: Sequence[str] = (PER_DOC_FILE,),
             identity: Mapping | None = None, defaults: Mapping | None = None) -> bool:
    """True when the run in ``folder`` is done with ``config``: run.json holds "test_metrics",
    ``files`` exist, and the record's "config" equals ``config`` (:func:`config_differences`,
    fields an older record lacks counting as ``defaults``). identity: further record fields
    that must be equal as they are (e.g. baselines' "baseline" settings).

    False when the run is not finished (it is run again). Raises ValueError naming the folder
    and the differing fields when it finished with another config: it is never silently reused
    nor silently overwritten (write into another --out, or delete that folder).
    """
    folder = Path(folder)
    if not all((folder / name).is_file() for name in (RUN_FILE, *files)):
        return False
    record = read_record(folder / RUN_FILE)
    if "test_metrics" not in record:
        return False
    diff = config_differences(record.get("config", {}), config, defaults)
    diff += [key for key, value in (identity or {}).items() if record.get(key) != _comparable(value)]
    if diff:
        raise ValueError(f"{folder} was made with a different config (fields {diff}); write into another "
                         "--out, or delete that folder to run it again")
    return True


# --------------------------------------------------------------------------------------------
# scratch folders
# --------------------------------------------------------------------------------------------
def fresh_scratch(work: str | Path) -> Path:
    """An empty ``work`` (OUT/.work/<row>/seed<s>), with a .gitignore in OUT/.work so scratch
    checkpoints never get committed."""
    work = Path(work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work.parent.parent / ".gitignore").write_text("*\n")
    return work


def prepare_scratch(work: str | Path, config) -> bool:
    """Make ``work`` ready for a training run of ``config`` (a TrainConfig); True = resume there.

    An interrupted run left its checkpoint and run.json in the scratch folder: continue it,
    unless it was started with another config (by :func:`config_differences`, the rule of
    :func:`finished`); then its checkpoint is useless and the folder starts empty.
    """
    work = Path(work)
    resume = False
    if (work / CHECKPOINT_FILE).is_file() and (work / RUN_FILE).is_file():
        with contextlib.suppress(ValueError):  # an unreadable record: start over
            resume = not config_differences(read_record(work / RUN_FILE).get("config", {}), config.to_dict())
    if not resume:
        fresh_scratch(work)
    return resume


def clean_scratch(out: str | Path, jobs: Iterable[tuple[str, int]]) -> None:
    """Remove the scratch folders of these (row, seed) jobs, then OUT/.work if nothing is left.

    Only these: another invocation with other --rows may be training into the same OUT right
    now, and its checkpoints are what it resumes from.
    """
    out = Path(out)
    jobs = list(jobs)
    for row, seed in jobs:
        shutil.rmtree(scratch_dir(out, row, seed), ignore_errors=True)
    for row in dict.fromkeys(r for r, _ in jobs):
        with contextlib.suppress(OSError):  # not empty: another invocation's seeds of this row
            (out / WORK_DIR / slug(row)).rmdir()
    scratch = out / WORK_DIR
    if scratch.is_dir() and not any(p.is_dir() and any(p.iterdir()) for p in scratch.iterdir()):
        shutil.rmtree(scratch, ignore_errors=True)  # nothing of anybody's left: no empty folders


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------
def run_jobs(out: str | Path, jobs: Sequence[tuple[Sequence[str], int]], *,
             done: Callable[[str, int], bool], make: Callable[[str, Sequence[str], int, Path, str], None],
             log: Callable[[str], object] | None = None) -> int:
    """Run every job whose rows are not all :func:`finished`; returns how many ran.

    jobs: (rows, seed) in order, rows being the rows one run makes (mostly one). done(row,
    seed): the command's :func:`finished` call for that run folder. make(row, rows, seed, work,
    prefix): makes and keeps the job's runs, ``work`` its scratch folder (that of ``rows[0]``),
    ``prefix`` "[i/n]" for its log lines. Afterwards the scratch folders of these jobs are
    removed (:func:`clean_scratch`). ``log`` gets one line per skipped job.
    """
    log = log or (lambda *a, **k: None)
    out = Path(out)
    n_made = 0
    for i, (rows, seed) in enumerate(jobs, 1):
        prefix = f"[{i}/{len(jobs)}]"
        if all(done(row, seed) for row in rows):
            log(f"{prefix} {' + '.join(rows)} · seed {seed}: done earlier, skipped")
            continue
        make(rows[0], rows, seed, scratch_dir(out, rows[0], seed), prefix)
        n_made += 1
    clean_scratch(out, [(row, seed) for rows, seed in jobs for row in rows])
    return n_made


# --------------------------------------------------------------------------------------------
# compact per-document scores
# --------------------------------------------------------------------------------------------
def save_per_doc(path: str | Path, per_doc: Mapping[str, np.ndarray], ks: Sequence[int] = KS) -> Path:
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


# --------------------------------------------------------------------------------------------
# the summary writers
# --------------------------------------------------------------------------------------------
def json_safe(obj):
    """NaN/inf -> None and numpy scalars -> Python, so a summary is strict JSON."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(path: str | Path, data) -> Path:
    """A run record or summary as strict JSON (indent 1, UTF-8), written atomically."""
    return atomic_write_text(path, json.dumps(json_safe(data), indent=1, ensure_ascii=False, default=str))


def write_markdown(path: str | Path, text: str) -> Path:
    """A summary's markdown tables, written atomically (a reader never sees half a table)."""
    return atomic_write_text(path, text)


def only_methods(result: dict, methods: Sequence[str]) -> dict:
    """A ``compare_methods`` result with only ``methods`` (in that order), for a focused table."""
    return {**result, "methods": {m: result["methods"][m] for m in methods}}


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def match_rows(ap: argparse.ArgumentParser, requested: Sequence[str], valid: Sequence[str], where: str = "") -> list[str]:
    """The rows named by ``--rows``, matched case-insensitively ("no graph" is "No graph"), in the
    order given, without repeats; an unknown name is a usage error listing the valid ones."""
    by_lower = {r.lower(): r for r in valid}
    unknown = [r for r in requested if r.lower() not in by_lower]
    if unknown:
        ap.error(f"--rows: unknown row(s) {unknown}; valid rows{where}: " + ", ".join(repr(r) for r in valid))
    return list(dict.fromkeys(by_lower[r.lower()] for r in requested))


def add_run_arguments(ap: argparse.ArgumentParser, command: str, *, rows_help: str) -> None:
    """The options every rows × seeds command starts with: ``--config``, ``--seeds``, ``--rows``
    (``rows_help`` says which), ``--out`` (default :func:`default_out` with ``command``),
    ``--dataset`` and ``--profile``."""
    ap.add_argument("--config", help="JSON file of TrainConfig fields (may name dataset and profile): "
                                     "the RAMEN recipe the rows start from")
    ap.add_argument("--seeds", type=int, default=3, help="train seeds 0..N-1 per row (default 3)")
    ap.add_argument("--rows", nargs="+", metavar="ROW", help=rows_help)
    ap.add_argument("--out", help=f"output folder (default: book/results/{command}-<dataset>-<profile>)")
    ap.add_argument("--dataset", help="catalog name (synthetic-default, wiki-seealso) or a dataset folder")
    ap.add_argument("--profile", choices=PROFILES, help="sizes to train at (default: active)")


def default_out(command: str, dataset_name: str, profile_name: str) -> Path:
    """``book/results/<command>-<dataset>-<profile>`` of the project: where ``--out`` defaults to."""
    return project_root() / "book" / "results" / f"{command}-{Path(dataset_name).name}-{profile_name}"


def add_reference_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every rows × seeds command ends with: ``--st-epochs`` (the ST fine-tune row's
    epochs) and ``--quiet``."""
    ap.add_argument("--st-epochs", type=int, default=1, metavar="N",
                    help="epochs of the 'ST fine-tune' row (default 1: one epoch of all-MiniLM-L6-v2 "
                         "takes ~4 min on 2 CPU cores; as many as the recipe's epochs is the fair "
                         "comparison where affordable)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars and no per-run lines")


def check_counts(ap: argparse.ArgumentParser, args) -> None:
    """Refuse ``--seeds`` or ``--st-epochs`` below 1 before anything loads (argparse's error line)."""
    for flag, value in (("--seeds", args.seeds), ("--st-epochs", args.st_epochs)):
        if value < 1:
            ap.error(f"{flag} must be ≥ 1, got {value}")


@contextlib.contextmanager
def hf_progress_bars(enabled: bool):
    """Silence transformers' own bars (saving a model prints one) when progress is off."""
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
