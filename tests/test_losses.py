"""Triplet and softmax losses and the RAMEN objective on hand-made cases with the arithmetic written out."""
import math

import pytest
import torch

from ramen_edu.losses import (in_batch_loss, ramen_objective, softmax_from_similarity, softmax_in_batch,
                              triplet_from_similarity, triplet_in_batch)

# rows = queries, columns = candidates; each row's positive is its diagonal column
SIM = torch.tensor([[0.9, 0.8, 0.1],
                    [0.2, 0.7, 0.6],
                    [0.1, 0.3, 0.95]])
DIAG = torch.arange(3)


def test_all_negatives_hand_arithmetic():
    # margin 0.3, hinge = max(0, 0.3 - s_pos + s_neg), averaged over the 2 negatives of each row
    # row 0: s_pos 0.9; negs 0.8 -> 0.2, 0.1 -> 0      => (0.2 + 0) / 2 = 0.10
    # row 1: s_pos 0.7; negs 0.2 -> 0,   0.6 -> 0.2    => (0 + 0.2) / 2 = 0.10
    # row 2: s_pos .95; negs 0.1 -> 0,   0.3 -> 0      => 0
    # mean over rows: 0.2 / 3
    got = triplet_from_similarity(SIM, DIAG, None, margin=0.3)
    assert got.item() == pytest.approx(0.2 / 3, abs=1e-6)
    per_row = triplet_from_similarity(SIM, DIAG, None, margin=0.3, reduction="none")
    assert torch.allclose(per_row, torch.tensor([0.1, 0.1, 0.0]), atol=1e-6)
    assert triplet_from_similarity(SIM, DIAG, reduction="sum").item() == pytest.approx(0.2, abs=1e-6)


def test_masked_false_negative_does_not_count():
    # candidate 1 is also a positive of row 0: its 0.2 violation must vanish, and row 0 now has
    # a single negative (0.1 -> hinge 0), so row 0 = 0; row 1 = 0.1; row 2 = 0 => mean 0.1 / 3
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[0, 1] = True
    got = triplet_from_similarity(SIM, DIAG, mask, margin=0.3)
    assert got.item() == pytest.approx(0.1 / 3, abs=1e-6)
    # masking the row's own positive changes nothing (it is never a negative)
    diag_mask = torch.eye(3, dtype=torch.bool) | mask
    assert triplet_from_similarity(SIM, DIAG, diag_mask).item() == pytest.approx(got.item())
    # and a masked column behaves exactly as if it were not in the batch at all
    kept = triplet_from_similarity(SIM[:1][:, [0, 2]], torch.tensor([0]), reduction="none")
    per_row = triplet_from_similarity(SIM, DIAG, mask, reduction="none")
    assert per_row[0].item() == pytest.approx(kept[0].item())


def test_hard_k_keeps_only_the_hardest_negatives():
    # with k = 1 only the most similar negative counts:
    # row 0: hardest 0.8 -> 0.2; row 1: hardest 0.6 -> 0.2; row 2: hardest 0.3 -> 0  => 0.4 / 3
    got = triplet_from_similarity(SIM, DIAG, None, margin=0.3, hard_k=1)
    assert got.item() == pytest.approx(0.4 / 3, abs=1e-6)
    # the hardest negative of row 0 is masked: the next one (0.1, hinge 0) takes its place
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[0, 1] = True
    got = triplet_from_similarity(SIM, DIAG, mask, margin=0.3, hard_k=1)
    assert got.item() == pytest.approx(0.2 / 3, abs=1e-6)
    # k larger than the number of negatives = all negatives
    assert triplet_from_similarity(SIM, DIAG, hard_k=5).item() == pytest.approx(0.2 / 3, abs=1e-6)


