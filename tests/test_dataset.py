"""XCDataset / AnchorSet: canonical matrices, shape checks with clear messages, and the
statistics (label_frequency, filter_matrix, summary) on a dataset small enough to count by hand."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.data import AnchorSet, XCDataset, as_csr


def rows_to_csr(rows: list[list[int]], n_cols: int, values: list[list[float]] | None = None) -> sp.csr_matrix:
    r = [i for i, row in enumerate(rows) for _ in row]
    c = [j for row in rows for j in row]
    v = [x for row in values for x in row] if values else [1.0] * len(c)
    return sp.csr_matrix((v, (r, c)), shape=(len(rows), n_cols))


def noodles(**overrides) -> XCDataset:
    """4 train / 3 test documents, 5 labels, two anchor sets (same content as the valid fixture)."""
    category = AnchorSet("category", ["Japanese dishes", "Hot drinks", "Soups"],
                         rows_to_csr([[0, 2], [0, 2], [0], [1]], 3),
                         rows_to_csr([[0, 2], [2], [0], [1], [0]], 3))
    hyperlink = AnchorSet("hyperlink", ["Broth", "Wheat flour", "Milk", "Dashi"],
                          rows_to_csr([[0, 1], [3], [1, 3], [2]], 4, [[1, 0.5], [1], [1, 0.25], [1]]),
                          rows_to_csr([[0, 1], [0, 3], [1], [], [3]], 4))
    fields = dict(
        name="noodles",
        train_texts=["Tonkotsu ramen", "Miso soup", "Cold soba", "Café au lait"],
        test_texts=["Shoyu ramen", "Iced matcha latte", "Udon noodle soup"],
        label_texts=["Ramen", "Soup", "Noodles", "Coffee", "Japanese cuisine"],
        train_y=rows_to_csr([[0, 1, 2, 4], [1, 4], [2, 4], [3]], 5),
        test_y=rows_to_csr([[0, 1, 2, 4], [], [1, 2, 4]], 5),
        anchors={"category": category, "hyperlink": hyperlink},
        filter_pairs=np.array([[0, 0], [2, 2]]),
    )
    fields.update(overrides)
    return XCDataset(**fields)


def test_label_frequency_counts_training_documents():
    d = noodles()
    freq = d.label_frequency()
    assert freq.dtype == np.int64
    assert freq.tolist() == [1, 2, 2, 1, 3]
    # counts documents, not values: a weighted ground truth gives the same counts
    weighted = noodles(train_y=rows_to_csr([[0, 1, 2, 4], [1, 4], [2, 4], [3]], 5,
                                           [[0.5, 2, 3, 1], [1, 9], [0.1, 1], [4]]))
    assert weighted.label_frequency().tolist() == [1, 2, 2, 1, 3]


def test_filter_matrix_is_the_pairs_as_csr():
    d = noodles()
    f = d.filter_matrix()
    assert sp.issparse(f) and f.shape == (3, 5)
    assert sorted(zip(*f.nonzero())) == [(0, 0), (2, 2)]
    assert set(f.data.tolist()) == {1.0}
    empty = noodles(filter_pairs=np.zeros((0, 2), dtype=np.int64)).filter_matrix()
    assert empty.shape == (3, 5) and empty.nnz == 0


def test_summary_matches_hand_counts():
    s = noodles().summary()
    assert (s["name"], s["train_documents"], s["test_documents"], s["labels"]) == ("noodles", 4, 3, 5)
    assert s["avg_labels_per_document"] == pytest.approx(9 / 4)
    assert s["avg_documents_per_label"] == pytest.approx(9 / 5)
    assert s["anchor_sets"]["category"] == {"anchors": 3, "avg_anchors_per_document": pytest.approx(6 / 4),
                                            "avg_anchors_per_label": pytest.approx(6 / 5)}
    assert s["anchor_sets"]["hyperlink"] == {"anchors": 4, "avg_anchors_per_document": pytest.approx(6 / 4),
                                             "avg_anchors_per_label": pytest.approx(6 / 5)}


def test_summary_of_an_empty_dataset_has_no_nan():
    d = XCDataset("empty", [], [], [], sp.csr_matrix((0, 0)), sp.csr_matrix((0, 0)))
    s = d.summary()
    assert s["avg_labels_per_document"] == 0.0 and s["avg_documents_per_label"] == 0.0
    assert d.label_frequency().shape == (0,)


def test_matrices_are_canonical_float32_csr():
    dense_with_zero = np.array([[0, 1, 0, 0, 0], [0, 0, 0, 0, 2], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]])
    coo = sp.coo_matrix(([1.0, 0.0, 1.0], ([0, 0, 2], [4, 2, 0])), shape=(3, 5))
    d = noodles(train_y=dense_with_zero, test_y=coo)
    for m in (d.train_y, d.test_y, d.anchors["hyperlink"].doc_anchor):
        assert sp.isspmatrix_csr(m) and m.dtype == np.float32 and m.has_sorted_indices
        assert (m.data != 0).all()  # explicit zeros dropped
    assert d.test_y.nnz == 2 and d.filter_pairs.dtype == np.int64
    assert as_csr(np.eye(2)).dtype == np.float32


def test_texts_become_lists():
    d = noodles(train_texts=("a", "b", "c", "d"), label_texts=iter(["A", "B", "C", "D", "E"]))
    assert d.train_texts == ["a", "b", "c", "d"] and d.label_texts == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize("overrides, message", [
    ({"train_y": sp.csr_matrix((4, 6))}, r"train_y has shape \(4, 6\), expected \(4, 5\)"),
    ({"train_y": sp.csr_matrix((5, 5))}, r"train_y has shape \(5, 5\), expected \(4, 5\)"),
    ({"test_y": sp.csr_matrix((2, 5))}, r"test_y has shape \(2, 5\), expected \(3, 5\)"),
    ({"label_texts": ["Ramen", "Soup"]}, r"train_y has shape \(4, 5\), expected \(4, 2\)"),
    ({"filter_pairs": np.array([[3, 0]])}, r"test document < 3, label < 5"),
    ({"filter_pairs": np.array([[0, 5]])}, r"test document < 3, label < 5"),
    ({"filter_pairs": np.array([[-1, 0]])}, r"test document < 3, label < 5"),
])
def test_shape_checks_raise_clearly(overrides, message):
    with pytest.raises(ValueError, match=message):
        noodles(**overrides)


def test_anchor_graph_shapes_are_checked():
    good = noodles().anchors["category"]
    # doc_anchor must cover the training documents only (test documents never enter a graph)
    with_test_rows = AnchorSet("category", good.texts, sp.vstack([good.doc_anchor, good.doc_anchor[:3]]),
                               good.label_anchor)
    with pytest.raises(ValueError, match=r"anchors\['category'\].doc_anchor has shape \(7, 3\), expected \(4, 3\)"):
        noodles(anchors={"category": with_test_rows})
    short = AnchorSet("category", good.texts, good.doc_anchor, good.label_anchor[:4])
    with pytest.raises(ValueError, match=r"label_anchor has shape \(4, 3\), expected \(5, 3\)"):
        noodles(anchors={"category": short})
    with pytest.raises(ValueError, match="stored under 'links' is named 'category'"):
        noodles(anchors={"links": good})


def test_anchor_set_text_count_must_match_columns():
    with pytest.raises(ValueError, match=r"2 anchor texts but doc_anchor has 3 columns"):
        AnchorSet("category", ["a", "b"], sp.csr_matrix((4, 3)), sp.csr_matrix((5, 3)))
    a = AnchorSet("category", ("a", "b", "c"), sp.csr_matrix((4, 3)), sp.csr_matrix((5, 3)))
    assert a.n_anchors == 3 and a.texts == ["a", "b", "c"]


def test_non_sparse_ground_truth_type_error_is_clear():
    with pytest.raises((TypeError, ValueError)):
        noodles(train_y="not a matrix")


def test_repr_names_the_sizes():
    text = repr(noodles())
    assert "'noodles'" in text and "4 train / 3 test documents" in text and "5 labels" in text
    assert "9 train pairs" in text and "category: 3 anchors" in text and "hyperlink: 4 anchors" in text


def test_filter_matrix_stays_binary_when_a_pair_repeats():
    f = noodles(filter_pairs=np.array([[0, 0], [0, 0], [2, 2]])).filter_matrix()
    assert f.nnz == 2 and set(f.data.tolist()) == {1.0} and f.dtype == np.float32


def test_filter_pairs_must_be_integer_pairs():
    import numpy as np
    import pytest
    import scipy.sparse as sp

    from ramen_edu.data import XCDataset

    def make(pairs):
        y = sp.csr_matrix(np.eye(3, dtype=np.float32))
        return XCDataset("t", ["a", "b", "c"], ["d", "e", "f"], ["x", "y", "z"], y, y, filter_pairs=pairs)

    with pytest.raises(ValueError, match=r"shape \(P, 2\)"):
        make(np.array([[0, 1, 2], [1, 2, 0]]))
    with pytest.raises(ValueError, match="integer"):
        make(np.array([[0.7, 1.9]]))
    assert make([]).filter_pairs.shape == (0, 2)


@pytest.mark.parametrize("value", ["0.55", None, float("nan"), float("inf"), -1.0, 0, True])
@pytest.mark.parametrize("field", ["propensity_a", "propensity_b"])
def test_propensity_constants_must_be_finite_positive_numbers(field, value):
    with pytest.raises(ValueError, match=f"{field} must be a finite positive number, got {value!r}"):
        noodles(**{field: value})


def test_propensity_constants_become_floats():
    d = noodles(propensity_a=np.float32(0.5), propensity_b=2)
    assert (d.propensity_a, d.propensity_b) == (0.5, 2.0)
    assert type(d.propensity_a) is float and type(d.propensity_b) is float


def test_lookups_by_index_or_text_name_what_is_wrong():
    ds = noodles()
    assert ds.train_row("Cold soba") == 2 and ds.train_row(np.int64(1)) == 1
    assert ds.label_id("Coffee") == 3 and ds.label_id(0) == 0
    assert ds.anchor_set("hyperlink").name == "hyperlink" and ds.anchor_set().name == "category"
    with pytest.raises(ValueError, match=r"'Shoyu ramen' is not a training document .*\(it is a test document\).*leak"):
        ds.train_row("Shoyu ramen")
    with pytest.raises(ValueError, match=r"document=4 is not a training row: out of range \[0, 4\)"):
        ds.train_row(4)
    with pytest.raises(ValueError, match=r"label=-1 is not a label id: out of range"):
        ds.label_id(-1)
    with pytest.raises(ValueError, match="'Tea' is not a label of 'noodles'"):
        ds.label_id("Tea")
    with pytest.raises(TypeError, match="index or a text"):
        ds.train_row(1.0)
    with pytest.raises(ValueError, match=r"no anchor set 'links'; its anchor sets: \['category', 'hyperlink'\]"):
        ds.anchor_set("links")
    with pytest.raises(ValueError, match="has no anchor sets"):
        noodles(anchors={}).anchor_set()
