"""Scoring a retriever on a dataset: the one path from texts to P@k, PSP@k, ... that the model,
the demo, the comparisons and the chapters share.

A *retriever* ranks labels for texts: a ``RamenModel``, or any object with
``retrieve(texts, k, *, exclude=None, progress=False) -> Retrieved`` (``Retrieved`` is the
``(ids, scores)`` pair of ``ramen_edu.retrieval``, the form ``ramen_edu.metrics`` takes as it is).

* :func:`retrieve_split` asks it for one split of a dataset: the test documents, with the
  dataset's filter pairs excluded inside the search (a removed pair never takes one of the k
  slots), or training rows (a validation slice), which have no filter pairs;
* :func:`score_split` scores predictions for those rows against the split's ground truth, with
  the dataset's filter pairs and propensity constants (A, B);
* :func:`evaluate_retrieval` is the two in a row.

This module knows datasets and metrics only; it imports no model, so ``ramen_edu.training``
calls it and not the other way round.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ramen_edu.metrics import all_metrics, per_document_metrics, quantile_metrics

if TYPE_CHECKING:  # retrieval imports faiss; the scoring half of this module needs none of it
    from ramen_edu.retrieval import Retrieved

__all__ = ["SPLITS", "evaluate_retrieval", "retrieve_split", "score_split", "split_rows"]

#: the splits a dataset can be scored on: "test" (test_y, filters applied) or "train" (rows of
#: train_y, e.g. a validation slice held out of training; no filters)
SPLITS = ("test", "train")


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: choose 'test' (the test documents, filters applied) or "
                         "'train' (training rows such as a validation slice)")


def split_rows(dataset, *, split: str = "test", docs: np.ndarray | int | None = None) -> np.ndarray:
    """The rows of ``split`` to score: ``docs`` as an index array, an int n for the first n rows,
    or None for all of them. Returns int64 (R,).
    """
    _check_split(split)
    n = dataset.n_test if split == "test" else dataset.n_train
    if docs is None:
        return np.arange(n)
    if np.isscalar(docs):
        return np.arange(min(int(docs), n))
    return np.asarray(docs, dtype=np.int64)


def _truth_and_filter(dataset, split: str, rows: np.ndarray):
    if split == "test":
        exclude = dataset.filter_matrix()[rows] if len(dataset.filter_pairs) else None
        return dataset.test_y[rows], exclude
    return dataset.train_y[rows], None


def retrieve_split(retriever, dataset, *, split: str = "test", docs: np.ndarray | int | None = None,
                   k: int = 5, progress: bool = False) -> tuple[np.ndarray, Retrieved]:
    """Top-k labels of the rows of ``split`` (:func:`split_rows`), filter pairs excluded.

    A retriever with ``check_labels(dataset)`` (a ``RamenModel``) checks first that the dataset's
    label texts are its own: label id 7 must be the model's label 7. Returns (rows int64 (R,),
    ``Retrieved`` (R, k)).
    """
    check_labels = getattr(retriever, "check_labels", None)
    if check_labels is not None:
        check_labels(dataset)
    rows = split_rows(dataset, split=split, docs=docs)
    texts = dataset.test_texts if split == "test" else dataset.train_texts
    _, exclude = _truth_and_filter(dataset, split, rows)
    return rows, retriever.retrieve([texts[i] for i in rows], k, exclude=exclude, progress=progress)


def score_split(pred, dataset, *, split: str = "test", rows: np.ndarray | None = None,
                ks: Sequence[int] = (1, 3, 5), per_document: bool = False, bins: np.ndarray | None = None,
                mode: str = "restrict") -> dict:
    """Metrics of predictions for ``rows`` of ``split`` (default all rows, in order).

    pred: any form ``ramen_edu.metrics`` takes — a ``Retrieved`` / ``(ids, scores)`` pair, ranked
    ids or a sparse score matrix — one row per entry of ``rows``. The ground truth is the split's
    (``test_y`` or ``train_y``) at those rows; on the test split the dataset's filter pairs are
    removed before ranking (a no-op for a search that already excluded them); the propensities
    are the dataset's (``train_y``, ``propensity_a/_b``).
    Returns ``metrics.all_metrics``' dict; with ``per_document`` ``metrics.per_document_metrics``'
    vectors; with ``bins`` (L,) label bins ``metrics.quantile_metrics``' {bin: metrics dict}
    (``mode`` as there).
    Taught in: book/01_extreme_classification.ipynb
    """
    _check_split(split)
    rows = split_rows(dataset, split=split) if rows is None else np.asarray(rows, dtype=np.int64)
    truth, exclude = _truth_and_filter(dataset, split, rows)
    common = dict(train_y=dataset.train_y, a=dataset.propensity_a, b=dataset.propensity_b, ks=ks,
                  filter=exclude)
    if bins is not None:
        if per_document:
            raise ValueError("per_document=True and bins= do not combine: quantile metrics are "
                             "averages over the documents of each bin")
        return quantile_metrics(pred, truth, bins, mode=mode, **common)
    return (per_document_metrics if per_document else all_metrics)(pred, truth, **common)


def evaluate_retrieval(retriever, dataset, *, split: str = "test", docs: np.ndarray | int | None = None,
                       ks: Sequence[int] = (1, 3, 5), k: int | None = None, per_document: bool = False,
                       bins: np.ndarray | None = None, mode: str = "restrict", progress: bool = False) -> dict:
    """Retrieve for a split of ``dataset`` and score it: :func:`retrieve_split`, then :func:`score_split`.

    retriever: a ``RamenModel`` or any object with ``retrieve(texts, k, *, exclude, progress)``.
    docs: rows of the split (index array, int n for the first n, None for all). k: labels
    retrieved per document (default max(ks)). Other arguments as :func:`score_split`.
    ``evaluate_retrieval(model, ds)`` is ``model.evaluate(ds)``; with ``per_document=True`` its
    vectors average to those numbers bit for bit.
    Taught in: book/04_training.ipynb
    """
    rows, top = retrieve_split(retriever, dataset, split=split, docs=docs, k=k or max(ks), progress=progress)
    return score_split(top, dataset, split=split, rows=rows, ks=ks, per_document=per_document, bins=bins,
                       mode=mode)
