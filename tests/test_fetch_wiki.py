"""``ramen-edu fetch-wiki``: the page converter against the project's records, and download →
verify → convert end to end on a small archive built from the 42-page fixture (no internet:
``archive=``, ``file://`` and a local HTTP server)."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from ramen_edu.cli import main
from ramen_edu.data import fetch_wiki as fw
from ramen_edu.data.wikipedia import Article, read_articles

FIXTURES = Path(__file__).resolve().parent.parent / "data_samples" / "fixtures"
RAW = FIXTURES / "chinapedia-raw-sample"
N_PAGES = 42
TOP = f"wikipedia.abstract.en-{fw.COMMIT}"
# sha256 of write_articles(the 42 expected records): see test_record_writer_bytes_are_pinned
WRITER_DIGEST_42 = "daa287b8f518bf67d3d4f93a1123ddf1e43558e9b397a2a115e73b3283bcd31a"
CLOSED_PORT_URL = "http://127.0.0.1:1/wikipedia.tar.gz"  # nothing listens on port 1


def _expected() -> list[dict]:
    with open(RAW / "expected.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def converted():
    return [fw.convert_page(page.title, page.text) for page in fw.iter_pages(RAW / "Page")]


def _pack(path: Path, top: str = TOP) -> Path:
    """A .tar.gz shaped like GitHub's: <top>/README.md, then <top>/Page/<name>.md in the byte
    order of the names (git's tree order)."""
    pages = sorted((RAW / "Page").glob("*.md"), key=lambda p: p.name.encode())
    members = [(f"{top}/README.md", b"not a page\n")]
    members += [(f"{top}/Page/{p.name}", p.read_bytes()) for p in pages]
    return _tar(path, members)


def _tar(path: Path, members, **options) -> Path:
    """A .tar.gz of (name, bytes) members, in order; options go to tarfile.open."""
    with tarfile.open(path, "w:gz", **options) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return _pack(tmp_path_factory.mktemp("src") / "wikipedia.abstract.en.tar.gz")


@pytest.fixture()
def http_root(tmp_path, archive, serve_directory):
    """A local HTTP server (in a thread) serving a folder that holds the archive."""
    root = tmp_path / "www"
    root.mkdir()
    (root / archive.name).write_bytes(archive.read_bytes())

    with serve_directory(root) as url:
        yield url + "/"


# ------------------------------------------------------------------------------------------
# (a) the converter reproduces the project's records
# ------------------------------------------------------------------------------------------
def test_fixture_is_complete():
    assert len(list((RAW / "Page").glob("*.md"))) == N_PAGES
    assert len(_expected()) == N_PAGES


def test_converter_reproduces_expected_records(converted):
    result = fw.agreement(converted, _expected())
    assert result.counts() == {"title": 42, "text": 42, "see_also": 42, "categories": 42}, \
        result.mismatches
    assert str(result) == "title 42/42, text 42/42, see_also 42/42, categories 42/42"


def test_agreement_counts_mismatches(converted):
    expected = _expected()
    expected[0] = dict(expected[0], text="something else")
    expected.append({"title": "Not converted", "text": "", "see_also": [], "categories": []})
    result = fw.agreement(converted, expected)
    assert result.n == 43
    assert result.counts() == {"title": 42, "text": 41, "see_also": 42, "categories": 42}
    assert result.mismatches["text"] == [expected[0]["title"], "Not converted"]


def test_paper_example_clade(converted):
    clade = next(r for r in converted if r.title == "Clade")
    paper = {"Crown group", "Cladistics", "Monophyly", "Paraphyly", "Polyphyly"}
    assert paper <= set(clade.see_also)
    assert clade.text.startswith("A CLADE (from , _klados_,")   # the image caption line is gone
    assert "[1]" not in clade.text and len(clade.text) == fw.MAX_TEXT_CHARS
    assert clade.links == [] and clade.redirect is None


def test_rules_the_sample_does_not_exercise():
    page = "\n".join([
        "Intro with a citation.[3] And a second one.[12]", "",
        "]] not an image tail, kept", "",
        "caption of an image]]", "", "",
        "History", "",
        "-   a list item", "",
        "Notes", "",                        # one blank line before: a sub-heading, not an end
        "Body goes on.", "", "",
        "See Also", "",                     # not "See also": not a section
        "still body", "", "",
        "See also", "",
        "-   Alpha – a dash annotation",
        "-   -   Beta - another",
        "-   _Gamma_.",
        "-   Alpha",                        # duplicate
        "-   Delta[4]",                     # markers stay in see-also items
        "-", "",
        "Not a bullet line", "", "",
        "External links", "",
        "-   Example site", "",
        "Sortkey Category:Things in Town Category:Town Category:Obvious stuff Foo_bar",
    ])
    article = fw.convert_page("Some_Town", page)
    assert article.title == "Some Town"
    assert article.text.split("\n") == [
        "Intro with a citation. And a second one.", "]] not an image tail, kept", "History",
        "- a list item", "Notes", "Body goes on.", "See Also", "still body"]
    assert article.see_also == ["Alpha", "Beta", "Gamma", "Delta[4]"]
    # trailing title words and tokens with "_" are cut; a category left empty disappears
    assert article.categories == ["Things in", "Obvious stuff"]


def test_text_is_cut_at_2000_characters():
    article = fw.convert_page("Long", "\n\n".join(["x" * 900] * 5))
    assert article.text == "\n".join(["x" * 900] * 3)[:2000]


# ------------------------------------------------------------------------------------------
# (b) fetch_wiki from a local archive, a file:// URL and an http:// URL
# ------------------------------------------------------------------------------------------
def _check_output(out: Path, dest: Path, converted, archive: Path):
    assert out == dest / "wikipedia-2019" / "articles.jsonl.gz"
    assert list(read_articles(out)) == converted
    manifest = json.loads((out.parent / "articles.manifest.json").read_text(encoding="utf-8"))
    assert manifest["records"] == N_PAGES and manifest["source"]["pages"] == N_PAGES
    assert manifest["source"]["top_folder"] == TOP and manifest["source"]["commit"] == fw.COMMIT
    assert manifest["source"]["archive_bytes"] == archive.stat().st_size
    assert manifest["source"]["archive_sha256"] == fw._sha256(archive)
    assert manifest["output_sha256"] == fw._sha256(out)
    assert manifest["attribution"] == "Wikipedia contributors"
    assert not list(out.parent.glob("*.part")) and not list(out.parent.glob("*.unverified"))
    assert not list(out.parent.glob("*.tar.gz"))          # a downloaded archive is removed


def test_fetch_from_local_archive(tmp_path, archive, converted):
    out = fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=N_PAGES, all_pages=True, progress=False)
    _check_output(out, tmp_path / "data", converted, archive)
    assert archive.is_file()                              # a local archive is left alone


