"""Tests for ramen_edu.data.wikipedia: JSONL records and their errors, MediaWiki XML parsing on
the real English Wikipedia sample that gensim ships, and a tiny hand-written dump for the
special pages (redirects, disambiguation, templates, namespaced links)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ramen_edu.data.wikipedia import (
    Article,
    XmlReadStats,
    normalize_title,
    read_articles,
    read_mediawiki_xml,
    redirect_map,
    resolve_redirects,
)


# ------------------------------------------------------------------------------------------
# JSONL
# ------------------------------------------------------------------------------------------
def write_jsonl(path: Path, records, gz: bool = False) -> Path:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


RECORDS = [
    {"title": "Clade", "text": "A clade is a group.", "see_also": ["Cladistics", "Monophyly"],
     "categories": ["Biology"]},
    {"title": "Cladistics", "text": "Cladistics groups organisms.", "see_also": [],
     "categories": []},
]


def test_jsonl_records_round_trip(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl.gz", RECORDS, gz=True)
    got = list(read_articles(path))
    assert [a.title for a in got] == ["Clade", "Cladistics"]
    assert got[0].see_also == ["Cladistics", "Monophyly"]
    assert got[0].categories == ["Biology"]
    assert got[0].links == [] and got[0].redirect is None  # the sample has no links


def test_missing_file_points_to_find_data_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="find_data_file"):
        list(read_articles(tmp_path / "nope.jsonl.gz"))


def test_truncated_gzip_names_file_and_says_redownload(tmp_path):
    many = [dict(RECORDS[0], title=f"Article {i}", text="x" * 500 + str(i)) for i in range(200)]
    full = gzip.compress("".join(json.dumps(r) + "\n" for r in many).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="truncated") as err:
        list(read_articles(path))
    assert "cut.jsonl.gz" in str(err.value) and "e-download" in str(err.value)


def test_invalid_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl:2: invalid JSON"):
        list(read_articles(path))


def test_record_without_title_names_line(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [RECORDS[0], {"text": "no title"}])
    with pytest.raises(ValueError, match=r"t\.jsonl:2: record has no 'title'"):
        list(read_articles(path))


def test_wrong_field_type_names_field(tmp_path):
    path = write_jsonl(tmp_path / "w.jsonl", [dict(RECORDS[0], see_also="Cladistics")])
    with pytest.raises(TypeError, match=r"w\.jsonl:1: field 'see_also' must be a list"):
        list(read_articles(path))


def test_normalize_title():
    assert normalize_title("crown_group#History") == "Crown group"
    assert normalize_title("  New   York ") == "New York"


# ------------------------------------------------------------------------------------------
# the real sample inside gensim's wheel
# ------------------------------------------------------------------------------------------
def gensim_sample() -> Path:
    gensim = pytest.importorskip("gensim", reason="gensim (a test dependency) ships the sample")
    return (Path(gensim.__file__).parent / "test" / "test_data"
            / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")


@pytest.fixture(scope="module")
def enwiki():
    stats = XmlReadStats()
    records = list(read_mediawiki_xml(gensim_sample(), stats))
    return records, stats


def test_gensim_sample_page_counts(enwiki):
    records, stats = enwiki
    # counted independently with the shell:
    #   bzcat F | grep -c '<page>'                         -> 206 pages
    #   bzcat F | grep '<ns>' | sort | uniq -c             -> 205 in ns 0, 1 in ns 4
    #   bzcat F | grep -c '<redirect'                      -> 100, one of them the ns-4 page
    #   awk over <title>/<text> for {{disambig|dab|disambiguation|hndis|geodis|... disambiguation}}
    #                                                      -> 8 pages (Aa River, Ada, Alien,
    #      Aberdeen/Animal/Argument/Asia Minor/Austin (disambiguation))
    assert stats.pages == 206
    assert stats.other_namespace == 1
    assert stats.redirects == 99
    assert stats.disambiguation == 8
    assert stats.articles == 206 - 1 - 99 - 8 == 98
    assert sum(r.redirect is not None for r in records) == 99
    titles = {r.title for r in records if r.redirect is None}
    assert "Ada" not in titles and "Austin (disambiguation)" not in titles
    assert "Anarchism" in titles and "Albedo" in titles


def test_gensim_sample_albedo(enwiki):
    records, _ = enwiki
    albedo = next(r for r in records if r.title == "Albedo")
    # the ==See also== list of the page, read by eye from `bzcat F` (7 '* [[...]]' items)
    assert albedo.see_also == ["Cool roof", "Daisyworld", "Emissivity", "Global dimming",
                               "Irradiance", "Polar see-saw", "Solar radiation management"]
    # bzcat F | (Albedo's <text> only) | grep -o '\[\[Category:[^]]*' -> 6 lines
    assert sorted(albedo.categories) == sorted([
        "Climate forcing", "Climatology", "Electromagnetic radiation", "Radiometry",
        "Scattering, absorption and radiative transfer (optics)", "Radiation"])
    # Albedo's <text> | grep -o '\[\[[^]|#]*' | strip '[[', '_'->' ', first letter upper,
    # drop Category:/File:/WP:/User talk:/2-letter interwiki prefixes | sort -u -> 97
    # (the <comment> element holds three more links; they are not page text)
    assert len(albedo.links) == 97
    assert len(set(albedo.links)) == 97 and "Albedo" not in albedo.links
    assert "Daisyworld" in albedo.links
    assert not any(t.startswith(("File:", "Category:")) for t in albedo.links)
    # body text: plain prose, before See also, no markup left
    assert albedo.text.startswith("Albedo")
    assert "[[" not in albedo.text and "{{" not in albedo.text and "<ref" not in albedo.text
    assert "Cool roof" not in albedo.text  # the see-also list is not body text


def test_gensim_sample_unbalanced_quotes_do_not_swallow_sections(enwiki):
    # Anarchism has an unclosed ''italic'' mark before its References section; the body must
    # still end there and footnote text (<ref>) must not leak into it
    records, _ = enwiki
    anarchism = next(r for r in records if r.title == "Anarchism")
    assert "ANARCHISM, a social philosophy" not in anarchism.text  # a <ref> footnote
    assert "Further reading" not in anarchism.text
    assert "''" not in anarchism.text


# ------------------------------------------------------------------------------------------
# a tiny hand-written dump
# ------------------------------------------------------------------------------------------
def page(title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    red = f'<redirect title="{redirect}" />' if redirect else ""
    from xml.sax.saxutils import escape

    return (f"<page><title>{title}</title><ns>{ns}</ns><id>{abs(hash(title)) % 10**6}</id>{red}"
            f"<revision><id>1</id><timestamp>2019-07-20T00:00:00Z</timestamp>"
            f"<contributor><username>x</username><id>1</id></contributor>"
            f'<model>wikitext</model><format>text/x-wiki</format><text xml:space="preserve">'
            f"{escape(text)}</text><sha1>x</sha1></revision></page>")


DUMP_HEAD = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
<siteinfo><sitename>Wikipedia</sitename><dbname>enwiki</dbname><base>https://en.wikipedia.org</base>
<generator>MediaWiki</generator><case>first-letter</case><namespaces>
<namespace key="0" case="first-letter" /><namespace key="4" case="first-letter">Wikipedia</namespace>
<namespace key="6" case="first-letter">File</namespace><namespace key="10" case="first-letter">Template</namespace>
<namespace key="14" case="first-letter">Category</namespace></namespaces></siteinfo>
"""

