"""Triplet losses and the RAMEN objective on hand-made cases with the arithmetic written out."""
import pytest
import torch

from ramen_edu.losses import ramen_objective, triplet_from_similarity, triplet_in_batch

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
