"""``ramen-edu student-copy``: the chapters without solutions (issue 12, "Classroom").

(a) On the real chapters: no line of any solution survives (found here by a scan of the source
    notebooks that does not use the module's parser), no directive of a solution remains, each
    exercise has exactly one "your turn" cell right after its text, every other line of the
    chapter is kept, no outputs.
(b) Each copy runs in the smoke profile, as CI runs the chapters (tests/test_notebooks.py: a
    fresh ``python3`` kernel, ``RAMEN_EDU_PROFILE=smoke``, ``RAMEN_EDU_NO_SHARED=1``,
    ``RAMEN_EDU_DATA`` unset, in a folder outside the repository), up to its first "your turn"
    cell, which must raise NotImplementedError naming the exercise.
(c) The layouts the chapters use and the errors, on small hand-made notebooks.
"""
from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path

import nbclient
import nbformat
import pytest

from ramen_edu.book.student_copy import TAG, make_student_copies, plain_markdown, strip_solutions
from ramen_edu.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
CELL_TIMEOUT_S = 300  # as tests/test_notebooks.py: only catches a hang
ATTEMPTS = 2
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MIN_LINE = 20  # a solution line this long or shorter may be ordinary ("return out", "```")
# a MyST directive's opening fence or option line (a copy writes them as plain Markdown)
DIRECTIVE_LINE = re.compile(r"^\s*(`{3,}|:{3,})\{|^\s*:[\w-]+:")