def test_positive_column_need_not_be_the_diagonal_and_invalid_rows_are_left_out():
    # row 0's positive is column 1 (0.8): negatives 0.9 -> 0.4, 0.1 -> 0 => 0.2
    # row 1 invalid (no positive); row 2 positive column 2 => 0; mean over 2 valid rows = 0.1
    got = triplet_from_similarity(SIM, torch.tensor([1, -1, 2]), None, margin=0.3,
                                  row_valid=torch.tensor([True, False, True]))
    assert got.item() == pytest.approx(0.1, abs=1e-6)
    with pytest.raises(ValueError, match="row_valid=False"):
        triplet_from_similarity(SIM, torch.tensor([1, -1, 2]))


def test_in_batch_matches_similarity_form_and_gradients_flow():
    torch.manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(6, 4), dim=1).requires_grad_()
    c = torch.nn.functional.normalize(torch.randn(6, 4), dim=1).requires_grad_()
    mask = torch.rand(6, 6) < 0.2
    loss = triplet_in_batch(q, c, torch.arange(6), mask, margin=0.5, hard_k=2)
    ref = triplet_from_similarity(q @ c.T, torch.arange(6), mask, margin=0.5, hard_k=2)
    assert loss.item() == pytest.approx(ref.item())
    assert loss.item() > 0
    loss.backward()
    assert q.grad is not None and q.grad.abs().sum() > 0
    assert c.grad is not None and c.grad.abs().sum() > 0
    # pulling the positives together lowers the loss: one gradient step helps
    with torch.no_grad():
        q2, c2 = q - 0.1 * q.grad, c - 0.1 * c.grad
    assert triplet_in_batch(q2, c2, torch.arange(6), mask, margin=0.5, hard_k=2) < loss


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="positive has shape"):
        triplet_from_similarity(SIM, torch.arange(2))
    with pytest.raises(ValueError, match="positive_mask has shape"):
        triplet_from_similarity(SIM, DIAG, torch.zeros(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="hard_k"):
        triplet_from_similarity(SIM, DIAG, hard_k=0)
    with pytest.raises(ValueError, match="reduction"):
        triplet_from_similarity(SIM, DIAG, reduction="avg")
    with pytest.raises(ValueError, match="same encoder"):
        triplet_in_batch(torch.ones(2, 3), torch.ones(2, 4), torch.arange(2))


# --------------------------------------------------------------------------- the softmax form
def _lse_minus_pos(logits_row, pos):
    """log Σ exp(logits) − logits[pos], written out with math (the reference for one row)."""
    return math.log(sum(math.exp(v - logits_row[pos]) for v in logits_row))


def test_softmax_hand_arithmetic():
    # scale 10: row 0 logits 9, 8, 1 -> log(e^9 + e^8 + e^1) - 9 = log(1 + e^-1 + e^-8)
    #           row 1 logits 2, 7, 6 -> log(e^-5 + 1 + e^-1); row 2: 1, 3, 9.5 -> log(e^-8.5 + e^-6.5 + 1)
    rows = [math.log(1 + math.exp(-1) + math.exp(-8)), math.log(math.exp(-5) + 1 + math.exp(-1)),
            math.log(math.exp(-8.5) + math.exp(-6.5) + 1)]
    per_row = softmax_from_similarity(SIM, DIAG, scale=10.0, reduction="none")
    assert per_row.tolist() == pytest.approx(rows, abs=1e-5)
    assert softmax_from_similarity(SIM, DIAG, scale=10.0).item() == pytest.approx(sum(rows) / 3, abs=1e-5)
    assert softmax_from_similarity(SIM, DIAG, scale=10.0, reduction="sum").item() == pytest.approx(sum(rows), abs=1e-5)
    # the default scale is sentence-transformers' 20 (temperature 0.05)
    default = softmax_from_similarity(SIM, DIAG, reduction="none")
    assert default[0].item() == pytest.approx(_lse_minus_pos([18.0, 16.0, 2.0], 0), abs=1e-5)


def test_softmax_masked_false_negative_is_as_if_removed():
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[0, 1] = True
    per_row = softmax_from_similarity(SIM, DIAG, mask, scale=10.0, reduction="none")
    # row 0 without column 1: log(e^9 + e^1) - 9 = log(1 + e^-8); rows 1 and 2 unchanged
    assert per_row[0].item() == pytest.approx(math.log(1 + math.exp(-8)), abs=1e-6)
    unmasked = softmax_from_similarity(SIM, DIAG, scale=10.0, reduction="none")
    assert per_row[1:].tolist() == pytest.approx(unmasked[1:].tolist())
    # exactly the loss of the matrix with that column deleted (excluded, not zeroed: a zeroed
    # column would still add e^0 = 1 to the sum)
    removed = softmax_from_similarity(SIM[:1][:, [0, 2]], torch.tensor([0]), scale=10.0, reduction="none")
    assert per_row[0].item() == pytest.approx(removed[0].item())
    # masking the row's own positive changes nothing (the positive always stays in the softmax)
    both = softmax_from_similarity(SIM, DIAG, mask | torch.eye(3, dtype=torch.bool), scale=10.0, reduction="none")
    assert torch.equal(both, per_row)
    # a row whose every other column is masked has only its positive left: loss 0
    assert softmax_from_similarity(SIM, DIAG, ~torch.eye(3, dtype=torch.bool)).item() == 0.0


def test_softmax_hard_k_keeps_only_the_hardest_negatives():
    # k = 1: row 0 keeps 0.8 -> log(1 + e^-1); row 1 keeps 0.6 -> log(1 + e^-1); row 2 keeps 0.3 -> log(1 + e^-6.5)
    per_row = softmax_from_similarity(SIM, DIAG, scale=10.0, hard_k=1, reduction="none")
    assert per_row.tolist() == pytest.approx([math.log(1 + math.exp(-1))] * 2 + [math.log(1 + math.exp(-6.5))],
                                             abs=1e-6)
    # row 0's hardest negative is masked: the next one (0.1) takes its place -> log(1 + e^-8)
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[0, 1] = True
    masked = softmax_from_similarity(SIM, DIAG, mask, scale=10.0, hard_k=1, reduction="none")
    assert masked[0].item() == pytest.approx(math.log(1 + math.exp(-8)), abs=1e-6)
    # k = 2 with one masked column: row 0 has a single negative, the invalid slot is not used
    assert softmax_from_similarity(SIM, DIAG, mask, scale=10.0, hard_k=2, reduction="none")[0].item() == \
        pytest.approx(math.log(1 + math.exp(-8)), abs=1e-6)
    # k at least the number of negatives = all negatives
    assert torch.equal(softmax_from_similarity(SIM, DIAG, scale=10.0, hard_k=5),
                       softmax_from_similarity(SIM, DIAG, scale=10.0))


def test_softmax_invalid_rows_are_left_out_and_sum_matches_the_triplet_semantics():
    # row 0's positive is column 1 (logit 8): log(e^9 + e^8 + e^1) - 8 = log(e^1 + 1 + e^-7); row 1 invalid
    valid = torch.tensor([True, False, True])
    pos = torch.tensor([1, -1, 2])
    row0 = math.log(math.exp(1) + 1 + math.exp(-7))
    row2 = math.log(math.exp(-8.5) + math.exp(-6.5) + 1)
    per_row = softmax_from_similarity(SIM, pos, scale=10.0, reduction="none", row_valid=valid)
    assert per_row.tolist() == pytest.approx([row0, 0.0, row2], abs=1e-5)
    mean = softmax_from_similarity(SIM, pos, scale=10.0, row_valid=valid)
    total = softmax_from_similarity(SIM, pos, scale=10.0, reduction="sum", row_valid=valid)
    assert mean.item() == pytest.approx((row0 + row2) / 2, abs=1e-5)  # over the 2 valid rows
    assert total.item() == pytest.approx(row0 + row2, abs=1e-5)
    # the same "sum over valid rows / number of valid rows" contract as the triplet form
    for fn in (softmax_from_similarity, triplet_from_similarity):
        s = fn(SIM, pos, None, 0.5, reduction="sum", row_valid=valid)
        assert (s / valid.sum()).item() == pytest.approx(fn(SIM, pos, None, 0.5, row_valid=valid).item())
    with pytest.raises(ValueError, match="row_valid=False"):
        softmax_from_similarity(SIM, pos)


def test_softmax_is_sentence_transformers_multiple_negatives_ranking_loss():
    # MultipleNegativesRankingLoss: cross_entropy(scale · cos(a, b), arange(B)), scale 20
    torch.manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(8, 5), dim=1).requires_grad_()
    c = torch.nn.functional.normalize(torch.randn(8, 5), dim=1).requires_grad_()
    ours = softmax_in_batch(q, c, torch.arange(8))
    theirs = torch.nn.functional.cross_entropy(20.0 * q @ c.T, torch.arange(8))
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
    g_ours = torch.autograd.grad(ours, (q, c))
    g_theirs = torch.autograd.grad(theirs, (q, c))
    for a, b in zip(g_ours, g_theirs):
        assert torch.allclose(a, b, atol=1e-6)


