"""RAMEN's Theorem 1 (§3, App. E), made checkable: a GCN layer is approximated by a non-GCN network.

Setting (App. E, symbols as in /docs/RAMEN.md). X ∈ R^{n×D} holds node features x_i as rows,
W ∈ R^{D×D'} a GCN weight, A ∈ R^{n×n} an adjacency, φ a β-Lipschitz activation applied
coordinate-wise. A GCN layer computes φ(AXW); its row i is φ(Wᵀ Σ_j a_ij x_j)ᵀ.

An edge predictor F maps every node to the unit sphere 𝕊^{P-1}; stack Φ = [F(x_1); …; F(x_n)]
(n × P). It predicts the adjacency

    Â = ½(1 1ᵀ + Φ Φᵀ),      â_ij = (1 + F(x_i)ᵀF(x_j)) / 2.

The proof builds the non-GCN network H(x) = φ(T F(x) + c) with

    T = ½ Wᵀ Σ_j x_j F(x_j)ᵀ = ½ Wᵀ Xᵀ Φ   (D' × P),     c = ½ Wᵀ Σ_j x_j = ½ Wᵀ Xᵀ 1   (D',),

and the identity T F(x_i) + c = Wᵀ Σ_j â_ij x_j — in matrix form ΦTᵀ + 1cᵀ = ÂXW, which is
distributivity (checked symbolically by :func:`symbolic_check`) — gives H(X) = φ(ÂXW) *exactly*.
The Lipschitz property and ‖UXW‖_F ≤ ‖U‖₂ ‖X‖_F ‖W‖₂ (any matrix U) with ‖X‖_F ≤ √n R then give

    (1/√n) ‖φ(AXW) − H(X)‖_F  ≤  β · R · ‖W‖₂ · ‖A − Â‖₂,     R = max_i ‖x_i‖₂.

The paper's last line uses ‖X‖₂ where ‖X‖_F is needed: ‖(A − Â)XW‖_F ≤ ‖A − Â‖₂‖X‖₂‖W‖₂ is false
(:func:`paper_step_sides`; :func:`sharp_instance` makes it fail by √n while the theorem holds with
equality). The bias c is needed *for this T*: a bias-free head φ(T′F(x)) reproduces ÂXW exactly
iff 1 lies in the column span of Φ (always when n ≤ P and Φ has full row rank) or c = 0
(:func:`bias_free_head`, :func:`symbolic_bias_free_check`).

The bound is informative only when ‖A − Â‖₂ < ‖A‖₂: the constant network H ≡ φ(0) (T = 0, c = 0,
i.e. Â = 0; ``kernel="zero"`` in :func:`theorem1_parts`) already satisfies it with ‖A‖₂.

Nothing in the proof needs φ(0) = 0, A ∈ [0,1], symmetry, or a square A: for a rectangular
A (n_out × n_in, e.g. documents × anchors) the same proof holds with X the n_in input rows,
Φ_out/Φ_in the predictor on each side, and 1/√n_in in front. The two-layer extension (App. E.2)
is :func:`two_layer`.

On a square 0/1 graph with one F, ‖A − Â‖₂ ≥ 1ᵀ(Â − A)1/n ≥ n/2 − d̄ for every F (d̄ the average
degree). On a rectangular block that bound is *not* F-free: :func:`add_type_coordinate` gives
documents and anchors an extra coordinate ±α, which keeps every document's ranking of the anchors
and scales Â by 1 − α², so ‖E_XA − Â‖₂ falls to ‖E_XA‖₂ (α → 1) and below.

Everything is float64 numpy: the point is to check inequalities, not to be fast. Nothing here
forms an n × n matrix unless asked to: H(X) is computed from T and c, and ‖A − Â‖₂ from a
matrix-free operator (Â is rank P + 1).

Symbols follow book/notation.md: n nodes (N is reserved for documents, M for anchors), E_XA
the document → anchor block, Ω a kernel's (P+1) × (P+1) core, Δ = diag(A1) a degree matrix, Ξ a
noise matrix, κ = 1 − α² the type coordinate's scale, 𝕊^{P−1} the unit sphere.

Taught in: book/03_theorem1.ipynb
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ramen_edu.metrics import recall_at_k
from ramen_edu.tables import text_table

__all__ = [
    "Activation", "ACTIVATIONS", "get_activation", "predicted_adjacency", "gcn_layer", "NonGCN",
    "construct_H", "construct_K", "spectral_norm", "gap_operator", "gap_norm", "BoundResult",
    "theorem1", "theorem1_parts", "REL_TOL", "ABS_TOL", "bound_holds", "bound_ratio", "check_unit_rows",
    "TwoLayerResult", "two_layer", "slack_factors", "random_instance", "symbolic_check",
    "symbolic_check_matrix", "bipartite_adjacency", "edge_recall_at_k", "premise_report",
    "AGGREGATIONS", "aggregation_premise", "kernel_basis", "best_kernel_gap", "eckart_young_floor",
    "noise_sweep", "sweep_summary",
    "looseness_sweep", "median_ratio", "two_layer_sweep", "fixed_direction_sides", "premise_table",
    "format_rows", "paper_step_sides", "sharp_instance", "bias_free_head", "symbolic_bias_free_check",
    "add_type_coordinate", "type_coordinate_sweep", "square_lower_bound",
]

# Above this many entries a dense A − Â is not formed; the spectral norm comes from svds.
_DENSE_LIMIT = 4_000_000


# --- activations ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Activation:
    """A coordinate-wise activation φ with its Lipschitz constant β (|φ(u) − φ(v)| ≤ β|u − v|).
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    beta: float

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.fn(z)

    @property
    def zero_at_zero(self) -> bool:
        """Whether φ(0) = 0 (Theorem 1 does not need it; an a-priori two-layer bound does)."""
        return bool(abs(float(self.fn(np.zeros(1))[0])) < 1e-12)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", lambda z: np.asarray(z, dtype=np.float64), 1.0),
    "relu": Activation("relu", lambda z: np.maximum(z, 0.0), 1.0),
    "tanh": Activation("tanh", np.tanh, 1.0),
    "sigmoid": Activation("sigmoid", _sigmoid, 0.25),  # max of σ' = σ(1−σ) is 1/4, at 0
    "leaky_relu": Activation("leaky_relu", lambda z: np.where(z > 0, z, 0.1 * z), 1.0),
    "2tanh": Activation("2tanh", lambda z: 2.0 * np.tanh(z), 2.0),  # β ≠ 1, so β is exercised
}


def get_activation(phi: str | Activation) -> Activation:
    """``"relu"`` / ``"tanh"`` / ``"identity"`` / ``"sigmoid"`` / ``"leaky_relu"`` / ``"2tanh"`` or an
    :class:`Activation` (for your own φ, give its Lipschitz constant).
    """
    if isinstance(phi, Activation):
        return phi
    if isinstance(phi, str) and phi in ACTIVATIONS:
        return ACTIVATIONS[phi]
    raise ValueError(f"unknown activation {phi!r}: use one of {sorted(ACTIVATIONS)} or "
                     "Activation(name, fn, beta) with fn's Lipschitz constant beta")


