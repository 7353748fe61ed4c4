"""Tests for ramen_edu.data.wikipedia: JSONL records and their errors, MediaWiki XML parsing on
the real English Wikipedia sample that gensim ships, a tiny hand-written dump for the special
pages (redirects, disambiguation, templates, namespaced links), and the dumps real downloads
give: the hand-written export-0.3 fixtures in data_samples/fixtures/ (text redirects, old
see-also lists, a truncated copy), every export version 0.3–0.11, malformed XML, and the
see-also normalisation both readers share."""
from __future__ import annotations

import bz2
import gzip
import json
import warnings
from pathlib import Path

import pytest

from ramen_edu.data.wikipedia import (
    Article,
    ReadStats,
    TruncatedDumpWarning,
    XmlReadStats,
    merge_case_variants,
    normalize_see_also_target,
    normalize_title,
    read_articles,
    read_mediawiki_xml,
    redirect_map,
    resolve_redirects,
)

FIXTURES = Path(__file__).resolve().parent.parent / "data_samples" / "fixtures"
OLD_DUMP = FIXTURES / "mediawiki-export-0.3.xml"
TRUNCATED = FIXTURES / "mediawiki-export-0.3-truncated.xml"


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


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_line_over_the_limit_is_refused_as_it_is_read(tmp_path, monkeypatch, suffix):
    # was: read whole whatever its length (a 512 MiB line: all of it in memory)
    import ramen_edu.data.wikipedia as wikipedia

    monkeypatch.setattr(wikipedia, "MAX_PAGE_CHARS", 1000)
    small = json.dumps(dict(RECORDS[0], text="x" * 900)) + "\n"
    huge = json.dumps(dict(RECORDS[0], title="Huge", text="x" * 5000)) + "\n"
    path = tmp_path / f"long{suffix}"
    path.write_bytes((gzip.compress if suffix.endswith(".gz") else bytes)((small + huge).encode()))
    read = []
    with pytest.raises(ValueError, match=r"long\.jsonl(\.gz)?:2: the line holds more than 1,000 characters"):
        read.extend(a.title for a in read_articles(path))
    assert read == [RECORDS[0]["title"]]


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
    # the entries of every list item in See also (not the annotation's [[Polyphyly]]),
    # including the list inside {{columns-list}}
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


# ------------------------------------------------------------------------------------------
# see-also normalisation, shared by both readers
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ("climate Change", "Climate Change"),  # MediaWiki's first-letter rule; the rest is kept
    ("Crown_group", "Crown group"),
    ("  New \xa0  York ", "New York"),  # non-breaking and repeated spaces
    ("Onychophora#Conservation", "Onychophora"),
    ("σ-algebra", "Σ-algebra"),
    ("Genesis 1:1", "Genesis 1:1"),  # a colon that is no namespace
    ("#Conservation", None),  # only a section of the page itself
    ("", None),
    ("   ", None),
    ("[[Lord Mayor of Liverpool#Mayors of the Borough|Mayors and Lord Mayors", None),
    ("1940 in Malaya | 1942 in Malaya", None),
    ("Outline of Belgium{{-}}", None),
    ("{{math", None),
    ("Software[41] bug", None),
    ("Velvet <worm>", None),
    (":Category:Asteroids", None),  # other namespaces are no articles
    ("Category:Asteroids", None),
    (":de:Steinmetzschaltung", None),
    ("Wikipedia:WikiProject Collections Care", None),
    (":Category", None),  # a namespaced link cut off before its title
])
def test_normalize_see_also_target(raw, expected):
    assert normalize_see_also_target(raw) == expected


