"""The two-stage GCN baseline (OAK-like): link a document to anchors, aggregate, then retrieve.

RAMEN's claim (§1, Table 2, Table 3) is made against methods that need the graph *at
inference*: a first stage links a new document to anchors (OAK's "linker"), a graph layer mixes
the document's embedding with its anchors' embeddings, and only then are labels retrieved. This
module builds that method on RAMEN's own engine, so the comparison differs only in the graph's
role — same encoder family, data, batches, loss, budget and evaluation path.

The method, precisely
---------------------
* **Knowledge bank**: the embeddings ``a_j`` (M, D) of the linked anchor set's texts under the
  current encoder, recomputed at the start of every epoch without gradient (kept in the
  checkpoint, so a resume is exact). OAK learns a free vector per anchor instead; re-embedding
  keeps the baseline's parameters = encoder + one aggregation layer, the same encoder budget as
  RAMEN, and lets an anchor never seen in training still have an embedding.
* **Aggregation** (:class:`AnchorAggregator`, one layer): for document embedding ``e`` (unit)
  and its ``k`` linked anchors, attention weights ``α_j = softmax_j(⟨e, a_j⟩ / τ)`` (``τ``
  learned, starts at 0.1) — or uniform weights with ``mode="mean"`` — give ``m = Σ α_j a_j`` and
  the enriched embedding ``z = normalize(e + W m)``, ``W`` (D × D) learned, starting at ½·I (a
  mean of the document and its anchors, as a GCN layer with a self-loop). A document without
  links keeps ``z = e``. Only documents are enriched; labels are embedded by the encoder alone,
  as in OAK.
* **Training** (:class:`TwoStageTrainer`): the document–label triplet loss scores ``z``;
  training documents use their *true* anchors (their edges in the unpruned graph, at most ``k``,
  a seeded random choice when there are more — "teacher forcing", as OAK trains its fusion on
  ground-truth links). The linker is the encoder itself, trained by RAMEN's document-side
  regularizer R_x on the same anchor set (an in-batch triplet loss of documents against their
  anchors): the GCN config is RAMEN's with ``anchor_sets=[set]``, ``label_graph=False``.
* **Inference** (:class:`TwoStageModel`): embed the text, link it to ``k`` anchors, aggregate,
  search the labels. Linkers: ``"learned"`` (the ``k`` nearest anchors of the bank by inner
  product, a faiss search), ``"oracle"`` (the test document's true anchors — its real
  categories, which the benchmark keeps apart from the graph in ``AnchorSet.test_doc_anchor``
  and which no training step reads), ``"random"`` (uniform anchors: the control).

The oracle is what the paper calls "OAK + Oracle": it cannot exist for a new document, and it is
the only place in the project where a test document's anchors are read.

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from ramen_edu.graphs import rank_within_rows
from ramen_edu.runinfo import read_json
from ramen_edu.training.model import DAMAGED_HINT, RamenModel
from ramen_edu.training.trainer import Trainer

__all__ = ["AGGREGATIONS", "LINKERS", "AnchorAggregator", "TwoStageModel", "TwoStageTrainer",
           "cap_links", "gcn_overrides", "train_two_stage"]

AGGREGATIONS = ("attention", "mean")
LINKERS = ("learned", "oracle", "random")
HEAD_FILE = "two_stage_head.safetensors"
HEAD_META = "two_stage.json"


def gcn_overrides(anchor_set: str) -> dict:
    """TrainConfig overrides that turn the RAMEN recipe into the two-stage GCN's: only the
    linked set's document-side regularizer R_x (it trains the linker), no label-side terms."""
    return {"regularize": True, "anchor_sets": [anchor_set], "doc_graph": True, "label_graph": False}


def cap_links(edges: sp.csr_matrix, k: int, *, seed: int) -> np.ndarray:
    """Each row's anchors as a padded matrix: int64 (N, k), −1 where a row has fewer than k.

    A row with more than k edges keeps k of them chosen uniformly (``default_rng(seed)``), so no
    anchor id order biases the choice. Vectorised: one random key per edge, one lexsort.
    """
    if k < 1:
        raise ValueError(f"k={k}: a document needs at least one anchor slot")
    edges = sp.csr_matrix(edges)
    edges.sort_indices()
    n = edges.shape[0]
    rows = np.repeat(np.arange(n), np.diff(edges.indptr))
    keys = np.random.default_rng(seed).random(len(rows))
    order = np.lexsort((keys, rows))  # rows stay grouped, a random order inside each row
    slot = rank_within_rows(rows[order], n)
    chosen = slot < k
    out = np.full((n, k), np.iinfo(np.int64).max, dtype=np.int64)
    out[rows[order][chosen], slot[chosen]] = edges.indices[order[chosen]]
    out.sort(axis=1)  # ascending ids, the pads (int64 max) last
    out[out == np.iinfo(np.int64).max] = -1
    return out


