"""Figures and tables that read (issue 21): titles wrapped, panels that had long titles or long
tick labels stacked, numeric table cells right-aligned with "±" kept together. The browser test
(tests/test_browser.py) checks the drawn result; these check the inputs that make it so."""
from __future__ import annotations

import re

import numpy as np

from ramen_edu.viz import bandit_pairs_figure, fn_diff_figure, html_table, inbatch_bandit_figure
from ramen_edu.viz.layout import TITLE_CHARS, wrap
from ramen_edu.viz.tables import is_numeric


def _lines(text: str) -> list[str]:
    return re.sub(r"<[^>]+>", "\n", text).split("\n")


def test_wrap_breaks_at_spaces_and_keeps_short_text_and_none():
    long = "DIFF@k = FN@k(RAMEN) − FN@k(GCN (learned linker)), points, mean ± std over seeds"
    wrapped = wrap(long)
    assert "<br>" in wrapped and wrapped.replace("<br>", " ") == long
    assert all(len(line) <= TITLE_CHARS for line in wrapped.split("<br>"))
    assert wrap("short") == "short" and wrap(None) is None
    assert wrap("a<br>b") == "a<br>b"


def _lambda_log(n=12):
    return [{"step": 10 * i, "reward": 0.1 + 0.01 * i, "λ[doc:concept]": 1.0 + 0.1 * i,
             "λ[label:concept]": 1.0, "λ[doc_label]": 1.0} for i in range(n)]


def test_bandit_figures_stack_their_panels_and_wrap_subplot_titles():
    history = [{"phase": "update", "iteration": i, "signal": 0.01 * (-1) ** i,
                "direction": {"doc:concept": (-1) ** i, "label:concept": 1},
                "lambda": {"doc:concept": 1.0 + i, "label:concept": 1.0}} for i in range(6)]
    for fig in (inbatch_bandit_figure(_lambda_log()), bandit_pairs_figure(history)):
        x1, x2 = fig.layout.xaxis.domain, fig.layout.xaxis2.domain
        y1, y2 = fig.layout.yaxis.domain, fig.layout.yaxis2.domain
        assert tuple(x1) == tuple(x2) == (0.0, 1.0)          # each panel spans the width ...
        assert y1[0] > y2[1]                                  # ... one above the other
        for a in fig.layout.annotations:                      # subplot titles: short lines, raised
            assert max(len(line) for line in _lines(a.text)) <= 64 and a.yshift > 0


def test_direction_ticks_leave_room_between_terms():
    history = [{"phase": "update", "iteration": i, "signal": 0.0, "direction": {"d:a": 1, "l:a": -1, "d:b": 1},
                "lambda": {"d:a": 1.0, "l:a": 1.0, "d:b": 1.0}} for i in range(3)]
    ticks = sorted(bandit_pairs_figure(history).layout.xaxis.tickvals)
    assert min(np.diff(ticks)) >= 2                           # neighbouring labels ~2 units apart


def test_long_figure_titles_are_wrapped():
    diff = {"0": {"FN@1": {"mean": -0.01, "std": 0.002}}, "1": {"FN@1": {"mean": 0.0, "std": 0.001}}}
    fig = fn_diff_figure(diff, title="DIFF@k = FN@k(RAMEN) − FN@k(GCN (learned linker)), points, mean ± std over seeds")
    assert all(len(line) <= TITLE_CHARS for line in fig.layout.title.text.split("<br>"))


def test_numeric_cells_are_right_aligned_on_one_line_and_plus_minus_stays_together():
    assert all(map(is_numeric, ["6,847", "16.2%", "21.93 ± 0.41", "+1.18 ± 0.93 *", "28.38 ± –", 3, 2.5]))
    assert not any(map(is_numeric, ["RAMEN", "cos > 0.1", "36% · 40%", "12,249 (100%)", True]))
    html = html_table([{"name": "RAMEN", "P@1": "21.93 ± 0.41", "n": 6847, "note": "GCN − RAMEN: -2.27 ± 0.94"},
                       {"name": "No graph", "P@1": "–", "n": 12, "note": "x"}])
    assert html.startswith('<table class="ramen-table">')
    right = 'style="text-align:right;white-space:nowrap"'
    assert f'<th {right}>P@1</th>' in html and f'<th {right}>n</th>' in html   # numeric columns
    assert "<th>name</th>" in html and "<th>note</th>" in html
    assert f"<td {right}>21.93\u00a0±\u00a00.41</td>" in html and f"<td {right}>6847</td>" in html
    assert f"<td {right}>–</td>" in html                     # a missing value in a numeric column
    assert "<td>GCN − RAMEN: -2.27\u00a0±\u00a00.94</td>" in html   # prose cell: ± joined, no nowrap
    assert " ± " not in html
