"""Extreme-classification metrics: P@k, nDCG@k, PSP@k, PSnDCG@k, recall@k, FN@k, label quantiles.

The definitions are RAMEN's App. D (which follows Jain et al. 2016); where the paper's text is
silent, this module follows the reference implementation used by the XC literature, pyxclib's
``xclib/evaluation/xc_metrics.py``, and says so in each docstring. Everything is vectorised over
documents: memory and time grow with the number of stored predictions, never with N × L.

Conventions shared by every function here
-----------------------------------------
Predictions (``pred``) come in one of three forms:

* a ``scipy.sparse`` matrix (N × L) of scores — higher is better, and only the *stored* entries are
  predictions (a stored 0.0 or a negative score is still a prediction; an unstored label is not);
* a pair ``(ids, scores)`` of (N × m) arrays — ids int, ``-1`` pads a row with fewer than m
  predictions, scores float (the score of a padded slot is ignored); a search result
  (``ramen_edu.retrieval.Retrieved``) is such a pair, so it goes in as it comes out;
* an int array ``ids`` (N × m), already ranked best first, ``-1`` padded.

Ties are broken deterministically: among equal scores the **lower label id ranks first** (for
the ``ids``-only form the given order is the ranking). Ground truth ``true`` is a sparse
(N × L) matrix; a stored non-zero entry marks a relevant label.

``k`` may exceed the number of predictions in a row or the number of relevant labels: missing
predictions are misses, and P@k keeps dividing by k (so a perfect ranking of a document with
|y| < k relevant labels gets P@k = |y|/k, as in pyxclib and the paper's formula).

Documents with no relevant label (``empty=``):

* ``"count"`` (default, pyxclib's ``remove_invalid=False``): they stay in the average and score 0
  on P@k, nDCG@k and recall@k (there is nothing to find) and 0 on FN@k (nothing was missed);
* ``"skip"``: they are left out of every average (pyxclib's ``remove_invalid=True``).
  PSP@k and PSnDCG@k are ratios of sums in which such documents add 0 to both sums, so they are
  the same under both choices.

All results are fractions in [0, 1]; ``format_table`` prints them in percent.

Taught in: book/01_extreme_classification.ipynb (P@k, PSP@k and the tail; label quantiles).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from ramen_edu.tables import text_table

__all__ = [
    "PROPENSITY_CONSTANTS", "propensities", "top_k_ids", "filter_predictions",
    "precision_at_k", "ndcg_at_k", "psp_at_k", "psndcg_at_k", "recall_at_k", "fn_at_k",
    "QUANTILE_RULE", "label_quantiles", "quantile_metrics", "all_metrics", "per_document_metrics", "format_table",
]

#: Jain et al. (2016) propensity constants (A, B) per dataset family, as used by the XC repository
#: and RAMEN's reference code (RAMEN.md, "Evaluation").
PROPENSITY_CONSTANTS = {"wikipedia": (0.55, 1.5), "wikititles": (0.5, 0.4), "amazon": (0.6, 2.6)}

_EMPTY_CHOICES = ("count", "skip")
_NORMALIZE_CHOICES = ("dataset", "document", "none")
_METRIC_ORDER = ("P", "nDCG", "PSP", "PSnDCG", "R", "FN")


# --------------------------------------------------------------------------------------------
# propensities
# --------------------------------------------------------------------------------------------
def propensities(train_y_or_frequency, a: float = 0.55, b: float = 1.5, *,
                 n_train: int | None = None) -> np.ndarray:
    """Jain et al. (2016) label propensities p_l = 1 / (1 + C·(n_l + B)^(−A)), C = (ln N − 1)(B + 1)^A.

    train_y_or_frequency: the training ground truth, sparse (N_train × L) — then n_l is the number
    of training documents with label l and N = N_train — or a label-frequency vector (L,), in which
    case ``n_train`` (N) must be given. a, b: the constants A, B (see ``PROPENSITY_CONSTANTS``).
    Returns float64 (L,) in (0, 1): the probability that a relevant label l is observed; rare
    labels get small propensities, so 1/p_l up-weights them in PSP@k and PSnDCG@k.
    Taught in: book/01_extreme_classification.ipynb
    """
    if sp.issparse(train_y_or_frequency):
        y = sp.csr_matrix(train_y_or_frequency)
        if n_train is not None and n_train != y.shape[0]:
            raise ValueError(f"n_train={n_train} disagrees with train_y, which has {y.shape[0]} rows; "
                             "leave n_train out when passing train_y")
        n_train = y.shape[0]
        freq = np.bincount(y.indices[y.data != 0], minlength=y.shape[1]).astype(np.float64)
    else:
        freq = np.asarray(train_y_or_frequency, dtype=np.float64)
        if freq.ndim != 1:
            raise ValueError(f"label frequency must be a vector (L,), got shape {freq.shape}; "
                             "pass train_y as a sparse matrix instead")
        if n_train is None:
            raise ValueError("propensities(label_frequency, ...) needs n_train= (the number of "
                             "training documents N in C = (ln N − 1)(B + 1)^A)")
        if np.any(freq < 0) or not np.all(np.isfinite(freq)):
            raise ValueError("label frequency must hold finite counts ≥ 0")
    if a <= 0 or b < 0:
        raise ValueError(f"propensity constants must satisfy A > 0 and B ≥ 0, got A={a}, B={b}")
    if n_train < 3:
        raise ValueError(f"the propensity model needs ln N > 1, i.e. N ≥ 3 training documents; "
                         f"got N = {n_train}")
    c = (math.log(n_train) - 1.0) * (b + 1.0) ** a
    return 1.0 / (1.0 + c * np.power(freq + b, -a))


# --------------------------------------------------------------------------------------------
# input checking and ranking
# --------------------------------------------------------------------------------------------
def _check_empty(empty: str) -> None:
    if empty not in _EMPTY_CHOICES:
        raise ValueError(f"empty={empty!r}: choose 'count' (documents without labels score 0 and "
                         "stay in the average, pyxclib's default) or 'skip' (leave them out)")


def _check_ks(ks) -> tuple[int, ...]:
    if isinstance(ks, (int, np.integer)):
        ks = (int(ks),)
    ks = tuple(ks)
    if not ks or any(not isinstance(k, (int, np.integer)) or k < 1 for k in ks):
        raise ValueError(f"ks={ks!r}: give one or more positive integers, e.g. ks=(1, 3, 5)")
    return tuple(int(k) for k in ks)


def _as_truth(true) -> sp.csr_matrix:
    if not sp.issparse(true):
        raise TypeError(f"true must be a scipy.sparse matrix (N × L) of relevant labels, got "
                        f"{type(true).__name__}; wrap a dense array with scipy.sparse.csr_matrix")
    y = sp.csr_matrix(true, copy=True)
    y.sum_duplicates()
    y.eliminate_zeros()  # a stored zero is not a relevant label
    y.sort_indices()
    return y


def _as_score_csr(pred) -> sp.csr_matrix:
    x = sp.csr_matrix(pred, copy=True)
    x.sum_duplicates()  # also sorts indices; explicit zeros are kept: they are predictions
    if x.nnz and not np.all(np.isfinite(x.data)):
        raise ValueError("pred holds NaN or infinite scores; remove those entries (or use "
                         "filter_predictions) before evaluating")
    return x


def _check_ids(ids: np.ndarray, n_labels: int | None, what: str = "ids") -> None:
    if ids.ndim != 2:
        raise ValueError(f"{what} must be a 2-d array (N × m) of label ids, got shape {ids.shape}")
    if ids.size:
        if ids.min() < -1:
            raise ValueError(f"{what} holds {ids.min()}; label ids are ≥ 0 and -1 marks padding")
        if n_labels is not None and ids.max() >= n_labels:
            raise ValueError(f"{what} holds label id {ids.max()} ≥ number of labels {n_labels}")
        s = np.sort(ids, axis=1)
        dup = (s[:, 1:] == s[:, :-1]) & (s[:, 1:] >= 0)
        if dup.any():
            row = int(np.nonzero(dup.any(axis=1))[0][0])
            raise ValueError(f"{what}: row {row} predicts a label twice; each label may appear once "
                             "per document (it would be counted twice)")


def _rank_csr(x: sp.csr_matrix, k: int) -> np.ndarray:
    """Top-k stored entries per row of a canonical csr, (score desc, label id asc), -1 padded.

    Rows up to a width of ~4× the mean row length are sorted as one padded block; the few longer
    rows (if any) by a global sort of their entries, so memory stays O(nnz) for any row profile.
    """
    n = x.shape[0]
    out = np.full((n, k), -1, dtype=np.int64)
    if x.nnz == 0 or n == 0:
        return out
    counts = np.diff(x.indptr)
    cap = max(1, (4 * x.nnz + 1024) // n)
    long = counts > cap
    if not long.any():
        return _rank_padded(x, counts, k)
    short_rows, long_rows = np.nonzero(~long)[0], np.nonzero(long)[0]
    out[short_rows] = _rank_padded(x[short_rows], counts[short_rows], k)
    out[long_rows] = _rank_global(x[long_rows], counts[long_rows], k)
    return out


def _shortlist(neg: np.ndarray, lab: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Shrink a padded (N × width) block of −scores and ids to the entries that can be in a top k.

    Keeps, per row, every entry scoring at least the row's k-th best score (a linear-time
    partition; all ties at the cut are kept, so any tie-break applied afterwards stays exact), in
    their original column order. Only worth it when width ≫ k; returns the inputs otherwise.
    """
    n, width = neg.shape
    if 4 * k >= width:
        return neg, lab
    kth = np.partition(neg, k - 1, axis=1)[:, k - 1]
    r, c = np.nonzero(neg <= kth[:, None])
    kept = np.bincount(r, minlength=n)
    col = np.arange(r.size) - np.repeat(np.cumsum(kept) - kept, kept)
    small_neg = np.full((n, int(kept.max())), np.inf, dtype=neg.dtype)
    small_neg[r, col] = neg[r, c]
    small_lab = np.full(small_neg.shape, -1, dtype=lab.dtype)
    small_lab[r, col] = lab[r, c]
    return small_neg, small_lab


