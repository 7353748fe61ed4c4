"""Where the gains are: label ranks, zero-shot labels, FN@k by quantile, tail cases by program.

Everything here works on arrays — query and label embeddings, sparse ground truth, graphs — so
it scores any retriever (RAMEN, the no-graph encoder, the two-stage GCN) the same way:

* :func:`true_label_ranks`: the rank of every true (document, label) pair among all labels
  (1 = top), filter pairs excluded — the raw material of the tail-case search;
* :func:`zero_shot_labels` / :func:`zero_shot_scores`: labels with no training document, scored
  on their own (the paper's Table 12): retrieval among those labels only, documents that have one;
* :func:`fn_by_quantile`: FN@k per equal-volume label quantile (App. D; Table 8 reports
  DIFF@k = FN@k(RAMEN) − FN@k(OAK) per quantile);
* :func:`graph_reachable` and :func:`find_tail_cases`: the paper's *Crown group* pattern found
  by program — a true label that the no-graph model ranks low and RAMEN ranks high, and that
  the anchor graph could have suggested (a training document sharing one of the test
  document's hidden anchors lists it).

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from ramen_edu.data.dataset import as_csr
from ramen_edu.metrics import per_document_metrics, quantile_metrics

__all__ = ["FN_KS", "find_tail_cases", "fn_by_quantile", "gain_reachability", "graph_reachable", "true_label_ranks",
           "zero_shot_labels", "zero_shot_scores"]

#: the cut-offs of the paper's Table 8 (DIFF@5 … DIFF@100)
FN_KS = (5, 10, 20, 50, 100)


def true_label_ranks(query_emb: np.ndarray, label_emb: np.ndarray, truth, *, exclude=None,
                     chunk: int = 512) -> np.ndarray:
    """Rank (1 = best) of every stored pair of ``truth`` among all labels, by inner product.

    query_emb: float32 (N, D). label_emb: float32 (L, D). truth: csr (N × L); the pairs are its
    stored entries in csr order (row by row, ascending label). exclude: csr (N × L) of pairs that
    never rank (filter pairs): they are not counted above anything. A label ranks below every
    label with a strictly higher score (ties count in its favour). Returns int64 (nnz,).
    Vectorised over documents in chunks of ``chunk`` rows (memory chunk × L).
    """
    truth = as_csr(truth)
    n, L = truth.shape
    if query_emb.shape[0] != n or label_emb.shape[0] != L:
        raise ValueError(f"query_emb has {query_emb.shape[0]} rows and label_emb {label_emb.shape[0]}; "
                         f"truth is {truth.shape} (documents × labels)")
    ex = as_csr(exclude) if exclude is not None else None
    ranks = np.empty(truth.nnz, dtype=np.int64)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        scores = query_emb[start:stop] @ label_emb.T  # (c, L)
        if ex is not None:
            part = ex[start:stop].tocoo()
            scores[part.row, part.col] = -np.inf
        lo, hi = truth.indptr[start], truth.indptr[stop]
        rows = np.repeat(np.arange(stop - start), np.diff(truth.indptr[start:stop + 1]))
        own = scores[rows, truth.indices[lo:hi]]
        ranks[lo:hi] = 1 + (scores[rows] > own[:, None]).sum(axis=1)
    return ranks


def zero_shot_labels(dataset) -> np.ndarray:
    """bool (L,): labels with no training document but at least one test document (Table 12)."""
    train = np.asarray((dataset.train_y != 0).sum(axis=0)).ravel()
    test = np.asarray((dataset.test_y != 0).sum(axis=0)).ravel()
    return (train == 0) & (test > 0)


def zero_shot_scores(query_emb: np.ndarray, label_emb: np.ndarray, dataset, *,
                     ks: Sequence[int] = (1, 3, 5)) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per-document metrics of the zero-shot task: rank only the zero-shot labels.

    query_emb: float32 (N_test, D) for every test document; label_emb: (L, D). Documents with at
    least one zero-shot label are scored against their zero-shot labels, filter pairs removed;
    PSP uses the dataset's propensities (a label never seen in training has the largest weight).
    Returns (rows int64 (R,) of the scored test documents, {metric: float (R,)} as
    ``metrics.per_document_metrics``). Exact search (numpy): the zero-shot labels are few.
    """
    zs = np.flatnonzero(zero_shot_labels(dataset))
    truth = as_csr(dataset.test_y)[:, zs]
    rows = np.flatnonzero(np.diff(truth.indptr) > 0)
    if len(rows) == 0:
        return rows, {}
    scores = query_emb[rows] @ label_emb[zs].T
    if len(dataset.filter_pairs):
        ex = dataset.filter_matrix()[rows][:, zs].tocoo()
        scores[ex.row, ex.col] = -np.inf
    k = min(max(ks), len(zs))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    kept = np.take_along_axis(scores, top, axis=1)
    top = np.where(np.isfinite(kept), top, -1)
    per_doc = per_document_metrics((top, kept), truth[rows], ks=ks, train_y=dataset.train_y[:, zs],
                                   a=dataset.propensity_a, b=dataset.propensity_b)
    return rows, per_doc