def test_jsonl_reader_normalises_see_also_and_counts_rejections(tmp_path):
    raw = ["climate change", "Climate_change", "Onychophora#Conservation", "#History",
           "[[Lord Mayor of Liverpool#Mayors|Mayors", ":Category:Worms", "Velvet worm"]
    path = write_jsonl(tmp_path / "s.jsonl", [dict(RECORDS[0], see_also=raw)])
    stats = ReadStats()
    (article,) = read_articles(path, stats)
    # two spellings of one title merge; debris, a bare section and a category are dropped
    assert article.see_also == ["Climate change", "Onychophora", "Velvet worm"]
    assert (stats.see_also_targets, stats.see_also_changed, stats.see_also_rejected) == (7, 3, 3)
    assert stats.rejected_examples == ["#History", "[[Lord Mayor of Liverpool#Mayors|Mayors",
                                       ":Category:Worms"]
    assert (stats.pages, stats.articles) == (1, 1)


def test_both_readers_give_the_same_see_also(tmp_path):
    entries = ["climate Change", "Onychophora#Conservation", "Velvet_worm", ":Category:Worms"]
    jsonl = write_jsonl(tmp_path / "a.jsonl", [dict(RECORDS[0], see_also=entries)])
    items = "\n".join(f"* [[{e}]]" for e in entries)
    xml = tmp_path / "a.xml"
    xml.write_text(DUMP_HEAD + page("Clade", f"Text.\n==See also==\n{items}\n")
                   + "\n</mediawiki>\n", encoding="utf-8")
    from_jsonl, from_xml = ReadStats(), ReadStats()
    (a,) = read_articles(jsonl, from_jsonl)
    (b,) = read_articles(xml, from_xml)
    assert a.see_also == b.see_also == ["Climate Change", "Onychophora", "Velvet worm"]
    for s in (from_jsonl, from_xml):
        assert (s.see_also_targets, s.see_also_changed, s.see_also_rejected) == (4, 3, 1)


def test_merge_case_variants():
    records = [
        Article("A", see_also=["Climate Change", "Machine Learning"]),
        Article("B", see_also=["Climate change", "Machine Learning", "Data Mining"]),
        Article("C", see_also=["Climate change", "Black Knight", "Data mining"]),
        Article("D", see_also=["Machine Learning", "Black knight", "Climate change",
                               "Climate Change"]),
        Article("Machine learning"), Article("Black Knight"), Article("Black knight"),
        Article("Redirect", redirect="Climate change"),
    ]
    out, merged = merge_case_variants(records)
    assert merged == {
        "Climate Change": "Climate change",  # listed by 3 articles against 2
        "Machine Learning": "Machine learning",  # an article title wins over frequency
        "Data Mining": "Data mining",  # a tie: fewer capitals (sentence case)
    }  # "Black Knight" / "Black knight" are two articles: distinct pages, left alone
    assert out[0].see_also == ["Climate change", "Machine learning"]
    assert out[2].see_also == ["Climate change", "Black Knight", "Data mining"]
    assert out[3].see_also == ["Machine learning", "Black knight", "Climate change"]  # merged
    assert out[4] is records[4] and out[7] is records[7]  # untouched records are not copied
    assert records[0].see_also == ["Climate Change", "Machine Learning"]  # input unchanged


# ------------------------------------------------------------------------------------------
# an old (export 0.3) dump: text redirects, see-also lists as written in 2006
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def old_dump():
    stats = ReadStats()
    records = list(read_mediawiki_xml(OLD_DUMP, stats))
    return records, stats


def test_old_dump_pages_and_text_redirects(old_dump):
    records, stats = old_dump
    # grep -c '<page>' → 9; 'Talk:Alchemy' is outside the main namespace (no <ns>: its prefix
    # decides); 4 pages start with #REDIRECT and there is no <redirect> element at all
    assert (stats.pages, stats.articles, stats.redirects, stats.redirects_from_text,
            stats.other_namespace, stats.truncated) == (9, 4, 4, 4, 1, False)
    assert redirect_map(records) == {
        "Alcahest": "Alkahest",  # #REDIRECT [[Alkahest]]
        "Elixer": "Elixir",  # #redirect [[elixir|Elixir]]: any case, a label, first letter
        "Arcana": "Arcanum",  # "  #Redirect: [[Arcanum#Plural]]": space, colon, section
        "Philosophers stone": "Philosopher's stone",  # a template after the link
    }
    articles, _ = resolve_redirects(records)
    by_title = {a.title: a for a in articles}
    assert list(by_title) == ["Alchemy", "Alembic", "Alkahest", "Athanor"]
    assert by_title["Alembic"].links[:2] == ["Alchemy", "Elixir"]  # [[Elixer]] resolved
    alchemy = by_title["Alchemy"].links
    assert "Alcahest" not in alchemy and "Philosophers stone" not in alchemy
    assert alchemy.count("Alkahest") == alchemy.count("Philosopher's stone") == 1


