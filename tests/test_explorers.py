"""The pruned-edge and prediction explorers (ramen_edu.viz.explorers), on the tiny world."""
from __future__ import annotations

import numpy as np
import pytest

from ramen_edu.viz.explorers import (document_edges, explore_predictions, explore_pruned_edges, label_rank,
                                 predictions_figure, pruned_edges_figure)
from ramen_edu.training import RamenModel


@pytest.fixture(scope="module")
def model(tiny_world, tiny_encoder):
    return RamenModel(tiny_encoder, tiny_world.label_texts)


def _doc_with_edges(world, name):
    return int(np.flatnonzero(np.diff(world.anchors[name].doc_anchor.indptr) > 1)[0])


def test_document_edges_follow_the_pruning_rule(model, tiny_world, tiny_encoder):
    name = "concept"
    row = _doc_with_edges(tiny_world, name)
    a = tiny_world.anchors[name]
    for threshold in (-1.0, 0.0, 0.05, 0.99):
        e = document_edges(model, tiny_world, tiny_world.train_texts[row], anchor_set=name, threshold=threshold)
        expected_texts = [a.texts[j] for j in a.doc_anchor[row].indices]
        assert sorted(e["anchors"]) == sorted(expected_texts)
        # cosines recomputed by hand, matched by anchor text
        doc = tiny_encoder.embed([tiny_world.train_texts[row]], progress=False)[0]
        by_hand = {t: float(tiny_encoder.embed([t], progress=False)[0] @ doc) for t in expected_texts}
        np.testing.assert_allclose(e["cosine"], [by_hand[t] for t in e["anchors"]], atol=1e-5)
        assert (e["kept"] == (e["cosine"] > threshold)).all()
        assert (np.diff(e["cosine"]) <= 1e-7).all()  # sorted, highest first
    labels = {tiny_world.label_texts[j] for j in tiny_world.train_y[row].indices}
    assert list(e["is_label"]) == [t in labels for t in e["anchors"]]


def test_pruned_edges_figure_colours_kept_and_cut(model, tiny_world):
    row = _doc_with_edges(tiny_world, "topic")
    e = document_edges(model, tiny_world, row, anchor_set="topic", threshold=0.0)
    fig = pruned_edges_figure(model, tiny_world, row, anchor_set="topic", threshold=0.0)
    bar = fig.data[0]
    assert len(bar.x) == len(e["anchors"])
    assert list(bar.marker.color) == ["#2ca02c" if k else "#d62728" for k in e["kept"]]
    few = pruned_edges_figure(model, tiny_world, row, anchor_set="topic", max_edges=1)
    assert len(few.data[0].x) == 1 and few.data[0].x[0] == pytest.approx(e["cosine"][-1])  # the lowest


def test_bad_arguments_name_the_fix(model, tiny_world):
    with pytest.raises(ValueError, match="not a training document.*test document"):
        document_edges(model, tiny_world, tiny_world.test_texts[0])
    with pytest.raises(ValueError, match="not a training row"):
        document_edges(model, tiny_world, tiny_world.n_train)
    with pytest.raises(ValueError, match="no anchor set 'nope'; its anchor sets: "):
        document_edges(model, tiny_world, 0, anchor_set="nope")
    with pytest.raises(ValueError, match="label='no such label'"):
        label_rank(model, "x", "no such label")
    other = RamenModel(model.encoder, tiny_world.label_texts[:5])
    with pytest.raises(ValueError, match="share the label space"):
        predictions_figure({"small": other}, tiny_world, "x")


def test_label_rank_matches_a_full_ranking(model, tiny_world):
    text = tiny_world.test_texts[0]
    ids, scores = model.retrieve([text], tiny_world.n_labels)
    for position in (0, 3, tiny_world.n_labels - 1):
        label = tiny_world.label_texts[ids[0][position]]
        assert label_rank(model, text, label) <= position + 1  # ties count in the label's favour
        assert label_rank(model, text, label) >= 1 + int((scores[0] > scores[0][position] + 1e-6).sum())


