"""The Wikipedia see-also benchmark (a small LF-WikiSeeAlsoTitles-320K), built from articles.

The paper's first dataset (§4, App. C Table 15) asks: given a Wikipedia article, predict the
articles its editors listed under "See also". This module builds the same task from any
article source of :mod:`ramen_edu.data.wikipedia` (default: the project's 57,200-article
sample), with the paper's two anchor sets, and writes it in the XC repository layout.

Definition, precisely
---------------------
* **Documents**: articles with a non-empty see-also list. Text = the title (``titles``) or
  title + body text (``text``; line breaks become spaces — the XC format is one text per line).
* **Labels**: see-also targets (titles) listed by at least ``min_docs_per_label`` documents
  (counted over all documents, before the split, as in the XC repository); documents left
  without a label are dropped. A plain-text source's items are first turned into the titles
  they name (:func:`ramen_edu.data.see_also.item_title`: descriptions after ``", "``, citation
  markers and wiki debris removed; on the book's file 2,950 of 59,366 distinct items rewritten,
  labels 6,556 → 6,731 before the case merge, none left holding ``[[``, ``|`` or a citation
  marker; ``card["see_also_cleaning"]``). Label text = the target title as the reader normalised it
  (:func:`ramen_edu.data.wikipedia.normalize_see_also_target`: first letter upper case,
  ``#section`` dropped, markup debris and other namespaces rejected), spellings that differ only
  in the case of word-initial letters merged onto one
  (:func:`ramen_edu.data.wikipedia.merge_case_variants`: on the shared sample 148 spellings,
  among them 4 label pairs such as "Climate Change" / "Climate change"). Targets with fewer
  than two letters/digits or starting with "(" are export debris ("()", "(city archives)",
  "n"), never labels.
* **Split**: a seeded random permutation of the documents; the first ``test_fraction`` are test.
* **Filter pairs** (XC repository convention, ``filter_labels_test.txt``): (1) *self*: a test
  document whose own title is a label gets the pair (document, that label) — an article must
  never be rewarded for predicting itself; (2) *reciprocal*: test document A with ground-truth
  label B where B is a *training* document that lists A — the pair A→B is the mirror of a
  training pair B→A, so predicting it is memorisation, not retrieval. Reciprocal pairs are
  removed from the test ground truth and added to the filter (a filtered prediction can never
  hit, so leaving it in the ground truth would only lower recall). Test documents left with no
  label are dropped. The XC repository's note on filter files (XMLRepository.html, "#ba-pair",
  which public XC code points to) describes these two kinds of pairs but not the script that
  found them; this construction is ours and is the one tested.
* **Anchor set ``category``**: anchors = Wikipedia categories. A training document's edges are
  its categories.
* **Anchor set ``mentions``**: anchors = articles; the article graph is the mentions graph of
  :mod:`ramen_edu.data.mentions` made undirected (i ~ j when either text names the other, as the
  paper's hyperlink graph joins two articles when either links to the other). It is derived
  data — the sample has no hyperlinks.
* **Anchor set ``links``** (only when the source has real links, i.e. a MediaWiki dump):
  anchors = articles, i ~ j when either page links to the other, after redirects.
* **Label edges**: a label that is itself an article (and not a test document) gets its own
  edges (its categories, its mentions) when it has some in that anchor set. Every other label
  — not an article of the source, an article that is a test document, or an article without
  edges in this set — is reached through the training documents that list it: its seed row is the union of those documents' anchors (label → documents (train only) →
  anchors), and a random walk with restart over the stacked bipartite graph [training documents;
  labels] × anchors (:func:`ramen_edu.graphs.random_walk_with_restart`: 400 hops, restart 0.8,
  App. B) keeps its ``rwr_top_k`` most visited anchors, weighted by visit frequency. A label
  with no training document gets no edges.
* **Leak rule** (§4: "test data points were removed from the graph if present as nodes"): no
  test document is a row of any graph, none is an anchor of ``mentions`` (their columns are
  removed, which also removes every edge that came from a test document's text), a test
  document's categories create no anchor and no edge, a category named exactly like a test
  document is dropped (its text would be the test input itself: 88 categories on the shared
  sample), and labels that are test documents do not use their own article's edges.
  The test documents' hidden edges (their categories, the articles they name) are kept *beside*
  the graph as ``AnchorSet.test_doc_anchor`` — read only by the oracle linker of
  :mod:`ramen_edu.baselines`, never by training.
* **Cleaning**: categories matching :data:`MAINTENANCE_RULES` (maintenance and tracking
  categories: "Articles containing video clips", "Living people", "Monaco stubs", ...) are
  dropped (``drop_maintenance``); the mentions linker drops one-word titles used as a word of a
  longer name ("Michael" in "Michael Jordan", :class:`MentionRules` ``drop_name_parts``); an
  optional hub cap drops anchors linked to more than ``max_anchor_df`` of the training
  documents; optionally (``doc_rwr_top_k``) documents' edges are replaced by their most
  visited anchors of the same random walk.
* Anchors without any edge are dropped, so every anchor is used.

Graph quality, measured (:func:`ramen_edu.graphs.anchor_graph_quality`, in every card): the
*test* documents' hidden edges — their categories, and the articles their text names (outgoing
mentions only: their titles are never searched, to keep them out of the graph) — scored against
label edges built without them. On the shared sample (seed 0, 1,692 test documents):

=========================================  ================  ==============  ==========
graph, build                                edge precision   label coverage  edges/doc
=========================================  ================  ==============  ==========
category, no cleaning                                 15.4%           36.3%        5.90
category, maintenance rules (default)                 15.1%           34.5%        5.77
category, + hub cap 1% / 0.5% / 0.2%          14.1 / 13.9 / 12.8  32.6 / 32.0 / 29.3
category, + doc_rwr_top_k=10                          24.4%           37.2%        7.33
mentions, drop_name_parts=False                       18.4%           38.1%        4.89
mentions, name-part rule (default)                    19.2%           38.4%        4.42
mentions, + hub cap 1% / 0.5% / 0.2%          17.8 / 17.4 / 15.7  33.0 / 26.8 / 16.4
mentions, + doc_rwr_top_k=10                          13.1%           42.2%        9.07
=========================================  ================  ==============  ==========

(Uniformly random edges would score 0.01–0.04% precision.) Every hub cap lowered both numbers:
on this sample the big anchors are topical clusters ("Rivers of Missouri", "Popes", "Latin"),
so ``max_anchor_df`` is off by default. The maintenance rules cost 0.3 / 1.8 points, almost all
from "Living people" (24% of the articles), which joins living people to the living people
they list — a hub, kept out because it records a policy, not a subject. Walked documents
(``doc_rwr_top_k``) gain coverage but mentions precision falls, and the test rows walk a graph
that holds the label rows, so the comparison flatters them: off by default.

``min_docs_per_label`` default 2, from the book's article file (15,254 documents with a
see-also list, 71,172 pairs after cleaning and normalising; usable targets only; measured by
:func:`label_survival`, stored in every ``card.json``):

====================  =======  =========  ======
min_docs_per_label     labels  documents   pairs
====================  =======  =========  ======
1                      58,755     15,246  71,172
2                       6,817      8,888  19,234
3                       1,996      5,947   9,592
====================  =======  =========  ======

With 1, 51,938 labels (88%) have a single document: in a random split that document is either
in train (the label is never tested) or in test (never trained). 2 is the smallest threshold at
which a label can be both, and it keeps 58% of the documents; 3 would cut them by a third more.

The graph-quality table above was measured on an earlier extraction of the same 57,200 pages
(same categories; 431 texts and 1,184 see-also lists differed). On the book's file, default
build: category 15.7% precision / 31.8% coverage / 5.27 edges per test document (15.4% /
32.6% / 5.40 before cleaning); mentions 19.2% / 36.4% / 4.38 (``card["graph_quality"]``).

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ramen_edu.settings import cache_dir, find_data_file
from ramen_edu.data.dataset import AnchorSet, XCDataset
from ramen_edu.data.mentions import MentionRules, find_mentions, see_also_pairs
from ramen_edu.data.see_also import clean_see_also
from ramen_edu.data.wikipedia import (Article, ReadStats, merge_case_variants,
                                      normalize_see_also_list, normalize_see_also_target,
                                      read_articles, resolve_redirects)
from ramen_edu.data.xc_format import read_xc_dataset, write_xc_dataset
from ramen_edu.graphs import anchor_graph_quality, random_walk_with_restart
from ramen_edu.tables import markdown_table

__all__ = ["BUILDER_VERSION", "MAINTENANCE_RULES", "article_graph", "article_subset", "build_wiki_seealso",
           "cli_main", "label_survival", "maintenance_family"]

BUILDER_VERSION = 6  # bump when the construction changes: it is part of the cache key
VARIANTS = ("titles", "text")
MAX_ANCHOR_DF = None  # default hub cap: off — every cap measured lowered both quality numbers

# Wikipedia's maintenance and tracking categories: they say something about the *page* (its
# citations, its infobox, a missing birth date), not about its subject, so two pages sharing
# one are not related. One row per family: (family, compiled regex, why). A category is
# dropped when any family's regex matches (``re.search``, case-sensitive). The rules were
# picked from the 300 highest-degree categories of the shared sample and a scan for
# maintenance words; look-alike real categories that must survive are in the tests
# ("Signers of the Articles of Confederation", "Elementary particles", "Missing people",
# "Members of the House of Commons of Canada"). Counts per family: every card.json.
MAINTENANCE_RULES: tuple[tuple[str, re.Pattern, str], ...] = (
    ("article maintenance",
     re.compile(r"^(All )?[Aa]rticles (?!of\b)|\barticles\b|^All stub articles"
                r"|(^| )(needing|lacking) |with unsourced statements"
                r"|dead external links|[Ii]nfobox|\btemplate\b|[Cc]itation (formats|needed|style)"),
     "page state, not subject: 'Articles containing video clips', 'Law articles needing an "
     "infobox', 'Articles with inconsistent citation formats' (lower-case 'articles' is a word "
     "only in maintenance names; 'Articles of ...' is a real subject)"),
    ("project pages",
     re.compile(r"^(All )?Wikipedia (articles|books|pages|requested|missing|indexes)\b"
                r"|\bWikipedia (articles|pages|books)\b|^Pages |\bpages\b"
                r"|^Use (dmy|mdy) dates|^Use [A-Z][a-z]+ English\b|^CS1 |^Webarchive"
                r"|^Commons category|Wikidata\b|^Short description|^(Good|Featured) (articles|lists)"
                r"|^RTT"),
     "Wikipedia's own housekeeping: 'Pages including recorded pronunciations', 'Use dmy dates "
     "from ...', 'Wikipedia books on ...', disambiguation pages, WikiProject Medicine's 'RTT' "
     "(translation task force) tag"),
    ("stubs",
     re.compile(r" stubs$"),
     "stub sorting: 'Monaco stubs', 'California politics stubs' say the page is short"),
    ("biography tracking",
     re.compile(r"^(Year|Date|Place) of (birth|death)( |$)|^(Possibly )?[Ll]iving people\b"),
     "'Living people' (the BLP policy tracker, 24% of all articles), 'Year of birth missing "
     "(living people)', 'Place of birth unknown': a fact is missing, nothing is shared"),
)


def maintenance_family(names) -> np.ndarray:
    """The :data:`MAINTENANCE_RULES` family each category name falls in (first match), "" for
    a real category. names: sequence of str (V,). Returns object array (V,).

    """
    out = np.full(len(names), "", dtype=object)
    for family, pattern, _ in reversed(MAINTENANCE_RULES):  # first family in the table wins
        hit = np.fromiter((pattern.search(str(x)) is not None for x in names), dtype=bool,
                          count=len(names))
        out[hit] = family
    return out


def _rules_fingerprint() -> str:
    """Hash of the maintenance regexes: editing a rule must invalidate cached builds."""
    text = "\n".join(f"{f}\t{p.pattern}" for f, p, _ in MAINTENANCE_RULES)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------
# small vectorised helpers
# ------------------------------------------------------------------------------------------
def _incidence(rows: np.ndarray, names: np.ndarray, n_rows: int):
    """Binary csr (n_rows × V) from (row, name) pairs, and the sorted vocabulary (V,)."""
    if len(names) == 0:
        return sp.csr_matrix((n_rows, 0), dtype=np.float32), np.zeros(0, dtype=object)
    vocab, cols = np.unique(names, return_inverse=True)
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols.ravel())),
                      shape=(n_rows, len(vocab)))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m, vocab


def _flatten(lists: list[list[str]]):
    """(row ids int64, flat object array) of a list of string lists."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    rows = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
    flat = np.empty(int(lengths.sum()), dtype=object)
    flat[:] = [t for x in lists for t in x]
    return rows, flat