def test_old_dump_see_also(old_dump):
    records, stats = old_dump
    by_title = {r.title: r for r in records}
    # *[[Alkahest]], [[arcanum]], [[elixir]]  → all three; * <big>[[ª]]</big> → inside the tag;
    # "[[Philosopher's stone]] – the goal of the [[Magnum opus (alchemy)|great work]]" → the
    # annotation's link is no entry; [[Distillation#History]] → the page; [[:Category:...]]
    # is rejected; {{Portal|Chemistry}}, [[Category:...]] and [[fr:...]] are no entries
    assert by_title["Alchemy"].see_also == ["Alkahest", "Arcanum", "Elixir", "ª",
                                            "Philosopher's stone", "Distillation"]
    # a section without bullets: "[[Retort]], [[Distillation]] and [[Still (distillation)|still]]"
    # and "[[Cucurbit]] - the lower vessel, as in an [[Athanor]]"
    assert by_title["Alembic"].see_also == ["Retort", "Distillation", "Still (distillation)",
                                            "Cucurbit"]
    assert by_title["Athanor"].see_also == ["Retort", "Alkahest"]
    assert by_title["Alchemy"].categories == ["Alchemy", "Protoscience"]
    assert by_title["Alembic"].categories == ["Alchemy", "Laboratory equipment"]
    assert stats.see_also_rejected == 1 and stats.rejected_examples == [":Category:Alchemists"]
    # arcanum, elixir, Distillation#History, alkahest
    assert stats.see_also_changed == 4 and stats.see_also_targets == 15


SEE_ALSO_FORMS = """Text.
==See also==
{{Columns-list|colwidth=20em|
* [[In columns]], [[Also in columns]]
}}
{{div col}}
* [[Between div col markers]]
{{div col end}}
<div style="column-count:2">
* [[Inside a div]]
</div>
* <span class="nowrap">[[In a span]]</span> and <small>[[In small]]</small>
* <b>[[In b]]</b>, <i>[[in i]]</i>
* '''[[Bold marks]]''' and ''[[Italic marks]]''
* [[Band]] (a group) and [[Not an entry]]
* See [[After a lead-in]]
* {{Annotated link|Annotated page}}
{{hlist|[[H one]]|[[H two]]}}
{{Portal|Chemistry|[[Portal param]]}}
{{Navbox|list1=[[In a navbox]]}}
[[File:Pic.png|thumb|[[Caption link]]]]
=== A sub-section ===
# [[Numbered item]]
[[Category:Examples]]
[[de:Beispiel]]
"""


def test_see_also_forms(tmp_path):
    path = tmp_path / "forms.xml"
    path.write_text(DUMP_HEAD + page("Forms", SEE_ALSO_FORMS) + "\n</mediawiki>\n",
                    encoding="utf-8")
    stats = ReadStats()
    (forms,) = read_mediawiki_xml(path, stats)
    assert forms.see_also == [
        "In columns", "Also in columns", "Between div col markers", "Inside a div", "In a span",
        "In small", "In b", "In i", "Bold marks", "Italic marks", "Band", "After a lead-in",
        "Annotated page", "H one", "H two", "Numbered item"]
    assert stats.see_also_rejected == 0  # metadata links are not entries, so not rejections
    assert forms.categories == ["Examples"]


