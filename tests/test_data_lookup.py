"""Where the Wikipedia data comes from: $RAMEN_EDU_DATA → ./data → ../shared/data → the shipped
sample, with ../shared hidden by RAMEN_EDU_NO_SHARED=1 (what CI sets for the chapters)."""
from __future__ import annotations

import gzip
import json

import pytest

from ramen_edu.settings import WIKIPEDIA_FILE, data_source, find_data_file, project_root

SAMPLE = project_root() / "data_samples" / "wikipedia-sample" / "articles.jsonl.gz"


def put(folder):
    path = folder / WIKIPEDIA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No $RAMEN_EDU_DATA, ../shared hidden, cwd an empty folder."""
    monkeypatch.delenv("RAMEN_EDU_DATA", raising=False)
    monkeypatch.setenv("RAMEN_EDU_NO_SHARED", "1")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    if (project_root() / "data" / WIKIPEDIA_FILE).exists():
        pytest.skip("this checkout has ./data/wikipedia-2019 (fetched), which shadows the sample")
    return tmp_path


def test_the_sample_is_last_and_named(clean):
    assert find_data_file() == SAMPLE
    assert "shipped sample" in data_source(SAMPLE) and "fetch-wiki" in data_source(SAMPLE)


def test_lookup_order(clean, monkeypatch):
    shared = put(clean / "shared" / "data")  # ../shared/data seen from cwd = clean/work
    assert find_data_file() == SAMPLE        # hidden by RAMEN_EDU_NO_SHARED
    monkeypatch.setenv("RAMEN_EDU_NO_SHARED", "0")
    assert find_data_file() == shared and "../shared/data" in data_source(shared)
    local = put(clean / "work" / "data")
    assert find_data_file() == local and "./data" in data_source(local)
    env = put(clean / "env")
    monkeypatch.setenv("RAMEN_EDU_DATA", str(clean / "env"))
    assert find_data_file() == env and "$RAMEN_EDU_DATA" in data_source(env)
    # what a chapter prints names where the file was found, never this machine's folders
    for found in (shared, local, env):
        assert str(clean) not in data_source(found)
    assert data_source(env) == ("$RAMEN_EDU_DATA/wikipedia-2019/articles.jsonl.gz "
                                "(found via $RAMEN_EDU_DATA)")


def test_without_the_sample_the_error_says_how_to_get_the_data(clean):
    with pytest.raises(FileNotFoundError) as err:
        find_data_file(allow_sample=False)
    message = str(err.value)
    assert "ramen-edu fetch-wiki" in message and str(clean / "work" / "data") in message
    with pytest.raises(FileNotFoundError, match="fetch-wiki"):
        find_data_file("nothing/here.jsonl")


def test_the_shipped_sample_is_small_attributed_and_reproducible_in_schema():
    assert SAMPLE.stat().st_size <= 3_000_000
    readme = (SAMPLE.parent / "README.md").read_text()
    assert "CC BY-SA 3.0" in readme and "Wikipedia contributors" in readme
    card = json.loads((SAMPLE.parent / "sample.json").read_text())
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    assert len(records) == card["articles"] and all(set(r) == {"title", "text", "see_also", "categories"}
                                                    for r in records)
    titles = {r["title"] for r in records}
    assert {"Clade", "Cladistics", "Monophyly"} <= titles   # the paper's example
    listers = sum("Crown group" in r["see_also"] for r in records)
    assert listers >= 2   # so "Crown group" is a label of the benchmark built from the sample


def full_file():
    try:
        return find_data_file(allow_sample=False)
    except FileNotFoundError:
        return None


@pytest.mark.slow
@pytest.mark.skipif(full_file() is None, reason="the full articles file is not on this machine "
                    "(`ramen-edu fetch-wiki` gets it); the sample's schema is tested above")
def test_the_committed_script_remakes_the_sample_byte_for_byte(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", SAMPLE.parent / "make_sample.py")
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    numbers = make_sample.make_sample(full_file(), tmp_path)
    assert (tmp_path / "articles.jsonl.gz").read_bytes() == SAMPLE.read_bytes()
    assert numbers == json.loads((SAMPLE.parent / "sample.json").read_text())
