"""Wikipedia article sources → one record format, :class:`Article`.

Two sources are read, both streamed (one article in memory at a time):

* :func:`read_articles` — the project's JSONL(.gz) sample (``wikipedia-2019/articles.jsonl.gz``,
  see its DATA.md): plain text, see-also titles and categories, but **no hyperlinks** (the
  plain-text export flattened the markup; ``Article.links`` is empty and
  :mod:`ramen_edu.data.mentions` reconstructs a *mentions* graph instead).
* :func:`read_mediawiki_xml` — any MediaWiki XML dump (``.xml`` / ``.xml.bz2`` / ``.xml.gz``,
  export format 0.3 to 0.11), streamed with ``expat`` and parsed with ``mwparserfromhell``:
  real ``[[links]]``, ``[[Category:...]]`` links, the ``==See also==`` list, redirects and
  disambiguation pages. A dump cut off mid-page (an interrupted download, a ``head -c``) keeps
  every complete page and warns once (:class:`TruncatedDumpWarning`).

Both readers pass every see-also entry through :func:`normalize_see_also_target` (MediaWiki's
title rules; markup debris rejected and counted in :class:`ReadStats`), so the two sources give
the same labels for the same list. Redirects come out as records with ``redirect`` set (never
as articles), whether the dump marks them with ``<redirect>`` or, as old dumps do, only with
``#REDIRECT [[X]]`` text; :func:`redirect_map` and :func:`resolve_redirects` turn links and
see-also entries that point at a redirect into links to its target. Across a whole corpus,
:func:`merge_case_variants` merges see-also targets that differ only in letter case.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import bz2
import dataclasses
import gzip
import json
import re
import warnings
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from xml.parsers import expat

from ramen_edu.settings import find_data_file

__all__ = [
    "Article",
    "ReadStats",
    "TruncatedDumpWarning",
    "XmlReadStats",
    "merge_case_variants",
    "normalize_see_also_list",
    "normalize_see_also_target",
    "normalize_title",
    "read_articles",
    "read_mediawiki_xml",
    "redirect_map",
    "resolve_redirects",
]

# A page (an XML <text>, a JSONL line) longer than this is refused as it is read, so memory
# stays bounded by it: MediaWiki refuses a revision over $wgMaxArticleSize (2 MiB on Wikipedia),
# so a longer one is a damaged or hand-made file (a 512 MiB page read whole cost 1.1 GB).
MAX_PAGE_CHARS = 16 << 20


@dataclass
class Article:
    """One Wikipedia page in the project's record format.

    title:      the page title, spaces not underscores, first letter upper case.
    text:       plain text of the body before its "See also"/"References" section.
    see_also:   titles listed under the page's "See also" heading (empty if none), each
                normalised by :func:`normalize_see_also_target`, without duplicates.
    categories: category names without the ``Category:`` prefix.
    links:      titles of the main-namespace pages it really links to (``[[...]]``), in order of
                first appearance, without duplicates; empty when the source has no links (the
                JSONL sample) — never filled with guessed links.
    redirect:   for a redirect page, the title it redirects to; None for an article.
    """

    title: str
    text: str = ""
    see_also: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    redirect: str | None = None


@dataclass
class ReadStats:
    """What a reader saw; filled in while its generator runs (pass one to :func:`read_articles`
    or :func:`read_mediawiki_xml`).

    pages: every complete record (a JSONL line, a ``<page>``); articles / redirects: records
    yielded; redirects_from_text: of those redirects, the ones recognised by their
    ``#REDIRECT [[X]]`` text because the dump has no ``<redirect>`` element (export ≤ 0.5).
    XML only: disambiguation (main-namespace pages skipped because a disambiguation template
    marks them), other_namespace (talk, Wikipedia:, Template:, ... pages skipped), empty
    (main-namespace pages without revision text, skipped), truncated (the dump stops inside a
    page) and stopped_at (where: ``"line L, column C (byte B of the XML)"``).
    see_also_targets: see-also entries read; see_also_changed: entries kept but rewritten by
    :func:`normalize_see_also_target` (first letter, ``_``, spaces, ``#section``);
    see_also_rejected: entries that are no article title (markup debris, another namespace, a
    bare ``#section``) and were dropped; rejected_examples: the first 20 distinct ones, raw.
    """

    pages: int = 0
    articles: int = 0
    redirects: int = 0
    redirects_from_text: int = 0
    disambiguation: int = 0
    other_namespace: int = 0
    empty: int = 0
    truncated: bool = False
    stopped_at: str | None = None
    see_also_targets: int = 0
    see_also_changed: int = 0
    see_also_rejected: int = 0
    rejected_examples: list[str] = field(default_factory=list)


XmlReadStats = ReadStats  # the name before the JSONL reader counted too


class TruncatedDumpWarning(UserWarning):
    """A MediaWiki dump ends inside a page: the complete pages before it were read, the rest of
    the dump is missing (re-download it, or pass ``strict=True`` to make this an error)."""


# ------------------------------------------------------------------------------------------
# titles
# ------------------------------------------------------------------------------------------
def normalize_title(title: str) -> str:
    """A title as MediaWiki stores it: ``_`` → space, runs of spaces collapsed, the
    ``#section`` part dropped, surrounding space stripped, first letter upper-cased (MediaWiki
    treats the first letter of a title case-insensitively). ``"clade#Definition"`` → ``"Clade"``.

    """
    title = title.split("#", 1)[0].replace("_", " ")
    title = " ".join(title.split())
    return title[:1].upper() + title[1:]


# Sister projects reached by interwiki prefixes (language prefixes are recognised by shape).
INTERWIKI_PREFIXES = frozenset({
    "w", "wikipedia", "wikt", "wiktionary", "s", "wikisource", "q", "wikiquote", "b",
    "wikibooks", "n", "wikinews", "v", "wikiversity", "voy", "wikivoyage", "commons", "c",
    "meta", "m", "species", "wikispecies", "d", "wikidata", "mw", "mediawikiwiki", "foundation",
    "wmf", "phab", "incubator", "outreach", "toollabs", "iarchive", "google", "imdbname",
})
# English Wikipedia's namespace names and aliases, for sources without a namespace table (the
# JSONL sample, a dump without <siteinfo>)
ENGLISH_NAMESPACES = frozenset({
    "talk", "user", "user talk", "wikipedia", "wikipedia talk", "project", "project talk", "wp",
    "wt", "file", "file talk", "image", "image talk", "media", "special", "mediawiki",
    "mediawiki talk", "template", "template talk", "help", "help talk", "category",
    "category talk", "portal", "portal talk", "book", "book talk", "draft", "draft talk",
    "timedtext", "timedtext talk", "module", "module talk", "cat", "t", "h", "p"})
# Characters MediaWiki never allows in a title ($wgLegalTitleChars leaves out # < > [ ] | { };
# '#' starts a section and is handled apart): a "target" holding one is markup debris,
# "[[Lord Mayor of Liverpool#...|Mayors", "Outline of Belgium{{-}}", "Software[41] bug".
_ILLEGAL_TITLE_CHARS = re.compile(r"[<>\[\]{}|\x00-\x1f\x7f]")


class _Namespaces:
    """Decides what a wikilink target is: a category, another namespace, interwiki, or main.

    names: {namespace key: name} from a dump's <siteinfo>, or None for English Wikipedia's.
    """

    def __init__(self, names: dict[int, str] | None = None):
        names = {k: " ".join(v.replace("_", " ").split()).lower() for k, v in (names or {}).items()
                 if v and k != 0}
        self.own = set(names.values())
        self.names = self.own | ENGLISH_NAMESPACES
        self.categories = {"category", names.get(14, "category")}
        # embedded files and category memberships are page metadata, not links a reader sees
        self.files = {"file", "image", "media", names.get(6, "file"), names.get(-2, "media")}

    def split(self, target: str) -> tuple[bool, str, str]:
        """(leading colon, namespace or interwiki prefix in lower case or "", rest)."""
        raw = target.strip()
        colon = raw.startswith(":")
        raw = raw.lstrip(":").strip()
        if ":" in raw:
            prefix, rest = raw.split(":", 1)
            p = " ".join(prefix.replace("_", " ").split()).lower()
            if (p in self.names or p in INTERWIKI_PREFIXES
                    or _looks_like_language(prefix.strip())):
                return colon, p, rest
        return colon, "", raw

    def classify(self, target: str) -> tuple[str, str]:
        """('main' | 'category' | 'other', normalised title)."""
        colon, prefix, rest = self.split(target)
        if not prefix:
            return "main", normalize_title(rest)
        if prefix in self.categories:
            # [[:Category:X]] is a link to the category page, not membership
            return ("other" if colon else "category"), normalize_title(rest)
        return "other", target.strip()

    def is_main(self, page_title: str) -> bool:
        """Whether a page title (of a dump without <ns>, export ≤ 0.5) is in the main namespace:
        no prefix from the dump's namespace table (English Wikipedia's when it has none)."""
        prefix, colon, _ = page_title.partition(":")
        return not colon or (" ".join(prefix.replace("_", " ").split()).lower()
                             not in (self.own or ENGLISH_NAMESPACES))

    def is_metadata(self, target: str) -> bool:
        """Whether ``[[target]]`` is page metadata rather than a link shown in the text: a
        category membership, an embedded file, an interlanguage link (none with a leading
        colon, which turns each into a plain link)."""
        colon, prefix, _ = self.split(target)
        return not colon and bool(prefix) and (
            prefix in self.categories or prefix in self.files
            or (prefix not in self.names and prefix not in INTERWIKI_PREFIXES))

    def see_also_target(self, raw: str) -> str | None:
        """:func:`normalize_see_also_target` with this namespace table."""
        if _ILLEGAL_TITLE_CHARS.search(raw):
            return None
        kind, title = self.classify(raw)
        if raw.lstrip().startswith(":") and title.lower() in self.names:
            return None  # ":Category" — a namespaced link cut off before its title
        return title if kind == "main" and title else None


def _looks_like_language(prefix: str) -> bool:
    """Language interwiki prefixes are lower-case codes: ``fr``, ``de``, ``zh-yue``, ``simple``."""
    if prefix == "simple":
        return True
    parts = prefix.split("-")
    return (2 <= len(parts[0]) <= 3 and all(p.isascii() and p.isalpha() and p.islower()
                                            for p in parts))


_ENGLISH = _Namespaces()


def normalize_see_also_target(raw: str) -> str | None:
    """A see-also entry as the title of the article it names, or None when it names none.

    Kept, rewritten by :func:`normalize_title`: ``"climate Change"`` → ``"Climate Change"``
    (MediaWiki's first-letter rule; the rest of the case is kept, see
    :func:`merge_case_variants`), ``"Crown_group"`` → ``"Crown group"``, runs of white space
    (non-breaking ones too) → one space, ``"Onychophora#Conservation"`` → ``"Onychophora"``.
    Rejected (None): a bare ``"#Section"`` or empty entry; markup debris — any character
    MediaWiki forbids in titles (``[ ] { } < > |``: ``"[[Lord Mayor of Liverpool#...|Mayors"``,
    ``"Outline of Belgium{{-}}"``, ``"Software[41] bug"``); a page outside the main namespace
    (``":Category:Asteroids"``, ``"Wikipedia:WikiProject X"``, ``":de:Steinmetzschaltung"``,
    a cut-off ``":Category"``), which is no article. English Wikipedia's namespace names are
    assumed; the XML reader uses the dump's own. The readers count what this changes and
    rejects in :class:`ReadStats`.

    """
    return _ENGLISH.see_also_target(raw)


def normalize_see_also_list(items, stats: ReadStats | None = None) -> list[str]:
    """One article's see-also items as titles (:func:`normalize_see_also_target` each, English
    namespaces), items that name no article dropped, duplicates kept once in first position;
    what changed is counted in ``stats``. What the JSONL reader does to every record, and what
    the benchmark builder does after it has turned items into titles.
    """
    stats = stats if stats is not None else ReadStats()
    return list(dict.fromkeys(t for t in (_see_also_target(i, _ENGLISH, stats) for i in items) if t))


def _see_also_target(raw: str, namespaces: _Namespaces, stats: ReadStats) -> str | None:
    """normalize_see_also_target for a reader: the entry counted in ``stats``."""
    target = namespaces.see_also_target(raw)
    stats.see_also_targets += 1
    if target is None:
        stats.see_also_rejected += 1
        if len(stats.rejected_examples) < 20 and raw not in stats.rejected_examples:
            stats.rejected_examples.append(raw)
    elif target != raw:
        stats.see_also_changed += 1
    return target


# a letter that starts a word: not preceded by another letter ("Enmity" in "Amity-Enmity")
_WORD_INITIAL = re.compile(r"(?<![^\W\d_])[^\W\d_]")


def _word_initials_lowered(title: str) -> str:
    return _WORD_INITIAL.sub(lambda m: m.group().lower(), title)


def merge_case_variants(records: Iterable[Article]) -> tuple[list[Article], dict[str, str]]:
    """Merge see-also targets that differ only in the case of word-initial letters onto one
    spelling, corpus-wide.

    MediaWiki titles are case-sensitive after the first letter, so "Climate Change" and
    "Climate change" are two titles — but on Wikipedia the title-case spelling is a redirect to
    the sentence-case page ("from other capitalisation"), and a benchmark that kept both would
    split one label in two. Only word-initial letters count ("Histone-Modifying Enzymes" /
    "Histone-modifying enzymes"): a difference inside a word marks a different page ("LaTeX" /
    "Latex", "SMOG" / "Smog", "AmnesiA" / "Amnesia"). Without the redirect table (the JSONL
    sample has none) the spelling is chosen from the corpus: within a group of variants, the
    article title (listed or not); else the one listed by the most articles (ties: fewer
    capitals — Wikipedia titles are sentence case — then alphabetical).
    A group holding two or more article titles is left alone: those are distinct pages.
    Apply it after :func:`resolve_redirects`, which settles the cases a dump does know.

    records: articles (redirect records are passed through unchanged).
    Returns (records with each see_also rewritten, duplicates merged, order kept;
    {merged spelling: spelling kept}).
    """
    records = list(records)
    titles = {r.title for r in records if not r.redirect}
    listed = Counter(t for r in records if not r.redirect for t in set(r.see_also))
    groups: dict[str, list[str]] = {}
    for target in listed:
        groups.setdefault(_word_initials_lowered(target), []).append(target)
    for title in titles:  # an article no one lists still names the group's page
        group = groups.get(_word_initials_lowered(title))
        if group is not None and title not in listed:
            group.append(title)
    merged: dict[str, str] = {}
    for spellings in groups.values():
        if len(spellings) < 2:
            continue
        articles = [s for s in spellings if s in titles]
        if len(articles) > 1:
            continue
        keep = articles[0] if articles else min(
            spellings, key=lambda s: (-listed[s], sum(ch.isupper() for ch in s), s))
        merged.update((s, keep) for s in spellings if s != keep)
    if not merged:
        return records, merged
    out = [r if r.redirect or not any(t in merged for t in r.see_also) else
           dataclasses.replace(r, see_also=list(dict.fromkeys(merged.get(t, t)
                                                              for t in r.see_also)))
           for r in records]
    return out, merged


# ------------------------------------------------------------------------------------------
# JSONL
# ------------------------------------------------------------------------------------------
_FIELDS = {"title": str, "text": str, "see_also": list, "categories": list, "links": list}


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _missing_file(path: Path) -> FileNotFoundError:
    return FileNotFoundError(
        f"no such article file: {path}. The project's Wikipedia sample is found with "
        "ramen_edu.find_data_file() (it looks in $RAMEN_EDU_DATA, ./data/ and ../shared/data/ "
        "and says how to get the file); pass its result, or a MediaWiki XML dump (.xml/.xml.bz2).")


def _article_from_json(record, where: str, stats: ReadStats, raw_see_also: bool = False
                       ) -> Article:
    if not isinstance(record, dict):
        raise TypeError(f"{where}: expected a JSON object per line, got {type(record).__name__}")
    title = record.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        raise ValueError(f"{where}: record has no 'title' (every line needs a non-empty title)")
    for name, kind in _FIELDS.items():
        value = record.get(name)
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{where}: field {name!r} must be a {kind.__name__}, "
                            f"got {type(value).__name__}")
        if kind is list and value is not None and not all(isinstance(v, str) for v in value):
            raise TypeError(f"{where}: field {name!r} must be a list of strings")
    redirect = record.get("redirect")
    if redirect is not None and not isinstance(redirect, str):
        raise TypeError(f"{where}: field 'redirect' must be a string or null")
    see_also = record.get("see_also") or []
    see_also = (list(dict.fromkeys(t for t in see_also if t)) if raw_see_also
                else normalize_see_also_list(see_also, stats))
    return Article(title=title, text=record.get("text") or "",
                   see_also=see_also,
                   categories=list(record.get("categories") or []),
                   links=list(record.get("links") or []), redirect=redirect)


def read_articles(path=None, stats: ReadStats | None = None, *,
                  strict: bool = False, raw_see_also: bool = False) -> Iterator[Article]:
    """Stream :class:`Article` records from a JSONL(.gz) file (one JSON object per line, fields
    ``title``, ``text``, ``see_also``, ``categories``, optional ``links``/``redirect``) or, for a
    path containing ``.xml``, from a MediaWiki dump via :func:`read_mediawiki_xml` (``strict``
    is passed on: a truncated dump warns, or raises with ``strict=True``).

    path: the file; None → :func:`ramen_edu.find_data_file` (the shared Wikipedia sample).
    stats: optional :class:`ReadStats`, filled in as the stream is consumed (records, see-also
    entries rewritten or rejected by :func:`normalize_see_also_target`).
    raw_see_also: JSONL only — keep see-also items exactly as the file holds them (duplicates
    within a list dropped), for a caller that cleans them first
    (:mod:`ramen_edu.data.see_also`, as the benchmark builder does); they are then not counted
    in ``stats``.
    Yields one Article per line, in file order, see-also entries normalised. Errors name the
    file (and line) and the fix: missing file → FileNotFoundError; truncated or corrupt gzip →
    ValueError ("re-download"); invalid JSON or a record without title → ValueError
    ``file:line``; a line longer than :data:`MAX_PAGE_CHARS` → ValueError ``file:line``, raised
    without reading the rest of the line; a field of the wrong type → TypeError ``file:line``.
    Taught in: book/02_anchor_graphs.ipynb
    """
    if path is None:
        path = find_data_file()
    path = Path(path)
    if not path.is_file():
        raise _missing_file(path)
    stats = stats if stats is not None else ReadStats()
    if ".xml" in path.name:
        yield from read_mediawiki_xml(path, stats, strict=strict)
        return
    lineno = 0
    try:
        with _open_text(path) as handle:
            # readline with a limit, not iteration: a line is never read past MAX_PAGE_CHARS
            while line := handle.readline(MAX_PAGE_CHARS + 1):
                lineno += 1
                if len(line) > MAX_PAGE_CHARS:
                    raise ValueError(f"{path}:{lineno}: the line holds more than "
                                     f"{MAX_PAGE_CHARS:,} characters (reading stopped there); "
                                     "an article record is far shorter — the file is damaged "
                                     "or not an article file: re-download or rewrite it")
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{lineno}: invalid JSON ({err.msg} at column "
                                     f"{err.colno}); every line must be one JSON object") from None
                article = _article_from_json(record, f"{path}:{lineno}", stats, raw_see_also)
                stats.pages += 1
                if article.redirect:
                    stats.redirects += 1
                else:
                    stats.articles += 1
                yield article
    except EOFError:
        raise ValueError(f"{path} is truncated: the gzip stream ends after line {lineno} "
                         "(an interrupted download or copy?). Re-download the file.") from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise ValueError(f"{path} is not a readable gzip file ({err}) near line {lineno + 1}; "
                         "the file is corrupt or truncated — re-download it.") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}:{lineno + 1}: not UTF-8 text ({err.reason})") from None


# ------------------------------------------------------------------------------------------
# MediaWiki XML: the wikitext of one page
# ------------------------------------------------------------------------------------------
# Templates that mark a disambiguation page (their redirects included); any template whose
# name ends in "disambiguation" counts as well (e.g. {{Place name disambiguation}}).
DISAMBIGUATION_TEMPLATES = frozenset({
    "disambiguation", "disambig", "disamb", "dab", "dis", "disambiguation page",
    "hndis", "human name disambiguation", "geodis", "numberdis", "mathdab",
    "letter disambiguation", "letter-number combination disambiguation",
})
# Sections that end the body text: their content is not prose about the subject.
END_SECTIONS = frozenset({"see also", "references", "notes", "notes and references",
                          "footnotes", "external links", "further reading", "bibliography",
                          "sources", "citations"})
# Templates that wrap the See also list itself ({{columns-list|* [[A]] ...}}, {{hlist|[[A]]|
# [[B]]}}): the links in their parameters are entries. Every other template in the section is
# left out — {{Portal|...}}, {{Commons category|...}}, {{Wiktionary|...}} point to other
# namespaces or projects, and a navigation box lists a whole topic, not what the editor chose
# for this page. Markers around a list ({{div col}} ... {{div col end}}) need no entry: the list
# between them is ordinary wikitext.
SEE_ALSO_LIST_TEMPLATES = frozenset({
    "columns-list", "columns list", "column-list", "column list", "col-list", "collist", "cmn",
    "div col", "flatlist", "plainlist", "hlist", "ubl", "unbulleted list", "bulleted list",
    "blist", "multicol"})
# {{Annotated link|Page}}: one entry, the page named by the first parameter.
ANNOTATED_LINK_TEMPLATES = frozenset({"annotated link", "anl"})
HIDDEN_TAGS = frozenset({"ref", "references", "gallery", "math", "chem", "score", "timeline",
                         "imagemap", "syntaxhighlight", "source", "pre", "graph", "mapframe"})
# A text after an entry that is more than a separator is an annotation: "* [[Monophyly]] – a
# related idea with [[Polyphyly]]" lists Monophyly only. Separators hold no word but these:
# ", ", " / ", " and the " ("[[Taoism]] and the [[Five Elements]]"). A dash alone separates
# too ("[[2005 in Africa]] - [[2006 in Africa]]"), but as dashes also introduce annotations,
# the links after one are entries only if no annotation follows them on the line
# ("[[Homeobox]] – [[gene]] family" lists Homeobox only).
_SEPARATOR_WORDS = re.compile(r"\b(?:and|or|the|a|an)\b", re.IGNORECASE)
_DASHES = ("-", "–", "—", ":")


def _template_name(template) -> str:
    return " ".join(str(template.name).replace("_", " ").split()).lower()


def _is_disambiguation(code) -> bool:
    for template in code.filter_templates(recursive=False):
        name = _template_name(template)
        if name in DISAMBIGUATION_TEMPLATES or name.endswith(" disambiguation") \
                or name.startswith("disambig"):
            return True
    return False


def _heading_title(heading) -> str:
    return " ".join(heading.title.strip_code().split()).lower()


def _is_annotation(text: str) -> bool:
    return any(ch.isalnum() for ch in _SEPARATOR_WORDS.sub("", text))


def _see_also_entries(nodes, namespaces: _Namespaces, stats: ReadStats) -> list[str]:
    """The titles a See also section lists, in order (duplicates kept; the caller merges them).

    Read line by line, where a list item (``*``, ``#``, ``:``, ``;``, ``<li>``), a line break or
    a template parameter starts a line: every link of a line is an entry
    (``*[[Alkahest]], [[arcanum]], [[elixir]]`` → three), until a text that annotates rather
    than separates (``– a related idea with [[Polyphyly]]``) closes the line. Separators: no
    words but and/or/the/a/an (``[[Taoism]] and the [[Five Elements]]``); a dash alone
    (``[[2005 in Africa]] - [[2006 in Africa]]``), whose links count only if no annotation
    follows them on the line. Lines without a bullet count the same, links inside inline tags
    (``<big>``, ``<span>``, ``<div>``, ...) too, links inside templates only for
    :data:`SEE_ALSO_LIST_TEMPLATES` (plus
    ``{{Annotated link|Page}}``). Category memberships, embedded files and interlanguage links
    at the end of the page are metadata, not entries; every other target goes through
    :func:`normalize_see_also_target` and is counted in ``stats``.
    """
    # lazy: mwparserfromhell is heavy; reading a built benchmark never parses wikitext
    from mwparserfromhell.nodes import (ExternalLink, Heading, HTMLEntity, Tag, Template, Text,
                                        Wikilink)

    out: list[str] = []
    taken = closed = False  # this line has an entry / an annotation ended its entries
    after_dash: list[str] | None = None  # links after a dash: entries unless annotated

    def add(raw: str):
        target = _see_also_target(raw, namespaces, stats)
        if target:
            out.append(target)

    def new_line():
        nonlocal taken, closed, after_dash
        for raw in after_dash or ():
            add(raw)
        taken = closed = False
        after_dash = None

    def entry(raw: str):
        nonlocal taken
        if closed:
            return
        if after_dash is not None:
            after_dash.append(raw)
        else:
            add(raw)
        taken = True

    def text(value: str):
        nonlocal closed, after_dash
        for k, part in enumerate(value.split("\n")):
            if k:
                new_line()
            if not taken or closed:
                continue
            if _is_annotation(part):
                closed, after_dash = True, None  # the links after the dash were annotation
            elif after_dash is None and any(dash in part for dash in _DASHES):
                after_dash = []

    def walk(seq):
        for node in seq:
            if isinstance(node, Text):
                text(str(node))
            elif isinstance(node, HTMLEntity):
                text(node.normalize())
            elif isinstance(node, ExternalLink):
                text(str(node))
            elif isinstance(node, Wikilink):
                if not namespaces.is_metadata(str(node.title)):
                    entry(str(node.title))
            elif isinstance(node, Tag):
                name = str(node.tag).strip().lower()
                if name in ("li", "dd", "dt", "br"):
                    new_line()
                if node.contents is not None and name not in HIDDEN_TAGS and name != "nowiki":
                    walk(node.contents.nodes)
            elif isinstance(node, Template):
                name = _template_name(node)
                if name in SEE_ALSO_LIST_TEMPLATES:
                    for param in node.params:
                        new_line()
                        walk(param.value.nodes)
                    new_line()
                elif name in ANNOTATED_LINK_TEMPLATES and node.has("1"):
                    entry(node.get("1").value.strip_code().strip())
            elif isinstance(node, Heading):  # a sub-section: its title lists nothing
                new_line()

    walk(nodes)
    new_line()
    return out


def _parse_page(title: str, wikitext: str, namespaces: _Namespaces, stats: ReadStats):
    """(Article or None if disambiguation) for one main-namespace, non-redirect page."""
    # lazy: mwparserfromhell is heavy; reading a built benchmark never parses wikitext
    import mwparserfromhell
    from mwparserfromhell.nodes import Heading
    from mwparserfromhell.wikicode import Wikicode

    global _EMPTY
    if _EMPTY is None:
        _EMPTY = mwparserfromhell.parse("")  # shared, never mutated
    # skip_style_tags: italic/bold quote marks that never close would otherwise nest every
    # later section (headings included) inside one style tag; MediaWiki closes them per line.
    code = mwparserfromhell.parse(wikitext, skip_style_tags=True)
    if _is_disambiguation(code):
        return None
    links: dict[str, None] = {}
    categories: dict[str, None] = {}
    for link in code.filter_wikilinks():
        kind, target = namespaces.classify(str(link.title))
        if kind == "main" and target:
            links.setdefault(target, None)
        else:
            if kind == "category" and target:
                categories.setdefault(target, None)
            # namespaced links (File: captions, Category:, interwiki) are not prose: an empty
            # link text makes strip_code drop them (in place, O(1); Wikicode.remove is a search)
            link.text = _EMPTY
    for tag in code.filter_tags():
        if tag.contents and str(tag.tag).strip().lower() in HIDDEN_TAGS:
            tag.contents = _EMPTY  # footnotes, galleries, maths: not running prose

    nodes = code.nodes
    body_end = len(nodes)
    see_also: list[str] = []
    listed: set[int] = set()  # node indices of See also sections: lists of links, not prose
    for i, node in enumerate(nodes):
        if not isinstance(node, Heading):
            continue
        name = _heading_title(node)
        if node.level == 2 and name in END_SECTIONS and body_end == len(nodes):
            body_end = i
        # at any level: editors also write ===See also=== (under "==Notes==", or alone); the
        # section runs to the next heading of its level or above
        if name == "see also" and i not in listed:  # not one nested in another
            end = next((j for j in range(i + 1, len(nodes))
                        if isinstance(nodes[j], Heading) and nodes[j].level <= node.level),
                       len(nodes))
            see_also += _see_also_entries(nodes[i + 1:end], namespaces, stats)
            listed.update(range(i, end))

    # strip_code drops templates, comments and invisible tags (<ref>, <gallery>, ...), keeps
    # link texts and heading titles (on their own line, as in the JSONL sample)
    body = [n for i, n in enumerate(nodes[:body_end]) if i not in listed]
    text = Wikicode(body).strip_code(normalize=True, collapse=True)
    text = text.replace(_BOLD, "").replace(_ITALIC, "")  # the marks skip_style_tags leaves
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return Article(title=title, text=text, see_also=list(dict.fromkeys(see_also)),
                   categories=list(categories), links=[t for t in links if t != title])


_EMPTY = None
_BOLD, _ITALIC = "'" * 3, "'" * 2

# MediaWiki's redirect syntax (WikitextContent::getRedirectTarget): after leading white space,
# the magic word (any case), white space, an optional colon, then [[target]] or [[target|...]].
_TEXT_REDIRECT = re.compile(r"\s*#redirect\s*:?\s*\[\[([^\[\]|]*)(?:\|[^\[\]]*)?\]\]",
                            re.IGNORECASE)


def _text_redirect(wikitext: str | None) -> str | None:
    """The target of a ``#REDIRECT [[X]]`` page, normalised; None for any other text."""
    match = _TEXT_REDIRECT.match(wikitext or "")
    if not match:
        return None
    return normalize_title(match.group(1).strip().lstrip(":")) or None


# ------------------------------------------------------------------------------------------
# MediaWiki XML: the dump
# ------------------------------------------------------------------------------------------
_CHUNK = 1 << 20  # at most this many bytes of XML per expat call


@dataclass
class _RawPage:
    """One complete ``<page>`` as the dump has it; line: where its ``<page>`` tag starts."""

    line: int
    title: str = ""
    ns: int | None = None  # None: export ≤ 0.5 has no <ns>, the title prefix decides
    redirect: str | None = None  # <redirect title="X"/>; "" for <redirect/> (0.4, 0.5)
    text: str | None = None  # the text of the page's last revision


class _DumpError(Exception):
    """A dump that is well-formed XML but no MediaWiki export (message starts with 'line N')."""


class _DumpParser:
    """Complete pages of a MediaWiki XML export, collected from expat events.

    Elements are matched by their local name at fixed places — mediawiki/page/title,
    page/ns, page/redirect, revision/text, siteinfo/namespaces/namespace — and the namespace
    URI is ignored, so every export version from 0.3 to 0.11 reads alike; what a version adds
    (<sha1>, <model>, <origin>, <content> slots, <upload>, <logitem>, ...) is skipped. expat
    rather than ElementTree (or mwxml on top of it) because it hands over the pages completed
    so far before an error and knows the line of every event: a truncated or broken dump is
    reported where it breaks, after everything readable was read.
    """

    def __init__(self):
        self.parser = expat.ParserCreate()  # no namespace processing: see the class docstring
        self.parser.buffer_text = True  # one character-data call per text run, not per line
        self.parser.buffer_size = 1 << 16
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._data
        self.stack: list[str] = []
        self.namespaces: dict[int, str] = {}  # <siteinfo>'s table: key → name
        self.page: _RawPage | None = None  # the page being read
        self.done: list[_RawPage] = []  # complete pages not yet handed out
        self.complete = 0
        self.last_title = ""
        self._text: list[str] | None = None  # character data of the element being captured
        self._size = 0  # its characters so far
        self._line = 0  # the line where it starts
        self._key = ""  # the key attribute of the <namespace> being read

    def take(self) -> list[_RawPage]:
        done, self.done = self.done, []
        return done

    def _start(self, name: str, attrs: dict):
        tag = name.rpartition(":")[2]
        parent = self.stack[-1] if self.stack else None
        self.stack.append(tag)
        if parent is None and tag != "mediawiki":
            raise _DumpError(f"line {self.parser.CurrentLineNumber}: the root element is "
                             f"<{name}>, not <mediawiki>: this is not a MediaWiki XML export")
        if parent == "mediawiki" and tag == "page":
            self.page = _RawPage(line=self.parser.CurrentLineNumber)
        elif self.page is None:
            if parent == "namespaces" and tag == "namespace":
                self._key = attrs.get("key", "")
                self._capture()
        elif (parent, tag) in (("page", "title"), ("page", "ns"), ("revision", "text")):
            self._capture()
        elif parent == "page" and tag == "redirect":
            self.page.redirect = attrs.get("title", "")

    def _capture(self):
        self._text, self._size, self._line = [], 0, self.parser.CurrentLineNumber

    def _data(self, data: str):
        if self._text is not None:
            self._size += len(data)
            if self._size > MAX_PAGE_CHARS:
                page = self.page.title if self.page is not None else ""
                raise _DumpError(
                    f"line {self.parser.CurrentLineNumber}: the <{self.stack[-1]}> that starts at "
                    f"line {self._line}" + (f" (page {page!r})" if page else "") +
                    f" holds more than {MAX_PAGE_CHARS:,} "
                    "characters (MediaWiki caps a page at 2 MiB); reading stopped there. The "
                    "dump is damaged or not a MediaWiki export: re-download or export it again")
            self._text.append(data)

    def _end(self, name: str):
        tag = self.stack.pop()
        if self._text is not None:
            value, self._text = "".join(self._text), None
            if tag == "namespace":
                self.namespaces[self._int(self._key, "<namespace key>")] = value
            elif tag == "title":
                self.page.title = value
            elif tag == "ns":
                self.page.ns = self._int(value, "<ns>")
            else:  # a later <revision> replaces an earlier one (full-history dumps)
                self.page.text = value
        elif tag == "page" and self.page is not None and len(self.stack) == 1:
            self.done.append(self.page)
            self.complete += 1
            self.last_title = self.page.title
            self.page = None

    def _int(self, value: str, what: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise _DumpError(f"line {self.parser.CurrentLineNumber}: {what} holds {value!r}, "
                             "not a namespace number") from None


def _truncated(path: Path, dump: _DumpParser, lines: int, size: int, strict: bool,
               stats: ReadStats) -> None:
    """Report a dump whose XML stops early: warn (strict=False, at least one complete page) or
    raise ValueError. lines / size: the lines and bytes of XML that were there."""
    where = f"line {lines + 1} (byte {size:,} of the XML)"
    stats.truncated, stats.stopped_at = True, where
    if dump.page is not None:
        inside = (f"inside the page that starts at line {dump.page.line}"
                  + (f" ({dump.page.title!r})" if dump.page.title else ""))
    else:
        inside = "after the last complete page" if dump.complete else "before the first page"
    what = f"{path} is truncated: its XML stops at {where}, {inside}"
    if dump.complete == 0:
        raise ValueError(f"{what}; no page is complete, so there is nothing to read. "
                         "Re-download the dump.")
    kept = f"{dump.complete:,} complete pages before it (the last: {dump.last_title!r})"
    if strict:
        raise ValueError(f"{what}. strict=False would keep the {kept} and warn; re-download "
                         "the dump to read all of it.")
    warnings.warn(f"{what}. Kept the {kept}; the rest of the dump is missing — an interrupted "
                  "download or a `head -c` cut? Re-download it to read everything, or pass "
                  "strict=True to make this an error.", TruncatedDumpWarning, stacklevel=2)


def _complete_pages(path: Path, handle, dump: _DumpParser, strict: bool,
                    stats: ReadStats) -> Iterator[_RawPage]:
    """Every complete page of the dump in ``handle``, in order; what a broken dump raises or
    warns: see :func:`read_mediawiki_xml`."""
    size = lines = 0
    try:
        while True:
            # read1, not read: a .bz2/.gz cut short still hands over what it decompressed
            chunk = handle.read1(_CHUNK)
            try:
                dump.parser.Parse(chunk, not chunk)
            except expat.ExpatError as err:
                yield from dump.take()  # the pages completed before the error
                if not chunk and size == 0:
                    raise ValueError(f"{path} is empty: it holds no XML. Re-download the dump.")
                if not chunk:  # the data ended inside an element: a truncated file
                    _truncated(path, dump, lines, size, strict, stats)
                    return
                raise ValueError(
                    f"{path}: not well-formed XML at line {err.lineno}, column {err.offset + 1} "
                    f"({expat.ErrorString(err.code)}), after {dump.complete:,} complete pages; "
                    "the file is damaged — re-download it or export it again.") from None
            yield from dump.take()
            if not chunk:
                return
            size += len(chunk)
            lines += chunk.count(b"\n")
    except EOFError:  # a .bz2 / .gz stream cut short: the same truncation, one layer down
        yield from dump.take()
        _truncated(path, dump, lines, size, strict, stats)
    except _DumpError as err:
        yield from dump.take()  # the pages completed before the error, as for broken XML
        raise ValueError(f"{path}: {err}") from None
    except (OSError, zlib.error) as err:
        raise ValueError(f"{path}: cannot read the dump ({err}) after {size:,} bytes of XML; "
                         "the file is corrupt — re-download it.") from None


def read_mediawiki_xml(path, stats: ReadStats | None = None, *,
                       strict: bool = False) -> Iterator[Article]:
    """Stream :class:`Article` records from a MediaWiki XML dump (``.xml``, ``.xml.bz2`` or
    ``.xml.gz``; export format 0.3 to 0.11).

    Per ``<page>`` (latest revision): pages outside the main namespace are skipped; a redirect
    page — a ``<redirect>`` element, or in old dumps without one (export ≤ 0.5) a text that
    starts ``#REDIRECT [[X]]`` (any case, optional colon, ``[[X|...]]``) — yields
    ``Article(title, redirect=X)`` and nothing else; a page carrying a disambiguation template
    ({{disambiguation}}, {{disambig}}, {{dab}}, {{hndis}}, ... see ``DISAMBIGUATION_TEMPLATES``)
    is skipped; every other page yields an Article with

    * links:      main-namespace ``[[targets]]`` anywhere in the page (templates included),
      normalised (:func:`normalize_title`), first occurrence order, without self-links;
      ``[[File:...]]``, ``[[Category:...]]``, other namespaces and interwiki links excluded;
    * categories: the ``[[Category:X]]`` memberships;
    * see_also:   every entry of the ``==See also==`` section (or ``===See also===``, at any
      level) — all links of a list item up to an annotation (``[[A]] - [[B]]`` and ``[[A]] and
      the [[B]]`` list both), bullet-less lines, links in inline tags and list templates (see
      ``_see_also_entries``), each through :func:`normalize_see_also_target`;
    * text:       plain text (``mwparserfromhell`` ``strip_code``) of the body before the first
      "See also"/"References"/"Notes"/"External links"/... section, templates and See also
      sections removed.

    stats: optional :class:`ReadStats`, filled in as the stream is consumed.
    strict: what a truncated dump (the XML, or the .bz2/.gz around it, stops inside a page) does.
    False (default): every complete page is yielded, then one :class:`TruncatedDumpWarning`
    names the file, the line and byte where the XML stops and the page that was lost. True:
    ValueError with the same message, raised after the complete pages. A truncated dump with no
    complete page, an empty file, XML that is not well-formed anywhere else (ValueError naming
    file, line and column), or well-formed XML that is no MediaWiki export raise ValueError
    either way; so does a page text longer than :data:`MAX_PAGE_CHARS` (16 Mi characters;
    MediaWiki caps a page at 2 MiB), refused as it is read so memory stays bounded, after the
    pages before it. A missing file raises FileNotFoundError.
    """
    path = Path(path)
    if not path.is_file():
        raise _missing_file(path)
    stats = stats if stats is not None else ReadStats()
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix, open)
    dump = _DumpParser()
    namespaces = None  # built from <siteinfo>, which the first page follows
    with opener(path, "rb") as handle:
        for page in _complete_pages(path, handle, dump, strict, stats):
            stats.pages += 1
            if namespaces is None:
                namespaces = _Namespaces(dump.namespaces)
            if not (page.ns == 0 if page.ns is not None else namespaces.is_main(page.title)):
                stats.other_namespace += 1
                continue
            title = normalize_title(page.title)
            target = normalize_title(page.redirect) if page.redirect else None
            if not target:
                target = _text_redirect(page.text)
                stats.redirects_from_text += bool(target)
            if target:
                stats.redirects += 1
                yield Article(title=title, redirect=target)
                continue
            if not page.text:
                stats.empty += 1
                continue
            article = _parse_page(title, page.text, namespaces, stats)
            if article is None:
                stats.disambiguation += 1
                continue
            stats.articles += 1
            yield article


# ------------------------------------------------------------------------------------------
# redirects
# ------------------------------------------------------------------------------------------
def redirect_map(records: Iterable[Article]) -> dict[str, str]:
    """{redirect title: final target} from the redirect records among ``records``.

    Chains (A → B → C) are followed to their end; a cycle stops where it would repeat.
    """
    direct = {r.title: normalize_title(r.redirect) for r in records if r.redirect}
    out = {}
    for source in direct:
        seen = {source}
        target = direct[source]
        while target in direct and target not in seen:
            seen.add(target)
            target = direct[target]
        out[source] = target
    return out


def resolve_redirects(records: Iterable[Article]) -> tuple[list[Article], dict[str, str]]:
    """Split ``records`` into articles and a redirect map, and point every link and see-also
    entry that names a redirect at the redirect's target (duplicates then merged, self-links
    dropped). Returns (articles, redirects).

    """
    records = list(records)
    redirects = redirect_map(records)
    articles = []
    for r in records:
        if r.redirect:
            continue

        def fix(titles: list[str], own: str = r.title) -> list[str]:
            resolved = (redirects.get(t, t) for t in titles)
            return [t for t in dict.fromkeys(resolved) if t != own]

        articles.append(Article(title=r.title, text=r.text, see_also=fix(r.see_also),
                                categories=list(r.categories), links=fix(r.links)))
    return articles, redirects
