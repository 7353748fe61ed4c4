"""The extreme-classification data model: documents, labels, ground truth and anchor sets.

Taught in: book/01_extreme_classification.ipynb (documents, labels, tail) and
book/02_anchor_graphs.ipynb (anchor sets).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


def _check_shape(what: str, matrix: sp.csr_matrix, shape: tuple[int, int]) -> None:
    if not sp.issparse(matrix):
        raise TypeError(f"{what} must be a scipy.sparse matrix, got {type(matrix).__name__}")
    if matrix.shape != shape:
        raise ValueError(f"{what} has shape {matrix.shape}, expected {shape}")


def _lookup(which, texts: list[str], argument: str, what: str, unknown) -> int:
    """Position of ``which`` — a position, or one of ``texts`` — in ``texts``; ``unknown()`` is
    the message for a text that is not there (built only then: it may search other lists)."""
    if isinstance(which, (int, np.integer)) and not isinstance(which, (bool, np.bool_)):
        if not 0 <= int(which) < len(texts):
            raise ValueError(f"{argument}={which} is not a {what}: out of range [0, {len(texts)})")
        return int(which)
    if isinstance(which, str):
        try:
            return texts.index(which)
        except ValueError:
            raise ValueError(unknown()) from None
    raise TypeError(f"{argument} must be an index or a text, got {type(which).__name__}")


def as_csr(matrix, dtype=np.float32) -> sp.csr_matrix:
    """Canonical form used everywhere: csr, float32 values, sorted indices, no explicit zeros."""
    out = sp.csr_matrix(matrix, dtype=dtype)
    out.eliminate_zeros()
    out.sort_indices()
    return out


@dataclass
class AnchorSet:
    """One anchor set t (e.g. ``"category"``): anchors with texts and edges to documents and labels.

    texts:        M anchor texts.
    doc_anchor:   csr (N_train × M), E_XA — training documents → anchors. Test documents
                  never appear here (the paper's leak rule, §4).
    label_anchor: csr (L × M), E_ZA — labels → anchors.
    test_doc_anchor: optional csr (N_test × M) — the test documents' *hidden* edges (on
                  Wikipedia their real categories / the articles their text names), kept
                  apart from the graph. Training never reads it (no trainer, sampler or
                  densifier touches it); only an **oracle linker** does, to measure what a
                  two-stage GCN would gain from perfect first-stage links (the paper's
                  "OAK + Oracle", Table 2; ``ramen_edu.baselines``). None when unknown.
    """

    name: str
    texts: list[str]
    doc_anchor: sp.csr_matrix
    label_anchor: sp.csr_matrix
    test_doc_anchor: sp.csr_matrix | None = None

    def __post_init__(self) -> None:
        self.texts = list(self.texts)
        self.doc_anchor = as_csr(self.doc_anchor)
        self.label_anchor = as_csr(self.label_anchor)
        if self.test_doc_anchor is not None:
            self.test_doc_anchor = as_csr(self.test_doc_anchor)
            if self.test_doc_anchor.shape[1] != len(self.texts):
                raise ValueError(f"anchor set {self.name!r}: {len(self.texts)} anchor texts but "
                                 f"test_doc_anchor has {self.test_doc_anchor.shape[1]} columns")
        m = len(self.texts)
        if self.doc_anchor.shape[1] != m or self.label_anchor.shape[1] != m:
            raise ValueError(
                f"anchor set {self.name!r}: {m} anchor texts but doc_anchor has "
                f"{self.doc_anchor.shape[1]} columns and label_anchor {self.label_anchor.shape[1]}"
            )

    @property
    def n_anchors(self) -> int:
        return len(self.texts)


@dataclass
class XCDataset:
    """A complete XC benchmark.

    train_texts / test_texts: document texts (N_train, N_test).
    label_texts:              L label texts.
    train_y / test_y:         csr (N × L) binary ground truth.
    anchors:                  named anchor sets, ``{"category": AnchorSet, ...}``.
    filter_pairs:             int64 array (P × 2) of (test document, label) pairs removed before
                              scoring — a document never predicts itself (reciprocal pairs).
    propensity_a/_b:          Jain et al. (2016) constants for PSP (RAMEN.md; Wikipedia 0.55/1.5).
    """

    name: str
    train_texts: list[str]
    test_texts: list[str]
    label_texts: list[str]
    train_y: sp.csr_matrix
    test_y: sp.csr_matrix
    anchors: dict[str, AnchorSet] = field(default_factory=dict)
    filter_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    propensity_a: float = 0.55
    propensity_b: float = 1.5

    def __post_init__(self) -> None:
        self.train_texts, self.test_texts = list(self.train_texts), list(self.test_texts)
        self.label_texts = list(self.label_texts)
        self.train_y, self.test_y = as_csr(self.train_y), as_csr(self.test_y)
        _check_shape("train_y", self.train_y, (len(self.train_texts), self.n_labels))
        _check_shape("test_y", self.test_y, (len(self.test_texts), self.n_labels))
        for name, anchor_set in self.anchors.items():
            if anchor_set.name != name:
                raise ValueError(f"anchor set stored under {name!r} is named {anchor_set.name!r}")
            _check_shape(f"anchors[{name!r}].doc_anchor", anchor_set.doc_anchor,
                         (self.n_train, anchor_set.n_anchors))
            _check_shape(f"anchors[{name!r}].label_anchor", anchor_set.label_anchor,
                         (self.n_labels, anchor_set.n_anchors))
            if anchor_set.test_doc_anchor is not None:
                _check_shape(f"anchors[{name!r}].test_doc_anchor", anchor_set.test_doc_anchor,
                             (self.n_test, anchor_set.n_anchors))
        pairs = np.asarray(self.filter_pairs)
        if pairs.size == 0:
            pairs = pairs.reshape(0, 2).astype(np.int64)
        if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
            raise ValueError(f"filter_pairs must be an integer array of shape (P, 2), "
                             f"got {pairs.dtype} {pairs.shape}")
        pairs = pairs.astype(np.int64)
        if len(pairs) and (pairs.min() < 0 or pairs[:, 0].max() >= self.n_test
                           or pairs[:, 1].max() >= self.n_labels):
            raise ValueError(
                f"filter_pairs must be (test document < {self.n_test}, label < {self.n_labels}) pairs")
        self.filter_pairs = pairs
        for name in ("propensity_a", "propensity_b"):
            value = getattr(self, name)
            # bool is an Integral to Python but never a meant constant; strings are not parsed
            if (not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_))
                    or not math.isfinite(value) or value <= 0):
                raise ValueError(f"{name} must be a finite positive number, got {value!r} "
                                 "(Jain et al. 2016 constants; Wikipedia: A = 0.55, B = 1.5)")
            setattr(self, name, float(value))

    # --- sizes -----------------------------------------------------------------------------
    @property
    def n_train(self) -> int:
        return len(self.train_texts)

    @property
    def n_test(self) -> int:
        return len(self.test_texts)

    @property
    def n_labels(self) -> int:
        return len(self.label_texts)

    # --- lookups: the chapters name documents, labels and anchor sets by text ----------------
    def train_row(self, document) -> int:
        """Row of a training document given as a row id or as its text.

        ValueError when the id is out of range or the text is no training document — saying so
        when it is a test document, which by the leak rule is in no anchor graph.
        """
        def unknown() -> str:
            where = " (it is a test document)" if document in self.test_texts else ""
            return (f"document={document!r} is not a training document of {self.name!r}{where}; test "
                    "documents are in no anchor graph (the leak rule): pass a text of train_texts or a row id")

        return _lookup(document, self.train_texts, "document", "training row", unknown)

    def label_id(self, label) -> int:
        """Id of a label given as an id or as its text; ValueError when there is no such label.
        Taught in: book/01_extreme_classification.ipynb
        """
        return _lookup(label, self.label_texts, "label", "label id",
                       lambda: f"label={label!r} is not a label of {self.name!r}; pass a text of "
                               "label_texts or a label id")

    def anchor_set(self, name: str | None = None) -> AnchorSet:
        """The anchor set called ``name`` (None: the first one); ValueError listing the names.
        Taught in: book/02_anchor_graphs.ipynb
        """
        if name is None:
            if not self.anchors:
                raise ValueError(f"dataset {self.name!r} has no anchor sets")
            return next(iter(self.anchors.values()))
        if name not in self.anchors:
            raise ValueError(f"dataset {self.name!r} has no anchor set {name!r}; its anchor sets: "
                             f"{sorted(self.anchors)}")
        return self.anchors[name]

    def label_frequency(self) -> np.ndarray:
        """Training documents per label, int64 (L,). The x-axis of every long-tail plot."""
        return np.asarray((self.train_y > 0).sum(axis=0)).ravel().astype(np.int64)

    def filter_matrix(self) -> sp.csr_matrix:
        """filter_pairs as a binary csr (N_test × L), the form metrics.filter_predictions takes."""
        p = self.filter_pairs
        return (sp.csr_matrix((np.ones(len(p), np.float32), (p[:, 0], p[:, 1])),
                              shape=(self.n_test, self.n_labels)) > 0).astype(np.float32)  # binary even if a pair repeats

    def summary(self) -> dict:
        """The paper's Table 15 columns for this dataset (plus per anchor set statistics)."""
        freq = self.label_frequency()
        out = {
            "name": self.name,
            "train_documents": self.n_train,
            "test_documents": self.n_test,
            "labels": self.n_labels,
            "avg_labels_per_document": float(self.train_y.getnnz(axis=1).mean()) if self.n_train else 0.0,
            "avg_documents_per_label": float(freq.mean()) if self.n_labels else 0.0,
            "anchor_sets": {},
        }
        for name, a in self.anchors.items():
            out["anchor_sets"][name] = {
                "anchors": a.n_anchors,
                "avg_anchors_per_document": float(a.doc_anchor.getnnz(axis=1).mean()) if self.n_train else 0.0,
                "avg_anchors_per_label": float(a.label_anchor.getnnz(axis=1).mean()) if self.n_labels else 0.0,
            }
        return out

    def __repr__(self) -> str:
        sets = ", ".join(f"{n}: {a.n_anchors} anchors" for n, a in self.anchors.items()) or "none"
        return (f"XCDataset({self.name!r}: {self.n_train} train / {self.n_test} test documents, "
                f"{self.n_labels} labels, {self.train_y.nnz} train pairs; anchor sets: {sets})")
