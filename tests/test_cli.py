"""``ramen-edu train | evaluate | predict`` end to end on a tiny world folder (tiny encoder, 1 epoch)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ramen_edu.cli import main

torch.set_num_threads(1)


def _train(world_dir, out, *extra):
    return main(["train", "--dataset", str(world_dir), "--profile", "smoke", "--encoder", "tiny-random",
                 "--epochs", "1", "--out", str(out), "--quiet", *extra])


def test_train_evaluate_predict(world_dir, cache, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(world_dir, out) == 0
    printed = capsys.readouterr().out
    assert "RAMEN" in printed and "P@1" in printed and str(out) in printed
    record = json.loads((out / "run.json").read_text())
    assert record["method"] == "RAMEN" and record["dataset_source"] == str(world_dir)
    assert 0.0 <= record["test_metrics"]["P@1"] <= 1.0
    assert (cache / "runs" / "LATEST").read_text() == str(out.resolve())

    # evaluate: the latest run by default, on the dataset it trained on
    assert main(["evaluate", "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["P@1"] == pytest.approx(record["test_metrics"]["P@1"])

    # predict: texts in, ranked labels out (the run folder, or its model folder)
    assert main(["predict", "brand new text", "another one", "-k", "3", "--json", "--model", str(out)]) == 0
    preds = json.loads(capsys.readouterr().out)
    assert [p["text"] for p in preds] == ["brand new text", "another one"]
    assert all(len(p["labels"]) == 3 for p in preds)
    scores = [lab["score"] for lab in preds[0]["labels"]]
    assert scores == sorted(scores, reverse=True)
    assert main(["predict", "Clade", "--model", str(out / "model")]) == 0
    assert " 1. " in capsys.readouterr().out


def test_no_graph_baseline_and_config_file(world_dir, cache, tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"dataset": str(world_dir), "profile": "smoke", "encoder": "tiny-random",
                                  "epochs": 1, "regularize": False}))
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert "no-graph baseline" in capsys.readouterr().out
    record = json.loads((tmp_path / "b" / "run.json").read_text())
    assert record["config"]["regularize"] is False and record["method"] == "no-graph baseline"


def _one_line_error(capsys, argv, code=1):
    """Run the CLI, expect exit ``code`` and one ``ramen-edu COMMAND: message`` line on stderr."""
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith(f"ramen-edu {argv[0]}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_errors_are_clear(world_dir, cache, tmp_path, capsys):
    assert "train one first" in _one_line_error(capsys, ["predict", "Clade"])
    assert "holds no trained model" in _one_line_error(capsys, ["evaluate", str(tmp_path)])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"epoch": 3}))
    assert "epoch" in _one_line_error(capsys, ["train", "--config", str(bad)])
    assert "not found" in _one_line_error(capsys, ["train", "--config", str(tmp_path / "nowhere.json")])
    assert "no such dataset folder" in _one_line_error(capsys, ["demo", "--data", str(tmp_path / "nowhere")])
    # argparse's usage errors keep their own message and exit code 2
    with pytest.raises(SystemExit) as info:
        main(["train", "--profile", "laptop"])
    assert info.value.code == 2


@pytest.mark.parametrize("error, code", [
    (TypeError("TrainConfig.epochs must be an int"), 1),
    (ImportError("faiss is not installed: pip install ..."), 1),
    (IsADirectoryError(21, "Is a directory", "x"), 1),
    (ValueError("first line\nsecond line"), 1),
    (KeyboardInterrupt(), 130),
])
def test_expected_errors_are_one_line(monkeypatch, capsys, error, code):
    import ramen_edu.training

    def fails(argv):
        raise error

    monkeypatch.setattr(ramen_edu.training, "cli_predict", fails)
    err = _one_line_error(capsys, ["predict", "Clade"], code)
    assert ("interrupted" if code == 130 else str(error).split("\n")[0]) in err


def test_unexpected_errors_keep_their_traceback(monkeypatch):
    import ramen_edu.training

    def fails(argv):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ramen_edu.training, "cli_predict", fails)
    with pytest.raises(ZeroDivisionError):
        main(["predict", "Clade"])


def test_debug_shows_the_traceback(cache, monkeypatch, capsys):
    # --debug anywhere on the line, or RAMEN_EDU_DEBUG=1, re-raises the error
    for argv in (["--debug", "predict", "Clade"], ["predict", "--debug", "Clade"], ["predict", "Clade", "--debug"]):
        with pytest.raises(FileNotFoundError, match="train one first"):
            main(argv)
    monkeypatch.setenv("RAMEN_EDU_DEBUG", "1")
    with pytest.raises(FileNotFoundError, match="train one first"):
        main(["predict", "Clade"])
    monkeypatch.setenv("RAMEN_EDU_DEBUG", "0")
    assert main(["predict", "Clade"]) == 1
    # after "--", "--debug" is a text to predict for, not an option
    monkeypatch.delenv("RAMEN_EDU_DEBUG")
    assert main(["predict", "--", "--debug"]) == 1
    capsys.readouterr()


def test_zero_label_dataset_is_a_clear_error(tmp_path, capsys):
    from ramen_edu.data.xc_format import read_xc_dataset, write_xc_dataset

    d = read_xc_dataset(Path(__file__).resolve().parent.parent / "data_samples" / "fixtures" / "valid")
    empty = type(d)(name="no-labels", train_texts=d.train_texts, test_texts=d.test_texts, label_texts=[],
                    train_y=d.train_y[:, :0], test_y=d.test_y[:, :0])
    write_xc_dataset(empty, tmp_path / "empty")
    err = _one_line_error(capsys, ["demo", "--data", str(tmp_path / "empty"), "--tiny-encoder"])
    assert "no labels" in err and "Y.txt" in err


def test_help_does_not_import_torch():
    """``ramen-edu COMMAND -h`` answers before torch, transformers or faiss load (torch alone
    takes seconds to import)."""
    from ramen_edu.cli import COMMANDS

    script = """
