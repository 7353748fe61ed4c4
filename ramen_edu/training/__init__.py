"""RAMEN training: config, trainer, checkpoints, the trained model, and the CLI commands.

    model = ramen_edu.train("synthetic-default", profile="smoke")   # or TrainConfig(...)
    model.predict(["Clade"]); model.evaluate(dataset); model.save("run/model")

Modules, one concept each: ``config`` (TrainConfig, the paper's values), ``schedule`` (LR and
pruning/cluster epochs), ``tokens`` (texts tokenized once), ``distributed`` (DDP helpers),
``checkpoint`` (exact resume, weights_only loading), ``trainer`` (the loop), ``model``
(RamenModel: predict / evaluate / save / load), ``cli`` (``ramen-edu train|evaluate|predict``).
The ablation over these runs (``ramen-edu ablate``) is ``ramen_edu.experiments.ablate``. The
validation slice is ``ramen_edu.data.validation``'s.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

from ramen_edu._lazy import lazy_getattr

# public name -> module that defines it, loaded on first access: the CLI imports
# ramen_edu.training.cli to parse `ramen-edu train -h`, which must not wait for torch
_LAZY = {
    "cli_evaluate": "ramen_edu.training.cli",
    "cli_predict": "ramen_edu.training.cli",
    "cli_train": "ramen_edu.training.cli",
    "TrainConfig": "ramen_edu.training.config",
    "RamenModel": "ramen_edu.training.model",
    "Trainer": "ramen_edu.training.trainer",
    "train": "ramen_edu.training.trainer",
}

__all__ = ["RamenModel", "TrainConfig", "Trainer", "cli_evaluate", "cli_predict", "cli_train",
           "train"]


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
