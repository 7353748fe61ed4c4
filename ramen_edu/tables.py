"""Text tables: the one writer of aligned plain-text tables and of markdown (pipe) tables.

Every table the package prints or writes into a ``.md`` file goes through :func:`text_table` or
:func:`markdown_table`; the cells arrive as strings, formatted by the caller (percent, ``±``,
thousands commas), so one writer serves metrics tables, seeded comparisons, dataset cards and
the run-time page. HTML tables for notebook outputs have their own single writer,
:func:`ramen_edu.viz.tables.html_table`. Pure Python: any layer may import it.
"""
from __future__ import annotations

from collections.abc import Sequence

# a markdown rule cell per alignment: left is markdown's default, so it needs no colon
_RULE = {"l": "---", "r": "---:"}


def _aligns(align: str | Sequence[str] | None, n: int) -> list[str]:
    """One "l" or "r" per column; the default is the first column left, the rest right."""
    aligns = list(align) if align is not None else ["l"] + ["r"] * (n - 1)
    if len(aligns) != n or any(a not in _RULE for a in aligns):
        raise ValueError(f"align {align!r}: give one 'l' or 'r' per column ({n} columns)")
    return aligns


def _check(head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    bad = [i for i, r in enumerate(rows) if len(r) != len(head)]
    if bad:
        raise ValueError(f"rows {bad} have not {len(head)} cells, one per column of {list(head)}")


def _padded(cells: Sequence[str], widths: Sequence[int], aligns: Sequence[str]) -> list[str]:
    return [c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(cells, widths, aligns)]


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]], *, align: str | Sequence[str] | None = None,
               rule: bool = True) -> str:
    """An aligned plain-text table: every column padded to its widest cell, columns two spaces apart.

    head: the n column names. rows: lists of n cell strings. align: "l" or "r" per column (a
    string like ``"lrr"`` or a list; default: the first column left, the rest right). rule: a line
    of dashes, as wide as each column, under the head. Returns the table as one string (no
    trailing newline).
    """
    _check(head, rows)
    aligns = _aligns(align, len(head))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(_padded(head, widths, aligns))]
    if rule:
        lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_padded(r, widths, aligns)) for r in rows]
    return "\n".join(lines)


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[str]], *, align: str | Sequence[str] | None = None,
                   pad: bool = False) -> str:
    """A markdown pipe table (``| a | b |`` lines, the alignment row under the head).

    head, rows, align: as :func:`text_table`. pad=False: cells as they are, the alignment row
    ``---`` (left) / ``---:`` (right), the short form for files that a renderer reads; an empty
    cell is written ``| |``. pad=True:
    every column padded to its widest cell and the alignment row as wide, left columns marked
    ``:---``, so the table also reads aligned as plain text (printed in a terminal or a log).
    Returns the table as one string (no trailing newline).
    """
    _check(head, rows)
    aligns = _aligns(align, len(head))
    if pad:
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        rule = [":" + "-" * (w + 1) if a == "l" else "-" * (w + 1) + ":" for w, a in zip(widths, aligns)]
        head, rows = _padded(head, widths, aligns), [_padded(r, widths, aligns) for r in rows]
    else:
        rule = [_RULE[a] for a in aligns]
    return "\n".join([_pipe_line(head), "|" + "|".join(rule) + "|", *(_pipe_line(r) for r in rows)])


def _pipe_line(cells: Sequence[str]) -> str:
    # an empty cell is one space between its pipes ("| |"), any other " text "
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"
