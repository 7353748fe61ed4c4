"""Readers and writers for the Extreme Classification Repository file formats.

The XC Repository (Bhatia et al., http://manikvarma.org/downloads/XC/XMLRepository.html)
ships each benchmark as a folder of plain-text files; RAMEN's reference code reads the same
layout plus one set of files per anchor set (the paper's §4 "anchor sets"). The format, in full
(``data_samples/fixtures/README.md`` has the same text with worked examples):

Text files (``trn_X.txt``, ``tst_X.txt``, ``Y.txt``, ``NAME_X.txt``)
    UTF-8, one text per line, line *i* (1-based) is item *i − 1*. A final newline is written
    and optional on read; ``\\r\\n`` line ends are accepted on read. A text cannot contain a
    line break (``\\n`` or ``\\r``): the writer refuses such texts (it never escapes them, so a
    file stays readable by every other XC tool) — replace line breaks by spaces first.
    Other Unicode line separators (U+2028, U+0085, ...) are ordinary characters here.

Sparse matrix files (``trn_X_Y.txt``, ``tst_X_Y.txt``, ``NAME_trn_X_Y.txt``, ``NAME_lbl_X_Y.txt``)
    Line 1 is the header ``ROWS COLS``. Then exactly ROWS lines, one per row, each a
    space-separated list of ``col:value`` pairs (0-based column id, then a float); an empty
    line is an empty row. Column ids are integers in ``[0, COLS)``, at most once per row.

Filter pairs (``filter_labels_test.txt``)
    One ``doc_id label_id`` pair per line (test document, label): predictions that are removed
    before scoring (a Wikipedia article never predicts itself). An empty file means no pairs.

A dataset folder holds ``trn_X.txt``, ``tst_X.txt``, ``Y.txt``, ``trn_X_Y.txt``,
``tst_X_Y.txt``, optionally ``filter_labels_test.txt``, per anchor set NAME the three files
``NAME_X.txt`` (anchor texts), ``NAME_trn_X_Y.txt`` (training documents × anchors) and
``NAME_lbl_X_Y.txt`` (labels × anchors), optionally ``NAME_tst_X_Y.txt`` (the test
documents' hidden anchors, read only by an oracle linker — OAK's ``auxiliary_tst_X_Y``), and ``dataset.json`` (name, anchor set names,
propensity constants, format version). Folders straight from the XC Repository, without
``dataset.json``, read too: anchor sets are then found by their file names.

Every file may start with a UTF-8 byte-order mark (U+FEFF, as Windows Notepad writes): the
reader drops it, as Python's ``utf-8-sig`` codec does, and the writer never writes one.
Counts and ids are at most ``MAX_ID`` (2**31 − 1) in sparse files and 64-bit in filter files.

Every problem with a file raises :class:`XCFormatError`, whose message names the file, the
1-based line and what was expected there.
"""
from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ramen_edu.data.dataset import AnchorSet, XCDataset, as_csr

FORMAT_VERSION = 1
FORMAT_NAME = "ramen-edu XC folder"

TRAIN_TEXTS, TEST_TEXTS, LABEL_TEXTS = "trn_X.txt", "tst_X.txt", "Y.txt"
TRAIN_Y, TEST_Y, FILTER_FILE, META_FILE = "trn_X_Y.txt", "tst_X_Y.txt", "filter_labels_test.txt", "dataset.json"
REQUIRED_FILES = (TRAIN_TEXTS, TEST_TEXTS, LABEL_TEXTS, TRAIN_Y, TEST_Y)
ANCHOR_SUFFIXES = ("_X.txt", "_trn_X_Y.txt", "_lbl_X_Y.txt")
# anchor set names become file-name prefixes; "trn"/"tst" would collide with trn_X.txt/tst_X.txt
_ANCHOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*(?:_[A-Za-z0-9.-]+)*")
_RESERVED_ANCHOR_NAMES = {"trn", "tst", "filter_labels", "Y", "X"}
BOM = b"\xef\xbb\xbf"  # UTF-8 byte-order mark; dropped at the start of a file
# Largest ROWS/COLS of a sparse header: the vectorised parser reads column ids as float64
# (exact to 2**53) and keys a pair by row * COLS + col in int64, both safe below 2**31;
# it is also scipy's int32 index range, far above any XC benchmark (3M labels).
MAX_ID = 2**31 - 1
_INT64_MAX = 2**63 - 1  # filter pairs are stored as int64