def test_fetch_from_file_url(tmp_path, archive, converted):
    out = fw.fetch_wiki(tmp_path / "data", url=archive.as_uri(), expected_pages=N_PAGES, all_pages=True,
                        progress=False)
    _check_output(out, tmp_path / "data", converted, archive)


def test_fetch_from_http_url(tmp_path, archive, converted, http_root):
    out = fw.fetch_wiki(tmp_path / "data", url=http_root + archive.name, expected_pages=N_PAGES, all_pages=True,
                        progress=False)
    _check_output(out, tmp_path / "data", converted, archive)


def test_default_dest_is_ramen_edu_data(tmp_path, archive, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_DATA", str(tmp_path / "env"))
    out = fw.fetch_wiki(archive=archive, expected_pages=N_PAGES, all_pages=True, progress=False)
    assert out == tmp_path / "env" / "wikipedia-2019" / "articles.jsonl.gz" and out.is_file()

    from ramen_edu.settings import find_data_file
    assert find_data_file() == out


def test_output_is_deterministic_and_matches_folder(tmp_path, archive):
    a = fw.fetch_wiki(tmp_path / "a", archive=archive, expected_pages=N_PAGES, all_pages=True, progress=False)
    b = fw.fetch_wiki(tmp_path / "b", archive=archive, expected_pages=N_PAGES, all_pages=True, progress=False)
    n = fw.convert_pages(RAW, tmp_path / "folder.jsonl.gz", progress=False)
    assert n == N_PAGES
    assert a.read_bytes() == b.read_bytes() == (tmp_path / "folder.jsonl.gz").read_bytes()
    with gzip.open(a, "rt", encoding="utf-8") as handle:
        titles = [json.loads(line)["title"] for line in handle]
    assert titles == sorted(titles, key=lambda t: t.replace(" ", "_").encode())


# ------------------------------------------------------------------------------------------
# (c) bad archives, wrong counts, no network
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_archive(tmp_path, archive, keep):
    data = archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"cut\.tar\.gz is not a readable \.tar\.gz.*truncated"):
        fw.fetch_wiki(tmp_path / "data", archive=cut, expected_pages=N_PAGES, all_pages=True, progress=False)
    assert not (tmp_path / "data" / "wikipedia-2019" / "articles.jsonl.gz").exists()


