"""Chapter 2's figures of anchor graphs: neighbourhoods, walk visits, pruning, graph quality.

``ramen_edu.graphs`` and ``ramen_edu.data.anchors`` compute; this module only draws what they
return, so the graph code never imports plotly. Every figure function returns a
``plotly.graph_objects.Figure``; call ``fig.show()``.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ramen_edu.viz.layout import wrap
from ramen_edu.viz.tables import html_table

# one colour per node kind; anchor sets not listed get the fallback grey-blue
KIND_COLOURS = {"document": "#1f77b4", "label": "#d62728", "mentions": "#2ca02c",
                "category": "#9467bd"}
EDGE_STYLES = {"label": dict(color="#d62728", width=2),
               "same article": dict(color="#7f7f7f", width=1.5, dash="dot")}


def shorten(text: str, n: int = 40) -> str:
    """``text`` cut to at most n characters, with an ellipsis when cut (for plot labels)."""
    return text if len(text) <= n else text[: n - 1] + "…"


def draw_neighbourhood(g, *, highlight=(), title: str | None = None, seed: int = 0,
                       show_text: bool = True) -> go.Figure:
    """Draw a typed graph from :func:`ramen_edu.data.anchors.neighbourhood_graph`.

    Spring layout (networkx, seeded), nodes coloured by kind (document, label, anchor set),
    ring 0 drawn large, edges styled by kind (ground truth red, anchor edges grey, same-article
    identities dotted). ``highlight``: node ids or texts to ring in gold (e.g. a missing label).
    Hover shows each node's kind and full text.
    Taught in: book/02_anchor_graphs.ipynb
    """
    import networkx as nx  # lazy: networkx is heavy and only this drawing needs it

    if g.number_of_nodes() == 0:
        raise ValueError("the graph is empty: nothing to draw")
    pos = nx.spring_layout(g, seed=seed, k=1.2 / np.sqrt(g.number_of_nodes()), iterations=200)
    wanted = set(highlight)
    fig = go.Figure()
    edge_kinds = sorted({d.get("kind", "") for _, _, d in g.edges(data=True)})
    for kind in edge_kinds:
        xs, ys = [], []
        for u, v, d in g.edges(data=True):
            if d.get("kind", "") == kind:
                xs += [pos[u][0], pos[v][0], None]
                ys += [pos[u][1], pos[v][1], None]
        style = EDGE_STYLES.get(kind, dict(color="#b0b0b0", width=1))
        name = "ground truth (see also)" if kind == "label" else f"edge: {kind}"
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=style, hoverinfo="skip", name=name))
    kinds = list(dict.fromkeys(d["kind"] for _, d in g.nodes(data=True)))
    for kind in kinds:
        nodes = [n for n, d in g.nodes(data=True) if d["kind"] == kind]
        data = [g.nodes[n] for n in nodes]
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes],
            mode="markers+text" if show_text else "markers",
            text=[shorten(d["text"], 28) for d in data], textposition="top center",
            textfont=dict(size=10),
            hovertext=[f"{kind} · ring {d['ring']}<br>{d['text']}" for d in data], hoverinfo="text",
            marker=dict(size=[22 if d["ring"] == 0 else 12 for d in data],
                        color=KIND_COLOURS.get(kind, "#17becf"),
                        line=dict(color=["gold" if (n in wanted or d["text"] in wanted) else "white"
                                         for n, d in zip(nodes, data)],
                                  width=[4 if (n in wanted or d["text"] in wanted) else 1
                                         for n, d in zip(nodes, data)])),
            name=kind))
    fig.update_layout(title=wrap(title), showlegend=True, height=600, template="plotly_white",
                      xaxis=dict(visible=False), yaxis=dict(visible=False),
                      margin=dict(l=10, r=10, t=50 if title else 10, b=10))
    return fig


def visits_by_distance_figure(distance: np.ndarray, walk_freq: np.ndarray, exact: np.ndarray, *,
                              title: str | None = None) -> go.Figure:
    """Bar chart: share of a walk's anchor visits at each hop distance, sampled vs exact.

    distance: int (M,) from :func:`ramen_edu.graphs.anchor_hop_distance` (−1 unreachable);
    walk_freq, exact: (M,) visit frequencies of one start node (sampled walk, exact PPR).
    Taught in: book/02_anchor_graphs.ipynb
    """
    distance = np.asarray(distance)
    ds = sorted(set(distance[distance > 0].tolist()))
    sampled = [float(np.asarray(walk_freq)[distance == d].sum()) for d in ds]
    expected = [float(np.asarray(exact)[distance == d].sum()) for d in ds]
    fig = go.Figure([go.Bar(x=ds, y=sampled, name="sampled walk"),
                     go.Bar(x=ds, y=expected, name="exact (personalised PageRank)")])
    fig.update_layout(barmode="group", title=wrap(title), template="plotly_white", height=380,
                      xaxis=dict(title="hop distance of the anchor from the start node", dtick=1),
                      yaxis=dict(title="share of anchor visits", type="log"))
    return fig


def cosine_histogram_figure(related_cos: np.ndarray, unrelated_cos: np.ndarray, *,
                            threshold: float = 0.0, names=("edges that share a label",
                                                           "edges that share no label"),
                            title: str | None = None) -> go.Figure:
    """Overlaid histograms of edge cosines for two groups of edges, with the pruning threshold.

    Taught in: book/02_anchor_graphs.ipynb
    """
    fig = go.Figure()
    for values, name in ((related_cos, names[0]), (unrelated_cos, names[1])):
        fig.add_trace(go.Histogram(x=np.asarray(values), name=name, opacity=0.6, nbinsx=60,
                                   histnorm="probability"))
    fig.add_vline(x=threshold, line=dict(color="black", dash="dash"),
                  annotation_text=f"prune ≤ {threshold:g}")
    fig.update_layout(barmode="overlay", title=wrap(title), template="plotly_white", height=380,
                      xaxis=dict(title="cosine of the edge's endpoints (encoder)"),
                      yaxis=dict(title="share of edges"))
    return fig


def graph_quality_table(card: Mapping) -> str:
    """An HTML table of a benchmark card's graph quality, before cleaning and as built.

    card: ``wiki_seealso_card(...)`` (its "graph_quality": per anchor set, "test" and "train"
    rows of ``graphs.anchor_graph_quality`` and a "before_cleaning" copy). The test columns are
    the honest ones: held-out documents' hidden edges against label edges built without them.
    Taught in: book/02_anchor_graphs.ipynb
    """
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
    return html_table([dict(zip(head, r)) for r in rows], head)


def walk_convergence_figure(hop_grid: Sequence[int], max_err: Sequence[float],
                            tv_err: Sequence[float]) -> go.Figure:
    """Sampled walk vs exact PPR as the walk grows, log-log, with a 1/√hops guide through the
    first point. Inputs from :func:`ramen_edu.graphs.walk_error_by_hops`.
    Taught in: book/02_anchor_graphs.ipynb
    """
    guide = max_err[0] * np.sqrt(hop_grid[0] / np.asarray(hop_grid, dtype=float))
    fig = go.Figure([go.Scatter(x=list(hop_grid), y=list(max_err), mode="lines+markers", name="largest single-anchor error"),
                     go.Scatter(x=list(hop_grid), y=list(tv_err), mode="lines+markers", name="total variation"),
                     go.Scatter(x=list(hop_grid), y=guide, mode="lines", line=dict(dash="dash"), name="∝ 1/√hops")])
    # dtick "D2": on a log axis spanning less than a decade (the smoke profile's few hops) plotly
    # labels every digit 2 … 9 and the labels overlap; 2 and 5 per decade stay apart
    fig.update_layout(template="plotly_white", height=360, xaxis=dict(title="hops", type="log", dtick="D2"),
                      yaxis=dict(title="error vs exact PPR", type="log", dtick="D2"))
    return fig
