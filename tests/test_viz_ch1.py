"""Chapter 1's figures: the right traces, log axes, and a small page for large label sets."""
from __future__ import annotations

import numpy as np

from ramen_edu import viz
from ramen_edu.metrics import label_quantiles, propensities


def test_rank_frequency_is_log_log_decreasing_and_downsampled():
    freq = np.random.default_rng(0).zipf(1.3, 50_000)
    fig = viz.label_frequency_figure({"a": freq, "b": freq[:100]})
    assert [t.name for t in fig.data] == ["a", "b"]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    x, y = np.asarray(fig.data[0].x), np.asarray(fig.data[0].y)
    assert len(x) < 0.2 * len(freq)  # downsampled
    assert x[0] == 1 and x[-1] == len(freq) and y[0] == freq.max() and y[-1] == freq.min()
    assert (np.diff(y) <= 0).all() and (np.diff(x) > 0).all()


def test_zero_frequencies_are_left_out_of_the_log_plot():
    fig = viz.label_frequency_figure(np.array([5, 0, 3, 0, 1]))
    assert list(fig.data[0].y) == [5, 3, 1]


def test_quantile_figure_counts_labels_and_volume():
    freq = np.array([100, 50, 20, 10, 5, 5, 3, 2, 1, 1, 0])
    bins = label_quantiles(freq)
    fig = viz.quantile_figure(freq, bins)
    labels, volume = fig.data
    assert list(labels.x) == list(viz.QUANTILE_NAMES)
    assert sum(labels.y) == len(freq) and sum(volume.y) == freq.sum()


def test_metric_figures_show_percent():
    rows = {"m": {"P@1": 0.25, "P@5": 0.1, "PSP@1": 0.05, "PSP@5": 0.02}}
    fig = viz.metrics_figure(rows)
    assert list(fig.data[0].y) == [25.0, 10.0, 5.0, 2.0]
    per_bin = {"m": {b: {"P@5": b / 10} for b in range(5)}}
    assert list(viz.quantile_metrics_figure(per_bin).data[0].y) == [0.0, 10.0, 20.0, 30.0, 40.0]


def test_propensity_figure_one_point_per_frequency():
    freq = np.array([0, 1, 1, 5, 5, 5, 40])
    p = propensities(freq, n_train=100)
    fig = viz.propensity_figure(freq, p)
    assert list(fig.data[0].x) == [1, 2, 6, 41]
    assert np.allclose(np.asarray(fig.data[1].y) * np.asarray(fig.data[0].y), 1.0)