class XCFormatError(ValueError):
    """A file does not follow the XC format. The message names the file, the 1-based line
    (when one is to blame) and what was expected; ``path`` and ``line`` are kept as attributes.
    """

    def __init__(self, path, line: int | None, problem: str, expected: str | None = None):
        self.path, self.line, self.problem, self.expected = str(path), line, problem, expected
        where = f"{self.path}, line {line}" if line is not None else self.path
        message = f"{where}: {problem}"
        if expected:
            message += f"; expected {expected}"
        super().__init__(message)


class XCMissingFileError(XCFormatError, FileNotFoundError):
    """A file a dataset folder must hold is absent (catchable as FileNotFoundError too).
    """

    def __init__(self, path, problem: str, expected: str | None = None):
        XCFormatError.__init__(self, path, None, problem, expected)


# --- low level: bytes -> text ---------------------------------------------------------------

def _read_bytes(path: Path) -> bytes:
    """The file's bytes without a leading byte-order mark."""
    if path.is_dir():  # read_bytes would say only "[Errno 21] Is a directory"
        raise XCFormatError(path, None, "is a directory, not a file", "a file in the XC format")
    raw = path.read_bytes()
    return raw[len(BOM):] if raw.startswith(BOM) else raw


def _read_utf8(path: Path) -> tuple[str, bytes]:
    """Whole file as text (strict UTF-8) and as bytes (no BOM); a decode error names its line."""
    raw = _read_bytes(path)
    return _decode_utf8(path, raw), raw


def _decode_utf8(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        bad = raw[err.start:err.end]
        raise XCFormatError(path, line, f"byte(s) {bad!r} at offset {err.start} are not valid UTF-8 "
                            "(is the file latin-1 or cp1252?)",
                            "UTF-8 text; re-encode it, e.g. `iconv -f latin1 -t utf-8`") from None
    return text


def _split_lines(text: str) -> list[str]:
    """Lines separated by '\\n' only (str.splitlines would also split at U+2028, U+0085 ...)."""
    if not text:
        return []
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


# --- text files -----------------------------------------------------------------------------

def read_texts(path) -> list[str]:
    """Read a text file of the XC format: one text per line (``trn_X.txt``, ``Y.txt``, ...).

    path: file. Returns list[str] of length = number of lines (a final newline is optional,
    ``\\r\\n`` line ends are accepted). Raises XCFormatError naming the line of a byte that is
    not UTF-8.
    """
    path = Path(path)
    text, raw = _read_utf8(path)
    lone_cr = re.search("\r(?!\n)", text)
    if lone_cr:
        line = text.count("\n", 0, lone_cr.start()) + 1
        raise XCFormatError(path, line, "a lone carriage return (\\r) inside a text",
                            "one text per line with '\\n' (or '\\r\\n') line ends only")
    return _split_lines(text)


def write_texts(path, texts) -> None:
    """Write texts one per line, UTF-8, with a final newline (the inverse of :func:`read_texts`).

    texts: sequence of str. A text holding a line break ('\\n' or '\\r') raises ValueError naming
    its index — it would silently shift every later line; replace line breaks by spaces first.
    """
    texts = list(texts)
    joined = "\n".join(texts) if all(isinstance(t, str) for t in texts) else None
    if joined is None:
        i = next(i for i, t in enumerate(texts) if not isinstance(t, str))
        raise TypeError(f"{path}: text {i} is a {type(texts[i]).__name__}, expected str")
    # one cheap count on the joined string; the per-text search runs only to name the culprit
    if joined.count("\n") != max(len(texts) - 1, 0) or "\r" in joined:
        i = next(i for i, t in enumerate(texts) if "\n" in t or "\r" in t)
        raise ValueError(f"{path}: text {i} contains a line break ({texts[i][:60]!r}); the XC text "
                         "format has one text per line — replace line breaks by spaces, e.g. "
                         "' '.join(text.split())")
    if texts and texts[0].startswith("\ufeff"):
        raise ValueError(f"{path}: text 0 starts with a byte-order mark (U+FEFF); strip it")
    Path(path).write_bytes((joined + "\n").encode("utf-8") if texts else b"")


# --- sparse matrices ------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")
_ASCII_TOKEN = re.compile(r"[^ \t\n\r\v\f]+")  # the vectorised parser splits at ASCII blanks only
# bytes of a well-formed pair list other than the digits/blank/colon: only values may hold them
_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[[*b"0123456789:", *b" \t\n\r\v\f"]] = True
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[ord(" "), ord("\t"), ord("\n"), ord("\r"), ord("\v"), ord("\f")]] = True


