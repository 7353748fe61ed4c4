"""The experiment runner's one "finished" rule (``ramen_edu.experiments.runner.finished``), shared
by ``ramen-edu ablate`` and ``ramen-edu baselines``: a record lacking a field added to
TrainConfig since counts as that field's default; a record with another value of any field is
never reused."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from ramen_edu.cli import main
from ramen_edu.experiments import runner
from ramen_edu.training.config import TrainConfig

torch.set_num_threads(1)

# the fields the committed results' records (book/results, made at 098b484) lack
NEWER_FIELDS = ("loss", "scale", "scramble_graph", "train_layers")


def _finished_run(folder, config: dict, *, files=(runner.PER_DOC_FILE,), **record):
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).write_bytes(b"")
    runner.write_json(folder / runner.RUN_FILE, {"config": config, "test_metrics": {"P@1": 0.5}, **record})
    return folder


def _old(config: dict, *fields: str) -> dict:
    return {k: v for k, v in config.items() if k not in fields}


def test_a_record_lacking_newer_fields_counts_them_at_their_defaults(tmp_path):
    wanted = TrainConfig(encoder="tiny-random", seed=2).to_dict()
    folder = _finished_run(tmp_path / "run", _old(wanted, *NEWER_FIELDS))
    assert runner.finished(folder, wanted)
    # ... but a wanted value other than the default is another run, not the old one
    scrambled = {**wanted, "scramble_graph": True}
    with pytest.raises(ValueError, match=r"different config \(fields \['scramble_graph'\]\).*another --out"):
        runner.finished(folder, scrambled)


def test_a_record_with_another_value_or_an_unknown_field_is_not_reused(tmp_path):
    wanted = TrainConfig(encoder="tiny-random").to_dict()
    other_lr = _finished_run(tmp_path / "lr", {**wanted, "lr": wanted["lr"] * 2})
    with pytest.raises(ValueError, match=r"lr.*(delete that folder|another --out)") as err:
        runner.finished(other_lr, wanted)
    assert str(other_lr) in str(err.value)
    removed = _finished_run(tmp_path / "removed", {**wanted, "a_removed_field": 3})
    with pytest.raises(ValueError, match="a_removed_field"):
        runner.finished(removed, wanted)
    # a field without a default that the record lacks differs too
    with pytest.raises(ValueError, match="row_kind"):
        runner.finished(_finished_run(tmp_path / "ref", {"seed": 0}), {"seed": 0, "row_kind": "untrained"})


def test_unfinished_runs_identity_and_nested_defaults(tmp_path):
    wanted = TrainConfig(encoder="tiny-random").to_dict()
    assert not runner.finished(tmp_path / "nothing", wanted)
    folder = _finished_run(tmp_path / "run", wanted)
    assert not runner.finished(folder, wanted, files=(runner.PER_DOC_FILE, "ranks.npz"))  # a file missing
    runner.write_json(folder / runner.RUN_FILE, {"config": wanted})  # no test metrics: not finished
    assert not runner.finished(folder, wanted)
    spec = {"method": "AugGT", "max_added": 2}
    folder = _finished_run(tmp_path / "auggt", wanted, baseline=spec)
    assert runner.finished(folder, wanted, identity={"baseline": spec})
    with pytest.raises(ValueError, match=r"\['baseline'\]"):
        runner.finished(folder, wanted, identity={"baseline": {**spec, "max_added": 5}})
    # a nested settings dict (a reference row's "st_config") with its own defaults
    defaults = {"st_config": {"epochs": 1, "lr": 5e-5}}
    folder = _finished_run(tmp_path / "st", {"seed": 0, "st_config": {"epochs": 1}})
    assert runner.finished(folder, {"seed": 0, "st_config": {"epochs": 1, "lr": 5e-5}}, defaults=defaults)
    with pytest.raises(ValueError, match=r"st_config\.lr"):
        runner.finished(folder, {"seed": 0, "st_config": {"epochs": 1, "lr": 1e-4}}, defaults=defaults)


def test_a_corrupt_record_names_its_file(tmp_path):
    folder = _finished_run(tmp_path / "run", {})
    (folder / runner.RUN_FILE).write_text("[]")
    with pytest.raises(ValueError, match=r"run\.json should hold a run record.*delete"):
        runner.finished(folder, {})
    (folder / runner.RUN_FILE).write_text("{")
    with pytest.raises(ValueError, match=r"run\.json is not valid JSON"):
        runner.finished(folder, {})


def test_declared_defaults_are_the_dataclass_defaults_not_a_profile():
    defaults = runner.declared_defaults(TrainConfig)
    assert set(defaults) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert {k: defaults[k] for k in NEWER_FIELDS} == {"loss": "triplet", "scale": 20.0,
                                                      "scramble_graph": False, "train_layers": None}


@pytest.mark.parametrize("command", ["ablate", "baselines"])
def test_both_commands_keep_old_runs_and_refuse_other_recipes(command, config_file, tmp_path, monkeypatch, capsys):
    """The bug this rule closes: one new TrainConfig field made old baseline runs raise while old
    ablation runs passed (and neither told a changed value from a missing one the same way)."""
    out = tmp_path / command
    argv = [command, "--config", str(config_file), "--seeds", "1", "--out", str(out), "--quiet",
            "--rows", "No graph", *(["--gcn-set", "topic"] if command == "baselines" else [])]
    assert main(argv) == 0
    record_file = runner.run_dir(out, "No graph", 0) / runner.RUN_FILE
    record = json.loads(record_file.read_text())
    summary = (out / f"{'ablation' if command == 'ablate' else 'baselines'}.json").read_text()
    per_doc = runner.load_per_doc(record_file.parent / runner.PER_DOC_FILE)
    record_file.write_text(json.dumps({**record, "config": _old(record["config"], *NEWER_FIELDS)}))

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr("ramen_edu.training.trainer.train", no_training)
    capsys.readouterr()
    assert main(argv) == 0
    assert "(0 run(s) trained now)" in capsys.readouterr().out
    again = json.loads((out / f"{'ablation' if command == 'ablate' else 'baselines'}.json").read_text())
    assert again["rows"]["No graph"]["test_metrics"] == json.loads(summary)["rows"]["No graph"]["test_metrics"]
    assert np.array_equal(runner.load_per_doc(record_file.parent / runner.PER_DOC_FILE)["P@1"], per_doc["P@1"])

    record_file.write_text(json.dumps({**record, "config": {**record["config"], "lr": 0.5}}))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ramen-edu {command}: ") and "different config" in err and "['lr']" in err
    assert "another --out" in err
