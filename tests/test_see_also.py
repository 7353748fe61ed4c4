"""See-also items → titles (ramen_edu.data.see_also): each rule on the dump's own examples, and
the benchmark built from the shipped sample holds no label with markup, citation markers or a
description the rule should cut."""
from __future__ import annotations

import re

import pytest

from ramen_edu.data.see_also import clean_see_also, item_title

TITLES = {"Ernst Mayr", "Washington, D.C.", "Garbage in, garbage out", "Concrete"}


@pytest.mark.parametrize("item, title", [
    # descriptions after ", " (lower-case start, a/an/the)
    ("Fabian Society, a British socialist society founded at the end of the 19th century",
     "Fabian Society"),
    ("Hongkongia, a genus of Asian ground spiders named in its honour.[333]", "Hongkongia"),
    ("Nyx, goddess of the night", "Nyx"),
    ("iAPX, for the iAPX name", "iAPX"),
    # upper-case descriptions: three words, two lower-case content words, up to the next comma
    ("Gulf of Sidra incident (1981), U.S.–Libyan air engagement", "Gulf of Sidra incident (1981)"),
    ("It's Your Turn, Laura Cadieux, Canadian comedy film", "It's Your Turn, Laura Cadieux"),
    ("Godzilla, King Of The Monsters, a 2019 film similar to Destroy All Monsters",
     "Godzilla, King Of The Monsters"),
    # a description after ": " must start lower-case
    ("Denitrification: an organic process of nitrogen release", "Denitrification"),
    ("Code: Debugging the Gender Gap", "Code: Debugging the Gender Gap"),
    # wiki debris: the link target, not the shown text
    ("[[Lord Mayor of Liverpool#Mayors of the Borough of Liverpool (1207–1880)|Mayors and Lord "
     "Mayors", "Lord Mayor of Liverpool#Mayors of the Borough of Liverpool (1207–1880)"),
    ("[[Crown group]]", "Crown group"),
    ("Outline of Belgium{{-}}", "Outline of Belgium"),
    ("''Cladistics''", "Cladistics"),
    ("Thomas Clifford Allbutt[233]", "Thomas Clifford Allbutt"),
    ("Safari Club,[77] anti-communist Middle East clandestine operations group", "Safari Club"),
    # kept whole: page titles, year ranges, list titles, names, enumerations, parallel phrases
    ("Ernst Mayr", "Ernst Mayr"),
    ("Garbage in, garbage out", "Garbage in, garbage out"),
    ("Members of the Western Australian Legislative Assembly, 1901–1904",
     "Members of the Western Australian Legislative Assembly, 1901–1904"),
    ("United States elections, 2018", "United States elections, 2018"),
    ("List of Presidents of the United States, sortable by previous experience",
     "List of Presidents of the United States, sortable by previous experience"),
    ("List of films with a 100% rating on Rotten Tomatoes, a film review aggregator website",
     "List of films with a 100% rating on Rotten Tomatoes"),
    ("Concrete, Washington", "Concrete, Washington"),
    ("Jesus, King of the Jews", "Jesus, King of the Jews"),
    ("Bijection, injection and surjection", "Bijection, injection and surjection"),
    ("Release early, release often", "Release early, release often"),
    ('DSS1 (ETSI "Euro-ISDN", also used in many non-European countries)',
     'DSS1 (ETSI "Euro-ISDN", also used in many non-European countries)'),
    # "…, see X" names X; abbreviations keep their period
    ("For information about chromosomes in genetic algorithms, see chromosome (genetic "
     "algorithm)", "chromosome (genetic algorithm)"),
    ("Hispanics in Washington, D.C", "Hispanics in Washington, D.C."),
    ("Tesla, Inc", "Tesla, Inc."),
    ("Washington, D.C.", "Washington, D.C."),
    # trailing punctuation
    ("Scoliosis is sometimes caused by syringomyelia.[9]",
     "Scoliosis is sometimes caused by syringomyelia"),
])
def test_item_title(item, title):
    assert item_title(item, TITLES) == title


def test_clean_see_also_counts_each_distinct_item_once():
    lists = [["Nyx, goddess of the night", "Ernst Mayr"], ["Nyx, goddess of the night", "Nyx"],
             [", a program"]]
    out, report = clean_see_also(lists, TITLES)
    assert out == [["Nyx", "Ernst Mayr"], ["Nyx"], []]  # merged duplicates, empty dropped
    assert report.items == 4 and report.changed == 2
    assert report.changes == {"Nyx, goddess of the night": "Nyx", ", a program": ""}


_BAD = re.compile(r"\[\[|\]\]|\||\[\d+\]|, (?:a|an|the) [a-z]")


def test_benchmark_labels_are_clean_titles(tmp_path, monkeypatch):
    from ramen_edu.settings import SHIPPED_SAMPLES, project_root
    from ramen_edu.data.wiki_benchmark import build_wiki_seealso, wiki_seealso_card

    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path))
    sample = project_root() / next(iter(SHIPPED_SAMPLES.values()))
    ds = build_wiki_seealso(sample)
    assert not [t for t in ds.label_texts if _BAD.search(t)]
    card = wiki_seealso_card(sample)
    clean = card["see_also_cleaning"]
    assert clean["items_rewritten"] > 0 and len(clean["examples"]) == 20
    assert all(e["item"] != e["title"] for e in clean["examples"])
    # cleaning merges descriptions onto their titles: fewer distinct items after than before
    assert clean["before"]["distinct_items"] > clean["after"]["distinct_items"] > 0
    assert card["params"] and "See-also items → titles" in _card_md(card)


def _card_md(card) -> str:
    from ramen_edu.data.wiki_benchmark import card_markdown

    return card_markdown(card)


def _full_file():
    from ramen_edu.settings import find_data_file

    try:
        return find_data_file(allow_sample=False)
    except FileNotFoundError:
        return None


@pytest.mark.slow
@pytest.mark.skipif(_full_file() is None, reason="the full articles file is not on this machine "
                    "(`ramen-edu fetch-wiki` gets it); the shipped sample is checked above")
def test_the_books_benchmark_labels_are_clean_titles(tmp_path, monkeypatch):
    from ramen_edu.data.wiki_benchmark import build_wiki_seealso, wiki_seealso_card

    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path))
    ds = build_wiki_seealso(_full_file())
    assert not [t for t in ds.label_texts if _BAD.search(t)]
    clean = wiki_seealso_card(_full_file())["see_also_cleaning"]
    # the book's file: 2,950 of 59,366 distinct items rewritten (README, dataset card)
    assert clean["raw_distinct_items"] == 59_366 and clean["items_rewritten"] == 2_950
    assert (len(ds.train_texts), len(ds.test_texts), ds.n_labels) == (7_110, 1_772, 6_817)