def _tokens(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Byte offsets where whitespace-separated tokens start, and the line (0-based) of each."""
    b = np.frombuffer(raw, dtype=np.uint8)
    blank = _WHITESPACE[b]
    start = ~blank
    start[1:] &= blank[:-1]
    starts = np.flatnonzero(start)
    line_of = np.searchsorted(np.flatnonzero(b == ord("\n")), starts, side="left")
    return starts, line_of


def _parse_header(path: Path, line: str) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
        raise XCFormatError(path, 1, f"header {line[:60]!r} is not two non-negative integers",
                            "a header line 'ROWS COLS', e.g. '6 5'")
    rows, cols = int(parts[0]), int(parts[1])
    for count, what in ((rows, "rows"), (cols, "columns")):
        if count > MAX_ID:
            raise XCFormatError(path, 1, f"header says {count} {what}, more than this reader handles",
                                f"at most {MAX_ID} (2**31 - 1) {what}")
    return rows, cols


def _diagnose_rows(path: Path, lines: list[str], n_cols: int, first_line: int) -> None:
    """Walk the rows one by one and raise at the first bad pair (runs only after the
    vectorised parser found *something* wrong, to say exactly what and where)."""
    expected = f"space-separated 'col:value' pairs with integer 0 <= col < {n_cols}"
    for r, line in enumerate(lines):
        lineno = first_line + r
        seen = set()
        for tok in _ASCII_TOKEN.findall(line):
            col_text, colon, val_text = tok.partition(":")
            if not colon or not col_text or not val_text or ":" in val_text:
                raise XCFormatError(path, lineno, f"malformed pair {tok[:40]!r} (not 'col:value')", expected)
            if re.fullmatch("-[0-9]+", col_text):
                raise XCFormatError(path, lineno, f"negative column id {col_text} in {tok[:40]!r}", expected)
            if not (col_text.isascii() and col_text.isdigit()):
                raise XCFormatError(path, lineno, f"column id {col_text[:40]!r} in {tok[:40]!r} is not "
                                    "a non-negative integer (digits only)", expected)
            col = int(col_text)
            if col >= n_cols:
                raise XCFormatError(path, lineno, f"column id {col} is out of range: the header says "
                                    f"{n_cols} columns (ids 0..{n_cols - 1})", expected)
            try:
                if not val_text.isascii() or "_" in val_text:
                    raise ValueError
                val = float(val_text)
            except ValueError:
                raise XCFormatError(path, lineno, f"value {val_text[:40]!r} in {tok[:40]!r} is not a "
                                    "number", expected) from None
            with np.errstate(over="ignore"):
                finite = bool(np.isfinite(np.float32(val)))
            if not finite:
                raise XCFormatError(path, lineno, f"value {val_text!r} is not finite in float32",
                                    "finite values")
            if col in seen:
                raise XCFormatError(path, lineno, f"column id {col} appears twice in this row",
                                    "each column at most once per row")
            seen.add(col)


def _parse_pairs(body: bytes, n_cols: int):
    """All ``col:value`` pairs of the row lines in ``body`` at once: (col_ids int64, values
    float32, row of each pair), or (None, None, None) when anything is off — the caller then
    walks the lines to say what and where. numpy parses every number in one pass (no Python
    object per token): peak memory is a few times the file size (~115 MB for 1M pairs)."""
    fail = None, None, None
    starts, row_of = _tokens(body)
    if not len(starts):
        return np.zeros(0, np.int64), np.zeros(0, np.float32), row_of
    b = np.frombuffer(body, dtype=np.uint8)
    # every token holds exactly one colon ("1:2:3 4" has the right counts overall)
    colon_at = np.flatnonzero(b == ord(":"))
    if len(colon_at) != len(starts):
        return fail
    if not np.array_equal(np.searchsorted(starts, colon_at, side="right") - 1, np.arange(len(starts))):
        return fail
    # column ids are plain digits: no sign, point or exponent before a token's colon
    odd_at = np.flatnonzero(~_PLAIN[b])
    if len(odd_at) and (odd_at < colon_at[np.searchsorted(starts, odd_at, side="right") - 1]).any():
        return fail
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # numpy warns, then stops, at a bad token
            numbers = np.fromstring(body.replace(b":", b" ").decode("ascii"), dtype=np.float64, sep=" ")
    except (ValueError, DeprecationWarning, UnicodeDecodeError):
        return fail
    if len(numbers) != 2 * len(starts):
        return fail
    cols = numbers[0::2]
    with np.errstate(over="ignore"):  # overflow to inf is reported, with its line, by the walk
        vals = numbers[1::2].astype(np.float32)
    if cols.max() >= n_cols or not np.isfinite(vals).all():
        return fail
    col_ids = cols.astype(np.int64)
    key = row_of.astype(np.int64) * max(n_cols, 1) + col_ids
    key.sort()
    if (np.diff(key) == 0).any():  # a column twice in one row
        return fail
    return col_ids, vals, row_of


def read_sparse(path, n_rows: int | None = None, n_cols: int | None = None, *,
                rows_from: str | None = None, cols_from: str | None = None,
                no_negatives: str | None = None) -> sp.csr_matrix:
    """Read a sparse matrix in the XC format (header ``ROWS COLS``, then ``col:value`` rows).

    path:    file. n_rows / n_cols: the shape the caller expects (e.g. the line count of
             ``trn_X.txt``); a header that disagrees raises XCFormatError on line 1.
             rows_from / cols_from: where that expectation comes from, for the message
             (e.g. ``"trn_X.txt (10 lines)"``).
    no_negatives: when given, a negative value raises XCFormatError on its line, with this
             text as what was expected (label files: a negative relevance would be stored as a
             present pair, i.e. a positive label).
    Returns csr_matrix float32 (ROWS × COLS), sorted indices, explicit zeros dropped.

    The whole file is parsed with numpy (no per-pair Python loop): ~1M pairs in about a
    second. Only when something is wrong does a line-by-line walk run to name the line.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if not raw.isascii():  # a valid matrix file is ASCII; decode only to name a bad byte's line
        _decode_utf8(path, raw)
    if not raw.strip():
        raise XCFormatError(path, 1, "the file is empty", "a header line 'ROWS COLS' and then one line per row")
    header_end = raw.find(b"\n")
    rows, cols = _parse_header(path, raw[:header_end if header_end >= 0 else len(raw)].decode("utf-8"))
    for got, want, what, source in ((rows, n_rows, "rows", rows_from), (cols, n_cols, "columns", cols_from)):
        if want is not None and got != want:
            raise XCFormatError(path, 1, f"header says {got} {what} but {source or f'the caller expects {want}'}",
                                f"{want} {what}")
    # row lines follow the header, each ended by '\n' (optional on the last one)
    body_raw = raw[header_end + 1:] if header_end >= 0 else b""
    if b"\r" in body_raw:
        body_raw = body_raw.replace(b"\r\n", b"\n")
    n_lines = 0 if not body_raw else body_raw.count(b"\n") + (0 if body_raw.endswith(b"\n") else 1)
    if body_raw.endswith(b"\n"):
        body_raw = body_raw[:-1]
    if n_lines != rows:
        raise XCFormatError(path, 1 if n_lines < rows else rows + 2,
                            f"the header (line 1) says {rows} rows but the file has {n_lines} row lines",
                            f"exactly {rows} lines after the header, one per row (an empty line is an "
                            "empty row, so a file whose last row is empty ends with a blank line)")

    col_ids, values, row_of = _parse_pairs(body_raw, cols)
    if col_ids is None:
        _diagnose_rows(path, body_raw.decode("utf-8").split("\n"), cols, first_line=2)
        raise XCFormatError(path, None, "could not be parsed, yet no line is to blame (please report this)",
                            "the XC sparse format")
    if no_negatives is not None and (values < 0).any():
        first = int(np.flatnonzero(values < 0)[0])
        raise XCFormatError(path, int(row_of[first]) + 2, f"negative value in pair "
                            f"'{col_ids[first]}:{values[first]:g}'", no_negatives)
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=rows), out=indptr[1:])
    return as_csr(sp.csr_matrix((values, col_ids, indptr), shape=(rows, cols)))


