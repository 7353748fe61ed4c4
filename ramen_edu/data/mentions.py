"""The article→article **mentions** graph: where an article's text names another article.

The project's Wikipedia sample is plain text — its hyperlinks were flattened away — but the
paper's second anchor set is the hyperlink graph (§4). This module reconstructs a stand-in and
calls it what it is, *mentions* (derived data, not Wikipedia's links): article i → article j
when i's text contains j's title as a whole-word phrase.

How a mention is found (one Aho–Corasick pass per text, ``pyahocorasick``):

1. Titles and texts are normalised the same way: every ASCII character that is not a letter or
   digit becomes a space, ASCII letters are lower-cased (one ``bytes.translate`` each, so
   positions are kept and non-ASCII letters are left alone). A title is the key
   ``" " + normalised title + " "`` and a text is padded with a space at both ends, so every
   match is a whole-word match (``"Clade"`` never matches inside ``"Cladistics"``).
2. Titles whose normalised keys collide (``"C"`` and ``"C++"``) are ambiguous and dropped.
   A title ending in a parenthetical disambiguator (``"Mercury (planet)"``) also gets the key of
   its bare name when no other title has that bare name (``strip_parenthetical``).
3. Longest match wins: a match lying inside a longer match of the same text is dropped
   (``"New York"`` inside ``"New York City"``); two partly overlapping matches both count.
4. Noise rules, applied in this order, each counted in :class:`MentionReport`:
   ``case`` (``exact``: surface must equal the title; ``first-letter``: the first letter may be
   lower-case, as Wikipedia writes ``[[clade]]`` in running text; ``insensitive``),
   ``self`` (an article naming itself), ``short`` (titles with fewer than ``min_title_chars``
   letters/digits: ``"A"``, ``"Mu"``), ``name part`` (per match, one-word titles only: the
   match touches a capitalised word across one space — ``"Michael"`` in "Michael Jordan",
   ``"Register"`` in "National Register" — so it is a word of a longer name that is not an
   article; punctuation, a sentence start or a function word such as "The" do not count;
   ``drop_name_parts``), ``common word`` (one-word titles whose lower-case form
   appears in more than ``common_word_fraction`` of the articles: ``"Music"``, ``"Water"`` —
   in running text they are ordinary words), ``hub`` (titles mentioned by more than
   ``max_doc_fraction`` of the articles: they connect everything and inform nothing).

Measured on the shared sample (57,200 articles; ``benchmarks/bench_wiki_build.py`` prints
the same table) — see :data:`MEASURED` for the numbers behind the defaults.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ramen_edu.tables import text_table

__all__ = ["MEASURED", "MentionReport", "MentionRules", "find_mentions", "see_also_pairs",
           "see_also_recall"]

CASE_MODES = ("exact", "first-letter", "insensitive")

# what each rule removed on the shared sample, filled in from a real run (see module docstring)
MEASURED = """
Shared sample, 57,200 articles, defaults (case first-letter, min 3 letters/digits, common word
> 0.5% of articles, hub > 2% of articles, no parenthetical keys); 1,207,004 raw matches,
4,212 see-also pairs whose target is an article in the sample serve as the reference:

rule            edges left   removed  see-also found
candidates         701,912         0     811 (19.3%)
case               654,821    47,091     797 (18.9%)
self               635,762    19,059     797 (18.9%)
short              576,215    59,547     797 (18.9%)
name part          462,580   113,635     789 (18.7%)
common word        262,799   199,781     761 (18.1%)
hub                194,332    68,467     758 (18.0%)

The name-part rule (added after an audit found "Michael", "Mary", "Empire", "Register",
"Mark", "File" among the most mentioned titles) removes 113,635 edges for 8 see-also pairs;
on the benchmark's held-out test documents it raises the mentions graph's edge precision from
18.4% to 19.2% with label coverage 38.1% → 38.4% (see :mod:`ramen_edu.data.wiki_benchmark`).
Lowering ``common_word_fraction`` to 0.1% instead would cost 60 more see-also pairs.
The table below the rules (measured before the name-part rule existed) is kept as written:

