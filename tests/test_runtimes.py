"""The run-time page is made from the committed run records and cannot go stale."""
from __future__ import annotations

import nbformat

from ramen_edu.config import project_root
from ramen_edu.runtimes import chapter_records, parse_run_record_line, runtime_page

LINE = ("chapter 05_baselines_and_tail · ramen_edu 0.1.0 · commit 951f44b · profile cpu · cpu (2 cores) · "
        "wall time 146 s · torch 2.13.0+cpu\n")


def test_the_printed_run_record_line_parses():
    got = parse_run_record_line(LINE)
    assert got == {"chapter": "05_baselines_and_tail", "version": "0.1.0", "commit": "951f44b", "profile": "cpu",
                   "device": "cpu (2 cores)", "wall": 146, "torch": "2.13.0+cpu"}
    assert parse_run_record_line("no record here") is None


def test_a_chapter_without_a_record_is_reported_not_skipped(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    nbformat.write(nb, tmp_path / "07_new.ipynb")
    assert chapter_records(tmp_path) == [{"chapter": "07_new", "missing": True}]


def test_the_committed_page_is_what_the_records_make():
    page = project_root() / "book" / "runtimes.md"
    assert page.read_text(encoding="utf-8") == runtime_page(), \
        "book/runtimes.md is stale: run `python -m ramen_edu.runtimes --write` after re-executing a chapter"