def test_softmax_gradients_flow_and_keep_flowing_where_the_hinge_stops():
    torch.manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(6, 4), dim=1).requires_grad_()
    c = torch.nn.functional.normalize(torch.randn(6, 4), dim=1).requires_grad_()
    mask = torch.rand(6, 6) < 0.2
    loss = softmax_in_batch(q, c, torch.arange(6), mask, scale=5.0, hard_k=2)
    ref = softmax_from_similarity(q @ c.T, torch.arange(6), mask, scale=5.0, hard_k=2)
    assert loss.item() == pytest.approx(ref.item()) and loss.item() > 0
    loss.backward()
    assert q.grad.abs().sum() > 0 and c.grad.abs().sum() > 0
    with torch.no_grad():
        q2, c2 = q - 0.1 * q.grad, c - 0.1 * c.grad
    assert softmax_in_batch(q2, c2, torch.arange(6), mask, scale=5.0, hard_k=2) < loss
    # every negative already γ below its positive: the hinge is 0 with a zero gradient, the
    # softmax still pushes (the module docstring's reason to offer it)
    sim = torch.tensor([[0.9, 0.5], [0.5, 0.9]], requires_grad=True)  # every gap 0.4 > γ = 0.3
    hinge = triplet_from_similarity(sim, torch.arange(2))
    (g_hinge,) = torch.autograd.grad(hinge, sim)
    assert hinge.item() == 0.0 and g_hinge.abs().sum() == 0
    (g_soft,) = torch.autograd.grad(softmax_from_similarity(sim, torch.arange(2)), sim)
    assert (g_soft.diagonal() < 0).all() and (g_soft.fliplr().diagonal() > 0).all()
    # a masked column gets no gradient at all (it is not in the softmax)
    masked = softmax_from_similarity(sim, torch.arange(2), torch.tensor([[False, True], [False, False]]))
    (g_masked,) = torch.autograd.grad(masked, sim)
    assert g_masked[0].abs().sum() == 0 and not torch.isnan(g_masked).any()


