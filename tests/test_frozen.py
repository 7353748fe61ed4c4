"""Partial fine-tuning (``TrainConfig.train_layers``, ``ramen_edu.training.frozen``): the split
encoder computes what the whole encoder computes, the stored states are the frozen part's output,
only the top layers move, and a partial run resumes exactly.

One torch thread and the tiny random encoder (a real BERT of 2 layers), except one check on the
bundled MiniLM, whose 6 layers are what the book's recipe splits.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ramen_edu.encoders import Encoder
from ramen_edu.training import TrainConfig, Trainer, train
from ramen_edu.training.frozen import HiddenCache, LayerSplit, transformer_layers
from ramen_edu.training.tokens import TokenPool, gather_tokens, length_sorted, unique_rows

torch.set_num_threads(1)

TEXTS = ["Crown group", "Cladistics", "Members of the Legislative Assembly, 1901–1904",
         "A", "List of birds of Europe and the Middle East (by family and order)", "Stem group"]


def _tiny(layers: int = 3) -> Encoder:
    enc = Encoder.tiny_random(seed=4, layers=layers)
    enc.eval()
    return enc


@pytest.mark.parametrize("k", [1, 2, 3])
def test_split_encoder_equals_the_whole_encoder(k):
    enc = _tiny(3)
    pool = TokenPool(TEXTS, enc.tokenizer, 32)
    ids, mask = gather_tokens(pool, torch.arange(len(TEXTS)), "cpu")
    whole = enc(ids, mask)
    split = LayerSplit(enc, k)
    cache = HiddenCache(pool, split, batch_size=4)  # batches cut through the texts' length order
    rows = torch.tensor([4, 0, 3, 3, 1])  # any order, repeats allowed
    states, m = cache.gather(rows)
    assert states.shape == (5, int(pool.lengths[rows].max()), enc.dim)
    assert torch.equal(m.sum(1), pool.lengths[rows])
    torch.testing.assert_close(split.upper(states, m), whole[rows], atol=1e-6, rtol=0)
    # the cache stores only real tokens: Σ lengths rows of D, no padding
    assert cache.values.shape == (int(pool.lengths.sum()), enc.dim)


def test_split_of_the_bundled_minilm_equals_its_encoder():
    enc = Encoder.from_pretrained(None)
    enc.eval()
    pool = TokenPool(TEXTS, enc.tokenizer, 32)
    ids, mask = gather_tokens(pool, torch.arange(len(TEXTS)), "cpu")
    split = LayerSplit(enc, 2)
    assert split.cut == 4  # MiniLM-L6: 4 frozen layers, 2 trained
    states, m = HiddenCache(pool, split).gather(torch.arange(len(TEXTS)))
    torch.testing.assert_close(split.upper(states, m), enc(ids, mask), atol=1e-5, rtol=0)


def test_split_freezes_the_embeddings_and_the_lower_layers_only():
    enc = _tiny(3)
    LayerSplit(enc, 1)
    layers = transformer_layers(enc.model)
    assert not any(p.requires_grad for p in enc.model.embeddings.parameters())
    assert not any(p.requires_grad for layer in layers[:2] for p in layer.parameters())
    assert all(p.requires_grad for p in layers[2].parameters())


def test_bad_train_layers_name_the_field_and_the_range():
    with pytest.raises(ValueError, match=r"train_layers=3, but encoder .* has 2 layers: use 1..2"):
        LayerSplit(Encoder.tiny_random(), 3)
    with pytest.raises(ValueError, match="TrainConfig.train_layers must be ≥ 1"):
        TrainConfig(train_layers=0)

    class NoLayers(torch.nn.Module):
        pass

    fake = type("E", (), {"model": NoLayers(), "name": "x"})()
    with pytest.raises(ValueError, match="BERT-style encoder .* train_layers=None"):
        LayerSplit(fake, 1)


def test_length_sorted_buckets_keep_every_row_where_the_losses_read_it():
    lengths = torch.tensor([5, 1, 9, 3, 7, 2])
    groups = [torch.tensor([2, 0, 2]), torch.tensor([5, 4, 0])]
    unique, inverses = unique_rows(groups)
    ordered, new_inverses, buckets = length_sorted(unique, inverses, lengths, 2)
    assert torch.equal(torch.cat(buckets), ordered)
    assert torch.all(lengths[ordered][1:] >= lengths[ordered][:-1])  # shortest first
    for group, inverse in zip(groups, new_inverses):
        assert torch.equal(ordered[inverse], group)
    assert [len(b) for b in buckets] == [2, 2]  # rows 0, 2, 4, 5


def _config(**overrides) -> TrainConfig:
    base = dict(encoder="tiny-random", epochs=2, batch_size=32, lr=2e-3, bandit=False, prune_warmup=1,
                prune_every=1, cluster_refresh=1, cluster_doubling=2, eval_docs=0, embed_batch_size=64)
    return TrainConfig(**{**base, **overrides})


def test_a_partial_run_moves_only_the_top_layer(tiny_world):
    cfg = _config(train_layers=1)
    with Trainer(tiny_world, cfg, progress=False) as trainer:
        before = {n: p.detach().clone() for n, p in trainer.encoder.named_parameters()}
        assert {id(p) for p in trainer.trained_parameters} == {
            id(p) for p in transformer_layers(trainer.encoder.model)[-1].parameters()}
        model = trainer.fit()
    changed = {n for n, p in model.encoder.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(".layer.1." in n for n in changed), changed
    assert model.record["frozen_states_s"] >= 0
    assert "only the top 1 layer(s) trained" in model.record["schedule"]
    # pruning ran on the stored states; it read the same embeddings the whole encoder gives
    with Trainer(tiny_world, cfg, progress=False) as trainer:
        trainer.encoder.load_state_dict(model.encoder.state_dict())
        fast = trainer.embed_pool(tiny_world.train_texts, "docs", "doc")
        slow = trainer.encoder.embed(tiny_world.train_texts, progress=False)
    np.testing.assert_allclose(fast, slow, atol=1e-5)


def test_a_partial_run_resumes_exactly(tiny_world, tmp_path):
    cfg = _config(train_layers=1, epochs=3, dropout=0.0)
    whole = train(tiny_world, cfg, progress=False)
    train(tiny_world, cfg, run_dir=tmp_path, stop_after=1, progress=False)
    resumed = train(tiny_world, cfg, run_dir=tmp_path, resume=True, progress=False)
    for (name, a), b in zip(whole.encoder.state_dict().items(), resumed.encoder.state_dict().values()):
        assert torch.equal(a, b), name
