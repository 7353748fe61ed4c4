"""ramen_edu.experiments.comparison: hand-checked numbers for the seed spread and the paired interval, input
validation, the markdown table, and per-document scores that average to ``evaluate``'s values."""
from __future__ import annotations

import math

import numpy as np
import pytest

from ramen_edu.experiments.comparison import compare_methods, format_comparison, per_document_scores


def hand_runs():
    # 4 test documents, 2 seeds each.
    # baseline B: seed aggregates 0.5 and 0.75 -> mean 0.625, std (ddof 1) 0.25/√2
    # method A:   seed aggregates 0.75 and 1.0 -> mean 0.875, std 0.25/√2
    # seed-mean per document: A [1, 1, .5, 1], B [0, 1, .5, 1] -> d = [1, 0, 0, 0]
    # mean(d) = 0.25; sd(d) (ddof 1) = sqrt((.75² + 3·.25²)/3) = 0.5; half-width 1.96·0.5/√4 = 0.49
    return {
        "B": [{"P@1": np.array([0., 1, 0, 1])}, {"P@1": np.array([0., 1, 1, 1])}],
        "A": [{"P@1": np.array([1., 1, 0, 1])}, {"P@1": np.array([1., 1, 1, 1])}],
    }


def test_hand_checked_numbers():
    r = compare_methods(hand_runs(), baseline="B", metrics=["P@1"])
    assert r["baseline"] == "B" and r["n_docs"] == 4 and r["metrics"] == ["P@1"]
    a = r["methods"]["A"]["metrics"]["P@1"]
    assert r["methods"]["A"]["n_seeds"] == 2
    assert a["per_seed"] == [0.75, 1.0]
    assert a["mean"] == pytest.approx(0.875) and a["std"] == pytest.approx(0.25 / math.sqrt(2))
    assert a["delta"]["mean"] == pytest.approx(0.25)
    assert a["delta"]["half_width"] == pytest.approx(0.49)
    assert (a["delta"]["low"], a["delta"]["high"]) == pytest.approx((-0.24, 0.74))
    assert a["delta"]["excludes_zero"] is False and a["delta"]["n_docs"] == 4
    # seed-level: seed j minus seed j = [0.25, 0.25]
    sd = a["seed_delta"]
    assert (sd["mean"], sd["std"], sd["n_pairs"]) == (pytest.approx(0.25), pytest.approx(0.0), 2)
    assert sd["half_width"] == pytest.approx(0.0) and sd["excludes_zero"]
    # every seed gained 0.25, but over these 4 documents the paired interval includes 0
    assert a["verdict"] == {"verdict": "unclear", "reason": "the document interval includes 0"}
    b = r["methods"]["B"]["metrics"]["P@1"]
    assert b["mean"] == pytest.approx(0.625)
    # the baseline against itself: exactly 0, an interval of width 0 that excludes nothing
    assert b["delta"]["mean"] == 0.0 and b["delta"]["half_width"] == 0.0
    assert b["delta"]["excludes_zero"] is False
    assert b["seed_delta"]["mean"] == 0.0 and b["seed_delta"]["std"] == 0.0


def test_a_clear_difference_excludes_zero():
    rng = np.random.default_rng(0)
    base = rng.random((3, 400))
    better = base + 0.1 + 0.01 * rng.standard_normal((3, 400))  # same documents, shifted up
    r = compare_methods({"base": list(base), "better": list(better)}, "base", metrics=None)
    d = r["methods"]["better"]["metrics"]["value"]["delta"]
    assert d["mean"] == pytest.approx(0.1, abs=0.005) and d["excludes_zero"]
    assert d["half_width"] == pytest.approx(1.96 * np.std(better.mean(0) - base.mean(0), ddof=1) / 20)


