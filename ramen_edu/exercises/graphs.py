"""Auto-checks for the exercises of book/02_anchor_graphs.ipynb.

Each check runs the student's function on small hand-made cases, compares with the library
(:mod:`ramen_edu.graphs`) and says which case fails and why.
Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["check_one_hop", "check_top_k_visited", "check_prune"]


def _case_graph() -> sp.csr_matrix:
    # node 0: anchors {1, 3}; node 1: anchor {0}; node 2: anchors {0, 2, 3}; node 3: none
    dense = np.array([[0, 1, 0, 1], [1, 0, 0, 0], [1, 0, 1, 1], [0, 0, 0, 0]], dtype=np.float32)
    return sp.csr_matrix(dense)


def check_one_hop(fn) -> None:
    """Check ``fn(indptr, indices, cur, u) -> anchors``: the node → anchor step of a walk.

    indptr, indices: the CSR arrays of a node × anchor graph; cur: int array, the current node
    of each walker; u: floats in [0, 1), one per walker. The walker at node i must take its
    ⌊u·deg(i)⌋-th anchor (anchors in CSR order), for all walkers at once.
    """
    adj = _case_graph()
    cases = [
        ("one walker per node with anchors, u = 0", np.array([0, 1, 2]), np.array([0.0, 0.0, 0.0])),
        ("u just below 1 picks the LAST anchor", np.array([0, 2]), np.array([0.999, 0.999])),
        ("several walkers share a node", np.array([2, 2, 2, 0]), np.array([0.1, 0.5, 0.9, 0.6])),
    ]
    for i, (what, cur, u) in enumerate(cases, 1):
        deg = np.diff(adj.indptr)
        want = adj.indices[adj.indptr[cur] + np.floor(u * deg[cur]).astype(int)]
        got = np.asarray(fn(adj.indptr, adj.indices, cur, u))
        if got.shape != want.shape:
            raise AssertionError(f"case {i} ({what}): expected one anchor per walker, shape "
                                 f"{want.shape}, got shape {got.shape}")
        if not np.array_equal(got, want):
            raise AssertionError(
                f"case {i} ({what}): walkers at nodes {cur.tolist()} with u={u.tolist()} should "
                f"step to anchors {want.tolist()}, got {got.tolist()}. The k-th anchor of node i "
                "is indices[indptr[i] + k], with k = floor(u · (indptr[i+1] − indptr[i])).")
    print("✓ all three cases pass: one vectorised hop, no Python loop over walkers needed")


def check_top_k_visited(fn) -> None:
    """Check ``fn(visits, k) -> csr``: from a (walkers × hops) array of visited anchor ids, the k
    most visited anchors per walker, value = count / hops, ties to the smaller anchor id.

    The result must be a csr_matrix with one row per walker and ``visits.max() + 1`` columns.
    Compared with ``ramen_edu.graphs.top_k_visited``, the counting ``random_walk_with_restart`` uses.
    """
    from ramen_edu.graphs import top_k_visited

    rng = np.random.default_rng(0)
    cases = [
        ("a clear winner", np.array([[3, 3, 3, 1, 2]]), 1),
        ("a tie: anchors 1 and 4 both twice, k = 1 keeps the smaller id", np.array([[4, 1, 4, 1, 0]]), 1),
        ("three walkers, k = 2", rng.integers(0, 6, size=(3, 40)), 2),
    ]
    for i, (what, visits, k) in enumerate(cases, 1):
        want = top_k_visited(visits, k)
        got = fn(visits, k)
        if not sp.issparse(got):
            raise AssertionError(f"case {i} ({what}): return a scipy.sparse csr_matrix, got "
                                 f"{type(got).__name__}")
        got = sp.csr_matrix(got)
        if got.shape != want.shape:
            raise AssertionError(f"case {i} ({what}): shape {got.shape}, expected {want.shape}")
        diff = np.abs(got.toarray() - want.toarray())
        if diff.max() > 1e-6:
            r = int(np.argmax(diff.max(axis=1)))
            raise AssertionError(
                f"case {i} ({what}): walker {r} visited {visits[r].tolist()}; expected "
                f"{dict(zip(want[r].indices.tolist(), np.round(want[r].data, 3).tolist()))} "
                f"(anchor: frequency), got "
                f"{dict(zip(got[r].indices.tolist(), np.round(got[r].data, 3).tolist()))}")
    print("✓ all three cases pass: counts, frequencies and tie-breaking agree with the library")


def check_prune(fn) -> None:
    """Check ``fn(adj, row_emb, col_emb) -> csr``: keep the edges with cosine strictly > 0.

    Embeddings are NOT unit length in the cases: normalise (or the cosine is a plain dot).
    """
    from ramen_edu.graphs import prune_edges

    adj = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 2]], dtype=np.float32))
    row_emb = np.array([[2.0, 0.0], [0.0, 3.0]])
    col_emb = np.array([[1.0, 1.0], [0.0, 5.0], [-4.0, 1.0]])
    want, _ = prune_edges(adj, row_emb, col_emb)
    got = sp.csr_matrix(fn(adj, row_emb, col_emb))
    def pairs(m):
        return {(int(i), int(j)) for i, j in zip(*m.nonzero())}

    missing, extra = pairs(want) - pairs(got), pairs(got) - pairs(want)
    if extra:
        e = sorted(extra)[0]
        cos = row_emb[e[0]] @ col_emb[e[1]] / np.linalg.norm(row_emb[e[0]]) / np.linalg.norm(col_emb[e[1]])
        raise AssertionError(f"edge {e} has cosine {cos:.3f} ≤ 0 and must be cut "
                             f"(the paper keeps only cos > 0; 0 itself is cut)")
    if missing:
        e = sorted(missing)[0]
        raise AssertionError(f"edge {e} has a positive cosine and must be kept")
    if not np.allclose(got[want.nonzero()].A1, want[want.nonzero()].A1):
        raise AssertionError("kept edges must keep their original weights (edge (1, 2) has weight 2)")
    print("✓ pruning agrees with ramen_edu.graphs.prune_edges: cos > 0 kept, cos ≤ 0 cut")
