"""``ramen-edu train | evaluate | predict`` end to end on a tiny world folder (tiny encoder, 1 epoch)."""
from __future__ import annotations

import json

import pytest
import torch

from ramen_edu.cli import main

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def world_dir(tiny_world, tmp_path_factory):
    from ramen_edu.data.xc_format import write_xc_dataset

    return write_xc_dataset(tiny_world, tmp_path_factory.mktemp("world") / "tiny")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


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


def test_errors_are_clear(world_dir, cache, tmp_path):
    with pytest.raises(FileNotFoundError, match="train one first"):
        main(["predict", "Clade"])
    with pytest.raises(FileNotFoundError, match="holds no trained model"):
        main(["evaluate", str(tmp_path)])
    with pytest.raises(SystemExit):
        main(["train", "--profile", "laptop"])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"epoch": 3}))
    with pytest.raises(ValueError, match="epoch"):
        main(["train", "--config", str(bad)])
