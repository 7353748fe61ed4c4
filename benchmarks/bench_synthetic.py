"""Time and peak memory of synthetic world generation (ramen_edu.data.synthetic).

    python benchmarks/bench_synthetic.py [--sizes 3000 100000 300000]

Prints one line per size: documents, labels, seconds to generate, peak traced memory of a second,
untimed run (numpy and Python allocations, via tracemalloc), and the size of the world written as an XC folder.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from ramen_edu.data.synthetic import make_synthetic_world
from ramen_edu.data.xc_format import write_xc_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 100_000, 300_000],
                        help="training documents per run (test = a third, labels = a sixth)")
    args = parser.parse_args()
    print(f"{'train docs':>10} {'test':>7} {'labels':>7} {'generate s':>10} {'peak MB':>8} {'on disk MB':>10}")
    for n in args.sizes:
        kwargs = dict(n_train=n, n_test=n // 3, n_labels=max(60, n // 6), n_topics=max(6, n // 120), seed=1)
        started = time.perf_counter()
        world = make_synthetic_world(**kwargs)
        seconds = time.perf_counter() - started
        del world
        tracemalloc.start()  # a second run: tracing slows allocation, so it is not timed
        world = make_synthetic_world(**kwargs)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_xc_dataset(world, Path(tmp) / "w")
            disk = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        print(f"{n:>10} {world.n_test:>7} {world.n_labels:>7} {seconds:>10.2f} {peak:>8.0f} {disk:>10.1f}")


if __name__ == "__main__":
    main()
