"""The instructors' page (book/instructors.md) quotes measured numbers: expected answers of the
open exercises, what each project exercise costs, how long a lesson's live cells run. Each is
recomputed here from what the book commits — the results' JSON (``book/results``), the chapters'
saved outputs and their cells' execution records — and must appear on the page as written, so a
re-run that changes a number fails here until the page says the new one (issue 21: every one of
these rows had drifted from its source).

A failure prints the sentence the page should contain; edit the page, nothing else.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from ramen_edu.book.runtimes import experiment_records

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "book" / "results"
PAGE = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")


@functools.cache  # several numbers come from one chapter: parse it once
def _notebook(stem: str) -> list[dict]:
    return json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def _seconds(cell: dict) -> float:
    """A code cell's execution time from the record nbclient saved in its metadata."""
    record = cell.get("metadata", {}).get("execution", {})
    start, end = record.get("iopub.execute_input"), record.get("iopub.status.idle")
    assert start and end, f"no execution record in cell {''.join(cell['source'])[:60]!r}"
    return (dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
            - dt.datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def _cell(stem: str, marker: str) -> dict:
    found = [c for c in _notebook(stem) if c["cell_type"] == "code" and marker in "".join(c["source"])]
    assert len(found) == 1, f"{stem}: {len(found)} code cells contain {marker!r}"
    return found[0]


def _section_seconds(stem: str, heading: str) -> float:
    """Execution time of the code cells under ``heading`` (a markdown line such as "## Training"),
    up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    cells, inside, total = _notebook(stem), False, 0.0
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for line in text.splitlines():
                m = re.match(r"(#+) ", line)
                if line.strip() == heading:
                    inside = True
                elif inside and m and len(m.group(1)) <= level:
                    return total
        elif inside:
            total += _seconds(cell)
    assert inside, f"{stem}: no heading {heading!r}"
    return total


def _row(first_cell: str) -> str:
    lines = [l for l in PAGE.splitlines() if l.startswith(f"| {first_cell} |")]
    assert lines, f"instructors.md has no table row for {first_cell!r}"
    return "\n".join(lines)


def _seed_means(folder: str, row: str) -> str:
    runs = json.loads((RESULTS / folder / "baselines.json").read_text())["rows"][row]["test_metrics"]
    runs = list(runs.values()) if isinstance(runs, dict) else runs
    return " / ".join(f"{100 * np.mean([r[m] for r in runs]):.2f}" for m in ("P@1", "PSP@1"))


def _percent(values) -> str:
    return " / ".join(f"{100 * v:.0f}" for v in values)


def _experiment(name: str) -> dict:
    return next(r for r in experiment_records(RESULTS) if r["name"] == name)


@functools.cache  # read by the parametrization and by every case: compute it once
def _expected() -> dict[str, list[str]]:
    """{where on the page: [sentences that must be there]}, from the committed sources."""
    reach = json.loads((RESULTS / "baselines-wiki-seealso-cpu" / "baselines.json").read_text())["gain_reachability"]
    cat, men = reach["category"], reach["mentions"]
    linker = "".join(t for o in _cell("05_baselines_and_tail", "for linker in (")["outputs"]
                     for t in o.get("text", ""))
    k = {name: re.search(rf"{name} linker, P@1 / PSP@1 — k = 1: ([\d.]+) / [\d.]+ · k = 5: ([\d.]+) / [\d.]+"
                         rf" · k = 20: ([\d.]+)", linker).groups() for name in ("learned", "oracle")}
    hidden = re.search(r"hidden categories: ([\d.]+) on average, (\d+)% have at most 5", linker).groups()
    cap5, uncapped = _experiment("auggt-cap5-wiki-seealso-cpu"), _experiment("auggt-uncapped-wiki-seealso-cpu")
    base, minilm = _experiment("baselines-wiki-seealso-cpu"), _experiment("minilm-wiki-seealso-cpu")
    paper_bandit = _seconds(_cell("04_training", 'bandit_mode="paper"'))
    pruning = _section_seconds("02_anchor_graphs", "### Pruning by cosine")
    premise = _section_seconds("03_theorem1", "## On real data: how far is a document–anchor graph from the premise?")
    synthetic = _section_seconds("04_training", "## Training: RAMEN and the same training without the graph")
    bandits = _section_seconds("04_training", "## Tuning λ: the paper's bandit, and one that can tell")
    wikipedia = _section_seconds("04_training", "## On the Wikipedia see-also benchmark")
    explorer = _section_seconds("05_baselines_and_tail", "### The explorer")
    return {
        "ex5-auggt-cap": [f"≤ 2 added {_seed_means('baselines-wiki-seealso-cpu', 'AugGT')}, "
                          f"≤ 5 {_seed_means('auggt-cap5-wiki-seealso-cpu', 'AugGT')}, "
                          f"no cap {_seed_means('auggt-uncapped-wiki-seealso-cpu', 'AugGT')} "
                          f"(no graph {_seed_means('baselines-wiki-seealso-cpu', 'No graph')}",
                          f"{cap5['total_s']:,.0f} s for cap 5 ({cap5['per_run_s']:.0f} s a run) and "
                          f"{uncapped['total_s']:,.0f} s uncapped ({uncapped['per_run_s']:.0f} s a run)"],
        "ex5-linker-k": [f"learned linker {', '.join(k['learned'])}; oracle {', '.join(k['oracle'])}",
                         f"{hidden[0]} hidden categories on average, {hidden[1]} % at most 5",
                         f"{explorer:.0f} s at `cpu`"],
        "ex5-tail-criteria": [
            f"({_percent(cat['RAMEN']['per_seed'])} % per seed against a {100 * cat['RAMEN']['base_rate']:.0f} % "
            f"base rate; in the mentions graph {_percent(men['RAMEN']['per_seed'])} % against "
            f"{100 * men['RAMEN']['base_rate']:.0f} %)",
            f"oracle GCN's are {_percent(cat['GCN (oracle linker)']['per_seed'])} % category-reachable",
            f"{base['total_s']:,.0f} s of training ({base['runs']} runs, {base['per_run_s']:.0f} s each)"],
        "ex4-paper-bandit": [f"{paper_bandit:.0f} s (its solution cell"],
        "ex4-wiki-gpu": [f"{minilm['per_run_s']:.0f} s a run (`minilm-wiki-seealso-cpu`"],
        "2": [f"({pruning:.0f} s at `cpu`"],
        "3": [f"({premise:.0f} s at `cpu`)"],
        "4": [f"({synthetic:.0f} s at `cpu`", f"({bandits:.0f} s at `cpu`)", f"(the section takes {wikipedia:.0f} s at `cpu`)"],
    }


@pytest.mark.parametrize("where", sorted(_expected()))
def test_the_page_quotes_what_the_book_measured(where: str):
    row = _row(where)
    missing = [s for s in _expected()[where] if s not in row]
    assert not missing, (f"instructors.md, row {where!r}, should say (from the committed results and "
                         "chapter outputs):\n" + "\n".join(f"  {s}" for s in missing))


def test_section_seconds_stops_at_the_next_heading_of_its_level():
    four = _section_seconds("04_training", "## Training: RAMEN and the same training without the graph")
    assert 0 < four < _section_seconds("04_training", "# Training RAMEN")
