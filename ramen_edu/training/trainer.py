"""The RAMEN trainer: batches → one encoder pass → λ-weighted triplet losses → AdamW step.

One step (RAMEN §3):

1. the sampler hands out a global batch: B documents, one positive label each, and per anchor
   set one anchor per document and one per label, with false-negative masks;
2. the encoder embeds all of it in a single forward pass (documents, labels, anchors);
3. the losses: L (documents vs the batch's labels), R_x^t (documents vs the batch's document
   anchors), R_z^t (labels vs the batch's label anchors), each an in-batch triplet loss with
   margin 0.3 (or, with ``TrainConfig.loss="softmax"``, an in-batch softmax), weighted by the
   bandit's current λ;
4. backward, gradient clipping, AdamW, the LR schedule, and the bandit sees the step's objective
   and reward.

Around the steps: graph pruning at the scheduled epochs (always from the unpruned graphs,
with the current encoder), re-clustering for the sampler, a held-out evaluation after every
epoch, a checkpoint after every epoch that resumes exactly, and a JSON run record.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import math
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from ramen_edu import precision
from ramen_edu.bandits import LambdaBandit, LambdaHalving, ValidationBandit
from ramen_edu.data.catalog import load_dataset
from ramen_edu.data.validation import validation_candidates, validation_split
from ramen_edu.graphs import prune_edges, shuffle_edges
from ramen_edu.losses import in_batch_loss, ramen_objective
from ramen_edu.runinfo import (MODEL_DIR, RUN_FILE as RUN_RECORD_FILE, atomic_write_text, environment, json_default,
                               lock_folder, remove_stale_tmp)
from ramen_edu.sampling import BatchSampler
from ramen_edu.terms import ANCHOR_SIDES, DOC_LABEL, Term
from ramen_edu.training import distributed as ddp
from ramen_edu.training.checkpoint import (CHECKPOINT_FILE, CHECKPOINT_FORMAT, RESTART_HINT, load_checkpoint,
                                           rng_state, save_checkpoint, set_rng_state)
from ramen_edu.training.config import TINY_ENCODER, TrainConfig
from ramen_edu.training.frozen import HiddenCache, LayerSplit
from ramen_edu.training.model import RamenModel, label_fingerprint
from ramen_edu.training.schedule import describe, epoch_plan, lr_scheduler
from ramen_edu.training.tokens import PartsEncoder, TokenPool, gather_tokens, length_sorted, unique_rows

if TYPE_CHECKING:  # transformers loads when an encoder is built (build_encoder), not on import
    from ramen_edu.encoders import Encoder

# held-out metrics shown in the progress bar and kept in the run record's epoch rows
EPOCH_METRICS = ("P@1", "P@3", "P@5", "nDCG@5", "PSP@1", "PSP@5")
# config fields a resume may change: notes, and the name of the profile the sizes came from
# (the sizes themselves are compared field by field)
RESUME_MAY_DIFFER = ("extra", "profile", "recipe")
# rows per length bucket of a step's part (tokens.length_sorted): 32 cuts a step's padded tokens
# by about 40 % on Wikipedia titles; smaller buckets add per-call overhead (benchmarks/bench_training.py)
BUCKET_ROWS = 32


def build_encoder(config: TrainConfig, device: torch.device):
    """The encoder a config names: bundled MiniLM (None), ``"tiny-random"``, or a HF name/path."""
    from ramen_edu.encoders import Encoder  # transformers loads when an encoder is built, not on import

    if config.encoder == TINY_ENCODER:
        enc = Encoder.tiny_random(seed=config.seed, max_length=config.max_length, device=device)
    else:
        enc = Encoder.from_pretrained(config.encoder, max_length=config.max_length, device=device)
    if config.dropout is not None:
        for module in enc.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = config.dropout
        for key in ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout", "attention_dropout"):
            if hasattr(enc.model.config, key):
                setattr(enc.model.config, key, config.dropout)
    return enc


def dataset_fingerprint(dataset) -> dict:
    """What a checkpoint records of the dataset it trains on, so a resume on another dataset is
    refused: its name (for the message), sizes, the label fingerprint and a sha256 of the
    training texts and label matrix. A dataset read from another path with the same content
    has the same fingerprints."""
    train = hashlib.sha256(json.dumps(list(dataset.train_texts), ensure_ascii=False).encode("utf-8"))
    y = dataset.train_y.tocsr()
    for part in (np.asarray(y.shape, np.int64), y.indptr.astype(np.int64), y.indices.astype(np.int64)):
        train.update(part.tobytes())
    return {"name": dataset.name, "train_documents": dataset.n_train, "labels": dataset.n_labels,
            "label_fingerprint": label_fingerprint(dataset.label_texts), "train_fingerprint": train.hexdigest()}


def scramble_seed(seed: int, anchor_set: str, side: str) -> int:
    """The seed of one anchor graph's scrambling (``TrainConfig.scramble_graph``), side =
    "doc_anchor" or "label_anchor": the first 8 bytes of sha256("seed/anchor_set/side"). A
    stable hash, not Python's ``hash()`` (salted per process), so a resumed run and every DDP
    rank scramble alike, and each graph gets its own seed."""
    digest = hashlib.sha256(f"{seed}/{anchor_set}/{side}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def seed_everything(seed: int) -> None:
    """Seed torch, numpy's global generator and Python's ``random`` (determinism on the CPU)."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


@dataclasses.dataclass
class _EncodedBatch:
    """One step's embeddings (``Trainer._encode``), float32, on the training device.

    doc, label: (B, D) this rank's documents and their sampled positive labels.
    anchors:    {term: ((n_valid, D) the embeddings of the term's valid anchor slots, (B,) bool
                which slots are valid)} for every anchor term with a λ.
    encoded:    rows the losses use (this rank), the step log's "encoded" / world size.
    rows:       {pool: (rows the losses use, distinct rows the encoder ran)} (``Trainer.last_rows``).
    """

    doc: torch.Tensor
    label: torch.Tensor
    anchors: dict[str, tuple[torch.Tensor, torch.Tensor]]
    encoded: int
    rows: dict[str, tuple[int, int]]


