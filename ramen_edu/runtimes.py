"""The book's run-time page, built from the run records: how long each chapter and each stored
experiment took, on what, at which commit.

    python -m ramen_edu.runtimes --write        # rewrites book/runtimes.md

Chapters: the last cell of every chapter prints its run record (``ramen_edu.run_record``:
"chapter … · commit … · profile … · device … · wall time … s · torch …"); this module reads that
line from the committed outputs. Experiments: every ``book/results/*/ablation.json`` and
``baselines.json`` (the command, seeds, runs, wall time per run and in all) and the inference
benchmark's JSON. ``tests/test_runtimes.py`` checks that the committed page is what this module
makes from the committed notebooks and results, so the page cannot go stale.

Taught in: book/runtimes.md
"""
from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

from ramen_edu.config import project_root

__all__ = ["chapter_records", "experiment_records", "parse_run_record_line", "runtime_page"]

_LINE = re.compile(r"chapter (?P<chapter>\S+) · ramen_edu (?P<version>\S+) · commit (?P<commit>\S+) · "
                   r"profile (?P<profile>\S+) · (?P<device>.+?)(?: · wall time (?P<wall>\d+) s)? · torch (?P<torch>\S+)")


def parse_run_record_line(text: str) -> dict | None:
    """The fields of a printed run record line (``runinfo.run_record``), or None if ``text`` has none."""
    m = _LINE.search(text)
    if not m:
        return None
    out = m.groupdict()
    out["wall"] = int(out["wall"]) if out["wall"] is not None else None
    return out


def chapter_records(book: Path) -> list[dict]:
    """One dict per chapter notebook (sorted by name): its run record line's fields, or
    {"chapter": stem, "missing": True} when no output of the notebook carries one."""
    import nbformat

    rows = []
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found = None
        for cell in reversed(nb.cells):
            for out in cell.get("outputs", []):
                found = parse_run_record_line(out.get("text", "")) if out.get("output_type") == "stream" else None
                if found:
                    break
            if found:
                break
        rows.append(found or {"chapter": path.stem, "missing": True})
    return rows


def _seconds(value) -> str:
    return "–" if value is None else f"{float(value):,.0f}"


def experiment_records(results: Path) -> list[dict]:
    """One dict per stored experiment in ``book/results``: name, command, seeds, runs, wall time
    per run (mean) and of the invocation that finished it, commit."""
    rows = []
    for summary in sorted(results.glob("*/ablation.json")) + sorted(results.glob("*/baselines.json")):
        data = json.loads(summary.read_text())
        # the oracle-linker row is scored from the learned-linker row's training runs: count them once
        per_run = [t for name, r in data["rows"].items() if "oracle" not in name
                   for t in (r["wall_time_s"].values() if isinstance(r["wall_time_s"], dict) else r["wall_time_s"])
                   if t is not None]
        argv = (data.get("info") or {}).get("argv")
        rows.append({"name": summary.parent.name, "command": shlex.join(argv) if argv else "–",
                     "seeds": len(data["seeds"]), "runs": len(per_run),
                     "per_run_s": sum(per_run) / len(per_run) if per_run else None,
                     "total_s": sum(per_run) if per_run else None,
                     "commit": data["environment"]["git_commit"], "device": data["environment"]["device"]})
    cost = results / "inference_cost_cpu.json"
    if cost.is_file():
        data = json.loads(cost.read_text())
        rows.append({"name": cost.name, "command": "python benchmarks/bench_inference.py --paper-scale",
                     "seeds": "–", "runs": "–", "per_run_s": None, "total_s": None,
                     "commit": data["environment"]["git_commit"], "device": data["environment"]["device"]})
    return rows


def runtime_page(root: Path | None = None) -> str:
    """The markdown of book/runtimes.md, from the committed chapters and results under ``root``."""
    root = Path(root) if root is not None else project_root()
    chapters = chapter_records(root / "book")
    lines = ["# Run times", "",
             "Made by `python -m ramen_edu.runtimes --write` from the run records the book commits: the last",
             "output of every chapter and the summaries under `book/results/`. A chapter's time is one run",
             "top to bottom at the profile it names; `smoke` (what CI runs) takes seconds to a minute a chapter.",
             "", "## Chapters", "",
             "| chapter | profile | wall time (s) | commit | device | torch |", "|:--|:--|--:|:--|:--|:--|"]
    for c in chapters:
        if c.get("missing"):
            lines.append(f"| {c['chapter']} | – | – | (no run record in the committed outputs) | – | – |")
        else:
            lines.append(f"| {c['chapter']} | {c['profile']} | {_seconds(c['wall'])} | {c['commit']} | "
                         f"{c['device']} | {c['torch']} |")
    total = sum(c["wall"] for c in chapters if not c.get("missing") and c["wall"] is not None)
    lines += ["", f"All chapters: {total:,} s.", "", "## Stored experiments (read by the chapters)", "",
              "| results | command | seeds | runs | s per run | s of training in all | commit | device |",
              "|:--|:--|--:|--:|--:|--:|:--|:--|"]
    for e in experiment_records(root / "book" / "results"):
        lines.append(f"| `{e['name']}` | `{e['command']}` | {e['seeds']} | {e['runs']} | {_seconds(e['per_run_s'])} | "
                     f"{_seconds(e['total_s'])} | {e['commit']} | {e['device']} |")
    lines += ["", "The baselines' two GCN rows share their training runs; they are counted once."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ramen_edu.runtimes", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite book/runtimes.md (default: print it)")
    args = ap.parse_args(argv)
    page = runtime_page()
    if args.write:
        out = project_root() / "book" / "runtimes.md"
        out.write_text(page, encoding="utf-8")
        print(f"written: {out}")
    else:
        print(page, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
