"""``ramen-edu fetch-wiki``: the page converter against the project's records, and download →
verify → convert end to end on a small archive built from the 42-page fixture (no internet:
``archive=``, ``file://`` and a local HTTP server)."""
from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from ramen_edu.cli import main
from ramen_edu.data import fetch_wiki as fw
from ramen_edu.data.wikipedia import read_articles

FIXTURES = Path(__file__).resolve().parent.parent / "data_samples" / "fixtures"
RAW = FIXTURES / "chinapedia-raw-sample"
N_PAGES = 42
TOP = f"wikipedia.abstract.en-{fw.COMMIT}"
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
    with tarfile.open(path, "w:gz") as tar:
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
    out = fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=N_PAGES, progress=False)
    _check_output(out, tmp_path / "data", converted, archive)
    assert archive.is_file()                              # a local archive is left alone


def test_fetch_from_file_url(tmp_path, archive, converted):
    out = fw.fetch_wiki(tmp_path / "data", url=archive.as_uri(), expected_pages=N_PAGES,
                        progress=False)
    _check_output(out, tmp_path / "data", converted, archive)


def test_fetch_from_http_url(tmp_path, archive, converted, http_root):
    out = fw.fetch_wiki(tmp_path / "data", url=http_root + archive.name, expected_pages=N_PAGES,
                        progress=False)
    _check_output(out, tmp_path / "data", converted, archive)


def test_default_dest_is_ramen_edu_data(tmp_path, archive, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_DATA", str(tmp_path / "env"))
    out = fw.fetch_wiki(archive=archive, expected_pages=N_PAGES, progress=False)
    assert out == tmp_path / "env" / "wikipedia-2019" / "articles.jsonl.gz" and out.is_file()

    from ramen_edu.config import find_data_file
    assert find_data_file() == out


def test_output_is_deterministic_and_matches_folder(tmp_path, archive):
    a = fw.fetch_wiki(tmp_path / "a", archive=archive, expected_pages=N_PAGES, progress=False)
    b = fw.fetch_wiki(tmp_path / "b", archive=archive, expected_pages=N_PAGES, progress=False)
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
        fw.fetch_wiki(tmp_path / "data", archive=cut, expected_pages=N_PAGES, progress=False)
    assert not (tmp_path / "data" / "wikipedia-2019" / "articles.jsonl.gz").exists()


def test_not_an_archive(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("<html>rate limited</html>")
    with pytest.raises(ValueError, match="junk.tar.gz is not a readable"):
        fw.fetch_wiki(tmp_path / "data", archive=junk, expected_pages=N_PAGES, progress=False)


def test_wrong_page_count(tmp_path, archive):
    with pytest.raises(ValueError, match=r"expected 63,484 pages .*found 42"):
        fw.fetch_wiki(tmp_path / "data", archive=archive, progress=False)
    assert not (tmp_path / "data" / "wikipedia-2019" / "articles.jsonl.gz").exists()


def test_wrong_top_folder(tmp_path):
    other = _pack(tmp_path / "other.tar.gz", top="wikipedia.abstract.en-0000000")
    with pytest.raises(ValueError, match=f"without commit {fw.COMMIT}"):
        fw.fetch_wiki(tmp_path / "data", archive=other, expected_pages=N_PAGES, progress=False)


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
    out = fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=N_PAGES, progress=False)
    before = out.read_bytes()
    with pytest.raises(ValueError):
        fw.fetch_wiki(tmp_path / "data", archive=archive, expected_pages=7, force=True,
                      progress=False)
    assert out.read_bytes() == before


# ------------------------------------------------------------------------------------------
# (d) idempotence
# ------------------------------------------------------------------------------------------
def test_second_call_does_not_download(tmp_path, archive, http_root):
    out = fw.fetch_wiki(tmp_path / "data", url=http_root + archive.name, expected_pages=N_PAGES,
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
    argv = ["fetch-wiki", "--archive", str(archive), "--dest", str(dest), "--expected-pages", "42"]
    assert main(argv) == 0
    out = dest / "wikipedia-2019" / "articles.jsonl.gz"
    assert list(read_articles(out)) == converted
    assert f"wrote {out}: 42 articles" in capsys.readouterr().out
    assert main(argv) == 0
    assert "already exists" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, capsys):
    code = main(["fetch-wiki", "--dest", str(tmp_path), "--url", CLOSED_PORT_URL])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("ramen-edu fetch-wiki: ") and "--archive" in err
    assert err.count("\n") == 1
