"""``ramen-edu demo``: the embedded synthetic world, retrieved with an encoder, scored as in the paper.

The demo loads ``data_samples/synthetic-default`` (or generates it, see
:func:`ramen_edu.data.synthetic.default_world`), embeds the test documents and the labels with
an encoder (default: the bundled, *untrained* all-MiniLM-L6-v2), retrieves the top labels of each
document by maximum inner product with faiss, and prints P@1, P@5, nDCG@5, PSP@1 and PSP@5 as a
table, with the wall time.

The table has one row per entry of :data:`METHODS`: a function ``(dataset, profile, encoder) ->
metrics dict``. Trained rows ("RAMEN", "no-graph baseline") are added by putting their
functions into ``METHODS``; the printer does not change.

Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable

import numpy as np

from ramen_edu.settings import PROFILES, Profile, profile as active_profile
from ramen_edu.data.dataset import XCDataset
from ramen_edu.data.synthetic import default_world
from ramen_edu.data.xc_format import read_xc_dataset
from ramen_edu.evaluation import score_split
from ramen_edu.metrics import format_table
from ramen_edu.training import TrainConfig

#: the columns the demo prints (keys of ``ramen_edu.metrics.all_metrics``)
DEMO_COLUMNS = ("P@1", "P@5", "nDCG@5", "PSP@1", "PSP@5")
#: ks evaluated (PSP@3 etc. are in the returned rows, the table shows DEMO_COLUMNS)
KS = (1, 3, 5)


def retrieve(encoder, dataset: XCDataset, k: int = max(KS), *, progress: bool = True,
             batch_size: int = 256):
    """Embed labels and test documents with ``encoder`` and return each document's top-k labels.

    encoder: a ``ramen_edu.encoders.Encoder``. The filter pairs are excluded inside the search,
    so a removed pair never takes one of the k slots. Returns ``Retrieved(ids int64
    (N_test × k), scores float32 (N_test × k))``, best first — what ``score_split`` scores.
    """
    from ramen_edu.retrieval import LabelIndex  # lazy: faiss is heavy and `import ramen_edu.book.demo` avoids it

    label_emb = encoder.embed(dataset.label_texts, batch_size=batch_size, progress=progress, desc="labels")
    doc_emb = encoder.embed(dataset.test_texts, batch_size=batch_size, progress=progress, desc="test documents")
    exclude = dataset.filter_matrix() if len(dataset.filter_pairs) else None
    return LabelIndex(label_emb).search(doc_emb, k, exclude=exclude)


def popular_labels_row(dataset: XCDataset, profile: Profile, encoder=None) -> dict[str, float]:
    """Reference row: every document gets the k most frequent training labels (no text at all).

    The head-only predictor of chapter 1: decent P@k on a long-tailed set, poor PSP@k.
    Returns ``ramen_edu.metrics.all_metrics``' dict.
    """
    k = max(KS)
    top = np.argsort(-dataset.label_frequency(), kind="stable")[:k]
    ids = np.broadcast_to(top, (dataset.n_test, len(top))).astype(np.int64)
    scores = np.broadcast_to(-np.arange(len(top), dtype=np.float32), ids.shape)
    return score_split((ids, scores), dataset, ks=KS)


def encoder_row(dataset: XCDataset, profile: Profile, encoder=None) -> dict[str, float]:
    """Row of an encoder used as is (no training): embed, retrieve with faiss, score.

    encoder: an Encoder, or None for the bundled all-MiniLM-L6-v2. Returns ``all_metrics``' dict.
    """
    if encoder is None:
        from ramen_edu.encoders import Encoder  # lazy: torch/transformers are heavy; only needed with no encoder

        encoder = Encoder.from_pretrained()
    return score_split(retrieve(encoder, dataset, progress=profile.name != "smoke"), dataset, ks=KS)


def demo_train_config(profile: Profile, *, regularize: bool):
    """The TrainConfig of the demo's trained rows: recipe ``"demo"`` of
    :data:`ramen_edu.training.config.RECIPES` at this profile (2 / 3 / 20 epochs, fixed λ).

    On the CPU the trained rows train a small randomly initialised BERT (``Encoder.tiny_random``,
    32 dimensions) from scratch: fine-tuning all-MiniLM-L6-v2 on RAMEN's six texts per document
    runs at about 15-40 encodings/s on two CPU cores, i.e. 10+ minutes per epoch of this world.
    The gpu profile fine-tunes the encoder the demo was given (default MiniLM).
    """
    return TrainConfig.from_recipe("demo", profile, regularize=regularize)


def _trained_row(dataset: XCDataset, profile: Profile, encoder, *, regularize: bool) -> dict[str, float]:
    # lazy: torch/transformers are heavy and only the trained rows need them
    import torch

    from ramen_edu.encoders import Encoder
    from ramen_edu.training import train

    config = demo_train_config(profile, regularize=regularize)
    if profile.name == "gpu":
        # never train the caller's encoder in place: later rows start from the same weights
        start = copy.deepcopy(encoder) if encoder is not None else Encoder.from_pretrained()
    else:
        start = Encoder.tiny_random(seed=config.seed, max_length=config.max_length)
    threads = torch.get_num_threads()
    if profile.device == "cpu":
        # a small model gains nothing from intra-op threads, and on a busy machine spinning
        # OpenMP threads make its small matmuls many times slower
        torch.set_num_threads(1)
    try:
        model = train(dataset, config, encoder=start, progress=profile.name != "smoke")
    finally:
        torch.set_num_threads(threads)
    return model.evaluate(dataset, ks=KS, k=max(KS))


def ramen_row(dataset: XCDataset, profile: Profile, encoder=None) -> dict[str, float]:
    """Row of RAMEN trained on ``dataset`` (graph-regularized, fixed λ = 0.1, pruning); see
    :func:`demo_train_config`. Returns ``all_metrics``' dict on the test split.
    """
    return _trained_row(dataset, profile, encoder, regularize=True)


def no_graph_row(dataset: XCDataset, profile: Profile, encoder=None) -> dict[str, float]:
    """Row of the same training with λ_x = λ_z = 0 (no graph), everything else identical.
    """
    return _trained_row(dataset, profile, encoder, regularize=False)


#: the demo's rows, in order: name -> function(dataset, profile, encoder) -> metrics dict.
#: A trained model's row is one more entry here (e.g. "RAMEN", "no-graph baseline").
METHODS: dict[str, Callable[..., dict[str, float]]] = {
    "popular labels (no text)": popular_labels_row,
    "untrained encoder": encoder_row,
    "RAMEN": ramen_row,
    "no-graph baseline": no_graph_row,
}


def demo_rows(dataset: XCDataset, profile: Profile | None = None, *, encoder=None,
              methods: dict[str, Callable[..., dict[str, float]]] | None = None,
              timings: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Compute the demo table: {row name: metrics dict}, one row per entry of ``methods``.

    dataset: an XCDataset (the demo uses the embedded synthetic world). profile: sizes for trained
    rows (default: the active profile). encoder: handed to every method (None = bundled MiniLM).
    methods: default :data:`METHODS`. timings: if given, filled with {row name: seconds}.
    """
    profile = profile or active_profile()
    rows = {}
    for name, fn in (methods if methods is not None else METHODS).items():
        started = time.perf_counter()
        rows[name] = fn(dataset, profile, encoder)
        if timings is not None:
            timings[name] = time.perf_counter() - started
    return rows


