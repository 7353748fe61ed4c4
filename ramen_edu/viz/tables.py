"""Plain HTML tables for notebook outputs.

A notebook's markdown output is not parsed as a table by every renderer; HTML is rendered
everywhere (Jupyter, Colab, the HTML book), so the chapters' tables go through here.

Numbers read as numbers: a cell that holds one (``6,847``, ``16.2%``, ``21.93 ± 0.41``,
``+1.18 ± 0.93 *``) is right-aligned and never broken across lines, and every ``±`` is joined to
its neighbours by no-break spaces, so "21.93 ±" never ends a line with "0.41" on the next. Cell
padding comes from the renderer (JupyterLab and Colab pad table cells; the HTML book's
``ramen-site.css`` pads ``table.ramen-table``); ``tests/test_browser.py`` checks both in the
built book.

Taught in: book/05_baselines_and_tail.ipynb (and used by chapter 2's graph-quality table and by
``ramen_edu.experiments.comparison.format_comparison(html=True)``)
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

# a number, optionally signed, with thousands commas and a %, optionally "± spread" (or "± –"
# when there is none) and a "*" mark; tests/test_browser.py uses the same pattern
NUMERIC = re.compile(r"^[+\-−–]?\d[\d,.]*\s*%?(\s*±\s*([+\-−]?\d[\d,.]*|–|-)\s*%?)?(\s*\*)?$")
NBSP = "\u00a0"
NUMERIC_STYLE = "text-align:right;white-space:nowrap"


def is_numeric(value) -> bool:
    """Whether a cell holds a number (an int or float, or a string that prints one)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or bool(NUMERIC.match(str(value).strip()))


def _text(value) -> str:
    # "a ± b" → "a\u00a0±\u00a0b": the browser may break a line only outside the expression
    return re.sub(r"\s*±\s*", f"{NBSP}±{NBSP}", str(value))


def html_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None, *, caption: str | None = None) -> str:
    """An HTML table of dict rows (cells printed with ``str``; numbers right-aligned, on one line).

    A column whose filled cells are all numbers (:func:`is_numeric`) has its header right-aligned
    too. The table carries ``class="ramen-table"`` (the HTML book pads its cells).
    A notebook's markdown output is not parsed as a table by the book build; HTML is rendered
    everywhere (Jupyter, Colab, the HTML book). Display with ``IPython.display.HTML``.
    Taught in: book/05_baselines_and_tail.ipynb
    """
    columns = list(columns or (rows[0].keys() if rows else []))
    numeric_column = {c: any(str(r.get(c, "")).strip() not in ("", "–") for r in rows)
                      and all(is_numeric(r[c]) for r in rows if str(r.get(c, "")).strip() not in ("", "–"))
                      for c in columns}

    def cell(value, tag: str, numeric: bool) -> str:
        style = f' style="{NUMERIC_STYLE}"' if numeric else ""
        return f"<{tag}{style}>{escape(_text(value))}</{tag}>"

    head = "".join(cell(c, "th", numeric_column[c]) for c in columns)
    body = "".join("<tr>" + "".join(cell(r.get(c, ""), "td", is_numeric(r.get(c, "")) or
                                         (numeric_column[c] and str(r.get(c, "")).strip() == "–"))
                                    for c in columns) + "</tr>" for r in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="ramen-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