def _lookup(keys: np.ndarray, vocab: np.ndarray) -> np.ndarray:
    """Position of each key in the sorted ``vocab``, −1 where absent."""
    if len(vocab) == 0 or len(keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(vocab, keys), len(vocab) - 1)
    return np.where(vocab[pos] == keys, pos, -1).astype(np.int64)


def _binary(m) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    m.sum_duplicates()
    m.eliminate_zeros()
    m.data[:] = 1.0
    return m


# ------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------
def _load(path, stats: ReadStats | None = None, merged: dict | None = None,
          cleaning: dict | None = None) -> tuple[list[Article], Path]:
    """(articles, path): see-also items turned into titles (:mod:`ramen_edu.data.see_also`,
    plain-text sources only: a dump's items are link targets already), redirects resolved, one
    record per title, see-also case variants merged (:func:`merge_case_variants`). stats /
    merged / cleaning: filled with the reader's counts, {merged spelling: spelling kept} and
    the cleaning rule's before/after figures, for the card."""
    if path is None:
        path = find_data_file()
    path = Path(path)
    stats = stats if stats is not None else ReadStats()
    if ".xml" in path.name:
        records = list(read_articles(path, stats))
    else:
        records = list(read_articles(path, stats, raw_see_also=True))
        titles = {r.title for r in records}
        cleaned, report = clean_see_also([r.see_also for r in records], titles)
        before = [[t for t in map(normalize_see_also_target, r.see_also) if t] for r in records]
        for r, items in zip(records, cleaned):
            r.see_also = normalize_see_also_list(items, stats)
        if cleaning is not None:
            cleaning.update(_cleaning_figures(report, before, [r.see_also for r in records],
                                              titles))
    if any(r.redirect for r in records):
        records, _ = resolve_redirects(records)
    seen: set[str] = set()
    articles = []
    for r in records:  # a title names one article: keep the first record of a title
        if r.title not in seen:
            seen.add(r.title)
            articles.append(r)
    # see-also targets equal up to letter case are one label ("Climate Change" / "Climate change")
    articles, case_merged = merge_case_variants(articles)
    if merged is not None:
        merged.update(case_merged)
    return articles, path