def _format_values(values: np.ndarray) -> np.ndarray:
    """Shortest strings that read back to the same float32 ('1' for integral values)."""
    values = values.astype(np.float32)
    integral = (values == np.rint(values)) & (np.abs(values) < 2**24)
    out = np.where(integral, values, 0).astype(np.int64).astype("U32")
    if not integral.all():  # float32 -> str is the slow part; binary matrices skip it
        out[~integral] = values[~integral].astype(str)
    return out


def write_sparse(path, matrix) -> None:
    """Write a sparse matrix in the XC format (the inverse of :func:`read_sparse`).

    matrix: anything scipy.sparse accepts (R × C). Stored values are cast to float32 and
    written in their shortest exact form, so ``read_sparse(write_sparse(m)) == m`` exactly;
    explicit zeros are dropped. Built with numpy string operations, no per-pair loop.
    """
    m = as_csr(matrix)
    if not np.isfinite(m.data).all():
        raise ValueError(f"{path}: the matrix holds non-finite values (NaN or inf); the XC format needs numbers")
    tokens = np.strings.add(np.strings.add(m.indices.astype(str), ":"), _format_values(m.data))
    # a token is followed by a space, except the last of a row: one newline ends its row and
    # one more per empty row after it (an empty row is an empty line)
    row_len = np.diff(m.indptr)
    filled = np.flatnonzero(row_len)
    # object arrays: Python strings of any length, so long runs of empty rows cost no padding
    ends = np.full(m.nnz, " ", dtype=object)
    if len(filled):
        gaps = np.diff(np.append(filled, m.shape[0]))  # 1 + empty rows that follow
        ends[m.indptr[filled + 1] - 1] = np.full(len(filled), "\n", dtype=object) * gaps
    leading = "\n" * int(filled[0] if len(filled) else m.shape[0])
    body = leading + "".join((tokens.astype(object) + ends).tolist())
    Path(path).write_bytes(f"{m.shape[0]} {m.shape[1]}\n{body}".encode("ascii"))


