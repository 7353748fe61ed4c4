"""The Colab set-up cell: one repository URL (from _config.yml), a no-op outside Colab, and the
right clone / install / data steps on (a simulated) Colab."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

import ramen_edu.book.colab as colab
from ramen_edu.settings import project_root

NOTEBOOKS = sorted((project_root() / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_chapter_starts_with_the_generated_cell(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "code" and "remove-input" in first.metadata.get("tags", [])
    assert first.source == colab.setup_cell(), (
        f"{path.name}: the first cell differs from the one _config.yml generates; "
        "run `python -m ramen_edu.book.colab --write`")


def test_the_url_comes_from_config_yml(tmp_path):
    url, branch = colab.repository()
    assert url.startswith("https://") and f'"{url}"' in colab.setup_cell()
    fork = tmp_path / "_config.yml"
    fork.write_text("title: x\nrepository:\n  url: https://example.org/me/fork\n  branch: dev\nhtml: {}\n")
    cell = colab.setup_cell(fork)
    assert '"https://example.org/me/fork"' in cell and '"--branch", "dev"' in cell and url not in cell
    (tmp_path / "bad.yml").write_text("title: x\n")
    with pytest.raises(ValueError, match=r"bad\.yml.*repository"):
        colab.repository(tmp_path / "bad.yml")


def test_outside_colab_the_cell_does_nothing(monkeypatch):
    assert "google.colab" not in sys.modules

    def refuse(*args, **kwargs):
        raise AssertionError("the cell ran a command outside Colab")

    monkeypatch.setattr(subprocess, "run", refuse)
    cwd, path = os.getcwd(), list(sys.path)
    exec(compile(colab.setup_cell(), "<colab cell>", "exec"), {})
    assert os.getcwd() == cwd and sys.path == path


@pytest.mark.parametrize("gpu", [False, True])
def test_on_colab_it_clones_installs_one_faiss_and_prepares(monkeypatch, gpu):
    calls, moved, prepared = [], [], []
    google = types.ModuleType("google")
    google.colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google.colab)
    monkeypatch.setattr(subprocess, "run", lambda cmd, check=False: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/nvidia-smi" if gpu and name == "nvidia-smi" else None)
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: False if p == colab.CLONE_DIR else real_isdir(p))
    monkeypatch.setattr(os, "chdir", moved.append)
    monkeypatch.setattr(colab, "prepare", lambda: prepared.append(True))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile(colab.setup_cell(), "<colab cell>", "exec"), {})
    url, branch = colab.repository()
    assert calls[0] == ["git", "clone", "--depth", "1", "--branch", branch, url, colab.CLONE_DIR]
    extra = "gpu" if gpu else "cpu"
    # only what a chapter needs: the package and one faiss build, not [book] (jupyter-book, sphinx)
    assert calls[1] == [sys.executable, "-m", "pip", "install", "-q", "-e", f"{colab.CLONE_DIR}[{extra}]"]
    assert moved == [f"{colab.CLONE_DIR}/book"] and prepared == [True] and sys.path[0] == colab.CLONE_DIR


def _on_colab(monkeypatch):
    google = types.ModuleType("google")
    google.colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", google.colab)


def test_a_failed_clone_names_the_one_place_to_fix_the_url(monkeypatch):
    _on_colab(monkeypatch)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, check=False: calls.append(cmd) or subprocess.CompletedProcess(cmd, 128))
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: False if p == colab.CLONE_DIR else real_isdir(p))
    url, _ = colab.repository()
    with pytest.raises(RuntimeError, match=rf"could not clone {url}.*_config\.yml.*ramen_edu\.book\.colab --write"):
        exec(compile(colab.setup_cell(), "<colab cell>", "exec"), {})
    assert len(calls) == 1  # nothing installed after a failed clone


def test_every_place_that_names_the_repository_names_the_configured_one():
    """The repository URL is configured once (_config.yml: the launch buttons, the Colab cell,
    the student copies' README); the prose and metadata that repeat it must agree."""
    import re

    url, _ = colab.repository()
    root = project_root()
    assert re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", url), url
    found = {}
    for name in ("README.md", "book/intro.md", "CITATION.cff", "pyproject.toml"):
        text = (root / name).read_text(encoding="utf-8")
        found[name] = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", text)
                          + re.findall(r"git clone (\S+)", text)
                          + re.findall(r'^repository-code: "(\S+)"', text, re.M))
    named = {u.rstrip(".") for urls in found.values() for u in urls}
    assert found["book/intro.md"] and found["CITATION.cff"], found
    assert named <= {url, url + ".git"}, f"other repository URLs than _config.yml's {url}: {found}"
    # and no module of the package hard-codes one
    for path in (root / "ramen_edu").rglob("*.py"):
        assert url not in path.read_text(encoding="utf-8"), f"{path} hard-codes {url}; read colab.repository()"


