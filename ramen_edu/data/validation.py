"""The validation slice: training documents every method holds out of training, on which a recipe
may be chosen (the test split is only ever reported).

Pure numpy/scipy, so the trainer (``ramen_edu.training.trainer``), the sentence-transformers
baseline (``ramen_edu.baselines.st_finetune``) and the scoring of finished runs
(``ramen_edu.experiments.comparison.validation_scores``) draw the very same rows without importing torch.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["validation_candidates", "validation_split"]


def validation_split(train_y, fraction: float, seed: int):
    """The validation slice: (rows (V,) int64 sorted, train_y with those rows emptied).

    train_y: (N, L) csr_matrix, the training documents' labels. V = round(fraction · labelled
    documents), drawn with ``default_rng([seed, 11])`` among the training documents that have a
    label. Emptied rows are never batched (the sampler skips documents without labels), so the
    slice is held out of training for every method alike.
    """
    labelled = np.flatnonzero(np.diff(train_y.indptr) > 0)
    n_val = int(round(fraction * len(labelled)))
    rows = np.sort(np.random.default_rng([seed, 11]).permutation(labelled)[:n_val]).astype(np.int64)
    if n_val == 0:
        return rows, train_y
    keep = np.ones(train_y.shape[0], dtype=train_y.dtype)
    keep[rows] = 0
    held_out = sp.diags(keep) @ train_y
    held_out.eliminate_zeros()
    return rows, held_out.tocsr()


def validation_candidates(train_y, val_rows: np.ndarray, n_labels: int, seed: int) -> np.ndarray:
    """Label candidates of the validation reward (C,) int64 sorted: every label of the slice,
    then random other labels up to ``n_labels`` (all labels when the dataset has fewer).
    train_y: (N, L) csr_matrix; val_rows: (V,) int64, the slice (``validation_split``)."""
    own = np.unique(train_y[val_rows].indices) if len(val_rows) else np.zeros(0, np.int64)
    others = np.setdiff1d(np.arange(train_y.shape[1]), own)
    extra = max(0, n_labels - len(own))
    pick = np.random.default_rng([seed, 13]).permutation(others)[:extra]
    return np.sort(np.concatenate([own, pick])).astype(np.int64)