def _rank_padded(x: sp.csr_matrix, counts: np.ndarray, k: int) -> np.ndarray:
    # Sort a padded (N × width) block row-wise. A stable sort on −score keeps the ascending label
    # order of a canonical csr among equal scores, which is the tie-break; padding (+inf) sorts
    # last. float32 scores stay float32 and ids int32: negation is exact, memory is halved.
    x.sort_indices()
    n = x.shape[0]
    out = np.full((n, k), -1, dtype=np.int64)
    width = int(counts.max()) if n else 0
    if width == 0:
        return out
    dtype = x.data.dtype if x.data.dtype in (np.float32, np.float64) else np.float64
    if np.all(counts == width):  # every row full (top-m retrieval output): a reshape, no scatter
        neg = -x.data.astype(dtype, copy=False).reshape(n, width)
        lab = x.indices.reshape(n, width)
    else:
        rows = np.repeat(np.arange(n, dtype=np.int32), counts)
        cols = (np.arange(x.nnz, dtype=np.int64) - np.repeat(x.indptr[:-1], counts)).astype(np.int32)
        neg = np.full((n, width), np.inf, dtype=dtype)
        neg[rows, cols] = -x.data
        lab = np.full((n, width), -1, dtype=x.indices.dtype)
        lab[rows, cols] = x.indices
        del rows, cols
    neg, lab = _shortlist(neg, lab, k)
    order = np.argsort(neg, axis=1, kind="stable")[:, :k]
    del neg
    top = np.take_along_axis(lab, order, axis=1)
    out[:, :top.shape[1]] = top
    return out


