"""The trainer's explicit state (issue 20): one snapshot protocol for checkpoints, successive
halving and the validation bandit's pairs; typed loss terms; one bandit class per mode."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from ramen_edu.bandits import LambdaBandit, LambdaHalving, PaperBandit, ValidationBandit
from ramen_edu.losses import ramen_objective
from ramen_edu.terms import Term
from ramen_edu.training import TrainConfig, Trainer
from ramen_edu.training.checkpoint import rng_state


def _config(**overrides) -> TrainConfig:
    base = dict(encoder="tiny-random", epochs=2, batch_size=32, lr=2e-3, prune_warmup=1, prune_every=1,
                cluster_refresh=1, cluster_doubling=2, bandit=True, bandit_period=3, eval_docs=0,
                embed_batch_size=128)
    return TrainConfig(**{**base, **overrides})


def _assert_same(a, b, where="state") -> None:
    """Nested dicts/lists/tuples of tensors, arrays and plain values are exactly equal."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _moved(now: dict, before: dict) -> bool:
    return any(not torch.equal(now[k], before[k]) for k in before)


# --------------------------------------------------------------------------- one snapshot protocol
def test_a_pair_branch_restore_returns_every_step_state_and_leaves_the_sampler_alone(tiny_world):
    trainer = Trainer(tiny_world, _config(batching="random"), progress=False)
    trainer.sampler.set_epoch(0, None)
    batches = iter(trainer.sampler)
    pending = [next(batches) for _ in range(3)]
    sampler_before = trainer.sampler.state_dict()
    snapshot = trainer._snapshot(steps_only=True)
    assert set(snapshot) == {"encoder", "optimizer", "scheduler", "rng"}  # CPU: no head, no grad scaler
    for batch in pending:
        trainer.step(batch)
    assert _moved(trainer.encoder.state_dict(), snapshot["encoder"])
    trainer._restore(snapshot)
    _assert_same(trainer._step_state(), snapshot)
    # the branch trained on batches already drawn: the sampler goes on from where it was, and
    # the restore does not make it think a saved epoch is being continued
    _assert_same(trainer.sampler.state_dict(), sampler_before)
    assert not trainer.sampler.resuming
    # training after a restore leaves the snapshot as taken (the optimizer adopts the tensors
    # it loads and updates them in place), so restoring it again gives the same state
    kept = copy.deepcopy(snapshot)
    for batch in pending:
        trainer.step(batch)
    _assert_same(snapshot, kept)
    trainer._restore(snapshot)
    _assert_same(trainer._step_state(), kept)


def test_a_whole_snapshot_is_the_checkpoint_state(tiny_world):
    trainer = Trainer(tiny_world, _config(), progress=False)
    whole = trainer._snapshot()
    assert set(trainer.state_dict()) == set(whole) and set(trainer._step_state()) < set(whole)
    _assert_same(whole["rng"], rng_state())  # taking a snapshot draws no random number


def test_pairs_whose_lambda_cannot_move_train_exactly_as_fixed_lambda(tiny_world):
    """A validation bandit with σ = 1e-30 perturbs nothing (λ·e^{±σ} = λ in floating point), so
    both branches of every pair train with the fixed λ from the same snapshot. If the restore
    between them missed any piece of step state (a weight, an Adam moment, the LR schedule, the
    dropout RNG), the kept branch would differ from a run with the bandit off."""
    paired = Trainer(tiny_world, _config(bandit_sigma=1e-30), progress=False)
    paired.fit()
    fixed = Trainer(tiny_world, _config(bandit=False), progress=False)
    fixed.fit()
    updates = [h for h in paired.bandit.history if h["phase"] == "update"]
    assert len(updates) >= 4 and sum(row["probe_steps"] for row in paired.history) > 0
    assert paired.bandit.lambdas == fixed.bandit.lambdas
    _assert_same(paired.encoder.state_dict(), fixed.encoder.state_dict(), "encoder")
    for a, b in zip(paired.history, fixed.history):
        assert a["objective"] == b["objective"] and a["steps"] == b["steps"]


# --------------------------------------------------------------------------- no hidden state
def test_pruning_hands_its_document_embeddings_back_instead_of_caching_them(tiny_world):
    trainer = Trainer(tiny_world, _config(), progress=False)
    stats, doc_emb = trainer.prune()
    assert set(stats) == set(trainer.anchor_names)
    assert doc_emb.shape == (tiny_world.n_train, trainer.encoder.dim)
    assert not hasattr(trainer, "_doc_emb_cache") and not hasattr(trainer, "last_prune")
    assert trainer.last_rows == {}  # declared with the trainer, filled by step()


def test_train_config_is_checked_once_and_cannot_change_after(tiny_world):
    config = _config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 0
    assert dataclasses.replace(config, epochs=3).epochs == 3
    with pytest.raises(ValueError, match="TrainConfig.epochs"):
        dataclasses.replace(config, epochs=0)


# --------------------------------------------------------------------------- one class per mode
def test_one_bandit_class_per_mode_and_the_trainer_builds_the_configs():
    names = ["doc_label", "doc_anchor:a", "label_anchor:a"]
    assert type(LambdaBandit(names)) is ValidationBandit
    assert type(LambdaBandit(names, mode="paper")) is PaperBandit
    # a state names its mode: it loads into that class only
    state = LambdaBandit(names, mode="paper").state_dict()
    PaperBandit(names).load_state_dict(state)
    with pytest.raises(ValueError, match="mode='paper'"):
        ValidationBandit(names).load_state_dict(state)


def test_the_trainer_builds_the_bandit_its_config_names(tiny_world):
    for mode, cls in (("validation", ValidationBandit), ("paper", PaperBandit), ("halving", LambdaHalving)):
        trainer = Trainer(tiny_world, _config(bandit_mode=mode), progress=False)
        assert type(trainer.bandit) is cls
        assert trainer.bandit.names == trainer.terms
    off = Trainer(tiny_world, _config(bandit=False, bandit_mode="halving"), progress=False)
    assert type(off.bandit) is ValidationBandit and not off.bandit.tuned


# --------------------------------------------------------------------------- typed loss terms
def test_terms_print_as_the_stored_strings_and_parse_back():
    for name in ("doc_label", "doc_anchor:category", "label_anchor:see also: more"):
        term = Term.parse(name)
        assert str(term) == name and Term.parse(term) is term
    assert Term.parse("label_anchor:see also: more").anchor_set == "see also: more"
    assert not Term.parse("doc_label").is_regularizer and Term("doc_anchor", "x").is_regularizer
    for bad in ("doc_anchor", "doc_anchor:", "doc_label:x", "label:x", ""):
        with pytest.raises(ValueError, match="'doc_anchor:<set>'"):
            Term.parse(bad)
    with pytest.raises(ValueError, match="not one of"):
        ramen_objective({"anchor:x": torch.tensor(1.0)}, {"anchor:x": 1.0})
