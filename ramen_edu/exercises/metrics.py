"""Auto-checks for chapter 1's exercises (P@k by hand, P@k and PSP@k for one document).

Each check runs the student's answer or function on hand-made cases and says which case fails
and why; it prints a line starting with ✓ when everything passes.

Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

import math

import numpy as np

#: the worked example of exercise ex1-p-by-hand (the paper's running example, Clade)
HAND_EXAMPLE = {
    "ranked": ["Phylogenetics", "Cladistics", "Taxon", "Monophyly", "Crown group"],
    "relevant": {"Crown group", "Cladistics", "Monophyly", "Paraphyly"},
}


def _close(a, b) -> bool:
    return a is not None and math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def check_hand_precision(p1: float, p3: float, p5: float) -> None:
    """Check P@1, P@3 and P@5 worked out by hand for ``HAND_EXAMPLE`` (fractions, e.g. 0.5).

    Taught in: book/01_extreme_classification.ipynb
    """
    ranked, relevant = HAND_EXAMPLE["ranked"], HAND_EXAMPLE["relevant"]
    for k, got in ((1, p1), (3, p3), (5, p5)):
        hits = sum(label in relevant for label in ranked[:k])
        want = hits / k
        if isinstance(got, (int, float)) and got > 1 and _close(got / 100, want):
            raise AssertionError(f"P@{k}: give a fraction, not a percentage ({got} → {got / 100})")
        if not _close(got, want):
            raise AssertionError(
                f"P@{k} = {got} is not right: count the relevant labels among the first {k} "
                f"predictions and divide by k = {k} (not by the number of relevant labels)")
    print("✓ P@1, P@3 and P@5 are right")


def _precision_cases():
    # (ranked ids, relevant ids, k, expected, what the case is about)
    return [
        ([3, 1, 4], {1, 4}, 1, 0.0, "the top prediction is a miss"),
        ([3, 1, 4], {1, 4}, 3, 2 / 3, "two hits among three predictions"),
        ([3, 1], {1, 4}, 5, 1 / 5, "fewer predictions than k: missing ones are misses, still divide by k"),
        ([7, 8, 9], set(), 3, 0.0, "a document without relevant labels scores 0"),
        ([2, 5, 6, 9, 1], {2, 5, 6, 9, 1, 0}, 5, 1.0, "all five predictions are relevant"),
    ]


def check_precision_at_k(fn) -> None:
    """Check a student's ``fn(ranked, relevant, k) -> float``: P@k of ONE document.

    ranked: list of label ids, best first. relevant: set of relevant label ids. k: cut-off.
    Taught in: book/01_extreme_classification.ipynb
    """
    for i, (ranked, relevant, k, want, why) in enumerate(_precision_cases(), start=1):
        got = fn(list(ranked), set(relevant), k)
        if not _close(got, want):
            raise AssertionError(f"case {i} ({why}): fn({ranked}, {relevant}, k={k}) returned {got}, "
                                 f"expected {want:.4f}")
    print(f"✓ all {len(_precision_cases())} cases pass")


def _psp_cases():
    # propensities of labels 0..4: label 0 is a head label (p close to 1), label 4 a tail label
    p = np.array([0.9, 0.6, 0.5, 0.3, 0.1])
    return p, [
        ([0, 1], {0}, 1, 1.0, "the only relevant label is found at rank 1: the best possible PSP"),
        ([0, 4], {0, 4}, 1, (1 / 0.9) / (1 / 0.1),
         "a head hit at rank 1 while the tail label was relevant: the ideal puts label 4 first"),
        ([4, 0], {0, 4}, 1, 1.0, "the rarest relevant label at rank 1 is ideal"),
        ([2, 3, 1], {3}, 3, 1.0, "one relevant label found within k = 3: ideal, whatever its rank"),
        ([2, 1, 0], {3, 4}, 3, 0.0, "no hit: PSP is 0"),
        ([0, 3, 2], {0, 3, 4}, 3, (1 / 0.9 + 1 / 0.3) / (1 / 0.1 + 1 / 0.3 + 1 / 0.9),
         "two hits out of three relevant labels; the ideal holds all three"),
        ([1, 2], {1, 2, 3, 4}, 1, (1 / 0.6) / (1 / 0.1),
         "more relevant labels than k: the ideal takes only the k rarest"),
    ]


def check_psp_at_k(fn) -> None:
    """Check a student's ``fn(ranked, relevant, propensity, k) -> float``: PSP@k of ONE document,
    normalised by the best PSP@k achievable for that document (as pyxclib and the paper's tables).

    propensity: array of p_l per label id. Taught in: book/01_extreme_classification.ipynb
    """
    p, cases = _psp_cases()
    for i, (ranked, relevant, k, want, why) in enumerate(cases, start=1):
        got = fn(list(ranked), set(relevant), p.copy(), k)
        if _close(got, want):
            continue
        raw = sum(1 / p[l] for l in ranked[:k] if l in relevant) / k
        hint = ""
        if _close(got, raw):
            hint = " — that is the raw (1/k)·Σ y/p; divide it by the same sum for the ideal ranking"
        elif _close(got, sum(l in relevant for l in ranked[:k]) / k):
            hint = " — that is P@k; weight each hit by 1/p_l"
        raise AssertionError(f"case {i} ({why}): returned {got}, expected {want:.4f}{hint}")
    print(f"✓ all {len(cases)} cases pass")