def _rank_global(x: sp.csr_matrix, counts: np.ndarray, k: int) -> np.ndarray:
    # one sort of all stored entries by (row, −score, label id)
    n = x.shape[0]
    out = np.full((n, k), -1, dtype=np.int64)
    rows = np.repeat(np.arange(n), counts)
    order = np.lexsort((x.indices, -x.data.astype(np.float64), rows))
    pos = np.arange(x.nnz) - np.repeat(x.indptr[:-1], counts)
    keep = pos < k
    out[rows[keep], pos[keep]] = x.indices[order[keep]]
    return out


def _rank_arrays(ids: np.ndarray, scores: np.ndarray | None, k: int) -> np.ndarray:
    n = ids.shape[0]
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.shape != ids.shape:
            raise ValueError(f"scores has shape {scores.shape} but ids has {ids.shape}; they must match")
        pad = ids < 0
        if np.any(~np.isfinite(scores[~pad])):
            raise ValueError("scores holds NaN or infinite values at predicted (non -1) ids")
        # row-wise lexsort of the shortlist: by −score, ties by label id; padding (score +inf
        # after negation, id +big) lands last
        neg, ids = _shortlist(np.where(pad, np.inf, -scores), ids, k)
        key_id = np.where(ids < 0, np.iinfo(np.int64).max, ids)
        ids = np.take_along_axis(ids, np.lexsort((key_id, neg), axis=-1), axis=1)
    else:
        # already ranked: only move the -1 padding to the end, keeping the order of the rest
        o = np.argsort(ids < 0, axis=1, kind="stable")
        ids = np.take_along_axis(ids, o, axis=1)
    out = np.full((n, k), -1, dtype=np.int64)
    m = min(k, ids.shape[1])
    out[:, :m] = ids[:, :m]
    return out


def _split_pred(pred, n_labels: int | None):
    """Return ("csr", matrix) or ("arrays", ids, scores) after validation."""
    if sp.issparse(pred):
        x = _as_score_csr(pred)
        if n_labels is not None and x.shape[1] != n_labels:
            raise ValueError(f"pred has {x.shape[1]} label columns but true has {n_labels}")
        return ("csr", x)
    if isinstance(pred, tuple):
        if len(pred) != 2:
            raise ValueError("pred as a tuple must be (ids, scores) with ids -1 padded")
        ids = np.asarray(pred[0])
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"pred ids must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64)
        _check_ids(ids, n_labels, "pred ids")
        scores = None if pred[1] is None else np.asarray(pred[1])
        return ("arrays", ids, scores)
    if isinstance(pred, np.ndarray):
        if not np.issubdtype(pred.dtype, np.integer):
            raise TypeError("a dense float array of scores is not accepted (it would be N × L); pass "
                            "a sparse matrix of scores, (ids, scores) top-k arrays, or ranked int ids")
        ids = pred.astype(np.int64)
        _check_ids(ids, n_labels, "pred ids")
        return ("arrays", ids, None)
    raise TypeError(f"pred must be a scipy.sparse score matrix, an (ids, scores) tuple or an int "
                    f"array of ranked ids, got {type(pred).__name__}")


def top_k_ids(pred, k: int, *, n_labels: int | None = None) -> np.ndarray:
    """The k best label ids per document, ties broken by lower label id first.

    pred: sparse (N × L) scores, (ids, scores) arrays (N × m, -1 padded) or ranked int ids (N × m).
    Returns int64 (N × k), best first, -1 where a row has fewer than k predictions.
    """
    k = _check_ks(k)[0]
    parts = _split_pred(pred, n_labels)
    if parts[0] == "csr":
        return _rank_csr(parts[1], k)
    return _rank_arrays(parts[1], parts[2], k)


# --------------------------------------------------------------------------------------------
# filtering
# --------------------------------------------------------------------------------------------
def _pair_keys(rows: np.ndarray, cols: np.ndarray, n_labels: int) -> np.ndarray:
    return rows.astype(np.int64) * np.int64(n_labels) + cols.astype(np.int64)


def _filter_keys(filt, n_docs: int, n_labels: int) -> np.ndarray:
    if sp.issparse(filt):
        f = sp.coo_matrix(filt)
        if f.shape != (n_docs, n_labels):
            raise ValueError(f"filter matrix has shape {f.shape}, predictions are {(n_docs, n_labels)}")
        nz = f.data != 0
        return np.unique(_pair_keys(f.row[nz], f.col[nz], n_labels))
    pairs = np.asarray(filt)
    if pairs.size == 0:
        return np.zeros(0, dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
        raise ValueError(f"filter must be a sparse (N × L) matrix or an int array of (document, "
                         f"label) pairs of shape (P, 2), got shape {pairs.shape} dtype {pairs.dtype}")
    bad = (pairs[:, 0] < 0) | (pairs[:, 0] >= n_docs) | (pairs[:, 1] < 0) | (pairs[:, 1] >= n_labels)
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise ValueError(f"filter pair #{i} = {tuple(pairs[i])} is outside (documents < {n_docs}, "
                         f"labels < {n_labels})")
    return np.unique(_pair_keys(pairs[:, 0], pairs[:, 1], n_labels))


def _member(queries: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """queries ∈ sorted_keys, by binary search: no sort of the (large) query array."""
    if sorted_keys.size == 0:
        return np.zeros(queries.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, queries), sorted_keys.size - 1)
    return sorted_keys[pos] == queries


def _filter_csr(x: sp.csr_matrix, filt) -> sp.csr_matrix:
    """filter_predictions for a canonical csr (no copy when nothing is removed)."""
    n, L = x.shape
    keys = _filter_keys(filt, n, L)
    if keys.size == 0 or x.nnz == 0:
        return x
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(x.indptr))
    keep = ~_member(rows * L + x.indices, keys)
    counts = np.bincount(rows[keep], minlength=n)
    del rows
    indptr = np.concatenate(([0], np.cumsum(counts))).astype(x.indptr.dtype)
    return sp.csr_matrix((x.data[keep], x.indices[keep], indptr), shape=x.shape)