import json, sys
from ramen_edu.cli import COMMANDS, main
heavy = ("torch", "transformers", "faiss")
out = {}
for command in COMMANDS:
    try:
        main([command, "-h"])
        code = None
    except SystemExit as exit:
        code = exit.code
    out[command] = [code, [m for m in heavy if m in sys.modules]]
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {command: [0, []] for command in COMMANDS}
    assert "usage: ramen-edu train" in done.stdout


def test_profile_choices_are_the_profiles():
    from ramen_edu.settings import PROFILES
    from ramen_edu.training.cli import _train_parser

    (action,) = [a for a in _train_parser()._actions if a.dest == "profile"]
    assert tuple(action.choices) == PROFILES


def test_profile_of_command_line_and_config_file(tmp_path, monkeypatch):
    """The run is named by the profile whose sizes it trains at: the command line's, else the
    file's, else the active one (also for a config file that names no profile)."""
    from ramen_edu.training import TrainConfig
    from ramen_edu.training.cli import resolve_config

    monkeypatch.setenv("RAMEN_EDU_PROFILE", "smoke")
    named = tmp_path / "named.json"
    named.write_text(json.dumps({"dataset": "d", "profile": "cpu", "epochs": 2}))
    unnamed = tmp_path / "unnamed.json"
    unnamed.write_text(json.dumps({"dataset": "d", "epochs": 2}))
    book = tmp_path / "book.json"
    book.write_text(json.dumps({"profile": "cpu", "recipe": "book"}))
    cases = [(named, "gpu", "gpu"), (named, None, "cpu"), (unnamed, None, "smoke"), (unnamed, "cpu", "cpu"),
             (book, "smoke", "smoke")]
    for file, cli_profile, used in cases:
        config, dataset, profile = resolve_config(str(file), None, cli_profile)
        assert profile == used, (file.name, cli_profile)
        sizes = TrainConfig.book_recipe(used) if file == book else TrainConfig.for_profile(used, epochs=2)
        assert (config.batch_size, config.epochs) == (sizes.batch_size, sizes.epochs), (file.name, cli_profile)
        assert dataset == ("synthetic-default" if file == book else "d")


def test_run_folder_is_named_by_the_profile_used(world_dir, cache, tmp_path, monkeypatch):
    from ramen_edu.training import TrainConfig

    monkeypatch.setenv("RAMEN_EDU_PROFILE", "smoke")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"dataset": str(world_dir), "encoder": "tiny-random", "epochs": 1}))
    assert main(["train", "--config", str(config), "--quiet"]) == 0
    record = json.loads((cache / "runs" / f"{world_dir.name}-smoke" / "run.json").read_text())
    assert record["config"]["batch_size"] == TrainConfig.for_profile("smoke").batch_size


def test_the_config_file_is_read_once(tmp_path, monkeypatch):
    import ramen_edu.training.cli as tcli

    path = tmp_path / "c.json"
    path.write_text(json.dumps({"dataset": "wiki-seealso", "profile": "smoke", "epochs": 2}))
    reads = []
    real = tcli.read_config_file
    monkeypatch.setattr(tcli, "read_config_file", lambda p: reads.append(p) or real(p))
    config, dataset, profile = tcli.resolve_config(str(path), None, None, {})
    assert reads == [str(path)] and dataset == "wiki-seealso" and profile == "smoke"
    assert config.epochs == 2 and config.profile == "smoke"
