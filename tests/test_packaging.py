"""What a reader installs: environment.yml lists exactly the package's dependencies and the
extras the intro's steps use (cpu, book, lab); the intro's commands come from those extras;
LICENSE and CITATION.cff say what the pyproject and the book say."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# the extras a conda reader gets (environment.yml is CPU-only: cpu, not gpu; test is for CI)
ENV_EXTRAS = ("cpu", "book", "lab")
# the command of each step in the intro -> the distribution that provides it
COMMANDS = {"jupyter lab": "jupyterlab", "jupyter nbconvert": "nbconvert", "jupyter-book": "jupyter-book"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip().strip('"'), maxsplit=1)[0].lower().replace("_", "-")


def _spec(requirement: str) -> str:
    return requirement.strip().strip('"')[len(_name(requirement)):].replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    reqs = list(PYPROJECT["project"]["dependencies"])
    for extra in ENV_EXTRAS:
        reqs += PYPROJECT["project"]["optional-dependencies"][extra]
    return {_name(r): _spec(r) for r in reqs}


def _environment_requirements() -> dict[str, str]:
    found = {}
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*-\s+(.+?)\s*$", line)
        if not m or m.group(1).startswith(("--", "-e ")) or m.group(1) in ("conda-forge", "pip:", "pip"):
            continue
        if m.group(1).startswith("python="):
            continue
        found[_name(m.group(1))] = _spec(m.group(1))
    return found


def test_environment_yml_lists_exactly_the_dependencies_and_extras():
    want, have = _pyproject_requirements(), _environment_requirements()
    assert "sphinx-mathjax-offline" in want  # what issue 21 found missing from environment.yml
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    assert not missing, f"environment.yml lacks {missing} (pyproject: dependencies + {ENV_EXTRAS})"
    assert not extra, f"environment.yml lists {extra}, which pyproject.toml does not"
    differ = {n: (want[n], have[n]) for n in want if want[n] != have[n]}
    assert not differ, f"version constraints differ (pyproject, environment.yml): {differ}"


def test_the_intro_steps_install_what_their_commands_need():
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", intro, re.S).group(1)
    extras = re.search(r'pip install -e "\.\[([\w,]+)\]"', block).group(1).split(",")
    installed = {_name(r) for e in extras for r in PYPROJECT["project"]["optional-dependencies"][e]}
    used = {dist for command, dist in COMMANDS.items() if f".venv/bin/{command}" in block}
    assert {"jupyterlab", "nbconvert", "jupyter-book"} <= used, used
    assert used <= installed, f"the intro runs {sorted(used - installed)}, which its extras {extras} do not install"
    assert "jupyterlab-myst" in installed  # exercises render in JupyterLab (issue 21)


def test_license_covers_the_code_and_states_the_data_license():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
    assert PYPROJECT["project"]["license"] == "MIT" and PYPROJECT["project"]["license-files"] == ["LICENSE"]
    assert "CC BY-SA 3.0" in text and "Wikipedia contributors" in text
    assert "CC BY-SA 3.0" in (ROOT / "_config.yml").read_text(encoding="utf-8")  # the site's footer agrees


def test_citation_cff_cites_the_paper_and_the_book():
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M) and re.search(r"^license: MIT$", cff, re.M)
    assert re.search(r'^title: ".*ramen-edu.*"$', cff, re.M)                       # the book
    paper = cff[cff.index("preferred-citation:"):]
    assert 'title: "Graph Regularized Encoder Training for Extreme Classification"' in paper
    assert "arXiv:2402.18434" in paper and "year: 2024" in paper
    families = re.findall(r"family-names: (\S+)", paper)
    assert families[0] == "Mittal" and len(families) == 13
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    credits = re.search(r"- The method: (.*?), \*Graph Regularized", intro, re.S).group(1)
    assert [n.split()[-1] for n in re.split(r",\s*|\s+and\s+", " ".join(credits.split()))] == families