def filter_predictions(pred, filt, *, n_labels: int | None = None):
    """Remove excluded (document, label) pairs from predictions before ranking and scoring.

    pred: sparse (N × L) scores, or (ids, scores) arrays (N × m, -1 padded). filt: sparse (N × L)
    (non-zero = excluded, e.g. ``XCDataset.filter_matrix()``) or int pairs (P × 2) of (document,
    label), the XC repository's ``filter_labels_test.txt``. The reference code zeroes those scores;
    here they are *removed*, so the next-best predictions move up into the top k and a removed
    pair can never count (zeroing would still leave it ranked above negative scores).
    The ground truth is not touched. n_labels is needed only for the (ids, scores) form.
    Returns the same form as pred: a csr without those entries, or (ids, scores) with them -1.
    """
    if sp.issparse(pred):
        return _filter_csr(_as_score_csr(pred), filt)
    if isinstance(pred, tuple) and len(pred) == 2:
        ids = np.asarray(pred[0]).astype(np.int64)
        if n_labels is None:
            if not sp.issparse(filt):
                raise ValueError("filter_predictions((ids, scores), pairs) needs n_labels=")
            n_labels = filt.shape[1]
        _check_ids(ids, n_labels, "pred ids")
        keys = _filter_keys(filt, ids.shape[0], n_labels)
        rows = np.broadcast_to(np.arange(ids.shape[0])[:, None], ids.shape)
        drop = (ids >= 0) & _member(_pair_keys(rows, np.maximum(ids, 0), n_labels), keys)
        return np.where(drop, -1, ids), pred[1]
    raise TypeError(f"filter_predictions takes a sparse score matrix or an (ids, scores) tuple, "
                    f"got {type(pred).__name__}")


# --------------------------------------------------------------------------------------------
# the scoring core: one ranking, every metric
# --------------------------------------------------------------------------------------------
def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(k) + 2.0)


class _Scored:
    """Per-document building blocks for every metric, computed once from one ranking."""

    def __init__(self, ids: np.ndarray, y: sp.csr_matrix, weight: np.ndarray | None):
        n, L = y.shape
        if ids.shape[0] != n:
            raise ValueError(f"predictions cover {ids.shape[0]} documents but true has {n} rows")
        self.K = ids.shape[1]
        self.n_true = np.diff(y.indptr).astype(np.int64)
        # membership of each predicted (doc, label) in the ground truth by binary search on the
        # sorted (row·L + label) keys of the canonical csr: O((nnz + N·K) log nnz) memory-light
        rows = np.repeat(np.arange(n, dtype=np.int64), self.n_true)
        truth_keys = _pair_keys(rows, y.indices, L)
        pk = _pair_keys(np.arange(n)[:, None], np.maximum(ids, 0), L)
        self.hits = (ids >= 0) & _member(pk, truth_keys)
        self.weight = weight
        if weight is not None:
            self.w_hits = np.where(self.hits, weight[np.maximum(ids, 0)], 0.0)
            # the ideal ranking for propensity-scored metrics: relevant labels by 1/p_l descending
            w = weight[y.indices]
            order = np.lexsort((y.indices, -w, rows))
            pos_in_row = np.arange(y.nnz) - np.repeat(y.indptr[:-1], self.n_true)
            keep = pos_in_row < self.K
            self.ideal_w = np.zeros((n, self.K))
            self.ideal_w[rows[keep], pos_in_row[keep]] = w[order[keep]]

    # Every metric is first a per-document vector (N,) and its reported value is the mean of that
    # vector, so ``per_document_metrics`` and ``all_metrics`` agree to the last bit. Under
    # empty="skip" documents without labels hold NaN in the vector and are left out of the mean.
    def _skip_mask(self, per_doc: np.ndarray, empty: str) -> np.ndarray:
        if empty == "skip":
            per_doc = np.where(self.n_true > 0, per_doc, np.nan)
        return per_doc

    def _mean(self, per_doc: np.ndarray, empty: str) -> float:
        if empty == "skip":
            per_doc = per_doc[self.n_true > 0]
        return float(per_doc.mean()) if per_doc.size else float("nan")

    def _idcg(self, k: int) -> np.ndarray:
        """sum_{i=1}^{min(k,|y|)} 1/log2(i+1) per document; 0 for documents without labels."""
        table = np.concatenate(([0.0], np.cumsum(_discounts(k))))
        return table[np.minimum(self.n_true, k)]

    def precision_docs(self, k: int, empty: str) -> np.ndarray:
        return self._skip_mask(self.hits[:, :k].sum(axis=1) / k, empty)

    def ndcg_docs(self, k: int, empty: str) -> np.ndarray:
        dcg = (self.hits[:, :k] * _discounts(self.K)[:k]).sum(axis=1)
        idcg = self._idcg(k)
        return self._skip_mask(np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0), empty)

    def recall_docs(self, k: int, empty: str) -> np.ndarray:
        found = self.hits[:, :k].sum(axis=1)
        r = np.divide(found, self.n_true, out=np.zeros(found.shape), where=self.n_true > 0)
        return self._skip_mask(r, empty)

    def fn_docs(self, k: int, empty: str) -> np.ndarray:
        found = self.hits[:, :k].sum(axis=1)
        miss = np.divide(self.n_true - found, self.n_true, out=np.zeros(found.shape),
                         where=self.n_true > 0)
        return self._skip_mask(miss, empty)

    def _require_weight(self):
        if self.weight is None:
            raise ValueError("propensity-scored metrics need propensities: pass train_y= or "
                             "label_frequency= (with n_train=) to all_metrics, or propensity= here")

    def _ps_docs(self, num: np.ndarray, ideal: np.ndarray, normalize: str, empty: str) -> np.ndarray:
        if normalize == "dataset":
            # Σ_i num_i ÷ Σ_i ideal_i written as a mean: num_i ÷ (mean ideal over the documents
            # averaged). The ideal is a property of the test set, not of the ranking, so two
            # methods' per-document values share the divisor and their differences average to
            # the difference of the dataset-normalised scores (the paired comparison needs that).
            # Documents without labels add 0 to both sums, so the value is the same for both
            # choices of ``empty``.
            n_used = int((self.n_true > 0).sum()) if empty == "skip" else num.size
            total = float(ideal.sum())
            scale = total / n_used if total > 0 and n_used else float("nan")
            return self._skip_mask(num / scale, empty)
        if normalize == "none":
            return self._skip_mask(num, empty)
        # "document": each document's own ratio, documents without labels score 0 (or are skipped)
        return self._skip_mask(np.divide(num, ideal, out=np.zeros_like(num), where=ideal > 0), empty)

    def psp_docs(self, k: int, normalize: str, empty: str) -> np.ndarray:
        self._require_weight()
        num = self.w_hits[:, :k].sum(axis=1) / k
        ideal = self.ideal_w[:, :k].sum(axis=1) / k
        return self._ps_docs(num, ideal, normalize, empty)

    def psndcg_docs(self, k: int, normalize: str, empty: str) -> np.ndarray:
        self._require_weight()
        disc = _discounts(self.K)[:k]
        idcg = self._idcg(k)
        safe = np.where(idcg > 0, idcg, 1.0)  # documents without labels: both numbers are 0
        num = (self.w_hits[:, :k] * disc).sum(axis=1) / safe
        ideal = (self.ideal_w[:, :k] * disc).sum(axis=1) / safe
        return self._ps_docs(num, ideal, normalize, empty)

    # the aggregates: the mean of each per-document vector
    def precision(self, k: int, empty: str) -> float:
        return self._mean(self.precision_docs(k, empty), empty)

    def ndcg(self, k: int, empty: str) -> float:
        return self._mean(self.ndcg_docs(k, empty), empty)

    def recall(self, k: int, empty: str) -> float:
        return self._mean(self.recall_docs(k, empty), empty)

    def fn(self, k: int, empty: str) -> float:
        return self._mean(self.fn_docs(k, empty), empty)

    def psp(self, k: int, normalize: str, empty: str) -> float:
        return self._mean(self.psp_docs(k, normalize, empty), empty)

    def psndcg(self, k: int, normalize: str, empty: str) -> float:
        return self._mean(self.psndcg_docs(k, normalize, empty), empty)


