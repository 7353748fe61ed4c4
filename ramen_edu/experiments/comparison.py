"""Seeded method comparisons: mean ± std over training seeds and a paired interval over documents.

Every comparison of methods in the book and the notes trains each method with ≥ 3 seeds and
reports two things side by side, both computed by ``compare_methods``:

* **mean ± std over seeds** of each method's aggregate score (how much the *training run* varies:
  initialisation, batch order, the bandit's perturbations);
* **Δ ± half-width, paired over test documents**: for each test document i,
  d_i = (mean over seeds of the method's score on i) − (mean over seeds of the baseline's),
  then mean(d) ± 1.96·sd(d)/√n (a 95 % normal interval; n = number of test documents). Pairing
  removes the document-to-document spread both methods share (easy documents are easy for
  both), so this interval answers "is the difference real on *this* test set?". It does not
  cover run-to-run variation beyond the seeds averaged — read it next to the seed spread.

* **Δ ± half-width over seeds** (when both methods have the same number of seeds): the
  seed-level differences s_j = (method's aggregate on seed j) − (baseline's on seed j), then
  mean(s) ± t_{n−1, 0.975}·sd(s)/√n (Student's t: with 3 seeds t = 4.30, so a gain must be
  large against the seed spread). This interval covers what the document interval does not:
  that another training run could come out differently.

**Verdict** (``verdict``, one rule for the whole book): a difference *holds* only when both
intervals exclude 0 on the same side — ``"better"`` or ``"worse"``; otherwise ``"unclear"``
(with the reason: which interval includes 0). A document interval that excludes 0 beside a seed
interval that does not is the typical case of a gain that one lucky seed carries.

Per-document scores come from ``ramen_edu.metrics.per_document_metrics`` (their mean is exactly
``all_metrics``' value; for PSP the dataset-normalised form) or, for a trained model, from
``per_document_scores(model, dataset)`` here.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from ramen_edu.data.validation import validation_split
from ramen_edu.evaluation import evaluate_retrieval
from ramen_edu.tables import markdown_table

__all__ = ["DEFAULT_METRICS", "Z_95", "compare_methods", "format_comparison", "per_document_scores",
           "seed_interval", "verdict", "with_intervals"]

#: the columns of the book's comparison tables (RAMEN Table 5 reports P@1, P@5, PSP@1, PSP@5)
DEFAULT_METRICS = ("P@1", "P@5", "PSP@1", "PSP@5")
#: two-sided 95 % quantile of the normal distribution: half-width = Z_95 · sd(d) / √n
Z_95 = 1.96
_BARE = "value"  # the metric name given to bare per-document arrays


# --------------------------------------------------------------------------------------------
# input normalisation
# --------------------------------------------------------------------------------------------
def _seed_list(method: str, runs) -> list:
    """A method's runs as a list over seeds (accepts one run, a list of runs, or seeds × docs)."""
    if isinstance(runs, Mapping):
        return [runs]  # one seed given as {metric: array}
    if isinstance(runs, np.ndarray):
        if runs.ndim == 1:
            return [runs]
        if runs.ndim == 2:
            return list(runs)  # seeds × documents
        raise ValueError(f"method {method!r}: a per-document array must be (n_docs,) or "
                         f"(n_seeds, n_docs), got shape {runs.shape}")
    runs = list(runs)
    if not runs:
        raise ValueError(f"method {method!r} has no seeds: give a list with one entry per training "
                         "seed (a {metric: per-document array} dict or an array)")
    return runs


def _as_vector(method: str, seed: int, metric: str, values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"method {method!r}, seed {seed}, {metric}: per-document scores must be a "
                         f"vector (n_docs,), got shape {v.shape}")
    if np.isinf(v).any():
        raise ValueError(f"method {method!r}, seed {seed}, {metric}: infinite per-document score")
    return v