Before the rules 811 of 701,912 edges (0.12%) are see-also pairs; among the edges the rules
remove the rate is 45 of 473,046 (0.01%), twelve times lower: the rules cut mostly edges that
are no relation. Dropped titles: short 49 ("S", "1", "D"), common word 189 ("Time", "Life",
"Second", "Being", "Out", "May"), hub 33 (the month names, "English"). Parenthetical keys
("Valley (video game)" matched as "valley") added 204,745 candidate edges, almost all wrong
in a spot check, so ``strip_parenthetical`` is off by default. Spot check of 25 random final
edges: 20 name the article they point to (people, places, dates, chemicals), 5 do not
("stout-bodied" → Stout, "dual role" → Dual, "Scottish", "liberal", "substance").
Mean out-degree 4.0 (median 3). The pass takes 7 s on an idle core (20–30 s while the
two-core machine is shared with other jobs).

Case modes, same rules otherwise (edges left / see-also pairs found): ``exact`` 198,220 / 405
(9.6%) — running text writes "a crown group", so exact case halves the real relations found;
``first-letter`` 228,866 / 766 (18.2%); ``insensitive`` 234,808 / 779 (18.5%). The last step
adds 5,942 edges, mostly from the sample's upper-cased bold lead phrases, for 13 more see-also
pairs; first-letter is the default because it is MediaWiki's own title rule and the two differ
by 0.3 points.
"""


@dataclass(frozen=True)
class MentionRules:
    """The knobs of :func:`find_mentions`; defaults chosen from the measurements in
    :data:`MEASURED`."""

    case: str = "first-letter"
    min_title_chars: int = 3
    common_word_fraction: float = 0.005
    max_doc_fraction: float = 0.02
    drop_self: bool = True
    strip_parenthetical: bool = False
    drop_name_parts: bool = True

    def __post_init__(self):
        if self.case not in CASE_MODES:
            raise ValueError(f"case must be one of {CASE_MODES}, got {self.case!r}")
        for name in ("common_word_fraction", "max_doc_fraction"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be a fraction in (0, 1], got {value}")
        if self.min_title_chars < 0:
            raise ValueError(f"min_title_chars must be ≥ 0, got {self.min_title_chars}")


@dataclass
class MentionReport:
    """What :func:`find_mentions` kept and dropped.

    stages: list of (rule, edges left after it, edges it removed, reference pairs still found
    or None), edges = distinct (i, j) article pairs, starting with ``candidates`` (whole-word,
    longest-match, unambiguous).
    reference_pairs: how many reference pairs were given (None without a reference).
    dropped_titles: rule → number of titles it removed from the vocabulary.
    examples: rule → up to 10 of those titles, most frequent first.
    """

    articles: int
    titles_in_automaton: int
    ambiguous_titles: int
    parenthetical_keys: int
    raw_matches: int
    reference_pairs: int | None = None
    stages: list = field(default_factory=list)
    dropped_titles: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)

    def table(self) -> str:
        """The stages as an aligned text table (a column "see-also found" when a reference was given)."""
        ref = self.reference_pairs
        head = ["rule", "edges left", "removed", *(["see-also found"] if ref else [])]
        rows = [[name, f"{left:,}", f"{removed:,}", *([f"{found:,} ({found / ref:.1%})"] if ref else [])]
                for name, left, removed, found in self.stages]
        return text_table(head, rows, rule=False)


def _tables():
    keep = bytes(c if (chr(c).isalnum() or c >= 128) else 32 for c in range(256))
    low = bytes((c + 32 if 65 <= c <= 90 else c) if (chr(c).isalnum() or c >= 128) else 32
                for c in range(256))
    return keep, low


_KEEP, _LOW = _tables()


def _norm(text: str, table: bytes) -> str:
    # ASCII-only rewrite: UTF-8 multi-byte sequences have every byte ≥ 128 and stay intact
    return text.encode("utf-8").translate(table).decode("utf-8")


def _pairs(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, n))


def _examples(mask: np.ndarray, score: np.ndarray, titles: list[str], k: int = 10) -> list[str]:
    idx = np.flatnonzero(mask)
    return [titles[j] for j in idx[np.argsort(-score[idx], kind="stable")[:k]]]


def find_mentions(titles: list[str], texts: list[str], rules: MentionRules | None = None, *,
                  reference: sp.csr_matrix | None = None, held_out=None,
                  progress: bool = False) -> tuple[sp.csr_matrix, MentionReport]:
    """The mentions graph of a set of articles.

    titles: N article titles; texts: N texts (same order).
    rules:  :class:`MentionRules` (default: the measured defaults).
    reference: optional csr (N × N) of pairs known to be related (e.g. see-also pairs between
            articles, :func:`see_also_pairs`); each stage of the report then also says how
            many of them are still edges, so a rule's cost in real relations is measured.
    held_out: optional row ids (or a boolean mask over the N articles) whose texts are scanned
            and filtered like the rest, but which do not count: the frequency rules
            (``common word``, ``hub``) and the report's stage counts see only the other rows.
            The benchmark builder passes its test documents (with empty titles), so their
            hidden edges can be scored while the graph of the other rows stays exactly what
            it is without them.
    Returns (M, report): M csr (N × N) float32, M[i, j] = how many times article i's text
    mentions article j's title (after all rules; zero diagonal when ``drop_self``), and the
    :class:`MentionReport` of what each rule removed. One automaton pass over the texts; the
    rules are vectorised over the collected matches.
    Taught in: book/02_anchor_graphs.ipynb
    """
    import ahocorasick  # lazy: pyahocorasick is a compiled extension only mention finding needs

    rules = rules or MentionRules()
    titles, texts = list(titles), list(texts)
    if len(titles) != len(texts):
        raise ValueError(f"got {len(titles)} titles but {len(texts)} texts; one text per title")
    n = len(titles)
    counted = np.ones(n, dtype=bool)  # rows that shape the rules and the report
    if held_out is not None:
        held = np.asarray(held_out).ravel()
        if held.dtype == bool:
            if held.size != n:
                raise ValueError(f"held_out as a mask must have one entry per article ({n}), "
                                 f"got {held.size}")
            counted = ~held
        else:
            if held.size and (not np.issubdtype(held.dtype, np.integer)
                              or held.min() < 0 or held.max() >= n):
                raise ValueError(f"held_out must be row ids in [0, {n}) or a boolean mask")
            counted[held.astype(np.int64)] = False

    # --- vocabulary: normalised title keys, ambiguous ones dropped ----------------------
    key_of = [_norm(t, _LOW).strip() for t in titles]
    exact_of = [_norm(t, _KEEP).strip() for t in titles]
    owners: dict[str, list[int]] = {}
    for j, key in enumerate(key_of):
        if key:
            owners.setdefault(key, []).append(j)
    ambiguous = sum(len(v) for v in owners.values() if len(v) > 1)
    keys = {k: (v[0], exact_of[v[0]]) for k, v in owners.items() if len(v) == 1}
    n_paren = 0
    if rules.strip_parenthetical:
        bare: dict[str, list[int]] = {}
        for j, t in enumerate(titles):
            if t.endswith(")") and " (" in t:
                b = _norm(t[:t.rindex(" (")], _LOW).strip()
                if b:
                    bare.setdefault(b, []).append(j)
        for b, js in bare.items():
            if len(js) == 1 and b not in owners:
                t = titles[js[0]]
                keys[b] = (js[0], _norm(t[:t.rindex(" (")], _KEEP).strip())
                n_paren += 1
    automaton = ahocorasick.Automaton()
    for key, (j, exact) in keys.items():
        automaton.add_word(f" {key} ", (j, len(key), exact))
    report = MentionReport(articles=n, titles_in_automaton=len(keys), ambiguous_titles=ambiguous,
                           parenthetical_keys=n_paren, raw_matches=0)
    if not keys:
        return sp.csr_matrix((n, n), dtype=np.float32), report
    automaton.make_automaton()

    # --- the one pass: every whole-word match, with its case class ---------------------
    # case class: 0 surface == title (normalised, case kept); 1 only the first letter differs
    # in case; 2 anything else (all caps, lower-case inside). Name part (one-word titles only):
    # 1 when the match touches a capitalised word across a single space — "Michael" in
    # "Michael Jordan", "Register" in "National Register", "Saint" in "Saint Louis": a word of
    # a longer name that is not itself an article. Punctuation breaks a name ("Rome, Italy"
    # keeps "Rome"), and a capitalised function word before it ("The", "In") does not count.
    one_word_key = [" " not in k for k in key_of]
    found_matches: list[tuple] = []
    iterator = range(n)
    if progress:
        from tqdm.auto import tqdm  # lazy: tqdm.auto pulls ipywidgets in notebooks; only needed with progress

        iterator = tqdm(iterator, desc="mentions", unit="article")
    for i in iterator:
        text = texts[i]
        if not text:
            continue
        low = f" {_norm(text, _LOW)} "
        kept = f" {_norm(text, _KEEP)} "
        raw = f" {text} "
        # e is the index of the key's trailing space: the title spans e-length .. e-1
        found_matches.extend([
            (i, j, e - length, e, 0 if kept[e - length:e] == exact
             else (1 if kept[e - length + 1:e] == exact[1:] else 2),
             one_word_key[j] and _name_part(kept, raw, e - length, e))
            for e, (j, length, exact) in automaton.iter(low)])
    found = np.array(found_matches, dtype=np.int64).reshape(-1, 6)
    del found_matches
    doc, title, start, end = (np.ascontiguousarray(found[:, c]) for c in range(4))
    case = found[:, 4].astype(np.int8)
    name_part = found[:, 5].astype(bool)
    del found
    report.raw_matches = int(len(doc))

    # --- longest match wins: drop matches inside a longer match of the same text -------
    if len(doc):
        order = np.lexsort((-end, start, doc))  # by doc, start, longer first
        doc, title, start, end, case, name_part = (
            a[order] for a in (doc, title, start, end, case, name_part))
        span = int(end.max()) + 2
        key_end = doc * span + end  # cumulative max must not leak across documents
        run_max = np.maximum.accumulate(key_end)
        prev_max = np.concatenate([[-1], run_max[:-1]])
        inside = prev_max >= key_end  # an earlier-or-equal start reaches at least as far
        keep = ~inside
        doc, title, case, name_part = doc[keep], title[keep], case[keep], name_part[keep]

    ref_codes = None
    if reference is not None:
        ref = sp.coo_matrix(reference)
        ref_codes = np.unique(ref.row.astype(np.int64) * n + ref.col)
        report.reference_pairs = int(ref_codes.size)

    def edges():
        codes = np.sort((doc * n + title)[counted[doc]])
        if codes.size:
            codes = codes[np.concatenate([[True], codes[1:] != codes[:-1]])]
        found = None
        if ref_codes is not None:
            pos = np.minimum(np.searchsorted(codes, ref_codes), max(codes.size - 1, 0))
            found = int((codes[pos] == ref_codes).sum()) if codes.size else 0
        return int(codes.size), found

    stages = report.stages
    left, found = edges()
    stages.append(("candidates", left, 0, found))

    def apply(name, keep_mask):
        nonlocal doc, title, case, name_part, left
        doc, title, case, name_part = (doc[keep_mask], title[keep_mask], case[keep_mask],
                                       name_part[keep_mask])
        now, found = edges()
        stages.append((name, now, left - now, found))
        left = now

    if rules.case == "exact":
        apply("case", case == 0)
    elif rules.case == "first-letter":
        apply("case", case <= 1)
    else:
        apply("case", np.ones(len(doc), dtype=bool))
    if rules.drop_self:
        apply("self", doc != title)

    letters = np.array([len(k) - k.count(" ") for k in key_of], dtype=np.int64)
    short = letters < rules.min_title_chars
    report.dropped_titles["short"] = int(short.sum())
    report.examples["short"] = _examples(short, np.bincount(title[counted[doc]], minlength=n),
                                         titles)
    apply("short", ~short[title])

    if rules.drop_name_parts:  # per match: the same title elsewhere in the text still counts
        apply("name part", ~name_part)

    # one-word titles that are ordinary words: their lower-case form (case class ≠ 0) is met
    # in many articles. Counted over distinct articles.
    one_word = np.array([len(k.split()) == 1 for k in key_of], dtype=bool)
    lower_form = (case != 0) & counted[doc]
    pairs = np.unique(doc[lower_form] * n + title[lower_form])
    lower_df = np.bincount(pairs % n, minlength=n)
    common = one_word & (lower_df > rules.common_word_fraction * n)
    report.dropped_titles["common word"] = int(common.sum())
    report.examples["common word"] = _examples(common, lower_df, titles)
    apply("common word", ~common[title])

    df = np.bincount(np.unique((doc * n + title)[counted[doc]]) % n, minlength=n)
    hub = df > rules.max_doc_fraction * n
    report.dropped_titles["hub"] = int(hub.sum())
    report.examples["hub"] = _examples(hub, df, titles)
    apply("hub", ~hub[title])

    graph = sp.csr_matrix((np.ones(len(doc), np.float32), (doc, title)), shape=(n, n))
    graph.sum_duplicates()
    return graph, report


# capitalised words that start a sentence or a clause rather than a name: "The Empire" or
# "In Rome" are not the names "X Empire" or "X Rome"
_FUNCTION_WORDS = frozenset(
    "the a an in on at of by for from to with and or but as his her its their this that these "
    "those after before during since until under over into near while when where who which "
    "both each some many most other such".split())
_SENTENCE_END = frozenset(".!?:;\"'(")


def _name_part(kept: str, raw: str, start: int, end: int) -> bool:
    """Whether the match kept[start:end] (a one-word title in the case-kept normalised text,
    padded with spaces; ``raw`` is the same padded text before normalising, same positions)
    sits next to a capitalised word across exactly one space: a word of a longer name. Text
    beyond a non-alphanumeric character (now a space) does not count, nor does a capitalised
    word before it that opens a sentence ("Between Lübeck and ...") or is a function word."""
    after = kept[end + 1:end + 2]
    if after and kept[end] == " " and after.isupper():
        return True
    if start >= 2 and kept[start - 1] == " " and kept[start - 2].isalnum():
        prev_start = kept.rfind(" ", 0, start - 1) + 1
        prev = kept[prev_start:start - 1]
        if not prev[:1].isupper() or prev.lower() in _FUNCTION_WORDS:
            return False
        before = raw[max(0, prev_start - 4):prev_start].rstrip()
        return bool(before) and before[-1] not in _SENTENCE_END
    return False


def see_also_pairs(titles: list[str], see_also: list[list[str]]) -> sp.csr_matrix:
    """csr (N × N) binary: (i, j) when article i lists article j under "See also" (j ≠ i).

    The reference pairs for :func:`find_mentions`' measurements.
    """
    index = {t: j for j, t in enumerate(titles)}
    rows, cols = [], []
    for i, targets in enumerate(see_also):
        for t in targets:
            j = index.get(t)
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    out = _pairs(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), len(titles))
    out.data[:] = 1.0
    return out


def see_also_recall(mentions: sp.csr_matrix, titles: list[str], see_also: list[list[str]]) -> dict:
    """How many see-also targets that are articles the mentions graph also finds.

    A proxy for precision-at-the-useful-end: a see-also target is a related article chosen by
    an editor, so an edge rule that removes many of these is removing real relations.
    mentions: csr (N × N); titles: N titles; see_also: N lists of target titles.
    Returns {"pairs": see-also (i, j) pairs with j an article, "found": how many are edges,
    "recall": found / pairs}.
    """
    truth = see_also_pairs(titles, see_also)
    if not truth.nnz:
        return {"pairs": 0, "found": 0, "recall": 0.0}
    hit = truth.multiply(mentions > 0)
    return {"pairs": int(truth.nnz), "found": int(hit.nnz), "recall": float(hit.nnz / truth.nnz)}
