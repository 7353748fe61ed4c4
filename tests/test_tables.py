"""One writer per table format (``ramen_edu.tables`` for text and markdown, ``viz.tables.html_table``
for HTML) and one owner for a run folder's file names (``ramen_edu.runinfo``): the writers' output,
and a scan of the package that nobody writes a table or names those files by hand."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ramen_edu.tables import markdown_table, text_table

PACKAGE = Path(__file__).resolve().parents[1] / "ramen_edu"


def test_text_table_pads_columns_left_then_right_with_a_rule():
    table = text_table(["method", "P@1"], [["RAMEN", "35.20"], ["a longer name", "1.00"]])
    assert table.splitlines() == ["method           P@1",
                                  "-------------  -----",
                                  "RAMEN          35.20",
                                  "a longer name   1.00"]
    assert text_table(["n", "ratio"], [["10", "0.5"]], align="rr", rule=False) == " n  ratio\n10    0.5"


def test_markdown_table_short_and_padded_forms():
    short = markdown_table(["", "items", "share"], [["before", "1,234", "5.0%"], ["after", "", "7.5%"]])
    assert short.splitlines() == ["| | items | share |", "|---|---:|---:|",
                                  "| before | 1,234 | 5.0% |", "| after | | 7.5% |"]
    padded = markdown_table(["row", "P@1"], [["RAMEN", "21.29 ± 0.72"]], pad=True)
    assert padded.splitlines() == ["| row   |          P@1 |", "|:------|-------------:|",
                                   "| RAMEN | 21.29 ± 0.72 |"]
    assert markdown_table(["a", "b"], [], align="rl") == "| a | b |\n|---:|---|"


@pytest.mark.parametrize("writer", [text_table, markdown_table])
def test_a_row_or_an_alignment_of_the_wrong_length_is_refused(writer):
    with pytest.raises(ValueError, match=r"rows \[1\] have not 2 cells"):
        writer(["a", "b"], [["1", "2"], ["3"]])
    with pytest.raises(ValueError, match="one 'l' or 'r' per column"):
        writer(["a", "b"], [["1", "2"]], align="lc")


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8")


def _string_constants(text: str) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_tables_are_written_by_their_one_writer():
    """A markdown alignment row or an HTML table spelled out anywhere else is a second writer."""
    rules = ("|---", "|:--", "| --- |", "---:|")
    found = [f"{rel}: {s!r}" for rel, text in _sources() if rel not in ("tables.py", "viz/tables.py")
             for s in _string_constants(text) if any(r in s for r in rules) or "<table" in s]
    assert not found, "write the table with ramen_edu.tables (text, markdown) or viz.tables.html_table:\n" + \
        "\n".join(found)


@pytest.mark.parametrize("name", ["run.json", "checkpoint.pt", "LATEST"])
def test_a_run_folders_file_names_have_one_owner(name):
    owners = [rel for rel, text in _sources() if name in _string_constants(text)]
    assert owners == ["runinfo.py"], f"{name!r} is spelled in {owners}: import it from ramen_edu.runinfo"
