"""``ramen-edu train | evaluate | predict``: the training API on the command line.

    ramen-edu train --dataset synthetic-default --profile smoke      # RAMEN
    ramen-edu train --config configs/wiki_cpu.json --no-graph        # the no-graph baseline
    ramen-edu evaluate [RUN_DIR]                                     # metrics on the test split
    ramen-edu predict "Clade" "Phylogenetics" -k 5 [--model RUN_DIR]

A run folder holds ``checkpoint.pt`` (every epoch), ``run.json`` (the run record) and
``model/`` (the trained model). ``evaluate`` and ``predict`` default to the latest run. One
``train`` writes a run folder at a time (a second one fails at once, ``runinfo.lock_folder``),
and ``train`` never starts over in a folder that holds a finished or interrupted run unless
told: ``--resume`` continues it, ``--force`` deletes its run files and trains anew.
``torchrun --nproc_per_node=N -m ramen_edu.cli train ...`` trains with DistributedDataParallel.

Options are parsed before torch is imported (``-h`` answers at once); errors are raised and
turned into one line by :func:`ramen_edu.cli.main`.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ramen_edu.runinfo import CHECKPOINT_FILE, LATEST_FILE, MODEL_DIR, RUN_FILE
from ramen_edu.settings import PROFILES
from ramen_edu.training.config import TrainConfig, read_config_file


def runs_dir() -> Path:
    """Where runs go by default: ``<cache_dir>/runs``."""
    from ramen_edu.settings import cache_dir

    return cache_dir() / "runs"


def _latest_run() -> Path:
    pointer = runs_dir() / LATEST_FILE
    if not pointer.is_file():
        raise FileNotFoundError(f"no run given and no latest run recorded in {pointer}: "
                                "train one first (`ramen-edu train --profile smoke`) or pass a run folder")
    try:
        latest = pointer.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        latest = ""
    if not latest:  # Path("") is ".", the current folder: never what an empty pointer meant
        raise ValueError(f"{pointer} is empty or not UTF-8 text (it should hold the latest run folder's "
                         "path): pass a run folder, or train again to rewrite it")
    return Path(latest)


def _run_record(run: Path) -> dict:
    """The run record ``run/run.json`` (a JSON object); errors name the file."""
    from ramen_edu.runinfo import read_json

    return read_json(run / RUN_FILE, dict, "a JSON object (the run record)",
                     hint="pass --dataset NAME, or train the run again")


def _model_dir(path: str | None) -> tuple[Path, Path | None]:
    """(model folder, run folder or None) for a run folder, a model folder, or None (latest)."""
    from ramen_edu.training.model import MODEL_FILE

    p = Path(path) if path else _latest_run()
    if (p / MODEL_DIR / MODEL_FILE).is_file():
        return p / MODEL_DIR, p
    if (p / MODEL_FILE).is_file():
        return p, (p.parent if (p.parent / RUN_FILE).is_file() else None)
    raise FileNotFoundError(f"{p} holds no trained model (expected {p / MODEL_DIR / MODEL_FILE}); "
                            "a run folder gets its model/ when training finishes")


def resolve_config(config_file: str | None, dataset: str | None, profile: str | None,
                   overrides: dict | None = None) -> tuple[TrainConfig, str, str]:
    """(TrainConfig, dataset name, profile name) from the ``--config/--dataset/--profile`` options.

    The profile is the command line's, else the config file's, else the active one, and the
    config has that profile's sizes: the name returned (and the run folder named after it)
    always says what was trained. config_file: JSON of TrainConfig fields that may name
    ``dataset``, ``profile`` and ``recipe`` (see :meth:`TrainConfig.from_json`, which merges
    the file's fields with the profile); the command line's dataset wins over the file's.
    Default dataset: "synthetic-default". overrides: TrainConfig fields replaced last (e.g.
    {"seed": 3}). Shared by ``train`` and ``ablate``.
    """
    import dataclasses

    from ramen_edu.settings import profile as active_profile

    file = read_config_file(config_file) if config_file else {}
    # from_json alone would give a file that names no profile the paper's full sizes, while
    # `ramen-edu train` without --config trains at the active profile; pass the name so both agree
    profile_name = profile or file.get("profile") or active_profile().name
    dataset_name = dataset or file.get("dataset") or "synthetic-default"
    if config_file:
        config = TrainConfig.from_mapping(file, source=str(config_file), profile=profile_name)
        config = dataclasses.replace(config, **(overrides or {}))
    else:
        config = TrainConfig.for_profile(profile_name, **(overrides or {}))
    return config, str(dataset_name), profile_name


def _train_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ramen-edu train", description="Train RAMEN (or the no-graph baseline).")
    ap.add_argument("--config", help="JSON file of TrainConfig fields (may also name dataset and profile)")
    ap.add_argument("--dataset", help="catalog name (synthetic-default, wiki-seealso) or a dataset folder")
    ap.add_argument("--profile", choices=PROFILES,
                    help="sizes to train at (default: the config file's, else the active profile)")
    ap.add_argument("--out", help="run folder (default: <cache>/runs/<dataset>-<profile>[-no-graph])")
    ap.add_argument("--no-graph", action="store_true", help="λ_x = λ_z = 0: the no-graph baseline")
    ap.add_argument("--resume", action="store_true", help="continue exactly from the run folder's checkpoint")
    ap.add_argument("--force", action="store_true",
                    help="train anew in a run folder that holds a finished or interrupted run (deletes its run files)")
    ap.add_argument("--epochs", type=int, help="override the number of epochs")
    ap.add_argument("--batch-size", type=int, help="override the global batch size")
    ap.add_argument("--encoder", help="HF model name/path, or 'tiny-random' (default: bundled MiniLM)")
    ap.add_argument("--seed", type=int, help="override the seed")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    return ap


def cli_train(argv: list[str]) -> int:
    """``ramen-edu train``: train, save the run folder, print test metrics. Returns the exit code."""
    ap = _train_parser()
    args = ap.parse_args(argv)
    if args.resume and args.force:
        ap.error("--resume continues the run in the folder and --force deletes it: give one")
    from ramen_edu.data.catalog import load_dataset
    from ramen_edu.metrics import format_table
    from ramen_edu.runinfo import atomic_write_text, lock_folder
    from ramen_edu.training.trainer import Trainer

    overrides = {k: v for k, v in (("epochs", args.epochs), ("batch_size", args.batch_size),
                                   ("encoder", args.encoder), ("seed", args.seed)) if v is not None}
    if args.no_graph:
        overrides["regularize"] = False
    config, dataset_name, profile_name = resolve_config(args.config, args.dataset, args.profile, overrides)

    dataset = load_dataset(dataset_name)
    stem = Path(str(dataset_name)).name
    out = Path(args.out) if args.out else runs_dir() / f"{stem}-{profile_name}{'' if config.regularize else '-no-graph'}"
    # the lock first (the trainer takes it again, re-entrantly), so that checking and clearing
    # the folder cannot race another `train` into it
    with lock_folder(out, what="run folder"):
        if not args.resume:
            _clear_run_folder(out, force=args.force)
        with Trainer(dataset, config, run_dir=out, resume=args.resume, progress=not args.quiet) as trainer:
            model = trainer.fit()
            if not trainer.info.is_main:
                return 0
            metrics = model.evaluate(dataset, k=config.eval_k)
            trainer.write_record(extra={"dataset_source": str(dataset_name), "test_metrics": metrics})
    atomic_write_text(runs_dir() / LATEST_FILE, str(out.resolve()))
    name = "RAMEN" if config.regularize else "no-graph baseline"
    print(f"\n{dataset.name}: test metrics ({dataset.n_test} documents, filters applied)")
    print(format_table({name: {k: metrics[k] for k in ("P@1", "P@3", "P@5", "nDCG@5", "PSP@1", "PSP@5")}}))
    print(f"run folder: {out}")
    return 0


def _clear_run_folder(out: Path, *, force: bool) -> None:
    """Before a fresh run in ``out``: refuse (or, with ``force``, delete) the files of a run
    already there, so a finished run is never overwritten by accident."""
    import shutil

    finished = (out / MODEL_DIR).exists()
    found = [f for f in (MODEL_DIR, CHECKPOINT_FILE, RUN_FILE) if (out / f).exists()]
    if not found:
        return
    if not force:
        what = "a finished run (model/)" if finished else f"an interrupted run ({', '.join(found)})"
        raise FileExistsError(f"{out} holds {what}: pass --resume to continue it, --force to delete it "
                              "and train anew, or choose another --out")
    for f in found:
        target = out / f
        shutil.rmtree(target) if target.is_dir() else target.unlink()


def cli_evaluate(argv: list[str]) -> int:
    """``ramen-edu evaluate [RUN] [--dataset NAME]``: test metrics of a saved model."""
    ap = argparse.ArgumentParser(prog="ramen-edu evaluate", description="Metrics of a trained model.")
    ap.add_argument("run", nargs="?", help="run folder or model folder (default: the latest run)")
    ap.add_argument("--dataset", help="dataset to score on (default: the one the run trained on)")
    ap.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = ap.parse_args(argv)
    from ramen_edu.data.catalog import load_dataset
    from ramen_edu.metrics import format_table
    from ramen_edu.training.model import RamenModel

    model_dir, run = _model_dir(args.run)
    name = args.dataset
    if name is None and run is not None:
        name = _run_record(run).get("dataset_source")
    if name is None:
        print("ramen-edu evaluate: which dataset? pass --dataset NAME", file=sys.stderr)
        return 2
    model = RamenModel.load(model_dir)
    dataset = load_dataset(name)
    metrics = model.evaluate(dataset)
    if args.json:
        print(json.dumps(metrics, indent=1))
    else:
        print(f"{dataset.name}: {dataset.n_test} test documents, model {model_dir}")
        print(format_table({"model": metrics}))
    return 0


def cli_predict(argv: list[str]) -> int:
    """``ramen-edu predict TEXT [TEXT ...] [-k K] [--model RUN]``: top-k labels for new texts."""
    ap = argparse.ArgumentParser(prog="ramen-edu predict", description="Top-k labels for new texts.")
    ap.add_argument("texts", nargs="+", help="document texts, e.g. 'Clade'")
    ap.add_argument("-k", type=int, default=5, help="labels per text (default 5)")
    ap.add_argument("--model", help="run folder or model folder (default: the latest run)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    if args.k < 1:
        ap.error("-k must be ≥ 1")
    blank = [i for i, t in enumerate(args.texts, 1) if not t.strip()]
    if blank:  # an empty text embeds as padding alone: its "labels" would mean nothing
        ap.error(f"text {blank[0]} is empty: give each text some words, e.g. ramen-edu predict \"Clade\"")
    from ramen_edu.training.model import RamenModel

    model = RamenModel.load(_model_dir(args.model)[0])
    predictions = model.predict(args.texts, k=args.k)
    if args.json:
        print(json.dumps([{"text": t, "labels": [{"label": l, "score": s} for l, s in p]}
                          for t, p in zip(args.texts, predictions)], ensure_ascii=False, indent=1))
        return 0
    for text, preds in zip(args.texts, predictions):
        print(text)
        for rank, (label, score) in enumerate(preds, 1):
            print(f"  {rank:>2}. {label}  ({score:.3f})")
    return 0