def fn_by_quantile(pred, dataset, bins: np.ndarray, rows: np.ndarray | None = None,
                   ks: Sequence[int] = FN_KS) -> dict[int, dict[str, float]]:
    """FN@k per label quantile: of the true labels of bin b, the share missed by the top k.

    pred: a ``Retrieved`` (or (ids, scores)) of the test rows ``rows`` (default all), at least
    max(ks) deep. The top k is the model's overall list (mode "contribution": a bin is not given
    its own k slots); documents without a label in b are skipped. Returns {bin: {"FN@k": value}}.
    """
    rows = np.arange(dataset.n_test) if rows is None else np.asarray(rows)
    out = quantile_metrics(pred, dataset.test_y[rows], bins, ks=ks, mode="contribution", empty="skip",
                           train_y=dataset.train_y, a=dataset.propensity_a, b=dataset.propensity_b,
                           filter=dataset.filter_matrix()[rows] if len(dataset.filter_pairs) else None)
    return {b: {f"FN@{k}": m[f"FN@{k}"] for k in ks} for b, m in out.items()}


def graph_reachable(hidden_doc_anchor, doc_anchor, train_y) -> sp.csr_matrix:
    """csr (N_test × L) int: for test document x and label z, how many training documents share
    one of x's hidden anchors and list z (0 = the graph cannot suggest z for x).
    Taught in: book/05_baselines_and_tail.ipynb
    """
    hidden = (as_csr(hidden_doc_anchor) > 0).astype(np.float32)
    docs = (as_csr(doc_anchor) > 0).astype(np.float32)
    sharing = ((hidden @ docs.T) > 0).astype(np.float32)  # test × train: shares an anchor
    return as_csr(sharing @ (as_csr(train_y) > 0).astype(np.float32)).astype(np.int64)


def find_tail_cases(ranks: Mapping[str, np.ndarray], truth, reachable, label_frequency, *,
                    low: str = "No graph", high: str = "RAMEN", min_gain: float = 2.0,
                    top: int = 10) -> list[dict]:
    """The paper's *Crown group* pattern, found by program.

    ranks: {method: int (S, P) or (P,)} ranks of the P true pairs of ``truth`` (csr order, see
    :func:`true_label_ranks`) under each method, one row per seed. truth: csr (N_test × L).
    reachable: csr (N_test × L) from :func:`graph_reachable`. A pair qualifies when the label is
    reachable through the graph and ``high`` ranks it at least ``min_gain`` times better than
    ``low`` (geometric mean over seeds of each). Ordered by that gain, then by rarer label.
    Returns up to ``top`` dicts: doc, label (ids), label_frequency, reach (training documents
    through which it is reachable), gain, and the seed-mean rank under every method.
    Taught in: book/05_baselines_and_tail.ipynb
    """
    truth = as_csr(truth)
    rows = np.repeat(np.arange(truth.shape[0]), np.diff(truth.indptr))
    cols = truth.indices
    geo = {m: np.exp(np.log(np.atleast_2d(r).astype(np.float64)).mean(axis=0)) for m, r in ranks.items()}
    for m, g in geo.items():
        if g.shape != (truth.nnz,):
            raise ValueError(f"ranks[{m!r}] has {g.shape[0]} pairs; truth stores {truth.nnz}")
    reach = np.asarray(as_csr(reachable)[rows, cols]).ravel()
    gain = geo[low] / geo[high]
    ok = np.flatnonzero((reach > 0) & (gain >= min_gain))
    freq = np.asarray(label_frequency)[cols[ok]]
    order = ok[np.lexsort((freq, -gain[ok]))][:top]
    return [{"doc": int(rows[i]), "label": int(cols[i]), "label_frequency": int(np.asarray(label_frequency)[cols[i]]),
             "reach": int(reach[i]), "gain": float(gain[i]), "ranks": {m: float(g[i]) for m, g in geo.items()}}
            for i in order]


def gain_reachability(ranks: Mapping[str, np.ndarray], truth, reachable, label_frequency, *, low: str, high: str,
                      top: int = 50, min_gain: float = 2.0) -> dict:
    """Is the graph the reason for ``high``'s biggest wins over ``low``?

    Per seed, the ``top`` true pairs that ``high`` ranks at least ``min_gain`` times better than
    ``low`` are found *without* asking for reachability (:func:`find_tail_cases` with every pair
    reachable), and the share of them that the graph does reach is compared with the share among
    all true pairs (the base rate). A method that learned those labels through graph neighbours
    has a share well above the base rate; one whose wins are unrelated to the graph sits at it.
    Returns {"base_rate": float, "per_seed": [share, ...], "n_cases": [count, ...]}.
    Taught in: book/05_baselines_and_tail.ipynb
    """
    truth = as_csr(truth)
    reachable = as_csr(reachable)
    rows = np.repeat(np.arange(truth.shape[0]), np.diff(truth.indptr))
    reach = np.asarray(reachable[rows, truth.indices]).ravel() > 0
    everything = sp.csr_matrix(np.ones(truth.shape, dtype=np.float32))
    shares, counts = [], []
    for s in range(np.atleast_2d(ranks[high]).shape[0]):
        per_seed = {m: np.atleast_2d(r)[s:s + 1] for m, r in ranks.items()}
        cases = find_tail_cases(per_seed, truth, everything, label_frequency, low=low, high=high,
                                min_gain=min_gain, top=top)
        counts.append(len(cases))
        shares.append(float(np.mean([reachable[c["doc"], c["label"]] > 0 for c in cases])) if cases else float("nan"))
    return {"base_rate": float(reach.mean()) if len(reach) else float("nan"), "per_seed": shares, "n_cases": counts}