def test_different_seed_counts_and_input_forms():
    runs = hand_runs()
    runs["C"] = [{"P@1": np.array([1., 1, 1, 1])}]  # one seed only
    r = compare_methods(runs, "B", metrics="P@1")
    c = r["methods"]["C"]["metrics"]["P@1"]
    assert r["methods"]["C"]["n_seeds"] == 1
    assert c["mean"] == 1.0 and math.isnan(c["std"])  # no spread from one seed
    assert c["seed_delta"] is None  # seed counts differ: nothing to pair by seed index
    # doc means C [1,1,1,1] - B [0,1,.5,1] = [1, 0, .5, 0] -> mean 0.375
    assert c["delta"]["mean"] == pytest.approx(0.375)
    # bare arrays, a (seeds × docs) array and a single dict describe the same runs
    same = compare_methods({"B": np.array([[0., 1, 0, 1], [0., 1, 1, 1]]),
                            "A": [np.array([1., 1, 0, 1]), np.array([1., 1, 1, 1])]}, "B", metrics=["P@1"])
    assert same["methods"]["A"]["metrics"]["P@1"]["delta"]["mean"] == pytest.approx(0.25)
    one = compare_methods({"B": {"P@1": np.zeros(4)}, "A": {"P@1": np.ones(4)}}, "B", metrics=None)
    assert one["metrics"] == ["P@1"] and one["methods"]["A"]["metrics"]["P@1"]["delta"]["mean"] == 1.0


def test_documents_skipped_everywhere_are_left_out():
    nan = float("nan")
    r = compare_methods({"B": [np.array([0., nan, 1])], "A": [np.array([1., nan, 1])]}, "B", metrics=None)
    d = r["methods"]["A"]["metrics"]["value"]
    assert d["mean"] == 1.0 and d["delta"]["n_docs"] == 2 and d["delta"]["mean"] == 0.5
    with pytest.raises(ValueError, match="NaN where other runs have values"):
        compare_methods({"B": [np.array([0., nan, 1])], "A": [np.array([1., 0, 1])]}, "B", metrics=None)


def test_validation_names_the_method_and_the_fix():
    runs = hand_runs()
    runs["short"] = [{"P@1": np.ones(3)}]
    with pytest.raises(ValueError, match=r"method 'short'.*3 documents.*same\s+test documents"):
        compare_methods(runs, "B", metrics=["P@1"])
    with pytest.raises(ValueError, match="baseline 'X' is not among"):
        compare_methods(hand_runs(), "X", metrics=["P@1"])
    with pytest.raises(ValueError, match=r"method 'B', seed 0 has no 'PSP@1'"):
        compare_methods(hand_runs(), "B", metrics=["P@1", "PSP@1"])
    with pytest.raises(ValueError, match="has no seeds"):
        compare_methods({"B": []}, "B")
    with pytest.raises(ValueError, match="bare array is one metric"):
        compare_methods({"B": [np.ones(4)]}, "B", metrics=["P@1", "P@5"])
    with pytest.raises(ValueError, match="vector"):
        compare_methods({"B": [{"P@1": np.ones((2, 2))}]}, "B", metrics=["P@1"])


def test_markdown_table():
    r = compare_methods(hand_runs(), "B", metrics=["P@1"])
    table = format_comparison(r, delta_metrics=["P@1"], extra={"A": {"λ": "0.3"}})
    lines = table.splitlines()
    assert len(lines) == 4 and all(l.startswith("| ") and l.endswith(" |") for l in lines[::2])
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head == ["method", "seeds", "P@1", "Δ P@1 vs B, documents", "Δ P@1, seeds",
                    "P@1 verdict", "λ"]
    b = [c.strip() for c in lines[2].strip("|").split("|")]
    a = [c.strip() for c in lines[3].strip("|").split("|")]
    assert b == ["B", "2", "62.50 ± 17.68", "–", "–", "–", "–"]
    assert a == ["A", "2", "87.50 ± 17.68", "+25.00 ± 49.00", "+25.00 ± 0.00 *", "unclear", "0.3"]
    # an interval that excludes 0 is starred
    r2 = compare_methods({"B": [np.zeros(4), np.zeros(4)], "A": [np.array([1., 1, 1, .9])] * 2}, "B", None)
    assert "+97.50 ± 4.90 *" in format_comparison(r2).splitlines()[3]
    with pytest.raises(ValueError, match="were not compared"):
        format_comparison(r, metrics=["P@5"])


