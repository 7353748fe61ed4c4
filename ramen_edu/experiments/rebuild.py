"""Rebuild every committed result of the book from the full Wikipedia file, in order, resumably.

    python -m ramen_edu.experiments.rebuild --list            # the steps and their commands
    python -m ramen_edu.experiments.rebuild                   # run what is not done yet
    python -m ramen_edu.experiments.rebuild --only ablation baselines

Not rebuilt: ``book/results/bandit_inbatch_reward_cpu.json`` (a record of a bandit reward the
library no longer has; the file says so), and the 2-epoch MiniLM comparison, which the book no
longer commits (chapter 4 gives its command).

Each step is one command of the project (``ramen-edu ablate``, ``ramen-edu baselines``, a
benchmark script, a chapter executed at the ``cpu`` profile, ...). The state lives in
``book/results/rebuild.json``: the sha256 of the article file the results are made from, and for
each step when it started and finished, its wall time and its exit status. Run it again and
finished steps are skipped; an interrupted ``ablate``/``baselines`` step resumes at the run it
was in (those commands keep finished runs). A step that starts for the first time on a new
article file empties its output folder first, so no result of an older file survives beside the
new ones. Each step's output goes to ``book/results/rebuild-logs/<step>.log``.

The full file is found by :func:`ramen_edu.find_data_file` with the shipped sample excluded
(``ramen-edu fetch-wiki``, or ``$RAMEN_EDU_DATA``). Times on this project's 2-core CPU are in
the README's "Measured" table, made from ``rebuild.json``. The logs are not committed
(``.gitignore``); ``rebuild.json`` is.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ramen_edu.settings import find_data_file, project_root

__all__ = ["STEPS", "Step", "main", "run_steps"]

CPU = "configs/wiki_seealso_cpu.json"
MINILM = "configs/wiki_seealso_cpu_minilm.json"
# the no-graph MiniLM recipes tried (loss_lr_epochs_layers; "layersnull" = full fine-tuning) and the λ grid
MINILM_SWEEP = ("softmax_lr5e-05_ep10_layers2", "softmax_lr0.0002_ep10_layers2", "triplet_lr0.0002_ep10_layers2",
                "softmax_lr5e-05_ep3_layers2", "softmax_lr5e-05_ep3_layers3", "softmax_lr5e-05_ep3_layers4",
                "softmax_lr5e-05_ep3_layersnull", "softmax_lr0.0002_ep1_layers2")
MINILM_GRID = ("0.003", "0.01", "0.03", "0.1")
MINILM_ROWS = ("Untrained", "ST fine-tune", "No graph", "RAMEN", "Scrambled graph")
RESULTS = Path("book/results")
STATE = RESULTS / "rebuild.json"
LOGS = RESULTS / "rebuild-logs"


@dataclass(frozen=True)
class Step:
    """One rebuild step: ``name``, the command (argv, run from the repository root; ``{python}``
    is this interpreter, ``{data}`` the full article file), the folders or files it owns (emptied
    when it first runs on a new file), and environment variables it needs."""

    name: str
    command: tuple[str, ...]
    outputs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def _chapter(name: str, notebook: str, *outputs: str) -> Step:
    return Step(name, ("{python}", "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                       "--inplace", "--ExecutePreprocessor.timeout=-1", f"book/{notebook}"),
                outputs, (("RAMEN_EDU_PROFILE", "cpu"),))


_CLI = ("{python}", "-m", "ramen_edu.cli")
STEPS: tuple[Step, ...] = (
    Step("sample", ("{python}", "data_samples/wikipedia-sample/make_sample.py", "--source",
                    "{data}")),
    Step("ablation", _CLI + ("ablate", "--config", CPU, "--seeds", "3", "--lambdas", "0.03",
                             "0.3", "--quiet", "--out", "book/results/ablation-wiki-seealso-cpu"),
         ("book/results/ablation-wiki-seealso-cpu",)),
    Step("baselines", _CLI + ("baselines", "--config", CPU, "--seeds", "3", "--quiet", "--out",
                              "book/results/baselines-wiki-seealso-cpu"),
         ("book/results/baselines-wiki-seealso-cpu",)),
    Step("auggt-cap5", _CLI + ("baselines", "--config", CPU, "--seeds", "3", "--rows", "AugGT",
                               "--auggt-max-added", "5", "--quiet", "--out",
                               "book/results/auggt-cap5-wiki-seealso-cpu"),
         ("book/results/auggt-cap5-wiki-seealso-cpu",)),
    Step("auggt-uncapped", _CLI + ("baselines", "--config", CPU, "--seeds", "3", "--rows",
                                   "AugGT", "--auggt-max-added", "-1", "--quiet", "--out",
                                   "book/results/auggt-uncapped-wiki-seealso-cpu"),
         ("book/results/auggt-uncapped-wiki-seealso-cpu",)),
    Step("hardneg5", _CLI + ("ablate", "--config", "configs/wiki_seealso_cpu_hard5.json",
                             "--seeds", "3", "--rows", "RAMEN", "No graph", "--quiet", "--out",
                             "book/results/hardneg5-wiki-seealso-cpu"),
         ("book/results/hardneg5-wiki-seealso-cpu",)),
    # chapter 4's pre-trained encoder: the no-graph recipe chosen on the validation slice, the λ ×
    # anchor-set grid on it, then the seeded table (configs/minilm/, configs/wiki_seealso_cpu_minilm.json)
    *(Step(f"minilm-sweep-{name}", _CLI + ("ablate", "--config", f"configs/minilm/sweep_{name}.json",
                                            "--seeds", "1", "--rows", "No graph", "--quiet", "--out",
                                            f"book/results/minilm-sweep/sweep_{name}"),
           (f"book/results/minilm-sweep/sweep_{name}",))
      for name in MINILM_SWEEP),
    *(Step(f"minilm-grid-{lam}", _CLI + ("ablate", "--config", f"configs/minilm/grid_lambda{lam}.json",
                                          "--seeds", "1", "--rows", "RAMEN", "category only", "--quiet",
                                          "--out", f"book/results/minilm-grid/lambda{lam}"),
           (f"book/results/minilm-grid/lambda{lam}",))
      for lam in MINILM_GRID),
    Step("minilm", _CLI + ("ablate", "--config", MINILM, "--seeds", "5", "--rows", *MINILM_ROWS,
                           "--quiet", "--out", "book/results/minilm-wiki-seealso-cpu"),
         ("book/results/minilm-wiki-seealso-cpu",)),
    # the sentence-transformers fine-tune at the recipe's 10 epochs, once (the equal-epoch check)
    Step("minilm-st10", _CLI + ("ablate", "--config", MINILM, "--seeds", "1", "--rows", "ST fine-tune",
                                "--st-epochs", "10", "--quiet", "--out", "book/results/minilm-st10"),
         ("book/results/minilm-st10",)),
    Step("inference", ("{python}", "benchmarks/bench_inference.py", "--paper-scale", "--out",
                       "book/results/inference_cost_cpu.json"),
         ("book/results/inference_cost_cpu.json",)),
    _chapter("chapter4", "04_training.ipynb", "book/results/04_training_cpu.json"),
    Step("encoders03", ("{python}", "book/results/03-encoders-wiki-seealso-cpu/make.py")),
    _chapter("chapter1", "01_extreme_classification.ipynb"),
    _chapter("chapter2", "02_anchor_graphs.ipynb"),
    _chapter("chapter3", "03_theorem1.ipynb"),
    _chapter("chapter5", "05_baselines_and_tail.ipynb"),
    _chapter("chapter6", "06_findings.ipynb"),
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _save(state: dict, path: Path, step: str | None = None) -> None:
    """Write the state; with ``step``, only that step's record is taken from ``state`` and the
    rest re-read from the file, so two rebuilds running disjoint steps side by side (``--only``,
    one per core) do not overwrite each other's records."""
    if step is not None and path.is_file():
        current = json.loads(path.read_text(encoding="utf-8"))
        if current.get("data_sha256") == state["data_sha256"]:
            current["steps"][step] = state["steps"][step]
            state = current
    tmp = path.with_name(path.name + f".part{os.getpid()}")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _empty(root: Path, output: str) -> None:
    target = root / output
    if target.is_dir():
        # a folder with a script that makes it (03-encoders' make.py) keeps the script
        for child in target.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            elif child.suffix != ".py":
                child.unlink()
    elif target.is_file():
        target.unlink()