def test_not_an_archive(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("<html>rate limited</html>")
    with pytest.raises(ValueError, match="junk.tar.gz is not a readable"):
        fw.fetch_wiki(tmp_path / "data", archive=junk, expected_pages=N_PAGES, all_pages=True, progress=False)


def test_wrong_page_count(tmp_path, archive):
    with pytest.raises(ValueError, match=r"expected 63,484 pages .*found 42"):
        fw.fetch_wiki(tmp_path / "data", archive=archive, progress=False)
    assert not (tmp_path / "data" / "wikipedia-2019" / "articles.jsonl.gz").exists()


def test_wrong_top_folder(tmp_path):
    other = _pack(tmp_path / "other.tar.gz", top="wikipedia.abstract.en-0000000")
    with pytest.raises(ValueError, match=f"without commit {fw.COMMIT}"):
        fw.fetch_wiki(tmp_path / "data", archive=other, expected_pages=N_PAGES, all_pages=True, progress=False)


def test_missing_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such archive"):
        fw.fetch_wiki(tmp_path / "data", archive=tmp_path / "nope.tar.gz", progress=False)


def test_unreachable_url(tmp_path):
    with pytest.raises(ConnectionError, match=r"127\.0\.0\.1:1.*internet.*--archive"):
        fw.fetch_wiki(tmp_path / "data", url=CLOSED_PORT_URL, progress=False)
    assert not list((tmp_path / "data" / "wikipedia-2019").glob("*"))  # no .part left behind


def test_http_error(http_root, tmp_path):
    with pytest.raises(ConnectionError, match="HTTP 404.*--archive"):
        fw.download(http_root + "missing.tar.gz", tmp_path / "x.tar.gz", progress=False)
    assert not list(tmp_path.glob("x.tar.gz*"))


def test_force_keeps_good_output_when_the_new_archive_is_bad(tmp_path, archive):
    out = fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=N_PAGES, all_pages=True, progress=False)
    before = out.read_bytes()
    with pytest.raises(ValueError):
        fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=7, force=True,
                      progress=False)
    assert out.read_bytes() == before


def _fetch_cli(tmp_path, archive, pages: int, capsys) -> str:
    """Run fetch-wiki on ``archive`` (every page, ``pages`` expected); expect exit 1 with one
    line on stderr and no output file; return the line."""
    code = main(["fetch-wiki", "--dest", str(tmp_path / "data"), "--archive", str(archive),
                 "--all", "--expected-pages", str(pages)])
    err = capsys.readouterr().err
    lines = [line for line in re.split(r"[\r\n]", err) if line.strip() and "page/s]" not in line]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("ramen-edu fetch-wiki: "), err
    assert not (tmp_path / "data" / fw.OUTPUT_FILE).exists()
    return lines[0]


def test_a_page_name_that_is_not_utf8_is_named(tmp_path, capsys):
    # was: "'utf-8' codec can't encode character '\udce9' …", no file named
    bad = _tar(tmp_path / "latin1.tar.gz", [(f"{TOP}/Page/Caf\xe9.md", b"Coffee house.\n")],
               format=tarfile.GNU_FORMAT, encoding="latin-1")  # the name's bytes: Caf\xe9.md
    err = _fetch_cli(tmp_path, bad, 1, capsys)
    assert "latin1.tar.gz: member" in err and "Caf\\udce9.md" in err and "not UTF-8" in err
    assert "--force" in err


def test_a_duplicate_member_is_refused(tmp_path, capsys):
    # was: accepted, two records titled "Cafe"
    name = f"{TOP}/Page/Cafe.md"
    twice = _tar(tmp_path / "twice.tar.gz", [(name, b"One.\n"), (name, b"Two.\n")])
    err = _fetch_cli(tmp_path, twice, 2, capsys)
    assert f"twice.tar.gz: member '{name}' appears twice" in err and "--force" in err


