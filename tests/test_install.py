"""Installs that work: one faiss build per environment, the version on the command line."""
from __future__ import annotations

import subprocess
import sys
import venv
from importlib import metadata

import pytest

import ramen_edu
import ramen_edu.retrieval as retrieval
from ramen_edu.cli import main
from ramen_edu.settings import project_root


def test_version_on_the_command_line(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ramen-edu {ramen_edu.__version__}"
    assert metadata.version("ramen-edu") == ramen_edu.__version__  # pyproject reads the same attribute


def test_both_faiss_builds_installed_is_caught_with_the_fix(monkeypatch):
    def version(dist):
        if dist in ("faiss-cpu", "faiss-gpu-cu12"):
            return "1.0"
        raise metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(metadata, "version", version)
    with pytest.raises(ImportError, match=r"both faiss-cpu and faiss-gpu-cu12.*pip uninstall -y faiss-cpu faiss-gpu-cu12"):
        retrieval.load_faiss()


def test_missing_faiss_names_the_extras(monkeypatch):
    monkeypatch.setattr(retrieval, "_installed", lambda dist: False)
    monkeypatch.setitem(sys.modules, "faiss", None)  # makes `import faiss` raise ImportError
    with pytest.raises(ImportError, match=r"\[cpu\].*\[gpu\]"):
        retrieval.load_faiss()


@pytest.mark.slow
def test_the_gpu_extra_installs_a_faiss_that_imports(tmp_path):
    """What failed before: faiss-cpu (then a base dependency) and faiss-gpu-cu12 in one folder.
    A scratch venv with ``-e .[gpu]`` (torch pinned to the CPU build so no CUDA torch is pulled);
    ~90 s here, most of it the nvidia-cublas wheel."""
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0",
                              "-e", f"{project_root()}[gpu]"], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    probe = subprocess.run([str(python), "-c", "import faiss, ramen_edu.retrieval as r, importlib.metadata as m;"
                            "print(faiss.__version__, hasattr(faiss, 'StandardGpuResources'));"
                            "print([d.metadata['Name'] for d in m.distributions() if 'faiss' in d.metadata['Name']])"],
                           capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr[-3000:]
    version_line, dists = probe.stdout.splitlines()
    assert version_line.endswith("True")           # the GPU index classes are there
    assert dists == "['faiss-gpu-cu12']"           # and no faiss-cpu beside them


def test_the_documented_install_lines_name_real_extras():
    import re
    import tomllib

    project = tomllib.loads((project_root() / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not any(d.startswith("faiss") for d in project["dependencies"])  # only in the extras
    assert extras["cpu"] == ["faiss-cpu"] and extras["gpu"] == ["faiss-gpu-cu12"]
    assert "jupyterlab" in {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in extras["lab"]}
    for doc in ("README.md", "book/intro.md", "Makefile"):
        text = (project_root() / doc).read_text()
        for spec in re.findall(r'\.\[([a-z0-9_,$()A-Z]+)\]', text):
            names = [n for n in spec.split(",") if not n.startswith("$")]
            assert set(names) <= set(extras), f"{doc}: extra(s) {set(names) - set(extras)} do not exist"
            assert not {"cpu", "gpu"} <= set(names), f"{doc}: '{spec}' installs both faiss builds"
    intro = (project_root() / "book" / "intro.md").read_text()
    assert "jupyter lab book/" in intro and re.search(r'-e "\.\[[^\]]*lab[^\]]*\]"', intro)