def run_steps(names: list[str] | None = None, *, root: Path | None = None,
              data: Path | None = None, dry_run: bool = False) -> dict:
    """Run the steps named (default all, in :data:`STEPS` order) that ``rebuild.json`` does not
    record as finished on this article file. Returns the state. Raises RuntimeError naming the
    step and its log when a command fails (the state records the failure; rerun to resume)."""
    root = Path(root) if root is not None else project_root()
    data = Path(data) if data is not None else find_data_file(allow_sample=False)
    known = {s.name for s in STEPS}
    unknown = sorted(set(names or ()) - known)
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}; the steps are: "
                         + ", ".join(s.name for s in STEPS))
    state_path = root / STATE
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    sha = _sha256(data)
    if state.get("data_sha256") != sha:
        state = {"data_sha256": sha, "data_bytes": data.stat().st_size, "steps": {},
                 "data": "DATA = the full articles.jsonl.gz (ramen-edu fetch-wiki)"}
        _save(state, state_path)
    (root / LOGS).mkdir(parents=True, exist_ok=True)
    for step in STEPS:
        if names and step.name not in names:
            continue
        record = state["steps"].get(step.name, {})
        if record.get("status") == "finished":
            print(f"{step.name}: finished {record['finished']} ({record['wall_s']:.0f} s), skipped")
            continue
        argv = [a.format(python=sys.executable, data=str(data)) for a in step.command]
        shown = [a.format(python="python", data="DATA") for a in step.command]
        print(f"{step.name}: {' '.join(shown)}", flush=True)
        if dry_run:
            continue
        if not record:  # first start on this file: no older result may survive
            for output in step.outputs:
                _empty(root, output)
        record.update(status="running", started=_now(), command=shown)
        state["steps"][step.name] = record
        _save(state, state_path, step.name)
        env = {**os.environ, **dict(step.env),
               "RAMEN_EDU_DATA": str(data.parent.parent)}
        t0 = time.perf_counter()
        with open(root / LOGS / f"{step.name}.log", "a", encoding="utf-8") as log:
            log.write(f"# {_now()} {' '.join(shown)}\n")
            log.flush()
            code = subprocess.call(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        wall = time.perf_counter() - t0
        record.update(status="finished" if code == 0 else f"failed (exit {code})",
                      finished=_now(), wall_s=round(wall + record.get("wall_s_before", 0), 1))
        if code != 0:
            record["wall_s_before"] = record["wall_s"]
        _save(state, state_path, step.name)
        print(f"{step.name}: {record['status']} in {wall:.0f} s", flush=True)
        if code != 0:
            raise RuntimeError(f"step {step.name} failed (exit {code}); see "
                               f"{LOGS / (step.name + '.log')}, fix it and rerun to resume")
    return state


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ramen_edu.experiments.rebuild",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", metavar="STEP", help="run only these steps")
    ap.add_argument("--list", action="store_true", help="print the steps and exit")
    ap.add_argument("--data", type=Path, help="the full articles.jsonl.gz (default: found)")
    args = ap.parse_args(argv)
    try:
        run_steps(args.only, data=args.data, dry_run=args.list)
    except (ValueError, RuntimeError, FileNotFoundError) as err:
        print(f"rebuild: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
