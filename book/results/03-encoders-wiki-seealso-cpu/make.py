"""Train and save the two tiny encoders that chapter 3 (book/03_theorem1.ipynb) measures.

    python book/results/03-encoders-wiki-seealso-cpu/make.py      # from the repository root

Chapter 3 asks whether training with the graph makes the encoder an edge predictor F. It needs
the embeddings of two encoders trained on the Wikipedia see-also benchmark with chapter 4's
recipe — RAMEN and the no-graph baseline (λ_x = λ_z = 0) — and nothing else of the runs. Chapter 4
trains exactly these two (``train(wiki, replace(TrainConfig.book_recipe("cpu"), regularize=...))``,
seed 0), but its run records (book/results/04_training_cpu.json) hold metrics, not weights. This
script repeats those two runs and saves each model here, so chapter 3 loads them
(``ramen_edu.training.RamenModel.load``) instead of spending two minutes training before the
chapter that teaches training:

    ramen/        RAMEN (λ = 0.1 fixed, the book recipe at the cpu profile)
    no-graph/     the same run with regularize=False
    manifest.json the command, commit, data file, dataset, each run's record and file hashes

Each folder is ``RamenModel.save``'s layout with two changes to keep it small: the encoder's
weights are stored as float16 (2 MB instead of 4 MB; ``RamenModel.load`` upcasts them to the
float32 that the saved config.json names, so the model computes in float32) and the label
embeddings are left out (a loaded model recomputes them on first use). The per-epoch training
objective of both runs equals chapter 4's record of the same runs (manifest.json,
``largest_relative_difference_from_chapter_4_record``: 0.0 when made). The full Wikipedia file is required (the chapter's cpu run uses
the full benchmark; the shipped sample is another dataset): ``ramen-edu fetch-wiki``, or
$RAMEN_EDU_DATA. About 2 minutes on a 2-core CPU.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = {"ramen": ("RAMEN", True), "no-graph": ("no-graph baseline", False)}
CHAPTER4 = HERE.parent / "04_training_cpu.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _to_float16(folder: Path) -> None:
    """Rewrite the encoder's safetensors with every floating tensor as float16."""
    import torch
    from safetensors.torch import load_file, save_file

    weights = folder / "model.safetensors"
    tensors = {k: (v.to(torch.float16) if v.is_floating_point() else v).contiguous()
               for k, v in load_file(weights).items()}
    save_file(tensors, weights, metadata={"format": "pt"})


def _objectives(record: dict) -> list[float]:
    """The training objective of each epoch: what to compare with chapter 4's record of the run."""
    return [float(row["objective"]) for row in record.get("history", [])]


def main() -> int:
    import torch

    import ramen_edu
    from ramen_edu.training import TrainConfig, train
    from ramen_edu.training.model import LABEL_EMB_FILE, ENCODER_DIR

    try:
        data_file = ramen_edu.find_data_file(allow_sample=False)
    except FileNotFoundError as err:
        print(f"make.py needs the full Wikipedia file ({err}); run `ramen-edu fetch-wiki` first", file=sys.stderr)
        return 1
    torch.set_num_threads(1)  # as chapters 3 and 4 do on the CPU
    wiki = ramen_edu.load_dataset("wiki-seealso")
    config = TrainConfig.book_recipe("cpu")
    chapter4 = json.loads(CHAPTER4.read_text())["wiki_runs"] if CHAPTER4.is_file() else {}
    manifest = {"made_by": "python book/results/03-encoders-wiki-seealso-cpu/make.py",
                "data_file": ramen_edu.data_source(data_file), "dataset": repr(wiki), "runs": {}}
    for folder_name, (name, regularize) in ROWS.items():
        t = time.time()
        model = train(wiki, dataclasses.replace(config, regularize=regularize), progress=False)
        out = HERE / folder_name
        model.save(out)
        (out / LABEL_EMB_FILE).unlink()
        _to_float16(out / ENCODER_DIR)
        record = {k: v for k, v in model.record.items() if k not in ("lambda_log", "bandit_history")}
        ours, theirs = _objectives(model.record), _objectives(chapter4.get(name, {}))
        gap = (max(abs(a - b) / abs(b) for a, b in zip(ours, theirs))
               if theirs and len(ours) == len(theirs) else None)
        manifest["runs"][folder_name] = {
            "method": name, "seconds": round(time.time() - t, 1), "record": record,
            "objective_per_epoch": ours,
            "largest_relative_difference_from_chapter_4_record": gap,
            "files": {str(p.relative_to(out)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
                      for p in sorted(out.rglob("*")) if p.is_file()}}
        print(f"{name}: {time.time() - t:.0f} s -> {out.relative_to(HERE.parent.parent.parent)} "
              f"({sum(p.stat().st_size for p in out.rglob('*') if p.is_file()) / 2**20:.2f} MiB); "
              "per-epoch objective vs chapter 4's record: "
              + ("no record" if gap is None else f"largest relative difference {gap:.1e}"))
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