def _collect(per_doc: Mapping, metrics) -> tuple[dict[str, dict[str, np.ndarray]], list[str]]:
    """{method: {metric: float64 (n_seeds, n_docs)}} and the metric names, validated."""
    seeds = {m: _seed_list(m, runs) for m, runs in per_doc.items()}
    bare = {m: any(not isinstance(r, Mapping) for r in rs) for m, rs in seeds.items()}
    if metrics is None:
        if any(bare.values()):
            metrics = [_BARE]
        else:
            # the metrics every run of every method has, in the order of the first run
            first = next(iter(seeds.values()))[0]
            metrics = [k for k in first if all(k in r for rs in seeds.values() for r in rs)]
            if not metrics:
                raise ValueError("the runs share no metric name; pass metrics=[...] explicitly")
    elif isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    out: dict[str, dict[str, np.ndarray]] = {}
    for method, runs in seeds.items():
        cols: dict[str, list[np.ndarray]] = {k: [] for k in metrics}
        for j, run in enumerate(runs):
            if not isinstance(run, Mapping):
                if len(metrics) != 1:
                    raise ValueError(f"method {method!r}, seed {j}: a bare array is one metric, but "
                                     f"metrics={metrics}; give {{metric: array}} dicts instead")
                run = {metrics[0]: run}
            for k in metrics:
                if k not in run:
                    raise ValueError(f"method {method!r}, seed {j} has no {k!r} (it has "
                                     f"{sorted(run)}); score it with those metrics or drop {k!r} "
                                     "from metrics=")
                cols[k].append(_as_vector(method, j, k, run[k]))
        n_docs = {v.size for vs in cols.values() for v in vs}
        if len(n_docs) > 1:
            raise ValueError(f"method {method!r}: its seeds/metrics cover different numbers of "
                             f"documents {sorted(n_docs)}; score every run on the same test documents")
        out[method] = {k: np.stack(vs) for k, vs in cols.items()}
    return out, metrics


def _std(x: np.ndarray) -> float:
    """Sample standard deviation (ddof = 1); NaN for fewer than two values (no spread to see)."""
    return float(np.std(x, ddof=1)) if x.size > 1 else float("nan")


