"""Exact resume at every epoch boundary, including the boundaries where the next epoch prunes.

A checkpoint written at the end of epoch e must continue with epoch e+1's full start — its
pruning included — so an interrupted and resumed run equals an uninterrupted one bit for bit.
"""
from __future__ import annotations

import torch

from ramen_edu.training import TrainConfig, train

torch.set_num_threads(1)

TIMING = {"train_s", "epoch_s", "encodings_per_s"}  # wall-clock fields: the only ones allowed to differ


def pruning_config() -> TrainConfig:
    """4 epochs pruning at the start of epochs 1 and 3 (0-based), re-clustering every epoch, with
    the validation bandit on, so every piece of state a resume restores is exercised."""
    return TrainConfig(encoder="tiny-random", epochs=4, batch_size=32, lr=2e-3, prune_warmup=1,
                       prune_every=2, cluster_refresh=1, cluster_doubling=2, bandit_period=3,
                       eval_docs=40, eval_k=10, embed_batch_size=128)


def _comparable(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in history]


def test_resume_before_a_pruning_epoch_is_exact(tiny_world, tmp_path):
    config = pruning_config()
    assert config.prune_epochs() == [1, 3]
    reference = train(tiny_world, config, progress=False)

    run_dir = tmp_path / "run"
    # stop after 1 epoch (the next, epoch 1, prunes), resume and stop after 3 (epoch 3 prunes next)
    train(tiny_world, config, run_dir=run_dir, stop_after=1, progress=False)
    train(tiny_world, config, run_dir=run_dir, resume=True, stop_after=3, progress=False)
    resumed = train(tiny_world, config, run_dir=run_dir, resume=True, progress=False)

    assert [("prune" in row) for row in resumed.history] == [False, True, False, True]
    assert _comparable(resumed.history) == _comparable(reference.history)
    assert resumed.log == reference.log
    want, got = reference.encoder.state_dict(), resumed.encoder.state_dict()
    assert want.keys() == got.keys()
    for name in want:
        assert torch.equal(want[name], got[name]), name
