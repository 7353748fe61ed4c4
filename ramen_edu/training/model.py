"""A trained RAMEN model: the encoder and the label texts — and nothing of the graphs.

Inference embeds the labels once, builds a faiss inner-product index over them and returns the
labels nearest to a new document's embedding (§3, "Inference with RAMEN"). The model holds no
graph, so predicting for an unseen text needs only the text.

Saved models are a folder of plain files — encoder weights as safetensors, tokenizer files,
JSON for the label texts and the config, label embeddings as safetensors — so loading one never
unpickles a Python object. The folder is written whole (``runinfo.atomic_folder``: a kill during
:meth:`RamenModel.save` leaves the previous model or the new one, never a mix), and
``ramen_model.json`` names the model's class (``"type"``), so a model with more parts (the
two-stage baseline's graph layer) is never read back as a plain one by the wrong loader.

A model scores a dataset only when the dataset's label texts are the model's: the same number of
labels is not enough (label id 7 must *be* the model's label 7), so every model carries a label
fingerprint (:func:`label_fingerprint`, saved in ``ramen_model.json``) that
:meth:`RamenModel.check_labels` compares with the dataset's.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from ramen_edu.evaluation import evaluate_retrieval, retrieve_split
from ramen_edu.runinfo import atomic_folder, interrupted_folder_hint, json_default, read_json

MODEL_FILE = "ramen_model.json"
LABELS_FILE = "labels.json"
LABEL_EMB_FILE = "label_embeddings.safetensors"
ENCODER_DIR = "encoder"
DAMAGED_HINT = "retrain the model, or re-save it from a working copy (RamenModel.save)"
# format 2 adds "type"; a format-1 folder (no type) was written by RamenModel.save, or by a
# TwoStageModel.save of that time, which no loader of that time could read back either
MODEL_FORMAT = 2


def label_fingerprint(label_texts) -> str:
    """sha256 (hex) of the label texts in label-id order, as a JSON list (so no separator inside
    a text can make two different label lists collide)."""
    return hashlib.sha256(json.dumps(list(label_texts), ensure_ascii=False).encode("utf-8")).hexdigest()


class RamenModel:
    """Encoder + label texts → top-k labels for any text.

    ``MODEL_TYPE`` / ``LOADER``: what ``ramen_model.json`` records as the folder's type, and the
    loader named to a reader who opens it with another class's ``load``. A subclass with more
    parts sets both and extends :meth:`write_files` and :meth:`from_files`.

    encoder:     ``ramen_edu.encoders.Encoder`` (trained).
    label_texts: the L label texts, in label-id order.
    config:      the TrainConfig used (a dict after loading), kept for the record.
    history:     per-epoch records of training (loss, λ, held-out metrics), may be empty.

    ``label_fingerprint`` is :func:`label_fingerprint` of the label texts, or None for a model
    loaded from a folder saved before fingerprints were recorded (its labels cannot be vouched
    for; scoring a dataset then warns once).
    """

    MODEL_TYPE = "RamenModel"
    LOADER = "ramen_edu.training.RamenModel.load"

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
        self.label_fingerprint: str | None = label_fingerprint(self.label_texts)
        self.label_source = "the model's label texts"  # where the fingerprint was read, for messages
        self._warned_unchecked = False
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

    def share_labels(self, source: "RamenModel") -> None:
        """Use ``source``'s label embeddings (L, D) and label index — the same objects, built in
        ``source`` first if needed — instead of embedding the labels again. For models that score
        with one encoder over the same label texts (``TwoStageModel.with_linker``'s twins); the
        shared objects are never changed in place, and :meth:`refresh` on either model drops only
        that model's references."""
        if source.encoder is not self.encoder or source.label_texts != self.label_texts:
            raise ValueError("share_labels: both models must use the same encoder object and the same label "
                             "texts (otherwise the shared embeddings would be another model's)")
        self._label_emb, self._index = source.label_embeddings(), source.index

    @property
    def index(self):
        """faiss inner-product ``LabelIndex`` over the label embeddings (built on first use)."""
        if self._index is None:
            from ramen_edu.retrieval import LabelIndex  # lazy: faiss is heavy; loading a model never needs it

            self._index = LabelIndex(self.label_embeddings())
        return self._index

    # --- inference --------------------------------------------------------------------------
    def query_embeddings(self, texts, *, batch_size: int = 512, progress: bool = False) -> np.ndarray:
        """float32 (N, D) unit rows: what a text is searched with (here: the encoder's embedding;
        a model that adds a stage before the search, ``baselines.TwoStageModel``, overrides it)."""
        return self.encoder.embed(_as_texts(texts), batch_size=batch_size, progress=progress, desc="documents")

    def retrieve(self, texts: list[str], k: int = 5, *, exclude: sp.csr_matrix | None = None,
                 batch_size: int = 512, progress: bool = False):
        """Top-k labels for texts: N texts -> ``retrieval.Retrieved(ids int64 (N, k) (-1 pads),
        scores float32 (N, k))``, the ``(ids, scores)`` pair the metrics take.

        exclude: optional csr (N × L) of (text, label) pairs never returned (the filter pairs).
        """
        emb = self.query_embeddings(texts, batch_size=batch_size, progress=progress)
        return self.index.search(emb, k, exclude=exclude)

    def predict(self, texts, k: int = 5) -> list[list[tuple[str, float]]]:
        """Top-k (label text, cosine) pairs for each text; a single string gives a one-item list.

        Needs only the texts: no graph, no training data (RAMEN §3).
        Taught in: book/04_training.ipynb
        """
        ids, scores = self.retrieve(_as_texts(texts), k)
        return [[(self.label_texts[j], float(s)) for s, j in zip(row_s, row_i) if j >= 0]
                for row_s, row_i in zip(scores, ids)]

    def evaluate(self, dataset, *, docs: np.ndarray | int | None = None, ks=(1, 3, 5),
                 k: int | None = None, progress: bool = False) -> dict[str, float]:
        """P@k, nDCG@k, PSP@k, ... of this model on ``dataset``'s test documents (filters applied).

        dataset: an XCDataset with the same labels as the model. docs: test-document rows to
        score (an index array, or an int n for the first n), default all. Propensity constants
        are the dataset's (``propensity_a/_b``). Returns ``ramen_edu.metrics.all_metrics``' dict.
        Raises ValueError when the dataset's labels are not the model's (:meth:`check_labels`).
        Taught in: book/04_training.ipynb
        """
        return evaluate_retrieval(self, dataset, docs=docs, ks=ks, k=k, progress=progress)

    def retrieve_test(self, dataset, *, docs: np.ndarray | int | None = None, k: int = 5,
                      progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top-k labels of ``dataset``'s test documents with its filter pairs excluded — what
        :meth:`evaluate` and ``comparison.per_document_scores`` score.

        docs: test rows (an index array, or an int n for the first n), default all.
        Returns (rows (R,) int64, ids (R, k) int64, scores (R, k) float32), in the (ids, scores)
        order the metrics take. Raises ValueError when the dataset's labels are not the model's
        (:meth:`check_labels`, which ``evaluation.retrieve_split`` calls).
        """
        rows, top = retrieve_split(self, dataset, docs=docs, k=k, progress=progress)
        return rows, top.ids, top.scores

    def check_labels(self, dataset) -> None:
        """Raise ValueError unless ``dataset``'s label texts are the model's, in the same order
        (label fingerprints compared). A model without a fingerprint (an old folder) warns once."""
        if dataset.n_labels != self.n_labels:
            raise ValueError(f"dataset {dataset.name!r} has {dataset.n_labels} labels, the model "
                             f"{self.n_labels}: evaluate on the dataset the model was trained on")
        if self.label_fingerprint is None:
            if not self._warned_unchecked:
                warnings.warn(f"{self.label_source} records no label fingerprint (saved by an older version): "
                              f"cannot check that dataset {dataset.name!r} has the model's labels; "
                              "re-save the model (RamenModel.save) to record one", stacklevel=3)
                self._warned_unchecked = True
            return
        theirs = label_fingerprint(dataset.label_texts)
        if theirs != self.label_fingerprint:
            raise ValueError(f"dataset {dataset.name!r} has other label texts than the model (label "
                             f"fingerprint {theirs[:12]} of the dataset's label texts, "
                             f"{self.label_fingerprint[:12]} in {self.label_source}): evaluate on the dataset "
                             "the model was trained on, or train a model on this one")

    # --- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the model as plain files: encoder/ (safetensors + tokenizer), labels, config.

        All at once (``runinfo.atomic_folder``): the files go to a new folder beside ``path``,
        which then replaces ``path``; a kill on the way leaves the previous model loadable.
        Taught in: book/04_training.ipynb
        """
        path = Path(path)
        with atomic_folder(path) as tmp:
            self.write_files(tmp)
        return path

    def write_files(self, folder: Path) -> None:
        """Write the model's files into the new, empty ``folder`` (:meth:`save` makes it atomic)."""
        self.encoder.save(folder / ENCODER_DIR)
        (folder / LABELS_FILE).write_text(json.dumps(self.label_texts, ensure_ascii=False), encoding="utf-8")
        save_file({"label_embeddings": np.ascontiguousarray(self.label_embeddings())}, folder / LABEL_EMB_FILE)
        config = self.config.to_dict() if hasattr(self.config, "to_dict") else self.config
        meta = {"format": MODEL_FORMAT, "type": self.MODEL_TYPE, "loader": self.LOADER, "config": config,
                "history": self.history, "label_fingerprint": label_fingerprint(self.label_texts)}
        (folder / MODEL_FILE).write_text(json.dumps(meta, indent=1, default=json_default), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, *, device=None) -> "RamenModel":
        """Read a folder written by :meth:`save` (no pickle involved).

        A damaged file raises ValueError naming it and the fix; labels.json that does not match
        the saved label fingerprint too; a folder saved by another model class (``"type"`` in
        ramen_model.json) names the loader to use.
        Taught in: book/04_training.ipynb
        """
        from ramen_edu.encoders import Encoder  # lazy: torch/transformers are heavy; saving/scoring never needs them

        path = Path(path)
        meta_file = path / MODEL_FILE
        if not meta_file.is_file():
            raise FileNotFoundError(f"{meta_file} not found: {path} is not a saved RAMEN model "
                                    "(train one with `ramen-edu train` or ramen_edu.train(...))"
                                    + interrupted_folder_hint(path))
        meta = read_json(meta_file, dict, "a JSON object", hint=DAMAGED_HINT)
        saved_type = meta.get("type", RamenModel.MODEL_TYPE)
        if saved_type != cls.MODEL_TYPE:
            raise ValueError(f"{path} holds a saved {saved_type} (\"type\" in {meta_file}), not a {cls.MODEL_TYPE}: "
                             f"load it with {meta.get('loader') or saved_type + '.load'}")
        labels_file = path / LABELS_FILE
        labels = read_json(labels_file, list, "a JSON list of label texts", hint=DAMAGED_HINT)
        if not all(isinstance(t, str) for t in labels):
            raise ValueError(f"{labels_file} holds non-text labels: {DAMAGED_HINT}")
        saved_fingerprint = meta.get("label_fingerprint")
        if saved_fingerprint is not None and saved_fingerprint != label_fingerprint(labels):
            raise ValueError(f"{labels_file} does not match the label fingerprint in {meta_file} (the "
                             f"labels were changed after saving): {DAMAGED_HINT}")
        encoder = Encoder.load(path / ENCODER_DIR, device=device)
        emb_file = path / LABEL_EMB_FILE
        emb = None
        if emb_file.is_file():
            try:
                emb = load_file(emb_file)["label_embeddings"]
            except (SafetensorError, KeyError, OSError) as err:
                raise ValueError(f"{emb_file} is unreadable ({err}): {DAMAGED_HINT}") from None
            if emb.ndim != 2 or len(emb) != len(labels) or emb.shape[1] != encoder.dim:
                raise ValueError(f"{emb_file} holds {emb.shape} embeddings for {len(labels)} labels "
                                 f"in {labels_file} and a {encoder.dim}-dimensional encoder: {DAMAGED_HINT}")
            if not np.isfinite(emb).all():  # NaN scores rank nothing: predict would answer nothing
                raise ValueError(f"{emb_file} holds NaN or infinite values (in {int((~np.isfinite(emb)).any(1).sum())} "
                                 f"label rows): {DAMAGED_HINT}")
        model = cls.from_files(path, meta, encoder=encoder, label_texts=labels, config=meta.get("config"),
                               history=meta.get("history"), label_embeddings=emb, device=device)
        model.label_fingerprint = saved_fingerprint
        model.label_source = str(meta_file)
        return model

    @classmethod
    def from_files(cls, path: Path, meta: dict, *, device=None, **parts) -> "RamenModel":
        """The model from the parts :meth:`load` read (encoder, label_texts, config, history,
        label_embeddings); a subclass reads its own files from ``path`` here."""
        return cls(parts.pop("encoder"), parts.pop("label_texts"), **parts)


def _as_texts(texts) -> list[str]:
    if isinstance(texts, str):
        return [texts]
    texts = list(texts)
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
    return texts