def _solution_scan(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(solution lines, lines outside solutions, exercise labels) of a source chapter, by a plain
    scan: everything from a ``{solution-start}`` line to its ``{solution-end}`` line, across cells
    (code cells in between included), is solution text."""
    nb = nbformat.read(path, as_version=4)
    inside, solution, outside, labels = False, [], [], []
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if cell.cell_type == "markdown" and "{solution-start}" in line:
                inside = True
            (solution if inside else outside).append(line.strip())
            if cell.cell_type == "markdown" and "{solution-end}" in line:
                inside = False
            m = re.match(r"\s*:label:\s*(ex\S+)", line)
            if m and not inside:
                labels.append(m.group(1))
    assert not inside, f"{path.name}: the scan found a solution-start without a solution-end"
    return solution, outside, labels


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    reports = make_student_copies(None, out)
    assert [r.target.name for r in reports] == [p.name for p in CHAPTERS]
    return out


def _copy_text(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def _your_turn_cells(nb) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if TAG in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_solution_text_survives(path: Path, copies: Path):
    solution, outside, labels = _solution_scan(path)
    assert labels, f"{path.name} has no exercises"
    copy = nbformat.read(copies / path.name, as_version=4)
    nbformat.validate(copy)
    text = _copy_text(copy)
    everything = "\n".join(_copy_text(nbformat.read(p, as_version=4)) for p in sorted(copies.glob("*.ipynb")))
    # a line the book also has outside its solutions (a check call quoted in the exercise, an
    # import another chapter makes) is not solution text
    kept_elsewhere = "\n".join(line for chapter in CHAPTERS for line in _solution_scan(chapter)[1])
    own = [line for line in solution if len(line) > MIN_LINE and line not in kept_elsewhere]
    assert len(own) >= len(labels), f"{path.name}: the scan found too little solution text"
    leaked = [line for line in own if line in everything]
    assert not leaked, f"{path.name}: solution lines survive in the copies: {leaked[:5]}"
    assert "solution-start" not in text and "solution-end" not in text
    # everything else is kept: the chapter's other lines, in the copy (as plain Markdown: a
    # directive's fence and option lines become its lead-in, a role its text)
    lost = [line for line in outside if len(line) > MIN_LINE and line not in text
            and not DIRECTIVE_LINE.match(line) and plain_markdown(line).strip() not in text]
    assert not lost, f"{path.name}: lines outside the solutions are missing from the copy: {lost[:5]}"
    source = nbformat.read(path, as_version=4)
    assert copy.cells[0].source == source.cells[0].source  # the Colab set-up cell stays first


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_one_your_turn_cell_per_exercise_and_no_outputs(path: Path, copies: Path):
    _, _, labels = _solution_scan(path)
    copy = nbformat.read(copies / path.name, as_version=4)
    turns = _your_turn_cells(copy)
    assert [copy.cells[i].metadata["exercise"] for i in turns] == labels
    for i, label in zip(turns, labels):
        cell = copy.cells[i]
        assert cell.cell_type == "code"
        assert f'raise NotImplementedError("Your turn: exercise {label} ' in cell.source
        before = copy.cells[i - 1]  # the exercise's own text, right above
        assert before.cell_type == "markdown" and f"**Exercise `{label}`**" in before.source
    for cell in copy.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "execution" not in cell.metadata
    assert "widgets" not in copy.metadata
    assert len({c.id for c in copy.cells}) == len(copy.cells)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_copies_are_plain_markdown_that_colab_renders(path: Path, copies: Path):
    # Colab and a JupyterLab without jupyterlab-myst show a directive as a code block and the
    # mathematics inside it as raw $…$ (issue 21): a copy has no directive fence and no role left
    copy = nbformat.read(copies / path.name, as_version=4)
    md = "\n".join(c.source for c in copy.cells if c.cell_type == "markdown")
    fences = [line for line in md.splitlines() if re.match(r"^\s*(`{3,}|:{3,})\{", line)]
    roles = re.findall(r"\{[a-z:]+\}`[^`]*`", md)
    assert not fences and not roles, f"{path.name}: MyST left in the copy: {(fences + roles)[:5]}"
    source = nbformat.read(path, as_version=4)
    n_math = sum(c.source.count("$") for c in source.cells if c.cell_type == "markdown" and "solution" not in c.source)
    assert md.count("$") >= n_math  # the mathematics is kept, outside any fence


def test_plain_markdown_forms():
    text = ("Intro, see {doc}`notation` and {ref}`ex1-a` or {ref}`the table <tab-x>`.\n\n"
            "```{exercise} A title with $x^2$\n:label: ex1-a\n:class: hard\nDo $y = x^2$.\n```\n\n"
            "```{admonition} Data credit\n:class: note\nWikipedia, CC BY-SA.\n\nSecond line.\n```\n\n"
            "```{prf:theorem} Name\n:label: thm\nStatement $a$.\n```\n"
            "```{prf:proof}\nEasy.\n```\n"
            "```python\n{doc}`kept in code`\n```\n"
            "````{note}\nOuter\n```{exercise}\n:label: ex-in\nInner.\n```\n````\n")
    plain = plain_markdown(text)
    assert "Intro, see *notation* and `ex1-a` or *the table*." in plain
    assert "**Exercise `ex1-a`** — *A title with $x^2$*\n\nDo $y = x^2$.\n" in plain
    assert "> **Data credit**\n>\n> Wikipedia, CC BY-SA.\n>\n> Second line.\n" in plain
    assert "**Theorem** (Name)\n\nStatement $a$.\n" in plain and "*Proof.* Easy. ∎" in plain
    assert "```python\n{doc}`kept in code`\n```" in plain                 # code is code
    assert "> **Note**" in plain and "> **Exercise `ex-in`**" in plain     # nested, quoted
    assert ":label:" not in plain and ":class:" not in plain and "```{" not in plain
    assert plain_markdown("```{exercise}\nnever closed") == "```{exercise}\nnever closed"


def test_myst_option_keeps_the_directives(tmp_path):
    book = _book(tmp_path, _md(EX.format("a")), name="01_x.ipynb")
    plain, myst = tmp_path / "plain", tmp_path / "myst"
    make_student_copies(book, plain)
    make_student_copies(book, myst, myst=True)
    assert "**Exercise `a`**" in (plain / "01_x.ipynb").read_text()
    assert "{exercise}" in (myst / "01_x.ipynb").read_text()


def test_readme_says_how_to_run_the_copies(copies: Path):
    readme = (copies / "README.md").read_text()
    for needed in ("pip install -e", "Colab", "jupyter lab", "book/results", TAG, "ex4-masked-triplet"):
        assert needed in readme, needed


def _run_to_first_exercise(path: Path, workdir: Path) -> tuple[nbformat.NotebookNode, int, BaseException]:
    """Execute the copy ``path`` in a fresh kernel up to and including its first "your turn" cell;
    returns (the executed notebook, that cell's index, the error it raised)."""
    nb = nbformat.read(path, as_version=4)
    first = _your_turn_cells(nb)[0]
    for attempt in range(1, ATTEMPTS + 1):
        nb = nbformat.read(path, as_version=4)
        nb.cells = nb.cells[:first + 1]
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                         resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as err:
            return nb, first, err
        except (nbclient.exceptions.CellTimeoutError, nbclient.exceptions.DeadKernelError) as err:
            if attempt == ATTEMPTS:
                pytest.fail(f"{path.name}: hung or its kernel died {ATTEMPTS} times: {err}", pytrace=False)
            warnings.warn(f"{path.name}: {type(err).__name__}; retrying once in a fresh kernel")
        else:
            pytest.fail(f"{path.name}: the 'your turn' cell {first} ran without an error", pytrace=False)
    raise AssertionError("unreachable")


@pytest.mark.notebook
@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_copy_runs_in_smoke_profile_up_to_its_first_exercise(path: Path, copies: Path, tmp_path: Path,
                                                             monkeypatch):
    # the kernel inherits this environment: what CI gives the chapters (tests/test_notebooks.py)
    monkeypatch.setenv("RAMEN_EDU_PROFILE", "smoke")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("RAMEN_EDU_NO_SHARED", "1")
    monkeypatch.delenv("RAMEN_EDU_DATA", raising=False)
    started = time.perf_counter()
    nb, first, err = _run_to_first_exercise(copies / path.name, tmp_path)  # run outside the repository
    failed = [(i, out) for i, c in enumerate(nb.cells) for out in c.get("outputs", [])
              if out.get("output_type") == "error"]
    assert failed and failed[0][0] == first, (
        f"{path.name}: cell {failed[0][0]} failed before the first exercise (cell {first}):\n"
        f"{nb.cells[failed[0][0]].source}\n" + _ANSI.sub("", "\n".join(failed[0][1].get("traceback", []))))
    label = nb.cells[first].metadata["exercise"]
    assert err.ename == "NotImplementedError" and f"exercise {label}" in err.evalue, (err.ename, err.evalue)
    ran = sum(c.cell_type == "code" and c.execution_count is not None for c in nb.cells)
    print(f"{path.name}: {ran} code cells to {label} in {time.perf_counter() - started:.1f} s")


# -------------------------------------------------------------------------------------------
# (c) hand-made notebooks: every layout the chapters use, and the errors
# -------------------------------------------------------------------------------------------
def _md(text):
    return nbformat.v4.new_markdown_cell(text)


def _code(text):
    cell = nbformat.v4.new_code_cell(text, execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", text="printed\n")]
    return cell


def _notebook(*cells) -> dict:
    return json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=list(cells))))


