"""RAMEN training: config, trainer, checkpoints, the trained model, and the CLI commands.

    model = ramen_edu.train("synthetic-default", profile="smoke")   # or TrainConfig(...)
    model.predict(["Clade"]); model.evaluate(dataset); model.save("run/model")

Modules, one concept each: ``config`` (TrainConfig, the paper's values), ``schedule`` (LR and
pruning/cluster epochs), ``tokens`` (texts tokenized once), ``distributed`` (DDP helpers),
``checkpoint`` (exact resume, weights_only loading), ``trainer`` (the loop), ``model``
(RamenModel: predict / evaluate / save / load), ``cli`` (``ramen-edu train|evaluate|predict``),
``ablate`` (``ramen-edu ablate``: Table 5 rows × seeds, compared with ``ramen_edu.comparison``).

Taught in: book/04_training.ipynb
"""
from ramen_edu.training.ablate import cli_ablate
from ramen_edu.training.cli import cli_evaluate, cli_predict, cli_train
from ramen_edu.training.config import TrainConfig
from ramen_edu.training.model import RamenModel
from ramen_edu.training.trainer import Trainer, train

__all__ = ["RamenModel", "TrainConfig", "Trainer", "cli_ablate", "cli_evaluate", "cli_predict", "cli_train",
           "train"]
