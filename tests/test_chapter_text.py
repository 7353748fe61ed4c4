"""The executed chapters speak to a reader, not to their authors (issue 21): no path of the
machine that ran them (a build folder such as ``…/nbrun/data/…``, ``/tmp/``, ``/work/``, a home
folder, this project's ``../shared``) and no changelog prose ("builder version 3 … version 4",
"in the previous committed run", "an earlier version of this library") in any cell's source or
saved output.

Scanned: every markdown and code cell's source and every saved output (stream text, text/plain,
text/html, text/markdown, errors, figure JSON) of ``book/*.ipynb``, except the generated Colab
set-up cell, whose ``/content/`` clone folder is Colab's and on purpose. A failure lists each hit
as ``chapter cell N (source|output): the line``; fix the chapter's text, or the code that printed
the path, and re-execute.
"""
from __future__ import annotations

import bisect
import itertools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))

# a folder of the machine that executed the chapter: meaningless (and private) to a reader
MACHINE_PATHS = re.compile(
    r"(?<![\w.])/(work|tmp|root|home/\w+|Users/\w+|mnt|scratch|var/folders)/"   # absolute folders
    r"|\bnbrun\b"                                                                 # the execution folder
    r"|\.\./shared\b|(?<![\w.])shared/(data|runs|cache)\b"                        # this project's shared folder
    r"|\b[A-Z]:\\\\Users\\\\", re.IGNORECASE)
# prose about the book's own history, which a reader cannot see and need not know
CHANGELOG = re.compile(
    r"builder version|\bversion \d+ of the (builder|benchmark|data)"
    r"|previous(ly)? committed (run|output|result)s?|(in|from|than) the previous (run|build|version|commit)"
    r"|an? (earlier|older|previous) version of (this|the) (library|package|book|chapter|code|builder)"
    r"|\bearlier (run|build)s? of (this|the) (chapter|book)|\bbefore (this|the) fix\b|\bwe (have )?fixed\b"
    r"|\bwas (re-?run|rebuilt) (after|with)\b|\bthe old (builder|code|library)\b|\bthat version's\b"
    r"|\bbefore the (linker|builder|reader|readers|library|code) (stopped|started|was|were|normalised)\b"
    r"|\bbuilder v\d\b", re.IGNORECASE)


def _is_colab_cell(cell: dict) -> bool:
    return "".join(cell.get("source", "")).startswith("# Colab set-up")


def _output_texts(output: dict):
    if output.get("output_type") == "stream":
        yield "".join(output.get("text", ""))
    elif output.get("output_type") == "error":
        yield "\n".join(output.get("traceback", []))
    for mime, value in (output.get("data") or {}).items():
        if mime.startswith("image/"):
            continue
        yield value if isinstance(value, str) else "".join(value) if isinstance(value, list) \
            else json.dumps(value, ensure_ascii=False)


def _hits(path: Path, pattern: re.Pattern) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if _is_colab_cell(cell):
            continue
        texts = [("source", "".join(cell.get("source", "")))]
        texts += [("output", t) for out in cell.get("outputs", []) for t in _output_texts(out)]
        for where, text in texts:
            # line breaks as spaces: a phrase may wrap ("an earlier version of⏎this library");
            # each word remembers its line, so a hit is reported at the line where it starts
            words = list(re.finditer(r"\S+", text))
            flat = " ".join(w.group(0) for w in words)
            starts = list(itertools.accumulate((len(w.group(0)) + 1 for w in words[:-1]), initial=0))
            for m in pattern.finditer(flat):
                word = words[bisect.bisect_right(starts, m.start()) - 1]
                line = text.count("\n", 0, word.start()) + 1
                found.append(f"{path.stem} cell {index} ({where}, line {line}): "
                             f"…{flat[max(0, m.start() - 60):m.end() + 60]}…")
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_machine_paths(path: Path):
    hits = _hits(path, MACHINE_PATHS)
    assert not hits, f"{len(hits)} machine paths in {path.name}:\n" + "\n".join(hits[:30])


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_changelog_prose(path: Path):
    hits = _hits(path, CHANGELOG)
    assert not hits, f"{len(hits)} changelog phrases in {path.name}:\n" + "\n".join(hits[:30])


def test_the_patterns_catch_what_issue_21_found_and_spare_ordinary_text():
    for bad in ("data: /tmp/pytest-1/nbrun/data/wikipedia-2019/articles.jsonl.gz", "../shared/data",
                "/work/main/runs/x.json", "/root/.cache/huggingface", "C:\\\\Users\\\\me\\\\data"):
        assert MACHINE_PATHS.search(bad), bad
    for ok in ("data: the shipped sample (data_samples/wikipedia-sample/articles.jsonl.gz)",
               "book/results/ablation-wiki-seealso-cpu/ablation.json", "ms/query, batch 256", "P@1 / PSP@1",
               "a shared/anchor space", "https://colab.research.google.com/"):
        assert not MACHINE_PATHS.search(ok), ok
    for bad in ("builder version 3 made the graph, version 4 the labels", "in the previous committed run",
                "an earlier version of this library pruned at 0.1", "(builder v3)",
                "before the linker stopped counting a one-word title"):
        assert CHANGELOG.search(bad), bad
    for ok in ("the previous chapter", "an earlier epoch", "version 4.40 of transformers", "we fix the seed"):
        assert not CHANGELOG.search(ok), ok


# a LaTeX command typed into a non-raw Python string loses its backslash to an escape: "\rVert"
# becomes a carriage return + "Vert" ("\frac" a form feed, "\beta" a backspace, "\vec" a vertical
# tab, "\alpha" a bell); the page then shows "A" on one line and "Vert_2$" on the next
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PAGES = sorted((ROOT / "book").glob("*.md")) + [ROOT / "README.md"]


def _control_hits(name: str, text: str) -> list[str]:
    return [f"{name} line {text.count(chr(10), 0, m.start()) + 1}: {text[max(0, m.start() - 40):m.end() + 10]!r}"
            for m in CONTROL.finditer(text)]


def test_no_control_characters_in_the_books_text():
    hits = []
    for page in PAGES:
        # bytes, not read_text(): universal newlines would turn a stray "\r" into a line break unseen
        hits += _control_hits(page.name, page.read_bytes().decode("utf-8"))
    for path in CHAPTERS:
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            hits += _control_hits(f"{path.stem} cell {index}", "".join(cell.get("source", "")))
    assert not hits, "control characters (a LaTeX backslash lost to a Python escape?):\n" + "\n".join(hits[:30])


def test_the_control_pattern_catches_lost_backslashes():
    for bad in ("$\\lVert A\rVert_2$", "\frac{1}{2}", "\beta", "\vec v", "\alpha"):
        assert CONTROL.search(bad), repr(bad)
    assert not CONTROL.search("$\\lVert A\\rVert_2$\n\ttab and newline are text")