@pytest.mark.parametrize("heading_level", [2, 3])
def test_see_also_separators_are_not_annotations(tmp_path, heading_level):
    # were missed: " - " between two links read as an annotation (the second link lost), " and
    # the " likewise, and a level-3 ===See also=== heading not read at all
    mark = "=" * heading_level
    wikitext = (f"Intro.\n==Notes==\nA note.\n{mark}See also{mark}\n"
                "* [[2005 in Africa]] - [[2006 in Africa]]\n"
                "* [[Taoism]] and the [[Five Elements]]\n"
                "* [[Cucurbit]] - the lower vessel, as in an [[Athanor]]\n"
                "* [[Alembic]] and the [[Retort (chemistry)|retort]] it feeds\n"
                "* [[Homeobox]] &ndash; [[gene]] family\n"  # a dash before an annotation
                "* [[Alpha]] – [[Beta]], [[Gamma]]\n"
                "==References==\nA book.\n")
    path = tmp_path / "separators.xml"
    path.write_text(DUMP_HEAD + page("Separators", wikitext) + "\n</mediawiki>\n", encoding="utf-8")
    (article,) = read_mediawiki_xml(path)
    assert article.see_also == ["2005 in Africa", "2006 in Africa", "Taoism", "Five Elements",
                                "Cucurbit", "Alembic", "Retort (chemistry)", "Homeobox",
                                "Alpha", "Beta", "Gamma"]


def test_a_level3_see_also_inside_the_body_is_read_and_left_out_of_the_text(tmp_path):
    wikitext = ("Intro.\n==History==\nOld times.\n===See also===\n* [[Listed page]]\n"
                "==Geography==\nMountains.\n===Rivers===\nWater.\n")
    path = tmp_path / "inside.xml"
    path.write_text(DUMP_HEAD + page("Inside", wikitext) + "\n</mediawiki>\n", encoding="utf-8")
    (article,) = read_mediawiki_xml(path)
    assert article.see_also == ["Listed page"]
    assert article.text == "Intro.\nHistory\nOld times.\nGeography\nMountains.\nRivers\nWater."


# ------------------------------------------------------------------------------------------
# truncated dumps
# ------------------------------------------------------------------------------------------
def test_truncated_fixture_is_a_prefix_of_the_full_one():
    full, cut = OLD_DUMP.read_bytes(), TRUNCATED.read_bytes()
    assert full.startswith(cut) and len(cut) < len(full)
    assert cut.endswith(b"keeps an [[alem")  # inside the text of the last page, 'Athanor'


def test_truncated_dump_keeps_complete_pages_and_warns_once(old_dump):
    stats = ReadStats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = list(read_mediawiki_xml(TRUNCATED, stats))
    assert len(caught) == 1 and caught[0].category is TruncatedDumpWarning
    assert issubclass(TruncatedDumpWarning, UserWarning)
    # every page before the cut, exactly as the complete dump gives them
    full, _ = old_dump
    assert records == [r for r in full if r.title != "Athanor"]
    data = TRUNCATED.read_bytes()
    lines = data.count(b"\n") + 1
    where = f"line {lines} (byte {len(data):,} of the XML)"
    athanor_line = data[:data.index(b"<title>Athanor")].count(b"\n")  # the <page> line before
    message = str(caught[0].message)
    for part in (str(TRUNCATED), where, f"page that starts at line {athanor_line} ('Athanor')",
                 "8 complete pages", "'Alkahest'", "strict=True"):
        assert part in message, part
    assert stats.truncated and stats.stopped_at == where and stats.pages == 8


