"""Tests for ramen_edu.metrics: hand-computed cases, invariants, edge cases, and agreement of the
vectorised code with a plain per-document loop written here."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

import ramen_edu
from ramen_edu import metrics as M

L2 = math.log2


# ---------------------------------------------------------------------------------------------
# a hand-made case: 4 documents, 5 labels
# ---------------------------------------------------------------------------------------------
def hand_case():
    # doc 0: scores {0: .9, 2: .8, 4: .1}, truth {2, 3}   -> ranking [0, 2, 4], hit at rank 2
    # doc 1: scores {1: .7, 3: .7, 0: .2}, truth {3}      -> tie 1 vs 3: lower id first,
    #                                                        ranking [1, 3, 0], hit at rank 2
    # doc 2: scores {4: .5},               truth {1, 4}   -> ranking [4], hit at rank 1
    # doc 3: scores {0: 1.},               truth {}       -> no labels
    rows = [0, 0, 0, 1, 1, 1, 2, 3]
    cols = [0, 2, 4, 1, 3, 0, 4, 0]
    vals = [.9, .8, .1, .7, .7, .2, .5, 1.]
    pred = sp.csr_matrix((vals, (rows, cols)), shape=(4, 5))
    true = sp.csr_matrix((np.ones(5), ([0, 0, 1, 2, 2], [2, 3, 3, 1, 4])), shape=(4, 5))
    return pred, true


def test_hand_case_precision_ndcg_recall_fn():
    pred, true = hand_case()
    # P@1: only doc 2 hits at rank 1 -> 1/4 (count) or 1/3 (skip the label-less doc 3)
    # P@3: docs 0, 1, 2 each have one hit in their top 3 -> (1/3 · 3)/4 and (1/3 · 3)/3
    # P@5: one hit each, divided by k = 5 even where fewer predictions exist -> (3/5)/4, (3/5)/3
    assert M.precision_at_k(pred, true) == pytest.approx({1: 1 / 4, 3: 1 / 4, 5: 3 / 20})
    assert M.precision_at_k(pred, true, empty="skip") == pytest.approx({1: 1 / 3, 3: 1 / 3, 5: 1 / 5})
    # nDCG@3: doc 0 hit at rank 2, |y| = 2: (1/log2 3) / (1 + 1/log2 3)
    #         doc 1 hit at rank 2, |y| = 1: (1/log2 3) / 1
    #         doc 2 hit at rank 1, |y| = 2: 1 / (1 + 1/log2 3);   doc 3: 0
    d0 = (1 / L2(3)) / (1 + 1 / L2(3))
    d1 = 1 / L2(3)
    d2 = 1 / (1 + 1 / L2(3))
    got = M.ndcg_at_k(pred, true, ks=(1, 3))
    assert got[1] == pytest.approx(1 / 4)  # nDCG@1 = P@1 per document
    assert got[3] == pytest.approx((d0 + d1 + d2 + 0) / 4)
    assert M.ndcg_at_k(pred, true, ks=3, empty="skip")[3] == pytest.approx((d0 + d1 + d2) / 3)
    # R@1: doc 2 finds 1 of its 2 labels -> (1/2)/4;  R@3: 1/2, 1, 1/2, 0 -> 2/4
    assert M.recall_at_k(pred, true, ks=(1, 3)) == pytest.approx({1: 0.5 / 4, 3: 2 / 4})
    # FN@3 = 1 - found/|y|: 1/2, 0, 1/2 and 0 for the label-less doc 3 -> 1/4 (count), 1/3 (skip)
    assert M.fn_at_k(pred, true, ks=3)[3] == pytest.approx(1 / 4)
    assert M.fn_at_k(pred, true, ks=3, empty="skip")[3] == pytest.approx(1 / 3)


def test_hand_case_psp_psndcg():
    pred, true = hand_case()
    p = np.array([0.5, 0.25, 0.5, 0.2, 1.0])  # weights 1/p = [2, 4, 2, 5, 1]
    # PSP@1: numerators 0, 0, 1 (doc 2 hits label 4, w 1), 0
    #        ideals: doc 0 best of {w2, w5} = 5, doc 1 = 5, doc 2 best of {4, 1} = 4, doc 3 = 0
    #        pyxclib: ratio of sums = 1 / 14
    # PSP@3: numerators (×3): 2 (label 2), 5 (label 3), 1 (label 4) -> 8
    #        ideals (×3): 5+2, 5, 4+1 -> 17  -> 8/17
    assert M.psp_at_k(pred, true, p, ks=(1, 3)) == pytest.approx({1: 1 / 14, 3: 8 / 17})
    # same under "skip": doc 3 adds 0 to both sums
    assert M.psp_at_k(pred, true, p, ks=(1, 3), empty="skip") == pytest.approx({1: 1 / 14, 3: 8 / 17})
    # "document": mean of per-document ratios 2/7, 5/5, 1/5, 0
    assert M.psp_at_k(pred, true, p, ks=3, normalize="document")[3] == pytest.approx(
        (2 / 7 + 1 + 1 / 5 + 0) / 4)
    # "none": the paper's raw formula, mean of (1/3)Σ w·hit = (8/3)/4
    assert M.psp_at_k(pred, true, p, ks=3, normalize="none")[3] == pytest.approx(8 / 3 / 4)
    # PSnDCG@3, each term divided by the binary ideal DCG of its document:
    g = 1 / L2(3)
    num = [2 * g / (1 + g), 5 * g / 1, 1 / (1 + g), 0]
    ideal = [(5 + 2 * g) / (1 + g), 5 / 1, (4 + 1 * g) / (1 + g), 0]
    assert M.psndcg_at_k(pred, true, p, ks=3)[3] == pytest.approx(sum(num) / sum(ideal))


def test_propensities_formula_and_sources():
    # N = 100 training documents, label 0 seen 10 times, label 1 never, A = .55, B = 1.5
    c = (math.log(100) - 1) * 2.5 ** 0.55
    want = [1 / (1 + c * 11.5 ** -0.55), 1 / (1 + c * 1.5 ** -0.55)]
    got = M.propensities(np.array([10, 0]), 0.55, 1.5, n_train=100)
    assert got == pytest.approx(want)
    assert got[0] > got[1]  # frequent labels are more likely to be observed
    train_y = sp.csr_matrix((np.ones(10), (np.arange(10), np.zeros(10, int))), shape=(100, 2))
    assert M.propensities(train_y, 0.55, 1.5) == pytest.approx(want)
    a, b = M.PROPENSITY_CONSTANTS["amazon"]
    assert (a, b) == (0.6, 2.6)
    with pytest.raises(ValueError, match="n_train"):
        M.propensities(np.array([10, 0]))
    with pytest.raises(ValueError, match="N ≥ 3"):
        M.propensities(np.array([1, 0]), n_train=2)


def test_ties_lower_label_first_for_every_input_form():
    # label 0 is stored with score 0.0: a stored zero is a prediction too (ranked last here)
    pred = sp.csr_matrix(([0.0, 0.3, 0.5, 0.3, 0.5], [0, 1, 2, 3, 4], [0, 5]), shape=(1, 5))
    assert M.top_k_ids(pred, 5).tolist() == [[2, 4, 1, 3, 0]]
    ids = np.array([[4, 3, 2, 1, -1, 0]])
    scores = np.array([[0.5, 0.3, 0.5, 0.3, 9.9, 0.0]])  # the padded slot's score is ignored
    assert M.top_k_ids((ids, scores), 6).tolist() == [[2, 4, 1, 3, 0, -1]]
    # ids alone are taken as ranked; padding moves to the end
    assert M.top_k_ids(np.array([[3, -1, 1]]), 4).tolist() == [[3, 1, -1, -1]]


def test_perfect_ranking_invariants():
    rng = np.random.default_rng(0)
    n, L = 200, 60
    true = sp.random(n, L, density=0.08, random_state=1, format="csr")
    true.data[:] = 1
    n_true = np.diff(true.indptr)
    prop = M.propensities(rng.integers(0, 50, L), n_train=500)
    # score = 1/p on the true labels: a ranking that is perfect for P, nDCG and the PS metrics
    pred = true.multiply(1 / prop[None, :]).tocsr()
    res = M.all_metrics(pred, true, ks=(1, 3, 5, 50))
    ps = M.psp_at_k(pred, true, prop, ks=(1, 3, 5, 50))
    psn = M.psndcg_at_k(pred, true, prop, ks=(1, 3, 5, 50))
    has = n_true > 0
    for k in (1, 3, 5, 50):
        assert res[f"P@{k}"] == pytest.approx(np.mean(np.minimum(n_true, k) / k))
        assert res[f"nDCG@{k}"] == pytest.approx(np.mean(has))
        assert M.ndcg_at_k(pred, true, ks=k, empty="skip")[k] == pytest.approx(1.0)
        assert ps[k] == pytest.approx(1.0) and psn[k] == pytest.approx(1.0)
        recall = np.divide(np.minimum(n_true, k), n_true, out=np.zeros(n), where=has)
        assert res[f"R@{k}"] == pytest.approx(recall.mean())
        assert res[f"FN@{k}"] == pytest.approx(np.mean(has) - recall.mean())
    # k = 50 exceeds every document's label count: recall is complete
    assert M.recall_at_k(pred, true, ks=50, empty="skip")[50] == pytest.approx(1.0)
    # documents with at least k labels get P@k = 1 when ranked perfectly
    big = sp.csr_matrix(np.ones((3, 4)))
    assert M.precision_at_k(big, big, ks=(1, 3))[3] == pytest.approx(1.0)


def test_k_beyond_predictions_and_labels_counts_misses():
    # one document, truth {0, 1, 2}, only two predictions [0 (hit), 7 (miss)]
    true = sp.csr_matrix((np.ones(3), ([0, 0, 0], [0, 1, 2])), shape=(1, 8))
    ids = np.array([[0, 7]])
    res = M.all_metrics(ids, true, ks=(1, 5, 10))
    assert res["P@5"] == pytest.approx(1 / 5) and res["P@10"] == pytest.approx(1 / 10)
    assert res["R@10"] == pytest.approx(1 / 3) and res["FN@10"] == pytest.approx(2 / 3)
    # nDCG@10: one hit at rank 1 over the ideal of min(10, 3) = 3 hits
    assert res["nDCG@10"] == pytest.approx(1 / (1 + 1 / L2(3) + 1 / L2(4)))
    # rows with no prediction at all
    empty_pred = sp.csr_matrix((1, 8))
    assert M.precision_at_k(empty_pred, true, ks=3)[3] == 0.0


def test_documents_without_labels_both_modes():
    pred, true = hand_case()
    prop = np.full(5, 0.5)
    count = M.all_metrics(pred, true, ks=(1, 3))
    skip = M.all_metrics(pred, true, ks=(1, 3), empty="skip")
    # three of four documents have labels: averages over them are 4/3 of the counted ones
    for key in ("P@1", "P@3", "nDCG@3", "R@3", "FN@3"):
        assert skip[key] == pytest.approx(count[key] * 4 / 3)
    assert M.psp_at_k(pred, true, prop, empty="skip") == pytest.approx(M.psp_at_k(pred, true, prop))
    nobody = sp.csr_matrix((4, 5))
    assert M.precision_at_k(pred, nobody)[1] == 0.0
    assert math.isnan(M.precision_at_k(pred, nobody, empty="skip")[1])
    assert math.isnan(M.psp_at_k(pred, nobody, prop)[1])  # 0/0: no ideal to compare with


def test_filter_removes_pairs_before_ranking():
    pred, true = hand_case()
    # doc 0's top prediction, label 0, is excluded: label 2 (a hit) moves to rank 1
    pairs = np.array([[0, 0], [3, 0]])
    filtered = M.filter_predictions(pred, pairs)
    assert filtered.nnz == pred.nnz - 2
    assert M.top_k_ids(filtered, 3)[0].tolist() == [2, 4, -1]
    assert M.precision_at_k(pred, true, ks=1, filter=pairs)[1] == pytest.approx(2 / 4)
    as_matrix = sp.csr_matrix((np.ones(2), (pairs[:, 0], pairs[:, 1])), shape=(4, 5))
    assert M.all_metrics(pred, true, filter=as_matrix) == pytest.approx(M.all_metrics(filtered, true))
    # the (ids, scores) form: the pair becomes -1 and no longer counts
    ids, scores = np.array([[0, 2, 4]]), np.array([[0.9, 0.8, 0.1]])
    f_ids, _ = M.filter_predictions((ids, scores), np.array([[0, 0]]), n_labels=5)
    assert f_ids.tolist() == [[-1, 2, 4]]
    assert M.top_k_ids((f_ids, scores), 2).tolist() == [[2, 4]]
    with pytest.raises(ValueError, match="outside"):
        M.filter_predictions(pred, np.array([[9, 0]]))


def _split_ties(freq, bins) -> list:
    """The counts whose labels sit in more than one bin (empty for a tie-aware binning)."""
    return [c for c in np.unique(freq) if len(np.unique(bins[freq == c])) > 1]


def test_label_quantiles_equal_volume():
    rng = np.random.default_rng(3)
    freq = np.floor(2000 / np.arange(1, 5001) ** 1.1 * rng.uniform(0.5, 1.5, 5000)).astype(int)
    freq[rng.choice(5000, 300, replace=False)] = 0  # labels never seen in training
    bins = M.label_quantiles(freq, n_bins=5)
    assert bins.shape == freq.shape and set(np.unique(bins)) == {0, 1, 2, 3, 4}
    vol = np.bincount(bins, weights=freq, minlength=5)
    assert vol.sum() == freq.sum()
    # a bin misses V/5 by at most the volume of one run of equal counts
    counts, n_labels = np.unique(freq, return_counts=True)
    assert np.all(np.abs(vol - freq.sum() / 5) <= (counts * n_labels).max())
    # bin 0 is the tail: every label of a lower bin is strictly rarer than any of a higher one
    for b in range(4):
        assert freq[bins == b].max() < freq[bins == b + 1].min()
    assert np.all(bins[freq == 0] == 0)
    assert _split_ties(freq, bins) == []
    sizes = np.bincount(bins)
    assert np.all(np.diff(sizes) < 0)  # many tail labels, few head labels
    with pytest.raises(ValueError, match="sums to 0"):
        M.label_quantiles(np.zeros(4))


def test_label_quantiles_keep_ties_together():
    # a long tail with heavy ties, shaped like the Wikipedia benchmark: the 2-document labels
    # alone hold almost half of the volume, more than two bins' worth
    freq = np.concatenate([np.zeros(20, int), np.full(160, 1), np.full(360, 2), np.full(80, 3),
                           np.full(20, 4), np.full(14, 5), np.arange(6, 30), [120, 200]])
    freq = np.random.default_rng(0).permutation(freq)  # label ids carry no order
    bins = M.label_quantiles(freq, n_bins=5)
    assert _split_ties(freq, bins) == []  # 2-document labels (and every other count) share a bin
    assert len(np.unique(bins[freq == 2])) == 1
    assert np.all(np.diff(bins[np.argsort(freq, kind="stable")]) >= 0)  # monotone in count
    assert set(np.unique(bins)) == {0, 1, 2, 3, 4}  # ≥ 5 distinct counts: no bin is left empty
    assert set(bins[freq <= 1]) == {0}  # never-seen labels join the rarest seen ones, in the tail
    # the volumes are as even as whole runs of equal counts allow: each bin is one of the
    # contiguous splits, and none of them beats it in squared error
    vol = np.bincount(bins, weights=freq, minlength=5)
    target = freq.sum() / 5
    counts, n_labels = np.unique(freq[freq > 0], return_counts=True)
    run = counts * n_labels
    best = min(sum((v - target) ** 2 for v in np.add.reduceat(run, (0, *cut)))
               for cut in itertools.combinations(range(1, len(run)), 4))
    assert np.sum((vol - target) ** 2) == pytest.approx(best)
    # the old rule (label by label in frequency order, ties broken by label id, cut where the
    # running volume crosses k·V/5) splits the 2-document labels across bins: the test catches it
    order = np.argsort(-freq, kind="stable")
    start = np.concatenate(([0.0], np.cumsum(freq[order])[:-1]))
    old = np.empty_like(bins)
    old[order] = 4 - np.minimum((start * 5 / freq.sum()).astype(int), 4)
    assert 2 in _split_ties(freq, old)


def test_label_quantiles_few_distinct_counts():
    freq = np.array([3, 1, 1, 3, 0, 1])  # two distinct positive counts, three bins
    bins = M.label_quantiles(freq, n_bins=3)
    assert _split_ties(freq, bins) == []
    assert bins.tolist() == [2, 0, 0, 2, 0, 0]  # tail and head filled, the empty bin between them
    assert M.label_quantiles(freq, n_bins=1).tolist() == [0] * 6


def test_quantile_metrics_modes():
    rng = np.random.default_rng(5)
    n, L = 300, 40
    true = sp.random(n, L, density=0.1, random_state=2, format="csr")
    true.data[:] = 1
    pred = sp.random(n, L, density=0.3, random_state=3, format="csr")
    pred.data = np.round(pred.data, 1)  # ties
    bins = M.label_quantiles(rng.integers(0, 30, L), n_bins=3)
    overall = M.all_metrics(pred, true)
    contrib = M.quantile_metrics(pred, true, bins, mode="contribution")
    for k in (1, 3, 5):  # the bins' contributions add up to the overall P@k
        assert sum(r[f"P@{k}"] for r in contrib.values()) == pytest.approx(overall[f"P@{k}"])
    restrict = M.quantile_metrics(pred, true, bins, empty="skip")
    def only(x, b):  # keep the stored entries of bin b's labels (stored 0.0 scores included)
        c = x.tocoo()
        m = bins[c.col] == b
        return sp.csr_matrix((c.data[m], (c.row[m], c.col[m])), shape=x.shape)

    for b, res in restrict.items():
        want = M.all_metrics(only(pred, b), only(true, b), empty="skip")
        assert res == pytest.approx(want, nan_ok=True)


# ---------------------------------------------------------------------------------------------
# vectorised code vs a plain per-document loop
# ---------------------------------------------------------------------------------------------
def loop_metrics(pred: sp.csr_matrix, true: sp.csr_matrix, weight, ks, empty):
    pred, true = pred.tocsr(), true.tocsr()
    per = {f"{m}@{k}": [] for m in ("P", "nDCG", "R", "FN") for k in ks}
    ps_num = {k: [] for k in ks}; ps_ideal = {k: [] for k in ks}
    psn_num = {k: [] for k in ks}; psn_ideal = {k: [] for k in ks}
    for i in range(pred.shape[0]):
        lo, hi = pred.indptr[i], pred.indptr[i + 1]
        entries = sorted(zip(pred.indices[lo:hi], pred.data[lo:hi]), key=lambda t: (-t[1], t[0]))
        ranking = [int(lab) for lab, _ in entries]
        y = set(true.indices[true.indptr[i]:true.indptr[i + 1]][true.data[true.indptr[i]:true.indptr[i + 1]] != 0].tolist())
        if empty == "skip" and not y:
            continue
        best_w = sorted((weight[lab] for lab in y), reverse=True)
        for k in ks:
            top = ranking[:k]
            hits = [lab in y for lab in top]
            idcg = sum(1 / math.log2(r + 2) for r in range(min(k, len(y))))
            dcg = sum(1 / math.log2(r + 2) for r, h in enumerate(hits) if h)
            per[f"P@{k}"].append(sum(hits) / k)
            per[f"nDCG@{k}"].append(dcg / idcg if idcg else 0.0)
            per[f"R@{k}"].append(sum(hits) / len(y) if y else 0.0)
            per[f"FN@{k}"].append(1 - sum(hits) / len(y) if y else 0.0)
            ps_num[k].append(sum(weight[lab] for lab, h in zip(top, hits) if h) / k)
            ps_ideal[k].append(sum(best_w[:k]) / k)
            norm = idcg if idcg else 1.0
            psn_num[k].append(sum(weight[lab] / math.log2(r + 2)
                                  for r, (lab, h) in enumerate(zip(top, hits)) if h) / norm)
            psn_ideal[k].append(sum(w / math.log2(r + 2) for r, w in enumerate(best_w[:k])) / norm)
    out = {key: float(np.mean(v)) for key, v in per.items()}
    for k in ks:
        out[f"PSP@{k}"] = sum(ps_num[k]) / sum(ps_ideal[k])
        out[f"PSnDCG@{k}"] = sum(psn_num[k]) / sum(psn_ideal[k])
    return out


def random_problem(seed, n=150, L=80, ragged=False):
    rng = np.random.default_rng(seed)
    true = sp.random(n, L, density=0.05, random_state=rng, format="csr")
    true.data[:] = 1
    keep_rows = np.ones(n)
    keep_rows[rng.choice(n, n // 10, replace=False)] = 0  # documents without labels
    true = sp.csr_matrix(sp.diags(keep_rows) @ true)
    true.eliminate_zeros()
    counts = rng.integers(0, 12, n)
    if ragged:
        counts[0] = L  # one long row takes the global-sort path
    rows = np.repeat(np.arange(n), counts)
    cols = np.concatenate([rng.choice(L, c, replace=False) for c in counts])
    # mix in true labels so there are hits, and round scores so there are ties
    scores = np.round(rng.uniform(size=rows.size), 1)
    pred = sp.csr_matrix((scores, (rows, cols)), shape=(n, L))
    pred = pred + sp.csr_matrix(true.multiply(rng.uniform(size=(n, L)) < 0.5)) * 0.5
    pred = sp.csr_matrix(pred)
    pred.data = np.round(pred.data, 1)
    freq = rng.integers(0, 100, L)
    return pred, true, freq


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("empty", ["count", "skip"])
@pytest.mark.parametrize("ks", [(1, 3), (1, 3, 5, 12)])  # (1, 3): rows hold > 4k predictions,
def test_vectorised_agrees_with_loop(seed, empty, ks):   # which takes the partial-sort path
    pred, true, freq = random_problem(seed, ragged=seed % 2 == 1)
    got = M.all_metrics(pred, true, label_frequency=freq, n_train=1000, ks=ks, empty=empty)
    weight = 1 / M.propensities(freq, 0.55, 1.5, n_train=1000)
    want = loop_metrics(pred, true, weight, ks, empty)
    assert set(got) == set(want)
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-6), key
    # the same predictions as padded (ids, scores) arrays give the same numbers
    ids = M.top_k_ids(pred, 20)
    rows = np.arange(ids.shape[0])[:, None]
    scores = np.where(ids >= 0, pred[rows, np.maximum(ids, 0)].toarray(), 0.0)
    perm = np.random.default_rng(seed).permutation(ids.shape[1])  # shuffled columns
    via_arrays = M.all_metrics((ids[:, perm], scores[:, perm]), true, label_frequency=freq,
                            n_train=1000, ks=ks, empty=empty)
    assert via_arrays == pytest.approx(got, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# per-document values (the input of ramen_edu.experiments.comparison)
# ---------------------------------------------------------------------------------------------
def test_per_document_hand_case():
    pred, true = hand_case()
    p = np.array([0.5, 0.25, 0.5, 0.2, 1.0])  # weights 1/p = [2, 4, 2, 5, 1], as above
    per = M.per_document_metrics(pred, true, label_frequency=np.zeros(5), n_train=10, ks=(1, 3))
    # P@1: only doc 2 hits at rank 1; P@3: one hit in each of docs 0-2
    assert per["P@1"].tolist() == [0, 0, 1, 0]
    assert per["P@3"] == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0])
    per = M.per_document_metrics(pred, true, ks=(1, 3), empty="skip")
    assert "PSP@1" not in per  # no propensities given
    assert per["P@1"][:3].tolist() == [0, 0, 1] and np.isnan(per["P@1"][3])
    # PSP@3 (dataset-normalised): numerators ×3 = [2, 5, 1, 0], ideals ×3 sum to 17 over 4
    # documents, so psp_i ÷ mean ideal = [2, 5, 1, 0] · 4/17; their mean is 8/17 (test above)
    from ramen_edu.metrics import _Scored, _rank_csr
    s = _Scored(_rank_csr(sp.csr_matrix(pred), 3), M._as_truth(true), 1 / p)
    assert s.psp_docs(3, "dataset", "count") == pytest.approx(np.array([2, 5, 1, 0]) * 4 / 17)
    assert s.psp_docs(3, "document", "count") == pytest.approx([2 / 7, 1, 1 / 5, 0])
    # under "skip" the divisor averages the 3 documents with labels: [2, 5, 1] · 3/17, mean 8/17
    skip = s.psp_docs(3, "dataset", "skip")
    assert skip[:3] == pytest.approx(np.array([2, 5, 1]) * 3 / 17) and np.isnan(skip[3])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("empty", ["count", "skip"])
@pytest.mark.parametrize("normalize", ["dataset", "document", "none"])
def test_per_document_means_are_all_metrics_exactly(seed, empty, normalize):
    pred, true, freq = random_problem(seed, ragged=seed == 1)
    filt = np.array([[0, 1], [3, 2], [5, 7]])
    kw = dict(label_frequency=freq, n_train=1000, ks=(1, 3, 5), empty=empty, normalize=normalize,
              filter=filt)
    got = M.all_metrics(pred, true, **kw)
    per = M.per_document_metrics(pred, true, **kw)
    assert list(per) == list(got)
    skipped = np.diff(sp.csr_matrix(true).indptr) == 0
    for key, value in got.items():
        v = per[key]
        assert v.shape == (true.shape[0],) and v.dtype == np.float64, key
        assert np.isnan(v).tolist() == (skipped if empty == "skip" else np.zeros_like(skipped)).tolist()
        assert v[~np.isnan(v)].mean() == value, key  # bit for bit, not approximately
    # (that the dataset-normalised mean is the ratio of sums Σ psp_i ÷ Σ ideal_i is checked
    # against the plain loop in test_vectorised_agrees_with_loop)


# ---------------------------------------------------------------------------------------------
# bad input and presentation
# ---------------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    pred, true = hand_case()
    with pytest.raises(ValueError, match="label columns"):
        M.all_metrics(sp.csr_matrix((4, 6)), true)
    with pytest.raises(ValueError, match="documents"):
        M.all_metrics(sp.csr_matrix((3, 5)), true)
    with pytest.raises(ValueError, match="twice"):
        M.all_metrics(np.array([[1, 1, 0], [0, 1, 2], [0, 1, 2], [0, 1, 2]]), true)
    with pytest.raises(ValueError, match="≥ number of labels"):
        M.all_metrics(np.array([[5], [0], [0], [0]]), true)
    with pytest.raises(ValueError, match="positive integers"):
        M.all_metrics(pred, true, ks=(0, 3))
    with pytest.raises(ValueError, match="empty="):
        M.all_metrics(pred, true, empty="drop")
    with pytest.raises(TypeError, match="dense float"):
        M.all_metrics(np.zeros((4, 5)), true)
    with pytest.raises(TypeError, match="scipy.sparse"):
        M.all_metrics(pred, np.zeros((4, 5)))
    nan_pred = pred.copy()
    nan_pred.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        M.all_metrics(nan_pred, true)
    with pytest.raises(ValueError, match="propensities"):
        M.psp_at_k(pred, true, np.zeros(5))


def test_format_table_and_export():
    pred, true = hand_case()
    table = M.format_table({"RAMEN": M.all_metrics(pred, true, ks=(1, 3)),
                            "a longer name": {"P@1": 0.5, "P@3": float("nan")}})
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["method", "P@1", "P@3"]
    assert len({len(line) for line in lines}) == 1  # aligned columns
    assert "25.00" in lines[2] and "50.00" in lines[3] and "–" in lines[3]
    assert ramen_edu.all_metrics is M.all_metrics


def test_the_old_name_evaluate_still_works_and_warns():
    pred, true = hand_case()
    with pytest.warns(DeprecationWarning, match="all_metrics"):
        assert M.evaluate(pred, true, ks=(1, 3)) == M.all_metrics(pred, true, ks=(1, 3))
