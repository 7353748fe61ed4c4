"""Wikipedia article sources → one record format, :class:`Article`.

Two sources are read, both streamed (one article in memory at a time):

* :func:`read_articles` — the project's JSONL(.gz) sample (``wikipedia-2019/articles.jsonl.gz``,
  see its DATA.md): plain text, see-also titles and categories, but **no hyperlinks** (the
  plain-text export flattened the markup; ``Article.links`` is empty and
  :mod:`ramen_edu.data.mentions` reconstructs a *mentions* graph instead).
* :func:`read_mediawiki_xml` — any MediaWiki XML dump (``.xml`` / ``.xml.bz2``), streamed with
  ``mwxml`` and parsed with ``mwparserfromhell``: real ``[[links]]``, ``[[Category:...]]`` links,
  the ``==See also==`` list, redirects and disambiguation pages.

Redirects come out as records with ``redirect`` set (never as articles); :func:`redirect_map`
and :func:`resolve_redirects` turn links and see-also entries that point at a redirect into
links to its target.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import bz2
import gzip
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

__all__ = [
    "Article",
    "XmlReadStats",
    "normalize_title",
    "read_articles",
    "read_mediawiki_xml",
    "redirect_map",
    "resolve_redirects",
]


@dataclass
class Article:
    """One Wikipedia page in the project's record format.

    title:      the page title, spaces not underscores, first letter upper case.
    text:       plain text of the body before its "See also"/"References" section.
    see_also:   titles listed under the page's "See also" heading (empty if none).
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


def normalize_title(title: str) -> str:
    """A title as MediaWiki stores it: ``_`` → space, runs of spaces collapsed, the
    ``#section`` part dropped, surrounding space stripped, first letter upper-cased (MediaWiki
    treats the first letter of a title case-insensitively). ``"clade#Definition"`` → ``"Clade"``.

    Taught in: book/02_anchor_graphs.ipynb
    """
    title = title.split("#", 1)[0].replace("_", " ")
    title = " ".join(title.split())
    return title[:1].upper() + title[1:]


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


def _article_from_json(record, where: str) -> Article:
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
    return Article(title=title, text=record.get("text") or "",
                   see_also=list(record.get("see_also") or []),
                   categories=list(record.get("categories") or []),
                   links=list(record.get("links") or []), redirect=redirect)


def read_articles(path=None) -> Iterator[Article]:
    """Stream :class:`Article` records from a JSONL(.gz) file (one JSON object per line, fields
    ``title``, ``text``, ``see_also``, ``categories``, optional ``links``/``redirect``) or, for a
    path containing ``.xml``, from a MediaWiki dump via :func:`read_mediawiki_xml`.

    path: the file; None → :func:`ramen_edu.find_data_file` (the shared Wikipedia sample).
    Yields one Article per line, in file order. Errors name the file (and line) and the fix:
    missing file → FileNotFoundError; truncated or corrupt gzip → ValueError ("re-download");
    invalid JSON or a record without title → ValueError ``file:line``; a field of the wrong
    type → TypeError ``file:line``.
    Taught in: book/02_anchor_graphs.ipynb
    """
    if path is None:
        from ramen_edu.config import find_data_file

        path = find_data_file()
    path = Path(path)
    if not path.is_file():
        raise _missing_file(path)
    if ".xml" in path.name:
        yield from read_mediawiki_xml(path)
        return
    lineno = 0
    try:
        with _open_text(path) as handle:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{lineno}: invalid JSON ({err.msg} at column "
                                     f"{err.colno}); every line must be one JSON object") from None
                yield _article_from_json(record, f"{path}:{lineno}")
    except EOFError:
        raise ValueError(f"{path} is truncated: the gzip stream ends after line {lineno} "
                         "(an interrupted download or copy?). Re-download the file.") from None
    except (gzip.BadGzipFile, zlib.error) as err:
        raise ValueError(f"{path} is not a readable gzip file ({err}) near line {lineno + 1}; "
                         "the file is corrupt or truncated — re-download it.") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}:{lineno + 1}: not UTF-8 text ({err.reason})") from None


