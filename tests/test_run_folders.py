"""Run folders have one writer: a second ``train`` into a folder in use fails at once, and a
folder holding a run is never trained over without --resume or --force."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from ramen_edu.cli import main
from ramen_edu.data.catalog import load_dataset
from ramen_edu.runinfo import FolderInUse, lock_folder
from ramen_edu.training import TrainConfig, Trainer

torch.set_num_threads(1)


def _train(world_dir, out, *extra):
    return main(["train", "--dataset", str(world_dir), "--profile", "smoke", "--encoder", "tiny-random",
                 "--epochs", "1", "--out", str(out), "--quiet", *extra])


HOLD_LOCK = textwrap.dedent("""
    import sys
    from ramen_edu.runinfo import lock_folder
    with lock_folder(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()  # until the test closes our stdin
""")


@pytest.fixture()
def other_process():
    """``other_process(folder)``: another process that holds ``folder``'s lock until the test ends."""
    started = []

    def hold(folder):
        proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        started.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield hold
    for proc in started:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_a_second_train_into_a_folder_in_use_fails_at_once(world_dir, cache, tmp_path, capsys, other_process):
    out = tmp_path / "run"
    holder = other_process(out)
    assert _train(world_dir, out) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"run folder {out} is in use by another process (pid {holder.pid}" in err
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # nothing was written
    # the library's Trainer takes the same lock
    with pytest.raises(FolderInUse, match="in use by another process"):
        Trainer(load_dataset(str(world_dir)), TrainConfig.for_profile("smoke", encoder="tiny-random", epochs=1),
                run_dir=out, progress=False)


def test_the_lock_goes_with_its_holder(tmp_path, other_process):
    holder = other_process(tmp_path)
    holder.kill()  # kill -9: the OS releases a flock with its process
    holder.wait(timeout=30)
    with lock_folder(tmp_path):
        with lock_folder(tmp_path):  # re-entrant within a process
            pass


def test_a_finished_run_is_not_trained_over_without_resume_or_force(world_dir, cache, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(world_dir, out) == 0
    capsys.readouterr()
    record = (out / "run.json").read_bytes()
    assert _train(world_dir, out, "--epochs", "2") == 1
    err = capsys.readouterr().err
    assert "holds a finished run (model/): pass --resume to continue it, --force to delete it" in err
    assert (out / "run.json").read_bytes() == record
    assert _train(world_dir, out, "--epochs", "2", "--force") == 0
    assert json.loads((out / "run.json").read_text())["epochs_done"] == 2


def test_an_interrupted_run_is_not_started_over_without_force(world_dir, cache, tmp_path, capsys):
    from ramen_edu.training import train

    out = tmp_path / "run"
    train(load_dataset(str(world_dir)),
          TrainConfig.for_profile("smoke", encoder="tiny-random", epochs=2), run_dir=out, stop_after=1,
          progress=False)
    assert _train(world_dir, out, "--epochs", "2") == 1
    assert "holds an interrupted run (checkpoint.pt, run.json)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _train(world_dir, out, "--resume", "--force")
