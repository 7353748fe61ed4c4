"""Synthetic worlds: determinism, the long tail, graphs that agree with the labels (and stop
agreeing under noise), missing labels the graph still connects, filter pairs, the committed
default world and bad input."""
from __future__ import annotations

import filecmp

import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.data import synthetic
from ramen_edu.data.dataset import XCDataset
from ramen_edu.data.synthetic import (DEFAULT_WORLD, SyntheticConfig, make_synthetic_world,
                                      pseudo_words)
from ramen_edu.data.xc_format import read_xc_dataset

SMALL = dict(n_train=600, n_test=200, n_labels=80, n_topics=8)


def _same(a: XCDataset, b: XCDataset) -> bool:
    mats = [(a.train_y, b.train_y), (a.test_y, b.test_y)]
    mats += [(a.anchors[n].doc_anchor, b.anchors[n].doc_anchor) for n in a.anchors]
    mats += [(a.anchors[n].label_anchor, b.anchors[n].label_anchor) for n in a.anchors]
    return (a.train_texts == b.train_texts and a.test_texts == b.test_texts
            and a.label_texts == b.label_texts and list(a.anchors) == list(b.anchors)
            and all(a.anchors[n].texts == b.anchors[n].texts for n in a.anchors)
            and np.array_equal(a.filter_pairs, b.filter_pairs)
            and all(x.shape == y.shape and (x != y).nnz == 0 for x, y in mats))


def _agreement(world, name: str, mapping: np.ndarray) -> float:
    """Share of document→anchor edges that point to an anchor of one of the document's labels."""
    y = (world.true_train_y > 0).astype(np.float32)
    onehot = sp.csr_matrix((np.ones(len(mapping), np.float32), (np.arange(len(mapping)), mapping)))
    expected = (y @ onehot) > 0
    edges = world.anchors[name].doc_anchor > 0
    return edges.multiply(expected).nnz / edges.nnz


# --- words ---------------------------------------------------------------------------------
def test_pseudo_words_distinct_alphabetic_and_seeded():
    a = pseudo_words(5000, np.random.default_rng(1))
    assert len(set(a.tolist())) == 5000
    assert all(w.isalpha() and w.islower() and 4 <= len(w) <= 9 for w in a.tolist())
    assert np.array_equal(a, pseudo_words(5000, np.random.default_rng(1)))
    assert not np.array_equal(a, pseudo_words(5000, np.random.default_rng(2)))


def test_wordpiece_splits_each_word_the_same_way_everywhere(tiny_world, tiny_encoder):
    tok = tiny_encoder.tokenizer
    text = tiny_world.train_texts[0]
    alone = [p for w in text.split() for p in tok.tokenize(w)]
    assert tok.tokenize(text) == alone


# --- determinism and shapes ----------------------------------------------------------------
def test_same_seed_same_world_other_seed_other_world():
    a, b = make_synthetic_world(**SMALL, seed=3), make_synthetic_world(**SMALL, seed=3)
    c = make_synthetic_world(**SMALL, seed=4)
    assert _same(a, b)
    assert not _same(a, c)


def test_shapes_binary_truth_and_no_test_document_in_graphs(tiny_world):
    w = tiny_world
    assert isinstance(w, XCDataset)
    assert w.train_y.shape == (300, 60) and w.test_y.shape == (100, 60)
    assert set(np.unique(w.train_y.data)) <= {1.0}
    assert list(w.anchors) == ["topic", "concept"]
    for a in w.anchors.values():
        # graphs only have training documents as rows: test documents can never leak in
        assert a.doc_anchor.shape[0] == w.n_train
        assert (a.label_anchor.getnnz(axis=1) >= 1).all()
    assert w.train_y.getnnz(axis=1).min() >= 1
    assert w.train_y.getnnz(axis=1).max() <= w.config.max_labels


def test_texts_carry_label_and_topic_words():
    w = make_synthetic_world(**SMALL, seed=5)
    y = sp.coo_matrix(w.train_y)
    hit = 0
    for d, l in zip(y.row, y.col):
        words = set(w.train_texts[d].split())
        label_words = {w.label_texts[l].split()[0], *w.label_cues[l].split()}
        hit += bool(words & label_words)
    assert hit == y.nnz  # every positive pair shows up in the document's text
    topic_text = w.anchors["topic"].texts
    for l in range(w.n_labels):  # a label's second word is one of its topic's words
        assert w.label_texts[l].split()[1] in topic_text[w.label_topic[l]].split()


