"""Successive halving over a λ grid (bandits.LambdaHalving, Trainer.run_halving): the schedule,
the ranking rule, and that the arm training continues with is exactly a fixed-λ run."""
import dataclasses

import pytest
import torch

from ramen_edu.bandits import HALVING_GRID, LambdaHalving
from ramen_edu.training.config import TrainConfig
from ramen_edu.training.trainer import Trainer, train

NAMES = ["doc_label", "doc_anchor:topic", "label_anchor:topic"]


def test_rungs_halve_the_arms_and_double_the_epochs():
    h = LambdaHalving(NAMES)
    assert h.grid == list(HALVING_GRID)
    assert h.rungs(10) == [1, 2]  # 4 arms × 1 epoch, then 2 arms × 2: 8 epochs for the first 3
    assert h.rungs(2) == [1, 1]  # a short run truncates the last rung
    assert h.rungs(1) == [1]
    assert LambdaHalving(NAMES, grid=[0.1, 1, 3, 10, 30], rung_epochs=2).rungs(100) == [2, 4, 8]
    assert LambdaHalving(NAMES, grid=[0.1, 1]).rungs(10) == [1]


def test_keep_ranks_by_p1_then_margin_then_the_smaller_lambda():
    h = LambdaHalving(NAMES)
    kept = h.keep(0, {0.01: (0.30, 0.10), 0.03: (0.32, 0.00), 0.1: (0.30, 0.20), 0.3: (0.32, 0.00)}, 1)
    assert kept == [0.03, 0.3]  # equal P@1 and margin: the smaller λ first
    assert [e["lambda"] for e in h.history] == [0.01, 0.03, 0.1, 0.3] and not h.done
    h.finish(0.03)
    assert h.done and h.values() == {"doc_label": 1.0, "doc_anchor:topic": 0.03, "label_anchor:topic": 0.03}
    with pytest.raises(ValueError, match="not an arm"):
        h.arm(0.5)
    with pytest.raises(ValueError, match="non-finite"):
        h.keep(1, {0.03: (float("nan"), 0.0)}, 2)


@pytest.mark.parametrize("grid", [[0.1], [0.1, 0.1], [0.0, 0.1]])
def test_a_bad_grid_is_refused_naming_the_field(grid):
    with pytest.raises(ValueError, match="bandit_grid"):
        TrainConfig(bandit_mode="halving", bandit_grid=grid)


def small(**overrides) -> TrainConfig:
    base = dict(encoder="tiny-random", epochs=4, batch_size=32, lr=2e-3, prune_warmup=2, prune_every=2,
                cluster_refresh=1, cluster_doubling=2, eval_docs=0, embed_batch_size=128, val_fraction=0.2,
                bandit=True, bandit_mode="halving", bandit_grid=[0.01, 0.3, 3.0])
    return TrainConfig(**{**base, **overrides})


def test_the_winner_continues_exactly_as_a_fixed_lambda_run(tiny_world, tmp_path):
    """Every arm starts from the same snapshot with the same random numbers, so the arm that wins
    is not a new kind of run: its weights equal those of a plain run with its λ held fixed. The
    choice is the arm with the best validation P@1 of its rung, and the wall clock counts every arm."""
    config = small()
    model = train(tiny_world, config, progress=False, run_dir=tmp_path / "halving")
    record = model.record
    rungs = [e for e in record["bandit_history"] if e["phase"] == "rung"]
    assert [(e["rung"], e["epochs"]) for e in rungs] == [(0, 1)] * 3 + [(1, 2)] * 2  # 3 arms, then 2
    first = {e["lambda"]: (e["val_p1"], e["val_margin"]) for e in rungs if e["rung"] == 0}
    second = {e["lambda"]: (e["val_p1"], e["val_margin"]) for e in rungs if e["rung"] == 1}
    assert set(second) == set(sorted(first, key=lambda v: (-first[v][0], -first[v][1], v))[:2])
    winner = min(second, key=lambda v: (-second[v][0], -second[v][1], v))
    assert record["bandit_history"][-1] == {"phase": "winner", "lambda": winner}
    assert record["final_lambda"]["doc_anchor:topic"] == winner
    assert record["epochs_done"] == 4 and [r["halving_arm"] for r in record["history"][:3]] == [winner] * 3

    fixed = train(tiny_world, dataclasses.replace(config, bandit=False, lambda_regularizer=winner),
                  progress=False)
    for (name, a), b in zip(model.encoder.state_dict().items(), fixed.encoder.state_dict().values()):
        assert torch.equal(a, b), name


def test_an_interrupted_run_resumes_after_the_tournament_exactly(tiny_world, tmp_path):
    config = small(epochs=3, bandit_grid=[0.01, 3.0])
    whole = train(tiny_world, config, progress=False)
    train(tiny_world, config, progress=False, run_dir=tmp_path / "run", stop_after=1)
    with Trainer(tiny_world, config, run_dir=tmp_path / "run", resume=True, progress=False) as trainer:
        assert trainer.bandit.done and trainer.epoch == 1  # the tournament is not played again
        resumed = trainer.fit()
    for a, b in zip(whole.encoder.state_dict().values(), resumed.encoder.state_dict().values()):
        assert torch.equal(a, b)