# --- filter pairs ---------------------------------------------------------------------------

def read_filter_pairs(path, n_docs: int | None = None, n_labels: int | None = None) -> np.ndarray:
    """Read ``doc_id label_id`` pairs, one per line (``filter_labels_test.txt``).

    n_docs / n_labels: when given, ids must be below them. Returns int64 array (P × 2);
    an empty file gives shape (0, 2). A line with other than two integers, a negative id or
    an id out of range raises XCFormatError naming the line.
    """
    path = Path(path)
    text, raw = _read_utf8(path)
    if not text.strip():
        return np.zeros((0, 2), dtype=np.int64)
    raw = raw.replace(b"\r\n", b"\n").rstrip(b"\n")
    starts, line_of = _tokens(raw)
    n_lines = raw.count(b"\n") + 1
    per_line = np.bincount(line_of, minlength=n_lines)
    expected = "two integers 'doc_id label_id' per line"
    bad = np.flatnonzero(per_line != 2)
    if len(bad):
        line = int(bad[0])
        content = raw.split(b"\n")[line].decode("utf-8")
        raise XCFormatError(path, line + 1, f"{per_line[line]} columns in {content[:60]!r}", expected)
    columns = ((0, n_docs, "test document"), (1, n_labels, "label"))
    try:
        pairs = np.array(raw.split(), dtype=np.bytes_).astype(np.int64).reshape(-1, 2)
    except (ValueError, OverflowError):  # a token that is not an integer, or one beyond int64
        _diagnose_filter_lines(path, raw.decode("utf-8").split("\n"), columns, expected)
        raise XCFormatError(path, None, "could not be parsed", expected) from None
    for col, limit, what in columns:
        low = np.flatnonzero(pairs[:, col] < 0)
        if len(low):
            raise XCFormatError(path, int(low[0]) + 1, f"negative {what} id {pairs[low[0], col]}",
                                f"{what} ids >= 0")
        if limit is not None:
            high = np.flatnonzero(pairs[:, col] >= limit)
            if len(high):
                raise XCFormatError(path, int(high[0]) + 1,
                                    f"{what} id {pairs[high[0], col]} is out of range (there are {limit})",
                                    f"{what} ids in 0..{limit - 1}")
    return pairs