class AnchorAggregator(torch.nn.Module):
    """One graph layer over a document's linked anchors: ``z = normalize(e + W Σ_j α_j a_j)``.

    mode: "attention" (α = softmax of ⟨e, a_j⟩/τ over the valid anchors, τ learned) or "mean"
    (α uniform). ``bank`` (M, D) is a buffer: the anchors' embeddings, set by the trainer.
    forward(e (B, D) unit rows, links int64 (B, k) with −1 pads) → (B, D) unit rows.
    """

    def __init__(self, dim: int, n_anchors: int, mode: str = "attention") -> None:
        super().__init__()
        if mode not in AGGREGATIONS:
            raise ValueError(f"aggregation {mode!r}: choose one of {AGGREGATIONS}")
        self.mode = mode
        self.weight = torch.nn.Parameter(0.5 * torch.eye(dim))
        self.log_tau = torch.nn.Parameter(torch.tensor(math.log(0.1)))
        self.register_buffer("bank", torch.zeros(n_anchors, dim))

    def forward(self, emb: torch.Tensor, links: torch.Tensor) -> torch.Tensor:
        valid = links >= 0
        anchors = self.bank[links.clamp(min=0)]  # (B, k, D); no gradient reaches the bank
        if self.mode == "attention":
            logits = torch.einsum("bd,bkd->bk", emb, anchors) / self.log_tau.exp()
        else:
            logits = torch.zeros(valid.shape, dtype=emb.dtype, device=emb.device)
        logits = logits.masked_fill(~valid, -math.inf)
        # a document without links: every logit −inf → NaN weights; zero them (m = 0, z = e)
        alpha = torch.nan_to_num(torch.softmax(logits, dim=1), nan=0.0)
        mixed = torch.einsum("bk,bkd->bd", alpha, anchors)
        return torch.nn.functional.normalize(emb + mixed @ self.weight.T, dim=1)


class TwoStageTrainer(Trainer):
    """RAMEN's trainer with a graph layer on top of the encoder (module docstring, "Training").

    anchor_set: the linked set (default: the config's only anchor set). k: anchors per document.
    aggregation: "attention" or "mean". Other arguments as :class:`~ramen_edu.training.trainer.Trainer`.
    """

    def __init__(self, dataset, config, *, anchor_set: str | None = None, k: int = 5,
                 aggregation: str = "attention", **kwargs) -> None:
        names = config.anchor_sets or list(dataset.anchors)
        self.link_set = anchor_set or names[0]
        if self.link_set not in dataset.anchors:
            raise ValueError(f"anchor_set={self.link_set!r}: dataset {dataset.name!r} has anchor sets "
                             f"{list(dataset.anchors)}")
        self.k, self.aggregation = int(k), aggregation
        # true anchors of the training documents (unpruned): what the layer aggregates in training
        self.train_links = torch.from_numpy(
            cap_links(dataset.anchors[self.link_set].doc_anchor, self.k, seed=config.seed))
        super().__init__(dataset, config, **kwargs)

    def build_head(self, context):
        return AnchorAggregator(context.encoder.dim, context.dataset.anchors[self.link_set].n_anchors,
                                self.aggregation).to(context.device)

    def start_epoch(self) -> None:
        bank = self.embed_pool(self.dataset.anchors[self.link_set].texts, f"bank: {self.link_set}")
        self.head.bank.copy_(torch.from_numpy(bank))

    def enrich(self, doc_emb, doc_ids):
        links = self.train_links[torch.from_numpy(np.asarray(doc_ids))].to(doc_emb.device)
        return self.head(doc_emb, links)

    def scoring_model(self):
        return self._two_stage_model(history=None)

    def model(self):
        model = self._two_stage_model(history=self.history)
        model.log, model.record = self.log, self.record()
        return model

    def record(self) -> dict:
        out = super().record()
        out["method"] = "two-stage GCN"
        out["two_stage"] = {"anchor_set": self.link_set, "k": self.k, "aggregation": self.aggregation}
        return out

    def _two_stage_model(self, history):
        return TwoStageModel(self.encoder, self.dataset.label_texts, self.head,
                             anchor_texts=self.dataset.anchors[self.link_set].texts,
                             anchor_set=self.link_set, k=self.k, config=self.config, history=history)


