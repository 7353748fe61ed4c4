"""``ramen-edu ablate``'s reference rows, what a user would run instead of RAMEN: "Untrained" (the
recipe's encoder scored as it starts) and "ST fine-tune" (sentence-transformers' own trainer).
Each is written, scored and compared like a trained row, and skipped when resumed; the ST row runs
for real on a tiny random BERT saved as a model folder."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch

from ramen_edu.cli import main
from ramen_edu.experiments.runner import slug, write_json
from ramen_edu.experiments import ablate
from ramen_edu.training.config import TrainConfig

torch.set_num_threads(1)

PAIRS = (("RAMEN", "Untrained"), ("RAMEN", "ST fine-tune"), ("No graph", "ST fine-tune"),
         ("No graph", "Untrained"))


@pytest.fixture(scope="module")
def world(tiny_world, tmp_path_factory):
    from ramen_edu.data.xc_format import write_xc_dataset

    return write_xc_dataset(tiny_world, tmp_path_factory.mktemp("reference") / "tiny")


def _config(folder, world, **fields):
    path = folder / "recipe.json"
    path.write_text(json.dumps({"dataset": str(world), "profile": "smoke", "epochs": 1, **fields}))
    return path


def _record(out, row, seed):
    return json.loads((out / "runs" / slug(row) / f"seed{seed}" / "run.json").read_text())


def test_st_settings_come_from_the_recipe():
    cfg = TrainConfig(encoder="tiny-random", batch_size=48, max_length=24, val_fraction=0.1)
    st = ablate.st_config_for(cfg, epochs=3)
    assert (st.epochs, st.batch_size, st.max_length, st.val_fraction) == (3, 48, 24, 0.1)
    assert st.model is None  # a random tiny BERT is no model a user fine-tunes: the bundled MiniLM
    assert ablate.st_config_for(TrainConfig(encoder="some/model")).model == "some/model"
    settings = ablate.reference_settings("ST fine-tune", cfg, st_epochs=3)
    assert settings["st_config"]["epochs"] == 3 and settings["seed"] == cfg.seed
    with pytest.raises(ValueError, match="not a reference row"):
        ablate.reference_settings("RAMEN", cfg)


def test_untrained_row_is_scored_compared_and_resumed(world, tmp_path, monkeypatch, capsys):
    from ramen_edu.data.catalog import load_dataset
    from ramen_edu.training.model import RamenModel
    from ramen_edu.training.trainer import build_encoder

    out = tmp_path / "abl"
    base = ["ablate", "--config", str(_config(tmp_path, world, encoder="tiny-random")), "--seeds", "2",
            "--out", str(out), "--quiet"]
    assert main([*base, "--rows", "RAMEN", "untrained", "No graph"]) == 0
    summary = json.loads((out / "ablation.json").read_text())
    assert list(summary["rows"]) == ["Untrained", "RAMEN", "No graph"]  # the alternative first
    assert summary["rows"]["Untrained"]["reference"] == "untrained"
    dataset = load_dataset(str(world))
    for seed in (0, 1):
        record = _record(out, "Untrained", seed)
        assert record["kind"] == "untrained encoder" and record["config"]["seed"] == seed
        assert "per_doc_reused_from_seed" not in record  # a random tiny BERT differs per seed
        assert record["validation_metrics"]["P@1"] >= 0 and record["wall_time_s"] >= 0
        per = ablate.load_per_doc(out / "runs" / "untrained" / f"seed{seed}" / "per_doc.npz")
        assert per["P@1"].mean() == record["test_metrics"]["P@1"]
        # the very encoder RAMEN's run of this seed starts from, scored by RamenModel.evaluate
        cfg = TrainConfig.from_dict(_record(out, "RAMEN", seed)["config"])
        start = RamenModel(build_encoder(cfg, torch.device("cpu")), dataset.label_texts)
        assert start.evaluate(dataset)["P@1"] == pytest.approx(record["test_metrics"]["P@1"])
    comp = summary["comparison"]
    for method, base_row in PAIRS:
        if base_row == "ST fine-tune":  # not run here: test_st_row_fine_tunes_and_is_compared
            continue
        entry = comp[f"vs {base_row}"]["methods"][method]["metrics"]["P@1"]
        assert entry["seed_delta"]["n_pairs"] == 2 and entry["verdict"]["verdict"] in ("better", "worse", "unclear")
    md = (out / "ablation.md").read_text()
    assert "## Against Untrained" in md and "## Against ST fine-tune" not in md
    table = summary["table"].splitlines()
    assert table[2].startswith("| Untrained") and table[3].startswith("| RAMEN")

    # resumed: nothing is scored again, and --rows Untrained alone rewrites the summary
    def no_model(*args, **kwargs):
        raise AssertionError("a finished reference run was made again")

    monkeypatch.setattr(ablate, "reference_model", no_model)
    capsys.readouterr()
    assert main([*base, "--rows", "Untrained"]) == 0
    assert "(0 run(s) trained now)" in capsys.readouterr().out
    assert list(json.loads((out / "ablation.json").read_text())["rows"]) == ["Untrained", "RAMEN", "No graph"]


def test_st_row_fine_tunes_and_is_compared(world, tmp_path):
    pytest.importorskip("sentence_transformers", reason="the [st] extra is not installed")
    pytest.importorskip("datasets", reason="the [st] extra (datasets) is not installed")
    from ramen_edu.encoders import Encoder

    encoder = Encoder.tiny_random(seed=0).save(tmp_path / "tiny-bert")  # a model folder ST can load
    out = tmp_path / "abl"
    recipe = _config(tmp_path, world, encoder=str(encoder))
    assert main(["ablate", "--config", str(recipe), "--seeds", "2", "--out", str(out), "--quiet",
                 "--rows", "ST fine-tune", "Untrained", "RAMEN", "No graph", "--st-epochs", "2"]) == 0
    summary = json.loads((out / "ablation.json").read_text())
    assert list(summary["rows"]) == ["Untrained", "ST fine-tune", "RAMEN", "No graph"]
    for seed in (0, 1):
        record = _record(out, "ST fine-tune", seed)
        assert record["kind"] == "sentence-transformers fine-tune" and record["wall_time_s"] > 0
        assert record["st_config"] == record["config"]["st_config"]
        assert record["st_config"]["epochs"] == 2 and record["st_config"]["model"] == str(encoder)
        assert record["st_config"]["batch_size"] == _record(out, "RAMEN", seed)["config"]["batch_size"]
        per = ablate.load_per_doc(out / "runs" / "st-fine-tune" / f"seed{seed}" / "per_doc.npz")
        assert per["P@1"].shape == (100,) and per["P@1"].mean() == record["test_metrics"]["P@1"]
    # a pre-trained encoder is the same untrained model for every seed: scored once, reused
    assert _record(out, "Untrained", 1)["per_doc_reused_from_seed"] == 0
    same = [ablate.load_per_doc(out / "runs" / "untrained" / f"seed{s}" / "per_doc.npz") for s in (0, 1)]
    assert np.array_equal(same[0]["PSP@5"], same[1]["PSP@5"])
    for method, base_row in PAIRS:
        entry = summary["comparison"][f"vs {base_row}"]["methods"][method]["metrics"]["PSP@1"]
        assert entry["delta"]["n_docs"] == 100 and "verdict" in entry["verdict"]
    assert "## Against ST fine-tune" in (out / "ablation.md").read_text()
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == sorted(
        ["ablation.json", "ablation.md"] + ["run.json", "per_doc.npz"] * 8)  # no weights kept


def test_st_row_without_sentence_transformers_names_the_extra(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # `import` now fails
    recipe = _config(tmp_path, world, encoder="tiny-random")
    out = tmp_path / "abl"
    base = ["ablate", "--config", str(recipe), "--seeds", "1", "--out", str(out), "--quiet"]
    assert main([*base, "--rows", "RAMEN", "ST fine-tune"]) == 1
    err = capsys.readouterr().err
    assert "pip install 'ramen-edu[st]'" in err and "'ST fine-tune'" in err and "--rows" in err
    assert not out.exists()  # failed before anything trained
    assert main([*base, "--rows", "Untrained"]) == 0  # only the row that needs it fails


def test_default_rows_open_with_the_alternatives(tiny_world, tmp_path, monkeypatch):
    """rows=None runs every row, the alternatives first; stand-ins write the runs (fast)."""
    rng = np.random.default_rng(0)
    made = []

    def fake_run(run_dir, record, row, seed):
        made.append(row)
        per = {f"P@{k}": rng.integers(0, k + 1, tiny_world.n_test) / k for k in ablate.KS}
        per.update({f"PSP@{k}": rng.random(tiny_world.n_test) for k in ablate.KS})
        run_dir.mkdir(parents=True)
        ablate.save_per_doc(run_dir / "per_doc.npz", per)
        write_json(run_dir / "run.json", {**record, "test_metrics": {
            m: float(v.mean()) for m, v in ablate.load_per_doc(run_dir / "per_doc.npz").items()}})

    def fake_train(dataset, source, cfg, row, overrides, run_dir, work, progress):
        fake_run(run_dir, {"config": cfg.to_dict()}, row, cfg.seed)

    def fake_reference(dataset, source, cfg, row, run_dir, work, *, st_epochs, progress, shared):
        fake_run(run_dir, {"config": ablate.reference_settings(row, cfg, st_epochs=st_epochs)}, row, cfg.seed)

    monkeypatch.setattr(ablate, "_train_one", fake_train)
    monkeypatch.setattr(ablate, "_reference_one", fake_reference)
    monkeypatch.setattr("ramen_edu.baselines.st_finetune.require_st", lambda: None)
    config = TrainConfig(encoder="tiny-random", profile="smoke")
    summary = ablate.run_ablation(tiny_world, config, seeds=2, out=tmp_path / "out", log=None)
    rows = [*ablate.REFERENCE_ROWS, *ablate.ablation_rows(list(tiny_world.anchors), bandit=config.bandit)]
    assert made == rows * 2 and list(summary["rows"]) == rows
    assert list(summary["comparison"]) == ["vs No graph", "vs RAMEN", "vs Untrained", "vs ST fine-tune"]
    assert summary["reference_rows"]["ST fine-tune"]["st_config"]["model"] is None and summary["st_epochs"] == 1
    body = [line.split("|")[1].strip() for line in summary["table"].splitlines()[2:]]
    assert body == rows