def seed_interval(differences, level: float = 0.95) -> dict:
    """The t interval of the mean of per-seed differences (method − baseline, paired by seed).

    differences: (n_seeds,) floats. Returns {"mean", "std", "n_pairs", "half_width", "low",
    "high", "excludes_zero"}: half-width t_{n−1,(1+level)/2}·sd/√n (NaN with one seed: no
    interval, so nothing is excluded). ``seed_interval([0.015, 0.018, 0.002])`` → mean 0.0117,
    half-width 0.0212: the interval includes 0 although every seed gained.
    Taught in: book/04_training.ipynb
    """
    s = np.asarray(differences, dtype=float).ravel()
    n = s.size
    mean = float(s.mean()) if n else float("nan")
    sd = _std(s)
    hw = float(stats.t.ppf((1 + level) / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else float("nan")
    return {"mean": mean, "std": sd, "n_pairs": int(n), "half_width": hw,
            "low": mean - hw, "high": mean + hw,
            "excludes_zero": bool(np.isfinite(hw) and abs(mean) > hw)}


def _seed_part(s: Mapping | None) -> dict | None:
    """A seed_delta with its t interval, also when an older summary stored only mean, std and
    n_pairs."""
    if s is None or "half_width" in s:
        return None if s is None else dict(s)
    n, sd, mean = s["n_pairs"], s["std"], s["mean"]
    hw = (float(stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n))
          if n > 1 and np.isfinite(sd) else float("nan"))
    return {**s, "half_width": hw, "low": mean - hw, "high": mean + hw,
            "excludes_zero": bool(np.isfinite(hw) and abs(mean) > hw)}


def with_intervals(metric_result: Mapping) -> dict:
    """One metric entry of :func:`compare_methods` (``result["methods"][m]["metrics"][k]``) with
    its seed interval (``seed_delta`` with ``half_width``) and ``verdict`` filled in — also for
    summaries written before those were stored (seed_delta then holds mean, std, n_pairs).

    Taught in: book/04_training.ipynb
    """
    out = dict(metric_result)
    out["seed_delta"] = _seed_part(out.get("seed_delta"))
    if "verdict" not in out:
        out["verdict"] = verdict(out)
    return out


def verdict(metric_result: Mapping) -> dict:
    """The book's rule for one comparison (one method, one metric of :func:`compare_methods`):
    ``"better"`` / ``"worse"`` only when the paired interval over documents *and* the interval
    over seeds both exclude 0 on that side; else ``"unclear"``, with the reason.

    Returns {"verdict": str, "reason": str}.
    Taught in: book/04_training.ipynb
    """
    d, s = metric_result["delta"], _seed_part(metric_result.get("seed_delta"))
    if s is None or not np.isfinite(s.get("half_width", float("nan"))):
        return {"verdict": "unclear", "reason": "no seed-level interval (unequal or single seeds)"}
    doc_side = np.sign(d["mean"]) if d["excludes_zero"] else 0
    seed_side = np.sign(s["mean"]) if s["excludes_zero"] else 0
    if doc_side and doc_side == seed_side:
        return {"verdict": "better" if doc_side > 0 else "worse", "reason": "both intervals exclude 0"}
    if not doc_side and not seed_side:
        reason = "both intervals include 0"
    elif not seed_side:
        reason = "the seed interval includes 0"
    elif not doc_side:
        reason = "the document interval includes 0"
    else:
        reason = "the intervals point to opposite sides"
    return {"verdict": "unclear", "reason": reason}


# --------------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------------
def compare_methods(per_doc: Mapping, baseline: str, metrics: Sequence[str] | str | None = DEFAULT_METRICS,
                    *, z: float = Z_95) -> dict:
    """Mean ± std over seeds and the paired per-document difference of each method vs ``baseline``.

    per_doc:  {method: runs}, runs a list over training seeds, each a {metric: float (n_docs,)}
              dict (``metrics.per_document_metrics`` or ``per_document_scores``) or a bare
              (n_docs,) array of one metric; an (n_seeds, n_docs) array or a single dict (one seed)
              also work. Methods may have different seed counts; every vector must cover the same
              n_docs test documents in the same order.
    baseline: the method every other is compared with (its own Δ is 0 exactly).
    metrics:  metric names to compare (default P@1, P@5, PSP@1, PSP@5); None = every metric all
              runs share ("value" for bare arrays).
    z:        the normal quantile of the interval (1.96: 95 %).

    A method's aggregate on seed j is the mean of its per-document vector (equal to
    ``all_metrics``' value). Documents that are NaN in every vector (``empty="skip"``) are left out;
    a NaN anywhere else is an error. Returns::

        {"baseline": str, "metrics": [...], "n_docs": int, "z": float,
         "methods": {method: {"n_seeds": int, "metrics": {metric: {
             "per_seed": [float, ...],            # aggregate of each seed
             "mean": float, "std": float,         # over seeds (ddof = 1; NaN with one seed)
             "delta": {"mean": float,             # mean_i d_i, d_i = seed-mean method − baseline on doc i
                       "half_width": float,       # z · sd(d) / √n, sd with ddof = 1
                       "low": float, "high": float, "excludes_zero": bool, "n_docs": int},
             "seed_delta": {"mean", "std", "n_pairs", "half_width", "low", "high",
                            "excludes_zero"} | None,   # seed_interval of the per-seed differences
             "verdict": {"verdict": "better" | "worse" | "unclear", "reason": str}}}}}}

    ``seed_delta`` pairs seed j of the method with seed j of the baseline (t interval,
    :func:`seed_interval`); None when their seed counts differ. ``verdict``: :func:`verdict`.
    All values are fractions (``format_comparison`` prints percent).
    Raises ValueError naming the method when inputs disagree (document counts, missing metric).
    Taught in: book/04_training.ipynb
    """
    if not isinstance(per_doc, Mapping) or not per_doc:
        raise ValueError("compare_methods needs per_doc={method: [per-document scores of each seed]}")
    if baseline not in per_doc:
        raise ValueError(f"baseline {baseline!r} is not among the methods {list(per_doc)}; pass one "
                         "of them as baseline=")
    if not z > 0:
        raise ValueError(f"z must be > 0 (1.96 for a 95 % interval), got {z!r}")
    data, metrics = _collect(per_doc, metrics)
    n_docs = next(iter(data[baseline].values())).shape[1]
    for method, cols in data.items():
        n = next(iter(cols.values())).shape[1]
        if n != n_docs:
            raise ValueError(f"method {method!r} has per-document scores for {n} documents but the "
                             f"baseline {baseline!r} for {n_docs}: score every method on the same "
                             "test documents (same dataset and the same docs=) before comparing")
    # documents left out by empty="skip" are NaN in every run; anything else is a broken input
    keep: dict[str, np.ndarray] = {}
    for k in metrics:
        nan = np.stack([np.isnan(cols[k]).any(axis=0) for cols in data.values()])
        every = np.stack([np.isnan(cols[k]).all(axis=0) for cols in data.values()]).all(axis=0)
        if (nan.any(axis=0) & ~every).any():
            bad = [m for m, row in zip(data, nan) if (row & ~every).any()]
            raise ValueError(f"{k}: per-document scores of {bad} hold NaN where other runs have "
                             "values; only documents that are NaN in every run (empty='skip') "
                             "can be left out")
        keep[k] = ~every

    base_mean = {k: data[baseline][k][:, keep[k]].mean(axis=0) for k in metrics}
    base_seed = {k: data[baseline][k][:, keep[k]].mean(axis=1) for k in metrics}
    methods: dict[str, dict] = {}
    for method, cols in data.items():
        n_seeds = next(iter(cols.values())).shape[0]
        out = {}
        for k in metrics:
            x = cols[k][:, keep[k]]
            per_seed = x.mean(axis=1)  # each seed's aggregate, as all_metrics reports it
            d = x.mean(axis=0) - base_mean[k]  # paired over documents
            n = d.size
            sd = float(np.std(d, ddof=1)) if n > 1 else float("nan")
            hw = z * sd / math.sqrt(n) if n > 1 else float("nan")
            mean_d = float(d.mean()) if n else float("nan")
            seed_delta = None
            if n_seeds == base_seed[k].size:
                seed_delta = seed_interval(per_seed - base_seed[k])
            out[k] = {
                "per_seed": [float(v) for v in per_seed],
                "mean": float(per_seed.mean()),
                "std": _std(per_seed),
                "delta": {"mean": mean_d, "half_width": hw, "low": mean_d - hw, "high": mean_d + hw,
                          # strict: the baseline itself (Δ = 0, width 0) excludes nothing
                          "excludes_zero": bool(np.isfinite(hw) and abs(mean_d) > hw),
                          "n_docs": int(n)},
                "seed_delta": seed_delta,
            }
            out[k]["verdict"] = verdict(out[k])
        methods[method] = {"n_seeds": int(n_seeds), "metrics": out}
    return {"baseline": baseline, "metrics": metrics, "n_docs": int(n_docs), "z": float(z),
            "methods": methods}


# --------------------------------------------------------------------------------------------
# presentation
# --------------------------------------------------------------------------------------------
def _pct(v, decimals: int, sign: bool = False) -> str:
    if v is None or not np.isfinite(v):
        return "–"
    return f"{100 * v:{'+' if sign else ''}.{decimals}f}"


def format_comparison(result: dict, metrics: Sequence[str] | None = None,
                      delta_metrics: Sequence[str] | None = None, *, decimals: int = 2,
                      extra: Mapping[str, Mapping[str, str]] | None = None,
                      method_header: str = "method", html: bool = False) -> str:
    """A markdown (or, with ``html=True``, an HTML) table of ``compare_methods``' result, in percent.

    Columns: method, seeds, "mean ± std" over seeds for each of ``metrics`` (default: all compared),
    then for each of ``delta_metrics`` (default: the first two metrics; () for none) three
    columns: "Δ <metric> vs <baseline>, documents" (the paired per-document interval, Δ ±
    half-width), "…, seeds" (the t interval over per-seed differences) and the verdict (better /
    worse / unclear: :func:`verdict`). A "*" marks an interval that excludes 0. extra: {method:
    {column: text}} appended as further columns (e.g. final λ).
    Returns the table as one string (print it, or write it into a .md file; in a notebook show
    the HTML form with ``IPython.display.HTML`` — a rendered book does not parse markdown output).
    Taught in: book/04_training.ipynb
    """
    metrics = list(result["metrics"] if metrics is None else metrics)
    delta_metrics = list(metrics[:2] if delta_metrics is None else delta_metrics)
    unknown = [k for k in [*metrics, *delta_metrics] if k not in result["metrics"]]
    if unknown:
        raise ValueError(f"metrics {unknown} were not compared (the result has {result['metrics']}); "
                         "pass them to compare_methods(metrics=...)")
    extra = extra or {}
    extra_cols: list[str] = []
    for cols in extra.values():
        extra_cols.extend(c for c in cols if c not in extra_cols)
    base = result["baseline"]
    head = [method_header, "seeds", *metrics]
    for k in delta_metrics:
        head += [f"Δ {k} vs {base}, documents", f"Δ {k}, seeds", f"{k} verdict"]
    head += extra_cols
    rows = []
    for name, res in result["methods"].items():
        cells = [str(name), str(res["n_seeds"])]
        for k in metrics:
            m = res["metrics"][k]
            cells.append(f"{_pct(m['mean'], decimals)} ± {_pct(m['std'], decimals)}")
        for k in delta_metrics:
            m = with_intervals(res["metrics"][k])
            for d in (m["delta"], m.get("seed_delta")):
                if d is None or name == base:
                    cells.append("–")
                    continue
                mark = " *" if d["excludes_zero"] else ""
                cells.append(f"{_pct(d['mean'], decimals, sign=True)} ± "
                             f"{_pct(d['half_width'], decimals)}{mark}")
            cells.append("–" if name == base else m["verdict"]["verdict"])
        cells.extend(str(extra.get(name, {}).get(c, "–")) for c in extra_cols)
        rows.append(cells)
    if html:
        from ramen_edu.viz.tables import html_table  # lazy: viz imports plotly

        return html_table([dict(zip(head, r)) for r in rows], head)
    return markdown_table(head, rows, pad=True)


# --------------------------------------------------------------------------------------------
# per-document scores of a trained model
# --------------------------------------------------------------------------------------------
def per_document_scores(model, dataset, *, ks: Sequence[int] = (1, 3, 5), k: int | None = None,
                        docs: np.ndarray | int | None = None,
                        progress: bool = False) -> dict[str, np.ndarray]:
    """Per-test-document P@k, nDCG@k, PSP@k, ... of a trained ``RamenModel`` (filters applied).

    The same documents, retrieval depth and filter as ``RamenModel.evaluate(dataset, docs=, ks=,
    k=)``, one value per document instead of the mean: for every metric m,
    ``per_document_scores(model, ds)[m].mean() == model.evaluate(ds)[m]``.
    dataset: the XCDataset the model was trained on. docs: test rows (an index array, or an int n
    for the first n), default all. k: labels retrieved per document (default max(ks)).
    Returns {metric: float64 (n_docs,)} in ``metrics.all_metrics``' order (PSP in the
    dataset-normalised per-document form, see ``metrics.per_document_metrics``).
    Taught in: book/04_training.ipynb
    """
    return evaluate_retrieval(model, dataset, docs=docs, ks=ks, k=k, per_document=True, progress=progress)


def validation_scores(model, dataset, config) -> dict[str, float]:
    """Metrics of a trained model on its run's *validation slice* (training documents held out of
    training, ``TrainConfig.val_fraction``; ground truth = their ``train_y`` rows; no filters):
    the numbers a recipe may be *chosen* on — the test split is only ever reported.
    Returns ``metrics.all_metrics``' dict ({} when the config holds out no slice).
    """
    rows, _ = validation_split(dataset.train_y, config.val_fraction, config.seed)
    if not len(rows):
        return {}
    return evaluate_retrieval(model, dataset, split="train", docs=rows, k=config.eval_k)
