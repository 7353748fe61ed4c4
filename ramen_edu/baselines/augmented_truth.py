"""AugGT: put the graph into the ground truth instead of into the loss (RAMEN Table 5).

The paper's "AugGT" row trains the no-graph method on a ground truth "expanded by using label
propagation wherein a label and a training point are linked by an edge if the label shares a
neighbor in the metadata graph of the said training point" (§4, Ablations on the graph). Two
readings of "shares a neighbour", both here:

* ``via="labels"`` (the paper's sentence): label z joins training document x when an anchor
  links to both, ``E_XA[x] · E_ZA[z] > 0`` — through the label graph;
* ``via="documents"`` (through other documents): z joins x when a training document x' that
  shares an anchor with x lists z, ``(E_XA E_XAᵀ Y)[x, z] > 0``.

Either way one hub anchor (a category with hundreds of members) adds hundreds of labels to
every member, so the number of labels added per document is capped: ``max_added`` keeps, per
document, the candidates with the most shared anchors (ties: the more frequent label, then the
lower id), never a label the document already has. ``augment_ground_truth`` returns the matrix
and the counts, so the cap is a visible choice, not a hidden one.

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from ramen_edu.data.dataset import as_csr
from ramen_edu.graphs import rank_within_rows

__all__ = ["VIA", "augment_ground_truth", "augmented_dataset"]

VIA = ("labels", "documents")


def _top_per_row(scores: sp.csr_matrix, k: int, tie: np.ndarray) -> sp.csr_matrix:
    """Keep each row's k largest entries (ties: larger ``tie[col]``, then lower col); binary."""
    scores = sp.csr_matrix(scores)
    scores.sort_indices()
    rows = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
    cols = scores.indices
    # lexsort sorts by the last key first: row, then −score, then −tie, then col
    order = np.lexsort((cols, -tie[cols], -scores.data, rows))
    keep = order[rank_within_rows(rows[order], scores.shape[0]) < k]
    return sp.csr_matrix((np.ones(len(keep), np.float32), (rows[keep], cols[keep])), shape=scores.shape)


def augment_ground_truth(train_y, doc_anchor, label_anchor=None, *, via: str = "labels",
                         max_added: int | None = None) -> tuple[sp.csr_matrix, dict]:
    """The augmented training matrix Y' ⊇ Y and what was added.

    train_y: csr (N × L). doc_anchor: csr (N × M), E_XA. label_anchor: csr (L × M), E_ZA
    (needed for ``via="labels"``). max_added: at most this many new labels per document
    (None: all). Returns (Y' csr float32 binary (N × L), stats dict: pairs before/after, added,
    documents that gained a label, mean and max added per document, candidates before the cap).
    """
    if via not in VIA:
        raise ValueError(f"via={via!r}: choose 'labels' (label shares an anchor with the document, "
                         "the paper's reading) or 'documents' (a document sharing an anchor lists it)")
    if max_added is not None and max_added < 0:
        raise ValueError(f"max_added={max_added}: give a count ≥ 0, or None for no cap")
    y = (as_csr(train_y) > 0).astype(np.float32)
    x_a = (as_csr(doc_anchor) > 0).astype(np.float32)
    if x_a.shape[0] != y.shape[0]:
        raise ValueError(f"doc_anchor has {x_a.shape[0]} rows, train_y {y.shape[0]}: both are the training documents")
    if via == "labels":
        if label_anchor is None:
            raise ValueError("via='labels' needs label_anchor (E_ZA, labels × anchors)")
        z_a = (as_csr(label_anchor) > 0).astype(np.float32)
        if z_a.shape != (y.shape[1], x_a.shape[1]):
            raise ValueError(f"label_anchor has shape {z_a.shape}, expected (labels, anchors) = "
                             f"{(y.shape[1], x_a.shape[1])}")
        shared = x_a @ z_a.T  # (N × L): anchors a document shares with a label
    else:
        co = x_a @ x_a.T  # documents sharing an anchor (the diagonal: a document with itself)
        co.setdiag(0)
        co.eliminate_zeros()
        shared = (co > 0).astype(np.float32) @ y  # (N × L): sharing documents that list the label
    shared = as_csr(shared)
    # a label the document already has is not "added"
    candidates = as_csr(shared - shared.multiply(y))
    n_candidates = int(candidates.nnz)
    if max_added is not None:
        candidates = _top_per_row(candidates, max_added, np.asarray(y.sum(axis=0)).ravel())
    added = (candidates > 0).astype(np.float32)
    augmented = as_csr(((y + added) > 0).astype(np.float32))
    per_doc = np.diff(as_csr(added).indptr)
    stats = {"via": via, "max_added": max_added, "pairs_before": int(y.nnz), "pairs_after": int(augmented.nnz),
             "added": int(augmented.nnz - y.nnz), "candidates_before_cap": n_candidates,
             "documents_gaining": int((per_doc > 0).sum()),
             "added_per_document_mean": float(per_doc.mean()) if len(per_doc) else 0.0,
             "added_per_document_max": int(per_doc.max()) if len(per_doc) else 0}
    return augmented, stats


def augmented_dataset(dataset, anchor_set: str | None = None, *, via: str = "labels",
                      max_added: int | None = None):
    """(a copy of ``dataset`` whose train_y is AugGT's Y', the stats of ``augment_ground_truth``).

    anchor_set: the graph to propagate through; None = every set (side by side: anchor j of one
    set is not anchor j of another, so the shared-anchor counts add over the sets).
    Test documents, labels, anchors, filters and propensities are untouched: the model is
    scored against the real ground truth (propensities from the *original* train_y).
    Taught in: book/05_baselines_and_tail.ipynb
    """
    names = [anchor_set] if anchor_set is not None else list(dataset.anchors)
    # anchor ids of different sets are different anchors: put the sets side by side
    doc = sp.hstack([dataset.anchor_set(n).doc_anchor for n in names], format="csr")
    label = sp.hstack([dataset.anchor_set(n).label_anchor for n in names], format="csr")
    y, stats = augment_ground_truth(dataset.train_y, doc, label, via=via, max_added=max_added)
    stats["anchor_sets"] = names
    return dataclasses.replace(dataset, train_y=y, name=f"{dataset.name}+auggt"), stats
