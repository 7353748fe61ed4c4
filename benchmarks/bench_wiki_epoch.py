"""A MiniLM training epoch on the Wikipedia see-also benchmark: full fine-tuning vs the top layers.

    RAMEN_EDU_DATA=... python benchmarks/bench_wiki_epoch.py [--layers all 2] [--steps 30] \
        [--threads 2] [--json benchmarks/wiki_epoch.json]

For each ``--layers`` value (``all`` = every layer and the embeddings, the paper's full
fine-tuning; ``k`` = ``TrainConfig.train_layers=k``) and for the no-graph baseline and RAMEN (both
anchor sets), with the book's MiniLM recipe at batch 64 (cluster batches):

* ``init_s``: building the trainer (tokenizing the pools, and with ``k`` the frozen states of
  every pool: once per run);
* ``cluster_s``: embedding the training documents to cluster them (an epoch's start);
* ``s_per_step`` over ``--steps`` steps of epoch 0 (after 2 warm-up steps), and ``epoch_s`` =
  steps per epoch × s/step + cluster_s: the epoch as the trainer runs it;
* ``prune_s`` (RAMEN): one pruning of both anchor graphs (re-embedding documents, labels and
  the 59 K anchors), which the recipe does at 3 of its 10 epochs.

It uses only ``Trainer`` / ``TrainConfig`` calls that existed before partial fine-tuning, so the
same script times the older code (``PYTHONPATH=<old checkout>``, ``--layers all``): the "before"
of the README's numbers. Nothing here is a test: it prints numbers (and writes --json).
"""
from __future__ import annotations

import argparse
import json
import time

import torch


def time_one(dataset, *, layers, regularize: bool, steps: int) -> dict:
    from ramen_edu.training import TrainConfig
    from ramen_edu.training.trainer import Trainer

    extra = {} if layers == "all" else {"train_layers": int(layers)}
    config = TrainConfig.book_recipe("cpu", encoder=None, regularize=regularize, eval_docs=0, **extra)
    t0 = time.perf_counter()
    trainer = Trainer(dataset, config, progress=False)
    init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    emb = trainer.embed_pool(dataset.train_texts, "cluster") if layers == "all" else \
        trainer.embed_pool(dataset.train_texts, "cluster", "doc")
    trainer.sampler.set_epoch(0, emb)
    cluster_s = time.perf_counter() - t0
    batches = iter(trainer.sampler)
    for _ in range(2):
        trainer.step(next(batches))
    t0 = time.perf_counter()
    done = 0
    for batch in batches:
        trainer.step(batch)
        done += 1
        if done == steps:
            break
    s_per_step = (time.perf_counter() - t0) / done
    row = {"init_s": round(init_s, 2), "cluster_s": round(cluster_s, 2), "s_per_step": round(s_per_step, 4),
           "steps_per_epoch": trainer.steps_per_epoch, "timed_steps": done,
           "epoch_s": round(trainer.steps_per_epoch * s_per_step + cluster_s, 1)}
    if regularize:
        t0 = time.perf_counter()
        trainer.prune()
        row["prune_s"] = round(time.perf_counter() - t0, 2)
    trainer.close()
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", nargs="+", default=["all", "2"], help="'all' and/or numbers of top layers")
    ap.add_argument("--steps", type=int, default=30, help="timed steps per run (an epoch has 106)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--label", default="", help="a name for this code version in the output")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from ramen_edu.data.catalog import load_dataset

    dataset = load_dataset("wiki-seealso")
    results = {"label": args.label, "threads": torch.get_num_threads(), "dataset": dataset.summary(), "runs": {}}
    print(f"{dataset}; torch threads {torch.get_num_threads()}; MiniLM, batch 64, book recipe")
    print(f"{'layers':>6} {'method':<10} {'init s':>7} {'s/step':>7} {'epoch s':>8} {'prune s':>8}")
    for layers in args.layers:
        for regularize in (False, True):
            method = "RAMEN" if regularize else "no graph"
            row = time_one(dataset, layers=layers, regularize=regularize, steps=args.steps)
            results["runs"][f"{layers}/{method}"] = row
            print(f"{layers:>6} {method:<10} {row['init_s']:>7.1f} {row['s_per_step']:>7.3f} "
                  f"{row['epoch_s']:>8.1f} {row.get('prune_s', float('nan')):>8.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