def _cleaning_figures(report, before: list[list[str]], after: list[list[str]], titles: set,
                      *, min_docs: int = 2, examples: int = 20, seed: int = 0) -> dict:
    """The card's see-also cleaning section: distinct items, labels (targets listed by ≥
    ``min_docs`` articles) and the share of those labels that are page titles of the source,
    before (reader normalisation only) and after the cleaning rule; ``examples`` seeded random
    rewritten items, raw → title."""
    def counts(lists):
        rows, flat = _flatten([list(dict.fromkeys(x)) for x in lists])
        if not len(flat):
            return {"distinct_items": 0, "labels": 0, "labels_that_are_page_titles": 0.0}
        vocab, inv = np.unique(flat, return_inverse=True)
        n = np.bincount(inv.ravel(), minlength=len(vocab)) * _usable_targets(vocab)
        labels = vocab[n >= min_docs]
        share = float(np.mean([t in titles for t in labels])) if len(labels) else 0.0
        return {"distinct_items": int(len(vocab)), "labels": int(len(labels)),
                "labels_that_are_page_titles": round(share, 4)}

    changes = sorted(report.changes.items())
    pick = np.random.default_rng(seed).permutation(len(changes))[:examples]
    return {"raw_distinct_items": report.items, "items_rewritten": report.changed,
            "before": counts(before), "after": counts(after), "min_docs_per_label": min_docs,
            "examples": [{"item": changes[i][0], "title": changes[i][1]} for i in sorted(pick)]}


def _usable_targets(vocab: np.ndarray) -> np.ndarray:
    """Which see-also targets can be labels: at least two letters/digits and not starting with
    "(" — the plain-text export left a few fragments such as "()", "(city archives)", "n"."""
    return np.fromiter((sum(ch.isalnum() for ch in t) >= 2 and not t.startswith("(")
                        for t in vocab), dtype=bool, count=len(vocab))


def label_survival(articles: list[Article], thresholds=(1, 2, 3)) -> list[dict]:
    """For each threshold t: how many labels (see-also targets listed by ≥ t documents),
    documents (with ≥ 1 such label) and pairs survive. The numbers behind the default
    ``min_docs_per_label``.

    """
    see_also = [list(dict.fromkeys(a.see_also)) for a in articles if a.see_also]
    rows, flat = _flatten(see_also)
    out = []
    if not len(flat):
        return [{"min_docs_per_label": t, "labels": 0, "documents": 0, "pairs": 0}
                for t in thresholds]
    vocab, inv = np.unique(flat, return_inverse=True)
    counts = np.bincount(inv.ravel(), minlength=len(vocab)) * _usable_targets(vocab)
    for t in thresholds:
        keep = counts[inv.ravel()] >= t
        out.append({"min_docs_per_label": int(t), "labels": int((counts >= t).sum()),
                    "documents": int(np.unique(rows[keep]).size), "pairs": int(keep.sum())})
    return out


