"""Tests of ramen_edu.graphs (random walks with restart, personalised PageRank, pruning) and of
its dataset-level users in ramen_edu.data.anchors (densifying, neighbourhoods), and the errors
bad inputs raise."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.data.anchors import densify_anchor_set, neighbourhood_graph
from ramen_edu.data.dataset import AnchorSet, XCDataset
from ramen_edu.graphs import (
    anchor_hop_distance,
    binary_pattern,
    build_bipartite,
    co_membership,
    degree_stats,
    edge_cosines,
    irrelevant_share,
    personalized_pagerank,
    prune_edges,
    pruning_showcase_rows,
    random_walk_with_restart,
    shuffle_edges,
    split_bipartite,
    threshold_sweep,
    top_k_visited,
    useful_edges,
    walk_error_by_hops,
)


def random_bipartite(n=60, m=40, density=0.08, seed=2) -> sp.csr_matrix:
    a = sp.random(n, m, density=density, random_state=seed, format="csr")
    a.data[:] = 1.0
    return a


def path_graph() -> sp.csr_matrix:
    """node0 - a0 - node1 - a1 - node2 - a2 ; node3 isolated; anchor a3 dangling."""
    rows = [0, 1, 1, 2, 2]
    cols = [0, 0, 1, 1, 2]
    return sp.csr_matrix((np.ones(5), (rows, cols)), shape=(4, 4))


# --- random walk with restart ---------------------------------------------------------------
def test_rwr_converges_to_personalized_pagerank():
    adj = random_bipartite()
    exact = personalized_pagerank(adj)
    errors = {}
    for hops in (400, 20000):
        walk = random_walk_with_restart(adj, hops=hops, top_k=adj.shape[1], seed=3).toarray()
        errors[hops] = np.abs(walk - exact).sum(axis=1).mean()
        # Each frequency is a mean of `hops` visit indicators with variance ≤ 1/4, nearly
        # independent because 80% of hops restart (variance inflation well below 2), so its
        # standard deviation is ≤ sqrt(0.5 / hops); 6 of them bounds the max over 2,400 entries.
        assert np.abs(walk - exact).max() < 6 * np.sqrt(0.5 / hops)
    # 50x the hops: the error should shrink by ~sqrt(50) ≈ 7; demand at least a factor 3
    assert errors[20000] < errors[400] / 3


def test_ppr_rows_are_distributions_and_match_hand_computation():
    adj = path_graph()
    ppr = personalized_pagerank(adj, restart=0.8)
    np.testing.assert_allclose(ppr[:3].sum(axis=1), 1.0, atol=1e-9)
    assert np.all(ppr[3] == 0)  # isolated node
    assert np.all(ppr[:, 3] == 0)  # dangling anchor
    # node 0 has one anchor a0 → every hop leaving node 0 counts a0; a hop leaves node 0 with
    # the stationary probability x0 solving x0 = 0.8 + 0.2·(x0·½ + x1·½·... ) — check the fixed
    # point directly instead: y = x P with x = r e + (1-r) x P Q
    p = np.diag(1 / np.maximum(adj.sum(1).A1, 1)) @ adj.toarray()
    q = np.diag(1 / np.maximum(adj.sum(0).A1, 1)) @ adj.toarray().T
    x = np.linalg.solve(np.eye(4) - 0.2 * (p @ q).T, 0.8 * np.eye(4)[0])
    np.testing.assert_allclose(ppr[0], x @ p, atol=1e-9)


def test_rwr_top_k_properties():
    adj = random_bipartite(n=80, m=50, density=0.15)
    walk = random_walk_with_restart(adj, hops=300, top_k=4, seed=0)
    counts = random_walk_with_restart(adj, hops=300, top_k=50, seed=0, return_counts=True)
    assert walk.shape == adj.shape and walk.dtype == np.float32
    assert walk.getnnz(axis=1).max() <= 4
    # the counted visits of each walk sum to `hops`
    np.testing.assert_allclose(counts.sum(axis=1).A1[np.diff(adj.indptr) > 0], 300)
    # top_k keeps exactly the largest counts of the full walk (same seed → same walk)
    full = counts.toarray()
    for i in range(adj.shape[0]):
        kept = walk[i].indices
        if len(kept) == 0:
            continue
        assert full[i, kept].min() >= np.sort(full[i])[::-1][min(4, (full[i] > 0).sum()) - 1]
        np.testing.assert_allclose(walk[i].data, full[i, kept] / 300, rtol=1e-6)
    # frequencies: every node's own anchors are visited (80% of hops leave from it)
    own = adj.multiply(full > 0)
    assert own.nnz == adj.nnz


def test_rwr_ties_go_to_the_smaller_anchor():
    # one node, three anchors, nobody else: each hop picks one of its 3 anchors uniformly
    adj = sp.csr_matrix(np.ones((1, 3)))
    counts = random_walk_with_restart(adj, hops=3, top_k=3, seed=5, return_counts=True).toarray()[0]
    walk = random_walk_with_restart(adj, hops=3, top_k=1, seed=5, return_counts=True)
    best = counts.max()
    assert walk.indices[0] == np.flatnonzero(counts == best)[0]


def test_rwr_seeding():
    adj = random_bipartite()
    a = random_walk_with_restart(adj, hops=50, seed=7)
    b = random_walk_with_restart(adj, hops=50, seed=7)
    c = random_walk_with_restart(adj, hops=50, seed=8)
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0


def test_rwr_isolated_nodes_and_dangling_anchors():
    adj = path_graph()
    walk = random_walk_with_restart(adj, hops=200, top_k=10, seed=0)
    assert walk[3].nnz == 0  # isolated node: empty row
    assert walk[:, 3].nnz == 0  # dangling anchor: never visited
    assert walk[0, 0] > 0.75  # node 0's only anchor gets every hop leaving node 0 (≥ 80%)
    # node 0 reaches a2 only three hops out: possible but rare; a1 two hops out is common
    assert walk[0, 1] > walk[0, 2]


def test_rwr_start_nodes_subset_and_chunks_agree_on_structure():
    adj = random_bipartite()
    some = random_walk_with_restart(adj, hops=100, nodes=[3, 5], seed=0)
    assert set(np.flatnonzero(some.getnnz(axis=1))) <= {3, 5}
    chunked = random_walk_with_restart(adj, hops=100, seed=0, chunk_size=7)
    assert chunked.shape == adj.shape and chunked.getnnz(axis=1).max() <= 10


def test_restart_one_only_counts_own_anchors():
    adj = random_bipartite()
    walk = random_walk_with_restart(adj, hops=100, restart=1.0, top_k=50, seed=0)
    assert (walk.astype(bool) > adj.astype(bool)).nnz == 0


@pytest.mark.parametrize("kwargs, match", [
    ({"restart": -0.1}, "restart"), ({"restart": 0.0}, "restart"), ({"restart": 1.5}, "restart"),
    ({"top_k": 0}, "top_k"), ({"hops": 0}, "hops"), ({"nodes": [99]}, "nodes"),
])
def test_rwr_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_walk_with_restart(random_bipartite(), **kwargs)


def test_graph_functions_reject_non_csr():
    dense = random_bipartite().toarray()
    with pytest.raises(TypeError, match="scipy.sparse"):
        random_walk_with_restart(dense)
    with pytest.raises(TypeError, match="tocsr"):
        personalized_pagerank(sp.coo_matrix(dense))
    with pytest.raises(TypeError, match="csr"):
        prune_edges(sp.csc_matrix(dense), np.ones((60, 2)), np.ones((40, 2)))
    neg = random_bipartite()
    neg.data[0] = -1
    with pytest.raises(ValueError, match="negative"):
        random_walk_with_restart(neg)


def test_hop_distance():
    d = anchor_hop_distance(path_graph(), 0)
    assert d.tolist() == [1, 2, 3, -1]
    assert anchor_hop_distance(path_graph(), 3).tolist() == [-1, -1, -1, -1]


# --- stacking, densifying, statistics --------------------------------------------------------
def test_build_and_split_bipartite_and_densify():
    docs = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    labels = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1]], dtype=np.float32))
    stacked = build_bipartite(docs, labels)
    assert stacked.shape == (4, 3)
    d, lab = split_bipartite(stacked, 2)
    assert (d != docs).nnz == 0 and (lab != labels).nnz == 0
    with pytest.raises(ValueError, match="same anchor set"):
        build_bipartite(docs, sp.csr_matrix(np.ones((2, 4))))
    dense = densify_anchor_set(AnchorSet("links", ["a", "b", "c"], docs, labels), hops=400, top_k=3)
    # document 0 reaches anchor 1 only through label 0, which links anchors 0 and 1
    assert dense.doc_anchor[0, 1] > 0 and dense.doc_anchor[0, 2] == 0
    assert dense.name == "links" and dense.label_anchor.shape == (2, 3)


def test_top_k_visited_is_the_walks_counting():
    visits = np.array([[4, 1, 4, 1, 0], [2, 2, 2, 0, 1]])
    top = top_k_visited(visits, 1)
    assert top.shape == (2, 5)
    assert top[0].indices.tolist() == [1] and top[1].indices.tolist() == [2]  # a tie goes to the smaller id
    assert top[0, 1] == pytest.approx(0.4) and top[1, 2] == pytest.approx(0.6)
    assert top_k_visited(visits, 2, n_anchors=9).shape == (2, 9)
    with pytest.raises(ValueError, match="walkers × hops"):
        top_k_visited(np.array([1, 2]), 1)


def test_degree_stats():
    s = degree_stats(path_graph())
    assert s["edges"] == 5 and s["isolated_nodes"] == 1 and s["dangling_anchors"] == 1
    assert s["node_degree"]["max"] == 2 and s["anchor_degree"]["max"] == 2


# --- pruning --------------------------------------------------------------------------------
def unit(angle_deg):
    a = np.deg2rad(angle_deg)
    return np.array([np.cos(a), np.sin(a)], dtype=np.float32)


def test_prune_threshold_is_strict_and_record_is_complete():
    # node 0 at 0°, anchors at 0°, 90° (cos 0 exactly), 120° (cos -0.5), 60° (cos 0.5)
    rows = np.array([unit(0), unit(90)])
    cols = np.array([unit(0), unit(90), unit(120), unit(60)])
    adj = sp.csr_matrix(np.array([[1, 1, 1, 1], [1, 0, 0, 2]], dtype=np.float32))
    cos = edge_cosines(adj, rows, cols)
    np.testing.assert_allclose(cos, [1, 0, -0.5, 0.5, 0, np.cos(np.deg2rad(30))], atol=1e-6)
    kept, rec = prune_edges(adj, rows, cols, threshold=0.0)
    # cos exactly 0 (orthogonal) is NOT > 0: cut (up to float rounding of cos 90°)
    cos90 = float(unit(0) @ unit(90))
    expect_cut = {(0, 2)} | ({(0, 1), (1, 0)} if cos90 <= 0 else set())
    assert set(zip(rec.cut_rows.tolist(), rec.cut_cols.tolist())) == expect_cut
    assert kept[1, 3] == 2  # weights of kept edges are kept
    assert rec.n_edges == 6 and rec.n_kept + rec.n_cut == 6 and rec.n_kept == kept.nnz
    assert rec.fraction_cut == pytest.approx(rec.n_cut / 6)
    assert np.all(rec.kept_cosine > 0) and np.all(rec.cut_cosine <= 0)
    kept_half, rec_half = prune_edges(adj, rows, cols, threshold=0.5)
    assert (0, 3) not in set(zip(*kept_half.nonzero()))  # cos 0.5 is not > 0.5
    assert "kept" in rec_half.summary()


def test_prune_normalises_embeddings_and_accepts_torch():
    torch = pytest.importorskip("torch")
    rows = np.array([[3.0, 0.0]])
    cols = np.array([[0.0, 5.0], [2.0, 2.0]])
    adj = sp.csr_matrix(np.ones((1, 2)))
    np.testing.assert_allclose(edge_cosines(adj, rows, cols), [0, np.sqrt(0.5)], atol=1e-6)
    kept, _ = prune_edges(adj, torch.tensor(rows), torch.tensor(cols))
    assert kept.indices.tolist() == [1]


def test_prune_chunks_agree_with_dense_computation():
    rng = np.random.default_rng(0)
    adj = random_bipartite(n=200, m=150, density=0.1)
    r, c = rng.normal(size=(200, 16)), rng.normal(size=(150, 16))
    rn, cn = r / np.linalg.norm(r, axis=1, keepdims=True), c / np.linalg.norm(c, axis=1, keepdims=True)
    full = rn @ cn.T
    kept, rec = prune_edges(adj, r, c, chunk_size=17)
    want = sp.csr_matrix(adj.multiply(full > 0))
    want.eliminate_zeros()
    assert (kept.astype(bool) != want.astype(bool)).nnz == 0
    assert rec.n_cut == adj.nnz - want.nnz


@pytest.mark.parametrize("rows, cols, match", [
    (np.ones((3, 4)), np.ones((40, 4)), "row_emb has shape"),
    (np.ones((60, 4)), np.ones((40, 5)), "dimension"),
    (np.ones((60, 4)), np.ones((39, 4)), "col_emb has shape"),
    (np.zeros((60, 4)), np.ones((40, 4)), "zero vector"),
    (np.full((60, 4), np.nan), np.ones((40, 4)), "not finite"),
])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_prune_bad_embeddings(rows, cols, match, backend):
    with pytest.raises(ValueError, match=match):
        prune_edges(random_bipartite(), rows, cols, backend=backend)


def test_prune_backends_agree():
    rng = np.random.default_rng(1)
    adj = random_bipartite(n=120, m=90, density=0.2)
    r, c = rng.normal(size=(120, 8)), rng.normal(size=(90, 8))
    np.testing.assert_allclose(edge_cosines(adj, r, c, backend="numpy"),
                               edge_cosines(adj, r, c, backend="torch"), atol=1e-5)
    with pytest.raises(ValueError, match="backend"):
        edge_cosines(adj, r, c, backend="jax")


def test_prune_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        prune_edges(random_bipartite(), np.ones((60, 2)), np.ones((40, 2)), threshold=1.0)


# --- the scrambled-graph control ------------------------------------------------------------
def _degrees(g):
    return np.diff(g.indptr), np.bincount(g.indices, minlength=g.shape[1])


def test_scramble_keeps_every_degree_up_to_merged_duplicates(tiny_world):
    for name, aset in tiny_world.anchors.items():
        for side in ("doc_anchor", "label_anchor"):
            g = getattr(aset, side)
            out = shuffle_edges(g, seed=3)
            assert out.shape == g.shape and out.dtype == g.dtype == np.float32, (name, side)
            assert out.has_sorted_indices and (out.data == 1).all()
            rows, cols = _degrees(g)
            rows_out, cols_out = _degrees(out)
            merged = g.nnz - out.nnz  # each merged duplicate costs its row and its anchor one degree
            assert (rows_out <= rows).all() and (rows - rows_out).sum() == merged
            assert (cols_out <= cols).all() and (cols - cols_out).sum() == merged
            # how rare (seed 3): 7 of 329 topic and 16 of 528 concept edges (2.1 %, 3.0 %: 6 and 30
            # anchors shared by 300 documents); none on the label side (one edge per label); 0.1–0.9 %
            # on the Wikipedia benchmark's graphs (see the docstring)
            assert merged <= 0.05 * g.nnz, (name, side, merged, g.nnz)
            # the pairing is chance: most edges land elsewhere (26 % of topic edges stay, 1 in 6 anchors)
            assert g.multiply(out).nnz < 0.5 * g.nnz, (name, side)
    # the input is not modified
    assert tiny_world.anchors["topic"].doc_anchor.nnz == 329


def test_scramble_without_duplicates_keeps_degrees_exactly():
    # one edge per row: no row can draw an anchor twice, so both degree vectors are kept exactly
    g = sp.csr_matrix((np.full(50, 0.25, np.float32), (np.arange(50), np.arange(50) % 7)), shape=(50, 9))
    out = shuffle_edges(g, seed=0)
    assert out.nnz == 50
    for a, b in zip(_degrees(g), _degrees(out)):
        assert np.array_equal(a, b)
    assert (out != g).nnz > 0 and (out.data == 1).all()  # weights are not kept: every edge is 1


def test_scramble_is_deterministic_by_seed_and_changes_the_graph():
    g = random_bipartite(density=0.1)
    a, b, c = shuffle_edges(g, 1), shuffle_edges(g, 1), shuffle_edges(g, 2)
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0 and (a != binary_pattern(g)).nnz > 0
    assert (shuffle_edges(g, [1, 5]) != shuffle_edges(g, [1, 6])).nnz > 0  # seed sequences, too


def test_scramble_empty_graphs_and_bad_arguments():
    for shape in ((0, 0), (4, 3)):
        empty = sp.csr_matrix(shape, dtype=np.float32)
        out = shuffle_edges(empty, 0)
        assert out.shape == shape and out.nnz == 0 and out.dtype == np.float32
    with pytest.raises(TypeError, match=r"graph must be a scipy.sparse csr matrix.*scipy.sparse.csr_matrix\(graph\)"):
        shuffle_edges(np.ones((3, 2)), 0)
    with pytest.raises(TypeError, match=r"graph.*tocsr"):
        shuffle_edges(sp.coo_matrix(np.ones((3, 2))), 0)


# --- neighbourhoods -------------------------------------------------------------------------
def tiny_dataset() -> XCDataset:
    # documents: Cladistics, Clade, Monophyly; labels: Common descent, Crown group, Paraphyly
    # anchors (articles mentioned): Clade, Phylogenetics, Crown group
    train_texts = ["Cladistics", "Clade", "Monophyly"]
    labels = ["Common descent", "Crown group", "Paraphyly"]
    y = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 1], [0, 1, 0]], dtype=np.float32))
    doc_anchor = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]], dtype=np.float32))
    label_anchor = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 0], [1, 0, 0]], dtype=np.float32))
    links = AnchorSet("mentions", ["Clade", "Phylogenetics", "Crown group"], doc_anchor, label_anchor)
    return XCDataset("tiny", train_texts, ["Test doc"], labels, y,
                     sp.csr_matrix((1, 3), dtype=np.float32), anchors={"mentions": links})


def test_neighbourhood_graph_of_a_document():
    ds = tiny_dataset()
    g = neighbourhood_graph(ds, document="Cladistics")
    kinds = {n: d["kind"] for n, d in g.nodes(data=True)}
    assert g.nodes["document:0"]["ring"] == 0 and g.nodes["document:0"]["text"] == "Cladistics"
    assert kinds["label:0"] == "label" and kinds["mentions:0"] == "mentions"
    # the anchor "Clade" IS the training document Clade: joined by a same-article edge,
    # and Clade's label Crown group (missing from Cladistics) enters the neighbourhood
    assert g.edges["mentions:0", "document:1"]["kind"] == "same article"
    assert "label:1" in g and g.edges["document:1", "label:1"]["kind"] == "label"
    assert not g.has_edge("document:0", "label:1")
    assert g.edges["document:0", "mentions:0"]["kind"] == "mentions"


def test_neighbourhood_graph_of_a_label_and_budget():
    ds = tiny_dataset()
    g = neighbourhood_graph(ds, label=1, max_nodes=3)
    assert g.number_of_nodes() == 3 and g.nodes["label:1"]["ring"] == 0
    full = neighbourhood_graph(ds, label="Crown group")
    assert {"document:1", "document:2", "mentions:0"} <= set(full)


def test_neighbourhood_graph_bad_inputs():
    ds = tiny_dataset()
    with pytest.raises(ValueError, match="exactly one"):
        neighbourhood_graph(ds)
    with pytest.raises(ValueError, match="leak"):
        neighbourhood_graph(ds, document="Test doc")
    with pytest.raises(ValueError, match="no anchor set"):
        neighbourhood_graph(ds, document=0, anchor_set="category")
    with pytest.raises(ValueError, match="out of range"):
        neighbourhood_graph(ds, label=7)


# --- exercise auto-checks accept right answers and reject wrong ones --------------------------
def test_exercise_checks():
    from ramen_edu.exercises.graphs import check_one_hop, check_prune, check_top_k_visited

    def hop(indptr, indices, cur, u):
        deg = np.diff(indptr)
        return indices[indptr[cur] + np.floor(u * deg[cur]).astype(np.int64)]

    check_one_hop(hop)
    with pytest.raises(AssertionError, match="LAST anchor"):
        check_one_hop(lambda indptr, indices, cur, u: indices[indptr[cur]])

    def top_k(visits, k, larger_first=False):
        w, h = visits.shape
        m = visits.max() + 1
        counts = np.zeros((w, m))
        np.add.at(counts, (np.repeat(np.arange(w), h), visits.ravel()), 1)
        if larger_first:  # wrong tie-breaking: the larger anchor id wins
            order = m - 1 - np.argsort(-counts[:, ::-1], axis=1, kind="stable")[:, :k]
        else:
            order = np.argsort(-counts, axis=1, kind="stable")[:, :k]
        vals = np.take_along_axis(counts, order, 1)
        keep = vals > 0
        return sp.csr_matrix((vals[keep] / h, (np.repeat(np.arange(w), k).reshape(w, k)[keep],
                                               order[keep])), shape=(w, m))

    check_top_k_visited(top_k)
    with pytest.raises(AssertionError, match="case 2"):
        check_top_k_visited(lambda v, k: top_k(v, k, larger_first=True))
    check_prune(lambda a, r, c: prune_edges(a, r, c)[0])
    with pytest.raises(AssertionError, match="must be cut"):
        check_prune(lambda a, r, c: a)


def test_neighbourhood_members_per_anchor():
    ds = tiny_dataset()
    g = neighbourhood_graph(ds, document="Cladistics", members_per_anchor=0, same_article=False)
    assert {d["ring"] for _, d in g.nodes(data=True)} <= {0, 1}


def test_rwr_node_counts_converge_to_ppr_node_distribution():
    adj = random_bipartite()
    exact = personalized_pagerank(adj, count="nodes", nodes=[0, 1, 2])
    walk = random_walk_with_restart(adj, hops=20000, top_k=60, count="nodes", nodes=[0, 1, 2],
                                    seed=1).toarray()[:3]
    assert walk.shape == (3, 60)
    assert np.abs(walk - exact).max() < 6 * np.sqrt(0.5 / 20000)
    # a walker lands back on its start node whenever it returns through one of its anchors
    assert np.all(np.diag(walk[:, :3]) > 0) or np.diff(adj.indptr)[:3].min() == 0
    with pytest.raises(ValueError, match="count"):
        random_walk_with_restart(adj, count="labels")


def test_anchor_graph_quality_hand_checked():
    from ramen_edu.graphs import anchor_graph_quality

    # 2 documents, 2 labels, 4 anchors. doc0 → {a0, a1}, doc1 → {a2, a3};
    # label0 → {a0}, label1 → {a3}; doc0 has labels {0, 1}, doc1 has label {0}.
    d = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.float32))
    y = sp.csr_matrix(np.array([[1, 1], [1, 0]], dtype=np.float32))
    z = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 1]], dtype=np.float32))
    q = anchor_graph_quality(d, y, z)
    # doc0's labels touch {a0, a3}: a0 supported, a1 not; doc1's label touches {a0}: none
    assert q["edges"] == 4 and q["edge_precision"] == 0.25
    # pairs: (0,0) via a0 yes; (0,1) needs a3, doc0 lacks it; (1,0) needs a0, doc1 lacks it
    assert q["pairs"] == 3 and q["label_coverage"] == pytest.approx(1 / 3)
    # chance: doc0 2 edges × 2/4 reachable + doc1 2 edges × 1/4 → (1 + 0.5) / 4
    assert q["edge_precision_chance"] == pytest.approx(0.375)
    assert q["edges_per_document"] == 2.0 and q["documents_without_edges"] == 0
    # weights do not matter, only the pattern
    assert anchor_graph_quality(d * 0.3, y, z * 7) == q


def test_anchor_graph_quality_bad_shapes_and_empty():
    from ramen_edu.graphs import anchor_graph_quality

    d = sp.csr_matrix((2, 4), dtype=np.float32)
    with pytest.raises(ValueError, match="doc_labels has 3 rows"):
        anchor_graph_quality(d, sp.csr_matrix((3, 2)), sp.csr_matrix((2, 4)))
    with pytest.raises(ValueError, match="label_anchor must be"):
        anchor_graph_quality(d, sp.csr_matrix((2, 2)), sp.csr_matrix((2, 5)))
    q = anchor_graph_quality(d, sp.csr_matrix((2, 2)), sp.csr_matrix((2, 4)))
    assert q["edge_precision"] == 0.0 and q["label_coverage"] == 0.0
    assert q["documents_without_edges"] == 2


def test_documents_with_anchors_samples_documents_anchored_in_every_set(tiny_world):
    from ramen_edu.data.anchors import documents_with_anchors

    ids = documents_with_anchors(tiny_world, 50, seed=3)
    assert len(ids) == 50 and np.all(np.diff(ids) > 0)
    for aset in tiny_world.anchors.values():
        assert aset.doc_anchor[ids].getnnz(axis=1).min() > 0
    np.testing.assert_array_equal(ids, documents_with_anchors(tiny_world, 50, seed=3))
    every = documents_with_anchors(tiny_world, 10**6)          # asking for more gives all of them
    ok = np.all([a.doc_anchor.getnnz(axis=1) > 0 for a in tiny_world.anchors.values()], axis=0)
    np.testing.assert_array_equal(every, np.flatnonzero(ok))


# --- chapter 2's noise and pruning measurements ----------------------------------------------------
def test_binary_pattern_copies_and_drops_explicit_zeros():
    m = sp.csr_matrix((np.array([2.0, 0.0, 5.0]), np.array([2, 0, 1]), np.array([0, 2, 3])), shape=(2, 3))
    before = m.indices.copy()
    b = binary_pattern(m)
    assert b.dtype == np.float32 and b.toarray().tolist() == [[0, 0, 1], [0, 1, 0]]
    np.testing.assert_array_equal(m.indices, before)      # the caller's matrix is not re-sorted


def test_co_membership_and_irrelevant_share():
    # rows 0 and 1 share column 0, rows 1 and 2 share column 2; row 3 shares nothing
    m = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 1], [0, 0, 1], [0, 1, 0]]))
    n = co_membership(m)
    assert n.toarray().tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    relevant = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
    has, share = irrelevant_share(n, relevant)
    assert has.tolist() == [True, True, True, False]
    np.testing.assert_allclose(share, [0.0, 0.5, 1.0])


def test_useful_edges_direct_label_or_through_a_label_sharing_neighbour():
    # documents 0, 1 share label 0; document 2 has label 1. Anchors: 0 names label 1, 1 and 2 name none
    y = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1]]))
    doc_anchor = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0], [1, 0, 1]]))
    anchor_label = np.array([1, -1, -1])
    u = useful_edges(doc_anchor, doc_anchor, y, anchor_label).toarray()
    # (0,0): anchor 0 names label 1, not document 0's, and its other document (2) shares no label
    # (0,1): document 1 shares label 0 and links anchor 1 -> useful; (2,0): anchor 0 is label 1 -> useful
    assert u.tolist() == [[0, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_walk_error_by_hops_shrinks_with_longer_walks():
    adj = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]], dtype=float))
    max_err, tv_err = walk_error_by_hops(adj, np.array([0, 2]), [25, 2500], seed=1)
    assert len(max_err) == len(tv_err) == 2
    assert max_err[1] < max_err[0] and tv_err[1] < tv_err[0] and tv_err[1] < 0.05
    assert all(m <= t + 1e-12 or m <= 2 * t for m, t in zip(max_err, tv_err))


def test_threshold_sweep_counts_and_precisions():
    cos = np.array([-0.2, 0.05, 0.15, 0.5])
    useful = np.array([False, False, True, True])
    none_cut, half = threshold_sweep(cos, useful, (-1.0, 0.1))
    assert none_cut["kept"] == 4 and np.isnan(none_cut["precision_cut"]) and none_cut["precision_kept"] == 0.5
    assert half == {"threshold": 0.1, "kept": 2, "kept_share": 0.5, "precision_kept": 1.0,
                    "precision_cut": 0.0, "useful_kept": 1.0}


def test_anchor_label_ids_and_where_is(tiny_world):
    from ramen_edu.data.anchors import anchor_label_ids, where_is

    name = next(iter(tiny_world.anchors))
    ids = anchor_label_ids(tiny_world, name)
    texts = tiny_world.anchors[name].texts
    assert ids.shape == (len(texts),)
    for j in np.flatnonzero(ids >= 0):
        assert tiny_world.label_texts[ids[j]] == texts[j]
    assert all(t not in tiny_world.label_texts for t in np.array(texts)[ids < 0])
    assert where_is(tiny_world, tiny_world.train_texts[0], name).startswith("training document")
    assert where_is(tiny_world, "no such title", name) == "nowhere (not in this build)"
    assert f"{name} anchor" in where_is(tiny_world, texts[0], name)


def test_walk_convergence_figure():
    from ramen_edu.viz import walk_convergence_figure

    fig = walk_convergence_figure([25, 100], [0.2, 0.1], [0.5, 0.4])
    assert [t.name for t in fig.data] == ["largest single-anchor error", "total variation", "∝ 1/√hops"]
    np.testing.assert_allclose(fig.data[2].y, [0.2, 0.1])


def test_pruning_showcase_rows_need_a_cut_and_a_kept_edge():
    rng = np.random.default_rng(4)
    adj = sp.random(200, 50, density=0.08, random_state=5, format="csr")
    cos = rng.uniform(-0.6, 0.9, adj.nnz).astype(np.float32)
    rows = np.repeat(np.arange(200), np.diff(adj.indptr))
    cut = np.bincount(rows, weights=cos <= 0.1, minlength=200)
    kept = np.diff(adj.indptr) - cut
    picked = pruning_showcase_rows(adj, cos, threshold=0.1, n=200, max_edges=6)
    want = np.flatnonzero((cut >= 1) & (kept >= 1) & (np.diff(adj.indptr) <= 6))
    assert len(want) > 10 and sorted(picked) == sorted(want)  # exactly the rows that show both
    # order: the most even mix of cut and kept first, then fewer edges, then row id
    key = [(-min(cut[r], kept[r]), np.diff(adj.indptr)[r], r) for r in picked]
    assert key == sorted(key)
    # preferred rows come first, and the choice is the same every time
    prefer = np.zeros(200, bool)
    prefer[want[-3:]] = True
    first = pruning_showcase_rows(adj, cos, threshold=0.1, n=5, max_edges=6, prefer=prefer)
    assert sorted(first[:3]) == sorted(want[-3:]) and len(first) == 5
    assert np.array_equal(first, pruning_showcase_rows(adj, cos, threshold=0.1, n=5, max_edges=6, prefer=prefer))
    # every edge kept: nothing to show
    assert pruning_showcase_rows(adj, np.ones(adj.nnz), n=5).size == 0
    with pytest.raises(ValueError, match="one value per stored edge"):
        pruning_showcase_rows(adj, cos[:-1])
    with pytest.raises(ValueError, match="one entry per row"):
        pruning_showcase_rows(adj, cos, prefer=np.ones(3, bool))