def _apply_filter(parts, filt, n_labels: int):
    if parts[0] == "csr":
        return ("csr", _filter_csr(parts[1], filt))
    ids, _ = filter_predictions((parts[1], None), filt, n_labels=n_labels)
    return ("arrays", ids, parts[2])


def _score(pred, true, ks, *, propensity=None, filter=None) -> tuple[_Scored, tuple[int, ...]]:
    ks = _check_ks(ks)
    y = _as_truth(true)
    n, L = y.shape
    parts = _split_pred(pred, L)
    if filter is not None:
        parts = _apply_filter(parts, filter, L)
    K = max(ks)
    ids = _rank_csr(parts[1], K) if parts[0] == "csr" else _rank_arrays(parts[1], parts[2], K)
    weight = None
    if propensity is not None:
        p = np.asarray(propensity, dtype=np.float64)
        if p.shape != (L,):
            raise ValueError(f"propensity has shape {p.shape}, expected ({L},) — one per label")
        if np.any(~(p > 0)):
            raise ValueError("propensities must be > 0 (use metrics.propensities to compute them)")
        weight = 1.0 / p
    return _Scored(ids, y, weight), ks


# --------------------------------------------------------------------------------------------
# public metrics
# --------------------------------------------------------------------------------------------
def precision_at_k(pred, true, ks: Sequence[int] = (1, 3, 5), *, empty: str = "count",
                   filter=None) -> dict[int, float]:
    """P@k = (1/k) · #relevant labels among the top k predictions, averaged over documents.

    pred: see the module docstring (sparse scores, (ids, scores) or ranked ids). true: sparse
    (N × L). ks: the cut-offs. empty: "count" (default; documents without labels score 0 and stay
    in the average, as pyxclib) or "skip". filter: optional excluded pairs (``filter_predictions``).
    Returns {k: fraction in [0, 1]}.
    Taught in: book/01_extreme_classification.ipynb
    """
    _check_empty(empty)
    s, ks = _score(pred, true, ks, filter=filter)
    return {k: s.precision(k, empty) for k in ks}


def ndcg_at_k(pred, true, ks: Sequence[int] = (1, 3, 5), *, empty: str = "count",
              filter=None) -> dict[int, float]:
    """nDCG@k = Σ_{r≤k} y_(r)/log2(r+1) ÷ Σ_{r≤min(k,|y|)} 1/log2(r+1), averaged over documents.

    Shapes and options as ``precision_at_k``; a document without labels scores 0 (its ideal DCG
    is 0), as in pyxclib. Returns {k: fraction in [0, 1]}.
    """
    _check_empty(empty)
    s, ks = _score(pred, true, ks, filter=filter)
    return {k: s.ndcg(k, empty) for k in ks}


def recall_at_k(pred, true, ks: Sequence[int] = (1, 3, 5), *, empty: str = "count",
                filter=None) -> dict[int, float]:
    """R@k = #relevant labels among the top k ÷ |y|, averaged over documents (0 when |y| = 0).

    Shapes and options as ``precision_at_k``. Returns {k: fraction in [0, 1]}.
    """
    _check_empty(empty)
    s, ks = _score(pred, true, ks, filter=filter)
    return {k: s.recall(k, empty) for k in ks}