# --- validation ----------------------------------------------------------------------------------
def _matrix(x, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{what} holds NaN or inf values")
    return x


def check_unit_rows(F, what: str = "F", tol: float = 1e-4) -> np.ndarray:
    """F as a float64 array, or a ValueError naming the first row off the unit sphere.

    Theorem 1's premise is F: X -> 𝕊^(P-1), so a non-unit row is a caller's mistake, reported and
    never silently fixed. (Contrast ``ramen_edu.graphs._normalized_rows``, which renormalises for
    :func:`ramen_edu.graphs.edge_cosines`: a cosine ignores scale.) F (n, P) -> (n, P).
    """
    F = _matrix(F, what)
    norms = np.linalg.norm(F, axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > tol)
    if bad.size:
        raise ValueError(f"{what} must have unit-norm rows (F maps to the unit sphere 𝕊^(P-1)); row "
                         f"{bad[0]} has norm {norms[bad[0]]:.6f}. L2-normalise it: "
                         "F / np.linalg.norm(F, axis=1, keepdims=True)")
    return F


def _adjacency(A, shape: tuple[int, int], what: str = "A"):
    if sp.issparse(A):
        A = sp.csr_matrix(A, dtype=np.float64)
    else:
        A = _matrix(A, what)
    if A.shape != shape:
        raise ValueError(f"{what} has shape {A.shape}, expected {shape} (rows: nodes whose output is "
                         "computed, columns: the rows of X)")
    return A


def _check_xw(X: np.ndarray, W: np.ndarray) -> None:
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W has {W.shape[0]} rows but X has {X.shape[1]} columns (X W must exist)")


# --- the objects of the proof --------------------------------------------------------------------
def predicted_adjacency(F_out, F_in=None) -> np.ndarray:
    """Â = ½(1 1ᵀ + Φ_out Φ_inᵀ): (n_out, P), (n_in, P) -> dense (n_out, n_in). F_in defaults to F_out.

    Dense: for small cases and pictures; the rest of this module never forms it.
    Taught in: book/03_theorem1.ipynb
    """
    F_out = _matrix(F_out, "F_out")
    F_in = F_out if F_in is None else _matrix(F_in, "F_in")
    return 0.5 * (1.0 + F_out @ F_in.T)


def gcn_layer(A, X, W, phi: str | Activation = "relu") -> np.ndarray:
    """One GCN layer φ(AXW): A (n_out, n_in) dense or sparse, X (n_in, D), W (D, D') -> (n_out, D').
    Taught in: book/03_theorem1.ipynb
    """
    X, W = _matrix(X, "X"), _matrix(W, "W")
    _check_xw(X, W)
    act = get_activation(phi)
    return act(np.asarray(A @ (X @ W)))


@dataclass
class NonGCN:
    """The proof's network H(x) = φ(T F(x) + c): T (D', P), c (D',).

    Call it on predictor outputs: ``H(F_rows)`` with F_rows (n, P) -> (n, D'). It sees one node at a
    time — no adjacency, no neighbours — which is what "non-GCN" means.
    """

    T: np.ndarray
    c: np.ndarray
    activation: Activation

    def preactivation(self, F_rows) -> np.ndarray:
        """T F(x) + c for each row: (n, P) -> (n, D')."""
        return _matrix(F_rows, "F_rows") @ self.T.T + self.c

    def __call__(self, F_rows) -> np.ndarray:
        return self.activation(self.preactivation(F_rows))


def construct_H(X, W, F_in, phi: str | Activation = "relu") -> NonGCN:
    """The proof's H for one layer: T = ½ Wᵀ Xᵀ Φ_in, c = ½ Wᵀ Xᵀ 1.

    X (n_in, D), W (D, D'), F_in (n_in, P) unit rows -> :class:`NonGCN` with T (D', P), c (D',).
    Then H(F_out) = φ(Â X W) exactly, for Â = ½(1 1ᵀ + Φ_out Φ_inᵀ).
    Taught in: book/03_theorem1.ipynb
    """
    X, W = _matrix(X, "X"), _matrix(W, "W")
    F_in = check_unit_rows(F_in, "F_in")
    if F_in.shape[0] != X.shape[0]:
        raise ValueError(f"F_in has {F_in.shape[0]} rows but X has {X.shape[0]}: F_in[j] must be F(x_j)")
    _check_xw(X, W)
    XW = X @ W  # (N_in, D'); T = ½ (XW)ᵀ Φ_in avoids a D × P intermediate
    return NonGCN(T=0.5 * XW.T @ F_in, c=0.5 * XW.sum(axis=0), activation=get_activation(phi))


def construct_K(H_X, W2, F, phi: str | Activation = "relu") -> NonGCN:
    """App. E.2's second layer K(x) = φ(T̃ F(x) + c̃), T̃ = ½ W̃ᵀ Σ_j H(x_j) F(x_j)ᵀ, c̃ = ½ W̃ᵀ Σ_j H(x_j).

    H_X (n, D') = H(X) from the first layer, W2 (D', D''), F (n, P) -> :class:`NonGCN`; K(F) = φ(Â H(X) W2).
    """
    return construct_H(H_X, W2, F, phi)


def bias_free_head(X, W, F_in, F_out=None) -> dict:
    """The best bias-free head φ(T′F(x)) for the proof's target ÂXW, and how far it stays.

    T′ solves min ‖Φ_out T′ᵀ − Â X W‖_F (least squares). Because
    Â X W = Φ_out Tᵀ + 1 cᵀ (T, c the proof's), the residual is exactly
    ‖(I − Π) 1‖₂ · ‖c‖₂ with Π the projection onto the column span of Φ_out: zero iff 1 lies in
    that span (e.g. n_out ≤ P with Φ_out of full row rank, or a coordinate of F constant over the
    nodes) or c = ½ Wᵀ Xᵀ 1 = 0. So "a bias is required" holds only within the proof's T.

    X (n_in, D), W (D, D'), F_in (n_in, P), F_out (n_out, P) unit rows (default F_in). Returns
    dict(T=T′ (D', P), residual=‖Φ_out T′ᵀ − ÂXW‖_F, predicted=‖(I − Π)1‖·‖c‖,
    ones_distance=‖(I − Π)1‖₂ / √n_out (0 when 1 is in the span), c_norm=‖c‖₂).
    Taught in: book/03_theorem1.ipynb
    """
    H = construct_H(X, W, F_in)
    F_out = check_unit_rows(F_in if F_out is None else F_out, "F_out")
    target = F_out @ H.T.T + H.c  # Â X W, from the proof's identity (exact)
    T_free, *_ = np.linalg.lstsq(F_out, target, rcond=None)  # (P, D')
    ones = np.ones(F_out.shape[0])
    coef, *_ = np.linalg.lstsq(F_out, ones, rcond=None)
    off = float(np.linalg.norm(ones - F_out @ coef))
    c_norm = float(np.linalg.norm(H.c))
    return {"T": T_free.T, "residual": float(np.linalg.norm(F_out @ T_free - target)),
            "predicted": off * c_norm, "ones_distance": off / float(np.sqrt(F_out.shape[0])), "c_norm": c_norm}


# --- spectral norms ------------------------------------------------------------------------------
def spectral_norm(mat, *, method: str = "auto") -> float:
    """‖mat‖₂ = largest singular value of a dense array, sparse matrix or ``LinearOperator``.

    method: ``"dense"`` (LAPACK SVD, scipy.linalg.svdvals), ``"svds"`` (ARPACK, matrix-free) or
    ``"auto"`` (dense when the matrix is explicit and holds ≤ 4M entries).
    Taught in: book/03_theorem1.ipynb
    """
    if method not in ("auto", "dense", "svds"):
        raise ValueError(f"method must be 'auto', 'dense' or 'svds', got {method!r}")
    explicit = not isinstance(mat, spla.LinearOperator)
    n, m = mat.shape
    if min(n, m) == 0:
        return 0.0
    if method == "dense" or (method == "auto" and explicit and n * m <= _DENSE_LIMIT) or min(n, m) < 3:
        dense = mat.toarray() if sp.issparse(mat) else (mat @ np.eye(m) if not explicit else np.asarray(mat))
        return float(scipy.linalg.svdvals(np.asarray(dense, dtype=np.float64))[0])
    op = spla.aslinearoperator(mat)
    # ARPACK's start vector is random; fix it so results are reproducible.
    v0 = np.random.default_rng(0).standard_normal(min(n, m))
    s = spla.svds(op, k=1, return_singular_vectors=False, v0=v0, tol=1e-10)
    return float(s[0])


AGGREGATIONS = ("sum", "mean")


def _row_scales(A, F_out: np.ndarray, F_in: np.ndarray, aggregation: str):
    """Per output row, the factors that turn A and Â into the layer's aggregation matrices.

    ``"sum"``: (None, None), A and Â as they are. ``"mean"``: (1/Δ, 1/Δ̂) as (n_out,) arrays,
    Δ = A1 the row sums of A and Δ̂ = Â1 = ½(n_in + Φ_out Σ_j F_in(j)) those of Â — each a function
    of its own row's F alone, so the averaged network is still a non-GCN network.
    """
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
    if aggregation == "sum":
        return None, None
    deg = np.asarray(A.sum(axis=1), dtype=np.float64).ravel()
    bad = np.flatnonzero(deg <= 0)
    if bad.size:
        raise ValueError(f"mean aggregation divides row i of A by its sum, and {bad.size} rows sum to "
                         f"≤ 0 (first: row {bad[0]}, sum {deg[bad[0]]:g}); drop the nodes without edges "
                         "(e.g. ramen_edu.data.anchors.documents_with_anchors) or use aggregation='sum'")
    deg_hat = 0.5 * (F_in.shape[0] + F_out @ F_in.sum(axis=0))
    bad = np.flatnonzero(deg_hat <= 1e-12 * F_in.shape[0])
    if bad.size:
        raise ValueError(f"row {bad[0]} of Â sums to {deg_hat[bad[0]]:g}: F_out[{bad[0]}] is antipodal to "
                         "every F_in row, so the averaged kernel is undefined; use aggregation='sum'")
    return 1.0 / deg, 1.0 / deg_hat


def gap_operator(A, F_out, F_in=None, *, aggregation: str = "sum") -> spla.LinearOperator:
    """A − Â as a matrix-free operator: A (n_out, n_in) sparse or dense, F_out (n_out, P), F_in (n_in, P).

    Â = ½(1 1ᵀ + Φ_out Φ_inᵀ) has rank ≤ P + 1, so (A − Â)v = Av − ½(1·Σv + Φ_out(Φ_inᵀ v)) costs
    O(nnz(A) + (n_out + n_in)P) — never an n_out × n_in array. aggregation ``"mean"`` gives
    Δ⁻¹A − Δ̂⁻¹Â instead (Δ = diag(A1), Δ̂ = diag(Â1): a layer that averages over neighbours).
    Taught in: book/03_theorem1.ipynb
    """
    F_out = _matrix(F_out, "F_out")
    F_in = F_out if F_in is None else _matrix(F_in, "F_in")
    A = _adjacency(A, (F_out.shape[0], F_in.shape[0]))
    scale_a, scale_hat = _row_scales(A, F_out, F_in, aggregation)
    # "sum" multiplies by 1; a (n_out, 1) column scales each output row for "mean"
    row_a = 1.0 if scale_a is None else scale_a[:, None]
    row_hat = 1.0 if scale_hat is None else scale_hat[:, None]

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(F_in.shape[0], -1)
        return row_a * np.asarray(A @ v) - row_hat * 0.5 * (v.sum(axis=0, keepdims=True) + F_out @ (F_in.T @ v))

    def rmatvec(u):
        u = np.asarray(u, dtype=np.float64).reshape(F_out.shape[0], -1)
        ua, uh = row_a * u, row_hat * u
        return np.asarray(A.T @ ua) - 0.5 * (uh.sum(axis=0, keepdims=True) + F_in @ (F_out.T @ uh))

    return spla.LinearOperator(A.shape, matvec=matvec, rmatvec=rmatvec, matmat=matvec,
                               rmatmat=rmatvec, dtype=np.float64)


def gap_norm(A, F_out, F_in=None, *, method: str = "auto", aggregation: str = "sum") -> float:
    """‖A − Â‖₂ (spectral), dense SVD for small cases, svds on :func:`gap_operator` otherwise;
    ‖Δ⁻¹A − Δ̂⁻¹Â‖₂ with aggregation ``"mean"``.
    Taught in: book/03_theorem1.ipynb
    """
    F_out = _matrix(F_out, "F_out")
    F_in = F_out if F_in is None else _matrix(F_in, "F_in")
    n_out, n_in = F_out.shape[0], F_in.shape[0]
    if method == "dense" or (method == "auto" and n_out * n_in <= _DENSE_LIMIT):
        A = _adjacency(A, (n_out, n_in))
        scale_a, scale_hat = _row_scales(A, F_out, F_in, aggregation)
        A_dense, A_hat = (A.toarray() if sp.issparse(A) else A), predicted_adjacency(F_out, F_in)
        if scale_a is not None:
            A_dense, A_hat = A_dense * scale_a[:, None], A_hat * scale_hat[:, None]
        return spectral_norm(A_dense - A_hat, method="dense")
    return spectral_norm(gap_operator(A, F_out, F_in, aggregation=aggregation), method="svds")


def aggregation_premise(A, F_out, F_in=None, *, aggregations=AGGREGATIONS, method: str = "auto") -> list[dict]:
    """How far the premise is from holding when the layer sums over neighbours and when it averages.

    The theorem holds for any matrices, so a layer that averages, φ(Δ⁻¹AXW) with Δ = diag(A1), is
    imitated by H_mean(X) = φ(Δ̂⁻¹ÂXW), Δ̂ = diag(Â1) — still a non-GCN network, since row i of Â sums
    to ½(n_in + F(x_i)ᵀ Σ_j F(x_j)) (chapter 3's exercise ex3-mean) — and the bound reads with Δ⁻¹A
    and Δ̂⁻¹Â in place of A and Â. Each aggregation is measured against its own constant network
    H ≡ φ(0), whose gap is the norm of the layer's matrix (A or Δ⁻¹A). On a sparse graph the paper's
    Â puts about ½ on every pair, so under sum aggregation the gap is many times ‖A‖₂; averaging
    rescales both matrices to rows that sum to 1 and that all-ones excess disappears.

    A (n_out, n_in) dense or sparse, every row with a positive sum for ``"mean"``; F_out (n_out, P),
    F_in (n_in, P) unit rows (F_in defaults to F_out). One row per aggregation: dict(aggregation=,
    layer= "A" | "Δ⁻¹A", kernel= "Â" | "Δ̂⁻¹Â", "‖layer‖₂"= the constant network's gap,
    "‖layer−kernel‖₂"= the paper's kernel's gap, ratio= their quotient; above 1 the theorem says
    less about the paper's H than about H ≡ φ(0)).
    Taught in: book/03_theorem1.ipynb
    """
    F_out = check_unit_rows(F_out, "F_out", tol=1e-3)
    F_in = F_out if F_in is None else check_unit_rows(F_in, "F_in", tol=1e-3)
    A = _adjacency(A, (F_out.shape[0], F_in.shape[0]))
    names = {"sum": ("A", "Â"), "mean": ("Δ⁻¹A", "Δ̂⁻¹Â")}
    rows = []
    for aggregation in aggregations:
        scale_a, _ = _row_scales(A, F_out, F_in, aggregation)  # validates the name and the row sums
        layer = A if scale_a is None else (sp.diags(scale_a) @ A if sp.issparse(A) else A * scale_a[:, None])
        norm = spectral_norm(layer, method=method)
        gap = gap_norm(A, F_out, F_in, method=method, aggregation=aggregation)
        rows.append({"aggregation": aggregation, "layer": names[aggregation][0],
                     "kernel": names[aggregation][1], "‖layer‖₂": norm, "‖layer−kernel‖₂": gap,
                     "ratio": gap / norm if norm else float("inf")})
    return rows


# --- Theorem 1 -----------------------------------------------------------------------------------
# Both sides are computed in floating point, so "lhs ≤ rhs" allows this much rounding.
REL_TOL, ABS_TOL = 1e-9, 1e-12


def bound_holds(lhs, rhs):
    """lhs ≤ rhs up to float rounding (relative REL_TOL, absolute ABS_TOL); elementwise on arrays.
    """
    return np.asarray(lhs) <= np.asarray(rhs) * (1 + REL_TOL) + ABS_TOL


def bound_ratio(lhs: float, rhs: float) -> float:
    """rhs / lhs: how loose a bound is (1 = tight, inf when lhs = 0).
    """
    return float("inf") if lhs == 0 else float(rhs / lhs)


@dataclass(frozen=True)
class _Sides:
    lhs: float
    rhs: float

    @property
    def holds(self) -> bool:
        """lhs ≤ rhs up to float rounding (:func:`bound_holds`)."""
        return bool(bound_holds(self.lhs, self.rhs))

    @property
    def ratio(self) -> float:
        """rhs / lhs: how loose the bound is (:func:`bound_ratio`)."""
        return bound_ratio(self.lhs, self.rhs)


@dataclass(frozen=True)
class BoundResult(_Sides):
    """Both sides of Theorem 1 and the factors of the right side.

    lhs = (1/√n_in)‖φ(AXW) − H(X)‖_F, rhs = beta · R · w_norm · gap.
    """

    beta: float
    R: float  # max_i ‖x_i‖
    w_norm: float  # ‖W‖₂
    gap: float  # ‖A − Â‖₂
    n: int  # N_in, the √N of the statement

    def __str__(self) -> str:
        return (f"lhs {self.lhs:.4g} ≤ rhs {self.rhs:.4g} = β {self.beta:g} · R {self.R:.4g} · ‖W‖₂ "
                f"{self.w_norm:.4g} · ‖A−Â‖₂ {self.gap:.4g}: {'holds' if self.holds else 'VIOLATED'}"
                + (f" (ratio {self.ratio:.3g})" if self.lhs > 0 else ""))


def theorem1(X, W, F, A, phi: str | Activation = "relu", *, F_out=None,
             method: str = "auto", kernel: str = "paper", gap: float | None = None) -> BoundResult:
    """Both sides of Theorem 1 for one instance: :func:`theorem1_parts` without the parts.
    Taught in: book/03_theorem1.ipynb
    """
    return theorem1_parts(X, W, F, A, phi, F_out=F_out, method=method, kernel=kernel, gap=gap)[0]


def theorem1_parts(X, W, F, A, phi: str | Activation = "relu", *, F_out=None,
                   method: str = "auto", kernel: str = "paper",
                   gap: float | None = None) -> tuple[BoundResult, dict]:
    """Both sides of Theorem 1 for one instance, and the outputs they compare.

    X (n, D) node features, W (D, D'), F (n, P) unit rows = F(x_j) for the input nodes, A (n_out, n)
    dense or scipy.sparse (square n × n in the paper; rectangular allowed, then give F_out (n_out, P)
    for the output nodes). Builds Â = ½(1 1ᵀ + Φ_out Φᵀ) implicitly, T, c and H as in the proof and
    returns (:class:`BoundResult`, parts) with parts a dict: ``gcn`` = φ(AXW) (n_out, D'),
    ``H_X`` = H(F_out) (n_out, D'), ``H`` the :class:`NonGCN`.
    method: how ‖A − Â‖₂ is computed (see :func:`spectral_norm`).
    kernel: ``"paper"`` (Â = ½(1 1ᵀ + Φ_out Φᵀ)), ``"best"`` (the least-squares — Frobenius-optimal,
    not spectral-optimal — Â in the span of [1, F], :func:`best_kernel_gap`; the proof is unchanged,
    H(x) = φ(Wᵀ Xᵀ [1,Φ] Ωᵀ [1; F(x)]); then ``parts["H"]`` is None and ``H_X`` is computed as
    φ(Â X W) through the low-rank factors) or ``"zero"`` (Â = 0: the constant network H ≡ φ(0),
    T = 0, c = 0, and gap = ‖A‖₂ — the bound any claim of the theorem must beat).
    gap: a ‖A − Â‖₂ computed before for the same A, F and kernel (it is the slow part at scale).
    Taught in: book/03_theorem1.ipynb
    """
    if kernel not in ("paper", "best", "zero"):
        raise ValueError(f"kernel must be 'paper', 'best' or 'zero', got {kernel!r}")
    X, W = _matrix(X, "X"), _matrix(W, "W")
    act = get_activation(phi)
    F = check_unit_rows(F, "F")
    F_out = F if F_out is None else check_unit_rows(F_out, "F_out")
    if F_out.shape[1] != F.shape[1]:
        raise ValueError(f"F_out has dim {F_out.shape[1]} but F has dim {F.shape[1]}")
    A = _adjacency(A, (F_out.shape[0], X.shape[0]))
    gcn = gcn_layer(A, X, W, act)
    if kernel == "paper":
        H = construct_H(X, W, F, act)
        H_X = H(F_out)
        gap = gap_norm(A, F_out, F, method=method) if gap is None else float(gap)
    elif kernel == "zero":
        d_out = W.shape[1]
        H = NonGCN(T=np.zeros((d_out, F.shape[1])), c=np.zeros(d_out), activation=act)
        H_X = H(F_out)
        gap = spectral_norm(A, method=method) if gap is None else float(gap)
    else:
        H = None
        Qi = kernel_basis(F)
        Qo = Qi if F_out is F else kernel_basis(F_out)
        H_X = act(Qo @ (np.asarray(Qo.T @ (A @ Qi)) @ (Qi.T @ (X @ W))))
        gap = best_kernel_gap(A, F_out, F, method=method) if gap is None else float(gap)
    n = X.shape[0]
    R, w_norm = float(np.linalg.norm(X, axis=1).max(initial=0.0)), spectral_norm(W)
    result = BoundResult(lhs=float(np.linalg.norm(gcn - H_X) / np.sqrt(n)), rhs=act.beta * R * w_norm * gap,
                         beta=act.beta, R=R, w_norm=w_norm, gap=gap, n=n)
    return result, {"gcn": gcn, "H_X": H_X, "H": H}


def slack_factors(X, W, F, A, phi: str | Activation = "relu") -> dict[str, float]:
    """Where the bound loses: rhs/lhs is the product of four factors ≥ 1, one per inequality.

    lipschitz = β‖Z − Ẑ‖_F / ‖φ(Z) − φ(Ẑ)‖_F (Z = AXW, Ẑ = ÂXW), spectral = ‖A−Â‖₂‖XW‖_F / ‖(A−Â)XW‖_F,
    weight = ‖W‖₂‖X‖_F / ‖XW‖_F, rows = √n·R / ‖X‖_F. Dense; for small cases.
    Taught in: book/03_theorem1.ipynb
    """
    X, W = _matrix(X, "X"), _matrix(W, "W")
    act = get_activation(phi)
    F = check_unit_rows(F, "F")
    A = _adjacency(A, (X.shape[0], X.shape[0]))
    A = A.toarray() if sp.issparse(A) else A
    gap = A - predicted_adjacency(F)
    XW = X @ W
    dZ = gap @ XW
    dphi = act(A @ XW) - act(predicted_adjacency(F) @ XW)
    n_dz, n_dphi, n_xw, n_x = (np.linalg.norm(m) for m in (dZ, dphi, XW, X))

    def ratio(a, b):
        return float("inf") if b == 0 else float(a / b)

    return {"lipschitz": ratio(act.beta * n_dz, n_dphi),
            "spectral": ratio(spectral_norm(gap) * n_xw, n_dz),
            "weight": ratio(spectral_norm(W) * n_x, n_xw),
            "rows": ratio(np.sqrt(X.shape[0]) * np.linalg.norm(X, axis=1).max(), n_x)}


def paper_step_sides(X, W, F, A) -> dict[str, float]:
    """The proof's last step, as the paper writes it and as it must be written.

    lhs = ‖(A − Â)XW‖_F; paper = ‖A − Â‖₂ ‖X‖₂ ‖W‖₂ (App. E's last line: spectral norms only — not
    a bound); corrected = ‖A − Â‖₂ ‖X‖_F ‖W‖₂ (a bound). Returns dict(lhs=, paper=, corrected=,
    paper_holds=, corrected_holds=). X (n, D), W (D, D'), F (n, P) unit rows, A (n, n). Dense.
    Taught in: book/03_theorem1.ipynb
    """
    X, W = _matrix(X, "X"), _matrix(W, "W")
    F = check_unit_rows(F, "F")
    A = _adjacency(A, (X.shape[0], X.shape[0]))
    gap = (A.toarray() if sp.issparse(A) else A) - predicted_adjacency(F)
    g, w = spectral_norm(gap), spectral_norm(W)
    lhs = float(np.linalg.norm(gap @ X @ W))
    paper, corrected = g * spectral_norm(X) * w, g * float(np.linalg.norm(X)) * w
    return {"lhs": lhs, "paper": paper, "corrected": corrected,
            "paper_holds": bool(bound_holds(lhs, paper)), "corrected_holds": bool(bound_holds(lhs, corrected))}


def sharp_instance(n: int = 8, *, extra: int = 2, p: int = 3, R: float = 1.5, s: float = 2.0,
                   eps: float = 0.7, seed: int = 0) -> dict[str, np.ndarray]:
    """An instance where Theorem 1 holds with **equality** (φ linear) and the paper's intermediate
    inequality ‖(A − Â)XW‖_F ≤ ‖A − Â‖₂‖X‖₂‖W‖₂ fails by a factor √n.

    X = R·U with U (n, n + extra) orthonormal rows (every ‖x_i‖ = R, ‖X‖_F = R√n, ‖X‖₂ = R);
    W = s·O with O orthogonal (‖XW‖_F = ‖W‖₂‖X‖_F); A = Â + eps·Q with Q orthogonal
    (‖(A − Â)XW‖_F = eps·‖XW‖_F = ‖A − Â‖₂‖XW‖_F). Every inequality of the corrected proof is then
    an equality — for φ(z) = βz the two sides are both β·R·s·eps — while the paper's product of
    spectral norms is √n times too small. Random orthogonal factors (seeded) keep it from being a
    diagonal special case. Returns dict(X=, W=, F=, A=, A_hat=).
    Taught in: book/03_theorem1.ipynb
    """
    rng = np.random.default_rng(seed)
    d = n + extra

    def orthogonal(k):
        q, r = np.linalg.qr(rng.standard_normal((k, k)))
        return q * np.sign(np.diag(r))

    X = R * orthogonal(d)[:n]
    W = s * orthogonal(d)
    F = rng.standard_normal((n, p))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    A_hat = predicted_adjacency(F)
    return {"X": X, "W": W, "F": F, "A": A_hat + eps * orthogonal(n), "A_hat": A_hat}


# --- two layers (App. E.2) -----------------------------------------------------------------------
@dataclass(frozen=True)
class TwoLayerResult(_Sides):
    """Both sides for two GCN layers φ(A φ(AXW) W̃) vs K(X) (App. E.2).

    rhs = β‖W̃‖₂‖A − Â‖₂ (β R ‖W‖₂ ‖A‖₂ + R_H), R_H = max_i ‖H(x_i)‖; the paper states no bound for
    this case — this one is derived in book/03_theorem1.ipynb.
    """

    first: BoundResult
    a_norm: float  # ‖A‖₂
    R_H: float
    w2_norm: float


def two_layer(X, W1, W2, F, A, phi: str | Activation = "relu", *, method: str = "auto") -> TwoLayerResult:
    """App. E.2: the two-layer GCN φ(A φ(AXW₁) W₂) against K(x) = φ(T̃ F(x) + c̃) built on H.

    X (n, D), W1 (D, D'), W2 (D', D''), F (n, P) unit rows, A (n, n). Proof of the bound:
    A G − Â H = A(G − H) + (A − Â)H with G = φ(AXW₁), H = H(X) = φ(ÂXW₁), so
    ‖φ(AGW₂) − φ(ÂHW₂)‖_F ≤ β‖W₂‖₂(‖A‖₂‖G − H‖_F + ‖A − Â‖₂‖H‖_F), then Theorem 1 for ‖G − H‖_F and
    ‖H‖_F ≤ √n R_H.
    """
    act = get_activation(phi)
    first, parts = theorem1_parts(X, W1, F, A, act, method=method)
    A = _adjacency(A, (first.n, first.n))
    W2 = _matrix(W2, "W2")
    F = check_unit_rows(F, "F")
    K = construct_K(parts["H_X"], W2, F, act)
    gcn2 = gcn_layer(A, parts["gcn"], W2, act)
    lhs = float(np.linalg.norm(gcn2 - K(F)) / np.sqrt(first.n))
    a_norm = spectral_norm(A)
    R_H = float(np.linalg.norm(parts["H_X"], axis=1).max(initial=0.0))
    w2 = spectral_norm(W2)
    rhs = act.beta * w2 * first.gap * (act.beta * first.R * first.w_norm * a_norm + R_H)
    return TwoLayerResult(lhs=lhs, rhs=rhs, first=first, a_norm=a_norm, R_H=R_H, w2_norm=w2)


# --- random instances ----------------------------------------------------------------------------
def random_instance(rng: np.random.Generator | int, n: int = 20, d: int = 8, p: int = 4, *,
                    noise: float = 0.0, binary: bool = False) -> dict[str, np.ndarray]:
    """A random instance: X (n, d) Gaussian, W (d, d) Gaussian/√d, F (n, p) unit rows, A.

    A = Â + noise·Ξ with Ξ Gaussian/√n (so ‖Ξ‖₂ ≈ 2 whatever n); noise=0 gives A = Â exactly.
    binary=True instead draws A_ij ~ Bernoulli(â_ij) — a graph whose edges F predicts in law.
    Returns dict(X=, W=, F=, A=, A_hat=).
    Taught in: book/03_theorem1.ipynb
    """
    rng = np.random.default_rng(rng)
    X = rng.standard_normal((n, d)) * rng.uniform(0.2, 3.0)
    W = rng.standard_normal((d, d)) / np.sqrt(d)
    F = rng.standard_normal((n, p))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    A_hat = predicted_adjacency(F)
    if binary:
        A = (rng.random((n, n)) < A_hat).astype(np.float64)
    else:
        A = A_hat + noise * rng.standard_normal((n, n)) / np.sqrt(n)
    return {"X": X, "W": W, "F": F, "A": A, "A_hat": A_hat}


# --- the algebraic step, symbolically ------------------------------------------------------------
def symbolic_check(n: int = 3, d: int = 2, p: int = 2, d_out: int | None = None, *, bias=1):
    """The proof's key identity with sympy, entry by entry: T F(x_i) + c − Wᵀ Σ_j â_ij x_j for every i.

    Symbols x_jk, f_jq, w_kl for n nodes, d input dims, p predictor dims, d_out output dims.
    Returns the simplified sympy Matrix of differences (n × d_out); the theorem needs all zeros.
    What this proves is distributivity — ΦTᵀ + 1cᵀ = ½ΦΦᵀXW + ½11ᵀXW = ÂXW — nothing deeper; its
    value is that it fails on a wrong T or c: ``bias`` scales c (1 = the proof's c = ½ Wᵀ Σ_j x_j;
    0 drops it, and the difference is −½ Wᵀ Σ_j x_j in every row; 2 doubles it).
    Taught in: book/03_theorem1.ipynb
    """
    import sympy  # lazy: sympy is slow to import and only the symbolic checks use it

    d_out = d if d_out is None else d_out
    X = sympy.Matrix(n, d, lambda j, k: sympy.Symbol(f"x_{j}{k}"))
    Fm = sympy.Matrix(n, p, lambda j, q: sympy.Symbol(f"f_{j}{q}"))
    W = sympy.Matrix(d, d_out, lambda k, l_: sympy.Symbol(f"w_{k}{l_}"))
    half = sympy.Rational(1, 2)
    x = [X.row(j).T for j in range(n)]  # column vectors x_j
    f = [Fm.row(j).T for j in range(n)]
    T = half * W.T * sum((x[j] * f[j].T for j in range(n)), sympy.zeros(d, p))
    c = sympy.nsimplify(bias) * half * W.T * sum(x, sympy.zeros(d, 1))
    rows = []
    for i in range(n):
        a_hat = [(1 + (f[i].T * f[j])[0, 0]) / 2 for j in range(n)]
        gcn_pre = W.T * sum((a_hat[j] * x[j] for j in range(n)), sympy.zeros(d, 1))
        rows.append((T * f[i] + c - gcn_pre).applyfunc(sympy.expand).T)
    return sympy.Matrix.vstack(*rows).applyfunc(sympy.simplify)


def symbolic_check_matrix():
    """The same identity for symbolic sizes, as matrix algebra: Φ Tᵀ + 1 cᵀ − Â X W with
    Tᵀ = ½ Φᵀ X W, cᵀ = ½ 1ᵀ X W, Â = ½(1 1ᵀ + Φ Φᵀ); n, D, P are sympy symbols.
    Returns the expanded sympy matrix expression (ZeroMatrix when the identity holds).
    Taught in: book/03_theorem1.ipynb
    """
    import sympy  # lazy: sympy is slow to import and only the symbolic checks use it

    n, D, P = sympy.symbols("n D P", integer=True, positive=True)
    X = sympy.MatrixSymbol("X", n, D)
    Phi = sympy.MatrixSymbol("Phi", n, P)
    W = sympy.MatrixSymbol("W", D, D)
    one = sympy.OneMatrix(n, 1)
    half = sympy.Rational(1, 2)
    T_t = half * Phi.T * X * W
    c_t = half * one.T * X * W
    A_hat = half * (one * one.T + Phi * Phi.T)
    return sympy.expand(Phi * T_t + one * c_t - A_hat * X * W)


def symbolic_bias_free_check(n: int = 2, d: int = 1, d_out: int = 1, *, b=None):
    """The bias-free head, symbolically: with P = n and Φ a generic (invertible) n × n symbol
    matrix, 1 lies in the column span of Φ (1 = Φb, b = Φ⁻¹1), and T′ = T + c bᵀ gives
    Φ T′ᵀ = ΦTᵀ + 1cᵀ = ÂXW with **no bias**.

    Returns the simplified sympy Matrix Φ T′ᵀ − Â X W (n × d_out): zero for the right b; pass another
    ``b`` (an n × 1 sympy Matrix, e.g. ``sympy.zeros(n, 1)``: no correction, the plain T) and it is
    not. Unit-norm rows are not imposed (the identity does not need them).
    Taught in: book/03_theorem1.ipynb
    """
    import sympy  # lazy: sympy is slow to import and only the symbolic checks use it

    X = sympy.Matrix(n, d, lambda j, k: sympy.Symbol(f"x_{j}{k}"))
    Phi = sympy.Matrix(n, n, lambda j, q: sympy.Symbol(f"f_{j}{q}"))
    W = sympy.Matrix(d, d_out, lambda k, l_: sympy.Symbol(f"w_{k}{l_}"))
    one = sympy.ones(n, 1)
    half = sympy.Rational(1, 2)
    T = half * W.T * X.T * Phi          # (d_out, n), the proof's T
    c = half * W.T * X.T * one          # (d_out, 1), the proof's c
    b = Phi.inv() * one if b is None else sympy.Matrix(b)
    T_free = T + c * b.T                # the bias folded into the linear map
    A_hat = half * (one * one.T + Phi * Phi.T)
    return (Phi * T_free.T - A_hat * X * W).applyfunc(sympy.simplify)


# --- real graphs ---------------------------------------------------------------------------------
def bipartite_adjacency(doc_anchor) -> sp.csr_matrix:
    """The square adjacency of a bipartite graph over documents ∪ anchors.

    doc_anchor csr (N, M), E_XA -> csr (N+M, N+M) [[0, E_XA], [E_XAᵀ, 0]], binary float64: documents first,
    then anchors. A GCN layer on it sends anchor features to documents and document features to
    anchors — what a graph-augmented XC model (OAK-style) does at inference.
    Taught in: book/03_theorem1.ipynb
    """
    if not sp.issparse(doc_anchor):
        raise TypeError(f"doc_anchor must be a scipy.sparse matrix, got {type(doc_anchor).__name__}")
    E = sp.csr_matrix(doc_anchor, dtype=np.float64)
    E.data[:] = 1.0
    return sp.bmat([[None, E], [E.T, None]], format="csr", dtype=np.float64)


def edge_recall_at_k(doc_emb, anchor_emb, doc_anchor, k: int = 100) -> float:
    """How well cosine ranks a document's true anchors: R@k of E_XA among the top-k anchors by cosine.

    doc_emb (N, P), anchor_emb (M, P) unit rows, doc_anchor csr (N, M). faiss exact inner-product
    search; documents without anchors are skipped (the paper's Table 6 metric: 99.88 / 94.20).
    Returns a fraction in [0, 1].
    """
    from ramen_edu.retrieval import LabelIndex  # lazy: faiss is heavy; the rest of theory is numpy/scipy

    doc_emb = check_unit_rows(doc_emb, "doc_emb", tol=1e-3)
    anchor_emb = check_unit_rows(anchor_emb, "anchor_emb", tol=1e-3)
    _adjacency(doc_anchor, (doc_emb.shape[0], anchor_emb.shape[0]), "doc_anchor")
    top = LabelIndex(anchor_emb.astype(np.float32)).search(doc_emb.astype(np.float32), min(k, anchor_emb.shape[0]))
    return float(recall_at_k(top, sp.csr_matrix(doc_anchor), ks=(k,), empty="skip")[k])


def premise_report(doc_emb, anchor_emb, doc_anchor, *, k: int = 100, method: str = "auto",
                   floor: bool = False) -> dict:
    """How far a real doc–anchor graph is from Theorem 1's premise A ≈ Â, for one encoder F.

    doc_emb (N, P), anchor_emb (M, P) unit rows (the encoder's embeddings are both X and F),
    doc_anchor csr (N, M). Returns a dict with recall@k, and for two adjacencies — the doc × anchor
    block (rectangular) and the square bipartite graph over documents ∪ anchors — ‖A‖₂, ‖Â‖₂,
    ‖A − Â‖₂, the relative gap ‖A − Â‖₂/‖A‖₂, ``lower_bound`` = 1ᵀ(Â − A)1/√(n_out n_in) ≤ ‖A − Â‖₂
    (a lower bound for *this* F), ``every_F_bound`` = n/2 − d̄ (n = N + M nodes, :func:`square_lower_bound`) for the
    square graph only — there no F can beat it, since 1ᵀΦΦᵀ1 ≥ 0 — and NaN for the block, where no
    such F-free bound exists (:func:`add_type_coordinate` keeps every ranking and brings the gap to
    ‖E_XA‖₂ or below), ``best_kernel_gap`` (the gap of the least-squares — Frobenius-optimal, not
    spectral-optimal — Â in the span of [1, F], :func:`best_kernel_gap`; it can exceed ‖A‖₂, the gap
    of Â = 0) and, with ``floor=True``, the Eckart–Young floor σ_{P+2}(A) that no P-dimensional F
    beats (:func:`eckart_young_floor`; slower).
    """
    doc_emb = check_unit_rows(doc_emb, "doc_emb", tol=1e-3)
    anchor_emb = check_unit_rows(anchor_emb, "anchor_emb", tol=1e-3)
    E = sp.csr_matrix(doc_anchor, dtype=np.float64)
    E.data[:] = 1.0
    out = {"recall_at_k": edge_recall_at_k(doc_emb, anchor_emb, E, k), "k": k,
           "documents": E.shape[0], "anchors": E.shape[1], "edges": int(E.nnz)}

    def stats(A, F_out, F_in):
        n_out, n_in = A.shape
        ones_hat = 0.5 * (n_out * n_in + F_out.sum(0) @ F_in.sum(0))  # 1ᵀ Â 1
        gap = gap_norm(A, F_out, F_in, method=method)
        a = spectral_norm(A)
        # ‖Â‖₂ = ½‖[1,Φ_out][1,Φ_in]ᵀ‖₂ = ½‖R_out R_inᵀ‖₂ with [1,Φ] = Q R: a (P+1)² problem
        r_out = np.linalg.qr(np.hstack([np.ones((n_out, 1)), F_out]), mode="r")
        r_in = np.linalg.qr(np.hstack([np.ones((n_in, 1)), F_in]), mode="r")
        res = {"A_norm": a, "A_hat_norm": 0.5 * spectral_norm(r_out @ r_in.T), "gap": gap,
               "relative_gap": gap / a if a else float("inf"),
               "lower_bound": (ones_hat - A.sum()) / np.sqrt(n_out * n_in),
               "every_F_bound": square_lower_bound(A) if n_out == n_in else float("nan"),
               "best_kernel_gap": best_kernel_gap(A, F_out, F_in, method=method)}
        if floor:
            # singular values of [[0, E], [Eᵀ, 0]] are those of E, each twice
            rank = F_out.shape[1] + 1
            res["floor"] = (eckart_young_floor(E, rank) if A.shape == E.shape
                            else eckart_young_floor(E, (rank + 1) // 2))
        return res

    out["block"] = stats(E, doc_emb, anchor_emb)
    both = np.vstack([doc_emb, anchor_emb])
    out["bipartite"] = stats(bipartite_adjacency(E), both, both)
    return out


def square_lower_bound(A) -> float:
    """n/2 − d̄ for a square A (n × n) with d̄ = 1ᵀA1/n: a lower bound on ‖A − Â‖₂ for the paper's
    Â = ½(11ᵀ + ΦΦᵀ) with **one** F on both sides, whatever F is —
    ‖A − Â‖₂ ≥ 1ᵀ(Â − A)1/n = (½(n² + ‖Σ_j F(x_j)‖²) − 1ᵀA1)/n ≥ n/2 − d̄.
    It needs the square, single-F setting: on a rectangular block with F_out ≠ F_in the term
    (Σ F_out)ᵀ(Σ F_in) can be negative (:func:`add_type_coordinate`). A dense or sparse -> float.
    Taught in: book/03_theorem1.ipynb
    """
    n, m = A.shape
    if n != m:
        raise ValueError(f"square_lower_bound needs a square A, got {A.shape}: on a rectangular block "
                         "no F-free bound of this kind holds (see add_type_coordinate)")
    return n / 2 - float(A.sum()) / n


def add_type_coordinate(F_out, F_in, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """One extra coordinate that tells the two sides of a rectangular graph apart.

    F_out′ = [√(1−α²) F_out, +α], F_in′ = [√(1−α²) F_in, −α] (unit rows again), so
    F_out′ F_in′ᵀ = (1−α²) F_out F_inᵀ − α² and Â′ = ½(11ᵀ + F_out′F_in′ᵀ) = (1 − α²) Â: for α < 1
    each output node ranks the input nodes exactly as before (a positive scale and a shift of every
    cosine), yet Â′ → 0 as α → 1, so ‖E_XA − Â′‖₂ → ‖E_XA‖₂ — and, since ‖E_XA − κÂ‖₂ is convex in
    κ = 1 − α² and decreasing at κ = 0 when E_XA, Â ≥ 0, a little below it. This is the counterexample to "no F can
    remove the all-ones part" on a document × anchor block (an encoder may embed documents and
    anchors differently: they are different kinds of text). On the square graph over
    documents ∪ anchors with one F, the same coordinate gives document–document pairs
    ½(1 + (1−α²)cos + α²) and the bound n/2 − d̄ (:func:`square_lower_bound`) stands.
    F_out (n_out, P), F_in (n_in, P), 0 ≤ alpha ≤ 1 -> ((n_out, P+1), (n_in, P+1)).
    Taught in: book/03_theorem1.ipynb
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    F_out, F_in = check_unit_rows(F_out, "F_out", tol=1e-3), check_unit_rows(F_in, "F_in", tol=1e-3)
    scale = np.sqrt(1.0 - alpha * alpha)
    return (np.hstack([scale * F_out, np.full((len(F_out), 1), alpha)]),
            np.hstack([scale * F_in, np.full((len(F_in), 1), -alpha)]))


def type_coordinate_sweep(doc_anchor, doc_emb, anchor_emb, alphas=(0.0, 0.5, 0.9, 0.99), *,
                          k: int = 100, best: bool = True) -> list[dict]:
    """‖E_XA − Â′‖₂ and recall@k as the type coordinate of :func:`add_type_coordinate` grows.

    doc_anchor csr (N, M) = E_XA, doc_emb (N, P), anchor_emb (M, P) unit rows. One row per alpha:
    dict(α=, "1−α²"=, "R@k %"=, "‖E_XA−Â′‖₂"=, "‖E_XA‖₂"=, "lower bd"= 1ᵀ(Â′ − E_XA)1/√(NM)); with
    ``best=True`` a last row at the α that minimises the gap (a bounded scalar search: the gap is
    convex in κ = 1 − α²). Recall is the same in every row up to float32 ties: the ranking is.
    Since Â′ = κÂ, ‖E_XA − κÂ‖₂² is the top eigenvalue of the m × m matrix (m = min(N, M))
    E_XA E_XAᵀ − κ(E_XA Âᵀ + Â E_XAᵀ) + κ²ÂÂᵀ (on the smaller side, formed once from low-rank
    factors), so each α costs one small symmetric eigenvalue problem, not an SVD of E_XA − κÂ.
    Taught in: book/03_theorem1.ipynb
    """
    import scipy.optimize

    E = sp.csr_matrix(doc_anchor, dtype=np.float64)
    E.data[:] = 1.0
    doc_emb, anchor_emb = (np.asarray(m, dtype=np.float64) for m in (doc_emb, anchor_emb))
    doc_emb = doc_emb / np.linalg.norm(doc_emb, axis=1, keepdims=True)
    anchor_emb = anchor_emb / np.linalg.norm(anchor_emb, axis=1, keepdims=True)
    n, m = E.shape
    # work on the smaller side: ‖B‖₂ = ‖Bᵀ‖₂
    B, U, V = (E, doc_emb, anchor_emb) if n <= m else (sp.csr_matrix(E.T), anchor_emb, doc_emb)
    L = np.hstack([np.ones((B.shape[0], 1)), U]) / np.sqrt(2)  # Â = L Rᵀ (rank P + 1)
    R = np.hstack([np.ones((B.shape[1], 1)), V]) / np.sqrt(2)
    BR = np.asarray(B @ R)
    gram = (B @ B.T).toarray()                                  # E Eᵀ
    cross = BR @ L.T                                            # E Âᵀ
    quad = L @ (R.T @ R) @ L.T                                  # Â Âᵀ

    def gap(kappa):
        K = gram - kappa * (cross + cross.T) + (kappa * kappa) * quad
        if K.shape[0] <= 2000:
            top = scipy.linalg.eigvalsh(K, subset_by_index=[K.shape[0] - 1, K.shape[0] - 1])[0]
        else:
            v0 = np.random.default_rng(0).standard_normal(K.shape[0])
            top = spla.eigsh(K, k=1, which="LA", v0=v0, tol=1e-12, return_eigenvectors=False)[0]
        return float(np.sqrt(max(top, 0.0)))

    e_norm = gap(0.0)

    def row(alpha):
        Fo, Fi = add_type_coordinate(doc_emb, anchor_emb, alpha)
        ones_hat = 0.5 * (n * m + Fo.sum(0) @ Fi.sum(0))
        return {"α": float(alpha), "1−α²": 1.0 - alpha * alpha,
                f"R@{k} %": 100 * edge_recall_at_k(Fo, Fi, E, k), "‖E_XA−Â′‖₂": gap(1.0 - alpha * alpha),
                "‖E_XA‖₂": e_norm, "lower bd": (ones_hat - E.sum()) / np.sqrt(n * m)}

    rows = [row(a) for a in alphas]
    if best:
        res = scipy.optimize.minimize_scalar(gap, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-7})
        rows.append(row(float(np.sqrt(1.0 - res.x))))
    return rows


# --- beyond the paper's Â: other kernels of F (least squares, Eckart–Young) ----------------------
def kernel_basis(F) -> np.ndarray:
    """Orthonormal basis Q (n, ≤ P+1) of the columns of [1, Φ]: every Â = [1, Φ] Ω [1, Φ]ᵀ lives here.
    """
    F = _matrix(F, "F")
    # pivoted (rank-revealing) QR: encoder embeddings share a strong mean direction, so [1, Φ]
    # can be numerically rank deficient; scipy's is also several times faster than numpy's here
    Q, r, _ = scipy.linalg.qr(np.hstack([np.ones((F.shape[0], 1)), F]), mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    return Q[:, d > 1e-10 * max(1.0, d.max(initial=0.0))]


def best_kernel_gap(A, F_out, F_in=None, *, method: str = "auto") -> float:
    """‖A − Q_out Q_outᵀ A Q_in Q_inᵀ‖₂: the gap of the least-squares Â = [1,Φ_out] Ω [1,Φ_in]ᵀ.

    The proof of Theorem 1 never needs Ω = ½ I: for any (P+1) × (P+1) matrix Ω the network
    H(x) = φ(Wᵀ Xᵀ [1,Φ_in] Ωᵀ [1; F(x)]) equals φ(ÂXW), so the bound holds with this Â. This is the
    Frobenius-optimal Ω for the given F (a projection of A onto the span of [1, Φ]) — *not* the best
    Ω in spectral norm, which the bound uses: Ω = 0 (Â = 0, gap ‖A‖₂) is in the class too, and the
    least-squares gap can exceed ‖A‖₂ (chapter 3: mentions, square graph).
    A (n_out, n_in) sparse or dense, F_out (n_out, P), F_in (n_in, P) -> float.
    Taught in: book/03_theorem1.ipynb
    """
    F_out = _matrix(F_out, "F_out")
    F_in = F_out if F_in is None else _matrix(F_in, "F_in")
    A = _adjacency(A, (F_out.shape[0], F_in.shape[0]))
    Qo = kernel_basis(F_out)
    Qi = Qo if F_in is F_out else kernel_basis(F_in)
    core = np.asarray(Qo.T @ (A @ Qi))  # (r_out, r_in), the least-squares Ω in the Q basis
    if method == "dense" or (method == "auto" and A.shape[0] * A.shape[1] <= _DENSE_LIMIT):
        dense = (A.toarray() if sp.issparse(A) else A) - (Qo @ core) @ Qi.T
        return spectral_norm(dense, method="dense")

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(F_in.shape[0], -1)
        return np.asarray(A @ v) - Qo @ (core @ (Qi.T @ v))

    def rmatvec(u):
        u = np.asarray(u, dtype=np.float64).reshape(F_out.shape[0], -1)
        return np.asarray(A.T @ u) - Qi @ (core.T @ (Qo.T @ u))

    op = spla.LinearOperator(A.shape, matvec=matvec, rmatvec=rmatvec, matmat=matvec, rmatmat=rmatvec,
                             dtype=np.float64)
    return spectral_norm(op, method="svds")


def eckart_young_floor(A, rank: int) -> float:
    """σ_{rank+1}(A): no matrix of rank ≤ ``rank`` — so no Â built from any F with P = rank − 1 —
    gets closer to A in spectral norm (Eckart–Young–Mirsky). A (n, m) sparse or dense -> float.
    """
    n, m = A.shape
    if rank + 1 > min(n, m):
        return 0.0
    if n * m <= _DENSE_LIMIT or rank + 2 >= min(n, m):
        dense = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=np.float64)
        return float(scipy.linalg.svdvals(dense)[rank])
    v0 = np.random.default_rng(0).standard_normal(min(n, m))
    s = spla.svds(spla.aslinearoperator(sp.csr_matrix(A, dtype=np.float64)), k=rank + 1,
                  return_singular_vectors=False, v0=v0)
    return float(np.sort(s)[0])


# --- the chapter's experiments: many instances, one row each ---------------------------------------
def noise_sweep(levels, trials: int, activations, *, n: int = 25, d: int = 6, p: int = 4,
                seed: int = 0) -> list[dict]:
    """Both sides of Theorem 1 on random instances at growing distance from the premise.

    For each noise level (A = Â + level·Ξ, :func:`random_instance`) and each of ``trials`` instances,
    one row per activation: dict(noise=, phi=, beta=, lhs=, rhs=, holds=, paper_step_holds=) — the
    last says whether the paper's (false) intermediate inequality ‖(A−Â)XW‖_F ≤ ‖A−Â‖₂‖X‖₂‖W‖₂
    happens to hold on the instance (:func:`paper_step_sides`; it does not depend on φ). All
    instances come from one generator seeded with ``seed``, so the rows are reproducible.
    Taught in: book/03_theorem1.ipynb
    """
    rng = np.random.default_rng(seed)
    rows = []
    for level in levels:
        for _ in range(trials):
            inst = random_instance(rng, n, d, p, noise=level)
            paper_ok = paper_step_sides(inst["X"], inst["W"], inst["F"], inst["A"])["paper_holds"]
            for phi in activations:
                r = theorem1(inst["X"], inst["W"], inst["F"], inst["A"], phi)
                rows.append({"noise": float(level), "phi": phi, "beta": r.beta, "lhs": r.lhs, "rhs": r.rhs,
                             "holds": r.holds, "paper_step_holds": paper_ok})
    return rows


def sweep_summary(rows) -> list[dict]:
    """Per activation (in order of first appearance) of :func:`noise_sweep` rows: dict(φ=, β=,
    instances=, violations=, min rhs/lhs=, median rhs/lhs=) — min and median over rows with
    lhs > 0 — and, when the rows carry ``paper_step_holds``, "paper's step fails" (how many
    instances break the paper's intermediate inequality).
    A smallest rhs/lhs of r means the sweep could not tell the bound from one r times smaller:
    random instances do not test constants (:func:`sharp_instance` does).
    Taught in: book/03_theorem1.ipynb
    """
    out = []
    for phi in dict.fromkeys(r["phi"] for r in rows):
        mine = [r for r in rows if r["phi"] == phi]
        ratios = [r["rhs"] / r["lhs"] for r in mine if r["lhs"] > 0]
        row = {"φ": phi, "β": mine[0]["beta"], "instances": len(mine),
               "violations": sum(not r["holds"] for r in mine),
               "min rhs/lhs": float(np.min(ratios)), "median rhs/lhs": float(np.median(ratios))}
        if all("paper_step_holds" in r for r in mine):
            row["paper's step fails"] = sum(not r["paper_step_holds"] for r in mine)
        out.append(row)
    return out


def looseness_sweep(sizes, n_seeds: int, *, d: int = 8, p: int = 4, noise: float = 0.5,
                    phi: str | Activation = "relu") -> list[dict]:
    """How loose the bound is as n grows, on two kinds of graphs near the premise.

    For each n in ``sizes`` and seeds 0 … n_seeds − 1: a Gaussian perturbation of Â (noise ``noise``)
    and a 0/1 graph drawn edge by edge with Pr[a_ij = 1] = â_ij. One row per instance:
    dict(n=, graph="gaussian" | "bernoulli", ratio=, lhs=, rhs=).
    Taught in: book/03_theorem1.ipynb
    """
    rows = []
    for n in sizes:
        for seed in range(n_seeds):
            for kind in ("gaussian", "bernoulli"):
                inst = random_instance(seed, n=n, d=d, p=p, noise=noise, binary=kind == "bernoulli")
                r = theorem1(inst["X"], inst["W"], inst["F"], inst["A"], phi)
                rows.append({"n": n, "graph": kind, "ratio": r.ratio, "lhs": r.lhs, "rhs": r.rhs})
    return rows


def median_ratio(rows) -> dict[tuple[str, int], float]:
    """{(graph, n): median rhs/lhs} over the :func:`looseness_sweep` rows with lhs > 0.
    Taught in: book/03_theorem1.ipynb
    """
    groups: dict[tuple[str, int], list[float]] = {}
    for r in rows:
        if r["lhs"] > 0:
            groups.setdefault((r["graph"], r["n"]), []).append(r["ratio"])
    return {key: float(np.median(ratios)) for key, ratios in groups.items()}


def two_layer_sweep(trials: int, activations, *, n: int = 20, d: int = 5, p: int = 3,
                    seed: int = 5) -> list[dict]:
    """:func:`two_layer` on random instances with noise drawn uniformly in [0, 3).

    Activations cycle through ``activations``. One row per instance: dict(phi=, beta=, lhs=, rhs=,
    holds=, exact_lhs=, noise=0.0) — exact_lhs is the left side for A = Â (must be ~0); noise is 0.0
    so the rows share :func:`noise_sweep`'s keys.
    Taught in: book/03_theorem1.ipynb
    """
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(trials):
        inst = random_instance(rng, n=n, d=d, p=p, noise=float(rng.uniform(0, 3)))
        W2 = rng.standard_normal((d, d)) / np.sqrt(d)
        phi = activations[t % len(activations)]
        r = two_layer(inst["X"], inst["W"], W2, inst["F"], inst["A"], phi)
        exact = two_layer(inst["X"], inst["W"], W2, inst["F"], inst["A_hat"], phi)
        rows.append({"phi": phi, "beta": get_activation(phi).beta, "lhs": r.lhs, "rhs": r.rhs,
                     "holds": r.holds, "exact_lhs": exact.lhs, "noise": 0.0})
    return rows


def fixed_direction_sides(instances, directions, sigma: float, phi: str | Activation = "relu"):
    """Both sides for A = Â + σ·Ξ_s on fixed instances and fixed perturbation directions Ξ_s.

    instances: :func:`random_instance` dicts, directions: one (n, n) array per instance. Moving σ
    alone (the chapter's slider) then changes nothing else. Returns (lhs, rhs), two float arrays.
    """
    results = [theorem1(inst["X"], inst["W"], inst["F"], inst["A_hat"] + sigma * e, phi)
               for inst, e in zip(instances, directions)]
    return np.array([r.lhs for r in results]), np.array([r.rhs for r in results])


def premise_table(encoder, dataset, doc_ids, *, k: int = 100) -> tuple[list[dict], dict]:
    """:func:`premise_report` for every anchor set of a dataset, with one encoder as both X and F.

    encoder: anything with ``embed(texts, progress=False) -> (n, P)`` unit rows
    (:class:`ramen_edu.encoders.Encoder`); dataset: an ``XCDataset``; doc_ids: training documents.
    Each anchor set is restricted to the anchors these documents touch. Returns (rows, embedded):
    two rows per anchor set (graph "bipartite" and "block") with the report's numbers ("lower bd" is
    ``lower_bound``, for this encoder; "any-F bd" is ``every_F_bound``, n/2 − d̄ on the square graph
    and NaN on the block; "LS kernel" is ``best_kernel_gap``, the least-squares kernel's gap), and
    embedded = {anchor set: (docs (N, P), anchors (M, P), E_XA csr (N, M))} for further checks.
    Taught in: book/03_theorem1.ipynb
    """
    docs = encoder.embed([dataset.train_texts[i] for i in doc_ids], progress=False)
    rows, embedded = [], {}
    for name, aset in dataset.anchors.items():
        E = aset.doc_anchor[doc_ids]
        anchor_ids = np.unique(E.indices)
        E = E[:, anchor_ids]
        anchors = encoder.embed([aset.texts[j] for j in anchor_ids], progress=False)
        rep = premise_report(docs, anchors, E, k=k, floor=True)
        embedded[name] = (docs, anchors, E)
        for graph in ("bipartite", "block"):
            g = rep[graph]
            rows.append({"anchors of": name, "graph": graph, "docs": rep["documents"], "anchors": rep["anchors"],
                         "edges": rep["edges"], f"R@{k} %": 100 * rep["recall_at_k"],
                         "‖A‖₂": g["A_norm"], "‖Â‖₂": g["A_hat_norm"], "‖A−Â‖₂": g["gap"],
                         "lower bd": g["lower_bound"], "any-F bd": g["every_F_bound"], "gap/‖A‖₂": g["relative_gap"],
                         "LS kernel": g["best_kernel_gap"], "σ_(P+2)(A)": g["floor"]})
    return rows, embedded


def format_rows(rows, digits: int = 3) -> str:
    """A list of dicts (same keys) as an aligned text table; floats to ``digits`` significant digits.
    Taught in: book/03_theorem1.ipynb
    """
    cols = list(rows[0])

    def fmt(v):
        return f"{v:.{digits}g}" if isinstance(v, (float, np.floating)) else str(v)

    return text_table(cols, [[fmt(r[c]) for c in cols] for r in rows], align="r" * len(cols), rule=False)