EX = "```{{exercise}}\n:label: {0}\nDo {0}.\n```\n"
START = "```{{solution-start}} {0}\n:class: dropdown\n```\n"
END = "```{solution-end}\n```\n"


def _sources(nb):
    return ["".join(c["source"]) for c in nb["cells"]]


def test_layouts_of_the_chapters():
    nb = _notebook(
        _code("x = 1"),
        _md("## Exercises\n\n" + EX.format("a") + "\n" + START.format("a") + "Prose of answer a, in the start cell."),
        _code("secret_a = 42"),
        _md(END + "\n" + EX.format("b") + "\n" + START.format("b")),
        _code("secret_b = 1"),
        _code("secret_b2 = 2"),
        _md("Prose of answer b, before its end.\n\n" + END + "\nKept after b.\n\n" + EX.format("c") + START.format("c")
            + "Answer c, all in one cell.\n" + END + EX.format("d") + "\n" + START.format("d") + END),
        _md(EX.format("e") + "(no solution)"),
        _md(":::{exercise}\n:label: f\nColon fences.\n:::\n\n:::{solution} f\nAnswer f in one directive.\n:::\nTail."),
        _md("```python\n# a code block quoting a directive is not one\n```{solution-end}\n```\n"),
    )
    copy, report = strip_solutions(nb, "hand.ipynb")
    assert report.exercises == ["a", "b", "c", "d", "e", "f"] and report.removed_code_cells == 3
    text = "\n".join(_sources(copy))
    for gone in ("secret", "Prose of answer", "Answer c", "Answer f", "solution-start", ":class: dropdown"):
        assert gone not in text, gone
    for kept in ("x = 1", "## Exercises", "Kept after b.", "Do e.", "(no solution)", "Colon fences.", "Tail.",
                 "a code block quoting"):
        assert kept in text, kept
    kinds = [(c["cell_type"], c["metadata"].get("exercise")) for c in copy["cells"]]
    assert kinds == [("code", None), ("markdown", None), ("code", "a"), ("markdown", None), ("code", "b"),
                     ("markdown", None), ("code", "c"), ("markdown", None), ("code", "d"),
                     ("markdown", None), ("code", "e"), ("markdown", None), ("markdown", None), ("code", "f"),
                     ("markdown", None), ("markdown", None)]
    assert _sources(copy)[11] == "(no solution)"
    assert copy["cells"][0]["outputs"] == [] and copy["cells"][0]["execution_count"] is None
    nbformat.validate(nbformat.reads(json.dumps(copy), as_version=4))
    assert "".join(nb["cells"][2]["source"]) == "secret_a = 42"  # the input is not changed