def test_per_document_scores_average_to_evaluate(tiny_world, tiny_encoder):
    from ramen_edu.training import RamenModel

    model = RamenModel(tiny_encoder, tiny_world.label_texts)
    per = per_document_scores(model, tiny_world)
    agg = model.evaluate(tiny_world)
    assert list(per) == list(agg)
    for name, value in agg.items():
        assert per[name].shape == (tiny_world.n_test,) and per[name].dtype == np.float64
        assert per[name].mean() == value, name  # exactly: evaluate averages the same vector
    sub = per_document_scores(model, tiny_world, docs=np.arange(10, 40), ks=(1, 5), k=20)
    sub_agg = model.evaluate(tiny_world, docs=np.arange(10, 40), ks=(1, 5), k=20)
    assert {m: float(v.mean()) for m, v in sub.items()} == sub_agg


def test_book_result_finds_committed_results_and_names_the_fix():
    import ramen_edu

    assert ramen_edu.book_result("bandit_inbatch_reward_cpu.json").is_file()
    with pytest.raises(FileNotFoundError, match=r"no-such-result.json not found.*git clone"):
        ramen_edu.book_result("no-such-result.json")


def test_format_comparison_html_has_one_row_per_method():
    per_doc = {"A": [np.array([1.0, 0.0, 1.0])], "B": [np.array([0.0, 0.0, 1.0])]}
    res = compare_methods(per_doc, "B", metrics=("P@1",))
    html = format_comparison(res, ("P@1",), ("P@1",), html=True)
    assert html.startswith("<table") and html.count("<tr>") == 3
    # "±" joined to its numbers by no-break spaces; the numeric cells right-aligned on one line
    assert "Δ P@1 vs B" in html and "+33.33\u00a0±\u00a0" in html
    assert '<td style="text-align:right;white-space:nowrap">+33.33' in html


def test_seed_interval_is_students_t():
    from ramen_edu.experiments.comparison import seed_interval

    # the ablation's per-seed P@1 gains of issue 19: every seed gained, the interval still holds 0
    s = seed_interval([0.0154, 0.0183, 0.0018])
    assert s["mean"] == pytest.approx(0.011833, abs=1e-6)
    sd = np.std([0.0154, 0.0183, 0.0018], ddof=1)
    assert s["half_width"] == pytest.approx(4.302653 * sd / math.sqrt(3), rel=1e-6)
    assert not s["excludes_zero"]
    one = seed_interval([0.02])
    assert math.isnan(one["half_width"]) and not one["excludes_zero"]


@pytest.mark.parametrize("doc, seeds, want", [
    ((0.02, 0.01), (0.02, 0.005), ("better", "both intervals exclude 0")),
    ((-0.02, 0.01), (-0.02, 0.005), ("worse", "both intervals exclude 0")),
    ((0.02, 0.01), (0.02, 0.05), ("unclear", "the seed interval includes 0")),
    ((0.005, 0.01), (0.02, 0.005), ("unclear", "the document interval includes 0")),
    ((0.005, 0.01), (0.01, 0.05), ("unclear", "both intervals include 0")),
    ((0.02, 0.01), (-0.02, 0.005), ("unclear", "the intervals point to opposite sides")),
])
def test_verdict_needs_both_intervals(doc, seeds, want):
    from ramen_edu.experiments.comparison import verdict

    def interval(mean, hw):
        return {"mean": mean, "half_width": hw, "excludes_zero": abs(mean) > hw}

    got = verdict({"delta": interval(*doc), "seed_delta": interval(*seeds)})
    assert (got["verdict"], got["reason"]) == want
    assert verdict({"delta": interval(*doc), "seed_delta": None})["verdict"] == "unclear"


def test_tables_of_older_summaries_get_their_seed_interval_and_verdict():
    """A summary written before seed intervals were stored (seed_delta = mean, std, n_pairs)
    still prints both intervals and the verdict."""
    r = compare_methods({"B": [np.zeros(4), np.zeros(4), np.zeros(4)],
                         "A": [np.array([1., 1, 1, .9])] * 3}, "B", ["P@1"])
    old = r["methods"]["A"]["metrics"]["P@1"]
    old["seed_delta"] = {k: old["seed_delta"][k] for k in ("mean", "std", "n_pairs")}
    del old["verdict"]
    row = format_comparison(r).splitlines()[3]
    assert "+97.50 ± 4.90 *" in row and "+97.50 ± 0.00 *" in row and "better" in row
