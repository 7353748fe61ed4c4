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
    # The old version of this test subtracted ½ Wᵀ Σ x_j from the (zero) difference of the *right*
    # identity, so it could never fail. Here the bias inside the check is wrong, and the check fails.
    x0, x1, w = sympy.symbols("x_00 x_10 w_00")
    half_sum = sympy.Rational(1, 2) * w * (x0 + x1)
    assert th.symbolic_check(2, 1, 1, bias=1) == sympy.zeros(2, 1)
    no_bias = th.symbolic_check(2, 1, 1, bias=0)
    assert all(sympy.simplify(e + half_sum) == 0 for e in no_bias)      # −½ Wᵀ Σ x_j in every row
    assert not no_bias.is_zero_matrix
    double = th.symbolic_check(3, 2, 2, bias=2)
    assert not double.is_zero_matrix and not any(e == 0 for e in double)


def test_bias_free_head_symbolically_when_one_is_in_the_span():
    # P = N, Φ generic: 1 = Φ Φ⁻¹ 1, and T′ = T + c (Φ⁻¹1)ᵀ reproduces ÂXW with no bias at all
    assert th.symbolic_bias_free_check(2, 1, 1).is_zero_matrix
    assert th.symbolic_bias_free_check(3, 1, 2).is_zero_matrix
    # the check can fail: the plain T (b = 0) misses ½ 1 1ᵀ X W
    wrong = th.symbolic_bias_free_check(2, 1, 1, b=sympy.zeros(2, 1))
    x0, x1, w = sympy.symbols("x_00 x_10 w_00")
    assert all(sympy.simplify(e + sympy.Rational(1, 2) * w * (x0 + x1)) == 0 for e in wrong)