def _book(tmp_path: Path, *cells, name="01_x.ipynb") -> Path:
    book = tmp_path / "book"
    book.mkdir(exist_ok=True)
    (book / name).write_text(json.dumps(_notebook(*cells)))
    return book


def test_solution_start_without_end_names_file_and_cell(tmp_path):
    book = _book(tmp_path, _md("# T"), _md(EX.format("a")), _md(START.format("a")), _code("secret = 1"),
                 _md("no end here"))
    with pytest.raises(ValueError, match=r"01_x\.ipynb: cell 2: the solution-start of 'a' has no matching solution-end"):
        make_student_copies(book, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written
    with pytest.raises(ValueError, match=r"01_x\.ipynb: cell 2: \{solution-start\} b inside the solution of 'a'"):
        strip_solutions(_notebook(_md(EX.format("a")), _md(START.format("a")), _md(START.format("b") + END)),
                        "01_x.ipynb")
    with pytest.raises(ValueError, match=r"x\.ipynb: cell 2: \{exercise\} b inside the solution of 'a' "
                                         r"\(started in cell 1\): a solution-end is missing"):
        strip_solutions(_notebook(_md(EX.format("a")), _md(START.format("a")), _md(EX.format("b"))), "x.ipynb")
    with pytest.raises(ValueError, match=r"x\.ipynb: cell 1: a \{solution-end\} without a \{solution-start\}"):
        strip_solutions(_notebook(_md(EX.format("a")), _md(END)), "x.ipynb")
    with pytest.raises(ValueError, match=r"x\.ipynb: cell 0: the \{solution-start\} directive opened on line 1 is never closed"):
        strip_solutions(_notebook(_md("```{solution-start} a\n:class: dropdown\n")), "x.ipynb")


def test_unknown_chapter_and_bad_out_dir(tmp_path, capsys):
    book = _book(tmp_path, _md(EX.format("a") + START.format("a") + END))
    _book(tmp_path, _md(EX.format("b") + START.format("b") + END), name="02_y.ipynb")
    with pytest.raises(ValueError, match=r"unknown chapter '07'; choose from 01_x, 02_y"):
        make_student_copies(book, tmp_path / "out", ["07"])
    reports = make_student_copies(book, tmp_path / "out", ["2"])
    assert [r.target.name for r in reports] == ["02_y.ipynb"] and reports[0].exercises == ["b"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["02_y.ipynb", "README.md"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        make_student_copies(book, tmp_path / "file")
    with pytest.raises(ValueError, match="the book's own folder"):
        make_student_copies(book, book)
    # on the command line: one line on stderr, exit status 1
    assert main(["student-copy", str(tmp_path / "file"), "--book", str(book)]) == 1
    assert "ramen-edu student-copy:" in capsys.readouterr().err
    assert main(["student-copy", str(tmp_path / "out2"), "--book", str(book), "--chapters", "01_x.ipynb"]) == 0
    printed = capsys.readouterr().out
    assert "01_x.ipynb: 1 exercises" in printed and (tmp_path / "out2" / "01_x.ipynb").exists()
