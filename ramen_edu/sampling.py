"""Mini-batches for RAMEN: documents, one sampled positive label and anchors, false-negative masks.

RAMEN §3 ("Negative Mining"): pick a set of documents; for each, a random relevant label and a
random related anchor from each anchor set; for each chosen label, a random related anchor.
Negatives of a row come only from what the batch holds, and an in-batch item that is *also* a
positive of the row (a false negative) must not count as a negative — the reference code masks
those, the paper does not say. Batches are built from clusters of similar documents (NGAME;
RAMEN Table 16 caption): clusters are refreshed every 5 epochs and their size doubles every 25
epochs, so negatives get harder as training goes on.

Everything here is numpy/scipy on the data side: a :class:`Batch` holds ids and boolean masks,
the trainer embeds the texts and calls :mod:`ramen_edu.losses`. Sampling is vectorised over the
batch (random offsets into ``indptr``), masks come from one sparse slice ``Y[docs][:, labels]``.

Randomness is a pure function of (seed, epoch, batch index): two processes with the same seed
build the same global batches (what DDP needs), and a resumed run continues exactly.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ramen_edu.terms import ANCHOR_SIDES, DOC_LABEL, Term

__all__ = ["Batch", "BatchSampler", "balanced_clusters", "rows_contain", "sample_one_per_row"]


# --------------------------------------------------------------------------- vectorised helpers
def sample_one_per_row(matrix: sp.csr_matrix, rows: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """One uniformly random stored column per requested row of a csr matrix.

    matrix: csr (R × M), e.g. Y (documents × labels) or E_XA (documents × anchors).
    rows:   (B,) int row ids (repeats allowed).
    Returns (B,) int64 column ids; −1 for rows with no stored entry. No Python loop: a random
    offset in [0, row length) is added to each row's ``indptr`` start.
    """
    rows = np.asarray(rows, dtype=np.int64)
    start = matrix.indptr[rows].astype(np.int64)
    count = matrix.indptr[rows + 1].astype(np.int64) - start
    offset = np.floor(rng.random(len(rows)) * count).astype(np.int64)
    out = np.full(len(rows), -1, dtype=np.int64)
    has = count > 0
    out[has] = matrix.indices[start[has] + offset[has]]
    return out


def rows_contain(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Membership table: out[i, j] = True iff ``matrix[rows[i], cols[j]]`` is a stored non-zero.

    matrix: csr (R × M); rows: (B,) int; cols: (C,) int, −1 = "no item" (its column is False).
    Returns a (B, C) bool array, computed as one sparse slice (cost ∝ nnz of the rows + B·C).
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    valid = cols >= 0
    if not valid.any():  # also covers a matrix with no columns (e.g. everything pruned away)
        return np.zeros((len(rows), len(cols)), dtype=bool)
    sub = matrix[rows][:, np.where(valid, cols, 0)]
    out = sub.toarray() != 0
    out &= valid[None, :]
    return out


def balanced_clusters(embeddings: np.ndarray, cluster_size: int, *, seed: int = 0,
                      niter: int = 10, nredo: int = 3) -> np.ndarray:
    """Split points into clusters of exactly ``cluster_size`` similar points (the last may be smaller).

    embeddings:   (N, D) float, L2-normalised (cosine geometry; spherical k-means).
    cluster_size: C ≥ 1.
    niter, nredo: faiss k-means iterations, and restarts (the best of ``nredo`` runs is kept:
                  k-means from random centroids often leaves two centroids in one true cluster).
    Returns (N,) int64 cluster ids in [0, ⌈N/C⌉).

    How (NGAME needs balanced clusters so that a batch is a few whole clusters): faiss k-means
    first splits the points into ⌈√(N/C)⌉ coarse groups, then each group into about
    |group|/C fine clusters (one faiss k-means per group — a loop over groups, never over
    points; total cost ∝ N·(√(N/C) + √(N/C))·D per iteration instead of N·(N/C)·D for a single
    k-means with N/C centroids). Then "balance by sorting": every fine cluster contributes
    ⌊size/C⌋ chunks of C of its points most similar to its centroid; the leftovers of all fine
    clusters, sorted by (coarse group, fine cluster), are cut into chunks of C, so a leftover
    chunk mixes neighbouring clusters of one coarse group. This replaces NGAME's recursive
    balanced 2-means with the same outcome (exactly balanced, locally similar) on top of faiss.
    """
    from ramen_edu.retrieval import BACKEND

    search = BACKEND.lib  # faiss, or its torch stand-in where no faiss is installed

    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"embeddings must be (N, D), got shape {x.shape}")
    if cluster_size < 1:
        raise ValueError(f"cluster_size={cluster_size} must be ≥ 1")
    n, d = x.shape
    n_clusters = math.ceil(n / cluster_size) if n else 0
    if n_clusters <= 1 or cluster_size == 1:
        return (np.arange(n) // cluster_size).astype(np.int64)

    def kmeans(points: np.ndarray, k: int, salt: int) -> tuple[np.ndarray, np.ndarray]:
        if k <= 1 or len(points) <= k:
            # nothing to split (or one point per centroid): keep the given order
            return (np.zeros(len(points), np.int64) if k <= 1 else np.arange(len(points))), \
                np.ones(len(points), np.float32)
        km = search.Kmeans(d, k, niter=niter, seed=seed * 1_000_003 + salt, spherical=True,
                          verbose=False, nredo=nredo, min_points_per_centroid=1,
                          max_points_per_centroid=256, gpu=search.get_num_gpus() > 0)
        km.train(points)
        sim, assign = km.index.search(points, 1)
        return assign[:, 0].astype(np.int64), sim[:, 0]

    n_coarse = max(1, math.ceil(math.sqrt(n_clusters)))
    coarse, _ = kmeans(x, n_coarse, salt=0)
    # The per-group k-means are small (≈ √(N·C) points): OpenMP start-up and spinning costs more
    # than it saves there (7× slower on a busy 2-core machine), so they run single-threaded.
    threads = search.omp_get_max_threads()
    search.omp_set_num_threads(1)
    try:
        fine, sim, next_id = _fine_clusters(x, coarse, n_coarse, cluster_size, kmeans)
    finally:
        search.omp_set_num_threads(threads)

    # Balance by sorting. Each fine cluster gives ⌊size/C⌋ chunks of its most central points;
    # the rest (its outskirts) are pooled, sorted by (coarse group, fine cluster) so leftovers
    # of neighbouring clusters share a chunk. Cutting whole chunks first stops one badly sized
    # k-means cluster from shifting every later chunk boundary.
    by_fine = np.lexsort((-sim, fine))
    sizes = np.bincount(fine, minlength=next_id)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(n, np.int64)
    rank[by_fine] = np.arange(n) - starts[fine[by_fine]]
    whole = rank < (sizes // cluster_size * cluster_size)[fine]
    order = np.lexsort((rank, fine, coarse, ~whole))  # whole chunks first, then the leftovers
    ids = np.empty(n, np.int64)
    ids[order] = np.arange(n) // cluster_size
    return ids


def _fine_clusters(x, coarse, n_coarse, cluster_size, kmeans):
    """Split each coarse group by k-means into ≈ |group|/C clusters; ids unique across groups."""
    n = len(x)
    fine = np.zeros(n, np.int64)
    sim = np.zeros(n, np.float32)
    groups = np.argsort(coarse, kind="stable")
    bounds = np.searchsorted(coarse[groups], np.arange(n_coarse + 1))
    next_id = 0
    for g in range(n_coarse):  # loop over ~√(N/C) groups, each one faiss call
        members = groups[bounds[g]:bounds[g + 1]]
        if len(members) == 0:
            continue
        k = max(1, round(len(members) / cluster_size))
        local, sim[members] = kmeans(x[members], k, salt=g + 1)
        fine[members] = next_id + local
        next_id += k
    return fine, sim, next_id


# --------------------------------------------------------------------------- the batch
@dataclass
class Batch:
    """One mini-batch (or one rank's shard of it). All arrays are numpy.

    doc_ids:             (B,) int64 training-document ids (rows of train_y).
    label_ids:           (B,) int64 — one sampled positive label per document; candidate j of
                         the document–label loss is label_ids[j] of the *global* batch.
    label_positive_mask: (B, B_global) bool — doc i also has label_ids[j] as a positive (false
                         negative; the diagonal is True).
    doc_anchor_ids[t]:   (B,) int64 — one sampled anchor of anchor set t per document, −1 if the
                         document has none.
    doc_anchor_valid[t]: (B,) bool — doc_anchor_ids[t] ≥ 0; invalid rows are left out of R_x^t.
    doc_anchor_mask[t]:  (B, B_global) bool — doc i is linked to anchor j, or slot j is empty
                         (an empty slot is never a negative; embed anything there, e.g. zeros).
    label_anchor_ids/valid/mask[t]: the same for the sampled labels (rows) and one anchor per
                         sampled label (R_z^t).
    epoch, index:        where the batch comes from (index = batch number within the epoch).
    offset:              row offset of this shard inside the global batch (0 if unsharded):
                         row i's own positive is candidate column ``offset + i``.
    parent:              the global batch this shard was cut from (None for a global batch).
    """

    doc_ids: np.ndarray
    label_ids: np.ndarray
    label_positive_mask: np.ndarray
    doc_anchor_ids: dict[str, np.ndarray] = field(default_factory=dict)
    doc_anchor_valid: dict[str, np.ndarray] = field(default_factory=dict)
    doc_anchor_mask: dict[str, np.ndarray] = field(default_factory=dict)
    label_anchor_ids: dict[str, np.ndarray] = field(default_factory=dict)
    label_anchor_valid: dict[str, np.ndarray] = field(default_factory=dict)
    label_anchor_mask: dict[str, np.ndarray] = field(default_factory=dict)
    epoch: int = 0
    index: int = 0
    offset: int = 0
    parent: Batch | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.doc_ids)

    @property
    def anchor_sets(self) -> list[str]:
        """Names of the anchor sets this batch carries."""
        return list(self.doc_anchor_ids)

    def terms(self) -> list[str]:
        """Objective terms this batch feeds: "doc_label", "doc_anchor:<t>", "label_anchor:<t>"."""
        return [DOC_LABEL, *(str(Term(side, t)) for t in self.anchor_sets for side in ANCHOR_SIDES)]

    def positive_columns(self) -> np.ndarray:
        """(B,) int64: the candidate column of each row's own positive (``offset + i``)."""
        return self.offset + np.arange(len(self), dtype=np.int64)

    def global_batch(self) -> Batch:
        """The unsharded batch (self if not a shard)."""
        return self if self.parent is None else self.parent

    def row_normaliser(self, term: str | Term) -> int:
        """Number of valid rows of ``term`` in the GLOBAL batch (≥ 1).

        For exact DDP: each rank computes its loss with ``reduction="sum"`` over its rows and
        uses ``sum_local * world_size / row_normaliser(term)``; DDP averages gradients over the
        ranks, so the update equals that of one process taking the mean over the global batch
        (even when ranks hold different numbers of valid rows).
        """
        g = self.global_batch()
        parsed = Term.parse(term)
        if not parsed.is_regularizer:
            n = len(g)
        else:
            valid = getattr(g, f"{parsed.side}_valid").get(parsed.anchor_set)
            if valid is None:
                raise KeyError(f"term {term!r} not in this batch; it has {self.terms()}")
            n = int(valid.sum())
        return max(1, n)

    def shard(self, rank: int, world_size: int) -> Batch:
        """This rank's rows of the global batch (for DistributedDataParallel).

        Rows are split into ``world_size`` contiguous slices (sizes differ by at most one). The
        shard keeps every mask column, so candidates are still the whole global batch: each rank
        embeds its own slice of labels/anchors and all-gathers them (with gradients, e.g.
        ``torch.distributed.nn.all_gather``) to rebuild the (B_global, D) candidate matrix.
        """
        if not (isinstance(world_size, int) and world_size >= 1 and 0 <= rank < world_size):
            raise ValueError(f"need 0 ≤ rank < world_size, got rank={rank}, world_size={world_size}")
        if self.parent is not None:
            raise ValueError("shard() a global batch, not a shard of one")
        if world_size == 1:
            return self
        b = len(self)
        start, stop = rank * b // world_size, (rank + 1) * b // world_size
        sl = slice(start, stop)

        def rows(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {k: v[sl] for k, v in d.items()}

        return Batch(self.doc_ids[sl], self.label_ids[sl], self.label_positive_mask[sl],
                     rows(self.doc_anchor_ids), rows(self.doc_anchor_valid),
                     rows(self.doc_anchor_mask), rows(self.label_anchor_ids),
                     rows(self.label_anchor_valid), rows(self.label_anchor_mask),
                     epoch=self.epoch, index=self.index, offset=start, parent=self)


# --------------------------------------------------------------------------- the sampler
def _check_graphs(anchor_graphs, n_docs: int, n_labels: int) -> dict[str, tuple]:
    out = {}
    for name, pair in (anchor_graphs or {}).items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"anchor_graphs[{name!r}] must be a (doc_anchor, label_anchor) pair "
                            f"of csr matrices, got {type(pair).__name__}")
        doc_anchor, label_anchor = pair
        for what, m, rows in (("doc_anchor", doc_anchor, n_docs),
                              ("label_anchor", label_anchor, n_labels)):
            if not sp.issparse(m):
                raise TypeError(f"anchor_graphs[{name!r}] {what} must be a scipy.sparse matrix, "
                                f"got {type(m).__name__}")
            if m.shape[0] != rows:
                raise ValueError(f"anchor_graphs[{name!r}] {what} has {m.shape[0]} rows, expected "
                                 f"{rows} (one per {'training document' if rows == n_docs else 'label'})")
        if doc_anchor.shape[1] != label_anchor.shape[1]:
            raise ValueError(f"anchor_graphs[{name!r}]: doc_anchor has {doc_anchor.shape[1]} anchors "
                             f"but label_anchor {label_anchor.shape[1]}")
        out[name] = (_canonical(doc_anchor), _canonical(label_anchor))
    return out


def _canonical(m) -> sp.csr_matrix:
    m = sp.csr_matrix(m)
    m.eliminate_zeros()
    return m


class BatchSampler:
    """Epochs of RAMEN mini-batches: random or NGAME cluster batching, resumable, DDP-shardable.

    train_y:       csr (N × L) training ground truth. Documents with no label cannot give a
                   positive for L(θ), so they are skipped (never in a batch; ``n_skipped``).
    anchor_graphs: {name: (doc_anchor csr N × M_t, label_anchor csr L × M_t)} (E_XA, E_ZA).
    batch_size:    global batch size B (paper: 1024). The last batch of an epoch may be smaller
                   unless ``drop_last``.
    strategy:      "cluster" (NGAME: batches of whole clusters of similar documents) or "random".
    seed:          every random choice is a function of (seed, epoch, batch index).
    cluster_refresh:  re-cluster every this many epochs (Table 16 caption: 5).
    cluster_doubling: cluster size doubles every this many epochs (Table 16 caption: 25).
    initial_cluster_size: C at epoch 0; None → max(2, B // 64) (the paper does not give C; with
                   B = 1024 that is 16, reaching B after six doublings, i.e. epoch 150 of 300).
    rank, world_size: DDP sharding — ``iter(sampler)`` yields this rank's shard of each global
                   batch (:meth:`Batch.shard`); :meth:`iter_global` yields whole batches.
    kmeans_niter:  faiss k-means iterations per clustering.

    Use::

        for epoch in range(epochs):
            emb = encoder.embed(train_texts) if sampler.needs_embeddings(epoch) else None
            sampler.set_epoch(epoch, emb)
            for batch in sampler: ...

    Taught in: book/04_training.ipynb
    """

    def __init__(self, train_y: sp.csr_matrix, anchor_graphs: dict | None = None,
                 batch_size: int = 1024, *, strategy: str = "cluster", seed: int = 0,
                 cluster_refresh: int = 5, cluster_doubling: int = 25,
                 initial_cluster_size: int | None = None, rank: int = 0, world_size: int = 1,
                 drop_last: bool = False, kmeans_niter: int = 10):
        if not sp.issparse(train_y):
            raise TypeError(f"train_y must be a scipy.sparse matrix (documents × labels), "
                            f"got {type(train_y).__name__}")
        if strategy not in ("cluster", "random"):
            raise ValueError(f"strategy={strategy!r}; choose 'cluster' or 'random'")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r} must be a positive int")
        if cluster_refresh < 1 or cluster_doubling < 1:
            raise ValueError("cluster_refresh and cluster_doubling must be ≥ 1 epoch")
        if not (0 <= rank < world_size):
            raise ValueError(f"need 0 ≤ rank < world_size, got rank={rank}, world_size={world_size}")
        self.train_y = _canonical(train_y)
        self.n_docs, self.n_labels = self.train_y.shape
        self.graphs = _check_graphs(anchor_graphs, self.n_docs, self.n_labels)
        self.batch_size = int(batch_size)
        self.strategy = strategy
        self.seed = int(seed)
        self.cluster_refresh = int(cluster_refresh)
        self.cluster_doubling = int(cluster_doubling)
        self.initial_cluster_size = (max(2, self.batch_size // 64) if initial_cluster_size is None
                                     else int(initial_cluster_size))
        if self.initial_cluster_size < 1:
            raise ValueError(f"initial_cluster_size={initial_cluster_size} must be ≥ 1")
        self.rank, self.world_size = int(rank), int(world_size)
        self.drop_last = bool(drop_last)
        self.kmeans_niter = int(kmeans_niter)

        self.docs = np.flatnonzero(np.diff(self.train_y.indptr) > 0).astype(np.int64)
        self.n_skipped = self.n_docs - len(self.docs)
        if len(self.docs) == 0:
            raise ValueError("train_y has no document with a label: nothing to train on")
        self.epoch = 0
        self.position = 0
        self._clusters: np.ndarray | None = None  # cluster id per entry of self.docs
        self._cluster_epoch = -1
        self._cluster_size = 0
        self._resumed = False
        self._started = False  # has set_epoch begun self.epoch? (a fresh sampler: not yet)
        self._order = self._epoch_order()

    @property
    def resuming(self) -> bool:
        """True between :meth:`load_state_dict` and the ``set_epoch`` call that continues the
        saved epoch (the trainer skips once-per-epoch work, e.g. pruning, in that case)."""
        return self._resumed

    # ---- schedule
    def cluster_size(self, epoch: int) -> int:
        """C at ``epoch``: initial size doubled every ``cluster_doubling`` epochs, at most B."""
        return min(self.batch_size, self.initial_cluster_size * 2 ** (epoch // self.cluster_doubling))

    def needs_embeddings(self, epoch: int) -> bool:
        """Whether :meth:`set_epoch` will re-cluster at ``epoch`` (so the trainer should embed
        the training documents): cluster strategy, C > 1, and no clusters yet, or the last ones
        are ``cluster_refresh`` epochs old, or C changed."""
        if self.strategy != "cluster" or self.cluster_size(epoch) <= 1:
            return False
        if self._resumed and epoch == self.epoch:
            return False
        return (self._clusters is None or epoch - self._cluster_epoch >= self.cluster_refresh
                or self.cluster_size(epoch) != self._cluster_size)

    def set_epoch(self, epoch: int, doc_embeddings: np.ndarray | None = None) -> None:
        """Start ``epoch``: re-cluster if due (from ``doc_embeddings``, (N_train, D) float, one
        row per row of train_y), then fix the epoch's document order.

        Without embeddings when clustering is due, the previous clusters are kept (or, before
        the first clustering, documents are shuffled at random) and a warning says so. After
        :meth:`load_state_dict`, calling ``set_epoch`` with the saved epoch continues where the
        saved run stopped.
        """
        if self._resumed and epoch == self.epoch:
            self._resumed = False
            return
        self._resumed = False
        self._started = True
        due = self.needs_embeddings(epoch)
        self.epoch = int(epoch)
        self.position = 0
        if due:
            if doc_embeddings is None:
                warnings.warn(f"epoch {epoch}: cluster batching is due for (re-)clustering but no "
                              f"doc_embeddings were given; keeping "
                              f"{'old clusters' if self._clusters is not None else 'random batches'}",
                              stacklevel=2)
            else:
                emb = np.asarray(doc_embeddings)
                if emb.ndim != 2 or emb.shape[0] != self.n_docs:
                    raise ValueError(f"doc_embeddings has shape {emb.shape}; expected "
                                     f"({self.n_docs}, D), one row per training document")
                size = self.cluster_size(epoch)
                self._clusters = balanced_clusters(emb[self.docs], size,
                                                   seed=self.seed + epoch, niter=self.kmeans_niter)
                self._cluster_epoch, self._cluster_size = self.epoch, size
        self._order = self._epoch_order()

    def _epoch_order(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.epoch, 0])
        if self.strategy == "random" or self._clusters is None:
            return rng.permutation(self.docs)
        n_clusters = int(self._clusters.max()) + 1
        cluster_rank = rng.permutation(n_clusters)[self._clusters]
        # whole clusters, in random order; shuffled inside so a straddling cluster splits at random
        return self.docs[np.lexsort((rng.random(len(self.docs)), cluster_rank))]

    # ---- iteration
    def __len__(self) -> int:
        n = len(self.docs)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def iter_global(self):
        """Yield the remaining global batches of the current epoch (advances ``position``)."""
        while self.position < len(self):
            index = self.position
            self.position += 1  # counted as consumed once handed out: a checkpoint taken after
            yield self.batch(index)  # processing it resumes at the next batch

    def __iter__(self):
        for batch in self.iter_global():
            yield batch.shard(self.rank, self.world_size)

    def batch(self, index: int) -> Batch:
        """Global batch number ``index`` of the current epoch (deterministic; no side effects)."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range: epoch has {len(self)} batches")
        doc_ids = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index + 1])
        y = self.train_y
        label_ids = sample_one_per_row(y, doc_ids, rng)
        batch = Batch(doc_ids=doc_ids, label_ids=label_ids,
                      label_positive_mask=rows_contain(y, doc_ids, label_ids),
                      epoch=self.epoch, index=index)
        for name in sorted(self.graphs):
            doc_anchor, label_anchor = self.graphs[name]
            for side, rows, graph in (("doc", doc_ids, doc_anchor), ("label", label_ids, label_anchor)):
                ids = sample_one_per_row(graph, rows, rng)
                valid = ids >= 0
                getattr(batch, f"{side}_anchor_ids")[name] = ids
                getattr(batch, f"{side}_anchor_valid")[name] = valid
                getattr(batch, f"{side}_anchor_mask")[name] = rows_contain(graph, rows, ids) | ~valid[None, :]
        return batch

    # ---- graphs and state
    def update_graphs(self, anchor_graphs: dict) -> None:
        """Replace the anchor graphs (e.g. after pruning); later batches sample from the new ones."""
        self.graphs = _check_graphs(anchor_graphs, self.n_docs, self.n_labels)

    def state_dict(self) -> dict:
        """Everything needed to resume exactly: epoch, position, clusters and their schedule."""
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed,
                "n_docs": self.n_docs, "batch_size": self.batch_size,
                "clusters": None if self._clusters is None else self._clusters.copy(),
                "cluster_epoch": self._cluster_epoch, "cluster_size": self._cluster_size,
                "started": self._started}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; the next batches are exactly those the saved run had next."""
        for key, mine in (("n_docs", self.n_docs), ("batch_size", self.batch_size),
                          ("seed", self.seed)):
            if state[key] != mine:
                raise ValueError(f"sampler state has {key}={state[key]} but this sampler has "
                                 f"{mine}; build the sampler with the saved run's settings")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._clusters = None if state["clusters"] is None else np.asarray(state["clusters"], np.int64)
        self._cluster_epoch, self._cluster_size = int(state["cluster_epoch"]), int(state["cluster_size"])
        self._order = self._epoch_order()
        # a state saved before its epoch began (a fresh sampler: the snapshot successive halving
        # starts every arm from) is no epoch to continue; states written before "started" was
        # recorded always came from a begun epoch
        self._started = bool(state.get("started", True))
        self._resumed = self._started
