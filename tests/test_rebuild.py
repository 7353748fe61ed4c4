"""python -m ramen_edu.experiments.rebuild: steps run in order, finished steps are skipped, a
failure is recorded and stops the rebuild, a new article file empties each step's outputs once."""
from __future__ import annotations

import json

import pytest

from ramen_edu.experiments import rebuild


def _steps(fail: bool = False):
    write = "import pathlib,sys; p=pathlib.Path('book/results/out'); p.mkdir(parents=True, exist_ok=True); (p/'n.txt').write_text(str(len(list(p.iterdir()))))"
    return (rebuild.Step("first", ("{python}", "-c", write), ("book/results/out",)),
            rebuild.Step("second", ("{python}", "-c", "import sys; sys.exit(3)" if fail else "print('{data}')")))


@pytest.fixture()
def root(tmp_path):
    (tmp_path / "book" / "results").mkdir(parents=True)
    data = tmp_path / "data" / "wikipedia-2019" / "articles.jsonl.gz"
    data.parent.mkdir(parents=True)
    data.write_bytes(b"one")
    return tmp_path, data


def test_steps_run_once_and_are_recorded(root, monkeypatch):
    tmp, data = root
    monkeypatch.setattr(rebuild, "STEPS", _steps())
    state = rebuild.run_steps(root=tmp, data=data)
    assert [s["status"] for s in state["steps"].values()] == ["finished", "finished"]
    saved = json.loads((tmp / rebuild.STATE).read_text())
    assert saved["steps"]["second"]["command"] == ["python", "-c", "print('DATA')"]  # portable
    assert "wall_s" in saved["steps"]["first"]
    assert str(data) in (tmp / rebuild.LOGS / "second.log").read_text()
    mtime = (tmp / "book/results/out/n.txt").stat().st_mtime_ns
    rebuild.run_steps(root=tmp, data=data)  # nothing left to do
    assert (tmp / "book/results/out/n.txt").stat().st_mtime_ns == mtime


def test_a_failing_step_stops_and_resumes(root, monkeypatch):
    tmp, data = root
    monkeypatch.setattr(rebuild, "STEPS", _steps(fail=True))
    with pytest.raises(RuntimeError, match=r"step second failed \(exit 3\).*second\.log"):
        rebuild.run_steps(root=tmp, data=data)
    saved = json.loads((tmp / rebuild.STATE).read_text())
    assert saved["steps"]["first"]["status"] == "finished"
    assert saved["steps"]["second"]["status"] == "failed (exit 3)"
    monkeypatch.setattr(rebuild, "STEPS", _steps())
    state = rebuild.run_steps(root=tmp, data=data)  # only the failed step runs again
    assert state["steps"]["second"]["status"] == "finished"


def test_a_new_article_file_starts_over_and_empties_outputs(root, monkeypatch):
    tmp, data = root
    monkeypatch.setattr(rebuild, "STEPS", _steps())
    rebuild.run_steps(root=tmp, data=data)
    (tmp / "book/results/out/stale.txt").write_text("from the old file")
    data.write_bytes(b"two")
    state = rebuild.run_steps(root=tmp, data=data)
    assert not (tmp / "book/results/out/stale.txt").exists()
    assert (tmp / "book/results/out/n.txt").read_text() == "0"  # the folder was empty again
    assert state["data_sha256"] == rebuild._sha256(data)


def test_unknown_step_names_the_steps(root):
    tmp, data = root
    with pytest.raises(ValueError, match="unknown step.*the steps are: sample, ablation"):
        rebuild.run_steps(["nope"], root=tmp, data=data)
