"""RAMEN's losses: in-batch triplet or softmax losses with masked false negatives; the λ-weighted objective.

Every function here takes tensors and returns a scalar (or per-row) tensor; the trainer owns the
loop (``ramen_edu.training``). One in-batch loss form serves the document–label loss L(θ) and the
two graph regularizers R_x^t(θ) (document ↔ anchor) and R_z^t(θ) (label ↔ anchor) of RAMEN §3.
Two forms are implemented (``TrainConfig.loss`` picks one; :func:`in_batch_loss` dispatches):

* ``"triplet"`` — the paper's margin hinge (RAMEN §3, γ = 0.3, Table 16), the default:

      loss_row(i) = (1/k_i) · Σ_{n ∈ hardest k_i negatives of row i} max(0, γ − s(i, p_i) + s(i, n))

* ``"softmax"`` — ours: the in-batch InfoNCE form that sentence-transformers users train with
  (``MultipleNegativesRankingLoss``: cross-entropy of scale · cos with the positive as target),
  scale 20 = temperature 0.05:

      loss_row(i) = log Σ_{j ∈ {p_i} ∪ negatives of row i} exp(scale · s(i, j)) − scale · s(i, p_i)

with s = cosine similarity (a dot product of unit-norm embeddings) in both.

Why two. The hinge's gradient is exactly zero once every negative of a row is γ below its
positive: rows the encoder already ranks well stop teaching. A pre-trained encoder (MiniLM,
trained with the softmax form) can start with many rows in that state, and the hinge then
learns only from the rows it still gets wrong. The softmax never reaches zero: every negative
keeps a weight ∝ exp(scale · s(i, n)), so it keeps pulling the positive up and the hardest
negatives down. It is also how sentence-transformers' pre-trained encoders were trained, so
RAMEN started from one (issue 19) may prefer it; the hinge stays the default: it is the paper's.

The same masking serves both: false negatives (``positive_mask``) and invalid columns are never
negatives — the hinge zeroes them, the softmax leaves them out of the log-sum-exp — so a masked
column behaves exactly as if it were not in the batch. ``hard_k`` keeps the k most similar valid
negatives of each row in both forms.

Normalisation of the hinge — what the reference code does, and where we differ. NGAME's
``TripletMarginLossOHNM`` (Extreme-classification/ngame, ``libs/loss.py``) removes positives
from the in-batch similarity matrix, takes the top-k most similar remaining columns per row
(k = ``loss_num_negatives`` = 10 for LF-WikiSeeAlso) and averages the hinge over the B × k
matrix, i.e. each row is divided by k. We do the same whenever a row has at least k valid
negatives — always the case in practice (k = 10 ≪ B = 1024). When a row has fewer (tiny batches,
or ``hard_k=None`` = "all negatives"), we average over the k_i negatives that exist instead of
padding with zero-loss slots, so masking a false negative never changes the weight of the other
negatives of that row. The softmax divides by nothing (a log-sum-exp already is a soft maximum,
not a sum). In both forms rows with no valid negative contribute 0; rows marked invalid
(``row_valid=False``, e.g. a document without any anchor) are left out of the mean, and
``reduction="sum"`` sums over the valid rows (the trainer divides that sum by the global number
of valid rows, ``Batch.row_normaliser``).

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping

import torch

from ramen_edu.terms import Term

__all__ = ["triplet_from_similarity", "triplet_in_batch", "softmax_from_similarity", "softmax_in_batch",
           "in_batch_loss", "ramen_objective", "LOSS_FORMS", "Term"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_2d(name: str, t: torch.Tensor) -> None:
    if not isinstance(t, torch.Tensor) or t.dim() != 2:
        shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"{name} must be a 2-d tensor, got {shape}")


def _negatives(
    sim: torch.Tensor,
    positive: torch.Tensor,
    positive_mask: torch.Tensor | None,
    hard_k: int | None,
    reduction: str,
    row_valid: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The checks both loss forms share, and what they need of the arguments.

    Returns (negative (B, C) bool — the columns that may serve as negatives of each row, i.e.
    neither the row's own positive nor marked in ``positive_mask``; pos_col (B,) int64 — the
    positive column of each row, clamped into range for invalid rows; row_valid (B,) bool).
    """
    _check_2d("sim", sim)
    b, c = sim.shape
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction={reduction!r}; choose one of {', '.join(_REDUCTIONS)}")
    if hard_k is not None and (not isinstance(hard_k, int) or hard_k < 1):
        raise ValueError(f"hard_k={hard_k!r} must be a positive int or None (all negatives)")
    positive = torch.as_tensor(positive, device=sim.device)
    if positive.shape != (b,):
        raise ValueError(f"positive has shape {tuple(positive.shape)}, expected ({b},) — one "
                         f"column per row of sim {tuple(sim.shape)}")
    if row_valid is None:
        row_valid = torch.ones(b, dtype=torch.bool, device=sim.device)
    else:
        row_valid = torch.as_tensor(row_valid, device=sim.device).bool()
        if row_valid.shape != (b,):
            raise ValueError(f"row_valid has shape {tuple(row_valid.shape)}, expected ({b},)")
    positive = positive.long()
    bad = row_valid & ((positive < 0) | (positive >= c))
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise ValueError(f"positive[{i}] = {int(positive[i])} is not a column of sim with {c} "
                         f"columns; mark rows without a positive with row_valid=False")
    pos_col = positive.clamp(0, max(c - 1, 0))

    # which columns may serve as negatives for each row
    negative = torch.ones(b, c, dtype=torch.bool, device=sim.device)
    if positive_mask is not None:
        positive_mask = torch.as_tensor(positive_mask, device=sim.device)
        if positive_mask.shape != (b, c):
            raise ValueError(f"positive_mask has shape {tuple(positive_mask.shape)}, expected "
                             f"{(b, c)} like sim")
        negative &= ~positive_mask.bool()
    negative[torch.arange(b, device=sim.device), pos_col] = False
    return negative, pos_col, row_valid