def fn_at_k(pred, true, ks: Sequence[int] = (1, 3, 5), *, empty: str = "count",
            filter=None) -> dict[int, float]:
    """FN@k = 1 − #relevant labels among the top k ÷ |y| (RAMEN App. D), averaged over documents.

    A document without labels has missed nothing and scores 0, so with empty="count"
    FN@k + R@k = 1 − (share of documents without labels); with "skip" they sum to 1.
    Shapes and options as ``precision_at_k``. Returns {k: fraction in [0, 1]} (lower is better).
    """
    _check_empty(empty)
    s, ks = _score(pred, true, ks, filter=filter)
    return {k: s.fn(k, empty) for k in ks}


def psp_at_k(pred, true, propensity, ks: Sequence[int] = (1, 3, 5), *, normalize: str = "dataset",
             empty: str = "count", filter=None) -> dict[int, float]:
    """Propensity-scored precision PSP@k: hits weighted by 1/p_l, normalised as in pyxclib.

    Per document, psp_i = (1/k) Σ_{top k} y_l / p_l, and ideal_i is the same sum for the best
    possible ranking of that document (its relevant labels ordered by 1/p_l, at most k of them).
    normalize="dataset" (default, pyxclib's ``psprecision``): Σ_i psp_i ÷ Σ_i ideal_i — one ratio
    of sums over the whole test set, *not* a mean of per-document ratios; "document": mean over
    documents of psp_i / ideal_i; "none": the paper's raw formula, mean of psp_i (not bounded by 1).
    propensity: (L,) from ``propensities``. Other arguments as ``precision_at_k``.
    Returns {k: value}; in [0, 1] unless normalize="none".
    Taught in: book/01_extreme_classification.ipynb
    """
    _check_empty(empty)
    if normalize not in _NORMALIZE_CHOICES:
        raise ValueError(f"normalize={normalize!r}: choose one of {_NORMALIZE_CHOICES}")
    s, ks = _score(pred, true, ks, propensity=propensity, filter=filter)
    return {k: s.psp(k, normalize, empty) for k in ks}


def psndcg_at_k(pred, true, propensity, ks: Sequence[int] = (1, 3, 5), *,
                normalize: str = "dataset", empty: str = "count", filter=None) -> dict[int, float]:
    """Propensity-scored nDCG@k, normalised as in pyxclib's ``psndcg``.

    Per document, num_i = Σ_{r≤k} (y/p)_(r)/log2(r+1) ÷ Σ_{r≤min(k,|y|)} 1/log2(r+1) (the
    binary ideal DCG, as in the paper's PSnDCG), and ideal_i is num_i for the best ranking (relevant
    labels by 1/p_l). normalize="dataset" (default): Σ num_i ÷ Σ ideal_i; "document": mean of
    num_i/ideal_i; "none": mean of num_i. Other arguments as ``psp_at_k``.
    Returns {k: value}; in [0, 1] unless normalize="none".
    """
    _check_empty(empty)
    if normalize not in _NORMALIZE_CHOICES:
        raise ValueError(f"normalize={normalize!r}: choose one of {_NORMALIZE_CHOICES}")
    s, ks = _score(pred, true, ks, propensity=propensity, filter=filter)
    return {k: s.psndcg(k, normalize, empty) for k in ks}


def _collect_docs(s: _Scored, ks, empty: str, normalize: str) -> dict[str, np.ndarray]:
    """Every metric's per-document vector (N,), keyed and ordered as ``all_metrics``' result."""
    out: dict[str, np.ndarray] = {}
    for k in ks:
        out[f"P@{k}"] = s.precision_docs(k, empty)
    for k in ks:
        out[f"nDCG@{k}"] = s.ndcg_docs(k, empty)
    if s.weight is not None:
        for k in ks:
            out[f"PSP@{k}"] = s.psp_docs(k, normalize, empty)
        for k in ks:
            out[f"PSnDCG@{k}"] = s.psndcg_docs(k, normalize, empty)
    for k in ks:
        out[f"R@{k}"] = s.recall_docs(k, empty)
    for k in ks:
        out[f"FN@{k}"] = s.fn_docs(k, empty)
    return out


def _collect(s: _Scored, ks, empty: str, normalize: str) -> dict[str, float]:
    return {name: s._mean(docs, empty) for name, docs in _collect_docs(s, ks, empty, normalize).items()}


def _propensity_arg(train_y, label_frequency, n_train, a, b) -> np.ndarray | None:
    if train_y is not None and label_frequency is not None:
        raise ValueError("give train_y or label_frequency, not both")
    if train_y is not None:
        return propensities(train_y, a, b)
    if label_frequency is not None:
        return propensities(label_frequency, a, b, n_train=n_train)
    return None


def all_metrics(pred, true, *, train_y=None, label_frequency=None, n_train: int | None = None,
             a: float = 0.55, b: float = 1.5, ks: Sequence[int] = (1, 3, 5), filter=None,
             empty: str = "count", normalize: str = "dataset") -> dict[str, float]:
    """Every metric of RAMEN App. D at once, from a single ranking of the predictions.

    pred: sparse (N × L) scores, (ids, scores) (N × m, -1 padded) or ranked int ids. true: sparse
    (N × L) test ground truth. train_y (sparse N_train × L) or label_frequency (L,) with n_train:
    enable PSP@k and PSnDCG@k with Jain et al. propensities (constants a, b; default the
    Wikipedia pair, see ``PROPENSITY_CONSTANTS``). filter: excluded (document, label) pairs,
    removed before ranking (``filter_predictions``). empty, normalize: as in ``psp_at_k``.
    Returns {"P@1": ..., "nDCG@1": ..., "PSP@1": ..., "PSnDCG@1": ..., "R@1": ..., "FN@1": ...}
    for every k in ks (in that order), values as fractions in [0, 1]. Each value is the mean of
    the per-document vector that ``per_document_metrics`` returns for the same arguments.
    Taught in: book/01_extreme_classification.ipynb
    """
    s, ks = _score_checked(pred, true, train_y, label_frequency, n_train, a, b, ks, filter, empty, normalize)
    return _collect(s, ks, empty, normalize)


