"""``ramen-edu ablate`` end to end on a tiny world folder: every Table 5 row × 2 seeds (tiny encoder,
1 epoch), the comparison entries, resuming (a second invocation trains nothing) and bad rows."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ramen_edu.cli import main
from ramen_edu.experiments.runner import slug
from ramen_edu.experiments import ablate

torch.set_num_threads(1)

ROWS = ["RAMEN", "No Bandit", "Halving bandit", "No Pruning", "No Doc graph", "No Label graph", "topic only",
        "concept only", "Scrambled graph", "No graph"]


def test_rows_are_table_5():
    rows = ablate.ablation_rows(["topic", "concept"])
    assert list(rows) == ROWS
    assert rows["No Bandit"] == {"bandit": False} and rows["No graph"] == {"regularize": False}
    assert rows["topic only"] == {"anchor_sets": ["topic"]}
    assert rows["Scrambled graph"] == {"scramble_graph": True}
    # the controls stay last, after a λ grid too
    assert list(ablate.ablation_rows(["links"], lambdas=[0.3]))[-3:] == ["λ 0.3", "Scrambled graph", "No graph"]
    assert "links only" not in ablate.ablation_rows(["links"])  # one set: it would repeat RAMEN


def test_per_doc_file_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    per = {"P@1": rng.integers(0, 2, 50) / 1, "P@3": rng.integers(0, 4, 50) / 3,
           "P@5": rng.integers(0, 6, 50) / 5, "PSP@1": rng.random(50), "PSP@3": rng.random(50),
           "PSP@5": rng.random(50), "R@1": rng.random(50)}
    back = ablate.load_per_doc(ablate.save_per_doc(tmp_path / "x.npz", per))
    assert sorted(back) == ["P@1", "P@3", "P@5", "PSP@1", "PSP@3", "PSP@5"]
    for k in (1, 3, 5):
        assert np.array_equal(back[f"P@{k}"], per[f"P@{k}"])  # hit counts: exact
        assert back[f"PSP@{k}"] == pytest.approx(per[f"PSP@{k}"], rel=1e-6)


def test_ablate_resume_and_errors(config_file, tmp_path, monkeypatch, capsys):
    out = tmp_path / "abl"
    base = ["ablate", "--config", str(config_file), "--seeds", "2", "--out", str(out), "--quiet"]
    # in two pieces: the baselines first, then every row (the baselines are not trained again)
    assert main([*base, "--rows", "RAMEN", "no graph"]) == 0
    first = json.loads((out / "ablation.json").read_text())
    assert first["trained_this_invocation"] == 4 and list(first["rows"]) == ["RAMEN", "No graph"]
    stamp = (out / "runs" / "ramen" / "seed0" / "run.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main([*base, "--rows", *ROWS]) == 0  # the trained rows; Untrained, ST: test_ablate_reference.py
    printed = capsys.readouterr().out
    assert "(16 run(s) trained now)" in printed and "Δ P@1 vs No graph" in printed
    assert (out / "runs" / "ramen" / "seed0" / "run.json").stat().st_mtime_ns == stamp

    summary = json.loads((out / "ablation.json").read_text())
    assert list(summary["rows"]) == ROWS and summary["seeds"] == [0, 1]
    assert summary["environment"]["git_commit"] and summary["info"]["profile"] == "smoke"
    for row in ROWS:
        assert summary["rows"][row]["seeds"] == [0, 1], row
        assert row in printed and row in (out / "ablation.md").read_text()
        for seed in (0, 1):
            run = out / "runs" / slug(row) / f"seed{seed}"
            record = json.loads((run / "run.json").read_text())
            assert record["config"]["seed"] == seed and record["ablation"]["row"] == row
            per = ablate.load_per_doc(run / "per_doc.npz")
            assert per["P@1"].shape == (100,)
            assert per["P@1"].mean() == record["test_metrics"]["P@1"]  # stored exactly
            assert per["PSP@1"].mean() == pytest.approx(record["test_metrics"]["PSP@1"], rel=1e-6)
    cfg = {r: json.loads((out / "runs" / slug(r) / "seed1" / "run.json").read_text())["config"]
           for r in ROWS}
    assert cfg["No Bandit"]["bandit"] is False and cfg["No Pruning"]["prune"] is False
    assert cfg["No Doc graph"]["doc_graph"] is False and cfg["No Label graph"]["label_graph"] is False
    assert cfg["topic only"]["anchor_sets"] == ["topic"] and cfg["No graph"]["regularize"] is False
    assert cfg["Scrambled graph"]["scramble_graph"] is True and cfg["RAMEN"]["scramble_graph"] is False
    assert cfg["RAMEN"]["regularize"] and cfg["RAMEN"]["bandit"] and cfg["RAMEN"]["anchor_sets"] is None
    # nothing heavy is kept: no checkpoints, no model weights, no scratch folder
    kept = {p.name for p in out.rglob("*") if p.is_file()}
    assert kept == {"ablation.json", "ablation.md", "run.json", "per_doc.npz"}

    # the comparisons: each baseline against itself is exactly 0; seed aggregates are the runs'
    for base_row, key in (("No graph", "vs No graph"), ("RAMEN", "vs RAMEN")):
        comp = summary["comparison"][key]
        assert comp["baseline"] == base_row and comp["n_docs"] == 100
        for metric, entry in comp["methods"][base_row]["metrics"].items():
            assert entry["delta"]["mean"] == 0.0 and entry["delta"]["half_width"] == 0.0, metric
            assert entry["seed_delta"]["mean"] == 0.0
    ramen = summary["comparison"]["vs No graph"]["methods"]["RAMEN"]["metrics"]["P@1"]
    assert ramen["per_seed"] == [summary["rows"]["RAMEN"]["test_metrics"][s]["P@1"] for s in ("0", "1")]
    assert ramen["delta"]["mean"] == pytest.approx(ramen["mean"] - summary["comparison"]["vs No graph"][
        "methods"]["No graph"]["metrics"]["P@1"]["mean"])
    lam = summary["rows"]["RAMEN"]["final_lambda_mean"]
    assert set(lam) >= {"doc_anchor:topic", "label_anchor:concept"}
    assert set(summary["rows"]["No Doc graph"]["final_lambda_mean"]) & {"doc_anchor:topic"} == set()

    # resuming: everything is finished, so a third invocation never calls the trainer
    def no_training(*args, **kwargs):
        raise AssertionError("a finished (row, seed) was trained again")

    monkeypatch.setattr("ramen_edu.training.trainer.train", no_training)
    assert main([*base, "--rows", *ROWS]) == 0
    assert "(0 run(s) trained now)" in capsys.readouterr().out
    assert (out / "runs" / "ramen" / "seed0" / "run.json").stat().st_mtime_ns == stamp

    # a finished run with another recipe is not silently reused
    bad_cfg = tmp_path / "other.json"
    bad_cfg.write_text(json.dumps({**json.loads(config_file.read_text()), "lr": 0.5}))
    capsys.readouterr()
    assert main(["ablate", "--config", str(bad_cfg), "--seeds", "1", "--out", str(out), "--quiet",
                 "--rows", "RAMEN"]) == 1
    err = capsys.readouterr().err  # one line, no traceback (ramen_edu.cli.main)
    assert err.startswith("ramen-edu ablate: ") and "different config" in err and "another --out" in err


def test_bad_arguments_are_clear(config_file, tmp_path, capsys):
    base = ["ablate", "--config", str(config_file), "--out", str(tmp_path / "x"), "--quiet"]
    with pytest.raises(SystemExit):
        main([*base, "--rows", "RAMEN", "No Graphs"])
    err = capsys.readouterr().err
    assert "unknown row(s) ['No Graphs']" in err and "'No graph'" in err and "'topic only'" in err
    with pytest.raises(SystemExit):
        main([*base, "--seeds", "0"])
    baseline = tmp_path / "nograph.json"
    baseline.write_text(json.dumps({**json.loads(config_file.read_text()), "regularize": False}))
    capsys.readouterr()
    assert main(["ablate", "--config", str(baseline), "--out", str(tmp_path / "y"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ramen-edu ablate: ") and "regularize=false" in err
    assert not (tmp_path / "x").exists()  # nothing written before the arguments were checked


def test_load_row_reads_finished_seeds_in_order(tmp_path):
    from ramen_edu.experiments.ablate import PER_DOC_FILE, RUN_FILE, load_row, save_per_doc

    for seed, hits in ((1, [0.0, 1.0]), (0, [1.0, 1.0]), (2, [0.0, 0.0])):
        folder = tmp_path / "runs" / "no-graph" / f"seed{seed}"
        folder.mkdir(parents=True)
        save_per_doc(folder / PER_DOC_FILE, {"P@1": np.array(hits)}, ks=(1,))
        if seed != 2:  # seed 2 never finished: no run.json
            (folder / RUN_FILE).write_text("{}")
    rows = load_row(tmp_path, "No graph")
    assert [r["P@1"].tolist() for r in rows] == [[1.0, 1.0], [0.0, 1.0]]
    with pytest.raises(FileNotFoundError, match="no finished seed of row 'RAMEN'"):
        load_row(tmp_path, "RAMEN")


def test_a_finished_invocation_leaves_another_invocations_scratch_alone(config_file, tmp_path):
    # two `ablate` processes with different --rows may share an OUT; the one that ends first used
    # to delete OUT/.work whole, the other's checkpoints included
    out = tmp_path / "abl"
    other = out / ablate.WORK_DIR / "scrambled-graph" / "seed1"
    other.mkdir(parents=True)
    (other / "checkpoint.pt").write_bytes(b"another process's epoch")
    assert main(["ablate", "--config", str(config_file), "--seeds", "1", "--out", str(out), "--quiet",
                 "--rows", "No graph"]) == 0
    assert (other / "checkpoint.pt").read_bytes() == b"another process's epoch"
    assert not (out / ablate.WORK_DIR / "no-graph").exists()  # its own scratch is gone