def test_prepare_reports_the_autocast_dtype_the_device_supports(monkeypatch, tmp_path, capsys):
    """prepare() asks issue 22's ramen_edu.precision.autocast_dtype for the device (mocked here:
    a T4-like GPU without bf16 gets fp16, a CPU bf16) and reports it."""
    import torch

    monkeypatch.setenv("RAMEN_EDU_NO_SHARED", "1")
    monkeypatch.setenv("RAMEN_EDU_PROFILE", "cpu")
    monkeypatch.chdir(tmp_path)
    asked = []

    def autocast_dtype(device):
        asked.append(torch.device(device).type)
        return torch.float16 if torch.device(device).type == "cuda" else torch.bfloat16

    monkeypatch.setitem(sys.modules, "ramen_edu.precision", types.SimpleNamespace(autocast_dtype=autocast_dtype))
    cpu_profile = colab.profile()                      # read before CUDA is faked: it asks the device
    monkeypatch.setattr(colab, "profile", lambda: cpu_profile)
    for cuda, want in ((True, "torch.float16"), (False, "torch.bfloat16")):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        found = colab.prepare(full_data=False)
        assert found["autocast"] == want and found["device"] == ("cuda" if cuda else "cpu")
        assert f"autocast {want}" in capsys.readouterr().out
    assert asked == ["cuda", "cpu"]


def test_prepare_uses_the_sample_on_cpu_and_fetches_the_full_data_on_gpu(monkeypatch, tmp_path, capsys):
    # ramen_edu.precision comes with issue 22; its choice is tested there and mocked here
    monkeypatch.setitem(sys.modules, "ramen_edu.precision", types.SimpleNamespace(autocast_dtype=lambda d: "fp32"))
    monkeypatch.setenv("RAMEN_EDU_NO_SHARED", "1")
    monkeypatch.setenv("RAMEN_EDU_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    if (project_root() / "data" / "wikipedia-2019" / "articles.jsonl.gz").exists():
        pytest.skip("this checkout has ./data/wikipedia-2019 (fetched): the fallback cannot be observed")
    monkeypatch.setenv("RAMEN_EDU_PROFILE", "cpu")
    found = colab.prepare()
    assert found["profile"] == "cpu" and found["data"].endswith("data_samples/wikipedia-sample/articles.jsonl.gz")
    assert "shipped sample" in capsys.readouterr().out

    fetched = []

    def fake_fetch_wiki(dest_dir):  # what fetch-wiki leaves behind: the full file under dest_dir
        assert Path(dest_dir) == tmp_path / "data"  # $RAMEN_EDU_DATA
        target = Path(dest_dir) / "wikipedia-2019" / "articles.jsonl.gz"
        target.parent.mkdir(parents=True)
        target.write_bytes(b"")
        fetched.append(target)

    monkeypatch.setitem(sys.modules, "ramen_edu.data.fetch_wiki", types.SimpleNamespace(fetch_wiki=fake_fetch_wiki))
    found = colab.prepare(full_data=True)
    assert fetched and Path(found["data"]) == fetched[0]
    assert "$RAMEN_EDU_DATA" in capsys.readouterr().out


def test_the_book_build_does_not_re_execute_chapters():
    """The set-up cell prints nothing outside Colab, so every chapter has an output-less code cell;
    under myst-nb's "auto" mode that alone re-executes the chapter at build time (at the build
    machine's default profile, minutes per chapter). The build must only render."""
    import re

    config = (project_root() / "_config.yml").read_text()
    mode = re.search(r'^\s+execute_notebooks:\s*"?(\w+)"?', config, re.M).group(1)
    assert mode == "off", f"_config.yml execute_notebooks is {mode!r}"