def evaluate(*args, **kwargs) -> dict[str, float]:
    """Deprecated name of :func:`all_metrics` (it collided with ``RamenModel.evaluate``)."""
    warnings.warn("ramen_edu.metrics.evaluate is now all_metrics; a model or retriever on a dataset: "
                  "ramen_edu.evaluation.evaluate_retrieval", DeprecationWarning, stacklevel=2)
    return all_metrics(*args, **kwargs)


def per_document_metrics(pred, true, *, train_y=None, label_frequency=None,
                         n_train: int | None = None, a: float = 0.55, b: float = 1.5,
                         ks: Sequence[int] = (1, 3, 5), filter=None, empty: str = "count",
                         normalize: str = "dataset") -> dict[str, np.ndarray]:
    """``all_metrics``, one value per test document: what paired comparisons of methods need.

    Arguments exactly as ``all_metrics``. Returns {"P@1": float64 (N,), "nDCG@1": (N,), "PSP@1": ...}
    with the same keys in the same order. The mean of each vector is, bit for bit, the value
    ``all_metrics`` reports: ``per_document_metrics(...)[m].mean() == all_metrics(...)[m]``.
    P@k, nDCG@k, R@k, FN@k are the per-document quantities of the module docstring. The
    propensity-scored metrics depend on ``normalize``: "none" and "document" give each
    document's own value; "dataset" (default), whose score is a ratio of sums Σ psp_i ÷ Σ ideal_i,
    gives psp_i ÷ mean_i(ideal_i) — the divisor depends only on the test set, so it is the same
    for every method scored on it and differences of these vectors average to the difference of
    the dataset-normalised PSP (a single value may exceed 1). With empty="skip" documents
    without labels hold NaN and the mean is over the others (``v[~np.isnan(v)].mean()``).
     (seeded comparisons: ``ramen_edu.experiments.comparison``)
    """
    s, ks = _score_checked(pred, true, train_y, label_frequency, n_train, a, b, ks, filter, empty, normalize)
    return _collect_docs(s, ks, empty, normalize)


def _score_checked(pred, true, train_y, label_frequency, n_train, a, b, ks, filter, empty, normalize):
    """``all_metrics``' and ``per_document_metrics``' shared front: check the options, score."""
    _check_empty(empty)
    if normalize not in _NORMALIZE_CHOICES:
        raise ValueError(f"normalize={normalize!r}: choose one of {_NORMALIZE_CHOICES}")
    propensity = _propensity_arg(train_y, label_frequency, n_train, a, b)
    return _score(pred, true, ks, propensity=propensity, filter=filter)


# --------------------------------------------------------------------------------------------
# label quantiles (RAMEN App. D.1)
# --------------------------------------------------------------------------------------------
#: how :func:`label_quantiles` cuts, as run records state it (results scored before it became
#: tie-aware carry no such field)
QUANTILE_RULE = "equal volume, equal counts share a bin"


def label_quantiles(label_frequency, n_bins: int = 5) -> np.ndarray:
    """Equal-volume label bins (RAMEN App. D.1), tie-aware: bin 0 = tail (rarest) … n_bins − 1 = head.

    label_frequency: (L,) training documents per label (``XCDataset.label_frequency()``).
    The paper sorts labels by frequency and cuts them into bins that each hold about
    V / n_bins of the training volume V = Σ n_l. Cutting *inside* a run of equal counts would split
    labels that nothing tells apart (the old rule broke such ties by label id, so labels with
    2 training documents sat in three different bins). Here the bin edges lie only **between
    distinct counts**: labels with the same count always share a bin. Among all ways of cutting
    the ascending distinct counts into n_bins contiguous runs, the one whose bin volumes are
    closest to V / n_bins (least squares, Σ_b (V_b − V/n_bins)²; ties to the earlier cut) is used.
    Consequences, stated because on a long-tailed benchmark they are visible:

    * with heavy ties bins differ in volume — one count can hold far more than V / n_bins
      (on the book's Wikipedia benchmark the 2-document labels hold 47 % of it) and then fills a
      bin on its own;
    * no bin is empty as long as there are at least n_bins distinct positive counts (moving the
      edge group of a neighbouring bin into an empty one always lowers the squared error), so the
      bin count is kept; with fewer distinct counts each count is a bin, bin 0 holds the rarest and
      the empty bins are the ones between (earliest cut on a tie of the squared error);
    * bins are monotone in count: every label of bin b is rarer than every label of bin b + 1;
    * labels never seen in training (n_l = 0) carry no volume and join bin 0, the tail.

    Returns int64 (L,) bin ids.
    Taught in: book/01_extreme_classification.ipynb
    """
    freq = np.asarray(label_frequency)
    if freq.ndim != 1:
        raise ValueError(f"label_frequency must be a vector (L,), got shape {freq.shape}")
    if n_bins < 1:
        raise ValueError(f"n_bins must be ≥ 1, got {n_bins}")
    freq = freq.astype(np.float64)
    if np.any(freq < 0) or not np.all(np.isfinite(freq)):
        raise ValueError("label_frequency must hold finite counts ≥ 0")
    total = freq.sum()
    if total <= 0:
        raise ValueError("label_frequency sums to 0: no training pairs to split into quantiles")
    counts, group, n_labels = np.unique(freq, return_inverse=True, return_counts=True)  # ascending
    positive = counts > 0
    volume = counts[positive] * n_labels[positive]  # (G,) training pairs per distinct count
    group_bin = _equal_volume_runs(volume, n_bins)
    bins = np.zeros(freq.size, dtype=np.int64)  # zero-count labels: bin 0
    first = int(np.argmax(positive))  # groups are ascending, so the positive ones are a suffix
    seen = group >= first
    bins[seen] = group_bin[group[seen] - first]
    return bins