@dataclasses.dataclass
class _LabelScores:
    """What the document–label loss and the in-batch P@1 both read: queries (B, D) (the
    documents, enriched by a subclass), labels (C, D) (the global batch's), positive_mask (B, C)
    bool (which labels are positives of each document)."""

    queries: torch.Tensor
    labels: torch.Tensor
    positive_mask: torch.Tensor


def anchor_pool(anchor_set: str) -> str:
    """The key of an anchor set's texts in ``Trainer.pools`` (and ``last_rows``)."""
    return f"anchor:{anchor_set}"


def objective_terms(config: TrainConfig, anchor_names: list[str]) -> list[str]:
    """The objective's terms a run trains with, as stored (``str(Term)``): "doc_label", then per
    anchor set its "doc_anchor:<set>" and "label_anchor:<set>" unless that side is switched off
    (``TrainConfig.doc_graph`` / ``label_graph``)."""
    sides = [side for side, on in zip(ANCHOR_SIDES, (config.doc_graph, config.label_graph)) if on]
    return [DOC_LABEL, *(str(Term(side, n)) for n in anchor_names for side in sides)]


def build_bandit(config: TrainConfig, terms: list[str]):
    """The λ tuner ``TrainConfig.bandit_mode`` names, over ``terms``: a ``LambdaHalving``
    tournament, a ``ValidationBandit`` or a ``PaperBandit``; without tuning (``bandit=False`` or
    the no-graph baseline) an estimator of that mode with every term fixed, whose ``values()``
    are the initial λ (a halving config falls back to a fixed validation-mode one). The bandit's
    state in a checkpoint names its mode, so a resume builds the same class."""
    tunes = config.bandit and config.regularize
    if tunes and config.bandit_mode == "halving":  # a tournament over a λ grid (Trainer.run_halving)
        return LambdaHalving(terms, grid=config.bandit_grid, rung_epochs=config.bandit_rung_epochs,
                             lambda_label=config.lambda_label)
    init = {t: (config.lambda_label if t == DOC_LABEL else config.lambda_regularizer) for t in terms}
    mode = config.bandit_mode if config.bandit_mode != "halving" else "validation"
    return LambdaBandit(terms, init=init, lr=config.bandit_lr, sigma=config.bandit_sigma,
                        period=config.bandit_period, mode=mode, seed=config.seed,
                        fixed=None if tunes else terms)


@dataclasses.dataclass(frozen=True)
class HeadContext:
    """Everything :meth:`Trainer.build_head` may build a head from, passed in explicitly: the
    head is made inside ``Trainer.__init__``, before the optimizer, bandit bookkeeping, history
    and checkpoint state exist, so a subclass reading ``self.<trainer attribute>`` there would
    depend on the order of ``__init__``'s steps (and break silently when it changes).

    encoder: the Encoder being trained (``encoder.dim`` = D). dataset: the training XCDataset.
    pools:   {pool: TokenPool} ("doc", "label", "anchor:<set>" per regularizing set).
    device:  where the head's parameters must live (the training device).
    """

    encoder: Encoder
    dataset: object
    pools: Mapping[str, TokenPool]
    device: torch.device


