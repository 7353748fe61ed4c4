"""Tests for ramen_edu.data.mentions on hand-made articles: whole words, longest match, case
modes, and each noise rule removing exactly what it should."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.data.mentions import MentionRules, find_mentions, see_also_pairs, see_also_recall

LOOSE = dict(min_title_chars=0, common_word_fraction=1.0, max_doc_fraction=1.0)


def edges(graph: sp.csr_matrix, titles: list[str]) -> set[tuple[str, str]]:
    c = graph.tocoo()
    return {(titles[i], titles[j]) for i, j in zip(c.row, c.col)}


def test_whole_words_only_and_longest_match():
    titles = ["Clade", "Cladistics", "New York", "New York City", "York", "Doc"]
    texts = ["", "", "", "", "",
             "Cladistics studies each clade. Born in New York City, raised in York; "
             "Clades are not a title."]
    g, _ = find_mentions(titles, texts, MentionRules(**LOOSE))
    got = {b for a, b in edges(g, titles)}
    # "Clade" inside "Cladistics"/"Clades" is not a word match; "New York" and the "York"
    # inside "New York City" lose to the longer title; the standalone "York" counts
    assert got == {"Cladistics", "Clade", "New York City", "York"}


def test_counts_repeated_mentions():
    titles = ["Crown group", "Doc"]
    g, _ = find_mentions(titles, ["", "crown group, Crown group and crown group."],
                         MentionRules(**LOOSE))
    assert g[1, 0] == 3


@pytest.mark.parametrize("case, expected", [
    ("exact", {"Crown group"}),
    ("first-letter", {"Crown group", "crown group"}),
    ("insensitive", {"Crown group", "crown group", "CROWN GROUP"}),
])
def test_case_modes(case, expected):
    titles = ["Crown group", "A1", "A2", "A3"]
    texts = ["", "The Crown group is here.", "A crown group is here.", "THE CROWN GROUP IS HERE."]
    surface = {1: "Crown group", 2: "crown group", 3: "CROWN GROUP"}
    g, report = find_mentions(titles, texts, MentionRules(case=case, **LOOSE))
    found = {surface[i] for i, j in zip(*g.nonzero()) if j == 0}
    assert found == expected
    name, left, removed, _ = report.stages[1]
    assert name == "case" and removed == 3 - len(expected)


def test_self_mentions_dropped_and_counted():
    titles = ["Albedo", "Irradiance"]
    texts = ["Albedo relates to irradiance.", "Irradiance and Albedo."]
    g, report = find_mentions(titles, texts, MentionRules(**LOOSE))
    assert edges(g, titles) == {("Albedo", "Irradiance"), ("Irradiance", "Albedo")}
    assert dict((s[0], s[2]) for s in report.stages)["self"] == 2
    g2, _ = find_mentions(titles, texts, MentionRules(drop_self=False, **LOOSE))
    assert g2.diagonal().sum() == 2


def test_short_titles_dropped():
    titles = ["Mu", "Muon", "Doc"]
    texts = ["", "", "Mu and Muon."]
    rules = MentionRules(min_title_chars=3, common_word_fraction=1.0, max_doc_fraction=1.0)
    g, report = find_mentions(titles, texts, rules)
    assert edges(g, titles) == {("Doc", "Muon")}
    assert report.dropped_titles["short"] == 1


def test_common_word_rule_uses_lower_case_frequency():
    # "Water" occurs lower-case in 3 of 6 articles: an ordinary word. "Daisyworld" once.
    titles = ["Water", "Daisyworld", "A", "B", "C", "D"]
    texts = ["", "", "water and Daisyworld", "water", "water", "Water"]
    rules = MentionRules(min_title_chars=0, common_word_fraction=0.4, max_doc_fraction=1.0)
    g, report = find_mentions(titles, texts, rules)
    assert edges(g, titles) == {("A", "Daisyworld")}
    assert report.dropped_titles["common word"] == 1
    assert report.examples["common word"] == ["Water"]
    # multi-word titles are never "common words", however frequent
    titles2 = ["Fresh water", "A", "B", "C"]
    g2, _ = find_mentions(titles2, ["", "fresh water", "fresh water", "fresh water"], rules)
    assert g2.nnz == 3


def test_hub_rule():
    titles = ["United States", "Paris", "A", "B", "C", "D"]
    texts = ["", "", "United States", "United States", "United States and Paris", "x"]
    g, report = find_mentions(titles, texts, MentionRules(min_title_chars=0,
                                                          common_word_fraction=1.0,
                                                          max_doc_fraction=0.4))
    assert edges(g, titles) == {("C", "Paris")}
    assert report.dropped_titles["hub"] == 1
    assert report.stages[-1][0] == "hub" and report.stages[-1][2] == 3


def test_ambiguous_keys_dropped():
    titles = ["Foo-bar", "Foo bar", "Baz qux", "Doc"]
    g, report = find_mentions(titles, ["", "", "", "foo bar and baz qux"], MentionRules(**LOOSE))
    assert edges(g, titles) == {("Doc", "Baz qux")}
    assert report.ambiguous_titles == 2


def test_parenthetical_keys_optional():
    titles = ["Mercury (planet)", "Doc"]
    texts = ["", "Mercury is small."]
    g, _ = find_mentions(titles, texts, MentionRules(**LOOSE))
    assert g.nnz == 0  # off by default: measured to add mostly wrong edges
    g2, report = find_mentions(titles, texts, MentionRules(strip_parenthetical=True, **LOOSE))
    assert edges(g2, titles) == {("Doc", "Mercury (planet)")} and report.parenthetical_keys == 1


def test_non_ascii_titles():
    titles = ["Lübeck", "Zürich Hauptbahnhof", "Doc"]
    g, _ = find_mentions(titles, ["", "", "Between Lübeck and Zürich Hauptbahnhof."],
                         MentionRules(**LOOSE))
    assert edges(g, titles) == {("Doc", "Lübeck"), ("Doc", "Zürich Hauptbahnhof")}


def test_report_stages_are_consistent_and_reference_counted():
    titles = ["Clade", "Monophyly", "Paraphyly", "Doc"]
    texts = ["Clade and monophyly.", "Clade", "", "Clade, Monophyly, Paraphyly"]
    ref = see_also_pairs(titles, [["Monophyly"], [], [], ["Paraphyly", "Nowhere"]])
    assert ref.nnz == 2
    g, report = find_mentions(titles, texts, MentionRules(**LOOSE), reference=ref)
    lefts = [s[1] for s in report.stages]
    assert all(a - s[2] == s[1] for a, s in zip(lefts, report.stages[1:]))
    assert lefts[-1] == g.nnz and report.reference_pairs == 2
    assert report.stages[-1][3] == 2
    assert "see-also found" in report.table()
    assert see_also_recall(g, titles, [["Monophyly"], [], [], ["Paraphyly"]]) == {
        "pairs": 2, "found": 2, "recall": 1.0}


def test_bad_inputs():
    with pytest.raises(ValueError, match="2 titles but 1 texts"):
        find_mentions(["A", "B"], ["x"])
    with pytest.raises(ValueError, match="case must be one of"):
        MentionRules(case="upper")
    with pytest.raises(ValueError, match="max_doc_fraction"):
        MentionRules(max_doc_fraction=0)
    g, _ = find_mentions([], [])
    assert g.shape == (0, 0)
    g, _ = find_mentions(["", ""], ["text", "more"])
    assert g.nnz == 0 and g.dtype == np.float32


def test_name_parts_dropped_per_match():
    titles = ["Michael", "Rome", "Lübeck", "Doc"]
    texts = ["", "", "",
             "Michael Jordan visited Rome, Italy. The Rome trip. Between Lübeck and Holy Rome."]
    g, report = find_mentions(titles, texts, MentionRules(**LOOSE))
    # "Michael Jordan": a word of a longer name; "Rome, Italy" and "The Rome" still count
    # (punctuation, a function word), "Between Lübeck" opens a sentence; "Holy Rome" is a name
    assert edges(g, titles) == {("Doc", "Rome"), ("Doc", "Lübeck")}
    assert dict((s[0], s[2]) for s in report.stages)["name part"] == 1  # Michael, one edge
    g2, _ = find_mentions(titles, texts, MentionRules(drop_name_parts=False, **LOOSE))
    assert ("Doc", "Michael") in edges(g2, titles)


def test_held_out_rows_are_scanned_but_do_not_count():
    titles = ["Water", "A1", "A2", "A3", "T"]
    texts = ["", "Water here.", "No match.", "No match.", "water water water"]
    rules = MentionRules(min_title_chars=0, common_word_fraction=0.1, max_doc_fraction=1.0)
    # counted, T's lower-case "water" (1 of 5 articles > 0.1) makes Water a common word
    assert find_mentions(titles, texts, rules)[0].nnz == 0
    # held out, T's text is still scanned but shapes no rule: Water stays a title
    g, report = find_mentions(titles, texts, rules, held_out=[4])
    assert edges(g, titles) == {("A1", "Water"), ("T", "Water")}
    assert report.stages[-1][1] == 1  # report counts only the A1 edge
    mask = np.zeros(5, dtype=bool)
    mask[4] = True
    assert (find_mentions(titles, texts, rules, held_out=mask)[0] != g).nnz == 0
    with pytest.raises(ValueError, match="held_out"):
        find_mentions(titles, texts, rules, held_out=[9])