CLADE = """{{Short description|A group of organisms}}
{{Infobox taxon|name=[[Clade]]}}
'''Clade''' is a group with one [[common descent|common ancestor]] and all its [[Descendant|descendants]].
[[File:Clade-grade.svg|thumb|A caption with [[Paraphyly]]]]
It is studied in [[cladistics]] and [[CrownGroup]].<ref>A footnote {{cite book|title=X}}</ref>
See [[wikt:clade|the dictionary]] and [[fr:Clade]] and [[:Category:Biology]].

==History==
Text of the history section, mentioning [[Monophyly]].

==See also==
{{div col}}
* [[Monophyly]] – a related idea with [[Polyphyly]]
* [[crown group]]
* Not a link
{{div col end}}
{{columns-list|colwidth=20em|
* [[Paraphyly]]
}}

==References==
{{reflist}}
Some reference text that is not prose.

[[Category:Biology]]
[[Category:Phylogenetics|Clade]]
"""


@pytest.fixture
def tiny_dump(tmp_path):
    pages = [
        page("Clade", CLADE),
        page("CrownGroup", "#REDIRECT [[Crown group]]", redirect="Crown group"),
        page("Crown groups", "#REDIRECT [[CrownGroup]]", redirect="CrownGroup"),  # a chain
        page("Crown group", "A '''crown group''' is a [[Clade]].\n[[Category:Phylogenetics]]"),
        page("Mercury", "'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n{{disambiguation}}"),
        page("Bat", "'''Bat''' may be:\n* [[Bat (animal)]]\n{{Dab}}"),
        page("Wikipedia:About", "A project page with [[Clade]]", ns=4),
        page("Template:Clade", "{{{1}}}", ns=10),
    ]
    path = tmp_path / "tiny.xml"
    path.write_text(DUMP_HEAD + "\n".join(pages) + "\n</mediawiki>\n", encoding="utf-8")
    return path