def test_a_page_over_the_limit_is_refused_unread(tmp_path, capsys, monkeypatch):
    # was: read whole whatever its size (a 512 MiB page: 1.1 GB of memory)
    monkeypatch.setattr(fw, "MAX_PAGE_BYTES", 1000)
    name = f"{TOP}/Page/Huge.md"
    huge = _tar(tmp_path / "huge.tar.gz", [(f"{TOP}/Page/Small.md", b"x" * 1000),
                                           (name, b"x" * 5000)])
    extracted = []
    real_extract = tarfile.TarFile.extractfile
    monkeypatch.setattr(tarfile.TarFile, "extractfile",
                        lambda tar, member: extracted.append(member.name) or real_extract(tar, member))
    err = _fetch_cli(tmp_path, huge, 2, capsys)
    assert f"huge.tar.gz: member '{name}': the page holds 5,000 bytes, more than the limit of 1,000" in err
    assert extracted == [f"{TOP}/Page/Small.md"]  # the large one was never opened

    folder = tmp_path / "pages" / "Page"
    folder.mkdir(parents=True)
    (folder / "Huge.md").write_bytes(b"x" * 5000)
    monkeypatch.setattr(Path, "read_bytes", lambda path: pytest.fail(f"{path} was read"))
    with pytest.raises(ValueError, match=r"Huge\.md: the page holds 5,000 bytes"):
        list(fw.iter_pages(folder))


def test_a_page_that_is_not_utf8_is_read_with_a_warning_naming_it(tmp_path):
    # accepted on purpose (the book's file was made this way), but no longer silently
    latin1 = _tar(tmp_path / "body.tar.gz", [(f"{TOP}/Page/Cafe.md", "Café au lait.\n".encode("latin-1"))])
    with pytest.warns(UnicodeWarning, match=r"body\.tar\.gz: member '.*/Page/Cafe\.md': byte 3 is not UTF-8"):
        out = fw.fetch_wiki(tmp_path / "data", archive=latin1, expected_pages=1, all_pages=True, progress=False)
    assert [a.text for a in read_articles(out)] == ["Caf\ufffd au lait."]


# ------------------------------------------------------------------------------------------
# (d) idempotence
# ------------------------------------------------------------------------------------------
def test_second_call_does_not_download(tmp_path, archive, http_root):
    out = fw.fetch_wiki(tmp_path / "data", url=http_root + archive.name, expected_pages=N_PAGES, all_pages=True,
                        progress=False)
    stamp = out.stat().st_mtime_ns
    assert fw.fetch_wiki(tmp_path / "data", url=CLOSED_PORT_URL, progress=False) == out
    assert out.stat().st_mtime_ns == stamp
    with pytest.raises(ConnectionError):                  # force really goes to the network
        fw.fetch_wiki(tmp_path / "data", url=CLOSED_PORT_URL, force=True, progress=False)
    assert out.stat().st_mtime_ns == stamp


# ------------------------------------------------------------------------------------------
# (e) the command line
# ------------------------------------------------------------------------------------------
def test_cli(tmp_path, archive, converted, capsys):
    dest = tmp_path / "data"
    argv = ["fetch-wiki", "--archive", str(archive), "--dest", str(dest), "--expected-pages", "42",
            "--all"]
    assert main(argv) == 0
    out = dest / "wikipedia-2019" / "articles.jsonl.gz"
    assert list(read_articles(out)) == converted
    assert f"wrote {out}: 42 articles (all pages" in capsys.readouterr().out
    assert main(argv) == 0
    assert "already exists" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, capsys):
    code = main(["fetch-wiki", "--dest", str(tmp_path), "--url", CLOSED_PORT_URL])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("ramen-edu fetch-wiki: ") and "--archive" in err
    assert err.count("\n") == 1


# ------------------------------------------------------------------------------------------
# (f) the book's selection: fetch-wiki writes exactly the book's file
# ------------------------------------------------------------------------------------------
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "wikipedia-2019"


def _archive_key(title: str) -> bytes:
    return (title.replace(" ", "_") + ".md").encode()


def test_selection_is_the_books_57200_titles_in_archive_order():
    titles = fw.read_selection()
    assert len(titles) == len(set(titles)) == fw.SELECTED_PAGES == 57_200
    # archive order: the page file names sorted by their UTF-8 bytes
    names = [(t.replace(" ", "_") + ".md").encode() for t in titles]
    assert names == sorted(names)
    expected = {r["title"] for r in _expected()}
    assert expected <= set(titles)            # the 42 raw pages are all in the book's data
    assert "Clade" in titles and "Cladistics" in titles


