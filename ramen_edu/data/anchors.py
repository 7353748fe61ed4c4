"""Dataset-level anchor-graph helpers: densify an anchor set, scramble a dataset's edges, and
the neighbourhood of one document or label.

``ramen_edu.graphs`` holds the matrix algorithms (walks, PageRank, pruning) and knows nothing of
datasets; this module applies them to ``AnchorSet`` and ``XCDataset`` objects.

Taught in: book/02_anchor_graphs.ipynb (densifying, neighbourhoods), book/03_theorem1.ipynb (the
documents to measure) and book/04_training.ipynb (the scrambled-graph control).
"""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from ramen_edu.data.dataset import AnchorSet, XCDataset
from ramen_edu.graphs import build_bipartite, random_walk_with_restart, split_bipartite

__all__ = ["anchor_label_ids", "densify_anchor_set", "documents_with_anchors", "neighbourhood_graph",
           "scramble_edges", "where_is"]


def densify_anchor_set(anchor_set: AnchorSet, *, hops: int = 400, restart: float = 0.8, top_k: int = 10,
                       seed: int = 0) -> AnchorSet:
    """An AnchorSet whose doc_anchor and label_anchor are replaced by their RWR densification.

    Documents and labels are walked together (:func:`ramen_edu.graphs.build_bipartite`), so a
    document can reach anchors of labels that share its anchors. Returns a new ``AnchorSet`` named like the input;
    values are visit frequencies. Test documents are not in an AnchorSet, so none can leak in.
    """
    stacked = build_bipartite(anchor_set.doc_anchor, anchor_set.label_anchor)
    dense = random_walk_with_restart(stacked, hops=hops, restart=restart, top_k=top_k, seed=seed)
    docs, labels = split_bipartite(dense, anchor_set.doc_anchor.shape[0])
    return AnchorSet(anchor_set.name, anchor_set.texts, docs, labels)


def documents_with_anchors(dataset: XCDataset, n_docs: int, *, seed: int = 0) -> np.ndarray:
    """A random sample of training documents that have at least one anchor in every anchor set.

    Returns up to ``n_docs`` sorted training-document indices (int array), all of them when fewer
    qualify; the same ``seed`` gives the same sample.
    Taught in: book/03_theorem1.ipynb
    """
    ok = np.ones(dataset.n_train, dtype=bool)
    for aset in dataset.anchors.values():
        ok &= aset.doc_anchor.getnnz(axis=1) > 0
    has = np.flatnonzero(ok)
    return np.sort(np.random.default_rng(seed).choice(has, min(n_docs, len(has)), replace=False))


def anchor_label_ids(dataset: XCDataset, anchor_set: str) -> np.ndarray:
    """For each anchor of one anchor set, the id of the label with the same text, or −1.

    (M,) int64 — what :func:`ramen_edu.graphs.useful_edges` needs to tell an anchor that *is* one
    of a document's labels. Taught in: book/02_anchor_graphs.ipynb
    """
    label_of = {t: j for j, t in enumerate(dataset.label_texts)}
    return np.array([label_of.get(t, -1) for t in dataset.anchor_set(anchor_set).texts], dtype=np.int64)


def where_is(dataset: XCDataset, title: str, anchor_set: str = "mentions") -> str:
    """Where a text appears in a dataset: "training document", "test document", "label" and/or
    "<anchor_set> anchor", comma-separated, or "nowhere (not in this build)".
    Taught in: book/02_anchor_graphs.ipynb
    """
    places = [name for name, texts in (("training document", dataset.train_texts),
                                       ("test document", dataset.test_texts),
                                       ("label", dataset.label_texts),
                                       (f"{anchor_set} anchor", dataset.anchor_set(anchor_set).texts))
              if title in texts]
    return ", ".join(places) or "nowhere (not in this build)"


def scramble_edges(dataset: XCDataset, *, seed: int = 1) -> XCDataset:
    """The control experiment's dataset: every anchor edge moved to a uniformly random anchor.

    Each row keeps its number of edges (two edges that land on the same anchor merge, so a row
    can lose one), while which anchors it touches becomes pure noise — the synthetic world's
    ``edge_noise=1.0`` for any dataset, the Wikipedia benchmark included. Texts, ``train_y``,
    the test set and the filters are untouched, so a no-graph baseline is literally the same run
    on both datasets. Returns a new XCDataset; the input is not modified.
    Taught in: book/04_training.ipynb
    """
    rng = np.random.default_rng(seed)

    def scramble(m):
        m = sp.csr_matrix(m, copy=True)
        m.indices = rng.integers(0, m.shape[1], m.nnz).astype(m.indices.dtype)
        m.sum_duplicates()
        return m

    anchors = {name: AnchorSet(name, a.texts, scramble(a.doc_anchor), scramble(a.label_anchor))
               for name, a in dataset.anchors.items()}
    return dataclasses.replace(dataset, anchors=anchors)


