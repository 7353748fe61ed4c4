"""Plain HTML tables for notebook outputs.

A notebook's markdown output is not parsed as a table by every renderer; HTML is rendered
everywhere (Jupyter, Colab, the HTML book), so the chapters' tables go through here.

Taught in: book/05_baselines_and_tail.ipynb (and used by chapter 2's graph-quality table)
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape


def html_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None, *, caption: str | None = None) -> str:
    """An HTML table of dict rows (cells printed with ``str``; numbers right-aligned).

    A notebook's markdown output is not parsed as a table by the book build; HTML is rendered
    everywhere (Jupyter, Colab, the HTML book). Display with ``IPython.display.HTML``.
    Taught in: book/05_baselines_and_tail.ipynb
    """
    columns = list(columns or (rows[0].keys() if rows else []))

    def cell(value, tag: str) -> str:
        numeric = isinstance(value, (int, float))
        style = ' style="text-align:right"' if numeric else ""
        return f"<{tag}{style}>{escape(str(value))}</{tag}>"

    head = "".join(cell(c, "th") for c in columns)
    body = "".join("<tr>" + "".join(cell(r.get(c, ""), "td") for c in columns) + "</tr>" for r in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