def _hardest(sim: torch.Tensor, negative: torch.Tensor, hard_k: int) -> torch.Tensor:
    """(B, k) column indices of the k most similar valid negatives of each row (hardest first);
    when a row has fewer than k, invalid columns fill the rest (the caller masks them)."""
    score = sim.detach().masked_fill(~negative, float("-inf"))
    return score.topk(hard_k, dim=1).indices


def _reduce(per_row: torch.Tensor, row_valid: torch.Tensor, reduction: str) -> torch.Tensor:
    """Invalid rows → 0, then "none" (B,), "sum" over rows, or "mean" over the valid rows."""
    per_row = per_row * row_valid
    if reduction == "none":
        return per_row
    total = per_row.sum()
    if reduction == "sum":
        return total
    return total / row_valid.sum().clamp(min=1)


def _similarity(queries: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """queries (B, D) @ candidates (C, D)ᵀ → (B, C), after checking the shapes agree."""
    _check_2d("queries", queries)
    _check_2d("candidates", candidates)
    if queries.shape[1] != candidates.shape[1]:
        raise ValueError(f"queries have dimension {queries.shape[1]} but candidates "
                         f"{candidates.shape[1]}; embed both with the same encoder")
    return queries @ candidates.T


def triplet_from_similarity(
    sim: torch.Tensor,
    positive: torch.Tensor,
    positive_mask: torch.Tensor | None = None,
    margin: float = 0.3,
    hard_k: int | None = None,
    reduction: str = "mean",
    *,
    row_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """Triplet hinge loss on a precomputed similarity matrix, with masked false negatives.

    sim:           (B, C) float — s(i, j) between row i and candidate j.
    positive:      (B,) int64 — column of row i's positive in ``sim`` (ignored for invalid rows,
                   may be −1 there).
    positive_mask: (B, C) bool or None — True where candidate j is *also* a positive of row i
                   (a false negative): such columns are never negatives. Row i's own positive
                   column is excluded whether or not it is marked.
    margin:        γ (RAMEN Table 16: 0.3).
    hard_k:        use only the k most similar valid negatives of each row (NGAME's online hard
                   negative mining, k = 10); None = every valid negative.
    reduction:     "mean" (over valid rows), "sum" (over valid rows) or "none" → (B,) per-row
                   losses (0 for invalid rows).
    row_valid:     (B,) bool or None — rows to include (False: no positive, e.g. a document
                   with no anchor in this anchor set).

    Each row's loss is divided by the number of negatives it uses (k, or fewer if fewer exist);
    see the module docstring for how this matches NGAME. Returns a scalar (or (B,)) tensor that
    carries gradients to ``sim``.
    """
    negative, pos_col, row_valid = _negatives(sim, positive, positive_mask, hard_k, reduction, row_valid)
    s_pos = sim.gather(1, pos_col[:, None])  # (B, 1)
    hinge = torch.relu(margin - s_pos + sim)  # (B, C)
    if hard_k is not None and hard_k < sim.shape[1]:
        idx = _hardest(sim, negative, hard_k)  # (B, k)
        hinge = hinge.gather(1, idx)
        negative = negative.gather(1, idx)
    hinge = hinge * negative  # zero where not a negative (keeps the graph; no NaN from -inf)
    n_neg = negative.sum(dim=1)
    return _reduce(hinge.sum(dim=1) / n_neg.clamp(min=1), row_valid, reduction)


def triplet_in_batch(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    positive: torch.Tensor,
    positive_mask: torch.Tensor | None = None,
    margin: float = 0.3,
    hard_k: int | None = None,
    reduction: str = "mean",
    *,
    row_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """In-batch triplet loss between queries and a shared pool of candidates (RAMEN §3).

    queries:    (B, D) unit-norm embeddings (documents for L and R_x, labels for R_z).
    candidates: (C, D) unit-norm embeddings (the batch's labels or anchors); every row uses all
                of them as potential negatives, so C is usually B (or the global batch in DDP).
    positive, positive_mask, margin, hard_k, reduction, row_valid: as in
                :func:`triplet_from_similarity`, with sim = queries @ candidatesᵀ (cosine).

    Returns a scalar (or (B,) for reduction="none").
    Taught in: book/04_training.ipynb
    """
    return triplet_from_similarity(_similarity(queries, candidates), positive, positive_mask, margin,
                                   hard_k, reduction, row_valid=row_valid)


def softmax_from_similarity(
    sim: torch.Tensor,
    positive: torch.Tensor,
    positive_mask: torch.Tensor | None = None,
    scale: float = 20.0,
    hard_k: int | None = None,
    reduction: str = "mean",
    *,
    row_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """In-batch softmax (InfoNCE) loss on a precomputed similarity matrix, with masked false negatives.

    Per row: logsumexp over {own positive} ∪ {valid negatives} of scale · s(i, j), minus
    scale · s(i, p_i) — the cross-entropy of a softmax over those columns with the positive as
    target. Without masks and with the positives on the diagonal this is sentence-transformers'
    ``MultipleNegativesRankingLoss`` (``cross_entropy(scale · sim, arange(B))``).

    sim, positive, positive_mask, hard_k, reduction, row_valid: as in
                   :func:`triplet_from_similarity`. Masked (false-negative) columns are left out
                   of the log-sum-exp, not zeroed: a masked column is as if it were not in the
                   batch. ``hard_k`` keeps the k most similar valid negatives of each row.
    scale:         multiplies the cosines before the softmax (1 / temperature); 20 =
                   temperature 0.05, sentence-transformers' default.

    A row with no valid negative scores 0 (its softmax holds only the positive). Returns a scalar
    (or (B,) for reduction="none") that carries gradients to ``sim``.
    """
    negative, pos_col, row_valid = _negatives(sim, positive, positive_mask, hard_k, reduction, row_valid)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale < float("inf"):
        raise ValueError(f"scale={scale!r} must be a positive number (1 / temperature; "
                         "20 = temperature 0.05)")
    b, c = sim.shape
    if hard_k is not None and hard_k < c:
        kept = torch.zeros_like(negative).scatter_(1, _hardest(sim, negative, hard_k), True)
        negative = negative & kept  # the scatter may have picked invalid columns of short rows
    in_softmax = negative.clone()
    in_softmax[torch.arange(b, device=sim.device), pos_col] = True
    logits = scale * sim
    # -inf, not 0: a left-out column must weigh nothing in the sum (its gradient is then 0 too)
    lse = logits.masked_fill(~in_softmax, float("-inf")).logsumexp(dim=1)
    return _reduce(lse - logits.gather(1, pos_col[:, None]).squeeze(1), row_valid, reduction)


def softmax_in_batch(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    positive: torch.Tensor,
    positive_mask: torch.Tensor | None = None,
    scale: float = 20.0,
    hard_k: int | None = None,
    reduction: str = "mean",
    *,
    row_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """In-batch softmax loss between queries and a shared pool of candidates (sentence-transformers'
    MultipleNegativesRankingLoss, with RAMEN's false-negative masks).

    queries: (B, D), candidates: (C, D) unit-norm embeddings, as in :func:`triplet_in_batch`.
    positive, positive_mask, scale, hard_k, reduction, row_valid: as in
             :func:`softmax_from_similarity`, with sim = queries @ candidatesᵀ (cosine).

    Returns a scalar (or (B,) for reduction="none").
    """
    return softmax_from_similarity(_similarity(queries, candidates), positive, positive_mask, scale,
                                   hard_k, reduction, row_valid=row_valid)


LOSS_FORMS = ("triplet", "softmax")


def in_batch_loss(
    queries: torch.Tensor,
    candidates: torch.Tensor,
    positive: torch.Tensor,
    positive_mask: torch.Tensor | None = None,
    *,
    form: str = "triplet",
    margin: float = 0.3,
    scale: float = 20.0,
    hard_k: int | None = None,
    reduction: str = "mean",
    row_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """The trainer's in-batch loss: :func:`triplet_in_batch` (form="triplet", uses ``margin``) or
    :func:`softmax_in_batch` (form="softmax", uses ``scale``); the other knob is ignored.

    queries (B, D), candidates (C, D), positive (B,), positive_mask (B, C) or None, hard_k,
    reduction, row_valid (B,) or None: as in those two. Both forms reduce alike, so the trainer
    divides a "sum" by the same row count whichever it trains with.
    """
    if form == "triplet":
        return triplet_in_batch(queries, candidates, positive, positive_mask, margin, hard_k, reduction,
                                row_valid=row_valid)
    if form == "softmax":
        return softmax_in_batch(queries, candidates, positive, positive_mask, scale, hard_k, reduction,
                                row_valid=row_valid)
    raise ValueError(f"form={form!r}; choose one of {', '.join(LOSS_FORMS)} (TrainConfig.loss)")


def ramen_objective(losses: Mapping[str, torch.Tensor],
                    lambdas: Mapping[str, float]) -> torch.Tensor:
    """The regularized objective λ_l·L + Σ_t (λ_x^t·R_x^t + λ_z^t·R_z^t) (RAMEN §3).

    losses:  term name → scalar tensor. Names: ``"doc_label"`` (L), ``"doc_anchor:<set>"``
             (R_x^t) and ``"label_anchor:<set>"`` (R_z^t), e.g. ``"doc_anchor:category"``
             (``str`` of a :class:`ramen_edu.terms.Term`).
    lambdas: term name → λ (float); must cover every term in ``losses`` (extra names, e.g. for
             an anchor set absent from this batch, are ignored).

    Returns a scalar tensor (differentiable in every loss).
    Taught in: book/04_training.ipynb
    """
    if not losses:
        raise ValueError("ramen_objective needs at least one loss term (e.g. 'doc_label')")
    total = None
    for name, value in losses.items():
        Term.parse(name)  # ValueError naming the three forms of a term
        if name not in lambdas:
            raise KeyError(f"no λ for loss term {name!r}; lambdas has {sorted(lambdas)}")
        if value.dim() != 0:
            raise ValueError(f"loss term {name!r} must be a scalar, got shape {tuple(value.shape)}")
        term = float(lambdas[name]) * value
        total = term if total is None else total + term
    return total