def test_predictions_figure_marks_truth_quantiles_and_highlight(model, tiny_world):
    from ramen_edu.viz.explorers import QUANTILE_COLOURS
    from ramen_edu.metrics import label_quantiles

    doc = int(np.flatnonzero(tiny_world.test_y.getnnz(axis=1) > 0)[0])
    text = tiny_world.test_texts[doc]
    k = tiny_world.n_labels  # every label shows, so every true label is starred somewhere
    ids = model.retrieve([text], k).ids
    target = tiny_world.label_texts[ids[0][2]]
    fig = predictions_figure({"a": model, "b": model}, tiny_world, text, k=k, highlight=[target])
    bars = [t for t in fig.data if t.x is not None and t.x[0] is not None]
    assert len(bars) == 2
    starred = [y for y in bars[0].y if y.startswith("★ ")]
    assert len(starred) == tiny_world.test_y[doc].nnz
    bins = label_quantiles(tiny_world.label_frequency())
    assert list(bars[0].marker.color) == [QUANTILE_COLOURS[b] for b in bins[ids[0]]]
    outlined = [i for i, c in enumerate(bars[0].marker.line.color) if c == "black"]
    assert outlined == [2]


def test_prediction_panels_are_stacked_with_room_for_label_names(model, tiny_world):
    # side by side, chapter 5's four panels each got a twelfth of the width and their label names
    # ran over the neighbouring panel's bars (issue 21)
    fig = predictions_figure({"a": model, "b": model, "c": model}, tiny_world, tiny_world.test_texts[0], k=5)
    axes = ("", "2", "3")
    assert all(tuple(fig.layout[f"xaxis{s}"].domain) == (0.0, 1.0) for s in axes)
    tops = [fig.layout[f"yaxis{s}"].domain for s in axes]
    assert tops[0][0] > tops[1][1] and tops[1][0] > tops[2][1]
    assert all(fig.layout[f"yaxis{s}"].automargin for s in axes)
    pruned = pruned_edges_figure(model, tiny_world, _doc_with_edges(tiny_world, "topic"), anchor_set="topic")
    assert pruned.layout.yaxis.automargin


def test_widgets_build_and_redraw(model, tiny_world):
    app = explore_pruned_edges(model, tiny_world, anchor_set="topic")
    combo = app.children[0].children[0]
    combo.value = tiny_world.train_texts[1]  # triggers a redraw without error
    app2 = explore_predictions(model, tiny_world, text=tiny_world.test_texts[0], highlight=[tiny_world.label_texts[0]])
    app2.children[0].children[1].value = 4
    assert len(app2.children) == 2


def test_picked_documents_show_a_cut_and_a_kept_edge(model, tiny_world, tiny_encoder):
    from ramen_edu.graphs import edge_cosines
    from ramen_edu.viz.explorers import pick_pruned_documents, pruned_edges_gallery

    a = tiny_world.anchors["concept"]
    # a random encoder puts every cosine near 0.95: cut at the edges' own quartiles instead of 0
    cos = edge_cosines(a.doc_anchor, tiny_encoder.embed(tiny_world.train_texts, progress=False),
                       tiny_encoder.embed(a.texts, progress=False))
    for threshold in np.quantile(cos, [0.25, 0.5]):
        picked = pick_pruned_documents(model, tiny_world, anchor_set="concept", threshold=threshold, n=4)
        assert len(picked) == 4
        for doc in picked:  # checked against the per-document view the figure draws
            e = document_edges(model, tiny_world, doc, anchor_set="concept", threshold=threshold)
            assert e["kept"].any() and (~e["kept"]).any()
        assert picked == pick_pruned_documents(model, tiny_world, anchor_set="concept", threshold=threshold, n=4)
    html = pruned_edges_gallery(model, tiny_world, picked, anchor_set="concept", threshold=threshold, per_side=1)
    assert html.count("<tr>") == len(picked) + 1  # header + one row per document
    e = document_edges(model, tiny_world, picked[0], anchor_set="concept", threshold=threshold)
    assert f"{e['anchors'][-1]} ({e['cosine'][-1]:+.2f})" in html  # the cut side starts at the lowest cosine
    assert f"{e['anchors'][0]} ({e['cosine'][0]:+.2f})" in html  # the kept side at the highest
    assert pick_pruned_documents(model, tiny_world, anchor_set="concept", threshold=-1.0) == []  # nothing is cut
