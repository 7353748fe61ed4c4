"""Embedding throughput: length-sorted batches vs input-order batches.

    python benchmarks/bench_embed.py [--n 4000] [--field text|title] [--max-length 128]

Uses the bundled all-MiniLM-L6-v2 on the shared Wikipedia articles (not shipped here).
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import time

import numpy as np
import torch

import ramen_edu
from ramen_edu.encoders import Encoder


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--field", default="text", choices=["text", "title"])
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()
    with gzip.open(ramen_edu.find_data_file(), "rt", encoding="utf-8") as f:
        texts = [json.loads(line)[args.field] for line in itertools.islice(f, args.n)]
    enc = Encoder.from_pretrained(max_length=args.max_length)
    print(f"{len(texts)} {args.field}s, max_length {args.max_length}, batch {args.batch_size}, "
          f"device {enc.device}, torch threads {torch.get_num_threads()}")
    results = {}
    for sort in (False, True):
        t0 = time.perf_counter()
        emb = enc.embed(texts, batch_size=args.batch_size, progress=False, sort_by_length=sort)
        dt = time.perf_counter() - t0
        results[sort] = emb
        print(f"  length-sorted={sort!s:<5}  {dt:7.1f} s  {len(texts) / dt:8.1f} texts/s")
    print(f"  max |difference| between the two: {np.abs(results[True] - results[False]).max():.2e}")


if __name__ == "__main__":
    main()
