"""What RAMEN is measured against: baselines that put the graph elsewhere, and where gains come from.

Modules, one concept each: ``two_stage`` (the OAK-like GCN that links a document to anchors and
aggregates them at inference; learned, oracle and random linkers), ``augmented_truth`` (AugGT:
the graph folded into the ground truth), ``analysis`` (label ranks, zero-shot labels, FN@k per
quantile, tail cases found by program). RAMEN and the no-graph baseline come from
``ramen_edu.training``; the command that runs every row × seeds against them
(``ramen-edu baselines``) is ``ramen_edu.experiments.baselines``.

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

from ramen_edu._lazy import lazy_getattr

_LAZY = {
    "augment_ground_truth": "ramen_edu.baselines.augmented_truth",
    "augmented_dataset": "ramen_edu.baselines.augmented_truth",
    "AnchorAggregator": "ramen_edu.baselines.two_stage",
    "TwoStageModel": "ramen_edu.baselines.two_stage",
    "TwoStageTrainer": "ramen_edu.baselines.two_stage",
    "train_two_stage": "ramen_edu.baselines.two_stage",
    "gcn_overrides": "ramen_edu.baselines.two_stage",
    "cap_links": "ramen_edu.baselines.two_stage",
    "find_tail_cases": "ramen_edu.baselines.analysis",
    "fn_by_quantile": "ramen_edu.baselines.analysis",
    "graph_reachable": "ramen_edu.baselines.analysis",
    "true_label_ranks": "ramen_edu.baselines.analysis",
    "zero_shot_labels": "ramen_edu.baselines.analysis",
    "zero_shot_scores": "ramen_edu.baselines.analysis",
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
