"""Schedules of a training run: the learning rate per step and what happens at each epoch.

* Learning rate: linear warm-up to the peak, then linear decay to 0 (transformers'
  ``get_linear_schedule_with_warmup``; the paper gives the peak, 2e-4, not the shape).
* Pruning (App. B): epochs 0 … warm-up − 1 train on the unpruned graphs; at the start of the
  warm-up epoch and every ``prune_every`` epochs after, the graphs are pruned again *from the
  unpruned graphs* with the current encoder (an edge dropped early can come back later).
* Clusters (Table 16 caption): the batch sampler re-clusters every ``cluster_refresh`` epochs.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

from dataclasses import dataclass

from ramen_edu.bandits import HALVING_GRID


def lr_scheduler(optimizer, total_steps: int, warmup_fraction: float):
    """Linear warm-up for ``warmup_fraction`` of ``total_steps``, then linear decay to 0."""
    from transformers import get_linear_schedule_with_warmup

    total_steps = max(int(total_steps), 1)
    return get_linear_schedule_with_warmup(optimizer, int(round(warmup_fraction * total_steps)),
                                           total_steps)


@dataclass(frozen=True)
class EpochPlan:
    """What the trainer does at the start of an epoch."""

    epoch: int
    prune: bool  # re-prune the graphs with the current encoder before this epoch
    recluster: bool  # the sampler re-clusters documents before this epoch


def epoch_plan(config, epoch: int) -> EpochPlan:
    """The plan of ``epoch`` (0-based) under ``config`` (a TrainConfig)."""
    return EpochPlan(
        epoch=epoch,
        prune=epoch in set(config.prune_epochs()),
        recluster=config.batching == "cluster" and epoch % config.cluster_refresh == 0,
    )


def describe(config) -> str:
    """One line per phase: the schedule a reader should expect from this config."""
    prunes = config.prune_epochs()
    if not config.regularize:
        graph = "no graphs (λ_x = λ_z = 0: the no-graph baseline)"
    elif not prunes:
        graph = "unpruned graphs throughout"
    else:
        shown = ", ".join(map(str, prunes[:6])) + (", …" if len(prunes) > 6 else "")
        graph = f"unpruned graphs for epochs 0–{prunes[0] - 1}, (re-)pruned at the start of epochs {shown}"
    if config.regularize and config.scramble_graph:
        graph = f"scrambled graphs (a control: edges shuffled, degrees kept); {graph}"
    batching = (f"cluster batches, re-clustered every {config.cluster_refresh} epochs, cluster size "
                f"doubling every {config.cluster_doubling}" if config.batching == "cluster" else "random batches")
    # the paper's hinge goes unsaid, as every other paper value; the softmax is ours, so it is named
    loss = f"in-batch softmax loss (scale {config.scale:g}); " if config.loss == "softmax" else ""
    layers = ("" if config.train_layers is None
              else f"; only the top {config.train_layers} layer(s) trained (the rest frozen, computed once)")
    if config.regularize and config.bandit and config.bandit_mode == "halving":
        grid = "/".join(f"{v:g}" for v in (config.bandit_grid or HALVING_GRID))
        graph = (f"{graph}; λ chosen by successive halving over {grid} (validation P@1, "
                 f"rungs of {config.bandit_rung_epochs} epoch(s), doubling)")
    return (f"{config.epochs} epochs of batch {config.batch_size}; {loss}{graph}; {batching}; "
            f"lr {config.lr:g} with {config.lr_warmup:.0%} linear warm-up then linear decay{layers}")
