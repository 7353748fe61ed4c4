"""``ramen-edu fetch-wiki``: download the public Wikipedia plain-text export and convert it to
the project's ``wikipedia-2019/articles.jsonl.gz``.

The source is the GitHub repository ``chinapedia/wikipedia.abstract.en`` at commit
:data:`COMMIT` (the 2019-07-20 English Wikipedia, converted by pandoc to plain text): 63,484 pages,
one file each, ``Page/<Title_with_underscores>.md``, ~207 MB as GitHub's ``.tar.gz``. Licence:
CC BY-SA 3.0 (and GFDL), by "Wikipedia contributors".

Pieces, from small to large:

* :func:`convert_page` — one page (title, pandoc plain text) → an
  :class:`~ramen_edu.data.wikipedia.Article` with ``title``, ``text`` (≤ 2,000 characters),
  ``see_also`` (list of titles), ``categories`` (list of names).
* :func:`iter_pages` — the pages of a ``Page/`` folder or of an opened tar archive (streamed,
  nothing extracted to disk), as :class:`Page` (root folder, title, text).
* :func:`write_articles` — records → a gzip JSON-lines file (one object per line, the four
  fields; gzip mtime 0 and no file name in the header, so the same input gives the same bytes).
* :func:`read_selection` / :func:`write_selection` — the book's selection, the 57,200 titles of
  the project's article file, shipped in ``ramen_edu/data/selection/`` (471 KB).
* :func:`convert_pages` — a folder or tar → ``articles.jsonl.gz``; returns the number of pages.
* :func:`download` — a URL → a file, via ``<file>.part`` then rename, with a byte progress bar.
* :func:`fetch_wiki` — download (or take ``archive=``), verify, convert, write a manifest.
* :func:`agreement` — per-field agreement of converted records with expected ones.

Which pages: by default the book's selection — 57,200 of the archive's 63,484 pages, the ones the
book's data was chosen from — so a fresh download gives the file every number of the book was
computed from, byte for byte (sha256 :data:`BOOK_FILE_SHA256`, checked and recorded in the
manifest). ``--all`` (``all_pages=True``) converts every page instead: a different, larger file
(the benchmark built from it has other documents and labels than the book's).

Order of the output: source order. In the GitHub tarball that is git's tree order, i.e. the file
names sorted by their UTF-8 bytes; a folder is read in the same order, so the folder and the
archive give byte-identical files (and the order of the project's shared ``articles.jsonl.gz``).
Memory: one page at a time; a page file over :data:`MAX_PAGE_BYTES` (16 MiB) is refused unread,
as are a page name that is not UTF-8 and an archive member that appears twice.

How a page becomes a record — reverse-engineered from the project's shared file, and checked on
the 42 pages of ``data_samples/fixtures/chinapedia-raw-sample`` (42/42 on every field; the full
shared file agrees with each rule where it can be checked without the raw pages):

* **title**: the file name without ``.md``, ``_`` → space.
* **sections**: pandoc puts two blank lines before a level-2 heading and one blank line after it.
  A *section heading* here is a line with at least two blank lines (or the start of the page)
  before it and a blank line (or the end) after it. Headings of lower levels (one blank line
  before) do not start or end sections, and names are matched exactly, case included
  (``"See Also"`` is not ``"See also"``).
* **text**: the lines before the first section heading named like one of
  :data:`~ramen_edu.data.wikipedia.END_SECTIONS` ("See also", "References", "Notes",
  "External links", ...). Blank lines are dropped; a line ending in ``]]`` is dropped (the tail
  of an image caption: pandoc leaves ``caption]]`` behind); every kept line is stripped, then
  its citation markers ``[12]`` are removed and runs of ASCII spaces squeezed to one (a non-
  breaking space stays). The order matters and is what the shared file shows: a line that held
  only a marker becomes an empty line, a line that started or ended with one keeps a space
  there. Headings of the body stay as their own lines. Lines joined with ``\\n``; the result is
  cut at 2,000 characters (not stripped afterwards).
* **see_also**: under every section heading "See also", up to the next section heading, each
  ``-`` bullet line (nested bullets ``-   -   X`` are flattened): the text after the bullet
  marks, cut before the first spaced dash (``" - "``, ``" – "``, ``" — "``: the annotation),
  underscores (pandoc's emphasis marks; titles never hold one) removed, trailing ``. , ;`` and
  spaces stripped. Empty items are skipped, duplicates kept once (first position). Citation
  markers are *kept* here, as in the shared file.
* **categories**: every ``Category:`` anywhere in the page (pandoc flattens the category links
  into a line like ``Sortkey Category:A Category:B``; some appear in body lines or see-also
  bullets). The text between one ``Category:`` and the next (or the end of the line), stripped;
  then trailing words (split on ASCII spaces) are dropped while they are a word of the page's
  title or contain ``_``. Empty results are skipped, duplicates kept once.

The last rule reproduces what the shared file holds, which includes its mistakes: it was meant
to drop pandoc's sort keys (``Category:Slow irregular variables Carinae, V528`` on the page
"V528 Carinae" → ``"Slow irregular variables Carinae,"``) and also cuts real name words that
happen to be title words (``Category:Unincorporated communities in Missouri`` on "Ethlyn,
Missouri" → ``"Unincorporated communities in"``; on "Swimming at the 2016 Summer Paralympics –
Men's 50 metre freestyle S8" the only category disappears). It is kept so that a fresh download
reproduces the project's file; see the book's data notes before trusting category names.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from ramen_edu.settings import WIKIPEDIA_FILE
from ramen_edu.data.wikipedia import END_SECTIONS, Article

__all__ = [
    "BOOK_FILE_SHA256",
    "COMMIT",
    "DEFAULT_URL",
    "EXPECTED_PAGES",
    "MAX_PAGE_BYTES",
    "MAX_TEXT_CHARS",
    "Agreement",
    "Page",
    "agreement",
    "cli_main",
    "convert_page",
    "convert_pages",
    "download",
    "fetch_wiki",
    "iter_pages",
    "read_selection",
    "write_articles",
    "write_selection",
]

REPOSITORY = "chinapedia/wikipedia.abstract.en"
COMMIT = "4f3e897da088cbe89a4f1d4cba3fa2e439c3721b"
DEFAULT_URL = f"https://codeload.github.com/{REPOSITORY}/tar.gz/{COMMIT}"
EXPECTED_PAGES = 63_484
MAX_TEXT_CHARS = 2_000
# A page file larger than this is refused unread: memory stays bounded by it. The export's
# pages are pandoc plain text, one article each: far below it (a 512 MiB page read whole
# cost 1.1 GB of memory).
MAX_PAGE_BYTES = 16 << 20
OUTPUT_FILE = WIKIPEDIA_FILE  # what find_data_file looks for under $RAMEN_EDU_DATA and ./data
MANIFEST_NAME = "articles.manifest.json"
# The book's selection: the 57,200 titles of the article file every committed result is made
# from, in archive order (ramen_edu/data/selection/README.md says how it was made). With it,
# fetch-wiki writes that file byte for byte: sha256 BOOK_FILE_SHA256.
SELECTION_FILE = Path(__file__).resolve().parent / "selection" / "wikipedia-2019.txt.gz"
SELECTION_SHA256 = "b70f8d382d0a6dbf4f4b0c198485ce574e6c170a22221431e286f90f880cee5b"
SELECTED_PAGES = 57_200
BOOK_FILE_SHA256 = "61f970cccd40e46502e60d79376861e7d8876a24b51055793676d623a1766117"
LICENCE = "CC BY-SA 3.0 (and GFDL)"
ATTRIBUTION = "Wikipedia contributors"

# Exact heading names, capitalised as Wikipedia writes them ("See also", "Notes and references").
END_HEADINGS = frozenset(name.capitalize() for name in END_SECTIONS)
SEE_ALSO = "See also"

_CITATION = re.compile(r"\[\d+\]")
_SPACES = re.compile(r" {2,}")
_BULLETS = re.compile(r"^(?:-(?:\s+|$))+")  # "-   -   X" → "X"; a bare "-" → ""
_ANNOTATION = re.compile(r"\s[-–—]\s")       # "Title – what it is": keep "Title"
_CHUNK = 1 << 20


# ------------------------------------------------------------------------------------------
# one page
# ------------------------------------------------------------------------------------------
def _section_headings(lines: list[str]) -> list[int]:
    """Indices of level-2 headings: ≥ 2 blank lines (or the page start) before, a blank after."""
    blank = [not line.strip() for line in lines]
    n = len(lines)
    return [i for i in range(n)
            if not blank[i]
            and (i < 1 or blank[i - 1]) and (i < 2 or blank[i - 2])
            and (i + 1 == n or blank[i + 1])]


def _body_text(lines: list[str]) -> str:
    out: list[str] = []
    size = -1  # the joining "\n"s count towards the limit too
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.endswith("]]"):
            continue
        kept = _SPACES.sub(" ", _CITATION.sub("", stripped))
        out.append(kept)
        size += len(kept) + 1
        if size >= MAX_TEXT_CHARS:  # later lines would be cut off anyway
            break
    return "\n".join(out)[:MAX_TEXT_CHARS]


def _see_also_item(line: str) -> str:
    item = _BULLETS.sub("", line)
    item = _ANNOTATION.split(item, maxsplit=1)[0]
    return item.replace("_", "").strip().rstrip(".,;").strip()


def _categories(lines: Iterable[str], title_words: frozenset[str]) -> list[str]:
    found: dict[str, None] = {}
    for line in lines:
        if "Category:" not in line:
            continue
        for piece in line.split("Category:")[1:]:
            words = piece.strip().split(" ")
            while words and (words[-1] in title_words or "_" in words[-1]):
                words.pop()
            name = " ".join(words)
            if name:
                found.setdefault(name, None)
    return list(found)


def convert_page(title: str, text: str) -> Article:
    """One source page → an :class:`Article` (``title``, ``text``, ``see_also``, ``categories``;
    ``links`` empty: the export has none). ``title`` may be given with underscores (the file
    name without ``.md``); ``text`` is the page's pandoc plain text. The rules are in the
    module docstring.

    """
    title = title.replace("_", " ")
    lines = text.split("\n")
    headings = _section_headings(lines)
    body_end = next((i for i in headings if lines[i].strip() in END_HEADINGS), len(lines))

    see_also: dict[str, None] = {}
    bounds = headings + [len(lines)]
    for start, stop in zip(bounds, bounds[1:]):
        if lines[start].strip() != SEE_ALSO:
            continue
        for line in lines[start + 1:stop]:
            line = line.strip()
            if line.startswith("-"):
                item = _see_also_item(line)
                if item:
                    see_also.setdefault(item, None)

    return Article(title=title, text=_body_text(lines[:body_end]), see_also=list(see_also),
                   categories=_categories(lines, frozenset(title.split(" "))))


# ------------------------------------------------------------------------------------------
# many pages
# ------------------------------------------------------------------------------------------
class Page(NamedTuple):
    """One source page: ``root`` is the folder above ``Page/`` (the archive's top folder, which
    names the commit), ``title`` the file name without ``.md`` (underscores kept), ``text``."""

    root: str
    title: str
    text: str


def _name_key(path: Path) -> bytes:
    return path.name.encode("utf-8", "surrogateescape")


def _checked_page(where: str, name: str, size: int) -> None:
    """Refuse a page file before reading it: a name that is not UTF-8 (it would become a title
    no JSON writer can encode) or more than :data:`MAX_PAGE_BYTES` (read whole, it would cost
    that much memory and more; the export's pages are far smaller)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: the file name is not UTF-8 (undecodable bytes shown as "
                         "\\udcXX); every page of the export has a UTF-8 name, so this source "
                         f"was altered or is another one. Download {DEFAULT_URL} again "
                         "(ramen-edu fetch-wiki --force)") from None
    if size > MAX_PAGE_BYTES:
        raise ValueError(f"{where}: the page holds {size:,} bytes, more than the limit of "
                         f"{MAX_PAGE_BYTES:,} (an export page is one article's plain text; "
                         f"it was not read). This source was altered or is another one: download "
                         f"{DEFAULT_URL} again (ramen-edu fetch-wiki --force)")