def test_raw_pages_with_the_selection_give_the_books_records(tmp_path):
    out = tmp_path / "sel.jsonl.gz"
    n = fw.convert_pages(RAW, out, selection=fw.read_selection(), progress=False)
    assert n == N_PAGES
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        got = [json.loads(line) for line in handle]
    key = _archive_key
    assert [r["title"] for r in got] == sorted((r["title"] for r in got), key=key)
    assert sorted(got, key=lambda r: key(r["title"])) == sorted(_expected(),
                                                                 key=lambda r: key(r["title"]))


def test_pages_outside_the_selection_are_left_out(tmp_path, archive):
    keep = sorted((r["title"] for r in _expected()), key=_archive_key)[::2]
    selection = tmp_path / "sel.txt.gz"
    selection.write_bytes(gzip.compress(("\n".join(keep) + "\n").encode()))
    out = fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=N_PAGES,
                        selection=selection, progress=False)
    assert [a.title for a in read_articles(out, raw_see_also=True)] == keep
    manifest = json.loads((out.parent / fw.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["records"] == len(keep) and manifest["selection"]["titles"] == len(keep)
    assert manifest["book_file"] is False


def test_an_archive_without_the_selected_pages_is_refused(tmp_path, archive):
    # the 42-page archive holds only 42 of the book's 57,200 titles: not the book's source
    with pytest.raises(ValueError, match=r"57,158 of the 57,200 selected titles are not pages"
                                         r".*--all"):
        fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=N_PAGES, progress=False)
    assert not (tmp_path / "data" / fw.OUTPUT_FILE).exists()


@pytest.mark.parametrize("content, match", [
    ("A\n\nB\n", r"sel\.txt\.gz:2: empty title"),
    ("A\nB\nA\n", r"sel\.txt\.gz:3: title 'A' is listed twice"),
    (" A\n", r"sel\.txt\.gz:1: empty title or surrounding spaces"),
])
def test_bad_selection_files_name_the_line(tmp_path, content, match):
    path = tmp_path / "sel.txt.gz"
    path.write_bytes(gzip.compress(content.encode()))
    with pytest.raises(ValueError, match=match):
        fw.read_selection(path)


def test_changed_default_selection_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "wikipedia-2019.txt.gz"
    copy.write_bytes(gzip.compress(b"Clade\n"))
    monkeypatch.setattr(fw, "SELECTION_FILE", copy)
    with pytest.raises(ValueError, match="sha256 differs from the book's selection"):
        fw.read_selection()


def test_write_selection_remakes_the_shipped_file(tmp_path):
    """The selection is made by write_selection from the book's file (its README); the writer is
    deterministic, and on the 42 expected records gives titles in file order."""
    src = tmp_path / "a.jsonl.gz"
    fw.write_articles((fw.convert_page(p.title, p.text) for p in fw.iter_pages(RAW)), src)
    one, two = tmp_path / "1.txt.gz", tmp_path / "2.txt.gz"
    assert fw.write_selection(src, one) == fw.write_selection(src, two) == N_PAGES
    assert one.read_bytes() == two.read_bytes()
    assert fw.read_selection(one) == sorted((r["title"] for r in _expected()), key=_archive_key)
    book = SHARED / "articles.jsonl.gz"
    if book.is_file():  # on the project's machines: the shipped selection, byte for byte
        fw.write_selection(book, tmp_path / "book.txt.gz")
        assert (tmp_path / "book.txt.gz").read_bytes() == fw.SELECTION_FILE.read_bytes()


def test_record_writer_bytes_are_pinned(tmp_path):
    """The book's file is write_articles' output; its bytes (gzip level 6, mtime 0, no name,
    compact UTF-8 JSON in field order) must not drift, or fetch-wiki stops reproducing it. The
    digest is of the 42 expected records, written by write_articles at the commit that
    reproduced the book's file (sha256 61f970cc… over all 57,200 records)."""
    out = tmp_path / "42.jsonl.gz"
    records = [Article(**r) for r in _expected()]
    fw.write_articles(records, out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == WRITER_DIGEST_42
    book = SHARED / "articles.jsonl.gz"
    if book.is_file():  # the whole file, where it exists: re-written records, same bytes
        with gzip.open(book, "rt", encoding="utf-8") as handle:
            every = [Article(**json.loads(line)) for line in handle]
        fw.write_articles(every, tmp_path / "book.jsonl.gz")
        assert fw._sha256(tmp_path / "book.jsonl.gz") == fw.BOOK_FILE_SHA256