def _diagnose_filter_lines(path: Path, lines: list[str], columns, expected: str) -> None:
    """Raise at the first token the int64 parse could not take: not an integer, or too large."""
    for line, content in enumerate(lines, start=1):
        for (_, limit, what), tok in zip(columns, _ASCII_TOKEN.findall(content)):
            if not _INTEGER.fullmatch(tok):
                raise XCFormatError(path, line, f"{tok[:40]!r} is not an integer id", expected)
            value = int(tok)
            if value < 0:
                raise XCFormatError(path, line, f"negative {what} id {value}", f"{what} ids >= 0")
            if value > _INT64_MAX or (limit is not None and value >= limit):
                top = _INT64_MAX if limit is None else limit - 1
                there = "it does not fit in 64 bits" if limit is None else f"there are {limit}"
                raise XCFormatError(path, line, f"{what} id {value} is out of range ({there})",
                                    f"{what} ids in 0..{top}")


def write_filter_pairs(path, pairs) -> None:
    """Write (P × 2) integer pairs as ``doc_id label_id`` lines (inverse of :func:`read_filter_pairs`).
    """
    pairs = np.asarray(pairs)
    if pairs.size == 0:
        Path(path).write_bytes(b"")
        return
    if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
        raise ValueError(f"{path}: filter pairs must be an integer array of shape (P, 2), got "
                         f"{pairs.dtype} {pairs.shape}")
    lines = np.strings.add(np.strings.add(pairs[:, 0].astype(str), " "), pairs[:, 1].astype(str))
    Path(path).write_bytes(("\n".join(lines.tolist()) + "\n").encode("ascii"))


# --- dataset folders ------------------------------------------------------------------------

def _check_anchor_name(name: str) -> None:
    if not isinstance(name, str) or not _ANCHOR_NAME.fullmatch(name) or name in _RESERVED_ANCHOR_NAMES:
        raise ValueError(f"anchor set name {name!r} cannot be a file-name prefix; use letters, digits, "
                         f"'.', '-' and single '_' (and none of {sorted(_RESERVED_ANCHOR_NAMES)})")


