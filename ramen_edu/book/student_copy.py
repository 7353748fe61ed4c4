"""``ramen-edu student-copy OUT_DIR``: the chapters without their solutions, for a classroom.

Every exercise of the book is a MyST ``{exercise}`` directive followed by a gated solution
(sphinx-exercise): a ``{solution-start} LABEL`` directive, the solution (prose in the same or
later markdown cells, and zero or more code cells), and a ``{solution-end}`` directive — which may
share its markdown cell with the next exercise. A student copy of a chapter:

* drops every solution span: the two directives, the prose between them and the code cells
  inside; text before the ``solution-start`` and after the ``solution-end`` of a cell is kept
  (a cell holding several exercises is split around them);
* puts a *your turn* code cell where each solution was — tagged ``student-exercise``, with the
  label in its metadata (``"exercise": LABEL``), raising
  ``NotImplementedError("Your turn: exercise LABEL — ...")`` so that *Run all* stops there
  instead of failing later on a name the student has not defined yet. An exercise without a
  solution gets one too, right after it. The plain ``{solution} LABEL`` directive (a solution
  inside one markdown cell) is removed the same way;
* clears every output, execution count and the saved widget state, and keeps everything else —
  the Colab set-up cell first, then a short note naming the source chapter;
* writes the markdown as plain Markdown (:func:`plain_markdown`): Colab and a JupyterLab without
  ``jupyterlab-myst`` show a MyST directive as a raw code block, mathematics inside it as raw
  ``$…$``. An exercise becomes a bold "Exercise `label`" line and its text, an admonition a
  block quote, a theorem or proof a bold or italic lead-in, a ``{doc}``/``{ref}`` role its text.
  ``--myst`` keeps the MyST (for JupyterLab with the ``lab`` extra, which has jupyterlab-myst).

The copies find their data and committed results the way the chapters do, through the installed
package (:func:`ramen_edu.settings.project_root`: the checkout holding ``ramen_edu/``), never through
the working directory, so they run from any folder as long as the kernel's ``ramen_edu`` is an
editable install of a checkout (``pip install -e .``), and on Colab, where the set-up cell clones
and installs the repository. ``OUT_DIR/README.md`` tells students this.

Errors (ValueError, one line on the command line): an unknown chapter name, an ``OUT_DIR`` that is
a file or the book folder itself, and a chapter whose ``solution-start`` has no matching
``solution-end`` (or the reverse), naming the file and the cell index.

Taught in: book/intro.md (running the chapters)
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ramen_edu.tables import markdown_table

#: the tag of every "your turn" cell (the tests and any grader find them by it)
TAG = "student-exercise"
#: the tag of the note cell at the top of a copy
NOTE_TAG = "student-copy-note"
#: an opening fence of a MyST directive: ```{name} argument  or  :::{name} argument
_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*?)\s*$")
#: a plain fenced code block (```python, ~~~): its lines are content, never directives
_CODE_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?![`~]*\{)")
_LABEL = re.compile(r"^\s*:label:\s*(\S+)")
_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


# --------------------------------------------------------------------------- plain Markdown
#: an option line at the top of a directive's body (``:label: x``, ``:class: dropdown``)
_OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*?)\s*$")
#: a MyST role: {doc}`notation`, {ref}`text <label>`
_ROLE = re.compile(r"\{(doc|ref|numref|eq|term|download|prf:ref)\}`([^`]*)`")
#: lead-in words of the directives the chapters use (others get their name, capitalised)
_LEAD = {"exercise": "Exercise", "solution": "Solution", "prf:theorem": "Theorem", "prf:lemma": "Lemma",
         "prf:definition": "Definition", "prf:proof": "Proof", "admonition": "", "note": "Note",
         "tip": "Tip", "warning": "Warning", "important": "Important"}


def _role_text(m: re.Match) -> str:
    inner = m.group(2)
    titled = re.match(r"^(.*?)\s*<([^>]*)>$", inner, re.S)
    if titled and titled.group(1):
        return f"*{titled.group(1)}*"
    target = titled.group(2) if titled else inner
    # a page ({doc}) by its name, in italics; a label ({ref}, e.g. an exercise's) as code
    return f"*{target.rsplit('/', 1)[-1]}*" if m.group(1) == "doc" else f"`{target}`"


def _plain_directive(name: str, arg: str, options: dict, body: str) -> str:
    lead = _LEAD.get(name, name.split(":")[-1].capitalize())
    label = options.get("label")
    if name == "exercise":
        head = f"**Exercise `{label}`**" if label else "**Exercise**"
        return head + (f" — *{arg}*" if arg else "") + "\n\n" + body + "\n"
    if name == "prf:proof":
        return "*Proof.* " + body + " ∎\n"
    if name.startswith("prf:") or name == "solution":
        return f"**{lead}**" + (f" ({arg})" if arg else "") + "\n\n" + body + "\n"
    # an admonition (or any other directive): a block quote headed by its title
    title = arg if name == "admonition" else (f"{lead}: {arg}" if arg else lead)
    quoted = "\n".join("> " + line if line.strip() else ">" for line in body.split("\n"))
    return (f"> **{title}**\n>\n" if title else "") + quoted + "\n"


def plain_markdown(text: str) -> str:
    """``text`` (a markdown cell's source) with its MyST directives and roles as plain Markdown,
    which Jupyter, JupyterLab and Colab render (mathematics included); fenced code blocks are left
    alone, an unclosed directive is kept as it is. See the module's docstring for the forms."""
    lines, out, j = _lines(text), [], 0
    while j < len(lines):
        m = _OPEN.match(lines[j])
        plain = None if m else _CODE_FENCE.match(lines[j])
        if m:
            end = _close(lines, j, m.group("fence"))
            if end is None:
                out.extend(lines[j:])
                break
            body, options = lines[j + 1:end], {}
            while body and _OPTION.match(body[0]):
                key, value = _OPTION.match(body[0]).groups()
                options[key] = value
                body = body[1:]
            inner = plain_markdown("".join(body)).strip("\n")
            out.append(_plain_directive(m.group("name"), m.group("arg"), options, inner))
            j = end + 1
        elif plain:
            end = _close(lines, j, plain.group("fence"))
            stop = len(lines) - 1 if end is None else end
            out.extend(lines[j:stop + 1])
            j = stop + 1
        else:
            out.append(_ROLE.sub(_role_text, lines[j]))
            j += 1
    return "".join(out)


# --------------------------------------------------------------------------- solutions
def your_turn_source(label: str) -> str:
    """The source of the cell that takes the place of exercise ``label``'s solution."""
    return (f"# Your turn: exercise {label} (above). Replace this cell with your answer and run it\n"
            "# (for a written answer, change the cell to Markdown).\n"
            f'raise NotImplementedError("Your turn: exercise {label} — write your answer in this cell, then run it")')


@dataclass
class CopyReport:
    """What :func:`student_copy` did to one chapter."""

    source: Path
    target: Path
    exercises: list[str] = field(default_factory=list)  # labels, in order, one "your turn" cell each
    removed_code_cells: int = 0


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    """The on-disk form of a cell's source (nbformat's: lines that keep their newline)."""
    return text.splitlines(keepends=True)


def _close(lines: list[str], start: int, fence: str) -> int | None:
    """Index of the line closing the fence opened at ``start`` (CommonMark: the same character,
    at least as many, nothing after it), or None when the cell ends first."""
    char, n = fence[0], len(fence)
    closing = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{n},}}\s*$")
    for k in range(start + 1, len(lines)):
        if closing.match(lines[k]):
            return k
    return None


