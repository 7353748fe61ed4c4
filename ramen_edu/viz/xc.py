"""Chapter 1's figures: the long tail, label quantiles, propensities and metric bars.

Each function takes plain arrays or metric dicts and returns a ``plotly.graph_objects.Figure``
(call ``.show()``), so the rendered HTML keeps a real figure.

Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from ramen_edu.viz.layout import wrap

#: bin names of the 5 equal-volume label quantiles, tail first (RAMEN App. D.1)
QUANTILE_NAMES = ("tail", "2", "3", "4", "head")


def _bin_names(n_bins: int) -> list[str]:
    return list(QUANTILE_NAMES) if n_bins == 5 else [f"bin {b}" for b in range(n_bins)]


def label_frequency_figure(frequencies: Mapping[str, np.ndarray] | np.ndarray, *,
                           title: str = "The long tail: labels ranked by training frequency") -> go.Figure:
    """Rank–frequency plot on log–log axes (one line per dataset).

    frequencies: {dataset name: (L,) documents per label} or one (L,) array. Labels with
    frequency 0 are left out (log scale). Returns a Figure; a straight line is a power law.
    Taught in: book/01_extreme_classification.ipynb
    """
    if not isinstance(frequencies, Mapping):
        frequencies = {"labels": frequencies}
    fig = go.Figure()
    for name, freq in frequencies.items():
        f = np.sort(np.asarray(freq))[::-1]
        f = f[f > 0]
        # log-spaced ranks (plus each step's last rank) keep the curve and the page small
        keep = np.unique(np.concatenate([np.geomspace(1, max(len(f), 1), 300).astype(np.int64) - 1,
                                         np.flatnonzero(np.diff(f, append=-1) != 0)]))
        rank, f = keep + 1, f[keep]
        fig.add_trace(go.Scatter(x=rank, y=f, mode="lines", name=str(name),
                                 hovertemplate="rank %{x}<br>%{y} documents<extra>" + str(name) + "</extra>"))
    fig.update_xaxes(type="log", title="label rank (1 = most frequent)")
    fig.update_yaxes(type="log", title="training documents with the label")
    fig.update_layout(title=wrap(title), template="plotly_white", height=420,
                      legend=dict(x=0.98, y=0.98, xanchor="right"))
    return fig


def quantile_figure(label_frequency: np.ndarray, bins: np.ndarray) -> go.Figure:
    """Two bar charts over the label bins: how many labels, and how many training pairs, each holds.

    label_frequency: (L,) documents per label. bins: (L,) bin id, 0 = tail (``label_quantiles``).
    Equal-volume bins hold about the same number of pairs but very different numbers of labels.
    Taught in: book/01_extreme_classification.ipynb
    """
    freq, bins = np.asarray(label_frequency), np.asarray(bins)
    n_bins = int(bins.max()) + 1
    names = _bin_names(n_bins)
    labels = np.bincount(bins, minlength=n_bins)
    volume = np.bincount(bins, weights=freq, minlength=n_bins)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("labels per bin", "training pairs per bin"))
    fig.add_trace(go.Bar(x=names, y=labels, name="labels", marker_color="#4C78A8"), 1, 1)
    fig.add_trace(go.Bar(x=names, y=volume, name="pairs", marker_color="#F58518"), 1, 2)
    fig.update_layout(template="plotly_white", height=360, showlegend=False,
                      title="Five equal-volume label quantiles")
    return fig


def metrics_figure(rows: Mapping[str, Mapping[str, float]], columns: Sequence[str] = ("P@1", "P@5", "PSP@1", "PSP@5"),
                   *, title: str = "") -> go.Figure:
    """Grouped bars of metrics (in percent) for several methods.

    rows: {method: ``evaluate`` dict (fractions)}. columns: which metrics, in order.
    Taught in: book/01_extreme_classification.ipynb
    """
    fig = go.Figure()
    for name, res in rows.items():
        fig.add_trace(go.Bar(x=list(columns), y=[100 * res[c] for c in columns], name=str(name),
                             hovertemplate="%{x}: %{y:.1f}<extra>" + str(name) + "</extra>"))
    fig.update_layout(barmode="group", template="plotly_white", height=380, title=wrap(title),
                      yaxis_title="percent")
    return fig


def quantile_metrics_figure(per_method: Mapping[str, Mapping[int, Mapping[str, float]]], metric: str = "P@5",
                            *, title: str | None = None) -> go.Figure:
    """Grouped bars of one metric per label bin (tail → head) for several methods (RAMEN Fig. 3).

    per_method: {method: ``quantile_metrics`` result {bin: metrics dict}}. metric: e.g. "P@5".
    Taught in: book/01_extreme_classification.ipynb
    """
    fig = go.Figure()
    for name, per_bin in per_method.items():
        order = sorted(per_bin)
        fig.add_trace(go.Bar(x=_bin_names(len(order)), y=[100 * per_bin[b][metric] for b in order],
                             name=str(name)))
    fig.update_layout(barmode="group", template="plotly_white", height=380, yaxis_title=f"{metric} (percent)",
                      title=wrap(title) if title is not None else f"{metric} on each label quantile",
                      xaxis_title="label quantile (equal training volume)")
    return fig


def propensity_figure(label_frequency: np.ndarray, propensity: np.ndarray) -> go.Figure:
    """Propensity p_l and PSP weight 1/p_l against label frequency (log x axis).

    label_frequency, propensity: (L,) arrays (``ramen_edu.metrics.propensities``).
    Taught in: book/01_extreme_classification.ipynb
    """
    f, p = np.asarray(label_frequency), np.asarray(propensity)
    f, first = np.unique(f, return_index=True)  # p depends on the frequency alone: one point each
    p = p[first]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("propensity p_l", "PSP weight 1 / p_l"))
    fig.add_trace(go.Scatter(x=f + 1, y=p, mode="lines+markers", marker_size=4), 1, 1)
    fig.add_trace(go.Scatter(x=f + 1, y=1 / p, mode="lines+markers", marker_size=4), 1, 2)
    fig.update_xaxes(type="log", title="training documents with the label + 1")
    fig.update_layout(template="plotly_white", height=340, showlegend=False)
    return fig
