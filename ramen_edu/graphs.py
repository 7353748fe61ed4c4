"""Anchor graphs: densification by random walks with restart, cosine pruning, neighbourhoods.

RAMEN regularises its encoder with bipartite metadata graphs E_XA (documents → anchors) and
E_ZA (labels → anchors). Raw links miss edges, so the paper (App. B) densifies each graph with a
random walk with restart (400 hops, restart probability 0.8, keep the most visited anchors), and
because walks also bring noisy edges it prunes every edge whose cosine under the current encoder
is not positive. This module holds those two operations, the exact expected-visit distribution
the walk samples (personalised PageRank), and graph statistics.

All graphs are ``scipy.sparse.csr_matrix`` (rows = nodes, i.e. documents or labels; columns =
anchors). This module is matrices only: it knows no dataset (``ramen_edu.data.anchors`` applies
it to anchor sets and datasets) and draws nothing (figures live in ``ramen_edu.viz.graphs``);
torch is imported only when pruning is asked to run on torch tensors.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "PruneRecord",
    "binary_pattern",
    "co_membership",
    "irrelevant_share",
    "threshold_sweep",
    "useful_edges",
    "walk_error_by_hops",
    "anchor_graph_quality",
    "anchor_hop_distance",
    "build_bipartite",
    "check_prune_threshold",
    "degree_stats",
    "edge_cosines",
    "personalized_pagerank",
    "prune_edges",
    "pruning_showcase_rows",
    "random_walk_with_restart",
    "shuffle_edges",
    "split_bipartite",
    "top_k_visited",
]


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _check_adj(adj, name: str = "adj") -> sp.csr_matrix:
    """The structure of ``adj`` as a canonical csr (sorted indices, no explicit zeros)."""
    if not sp.issparse(adj):
        raise TypeError(
            f"{name} must be a scipy.sparse csr matrix (n_nodes × n_anchors), got "
            f"{type(adj).__name__}; convert with scipy.sparse.csr_matrix({name})")
    if adj.format != "csr":
        raise TypeError(
            f"{name} must be in csr format (rows = nodes), got {adj.format!r}; "
            f"convert with {name}.tocsr()")
    if adj.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {adj.shape}")
    out = adj.copy()
    out.sum_duplicates()
    out.eliminate_zeros()
    out.sort_indices()
    if out.nnz and out.data.min() < 0:
        raise ValueError(f"{name} has negative edge weights; anchor graphs hold 0/1 or positive weights")
    return out


def _check_restart(restart: float) -> float:
    restart = float(restart)
    if not 0.0 < restart <= 1.0:
        raise ValueError(
            f"restart must be a probability in (0, 1], got {restart}; the paper uses 0.8 (App. B)")
    return restart


# --------------------------------------------------------------------------------------------
# random walk with restart
# --------------------------------------------------------------------------------------------
def _uniform_neighbour(indptr: np.ndarray, indices: np.ndarray, deg: np.ndarray, cur: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """One uniformly random neighbour of each position in ``cur`` (all positions have deg ≥ 1)."""
    d = deg[cur]
    off = (rng.random(len(cur)) * d).astype(np.int64)
    # u < 1 so u*d < d in exact arithmetic; rounding can still give d for large d
    np.minimum(off, d - 1, out=off)
    return indices[indptr[cur] + off]


def _run_lengths(sorted_rows: np.ndarray):
    """Run-length encoding of every row of a row-sorted 2-D array: (row, value, count), row-major."""
    n_rows, width = sorted_rows.shape
    new = np.ones(sorted_rows.shape, dtype=bool)
    np.not_equal(sorted_rows[:, 1:], sorted_rows[:, :-1], out=new[:, 1:])
    start = np.flatnonzero(new)
    count = np.diff(np.append(start, n_rows * width))
    return start // width, sorted_rows.ravel()[start], count


def rank_within_rows(sorted_rows: np.ndarray, n_rows: int) -> np.ndarray:
    """0-based position of every entry inside its row, for entries already ordered with each
    row's entries together and rows ascending (e.g. ``rows[order]`` after a sort whose first key
    is the row). ``position < k`` keeps each row's first k entries in that order — the one step
    behind every "top k per row" here (walk visits, capped links, capped AugGT labels).
    sorted_rows: int (E,) row ids in [0, n_rows). Returns int64 (E,).
    """
    first = np.searchsorted(sorted_rows, np.arange(n_rows))
    return np.arange(len(sorted_rows)) - first[sorted_rows]


def _top_k_per_row(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, k: int, n_rows: int,
                   max_count: int):
    """Keep the k largest counts per row; ties go to the smaller column id.

    Input sorted by (row, col), counts in [1, max_count]. A stable sort on one int64 key
    (row, then count descending) keeps columns ascending within ties — far faster than a
    three-key lexsort. Returns the kept (rows, cols, counts), sorted by (row, count desc, col)."""
    key = rows.astype(np.int64) * (max_count + 1) + (max_count - counts)
    order = np.argsort(key, kind="stable")
    keep = order[rank_within_rows(rows[order], n_rows) < k]
    return rows[keep], cols[keep], counts[keep]


def top_k_visited(visits, k: int, *, n_anchors: int | None = None) -> sp.csr_matrix:
    """The counting step of :func:`random_walk_with_restart`, on its own: from a (walkers × hops)
    int array of visited anchor ids, each walker's k most visited anchors.

    Returns csr (walkers × n_anchors, default ``visits.max() + 1``) float64, value = visits / hops;
    ties go to the smaller anchor id, as in the walk.
    Taught in: book/02_anchor_graphs.ipynb
    """
    visits = np.asarray(visits)
    if visits.ndim != 2 or not np.issubdtype(visits.dtype, np.integer) or (visits.size and visits.min() < 0):
        raise ValueError(f"visits must be a 2-D array (walkers × hops) of anchor ids ≥ 0, got "
                         f"{visits.dtype} {visits.shape}")
    if int(k) < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    n_walkers, hops = visits.shape
    if n_anchors is None:
        n_anchors = int(visits.max()) + 1 if visits.size else 0
    rows, cols, counts = _run_lengths(np.sort(visits, axis=1))
    rows, cols, counts = _top_k_per_row(rows, cols, counts, int(k), n_walkers, hops)
    return sp.csr_matrix((counts / hops, (rows, cols)), shape=(n_walkers, n_anchors))


def random_walk_with_restart(adj, *, hops: int = 400, restart: float = 0.8, top_k: int = 10,
                             seed: int = 0, nodes=None, chunk_size: int | None = None,
                             return_counts: bool = False, count: str = "anchors") -> sp.csr_matrix:
    """Densify a bipartite node–anchor graph by random walks with restart (RAMEN App. B).

    The walk, precisely. One walker per start node s (every row of ``adj``, or those in
    ``nodes``). A *hop* goes node → anchor → node: from its current node the walker steps to a
    uniformly random anchor of that node — this anchor is the one *counted* — and from the anchor
    to a uniformly random node of that anchor. Before every hop after the first, with
    probability ``restart`` the walker jumps back to s. So a walk of ``hops`` hops counts exactly
    ``hops`` anchor visits; with restart 0.8, 80% of the hops leave from s itself (its own
    anchors), about 16% from a node one shared anchor away, 3% from two away, and so on. Edge
    weights are ignored (every edge is equally likely); only the structure matters.

    adj:    csr (n_nodes × n_anchors), e.g. a document→anchor graph, or documents and labels
            stacked by :func:`build_bipartite`.
    nodes:  optional int array of start nodes (default: all rows); other rows come back empty.
    chunk_size: walkers simulated together (default keeps ~16M visits, ~70 MB, per chunk).
    return_counts: return the raw visit counts instead of frequencies.
    count:  ``"anchors"`` (the densification: which anchors a node reaches) or ``"nodes"``
            (the node each hop lands on — which documents/labels a walk from s passes through,
            s itself included; the result is then n_nodes × n_nodes).

    Returns csr (n_nodes × n_anchors) float32: for every start node the ``top_k`` most visited
    anchors (ties: smaller anchor id first), value = visits / hops (visit frequency). A node with
    no anchors (isolated) gets an empty row; an anchor with no nodes (dangling) is never visited.
    Same ``seed`` (and chunk_size) → the same result. As hops → ∞ the frequencies converge to
    :func:`personalized_pagerank` (error ~ 1/sqrt(hops)).

    Vectorised: one array of current positions for all walkers of a chunk, neighbours sampled
    through the CSR ``indptr`` with random offsets; the only Python loop is over hops.
    Taught in: book/02_anchor_graphs.ipynb
    """
    adj = _check_adj(adj)
    restart = _check_restart(restart)
    if int(hops) < 1:
        raise ValueError(f"hops must be ≥ 1, got {hops}; the paper uses 400 (App. B)")
    if int(top_k) < 1:
        raise ValueError(f"top_k must be ≥ 1, got {top_k}; the reference code keeps 10")
    if count not in ("anchors", "nodes"):
        raise ValueError(f"count must be 'anchors' or 'nodes', got {count!r}")
    hops, top_k = int(hops), int(top_k)
    n_nodes, n_anchors = adj.shape
    index_dtype = np.int32 if max(n_nodes, n_anchors, adj.nnz) < 2**31 - 1 else np.int64
    indptr = adj.indptr.astype(np.int64)
    indices = adj.indices.astype(index_dtype)
    adj_t = adj.T.tocsr()  # anchor → node, to sample the way back
    indptr_t = adj_t.indptr.astype(np.int64)
    indices_t = adj_t.indices.astype(index_dtype)
    deg = np.diff(indptr)
    deg_t = np.diff(indptr_t)

    if nodes is None:
        starts_all = np.arange(n_nodes, dtype=index_dtype)
    else:
        starts_all = np.asarray(nodes).ravel()
        if starts_all.size and (not np.issubdtype(starts_all.dtype, np.integer)
                                or starts_all.min() < 0 or starts_all.max() >= n_nodes):
            raise ValueError(f"nodes must be integer row ids in [0, {n_nodes})")
        starts_all = np.unique(starts_all).astype(index_dtype)
    starts_all = starts_all[deg[starts_all] > 0]  # isolated nodes: nothing to walk, empty rows

    if chunk_size is None:
        chunk_size = max(1, (1 << 24) // hops)
    rng = np.random.default_rng(seed)
    out_rows, out_cols, out_vals = [], [], []
    for lo in range(0, len(starts_all), int(chunk_size)):
        starts = starts_all[lo:lo + int(chunk_size)]
        c = len(starts)
        visits = np.empty((hops, c), dtype=index_dtype)  # row t = hop t: contiguous writes
        # Each walker carries where its current node's anchors start in `indices` and how many
        # there are, so the counted step costs one random read. The restart coin for the next
        # hop is tossed right after counting: the ~80% of walkers going home skip the
        # anchor → node step and its reads altogether (same process in law, a third of the work).
        start_ptr, start_deg = indptr[starts], deg[starts]
        cur_ptr, cur_deg = start_ptr.copy(), start_deg.copy()
        for t in range(hops):
            off = (rng.random(c) * cur_deg).astype(np.int64)
            np.minimum(off, cur_deg - 1, out=off)  # float rounding can give u·d == d
            anchor = indices[cur_ptr + off]
            if count == "nodes":  # every hop's landing node is counted, so all walkers move
                node = _uniform_neighbour(indptr_t, indices_t, deg_t, anchor, rng)
                visits[t] = node
                home = rng.random(c) < restart
                cur_ptr = np.where(home, start_ptr, indptr[node])
                cur_deg = np.where(home, start_deg, deg[node])
                continue
            visits[t] = anchor
            if t == hops - 1:
                break
            home = rng.random(c) < restart
            np.copyto(cur_ptr, start_ptr, where=home)
            np.copyto(cur_deg, start_deg, where=home)
            movers = np.flatnonzero(~home)
            node = _uniform_neighbour(indptr_t, indices_t, deg_t, anchor[movers], rng)
            cur_ptr[movers] = indptr[node]
            cur_deg[movers] = deg[node]
        visits = np.ascontiguousarray(visits.T)
        visits.sort(axis=1)  # each walker's visits sorted: counting is then run-length encoding
        local, cols, counts = _run_lengths(visits)
        del visits
        local, cols, counts = _top_k_per_row(local, cols, counts, top_k, c, hops)
        rows = starts[local].astype(np.int64)
        out_rows.append(rows)
        out_cols.append(cols)
        out_vals.append(counts)
    if out_rows:
        rows, cols, vals = (np.concatenate(x) for x in (out_rows, out_cols, out_vals))
    else:
        rows = cols = vals = np.zeros(0, dtype=np.int64)
    vals = vals.astype(np.float32) if return_counts else (vals / hops).astype(np.float32)
    out = sp.csr_matrix((vals, (rows, cols)),
                        shape=(n_nodes, n_anchors if count == "anchors" else n_nodes))
    out.sort_indices()
    return out


def _transition_matrices(adj: sp.csr_matrix):
    """Row-stochastic node→anchor (n × M) and anchor→node (M × n) matrices of uniform steps."""
    ones = adj.copy()
    ones.data = np.ones_like(ones.data, dtype=np.float64)

    def row_normalise(m: sp.csr_matrix) -> sp.csr_matrix:
        deg = np.asarray(m.sum(axis=1)).ravel()
        inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
        return sp.diags(inv) @ m

    return row_normalise(ones).tocsr(), row_normalise(ones.T.tocsr()).tocsr()


def personalized_pagerank(adj, *, restart: float = 0.8, tol: float = 1e-10, max_iter: int = 200,
                          nodes=None, chunk_size: int = 2048, count: str = "anchors") -> np.ndarray:
    """The exact anchor-visit distribution that :func:`random_walk_with_restart` samples.

    With P = D_n⁻¹A (node → anchor) and Q = D_a⁻¹Aᵀ (anchor → node), the node a hop leaves from
    has, in the long run, the distribution x_s = r·e_s + (1 − r)·x_s P Q (personalised PageRank
    with restart r on the two-step node graph), and the anchor it counts is y_s = x_s P. Solved by
    power iteration — the error shrinks by a factor (1 − r) per iteration, so restart 0.8 reaches
    1e-10 in about 15 — for a chunk of start nodes at once as a sparse × dense product.

    adj:   csr (n_nodes × n_anchors); weights ignored, as in the walk.
    nodes: start nodes (default all rows). The result is dense, len(nodes) × n_anchors float64,
           so ask for a subset on big graphs.
    count: ``"anchors"`` → Y with Y[i] = y_{nodes[i]} (len(nodes) × n_anchors); ``"nodes"`` →
           the distribution of the node a hop lands on, y_s Q (len(nodes) × n_nodes), matching
           ``random_walk_with_restart(..., count="nodes")``.
    Rows sum to 1, except all-zero rows for isolated nodes.
    (The sampled walk leaves its first hop from s exactly rather than from x_s; that start-up
    bias is O(1/hops) in total variation, far below the O(1/sqrt(hops)) sampling noise.)
    Taught in: book/02_anchor_graphs.ipynb
    """
    adj = _check_adj(adj)
    restart = _check_restart(restart)
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be ≥ 1, got {max_iter}")
    if count not in ("anchors", "nodes"):
        raise ValueError(f"count must be 'anchors' or 'nodes', got {count!r}")
    n_nodes, n_anchors = adj.shape
    nodes = np.arange(n_nodes) if nodes is None else np.asarray(nodes).ravel()
    if nodes.size and (not np.issubdtype(nodes.dtype, np.integer) or nodes.min() < 0
                       or nodes.max() >= n_nodes):
        raise ValueError(f"nodes must be integer row ids in [0, {n_nodes})")
    p, q = _transition_matrices(adj)
    p_t, q_t = p.T.tocsr(), q.T.tocsr()  # iterate on columns: Xᵀ ← r·Eᵀ + (1 − r)·Qᵀ(Pᵀ Xᵀ)
    out = np.zeros((len(nodes), n_anchors if count == "anchors" else n_nodes))
    for lo in range(0, len(nodes), int(chunk_size)):
        chunk = nodes[lo:lo + int(chunk_size)]
        e = np.zeros((n_nodes, len(chunk)))
        e[chunk, np.arange(len(chunk))] = 1.0
        x = e
        for _ in range(int(max_iter)):
            x_new = restart * e + (1.0 - restart) * (q_t @ (p_t @ x))
            delta = np.abs(x_new - x).max()
            x = x_new
            if delta < tol:
                break
        y = p_t @ x
        out[lo:lo + len(chunk)] = (y if count == "anchors" else q_t @ y).T
    return out


def anchor_hop_distance(adj, node: int, *, max_distance: int = 10) -> np.ndarray:
    """How many node→anchor steps a walk from ``node`` needs to first reach each anchor.

    Distance 1: the node's own anchors; distance d + 1: anchors of the nodes that share a
    distance-d anchor, not seen before. Returns int64 (n_anchors,), −1 where unreachable within
    ``max_distance``. Used to show that restart 0.8 keeps most visits 1–2 hops away.
    Taught in: book/02_anchor_graphs.ipynb
    """
    adj = _check_adj(adj)
    n_nodes, n_anchors = adj.shape
    if not 0 <= int(node) < n_nodes:
        raise ValueError(f"node {node} is out of range [0, {n_nodes})")
    structure = adj.astype(bool).astype(np.int8)
    structure_t = structure.T.tocsr()
    dist = np.full(n_anchors, -1, dtype=np.int64)
    frontier_nodes = np.zeros(n_nodes, dtype=bool)
    frontier_nodes[int(node)] = True
    seen_nodes = frontier_nodes.copy()
    for d in range(1, int(max_distance) + 1):
        reached = np.asarray(structure_t @ frontier_nodes.astype(np.int8)).ravel() > 0
        new = reached & (dist < 0)
        if not new.any():
            break
        dist[new] = d
        nxt = np.asarray(structure @ new.astype(np.int8)).ravel() > 0
        frontier_nodes = nxt & ~seen_nodes
        seen_nodes |= frontier_nodes
    return dist


# --------------------------------------------------------------------------------------------
# stacking documents and labels, statistics
# --------------------------------------------------------------------------------------------
def build_bipartite(doc_anchor, label_anchor=None) -> sp.csr_matrix:
    """One node–anchor graph from an anchor set's two halves: rows = documents, then labels.

    doc_anchor: csr (N × M); label_anchor: csr (L × M) or None. Returns csr ((N + L) × M), so a
    walk from a document can pass through labels that share its anchors (and vice versa).
    Split the result back with :func:`split_bipartite`.
    Taught in: book/02_anchor_graphs.ipynb
    """
    doc_anchor = _check_adj(doc_anchor, "doc_anchor")
    if label_anchor is None:
        return doc_anchor
    label_anchor = _check_adj(label_anchor, "label_anchor")
    if label_anchor.shape[1] != doc_anchor.shape[1]:
        raise ValueError(f"doc_anchor has {doc_anchor.shape[1]} anchors but label_anchor has "
                         f"{label_anchor.shape[1]}; both must index the same anchor set")
    return sp.vstack([doc_anchor, label_anchor], format="csr")


def split_bipartite(adj, n_docs: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Inverse of :func:`build_bipartite`: (first n_docs rows, remaining rows), both csr.
    """
    adj = sp.csr_matrix(adj)
    if not 0 <= int(n_docs) <= adj.shape[0]:
        raise ValueError(f"n_docs={n_docs} but the graph has {adj.shape[0]} rows")
    return adj[:int(n_docs)].tocsr(), adj[int(n_docs):].tocsr()