def _equal_volume_runs(volume: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin id per group for the contiguous split of ``volume`` (G,) into n_bins runs (any but the
    first may be empty) that minimises Σ_b (V_b − V/n_bins)²: an O(n_bins · G²) dynamic programme, vectorised
    over the start of the last run (G is the number of distinct counts, not of labels)."""
    G = volume.size
    prefix = np.concatenate(([0.0], np.cumsum(volume, dtype=np.float64)))
    target = prefix[-1] / n_bins
    best = np.full((n_bins + 1, G + 1), np.inf)
    best[0, 0] = 0.0
    start = np.zeros((n_bins + 1, G + 1), dtype=np.int64)
    for b in range(1, n_bins + 1):
        for j in range(G + 1):  # groups [i, j) form bin b − 1; i = j leaves it empty
            cost = best[b - 1, :j + 1] + (prefix[j] - prefix[:j + 1] - target) ** 2
            i = int(np.argmin(cost))  # first minimum: deterministic
            best[b, j], start[b, j] = cost[i], i
        if b == 1:
            best[1, 0] = np.inf  # the tail bin is never the empty one: it holds the rarest seen labels
    out = np.empty(G, dtype=np.int64)
    j = G
    for b in range(n_bins, 0, -1):
        i = start[b, j]
        out[i:j] = b - 1
        j = i
    return out


def _restrict_truth(y: sp.csr_matrix, in_bin: np.ndarray) -> sp.csr_matrix:
    keep = in_bin[y.indices]
    rows = np.repeat(np.arange(y.shape[0]), np.diff(y.indptr))
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=y.shape[0]))))
    return sp.csr_matrix((y.data[keep], y.indices[keep], indptr), shape=y.shape)


def quantile_metrics(pred, true, bins, ks: Sequence[int] = (1, 3, 5), *, mode: str = "restrict",
                     train_y=None, label_frequency=None, n_train: int | None = None,
                     a: float = 0.55, b: float = 1.5, filter=None, empty: str = "count",
                     normalize: str = "dataset") -> dict[int, dict[str, float]]:
    """``all_metrics`` restricted to the labels of each bin (RAMEN Fig. 3 / Tables 4 and 8).

    bins: (L,) bin id per label (``label_quantiles``). Both sides are restricted to bin b's labels:
    the ground truth keeps only its labels in b, and the predictions —

    * mode="restrict" (default): keep only predictions of labels in b, then rank them, so each bin
      is judged on its own top-k list ("how well does the model rank tail labels?");
    * mode="contribution": rank all predictions first, then count only the hits whose label is in
      b at their original rank, so P@k over the bins adds up to the overall P@k ("how much of the
      overall P@k does the tail contribute?").

    The paper does not spell out which of the two it plots; "restrict" follows the statement that
    metrics are computed on each quantile's labels. Documents whose truth has no label in b are
    handled by ``empty`` (with "count" they score 0; "skip" averages over the documents that have).
    Other arguments as ``all_metrics``. Returns {bin id: metrics dict}, bin 0 = tail.
    Taught in: book/01_extreme_classification.ipynb
    """
    _check_empty(empty)
    if mode not in ("restrict", "contribution"):
        raise ValueError(f"mode={mode!r}: choose 'restrict' or 'contribution'")
    ks = _check_ks(ks)
    y = _as_truth(true)
    n, L = y.shape
    bins = np.asarray(bins)
    if bins.shape != (L,) or not np.issubdtype(bins.dtype, np.integer):
        raise ValueError(f"bins must be an int vector with one bin id per label ({L},), got "
                         f"shape {bins.shape} dtype {bins.dtype}")
    propensity = _propensity_arg(train_y, label_frequency, n_train, a, b)
    weight = None if propensity is None else 1.0 / propensity
    parts = _split_pred(pred, L)
    if filter is not None:
        parts = _apply_filter(parts, filter, L)
    K = max(ks)
    if mode == "contribution":
        ids_all = _rank_csr(parts[1], K) if parts[0] == "csr" else _rank_arrays(parts[1], parts[2], K)
    out: dict[int, dict[str, float]] = {}
    for b_id in np.unique(bins):  # a handful of bins: the loop is over bins, not documents
        in_bin = bins == b_id
        y_b = _restrict_truth(y, in_bin)
        if mode == "contribution":
            ids = np.where((ids_all >= 0) & in_bin[np.maximum(ids_all, 0)], ids_all, -1)
        elif parts[0] == "csr":
            ids = _rank_csr(_restrict_truth(parts[1], in_bin), K)
        else:
            p_ids = parts[1]
            kept = np.where((p_ids >= 0) & in_bin[np.maximum(p_ids, 0)], p_ids, -1)
            ids = _rank_arrays(kept, parts[2], K)
        out[int(b_id)] = _collect(_Scored(ids, y_b, weight), ks, empty, normalize)
    return out


# --------------------------------------------------------------------------------------------
# presentation
# --------------------------------------------------------------------------------------------
def format_table(results_by_method: dict[str, dict[str, float]], *, columns: Iterable[str] | None = None,
                 decimals: int = 2) -> str:
    """An aligned text table, in percent, of ``all_metrics`` results for several methods.

    results_by_method: {"RAMEN": {"P@1": 0.352, ...}, "ANCE": {...}}. columns: which metrics and in
    which order (default: the union of keys, in the order they first appear). NaN prints as "–".
    Returns the table as one string (print it).
    Taught in: book/01_extreme_classification.ipynb
    """
    if not results_by_method:
        raise ValueError("format_table needs at least one method's results")
    if columns is None:
        columns = []
        for res in results_by_method.values():
            columns.extend(c for c in res if c not in columns)
    columns = list(columns)
    head = ["method", *columns]
    rows = []
    for name, res in results_by_method.items():
        cells = [str(name)]
        for c in columns:
            v = res.get(c, float("nan"))
            cells.append("–" if v is None or not np.isfinite(v) else f"{100 * v:.{decimals}f}")
        rows.append(cells)
    return text_table(head, rows)