def _exercise_label(lines: list[str], start: int, end: int) -> str | None:
    for line in lines[start + 1:end]:
        m = _LABEL.match(line)
        if m:
            return m.group(1)
    return None


def _solution_labels(cells: list[dict]) -> set[str]:
    """Labels that have a solution in these cells (``solution-start`` or ``solution``)."""
    found = set()
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in _text(cell.get("source", "")).splitlines():
                m = _OPEN.match(line)
                if m and m.group("name") in ("solution-start", "solution") and m.group("arg"):
                    found.add(m.group("arg").split()[0])
    return found


def _clean_code_cell(cell: dict) -> dict:
    metadata = {k: v for k, v in cell.get("metadata", {}).items() if k not in ("execution", "collapsed", "scrolled")}
    out = {**cell, "metadata": metadata, "outputs": [], "execution_count": None}
    return out


def strip_solutions(nb: dict, name: str = "notebook") -> tuple[dict, CopyReport]:
    """A student copy of the notebook ``nb`` (the JSON dict of an nbformat-4 file); ``name`` is
    used in error messages. Returns ``(copy, report)``; ``nb`` is not changed.

    Raises ValueError naming ``name`` and the cell index for a ``solution-start`` without its
    ``solution-end``, a ``solution-end`` without a start, an exercise or a solution inside a
    solution, or a directive whose closing fence is missing.
    """
    cells = nb.get("cells", [])
    has_solution = _solution_labels(cells)
    report = CopyReport(Path(name), Path(name))
    out: list[dict] = []
    used_ids: set[str] = set()
    open_solution: tuple[str, int] | None = None  # (label, index of the cell where it starts)
    gated_exercise: str | None = None  # the label of an open {exercise-start}

    def new_id(wanted: str) -> str:
        base = _ID_CHARS.sub("-", wanted)[:60] or "cell"
        candidate, n = base, 1
        while candidate in used_ids:
            n += 1
            candidate = f"{base}-{n}"
        used_ids.add(candidate)
        return candidate

    def your_turn(label: str) -> None:
        report.exercises.append(label)
        out.append({"cell_type": "code", "execution_count": None, "id": new_id(f"your-turn-{label}"),
                    "metadata": {"tags": [TAG], "exercise": label}, "outputs": [],
                    "source": _lines(your_turn_source(label))})

    def flush(cell: dict, part: list[str], n_part: int) -> None:
        text = "".join(part).strip("\n")
        if text.strip():
            wanted = cell.get("id", "md") if n_part == 0 else f"{cell.get('id', 'md')}-part{n_part + 1}"
            out.append({**cell, "id": new_id(wanted), "source": _lines(text)})

    for index, cell in enumerate(cells):
        kind = cell.get("cell_type")
        if kind != "markdown":
            if open_solution:
                report.removed_code_cells += kind == "code"
                continue
            kept = _clean_code_cell(cell) if kind == "code" else dict(cell)
            out.append({**kept, "id": new_id(cell.get("id", kind))})
            continue

        lines = _lines(_text(cell.get("source", "")))
        part: list[str] = []
        n_part = 0
        j = 0

        def fail(what: str) -> ValueError:
            return ValueError(f"{name}: cell {index}: {what}")

        while j < len(lines):
            line = lines[j]
            m = _OPEN.match(line)
            plain = None if m else _CODE_FENCE.match(line)
            if m:
                directive, arg = m.group("name"), m.group("arg")
                end = _close(lines, j, m.group("fence"))
                if end is None:
                    raise fail(f"the {{{directive}}} directive opened on line {j + 1} is never closed")
                if open_solution:
                    if directive == "solution-end":
                        your_turn(open_solution[0])
                        open_solution = None
                    elif directive in ("solution-start", "solution", "exercise", "exercise-start"):
                        what = arg or _exercise_label(lines, j, end) or ""
                        raise fail(f"{{{directive}}} {what} inside the solution of {open_solution[0]!r} "
                                   f"(started in cell {open_solution[1]}): a solution-end is missing")
                    j = end + 1
                    continue
                if directive == "solution-end":
                    raise fail("a {solution-end} without a {solution-start} before it")
                if directive in ("solution-start", "solution"):
                    if not arg:
                        raise fail(f"a {{{directive}}} directive without the exercise's label")
                    flush(cell, part, n_part)
                    part, n_part = [], n_part + 1
                    label = arg.split()[0]
                    if directive == "solution":  # the whole solution is this one directive
                        your_turn(label)
                    else:
                        open_solution = (label, index)
                    j = end + 1
                    continue
                part.extend(lines[j:end + 1])
                label = None
                if directive in ("exercise", "exercise-start"):
                    label = _exercise_label(lines, j, end)
                    if directive == "exercise-start":  # gated: its turn comes after the exercise-end
                        gated_exercise, label = label, None
                elif directive == "exercise-end":
                    label, gated_exercise = gated_exercise, None
                if label and label not in has_solution:  # nothing to replace: the turn goes right after it
                    flush(cell, part, n_part)
                    part, n_part = [], n_part + 1
                    your_turn(label)
                j = end + 1
            elif plain:
                end = _close(lines, j, plain.group("fence"))
                stop = len(lines) - 1 if end is None else end
                if not open_solution:
                    part.extend(lines[j:stop + 1])
                j = stop + 1
            else:
                if not open_solution:
                    part.append(line)
                j += 1
        if part:
            flush(cell, part, n_part)

    if open_solution:
        label, where = open_solution
        raise ValueError(f"{name}: cell {where}: the solution-start of {label!r} has no matching "
                         "solution-end (every {solution-start} needs a {solution-end} after it)")

    metadata = {k: v for k, v in nb.get("metadata", {}).items() if k != "widgets"}
    # every cell now has an id, which nbformat 4.5 is the first to allow
    copy = {**nb, "metadata": metadata, "cells": out, "nbformat": 4,
            "nbformat_minor": max(5, int(nb.get("nbformat_minor", 5)))}
    return copy, report


