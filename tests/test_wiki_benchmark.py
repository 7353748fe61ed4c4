"""Tests for ramen_edu.data.wiki_benchmark on a small hand-made article file (never cut from
the real data), plus one build from the shared Wikipedia sample."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.data import wiki_benchmark as wb
from ramen_edu.data.mentions import MentionRules
from ramen_edu.data.wiki_benchmark import build_wiki_seealso, cli_main, label_survival
from ramen_edu.data.wikipedia import read_articles

# the default fractions assume thousands of articles; on 16 they would call every title a hub
LOOSE = MentionRules(min_title_chars=3, common_word_fraction=1.0, max_doc_fraction=1.0)


def art(title, see_also=(), categories=(), text=""):
    return {"title": title, "text": text or f"{title} is an article.", "see_also": list(see_also),
            "categories": list(categories)}


ARTICLES = [
    art("Clade", ["Crown group", "Monophyly", "Cladistics"], ["Phylogenetics", "Biology"],
        "A clade is studied in Cladistics. See Crown group and Taxon."),
    art("Monophyly", ["Clade", "Crown group", "Paraphyly"], ["Phylogenetics"],
        "Monophyly describes a Clade and its Crown group."),
    art("Cladistics", ["Common descent", "Clade", "Paraphyly"], ["Phylogenetics", "Taxonomy"],
        "Cladistics groups by Common descent."),
    art("Paraphyly", ["Monophyly", "Clade", "Polyphyly"], ["Phylogenetics"],
        "Paraphyly is not Monophyly."),
    art("Polyphyly", ["Paraphyly", "Monophyly", "Crown group"], ["Phylogenetics"],
        "Polyphyly versus Paraphyly."),
    art("Taxon", ["Clade", "Common descent"], ["Taxonomy"], "A Taxon may be a Clade."),
    art("Species", ["Taxon", "Common descent", "Zeta"], ["Taxonomy", "Biology"],
        "A Species is a Taxon with Common descent."),
    art("Genus", ["Taxon", "Species", "Zeta"], ["Taxonomy"], "A Genus holds Species."),
    art("Evolution", ["Common descent", "Species"], ["Biology"],
        "Evolution explains Common descent of Species."),
    art("Phylogeny", ["Cladistics", "Evolution", "Outside title"], ["Phylogenetics"],
        "Phylogeny uses Cladistics and Evolution."),
    art("Outgroup", ["Cladistics", "Outside title", "Singleton"], ["Phylogenetics"],
        "An Outgroup roots Cladistics trees."),
    art("Tree", ["Phylogeny", "Evolution"], ["Graphs"], "A Tree drawn in Phylogeny."),
    art("Common descent", [], ["Evolutionary biology"], "Common descent links every Species."),
    art("Crown group", [], ["Phylogenetics"], "A Crown group is a Clade."),
    art("Zeta", [], ["Greek letters"], "Zeta is a letter."),
    art("Orphan", [], [], "Nothing links here."),
]
LABELS = {"Crown group", "Monophyly", "Cladistics", "Clade", "Paraphyly", "Common descent",
          "Taxon", "Species", "Zeta", "Evolution", "Outside title"}  # listed ≥ 2 times


def write(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    return write(tmp_path / "small.jsonl", ARTICLES)


def build(path, **kw):
    kw.setdefault("cache", False)
    kw.setdefault("mention_rules", LOOSE)
    kw.setdefault("test_fraction", 0.25)
    return build_wiki_seealso(path, **kw)


def anchor_row(ds, set_name, label_title):
    a = ds.anchors[set_name]
    row = a.label_anchor[ds.label_texts.index(label_title)]
    return {a.texts[j]: float(v) for j, v in zip(row.indices, row.data)}


def test_documents_labels_split(small):
    ds = build(small)
    assert set(ds.label_texts) == LABELS
    docs = set(ds.train_texts) | set(ds.test_texts)
    assert not set(ds.train_texts) & set(ds.test_texts)
    assert docs <= {a["title"] for a in ARTICLES if a["see_also"]}
    assert ds.n_test == 3 or ds.n_test == 2  # 12 documents × 0.25, minus any left label-less
    # ground truth is what the files say, restricted to kept labels
    by_title = {a["title"]: a for a in ARTICLES}
    for texts, y in ((ds.train_texts, ds.train_y), (ds.test_texts, ds.test_y)):
        for i, t in enumerate(texts):
            got = {ds.label_texts[j] for j in y[i].indices}
            listed = set(by_title[t]["see_also"]) & LABELS
            assert got <= listed and (texts is ds.test_texts or got == listed)
    assert set(ds.anchors) == {"category", "mentions"}
    assert ds.propensity_a == 0.55 and ds.propensity_b == 1.5
    # the same seed gives the same dataset, another seed another split
    assert build(small).train_texts == ds.train_texts
    assert any(build(small, seed=s).train_texts != ds.train_texts for s in range(1, 5))


def test_article_labels_get_their_own_edges(small):
    ds = build(small)
    # "Zeta" and "Common descent" are articles without a see-also list: never test documents
    assert anchor_row(ds, "category", "Zeta") == {"Greek letters": 1.0}
    assert anchor_row(ds, "category", "Common descent") == {"Evolutionary biology": 1.0}
    # mentions are undirected: Common descent names Species; Cladistics, Species, Evolution name it
    mentions = anchor_row(ds, "mentions", "Common descent")
    test = set(ds.test_texts)
    assert set(mentions) == {"Species", "Cladistics", "Evolution"} - test


def test_other_labels_walk_through_training_documents(small):
    ds = build(small, seed=3)
    y_t = ds.train_y.T.tocsr()
    for name, a in ds.anchors.items():
        for title in ("Outside title",) + tuple(t for t in ds.test_texts if t in LABELS):
            lab = ds.label_texts.index(title)
            row = a.label_anchor[lab]
            docs = y_t[lab].indices
            if len(docs) == 0:
                assert row.nnz == 0  # no training document lists it: no edges
                continue
            assert 0 < row.nnz <= 10
            assert np.all(row.data > 0) and np.all(row.data <= 1.0)  # visit frequencies
            # with restart 0.8 the label's own seed anchors (its documents' anchors) dominate
            seed = set(np.flatnonzero(np.asarray(a.doc_anchor[docs].sum(axis=0)).ravel()))
            top = row.indices[np.argmax(row.data)]
            assert top in seed


def test_leak_rule_no_test_document_in_any_graph(small, tmp_path):
    ds = build(small)
    test_titles = set(ds.test_texts)
    assert test_titles
    for a in ds.anchors.values():
        assert a.doc_anchor.shape[0] == ds.n_train
    assert not test_titles & set(ds.anchors["mentions"].texts)
    # changing what a test document says or belongs to must change no graph at all
    changed = []
    for r in ARTICLES:
        r = dict(r)
        if r["title"] in test_titles:
            r["categories"] = r["categories"] + ["LEAK category"]
            r["text"] = "Mentions Zeta, Orphan, Tree, Genus and Common descent. " + r["text"]
        changed.append(r)
    ds2 = build(write(tmp_path / "changed.jsonl", changed))
    assert ds2.test_texts == ds.test_texts
    for name in ds.anchors:
        a, b = ds.anchors[name], ds2.anchors[name]
        assert a.texts == b.texts, name
        assert (a.doc_anchor != b.doc_anchor).nnz == 0
        assert (a.label_anchor != b.label_anchor).nnz == 0
    assert "LEAK category" not in ds2.anchors["category"].texts
    # no anchor of any set carries a test document's exact text
    for a in ds.anchors.values():
        assert not test_titles & set(a.texts)


def test_category_named_like_a_test_document_is_dropped(small, tmp_path):
    test_titles = build(small).test_texts
    renamed = [dict(r, categories=r["categories"] + [test_titles[0]]) if not r["see_also"] else r
               for r in ARTICLES]  # every non-document article joins a category named so
    ds = build(write(tmp_path / "renamed.jsonl", renamed))
    assert ds.test_texts == test_titles
    assert test_titles[0] not in ds.anchors["category"].texts


def test_filter_pairs_self_and_reciprocal(small):
    by_title = {a["title"]: a for a in ARTICLES}
    seen_reciprocal = 0
    for seed in range(12):
        ds = build(small, seed=seed)
        pairs = {(int(t), int(j)) for t, j in ds.filter_pairs}
        train = set(ds.train_texts)
        for t, title in enumerate(ds.test_texts):
            if title in LABELS:  # a document never predicts itself
                assert (t, ds.label_texts.index(title)) in pairs
        for t, j in pairs:
            doc, lab = ds.test_texts[t], ds.label_texts[j]
            if doc != lab:  # reciprocal: the label is a training document that lists doc
                assert lab in train and doc in by_title[lab]["see_also"]
                assert ds.test_y[t, j] == 0  # and it left the ground truth
                seen_reciprocal += 1
        # no reciprocal pair is left in the test ground truth
        for t, title in enumerate(ds.test_texts):
            for j in ds.test_y[t].indices:
                lab = ds.label_texts[j]
                assert not (lab in train and title in by_title[lab]["see_also"])
    assert seen_reciprocal > 0  # the construction was exercised


def test_text_variant(small):
    ds = build(small, variant="text")
    assert all("\n" not in t for t in ds.train_texts + ds.anchors["mentions"].texts)
    assert any(t.startswith("Clade. A clade is studied") for t in ds.train_texts + ds.test_texts)
    assert ds.label_texts == build(small).label_texts


def test_no_see_also_anywhere_is_a_clear_error(small, tmp_path):
    path = write(tmp_path / "none.jsonl", [dict(a, see_also=[]) for a in ARTICLES])
    with pytest.raises(ValueError, match="no article has a See also list"):
        build(path)
    with pytest.raises(ValueError, match="lower min_docs_per_label"):
        build(small, min_docs_per_label=50)


def test_bad_parameters(small):
    with pytest.raises(ValueError, match="variant"):
        build(small, variant="abstract")
    with pytest.raises(ValueError, match="test_fraction"):
        build(small, test_fraction=1.0)
    with pytest.raises(ValueError, match="min_docs_per_label"):
        build(small, min_docs_per_label=0)
    with pytest.raises(FileNotFoundError, match="find_data_file"):
        build(small.with_name("missing.jsonl"))


def test_cache_written_and_reused(small, monkeypatch):
    ds = build(small, cache=True)
    folders = list((small.parent / "cache").glob("wiki-seealso-titles-*"))
    assert len(folders) == 1
    card = json.loads((folders[0] / "card.json").read_text())
    assert card["summary"]["labels"] == ds.n_labels == len(LABELS)
    assert card["summary"]["anchor_sets"]["category"]["anchors"] == ds.anchors["category"].n_anchors
    assert "| train documents |" in (folders[0] / "card.md").read_text()

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cached dataset should have been reused")

    monkeypatch.setattr(wb, "_build", no_rebuild)
    again = build(small, cache=True)
    assert again.train_texts == ds.train_texts and again.label_texts == ds.label_texts
    assert (again.train_y != ds.train_y).nnz == 0
    np.testing.assert_array_equal(again.filter_pairs, ds.filter_pairs)
    for name, a in ds.anchors.items():
        assert again.anchors[name].texts == a.texts
        assert abs(again.anchors[name].label_anchor - a.label_anchor).max() < 1e-6
    with pytest.raises(AssertionError, match="reused"):  # other parameters: another entry
        build(small, cache=True, seed=1)


def test_label_survival(small):
    rows = label_survival(list(read_articles(small)))
    # counted by hand from ARTICLES: 14 distinct targets, 12 lists, 33 entries
    assert rows[0] == {"min_docs_per_label": 1, "labels": 14, "documents": 12, "pairs": 33}
    assert rows[1]["labels"] == len(LABELS)


def test_cli(small, tmp_path, capsys):
    out = tmp_path / "xc"
    assert cli_main(["--data", str(small), "--no-cache", "--out", str(out)]) == 0
    assert (out / "trn_X.txt").is_file() and (out / "mentions_lbl_X_Y.txt").is_file()
    assert '"labels": 11' in capsys.readouterr().out
    assert cli_main(["--data", str(tmp_path / "nope.jsonl")]) == 1
    assert "find_data_file" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# the real shared sample
# ------------------------------------------------------------------------------------------
def wikipedia_files():
    """The shipped sample (always, in a checkout) and the full file where this machine has it."""
    from ramen_edu.settings import find_data_file, project_root

    files = [pytest.param(project_root() / "data_samples" / "wikipedia-sample" / "articles.jsonl.gz",
                          id="shipped-sample")]
    try:
        files.append(pytest.param(find_data_file(allow_sample=False), id="full-file"))
    except FileNotFoundError:
        pass  # a fresh clone: the sample above is the real-data test
    return files


@pytest.mark.slow
@pytest.mark.parametrize("source", wikipedia_files())
def test_build_from_real_articles(source, tmp_path, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    ds = build_wiki_seealso(source, cache=True)
    card_file = next((tmp_path / "cache").glob("wiki-seealso-titles-*/card.json"))
    card = json.loads(card_file.read_text())
    survived = card["label_survival"][1]
    assert survived["min_docs_per_label"] == 2 and ds.n_labels == survived["labels"]
    assert ds.n_train + ds.n_test + card["filter_pairs"]["test_documents_dropped_without_labels"] \
        == survived["documents"]
    assert abs(ds.n_test / (ds.n_train + ds.n_test) - 0.2) < 0.01
    assert ds.n_test >= 500  # the sample was made big enough for a few hundred test documents
    # DATA.md: Clade and Monophyly both list Crown group (and Paraphyly), so they are labels
    assert "Crown group" in ds.label_texts and "Paraphyly" in ds.label_texts
    assert "()" not in ds.label_texts and card["unusable_see_also_targets"] > 0  # export debris
    test_titles = set(ds.test_texts)
    for a in ds.anchors.values():
        assert not test_titles & set(a.texts)
    assert card["categories_named_like_test_documents"] > 0
    assert len(ds.filter_pairs) == card["filter_pairs"]["self"] + card["filter_pairs"]["reciprocal"]
    s = ds.summary()
    for name in ("category", "mentions"):
        a = ds.anchors[name]
        assert s["anchor_sets"][name]["avg_anchors_per_document"] > 1
        assert (np.asarray((a.doc_anchor != 0).sum(axis=0)).ravel()
                + np.asarray((a.label_anchor != 0).sum(axis=0)).ravel()).min() > 0  # all used
        assert sp.isspmatrix_csr(a.label_anchor)


def test_mediawiki_dump_adds_real_links(tmp_path, monkeypatch):
    """A MediaWiki dump has real [[links]]: the builder adds a ``links`` anchor set, resolved
    through redirects, with test documents removed like everywhere else."""
    from test_wikipedia import DUMP_HEAD, page

    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    pages = [page("Hub", "Hub page.\n[[Category:Hubs]]"),
             page("HubAlias", "#REDIRECT [[Hub]]", redirect="Hub")]
    for i in range(10):
        text = (f"Article {i} links [[HubAlias]] and [[Article {(i + 1) % 10}]].\n"
                f"[[Category:Group {i % 2}]]\n==See also==\n* [[Hub]]\n* [[Target {i % 3}]]\n")
        pages.append(page(f"Article {i}", text))
    path = tmp_path / "dump.xml"
    path.write_text(DUMP_HEAD + "\n".join(pages) + "\n</mediawiki>\n", encoding="utf-8")
    ds = build(path)
    assert set(ds.anchors) == {"category", "mentions", "links"}
    assert set(ds.label_texts) == {"Hub", "Target 0", "Target 1", "Target 2"}
    links = ds.anchors["links"]
    test = set(ds.test_texts)
    assert not test & set(links.texts)
    for i, title in enumerate(ds.train_texts):
        got = {links.texts[j] for j in links.doc_anchor[i].indices}
        n = int(title.split()[1])
        expected = {"Hub", f"Article {(n + 1) % 10}", f"Article {(n - 1) % 10}"} - test
        assert got == expected  # the redirect HubAlias resolved to Hub; links undirected
    # "Hub" is an article label with its own links: every article that links to it but the tests
    hub = {links.texts[j] for j in links.label_anchor[ds.label_texts.index("Hub")].indices}
    assert hub == {f"Article {i}" for i in range(10)} - test


# ------------------------------------------------------------------------------------------
# cleaning: maintenance rules, hub cap, densification, graph quality
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, family", [
    ("Articles containing video clips", "article maintenance"),
    ("All articles with unsourced statements", "article maintenance"),
    ("Law articles needing an infobox", "article maintenance"),
    ("Articles with dead external links", "article maintenance"),
    ("Wikipedia articles incorporating text from A Woman of the Century", "article maintenance"),
    ("Pages including recorded pronunciations (UK English)", "project pages"),
    ("Use dmy dates from October 2016", "project pages"),
    ("CS1 maint: archived copy as title", "project pages"),
    ("Webarchive template wayback links", "article maintenance"),
    ("Commons category link is on Wikidata", "project pages"),
    ("Coordinates on Wikidata", "project pages"),
    ("Short description matches Wikidata", "project pages"),
    ("Good articles", "article maintenance"),
    ("Featured lists", "project pages"),
    ("Place name disambiguation pages", "project pages"),
    ("RTT", "project pages"),
    ("Monaco stubs", "stubs"),
    ("All stub articles", "article maintenance"),
    ("Living people", "biography tracking"),
    ("Year of birth missing (living people)", "biography tracking"),
    ("Place of death unknown", "biography tracking"),
    # look-alikes: real subjects that must survive
    ("Signers of the Articles of Confederation", ""),
    ("Articles of Confederation", ""),
    ("Elementary particles", ""),
    ("Missing people", ""),
    ("Members of the House of Commons of Canada from Quebec", ""),
    ("Wikipedia controversies", ""),
    ("Linux distributions without systemd", ""),
    ("Citation indices", ""),
    ("People educated at Stubbington House School", ""),
    ("1997 births", ""),
])
def test_maintenance_families(name, family):
    assert wb.maintenance_family([name])[0] == family


def test_maintenance_categories_dropped_and_counted(small, tmp_path):
    records = [dict(r, categories=r["categories"] + ["Living people", "Monaco stubs"])
               for r in ARTICLES]
    path = write(tmp_path / "maint.jsonl", records)
    ds = build(path)
    assert not {"Living people", "Monaco stubs"} & set(ds.anchors["category"].texts)
    kept = build(path, drop_maintenance=False)
    assert {"Living people", "Monaco stubs"} <= set(kept.anchors["category"].texts)
    card = wb._build(path, {**_params(), "drop_maintenance": True}, LOOSE, False)[1]
    n_side = len(ARTICLES) - len(ds.test_texts)  # training-side articles, test ones excluded
    assert card["maintenance_categories"]["biography tracking"] == {"categories": 1,
                                                                    "edges": n_side}
    assert card["maintenance_categories"]["stubs"] == {"categories": 1, "edges": n_side}


def _params(**kw):
    p = {"variant": "titles", "min_docs_per_label": 2, "test_fraction": 0.25, "seed": 0,
         "rwr_top_k": 10, "drop_maintenance": True, "maintenance_rules": "x",
         "max_anchor_df": None, "doc_rwr_top_k": None, "mention_rules": {}}
    p.update(kw)
    return p


def test_hub_cap_drops_anchors_above_the_fraction(small):
    ds = build(small)
    n_train = ds.n_train
    df = np.asarray((ds.anchors["category"].doc_anchor != 0).sum(axis=0)).ravel()
    top = ds.anchors["category"].texts[int(np.argmax(df))]  # "Phylogenetics"
    frac = (df.max() - 0.5) / n_train  # just below the biggest anchor's share
    capped = build(small, max_anchor_df=frac)
    assert top not in capped.anchors["category"].texts
    for name, a in capped.anchors.items():
        assert np.asarray((a.doc_anchor != 0).sum(axis=0)).max() <= frac * n_train, name
    # a cap of 1.0 drops nothing
    assert build(small, max_anchor_df=1.0).anchors["category"].texts == ds.anchors["category"].texts


def test_doc_densification_option(small):
    ds = build(small)
    walked = build(small, doc_rwr_top_k=2)
    for name in ds.anchors:
        d = walked.anchors[name].doc_anchor
        assert d.getnnz(axis=1).max() <= 2
        assert np.all(d.data > 0) and np.all(d.data <= 1.0)  # visit frequencies
        # label edges do not depend on the option
        assert ds.label_texts == walked.label_texts
    # with restart 0.8 a document's most visited anchor is one of its own
    a, b = ds.anchors["category"], walked.anchors["category"]
    for i in range(ds.n_train):
        row = b.doc_anchor[i]
        if row.nnz:
            own = {a.texts[j] for j in a.doc_anchor[i].indices}
            assert b.texts[row.indices[np.argmax(row.data)]] in own


def test_card_has_graph_quality(small):
    card = wb._build(small, _params(max_anchor_df=0.9), LOOSE, False)[1]
    for name in ("category", "mentions"):
        q = card["graph_quality"][name]
        for split in ("test", "train"):
            assert 0.0 <= q[split]["edge_precision"] <= 1.0
            assert 0.0 <= q[split]["label_coverage"] <= 1.0
        assert "before_cleaning" in q
    md = wb.card_markdown(card)
    assert "Graph quality" in md and "| category | built |" in md
    assert "Maintenance categories" in md


def test_new_parameters_change_the_cache_key(small):
    base = build(small, cache=True)
    assert base is not None
    folders = lambda: set((small.parent / "cache").glob("wiki-seealso-titles-*"))  # noqa: E731
    before = folders()
    build(small, cache=True, max_anchor_df=0.5)
    build(small, cache=True, doc_rwr_top_k=3)
    build(small, cache=True, drop_maintenance=False)
    assert len(folders()) == len(before) + 3
    p1 = wb._cache_key(small, _params(maintenance_rules="a"))
    assert p1 != wb._cache_key(small, _params(maintenance_rules="b"))


@pytest.mark.parametrize("kw, match", [
    (dict(max_anchor_df=0.0), "max_anchor_df must be a fraction"),
    (dict(max_anchor_df=1.5), "max_anchor_df must be a fraction"),
    (dict(doc_rwr_top_k=0), "doc_rwr_top_k must be an integer"),
    (dict(doc_rwr_top_k=2.5), "doc_rwr_top_k must be an integer"),
])
def test_bad_cleaning_parameters(small, kw, match):
    with pytest.raises(ValueError, match=match):
        build(small, **kw)


def test_card_quality_table_shows_both_stages(tmp_path, monkeypatch):
    """The chapter-2 table: one row per graph and stage, from the card the build writes."""
    from ramen_edu.viz import graph_quality_table

    card = {"graph_quality": {"category": {
        "test": {"edge_precision": 0.15, "label_coverage": 0.345, "edges_per_document": 5.77},
        "train": {"edge_precision": 0.57, "label_coverage": 0.81, "edges_per_document": 5.68},
        "before_cleaning": {
            "test": {"edge_precision": 0.154, "label_coverage": 0.363, "edges_per_document": 5.9},
            "train": {"edge_precision": 0.571, "label_coverage": 0.822, "edges_per_document": 5.8}}}}}
    html = graph_quality_table(card)
    assert html.count("<tr>") == 3 and "before cleaning" in html and "as built" in html
    assert "15.0%" in html and "36.3%" in html


def test_wiki_seealso_card_is_the_card_of_that_build(small):
    from ramen_edu.data.wiki_benchmark import wiki_seealso_card

    card = wiki_seealso_card(small, mention_rules=LOOSE, test_fraction=0.25)
    ds = build(small, cache=True)
    assert card["summary"]["train_documents"] == ds.n_train
    assert card["params"]["test_fraction"] == 0.25 and set(card["graph_quality"]) <= set(ds.anchors)
    other = wiki_seealso_card(small, mention_rules=LOOSE, test_fraction=0.5)
    assert other["params"]["test_fraction"] == 0.5
    with pytest.raises(ValueError, match="cache=True"):
        wiki_seealso_card(small, cache=False)


def test_article_subset_keeps_the_story_and_a_reproducible_sample(small):
    articles = list(read_articles(small))
    core = {"Crown group"}
    none_random = wb.article_subset(articles, core, 0)
    # Crown group, the articles listing it, and everything those list
    assert [a.title for a in none_random] == ["Clade", "Monophyly", "Cladistics", "Paraphyly", "Polyphyly",
                                              "Crown group"]
    more = wb.article_subset(articles, core, 4, seed=3)
    assert set(a.title for a in none_random) < set(a.title for a in more)
    assert [a.title for a in more] == [a.title for a in wb.article_subset(articles, core, 4, seed=3)]
    assert len(wb.article_subset(articles, core, 10**6)) == len(articles)


def test_write_articles_round_trips_through_the_reader(small, tmp_path):
    from ramen_edu.data.fetch_wiki import write_articles

    articles = list(read_articles(small))[:5]
    path = tmp_path / "subset.jsonl.gz"
    write_articles(articles, path)  # the one article writer (fetch_wiki's)
    back = list(read_articles(path))
    assert [(a.title, a.text, a.see_also, a.categories) for a in back] == [
        (a.title, a.text, a.see_also, a.categories) for a in articles]


def test_article_graph_links_self_mentions_and_see_also(small):
    from ramen_edu.data.mentions import find_mentions

    articles = list(read_articles(small))
    graph, columns = wb.article_graph(articles, find_mentions([a.title for a in articles],
                                                              [a.text for a in articles], LOOSE)[0])
    n = len(articles)
    assert columns[:n] == [a.title for a in articles] and "Outside title" in columns[n:]
    assert graph.shape == (n, len(columns)) and set(graph.data) == {1.0}
    row = {columns[j] for j in graph[columns.index("Tree")].indices}
    # itself, its see-also list, and what it mentions ("Phylogeny"); mentions are symmetrised
    assert {"Tree", "Phylogeny", "Evolution"} <= row
    assert "Tree" in {columns[j] for j in graph[columns.index("Phylogeny")].indices}
    assert graph[columns.index("Orphan")].indices.tolist() == [columns.index("Orphan")]
