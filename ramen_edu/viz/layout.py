"""Layout helpers that keep a figure's text readable at the book's width (about 680 px in the
HTML book at 1280 px, less in a narrow Jupyter or Colab pane).

plotly never wraps a title or an annotation: a long one runs past the figure's edge (cut) or
over its neighbour (two subplot titles side by side). The figure functions therefore wrap their
titles here and put panels with long titles or long tick labels one above the other.
``tests/test_browser.py`` checks every figure of the built book for overlapping or cut text.
"""
from __future__ import annotations

import textwrap

import plotly.graph_objects as go

# characters per title line: ~9 px a character at plotly's 17 px title font keeps a line under
# ~540 px, inside the book's ~680 px figures less the default margins
TITLE_CHARS = 60
# characters per subplot-title line (16 px annotations, one panel across the figure)
SUBPLOT_TITLE_CHARS = 64


def wrap(text: str | None, width: int = TITLE_CHARS) -> str | None:
    """``text`` broken at spaces into lines of at most ``width`` characters, joined by ``<br>``
    (plotly's line break). A word longer than ``width`` stays whole; existing ``<br>`` are kept;
    None (no title) stays None."""
    if text is None:
        return None
    return "<br>".join(line for part in str(text).split("<br>")
                       for line in (textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False)
                                    or [""]))


def lift_subplot_titles(fig: go.Figure, px: int = 6) -> go.Figure:
    """Raise the subplot titles that ``make_subplots`` made (annotations at the top of a panel)
    by ``px`` pixels, so a panel's topmost tick label does not touch its title."""
    for annotation in fig.layout.annotations:
        if annotation.yanchor == "bottom" and annotation.xref == "paper" and not annotation.showarrow:
            annotation.yshift = px
    return fig
