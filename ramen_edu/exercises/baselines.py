"""Auto-check for the AugGT exercise (book/05_baselines_and_tail.ipynb).

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["check_auggt"]

# 4 documents, 5 labels, 4 anchors; document 3 has no anchor, label 4 none either
_Y = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]])
_XA = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0]])
_ZA = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]])


def _dense(m) -> np.ndarray:
    return np.asarray(m.toarray() if sp.issparse(m) else m)


def check_auggt(fn) -> None:
    """Check a student's ``auggt(Y, XA, ZA)`` (AugGT through the label graph, no cap).

    Contract: Y (N × L), XA (N × M), ZA (L × M) 0/1 matrices (numpy or scipy.sparse). Return the
    N × L 0/1 matrix with a 1 where Y has one or where document i and label j share an anchor.
    Raises AssertionError naming the first wrong entry and the likely mistake; prints "correct".
    """
    shared = _XA @ _ZA.T
    want = ((_Y + shared) > 0).astype(int)
    for case, args in (("dense inputs", (_Y, _XA, _ZA)),
                       ("scipy.sparse inputs", tuple(sp.csr_matrix(a) for a in (_Y, _XA, _ZA)))):
        got = _dense(fn(*args))
        if got.shape != want.shape:
            raise AssertionError(f"{case}: the result has shape {got.shape}, expected (documents, labels) = {want.shape}")
        if np.array_equal(got, shared):
            raise AssertionError(f"{case}: these are the shared-anchor counts alone — a document's own labels "
                                 "must stay (Y' ⊇ Y), and the result must be 0/1")
        if np.array_equal(got, (shared > 0).astype(int)):
            raise AssertionError(f"{case}: the original labels are missing: label 4 of document 3 (which has "
                                 "no anchor) must stay — add Y back")
        if np.array_equal(got, _Y + shared):
            raise AssertionError(f"{case}: entries above 1: binarise (a label either joins a document or not)")
        if np.array_equal(got, ((_Y + _XA @ _XA.T @ _Y) > 0).astype(int)):
            raise AssertionError(f"{case}: this propagates through *documents* (E_XA E_XAᵀ Y); the paper's "
                                 "reading goes through the label graph: E_XA E_ZAᵀ")
        wrong = np.argwhere(got != want)
        if len(wrong):
            i, j = wrong[0]
            raise AssertionError(f"{case}: entry (document {i}, label {j}) is {got[i, j]}, expected {want[i, j]} "
                                 f"(shared anchors: {shared[i, j]}, in Y: {_Y[i, j]})")
    print("correct: AugGT adds a label wherever the document and the label share an anchor, and keeps Y")
