"""Chapter 3's figures: the two sides of Theorem 1 over many instances.

Each function takes rows or arrays computed by :mod:`ramen_edu.theory` and returns a
``plotly.graph_objects.Figure``.

Taught in: book/03_theorem1.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ramen_edu.theory import bound_holds, fixed_direction_sides
from ramen_edu.viz.layout import wrap


def sides_figure(rows: Sequence[Mapping], title: str = "Theorem 1: left side vs right side") -> go.Figure:
    """Left side against right side, log-log, one colour per activation, and the diagonal lhs = rhs.

    rows: dicts with phi, beta, lhs, rhs, noise (:func:`ramen_edu.theory.noise_sweep`,
    :func:`ramen_edu.theory.two_layer_sweep`). The bound says every dot lies on or below the diagonal.
    Taught in: book/03_theorem1.ipynb
    """
    fig = go.Figure()
    for phi in dict.fromkeys(r["phi"] for r in rows):
        g = [r for r in rows if r["phi"] == phi]
        fig.add_trace(go.Scatter(x=[r["rhs"] for r in g], y=[r["lhs"] for r in g], mode="markers",
                                 name=f"{phi} (β={g[0]['beta']:g})", marker=dict(size=5, opacity=0.6),
                                 customdata=[r["noise"] for r in g],
                                 hovertemplate="noise %{customdata:.3g}<br>rhs %{x:.3g}<br>lhs %{y:.3g}"))
    values = [v for r in rows for v in (r["lhs"], r["rhs"]) if v > 0]
    lo, hi = min(values) * 0.5, max(values) * 2
    fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="lhs = rhs",
                             line=dict(color="black", dash="dash")))
    fig.update_layout(title=wrap(title), template="plotly_white", height=450,
                      xaxis=dict(type="log", title="right side  β·R·‖W‖₂·‖A − Â‖₂"),
                      yaxis=dict(type="log", title="left side  ‖φ(AXW) − H(X)‖_F / √n"))
    return fig


def looseness_figure(medians: Mapping[tuple[str, int], float], sizes: Sequence[int]) -> go.Figure:
    """Median rhs/lhs against the node count n, one line per kind of graph, log-log.

    medians: {(graph, n): ratio} from :func:`ramen_edu.theory.median_ratio`.
    Taught in: book/03_theorem1.ipynb
    """
    fig = go.Figure()
    for kind in dict.fromkeys(kind for kind, _ in medians):
        fig.add_trace(go.Scatter(x=list(sizes), y=[medians[kind, n] for n in sizes], mode="lines+markers",
                                 name=f"A: {kind}"))
    fig.update_layout(title="Looseness of the bound (ReLU): median rhs / lhs", template="plotly_white",
                      height=380, xaxis=dict(type="log", title="n (nodes)"), yaxis=dict(type="log", title="rhs / lhs"))
    return fig


def noise_level_figure(instances: Sequence[Mapping], directions: Sequence[np.ndarray], sigma: float,
                       phi: str = "relu") -> go.Figure:
    """Both sides per instance for A = Â + σ·E_s, as overlaid bars (right side grey, left side red),
    titled with how many instances satisfy the bound.

    instances: :func:`ramen_edu.theory.random_instance` dicts; directions: one (n, n) array E_s each
    (:func:`ramen_edu.theory.fixed_direction_sides`).
    Taught in: book/03_theorem1.ipynb
    """
    lhs, rhs = fixed_direction_sides(instances, directions, sigma, phi)
    x = np.arange(len(lhs))
    fig = go.Figure(go.Bar(x=x, y=rhs, name="right side", marker_color="lightgray"))
    fig.add_trace(go.Bar(x=x, y=lhs, name="left side", marker_color="crimson"))
    fig.update_layout(barmode="overlay", template="plotly_white", height=360,
                      title=f"σ = {sigma:.2f}, φ = {phi}: lhs ≤ rhs in {int(bound_holds(lhs, rhs).sum())}/{len(lhs)} "
                            "instances",
                      xaxis_title="instance", yaxis=dict(title="value", range=[0, max(rhs.max(), 1e-12) * 1.05]))
    return fig


def explore_noise_level(instances: Sequence[Mapping], directions: Sequence[np.ndarray],
                        activations: Sequence[str], *, sigma: float = 0.5, phi: str = "relu"):
    """ipywidgets app around :func:`noise_level_figure`: a σ slider (0–3) and an activation menu
    redraw the figure. Returns the app (display it, or leave it last in a cell).
    Taught in: book/03_theorem1.ipynb
    """
    import ipywidgets as w

    sigma_slider = w.FloatSlider(value=sigma, min=0.0, max=3.0, step=0.05, description="σ",
                                 continuous_update=False)
    phi_menu = w.Dropdown(options=list(activations), value=phi, description="φ")
    live = w.Output()

    def redraw(_change=None):
        with live:
            live.clear_output(wait=True)
            noise_level_figure(instances, directions, sigma_slider.value, phi_menu.value).show()

    sigma_slider.observe(redraw, names="value")
    phi_menu.observe(redraw, names="value")
    return w.VBox([w.HBox([sigma_slider, phi_menu]), live])