def write_xc_dataset(dataset: XCDataset, path) -> Path:
    """Write ``dataset`` as an XC folder (created if needed) that :func:`read_xc_dataset` reads
    back identically: texts, ground truth (values included), filter pairs, every anchor set
    and ``dataset.json``. Returns the folder path.
    """
    folder = Path(path)
    for name in dataset.anchors:
        _check_anchor_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    write_texts(folder / TRAIN_TEXTS, dataset.train_texts)
    write_texts(folder / TEST_TEXTS, dataset.test_texts)
    write_texts(folder / LABEL_TEXTS, dataset.label_texts)
    write_sparse(folder / TRAIN_Y, dataset.train_y)
    write_sparse(folder / TEST_Y, dataset.test_y)
    write_filter_pairs(folder / FILTER_FILE, dataset.filter_pairs)
    for name, anchor_set in dataset.anchors.items():
        write_texts(folder / f"{name}_X.txt", anchor_set.texts)
        write_sparse(folder / f"{name}_trn_X_Y.txt", anchor_set.doc_anchor)
        write_sparse(folder / f"{name}_lbl_X_Y.txt", anchor_set.label_anchor)
        if anchor_set.test_doc_anchor is not None:
            write_sparse(folder / f"{name}_tst_X_Y.txt", anchor_set.test_doc_anchor)
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "name": dataset.name,
            "anchor_sets": list(dataset.anchors), "propensity_a": float(dataset.propensity_a),
            "propensity_b": float(dataset.propensity_b)}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def _read_meta(folder: Path) -> dict | None:
    path = folder / META_FILE
    if not path.exists():
        return None
    text, _ = _read_utf8(path)
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise XCFormatError(path, err.lineno, f"invalid JSON ({err.msg})", "a JSON object") from None
    if not isinstance(meta, dict):
        raise XCFormatError(path, 1, f"a JSON {type(meta).__name__}", "a JSON object")
    version = meta.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise XCFormatError(path, None, f"format_version {version!r} is not supported by this ramen_edu",
                            f"format_version {FORMAT_VERSION}")
    sets = meta.get("anchor_sets", [])
    if not isinstance(sets, list) or not all(isinstance(s, str) for s in sets):
        raise XCFormatError(path, None, f"'anchor_sets' is {sets!r}", "a list of anchor set names")
    for anchor in sets:
        try:
            _check_anchor_name(anchor)
        except ValueError as err:
            raise XCFormatError(path, None, str(err)) from None
    if not isinstance(meta.get("name", ""), str):
        raise XCFormatError(path, None, f'"name" is {json.dumps(meta["name"])}', "a string")
    for key in ("propensity_a", "propensity_b"):
        if key in meta and not _is_positive_number(meta[key]):
            # json.dumps shows the value as it is spelled in the file (null, NaN, "0.55")
            raise XCFormatError(path, None, f'"{key}" is {json.dumps(meta[key])}',
                                "a finite positive number, e.g. 0.55 (or leave the field out for "
                                "the Wikipedia default)")
    return meta


def _is_positive_number(value) -> bool:
    # bool is an int to Python, but true/false in dataset.json is a mistake, not 1/0
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _discover_anchor_sets(folder: Path) -> list[str]:
    names = sorted(p.name[: -len("_lbl_X_Y.txt")] for p in folder.glob("*_lbl_X_Y.txt"))
    return [n for n in names if n]


