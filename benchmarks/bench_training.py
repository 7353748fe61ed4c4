"""Training throughput: RAMEN vs the no-graph baseline vs a plain sentence-transformers loop.

    python benchmarks/bench_training.py [--encoder tiny|minilm|both] [--steps 20] [--batch 64]

For one encoder, batch size and sequence length (32), on the embedded synthetic world:

* RAMEN steps (documents + labels + one anchor per document and per label for each of the two
  anchor sets: 6 texts per document), the no-graph baseline (λ_x = λ_z = 0: 2 texts per
  document) and a plain sentence-transformers loop (MultipleNegativesRankingLoss on the same
  (document, positive label) pairs: 2 texts per document), each timed over ``--steps`` steps
  after 2 warm-up steps;
* encodings per second, counted two ways: ``used/s`` = rows the losses use (documents, labels,
  anchors, repeats included: 6 per document for RAMEN) per second, the number this benchmark
  always printed as enc/s; ``run/s`` = rows the encoder actually ran (forward + backward) per
  second — a step encodes each distinct label and anchor once (``tokens.unique_rows``);
* the duplicate share of a step: 1 − distinct rows / rows used, over all rows, over the labels and
  over the anchors (document-side and label-side anchors of one set share a pool) — measured on
  the timed batches themselves, so it is the same with any trainer version;
* seconds per step and per epoch of this world; the ratios RAMEN/baseline (time per epoch: the
  regularizers' overhead) and baseline/sentence-transformers (this trainer's overhead over a bare
  loop). More steps than an epoch holds continue into the next epoch.

On a CUDA machine the device name is printed and the same steps run there (bf16 autocast).
The MiniLM *epoch* on the Wikipedia benchmark, full fine-tuning against the top-layers recipe and
the code before it, is ``benchmarks/bench_wiki_epoch.py``.
Nothing here is a test: it prints numbers.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def _trainer(dataset, encoder, *, regularize: bool, batch: int):
    from ramen_edu.training import TrainConfig
    from ramen_edu.training.trainer import Trainer

    config = TrainConfig(batch_size=batch, epochs=1, batching="random", eval_docs=0,
                         regularize=regularize, lr=2e-4)
    return Trainer(dataset, config, encoder=encoder, progress=False)


def _batches(trainer):
    """Global batches, epoch after epoch (random batching: no embeddings needed)."""
    epoch = 0
    while True:
        trainer.sampler.set_epoch(epoch)
        yield from trainer.sampler.iter_global()
        epoch += 1


def duplicate_rows(batch, anchor_names) -> dict:
    """Rows the losses use and distinct rows (what a deduplicating step encodes), per kind."""
    def count(*arrays):
        rows = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
        return np.array([len(rows), len(np.unique(rows))])

    out = {"doc": count(batch.doc_ids), "label": count(batch.label_ids),
           "anchor": sum((count(batch.doc_anchor_ids[n][batch.doc_anchor_valid[n]],
                                batch.label_anchor_ids[n][batch.label_anchor_valid[n]])
                          for n in anchor_names), np.zeros(2, np.int64))}
    out["all"] = sum(out.values())
    return out


def time_trainer(dataset, make_encoder, *, regularize: bool, batch: int, steps: int) -> dict:
    trainer = _trainer(dataset, make_encoder(), regularize=regularize, batch=batch)
    batches = _batches(trainer)
    for _ in range(2):
        trainer.step(next(batches))
    _sync()
    used, ran, seconds = 0, 0, 0.0
    dup = {}
    for _ in range(steps):
        started = time.perf_counter()
        b = next(batches)  # sampling counts (it is part of an epoch), counting duplicates does not
        sampled = time.perf_counter()
        for k, v in duplicate_rows(b, trainer.anchor_names).items():
            dup[k] = dup.get(k, 0) + v
        started += time.perf_counter() - sampled
        out = trainer.step(b)
        _sync()
        seconds += time.perf_counter() - started
        used += out["encoded"]  # rows the losses use
        # rows the encoder ran: Trainer.last_rows where the trainer deduplicates, else every row
        last = getattr(trainer, "last_rows", None)
        ran += sum(r for _, r in last.values()) if last else out["encoded"]
    share = {k: 1 - v[1] / v[0] if v[0] else 0.0 for k, v in dup.items()}
    return {"encodings_per_s": used / seconds, "run_per_s": ran / seconds, "s_per_step": seconds / steps,
            "s_per_epoch": seconds / steps * trainer.steps_per_epoch,
            "texts_per_document": used / steps / batch, "run_per_document": ran / steps / batch,
            "duplicate_share": share}


def time_sentence_transformers(dataset, make_encoder, *, batch: int, steps: int) -> dict:
    """The same encoder inside SentenceTransformer, MultipleNegativesRankingLoss, a bare loop."""
    import tempfile

    from sentence_transformers import SentenceTransformer, losses
    try:
        from sentence_transformers.sentence_transformer import modules as st_modules
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers import models as st_modules

    encoder = make_encoder()
    with tempfile.TemporaryDirectory() as tmp:
        # the same weights and tokenizer, loaded by sentence-transformers itself
        encoder.save(tmp)
        transformer = st_modules.Transformer(tmp, max_seq_length=encoder.max_length)
    pooling = st_modules.Pooling(encoder.dim, pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, st_modules.Normalize()],
                                device=str(encoder.device))
    loss = losses.MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)
    rng = np.random.default_rng(0)
    y = dataset.train_y
    docs = np.flatnonzero(np.diff(y.indptr) > 0)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=encoder.device.type == "cuda")

    tok = getattr(model, "preprocess", None) or model.tokenize

    def one_step():
        rows = rng.choice(docs, batch, replace=False)
        labels = [y.indices[y.indptr[r] + rng.integers(y.indptr[r + 1] - y.indptr[r])] for r in rows]
        features = [tok([dataset.train_texts[r] for r in rows]),
                    tok([dataset.label_texts[j] for j in labels])]
        features = [{k: (v.to(encoder.device) if torch.is_tensor(v) else v) for k, v in f.items()}
                    for f in features]
        with autocast:
            value = loss(features, None)
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    model.train()
    for _ in range(2):
        one_step()
    _sync()
    started = time.perf_counter()
    for _ in range(steps):
        one_step()
    _sync()
    seconds = time.perf_counter() - started
    n_steps_epoch = int(np.ceil(len(docs) / batch))
    return {"encodings_per_s": 2 * batch * steps / seconds, "run_per_s": 2 * batch * steps / seconds,
            "s_per_step": seconds / steps, "s_per_epoch": seconds / steps * n_steps_epoch,
            "texts_per_document": 2.0, "run_per_document": 2.0}


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", choices=("tiny", "minilm", "both"), default="both")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per method (tiny encoder)")
    ap.add_argument("--minilm-steps", type=int, default=3, help="timed steps per method (MiniLM)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from ramen_edu.settings import profile
    from ramen_edu.data.synthetic import default_world
    from ramen_edu.encoders import Encoder

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dataset = default_world()
    print(f"device: {profile().device_name}; torch threads: {torch.get_num_threads()}; "
          f"world: {dataset}; batch {args.batch}, max length 32")
    encoders = {"tiny": (lambda: Encoder.tiny_random(seed=0, hidden_size=64, device=device), args.steps),
                "minilm": (lambda: Encoder.from_pretrained(device=device), args.minilm_steps)}
    chosen = list(encoders) if args.encoder == "both" else [args.encoder]
    results = {"device": profile().device_name, "threads": torch.get_num_threads(), "batch": args.batch}
    for name in chosen:
        make, steps = encoders[name]
        rows = {"RAMEN": time_trainer(dataset, make, regularize=True, batch=args.batch, steps=steps),
                "no-graph baseline": time_trainer(dataset, make, regularize=False, batch=args.batch, steps=steps),
                "sentence-transformers MNRL": time_sentence_transformers(dataset, make, batch=args.batch,
                                                                         steps=steps)}
        print(f"\nencoder: {name} ({steps} timed steps each)")
        print("used/s: rows the losses use per s (repeats included); run/s: rows the encoder ran per s")
        print(f"{'method':<28} {'used/s':>9} {'run/s':>9} {'s/step':>8} {'s/epoch':>9} {'used/doc':>8} "
              f"{'run/doc':>7}")
        for method, r in rows.items():
            print(f"{method:<28} {r['encodings_per_s']:>9.1f} {r['run_per_s']:>9.1f} {r['s_per_step']:>8.3f} "
                  f"{r['s_per_epoch']:>9.1f} {r['texts_per_document']:>8.1f} {r['run_per_document']:>7.1f}")
        for method in ("RAMEN", "no-graph baseline"):
            d = rows[method]["duplicate_share"]
            print(f"  duplicate share, {method}: all rows {100 * d['all']:.1f} %, labels "
                  f"{100 * d['label']:.1f} %, anchors {100 * d['anchor']:.1f} %, documents {100 * d['doc']:.1f} %")
        ramen, base, st = rows["RAMEN"], rows["no-graph baseline"], rows["sentence-transformers MNRL"]
        ratios = {"RAMEN / baseline, time per epoch": ramen["s_per_epoch"] / base["s_per_epoch"],
                  "RAMEN / baseline, used rows per s": ramen["encodings_per_s"] / base["encodings_per_s"],
                  "RAMEN / baseline, encoder rows per s": ramen["run_per_s"] / base["run_per_s"],
                  "baseline / sentence-transformers, encodings per s":
                      base["encodings_per_s"] / st["encodings_per_s"]}
        for k, v in ratios.items():
            print(f"  {k}: {v:.2f}")
        results[name] = {"rows": rows, "ratios": ratios}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