def _note_cell(source_name: str, labels: list[str]) -> dict:
    listing = ", ".join(f"`{label}`" for label in labels) or "none"
    text = (f"**Student copy** of `book/{source_name}`, made by `ramen-edu student-copy`: the solutions are "
            f"removed and the outputs cleared. Each exercise ({listing}) is followed by a cell tagged "
            f"`{TAG}` that raises `NotImplementedError` — replace it with your answer, then carry on "
            "running the cells in order. See README.md next to this file for how to run it.")
    return {"cell_type": "markdown", "id": "student-copy-note", "metadata": {"tags": [NOTE_TAG]},
            "source": _lines(text)}


def _write_notebook(nb: dict, path: Path) -> None:
    # nbformat's own on-disk layout (indent 1, sorted keys, UTF-8), without needing nbformat
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def student_copy(source: Path, target: Path, *, myst: bool = False) -> CopyReport:
    """Write the student copy of the chapter ``source`` to ``target``; returns its report.
    ``myst``: keep the MyST directives (default: plain Markdown, :func:`plain_markdown`)."""
    source, target = Path(source), Path(target)
    nb = json.loads(source.read_text(encoding="utf-8"))
    copy, report = strip_solutions(nb, source.name)
    cells = copy["cells"]
    if not myst:
        for cell in cells:
            if cell.get("cell_type") == "markdown":
                cell["source"] = _lines(plain_markdown(_text(cell.get("source", ""))))
    at = 1 if cells and "Colab set-up" in _text(cells[0].get("source", "")) else 0
    copy["cells"] = cells[:at] + [_note_cell(source.name, report.exercises)] + cells[at:]
    _write_notebook(copy, target)
    report.source, report.target = source, target
    return report


