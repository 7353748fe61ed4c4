"""Issue 19's trainer options: the softmax loss form (``TrainConfig.loss``) and the scrambled-graph
control (``TrainConfig.scramble_graph``), on the tiny world with the tiny random encoder.

One torch thread, as in test_training.py (the CI machine is shared), and runs of a few seconds.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ramen_edu.training import TrainConfig, Trainer, train
from ramen_edu.training.config import CHOICES
from ramen_edu.training.trainer import scramble_seed

torch.set_num_threads(1)


def short_config(**overrides) -> TrainConfig:
    """3 quick epochs: fixed λ (no validation pairs), no pruning, no held-out scoring."""
    base = dict(encoder="tiny-random", epochs=3, batch_size=32, lr=2e-3, bandit=False, prune=False,
                cluster_refresh=1, cluster_doubling=2, eval_docs=0, embed_batch_size=128)
    return TrainConfig(**{**base, **overrides})


# --------------------------------------------------------------------------- the softmax form
def test_config_loss_and_scale():
    from ramen_edu.losses import LOSS_FORMS

    c = TrainConfig()
    assert (c.loss, c.scale, c.scramble_graph) == ("triplet", 20.0, False)  # the paper's hinge by default
    assert CHOICES["loss"] == LOSS_FORMS  # config.py spells them out so as not to import torch
    with pytest.raises(ValueError, match="TrainConfig.loss must be one of 'triplet', 'softmax'"):
        TrainConfig(loss="infonce")
    with pytest.raises(ValueError, match="TrainConfig.scale must be > 0"):
        TrainConfig(scale=0.0)
    with pytest.raises(TypeError, match="TrainConfig.scramble_graph must be true or false"):
        TrainConfig(scramble_graph="yes")


def test_softmax_run_trains_and_its_objective_decreases(tiny_world, monkeypatch):
    from ramen_edu.training import trainer as trainer_module

    calls = []
    real = trainer_module.in_batch_loss

    def spy(*args, **kwargs):
        calls.append((kwargs["form"], kwargs["scale"], kwargs["margin"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "in_batch_loss", spy)
    model = train(tiny_world, short_config(loss="softmax", scale=10.0), progress=False)
    # every term of every step went through the softmax, with the config's scale
    assert calls and set(calls) == {("softmax", 10.0, 0.3)}
    objectives = [row["objective"] for row in model.history]
    assert all(np.isfinite(objectives)) and objectives[-1] < objectives[0], objectives
    # a softmax loss is ≥ 0 and, unlike the hinge, starts far above 0 (log of ~batch-size columns)
    assert model.history[0]["doc_label"] > 1.0
    assert model.record["config"]["loss"] == "softmax" and model.record["config"]["scale"] == 10.0
    assert "softmax" in model.record["schedule"]


# --------------------------------------------------------------------------- the scrambled graph
def test_scramble_graph_changes_the_raw_graphs_and_keeps_degrees(tiny_world):
    trainer = Trainer(tiny_world, short_config(scramble_graph=True), progress=False)
    plain = Trainer(tiny_world, short_config(), progress=False)
    assert sorted(trainer.raw_graphs) == ["concept", "topic"]
    for name, (doc, label) in trainer.raw_graphs.items():
        aset = tiny_world.anchors[name]
        for before, after, side in ((aset.doc_anchor, doc, "doc_anchor"), (aset.label_anchor, label, "label_anchor")):
            assert after.shape == before.shape and after.dtype == before.dtype
            merged = before.nnz - after.nnz  # a node that drew one anchor twice keeps it once
            assert 0 <= merged <= 0.05 * before.nnz, (name, side)
            rows_lost = np.diff(before.indptr) - np.diff(after.indptr)
            cols_lost = (np.bincount(before.indices, minlength=before.shape[1])
                         - np.bincount(after.indices, minlength=before.shape[1]))
            assert (rows_lost >= 0).all() and rows_lost.sum() == merged, (name, side)
            assert (cols_lost >= 0).all() and cols_lost.sum() == merged, (name, side)
            assert before.multiply(after).nnz < 0.5 * before.nnz, (name, side)  # edges moved
        # the sampler and the pruning start from the scrambled graphs; the plain run is untouched
        assert trainer.graphs[name] is trainer.raw_graphs[name]
        assert plain.raw_graphs[name][0] is aset.doc_anchor
    # deterministic by seed; another seed scrambles otherwise; each graph has its own seed
    again = Trainer(tiny_world, short_config(scramble_graph=True), progress=False)
    other = Trainer(tiny_world, short_config(scramble_graph=True, seed=1), progress=False)
    for name in trainer.raw_graphs:
        for side in (0, 1):
            assert (again.raw_graphs[name][side] != trainer.raw_graphs[name][side]).nnz == 0
        assert (other.raw_graphs[name][0] != trainer.raw_graphs[name][0]).nnz > 0
    seeds = {scramble_seed(0, n, side) for n in ("topic", "concept") for side in ("doc_anchor", "label_anchor")}
    assert len(seeds) == 4
    # a stable hash (not Python's salted hash()): the same number in every process, pinned here
    assert scramble_seed(0, "topic", "doc_anchor") == 12738644860484632985

    # pruning prunes the scrambled graphs: every kept edge is one of theirs
    trainer.prune()
    for name, (doc, label) in trainer.graphs.items():
        raw_doc, raw_label = trainer.raw_graphs[name]
        assert (doc.multiply(raw_doc)).nnz == doc.nnz and (label.multiply(raw_label)).nnz == label.nnz
    assert "scrambled graphs" in trainer.record()["schedule"]


def test_a_checkpoint_from_before_these_fields_resumes_with_their_defaults(tiny_world):
    trainer = Trainer(tiny_world, short_config(), progress=False)
    state = trainer.state_dict()
    for key in ("loss", "scale", "scramble_graph"):  # what a checkpoint written before issue 19 lacks
        del state["config"][key]
    Trainer(tiny_world, short_config(), progress=False).load_state_dict(state)
    with pytest.raises(ValueError, match=r"different config \(loss: 'triplet' → 'softmax'\)"):
        Trainer(tiny_world, short_config(loss="softmax"), progress=False).load_state_dict(state)
    with pytest.raises(ValueError, match=r"scramble_graph: False → True"):
        Trainer(tiny_world, short_config(scramble_graph=True), progress=False).load_state_dict(state)
