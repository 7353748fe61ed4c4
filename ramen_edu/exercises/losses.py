"""Auto-check for the masked in-batch triplet loss exercise (book/04_training.ipynb).

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import torch

__all__ = ["check_masked_triplet"]


def _reference(sim, pos_mask, margin, *, denominator="negatives", keep_masked=False,
               diagonal_negative=False):
    """The loss and its usual mistakes (to recognise a wrong answer and say why)."""
    b, c = sim.shape
    eye = torch.eye(b, c, dtype=torch.bool)
    negative = torch.ones(b, c, dtype=torch.bool)
    if not keep_masked:
        negative &= ~pos_mask
    if not diagonal_negative:
        negative &= ~eye
    hinge = torch.relu(margin - sim.diagonal()[:, None] + sim) * negative
    if denominator == "negatives":
        per_row = hinge.sum(1) / negative.sum(1).clamp(min=1)
    elif denominator == "columns":  # masked columns still counted
        per_row = hinge.sum(1) / (c - 1)
    else:  # "none": summed, not averaged
        per_row = hinge.sum(1)
    return per_row.mean()


_MISTAKES = [
    (dict(keep_masked=True),
     "a column marked in pos_mask is also a positive of that row (a false negative): it must "
     "not count as a negative — drop it from the hinge terms"),
    (dict(denominator="columns"),
     "the masked columns were zeroed but still counted when averaging: divide each row by the "
     "number of negatives it actually has, not by B − 1"),
    (dict(denominator="none"),
     "each row's hinge terms were summed: average them over the row's negatives (then over rows)"),
    (dict(diagonal_negative=True),
     "the row's own positive (the diagonal) was used as a negative: it contributes "
     "max(0, margin) to the loss for nothing"),
]


def _explain(case: str, why: str, got, want, sim, pos_mask, margin) -> str:
    for kwargs, hint in _MISTAKES:
        if torch.isclose(got, _reference(sim, pos_mask, margin, **kwargs), atol=1e-6):
            return f"{case}: {hint} (got {got.item():.4f}, want {want.item():.4f})"
    return f"{case}: {why} (got {got.item():.4f}, want {want.item():.4f})"


def check_masked_triplet(fn) -> None:
    """Check a student's ``masked_triplet(sim, pos_mask, margin)`` on three hand-made cases.

    Contract of ``fn``: sim (B, B) float tensor of cosine similarities, row i's positive on the
    diagonal; pos_mask (B, B) bool, True where column j is *also* a positive of row i (the
    diagonal may be True); margin float. Returns the scalar tensor
        mean over rows i of  mean over negatives j of row i of  max(0, margin − sim[i,i] + sim[i,j]),
    where the negatives of row i are the columns j ≠ i with pos_mask[i, j] False (a row without
    negatives contributes 0). This is ``ramen_edu.losses.triplet_from_similarity`` with
    ``positive = arange(B)``. Raises AssertionError naming the failing case and the likely
    mistake; prints a tick when all pass.
    Taught in: book/04_training.ipynb
    """
    # case 1 — nothing masked. margin 0.3:
    #   row 0: 0.3 − 0.9 + 0.8 = 0.2, 0.3 − 0.9 + 0.1 < 0 → (0.2 + 0)/2 = 0.10
    #   row 1: 0.3 − 0.7 + 0.2 < 0,   0.3 − 0.7 + 0.6 = 0.2 → 0.10
    #   row 2: both hinges 0 → 0;  loss = (0.1 + 0.1 + 0)/3 ≈ 0.0667
    sim1 = torch.tensor([[0.9, 0.8, 0.1], [0.2, 0.7, 0.6], [0.1, 0.3, 0.95]])
    mask1 = torch.eye(3, dtype=torch.bool)
    # case 2 — label 1 is also a positive of row 0. margin 0.3:
    #   row 0: only column 2 is a negative: 0.3 − 0.9 + 0.7 = 0.1 → 0.1/1 = 0.10
    #   row 1: 0.3 − 0.5 + 0.4 = 0.2, 0.3 − 0.5 + 0.1 < 0 → 0.10
    #   row 2: 0.3 − 0.6 + 0.5 = 0.2, 0 → 0.10;  loss = 0.10
    sim2 = torch.tensor([[0.9, 0.8, 0.7], [0.4, 0.5, 0.1], [0.5, 0.2, 0.6]])
    mask2 = torch.eye(3, dtype=torch.bool)
    mask2[0, 1] = True
    # case 3 — margin 0.5, row 2 has no negative left (both other columns are positives):
    #   row 0: 0.5 − 0.9 + 0.8 = 0.4, 0.5 − 0.9 + 0.1 < 0 → 0.20
    #   row 1: 0.5 − 0.7 + 0.2 = 0.0, 0.5 − 0.7 + 0.6 = 0.4 → 0.20
    #   row 2: no negatives → 0 (not NaN);  loss = 0.4/3 ≈ 0.1333, and gradients must flow
    sim3 = sim1.clone()
    mask3 = torch.eye(3, dtype=torch.bool)
    mask3[2, :] = True
    cases = [
        ("case 1 (nothing masked)", sim1, mask1, 0.3, torch.tensor(0.2 / 3),
         "average max(0, margin − s_pos + s_neg) over each row's two negatives, then over rows"),
        ("case 2 (label 1 is also a positive of row 0)", sim2, mask2, 0.3, torch.tensor(0.1),
         "row 0 has a single negative left (column 2): its loss is 0.1"),
        ("case 3 (margin 0.5, row 2 has no negative)", sim3, mask3, 0.5, torch.tensor(0.4 / 3),
         "a row without negatives contributes 0 (beware 0/0 = NaN); use the margin argument"),
    ]
    for name, sim, mask, margin, want, why in cases:
        assert torch.isclose(want, _reference(sim, mask, margin), atol=1e-6)  # the key is right
        leaf = sim.clone().requires_grad_(True)
        got = fn(leaf, mask.clone(), margin)
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            raise AssertionError(f"{name}: return a scalar torch tensor, got {type(got).__name__}"
                                 f"{'' if not isinstance(got, torch.Tensor) else tuple(got.shape)}")
        got = got.reshape(())
        if torch.isnan(got):
            raise AssertionError(f"{name}: got NaN — a row with no negatives divides 0 by 0; "
                                 f"clamp the count of negatives to at least 1")
        if not torch.isclose(got.detach(), want, atol=1e-5):
            raise AssertionError(_explain(name, why, got.detach(), want, sim, mask, margin))
        if not got.requires_grad:
            raise AssertionError(f"{name}: the value is right but no gradient reaches sim — keep "
                                 f"the computation in torch (no .item(), numpy or Python floats)")
        got.backward()
        if leaf.grad is None or leaf.grad.abs().sum() == 0:
            raise AssertionError(f"{name}: the value is right but the gradient with respect to "
                                 f"sim is zero — the hinge terms must depend on sim")
    print("✓ all three cases pass")