def test_bias_free_head_numerically_fails_exactly_when_one_is_outside_the_span():
    rng = np.random.default_rng(13)
    for trial in range(30):
        n, d, d_out, p = int(rng.integers(6, 20)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        X, W, F = rng.standard_normal((n, d)), rng.standard_normal((d, d_out)), _unit(rng, n, p)
        # generic F with P < N: 1 is not in span(Φ), the best bias-free head misses by exactly ‖(I−Π)1‖·‖c‖
        res = th.bias_free_head(X, W, F)
        assert res["residual"] == pytest.approx(res["predicted"], rel=1e-8)
        assert res["residual"] > 1e-3 * res["c_norm"] and res["ones_distance"] > 1e-3
        # a constant coordinate puts 1 in the span: a bias-free head is exact ("c required" is false)
        G = np.hstack([np.full((n, 1), 0.6), 0.8 * F])
        exact = th.bias_free_head(X, W, G)
        assert exact["residual"] <= 1e-9 * max(1.0, exact["c_norm"]) and exact["ones_distance"] < 1e-12
        T_free = exact["T"]
        np.testing.assert_allclose(G @ T_free.T, th.predicted_adjacency(G) @ X @ W, atol=1e-9)
        # N ≤ P: Φ has full row rank, so 1 is in its span too
        wide = th.bias_free_head(X[:4], W, _unit(rng, 4, 6))
        assert wide["residual"] <= 1e-9 * max(1.0, wide["c_norm"])
        # c = 0 (columns of XW sum to zero): no bias needed whatever F is
        Xc = X - X.mean(0)
        centred = th.bias_free_head(Xc, W, F)
        assert centred["c_norm"] < 1e-12 and centred["residual"] < 1e-9


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


# --- one tolerance, one return type, frozen results ------------------------------------------------
def test_bound_holds_and_ratio_share_one_tolerance():
    assert th.bound_holds(1.0 + 0.5 * th.REL_TOL, 1.0)           # rounding above rhs is allowed
    assert th.bound_holds(0.5 * th.ABS_TOL, 0.0)
    assert not th.bound_holds(1.0 + 10 * th.REL_TOL, 1.0)
    assert th.bound_holds(np.array([0.5, 2.0]), np.array([1.0, 1.0])).tolist() == [True, False]
    assert th.bound_ratio(0.0, 3.0) == float("inf") and th.bound_ratio(2.0, 3.0) == 1.5
    inst = th.random_instance(0, n=12, d=4, p=3, noise=0.5)
    res = th.theorem1(inst["X"], inst["W"], inst["F"], inst["A"], "relu")
    two = th.two_layer(inst["X"], inst["W"], inst["W"], inst["F"], inst["A"], "relu")
    for r in (res, two):
        assert r.holds == bool(th.bound_holds(r.lhs, r.rhs)) and r.ratio == th.bound_ratio(r.lhs, r.rhs)


def test_bound_result_is_built_once_and_frozen():
    import dataclasses

    inst = th.random_instance(1, n=15, d=5, p=3, noise=1.0)
    res = th.theorem1(inst["X"], inst["W"], inst["F"], inst["A"], "2tanh")
    assert res.rhs == res.beta * res.R * res.w_norm * res.gap and res.beta == 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.rhs = 0.0
    two = th.two_layer(inst["X"], inst["W"], inst["W"], inst["F"], inst["A"], "relu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        two.lhs = 0.0


def test_theorem1_returns_one_type_and_theorem1_parts_adds_the_outputs():
    import inspect

    inst = th.random_instance(2, n=10, d=4, p=3, noise=0.3)
    args = (inst["X"], inst["W"], inst["F"], inst["A"], "tanh")
    res = th.theorem1(*args)
    assert isinstance(res, th.BoundResult)
    assert "return_parts" not in inspect.signature(th.theorem1).parameters
    same, parts = th.theorem1_parts(*args)
    assert same == res
    assert parts["gcn"].shape == parts["H_X"].shape == (10, 4)
    np.testing.assert_allclose(parts["gcn"], th.gcn_layer(inst["A"], inst["X"], inst["W"], "tanh"))
    np.testing.assert_allclose(parts["H_X"], parts["H"](inst["F"]))
    assert res.lhs == pytest.approx(np.linalg.norm(parts["gcn"] - parts["H_X"]) / np.sqrt(10))
    _, best = th.theorem1_parts(*args, kernel="best")
    assert best["H"] is None and best["H_X"].shape == (10, 4)


def test_unit_rows_theory_raises_where_graphs_renormalises():
    from ramen_edu import graphs

    rng = np.random.default_rng(0)
    F = _unit(rng, 6, 3)
    np.testing.assert_array_equal(th.check_unit_rows(F), F)
    with pytest.raises(ValueError, match="row 0 has norm 2.000000"):
        th.check_unit_rows(2 * F)
    adj = sp.csr_matrix(np.ones((6, 6)))
    np.testing.assert_allclose(graphs.edge_cosines(adj, 2 * F, 3 * F, backend="numpy"),
                               graphs.edge_cosines(adj, F, F, backend="numpy"), rtol=1e-6)
    assert not hasattr(th, "_unit_rows") and not hasattr(graphs, "_unit_rows")  # no same-name twins


# --- the chapter's experiments ---------------------------------------------------------------------
CHAPTER_ACTS = ["identity", "relu", "tanh", "sigmoid", "2tanh"]


def test_noise_sweep_reproduces_the_chapters_table():
    # chapter 3's cpu run: 9 levels × 30 trials × 5 activations, median rhs/lhs per activation
    sweep = th.noise_sweep(np.geomspace(1e-3, 10, 9), 30, CHAPTER_ACTS)
    assert len(sweep) == 1350 and all(r["holds"] for r in sweep)
    summary = th.sweep_summary(sweep)
    assert [r["φ"] for r in summary] == CHAPTER_ACTS
    assert [r["β"] for r in summary] == [1.0, 1.0, 1.0, 0.25, 2.0]
    assert [r["instances"] for r in summary] == [270] * 5 and [r["violations"] for r in summary] == [0] * 5
    assert [float(f"{r['median rhs/lhs']:.3g}") for r in summary] == [4.96, 7.38, 19.0, 12.3, 19.0]
    # what random sweeps cannot see: the tightest instance is still 3.40–5.15 away from equality, so
    # any constant-factor error below ~3.4 in the bound would pass, and the paper's false
    # intermediate inequality holds on all 270 instances (test_sharp_instance_* catches both)
    assert [float(f"{r['min rhs/lhs']:.3g}") for r in summary] == [3.4, 4.29, 5.15, 4.35, 5.15]
    assert [r["paper's step fails"] for r in summary] == [0] * 5
    # each row is theorem1 on the instance the seeded generator gives
    inst = th.random_instance(np.random.default_rng(0), 25, 6, 4, noise=1e-3)
    first = th.theorem1(inst["X"], inst["W"], inst["F"], inst["A"], "identity")
    assert (sweep[0]["lhs"], sweep[0]["rhs"], sweep[0]["noise"]) == (first.lhs, first.rhs, 1e-3)


def test_sweep_summary_skips_zero_left_sides_in_the_median():
    rows = [{"phi": "relu", "beta": 1.0, "lhs": lhs, "rhs": rhs, "holds": th.bound_holds(lhs, rhs)}
            for lhs, rhs in ((1.0, 2.0), (1.0, 4.0), (0.0, 1.0), (3.0, 1.0))]
    (summary,) = th.sweep_summary(rows)
    assert summary == {"φ": "relu", "β": 1.0, "instances": 4, "violations": 1,
                       "min rhs/lhs": pytest.approx(1 / 3), "median rhs/lhs": pytest.approx(2.0)}


def test_looseness_sweep_and_median_ratio_match_the_chapter():
    rows = th.looseness_sweep([10, 20], 4)
    assert len(rows) == 16 and {r["graph"] for r in rows} == {"gaussian", "bernoulli"}
    median = th.median_ratio(rows)
    assert list(median) == [("gaussian", 10), ("bernoulli", 10), ("gaussian", 20), ("bernoulli", 20)]
    # chapter 3's cpu table: N = 10: 6.49 / 7.37, N = 20: 6.97 / 7.05
    assert [round(median[k], 2) for k in median] == [6.49, 7.37, 6.97, 7.05]
    manual = np.median([r["ratio"] for r in rows if r["graph"] == "gaussian" and r["n"] == 10])
    assert median["gaussian", 10] == manual


def test_two_layer_sweep_holds_and_is_exact_at_the_premise():
    rows = th.two_layer_sweep(300, CHAPTER_ACTS)
    assert len(rows) == 300 and all(r["holds"] for r in rows)
    assert max(r["exact_lhs"] for r in rows) < 1e-12
    assert [r["phi"] for r in rows[:6]] == CHAPTER_ACTS + ["identity"]
    # chapter 3's cpu run: median rhs/lhs 172.2
    assert round(float(np.median([r["rhs"] / r["lhs"] for r in rows if r["lhs"] > 0])), 1) == 172.2


def test_fixed_direction_sides_moves_sigma_only():
    base = [th.random_instance(s, n=8, d=3, p=2) for s in range(3)]
    E = [np.random.default_rng(100 + s).standard_normal((8, 8)) for s in range(3)]
    lhs, rhs = th.fixed_direction_sides(base, E, 0.0)
    assert lhs.shape == rhs.shape == (3,) and lhs.max() < 1e-12 and rhs.max() < 1e-12
    lhs, rhs = th.fixed_direction_sides(base, E, 0.7, "tanh")
    direct = th.theorem1(base[1]["X"], base[1]["W"], base[1]["F"], base[1]["A_hat"] + 0.7 * E[1], "tanh")
    assert (lhs[1], rhs[1]) == (direct.lhs, direct.rhs) and th.bound_holds(lhs, rhs).all()


class _HashEncoder:
    """A deterministic stand-in for an Encoder: unit rows from a seeded hash of each text."""

    dim = 8

    def embed(self, texts, progress=True):
        rows = [np.random.default_rng(sum(map(ord, t))).standard_normal(self.dim) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows])


def test_premise_table_is_premise_report_per_anchor_set(tiny_world):
    from ramen_edu.data.anchors import documents_with_anchors

    doc_ids = documents_with_anchors(tiny_world, 40)
    rows, embedded = th.premise_table(_HashEncoder(), tiny_world, doc_ids, k=10)
    assert [(r["anchors of"], r["graph"]) for r in rows] == [
        (name, graph) for name in tiny_world.anchors for graph in ("bipartite", "block")]
    docs, anchors, E = embedded[rows[0]["anchors of"]]
    assert docs.shape == (40, 8) and E.shape == (40, anchors.shape[0]) and E.getnnz(axis=0).min() > 0
    rep = th.premise_report(docs, anchors, E, k=10, floor=True)
    assert rows[0]["R@10 %"] == 100 * rep["recall_at_k"] and rows[0]["edges"] == rep["edges"]
    assert rows[1]["‖A−Â‖₂"] == rep["block"]["gap"] and rows[0]["σ_(P+2)(A)"] == rep["bipartite"]["floor"]


def test_format_rows_aligns_columns():
    text = th.format_rows([{"φ": "relu", "ratio": 7.3812}, {"φ": "identity", "ratio": 12}], digits=3)
    assert text.splitlines() == ["       φ  ratio", "    relu   7.38", "identity     12"]


def test_chapter_figures():
    from ramen_edu import viz

    sweep = th.noise_sweep([0.1, 1.0], 2, ["relu", "sigmoid"], n=8, d=3, p=2)
    fig = viz.sides_figure(sweep)
    assert [t.name for t in fig.data] == ["relu (β=1)", "sigmoid (β=0.25)", "lhs = rhs"]
    rows = th.looseness_sweep([6, 8], 1)
    assert [t.name for t in viz.looseness_figure(th.median_ratio(rows), [6, 8]).data] == [
        "A: gaussian", "A: bernoulli"]
    base = [th.random_instance(s, n=6, d=3, p=2) for s in range(4)]
    E = [np.ones((6, 6)) for _ in base]
    assert viz.noise_level_figure(base, E, 0.5).layout.title.text.endswith("lhs ≤ rhs in 4/4 instances")
    assert type(viz.explore_noise_level(base, E, ["relu", "tanh"])).__name__ == "VBox"


# --- sharp instances: constants, not just signs (issue 12) ----------------------------------------
LINEAR3 = th.Activation("3z", lambda z: 3.0 * np.asarray(z, dtype=np.float64), 3.0)


@pytest.mark.parametrize("n,seed", [(4, 0), (9, 1), (16, 2), (25, 3)])
def test_sharp_instance_is_tight_and_breaks_the_papers_step(n, seed):
    inst = th.sharp_instance(n, seed=seed)
    # the corrected proof: every inequality an equality, so rhs = lhs to 1e-9, for β = 1 and β = 3
    for phi in ("identity", LINEAR3):
        res = th.theorem1(inst["X"], inst["W"], inst["F"], inst["A"], phi)
        assert res.gap > 0.1 and res.holds
        assert res.ratio == pytest.approx(1.0, abs=1e-9), res
        # so the sharp instance catches any constant-factor error in the bound, however small
        assert not th.bound_holds(res.lhs, (1 - 1e-6) * res.rhs)
    slack = th.slack_factors(inst["X"], inst["W"], inst["F"], inst["A"], "identity")
    assert all(v == pytest.approx(1.0, abs=1e-9) for v in slack.values()), slack
    # the paper's intermediate inequality ‖(A−Â)XW‖_F ≤ ‖A−Â‖₂‖X‖₂‖W‖₂ fails, by exactly √n;
    # the corrected one (‖X‖_F for ‖X‖₂) holds with equality
    step = th.paper_step_sides(inst["X"], inst["W"], inst["F"], inst["A"])
    assert not step["paper_holds"] and step["corrected_holds"]
    assert step["lhs"] / step["paper"] == pytest.approx(np.sqrt(n), rel=1e-9)
    assert step["corrected"] / step["lhs"] == pytest.approx(1.0, abs=1e-9)


def test_papers_step_holds_on_random_instances_which_is_why_sweeps_miss_it():
    rng = np.random.default_rng(0)
    fails = sum(not th.paper_step_sides(**{k: v for k, v in th.random_instance(rng, 25, 6, 4, noise=s).items()
                                          if k != "A_hat"})["paper_holds"]
                for s in np.geomspace(1e-3, 10, 9) for _ in range(5))
    assert fails == 0


# --- the premise on a rectangular block vs the square graph ----------------------------------------
def _block(seed, n=60, m=25, p=6, density=0.08):
    rng = np.random.default_rng(seed)
    E = sp.random(n, m, density=density, random_state=seed, format="csr")
    E.data[:] = 1.0
    return E, _unit(rng, n, p), _unit(rng, m, p)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_type_coordinate_keeps_rankings_and_breaks_the_block_lower_bound(seed):
    E, docs, anchors = _block(seed)
    n, m = E.shape
    e_norm = th.spectral_norm(E)
    gap0 = th.gap_norm(E, docs, anchors)
    # the claim chapter 3 used to make for the block: ‖E − Â‖₂ ≥ (its N/2 − d̄), "for every F"
    claimed_floor = np.sqrt(n * m) / 2 - E.sum() / np.sqrt(n * m)
    assert gap0 >= claimed_floor > 2 * e_norm  # true for the plain F ...
    order = np.argsort(-(docs @ anchors.T), axis=1, kind="stable")
    gaps = []
    for alpha in (0.5, 0.9, 0.99, 0.999):
        Fo, Fi = th.add_type_coordinate(docs, anchors, alpha)
        np.testing.assert_allclose(np.linalg.norm(Fo, axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(th.predicted_adjacency(Fo, Fi), (1 - alpha ** 2) * th.predicted_adjacency(docs, anchors),
                                   atol=1e-12)
        # ... every document ranks the anchors exactly as before ...
        np.testing.assert_array_equal(np.argsort(-(Fo @ Fi.T), axis=1, kind="stable"), order)
        gaps.append(th.gap_norm(E, Fo, Fi))
    # ... and the gap falls far below that "floor", to ‖E‖₂ (α = 1) and below it
    assert max(gaps[1:]) < claimed_floor / 3 and min(gaps) < e_norm
    Fo, Fi = th.add_type_coordinate(docs, anchors, 1.0)
    assert th.gap_norm(E, Fo, Fi) == pytest.approx(e_norm, rel=1e-12)
    rows = th.type_coordinate_sweep(E, docs, anchors, alphas=(0.0, 0.9), k=5)
    assert rows[0]["‖E_XA−Â′‖₂"] == pytest.approx(gap0, rel=1e-9)
    assert rows[-1]["‖E_XA−Â′‖₂"] < e_norm and len({r["R@5 %"] for r in rows}) == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_square_lower_bound_holds_for_every_F(seed):
    E, docs, anchors = _block(seed)
    S = th.bipartite_adjacency(E)
    bound = th.square_lower_bound(S)
    assert bound == pytest.approx(S.shape[0] / 2 - S.sum() / S.shape[0])
    rng = np.random.default_rng(seed)
    both = np.vstack([docs, anchors])
    candidates = [both, _unit(rng, S.shape[0], 3), np.tile([[1.0, 0.0]], (S.shape[0], 1)),
                  np.vstack(th.add_type_coordinate(docs, anchors, 0.999))]   # the block's trick, one F
    for F in candidates:
        assert th.gap_norm(S, F) >= bound - 1e-9
    rep = th.premise_report(docs, anchors, E, k=5)
    assert rep["bipartite"]["every_F_bound"] == pytest.approx(bound)
    assert rep["bipartite"]["gap"] >= rep["bipartite"]["every_F_bound"]
    assert np.isnan(rep["block"]["every_F_bound"])
    with pytest.raises(ValueError, match="square"):
        th.square_lower_bound(E)


def test_least_squares_kernel_can_be_worse_than_zero():
    # a star on 3 nodes whose F is constant: span[1, F] = span{1}; least squares keeps the mean
    # edge weight, and in spectral norm that is worse than predicting no edges at all
    A = np.array([[0.0, 0, 1], [0, 0, 1], [1, 1, 0]])
    F = np.tile([[1.0, 0.0]], (3, 1))
    a_norm = th.spectral_norm(A)
    ls = th.best_kernel_gap(A, F)
    assert a_norm == pytest.approx(np.sqrt(2))
    assert ls > 1.04 * a_norm
    np.testing.assert_allclose(ls, th.spectral_norm(A - A.mean() * np.ones((3, 3))), rtol=1e-12)
    # ... while in Frobenius norm it is the best kernel there is
    assert np.linalg.norm(A - A.mean()) < np.linalg.norm(A)
    # and Â = 0 is itself a kernel of F: the constant network H ≡ φ(0)
    X, W = np.eye(3), np.eye(3)
    zero = th.theorem1(X, W, F, A, "relu", kernel="zero")
    best = th.theorem1(X, W, F, A, "relu", kernel="best")
    assert zero.gap == pytest.approx(a_norm) and best.gap == pytest.approx(ls) and best.rhs > zero.rhs


def test_zero_kernel_is_the_constant_network():
    inst = th.random_instance(4, n=14, d=5, p=3, noise=1.0)
    for phi in ("relu", "sigmoid", "tanh"):
        res, parts = th.theorem1_parts(inst["X"], inst["W"], inst["F"], inst["A"], phi, kernel="zero")
        act = th.get_activation(phi)
        np.testing.assert_array_equal(parts["H_X"], act(np.zeros((14, 5))))
        assert not parts["H"].T.any() and not parts["H"].c.any()
        assert res.gap == pytest.approx(np.linalg.norm(inst["A"], 2)) and res.holds
    with pytest.raises(ValueError, match="'zero'"):
        th.theorem1(inst["X"], inst["W"], inst["F"], inst["A"], kernel="spectral")


def test_premise_report_keys_and_ls_kernel_column(tiny_world):
    from ramen_edu.data.anchors import documents_with_anchors

    rows, _ = th.premise_table(_HashEncoder(), tiny_world, documents_with_anchors(tiny_world, 30), k=5)
    assert "LS kernel" in rows[0] and "best kernel" not in rows[0]
    square, block = rows[0], rows[1]
    assert square["graph"] == "bipartite" and square["‖A−Â‖₂"] >= square["any-F bd"] > 0
    assert np.isnan(block["any-F bd"])


def test_bias_free_exercise_check():
    from ramen_edu.exercises import theory as ex

    rng = np.random.default_rng(21)
    n, X, W = 6, rng.standard_normal((6, 3)), rng.standard_normal((3, 2))
    G = _unit(rng, n, 2)
    F = np.hstack([np.full((n, 1), 0.6), 0.8 * G])            # a constant coordinate: 1 = Φ b
    H = th.construct_H(X, W, F)
    b, *_ = np.linalg.lstsq(F, np.ones(n), rcond=None)
    ex.check_bias_free_head(X, W, F, H.T + np.outer(H.c, b))
    with pytest.raises(AssertionError, match="T′ = T \\+ c bᵀ"):
        ex.check_bias_free_head(X, W, F, H.T)                   # the plain T: the bias is missing
    with pytest.raises(AssertionError, match="no bias-free head can work"):
        ex.check_bias_free_head(X, W, _unit(rng, n, 3), np.zeros((2, 3)))
    with pytest.raises(AssertionError, match="too easy"):
        ex.check_bias_free_head(X, W, _unit(rng, n, 6), np.zeros((2, 6)))


# --- sum vs mean aggregation ------------------------------------------------------------------------
def _sparse_block(seed, n=200, m=500, p=8, density=0.01):
    """A sparse 0/1 documents × anchors block, every document with at least one anchor."""
    rng = np.random.default_rng(seed)
    E = sp.random(n, m, density=density, random_state=seed, format="csr")
    E.data[:] = 1.0
    E = E[np.asarray(E.sum(axis=1)).ravel() > 0]
    return E, _unit(rng, E.shape[0], p), _unit(rng, m, p)


@pytest.mark.parametrize("seed", [0, 1])
def test_mean_aggregation_removes_the_premise_penalty_of_sum_on_a_sparse_graph(seed):
    E, docs, anchors = _sparse_block(seed)
    rows = {r["aggregation"]: r for r in th.aggregation_premise(E, docs, anchors)}
    # sum: the paper's Â puts about ½ on every pair, tens of times the sparse block's own norm
    assert rows["sum"]["ratio"] > 20
    assert rows["sum"]["‖layer‖₂"] == pytest.approx(th.spectral_norm(E))
    # mean: rows of both matrices sum to 1, and the paper's kernel is as good as H ≡ φ(0), no better
    assert rows["mean"]["ratio"] == pytest.approx(1.0, abs=0.05)
    assert rows["mean"]["‖layer‖₂"] >= 1 - 1e-12       # Δ⁻¹A 1 = 1
    # both against a dense computation written out here, and the matrix-free path against both
    deg = np.asarray(E.sum(axis=1)).ravel()
    A_hat = th.predicted_adjacency(docs, anchors)
    dense_mean = E.toarray() / deg[:, None] - A_hat / A_hat.sum(axis=1, keepdims=True)
    assert rows["mean"]["‖layer−kernel‖₂"] == pytest.approx(np.linalg.norm(dense_mean, 2), rel=1e-10)
    assert rows["sum"]["‖layer−kernel‖₂"] == pytest.approx(np.linalg.norm(E.toarray() - A_hat, 2), rel=1e-10)
    for r in th.aggregation_premise(E, docs, anchors, method="svds"):
        assert r["‖layer−kernel‖₂"] == pytest.approx(rows[r["aggregation"]]["‖layer−kernel‖₂"], rel=1e-8)


def test_mean_gap_operator_transpose_and_square_graph():
    E, docs, anchors = _sparse_block(3, n=40, m=60, density=0.08)
    op = th.gap_operator(E, docs, anchors, aggregation="mean")
    dense = op @ np.eye(E.shape[1])
    rng = np.random.default_rng(0)
    u = rng.standard_normal(E.shape[0])
    np.testing.assert_allclose(op.rmatvec(u), dense.T @ u, atol=1e-12)
    # on the square bipartite graph too (anchors with no document in the block are dropped)
    keep = np.unique(E.indices)
    S = th.bipartite_adjacency(E[:, keep])
    both = np.vstack([docs, anchors[keep]])
    rows = {r["aggregation"]: r for r in th.aggregation_premise(S, both)}
    assert rows["mean"]["ratio"] < 1.05 < 5 < rows["sum"]["ratio"]


def test_mean_aggregation_names_empty_rows_and_bad_names():
    E, docs, anchors = _block(0)
    empty = np.flatnonzero(np.asarray(E.sum(axis=1)).ravel() == 0)
    assert empty.size                                    # the fixture has documents without anchors
    with pytest.raises(ValueError, match=f"first: row {empty[0]}.*documents_with_anchors"):
        th.aggregation_premise(E, docs, anchors)
    assert [r["aggregation"] for r in th.aggregation_premise(E, docs, anchors, aggregations=("sum",))] == ["sum"]
    with pytest.raises(ValueError, match="aggregation must be one of"):
        th.gap_norm(E, docs, anchors, aggregation="max")