def test_long_tail_and_zipf_knob():
    heavy = make_synthetic_world(n_train=4000, n_test=10, n_labels=400, n_topics=20, label_zipf=1.1)
    flat = make_synthetic_world(n_train=4000, n_test=10, n_labels=400, n_topics=20, label_zipf=0.0)

    def top_share(world):  # share of pairs held by the 10 % most frequent labels
        f = np.sort(world.label_frequency())[::-1]
        return f[: len(f) // 10].sum() / f.sum()

    assert top_share(heavy) > 0.5
    assert top_share(flat) < 0.25
    f, g = heavy.label_frequency(), flat.label_frequency()
    assert np.median(f) < 0.5 * f.mean()  # the typical label is far rarer than the average one
    assert np.median(g) > 0.8 * g.mean()


# --- graphs --------------------------------------------------------------------------------
def test_clean_graphs_agree_with_labels_and_noise_destroys_agreement():
    clean = make_synthetic_world(**SMALL, edge_noise=0.0, edge_dropout=0.0)
    noisy = make_synthetic_world(**SMALL, edge_noise=1.0, edge_dropout=0.0)
    for name, mapping in (("topic", clean.label_topic), ("concept", clean.label_concept)):
        assert _agreement(clean, name, mapping) == 1.0
        assert np.array_equal((clean.anchors[name].label_anchor.argmax(axis=1)).A1, mapping)
        # pure noise: agreement is about chance (anchors per document / anchors)
        chance = clean.anchors[name].doc_anchor.getnnz(axis=1).mean() / clean.anchors[name].n_anchors
        assert _agreement(noisy, name, noisy.label_topic if name == "topic" else noisy.label_concept) < 3 * chance + 0.05
    # with no dropout every training pair is linked: doc -> concept <- label
    path = clean.anchors["concept"].doc_anchor @ clean.anchors["concept"].label_anchor.T
    y = sp.coo_matrix(clean.true_train_y)
    assert (np.asarray(path[y.row, y.col]).ravel() > 0).all()


def test_edge_dropout_removes_about_that_share_of_document_edges():
    full = make_synthetic_world(**SMALL, edge_dropout=0.0)
    half = make_synthetic_world(**SMALL, edge_dropout=0.5)
    ratio = half.anchors["concept"].doc_anchor.nnz / full.anchors["concept"].doc_anchor.nnz
    assert 0.4 < ratio < 0.65


def test_missing_labels_are_hidden_but_the_graph_still_connects_them():
    w = make_synthetic_world(**SMALL, missing_labels=0.3, edge_dropout=0.0)
    missing = w.missing_pairs()
    assert 0.25 < len(missing) / w.true_train_y.nnz < 0.35
    assert w.train_y.nnz + len(missing) == w.true_train_y.nnz
    assert (np.asarray(w.train_y[missing[:, 0], missing[:, 1]]).ravel() == 0).all()
    concept = w.anchors["concept"]
    path = concept.doc_anchor @ concept.label_anchor.T
    recovered = (np.asarray(path[missing[:, 0], missing[:, 1]]).ravel() > 0).mean()
    assert recovered == 1.0
    noisy = make_synthetic_world(**SMALL, missing_labels=0.3, edge_dropout=0.0, edge_noise=1.0)
    m = noisy.missing_pairs()
    c = noisy.anchors["concept"]
    assert (np.asarray((c.doc_anchor @ c.label_anchor.T)[m[:, 0], m[:, 1]]).ravel() > 0).mean() < 0.2


def test_anchor_set_choice():
    only_topic = make_synthetic_world(**SMALL, anchor_sets=("topic",))
    none = make_synthetic_world(**SMALL, anchor_sets=())
    assert list(only_topic.anchors) == ["topic"] and none.anchors == {}


# --- filter pairs --------------------------------------------------------------------------
def test_filter_pairs_are_self_titled_documents_never_true_labels(tiny_world):
    w = tiny_world
    assert len(w.filter_pairs) == 5  # 5 % of 100 test documents
    for d, l in w.filter_pairs:
        assert w.test_texts[d] == w.label_texts[l]
        assert w.test_y[d, l] == 0
        assert w.test_y[d].nnz >= 1
    assert len(make_synthetic_world(**SMALL, self_titled=0.0).filter_pairs) == 0


# --- the committed default world -----------------------------------------------------------
def test_committed_default_world_is_what_the_generator_writes(tmp_path):
    committed = synthetic.DEFAULT_WORLD_DIR
    assert (committed / "dataset.json").is_file(), "run: python -m ramen_edu.data.synthetic --default --write data_samples/synthetic-default"
    fresh = synthetic.regenerate_default_world(tmp_path / "world")
    names = sorted(p.name for p in fresh.iterdir())
    assert names == sorted(p.name for p in committed.iterdir() if p.name != "README.md")
    match, mismatch, errors = filecmp.cmpfiles(committed, fresh, names, shallow=False)
    assert not mismatch and not errors, (
        f"data_samples/synthetic-default differs from the generator in {mismatch + errors}; "
        "regenerate it: python -m ramen_edu.data.synthetic --default --write data_samples/synthetic-default")


def test_default_world_reads_committed_folder_or_generates_the_same(monkeypatch, tmp_path):
    from_folder = synthetic.default_world()
    assert from_folder.name == DEFAULT_WORLD.name
    monkeypatch.setattr(synthetic, "DEFAULT_WORLD_DIR", tmp_path / "absent")
    generated = synthetic.default_world()
    assert _same(from_folder, generated)
    assert from_folder.n_train == 3000 and from_folder.n_test == 1000 and from_folder.n_labels == 500


def test_command_line_writes_a_readable_folder(tmp_path, capsys):
    assert synthetic.main(["--write", str(tmp_path / "w"), "--n-train", "50", "--n-test", "20",
                           "--n-labels", "30", "--n-topics", "3", "--anchor-sets", "topic",
                           "--seed", "9"]) == 0
    back = read_xc_dataset(tmp_path / "w")
    assert _same(back, make_synthetic_world(n_train=50, n_test=20, n_labels=30, n_topics=3,
                                            anchor_sets=("topic",), seed=9))
    assert "wrote" in capsys.readouterr().out


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, fragment", [
    (dict(edge_noise=1.5), "edge_noise"),
    (dict(missing_labels=-0.1), "missing_labels"),
    (dict(n_labels=0), "n_labels"),
    (dict(n_topics=50, n_labels=10), "n_topics"),
    (dict(anchor_sets=("topic", "hyperlink")), "anchor_sets"),
    (dict(mean_labels=0.5), "mean_labels"),
    (dict(n_train=2), "n_train"),
    (dict(label_zipf=-1.0), "label_zipf"),
])
def test_bad_config_names_the_argument(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        SyntheticConfig(**kwargs)


def test_unknown_keyword_lists_the_known_ones():
    with pytest.raises(TypeError, match="edge_noise"):
        make_synthetic_world(edge_nosie=0.5)
