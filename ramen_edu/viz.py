"""Plotly figures for the book: each function takes plain arrays or metric dicts and returns a
``plotly.graph_objects.Figure`` (call ``.show()``), so the rendered HTML keeps a real figure.

A plain module of figure functions; chapters add theirs here. Nothing upstream (data, metrics,
graphs, training) imports this module.

Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
    fig.update_layout(title=title, template="plotly_white", height=420,
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
    fig.update_layout(barmode="group", template="plotly_white", height=380, title=title,
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
                      title=title if title is not None else f"{metric} on each label quantile",
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


def lambda_paths_figure(lambda_log: Sequence[Mapping], *, title: str = "λ per bandit period") -> go.Figure:
    """λ of every regularizer term along training, one line per term (log scale).

    lambda_log: a run record's ``lambda_log`` (one row per bandit period: "step" and "λ[term]").
    Taught in: book/04_training.ipynb
    """
    fig = go.Figure()
    for key in [k for k in lambda_log[0] if k.startswith("λ[") and k != "λ[doc_label]"]:
        fig.add_trace(go.Scatter(x=[e["step"] for e in lambda_log], y=[e[key] for e in lambda_log],
                                 mode="lines", name=key[2:-1]))
    fig.update_layout(template="plotly_white", height=360, title=title, xaxis_title="training step",
                      yaxis_title="λ (log scale)", yaxis_type="log")
    return fig


def inbatch_bandit_figure(lambda_log: Sequence[Mapping], *, decay: float = 0.9) -> go.Figure:
    """Why a bandit rewarded with the in-batch *training* P@1 cannot tune λ (book/04).

    Left: the reward per bandit period and its moving-average baseline (EMA, ``decay``) — the
    reward trends up with training, so the advantage (reward − baseline) is positive almost
    always. Right: each period's λ step against its own perturbation for every term — with a
    positive advantage every step follows its perturbation, whatever the graph is worth.
    lambda_log: the run record rows ("step", "reward", "λ[term]" = the perturbed λ used).
    Taught in: book/04_training.ipynb
    """
    steps = np.array([e["step"] for e in lambda_log])
    reward = np.array([e["reward"] for e in lambda_log])
    base = np.empty_like(reward)
    base[0] = reward[0]
    for i in range(1, len(reward)):
        base[i] = decay * base[i - 1] + (1 - decay) * reward[i - 1]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        f"in-batch P@1 (reward) and its baseline · advantage > 0 in {100 * np.mean(reward[1:] > base[1:]):.0f} % of periods",
        "λ used in a period vs the next period's λ (per term)"))
    fig.add_trace(go.Scatter(x=steps, y=reward, mode="lines", name="reward (in-batch P@1)"), 1, 1)
    fig.add_trace(go.Scatter(x=steps, y=base, mode="lines", name="moving baseline"), 1, 1)
    for key in [k for k in lambda_log[0] if k.startswith("λ[") and k != "λ[doc_label]"]:
        lam = np.array([e[key] for e in lambda_log])
        fig.add_trace(go.Scatter(x=lam[:-1], y=lam[1:], mode="markers", marker_size=4, name=key[2:-1]), 1, 2)
    fig.update_layout(template="plotly_white", height=380)
    fig.update_xaxes(title_text="training step", row=1, col=1)
    fig.update_xaxes(title_text="λ in period t", row=1, col=2)
    fig.update_yaxes(title_text="λ in period t + 1", row=1, col=2)
    return fig


def bandit_pairs_figure(history: Sequence[Mapping]) -> go.Figure:
    """The validation bandit's evidence: per pair, the reward difference d = r₊ − r₋ against each
    term's direction u (±1), and the λ path. A term the reward cares about shows d leaning with u.

    history: ``LambdaBandit.history`` (a run record's ``bandit_history``), validation mode.
    Taught in: book/04_training.ipynb
    """
    updates = [h for h in history if h["phase"] == "update" and h.get("direction")]
    terms = list(updates[0]["direction"]) if updates else []
    fig = make_subplots(rows=1, cols=2, subplot_titles=("d = r₊ − r₋ by direction u of each term",
                                                        "λ after each pair (log scale)"))
    rng = np.random.default_rng(0)  # horizontal jitter only, so the two columns of points are visible
    for i, term in enumerate(terms):
        u = np.array([h["direction"][term] for h in updates])
        d = np.array([h["signal"] for h in updates])
        fig.add_trace(go.Scatter(x=i * 3 + u + rng.uniform(-0.3, 0.3, len(u)), y=d, mode="markers",
                                 marker_size=4, name=term, legendgroup=term), 1, 1)
        fig.add_trace(go.Scatter(x=[h["iteration"] for h in updates], y=[h["lambda"][term] for h in updates],
                                 mode="lines", name=term, legendgroup=term, showlegend=False), 1, 2)
    fig.update_xaxes(tickvals=[i * 3 + s for i in range(len(terms)) for s in (-1, 1)],
                     ticktext=[f"{t.split(':')[0][0]}:{t.split(':')[1]} {'−' if s < 0 else '+'}"
                               for t in terms for s in (-1, 1)], row=1, col=1)
    fig.update_yaxes(title_text="reward difference d", row=1, col=1)
    fig.update_yaxes(type="log", title_text="λ", row=1, col=2)
    fig.update_xaxes(title_text="training step", row=1, col=2)
    fig.update_layout(template="plotly_white", height=400)
    return fig


def graph_quality_table(card: Mapping) -> str:
    """An HTML table of a benchmark card's graph quality, before cleaning and as built.

    card: ``wiki_seealso_card(...)`` (its "graph_quality": per anchor set, "test" and "train"
    rows of ``graphs.anchor_graph_quality`` and a "before_cleaning" copy). The test columns are
    the honest ones: held-out documents' hidden edges against label edges built without them.
    Taught in: book/02_anchor_graphs.ipynb
    """
    from html import escape

    head = ["graph", "stage", "test edge precision", "test label coverage", "test edges / doc",
            "train edge precision", "train label coverage", "train edges / doc"]
    rows = []
    for name, q in (card.get("graph_quality") or {}).items():
        for stage, r in (("before cleaning", q.get("before_cleaning")), ("as built", q)):
            if r:
                t, tr = r["test"], r["train"]
                rows.append([name, stage, f"{t['edge_precision']:.1%}", f"{t['label_coverage']:.1%}",
                             f"{t['edges_per_document']:.2f}", f"{tr['edge_precision']:.1%}",
                             f"{tr['label_coverage']:.1%}", f"{tr['edges_per_document']:.2f}"])

    def tr_(cells, tag):
        return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"

    return ("<table><thead>" + tr_(head, "th") + "</thead><tbody>"
            + "".join(tr_(r, "td") for r in rows) + "</tbody></table>")