def degree_stats(adj) -> dict:
    """Shape and degree statistics of a node–anchor graph (the numbers of a dataset card).

    Returns a dict: nodes, anchors, edges, density, node-degree mean/median/p99/max, isolated
    nodes, anchor-degree mean/median/p99/max, dangling anchors (no nodes), and the share of
    edges held by the 1% most linked anchors (how heavy the tail is).
    Taught in: book/02_anchor_graphs.ipynb
    """
    adj = _check_adj(adj)
    n, m = adj.shape
    dn = np.diff(adj.indptr)
    da = np.bincount(adj.indices, minlength=m)

    def describe(d: np.ndarray) -> dict:
        if d.size == 0:
            return {"mean": 0.0, "median": 0.0, "p99": 0.0, "max": 0}
        return {"mean": float(d.mean()), "median": float(np.median(d)),
                "p99": float(np.percentile(d, 99)), "max": int(d.max())}

    top = np.sort(da)[::-1][:max(1, m // 100)] if m else np.zeros(0)
    return {
        "nodes": n, "anchors": m, "edges": int(adj.nnz),
        "density": float(adj.nnz / (n * m)) if n and m else 0.0,
        "node_degree": describe(dn), "isolated_nodes": int((dn == 0).sum()),
        "anchor_degree": describe(da), "dangling_anchors": int((da == 0).sum()),
        "edge_share_top1pct_anchors": float(top.sum() / adj.nnz) if adj.nnz else 0.0,
    }


def anchor_graph_quality(doc_anchor, doc_labels, label_anchor) -> dict:
    """How well an anchor graph connects documents to their own labels (two quality numbers).

    doc_anchor: csr (N × M) document → anchor edges (weights ignored, only the pattern counts).
    doc_labels: csr (N × L) the documents' true labels (train_y, or test_y for held-out rows).
    label_anchor: csr (L × M) label → anchor edges.

    * **edge precision** — the share of document→anchor edges (d, a) whose anchor a is also an
      anchor of one of d's labels: ``((doc_labels @ label_anchor) > 0)`` on doc_anchor's
      pattern. An edge to an anchor none of the document's labels touches cannot pull the
      document towards its labels; it is noise for the regulariser.
    * **label coverage** — the share of (document, label) pairs of ``doc_labels`` joined within
      two hops document → anchor → label: ``(doc_anchor @ label_anchor.T)[d, l] > 0``.

    Both are trivially high when the label edges were derived from the same documents (the
    see-also builder seeds a label's walk with its *training* documents' anchors), so score
    held-out rows: documents whose anchors and labels took no part in building label_anchor
    (the builder passes its test documents' hidden anchors and test_y).
    Returns a dict: documents, edges, edge_precision, edge_precision_chance (the precision of
    the same number of uniformly random edges per document: mean over edges of the share of
    anchors its document's labels touch), pairs, label_coverage, edges_per_document,
    documents_without_edges. Rates are 0.0 when there is nothing to count. Vectorised: three
    sparse products, no per-document loop.
    Taught in: book/02_anchor_graphs.ipynb
    """
    d = _check_adj(doc_anchor, "doc_anchor")
    y = _check_adj(doc_labels, "doc_labels")
    z = _check_adj(label_anchor, "label_anchor")
    if y.shape[0] != d.shape[0]:
        raise ValueError(f"doc_labels has {y.shape[0]} rows but doc_anchor has {d.shape[0]}; "
                         "pass the labels of the same documents, in the same order")
    if z.shape != (y.shape[1], d.shape[1]):
        raise ValueError(f"label_anchor must be (labels × anchors) = {(y.shape[1], d.shape[1])} "
                         f"to match doc_labels and doc_anchor, got {z.shape}")
    d, y, z = (binary_pattern(m) for m in (d, y, z))
    n_docs, n_anchors = d.shape
    reach = binary_pattern(y @ z)  # N × M: anchors touched by some label of the document
    supported = d.multiply(reach).nnz  # both patterns are 0/1: the product marks the overlap
    pairs = binary_pattern(d @ z.T).multiply(y).nnz  # (d, l) in y with a shared anchor
    deg = np.diff(d.indptr)
    chance = (float((deg * np.diff(reach.indptr)).sum() / (d.nnz * n_anchors))
              if d.nnz and n_anchors else 0.0)
    return {"documents": int(n_docs), "edges": int(d.nnz),
            "edges_per_document": float(d.nnz / n_docs) if n_docs else 0.0,
            "documents_without_edges": int((deg == 0).sum()),
            "edge_precision": float(supported / d.nnz) if d.nnz else 0.0,
            "edge_precision_chance": chance,
            "pairs": int(y.nnz), "label_coverage": float(pairs / y.nnz) if y.nnz else 0.0}


def binary_pattern(m) -> sp.csr_matrix:
    """0/1 float32 csr with the nonzero pattern of ``m`` (any shape, sparse or dense).
    Taught in: book/02_anchor_graphs.ipynb
    """
    m = sp.csr_matrix(m, dtype=np.float32, copy=True)  # a copy: sum_duplicates sorts in place
    m.sum_duplicates()
    m.eliminate_zeros()
    m.data[:] = 1.0
    return m


def co_membership(m) -> sp.csr_matrix:
    """Rows that share a column: binary csr (N, N) with (i, j) = 1 iff i ≠ j and rows i and j of
    ``m`` (N, M) have a nonzero in a common column — documents sharing a label (m = Y) or an anchor
    (m = E_XA). Taught in: book/02_anchor_graphs.ipynb
    """
    b = binary_pattern(m)
    shared = sp.csr_matrix(b @ b.T)  # (i, j): how many columns rows i and j share
    # drop the diagonal without re-sorting each row (as setdiag or sum_duplicates may): chapter 2
    # lists a document's neighbours in this order, and its committed outputs show it
    rows = np.repeat(np.arange(shared.shape[0]), np.diff(shared.indptr))
    shared.data[rows == shared.indices] = 0
    shared.eliminate_zeros()
    shared.data[:] = 1.0
    return shared


def irrelevant_share(neighbours, relevant) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the share of its neighbours that are not relevant: 1 − |N(i) ∩ R(i)| / |N(i)|.

    neighbours, relevant: binary csr (N, N), e.g. :func:`co_membership` of the anchor graph and of
    the labels. Returns (has (N,) bool: rows with at least one neighbour, share (has.sum(),) float).
    Taught in: book/02_anchor_graphs.ipynb
    """
    neighbours, relevant = binary_pattern(neighbours), binary_pattern(relevant)
    has = np.diff(neighbours.indptr) > 0
    hits = neighbours.multiply(relevant).getnnz(axis=1)[has]
    return has, 1 - hits / neighbours.getnnz(axis=1)[has]


def useful_edges(graph, doc_anchor, doc_labels, anchor_label) -> sp.csr_matrix:
    """Which document → anchor edges are *useful*: binary csr (N, M), the edges of ``graph`` whose
    anchor is one of the document's labels, or is linked (in ``doc_anchor``) to another document
    that shares a label with it.

    graph, doc_anchor: (N, M) document × anchor; doc_labels: (N, L) the training labels;
    anchor_label: (M,) int, the label id each anchor names, −1 for none.
    Taught in: book/02_anchor_graphs.ipynb
    """
    g, y = binary_pattern(graph), binary_pattern(doc_labels)
    via_neighbour = binary_pattern((co_membership(y) @ binary_pattern(doc_anchor)).multiply(g))
    anchor_label = np.asarray(anchor_label)
    coo = g.tocoo()
    names = anchor_label[coo.col] >= 0
    is_label = np.zeros(g.nnz, dtype=bool)
    is_label[names] = np.asarray(y[coo.row[names], anchor_label[coo.col[names]]]).ravel() > 0
    direct = sp.csr_matrix((is_label.astype(np.float32), (coo.row, coo.col)), shape=g.shape)
    return binary_pattern(via_neighbour + direct)


def walk_error_by_hops(adj, nodes, hop_grid, *, seed: int = 1) -> tuple[list[float], list[float]]:
    """How fast the sampled walk converges to the exact distribution (:func:`personalized_pagerank`).

    adj csr (n_nodes, n_anchors), nodes: start nodes, hop_grid: walk lengths. For each length, the
    mean over ``nodes`` of the largest single-anchor error and of the total variation distance.
    Returns (max_err, tv_err), one float per entry of hop_grid.
    Taught in: book/02_anchor_graphs.ipynb
    """
    adj = _check_adj(adj)
    exact = personalized_pagerank(adj, nodes=nodes)
    max_err, tv_err = [], []
    for h in hop_grid:
        walk = random_walk_with_restart(adj, hops=h, top_k=adj.shape[1], nodes=nodes, seed=seed)[nodes].toarray()
        max_err.append(float(np.abs(walk - exact).max(axis=1).mean()))
        tv_err.append(float(0.5 * np.abs(walk - exact).sum(axis=1).mean()))
    return max_err, tv_err


# --------------------------------------------------------------------------------------------
# the scrambled-graph control
# --------------------------------------------------------------------------------------------
def shuffle_edges(graph, seed) -> sp.csr_matrix:
    """The same graph with its edges shuffled: every node and every anchor keeps its degree.

    The control of ``TrainConfig.scramble_graph``: does RAMEN's gain come from *which* anchors a
    node links to, or only from the extra anchor texts the regularizers bring into training? A
    scrambled graph keeps everything but the first: the same nodes and anchors, how many edges
    each node has, how often each anchor is used (its popular anchors stay popular) — and the
    pairing becomes chance. It permutes the csr ``indices`` over all stored edges (each row's
    slots stay where they are and receive the anchors of random edges), so the row degrees
    (``indptr``) and the anchor degrees (the multiset of indices) are kept exactly. A row that
    draws the same anchor twice keeps it once: that row and that anchor lose one degree each.
    About Σ_rows d(d−1)/2 · Σ_anchors (deg/E)² edges merge (d: row degrees, deg: anchor degrees,
    E: edges): 0.1–0.9 % of the Wikipedia see-also benchmark's graphs (5 seeds), 1–4 % of the
    small synthetic worlds', whose few anchors are each shared by many documents
    (tests/test_graphs.py measures it).

    graph: csr (n × M), rows = nodes (documents or labels), columns = anchors; weights ignored.
    seed:  anything ``numpy.random.default_rng`` accepts (an int, or a sequence of ints).
    Returns csr (n × M) with sorted indices and every weight 1, in the input's dtype (float32 for
    a dataset's graphs); the input is not modified. Contrast
    ``ramen_edu.data.anchors.scramble_edges`` (a whole dataset, each edge to a *uniformly* random
    anchor: node degrees kept, anchor degrees not).
    Taught in: book/04_training.ipynb
    """
    adj = _check_adj(graph, "graph")
    rng = np.random.default_rng(seed)
    indices = adj.indices[rng.permutation(adj.nnz)]
    out = sp.csr_matrix((np.ones(adj.nnz, dtype=adj.dtype), indices, adj.indptr.copy()), shape=adj.shape)
    out.sum_duplicates()  # a row that drew one anchor twice: one edge (weight 2 until the next line)
    out.data[:] = 1
    return out


# --------------------------------------------------------------------------------------------
# pruning
# --------------------------------------------------------------------------------------------
@dataclass
class PruneRecord:
    """What :func:`prune_edges` did, kept for the book's pruned-edge explorer.

    cut_rows, cut_cols: int64 (n_cut,) the removed edges; cut_cosine: float32 (n_cut,) their cosines.
    kept_cosine:        float32 (n_kept,) cosines of the kept edges, in the kept csr's data order.
    """

    threshold: float
    n_edges: int
    cut_rows: np.ndarray
    cut_cols: np.ndarray
    cut_cosine: np.ndarray
    kept_cosine: np.ndarray

    @property
    def n_cut(self) -> int:
        return int(len(self.cut_rows))

    @property
    def n_kept(self) -> int:
        return int(len(self.kept_cosine))

    @property
    def fraction_cut(self) -> float:
        return self.n_cut / self.n_edges if self.n_edges else 0.0

    def summary(self) -> dict:
        """Counts and cosine quartiles of kept and cut edges."""
        def quartiles(x):
            return [float(v) for v in np.percentile(x, [25, 50, 75])] if len(x) else []

        return {"threshold": self.threshold, "edges": self.n_edges, "kept": self.n_kept,
                "cut": self.n_cut, "fraction_cut": round(self.fraction_cut, 4),
                "kept_cosine_quartiles": quartiles(self.kept_cosine),
                "cut_cosine_quartiles": quartiles(self.cut_cosine)}

    def __repr__(self) -> str:
        return (f"PruneRecord(threshold={self.threshold}: kept {self.n_kept:,} of {self.n_edges:,} "
                f"edges, cut {self.n_cut:,} = {self.fraction_cut:.1%})")


def _normalized_rows(emb, name: str, n: int) -> np.ndarray:
    """Embeddings as float32 unit rows: validates shape and finiteness, then renormalises (a cosine
    ignores scale; contrast ``ramen_edu.theory.check_unit_rows``, which raises: the theorem needs
    unit rows)."""
    if hasattr(emb, "detach"):  # a torch tensor, without importing torch here
        emb = emb.detach().cpu().numpy()
    emb = np.asarray(emb, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != n:
        raise ValueError(f"{name} has shape {emb.shape}, expected ({n}, D): one embedding per "
                         f"{'row (node)' if name == 'row_emb' else 'column (anchor)'} of adj")
    norms = np.linalg.norm(emb, axis=1)
    if not np.all(np.isfinite(norms)):
        raise ValueError(f"{name} row {int(np.flatnonzero(~np.isfinite(norms))[0])} is not finite")
    if n and norms.min() == 0.0:
        raise ValueError(f"{name} row {int(np.argmin(norms))} is the zero vector: its cosine is "
                         "undefined; embed a non-empty text for it")
    if n and np.abs(norms - 1.0).max() > 1e-3:  # tolerate float32 rounding, renormalise the rest
        emb = emb / norms[:, None]
    return emb


def _edge_cosines_torch(adj: sp.csr_matrix, row_emb, col_emb) -> np.ndarray:
    """The same cosines as one sampled dense-dense product on the embeddings' device
    (``torch.sparse.sampled_addmm``: R·Cᵀ evaluated only at adj's stored entries)."""
    import torch  # lazy: torch is heavy; the scipy path (and `import ramen_edu.graphs`) never needs it

    n, m = adj.shape
    row_t = torch.as_tensor(row_emb).detach()
    col_t = torch.as_tensor(col_emb).detach().to(row_t.device)
    row_t, col_t = row_t.float(), col_t.float()
    for t, name, count in ((row_t, "row_emb", n), (col_t, "col_emb", m)):
        if t.ndim != 2 or t.shape[0] != count:
            raise ValueError(f"{name} has shape {tuple(t.shape)}, expected ({count}, D): one "
                             f"embedding per {'row (node)' if name == 'row_emb' else 'column (anchor)'} of adj")
        norms = t.norm(dim=1)
        if not bool(torch.isfinite(norms).all()):
            raise ValueError(f"{name} row {int((~torch.isfinite(norms)).nonzero()[0])} is not finite")
        if count and float(norms.min()) == 0.0:
            raise ValueError(f"{name} row {int(norms.argmin())} is the zero vector: its cosine is "
                             "undefined; embed a non-empty text for it")
    if row_t.shape[1] != col_t.shape[1]:
        raise ValueError(f"row_emb has dimension {row_t.shape[1]} but col_emb {col_t.shape[1]}; "
                         "embed nodes and anchors with the same encoder")
    row_t = torch.nn.functional.normalize(row_t, dim=1)
    col_t = torch.nn.functional.normalize(col_t, dim=1)
    with warnings.catch_warnings():  # the CSR tensor API warns that it is beta
        warnings.simplefilter("ignore", UserWarning)
        pattern = torch.sparse_csr_tensor(
            torch.from_numpy(adj.indptr.astype(np.int64)), torch.from_numpy(adj.indices.astype(np.int64)),
            torch.ones(adj.nnz), size=adj.shape).to(row_t.device)
        out = torch.sparse.sampled_addmm(pattern, row_t, col_t.T, beta=0.0)
    return out.values().cpu().numpy().astype(np.float32)


def edge_cosines(adj, row_emb, col_emb, *, chunk_size: int = 4096, backend: str = "auto") -> np.ndarray:
    """cos(row_emb[i], col_emb[j]) for every stored edge (i, j) of ``adj``, in csr data order.

    adj: csr (n × M); row_emb (n × D), col_emb (M × D), numpy or torch, normalised defensively.
    backend: ``numpy`` (row-wise dots of gathered embeddings, chunked over edges), ``torch``
    (one sampled dense-dense product, ``torch.sparse.sampled_addmm``, on the embeddings'
    device — 3× less CPU time on 9M edges, see benchmarks/bench_rwr.py, and on a GPU when the
    embeddings are there), or ``auto`` (torch when an embedding is a torch tensor or the graph
    has ≥ 1M edges, where importing torch is worth it; numpy otherwise).
    Returns float32 (nnz,).
    Taught in: book/02_anchor_graphs.ipynb
    """
    adj = _check_adj(adj)
    if backend not in ("auto", "numpy", "torch"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'torch', got {backend!r}")
    is_tensor = hasattr(row_emb, "detach") or hasattr(col_emb, "detach")
    if backend == "torch" or (backend == "auto" and (is_tensor or adj.nnz >= 1_000_000)):
        return _edge_cosines_torch(adj, row_emb, col_emb)
    n, m = adj.shape
    row_emb = _normalized_rows(row_emb, "row_emb", n)
    col_emb = _normalized_rows(col_emb, "col_emb", m)
    if row_emb.shape[1] != col_emb.shape[1]:
        raise ValueError(f"row_emb has dimension {row_emb.shape[1]} but col_emb {col_emb.shape[1]}; "
                         "embed nodes and anchors with the same encoder")
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(adj.indptr))
    out = np.empty(adj.nnz, dtype=np.float32)
    for lo in range(0, adj.nnz, int(chunk_size)):
        hi = lo + int(chunk_size)
        out[lo:hi] = np.einsum("ij,ij->i", row_emb[rows[lo:hi]], col_emb[adj.indices[lo:hi]])
    return out


def threshold_sweep(cosines, useful, thresholds) -> list[dict]:
    """What cutting edges at cosine ≤ t would do, for each t: which edges stay, and how useful.

    cosines (n_edges,) from :func:`edge_cosines`, useful (n_edges,) bool (:func:`useful_edges`).
    One dict per threshold: threshold, kept (count), kept_share, precision_kept and precision_cut
    (share of useful edges among kept / cut; NaN when none), useful_kept (share of the useful edges
    that stay). Taught in: book/02_anchor_graphs.ipynb
    """
    cosines, useful = np.asarray(cosines), np.asarray(useful, dtype=bool)
    rows = []
    for t in thresholds:
        keep = cosines > t
        rows.append({"threshold": t, "kept": int(keep.sum()), "kept_share": float(keep.mean()),
                     "precision_kept": float(useful[keep].mean()) if keep.any() else float("nan"),
                     "precision_cut": float(useful[~keep].mean()) if (~keep).any() else float("nan"),
                     "useful_kept": float(keep[useful].mean())})
    return rows


def check_prune_threshold(threshold) -> float:
    """The pruning threshold as a float, or ValueError unless it is a cosine in [-1, 1)."""
    threshold = float(threshold)
    if not -1.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be a cosine in [-1, 1), got {threshold}; the paper uses 0")
    return threshold


def pruning_showcase_rows(adj, cosine, *, threshold: float = 0.0, n: int = 6, max_edges: int = 20,
                          prefer=None) -> np.ndarray:
    """Rows worth showing pruning on: at least one edge cut (cos ≤ threshold) and one kept.

    A row whose edges all survive (or all go) shows nothing about pruning, and one with hundreds
    of edges does not read as a figure, so this picks rows with 1 ≤ cut and 1 ≤ kept among at most
    ``max_edges`` edges. adj: csr (N × M); cosine: (nnz,) the cosine of every stored edge in csr
    order (:func:`edge_cosines`); prefer: optional bool (N,), rows to list first (e.g. documents
    with a tail label). Order — deterministic, no randomness: preferred rows first, then the most
    even mix (largest min(cut, kept)), then fewer edges, then the row id.
    Returns int64 (≤ n,) row ids. (Chapter 4 calls it through
    ``ramen_edu.viz.explorers.pick_pruned_documents``.)
    """
    adj = _check_adj(adj)
    threshold = check_prune_threshold(threshold)
    cosine = np.asarray(cosine)
    if cosine.shape != (adj.nnz,):
        raise ValueError(f"cosine must hold one value per stored edge ({adj.nnz},), got shape {cosine.shape}; "
                         "compute it with edge_cosines(adj, ...)")
    if n < 0 or max_edges < 2:
        raise ValueError(f"need n ≥ 0 and max_edges ≥ 2 (one kept, one cut), got n={n}, max_edges={max_edges}")
    N = adj.shape[0]
    prefer = np.zeros(N, bool) if prefer is None else np.asarray(prefer, dtype=bool)
    if prefer.shape != (N,):
        raise ValueError(f"prefer must be a bool vector with one entry per row ({N},), got shape {prefer.shape}")
    rows = np.repeat(np.arange(N), np.diff(adj.indptr))
    cut = np.bincount(rows, weights=cosine <= threshold, minlength=N).astype(np.int64)
    degree = np.diff(adj.indptr).astype(np.int64)
    kept = degree - cut
    ok = np.flatnonzero((cut >= 1) & (kept >= 1) & (degree <= max_edges))
    # np.lexsort sorts by the last key first: preferred, then even mix, then fewer edges, then id
    order = np.lexsort((ok, degree[ok], -np.minimum(cut, kept)[ok], ~prefer[ok]))
    return ok[order][:n].astype(np.int64)


def prune_edges(adj, row_emb, col_emb, *, threshold: float = 0.0, chunk_size: int = 4096,
                backend: str = "auto") -> tuple[sp.csr_matrix, PruneRecord]:
    """Keep an edge (i, j) only when cos(row_emb[i], col_emb[j]) > threshold (strictly).

    RAMEN App. B: edges whose endpoints the current encoder embeds at a cosine ≤ 0 are noise;
    training re-prunes every few epochs, so this is vectorised over edges.
    adj: csr (n × M); row_emb: (n × D) node embeddings; col_emb: (M × D) anchor embeddings
    (numpy or torch; L2-normalised here if they are not); backend: see :func:`edge_cosines`.
    Returns (kept csr (n × M) with the original weights of the kept edges, PruneRecord).
    """
    adj = _check_adj(adj)
    threshold = check_prune_threshold(threshold)
    cos = edge_cosines(adj, row_emb, col_emb, chunk_size=chunk_size, backend=backend)
    keep = cos > threshold
    rows = np.repeat(np.arange(adj.shape[0], dtype=np.int64), np.diff(adj.indptr))
    kept = sp.csr_matrix((adj.data[keep], (rows[keep], adj.indices[keep])), shape=adj.shape)
    kept.sort_indices()
    cut = ~keep
    record = PruneRecord(threshold=threshold, n_edges=int(adj.nnz), cut_rows=rows[cut],
                         cut_cols=adj.indices[cut].astype(np.int64), cut_cosine=cos[cut],
                         kept_cosine=cos[keep])
    return kept, record
