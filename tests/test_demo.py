"""The demo path: retrieval with filters, the reference rows, the table and the command line."""
from __future__ import annotations

import numpy as np
import pytest

from ramen_edu.book import demo
from ramen_edu.settings import profile
from ramen_edu.data.xc_format import write_xc_dataset

SMOKE = profile("smoke")


class OracleEncoder:
    """Embeds a label as its one-hot vector and a test document as the normalised sum of its
    true labels' one-hots, each weighted by 1/propensity: a perfect retriever that ranks the
    rarest true label first, so P@1, PSP@1 and PSP@5 reach their maxima."""

    name = "oracle"

    def __init__(self, world):
        self.world = world

    def embed(self, texts, **_):
        texts = list(texts)
        if texts == self.world.label_texts:
            return np.eye(self.world.n_labels, dtype=np.float32)
        assert texts == self.world.test_texts
        from ramen_edu.metrics import propensities

        weight = 1.0 / propensities(self.world.train_y)
        y = self.world.test_y.toarray().astype(np.float32) * weight[None, :].astype(np.float32)
        return y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-9)


def test_rows_of_the_tiny_encoder_are_fractions(tiny_world, tiny_encoder):
    timings = {}
    rows = demo.demo_rows(tiny_world, SMOKE, encoder=tiny_encoder, timings=timings)
    assert list(rows) == list(demo.METHODS) == list(timings)
    for row in rows.values():
        for col in demo.DEMO_COLUMNS:
            assert 0.0 <= row[col] <= 1.0


def test_retrieval_never_returns_a_filter_pair(tiny_world, tiny_encoder):
    ids, scores = demo.retrieve(tiny_encoder, tiny_world, 5, progress=False)
    assert ids.shape == scores.shape == (tiny_world.n_test, 5)
    assert len(tiny_world.filter_pairs)
    for d, l in tiny_world.filter_pairs:
        assert l not in ids[d]
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_a_perfect_encoder_scores_perfectly(tiny_world):
    row = demo.encoder_row(tiny_world, SMOKE, OracleEncoder(tiny_world))
    has_labels = (tiny_world.test_y.getnnz(axis=1) > 0).mean()
    assert row["P@1"] == pytest.approx(has_labels)
    assert row["PSP@1"] == pytest.approx(1.0) and row["PSP@5"] == pytest.approx(1.0)
    assert row["R@5"] == pytest.approx(has_labels)  # no document has more than 5 labels


def test_popular_labels_row_counts_documents_holding_the_top_label(tiny_world):
    row = demo.popular_labels_row(tiny_world, SMOKE)
    top = int(np.argmax(tiny_world.label_frequency()))
    expected = (tiny_world.test_y[:, top].toarray().ravel() > 0).mean()
    assert row["P@1"] == pytest.approx(expected)
    assert row["PSP@1"] < row["P@1"]  # the head label is the least rewarded hit


def test_extra_methods_become_rows(tiny_world):
    rows = demo.demo_rows(tiny_world, SMOKE, methods={
        "popular": demo.popular_labels_row,
        "oracle": lambda ds, prof, enc: demo.encoder_row(ds, prof, OracleEncoder(ds))})
    text = demo.format_demo(rows, tiny_world, encoder_name="x", wall_time=1.0)
    lines = text.splitlines()
    assert [l.split()[0] for l in lines if l.startswith(("popular", "oracle"))] == ["popular", "oracle"]
    assert all(c in text for c in demo.DEMO_COLUMNS) and "wall time: 1.0 s" in text


def test_command_line_prints_the_table(tiny_world, tmp_path, capsys, monkeypatch):
    from ramen_edu.cli import main

    # the rows themselves are tested above; here only the command's plumbing and printout
    monkeypatch.setattr(demo, "METHODS", {"popular labels (no text)": demo.popular_labels_row,
                                          "untrained encoder": demo.encoder_row})
    write_xc_dataset(tiny_world, tmp_path / "tiny")
    assert main(["demo", "--data", str(tmp_path / "tiny"), "--tiny-encoder", "--profile", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "tiny-world: 300 train / 100 test documents, 60 labels, 5 filter pairs" in out
    header = next(l for l in out.splitlines() if l.startswith("method"))
    assert header.split()[1:] == list(demo.DEMO_COLUMNS)
    assert "untrained encoder" in out and "wall time:" in out


def test_command_line_rejects_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such dataset folder"):
        demo.cli_main(["--data", str(tmp_path / "nope"), "--tiny-encoder"])