def test_in_batch_loss_dispatches_on_the_form():
    torch.manual_seed(1)
    q = torch.nn.functional.normalize(torch.randn(5, 3), dim=1)
    c = torch.nn.functional.normalize(torch.randn(5, 3), dim=1)
    mask = torch.rand(5, 5) < 0.3
    valid = torch.tensor([True, True, False, True, True])
    kw = dict(hard_k=3, reduction="sum", row_valid=valid)
    assert in_batch_loss(q, c, torch.arange(5), mask, form="triplet", margin=0.4, scale=7.0, **kw) == \
        triplet_in_batch(q, c, torch.arange(5), mask, 0.4, **kw)
    assert in_batch_loss(q, c, torch.arange(5), mask, form="softmax", margin=0.4, scale=7.0, **kw) == \
        softmax_in_batch(q, c, torch.arange(5), mask, 7.0, **kw)
    assert in_batch_loss(q, c, torch.arange(5)) == triplet_in_batch(q, c, torch.arange(5))  # the paper's default
    with pytest.raises(ValueError, match="form='infonce'; choose one of triplet, softmax"):
        in_batch_loss(q, c, torch.arange(5), form="infonce")


def test_softmax_bad_inputs_raise_the_triplet_errors():
    with pytest.raises(ValueError, match="positive has shape"):
        softmax_from_similarity(SIM, torch.arange(2))
    with pytest.raises(ValueError, match="positive_mask has shape"):
        softmax_from_similarity(SIM, DIAG, torch.zeros(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="hard_k"):
        softmax_from_similarity(SIM, DIAG, hard_k=0)
    with pytest.raises(ValueError, match="reduction"):
        softmax_from_similarity(SIM, DIAG, reduction="avg")
    with pytest.raises(ValueError, match="row_valid has shape"):
        softmax_from_similarity(SIM, DIAG, row_valid=torch.ones(2, dtype=torch.bool))
    with pytest.raises(ValueError, match="sim must be a 2-d tensor"):
        softmax_from_similarity(SIM[0], DIAG)
    for scale in (0.0, -1.0, float("inf"), True):
        with pytest.raises(ValueError, match="scale=.*positive number"):
            softmax_from_similarity(SIM, DIAG, scale=scale)
    with pytest.raises(ValueError, match="same encoder"):
        softmax_in_batch(torch.ones(2, 3), torch.ones(2, 4), torch.arange(2))
    with pytest.raises(ValueError, match="same encoder"):
        in_batch_loss(torch.ones(2, 3), torch.ones(2, 4), torch.arange(2), form="softmax")


def test_ramen_objective_weights_terms():
    losses = {"doc_label": torch.tensor(2.0), "doc_anchor:category": torch.tensor(1.0),
              "label_anchor:category": torch.tensor(4.0)}
    lambdas = {"doc_label": 1.0, "doc_anchor:category": 0.1, "label_anchor:category": 0.5,
               "doc_anchor:unused": 3.0}
    # 1.0*2 + 0.1*1 + 0.5*4 = 4.1
    assert ramen_objective(losses, lambdas).item() == pytest.approx(4.1)
    with pytest.raises(KeyError, match="no λ"):
        ramen_objective(losses, {"doc_label": 1.0})
    with pytest.raises(ValueError, match="not one of"):
        ramen_objective({"docs": torch.tensor(1.0)}, {"docs": 1.0})


def test_exercise_check_accepts_the_loss_and_explains_mistakes(capsys):
    from ramen_edu.exercises import check_masked_triplet

    check_masked_triplet(lambda s, m, g: triplet_from_similarity(s, torch.arange(len(s)), m, g))
    assert "all three cases pass" in capsys.readouterr().out

    def unmasked(s, m, g):  # forgets the false negatives
        return triplet_from_similarity(s, torch.arange(len(s)), None, g)

    with pytest.raises(AssertionError, match="case 2.*false negative"):
        check_masked_triplet(unmasked)

    def nan_rows(s, m, g):  # 0/0 on a row without negatives
        neg = ~m & ~torch.eye(len(s), dtype=torch.bool)
        hinge = torch.relu(g - s.diagonal()[:, None] + s) * neg
        return (hinge.sum(1) / neg.sum(1)).mean()

    with pytest.raises(AssertionError, match="case 3.*NaN"):
        check_masked_triplet(nan_rows)

    with pytest.raises(AssertionError, match="no gradient"):
        check_masked_triplet(lambda s, m, g: torch.tensor(unmasked(s, m, g).item() * 0 + 0.2 / 3))
