"""ramen_edu.evaluation: one path from a retriever to the metrics, with the dataset's truth rows,
filter pairs and propensity constants — checked against the metrics called by hand."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from ramen_edu.evaluation import evaluate_retrieval, retrieve_split, score_split, split_rows
from ramen_edu.metrics import all_metrics, label_quantiles, per_document_metrics, quantile_metrics
from ramen_edu.retrieval import LabelIndex, Retrieved


def _embed(text: str) -> np.ndarray:
    v = np.random.default_rng(zlib.crc32(text.encode())).normal(size=16).astype(np.float32)
    return v / np.linalg.norm(v)


class RandomRetriever:
    """A random unit embedding per text (seeded by the text), searched exactly: a retriever
    without a model, which records what it was asked."""

    def __init__(self, world):
        self.index = LabelIndex(np.stack([_embed("label: " + t) for t in world.label_texts]))
        self.calls = []

    def retrieve(self, texts, k, *, exclude=None, progress=False):
        self.calls.append((len(texts), k, exclude))
        return self.index.search(np.stack([_embed(t) for t in texts]), k, exclude=exclude)


def test_test_split_excludes_filters_and_scores_the_test_rows(tiny_world):
    assert len(tiny_world.filter_pairs)
    r = RandomRetriever(tiny_world)
    got = evaluate_retrieval(r, tiny_world, ks=(1, 5))
    (n, k, exclude), = r.calls
    assert (n, k) == (tiny_world.n_test, 5) and (exclude != tiny_world.filter_matrix()).nnz == 0
    top = r.retrieve(tiny_world.test_texts, 5, exclude=tiny_world.filter_matrix())
    assert isinstance(top, Retrieved)
    assert got == all_metrics(top, tiny_world.test_y, train_y=tiny_world.train_y, ks=(1, 5),
                              a=tiny_world.propensity_a, b=tiny_world.propensity_b)


def test_a_subset_of_documents_and_per_document_vectors_agree(tiny_world):
    docs = np.arange(10, 40)
    agg = evaluate_retrieval(RandomRetriever(tiny_world), tiny_world, docs=docs, k=20)
    per = evaluate_retrieval(RandomRetriever(tiny_world), tiny_world, docs=docs, k=20, per_document=True)
    assert list(per) == list(agg)
    for name, value in agg.items():
        assert len(per[name]) == len(docs) and per[name].mean() == value, name
    rows, top = retrieve_split(RandomRetriever(tiny_world), tiny_world, docs=docs, k=20)
    assert rows.tolist() == docs.tolist()
    assert per_document_metrics(top, tiny_world.test_y[docs], train_y=tiny_world.train_y).keys() == per.keys()


def test_filters_are_removed_from_predictions_that_kept_them(tiny_world):
    # a ranking that ignores the filters scores as if the filtered pairs were never predicted
    d, label = (int(x) for x in tiny_world.filter_pairs[0])
    ids = np.full((tiny_world.n_test, 2), -1)
    ids[d] = [label, (label + 1) % tiny_world.n_labels]
    scores = np.zeros(ids.shape, np.float32)
    filtered = score_split((ids, scores), tiny_world, ks=(1,))
    by_hand = ids.copy()
    by_hand[d] = [(label + 1) % tiny_world.n_labels, -1]
    assert filtered == all_metrics((by_hand, scores), tiny_world.test_y, train_y=tiny_world.train_y, ks=(1,))


def test_train_split_has_no_filters(tiny_world):
    r = RandomRetriever(tiny_world)
    rows = np.array([3, 1, 4, 1, 5])
    got = evaluate_retrieval(r, tiny_world, split="train", docs=rows, k=5)
    assert r.calls[0][2] is None
    top = r.retrieve([tiny_world.train_texts[i] for i in rows], 5)
    assert got == all_metrics(top, tiny_world.train_y[rows], train_y=tiny_world.train_y)
    assert split_rows(tiny_world, split="train", docs=7).tolist() == list(range(7))
    with pytest.raises(ValueError, match="split='valid'"):
        evaluate_retrieval(r, tiny_world, split="valid")


def test_quantile_bins_go_through_the_same_path(tiny_world):
    bins = label_quantiles(tiny_world.label_frequency())
    r = RandomRetriever(tiny_world)
    got = evaluate_retrieval(r, tiny_world, ks=(5,), bins=bins, mode="contribution")
    top = r.retrieve(tiny_world.test_texts, 5, exclude=tiny_world.filter_matrix())
    assert got == quantile_metrics(top, tiny_world.test_y, bins, ks=(5,), mode="contribution",
                                   train_y=tiny_world.train_y)
    with pytest.raises(ValueError, match="do not combine"):
        score_split(top, tiny_world, bins=bins, per_document=True)


def test_a_retriever_that_checks_labels_is_asked_first(tiny_world):
    class Picky(RandomRetriever):
        def check_labels(self, dataset):
            raise ValueError("not my labels")

    with pytest.raises(ValueError, match="not my labels"):
        evaluate_retrieval(Picky(tiny_world), tiny_world)