class Trainer:
    """Holds one training run; :meth:`fit` runs it (see the module docstring for a step).

    dataset:  an XCDataset. config: a TrainConfig.
    run_dir:  folder for checkpoint.pt (every epoch), run.json and model/ (None: keep nothing
              on disk — the returned model is still complete). The trainer holds the folder's
              lock (``runinfo.lock_folder``) until :meth:`close` (or the end of a ``with``
              block): a second process training into it fails at once instead of both writing.
    resume:   continue from ``run_dir/checkpoint.pt`` (exactly where it stopped).
    progress: show tqdm bars (rank 0 only).
    encoder:  an Encoder to train instead of building the one the config names.
    """

    def __init__(self, dataset, config: TrainConfig, *, run_dir: str | Path | None = None,
                 resume: bool = False, progress: bool = True, encoder=None) -> None:
        # config: a TrainConfig is checked once, when it is made, and frozen (config.py)
        self.dataset, self.config = dataset, config
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.info = ddp.setup(config.device)
        self.progress = progress and self.info.is_main
        self.started = time.time()
        self.elapsed_before = 0.0  # wall time of earlier (resumed-from) sessions
        self._held = contextlib.ExitStack()  # the run folder's lock, released by close()
        self._dataset_fingerprint: dict | None = None
        # the order below is the order of the random numbers each piece draws: keep it
        seed_everything(config.seed)
        self._build_encoder(encoder)
        self._build_graphs()
        self._build_pools()
        self._build_sampler()
        self.terms = objective_terms(config, self.anchor_names)
        self._build_validation()
        self.bandit = build_bandit(config, self.terms)
        self._build_optimizer()

        # the fixed held-out slice scored after every epoch (monitoring only)
        rng = np.random.default_rng([config.seed, 7])
        self.eval_rows = np.sort(rng.permutation(dataset.n_test)[:config.eval_docs])

        self.epoch = 0
        self.history: list[dict] = []  # one row per epoch
        self.log: list[dict] = []  # one row per bandit period: losses, λ, reward
        self._period: dict = {}  # the bandit period being summed into the next row of self.log
        # per pool: (rows the last step's losses used, distinct rows the encoder ran), set by step()
        self.last_rows: dict[str, tuple[int, int]] = {}
        # the run folder is first touched here, under its lock (taken last, so that a failure
        # above never leaves it held); the stale files may otherwise be another live run's
        if self.run_dir is not None and self.info.is_main:
            self._held.enter_context(lock_folder(self.run_dir, what="run folder"))
            remove_stale_tmp(self.run_dir)  # half-written files of a run that crashed here
        if resume:
            try:
                self.resume_from(self._require_run_dir("resume") / CHECKPOINT_FILE)
            except BaseException:
                self.close()
                raise

    # ------------------------------------------------------------------------ construction
    def _build_encoder(self, encoder) -> None:
        """``self.encoder`` (given, or the config's), the frozen/trained layer split, and the
        module a step calls (``self.module``: DDP-wrapped when distributed)."""
        config = self.config
        self.encoder = encoder.to(self.info.device) if encoder is not None else build_encoder(config, self.info.device)
        self.encoder.train()
        # partial fine-tuning: the lower layers frozen, their states computed once per text (_build_pools)
        self.split = LayerSplit(self.encoder, config.train_layers) if config.train_layers is not None else None
        self.parts = self.module = PartsEncoder(self.encoder, self.split)
        if self.info.enabled:
            # pretrained checkpoints may carry a pooler that mean pooling never uses
            unused = any(".pooler." in f".{n}" for n, _ in self.encoder.named_parameters())
            self.module = DistributedDataParallel(
                self.parts, device_ids=[self.info.device.index] if self.info.device.type == "cuda" else None,
                find_unused_parameters=unused)

    def _build_graphs(self) -> None:
        """The anchor sets that regularize (none for the no-graph baseline) and their graphs:
        ``raw_graphs`` (what every pruning starts from, scrambled for the control) and ``graphs``
        (what the sampler samples from now)."""
        config, dataset = self.config, self.dataset
        names = list(dataset.anchors) if config.anchor_sets is None else list(config.anchor_sets)
        try:
            anchor_sets = {n: dataset.anchor_set(n) for n in names}
        except ValueError as err:  # the dataset's message lists the names it has
            raise ValueError(f"TrainConfig.anchor_sets: {err}") from None
        self.anchor_names = names if config.regularize else []
        self.raw_graphs = {n: (anchor_sets[n].doc_anchor, anchor_sets[n].label_anchor) for n in self.anchor_names}
        if config.scramble_graph:  # the control: shuffled edges, the same degrees (graphs.shuffle_edges);
            # the raw graphs are what every pruning starts from, so pruning prunes the scrambled ones
            self.raw_graphs = {n: tuple(shuffle_edges(g, scramble_seed(config.seed, n, side))
                                        for side, g in zip(ANCHOR_SIDES, graphs))
                               for n, graphs in self.raw_graphs.items()}
        self.graphs = dict(self.raw_graphs)

    def _build_pools(self) -> None:
        """The token pools a step encodes from ("doc", "label", "anchor:<set>") and, with partial
        fine-tuning, their frozen layers' output (``self.states``, computed once per run)."""
        config, dataset = self.config, self.dataset
        tok, length = self.encoder.tokenizer, config.max_length
        self.pools = {"doc": TokenPool(dataset.train_texts, tok, length),
                      "label": TokenPool(dataset.label_texts, tok, length)}
        for n in self.anchor_names:
            self.pools[anchor_pool(n)] = TokenPool(dataset.anchors[n].texts, tok, length)
        self.states: dict[str, HiddenCache] = {}  # pool -> the frozen layers' output (train_layers)
        if self.split is not None:
            t0 = time.time()
            for key, pool in self.pools.items():
                self.states[key] = HiddenCache(pool, self.split, batch_size=config.embed_batch_size,
                                               device=self.info.device)
            self.states_s = round(time.time() - t0, 3)  # once per run, in the run record

    def _build_sampler(self) -> None:
        """The validation slice (held out of training for every method alike,
        ``TrainConfig.val_fraction``) and the batch sampler over the other documents."""
        config = self.config
        self.val_rows, train_y = validation_split(self.dataset.train_y, config.val_fraction, config.seed)
        self.sampler = BatchSampler(train_y, self.graphs, config.batch_size,
                                    strategy=config.batching, seed=config.seed,
                                    cluster_refresh=config.cluster_refresh,
                                    cluster_doubling=config.cluster_doubling,
                                    rank=self.info.rank, world_size=self.info.world_size)

    def _build_validation(self) -> None:
        """What the validation reward scores the slice against: the candidate labels and, (V, C)
        bool, which of them are labels of each validation document (fixed for the run)."""
        config, train_y = self.config, self.dataset.train_y
        self._val_labels = validation_candidates(train_y, self.val_rows, config.bandit_val_labels, config.seed)
        self._val_positive = torch.from_numpy(
            train_y[self.val_rows][:, self._val_labels].toarray() > 0).to(self.info.device)

    def _build_optimizer(self) -> None:
        """The head a subclass trains with the encoder (:meth:`build_head`), AdamW over every
        trained parameter, the LR schedule and the mixed-precision pieces."""
        config = self.config
        # a subclass may add a trained module on top of the encoder (the two-stage GCN baseline's
        # aggregation, ramen_edu.baselines); RAMEN itself has none
        self.head = self.build_head(HeadContext(encoder=self.encoder, dataset=self.dataset,
                                                pools=self.pools, device=self.info.device))
        self.trained_parameters = [p for p in (*self.encoder.parameters(), *(self.head.parameters() if self.head is not None else ()))
                                   if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.trained_parameters, lr=config.lr, weight_decay=config.weight_decay)
        self.steps_per_epoch = len(self.sampler)
        self.scheduler = lr_scheduler(self.optimizer, self.steps_per_epoch * config.epochs, config.lr_warmup)
        # bf16 autocast where the GPU has it natively, fp16 + a gradient scaler where it does not
        # (Colab's T4), float32 with no autocast on the CPU (ramen_edu.precision)
        self.autocast = precision.autocast(self.info.device, config.bf16)
        self.scaler = precision.grad_scaler(self.info.device, config.bf16)

    def close(self) -> None:
        """Release the run folder's lock (idempotent; ``with Trainer(...) as t:`` calls it)."""
        self._held.close()

    def __enter__(self) -> "Trainer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------ checkpoints
    def dataset_fingerprint(self) -> dict:
        """:func:`dataset_fingerprint` of the training dataset (computed once)."""
        if self._dataset_fingerprint is None:
            self._dataset_fingerprint = dataset_fingerprint(self.dataset)
        return self._dataset_fingerprint

    def _require_run_dir(self, why: str) -> Path:
        if self.run_dir is None:
            raise ValueError(f"{why} needs a run_dir (the folder that holds checkpoint.pt)")
        return self.run_dir

    def _step_state(self) -> dict:
        """What an optimisation step changes: the encoder, the head, the optimizer, the LR
        schedule, the gradient scaler and every random generator (dropout masks). A part of
        :meth:`state_dict`; alone, what a bandit pair rolls back between its branches."""
        return {
            "encoder": self.encoder.state_dict(),
            **({"head": self.head.state_dict()} if self.head is not None else {}),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            **({"grad_scaler": self.scaler.state_dict()} if self.scaler is not None else {}),
            "rng": rng_state(),
        }

    def _load_step_state(self, state: dict) -> None:
        """Restore what :meth:`_step_state` holds (from it, or from a whole :meth:`state_dict`)."""
        self.encoder.load_state_dict(state["encoder"])
        if self.head is not None:
            self.head.load_state_dict(state["head"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None:
            self.scaler.load_state_dict(state["grad_scaler"])
        set_rng_state(state["rng"])

    def state_dict(self) -> dict:
        """Everything the next epoch depends on (see ``checkpoint.py``)."""
        return {
            "format": CHECKPOINT_FORMAT,
            "epoch": self.epoch,
            "config": self.config.to_dict(),
            "dataset": self.dataset_fingerprint(),
            **self._step_state(),
            "bandit": self.bandit.state_dict(),
            "sampler": self.sampler.state_dict(),
            "graphs": {n: list(g) for n, g in self.graphs.items()},
            "history": self.history,
            "log": self.log,
            "period": self._period,
            "elapsed_s": self.elapsed_before + time.time() - self.started,
        }

    def resume_from(self, path: Path) -> None:
        """Load the checkpoint at ``path`` (ValueError naming it when it is damaged or partial)."""
        state = load_checkpoint(path)
        # "dataset" is optional: checkpoints written before it was recorded cannot be checked
        missing = sorted(set(self.state_dict()) - set(state) - {"dataset"})
        if missing:
            raise ValueError(f"{path} lacks {', '.join(missing)}: it is not a complete checkpoint of "
                             f"this trainer; {RESTART_HINT}")
        self.load_state_dict(state)

    def save_checkpoint(self) -> Path:
        """Write ``run_dir/checkpoint.pt`` (atomically: a crash keeps the previous one)."""
        return save_checkpoint(self._require_run_dir("save_checkpoint") / CHECKPOINT_FILE, self.state_dict())

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; the config must match the saved one (else say which field)."""
        saved_data, data = state.get("dataset"), self.dataset_fingerprint()
        if saved_data is not None:
            changed = [k for k in ("train_documents", "labels", "label_fingerprint", "train_fingerprint")
                       if saved_data.get(k) != data[k]]
            if changed:
                raise ValueError(f"cannot resume: the checkpoint was trained on dataset {saved_data.get('name')!r} "
                                 f"and this is {data['name']!r}, with other {', '.join(changed)}; resume with "
                                 "the dataset the run started with, or start a new run_dir")
        saved = state["config"]
        now = self.config.to_dict()
        # a field the checkpoint lacks was added since it was written: the run trained with what
        # is now its default (every new field defaults to the old behaviour, e.g. loss="triplet")
        saved = {**TrainConfig().to_dict(), **saved}
        diff = sorted(k for k in set(saved) | set(now)
                      if saved.get(k) != now.get(k) and k not in RESUME_MAY_DIFFER)
        if diff:
            raise ValueError(f"cannot resume: the checkpoint was trained with a different config "
                             f"({', '.join(f'{k}: {saved.get(k)!r} → {now.get(k)!r}' for k in diff)}); "
                             "resume with the saved config or start a new run_dir")
        self._load_step_state(state)
        self.bandit.load_state_dict(state["bandit"])
        self.graphs = {n: tuple(g) for n, g in state["graphs"].items()}
        self.sampler.update_graphs(self.graphs)
        self.sampler.load_state_dict(state["sampler"])
        self.epoch = int(state["epoch"])
        self.history, self.log = list(state["history"]), list(state["log"])
        self._period = dict(state["period"])
        self.elapsed_before = float(state["elapsed_s"])

    # ------------------------------------------------------------------------ extension points
    # RAMEN uses none of them; a model that adds something on top of the encoder (the two-stage
    # GCN of ramen_edu.baselines) overrides them instead of copying the training loop
    def build_head(self, context: HeadContext) -> torch.nn.Module | None:
        """A torch module trained with the encoder (its parameters join the optimizer and the
        checkpoint), or None. Called once, inside ``__init__``: build it from ``context`` (and
        from the subclass's own settings, set before ``super().__init__``), never from other
        trainer attributes — most of them do not exist yet."""
        return None

    def enrich(self, doc_emb: torch.Tensor, doc_ids: np.ndarray) -> torch.Tensor:
        """The documents' embeddings as the document–label loss sees them: (B, D) → (B, D).
        doc_ids: their training rows (B,). RAMEN: unchanged."""
        return doc_emb

    def start_epoch(self) -> None:
        """Runs before each epoch's pruning (not again when a resume continues a saved epoch)."""

    def scoring_model(self):
        """The retriever the per-epoch held-out slice is scored with (no history attached)."""
        return RamenModel(self.encoder, self.dataset.label_texts, config=self.config)

    # ------------------------------------------------------------------------ embeddings
    def embed_pool(self, texts: list[str], desc: str, pool: str | None = None) -> np.ndarray:
        """Inference-mode embeddings of a whole text pool (N, D) float32, split over the ranks and
        gathered. ``pool``: the key of ``self.pools`` that holds these texts; with partial
        fine-tuning its stored frozen states are read instead of running the whole encoder."""
        part = ddp.block(len(texts), self.info)
        if pool in self.states:
            rows = np.arange(len(texts))[part]
            emb = self._embed_rows(pool, rows).cpu().numpy()
        else:
            emb = self.encoder.embed(texts[part], batch_size=self.config.embed_batch_size,
                                     progress=self.progress, desc=desc)
        return ddp.gather_array(emb, self.info)

    # ------------------------------------------------------------------------ pruning
    def prune(self) -> tuple[dict, np.ndarray]:
        """Prune every anchor graph from its UNPRUNED version with the current encoder (App. B).

        Keeps an edge when cos(node, anchor) > threshold. Returns (per-set statistics {set:
        {"doc_edges", "doc_cut", "label_edges", "label_cut"}}, the training documents'
        embeddings (N_train, D) float32 it used — the sampler may re-cluster on the same ones).
        """
        ds, thr = self.dataset, self.config.prune_threshold
        doc_emb = self.embed_pool(ds.train_texts, "prune: documents", "doc")
        label_emb = self.embed_pool(ds.label_texts, "prune: labels", "label")
        stats = {}
        for n in self.anchor_names:
            anchor_emb = self.embed_pool(ds.anchors[n].texts, f"prune: {n}", anchor_pool(n))
            raw_doc, raw_label = self.raw_graphs[n]
            kept_doc, rec_doc = prune_edges(raw_doc, doc_emb, anchor_emb, threshold=thr)
            kept_label, rec_label = prune_edges(raw_label, label_emb, anchor_emb, threshold=thr)
            self.graphs[n] = (kept_doc, kept_label)
            stats[n] = {"doc_edges": rec_doc.n_edges, "doc_cut": rec_doc.n_cut,
                        "label_edges": rec_label.n_edges, "label_cut": rec_label.n_cut}
        self.sampler.update_graphs(self.graphs)
        return stats, doc_emb

    # ------------------------------------------------------------------------ one step
    def step(self, batch, lambdas: dict[str, float] | None = None) -> dict:
        """One optimisation step on this rank's shard of a global batch, with ``lambdas`` (default:
        the bandit's current λ): encode, the losses, backward and update. Returns floats for the
        logs ("objective", "batch_P@1", "grad_norm", "encoded", one per loss term, one "λ[term]"
        per λ) and sets ``last_rows``."""
        lambdas = self.bandit.values() if lambdas is None else lambdas
        encoded = self._encode(batch, lambdas)
        self.last_rows = encoded.rows
        # what the documents are scored with against labels: the encoder's embedding (RAMEN), or
        # a subclass's enriched one; the anchor regularizers always see the encoder's own
        query_emb = self.enrich(encoded.doc, batch.doc_ids)
        scores = _LabelScores(query_emb, ddp.gather_rows(encoded.label, self.info),
                              torch.from_numpy(batch.label_positive_mask).to(query_emb.device))
        losses = self._losses(batch, encoded, scores, lambdas)
        objective = ramen_objective(losses, lambdas)
        grad_norm = self._optimise(objective)
        return self._step_log(batch, encoded, scores, objective, losses, grad_norm, lambdas)

    def _encode(self, batch, lambdas: Mapping[str, float]) -> _EncodedBatch:
        """The step's one encoder pass. One part per pool: documents, labels, and per anchor set
        its document-side and label-side anchors together; each part holds each distinct row once
        (``unique_rows``), sorted by length and encoded in buckets that pad only to their own
        longest (``length_sorted``), and the rows every term reads are indexed back out of it. A
        side without a λ (switched off) has no loss term: nothing of it is encoded."""
        pools, groups = ["doc", "label"], [[torch.from_numpy(batch.doc_ids)], [torch.from_numpy(batch.label_ids)]]
        anchor_terms = []  # (term, (B,) valid rows) in the order of the groups after the first two
        for n in self.anchor_names:
            pools.append(anchor_pool(n))
            groups.append([])
            for side in ANCHOR_SIDES:
                ids, valid = getattr(batch, f"{side}_ids")[n], getattr(batch, f"{side}_valid")[n]
                term = str(Term(side, n))
                groups[-1].append(torch.from_numpy(ids[valid] if term in lambdas else ids[:0]))
                anchor_terms.append((term, torch.from_numpy(valid)))
        plans = [unique_rows(g) for g in groups]  # per part: (distinct rows, per group its index)
        plans = [length_sorted(unique, inverses, self.pools[pool].lengths, BUCKET_ROWS)
                 for pool, (unique, inverses) in zip(pools, plans)]
        parts_in = [self._part_input(pool, rows) for pool, (_, _, buckets) in zip(pools, plans) for rows in buckets]
        with self.autocast:
            emb = self.module(parts_in)
        emb = emb.float()
        per_part = torch.split(emb, [len(unique) for unique, _, _ in plans])
        parts = [part[inverse.to(part.device)] for part, (_, inverses, _) in zip(per_part, plans)
                 for inverse in inverses]
        return _EncodedBatch(
            doc=parts[0], label=parts[1],
            anchors={term: (anchors, valid) for (term, valid), anchors in zip(anchor_terms, parts[2:])
                     if term in lambdas},
            encoded=sum(len(p) for p in parts),
            # rows the losses use vs rows the encoder ran, per pool (benchmarks/bench_training.py)
            rows={pool: (sum(len(g) for g in grp), len(unique))
                  for pool, grp, (unique, _, _) in zip(pools, groups, plans)})

    def _losses(self, batch, encoded: _EncodedBatch, scores: _LabelScores,
                lambdas: Mapping[str, float]) -> dict[str, torch.Tensor]:
        """{term: scalar loss}: L(θ), documents against every label of the global batch, then
        per anchor term R_x^t or R_z^t against the global batch's anchors of that side. Each is
        summed over this rank's rows and divided by the global batch's valid rows
        (``Batch.row_normaliser``), so DDP's gradient mean equals one process's."""
        cfg, info = self.config, self.info
        world, device = info.world_size, scores.queries.device
        positive = torch.from_numpy(batch.positive_columns()).to(device)
        form = dict(form=cfg.loss, margin=cfg.margin, scale=cfg.scale, hard_k=cfg.hard_k)
        losses = {DOC_LABEL: in_batch_loss(
            scores.queries, scores.labels, positive, scores.positive_mask, **form, reduction="sum",
        ) * world / batch.row_normaliser(DOC_LABEL)}
        for name, (anchors, valid) in encoded.anchors.items():
            term = Term.parse(name)
            # empty slots (no anchor) become zero vectors; the sampler's mask keeps them out of negatives
            slots = anchors.new_zeros((len(valid), anchors.shape[1]))
            slots[valid.to(device)] = anchors
            candidates = ddp.gather_rows(slots, info)
            queries = encoded.doc if term.side == "doc_anchor" else encoded.label
            mask = getattr(batch, f"{term.side}_mask")[term.anchor_set]
            losses[name] = in_batch_loss(
                queries, candidates, positive, torch.from_numpy(mask).to(device), **form,
                reduction="sum", row_valid=valid.to(device),
            ) * world / batch.row_normaliser(term)
        return losses

    def _optimise(self, objective: torch.Tensor) -> torch.Tensor:
        """Backward, gradient clipping, the optimizer and LR schedule steps; returns the gradient
        norm before clipping."""
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is None:
            objective.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(self.trained_parameters, self.config.grad_clip)
            self.optimizer.step()
        else:  # fp16: scale the loss so small gradients survive, unscale before clipping
            self.scaler.scale(objective).backward()
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.trained_parameters, self.config.grad_clip)
            self.scaler.step(self.optimizer)  # skipped when a gradient is inf/nan (scale too high)
            self.scaler.update()
        self.scheduler.step()
        return grad_norm

    def _step_log(self, batch, encoded: _EncodedBatch, scores: _LabelScores, objective: torch.Tensor,
                  losses: dict[str, torch.Tensor], grad_norm: torch.Tensor, lambdas: Mapping[str, float]) -> dict:
        """The step's log row, averaged over the ranks, and the bandit's per-step hook."""
        info, world = self.info, self.info.world_size
        with torch.no_grad():
            # in-batch P@1 of the document–label scores (is the top label a positive?)
            top = (scores.queries @ scores.labels.T).argmax(dim=1)
            hits = scores.positive_mask.gather(1, top[:, None]).float().sum()
            values = torch.stack([objective.detach(), hits, *(v.detach() for v in losses.values())])
            if info.enabled:
                torch.distributed.all_reduce(values)
                values[0] /= world  # every rank's objective is an unbiased share; hits are summed
                values[2:] /= world
        objective_v, hits_v, *term_v = values.tolist()
        batch_p1 = hits_v / len(batch.global_batch())  # logged only: it trends up, it tunes nothing
        self.bandit.observe(objective_v)
        return {"objective": objective_v, "batch_P@1": batch_p1, "grad_norm": float(grad_norm),
                "encoded": int(encoded.encoded) * world, **dict(zip(losses, term_v)),
                **{f"λ[{t}]": float(v) for t, v in lambdas.items()}}

    def _part_input(self, pool: str, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What :class:`PartsEncoder` takes for some rows of a pool: (ids, mask), or with partial
        fine-tuning (frozen states, mask)."""
        if self.split is not None:
            return self.states[pool].gather(rows, self.info.device)
        return gather_tokens(self.pools[pool], rows, self.info.device)

    # ------------------------------------------------------------------------ the bandit's reward
    def _embed_rows(self, pool: str, rows: np.ndarray) -> torch.Tensor:
        """Inference embeddings (R, D) of rows of ``self.pools[pool]``, eval mode, no gradients,
        in length-sorted chunks of ``embed_batch_size`` (each pads to its own longest text)."""
        rows = torch.as_tensor(rows, dtype=torch.int64)
        out = torch.empty((len(rows), self.encoder.dim), device=self.info.device)
        order = torch.argsort(self.pools[pool].lengths[rows], stable=True)
        size = self.config.embed_batch_size
        was_training = self.encoder.training
        self.encoder.eval()
        with torch.no_grad():
            for start in range(0, len(rows), size):
                chunk = order[start:start + size]
                with self.autocast:
                    out[chunk.to(out.device)] = self.parts(
                        [self._part_input(pool, rows[chunk])]).float()
        self.encoder.train(was_training)
        return out

    def validation_reward(self) -> float:
        """The validation bandit's reward: the mean top-1 margin of the validation slice.

        For each held-out training document d (``val_rows``), against the candidate labels
        (the slice's own labels plus random ones, ``bandit_val_labels`` in all):
        margin(d) = max_{l ∈ pos(d)} cos(d, l) − max_{l ∉ pos(d)} cos(d, l), averaged. P@1 on the
        slice is the share of positive margins; the margin is its continuous version (P@1 moves
        in steps of 1/|slice|, too coarse to compare two 10-step periods). Computed in eval mode
        (no dropout), so it is a deterministic function of the encoder; on rank 0, broadcast.
        """
        value = None
        if self.info.is_main:
            docs = self._embed_rows("doc", self.val_rows)
            labels = self._embed_rows("label", self._val_labels)
            scores = docs @ labels.T
            positive = self._val_positive
            best_pos = scores.masked_fill(~positive, -math.inf).max(dim=1).values
            best_neg = scores.masked_fill(positive, -math.inf).max(dim=1).values
            value = float((best_pos - best_neg).mean())
        return float(ddp.broadcast_object(value, self.info))

    def validation_precision(self) -> tuple[float, float]:
        """Successive halving's reward: (P@1 of the validation slice against every label, the
        mean top-1 margin of :meth:`validation_reward` to break ties). P@1 is what the run is
        judged by; at 356 documents it moves in steps of 0.28 points, fine enough to rank whole
        epochs of training (a 10-step branch needs the margin). Rank 0 computes, all get it."""
        value = None
        if self.info.is_main:
            docs = self._embed_rows("doc", self.val_rows)
            labels = self._embed_rows("label", np.arange(self.dataset.n_labels))
            top = (docs @ labels.T).argmax(dim=1).cpu().numpy()
            hits = np.asarray(self.dataset.train_y[self.val_rows[:, None], top[:, None]].todense()).ravel() > 0
            value = float(hits.mean()) if len(hits) else 0.0
        return float(ddp.broadcast_object(value, self.info)), self.validation_reward()

    # ------------------------------------------------------------------------ epochs
    def evaluate_slice(self) -> dict:
        """Metrics of the current encoder on the fixed held-out slice (rank 0; others get a copy)."""
        metrics = {}
        if self.info.is_main and len(self.eval_rows):
            model = self.scoring_model()
            metrics = model.evaluate(self.dataset, docs=self.eval_rows, k=self.config.eval_k)
            metrics = {k: float(metrics[k]) for k in EPOCH_METRICS if k in metrics}
        return ddp.broadcast_object(metrics, self.info)

    def continues_saved_epoch(self) -> bool:
        """True when the next epoch is one a checkpoint stopped in the middle of: its start
        (pruning, clustering) already happened before the save, and its graphs are in the
        checkpoint. A checkpoint written at an epoch's end holds the sampler at the end of the
        *previous* epoch, so the next epoch starts in full, exactly as without the interruption."""
        return self.sampler.resuming and self.sampler.epoch == self.epoch

    def run_epoch(self) -> dict:
        """Train one epoch (prune / re-cluster first if due); returns its history row."""
        epoch, t0 = self.epoch, time.time()
        plan = epoch_plan(self.config, epoch)
        row: dict = {"epoch": epoch}
        doc_emb = None  # the training documents' embeddings, when pruning computed them
        if not self.continues_saved_epoch():
            self.start_epoch()
        if plan.prune and self.anchor_names and not self.continues_saved_epoch():
            row["prune"], doc_emb = self.prune()
        if self.sampler.needs_embeddings(epoch):
            if doc_emb is None:
                doc_emb = self.embed_pool(self.dataset.train_texts, "cluster: documents", "doc")
            self.sampler.set_epoch(epoch, doc_emb)
        else:
            self.sampler.set_epoch(epoch, None)

        sums: dict[str, float] = {}
        steps, encoded, probe_steps = 0, 0, 0
        bar = tqdm(self.sampler, total=self.steps_per_epoch - self.sampler.position,
                   desc=f"epoch {epoch + 1}/{self.config.epochs}", disable=not self.progress, leave=False)
        pairs = isinstance(self.bandit, ValidationBandit) and bool(self.bandit.tuned)
        pending: list = []  # batches waiting for a full bandit pair

        def record(out: dict) -> None:
            nonlocal steps, encoded
            steps += 1
            encoded += out.pop("encoded")
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + v
                self._period[k] = self._period.get(k, 0.0) + v
            self._period["steps"] = self._period.get("steps", 0) + 1
            if self._period["steps"] == self.config.bandit_period:
                self._flush_period()
            if self.progress:
                lam = "/".join(f"{out[f'λ[{t}]']:.2f}" for t in self.terms)
                bar.set_postfix_str(f"loss {out['objective']:.4f} λ {lam}", refresh=False)

        for batch in bar:
            if not pairs:
                record(self.step(batch))
                continue
            pending.append(batch)
            if len(pending) == self.config.bandit_period:
                discarded, kept = self.bandit_pair(pending)
                encoded += discarded
                probe_steps += len(pending)
                for out in kept:
                    record(out)
                pending = []
        for batch in pending:  # the epoch's last, incomplete period: the unperturbed λ
            record(self.step(batch))
        bar.close()
        train_s = time.time() - t0
        row.update({k: v / max(steps, 1) for k, v in sums.items()})
        row.update({"steps": steps, "probe_steps": probe_steps, "train_s": round(train_s, 3),
                    "encodings_per_s": round(encoded / train_s, 1) if train_s > 0 else None,
                    "lr": self.scheduler.get_last_lr()[0]})
        row["metrics"] = self.evaluate_slice()
        row["epoch_s"] = round(time.time() - t0, 3)
        self.epoch += 1
        self.history.append(row)
        return row

    def bandit_pair(self, batches: list) -> tuple[int, list[dict]]:
        """One validation-bandit pair (bandits.py): train ``batches`` with λ̃₁ from a snapshot,
        read the validation reward, restore the snapshot (encoder, optimizer, LR schedule and
        every random generator, so both branches see the same batches *and* dropout masks), train
        them again with λ̃₂, read the reward, report both. Training continues from branch 2.
        Returns (texts encoded by the discarded branch 1, branch 2's step logs)."""
        first, second = self.bandit.pair()
        snapshot = self._snapshot(steps_only=True)
        outs = [self.step(b, first) for b in batches]
        reward_first = self.validation_reward()
        discarded = sum(o["encoded"] for o in outs)
        self._restore(snapshot)
        outs = [self.step(b, second) for b in batches]
        reward_second = self.validation_reward()
        self.bandit.report(reward_first, reward_second)
        for out in outs:
            out["val_margin"] = reward_second
        return discarded, outs

    def _snapshot(self, *, steps_only: bool = False) -> dict:
        """A deep copy of the state to come back to with :meth:`_restore`: the whole
        :meth:`state_dict` (where a halving arm starts or stops), or with ``steps_only`` its
        :meth:`_step_state` (a bandit pair's start: its branches train on batches already drawn,
        so the sampler, graphs and logs are not theirs to roll back)."""
        return copy.deepcopy(self._step_state() if steps_only else self.state_dict())

    def _restore(self, state: dict) -> None:
        """Load a :meth:`_snapshot`. A whole one keeps what must not go back in time: the
        tournament's own record (the bandit) and the wall clock (arms that were tried still
        cost their time)."""
        # the optimizer adopts the tensors it loads (Adam's moments, its step count) and updates
        # them in place: from a copy, the snapshot stays as taken, to be restored again
        state = {**state, "optimizer": copy.deepcopy(state["optimizer"])}
        if "format" not in state:  # a steps_only snapshot (state_dict always names its format)
            self._load_step_state(state)
            return
        elapsed = self.elapsed_before + time.time() - self.started
        self.load_state_dict({**state, "bandit": self.bandit.state_dict(), "elapsed_s": elapsed})
        self.started = time.time()

    def run_halving(self) -> None:
        """Successive halving over the λ grid (``bandits.LambdaHalving``), from the current state:
        every arm trains the first rung's epochs from the same snapshot (same batches, same random
        numbers), the better half by validation P@1 continues from its own state for twice as
        long, and so on; training goes on from the last arm left. Runs before the first
        checkpoint, so an interrupted tournament is replayed whole, with the same result."""
        halving = self.bandit
        start = self._snapshot()
        survivors = {value: start for value in halving.grid}
        for rung, epochs in enumerate(halving.rungs(self.config.epochs - self.epoch)):
            rewards, ends = {}, {}
            for value, state in survivors.items():
                self._restore(state)
                halving.arm(value)
                for _ in range(epochs):
                    row = self.run_epoch()
                    row["halving_arm"] = value
                    if self.progress:
                        print(f"halving rung {rung + 1}, λ {value:g}: epoch {row['epoch'] + 1} "
                              f"({row['epoch_s']:.1f} s)")
                rewards[value] = self.validation_precision()
                ends[value] = self._snapshot()
            kept = halving.keep(rung, rewards, epochs)
            if self.progress:
                print(f"halving rung {rung + 1}: validation P@1 "
                      + ", ".join(f"λ {v:g} {100 * r[0]:.2f}" for v, r in rewards.items())
                      + f"; kept {', '.join(f'{v:g}' for v in kept)}")
            survivors = {value: ends[value] for value in kept}
        winner = next(iter(survivors))
        self._restore(survivors[winner])
        halving.finish(winner)

    def _flush_period(self) -> None:
        n = self._period.pop("steps")
        self.log.append({"step": len(self.log) * self.config.bandit_period + n,
                         **{k: v / n for k, v in self._period.items()}})
        self._period = {}

    def _checkpoint(self) -> None:
        """Save the checkpoint and the run record (rank 0, with a run_dir), then wait for every rank."""
        if self.run_dir is not None and self.info.is_main:
            self.save_checkpoint()
            self.write_record()
        ddp.barrier(self.info)

    def fit(self, stop_after: int | None = None) -> RamenModel:
        """Train until ``config.epochs`` (or until ``stop_after`` epochs are done, to simulate an
        interruption), checkpointing after every epoch. Returns the trained RamenModel."""
        cfg = self.config
        if self.progress and self.epoch == 0:
            who = "RAMEN" if cfg.regularize else "no-graph baseline"
            print(f"{who} training on {self.info.device} ×{self.info.world_size}: {describe(cfg)}")
        last = cfg.epochs if stop_after is None else min(cfg.epochs, int(stop_after))
        if isinstance(self.bandit, LambdaHalving) and not self.bandit.done and self.epoch < last:
            self.run_halving()
            self._checkpoint()
        while self.epoch < last:
            row = self.run_epoch()
            if self.progress:
                m = row["metrics"]
                shown = " ".join(f"{k} {100 * m[k]:.2f}" for k in ("P@1", "P@5", "PSP@1") if k in m)
                print(f"epoch {row['epoch'] + 1}/{cfg.epochs}: loss {row['objective']:.4f} · "
                      + (f"{shown} · " if shown else "")
                      + f"{row['encodings_per_s']:.0f} enc/s · {row['epoch_s']:.1f} s")
            self._checkpoint()
        model = self.model()
        if self.run_dir is not None and self.info.is_main and self.epoch >= cfg.epochs:
            model.save(self.run_dir / MODEL_DIR)
            self.write_record()
        return model

    # ------------------------------------------------------------------------ outputs
    def model(self) -> RamenModel:
        """The trained model: encoder + label texts (no graphs), with the run's history."""
        model = RamenModel(self.encoder, self.dataset.label_texts, config=self.config,
                           history=self.history)
        model.log = self.log
        model.record = self.record()
        return model

    def record(self) -> dict:
        """The JSON run record: config, environment, dataset, schedule, wall time, per-epoch rows.

        "profile" is the config's (the sizes trained at; None for sizes set by hand), not the
        profile active in the process that happens to write the record."""
        env = {**environment(), "profile": self.config.profile}
        env["device"] = f"{env['device']} · trained on {self.info.device} ×{self.info.world_size}"
        return {
            "kind": "ramen-edu training run",
            "method": "RAMEN" if self.config.regularize else "no-graph baseline",
            **env,
            "dataset": self.dataset.summary(),
            "config": self.config.to_dict(),
            "schedule": describe(self.config),
            "epochs_done": self.epoch,
            "wall_time_s": round(self.elapsed_before + time.time() - self.started, 1),
            "final_lambda": self.bandit.lambdas,
            "bandit_history": self.bandit.history,
            "validation_docs": len(self.val_rows),
            **({"frozen_states_s": self.states_s} if self.states else {}),
            "history": self.history,
            "lambda_log": self.log,
        }

    def write_record(self, path: str | Path | None = None, *, extra: dict | None = None) -> Path:
        """Write :meth:`record` plus ``extra`` facts (e.g. test metrics) as JSON, atomically:
        ``run_dir/run.json`` by default. The one writer of run records, so every one is whole."""
        path = Path(path) if path is not None else self._require_run_dir("write_record") / RUN_RECORD_FILE
        record = {**self.record(), **(extra or {})}
        return atomic_write_text(path, json.dumps(record, indent=1, default=json_default))


def train(dataset=None, config: TrainConfig | None = None, *, profile=None, run_dir=None,
          resume: bool = False, stop_after: int | None = None, progress: bool = True, encoder=None,
          **overrides) -> RamenModel:
    """Train RAMEN (or, with ``regularize=False``, the no-graph baseline) and return the model.

    dataset:   an XCDataset, a catalog name ("synthetic-default", "wiki-seealso") or a path;
               None = "synthetic-default".
    config:    a TrainConfig; None = ``TrainConfig.for_profile(profile, **overrides)``.
    profile:   "smoke" | "cpu" | "gpu" (None = the active profile); only used without config.
    overrides: TrainConfig fields, e.g. ``epochs=5, regularize=False`` (applied to config too).
    run_dir:   folder for checkpoints (every epoch), run.json and the saved model; None = none.
    resume:    continue exactly from ``run_dir/checkpoint.pt``.
    stop_after: stop after this many epochs in total (a deliberate interruption; resume later).

    Returns a RamenModel with ``.predict(texts)``, ``.evaluate(dataset)``, ``.save(dir)``,
    ``.history`` (per-epoch rows) and ``.record`` (the run record).
    Taught in: book/04_training.ipynb
    """
    if dataset is None or isinstance(dataset, (str, Path)):
        dataset = load_dataset("synthetic-default" if dataset is None else dataset)
    if config is None:
        config = TrainConfig.for_profile(profile, **overrides)
    elif overrides:
        config = dataclasses.replace(config, **overrides)
    with Trainer(dataset, config, run_dir=run_dir, resume=resume, progress=progress, encoder=encoder) as trainer:
        return trainer.fit(stop_after=stop_after)
