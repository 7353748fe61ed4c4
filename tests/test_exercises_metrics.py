"""Chapter 1's exercise checks accept right answers and explain the usual wrong ones."""
from __future__ import annotations

import numpy as np
import pytest

from ramen_edu import exercises
from ramen_edu.metrics import psp_at_k as library_psp


def right_precision(ranked, relevant, k):
    return sum(label in relevant for label in ranked[:k]) / k


def right_psp(ranked, relevant, propensity, k):
    gain = sum(1 / propensity[l] for l in ranked[:k] if l in relevant)
    best = sorted((1 / propensity[l] for l in relevant), reverse=True)[:k]
    return gain / sum(best) if best else 0.0


def test_right_answers_pass(capsys):
    exercises.check_hand_precision(p1=0.0, p3=1 / 3, p5=0.6)
    exercises.check_precision_at_k(right_precision)
    exercises.check_psp_at_k(right_psp)
    assert capsys.readouterr().out.count("✓") == 3


def test_hand_answers_in_percent_or_divided_by_relevant_count_are_explained():
    with pytest.raises(AssertionError, match="fraction, not a percentage"):
        exercises.check_hand_precision(p1=0.0, p3=100 / 3, p5=60)
    with pytest.raises(AssertionError, match="divide by k = 5"):
        exercises.check_hand_precision(p1=0.0, p3=1 / 3, p5=3 / 4)


def test_precision_dividing_by_the_number_of_predictions_fails_on_short_lists():
    with pytest.raises(AssertionError, match="fewer predictions than k"):
        exercises.check_precision_at_k(lambda r, y, k: sum(l in y for l in r[:k]) / len(r[:k]))


def test_psp_mistakes_get_hints():
    raw = lambda r, y, p, k: sum(1 / p[l] for l in r[:k] if l in y) / k
    with pytest.raises(AssertionError, match="divide it by the same sum for the ideal"):
        exercises.check_psp_at_k(raw)
    with pytest.raises(AssertionError, match="that is P@k"):
        exercises.check_psp_at_k(lambda r, y, p, k: right_precision(r, y, k))


def test_psp_cases_agree_with_the_library():
    # the hand cases of the check are the library's normalize="document" PSP@k on one document
    import scipy.sparse as sp

    p, cases = exercises.metrics._psp_cases()
    for ranked, relevant, k, want, _ in cases:
        ids = np.array([ranked], dtype=np.int64)
        truth = sp.csr_matrix((np.ones(len(relevant)), ([0] * len(relevant), sorted(relevant))), shape=(1, len(p)))
        got = library_psp(ids, truth, p, ks=(k,), normalize="document")[k]
        assert got == pytest.approx(want)
