"""Chapter 4's explorers: which graph edges a trained model would prune, which labels it predicts.

Two views, each a plain plotly figure (kept in the rendered book) plus an ipywidgets app that
redraws it live in Jupyter or Colab:

* :func:`pruned_edges_figure` / :func:`explore_pruned_edges` — one document's anchors in one
  anchor set, by the cosine the model's encoder gives each edge; edges at or below the pruning
  threshold are the ones RAMEN's next pruning (App. B) would cut — the cosines of
  :func:`ramen_edu.graphs.edge_cosines` and the rule of :func:`ramen_edu.graphs.prune_edges`;
  :func:`pick_pruned_documents` finds documents where pruning both cuts and keeps, and
  :func:`pruned_edges_gallery` lists several of them in one static table;
* :func:`predictions_figure` / :func:`explore_predictions` — the top-k labels of any text under
  one or more models, each bar coloured by the label's frequency quantile (chapter 1: bin 1 is
  the tail), true labels starred, chosen labels (e.g. the paper's *Crown group*) outlined;
  :func:`label_rank` says where a label lands in the full ranking when it misses the top k.

Only the encoder is used at prediction time — a model holds no graph; the pruned-edge view reads
the graph from the dataset, as training does.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import scipy.sparse as sp
from plotly.subplots import make_subplots

from ramen_edu.graphs import check_prune_threshold, edge_cosines, pruning_showcase_rows
from ramen_edu.metrics import label_quantiles
from ramen_edu.viz.graphs import shorten
from ramen_edu.viz.layout import lift_subplot_titles, wrap
from ramen_edu.viz.tables import html_table

# bin 1 (tail) … bin 5 (head); tail warm, head cool
QUANTILE_COLOURS = ("#d62728", "#ff7f0e", "#bcbd22", "#17becf", "#1f77b4")
KEPT, CUT = "#2ca02c", "#d62728"


def _as_models(models) -> dict:
    if isinstance(models, Mapping):
        if not models:
            raise ValueError("models is empty: pass a RamenModel or {name: RamenModel}")
        return dict(models)
    return {"model": models}


# --------------------------------------------------------------------------- pruned edges
def document_edges(model, dataset, document, *, anchor_set=None, threshold: float = 0.0) -> dict:
    """One document's edges in one anchor set, with the model's cosines and the pruning verdict.

    model: a RamenModel (its encoder embeds the document and the anchors). dataset: the XCDataset
    whose *unpruned* graph is read (``anchors[anchor_set].doc_anchor``). document: a training text
    or row. threshold: keep an edge when cos > threshold (App. B: 0).
    Returns {"document", "anchor_set", "anchors": list of E anchor texts, "cosine": float32 (E,),
    "kept": bool (E,), "is_label": bool (E,) — the anchor's text is one of the document's
    training labels}, edges sorted by decreasing cosine.
    """
    threshold = check_prune_threshold(threshold)
    row = dataset.train_row(document)
    anchors = dataset.anchor_set(anchor_set)
    cols = anchors.doc_anchor[row].indices
    texts = [anchors.texts[j] for j in cols]
    cosine = np.zeros(0, np.float32)
    if len(cols):
        # the document's row against only its own anchors: one row, columns renumbered 0..E-1
        local = sp.csr_matrix((np.ones(len(cols), np.float32), np.arange(len(cols)), [0, len(cols)]),
                              shape=(1, len(cols)))
        cosine = edge_cosines(local, model.encoder.embed([dataset.train_texts[row]], progress=False),
                              model.encoder.embed(texts, progress=False), backend="numpy")
    kept = cosine > threshold  # prune_edges' rule: keep strictly above the threshold
    own_labels = {dataset.label_texts[j] for j in dataset.train_y[row].indices}
    is_label = np.array([t in own_labels for t in texts], dtype=bool)
    order = np.argsort(-cosine, kind="stable")
    return {"document": dataset.train_texts[row], "anchor_set": anchors.name,
            "anchors": [texts[i] for i in order], "cosine": cosine[order], "kept": kept[order],
            "is_label": is_label[order], "threshold": float(threshold)}


def pruned_edges_figure(model, dataset, document, *, anchor_set=None, threshold: float = 0.0,
                        max_edges: int = 40) -> go.Figure:
    """Bar chart of one document's anchor edges by cosine: green kept, red cut (cos ≤ threshold).

    Arguments as :func:`document_edges`; ``max_edges`` bars at most (the lowest-cosine edges
    are the ones shown when a document has more, since they are what pruning is about; the
    title gives the totals). Anchors that are also the document's labels are starred.
    Taught in: book/04_training.ipynb
    """
    e = document_edges(model, dataset, document, anchor_set=anchor_set, threshold=threshold)
    n, n_cut = len(e["anchors"]), int((~e["kept"]).sum())
    show = np.arange(n)[-max_edges:]  # sorted by decreasing cosine: the tail holds the cut edges
    names = [("★ " if e["is_label"][i] else "") + shorten(e["anchors"][i], 38) for i in show]
    fig = go.Figure(go.Bar(
        x=e["cosine"][show], y=names, orientation="h",
        marker_color=[KEPT if e["kept"][i] else CUT for i in show],
        hovertext=[f"{e['anchors'][i]}<br>cos {e['cosine'][i]:+.3f} · {'kept' if e['kept'][i] else 'cut'}"
                   for i in show], hoverinfo="text"))
    fig.add_vline(x=threshold, line_dash="dash", line_color="grey")
    shown = f", lowest {len(show)} shown" if len(show) < n else ""
    fig.update_layout(
        title=wrap(f"{e['document']!r} → {e['anchor_set']} anchors: {n} edges, {n_cut} cut at cos ≤ {threshold:g}{shown}"),
        xaxis_title="cosine under the model's encoder",
        # automargin: the left margin grows to the longest anchor name instead of cutting it
        yaxis=dict(autorange="reversed", automargin=True),
        height=max(300, 22 * len(show) + 120), showlegend=False)
    return fig


def _showcase_anchor_set(dataset, anchor_set):
    # the mentions set is the noisy one (chapter 2), so it is where pruning has something to cut
    if anchor_set is None and "mentions" in dataset.anchors:
        return dataset.anchor_set("mentions")
    return dataset.anchor_set(anchor_set)


def pick_pruned_documents(model, dataset, *, anchor_set=None, threshold: float = 0.0, n: int = 6,
                          max_edges: int = 20) -> list[str]:
    """Training documents that show pruning: under ``model``'s encoder at least one of their edges
    would be cut (cos ≤ threshold) and at least one kept.

    anchor_set: None picks ``mentions`` when the dataset has it (the noisy set), else the first.
    Only documents with 2..``max_edges`` edges are embedded (with their anchors); the choice is
    :func:`ramen_edu.graphs.pruning_showcase_rows` with documents that hold a tail-quantile label
    (bin 0 of :func:`ramen_edu.metrics.label_quantiles`) preferred — deterministic for a model.
    Returns up to ``n`` training texts (empty when no document qualifies).
    Taught in: book/04_training.ipynb
    """
    threshold = check_prune_threshold(threshold)
    anchors = _showcase_anchor_set(dataset, anchor_set)
    adj = anchors.doc_anchor.tocsr()
    degree = np.diff(adj.indptr)
    candidates = np.flatnonzero((degree >= 2) & (degree <= max_edges))
    if not len(candidates) or n <= 0:
        return []
    sub = adj[candidates]
    cols = np.unique(sub.indices)
    local = sub[:, cols].tocsr()  # anchors renumbered 0..len(cols)-1, so only those are embedded
    cosine = edge_cosines(local, model.encoder.embed([dataset.train_texts[r] for r in candidates], progress=False),
                          model.encoder.embed([anchors.texts[j] for j in cols], progress=False), backend="numpy")
    tail = label_quantiles(dataset.label_frequency()) == 0
    has_tail = ((dataset.train_y[candidates] != 0).astype(np.float64) @ tail.astype(np.float64)) > 0
    rows = pruning_showcase_rows(local, cosine, threshold=threshold, n=n, max_edges=max_edges, prefer=has_tail)
    return [dataset.train_texts[candidates[r]] for r in rows]


def pruned_edges_gallery(model, dataset, documents, *, anchor_set=None, threshold: float = 0.0,
                         per_side: int = 6) -> str:
    """A static HTML table of several documents' edges: kept and cut anchors with their cosines.

    One row per document of ``documents`` (texts or rows, e.g. :func:`pick_pruned_documents`):
    its edge count, how many pruning would cut, and the anchors on each side (highest cosines
    kept, lowest cut, at most ``per_side`` each; ★ = the anchor is one of the document's labels).
    It is plain HTML, so the rendered book shows it without a kernel. anchor_set as
    :func:`pick_pruned_documents`. Returns the table's HTML (display with ``IPython.display.HTML``).
    Taught in: book/04_training.ipynb
    """
    name = _showcase_anchor_set(dataset, anchor_set).name

    def listed(e, idx) -> str:
        more = f" … (+{len(idx) - per_side})" if len(idx) > per_side else ""
        return ", ".join(f"{'★ ' if e['is_label'][i] else ''}{e['anchors'][i]} ({e['cosine'][i]:+.2f})"
                         for i in idx[:per_side]) + more

    rows = []
    for doc in documents:
        e = document_edges(model, dataset, doc, anchor_set=name, threshold=threshold)
        kept, cut = np.flatnonzero(e["kept"]), np.flatnonzero(~e["kept"])[::-1]  # cut: lowest cosine first
        rows.append({"document": e["document"], "edges": len(e["anchors"]), "cut": len(cut),
                     f"kept (cos > {threshold:g})": listed(e, kept) or "–",
                     f"cut (cos ≤ {threshold:g})": listed(e, cut) or "–"})
    return html_table(rows, caption=f"{name} anchors of {len(rows)} training documents under the model's encoder")


def explore_pruned_edges(model, dataset, *, document=None, anchor_set=None, threshold: float = 0.0):
    """ipywidgets app around :func:`pruned_edges_figure`: pick a training document (type to
    search), an anchor set and a threshold; the figure redraws. Returns the widget to display.
    Taught in: book/04_training.ipynb
    """
    import ipywidgets as w  # lazy: ipywidgets is heavy; the static figures never need it

    names = list(dataset.anchors)
    first = dataset.anchor_set(anchor_set).name
    known = set(dataset.train_texts)
    doc = w.Combobox(value=dataset.train_texts[dataset.train_row(document or 0)],
                     options=list(dataset.train_texts), description="document", ensure_option=True,
                     layout=w.Layout(width="60%"))
    which = w.Dropdown(options=names, value=first, description="anchor set")
    thr = w.FloatSlider(value=threshold, min=-0.5, max=0.9, step=0.05, description="threshold",
                        continuous_update=False)
    out = w.Output()

    def redraw(*_):
        if doc.value not in known:
            return  # still typing
        out.clear_output(wait=True)
        with out:
            pruned_edges_figure(model, dataset, doc.value, anchor_set=which.value, threshold=thr.value).show()

    for control in (doc, which, thr):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([doc, which]), thr, out])


# --------------------------------------------------------------------------- predictions
def label_rank(model, text: str, label: str) -> int:
    """1-based rank of ``label`` among all the model's labels for ``text`` (cosine, no filters).

    Exact: the text's query embedding (``model.query_embeddings``: the encoder's, or a two-stage
    model's enriched one) against every label embedding. Ties count in the label's
    favour (rank = 1 + number of labels scored strictly higher).
    Taught in: book/04_training.ipynb
    """
    try:
        j = model.label_texts.index(label)
    except ValueError:
        raise ValueError(f"label={label!r} is not one of the model's {model.n_labels} labels") from None
    scores = model.label_embeddings() @ model.query_embeddings([text])[0]  # a two-stage model links first
    return int((scores > scores[j]).sum()) + 1


def predictions_figure(models, dataset, text: str, *, k: int = 10, highlight: Sequence[str] = ()) -> go.Figure:
    """Top-k labels of ``text`` under each model, side by side.

    models: a RamenModel or {name: RamenModel} (same label space as ``dataset``). text: any
    text; when it is a training or test document of ``dataset`` its true labels are starred.
    Bars are coloured by the label's equal-volume frequency quantile (bin 1 = tail … bin 5 =
    head, ``ramen_edu.metrics.label_quantiles``); labels in ``highlight`` are outlined in black.
    Returns a plotly Figure with one panel per model, one above the other.
    Taught in: book/04_training.ipynb
    """
    models = _as_models(models)
    for name, m in models.items():
        if m.n_labels != dataset.n_labels:
            raise ValueError(f"model {name!r} has {m.n_labels} labels, dataset {dataset.name!r} "
                             f"{dataset.n_labels}: they must share the label space")
    freq = dataset.label_frequency()
    bins = label_quantiles(freq)
    truth: set[int] = set()
    if text in dataset.train_texts:
        truth = set(dataset.train_y[dataset.train_texts.index(text)].indices.tolist())
    elif text in dataset.test_texts:
        truth = set(dataset.test_y[dataset.test_texts.index(text)].indices.tolist())
    wanted = set(highlight)
    # one panel per model, one above the other: side by side (four models in chapter 5) each panel
    # got a twelfth of the width and its label names ran over the bars of the panel to its left
    panel_px, gap_px, top_px, bottom_px = 24 * k + 30, 80, 110, 50
    height = len(models) * panel_px + (len(models) - 1) * gap_px + top_px + bottom_px
    fig = make_subplots(rows=len(models), cols=1, subplot_titles=list(models),
                        vertical_spacing=gap_px / (height - top_px - bottom_px) if len(models) > 1 else 0.0)
    for row, (name, m) in enumerate(models.items(), start=1):
        top = m.retrieve([text], k)
        found = top.ids[0] >= 0
        ids, scores = top.ids[0][found], top.scores[0][found]
        labels = [dataset.label_texts[j] for j in ids]
        fig.add_trace(go.Bar(
            x=scores, y=[("★ " if j in truth else "") + shorten(t, 40) for j, t in zip(ids, labels)],
            orientation="h", showlegend=False,
            marker=dict(color=[QUANTILE_COLOURS[b] for b in bins[ids]],
                        line=dict(color=["black" if t in wanted else "rgba(0,0,0,0)" for t in labels], width=3)),
            hovertext=[f"{t}<br>cos {s:.3f} · quantile bin {b + 1} · {int(freq[j])} training documents"
                       + (" · true label" if j in truth else "")
                       for t, s, j, b in zip(labels, scores, ids, bins[ids])], hoverinfo="text"),
            row=row, col=1)
        fig.update_yaxes(autorange="reversed", automargin=True, row=row, col=1)
        fig.update_xaxes(title_text="cosine" if row == len(models) else None, row=row, col=1)
    for b, colour in enumerate(QUANTILE_COLOURS):  # legend: one entry per quantile
        fig.add_trace(go.Bar(x=[None], y=[None], marker_color=colour, name=f"bin {b + 1}"
                             + (" (tail)" if b == 0 else " (head)" if b == 4 else "")))
    # the variable part (the text, the outlined labels) on its own, smaller second line
    fig.update_layout(title=wrap(f"top {k} labels for {text!r}") + "<br><sup>"
                      + wrap(f"★ true label · outlined: {', '.join(highlight) or '—'}", 80) + "</sup>",
                      height=height, barmode="overlay", margin=dict(t=top_px, b=bottom_px),
                      legend=dict(title_text="label quantile"))
    return lift_subplot_titles(fig)


def explore_predictions(models, dataset, *, text: str = "", k: int = 10, highlight: Sequence[str] = ()):
    """ipywidgets app around :func:`predictions_figure`: type any text, choose k; the panels
    redraw and the rank of each highlighted label under each model is printed below.
    Returns the widget to display.
    Taught in: book/04_training.ipynb
    """
    import ipywidgets as w  # lazy: ipywidgets is heavy; the static figures never need it

    models = _as_models(models)
    box = w.Text(value=text, description="text", continuous_update=False, layout=w.Layout(width="60%"))
    depth = w.IntSlider(value=k, min=3, max=30, description="k", continuous_update=False)
    out = w.Output()

    def redraw(*_):
        out.clear_output(wait=True)
        if not box.value.strip():
            return
        with out:
            predictions_figure(models, dataset, box.value, k=depth.value, highlight=highlight).show()
            for label in highlight:
                ranks = ", ".join(f"{name} {label_rank(m, box.value, label)}" for name, m in models.items())
                print(f"rank of {label!r} among {dataset.n_labels:,} labels: {ranks}")

    box.observe(redraw, names="value")
    depth.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([box, depth]), out])