def test_truncated_dump_strict_raises_value_error():
    with pytest.raises(ValueError, match=r"mediawiki-export-0\.3-truncated\.xml is truncated: "
                                         r"its XML stops at line \d+ \(byte [\d,]+ of the XML\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and no warning on the way
            list(read_mediawiki_xml(TRUNCATED, strict=True))


def test_read_articles_passes_strict_on():
    with pytest.warns(TruncatedDumpWarning):
        assert len(list(read_articles(TRUNCATED))) == 7
    with pytest.raises(ValueError, match="truncated"):
        list(read_articles(TRUNCATED, strict=True))


def many_pages(n: int) -> bytes:
    # varied text, so that bz2 blocks and gzip members hold many pages each
    pages = [page(f"Page {i}", f"Page {i} is about {i * 7919 % 10007} things. " * 20)
             for i in range(n)]
    return (DUMP_HEAD + "\n".join(pages) + "\n</mediawiki>\n").encode()


@pytest.mark.parametrize("suffix, compress", [
    (".xml.bz2", lambda data: bz2.compress(data, compresslevel=1)),  # 100 kB blocks
    (".xml.gz", gzip.compress),
])
def test_truncated_compressed_dump(tmp_path, suffix, compress):
    data = compress(many_pages(600))
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(data[: len(data) * 3 // 5])
    with pytest.warns(TruncatedDumpWarning, match=r"cut\.xml\.(bz2|gz) is truncated") as caught:
        records = list(read_mediawiki_xml(path))
    assert len(caught) == 1
    assert 0 < len(records) < 600
    assert [r.title for r in records] == [f"Page {i}" for i in range(len(records))]


def test_truncated_before_any_complete_page_is_an_error(tmp_path):
    path = tmp_path / "head.xml"
    path.write_text(DUMP_HEAD + "<page><title>Only</title><ns>0</ns><id>1</id><revision>")
    with pytest.raises(ValueError, match=r"head\.xml is truncated: .*'Only'.*no page is complete"):
        list(read_mediawiki_xml(path))


# ------------------------------------------------------------------------------------------
# malformed XML: ValueError naming the file and the position, never a bare ParseError
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, content, match", [
    ("tag.xml", DUMP_HEAD + page("Good", "Text.") + "\n<page><title>Bad</titel>",
     r"tag\.xml: not well-formed XML at line 8, column \d+ \(mismatched tag\), after 1 complete"),
    ("junk.xml", "this is not XML at all\n", r"junk\.xml: not well-formed XML at line 1"),
    ("html.xml", "<html><body>Not a dump</body></html>",
     r"html\.xml: line 1: the root element is <html>, not <mediawiki>"),
    ("ns.xml", DUMP_HEAD + page("Good", "Text.").replace("<ns>0</ns>", "<ns>main</ns>"),
     r"ns\.xml: line 7: <ns> holds 'main', not a namespace number"),
    ("empty.xml", "", r"empty\.xml is empty"),
])
def test_malformed_xml_names_file_and_position(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        list(read_mediawiki_xml(path))


def test_a_page_text_over_the_limit_is_refused_as_it_is_read(tmp_path, monkeypatch):
    # was: read whole whatever its size (a 512 MiB page: 1.1 GB of memory)
    import ramen_edu.data.wikipedia as wikipedia

    monkeypatch.setattr(wikipedia, "MAX_PAGE_CHARS", 1000)
    path = tmp_path / "huge.xml"
    path.write_text(DUMP_HEAD + page("Small", "x" * 1000) + "\n" + page("Huge", "line\n" * 400)
                    + "\n</mediawiki>\n", encoding="utf-8")
    read = []
    with pytest.raises(ValueError, match=r"huge\.xml: line \d+: the <text> that starts at line 8 "
                                         r"\(page 'Huge'\) holds more than 1,000 characters.*re-download"):
        read.extend(a.title for a in read_mediawiki_xml(path))
    assert read == ["Small"]  # the page at the limit is read


# ------------------------------------------------------------------------------------------
# every export version: 0.3 (no <ns>, text redirects) ... 0.11 (<text sha1>, extra slots)
# ------------------------------------------------------------------------------------------
def export_page(version: tuple[int, int], title: str, text: str, ns: int = 0,
                redirect: str | None = None) -> str:
    from xml.sax.saxutils import escape, quoteattr

    head = f"<title>{title}</title>" + (f"<ns>{ns}</ns>" if version >= (0, 6) else "")
    if redirect and version >= (0, 6):
        head += f"<redirect title={quoteattr(redirect)} />"
    elif redirect and version >= (0, 4):
        head += "<redirect />"  # 0.4 and 0.5: a flag, the target is in the text only
    text_tag = ('<text bytes="1" sha1="x" xml:space="preserve">' if version >= (0, 11)
                else '<text xml:space="preserve">')
    slot = ("<content><role>mediainfo</role><origin>1</origin><model>json</model>"
            "<format>application/json</format><text bytes=\"1\" sha1=\"y\">[[Not main]]</text>"
            "</content>" if version >= (0, 11) else "")
    return (f"<page>{head}<id>1</id><revision><id>1</id><timestamp>2020-01-01T00:00:00Z"
            f"</timestamp><contributor><ip>10.0.0.1</ip></contributor>{text_tag}{escape(text)}"
            f"</text>{slot}</revision></page>")


@pytest.mark.parametrize("minor", [3, 4, 5, 6, 8, 10, 11])
def test_every_export_version(tmp_path, minor):
    version = (0, minor)
    pages = [export_page(version, "Clade", "A '''clade'''; see [[Monophyly]].\n"
                                           "==See also==\n*[[Monophyly]], [[crown group]]\n"
                                           "[[Category:Biology]]"),
             export_page(version, "Clades", "#REDIRECT [[Clade]]", redirect="Clade"),
             export_page(version, "Talk:Clade", "Talk about [[Clade]].", ns=1)]
    path = tmp_path / f"v{minor}.xml"
    path.write_text(
        f'<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.{minor}/" '
        f'version="0.{minor}" xml:lang="en"><siteinfo><sitename>W</sitename><namespaces>'
        '<namespace key="0" /><namespace key="1">Talk</namespace>'
        '<namespace key="14">Category</namespace></namespaces></siteinfo>'
        + "".join(pages) + "</mediawiki>", encoding="utf-8")
    stats = ReadStats()
    records = list(read_mediawiki_xml(path, stats))
    assert records == [
        Article("Clade", text="A clade; see Monophyly.", see_also=["Monophyly", "Crown group"],
                categories=["Biology"], links=["Monophyly", "Crown group"]),
        Article("Clades", redirect="Clade")]
    assert stats.other_namespace == 1
    assert stats.redirects_from_text == (1 if minor < 6 else 0)


@pytest.mark.parametrize("text, target", [
    ("#REDIRECT [[Clade]]", "Clade"),
    ("#redirect [[clade|the clade]]", "Clade"),
    ("#REDIRECT: [[Clade]]", "Clade"),
    ("  \n#Redirect[[Clade#History]]", "Clade"),
    ("#REDIRECT [[Clade]]\n{{R from plural}}", "Clade"),
    ("#REDIRECTION of [[Clade]]", None),
    ("See #REDIRECT [[Clade]]", None),
    ("#REDIRECT to nowhere", None),
])
def test_text_redirect_forms(tmp_path, text, target):
    path = tmp_path / "r.xml"
    path.write_text(DUMP_HEAD + page("Clades", text) + "</mediawiki>", encoding="utf-8")
    (record,) = read_mediawiki_xml(path)
    assert record.redirect == target


# ------------------------------------------------------------------------------------------
# the benchmark builder on a truncated dump
# ------------------------------------------------------------------------------------------
def test_build_wiki_keeps_the_complete_pages_of_a_truncated_dump(tmp_path, monkeypatch, capsys):
    from ramen_edu.data.wiki_benchmark import build_wiki_seealso, cli_main

    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    with pytest.warns(TruncatedDumpWarning):
        assert cli_main(["--data", str(TRUNCATED), "--no-cache"]) == 0
    assert "2 train / 1 test documents, 3 labels" in capsys.readouterr().out
    with pytest.warns(TruncatedDumpWarning):
        ds = build_wiki_seealso(TRUNCATED, cache=False)
    # Alchemy, Alembic and Alkahest (complete) list Distillation, Elixir and Retort twice each
    assert sorted(ds.label_texts) == ["Distillation", "Elixir", "Retort"]
