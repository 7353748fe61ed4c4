"""The run-time page is made from the committed run records and cannot go stale."""
from __future__ import annotations

import nbformat

from ramen_edu.book.runtimes import chapter_records, parse_run_record_line, runtime_page
from ramen_edu.settings import project_root

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
        "book/runtimes.md is stale: run `python -m ramen_edu.book.runtimes --write` after re-executing a chapter"


def test_the_readme_results_block_is_what_the_records_make():
    from ramen_edu.book.runtimes import README_BEGIN, README_END, measured_rows

    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(README_BEGIN):readme.index(README_END) + len(README_END)]
    assert block == measured_rows(), \
        "README.md's measured results are stale: run `python -m ramen_edu.book.runtimes --readme`"


def test_the_readme_block_needs_its_markers():
    import pytest

    from ramen_edu.book.runtimes import readme_with_measured

    with pytest.raises(ValueError, match="no .*measured-results:begin"):
        readme_with_measured("# a README without the block\n")