# ------------------------------------------------------------------------------------------
# MediaWiki XML
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
# Sister projects reached by interwiki prefixes (language prefixes are recognised by shape).
INTERWIKI_PREFIXES = frozenset({
    "w", "wikipedia", "wikt", "wiktionary", "s", "wikisource", "q", "wikiquote", "b",
    "wikibooks", "n", "wikinews", "v", "wikiversity", "voy", "wikivoyage", "commons", "c",
    "meta", "m", "species", "wikispecies", "d", "wikidata", "mw", "mediawikiwiki", "foundation",
    "wmf", "phab", "incubator", "outreach", "toollabs", "iarchive", "google", "imdbname",
})


@dataclass
class XmlReadStats:
    """What :func:`read_mediawiki_xml` saw; filled in while the generator runs.

    pages: every ``<page>``; articles / redirects: records yielded; disambiguation: main-
    namespace pages skipped because a disambiguation template marks them; other_namespace:
    pages outside the main namespace (talk, Wikipedia:, Template:, ...) skipped; empty: main-
    namespace pages without revision text, skipped.
    """

    pages: int = 0
    articles: int = 0
    redirects: int = 0
    disambiguation: int = 0
    other_namespace: int = 0
    empty: int = 0


class _Namespaces:
    """Decides what a wikilink target is: a category, another namespace, interwiki, or main."""

    def __init__(self, names: Iterable[str]):
        self.names = {n.lower() for n in names if n} | {
            "image", "project", "wp", "wt", "cat", "t", "h", "p", "portal", "special", "media",
            "file", "category", "template", "help", "user", "draft", "module", "talk"}

    def classify(self, target: str) -> tuple[str, str]:
        """('main' | 'category' | 'other', normalised title)."""
        raw = target.strip()
        leading_colon = raw.startswith(":")
        raw = raw.lstrip(":").strip()
        if ":" in raw:
            prefix, rest = raw.split(":", 1)
            p = prefix.strip().lower().replace("_", " ")
            if p == "category":
                # [[:Category:X]] is a link to the category page, not membership
                return ("other" if leading_colon else "category"), normalize_title(rest)
            if p in self.names or p in INTERWIKI_PREFIXES or _looks_like_language(prefix.strip()):
                return "other", raw
        return "main", normalize_title(raw)


def _looks_like_language(prefix: str) -> bool:
    """Language interwiki prefixes are lower-case codes: ``fr``, ``de``, ``zh-yue``, ``simple``."""
    if prefix == "simple":
        return True
    parts = prefix.split("-")
    return (2 <= len(parts[0]) <= 3 and all(p.isascii() and p.isalpha() and p.islower()
                                            for p in parts))


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


def _see_also_entries(nodes, namespaces: _Namespaces) -> list[str]:
    """The first main-namespace wikilink of every list item among ``nodes`` (recursing into
    template parameters, where {{columns-list|...}}-style wrappers keep the list)."""
    from mwparserfromhell.nodes import Tag, Template, Text, Wikilink

    out: list[str] = []
    in_item = False
    taken = False

    def walk(seq):
        nonlocal in_item, taken
        for node in seq:
            if isinstance(node, Tag) and node.wiki_markup and str(node.tag) in ("li", "dd", "dt"):
                in_item, taken = True, False
            elif isinstance(node, Text) and "\n" in str(node):
                in_item = False
            elif isinstance(node, Wikilink) and in_item and not taken:
                kind, title = namespaces.classify(str(node.title))
                if kind == "main" and title:
                    out.append(title)
                    taken = True
            elif isinstance(node, Template):
                for param in node.params:
                    in_item = False
                    walk(param.value.nodes)
                    in_item = False

    walk(nodes)
    return out


