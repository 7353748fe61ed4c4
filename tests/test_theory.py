"""Theorem 1 (RAMEN §3, App. E): the identity, the bound, the norms, the two-layer extension."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

from ramen_edu import theory as th

ACTS = ["identity", "relu", "tanh", "sigmoid", "leaky_relu", "2tanh"]


def _unit(rng, n, p):
    F = rng.standard_normal((n, p))
    return F / np.linalg.norm(F, axis=1, keepdims=True)


# --- the algebraic step ---------------------------------------------------------------------------
@pytest.mark.parametrize("n,d,p,d_out", [(2, 1, 1, 1), (3, 2, 2, 2), (3, 2, 3, 1)])
def test_symbolic_identity_is_exactly_zero(n, d, p, d_out):
    diff = th.symbolic_check(n, d, p, d_out)
    assert diff.shape == (n, d_out)
    assert diff == sympy.zeros(n, d_out), diff


def test_symbolic_identity_catches_a_wrong_bias():
    # the check must be able to fail: drop c and the difference is ½ Wᵀ Σ x_j, not zero
    n, d = 2, 1
    x = sympy.symbols("x_00 x_10")
    w = sympy.Symbol("w_00")
    diff = th.symbolic_check(n, d, 1)
    wrong = diff[0, 0] - sympy.Rational(1, 2) * w * (x[0] + x[1])
    assert sympy.simplify(wrong) != 0


def test_symbolic_identity_for_symbolic_sizes():
    assert th.symbolic_check_matrix().is_ZeroMatrix


# --- H reproduces φ(ÂXW) exactly -----------------------------------------------------------------
@pytest.mark.parametrize("phi", ACTS)
def test_exact_premise_gives_zero(phi):
    rng = np.random.default_rng(1)
    for seed in range(20):
        inst = th.random_instance(rng, n=int(rng.integers(2, 30)), d=int(rng.integers(1, 8)),
                                  p=int(rng.integers(1, 6)))
        # A = Â, but computed independently of the module's own Â
        F = inst["F"]
        A = (1.0 + np.einsum("ip,jp->ij", F, F)) / 2
        res = th.theorem1(inst["X"], inst["W"], F, A, phi)
        assert res.lhs <= 1e-5, (seed, res)
        assert res.gap <= 1e-10
        assert res.holds


def test_H_matches_gcn_on_predicted_graph_rectangular():
    rng = np.random.default_rng(2)
    X, W = rng.standard_normal((7, 3)), rng.standard_normal((3, 4))
    F_in, F_out = _unit(rng, 7, 2), _unit(rng, 5, 2)
    H = th.construct_H(X, W, F_in, "tanh")
    assert H.T.shape == (4, 2) and H.c.shape == (4,)
    want = np.tanh(th.predicted_adjacency(F_out, F_in) @ X @ W)
    np.testing.assert_allclose(H(F_out), want, atol=1e-12)


# --- the bound over many random instances ---------------------------------------------------------
def test_bound_holds_over_1200_random_instances():
    rng = np.random.default_rng(2024)
    checked = 0
    for trial in range(200):
        n, d, p = int(rng.integers(2, 25)), int(rng.integers(1, 7)), int(rng.integers(1, 6))
        kind = trial % 4
        inst = th.random_instance(rng, n, d, p, noise=float(rng.uniform(0, 3)), binary=kind == 3)
        A = inst["A"]
        if kind == 1:  # non-negative, sparse, unrelated to F
            A = (rng.random((n, n)) < 0.2).astype(float)
        elif kind == 2:  # row-normalised (mean aggregation of a random graph)
            A = rng.random((n, n)) * (rng.random((n, n)) < 0.5)
            A = A / np.maximum(A.sum(1, keepdims=True), 1e-12)
        for phi in ACTS:
            res = th.theorem1(inst["X"], inst["W"], inst["F"], A, phi)
            assert res.holds, f"bound violated, trial {trial}, phi {phi}: {res}\nX={inst['X']}\nA={A}"
            checked += 1
    assert checked >= 1000


def test_bound_holds_on_adversarial_instances():
    # few distinct x_i (where ReLU kinks and row norms are equal) and A − Â aligned with X
    rng = np.random.default_rng(7)
    for trial in range(100):
        n, d = int(rng.integers(2, 12)), int(rng.integers(1, 4))
        r = rng.standard_normal(d)
        X = np.outer(rng.choice([-1.0, 1.0], n), r)
        W = rng.standard_normal((d, d))
        F = _unit(rng, n, 2)
        u = np.sign(X[:, 0]) / np.sqrt(n)
        A = th.predicted_adjacency(F) + rng.uniform(0, 5) * np.outer(u, u)
        for phi in ACTS:
            res = th.theorem1(X, W, F, A, phi)
            assert res.holds, f"trial {trial}, {phi}: {res}"


def test_tight_instance_reaches_ratio_one():
    # all rows equal, A − Â = ε 11ᵀ/N: every inequality in the proof is an equality for φ = identity
    n, eps = 6, 0.3
    X = np.ones((n, 1)) @ np.array([[2.0, 0.0]])  # along W's top singular direction
    W = np.diag([3.0, 1.0])
    F = np.tile([[1.0, 0.0]], (n, 1))
    A = th.predicted_adjacency(F) + eps * np.ones((n, n)) / n
    res = th.theorem1(X, W, F, A, "identity")
    assert res.ratio == pytest.approx(1.0, rel=1e-9)
    slack = th.slack_factors(X, W, F, A, "identity")
    assert all(v == pytest.approx(1.0, rel=1e-9) for v in slack.values()), slack


def test_slack_factors_multiply_to_the_ratio():
    inst = th.random_instance(3, n=15, d=4, p=3, noise=1.0)
    res = th.theorem1(inst["X"], inst["W"], inst["F"], inst["A"], "tanh")
    slack = th.slack_factors(inst["X"], inst["W"], inst["F"], inst["A"], "tanh")
    assert all(v >= 1 - 1e-9 for v in slack.values())
    assert np.prod(list(slack.values())) == pytest.approx(res.ratio, rel=1e-8)


# --- spectral norms -------------------------------------------------------------------------------
def test_spectral_norm_agrees_with_numpy():
    rng = np.random.default_rng(4)
    for shape in [(1, 1), (2, 5), (9, 9), (40, 17)]:
        M = rng.standard_normal(shape)
        assert th.spectral_norm(M) == pytest.approx(np.linalg.norm(M, 2), rel=1e-12)
        if min(shape) >= 3:
            assert th.spectral_norm(M, method="svds") == pytest.approx(np.linalg.norm(M, 2), rel=1e-8)
    S = sp.random(50, 30, density=0.1, random_state=0, format="csr")
    assert th.spectral_norm(S, method="svds") == pytest.approx(np.linalg.norm(S.toarray(), 2), rel=1e-8)


def test_spectral_not_frobenius():
    M = np.eye(4)
    assert th.spectral_norm(M) == pytest.approx(1.0)  # Frobenius would be 2


def test_matrix_free_gap_matches_dense():
    rng = np.random.default_rng(5)
    A = sp.random(120, 80, density=0.05, random_state=1, format="csr")
    F_out, F_in = _unit(rng, 120, 6), _unit(rng, 80, 6)
    dense = np.linalg.norm(A.toarray() - th.predicted_adjacency(F_out, F_in), 2)
    assert th.gap_norm(A, F_out, F_in, method="svds") == pytest.approx(dense, rel=1e-8)
    assert th.gap_norm(A, F_out, F_in, method="dense") == pytest.approx(dense, rel=1e-12)
    op = th.gap_operator(A, F_out, F_in)
    v = rng.standard_normal(80)
    np.testing.assert_allclose(op @ v, (A.toarray() - th.predicted_adjacency(F_out, F_in)) @ v, atol=1e-10)
    u = rng.standard_normal(120)
    np.testing.assert_allclose(op.rmatvec(u), (A.toarray() - th.predicted_adjacency(F_out, F_in)).T @ u,
                               atol=1e-10)


# --- two layers -----------------------------------------------------------------------------------
def test_two_layer_exact_and_bound():
    rng = np.random.default_rng(6)
    for trial in range(60):
        n, d = int(rng.integers(2, 20)), int(rng.integers(1, 6))
        inst = th.random_instance(rng, n, d, int(rng.integers(1, 5)), noise=float(rng.uniform(0, 2)))
        W2 = rng.standard_normal((d, 3))
        phi = ACTS[trial % len(ACTS)]
        res = th.two_layer(inst["X"], inst["W"], W2, inst["F"], inst["A"], phi)
        assert res.holds, f"trial {trial} {phi}: lhs {res.lhs} rhs {res.rhs}"
        exact = th.two_layer(inst["X"], inst["W"], W2, inst["F"], inst["A_hat"], phi)
        assert exact.lhs <= 1e-5


# --- real-graph helpers ---------------------------------------------------------------------------
def test_bipartite_adjacency_and_premise_report():
    rng = np.random.default_rng(8)
    E = sp.random(30, 12, density=0.15, random_state=2, format="csr")
    S = th.bipartite_adjacency(E)
    assert S.shape == (42, 42) and (S != S.T).nnz == 0
    assert S[:30, :30].nnz == 0 and S[30:, 30:].nnz == 0 and set(S.data) == {1.0}
    doc, anc = _unit(rng, 30, 5), _unit(rng, 12, 5)
    rep = th.premise_report(doc, anc, E, k=5)
    for key in ("block", "bipartite"):
        assert rep[key]["lower_bound"] <= rep[key]["gap"] + 1e-9
    both = np.vstack([doc, anc])
    dense = np.linalg.norm(S.toarray() - th.predicted_adjacency(both), 2)
    assert rep["bipartite"]["gap"] == pytest.approx(dense, rel=1e-8)


def test_edge_recall_perfect_and_partial():
    anchors = np.eye(4)
    docs = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]])
    E = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=float))
    assert th.edge_recall_at_k(docs, anchors, E, k=1) == pytest.approx(2 / 3)
    assert th.edge_recall_at_k(docs, anchors, E, k=4) == pytest.approx(1.0)


# --- bad input ------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(9)
    X, W, F = rng.standard_normal((4, 2)), rng.standard_normal((2, 2)), _unit(rng, 4, 3)
    with pytest.raises(ValueError, match="unit-norm rows"):
        th.theorem1(X, W, 2 * F, np.eye(4))
    with pytest.raises(ValueError, match=r"A has shape \(3, 3\)"):
        th.theorem1(X, W, F, np.eye(3))
    with pytest.raises(ValueError, match="unknown activation"):
        th.theorem1(X, W, F, np.eye(4), "swish")
    with pytest.raises(ValueError, match="W has 3 rows"):
        th.theorem1(X, rng.standard_normal((3, 3)), F, np.eye(4))
    with pytest.raises(ValueError, match="F_in has 3 rows"):
        th.construct_H(X, W, F[:3])
    with pytest.raises(ValueError, match="NaN"):
        th.theorem1(np.full((4, 2), np.nan), W, F, np.eye(4))
    with pytest.raises(TypeError, match="scipy.sparse"):
        th.bipartite_adjacency(np.eye(3))
    with pytest.raises(ValueError, match="method"):
        th.spectral_norm(np.eye(3), method="power")


def test_best_kernel_gap_and_floor():
    rng = np.random.default_rng(10)
    F_out, F_in = _unit(rng, 40, 3), _unit(rng, 30, 3)
    # A inside the span of [1, F]: the best kernel reproduces it exactly
    M = rng.standard_normal((4, 4))
    A_in = np.hstack([np.ones((40, 1)), F_out]) @ M @ np.hstack([np.ones((30, 1)), F_in]).T
    assert th.best_kernel_gap(A_in, F_out, F_in) <= 1e-10
    A = sp.random(40, 30, density=0.1, random_state=3, format="csr")
    best = th.best_kernel_gap(A, F_out, F_in)
    assert best == pytest.approx(th.best_kernel_gap(A, F_out, F_in, method="svds"), rel=1e-8)
    # no rank-(P+1) matrix beats σ_{P+2}(A)
    floor = th.eckart_young_floor(A, 4)
    assert floor == pytest.approx(np.linalg.svd(A.toarray(), compute_uv=False)[4])
    assert floor <= best + 1e-12 and floor <= th.gap_norm(A, F_out, F_in) + 1e-12


# --- the chapter's auto-checks ----------------------------------------------------------------------
def test_exercise_checks_accept_right_and_explain_wrong():
    from ramen_edu.exercises import theory as ex

    n, eps = 5, 0.2
    X = np.tile([[2.0, 0.0]], (n, 1))
    W = np.diag([3.0, 1.0])
    F = np.tile([[0.0, 1.0]], (n, 1))
    A = th.predicted_adjacency(F) + eps * np.ones((n, n)) / n
    ex.check_tight_instance(X, W, F, A)
    with pytest.raises(AssertionError, match="weight"):
        ex.check_tight_instance(np.tile([[0.0, 2.0]], (n, 1)), W, F, A)
    with pytest.raises(AssertionError, match="A = Â"):
        ex.check_tight_instance(X, W, F, th.predicted_adjacency(F))

    rng = np.random.default_rng(0)
    inst = th.random_instance(rng, 30, 4, 3)
    with pytest.raises(AssertionError, match="still close"):
        ex.check_broken_premise(inst["X"], inst["W"], inst["F"], inst["A_hat"] + 1e-3)
    A_rand = (rng.random((30, 30)) < 0.1).astype(float)
    assert ex.check_broken_premise(inst["X"], inst["W"], inst["F"], A_rand, "identity")["relative_error"] > 0.5

    def mean_H(X, W, F, phi):
        H = th.construct_H(X, W, F, phi)
        deg = 0.5 * (len(F) + F @ F.sum(0))
        return H.activation(H.preactivation(F) / deg[:, None])

    ex.check_mean_aggregation_H(mean_H)

    def sum_H(X, W, F, phi):
        return th.construct_H(X, W, F, phi)(F)

    with pytest.raises(AssertionError, match="sum aggregation"):
        ex.check_mean_aggregation_H(sum_H)


def test_best_kernel_bound_holds_and_beats_paper_kernel_in_frobenius():
    rng = np.random.default_rng(11)
    for trial in range(50):
        n = int(rng.integers(5, 25))
        inst = th.random_instance(rng, n, 3, 2)
        A = (rng.random((n, n)) < 0.2).astype(float)
        for phi in ("relu", "tanh"):
            best = th.theorem1(inst["X"], inst["W"], inst["F"], A, phi, kernel="best")
            assert best.holds, (trial, phi, best)
        Q = th.kernel_basis(inst["F"])
        fro_best = np.linalg.norm(A - Q @ Q.T @ A @ Q @ Q.T)
        assert fro_best <= np.linalg.norm(A - inst["A_hat"]) + 1e-9


def test_premise_report_a_hat_norm_matches_dense():
    rng = np.random.default_rng(12)
    E = sp.random(20, 9, density=0.2, random_state=4, format="csr")
    doc, anc = _unit(rng, 20, 4), _unit(rng, 9, 4)
    rep = th.premise_report(doc, anc, E, k=3)
    assert rep["block"]["A_hat_norm"] == pytest.approx(np.linalg.norm(th.predicted_adjacency(doc, anc), 2))
    both = np.vstack([doc, anc])
    assert rep["bipartite"]["A_hat_norm"] == pytest.approx(np.linalg.norm(th.predicted_adjacency(both), 2))