def _page_text(where: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        # accepted, not refused: the book's file was made with this replacement (it holds two
        # U+FFFD), so refusing could make the book's own source unreadable; the warning names
        # the page so that a damaged file is still found
        warnings.warn(f"{where}: byte {err.start:,} is not UTF-8 ({err.reason}); the page is "
                      "read with U+FFFD in place of every invalid byte", UnicodeWarning,
                      stacklevel=2)
        return raw.decode("utf-8", "replace")


def iter_pages(source, *, name: str | None = None) -> Iterator[Page]:
    """The pages of ``source``, one at a time: a ``Page/`` folder (or a folder holding one),
    read in the byte order of the file names, or a :class:`tarfile.TarFile` (open it in stream
    mode, ``"r|gz"``), read in member order; only regular files ``<top>/Page/<name>.md``
    count. name: what to call an archive in messages (default ``"the archive"``).

    Pages are decoded as UTF-8; an invalid byte becomes U+FFFD, with a :class:`UnicodeWarning`
    naming the page. Raises ValueError naming the page file (nothing of it is read) for a file
    name that is not UTF-8, a page of more than :data:`MAX_PAGE_BYTES` bytes, or an archive
    member that appears twice (a second copy would give two records with one title).
    """
    if isinstance(source, tarfile.TarFile):
        label = name or "the archive"
        seen: set[str] = set()
        for member in source:
            parts = member.name.split("/")
            if (len(parts) == 3 and parts[1] == "Page" and parts[2].endswith(".md")
                    and member.isfile()):
                where = f"{label}: member {member.name!r}"
                _checked_page(where, member.name, member.size)
                if member.name in seen:
                    raise ValueError(f"{where} appears twice; GitHub's archive holds each page "
                                     "once, so this one was altered. Download "
                                     f"{DEFAULT_URL} again (ramen-edu fetch-wiki --force)")
                seen.add(member.name)
                handle = source.extractfile(member)
                raw = handle.read() if handle is not None else b""
                yield Page(parts[0], parts[2][:-3], _page_text(where, raw))
        return
    folder = Path(source)
    if folder.name != "Page" and (folder / "Page").is_dir():
        folder = folder / "Page"
    if not folder.is_dir():
        raise FileNotFoundError(f"no such page folder: {folder} (expected a Page/ folder of "
                                "<Title>.md files, or a folder that holds one)")
    for path in sorted(folder.glob("*.md"), key=_name_key):
        if path.is_file():
            _checked_page(str(path), path.name, path.stat().st_size)
            yield Page(folder.parent.name, path.stem, _page_text(str(path), path.read_bytes()))


def _record(article: Article) -> dict:
    return {"title": article.title, "text": article.text, "see_also": article.see_also,
            "categories": article.categories}


def write_articles(records: Iterable[Article], out) -> int:
    """Write ``records`` to ``out`` as gzip JSON lines (fields ``title``, ``text``,
    ``see_also``, ``categories``; UTF-8, not ASCII-escaped), through ``<out>.part`` renamed at
    the end, so an interrupted run never leaves a file that looks finished. gzip mtime 0 and no
    name in the gzip header: equal records give equal bytes. Returns the number written.

    Taught in: book/02_anchor_graphs.ipynb
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    n = 0
    try:
        with open(part, "wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            for article in records:
                gz.write((json.dumps(_record(article), ensure_ascii=False) + "\n").encode("utf-8"))
                n += 1
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return n


def _progress(iterable, *, total=None, desc="", unit="it", enabled=True):
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled,
                mininterval=0.5)


def convert_pages(source, out, *, progress: bool = True, total: int | None = None,
                  selection=None) -> int:
    """Convert the pages of ``source`` (a ``Page/`` folder or a stream-mode tar, see
    :func:`iter_pages`) and write them to ``out`` (:func:`write_articles`). selection: None for
    every page, or a collection of titles (spaces, as :func:`read_selection` gives them): only
    those pages are converted, in source order. Returns the number of records written.
    ``total`` only sizes the progress bar.

    """
    return _write_pages(iter_pages(source), out, progress=progress, total=total,
                        selection=selection)


def _selected(pages: Iterable[Page], selection, seen: set | None = None) -> Iterator[Page]:
    for page in pages:
        title = page.title.replace("_", " ")
        if title in selection:
            if seen is not None:
                seen.add(title)
            yield page


def _write_pages(pages: Iterable[Page], out, *, progress: bool, total: int | None,
                 selection=None, seen: set | None = None) -> int:
    pages = _progress(pages, total=total, desc="convert", unit="page", enabled=progress)
    if selection is not None:
        selection = selection if isinstance(selection, (set, frozenset)) else set(selection)
        pages = _selected(pages, selection, seen)
    return write_articles((convert_page(p.title, p.text) for p in pages), out)


# ------------------------------------------------------------------------------------------
# the book's selection
# ------------------------------------------------------------------------------------------
def read_selection(path=None) -> list[str]:
    """The titles of a selection file (gzip text, one title per line, in archive order);
    default :data:`SELECTION_FILE`, the book's 57,200 titles, whose sha256 is checked against
    :data:`SELECTION_SHA256`. Raises FileNotFoundError / ValueError naming the file (and line)
    and the fix: a changed default file, an empty or duplicated title.

    """
    default = path is None
    path = Path(SELECTION_FILE if default else path)
    if not path.is_file():
        raise FileNotFoundError(f"no such selection file: {path}"
                                + ("; it ships with the package — reinstall ramen-edu"
                                   if default else ""))
    blob = path.read_bytes()
    if default and hashlib.sha256(blob).hexdigest() != SELECTION_SHA256:
        raise ValueError(f"{path}: sha256 differs from the book's selection ({SELECTION_SHA256[:12]}"
                         "…); the file was changed — restore it (git checkout) or reinstall")
    try:
        lines = gzip.decompress(blob).decode("utf-8").split("\n")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a gzip'd UTF-8 text file ({err}); a selection is one "
                         "title per line, gzip'd") from None
    if lines and lines[-1] == "":
        lines.pop()
    seen: set[str] = set()
    for number, title in enumerate(lines, 1):
        if not title.strip() or title != title.strip():
            raise ValueError(f"{path}:{number}: empty title or surrounding spaces ({title!r}); "
                             "one title per line, as the article file writes it")
        if title in seen:
            raise ValueError(f"{path}:{number}: title {title!r} is listed twice")
        seen.add(title)
    return lines


def write_selection(articles_file, out) -> int:
    """The titles of an article file, in its order, as a selection file ``out`` (gzip, level 9,
    mtime 0: the same file gives the same bytes). How :data:`SELECTION_FILE` was made, from the
    book's article file. Returns the number of titles.

    """
    with gzip.open(articles_file, "rt", encoding="utf-8") as handle:
        titles = [json.loads(line)["title"] for line in handle if line.strip()]
    out = Path(out)
    part = out.with_name(out.name + ".part")
    with open(part, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(("\n".join(titles) + "\n").encode("utf-8"))
    os.replace(part, out)
    return len(titles)


# ------------------------------------------------------------------------------------------
# download, verify, convert
# ------------------------------------------------------------------------------------------
def download(url: str, dest, *, progress: bool = True) -> Path:
    """Fetch ``url`` (``https://``, ``http://`` or ``file://``) into ``dest`` with a byte
    progress bar; the bytes go to ``<dest>.part``, renamed to ``dest`` only when complete.
    Returns ``dest``. Raises ConnectionError (with the URL and what to do) when the URL cannot be
    reached or answers with an HTTP error; the ``.part`` file is removed.

    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
            size = response.headers.get("Content-Length")
            with tqdm(total=int(size) if size else None, unit="B", unit_scale=True,
                      unit_divisor=1024, desc="download", disable=not progress,
                      mininterval=0.5) as bar:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        os.replace(part, dest)
    except urllib.error.HTTPError as err:
        part.unlink(missing_ok=True)
        raise ConnectionError(f"{url} answered HTTP {err.code} ({err.reason}); check the URL "
                              "(--url) or pass a local copy of the archive with --archive FILE"
                              ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
        part.unlink(missing_ok=True)
        reason = getattr(err, "reason", err)
        if urllib.parse.urlparse(url).scheme == "file":
            raise ConnectionError(f"cannot read {url} ({reason}); check the path, or pass the "
                                  "archive with --archive FILE") from None
        raise ConnectionError(
            f"cannot download {url} ({reason}): fetch-wiki needs internet access. On a machine "
            "without it, download that URL elsewhere and pass the file with --archive FILE "
            "(ramen-edu fetch-wiki --archive wikipedia.abstract.en.tar.gz)") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return dest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class _ArchiveStats:
    roots: set = field(default_factory=set)
    pages: int = 0


def _verified_pages(tar: tarfile.TarFile, archive: Path, commit: str | None,
                    stats: _ArchiveStats) -> Iterator[Page]:
    """:func:`iter_pages` of ``tar``, refusing pages outside the commit's top folder."""
    for page in iter_pages(tar, name=str(archive)):
        if commit and commit not in page.root:
            raise ValueError(
                f"{archive}: pages are under {page.root!r}, a folder name without commit "
                f"{commit}; this is not {REPOSITORY} at that commit. Download {DEFAULT_URL} "
                "(ramen-edu fetch-wiki --force)")
        stats.roots.add(page.root)
        stats.pages += 1
        yield page


def convert_archive(archive, out, *, expected_pages: int = EXPECTED_PAGES,
                    commit: str | None = COMMIT, progress: bool = True,
                    selection=None) -> dict:
    """Verify and convert a GitHub ``.tar.gz`` of the repository in one streaming pass:
    it must be a complete, readable gzip'd tar (the gzip trailer is checked, so a cut file is
    caught), its ``Page/`` files must lie under a top folder whose name contains ``commit``
    (None: not checked), and there must be exactly ``expected_pages`` of them. Writes ``out``
    only when all holds. selection: None converts every page; a list of titles converts only
    those, and every one of them must be in the archive. Returns the facts for the manifest
    (sha256, bytes, top folder, pages, records written).

    Raises FileNotFoundError (no archive), ValueError naming the archive (corrupt or truncated,
    wrong folder, wrong page count, titles of the selection missing).
    """
    archive, out = Path(archive), Path(out)
    if not archive.is_file():
        raise FileNotFoundError(f"no such archive: {archive}; download {DEFAULT_URL} "
                                "or run `ramen-edu fetch-wiki` without --archive")
    sha256 = _sha256(archive)
    stats = _ArchiveStats()
    seen: set[str] = set()
    # written beside the output and renamed over it only once verified, so a failed run
    # (--force on a bad archive) leaves an earlier good file in place
    unverified = out.with_name(out.name + ".unverified")
    try:
        with gzip.open(archive, "rb") as gz:
            with tarfile.open(fileobj=gz, mode="r|", encoding="utf-8") as tar:
                records = _write_pages(_verified_pages(tar, archive, commit, stats),
                                       unverified, progress=progress, total=expected_pages,
                                       selection=selection, seen=seen)
            while gz.read(_CHUNK):  # to the gzip trailer: its CRC and length catch a cut file
                pass
        if stats.pages != expected_pages:
            raise ValueError(
                f"{archive}: expected {expected_pages:,} pages (Page/*.md), found "
                f"{stats.pages:,}; the archive is incomplete or another version "
                f"(this converter expects {REPOSITORY} at commit {COMMIT}; "
                "--expected-pages N to accept another count)")
        missing = [t for t in selection if t not in seen] if selection is not None else []
        if missing:
            raise ValueError(
                f"{archive}: {len(missing):,} of the {len(selection):,} selected titles are not "
                f"pages of this archive (first: {', '.join(map(repr, missing[:3]))}); it is not "
                f"the book's source ({REPOSITORY} at commit {COMMIT}). Use that archive, or "
                "--all to convert every page of this one")
        os.replace(unverified, out)
    except (EOFError, zlib.error, gzip.BadGzipFile, tarfile.TarError) as err:
        unverified.unlink(missing_ok=True)
        raise ValueError(f"{archive} is not a readable .tar.gz ({type(err).__name__}: {err}): "
                         "the file is truncated or corrupt — delete it and download it again "
                         f"({DEFAULT_URL})") from None
    except BaseException:
        unverified.unlink(missing_ok=True)
        raise
    return {"sha256": sha256, "bytes": archive.stat().st_size,
            "top_folder": sorted(stats.roots)[0] if stats.roots else None,
            "pages": stats.pages, "records": records}


def default_dest_dir() -> Path:
    """``$RAMEN_EDU_DATA`` when set, else ``./data``: the first places
    :func:`ramen_edu.settings.find_data_file` looks."""
    return Path(os.environ.get("RAMEN_EDU_DATA") or "data")


def fetch_wiki(dest_dir=None, *, url: str = DEFAULT_URL, expected_pages: int = EXPECTED_PAGES,
               archive=None, force: bool = False, commit: str | None = COMMIT,
               progress: bool = True, all_pages: bool = False, selection=None) -> Path:
    """Get the full Wikipedia data: ``<dest_dir>/wikipedia-2019/articles.jsonl.gz``.

    dest_dir: default ``$RAMEN_EDU_DATA`` if set, else ``./data`` — where the project's data
    lookup finds it. url: the archive to download (default :data:`DEFAULT_URL`, GitHub's
    ``.tar.gz`` of the repository at :data:`COMMIT`, ~207 MB). archive: a local copy of that
    archive instead of downloading. expected_pages: the number of ``Page/*.md`` files the
    archive must hold. commit: the string the archive's top folder must contain (None: any).
    force: redo everything even when the output exists (otherwise it is returned untouched,
    without network). all_pages: convert all pages instead of the book's selection.
    selection: a selection file to use instead of the book's (:func:`read_selection`).
    A downloaded archive is deleted after conversion.

    By default the output is the book's file byte for byte; the manifest records its sha256
    and ``book_file`` (whether it equals :data:`BOOK_FILE_SHA256`).

    Because GitHub builds tarballs on the fly (their bytes are not stable), the archive is
    verified by content, not by a fixed checksum; its sha256, size, top folder and page count
    are recorded in ``articles.manifest.json`` next to the output.

    Returns the output path. Raises ConnectionError (no network, HTTP error: says the URL and
    how to use --archive), FileNotFoundError (no such archive), ValueError (corrupt or
    truncated archive, wrong folder or page count: names the file and the numbers).
    Taught in: book/02_anchor_graphs.ipynb
    """
    dest_dir = Path(dest_dir) if dest_dir is not None else default_dest_dir()
    out = dest_dir / OUTPUT_FILE
    if out.is_file() and not force:
        return out
    titles = None if all_pages else read_selection(selection)  # a bad selection fails first
    if archive is not None:
        source = {"archive": str(Path(archive).resolve())}
        facts = convert_archive(archive, out, expected_pages=expected_pages, commit=commit,
                                progress=progress, selection=titles)
    else:
        source = {"url": url}
        fetched = download(url, out.parent / f"{REPOSITORY.split('/')[1]}.tar.gz",
                           progress=progress)
        try:
            facts = convert_archive(fetched, out, expected_pages=expected_pages, commit=commit,
                                    progress=progress, selection=titles)
        except ValueError as err:
            raise ValueError(f"the archive downloaded from {url} failed verification: {err}"
                             ) from None
        finally:
            fetched.unlink(missing_ok=True)
    out_sha = _sha256(out)
    manifest = {
        "output": out.name,
        "output_sha256": out_sha,
        "records": facts["records"],
        "selection": ("all pages" if all_pages else
                      {"file": str(SELECTION_FILE.name if selection is None else selection),
                       "sha256": _sha256(SELECTION_FILE if selection is None
                                         else Path(selection)),
                       "titles": len(titles)}),
        "book_file": out_sha == BOOK_FILE_SHA256,
        "source": {"repository": REPOSITORY, "commit": commit, **source,
                   "archive_sha256": facts["sha256"], "archive_bytes": facts["bytes"],
                   "top_folder": facts["top_folder"], "pages": facts["pages"]},
        "converter": "ramen_edu.data.fetch_wiki",
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
    }
    (out.parent / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                            + "\n", encoding="utf-8")
    return out


# ------------------------------------------------------------------------------------------
# checking a converter against expected records
# ------------------------------------------------------------------------------------------
FIELDS = ("title", "text", "see_also", "categories")


@dataclass
class Agreement:
    """Per-field agreement of converted records with expected ones (matched by title).

    n: expected records; title: how many of their titles were produced; text / see_also /
    categories: how many records have that field exactly equal; mismatches: field → titles
    that differ (a missing record counts against every field).
    """

    n: int = 0
    title: int = 0
    text: int = 0
    see_also: int = 0
    categories: int = 0
    mismatches: dict = field(default_factory=lambda: {f: [] for f in FIELDS})

    def counts(self) -> dict:
        return {f: getattr(self, f) for f in FIELDS}

    def __str__(self) -> str:
        return ", ".join(f"{f} {getattr(self, f)}/{self.n}" for f in FIELDS)


def _as_dict(record) -> dict:
    return _record(record) if isinstance(record, Article) else record


def agreement(records: Iterable, expected: Iterable) -> Agreement:
    """Compare ``records`` with ``expected`` (each an iterable of :class:`Article` or dicts with
    the four fields), matching by title. ``print(agreement(...))`` →
    ``title 42/42, text 42/42, see_also 42/42, categories 42/42``.

    """
    produced = {r["title"]: r for r in map(_as_dict, records)}
    result = Agreement()
    for want in map(_as_dict, expected):
        result.n += 1
        got = produced.get(want["title"])
        for name in FIELDS:
            if got is not None and got[name] == want[name]:
                setattr(result, name, getattr(result, name) + 1)
            else:
                result.mismatches[name].append(want["title"])
    return result


# ------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------
def cli_main(argv: list[str] | None = None) -> int:
    """``ramen-edu fetch-wiki``: download the Wikipedia export and convert it.

    """
    parser = argparse.ArgumentParser(
        prog="ramen-edu fetch-wiki",
        description=f"Download the public plain-text Wikipedia export ({REPOSITORY} at commit "
                    f"{COMMIT[:7]}, ~207 MB; text CC BY-SA 3.0 by {ATTRIBUTION}), verify it and "
                    f"convert it to DEST/{OUTPUT_FILE}, where the project's data lookup finds it.")
    parser.add_argument("--dest", default=None,
                        help="data folder (default: $RAMEN_EDU_DATA if set, else ./data)")
    parser.add_argument("--url", default=DEFAULT_URL, help="archive URL (default: %(default)s)")
    parser.add_argument("--archive", default=None,
                        help="use this local .tar.gz of the repository instead of downloading")
    parser.add_argument("--expected-pages", type=int, default=EXPECTED_PAGES,
                        help="Page/*.md files the archive must hold (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="download and convert again even if the output exists")
    parser.add_argument("--all", action="store_true", dest="all_pages",
                        help=f"convert all {EXPECTED_PAGES:,} pages, not the book's selection of "
                             f"{SELECTED_PAGES:,} (a different file: the book's numbers are made "
                             "from the selection)")
    parser.add_argument("--selection", default=None,
                        help="a selection file (gzip, one title per line) instead of the book's")
    args = parser.parse_args(argv)
    dest = Path(args.dest) if args.dest else default_dest_dir()
    existed = (dest / OUTPUT_FILE).is_file()
    try:
        out = fetch_wiki(dest, url=args.url, expected_pages=args.expected_pages,
                         archive=args.archive, force=args.force, all_pages=args.all_pages,
                         selection=args.selection)
    except (ConnectionError, FileNotFoundError, ValueError) as err:
        print(f"ramen-edu fetch-wiki: {err}", file=sys.stderr)
        return 1
    if existed and not args.force:
        print(f"{out} already exists; nothing to do (--force to download and convert again)")
    else:
        manifest = json.loads((out.parent / MANIFEST_NAME).read_text(encoding="utf-8"))
        which = ("all pages" if args.all_pages else
                 "the book's selection: identical to the book's file" if manifest["book_file"]
                 else "a selection")
        print(f"wrote {out}: {manifest['records']:,} articles ({which}; sha256 "
              f"{manifest['output_sha256'][:12]}…, manifest: {out.parent / MANIFEST_NAME}). "
              f"Text CC BY-SA 3.0, {ATTRIBUTION}.")
    return 0
