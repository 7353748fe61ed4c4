"""Running the book on Colab: the first cell of every chapter, and what it does after installing.

The first cell cannot import ``ramen_edu`` (on Colab it is not installed yet), so its text is
*generated* here from the one place that names the repository — ``repository.url`` and
``repository.branch`` in ``_config.yml`` (which also drives the book's launch buttons) — and
``tests/test_colab.py`` checks that every chapter starts with exactly that text. To point the
book at a fork, change ``_config.yml`` and run ``python -m ramen_edu.book.colab --write``.

On Colab the cell clones the repository (the chapters need its ``data_samples/`` and
``book/results/``; a failed clone stops with a message naming ``_config.yml``, the one place to
fix the URL), installs only what running a chapter needs — the package with the faiss build that
fits the runtime (``[gpu]`` when ``nvidia-smi`` exists, else ``[cpu]``), not the ``[book]`` extra
(jupyter-book, sphinx: building the site) — moves into ``book/`` and calls :func:`prepare`, which
also reports the autocast precision the device supports (fp16 on a T4, which has no bf16).
Anywhere else it does nothing. ``tests/test_colab.py`` runs the cell on a simulated Colab and
checks that every place naming the repository (README, intro, CITATION.cff) names this one.

Taught in: book/intro.md
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ramen_edu.settings import WIKIPEDIA_FILE, data_source, find_data_file, profile, project_root

CLONE_DIR = "/content/ramen-edu"
MARKER = "# Colab set-up"


def repository(config_path: Path | None = None) -> tuple[str, str]:
    """``(url, branch)`` from ``_config.yml``'s ``repository:`` block (read without a YAML
    dependency: two ``key: value`` lines). Raises ValueError naming the file when missing."""
    path = config_path or project_root() / "_config.yml"
    block = re.search(r"^repository:\s*\n((?:[ \t]+\S.*\n?)+)", path.read_text(), re.M)
    values = dict(re.findall(r"^\s+(\w+):\s*(\S+)", block.group(1), re.M)) if block else {}
    if "url" not in values:
        raise ValueError(f"{path}: no 'repository:' block with 'url:' (and optional 'branch:'); "
                         "the Colab cell installs the book from that URL")
    return values["url"], values.get("branch", "main")


def setup_cell(config_path: Path | None = None) -> str:
    """The source of every chapter's first cell (tagged ``remove-input`` in the book)."""
    url, branch = repository(config_path)
    return f'''{MARKER} — does nothing outside Colab. The repository comes from _config.yml (python -m ramen_edu.book.colab --write).
import sys
if "google.colab" in sys.modules:
    import os, shutil, subprocess
    if not os.path.isdir("{CLONE_DIR}"):
        if subprocess.run(["git", "clone", "--depth", "1", "--branch", "{branch}", "{url}", "{CLONE_DIR}"]).returncode:
            raise RuntimeError("could not clone {url} (branch {branch}): the repository is named once, in the "
                               "book's _config.yml (repository: url, branch); fix it there, then run "
                               "python -m ramen_edu.book.colab --write")
    extra = "gpu" if shutil.which("nvidia-smi") else "cpu"  # one faiss build: both at once break `import faiss`
    # what running a chapter needs, no more: not [book] (jupyter-book and sphinx build the site)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{CLONE_DIR}[{{extra}}]"], check=True)
    sys.path.insert(0, "{CLONE_DIR}")  # an editable install is seen only after a restart
    os.chdir("{CLONE_DIR}/book")
    import ramen_edu.book.colab
    ramen_edu.book.colab.prepare()'''


def prepare(*, full_data: bool | None = None) -> dict:
    """After the install on Colab: report the device and profile, and make sure the Wikipedia data
    is there — the full file when ``full_data`` (default: on a GPU profile) and it is missing
    (``ramen_edu.data.fetch_wiki.fetch_wiki``, ~207 MB), else the shipped sample. Returns what it
    found: ``{"profile": ..., "data": ..., "device": ..., "autocast": ...}``."""
    p = profile()
    print(f"ramen-edu on Colab — profile {p}")
    import torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # issue 22's one rule for autocast: bf16 where the device has it, else fp16 (Colab's T4)
    from ramen_edu.precision import autocast_dtype

    dtype = autocast_dtype(device)
    print(f"device {device}: autocast {dtype}")
    want_full = p.name == "gpu" if full_data is None else full_data
    try:
        path = find_data_file(WIKIPEDIA_FILE, allow_sample=not want_full)
    except FileNotFoundError:
        from ramen_edu.data.fetch_wiki import fetch_wiki

        print("fetching the full Wikipedia data (ramen-edu fetch-wiki) ...")
        # into the checkout's data/, which the lookup finds from any working directory
        fetch_wiki(os.environ.get("RAMEN_EDU_DATA") or project_root() / "data")
        path = find_data_file(WIKIPEDIA_FILE)
    print(f"Wikipedia data: {data_source(path)}")
    return {"profile": p.name, "data": str(path), "device": str(device), "autocast": str(dtype)}


def write_cells(book_dir: Path | None = None) -> list[Path]:
    """Replace the first cell of every chapter that starts with :data:`MARKER` (or insert one)
    by :func:`setup_cell`; returns the notebooks changed."""
    import nbformat  # a book dependency; this is an authoring tool

    book_dir = book_dir or project_root() / "book"
    source, changed = setup_cell(), []
    for path in sorted(book_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0] if nb.cells else None
        if first is not None and first.source.startswith(MARKER):
            if first.source == source:
                continue
            first.source = source
        else:
            cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-input"]})
            cell.id = "colab-setup"
            nb.cells.insert(0, cell)
        nbformat.write(nb, path)
        changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="print (or --write into book/*.ipynb) the Colab set-up cell")
    parser.add_argument("--write", action="store_true", help="update every chapter's first cell")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_cells():
            print(f"updated {path}")
    else:
        print(setup_cell())
    return 0


if __name__ == "__main__":
    sys.exit(main())