# ------------------------------------------------------------------------------------------
# the builder
# ------------------------------------------------------------------------------------------
def _cache_key(path: Path, params: dict) -> str:
    stat = path.stat()
    blob = json.dumps({"file": str(path.resolve()), "size": stat.st_size,
                       "mtime_ns": stat.st_mtime_ns, "version": BUILDER_VERSION, **params},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _check_params(variant, min_docs_per_label, test_fraction, rwr_top_k, max_anchor_df=None,
                  doc_rwr_top_k=None):
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if int(min_docs_per_label) != min_docs_per_label or min_docs_per_label < 1:
        raise ValueError(f"min_docs_per_label must be an integer ≥ 1, got {min_docs_per_label!r}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    if int(rwr_top_k) < 1:
        raise ValueError(f"rwr_top_k must be ≥ 1, got {rwr_top_k!r}")
    if max_anchor_df is not None and not 0.0 < float(max_anchor_df) <= 1.0:
        raise ValueError(f"max_anchor_df must be a fraction of the training documents in (0, 1] "
                         f"(e.g. 0.01), or None for no hub cap; got {max_anchor_df!r}")
    if doc_rwr_top_k is not None and (int(doc_rwr_top_k) != doc_rwr_top_k or doc_rwr_top_k < 1):
        raise ValueError(f"doc_rwr_top_k must be an integer ≥ 1 (anchors kept per document by "
                         f"the walk), or None to keep documents' own edges; got {doc_rwr_top_k!r}")


def build_wiki_seealso(path=None, *, variant: str = "titles", min_docs_per_label: int = 2,
                       test_fraction: float = 0.2, seed: int = 0, rwr_top_k: int = 10,
                       drop_maintenance: bool = True, max_anchor_df: float | None = MAX_ANCHOR_DF,
                       doc_rwr_top_k: int | None = None,
                       cache: bool = True, mention_rules: MentionRules | None = None,
                       progress: bool = False, _folder: list | None = None) -> XCDataset:
    """Build (or load from the cache) the Wikipedia see-also benchmark with the anchor sets
    ``category`` and ``mentions`` (plus ``links`` for a source with real links, e.g. a
    MediaWiki dump) — the module docstring defines every step.

    path:   article file (JSONL(.gz) or MediaWiki XML); None → the shared sample
            (:func:`ramen_edu.find_data_file`).
    variant: ``"titles"`` (document text = title, as LF-WikiSeeAlsoTitles) or ``"text"``
            (title + body text, as LF-WikiSeeAlso).
    min_docs_per_label: keep a see-also target as a label when at least this many documents
            list it (default 2, see the module docstring for the numbers).
    test_fraction, seed: the seeded random document split.
    rwr_top_k: anchors kept per label reached by the random walk (reference code: 10).
    drop_maintenance: drop categories matching :data:`MAINTENANCE_RULES` (default True).
    max_anchor_df: hub cap — drop every anchor (of every set) linked to more than this fraction
            of the training documents; None keeps all (default :data:`MAX_ANCHOR_DF`, measured
            in the module docstring).
    doc_rwr_top_k: None (default) keeps each training document's own edges; an integer k
            replaces them by its k most visited anchors of a random walk with restart (400
            hops, restart 0.8, App. B) over the same [documents; labels] graph the labels walk.
    cache:  reuse / write ``cache_dir()/wiki-seealso-<variant>-<hash of file and params>``
            (XC folder + ``card.json`` + ``card.md``).
    mention_rules: :class:`ramen_edu.data.mentions.MentionRules` for the mentions graph.
    Returns an :class:`XCDataset`: train/test texts, label texts, train_y / test_y csr
    (N × L), anchors {"category", "mentions"} (doc_anchor N_train × M, label_anchor L × M),
    filter_pairs (P × 2). Raises ValueError when no article has a see-also list or nothing is
    left after the thresholds.
    Taught in: book/02_anchor_graphs.ipynb
    """
    _check_params(variant, min_docs_per_label, test_fraction, rwr_top_k, max_anchor_df,
                  doc_rwr_top_k)
    rules = mention_rules or MentionRules()
    params = {"variant": variant, "min_docs_per_label": int(min_docs_per_label),
              "test_fraction": float(test_fraction), "seed": int(seed),
              "rwr_top_k": int(rwr_top_k), "drop_maintenance": bool(drop_maintenance),
              "maintenance_rules": _rules_fingerprint() if drop_maintenance else None,
              "max_anchor_df": None if max_anchor_df is None else float(max_anchor_df),
              "doc_rwr_top_k": None if doc_rwr_top_k is None else int(doc_rwr_top_k),
              "mention_rules": asdict(rules)}
    if path is None:
        path = find_data_file()
    path = Path(path)
    if not path.is_file():
        list(read_articles(path))  # raises the reader's FileNotFoundError with the fix
    folder = None
    if cache:
        folder = cache_dir() / f"wiki-seealso-{variant}-{_cache_key(path, params)}"
        if _folder is not None:  # wiki_seealso_card asks where the card is
            _folder.append(folder)
        if (folder / "card.json").is_file():
            return read_xc_dataset(folder)
    dataset, card = _build(path, params, rules, progress)
    if folder is not None:
        _write(dataset, card, folder)
    return dataset


def wiki_seealso_card(path=None, **build_args) -> dict:
    """The dataset card of the benchmark ``build_wiki_seealso(path, **build_args)`` builds:
    sizes, label survival, filter pairs, maintenance categories, mentions rules and graph
    quality before and after cleaning (``card["graph_quality"]``). Builds (and caches) the
    benchmark first if needed; the card lives in the cache folder, so ``cache`` must stay on.
    Taught in: book/02_anchor_graphs.ipynb
    """
    if build_args.get("cache") is False:
        raise ValueError("wiki_seealso_card reads card.json from the cache: leave cache=True")
    folders = []
    build_wiki_seealso(path, _folder=folders, **build_args)
    return json.loads((folders[0] / "card.json").read_text(encoding="utf-8"))


def _build(path: Path, params: dict, rules: MentionRules, progress: bool):
    timings = {}
    t0 = time.perf_counter()
    read, case_merged, cleaning = ReadStats(), {}, {}
    articles, path = _load(path, read, case_merged, cleaning)
    timings["read_s"] = time.perf_counter() - t0
    n_art = len(articles)
    titles = np.empty(n_art, dtype=object)
    titles[:] = [a.title for a in articles]

    # --- documents and labels --------------------------------------------------------
    doc_art = np.flatnonzero([bool(a.see_also) for a in articles])
    if not len(doc_art):
        raise ValueError(f"{path}: no article has a See also list, so there is nothing to "
                         "predict; the benchmark needs articles with a non-empty 'see_also'.")
    survival = label_survival(articles)
    rows, flat = _flatten([list(dict.fromkeys(articles[i].see_also)) for i in doc_art])
    vocab, inv = np.unique(flat, return_inverse=True)
    inv = inv.ravel()
    counts = np.bincount(inv, minlength=len(vocab))
    usable = _usable_targets(vocab)
    keep_label = (counts >= params["min_docs_per_label"]) & usable
    label_titles = vocab[keep_label]
    new_id = np.cumsum(keep_label) - 1
    keep_pair = keep_label[inv]
    y_all = sp.csr_matrix((np.ones(int(keep_pair.sum()), np.float32),
                           (rows[keep_pair], new_id[inv[keep_pair]])),
                          shape=(len(doc_art), len(label_titles)))
    has_label = np.diff(y_all.indptr) > 0
    if not has_label.any():
        raise ValueError(f"{path}: no see-also target is listed by {params['min_docs_per_label']} "
                         "or more documents; lower min_docs_per_label.")
    doc_art, y_all = doc_art[has_label], y_all[has_label]
    n_docs, n_labels = len(doc_art), len(label_titles)

    # --- split ---------------------------------------------------------------------------
    rng = np.random.default_rng(params["seed"])
    perm = rng.permutation(n_docs)
    n_test = max(1, int(round(params["test_fraction"] * n_docs)))
    if n_test >= n_docs:
        raise ValueError(f"{path}: {n_docs} documents cannot be split with test_fraction="
                         f"{params['test_fraction']}: nothing would be left to train on")
    test_idx, train_idx = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    train_art, test_art = doc_art[train_idx], doc_art[test_idx]
    train_y, test_y = y_all[train_idx].tocsr(), y_all[test_idx].tocsr()

    # --- filter pairs: self and reciprocal ------------------------------------------
    order = np.argsort(titles, kind="stable")  # titles[order] is sorted, for _lookup
    pos = _lookup(label_titles, titles[order])
    label_art = np.where(pos >= 0, order[np.maximum(pos, 0)], -1)  # label → article id or −1
    own_label = _lookup(titles[test_art], label_titles)  # test doc → its own label id or −1
    t_self = np.flatnonzero(own_label >= 0)
    # reciprocal: label b is the training document d_b, and d_b's own see-also list names the
    # test document t (raw list: whether or not t's title is itself a label)
    train_pos = np.full(n_art, -1, dtype=np.int64)
    train_pos[train_art] = np.arange(len(train_art))
    lab_train = np.where(label_art >= 0, train_pos[np.maximum(label_art, 0)], -1)
    has_doc = np.flatnonzero(lab_train >= 0)
    p = sp.csr_matrix((np.ones(len(has_doc), np.float32), (has_doc, lab_train[has_doc])),
                      shape=(n_labels, len(train_art)))
    lists_rows, lists_flat = _flatten([articles[j].see_also for j in train_art])
    test_order = np.argsort(titles[test_art], kind="stable")
    pos = _lookup(lists_flat, titles[test_art][test_order])
    hit = pos >= 0
    lists_test = sp.csr_matrix((np.ones(int(hit.sum()), np.float32),
                                (lists_rows[hit], test_order[pos[hit]])),
                               shape=(len(train_art), n_test))  # train doc lists test doc
    reciprocal = _binary((p @ lists_test).T.multiply(test_y))
    test_y = _binary(test_y - reciprocal)
    self_m = _binary(sp.csr_matrix((np.ones(len(t_self), np.float32),
                                    (t_self, own_label[t_self])), shape=(n_test, n_labels)))
    keep_test = np.diff(test_y.indptr) > 0
    dropped_test = int((~keep_test).sum())
    test_art, test_y = test_art[keep_test], test_y[keep_test]
    self_m, reciprocal = self_m[keep_test], reciprocal[keep_test]
    n_self, n_reciprocal = int(self_m.nnz), int(reciprocal.nnz)
    filt = _binary(self_m + reciprocal)  # disjoint: a reciprocal label is a training document
    filt = filt.tocoo()
    filter_pairs = np.stack([filt.row, filt.col], axis=1).astype(np.int64)
    timings["labels_split_s"] = time.perf_counter() - t0 - timings["read_s"]

    # --- the anchor graphs -------------------------------------------------------------
    is_test = np.zeros(n_art, dtype=bool)
    is_test[test_art] = True
    own_edges = (label_art >= 0) & ~is_test[np.maximum(label_art, 0)]  # article labels
    own_rows = np.where(own_edges, label_art, 0)

    t1 = time.perf_counter()
    cat_rows, cat_flat = _flatten([a.categories for a in articles])
    art_cat_all, cat_vocab = _incidence(cat_rows, cat_flat, n_art)
    not_test = sp.diags((~is_test).astype(np.float32))
    art_cat = _binary(not_test @ art_cat_all)  # a test document's categories: no anchor, no edge
    # a category named exactly like a test document ("Category:Abacus" and the test article
    # "Abacus") would put the test input text itself into training: drop it as well
    test_sorted = np.sort(titles[test_art])
    named_like_test = _lookup(cat_vocab, test_sorted) >= 0
    # maintenance and tracking categories (MAINTENANCE_RULES): counted on the training side
    family = maintenance_family(cat_vocab)
    cat_df = np.asarray((art_cat != 0).sum(axis=0)).ravel()
    maintenance = {f: {"categories": int(((family == f) & (cat_df > 0)).sum()),
                       "edges": int(cat_df[family == f].sum())}
                   for f, _, _ in MAINTENANCE_RULES}
    is_maintenance = (family != "") & params["drop_maintenance"]
    keep_cat = ~named_like_test & ~is_maintenance
    art_cat = _binary(art_cat @ sp.diags(keep_cat.astype(np.float32)))
    # the same columns for the test documents' hidden categories (scored, never trained on)
    test_cat = _binary(art_cat_all[test_art] @ sp.diags(keep_cat.astype(np.float32)))
    raw_cat = _binary(art_cat_all @ sp.diags((~named_like_test).astype(np.float32)))

    t2 = time.perf_counter()
    # test documents take no part: their titles are not searched for and their texts do not
    # count (held_out), so they shape neither an edge nor the rules' frequency thresholds; their
    # texts are still scanned so their hidden outgoing mentions can be scored
    m_titles = ["" if is_test[j] else articles[j].title for j in range(n_art)]
    m_texts = [articles[j].text for j in range(n_art)]
    see_ref = see_also_pairs(m_titles, [[] if is_test[j] else a.see_also
                                        for j, a in enumerate(articles)])
    mentions, mention_report = find_mentions(m_titles, m_texts, rules, reference=see_ref,
                                             held_out=is_test, progress=progress)
    timings["mentions_s"] = time.perf_counter() - t2
    test_mention = _binary(mentions[test_art] @ not_test)  # outgoing only: see the docstring
    mentions = not_test @ mentions
    undirected = mentions + mentions.T
    undirected = _binary(undirected - sp.diags(undirected.diagonal()))  # no self-edges
    art_mention = _binary(not_test @ undirected @ not_test)  # test articles are never anchors

    # (name, training-side article graph, test documents' hidden rows, anchor names)
    graphs = [("category", art_cat, test_cat, cat_vocab),
              ("mentions", art_mention, test_mention, titles)]
    if any(a.links for a in articles):  # a MediaWiki dump: the real hyperlink graph as well
        link_rows, link_flat = _flatten([a.links for a in articles])
        pos = _lookup(link_flat, titles[order])
        hit = pos >= 0
        links = sp.csr_matrix((np.ones(int(hit.sum()), np.float32),
                               (link_rows[hit], order[pos[hit]])), shape=(n_art, n_art))
        links = links + links.T
        links = _binary(links - sp.diags(links.diagonal()))
        graphs.append(("links", _binary(not_test @ links @ not_test),
                       _binary(links[test_art] @ not_test), titles))

    t3 = time.perf_counter()
    sets, rwr_stats, quality, hubs = {}, {}, {}, {}
    walk = dict(own_edges=own_edges, own_rows=own_rows, train_art=train_art, train_y=train_y,
                test_y=test_y, test_art=test_art, rwr_top_k=params["rwr_top_k"],
                seed=params["seed"])
    for name, art_anchor, test_anchor, anchor_names in graphs:
        doc_df = np.asarray((art_anchor[train_art] != 0).sum(axis=0)).ravel()
        cap = params["max_anchor_df"]
        is_hub = (doc_df > cap * len(train_art)) if cap is not None else np.zeros(len(doc_df), bool)
        hubs[name] = {"max_documents": None if cap is None else int(cap * len(train_art)),
                      "anchors_dropped": int(is_hub.sum()),
                      "train_edges_dropped": int(doc_df[is_hub].sum()),
                      "examples": [str(anchor_names[j]) for j in
                                   np.flatnonzero(is_hub)[np.argsort(-doc_df[is_hub])][:10]]}
        keep = sp.diags((~is_hub).astype(np.float32))
        doc_anchor, label_anchor, walked, own_here, quality[name], hidden = _anchor_graphs(
            _binary(art_anchor @ keep), _binary(test_anchor @ keep),
            params["doc_rwr_top_k"], **walk)
        if name == "category":  # the graph before cleaning: no maintenance rules, no hub cap
            quality[name]["before_cleaning"] = _anchor_graphs(
                _binary(not_test @ raw_cat), _binary(raw_cat[test_art]), None, **walk)[4]
        elif cap is not None:  # the linker's own rules are measured in mentions.MEASURED
            quality[name]["before_cleaning"] = _anchor_graphs(
                art_anchor, test_anchor, None, **walk)[4]
        used = np.flatnonzero(np.asarray((doc_anchor != 0).sum(axis=0)).ravel()
                              + np.asarray((label_anchor != 0).sum(axis=0)).ravel())
        if name != "category" and params["variant"] == "text":
            texts = [_one_line(f"{articles[j].title}. {articles[j].text}") for j in used]
        else:
            texts = [str(anchor_names[j]) for j in used]
        # the test documents' hidden edges travel with the set, apart from the graph: only an
        # oracle linker reads them (ramen_edu.baselines); edges to anchors outside the graph go
        sets[name] = AnchorSet(name, texts, doc_anchor[:, used], label_anchor[:, used],
                               test_doc_anchor=hidden[:, used])
        rwr_stats[name] = {"labels_with_own_edges": int(own_here.sum()),
                           "labels_by_walk": int((~own_here).sum()),
                           "labels_by_walk_with_edges": int(
                               (np.diff(walked.indptr)[len(train_art):] > 0).sum())}
    timings["anchor_graphs_s"] = time.perf_counter() - t3
    timings["categories_s"] = t2 - t1

    def doc_text(j: int) -> str:
        a = articles[j]
        return a.title if params["variant"] == "titles" else _one_line(f"{a.title}. {a.text}")

    dataset = XCDataset(
        name=f"wiki-seealso-{params['variant']}",
        train_texts=[doc_text(j) for j in train_art],
        test_texts=[doc_text(j) for j in test_art],
        label_texts=[str(t) for t in label_titles],
        train_y=train_y, test_y=test_y, anchors=sets, filter_pairs=filter_pairs,
        propensity_a=0.55, propensity_b=1.5)
    timings["total_s"] = time.perf_counter() - t0
    card = {
        "source": path.name,
        "params": params,
        "articles": n_art,
        "documents_with_see_also": int(sum(bool(a.see_also) for a in articles)),
        "label_survival": survival,
        "unusable_see_also_targets": int((~usable).sum()),
        "see_also_cleaning": cleaning or None,
        "see_also_normalisation": {
            "entries": read.see_also_targets, "rewritten": read.see_also_changed,
            "rejected": read.see_also_rejected, "rejected_examples": read.rejected_examples[:5],
            "case_variants_merged": len(case_merged),
            "source_truncated_at": read.stopped_at},
        "filter_pairs": {"self": n_self, "reciprocal": n_reciprocal,
                         "test_documents_dropped_without_labels": dropped_test},
        "label_edges": rwr_stats,
        "categories_named_like_test_documents": int(named_like_test.sum()),
        "maintenance_categories": maintenance,
        "hub_cap": hubs,
        "graph_quality": quality,
        "mentions": {"rules": asdict(rules), "stages": [list(s) for s in mention_report.stages],
                     "reference_see_also_pairs": mention_report.reference_pairs,
                     "dropped_titles": mention_report.dropped_titles},
        "summary": dataset.summary(),
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "licence": "Wikipedia text: Wikipedia contributors, CC BY-SA 3.0",
        "derived": "the 'mentions' graph is reconstructed from article texts, not Wikipedia links",
    }
    return dataset, card


def _anchor_graphs(art_anchor, test_anchor, doc_rwr_top_k, *, own_edges, own_rows, train_art,
                   train_y, test_y, test_art, rwr_top_k, seed):
    """One anchor set's graphs from its article graph (module docstring, "Label edges").

    art_anchor: csr (articles × M), training side only; test_anchor: csr (test documents × M),
    the test documents' hidden edges. Returns (doc_anchor N_train × M, label_anchor L × M, the
    walk's output, own_here (L,) bool, quality dict,
    the test documents' hidden edges N_test × M as scored) — quality from
    :func:`ramen_edu.graphs.anchor_graph_quality` on the held-out test documents (``test``,
    the number to read) and on the training documents (``train``, inflated: label edges are
    built from these documents' anchors).
    """
    n_train = len(train_art)
    doc_anchor = art_anchor[train_art]
    label_own = sp.diags(own_edges.astype(np.float32)) @ art_anchor[own_rows]
    # an article label with no edge in this set (no categories, say) is walked like the rest
    own_here = own_edges & (np.diff(label_own.indptr) > 0)
    # labels without own edges: the union of the anchors of their training documents
    walk_labels = np.flatnonzero(~own_here)
    seed_rows = _binary(sp.diags((~own_here).astype(np.float32)) @ (train_y.T @ doc_anchor))
    stacked = sp.vstack([doc_anchor, _binary(label_own + seed_rows)], format="csr")
    walked = random_walk_with_restart(stacked, hops=400, restart=0.8, top_k=rwr_top_k,
                                      seed=seed, nodes=n_train + walk_labels)
    label_anchor = (label_own + walked[n_train:]).tocsr()
    if doc_rwr_top_k is not None:
        # documents walk the same [documents; labels] graph; the test documents, for scoring
        # only, walk it from their hidden edges (their rows are appended after the labels and
        # only they start walks, so no training row changes)
        big = sp.vstack([stacked, test_anchor], format="csr")
        n_big = big.shape[0]
        dense = random_walk_with_restart(
            big, hops=400, restart=0.8, top_k=int(doc_rwr_top_k), seed=seed + 1,
            nodes=np.r_[np.arange(n_train), np.arange(n_big - test_anchor.shape[0], n_big)])
        doc_anchor = dense[:n_train].tocsr()
        test_anchor = dense[n_big - test_anchor.shape[0]:].tocsr()
    quality = {"test": anchor_graph_quality(test_anchor, test_y, label_anchor),
               "train": anchor_graph_quality(doc_anchor, train_y, label_anchor)}
    return doc_anchor, label_anchor, walked, own_here, quality, test_anchor


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------
# card and cache
# ------------------------------------------------------------------------------------------
def card_markdown(card: dict) -> str:
    """The dataset card as Markdown: the paper's Table 15 columns and the build's counts.

    """
    s = card["summary"]
    lines = [f"# {s['name']}", "",
             f"Built from `{card['source']}` ({card['articles']:,} articles). "
             f"{card['licence']}. {card['derived'][0].upper() + card['derived'][1:]}.", "",
             markdown_table(["train documents", "test documents", "labels", "avg labels / document",
                             "avg documents / label"],
                            [[f"{s['train_documents']:,}", f"{s['test_documents']:,}", f"{s['labels']:,}",
                              f"{s['avg_labels_per_document']:.2f}", f"{s['avg_documents_per_label']:.2f}"]],
                            align="rrrrr"), "",
             markdown_table(["graph", "anchors", "avg anchors / document", "avg anchors / label"],
                            [[name, f"{a['anchors']:,}", f"{a['avg_anchors_per_document']:.2f}",
                              f"{a['avg_anchors_per_label']:.2f}"] for name, a in s["anchor_sets"].items()])]
    lines += ["", "For scale, the paper's LF-WikiSeeAlsoTitles-320K (Table 15): 693,082 train / "
                  "177,515 test documents, 312,330 labels, 4.67 documents per label, 2.11 labels "
                  "per document."]
    clean = card.get("see_also_cleaning")
    if clean:
        b, a = clean["before"], clean["after"]
        lines += ["", f"See-also items → titles (`ramen_edu.data.see_also`): "
                      f"{clean['items_rewritten']:,} of {clean['raw_distinct_items']:,} distinct "
                      "items rewritten.", "",
                  markdown_table(["", "distinct items", f"labels (≥ {clean['min_docs_per_label']} listers)",
                                  "labels that are page titles"],
                                 [[when, f"{x['distinct_items']:,}", f"{x['labels']:,}",
                                   f"{x['labels_that_are_page_titles']:.1%}"] for when, x in (("before", b), ("after", a))]),
                  "",
                  "Random rewritten items (seeded):", ""]
        lines += [f"- `{e['item']}` → `{e['title']}`" for e in clean["examples"]]
    stages = card.get("mentions", {}).get("stages") or []
    if stages:
        ref = card["mentions"].get("reference_see_also_pairs")
        lines += ["", "Mentions graph (derived), what each noise rule removed"
                  + (f" — and how many of the {ref:,} see-also pairs between training-side "
                     "articles are still edges" if ref else "") + ":", "",
                  markdown_table(["rule", "edges left", "removed", "see-also pairs found"],
                                 [[name, f"{left:,}", f"{removed:,}", "" if found is None else f"{found:,}"]
                                  for name, left, removed, found in stages])]
    quality = card.get("graph_quality") or {}
    if quality:
        lines += ["", "Graph quality (`ramen_edu.graphs.anchor_graph_quality`) on the held-out "
                      "test documents: their hidden edges (categories; outgoing mentions) "
                      "against label edges built without them. Precision = share of edges whose "
                      "anchor one of the document's labels touches; coverage = share of "
                      "(document, label) pairs joined in two hops. Train columns are inflated "
                      "(label edges come from those documents).", ""]
        rows = [[name, stage, f"{t['edge_precision']:.1%}", f"{t['label_coverage']:.1%}",
                 f"{t['edges_per_document']:.2f}", f"{tr['edge_precision']:.1%}", f"{tr['label_coverage']:.1%}",
                 f"{tr['edges_per_document']:.2f}"]
                for name, q in quality.items()
                for stage, r in (("before cleaning", q.get("before_cleaning")), ("built", q)) if r
                for t, tr in [(r["test"], r["train"])]]
        lines.append(markdown_table(["graph", "stage", "test precision", "test coverage", "test edges / doc",
                                     "train precision", "train coverage", "train edges / doc"], rows,
                                    align="llrrrrrr"))
    maint = card.get("maintenance_categories") or {}
    if maint:
        lines += ["", "Maintenance categories (`MAINTENANCE_RULES`, training side"
                  + ("" if card["params"].get("drop_maintenance") else ", counted, not dropped")
                  + "): " + ", ".join(f"{k} {v['categories']:,} categories / {v['edges']:,} "
                                      "edges" for k, v in maint.items()) + "."]
    f = card["filter_pairs"]
    lines += ["", f"Filter pairs: {f['self']:,} self, {f['reciprocal']:,} reciprocal "
                  f"({f['test_documents_dropped_without_labels']:,} test documents dropped "
                  "with no label left).",
              "", "Parameters: " + ", ".join(f"{k}={v}" for k, v in card["params"].items()
                                                 if k != "mention_rules"),
              "", "Build time (s): " + ", ".join(f"{k} {v}" for k, v in card["timings"].items())]
    return "\n".join(lines) + "\n"


def _write(dataset: XCDataset, card: dict, folder: Path) -> None:
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    write_xc_dataset(dataset, tmp)
    (tmp / "card.json").write_text(json.dumps(card, indent=2, default=str) + "\n", encoding="utf-8")
    (tmp / "card.md").write_text(card_markdown(card), encoding="utf-8")
    if folder.exists():  # another process finished first; keep its copy
        shutil.rmtree(tmp)
        return
    tmp.rename(folder)


# ------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------
def article_subset(articles: list[Article], core: set[str], n_random: int, *, seed: int = 0) -> list[Article]:
    """A small article file that still holds a story: the ``core`` articles, every article whose
    See also list names one of them, everything those lists name, and ``n_random`` random articles.

    Returns the chosen articles in their input order (a build from them is then reproducible).
    Taught in: book/02_anchor_graphs.ipynb
    """
    wanted = set(core)
    for a in articles:
        if a.title in core or core & set(a.see_also):
            wanted.add(a.title)
            wanted.update(a.see_also)
    pick = np.random.default_rng(seed).choice(len(articles), size=min(n_random, len(articles)), replace=False)
    wanted.update(articles[i].title for i in pick)
    return [a for a in articles if a.title in wanted]


def article_graph(articles, mentions: sp.csr_matrix | None = None) -> tuple[sp.csr_matrix, list[str]]:
    """The article graph before any split: binary csr (N, C), rows the N articles, columns every
    title — the articles first, in order, then see-also targets that are not articles.

    An article is linked to itself, to the articles it mentions or that mention it
    (``mentions``, csr (N, N) from :func:`ramen_edu.data.mentions.find_mentions` on these articles —
    computed when not given — symmetrised) and to its See also targets. Returns (graph, column titles).
    Taught in: book/02_anchor_graphs.ipynb
    """
    titles = [a.title for a in articles]
    m = find_mentions(titles, [a.text for a in articles])[0] if mentions is None else mentions
    columns = list(dict.fromkeys(titles + [x for a in articles for x in a.see_also]))
    col_id = {c: j for j, c in enumerate(columns)}
    n = len(titles)
    links = ((m + m.T) > 0).astype(np.float32) + sp.identity(n, dtype=np.float32, format="csr")
    see_rows = [i for i, a in enumerate(articles) for _ in a.see_also]
    see_cols = [col_id[x] for a in articles for x in a.see_also]
    see = sp.csr_matrix((np.ones(len(see_rows), np.float32), (see_rows, see_cols)), shape=(n, len(columns)))
    graph = (sp.hstack([links, sp.csr_matrix((n, len(columns) - n), dtype=np.float32)]).tocsr() + see).tocsr()
    graph.data[:] = 1.0
    return graph, columns


def cli_main(argv: list[str] | None = None) -> int:
    """``ramen-edu build-wiki``: build the see-also benchmark, print its card.

    """
    parser = argparse.ArgumentParser(
        prog="ramen-edu build-wiki",
        description="Build the Wikipedia see-also benchmark (documents, labels, 'category' and "
                    "'mentions' anchor graphs) in the XC repository layout.")
    parser.add_argument("--data", default=None,
                        help="article file (.jsonl(.gz) or MediaWiki .xml(.bz2)); default: the "
                             "shared Wikipedia sample")
    parser.add_argument("--variant", choices=VARIANTS, default="titles")
    parser.add_argument("--min-docs-per-label", type=int, default=2)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rwr-top-k", type=int, default=10)
    parser.add_argument("--keep-maintenance", action="store_true",
                        help="keep Wikipedia maintenance/tracking categories")
    parser.add_argument("--max-anchor-df", type=float, default=MAX_ANCHOR_DF,
                        help="hub cap: drop anchors linked to more than this fraction of the "
                             "training documents (default: off)")
    parser.add_argument("--doc-rwr-top-k", type=int, default=None,
                        help="replace documents' edges by their k most visited anchors")
    parser.add_argument("--no-cache", action="store_true", help="rebuild even if cached")
    parser.add_argument("--out", default=None, help="also write the XC folder here")
    args = parser.parse_args(argv)
    try:
        ds = build_wiki_seealso(args.data, variant=args.variant,
                                min_docs_per_label=args.min_docs_per_label,
                                test_fraction=args.test_fraction, seed=args.seed,
                                rwr_top_k=args.rwr_top_k,
                                drop_maintenance=not args.keep_maintenance,
                                max_anchor_df=args.max_anchor_df,
                                doc_rwr_top_k=args.doc_rwr_top_k, cache=not args.no_cache,
                                progress=True)
    except (FileNotFoundError, ValueError) as err:
        print(f"ramen-edu build-wiki: {err}", file=sys.stderr)
        return 1
    if args.out:
        write_xc_dataset(ds, args.out)
        print(f"wrote {args.out}")
    print(ds)
    print(json.dumps(ds.summary(), indent=2))
    return 0
