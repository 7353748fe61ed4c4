"""The package's layers, checked on the source: which module may import which, and one
evaluation path (retrieval returns ``(ids, scores)``; nobody flips a ``(scores, ids)`` pair).

Layers, bottom up: data, metrics, graphs, retrieval (arrays and datasets) < evaluation
(datasets × metrics) < training, baselines (the models) < experiments (the commands that train
and compare many of them: ``ramen-edu ablate``, ``ramen-edu baselines``) < book (the book's
tooling: Colab cell, student copy, run-time page, demo). Inside experiments, the runner and
the comparison statistics sit below the commands that use them: of training the runner knows
only ``TrainConfig``, and the comparison knows no model at all. viz may import anything below
experiments. An upward import would make, e.g., reading a dataset load torch or plotly, and
hides a cycle until it bites.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ramen_edu"

UPPER = ("ramen_edu.training", "ramen_edu.baselines", "ramen_edu.viz", "ramen_edu.experiments", "ramen_edu.book")
LOWER = ("ramen_edu.data", "ramen_edu.metrics", "ramen_edu.graphs", "ramen_edu.retrieval")
COMMANDS = ("ramen_edu.experiments.ablate", "ramen_edu.experiments.baselines")
# module (or package) prefix -> prefixes it must never import
RULES = {
    **{low: UPPER + ("ramen_edu.evaluation",) for low in LOWER},
    "ramen_edu.graphs": UPPER + ("ramen_edu.evaluation", "ramen_edu.data"),
    "ramen_edu.evaluation": UPPER,
    # the one text/markdown table writer: pure Python, so any layer (metrics, data) may use it
    "ramen_edu.tables": ("ramen_edu",),
    # the models never know the experiments that train them, nor the book's tooling
    "ramen_edu.training": ("ramen_edu.baselines", "ramen_edu.experiments", "ramen_edu.book", "ramen_edu.viz"),
    "ramen_edu.baselines": ("ramen_edu.experiments", "ramen_edu.book", "ramen_edu.viz"),
    "ramen_edu.viz": ("ramen_edu.experiments", "ramen_edu.book"),
    "ramen_edu.experiments": ("ramen_edu.book",),
    # scores of finished runs: never a model, never the commands that use it
    "ramen_edu.experiments.comparison": ("ramen_edu.training", "ramen_edu.baselines", "ramen_edu.experiments.runner",
                                         *COMMANDS),
    # the commands above it import the runner; the runner must not import them back
    "ramen_edu.experiments.runner": ("ramen_edu.training.trainer", "ramen_edu.baselines", "ramen_edu.viz",
                                     "ramen_edu.experiments.comparison", *COMMANDS),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every ramen_edu module a file imports, at the top or inside a function.

    ``from ramen_edu.x import y`` counts as ``ramen_edu.x.y`` too (y may be a submodule); relative
    imports are resolved against the file's package.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "ramen_edu" or m.startswith("ramen_edu.")}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_rules_see_the_modules_they_name():
    names = {_module_name(p) for p in MODULES}
    for prefix in [*RULES, *UPPER]:
        assert any(_within(n, prefix) for n in names), f"{prefix} names no module: update RULES"
    assert _imports(PACKAGE / "viz" / "explorers.py") >= {"ramen_edu.viz.graphs"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_no_module_imports_a_layer_above_it(path):
    name = _module_name(path)
    imported = _imports(path)
    for prefix, banned in RULES.items():
        if not _within(name, prefix):
            continue
        bad = sorted(m for m in imported for b in banned if _within(m, b))
        assert not bad, f"{name} imports {bad}, a layer above it (rule: {prefix} never imports {banned})"


# a call to retrieve(...) or search(...) (one level of nested parentheses) indexed with [::-1]
FLIP = re.compile(r"\b(?:retrieve|search)\((?:[^()]|\([^()]*\))*\)\s*\[::-1\]")
# ... or its result unpacked as (scores, ids)
SCORES_FIRST = re.compile(r"^\s*\w*scores?\w*\s*,\s*\w*ids?\w*\s*=.*\b(?:retrieve|search)\(", re.M)


def _sources():
    for folder in ("ramen_edu", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name != "test_layers.py":
                yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        yield path, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_no_scores_ids_flip_outside_retrieval():
    """``LabelIndex.search`` returns ``Retrieved(ids, scores)``, the order the metrics take; only
    retrieval.py, which wraps faiss's (scores, ids), may see the other order."""
    flips = []
    for path, text in _sources():
        if path == PACKAGE / "retrieval.py":
            continue
        for pattern in (FLIP, SCORES_FIRST):
            flips += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert not flips, "a retrieve/search result read as (scores, ids):\n" + "\n".join(flips)
    assert FLIP.search("m.retrieve(texts, 5, exclude=f(x))[::-1]")
    assert SCORES_FIRST.search("    scores, ids = model.retrieve([t], k)")
