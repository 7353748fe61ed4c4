"""Batch sampling: true positives, exact masks, cluster batching, exact resume, DDP sharding."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from ramen_edu.losses import triplet_in_batch
from ramen_edu.sampling import (BatchSampler, balanced_clusters, rows_contain,
                                sample_one_per_row)


def random_csr(n, m, density, seed, empty_rows=()):
    rng = np.random.default_rng(seed)
    dense = rng.random((n, m)) < density
    dense[np.arange(n), np.arange(n) % m] = True  # no row empty by chance
    dense[list(empty_rows)] = False
    return sp.csr_matrix(dense.astype(np.float32))


@pytest.fixture
def world():
    n, n_labels, n_anchors = 60, 25, 30
    y = random_csr(n, n_labels, 0.15, 0, empty_rows=(3, 17))  # two documents without labels
    doc_anchor = random_csr(n, n_anchors, 0.1, 1, empty_rows=(5,))
    label_anchor = random_csr(n_labels, n_anchors, 0.1, 2, empty_rows=(0, 1))
    return y, {"hyperlink": (doc_anchor, label_anchor)}


def test_sample_one_per_row_is_a_positive_and_uniform():
    m = sp.csr_matrix(np.array([[1, 0, 1, 1], [0, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32))
    rng = np.random.default_rng(0)
    rows = np.repeat([0, 1, 2], 3000)
    ids = sample_one_per_row(m, rows, rng)
    assert (ids[rows == 1] == -1).all()
    assert (ids[rows == 2] == 1).all()
    counts = np.bincount(ids[rows == 0], minlength=4)
    assert counts[1] == 0 and counts[3] > 0
    # uniform over the row's three columns: each about 1000 of 3000 (binomial sd ≈ 26)
    assert np.abs(counts[[0, 2, 3]] - 1000).max() < 150


def test_rows_contain_matches_dense_lookup():
    m = random_csr(20, 15, 0.2, 3)
    rows = np.array([0, 4, 4, 19])
    cols = np.array([2, -1, 7, 7, 14])
    got = rows_contain(m, rows, cols)
    dense = m.toarray() != 0
    want = dense[rows][:, np.maximum(cols, 0)] & (cols >= 0)[None, :]
    assert got.dtype == bool and got.shape == (4, 5)
    assert (got == want).all()


def test_batches_cover_labelled_docs_once_with_true_positives_and_exact_masks(world):
    y, graphs = world
    sampler = BatchSampler(y, graphs, batch_size=16, strategy="random", seed=1)
    sampler.set_epoch(0)
    assert sampler.n_skipped == 2 and len(sampler) == 4  # 58 labelled docs → 16+16+16+10
    dense_y = y.toarray() != 0
    da, la = (g.toarray() != 0 for g in graphs["hyperlink"])
    seen = []
    for batch in sampler:
        d, lab = batch.doc_ids, batch.label_ids
        seen.append(d)
        assert dense_y[d, lab].all()  # each sampled label is a positive of its document
        assert (batch.label_positive_mask == dense_y[d][:, lab]).all()
        assert batch.label_positive_mask.diagonal().all()
        a, v = batch.doc_anchor_ids["hyperlink"], batch.doc_anchor_valid["hyperlink"]
        assert (v == da[d].any(axis=1)).all() and (a[~v] == -1).all()
        assert da[d[v], a[v]].all()
        mask = batch.doc_anchor_mask["hyperlink"]
        assert mask[:, ~v].all()  # an empty slot is never a negative
        assert (mask[:, v] == da[d][:, a[v]]).all()
        la_ids, lv = batch.label_anchor_ids["hyperlink"], batch.label_anchor_valid["hyperlink"]
        assert (lv == la[lab].any(axis=1)).all() and la[lab[lv], la_ids[lv]].all()
        assert (batch.label_anchor_mask["hyperlink"][:, lv] == la[lab][:, la_ids[lv]]).all()
        assert batch.terms() == ["doc_label", "doc_anchor:hyperlink", "label_anchor:hyperlink"]
    seen = np.concatenate(seen)
    assert sorted(seen) == sorted(set(range(60)) - {3, 17})
    # another epoch is another order, same documents
    sampler.set_epoch(1)
    other = np.concatenate([b.doc_ids for b in sampler])
    assert sorted(other) == sorted(seen) and not (other == seen).all()


def clustered_embeddings(n_groups=8, per_group=32, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_groups, dim)) * 5
    x = np.repeat(centres, per_group, axis=0) + rng.normal(size=(n_groups * per_group, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(n_groups), per_group)


def test_balanced_clusters_are_balanced_and_follow_the_geometry():
    x, group = clustered_embeddings()
    pure = []
    for seed in range(5):
        ids = balanced_clusters(x, 32, seed=seed)
        assert (np.bincount(ids) == 32).all()
        # with 8 well separated groups of 32, clusters are (almost always) exactly one group
        pure.append(sum(len(set(group[ids == c])) == 1 for c in range(8)))
    assert min(pure) >= 6 and sum(pure) >= 36, pure
    shuffled = np.random.default_rng(0).permutation(len(x))
    ids = balanced_clusters(x[shuffled], 32, seed=0)  # input order does not matter
    assert sum(len(set(group[shuffled][ids == c])) == 1 for c in range(8)) >= 6
    ids = balanced_clusters(x[:250], 16, seed=0)
    assert sorted(np.bincount(ids)) == [10] + [16] * 15


def test_cluster_batches_are_made_of_whole_clusters_and_schedule(world):
    x, group = clustered_embeddings()
    n = len(x)
    y = sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), np.arange(n) % 7)), shape=(n, 7))
    sampler = BatchSampler(y, {}, batch_size=64, strategy="cluster", initial_cluster_size=32,
                           cluster_refresh=5, cluster_doubling=3, seed=0)
    assert [sampler.cluster_size(e) for e in (0, 2, 3, 6, 9)] == [32, 32, 64, 64, 64]
    assert sampler.needs_embeddings(0)
    with pytest.warns(UserWarning, match="no doc_embeddings"):
        sampler.set_epoch(0)  # no embeddings yet → random batches
    sampler.set_epoch(0, x)
    assert not sampler.needs_embeddings(1) and not sampler.needs_embeddings(2)
    assert sampler.needs_embeddings(3)  # cluster size doubles
    batches = list(sampler)
    assert len(batches) == 4 and all(len(b) == 64 for b in batches)
    # each batch = two whole clusters of 32: at most a few groups per batch (random: all 8)
    n_groups = [len(set(group[b.doc_ids])) for b in batches]
    assert np.mean(n_groups) <= 3
    random = BatchSampler(y, {}, batch_size=64, strategy="random", seed=0)
    random.set_epoch(0)
    assert np.mean([len(set(group[b.doc_ids])) for b in random]) >= 6


def test_state_dict_resumes_exactly(world):
    y, graphs = world
    x = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    kwargs = dict(batch_size=8, strategy="cluster", initial_cluster_size=4, seed=3)
    a = BatchSampler(y, graphs, **kwargs)
    a.set_epoch(0, x)
    it = iter(a)
    first = [next(it) for _ in range(3)]
    state = a.state_dict()
    rest = list(it)

    b = BatchSampler(y, graphs, **kwargs)
    b.load_state_dict(state)
    assert b.resuming and not b.needs_embeddings(0)
    b.set_epoch(0, None)  # the trainer calls set_epoch again on resume: it continues
    assert not b.resuming
    resumed = list(b)
    assert len(first) + len(rest) == len(a) and len(resumed) == len(rest)
    for r, s in zip(rest, resumed):
        assert (r.doc_ids == s.doc_ids).all() and (r.label_ids == s.label_ids).all()
        assert (r.doc_anchor_ids["hyperlink"] == s.doc_anchor_ids["hyperlink"]).all()
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(y, graphs, batch_size=16).load_state_dict(state)


def test_shards_rebuild_the_global_batch_and_the_global_loss(world):
    y, graphs = world
    sampler = BatchSampler(y, graphs, batch_size=20, strategy="random", seed=0)
    sampler.set_epoch(0)
    g = next(sampler.iter_global())
    emb_docs = torch.nn.functional.normalize(torch.randn(60, 8), dim=1)
    emb_anchor = torch.nn.functional.normalize(torch.randn(30, 8), dim=1)
    cand = emb_anchor[np.maximum(g.doc_anchor_ids["hyperlink"], 0)]
    term = "doc_anchor:hyperlink"
    one_process = triplet_in_batch(emb_docs[g.doc_ids], cand, g.positive_columns(),
                                   g.doc_anchor_mask["hyperlink"],
                                   row_valid=g.doc_anchor_valid["hyperlink"])
    world_size, per_rank = 3, []
    for rank in range(world_size):
        s = g.shard(rank, world_size)
        assert s.global_batch() is g and s.row_normaliser(term) == g.row_normaliser(term)
        local = triplet_in_batch(emb_docs[s.doc_ids], cand, s.positive_columns(),
                                 s.doc_anchor_mask["hyperlink"], reduction="sum",
                                 row_valid=s.doc_anchor_valid["hyperlink"])
        per_rank.append(local * world_size / s.row_normaliser(term))
    assert torch.stack(per_rank).mean().item() == pytest.approx(one_process.item(), rel=1e-5)
    shards = [g.shard(r, world_size) for r in range(world_size)]
    assert (np.concatenate([s.doc_ids for s in shards]) == g.doc_ids).all()
    assert (np.concatenate([s.label_positive_mask for s in shards]) == g.label_positive_mask).all()
    # a sampler built for rank 1 yields exactly rank 1's shards
    r1 = BatchSampler(y, graphs, batch_size=20, strategy="random", seed=0, rank=1, world_size=3)
    r1.set_epoch(0)
    assert (next(iter(r1)).doc_ids == shards[1].doc_ids).all()


def test_update_graphs_takes_effect(world):
    y, graphs = world
    sampler = BatchSampler(y, graphs, batch_size=64, strategy="random")
    doc_anchor, label_anchor = graphs["hyperlink"]
    pruned = sp.csr_matrix(doc_anchor.shape, dtype=np.float32)  # everything pruned away
    sampler.update_graphs({"hyperlink": (pruned, label_anchor)})
    sampler.set_epoch(0)
    batch = next(iter(sampler))
    assert not batch.doc_anchor_valid["hyperlink"].any()
    assert batch.doc_anchor_mask["hyperlink"].all()  # no anchor: nothing is a negative
    # an anchor set with no anchors at all still gives well-formed (all-invalid) batches
    empty = {"none": (sp.csr_matrix((60, 0)), sp.csr_matrix((25, 0)))}
    sampler.update_graphs(empty)
    batch = sampler.batch(0)
    assert batch.doc_anchor_mask["none"].shape == (len(batch), len(batch))
    assert not batch.label_anchor_valid["none"].any()


def test_bad_inputs_raise_clear_errors(world):
    y, graphs = world
    doc_anchor, label_anchor = graphs["hyperlink"]
    with pytest.raises(ValueError, match="one per training document"):
        BatchSampler(y, {"h": (doc_anchor[:10], label_anchor)})
    with pytest.raises(ValueError, match="anchors"):
        BatchSampler(y, {"h": (doc_anchor, label_anchor[:, :5])})
    with pytest.raises(TypeError, match="pair"):
        BatchSampler(y, {"h": doc_anchor})
    with pytest.raises(ValueError, match="strategy"):
        BatchSampler(y, graphs, strategy="nearest")
    with pytest.raises(ValueError, match="no document with a label"):
        BatchSampler(sp.csr_matrix((4, 3)), {})
    sampler = BatchSampler(y, graphs, batch_size=8)
    with pytest.raises(ValueError, match="one row per training document"):
        sampler.set_epoch(0, np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match="rank"):
        next(sampler.iter_global()).shard(3, 3)
