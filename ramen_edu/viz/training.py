"""Chapter 4's figures of a training run: λ paths and the two bandits' evidence.

Each function reads a run record's rows (``lambda_log``, ``bandit_history``) and returns a
``plotly.graph_objects.Figure``.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ramen_edu.viz.layout import SUBPLOT_TITLE_CHARS, lift_subplot_titles, wrap


def lambda_paths_figure(lambda_log: Sequence[Mapping], *, title: str = "λ per bandit period") -> go.Figure:
    """λ of every regularizer term along training, one line per term (log scale).

    lambda_log: a run record's ``lambda_log`` or a model's ``log`` (one row per bandit period:
    "step" and "λ[term]"). The label term λ[doc_label] is drawn only when it moves (the paper's
    bandit tunes it; the validation bandit holds it at 1).
    Taught in: book/04_training.ipynb
    """
    fig = go.Figure()
    for key in [k for k in lambda_log[0] if k.startswith("λ[")
                and (k != "λ[doc_label]" or len({e[k] for e in lambda_log}) > 1)]:
        fig.add_trace(go.Scatter(x=[e["step"] for e in lambda_log], y=[e[key] for e in lambda_log],
                                 mode="lines", name=key[2:-1]))
    fig.update_layout(template="plotly_white", height=360, title=wrap(title), xaxis_title="training step",
                      yaxis_title="λ (log scale)", yaxis_type="log")
    return fig


def inbatch_bandit_figure(lambda_log: Sequence[Mapping], *, decay: float = 0.9) -> go.Figure:
    """Why a bandit rewarded with the in-batch *training* P@1 cannot tune λ (book/04).

    Top: the reward per bandit period and its moving-average baseline (EMA, ``decay``) — the
    reward trends up with training, so the advantage (reward − baseline) is positive almost
    always. Bottom: each period's λ step against its own perturbation for every term — with a
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
    # one panel above the other: side by side, the two long titles overlapped and the left one was
    # cut at the figure's edge (book/04 at 1280 px)
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.2, subplot_titles=(
        wrap(f"in-batch P@1 (reward) and its moving baseline · advantage > 0 in "
             f"{100 * np.mean(reward[1:] > base[1:]):.0f} % of periods", SUBPLOT_TITLE_CHARS),
        wrap("λ used in a period vs the next period's λ (per term)", SUBPLOT_TITLE_CHARS)))
    fig.add_trace(go.Scatter(x=steps, y=reward, mode="lines", name="reward (in-batch P@1)"), 1, 1)
    fig.add_trace(go.Scatter(x=steps, y=base, mode="lines", name="moving baseline"), 1, 1)
    for key in [k for k in lambda_log[0] if k.startswith("λ[") and k != "λ[doc_label]"]:
        lam = np.array([e[key] for e in lambda_log])
        fig.add_trace(go.Scatter(x=lam[:-1], y=lam[1:], mode="markers", marker_size=4, name=key[2:-1]), 2, 1)
    fig.update_layout(template="plotly_white", height=700, margin=dict(t=90))
    fig.update_xaxes(title_text="training step", row=1, col=1)
    fig.update_yaxes(title_text="in-batch P@1", row=1, col=1)
    fig.update_xaxes(title_text="λ used in a period", row=2, col=1)
    fig.update_yaxes(title_text="λ used in the next period", row=2, col=1)
    return lift_subplot_titles(fig)


def bandit_pairs_figure(history: Sequence[Mapping]) -> go.Figure:
    """The validation bandit's evidence: per pair, the reward difference d = r₊ − r₋ against each
    term's direction u (±1), and the λ path. A term the reward cares about shows d leaning with u.

    history: ``LambdaBandit.history`` (a run record's ``bandit_history``), validation mode.
    Taught in: book/04_training.ipynb
    """
    updates = [h for h in history if h["phase"] == "update" and h.get("direction")]
    terms = list(updates[0]["direction"]) if updates else []
    # one panel above the other (side by side, the direction ticks ran into each other and the
    # right panel's top tick into its title); ticks at 4i ± 1 leave a gap between terms
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.2,
                        subplot_titles=(wrap("d = r₊ − r₋ by direction u of each term", SUBPLOT_TITLE_CHARS),
                                        "λ after each pair (log scale)"))
    rng = np.random.default_rng(0)  # horizontal jitter only, so the two columns of points are visible
    for i, term in enumerate(terms):
        u = np.array([h["direction"][term] for h in updates])
        d = np.array([h["signal"] for h in updates])
        fig.add_trace(go.Scatter(x=i * 4 + u + rng.uniform(-0.3, 0.3, len(u)), y=d, mode="markers",
                                 marker_size=4, name=term, legendgroup=term), 1, 1)
        fig.add_trace(go.Scatter(x=[h["iteration"] for h in updates], y=[h["lambda"][term] for h in updates],
                                 mode="lines", name=term, legendgroup=term, showlegend=False), 2, 1)
    fig.update_xaxes(tickvals=[i * 4 + s for i in range(len(terms)) for s in (-1, 1)],
                     ticktext=[f"{t.split(':')[0][0]}:{t.split(':')[1]} {'−' if s < 0 else '+'}"
                               for t in terms for s in (-1, 1)], row=1, col=1)
    fig.update_yaxes(title_text="reward difference d", row=1, col=1)
    fig.update_yaxes(type="log", title_text="λ", row=2, col=1)
    fig.update_xaxes(title_text="training step", row=2, col=1)
    fig.update_layout(template="plotly_white", height=700, margin=dict(t=90))
    return lift_subplot_titles(fig)
