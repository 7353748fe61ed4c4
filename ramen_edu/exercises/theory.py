"""Auto-checks for the exercises of book/03_theorem1.ipynb (Theorem 1: GCN layers without graphs).

Each check runs the student's instance or function, and when something is off says which
inequality or which step is the problem — not just "wrong".

Taught in: book/03_theorem1.ipynb
"""
from __future__ import annotations

import numpy as np

from ramen_edu import theory as th


def _arrays(X, W, F, A):
    X, W, F, A = (np.asarray(m, dtype=np.float64) for m in (X, W, F, A))
    for name, m in (("X", X), ("W", W), ("F", F), ("A", A)):
        if m.ndim != 2:
            raise AssertionError(f"{name} must be a 2-D array, got shape {m.shape}")
    return X, W, F, A


def check_tight_instance(X, W, F, A, phi="identity", *, tol: float = 1e-6) -> dict:
    """ex3-tight: is (X, W, F, A) an instance where Theorem 1 holds with equality and A ≠ Â?

    Prints ✓ or raises AssertionError naming the inequality of the proof that still has slack.
    Returns the slack factors (all ≈ 1 for a tight instance).
    Taught in: book/03_theorem1.ipynb
    """
    X, W, F, A = _arrays(X, W, F, A)
    res = th.theorem1(X, W, F, A, phi)  # validates shapes and unit rows with clear messages
    if res.gap <= 1e-9:
        raise AssertionError("A = Â: both sides are 0, which is trivially 'tight'. Add a perturbation "
                             "so that ‖A − Â‖₂ > 0 and make the left side reach the right side.")
    slack = th.slack_factors(X, W, F, A, phi)
    hints = {
        "rows": "not every row of X has the maximal norm R (‖X‖_F < √n·R): make all ‖x_i‖ equal",
        "weight": "the rows of X do not lie along W's top left singular vector (‖XW‖_F < ‖W‖₂‖X‖_F); "
                  "use np.linalg.svd(W) and take U[:, 0]",
        "spectral": "the columns of XW are not top right singular vectors of A − Â "
                    "(‖(A−Â)XW‖_F < ‖A−Â‖₂‖XW‖_F); e.g. make A − Â = ε·u uᵀ with X's column space along u",
        "lipschitz": "φ does not stretch by its full β on the differences (e.g. ReLU clipped "
                     "negatives, or tanh is flatter than slope 1 away from 0); use φ = identity or keep "
                     "all pre-activations positive for ReLU",
    }
    loose = {k: v for k, v in slack.items() if v > 1 + tol}
    if loose:
        worst = max(loose, key=loose.get)
        raise AssertionError(f"not tight: right/left = {res.ratio:.6g}. Largest slack: {worst} "
                             f"(factor {loose[worst]:.6g}) — {hints[worst]}. All factors: "
                             + ", ".join(f"{k} {v:.4g}" for k, v in slack.items()))
    print(f"✓ tight: left {res.lhs:.6g} = right {res.rhs:.6g} with ‖A − Â‖₂ = {res.gap:.4g}")
    return slack


def check_broken_premise(X, W, F, A, phi="relu", *, min_relative_error: float = 0.5) -> dict:
    """ex3-break: does F fail to predict A, so that H misses the GCN layer by a wide margin?

    Requires relative error ‖φ(AXW) − H(X)‖_F / ‖φ(AXW)‖_F ≥ min_relative_error, and checks that
    the bound still holds (it must: the theorem is true; only its premise is broken).
    Returns dict(relative_error=, result=BoundResult).
    Taught in: book/03_theorem1.ipynb
    """
    X, W, F, A = _arrays(X, W, F, A)
    res, parts = th.theorem1_parts(X, W, F, A, phi)
    scale = np.linalg.norm(parts["gcn"])
    if scale == 0:
        raise AssertionError("φ(AXW) is all zeros, so there is nothing for H to miss; pick X, W, A with a "
                             "non-zero GCN output (for ReLU, not every pre-activation negative)")
    rel = float(np.linalg.norm(parts["gcn"] - parts["H_X"]) / scale)
    if not res.holds:  # would mean a bug in the theorem or in ramen_edu.theory
        raise AssertionError(f"the bound is violated — please report this instance: {res}")
    if rel < min_relative_error:
        predicted = th.predicted_adjacency(F)
        agreement = np.corrcoef(A.ravel(), predicted.ravel())[0, 1] if A.size > 1 else 1.0
        raise AssertionError(
            f"H is still close: relative error {rel:.3f} < {min_relative_error}. Your A correlates "
            f"{agreement:.2f} with Â = (1 + F Fᵀ)/2, so F still predicts it. Draw A independently of F "
            "(e.g. a random sparse 0/1 matrix) or use an F that ignores the graph.")
    print(f"✓ premise broken: H misses φ(AXW) by {rel:.0%} (relative), and the bound still holds: {res}")
    return {"relative_error": rel, "result": res}