def test_tiny_dump_special_pages(tiny_dump):
    stats = XmlReadStats()
    records = list(read_mediawiki_xml(tiny_dump, stats))
    assert (stats.pages, stats.articles, stats.redirects, stats.disambiguation,
            stats.other_namespace) == (8, 2, 2, 2, 2)
    assert {r.title: r.redirect for r in records if r.redirect} == {
        "CrownGroup": "Crown group", "Crown groups": "CrownGroup"}
    assert [r.title for r in records if not r.redirect] == ["Clade", "Crown group"]


def test_tiny_dump_links_categories_see_also_text(tiny_dump):
    clade = next(r for r in read_mediawiki_xml(tiny_dump) if r.title == "Clade")
    # main-namespace links only, normalised, in order, no self-link; the File: caption's
    # link is a real link of the page (it is in the wikitext), the File itself is not
    assert clade.links == ["Common descent", "Descendant", "Paraphyly", "Cladistics",
                           "CrownGroup", "Monophyly", "Polyphyly", "Crown group"]
    assert clade.categories == ["Biology", "Phylogenetics"]  # not [[:Category:Biology]]
    # first link of every list item in See also, including the list inside {{columns-list}}
    assert clade.see_also == ["Monophyly", "Crown group", "Paraphyly"]
    # text: before See also / References, templates and namespaced links removed
    assert clade.text.splitlines()[0].startswith("Clade is a group with one common ancestor")
    assert "History" in clade.text and "mentioning Monophyly" in clade.text
    for gone in ("Short description", "Infobox", "caption", "footnote", "reference text",
                 "Category", "fr:", "wikt", "dictionary", "Polyphyly", "{{", "[[", "'''"):
        assert gone not in clade.text, gone


def test_redirects_resolve_links_and_see_also(tiny_dump):
    records = list(read_mediawiki_xml(tiny_dump))
    assert redirect_map(records) == {"CrownGroup": "Crown group", "Crown groups": "Crown group"}
    articles, redirects = resolve_redirects(records)
    clade = next(a for a in articles if a.title == "Clade")
    assert "CrownGroup" not in clade.links
    assert clade.links.count("Crown group") == 1  # the redirect and the direct link merged
    assert all(a.redirect is None for a in articles) and len(articles) == 2


def test_read_articles_dispatches_xml(tiny_dump):
    assert [a.title for a in read_articles(tiny_dump) if not a.redirect] == ["Clade", "Crown group"]


def test_xml_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="find_data_file"):
        list(read_mediawiki_xml(tmp_path / "none.xml.bz2"))
    bad = tmp_path / "bad.xml.bz2"
    bad.write_bytes(b"BZh91AY&SY not really bzip2")
    with pytest.raises(ValueError, match="bad.xml.bz2"):
        list(read_mediawiki_xml(bad))


def test_article_defaults():
    a = Article("X")
    assert a.see_also == [] and a.links == [] and a.redirect is None
