"""A training step encodes each distinct row once (labels, anchors) and the losses do not change.

``Trainer.step`` lists each distinct row of every pool once (``tokens.unique_rows``), encodes
those, and indexes the embeddings back to the rows each loss term reads. The reference path is
the same step with ``unique_rows`` replaced by a plan that keeps every row (every row encoded, as
before the change). With dropout off a step is a function of its batch, so both paths must give
the same losses and the same gradients, up to float rounding.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ramen_edu.training import TrainConfig, Trainer
from ramen_edu.training import trainer as trainer_module  # the step calls unique_rows from here
from ramen_edu.training.tokens import unique_rows

torch.set_num_threads(1)


def _config(**overrides) -> TrainConfig:
    # λ of the regularizers at 1 so the anchor terms weigh as much as L in the gradients
    base = dict(encoder="tiny-random", dropout=0.0, epochs=1, batch_size=64, batching="random", eval_docs=0,
                bandit=False, lambda_regularizer=1.0, lr=2e-3)
    return TrainConfig(**{**base, **overrides})


def _every_row(groups):
    """The reference plan: no deduplication, every row of every group encoded."""
    rows = torch.cat(groups) if groups else torch.zeros(0, dtype=torch.int64)
    return rows, list(torch.split(torch.arange(len(rows)), [len(g) for g in groups]))


def _first_batch(trainer):
    trainer.sampler.set_epoch(0)
    return next(trainer.sampler.iter_global())


def _count_encoder_rows(trainer) -> list[int]:
    seen: list[int] = []

    def hook(module, args, kwargs):
        seen.append(int((kwargs.get("input_ids") if "input_ids" in kwargs else args[0]).shape[0]))

    trainer.encoder.register_forward_pre_hook(hook, with_kwargs=True)
    return seen


def _step_both_ways(world, config, monkeypatch):
    """One step on the same first batch: (dedup output, grads, encoder rows, trainer),
    (reference output, grads, encoder rows, trainer)."""
    results = []
    for dedup in (True, False):
        trainer = Trainer(world, config, progress=False)
        batch = _first_batch(trainer)
        seen = _count_encoder_rows(trainer)
        with monkeypatch.context() as m:
            if not dedup:
                m.setattr(trainer_module, "unique_rows", _every_row)
            out = trainer.step(batch)
        grads = {n: p.grad.detach().clone() for n, p in trainer.encoder.named_parameters() if p.grad is not None}
        results.append((out, grads, seen, trainer, batch))
    return results


def _assert_same_gradients(grads, ref_grads):
    """Equal up to float rounding, measured against the largest gradient entry (some gradients,
    e.g. of the attention key biases, are exactly 0 in exact arithmetic and pure rounding here)."""
    assert grads.keys() == ref_grads.keys() and grads
    scale = max(float(g.abs().max()) for g in ref_grads.values())
    for name, g in grads.items():
        assert torch.allclose(g, ref_grads[name], rtol=1e-4, atol=1e-5 * scale), name


# --------------------------------------------------------------------------- the helper
def test_unique_rows_indexes_every_group_back():
    groups = [torch.tensor([5, 2, 5, 9]), torch.tensor([], dtype=torch.int64), torch.tensor([2, 2, 7])]
    unique, inverses = unique_rows(groups)
    assert unique.tolist() == [2, 5, 7, 9]
    assert len(inverses) == 3
    for g, inv in zip(groups, inverses):
        assert torch.equal(unique[inv], g)
    empty, none = unique_rows([])
    assert len(empty) == 0 and none == []


def test_indexing_shared_rows_sums_their_gradients():
    """emb[inverse] sends the gradient of every copy back to its one shared row."""
    torch.manual_seed(0)
    table = torch.randn(10, 4, dtype=torch.float64)
    groups = [torch.tensor([3, 1, 3, 3]), torch.tensor([1, 8, 3])]
    weights = [torch.randn(4, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64)]

    direct = table.clone().requires_grad_(True)
    sum((direct[g] * w).sum() ** 2 for g, w in zip(groups, weights)).backward()

    shared = table.clone().requires_grad_(True)
    unique, inverses = unique_rows(groups)
    encoded = shared[unique] * 1.0  # "encode" the distinct rows once
    sum((encoded[inv] * w).sum() ** 2 for inv, w in zip(inverses, weights)).backward()
    assert torch.allclose(direct.grad, shared.grad, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- the step
def test_dedup_step_has_the_same_losses_and_gradients(tiny_world, monkeypatch):
    (out, grads, seen, trainer, batch), (ref, ref_grads, ref_seen, _, _) = _step_both_ways(
        tiny_world, _config(), monkeypatch)
    # the batch does repeat labels and anchors, so the two paths did differ
    assert len(np.unique(batch.label_ids)) < len(batch.label_ids)
    for n in trainer.anchor_names:
        rows = np.concatenate([batch.doc_anchor_ids[n][batch.doc_anchor_valid[n]],
                               batch.label_anchor_ids[n][batch.label_anchor_valid[n]]])
        assert len(np.unique(rows)) < len(rows), n
    assert sum(seen) < sum(ref_seen)

    terms = ["objective", "doc_label", *(t for t in trainer.terms if t != "doc_label")]
    assert len(terms) == 2 + 2 * len(trainer.anchor_names) and trainer.anchor_names
    for k in terms:
        assert out[k] == pytest.approx(ref[k], rel=1e-5, abs=1e-6), k
    assert out["encoded"] == ref["encoded"]  # "encoded" stays the rows the losses use
    assert out["grad_norm"] == pytest.approx(ref["grad_norm"], rel=1e-4, abs=1e-6)
    _assert_same_gradients(grads, ref_grads)


def test_the_encoder_runs_each_distinct_row_once(tiny_world, monkeypatch):
    (out, _, seen, trainer, batch), (_, _, ref_seen, _, _) = _step_both_ways(tiny_world, _config(), monkeypatch)
    names = ["doc", "label", *(f"anchor:{n}" for n in trainer.anchor_names)]
    assert list(trainer.last_rows) == names
    # one encoder call per part, each part holding its distinct rows ...
    expected = [len(np.unique(batch.doc_ids)), len(np.unique(batch.label_ids))]
    for n in trainer.anchor_names:
        expected.append(len(np.unique(np.concatenate([batch.doc_anchor_ids[n][batch.doc_anchor_valid[n]],
                                                      batch.label_anchor_ids[n][batch.label_anchor_valid[n]]]))))
    # ... cut into length-sorted buckets of BUCKET_ROWS (tokens.length_sorted)
    from ramen_edu.training.trainer import BUCKET_ROWS
    assert seen == [min(BUCKET_ROWS, e - start) for e in expected if e for start in range(0, e, BUCKET_ROWS)]
    assert [trainer.last_rows[k][1] for k in names] == expected
    assert sum(trainer.last_rows[k][0] for k in names) == out["encoded"] == sum(ref_seen)


def test_a_switched_off_side_is_not_encoded(tiny_world, monkeypatch):
    config = _config(label_graph=False)
    (out, grads, seen, trainer, batch), (ref, ref_grads, _, _, _) = _step_both_ways(tiny_world, config, monkeypatch)
    assert not any(t.startswith("label_anchor") for t in trainer.terms)
    for n in trainer.anchor_names:
        doc_side = batch.doc_anchor_ids[n][batch.doc_anchor_valid[n]]
        assert trainer.last_rows[f"anchor:{n}"] == (len(doc_side), len(np.unique(doc_side)))
    for k in ["objective", *trainer.terms]:
        assert out[k] == pytest.approx(ref[k], rel=1e-5, abs=1e-6), k
    _assert_same_gradients(grads, ref_grads)