def train_two_stage(dataset, config, *, anchor_set: str | None = None, k: int = 5,
                    aggregation: str = "attention", run_dir=None, resume: bool = False,
                    progress: bool = True) -> "TwoStageModel":
    """Train the two-stage GCN with ``config`` (use ``gcn_overrides``) and return its model.
    Taught in: book/05_baselines_and_tail.ipynb
    """
    with TwoStageTrainer(dataset, config, anchor_set=anchor_set, k=k, aggregation=aggregation,
                         run_dir=run_dir, resume=resume, progress=progress) as trainer:
        return trainer.fit()


class TwoStageModel(RamenModel):
    """Encoder + graph layer + anchor bank → labels; ``linker`` chooses the first stage.

    head: the trained :class:`AnchorAggregator` (its bank is recomputed here with the final
    encoder). anchor_texts: the linked set's M texts. linker: "learned" | "oracle" | "random".
    Set ``oracle`` with :meth:`with_linker` (it needs the dataset's hidden test anchors).
    Saved and loaded as a folder like RamenModel's, plus the layer (``TwoStageModel.load``).
    Taught in: book/05_baselines_and_tail.ipynb
    """

    MODEL_TYPE = "TwoStageModel"
    LOADER = "ramen_edu.baselines.TwoStageModel.load"

    def __init__(self, encoder, label_texts, head: AnchorAggregator, *, anchor_texts, anchor_set: str,
                 k: int, linker: str = "learned", oracle: dict | None = None, seed: int = 0, **kwargs) -> None:
        super().__init__(encoder, label_texts, **kwargs)
        if linker not in LINKERS:
            raise ValueError(f"linker {linker!r}: choose one of {LINKERS}")
        self.head, self.anchor_texts, self.anchor_set = head, list(anchor_texts), anchor_set
        self.k, self.linker, self._oracle, self.seed = int(k), linker, oracle, seed
        self._bank: np.ndarray | None = None
        self._anchor_index = None

    def __repr__(self) -> str:
        return (f"TwoStageModel(encoder={self.encoder.name!r}, anchors={len(self.anchor_texts)} "
                f"({self.anchor_set}), k={self.k}, linker={self.linker!r}, labels={self.n_labels})")

    def with_linker(self, linker: str, dataset=None, *, seed: int = 0) -> "TwoStageModel":
        """The same trained model with another first stage (shares encoder, head and bank).

        "oracle" needs ``dataset``: its test documents' hidden anchors
        (``dataset.anchors[set].test_doc_anchor``) become each test text's links; a text that
        is not one of its test documents has no links (it keeps its own embedding).
        """
        oracle = None
        if linker == "oracle":
            hidden = None if dataset is None else dataset.anchors[self.anchor_set].test_doc_anchor
            if hidden is None:
                raise ValueError(f"the oracle linker needs a dataset whose anchor set {self.anchor_set!r} "
                                 "keeps the test documents' hidden anchors (AnchorSet.test_doc_anchor); "
                                 "rebuild the dataset with this version of ramen_edu")
            links = cap_links(hidden, self.k, seed=seed)
            oracle = {}
            for text, row in zip(dataset.test_texts, links):  # a repeated text: its first document
                oracle.setdefault(text, row)
        twin = TwoStageModel(self.encoder, self.label_texts, self.head, anchor_texts=self.anchor_texts,
                             anchor_set=self.anchor_set, k=self.k, linker=linker, oracle=oracle, seed=seed,
                             config=self.config, history=self.history)
        # the bank, the label embeddings and their index do not depend on the linker: made once
        # (here, if not yet), every twin shares them instead of re-embedding all anchors and labels
        twin.share_anchors(self)
        twin.share_labels(self)
        twin.log, twin.record = self.log, self.record
        return twin

    def share_anchors(self, source: "TwoStageModel") -> None:
        """Use ``source``'s anchor bank (M, D) — built in ``source`` first if needed — and its
        anchor search index when it has built one, instead of embedding the anchors again. Both
        models must share one encoder, one graph layer and the same anchor texts (the twins of
        :meth:`with_linker`); the shared objects are never changed in place."""
        if (source.encoder is not self.encoder or source.head is not self.head
                or source.anchor_texts != self.anchor_texts):
            raise ValueError("share_anchors: both models must use the same encoder and graph layer objects and "
                             "the same anchor texts (otherwise the shared bank would be another model's)")
        self._bank, self._anchor_index = source.anchor_bank(), source._anchor_index

    # --- the first stage ----------------------------------------------------------------------
    def anchor_bank(self) -> np.ndarray:
        """float32 (M, D): the linked set's anchors under the final encoder (computed once)."""
        if self._bank is None:
            self._bank = self.encoder.embed(self.anchor_texts, progress=False, desc="anchors")
            self.head.bank = torch.from_numpy(self._bank).to(self.head.weight.device)
        return self._bank

    def link(self, texts: list[str], emb: np.ndarray) -> np.ndarray:
        """The first stage: int64 (N, k) anchor ids per text, −1 pads."""
        if self.linker == "learned":
            if self._anchor_index is None:
                from ramen_edu.retrieval import LabelIndex  # lazy: faiss

                self._anchor_index = LabelIndex(self.anchor_bank())
            return self._anchor_index.search(emb, self.k).ids.astype(np.int64)
        if self.linker == "random":
            rng = np.random.default_rng(self.seed)
            return rng.integers(len(self.anchor_texts), size=(len(texts), self.k))
        empty = np.full(self.k, -1, dtype=np.int64)
        return np.stack([self._oracle.get(t, empty) for t in texts]) if texts else empty[None, :0]

    def query_embeddings(self, texts, *, batch_size: int = 512, progress: bool = False) -> np.ndarray:
        """float32 (N, D): the enriched document embeddings z (link, then aggregate)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        emb = self.encoder.embed(texts, batch_size=batch_size, progress=progress, desc="documents")
        self.anchor_bank()
        links = self.link(texts, emb)
        device = self.head.weight.device
        with torch.no_grad():
            z = self.head(torch.from_numpy(emb).to(device), torch.from_numpy(links).to(device))
        return z.float().cpu().numpy()

    # --- files --------------------------------------------------------------------------------
    def write_files(self, folder: Path) -> None:
        """:meth:`RamenModel.write_files` plus the layer's weights (its bank is recomputed on
        load) and the linked anchor set's texts."""
        from safetensors.torch import save_file

        super().write_files(folder)
        state = {k: v.detach().cpu().contiguous() for k, v in self.head.state_dict().items() if k != "bank"}
        save_file(state, str(folder / HEAD_FILE))
        (folder / HEAD_META).write_text(json.dumps(
            {"anchor_set": self.anchor_set, "k": self.k, "aggregation": self.head.mode,
             "anchor_texts": self.anchor_texts}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_files(cls, path: Path, meta: dict, *, device=None, **parts) -> "TwoStageModel":
        """Read the graph layer written by :meth:`write_files` (``RamenModel.load`` reads the rest)."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        head_meta = read_json(path / HEAD_META, dict, "the graph layer's settings", hint=DAMAGED_HINT)
        try:
            anchor_texts, anchor_set = list(head_meta["anchor_texts"]), str(head_meta["anchor_set"])
            k, aggregation = int(head_meta["k"]), head_meta["aggregation"]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path / HEAD_META} lacks or mangles {err}: {DAMAGED_HINT}") from None
        encoder = parts.pop("encoder")
        head = AnchorAggregator(encoder.dim, len(anchor_texts), aggregation)
        try:
            state = load_file(str(path / HEAD_FILE))
            head.load_state_dict({**state, "bank": head.bank}, strict=True)  # the bank is recomputed
        except FileNotFoundError:
            raise FileNotFoundError(f"{path / HEAD_FILE} is missing: {DAMAGED_HINT}") from None
        except (SafetensorError, RuntimeError, OSError) as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ValueError(f"{path / HEAD_FILE} is unreadable ({reason}): {DAMAGED_HINT}") from None
        return cls(encoder, parts.pop("label_texts"), head.to(encoder.device), anchor_texts=anchor_texts,
                   anchor_set=anchor_set, k=k, **parts)