def check_mean_aggregation_H(fn, phi="relu") -> None:
    """ex3-mean: ``fn(X, W, F, phi)`` must return H_mean(X) = φ(Δ̂⁻¹ Â X W) (n, D'), where
    Δ̂ = diag(Â 1), computed from T, c and s = Σ_j F(x_j) only (no neighbours of x needed).

    Runs three hand-made cases; says which one fails and why.
    Taught in: book/03_theorem1.ipynb
    """
    act = th.get_activation(phi)
    rng = np.random.default_rng(31)
    for case, (n, d, p) in enumerate([(4, 2, 2), (9, 3, 4), (25, 5, 3)], start=1):
        X = rng.standard_normal((n, d))
        W = rng.standard_normal((d, d))
        F = rng.standard_normal((n, p))
        F /= np.linalg.norm(F, axis=1, keepdims=True)
        A_hat = th.predicted_adjacency(F)
        want = act((A_hat / A_hat.sum(1, keepdims=True)) @ X @ W)
        got = np.asarray(fn(X, W, F, phi), dtype=np.float64)
        if got.shape != want.shape:
            raise AssertionError(f"case {case}: expected shape {want.shape} (n × D'), got {got.shape}")
        if np.allclose(got, want, atol=1e-8):
            continue
        if np.allclose(got, act(A_hat @ X @ W), atol=1e-8):
            raise AssertionError(f"case {case}: you returned φ(ÂXW) — the sum aggregation. Divide the "
                                 "pre-activation of row i by d̂_i = Σ_j â_ij = (n + F(x_i)ᵀ s)/2 before φ")
        if np.allclose(got, (A_hat / A_hat.sum(1, keepdims=True)) @ X @ W, atol=1e-8):
            raise AssertionError(f"case {case}: the values match before the activation — apply φ last")
        if np.allclose(got, act((A_hat / A_hat.sum(0, keepdims=True)) @ X @ W), atol=1e-8):
            raise AssertionError(f"case {case}: you normalised columns; mean aggregation divides row i "
                                 "by its own degree d̂_i")
        err = np.abs(got - want).max()
        raise AssertionError(f"case {case} (n={n}, D={d}, P={p}): max abs error {err:.3g}. Check "
                             "T = ½WᵀXᵀΦ, c = ½WᵀXᵀ1 and d̂_i = (n + F(x_i)ᵀ Σ_j F(x_j))/2")
    print("✓ all three cases match φ(Δ̂⁻¹ÂXW)")


def check_bias_free_head(X, W, F, T_free, *, tol: float = 1e-8) -> dict:
    """ex3-bias: does the bias-free head x ↦ T′F(x) reproduce the proof's pre-activation ÂXW,
    with fewer predictor dimensions than nodes (P < n)?

    X (n, D), W (D, D'), F (n, P) unit rows, T_free (D', P). Prints ✓ or raises AssertionError
    saying whether F or T′ is the problem: F when 1 is outside the column span of Φ (then no T′
    can work, the residual is ‖(I − Π)1‖·‖c‖), T′ otherwise (the fix is T′ = T + c bᵀ with Φb = 1).
    Returns :func:`ramen_edu.theory.bias_free_head`'s dict.
    Taught in: book/03_theorem1.ipynb
    """
    X, W, F = (np.asarray(m, dtype=np.float64) for m in (X, W, F))
    T_free = np.asarray(T_free, dtype=np.float64)
    F = th.check_unit_rows(F, "F")
    n, p = F.shape
    if p >= n:
        raise AssertionError(f"F has P = {p} ≥ n = {n} columns: then Φ (generically) has full row rank and "
                             "every vector, 1 included, is in its span — too easy. Use fewer dimensions "
                             "than nodes.")
    H = th.construct_H(X, W, F)
    if T_free.shape != H.T.shape:
        raise AssertionError(f"T′ must have shape {H.T.shape} (D' × P), got {T_free.shape}")
    best = th.bias_free_head(X, W, F)
    target = F @ H.T.T + H.c  # Â X W
    scale = max(1.0, float(np.linalg.norm(target)))
    err = float(np.linalg.norm(F @ T_free.T - target))
    if best["residual"] > tol * scale:
        raise AssertionError(
            f"no bias-free head can work with this F: 1 is {best['ones_distance']:.3g}·√n away from the "
            f"column span of Φ, so the best T′ still misses ÂXW by {best['residual']:.4g} "
            f"(= ‖(I − Π)1‖·‖c‖). Put 1 in the span — e.g. give F a coordinate that is the same for "
            "every node (and rescale the rest so rows stay unit).")
    if err > tol * scale:
        raise AssertionError(f"your F is right (1 is in the span of Φ) but T′ misses ÂXW by {err:.4g}. "
                             "Solve Φ b = 1 for b (np.linalg.lstsq) and take T′ = T + c bᵀ with the "
                             "proof's T = ½WᵀXᵀΦ and c = ½WᵀXᵀ1.")
    print(f"✓ bias-free: Φ T′ᵀ = ÂXW to {err:.1e} with P = {p} < n = {n} — no bias c needed")
    return best
