"""Chapter 5's views: FN@k differences per quantile, inference cost by stage.

Taught in: book/05_baselines_and_tail.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from ramen_edu.viz.layout import wrap
from ramen_edu.viz.xc import QUANTILE_NAMES


def fn_diff_figure(diff: Mapping[str, Mapping[str, Mapping[str, float]]], *, title: str) -> go.Figure:
    """Heatmap of DIFF@k = FN@k(A) − FN@k(B) per label quantile (rows: tail → head), in points.

    diff: {quantile: {"FN@k": {"mean": ..., "std": ...}}} as in ``baselines.json``'s "fn_diff".
    Negative (blue) = A misses fewer true labels than B (the paper's Table 8 sign).
    Taught in: book/05_baselines_and_tail.ipynb
    """
    quantiles = sorted(diff, key=int)
    ks = list(diff[quantiles[0]])
    z = [[100 * diff[q][k]["mean"] for k in ks] for q in quantiles]
    text = [[f"{100 * diff[q][k]['mean']:+.1f} ± {100 * diff[q][k]['std']:.1f}" for k in ks] for q in quantiles]
    names = [QUANTILE_NAMES[int(q)] if int(q) < len(QUANTILE_NAMES) else f"bin {int(q) + 1}" for q in quantiles]
    bound = max(1e-9, max(abs(v) for row in z for v in row))
    fig = go.Figure(go.Heatmap(z=z, x=[k.replace("FN", "DIFF") for k in ks], y=names, text=text,
                               texttemplate="%{text}", colorscale="RdBu_r", zmin=-bound, zmax=bound,
                               colorbar=dict(title="points")))
    fig.update_layout(title=wrap(title), height=360, template="plotly_white", yaxis_title="label quantile")
    return fig


def cost_figure(stages: Mapping[str, Mapping[str, float]], *, title: str) -> go.Figure:
    """Stacked bars of milliseconds per query by stage, one bar per pipeline.

    stages: {pipeline: {stage: ms per query}}.
    Taught in: book/05_baselines_and_tail.ipynb
    """
    names = list(stages)
    all_stages = list(dict.fromkeys(s for d in stages.values() for s in d))
    fig = go.Figure([go.Bar(name=s, x=names, y=[stages[p].get(s, 0.0) for p in names]) for s in all_stages])
    fig.update_layout(barmode="stack", title=wrap(title), template="plotly_white", height=360, yaxis_title="ms per query")
    return fig