def _parse_page(title: str, wikitext: str, namespaces: _Namespaces):
    """(Article or None if disambiguation) for one main-namespace, non-redirect page."""
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
    for i, node in enumerate(nodes):
        if isinstance(node, Heading) and node.level == 2:
            name = _heading_title(node)
            if name in END_SECTIONS and body_end == len(nodes):
                body_end = i
            if name == "see also":
                end = next((j for j in range(i + 1, len(nodes))
                            if isinstance(nodes[j], Heading) and nodes[j].level <= 2), len(nodes))
                see_also += _see_also_entries(nodes[i + 1:end], namespaces)

    # strip_code drops templates, comments and invisible tags (<ref>, <gallery>, ...), keeps
    # link texts and heading titles (on their own line, as in the JSONL sample)
    text = Wikicode(nodes[:body_end]).strip_code(normalize=True, collapse=True)
    text = text.replace(_BOLD, "").replace(_ITALIC, "")  # the marks skip_style_tags leaves
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return Article(title=title, text=text, see_also=list(dict.fromkeys(see_also)),
                   categories=list(categories), links=[t for t in links if t != title])


_EMPTY = None
_BOLD, _ITALIC = "'" * 3, "'" * 2
HIDDEN_TAGS = frozenset({"ref", "references", "gallery", "math", "chem", "score", "timeline",
                         "imagemap", "syntaxhighlight", "source", "pre", "graph", "mapframe"})


def read_mediawiki_xml(path, stats: XmlReadStats | None = None) -> Iterator[Article]:
    """Stream :class:`Article` records from a MediaWiki XML dump (``.xml`` or ``.xml.bz2``).

    Per ``<page>`` (latest revision): pages outside the main namespace are skipped; a redirect
    page yields ``Article(title, redirect=target)`` and nothing else; a page carrying a
    disambiguation template ({{disambiguation}}, {{disambig}}, {{dab}}, {{hndis}}, ... see
    ``DISAMBIGUATION_TEMPLATES``) is skipped; every other page yields an Article with

    * links:      main-namespace ``[[targets]]`` anywhere in the page (templates included),
      normalised (:func:`normalize_title`), first occurrence order, without self-links;
      ``[[File:...]]``, ``[[Category:...]]``, other namespaces and interwiki links excluded;
    * categories: the ``[[Category:X]]`` memberships;
    * see_also:   the first main-namespace wikilink of each list item under ``==See also==``;
    * text:       plain text (``mwparserfromhell`` ``strip_code``) of the body before the first
      "See also"/"References"/"Notes"/"External links"/... section, templates removed.

    stats: optional :class:`XmlReadStats`, filled in as the stream is consumed.
    Raises FileNotFoundError for a missing file, ValueError naming the file for a corrupt one.
    Taught in: book/02_anchor_graphs.ipynb
    """
    import mwxml

    path = Path(path)
    if not path.is_file():
        raise _missing_file(path)
    stats = stats if stats is not None else XmlReadStats()
    opener = bz2.open if path.suffix == ".bz2" else open
    try:
        with opener(path, "rb") as handle:
            dump = mwxml.Dump.from_file(handle)
            namespaces = _Namespaces(ns.name for ns in (dump.site_info.namespaces or []))
            for page in dump:
                stats.pages += 1
                revision = None
                for revision in page:  # the dump holds the latest revision (or full history)
                    pass
                if page.namespace != 0:
                    stats.other_namespace += 1
                    continue
                title = normalize_title(page.title)
                if page.redirect:
                    stats.redirects += 1
                    yield Article(title=title, redirect=normalize_title(page.redirect))
                    continue
                if revision is None or not revision.text:
                    stats.empty += 1
                    continue
                article = _parse_page(title, revision.text, namespaces)
                if article is None:
                    stats.disambiguation += 1
                    continue
                stats.articles += 1
                yield article
    except (OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"{path}: cannot read the dump ({err}); the file is corrupt or "
                         "truncated — re-download it.") from None


# ------------------------------------------------------------------------------------------
# redirects
# ------------------------------------------------------------------------------------------
def redirect_map(records: Iterable[Article]) -> dict[str, str]:
    """{redirect title: final target} from the redirect records among ``records``.

    Chains (A → B → C) are followed to their end; a cycle stops where it would repeat.
    Taught in: book/02_anchor_graphs.ipynb
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

    Taught in: book/02_anchor_graphs.ipynb
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
