"""The book's run-time page, built from the run records: how long each chapter and each stored
experiment took, on what, at which commit.

    python -m ramen_edu.book.runtimes --write        # rewrites book/runtimes.md

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

import numpy as np

from ramen_edu.settings import project_root
from ramen_edu.tables import markdown_table

__all__ = ["chapter_records", "experiment_records", "measured_rows", "parse_run_record_line",
           "readme_with_measured", "runtime_page"]

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
             "Made by `python -m ramen_edu.book.runtimes --write` from the run records the book commits: the last",
             "output of every chapter and the summaries under `book/results/`. A chapter's time is one run",
             "top to bottom at the profile it names; `smoke` (what CI runs) takes seconds to a minute a chapter.",
             "", "## Chapters", "",
             markdown_table(["chapter", "profile", "wall time (s)", "commit", "device", "torch"],
                            [[str(c["chapter"]), "–", "–", "(no run record in the committed outputs)", "–", "–"]
                             if c.get("missing") else
                             [str(c[k]) if k != "wall" else _seconds(c["wall"])
                              for k in ("chapter", "profile", "wall", "commit", "device", "torch")]
                             for c in chapters], align="llrlll")]
    total = sum(c["wall"] for c in chapters if not c.get("missing") and c["wall"] is not None)
    lines += ["", f"All chapters: {total:,} s.", "", "## Stored experiments (read by the chapters)", "",
              markdown_table(["results", "command", "seeds", "runs", "s per run", "s of training in all", "commit",
                              "device"],
                             [[f"`{e['name']}`", f"`{e['command']}`", str(e["seeds"]), str(e["runs"]),
                               _seconds(e["per_run_s"]), _seconds(e["total_s"]), str(e["commit"]), str(e["device"])]
                              for e in experiment_records(root / "book" / "results")], align="llrrrrll")]
    lines += ["", "The baselines' two GCN rows share their training runs; they are counted once."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ramen_edu.book.runtimes", description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="rewrite book/runtimes.md (default: print it)")
    ap.add_argument("--readme", action="store_true",
                    help="rewrite the README's measured-results rows from book/results")
    args = ap.parse_args(argv)
    if args.readme:
        path = project_root() / "README.md"
        path.write_text(readme_with_measured(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"written: {path}")
        return 0
    page = runtime_page()
    if args.write:
        out = project_root() / "book" / "runtimes.md"
        out.write_text(page, encoding="utf-8")
        print(f"written: {out}")
    else:
        print(page, end="")
    return 0



# ------------------------------------------------------------------------------------------
# the README's measured rows for the stored experiments
# ------------------------------------------------------------------------------------------
README_BEGIN = "<!-- measured-results:begin (python -m ramen_edu.book.runtimes --readme) -->"
README_END = "<!-- measured-results:end -->"
# what each stored experiment is; the seed count is appended from its record (never typed here)
_LABELS = {
    "ablation-wiki-seealso-cpu": "the paper's ablation (Table 5), Wikipedia, tiny BERT from scratch",
    "hardneg5-wiki-seealso-cpu": "hard negatives (the 5 hardest in-batch), Wikipedia",
    "baselines-wiki-seealso-cpu": "baselines (Tables 2, 5 AugGT, 8, 12), Wikipedia, tiny BERT from scratch",
    "minilm-wiki-seealso-cpu": "RAMEN on all-MiniLM-L6-v2 (chapter 4's `minilm` recipe: top 2 layers, softmax), "
                               "Wikipedia",
    "minilm-st10": "the sentence-transformers fine-tune of all-MiniLM-L6-v2 at 10 epochs (chapter 4's "
                   "equal-epoch check)",
    "auggt-cap5-wiki-seealso-cpu": "AugGT with ≤ 5 labels added per document (chapter 5, ex5-auggt-cap)",
    "auggt-uncapped-wiki-seealso-cpu": "AugGT with no cap (chapter 5, ex5-auggt-cap)",
}


def _pm(metric: dict) -> str:
    return f"{100 * metric['mean']:.2f} ± {100 * metric['std']:.2f}" if metric.get("std") == metric.get("std") \
        else f"{100 * metric['mean']:.2f}"


def _delta(metric: dict) -> str:
    from ramen_edu.experiments.comparison import with_intervals  # summaries of any age

    metric = with_intervals(metric)
    d, s = metric["delta"], metric.get("seed_delta")
    text = f"{100 * d['mean']:+.2f} ± {100 * d['half_width']:.2f} (documents)"
    if s and "half_width" in s:
        text += f", {100 * s['mean']:+.2f} ± {100 * s['half_width']:.2f} (seeds)"
    verdict = metric.get("verdict")
    return text + (f" → **{verdict['verdict']}**" if verdict else "")


def _experiment_cell(summary: dict) -> str:
    comps = summary.get("comparison") or {}
    base = comps.get("vs No graph")
    parts = []
    if base:
        for name, res in base["methods"].items():
            m = res["metrics"]
            parts.append(f"{name} P@1 {_pm(m['P@1'])}, PSP@1 {_pm(m['PSP@1'])}")
    else:  # a single row (e.g. AugGT alone): its seeds' test metrics
        for name, row in summary["rows"].items():
            seeds = row["test_metrics"]
            seeds = list(seeds.values() if isinstance(seeds, dict) else seeds)
            # one seed has no spread: std NaN, which _pm prints as the mean alone
            stats = {k: {"mean": float(np.mean([m[k] for m in seeds])),
                         "std": float(np.std([m[k] for m in seeds], ddof=1)) if len(seeds) > 1 else float("nan")}
                     for k in ("P@1", "PSP@1")}
            parts.append(f"{name} P@1 {_pm(stats['P@1'])}, PSP@1 {_pm(stats['PSP@1'])}")
    cell = "; ".join(parts)
    for vs, comp in comps.items():
        for name, res in comp["methods"].items():
            if name == comp["baseline"] or (vs != "vs No graph" and name == "No graph"):
                continue
            cell += f"<br>{name} {vs}: P@1 {_delta(res['metrics']['P@1'])}"
    return cell


def measured_rows(root: Path | None = None) -> str:
    """The README's "Measured" rows for the stored experiments and the rebuild, made from
    ``book/results`` (every number read from a summary JSON, none typed)."""
    root = Path(root) if root is not None else project_root()
    results = root / "book" / "results"
    rows = []
    for e in experiment_records(results):
        summary_file = next((results / e["name"] / f for f in ("ablation.json", "baselines.json")
                             if (results / e["name"] / f).is_file()), None)
        if summary_file is None:
            continue
        summary = json.loads(summary_file.read_text())
        seeds = e["seeds"]
        label = f"{_LABELS.get(e['name'], e['name'])}, {seeds} seed{'s' * (seeds != 1)}" + " a row" * (e["runs"] > seeds)
        runs = f"{e['runs']} run{'s' * (e['runs'] != 1)}"
        rows.append([label, f"`{e['command']}` ({runs}, {_seconds(e['total_s'])} s of "
                     f"training, commit {e['commit']}; `book/results/{e['name']}/`)", _experiment_cell(summary)])
    cost = results / "inference_cost_cpu.json"
    if cost.is_file():
        c = json.loads(cost.read_text())
        r, g = c["pipelines"]["RAMEN"], c["pipelines"]["two-stage GCN"]
        p = c.get("paper_scale_search") or {}
        rows.append([
            "inference cost (Table 3)", f"`python benchmarks/bench_inference.py --paper-scale` "
            f"(commit {c['environment']['git_commit']}; `book/results/inference_cost_cpu.json`)",
            f"{c['encoder'].split(' ')[0]}, {c['labels']:,} labels, {c['anchors']:,} {c['anchor_set']} "
            f"anchors, k = {c['k']}: RAMEN {r['ms_per_query_batch1']:.2f} / {r['ms_per_query_batch256']:.2f} "
            f"ms per query (batch 1 / 256), GCN {g['ms_per_query_batch1']:.2f} / "
            f"{g['ms_per_query_batch256']:.2f} (×{g['ms_per_query_batch1'] / r['ms_per_query_batch1']:.2f} / "
            f"×{g['ms_per_query_batch256'] / r['ms_per_query_batch256']:.2f})"
            + (f"; exact search at the paper's sizes: {p['labels']:,} labels "
               f"{p['label_search_ms_per_query']:.1f} ms/query, {p['anchors']:,} anchors "
               f"{p['anchor_search_ms_per_query']:.1f} ms/query" if p else "")])
    state = results / "rebuild.json"
    if state.is_file():
        s = json.loads(state.read_text())
        steps = ", ".join(
            f"{name} {_seconds(step.get('wall_s'))} s"
            + (" (the final pass only: the step's `note` in rebuild.json says how its training ran)"
               if step.get("note") else "")
            for name, step in s["steps"].items() if step.get("status") == "finished")
        rows.append(["rebuild of every committed result", f"`python -m ramen_edu.experiments.rebuild` "
                     f"(`book/results/rebuild.json`, data sha256 {s['data_sha256'][:12]}…)", steps])
    return "\n".join([README_BEGIN, markdown_table(["what", "command", "result"], rows, align="lll"), README_END])


def readme_with_measured(readme: str, root: Path | None = None) -> str:
    """``readme`` with the block between :data:`README_BEGIN` and :data:`README_END` replaced by
    :func:`measured_rows`. Raises ValueError when the markers are missing."""
    if README_BEGIN not in readme or README_END not in readme:
        raise ValueError(f"README.md has no {README_BEGIN!r} … {README_END!r} block: put one "
                         "inside the Measured table where the experiment rows go")
    head, rest = readme.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return head + measured_rows(root) + tail


if __name__ == "__main__":
    sys.exit(main())