def format_demo(rows: dict[str, dict[str, float]], dataset: XCDataset, *, encoder_name: str = "",
                wall_time: float | None = None, timings: dict[str, float] | None = None) -> str:
    """The demo's printout: a one-line dataset summary, the metrics table (percent) and times.
    """
    lines = [f"{dataset.name}: {dataset.n_train} train / {dataset.n_test} test documents, "
             f"{dataset.n_labels} labels, {len(dataset.filter_pairs)} filter pairs"
             + (f"; encoder: {encoder_name}" if encoder_name else ""), ""]
    lines.append(format_table(rows, columns=DEMO_COLUMNS))
    if timings:
        lines += ["", "time per row: " + ", ".join(f"{n} {t:.1f} s" for n, t in timings.items())]
    if wall_time is not None:
        lines.append(f"wall time: {wall_time:.1f} s")
    return "\n".join(lines)


def cli_main(argv: list[str] | None = None) -> int:
    """``ramen-edu demo [--data DIR] [--encoder NAME_OR_PATH | --tiny-encoder] [--profile P]``.

    Prints the demo table; returns the exit status (0).
    """
    parser = argparse.ArgumentParser(
        prog="ramen-edu demo",
        description="Retrieve labels for the embedded synthetic world with an encoder and print "
                    "P@k / nDCG@k / PSP@k (RAMEN App. D).")
    parser.add_argument("--data", metavar="DIR",
                        help="an XC dataset folder (default: data_samples/synthetic-default)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--encoder", metavar="NAME_OR_PATH",
                       help="Hugging Face model name or local path (default: bundled all-MiniLM-L6-v2)")
    group.add_argument("--tiny-encoder", action="store_true",
                       help="a tiny randomly initialised BERT instead (fast; for tests)")
    parser.add_argument("--profile", choices=PROFILES,
                        help="run profile (default: $RAMEN_EDU_PROFILE or the hardware)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.data:
        dataset = read_xc_dataset(args.data)
        if not dataset.n_labels:  # every row ranks labels; fail here, not deep in the metrics
            raise ValueError(f"{args.data}: the dataset has no labels (its Y.txt is empty); "
                             "the demo needs at least one label to rank")
    else:
        dataset = default_world()
    from ramen_edu.encoders import Encoder  # lazy: torch/transformers; keeps `ramen-edu demo -h` light

    encoder = Encoder.tiny_random() if args.tiny_encoder else Encoder.from_pretrained(args.encoder)
    timings: dict[str, float] = {}
    rows = demo_rows(dataset, active_profile(args.profile), encoder=encoder, timings=timings)
    print(format_demo(rows, dataset, encoder_name=encoder.name, timings=timings,
                      wall_time=time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(cli_main())
