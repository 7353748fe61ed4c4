import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.metrics import all_metrics
from ramen_edu.retrieval import LabelIndex, Retrieved, topk_to_csr


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_search_matches_brute_force():
    rng = np.random.default_rng(0)
    labels, queries = _unit(rng.normal(size=(50, 8))), _unit(rng.normal(size=(7, 8)))
    ids, scores = LabelIndex(labels).search(queries, 5)
    want = np.argsort(-(queries @ labels.T), axis=1)[:, :5]
    np.testing.assert_array_equal(ids, want)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ labels.T, want, 1), atol=1e-5)


def test_exclude_pairs_are_never_returned_and_order_kept():
    rng = np.random.default_rng(1)
    labels, queries = _unit(rng.normal(size=(20, 4))), _unit(rng.normal(size=(3, 4)))
    full = LabelIndex(labels).search(queries, 20).ids
    exclude = sp.csr_matrix((np.ones(3), ([0, 0, 2], [full[0, 0], full[0, 2], full[2, 1]])), shape=(3, 20))
    ids = LabelIndex(labels).search(queries, 4, exclude=exclude).ids
    np.testing.assert_array_equal(ids[0], [full[0, 1], full[0, 3], full[0, 4], full[0, 5]])
    np.testing.assert_array_equal(ids[1], full[1, :4])
    np.testing.assert_array_equal(ids[2], [full[2, 0], full[2, 2], full[2, 3], full[2, 4]])


def test_k_larger_than_labels_pads():
    labels = _unit(np.eye(3, dtype=np.float32))
    top = LabelIndex(labels).search(labels[:1], 5)
    ids, scores = top
    assert ids[0, :3].tolist() != [-1, -1, -1] and ids[0, 3:].tolist() == [-1, -1]
    assert np.isneginf(scores[0, 3:]).all()
    pred = topk_to_csr(top, 3)
    assert pred.shape == (1, 3) and pred.nnz == 3
    assert pred[0, 0] == pred.max() and np.isclose(pred[0, 0], 1.0)  # the exact match, unshifted


def test_a_search_result_is_what_the_metrics_take():
    rng = np.random.default_rng(2)
    labels, queries = _unit(rng.normal(size=(30, 6))), _unit(rng.normal(size=(5, 6)))
    top = LabelIndex(labels).search(queries, 5)
    assert isinstance(top, Retrieved) and top == (top.ids, top.scores)
    truth = sp.csr_matrix((np.ones(5), (np.arange(5), top.ids[:, 2])), shape=(5, 30))
    assert all_metrics(top, truth, ks=(1, 3))["P@3"] == pytest.approx(1 / 3)
    assert all_metrics(top, truth, ks=(1, 3)) == all_metrics(topk_to_csr(top, 30), truth, ks=(1, 3))


def test_bad_shapes_raise():
    index = LabelIndex(np.eye(4, dtype=np.float32))
    with pytest.raises(ValueError, match="dim"):
        index.search(np.ones((2, 3), np.float32), 1)
    with pytest.raises(ValueError, match="2-D"):
        LabelIndex(np.ones(4))


def test_zero_labels_is_a_clear_value_error():
    # faiss itself stops at an AssertionError deep in its search
    with pytest.raises(ValueError, match="no labels to search"):
        LabelIndex(np.zeros((0, 8), np.float32))


def test_the_search_backend_is_named_with_its_library(monkeypatch):
    """retrieval.BACKEND pairs the name run records quote with the library that searches, and
    LabelIndex searches with whichever library it holds when the index is built."""
    from ramen_edu import retrieval, torch_search

    backend = retrieval.BACKEND
    assert isinstance(backend, retrieval.SearchBackend)
    assert backend.name == ("faiss" if backend.lib.__name__ == "faiss" else torch_search.BACKEND)
    used = []

    class Spy:  # the torch stand-in, recording each index it builds
        def __getattr__(self, name):
            return getattr(torch_search, name)

        def IndexFlatIP(self, dim):  # noqa: N802 - faiss's name
            used.append(dim)
            return torch_search.IndexFlatIP(dim)

    monkeypatch.setattr(retrieval, "BACKEND", retrieval.SearchBackend("spy", Spy()))
    labels = _unit(np.random.default_rng(4).normal(size=(20, 6))).astype(np.float32)
    assert LabelIndex(labels).search(labels[:3], 1).ids[:, 0].tolist() == [0, 1, 2]
    assert used == [6]