def neighbourhood_graph(dataset: XCDataset, *, document=None, label=None, anchor_set=None,
                        max_nodes: int = 40, same_article: bool = True,
                        members_per_anchor: int | None = None):
    """The neighbourhood of one training document or one label, as a typed ``networkx.Graph``.

    Rings, added in this order until ``max_nodes`` nodes are in: 0 — the centre; 1 — its labels
    (or, for a label, its documents) and its anchors; 2 — nodes that ARE those anchors (a
    document or label with exactly the anchor's text, edge kind ``same article``, when
    ``same_article``), then the anchors' other documents and labels (taken round-robin over
    anchors, so one popular anchor cannot fill the budget); 3 — labels of ring-2 documents.
    Edges between any two nodes already in the graph are added too (ground truth and anchor).

    dataset: XCDataset; document: training-document index or text; label: label index or text
    (give exactly one); anchor_set: a name, a list of names, or None for every set;
    members_per_anchor: at most this many other documents/labels per anchor in ring 2 (None: no
    limit but the budget) — small values leave room for ring 3 in a readable picture.
    Node ids are ``"document:i"``, ``"label:l"``, ``"<set>:a"``; node attributes: kind
    (``document``, ``label`` or the anchor-set name), index, text, ring. Edge attribute: kind
    (``label`` for ground truth, the anchor-set name, or ``same article``).
    Taught in: book/02_anchor_graphs.ipynb
    """
    import networkx as nx

    if (document is None) == (label is None):
        raise ValueError("give exactly one of document= or label=")
    if int(max_nodes) < 1:
        raise ValueError(f"max_nodes must be ≥ 1, got {max_nodes}")
    if anchor_set is None:
        names = list(dataset.anchors)
    else:
        names = [anchor_set] if isinstance(anchor_set, str) else list(anchor_set)
        for name in names:
            dataset.anchor_set(name)  # ValueError naming the dataset's sets
    y = dataset.train_y.tocsr()
    y_t = y.T.tocsr()
    graphs = {name: (dataset.anchors[name].doc_anchor, dataset.anchors[name].doc_anchor.T.tocsr(),
                     dataset.anchors[name].label_anchor,
                     dataset.anchors[name].label_anchor.T.tocsr()) for name in names}
    g = nx.Graph()

    def text_of(kind: str, index: int) -> str:
        if kind == "document":
            return dataset.train_texts[index]
        if kind == "label":
            return dataset.label_texts[index]
        return dataset.anchors[kind].texts[index]

    def add(kind: str, index: int, ring: int) -> str | None:
        node = f"{kind}:{index}"
        if node in g:
            return node
        if g.number_of_nodes() >= int(max_nodes):
            return None
        g.add_node(node, kind=kind, index=int(index), text=text_of(kind, index), ring=ring)
        return node

    if document is not None:
        centre_kind, centre = "document", dataset.train_row(document)
        ring1 = [("label", int(j)) for j in y.indices[y.indptr[centre]:y.indptr[centre + 1]]]
    else:
        centre_kind, centre = "label", dataset.label_id(label)
        ring1 = [("document", int(i)) for i in y_t.indices[y_t.indptr[centre]:y_t.indptr[centre + 1]]]
    add(centre_kind, centre, 0)
    anchors = []
    for name, (da, _, la, _) in graphs.items():
        m = da if centre_kind == "document" else la
        anchors += [(name, int(a)) for a in m.indices[m.indptr[centre]:m.indptr[centre + 1]]]
    for kind, index in ring1 + anchors:
        add(kind, index, 1)

    if same_article and anchors:
        doc_ids = {t: i for i, t in enumerate(dataset.train_texts)}
        label_ids = {t: j for j, t in enumerate(dataset.label_texts)}
        for name, a in anchors:
            t = dataset.anchors[name].texts[a]
            for kind, ids in (("document", doc_ids), ("label", label_ids)):
                if t in ids and (kind, ids[t]) != (centre_kind, centre):
                    add(kind, ids[t], 2)

    # the anchors' other members, round-robin so every anchor shows some of its neighbours
    members = []
    for name, a in anchors:
        _, da_t, _, la_t = graphs[name]
        lst = [("document", int(i)) for i in da_t.indices[da_t.indptr[a]:da_t.indptr[a + 1]]]
        lst += [("label", int(j)) for j in la_t.indices[la_t.indptr[a]:la_t.indptr[a + 1]]]
        lst = [x for x in lst if x != (centre_kind, centre)]
        members.append(lst if members_per_anchor is None else lst[:int(members_per_anchor)])
    for rank in range(max((len(x) for x in members), default=0)):
        if g.number_of_nodes() >= int(max_nodes):
            break
        for lst in members:
            if rank < len(lst):
                add(*lst[rank], 2)
    for node, attrs in list(g.nodes(data=True)):
        if attrs["kind"] == "document" and attrs["ring"] == 2:
            i = attrs["index"]
            for j in y.indices[y.indptr[i]:y.indptr[i + 1]]:
                add("label", int(j), 3)

    # every edge between nodes present: ground truth, anchor edges, same-article identities
    present = {(d["kind"], d["index"]): n for n, d in g.nodes(data=True)}
    for (kind, index), node in present.items():
        if kind == "document":
            for j in y.indices[y.indptr[index]:y.indptr[index + 1]]:
                if ("label", int(j)) in present:
                    g.add_edge(node, present[("label", int(j))], kind="label")
        if kind in ("document", "label"):
            for name, (da, _, la, _) in graphs.items():
                m = da if kind == "document" else la
                for a in m.indices[m.indptr[index]:m.indptr[index + 1]]:
                    if (name, int(a)) in present:
                        g.add_edge(node, present[(name, int(a))], kind=name)
    if same_article:
        by_text = {}
        for node, d in g.nodes(data=True):
            by_text.setdefault(d["text"], []).append((node, d["kind"]))
        for nodes_ in by_text.values():
            anchor_nodes = [n for n, k in nodes_ if k not in ("document", "label")]
            other = [n for n, k in nodes_ if k in ("document", "label")]
            for a in anchor_nodes:
                for o in other:
                    g.add_edge(a, o, kind="same article")
    return g
