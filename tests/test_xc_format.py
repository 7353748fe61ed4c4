"""XC repository file formats: exact round trips, the fixtures, and one test per error case
(each asserting that the message names the file and the 1-based line)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from ramen_edu.data import AnchorSet, XCDataset, synthetic
from ramen_edu.data.catalog import known_datasets, load_dataset
from ramen_edu.data.xc_format import (
    XCFormatError,
    XCMissingFileError,
    read_filter_pairs,
    read_sparse,
    read_texts,
    read_xc_dataset,
    write_filter_pairs,
    write_sparse,
    write_texts,
    write_xc_dataset,
)

FIXTURES = Path(__file__).resolve().parent.parent / "data_samples" / "fixtures"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"


def assert_same_matrix(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # values bit for bit, not approximately


def assert_same_dataset(a: XCDataset, b: XCDataset) -> None:
    assert a.name == b.name
    assert (a.train_texts, a.test_texts, a.label_texts) == (b.train_texts, b.test_texts, b.label_texts)
    assert_same_matrix(a.train_y, b.train_y)
    assert_same_matrix(a.test_y, b.test_y)
    assert np.array_equal(a.filter_pairs, b.filter_pairs) and b.filter_pairs.dtype == np.int64
    assert (a.propensity_a, a.propensity_b) == (b.propensity_a, b.propensity_b)
    assert list(a.anchors) == list(b.anchors)
    for name in a.anchors:
        assert a.anchors[name].texts == b.anchors[name].texts
        assert_same_matrix(a.anchors[name].doc_anchor, b.anchors[name].doc_anchor)
        assert_same_matrix(a.anchors[name].label_anchor, b.anchors[name].label_anchor)


def random_csr(rng, rows, cols, density=0.3, binary=False) -> sp.csr_matrix:
    m = sp.random(rows, cols, density=density, format="csr", random_state=rng, dtype=np.float64)
    if binary:
        m.data[:] = 1.0
    else:  # awkward values: tiny, huge, negative, integral, many digits
        m.data = rng.choice([1e-30, 3.0e12, -2.5, 7.0, 1 / 3, np.pi, 0.1], size=m.nnz) * rng.random(m.nnz)
    return sp.csr_matrix(m, dtype=np.float32)


def error_for(fn, *args, **kwargs) -> XCFormatError:
    with pytest.raises(XCFormatError) as info:
        fn(*args, **kwargs)
    return info.value


def assert_names(err: XCFormatError, path, line: int | None) -> str:
    message = str(err)
    assert str(path) in message
    if line is not None:
        assert f"line {line}" in message and err.line == line
    return message


# --- the valid fixture ------------------------------------------------------------------------

def test_valid_fixture_reads_with_expected_content():
    d = read_xc_dataset(VALID)
    assert d.name == "fixture-noodles"
    assert (d.n_train, d.n_test, d.n_labels) == (4, 3, 5)
    assert d.train_texts[3] == "Café au lait: coffee with hot milk"  # UTF-8 decoded
    assert d.label_texts == ["Ramen", "Soup", "Noodles", "Coffee", "Japanese cuisine"]
    assert d.train_y[0].indices.tolist() == [0, 1, 2, 4]
    assert d.test_y[1].nnz == 0  # the blank line in tst_X_Y.txt is an empty row
    assert d.filter_pairs.tolist() == [[0, 0], [2, 2]]
    assert list(d.anchors) == ["category", "hyperlink"]
    hyper = d.anchors["hyperlink"]
    assert hyper.texts == ["Broth", "Wheat flour", "Milk", "Dashi"]
    assert hyper.doc_anchor[0, 1] == np.float32(0.5) and hyper.doc_anchor[2, 3] == np.float32(0.25)
    assert hyper.label_anchor[3].nnz == 0  # "Coffee" has no hyperlink anchors


def test_valid_fixture_rewrites_byte_for_byte(tmp_path):
    write_xc_dataset(read_xc_dataset(VALID), tmp_path)
    for f in VALID.iterdir():
        if f.name != "dataset.json":
            assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name
    assert json.loads((tmp_path / "dataset.json").read_text()) == json.loads((VALID / "dataset.json").read_text())


def test_plain_xc_folder_without_dataset_json(tmp_path):
    folder = tmp_path / "LF-Noodles-7"
    shutil.copytree(VALID, folder)
    (folder / "dataset.json").unlink()
    d = read_xc_dataset(folder)
    assert d.name == "LF-Noodles-7"  # the folder's name
    assert sorted(d.anchors) == ["category", "hyperlink"]  # discovered from NAME_lbl_X_Y.txt
    assert (d.propensity_a, d.propensity_b) == (0.55, 1.5)
    assert_same_dataset(read_xc_dataset(VALID, name="LF-Noodles-7"), d)
    # a bare XC folder has neither anchors nor filter file
    for f in folder.glob("*_*X*.txt"):
        if f.name.split("_")[0] in ("category", "hyperlink"):
            f.unlink()
    (folder / "filter_labels_test.txt").unlink()
    bare = read_xc_dataset(folder, propensity_a=0.6, propensity_b=2.6)
    assert bare.anchors == {} and bare.filter_pairs.shape == (0, 2)
    assert (bare.propensity_a, bare.propensity_b) == (0.6, 2.6)


# --- round trips ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_sparse_round_trip_is_exact(tmp_path, seed):
    rng = np.random.default_rng(seed)
    m = random_csr(rng, rows=int(rng.integers(0, 30)), cols=int(rng.integers(1, 40)), binary=seed == 0)
    if m.shape[0] > 2:  # empty last row: the file must end with a blank line
        keep = np.ones(m.shape[0], dtype=np.float32)
        keep[-1] = 0
        m = sp.csr_matrix(sp.diags(keep) @ m)
    write_sparse(tmp_path / "m.txt", m)
    assert_same_matrix(read_sparse(tmp_path / "m.txt"), sp.csr_matrix(m, dtype=np.float32))


@pytest.mark.parametrize("shape", [(0, 0), (0, 4), (3, 0), (1, 5), (4, 4)])
def test_sparse_round_trip_empty_shapes(tmp_path, shape):
    m = sp.csr_matrix(shape, dtype=np.float32)
    write_sparse(tmp_path / "m.txt", m)
    assert_same_matrix(read_sparse(tmp_path / "m.txt"), m)


def test_sparse_round_trip_runs_of_empty_rows(tmp_path):
    m = sp.csr_matrix(([1.0, 2.0, 3.0], ([3, 4, 9], [0, 2, 1])), shape=(13, 3), dtype=np.float32)
    write_sparse(tmp_path / "m.txt", m)
    assert (tmp_path / "m.txt").read_text() == "13 3\n\n\n\n0:1\n2:2\n\n\n\n\n1:3\n\n\n\n"
    assert_same_matrix(read_sparse(tmp_path / "m.txt"), m)


@pytest.mark.parametrize("token, value", [
    ("1:1.", 1.0), ("1:.5", 0.5), ("1:+2", 2.0), ("1:-0.5", -0.5), ("1:1e+2", 100.0), ("01:1", 1.0),
    ("1:3.4028235e+38", np.finfo(np.float32).max), ("1:1e-50", 0.0),
])
def test_sparse_reader_accepts_number_spellings(tmp_path, token, value):
    (tmp_path / "m.txt").write_text(f"2 3\n0:1\n{token}\n")
    assert read_sparse(tmp_path / "m.txt")[1, 1] == np.float32(value)


@pytest.mark.parametrize("token", ["1:inf", "1:NaN", "1:1_0", "1:0x10", "1:1,5", "1:1e", "1:--1", "1:1.2.3",
                                   "1:٣", "١:1", "+1:1", "1:1\u00a02:1", "-0:1", "1e0:1", "1.0:1", "1:1d0", "1:3.5e38"])
def test_sparse_reader_rejects_odd_tokens_with_their_line(tmp_path, token):
    path = tmp_path / "m.txt"
    path.write_text(f"3 3\n0:1\n{token}\n\n", encoding="utf-8")
    err = error_for(read_sparse, path)
    assert err.line == 3 and "please report" not in str(err)


def test_float32_extremes_round_trip(tmp_path):
    info = np.finfo(np.float32)
    m = sp.csr_matrix(np.array([[info.max, -info.max, info.tiny, info.smallest_subnormal, info.eps]],
                               dtype=np.float32))
    write_sparse(tmp_path / "m.txt", m)
    assert_same_matrix(read_sparse(tmp_path / "m.txt"), m)


def test_sparse_reader_tolerates_crlf_tabs_and_missing_final_newline(tmp_path):
    (tmp_path / "m.txt").write_bytes(b"3 4\r\n0:1\t2:0.5\r\n\r\n 3:2 ")
    m = read_sparse(tmp_path / "m.txt")
    assert m.toarray().tolist() == [[1, 0, 0.5, 0], [0, 0, 0, 0], [0, 0, 0, 2]]


def test_sparse_reader_sorts_columns_and_drops_explicit_zeros(tmp_path):
    (tmp_path / "m.txt").write_text("2 4\n3:1 0:2 1:0\n\n")
    m = read_sparse(tmp_path / "m.txt")
    assert m.indices.tolist() == [0, 3] and m.data.tolist() == [2.0, 1.0]


def test_texts_round_trip_unicode_and_empty(tmp_path):
    texts = ["", "Café — naïve", "tab\there", "U+2028 \u2028 and NEL \x85 stay inside", "  spaces  ", ""]
    write_texts(tmp_path / "t.txt", texts)
    assert read_texts(tmp_path / "t.txt") == texts
    write_texts(tmp_path / "none.txt", [])
    assert read_texts(tmp_path / "none.txt") == [] and (tmp_path / "none.txt").read_bytes() == b""


def test_texts_accept_crlf_and_no_final_newline(tmp_path):
    (tmp_path / "t.txt").write_bytes(b"a\r\nb\r\nc")
    assert read_texts(tmp_path / "t.txt") == ["a", "b", "c"]


def test_write_texts_rejects_line_breaks(tmp_path):
    with pytest.raises(ValueError, match=r"text 1 contains a line break"):
        write_texts(tmp_path / "t.txt", ["fine", "two\nlines"])
    with pytest.raises(ValueError, match=r"text 0 contains a line break"):
        write_texts(tmp_path / "t.txt", ["carriage\rreturn"])
    with pytest.raises(TypeError, match="text 1 is a int"):
        write_texts(tmp_path / "t.txt", ["a", 3])


def test_filter_pairs_round_trip(tmp_path):
    pairs = np.array([[0, 4], [2, 0], [2, 3]], dtype=np.int64)
    write_filter_pairs(tmp_path / "f.txt", pairs)
    assert (tmp_path / "f.txt").read_text() == "0 4\n2 0\n2 3\n"
    got = read_filter_pairs(tmp_path / "f.txt", n_docs=3, n_labels=5)
    assert got.dtype == np.int64 and np.array_equal(got, pairs)
    write_filter_pairs(tmp_path / "e.txt", np.zeros((0, 2), dtype=np.int64))
    assert read_filter_pairs(tmp_path / "e.txt").shape == (0, 2)


def _random_dataset(seed: int) -> XCDataset:
    rng = np.random.default_rng(seed)
    n_train, n_test, n_labels = 12, 5, 7
    words = np.array(["ramen", "Brühe", "naïve", "日本", "x", "—", ""])

    def texts(n):
        return [" ".join(rng.choice(words, size=rng.integers(0, 4))) for _ in range(n)]

    anchors = {}
    for name, m in (("category", 4), ("see-also.v2", 6)):
        anchors[name] = AnchorSet(name, texts(m), random_csr(rng, n_train, m),
                                  random_csr(rng, n_labels, m, binary=True))
    test_y = random_csr(rng, n_test, n_labels, binary=True)
    return XCDataset(name=f"random-{seed}", train_texts=texts(n_train), test_texts=texts(n_test),
                     label_texts=texts(n_labels), train_y=random_csr(rng, n_train, n_labels, binary=True),
                     test_y=test_y, anchors=anchors,
                     filter_pairs=np.argwhere(rng.random((n_test, n_labels)) < 0.2),
                     propensity_a=0.5, propensity_b=0.4)


@pytest.mark.parametrize("seed", range(3))
def test_dataset_round_trip_is_exact(tmp_path, seed):
    d = _random_dataset(seed)
    write_xc_dataset(d, tmp_path / "d")
    back = read_xc_dataset(tmp_path / "d")
    assert_same_dataset(d, back)
    # writing what was read gives the same bytes: the format has one canonical form
    write_xc_dataset(back, tmp_path / "again")
    for f in (tmp_path / "d").iterdir():
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes()


def test_write_dataset_rejects_anchor_names_that_collide_with_files(tmp_path):
    d = read_xc_dataset(VALID)
    d.anchors = {"trn": AnchorSet("trn", d.anchors["category"].texts, d.anchors["category"].doc_anchor,
                                  d.anchors["category"].label_anchor)}
    with pytest.raises(ValueError, match="anchor set name 'trn'"):
        write_xc_dataset(d, tmp_path)


def test_write_sparse_rejects_nan(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        write_sparse(tmp_path / "m.txt", sp.csr_matrix(np.array([[np.nan, 1.0]])))


# --- every error case: names the file and the line ---------------------------------------------

@pytest.mark.parametrize("fixture, line, words", [
    ("header_rows_mismatch_X_Y.txt", 1, "says 5 rows but the file has 4"),
    ("header_not_integers_X_Y.txt", 1, "not two non-negative integers"),
    ("label_id_out_of_range_X_Y.txt", 3, "column id 5 is out of range"),
    ("non_numeric_token_X_Y.txt", 3, "'one' in '1:one' is not a number"),
    ("malformed_pair_X_Y.txt", 4, "malformed pair '3'"),
    ("duplicate_pair_X_Y.txt", 3, "column id 1 appears twice"),
    ("negative_id_X_Y.txt", 4, "negative column id -2"),
    ("empty_X_Y.txt", 1, "the file is empty"),
    ("header_cols_overflow_X_Y.txt", 1, "100000000000000000000 columns, more than"),
])
def test_broken_sparse_fixture(fixture, line, words):
    err = error_for(read_sparse, BROKEN / fixture)
    message = assert_names(err, BROKEN / fixture, line)
    assert words in message and "expected" in message


@pytest.mark.parametrize("body, line, words", [
    ("2 3\n0:1 1:x\n\n", 2, "'x' in '1:x' is not a number"),
    ("2 3\n0:1\n1.5:1\n", 3, "column id '1.5'"),
    ("2 3\n0:1\n1:1:1\n", 3, "malformed pair '1:1:1'"),
    ("2 3\n0:1\n:1\n", 3, "malformed pair ':1'"),
    ("2 3\n0:1\n1:\n", 3, "malformed pair '1:'"),
    ("2 3\n0:nan\n\n", 2, "not finite"),
    ("2 3\n0:1e40\n\n", 2, "not finite"),
    ("2 3\n0:1\n2:1\n\n", 4, "says 2 rows but the file has 3"),
    ("2 3\n0:1\n1:1 2:1 1:2\n", 3, "column id 1 appears twice"),
    ("2 3\n0:1\n3:1\n", 3, "column id 3 is out of range"),
    ("2 3\n0:1\n1:é\n", 3, "is not a number"),
    ("2\n\n\n", 1, "not two non-negative integers"),
])
def test_broken_sparse_inline(tmp_path, body, line, words):
    path = tmp_path / "m.txt"
    path.write_text(body, encoding="utf-8")
    message = assert_names(error_for(read_sparse, path), path, line)
    assert words in message


def test_sparse_header_against_expected_shape(tmp_path):
    path = tmp_path / "m.txt"
    write_sparse(path, sp.eye(3, 4, format="csr"))
    message = assert_names(error_for(read_sparse, path, 3, 5, cols_from="Y.txt has 5 lines"), path, 1)
    assert "header says 4 columns but Y.txt has 5 lines" in message


def test_wrong_encoding_names_the_line():
    path = BROKEN / "latin1_X.txt"
    message = assert_names(error_for(read_texts, path), path, 3)
    assert "not valid UTF-8" in message and "latin-1" in message


def test_lone_carriage_return_names_the_line(tmp_path):
    (tmp_path / "t.txt").write_bytes(b"a\nb\rc\n")
    assert_names(error_for(read_texts, tmp_path / "t.txt"), tmp_path / "t.txt", 2)


@pytest.mark.parametrize("fixture, line, words", [
    ("filter_out_of_range.txt", 3, "test document id 3 is out of range"),
    ("filter_wrong_columns.txt", 2, "3 columns in '2 2 4'"),
    ("filter_negative_id.txt", 2, "negative test document id -1"),
    ("filter_id_overflow.txt", 3, "test document id 12345678901234567890 is out of range (there are 3)"),
])
def test_broken_filter_fixture(fixture, line, words):
    message = assert_names(error_for(read_filter_pairs, BROKEN / fixture, n_docs=3, n_labels=5),
                           BROKEN / fixture, line)
    assert words in message


@pytest.mark.parametrize("body, line, words", [
    ("0 1\n0 9\n", 2, "label id 9 is out of range"),
    ("0 1\n\n1 1\n", 2, "0 columns"),
    ("0 1\n1 x\n", 2, "'x' is not an integer id"),
    ("0 1\n1 -4\n", 2, "negative label id -4"),
    ("0\n", 1, "1 columns"),
])
def test_broken_filter_inline(tmp_path, body, line, words):
    path = tmp_path / "f.txt"
    path.write_text(body)
    message = assert_names(error_for(read_filter_pairs, path, n_docs=3, n_labels=5), path, line)
    assert words in message


def test_huge_ids_name_the_line_and_the_limit(tmp_path):
    # ids beyond 64 bits used to escape as a bare OverflowError
    path = tmp_path / "f.txt"
    path.write_text("0 1\n1 123456789012345678901\n")
    message = assert_names(error_for(read_filter_pairs, path), path, 2)
    assert "label id 123456789012345678901" in message and str(2**63 - 1) in message
    path.write_text("0 1\n-123456789012345678901 1\n")
    assert "negative test document id" in assert_names(error_for(read_filter_pairs, path), path, 2)
    path.write_text("1 3000000000\n0:1\n")
    message = assert_names(error_for(read_sparse, path), path, 1)
    assert "3000000000 columns" in message and "2147483647" in message
    path.write_text("3000000000 3\n0:1\n")
    assert "3000000000 rows" in assert_names(error_for(read_sparse, path), path, 1)


# --- byte-order marks: stripped on read (as Python's utf-8-sig does) --------------------------

BOM = b"\xef\xbb\xbf"


def test_bom_is_stripped_from_text_files(tmp_path):
    (tmp_path / "t.txt").write_bytes(BOM + b"Tonkotsu\nShoyu\n")
    assert read_texts(tmp_path / "t.txt") == ["Tonkotsu", "Shoyu"]
    # only a leading one: U+FEFF inside a text is an ordinary (zero-width) character
    (tmp_path / "t.txt").write_bytes(b"a\n" + BOM + b"b\n")
    assert read_texts(tmp_path / "t.txt") == ["a", "\ufeffb"]


def test_bom_is_stripped_from_sparse_and_filter_files(tmp_path):
    (tmp_path / "m.txt").write_bytes(BOM + b"2 3\n0:1\n2:0.5\n")
    assert read_sparse(tmp_path / "m.txt").toarray().tolist() == [[1, 0, 0], [0, 0, 0.5]]
    (tmp_path / "f.txt").write_bytes(BOM + b"0 1\n1 2\n")
    assert read_filter_pairs(tmp_path / "f.txt").tolist() == [[0, 1], [1, 2]]


def test_bom_in_every_file_of_a_folder_reads_like_without(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    for f in (tmp_path / "d").iterdir():
        f.write_bytes(BOM + f.read_bytes())
    assert_same_dataset(read_xc_dataset(VALID), read_xc_dataset(tmp_path / "d"))


def test_text_and_matrix_row_counts_disagree_names_both_files():
    folder = BROKEN / "dataset_row_count_mismatch"
    message = assert_names(error_for(read_xc_dataset, folder), folder / "trn_X_Y.txt", 1)
    assert "trn_X.txt has 3 lines" in message and "header says 4 rows" in message


def test_anchor_file_counts_checked_against_texts(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "hyperlink_X.txt").write_text("Broth\nWheat flour\nMilk\n")
    message = assert_names(error_for(read_xc_dataset, tmp_path / "d"), tmp_path / "d" / "hyperlink_trn_X_Y.txt", 1)
    assert "hyperlink_X.txt has 3 lines" in message


def test_label_count_checked_against_matrix_columns(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "Y.txt").write_text("Ramen\nSoup\nNoodles\nCoffee\n")
    message = assert_names(error_for(read_xc_dataset, tmp_path / "d"), tmp_path / "d" / "trn_X_Y.txt", 1)
    assert "header says 5 columns but Y.txt has 4 lines" in message


def test_filter_ids_checked_against_dataset(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "filter_labels_test.txt").write_text("0 0\n1 5\n")
    message = assert_names(error_for(read_xc_dataset, tmp_path / "d"), tmp_path / "d" / "filter_labels_test.txt", 2)
    assert "label id 5 is out of range" in message


def test_missing_required_file_is_named_and_layout_listed():
    folder = BROKEN / "dataset_missing_file"
    with pytest.raises(XCMissingFileError) as info:
        read_xc_dataset(folder)
    message = str(info.value)
    assert "tst_X_Y.txt" in message and str(folder) in message
    for required in ("trn_X.txt", "tst_X.txt", "Y.txt", "trn_X_Y.txt", "NAME_lbl_X_Y.txt"):
        assert required in message
    assert isinstance(info.value, FileNotFoundError)


def test_missing_anchor_file_listed_in_dataset_json(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "category_lbl_X_Y.txt").unlink()
    with pytest.raises(XCMissingFileError, match="category_lbl_X_Y.txt"):
        read_xc_dataset(tmp_path / "d")


@pytest.mark.parametrize("file", ["tst_X_Y.txt", "Y.txt", "filter_labels_test.txt", "dataset.json",
                                  "category_lbl_X_Y.txt"])
def test_a_directory_in_place_of_a_file_is_named(tmp_path, file):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / file).unlink()
    (tmp_path / "d" / file).mkdir()
    message = str(error_for(read_xc_dataset, tmp_path / "d"))
    assert f"{tmp_path / 'd' / file}: is a directory, not a file" in message and "missing" not in message


def test_readers_name_a_directory(tmp_path):
    for reader in (read_texts, read_sparse, read_filter_pairs):
        assert "is a directory" in str(error_for(reader, tmp_path))


def test_not_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such dataset folder"):
        read_xc_dataset(tmp_path / "nowhere")


def test_bad_dataset_json(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "dataset.json").write_text('{\n  "name": "x",\n  oops\n}\n')
    assert_names(error_for(read_xc_dataset, tmp_path / "d"), tmp_path / "d" / "dataset.json", 3)
    (tmp_path / "d" / "dataset.json").write_text('{"anchor_sets": ["../escape"]}')
    with pytest.raises(XCFormatError, match=r"dataset.json: anchor set name '../escape'"):
        read_xc_dataset(tmp_path / "d")
    (tmp_path / "d" / "dataset.json").write_text('{"format_version": 99}')
    with pytest.raises(XCFormatError, match="format_version 99"):
        read_xc_dataset(tmp_path / "d")


@pytest.mark.parametrize("value", ['"abc"', "null", "NaN", "Infinity", "-1", "0", "true", "[0.5]"])
@pytest.mark.parametrize("field", ["propensity_a", "propensity_b"])
def test_bad_propensity_in_dataset_json(tmp_path, field, value):
    shutil.copytree(VALID, tmp_path / "d")
    meta = (tmp_path / "d" / "dataset.json").read_text()
    (tmp_path / "d" / "dataset.json").write_text(meta.replace(f'"{field}": ', f'"{field}": {value}, "was": '))
    message = str(error_for(read_xc_dataset, tmp_path / "d"))
    assert message.startswith(f"{tmp_path / 'd' / 'dataset.json'}: ")
    assert f'"{field}" is {value}' in message and "a finite positive number" in message  # JSON spelling


def test_bad_name_in_dataset_json(tmp_path):
    shutil.copytree(VALID, tmp_path / "d")
    (tmp_path / "d" / "dataset.json").write_text('{"name": 7}')
    with pytest.raises(XCFormatError, match=r"dataset.json: \"name\" is 7; expected a string"):
        read_xc_dataset(tmp_path / "d")


def test_errors_are_value_errors_with_attributes():
    err = error_for(read_sparse, BROKEN / "malformed_pair_X_Y.txt")
    assert isinstance(err, ValueError)
    assert err.path == str(BROKEN / "malformed_pair_X_Y.txt") and err.line == 4


# --- catalog ----------------------------------------------------------------------------------

def test_catalog_reads_a_folder_path():
    assert_same_dataset(read_xc_dataset(VALID), load_dataset(VALID))
    assert load_dataset(str(VALID)).name == "fixture-noodles"
    assert load_dataset(VALID, name="renamed").name == "renamed"


def test_catalog_unknown_name_lists_known_names():
    with pytest.raises(ValueError) as info:
        load_dataset("wiki-seealso-typo")
    for name in known_datasets():
        assert name in str(info.value)
    with pytest.raises(FileNotFoundError, match="no dataset folder"):
        load_dataset("/no/such/folder")


def test_catalog_synthetic_default():
    world = load_dataset("synthetic-default")
    assert isinstance(world, XCDataset) and world.n_train > 0 and world.anchors
    # the shipped folder (read through xc_format) holds exactly the generator's world
    assert_same_dataset(synthetic.make_synthetic_world(synthetic.DEFAULT_WORLD), world)
    with pytest.raises(TypeError, match="takes no options"):
        load_dataset("synthetic-default", seed=3)


def test_catalog_synthetic_variant_round_trips(tmp_path):
    world = load_dataset("synthetic", n_train=60, n_test=20, n_labels=30, seed=2)
    assert world.n_train == 60 and world.n_labels == 30
    write_xc_dataset(world, tmp_path / "w")
    assert_same_dataset(world, read_xc_dataset(tmp_path / "w"))


def test_catalog_wiki_entries_call_the_builder(monkeypatch):
    import sys
    import types

    calls = []
    fixture = read_xc_dataset(VALID)

    def build_wiki_seealso(max_articles=None, variant="titles"):
        calls.append({"max_articles": max_articles, "variant": variant})
        return fixture

    fake = types.ModuleType("ramen_edu.data.wiki_benchmark")
    fake.build_wiki_seealso = build_wiki_seealso
    monkeypatch.setitem(sys.modules, "ramen_edu.data.wiki_benchmark", fake)
    assert load_dataset("wiki-seealso", max_articles=50) is fixture
    assert load_dataset("wiki-seealso-text", max_articles=50) is fixture
    assert calls == [{"max_articles": 50, "variant": "titles"}, {"max_articles": 50, "variant": "text"}]


def test_load_with_fallback_falls_back_only_when_the_data_is_missing(monkeypatch):
    from ramen_edu.data import catalog

    def missing(**kwargs):
        raise FileNotFoundError("no articles file")

    def broken(**kwargs):
        raise ValueError("corrupt articles file")

    monkeypatch.setitem(catalog.CATALOG, "wiki-seealso", (missing, "test"))
    with pytest.warns(UserWarning, match="'wiki-seealso' is not available here .*FileNotFoundError"):
        ds, used = catalog.load_with_fallback("wiki-seealso", "synthetic",
                                              fallback_options={"n_train": 50, "n_test": 10, "n_labels": 8, "n_topics": 4})
    assert used == "synthetic" and ds.n_train == 50
    monkeypatch.setitem(catalog.CATALOG, "wiki-seealso", (broken, "test"))
    with pytest.raises(ValueError, match="corrupt"):                # a real error is not hidden
        catalog.load_with_fallback("wiki-seealso")
    ds, used = catalog.load_with_fallback("synthetic", n_train=40, n_test=10, n_labels=8, n_topics=4)
    assert used == "synthetic" and ds.n_train == 40
