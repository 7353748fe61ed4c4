"""Every book chapter runs top to bottom in the smoke profile (what CI does).

Each ``book/*.ipynb`` is copied to a temporary folder and executed with nbclient in a fresh
``python3`` kernel (the one of the interpreter running pytest, i.e. the venv's) with
``RAMEN_EDU_PROFILE=smoke`` and ``RAMEN_EDU_NO_SHARED=1`` — this project's shared data folder
hidden, ``$RAMEN_EDU_DATA`` unset — so the chapters run on what a fresh clone has (the shipped
Wikipedia sample); a failure reports the failing cell's source and error.
Select one chapter with ``-k 01``; skip them all with ``-m "not notebook"``.
"""
from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
# a smoke cell takes seconds; the limit only catches a hang. A kernel that goes idle while the
# client still waits for its reply (seen once, chapter 4 in a fresh-clone CI run on a busy 2-core
# machine: both processes idle in their event loops; the chapter passed alone right after) gets one retry in a fresh
# kernel, and the retry is reported as a warning.
CELL_TIMEOUT_S = 300
ATTEMPTS = 2
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _failure_report(nb, path: Path) -> str | None:
    """The first cell with an error output: its index, source and traceback (no colour codes)."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                return (f"{path.name}: cell {i} failed\n--- source ---\n{cell.source}\n"
                        f"--- error ---\n{out.get('ename')}: {out.get('evalue')}\n{trace}")
    return None


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_runs_in_smoke_profile(path: Path, tmp_path: Path, monkeypatch):
    work = tmp_path / path.name
    # the kernel is a child process: it inherits this environment
    monkeypatch.setenv("RAMEN_EDU_PROFILE", "smoke")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("RAMEN_EDU_NO_SHARED", "1")  # as on a fresh clone, on Colab, in a classroom
    monkeypatch.delenv("RAMEN_EDU_DATA", raising=False)
    for attempt in range(1, ATTEMPTS + 1):
        shutil.copy(path, work)
        nb = nbformat.read(work, as_version=4)
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                         resources={"metadata": {"path": str(tmp_path)}})
        try:
            client.execute()
            break
        except nbclient.exceptions.CellExecutionError:
            pytest.fail(_failure_report(nb, path) or "a cell failed (no error output recorded)", pytrace=False)
        except (nbclient.exceptions.CellTimeoutError, nbclient.exceptions.DeadKernelError) as err:
            where = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.get("outputs")
                          and c.get("execution_count") is None), "?")
            if attempt == ATTEMPTS:
                pytest.fail(f"{path.name}: a cell (first without a recorded run: {where}) hung (> {CELL_TIMEOUT_S} s) or its kernel died "
                            f"in the smoke profile, {ATTEMPTS} times: {err}", pytrace=False)
            warnings.warn(f"{path.name}: a cell (first without a recorded run: {where}) got no reply within {CELL_TIMEOUT_S} s "
                          f"({type(err).__name__}); retrying once in a fresh kernel")
        finally:
            nbformat.write(nb, work)  # executed copy kept in tmp_path for inspection
    report = _failure_report(nb, path)
    assert report is None, report
    printed = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    if "data: " in printed and not (ROOT / "data" / "wikipedia-2019").exists():
        assert "data: the shipped sample" in printed, "the chapter did not run on the shipped sample"



def test_failure_report_shows_the_failing_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("1 / 0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero",
            traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"])]),
    ])
    report = _failure_report(nb, Path("book/99_x.ipynb"))
    assert report.startswith("99_x.ipynb: cell 1 failed")
    assert "1 / 0" in report and "ZeroDivisionError: division by zero" in report
    assert "\x1b[" not in report
    assert _failure_report(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]),
                           Path("ok.ipynb")) is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_figures_are_plotly_json_without_scripts(path: Path):
    """The book draws every figure from its plotly JSON with one plotly.js per page
    (ramen_edu.viz.site): a committed figure must not carry its own text/html (a <script> that
    loads plotly.js again, from a CDN), and no output may be plotly's start-up HTML. The chapters'
    setup cell calls ``ramen_edu.viz.setup_plotly()``, which saves figures as JSON only."""
    from ramen_edu.viz.site import PLOTLY_MIME, is_plotly_startup_html

    nb = nbformat.read(path, as_version=4)
    bad = [i for i, cell in enumerate(nb.cells) for out in cell.get("outputs", [])
           if (PLOTLY_MIME in out.get("data", {}) and "text/html" in out["data"])
           or is_plotly_startup_html("".join(out.get("data", {}).get("text/html", "")))]
    assert not bad, (f"{path.name}: cells {bad} carry plotly HTML/scripts; call ramen_edu.viz.setup_plotly() in the "
                     "setup cell and re-run the chapter")