def chapters(book_dir: Path | None = None) -> list[Path]:
    """The chapters a student copy is made of: ``book/*.ipynb``, in order."""
    from ramen_edu.settings import project_root

    book_dir = Path(book_dir) if book_dir is not None else project_root() / "book"
    found = sorted(book_dir.glob("*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no chapters (*.ipynb) in {book_dir}: student copies are made from a "
                                "checkout of the repository (git clone, then pip install -e .)")
    return found


def select_chapters(available: list[Path], wanted: list[str] | None) -> list[Path]:
    """``wanted`` names (``04``, ``4``, ``04_training``, ``04_training.ipynb``) -> chapter paths.
    Raises ValueError for a name that is no chapter, listing the chapters."""
    if not wanted:
        return list(available)
    chosen = []
    for name in wanted:
        key = name[:-6] if name.endswith(".ipynb") else name
        hits = [p for p in available if p.stem == key or p.stem.split("_")[0].lstrip("0") == key.lstrip("0")]
        if len(hits) != 1:
            raise ValueError(f"unknown chapter {name!r}; choose from {', '.join(p.stem for p in available)} "
                             "(or their number, e.g. 04)")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


README = """# Student copies of the RAMEN book

Made by `ramen-edu student-copy` from commit {commit}. Each chapter here is the book's chapter with
**the solutions removed and the outputs cleared**. After every exercise there is a code cell
tagged `{tag}` that stops with

    NotImplementedError: Your turn: exercise <label> — write your answer in this cell, then run it

Replace that cell with your answer (most exercises end with a `ramen_edu.exercises.check_...`
call that tells you what is wrong), run it, and carry on with the cells below it. *Run all*
stops at the first exercise you have not done yet — that is on purpose.

{table}

## Running them

The chapters read the package's data and the book's committed results (`book/results/`,
`data_samples/`) from **a checkout of the repository**, found through the installed `ramen_edu`
package — not through the folder the notebook is in. So these copies run from any folder, with a
kernel whose `ramen_edu` is an *editable* install of a clone:

```bash
git clone {url} && cd {folder}
python -m venv .venv
.venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu   # CPU-only torch
.venv/bin/pip install -e ".[cpu,book,lab]"    # -e matters: a plain install has no book/results
.venv/bin/jupyter lab path/to/these/copies/
```

(`pip install git+{url}` without a clone is not enough: the chapters then find neither
`book/results/` nor the shipped Wikipedia sample, and stop with "... not found".)

**On Colab**: *File → Upload notebook* and pick a chapter from this folder. Its first cell
clones the repository and installs the package (a minute or two); then run the cells in order.
For chapters 4 and 5 choose *Runtime → Change runtime type → GPU* if you want the full-scale runs.

**Scale.** Each chapter picks a profile from `RAMEN_EDU_PROFILE` (`smoke`: seconds, `cpu`: minutes on a
laptop, `gpu`: a GPU) or from the hardware; to try things quickly start Jupyter with
`RAMEN_EDU_PROFILE=smoke`. The Wikipedia chapters use the sample shipped with the repository
unless the full data is there (`ramen-edu fetch-wiki`).

**Exercises as text.** The book writes each exercise as a MyST directive; here they are plain
Markdown (a bold "Exercise `label`" line and its text), so Colab and any Jupyter show them
formatted, mathematics included. `ramen-edu student-copy --myst` keeps the directives instead,
for JupyterLab with the `jupyterlab-myst` extension (in the `lab` extra).

The solutions are in the book itself (`book/` in the repository, or the rendered book), one
dropdown under each exercise.
"""


def make_student_copies(book_dir: Path | None, out_dir: Path, chapter_names: list[str] | None = None,
                        *, myst: bool = False) -> list[CopyReport]:
    """Write the student copy of every chapter of ``book_dir`` (default: the checkout's ``book/``),
    or of ``chapter_names`` only, into ``out_dir`` (created), plus ``out_dir/README.md``.
    Returns one :class:`CopyReport` per chapter. Every chapter is converted before anything is
    written, so a broken chapter leaves ``out_dir`` untouched.
    """
    available = chapters(book_dir)
    selected = select_chapters(available, chapter_names)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} is a file, not a folder: give a folder for the student copies")
    if out_dir.resolve() == available[0].parent.resolve():
        raise ValueError(f"{out_dir} is the book's own folder: the copies would overwrite the chapters")
    for path in selected:  # fail on any chapter before writing one
        strip_solutions(json.loads(path.read_text(encoding="utf-8")), path.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = [student_copy(path, out_dir / path.name, myst=myst) for path in selected]

    from ramen_edu.runinfo import git_commit

    table = markdown_table(["chapter", "exercises"],
                           [[f"`{r.target.name}`", ", ".join(f"`{x}`" for x in r.exercises) or "—"] for r in reports],
                           align="ll")
    url = _repository_url()
    (out_dir / "README.md").write_text(README.format(
        commit=git_commit(), tag=TAG, table=table, url=url,
        folder=url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")), encoding="utf-8")
    return reports


def _repository_url() -> str:
    """The repository the book names (``_config.yml``, as the Colab cell does)."""
    from ramen_edu.book.colab import repository

    try:
        return repository()[0]
    except (OSError, ValueError):  # no _config.yml beside the package: say where the URL lives
        return "<the repository URL in the book's _config.yml>"


def cli_main(argv: list[str] | None = None) -> int:
    """``ramen-edu student-copy OUT_DIR [--chapters 01 04 ...] [--book DIR]``."""
    parser = argparse.ArgumentParser(
        prog="ramen-edu student-copy",
        description="Write the chapters without their solutions and outputs into OUT_DIR, each exercise "
                    f"followed by a cell (tagged {TAG}) that raises 'Your turn', plus a README.md for students. "
                    "The copies run from any folder with the repository installed (pip install -e .).")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder for the copies (created; e.g. _build/student-copies)")
    parser.add_argument("--chapters", nargs="+", metavar="NAME",
                        help="only these chapters: 01, 04_training or 04_training.ipynb (default: all)")
    parser.add_argument("--book", metavar="DIR", help="the chapters' folder (default: the checkout's book/)")
    parser.add_argument("--myst", action="store_true",
                        help="keep the MyST exercise/admonition directives (for JupyterLab with jupyterlab-myst, "
                             "the lab extra); default: plain Markdown, which Colab and any Jupyter render")
    args = parser.parse_args(argv)
    reports = make_student_copies(args.book, Path(args.out_dir), args.chapters, myst=args.myst)
    for r in reports:
        print(f"{r.target}: {len(r.exercises)} exercises, {r.removed_code_cells} solution code cells removed")
    print(f"{Path(args.out_dir) / 'README.md'}: how to run them")
    return 0
