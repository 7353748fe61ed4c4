"""A trained RAMEN model: the encoder and the label texts — and nothing of the graphs.

Inference embeds the labels once, builds a faiss inner-product index over them and returns the
labels nearest to a new document's embedding (§3, "Inference with RAMEN"). The model holds no
graph, so predicting for an unseen text needs only the text.

Saved models are a folder of plain files — encoder weights as safetensors, tokenizer files,
JSON for the label texts and the config, label embeddings as safetensors — so loading one never
unpickles a Python object.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

MODEL_FILE = "ramen_model.json"
LABELS_FILE = "labels.json"
LABEL_EMB_FILE = "label_embeddings.safetensors"
ENCODER_DIR = "encoder"


class RamenModel:
    """Encoder + label texts → top-k labels for any text.

    encoder:     ``ramen_edu.encoders.Encoder`` (trained).
    label_texts: the L label texts, in label-id order.
    config:      the TrainConfig used (a dict after loading), kept for the record.
    history:     per-epoch records of training (loss, λ, held-out metrics), may be empty.
    """

    def __init__(self, encoder, label_texts: list[str], *, config=None, history: list | None = None,
                 label_embeddings: np.ndarray | None = None) -> None:
        self.encoder = encoder
        self.label_texts = list(label_texts)
        self.config = config
        self.history = list(history or [])
        self._label_emb = label_embeddings
        self._index = None
        self.log: list[dict] = []  # per bandit period: losses, λ, reward (set by the trainer)
        self.record: dict = {}  # the run record of the training run (set by the trainer)
        if label_embeddings is not None and len(label_embeddings) != len(self.label_texts):
            raise ValueError(f"label_embeddings has {len(label_embeddings)} rows for "
                             f"{len(self.label_texts)} label texts")

    def __repr__(self) -> str:
        return (f"RamenModel(encoder={self.encoder.name!r}, dim={self.encoder.dim}, "
                f"labels={len(self.label_texts)}, epochs trained={len(self.history)})")

    @property
    def n_labels(self) -> int:
        return len(self.label_texts)

    # --- the label index --------------------------------------------------------------------
    def label_embeddings(self, *, progress: bool = False) -> np.ndarray:
        """float32 (L, D) unit rows: the labels under the current encoder (computed once)."""
        if self._label_emb is None:
            self._label_emb = self.encoder.embed(self.label_texts, progress=progress, desc="labels")
        return self._label_emb

    def refresh(self) -> None:
        """Forget cached label embeddings and index (call after changing the encoder's weights)."""
        self._label_emb, self._index = None, None

    @property
    def index(self):
        """faiss inner-product ``LabelIndex`` over the label embeddings (built on first use)."""
        if self._index is None:
            from ramen_edu.retrieval import LabelIndex

            self._index = LabelIndex(self.label_embeddings())
        return self._index

    # --- inference --------------------------------------------------------------------------
    def retrieve(self, texts: list[str], k: int = 5, *, exclude: sp.csr_matrix | None = None,
                 batch_size: int = 512, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Top-k label ids for texts: N texts -> scores float32 (N, k), ids int64 (N, k) (-1 pads).

        exclude: optional csr (N × L) of (text, label) pairs never returned (the filter pairs).
        """
        texts = _as_texts(texts)
        emb = self.encoder.embed(texts, batch_size=batch_size, progress=progress, desc="documents")
        return self.index.search(emb, k, exclude=exclude)

    def predict(self, texts, k: int = 5) -> list[list[tuple[str, float]]]:
        """Top-k (label text, cosine) pairs for each text; a single string gives a one-item list.

        Needs only the texts: no graph, no training data (RAMEN §3).
        Taught in: book/04_training.ipynb
        """
        scores, ids = self.retrieve(_as_texts(texts), k)
        return [[(self.label_texts[j], float(s)) for s, j in zip(row_s, row_i) if j >= 0]
                for row_s, row_i in zip(scores, ids)]

    def evaluate(self, dataset, *, docs: np.ndarray | int | None = None, ks=(1, 3, 5),
                 k: int | None = None, progress: bool = False) -> dict[str, float]:
        """P@k, nDCG@k, PSP@k, ... of this model on ``dataset``'s test documents (filters applied).

        dataset: an XCDataset with the same labels as the model. docs: test-document rows to
        score (an index array, or an int n for the first n), default all. Propensity constants
        are the dataset's (``propensity_a/_b``). Returns ``ramen_edu.metrics.evaluate``'s dict.
        Taught in: book/04_training.ipynb
        """
        from ramen_edu.metrics import evaluate

        rows, ids, scores = self.retrieve_test(dataset, docs=docs, k=k or max(ks), progress=progress)
        return evaluate((ids, scores), dataset.test_y[rows], train_y=dataset.train_y,
                        a=dataset.propensity_a, b=dataset.propensity_b, ks=ks)

    def retrieve_test(self, dataset, *, docs: np.ndarray | int | None = None, k: int = 5,
                      progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top-k labels of ``dataset``'s test documents with its filter pairs excluded — what
        :meth:`evaluate` and ``comparison.per_document_scores`` score.

        docs: test rows (an index array, or an int n for the first n), default all.
        Returns (rows (R,) int64, ids (R, k) int64, scores (R, k) float32), in the (ids, scores)
        order the metrics take. Raises ValueError when the dataset's labels are not the model's.
        Taught in: book/04_training.ipynb
        """
        if dataset.n_labels != self.n_labels:
            raise ValueError(f"dataset {dataset.name!r} has {dataset.n_labels} labels, the model "
                             f"{self.n_labels}: evaluate on the dataset the model was trained on")
        rows = np.arange(dataset.n_test) if docs is None else (
            np.arange(min(int(docs), dataset.n_test)) if np.isscalar(docs) else np.asarray(docs))
        exclude = dataset.filter_matrix()[rows] if len(dataset.filter_pairs) else None
        scores, ids = self.retrieve([dataset.test_texts[i] for i in rows], k, exclude=exclude,
                                    progress=progress)
        return rows, ids, scores

    # --- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the model as plain files: encoder/ (safetensors + tokenizer), labels, config.

        Taught in: book/04_training.ipynb
        """
        from safetensors.numpy import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.encoder.save(path / ENCODER_DIR)
        (path / LABELS_FILE).write_text(json.dumps(self.label_texts, ensure_ascii=False))
        save_file({"label_embeddings": np.ascontiguousarray(self.label_embeddings())}, path / LABEL_EMB_FILE)
        config = self.config.to_dict() if hasattr(self.config, "to_dict") else self.config
        (path / MODEL_FILE).write_text(json.dumps({"format": 1, "config": config, "history": self.history},
                                                  indent=1, default=_json_default))
        return path

    @classmethod
    def load(cls, path: str | Path, *, device=None) -> "RamenModel":
        """Read a folder written by :meth:`save` (no pickle involved).

        Taught in: book/04_training.ipynb
        """
        from safetensors.numpy import load_file

        from ramen_edu.encoders import Encoder

        path = Path(path)
        meta_file = path / MODEL_FILE
        if not meta_file.is_file():
            raise FileNotFoundError(f"{meta_file} not found: {path} is not a saved RAMEN model "
                                    "(train one with `ramen-edu train` or ramen_edu.train(...))")
        meta = json.loads(meta_file.read_text())
        labels = json.loads((path / LABELS_FILE).read_text())
        encoder = Encoder.load(path / ENCODER_DIR, device=device)
        emb_file = path / LABEL_EMB_FILE
        emb = load_file(emb_file)["label_embeddings"] if emb_file.is_file() else None
        return cls(encoder, labels, config=meta.get("config"), history=meta.get("history"),
                   label_embeddings=emb)


def _as_texts(texts) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
    return texts


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