def read_xc_dataset(path, *, name: str | None = None, propensity_a: float | None = None,
                    propensity_b: float | None = None) -> XCDataset:
    """Read an XC folder (see the module docstring for the layout) into an :class:`XCDataset`.

    path: the folder. name / propensity_a / propensity_b override ``dataset.json``; without
    that file the name is the folder's and the propensity constants are XCDataset's defaults
    (Wikipedia: A = 0.55, B = 1.5), and anchor sets are found from ``NAME_lbl_X_Y.txt`` files.
    Cross-file checks (text line counts against matrix headers, anchor counts, filter ids)
    raise XCFormatError naming both files; a missing file raises XCMissingFileError (also a
    FileNotFoundError) that lists what the folder must hold.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise XCMissingFileError(folder, "no such dataset folder",
                                 f"a folder holding {', '.join(REQUIRED_FILES)}")
    meta = _read_meta(folder) or {}
    anchor_names = meta["anchor_sets"] if "anchor_sets" in meta else _discover_anchor_sets(folder)
    expected = (f"the folder to hold {', '.join(REQUIRED_FILES)} (required), {FILTER_FILE} and {META_FILE} "
                f"(optional) and, for each anchor set NAME, {', '.join('NAME' + s for s in ANCHOR_SUFFIXES)}")
    needed = list(REQUIRED_FILES) + [n + s for n in anchor_names for s in ANCHOR_SUFFIXES]
    for f in (*needed, FILTER_FILE):
        if (folder / f).is_dir():  # else it would be reported as missing, which it is not
            raise XCFormatError(folder / f, None, "is a directory, not a file", f"{f} to be a file")
    missing = [f for f in needed if not (folder / f).is_file()]
    if missing:
        raise XCMissingFileError(folder / missing[0], f"missing file(s) {', '.join(missing)} in {folder}",
                                 expected)

    texts = {f: read_texts(folder / f) for f in (TRAIN_TEXTS, TEST_TEXTS, LABEL_TEXTS)}
    n_train, n_test, n_labels = (len(texts[f]) for f in (TRAIN_TEXTS, TEST_TEXTS, LABEL_TEXTS))

    def matrix(file: str, rows_file: str, n_rows: int, cols_file: str, n_cols: int,
               no_negatives: str | None = None) -> sp.csr_matrix:
        return read_sparse(folder / file, n_rows, n_cols,
                           rows_from=f"{rows_file} has {n_rows} lines (one row per line of {rows_file})",
                           cols_from=f"{cols_file} has {n_cols} lines (one column per line of {cols_file})",
                           no_negatives=no_negatives)

    # a label file's stored pairs are the positives, so a negative relevance would count as one;
    # anchor graphs keep any float weight (written and read back exactly)
    relevance = "relevance values > 0 (a stored pair is a positive label; leave a pair out for none)"
    train_y = matrix(TRAIN_Y, TRAIN_TEXTS, n_train, LABEL_TEXTS, n_labels, relevance)
    test_y = matrix(TEST_Y, TEST_TEXTS, n_test, LABEL_TEXTS, n_labels, relevance)
    filter_path = folder / FILTER_FILE
    filter_pairs = (read_filter_pairs(filter_path, n_test, n_labels) if filter_path.is_file()
                    else np.zeros((0, 2), dtype=np.int64))
    anchors = {}
    for anchor in anchor_names:
        _check_anchor_name(anchor)
        anchor_texts = read_texts(folder / f"{anchor}_X.txt")
        m = len(anchor_texts)
        hidden = folder / f"{anchor}_tst_X_Y.txt"
        anchors[anchor] = AnchorSet(
            anchor, anchor_texts,
            matrix(f"{anchor}_trn_X_Y.txt", TRAIN_TEXTS, n_train, f"{anchor}_X.txt", m),
            matrix(f"{anchor}_lbl_X_Y.txt", LABEL_TEXTS, n_labels, f"{anchor}_X.txt", m),
            matrix(hidden.name, TEST_TEXTS, n_test, f"{anchor}_X.txt", m) if hidden.is_file() else None)
    defaults = XCDataset.__dataclass_fields__
    return XCDataset(
        name=name or meta.get("name") or folder.resolve().name,
        train_texts=texts[TRAIN_TEXTS], test_texts=texts[TEST_TEXTS], label_texts=texts[LABEL_TEXTS],
        train_y=train_y, test_y=test_y, anchors=anchors, filter_pairs=filter_pairs,
        propensity_a=float(propensity_a if propensity_a is not None
                           else meta.get("propensity_a", defaults["propensity_a"].default)),
        propensity_b=float(propensity_b if propensity_b is not None
                           else meta.get("propensity_b", defaults["propensity_b"].default)))
