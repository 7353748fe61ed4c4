"""Synthetic XC worlds: seeded documents, labels and anchor graphs with a known truth.

A world is an :class:`~ramen_edu.data.dataset.XCDataset` whose generating story is simple
enough to reason about and rich enough to show what RAMEN's graphs are for:

* **Words.** Every text is made of pseudo-words (``"velmor"``, ``"dasik"``) built from
  consonant–vowel syllables. They look like real tokens, a WordPiece tokenizer splits each one
  the same way every time, and no pre-trained encoder knows what they mean — meaning comes from
  the world alone.
* **Topics and labels.** There are ``n_topics`` topics with a few *topic words* each. Every label
  belongs to one topic and has a *name word* and a few *cue words*. Its text is
  ``"<name> <topic word>"``. Label popularity is Zipf-like (weight ∝ rank^−label_zipf), so a few
  head labels cover most (document, label) pairs and most labels are rare — the long tail.
* **Documents.** A document draws its first label from the global Zipf popularity; that label's
  topic becomes the document's topic and the other labels come from the same topic (with
  probability ``cross_topic`` from anywhere). Its text mixes, in random order, one word per label
  (the label's *name* with probability ``lexical_overlap``, otherwise one of its *cue* words —
  words that appear in documents but not in the label's own text), one or two topic words and a
  few noise words. An encoder must therefore learn that cue words point to their label; for a
  tail label it sees only a handful of training documents to learn that from.
* **Anchor graphs** (one pair E_XA, E_ZA per anchor set, RAMEN §3), built from the *complete*
  training labels:

  - ``"topic"`` (like Wikipedia categories): one anchor per topic whose text is the topic's words;
    a document links to the topics of its labels, a label to its own topic.
  - ``"concept"`` (like hyperlinks to articles): one anchor per group of ``labels_per_concept``
    labels of one topic; its text holds each member's name word *and* its cue words. A document
    links to the concepts of its labels, a label to its concept. This is the informative graph:
    it ties a tail label's name to the cue words documents use for it, even when the label has
    almost no training documents.

  Each document edge is dropped with probability ``edge_dropout`` (real metadata misses links,
  which is why RAMEN densifies graphs by random walks) and every edge is replaced by a uniformly
  random one with probability ``edge_noise`` (1.0 = pure-noise graphs, the control experiment).
  Only training documents appear in the graphs; test documents never do (the paper's leak rule).
  Their *hidden* edges — the anchors of their true labels, without dropout or noise — are kept
  beside the graph (``AnchorSet.test_doc_anchor``) for the oracle linker of
  :mod:`ramen_edu.baselines` only.
* **Missing labels.** A fraction ``missing_labels`` of training (document, label) pairs is
  removed from ``train_y`` after the graphs are built, as in real XC data where annotators miss
  labels. The complete matrix stays in :attr:`SyntheticWorld.true_train_y`, so one can check how
  many missing pairs the graph still connects (document → anchor ← label).
* **Filter pairs.** A fraction ``self_titled`` of test documents (default 1 %, among those with two
  or more labels) *is* the article of some label f of its topic: its text is f's text and
  (document, f) is a filter pair, never a true label — the synthetic version of the XC
  repository's rule that a Wikipedia article must not predict itself. Set ``self_titled=0`` for
  none.

Generation is vectorised with numpy (no per-document Python loop): 100k documents take a few
seconds. The same config and seed give byte-identical files on every run.

Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ramen_edu.data.dataset import AnchorSet, XCDataset, as_csr
from ramen_edu.data.xc_format import read_xc_dataset, write_xc_dataset

__all__ = ["ANCHOR_SET_KINDS", "DEFAULT_WORLD", "DEFAULT_WORLD_DIR", "SyntheticConfig", "SyntheticWorld",
           "default_world", "make_synthetic_world", "pseudo_words", "regenerate_default_world"]

#: the anchor sets a synthetic world can carry (see the module docstring)
ANCHOR_SET_KINDS = ("topic", "concept")

_ONSETS = tuple("bdfgklmnprstvz")
_VOWELS = tuple("aeiou")
_CODAS = ("", "l", "n", "r", "s")
_SYLLABLES = np.array([o + v + c for o in _ONSETS for v in _VOWELS for c in _CODAS])


@dataclass(frozen=True)
class SyntheticConfig:
    """Every knob of a synthetic world; the defaults give the book's embedded demo world.

    Sizes: n_train, n_test documents, n_labels labels in n_topics topics.
    Labels: label_zipf (exponent of the Zipf popularity, larger = heavier head), mean_labels
    (mean number of label *draws* per document, ≥ 1; repeated draws of a head label collapse, so
    the defaults give about 2 distinct labels per document, like LF-WikiSeeAlsoTitles' 2.1),
    max_labels (cap on draws), cross_topic (chance that a further label comes from any topic).
    Words: words_per_topic, cue_words (per label), lexical_overlap (chance a document uses a
    label's name instead of a cue word), noise_vocabulary (size), noise_words (0..noise_words
    noise words per document).
    Graphs: anchor_sets (subset of ``ANCHOR_SET_KINDS``), labels_per_concept, edge_dropout
    (chance a document edge is missing), edge_noise (chance any edge is replaced by a random one).
    Truth: missing_labels (fraction of training pairs hidden from train_y), self_titled
    (fraction of test documents that are a label's own article, giving filter pairs).
    """

    n_train: int = 3000
    n_test: int = 1000
    n_labels: int = 500
    n_topics: int = 25
    label_zipf: float = 1.1
    mean_labels: float = 2.8
    max_labels: int = 5
    cross_topic: float = 0.1
    words_per_topic: int = 4
    cue_words: int = 2
    lexical_overlap: float = 0.2
    noise_vocabulary: int = 300
    noise_words: int = 2
    anchor_sets: tuple[str, ...] = ANCHOR_SET_KINDS
    labels_per_concept: int = 2
    edge_dropout: float = 0.1
    edge_noise: float = 0.0
    missing_labels: float = 0.0
    self_titled: float = 0.01
    seed: int = 0
    name: str = "synthetic"

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchor_sets", tuple(self.anchor_sets))
        for arg in ("n_train", "n_labels", "n_topics", "max_labels", "words_per_topic", "cue_words",
                    "noise_vocabulary", "labels_per_concept"):
            value = getattr(self, arg)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"SyntheticConfig: {arg}={value!r} must be an integer ≥ 1")
        for arg in ("n_test", "noise_words", "seed"):
            value = getattr(self, arg)
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"SyntheticConfig: {arg}={value!r} must be an integer ≥ 0")
        if self.n_train < 3:
            raise ValueError(f"SyntheticConfig: n_train={self.n_train}; propensity scores need at least 3 "
                             "training documents")
        for arg in ("cross_topic", "lexical_overlap", "edge_dropout", "edge_noise", "missing_labels",
                    "self_titled"):
            value = getattr(self, arg)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"SyntheticConfig: {arg}={value!r} is a probability; give a value in [0, 1]")
        if self.label_zipf < 0:
            raise ValueError(f"SyntheticConfig: label_zipf={self.label_zipf!r} must be ≥ 0 (0 = uniform labels)")
        if not 1.0 <= self.mean_labels <= self.max_labels:
            raise ValueError(f"SyntheticConfig: mean_labels={self.mean_labels!r} must lie in "
                             f"[1, max_labels={self.max_labels}]")
        if self.n_topics > self.n_labels:
            raise ValueError(f"SyntheticConfig: n_topics={self.n_topics} > n_labels={self.n_labels}; every "
                             "topic needs at least one label")
        unknown = [a for a in self.anchor_sets if a not in ANCHOR_SET_KINDS]
        if unknown or len(set(self.anchor_sets)) != len(self.anchor_sets):
            raise ValueError(f"SyntheticConfig: anchor_sets={self.anchor_sets!r}; choose distinct names "
                             f"among {ANCHOR_SET_KINDS}")


@dataclass(repr=False)  # keep XCDataset's one-line repr
class SyntheticWorld(XCDataset):
    """An :class:`XCDataset` plus the truth it was generated from (for checks and the book).

    config:        the :class:`SyntheticConfig`.
    true_train_y:  csr (N_train × L), the training labels before ``missing_labels`` removed any.
    label_topic:   int64 (L,) topic of each label.
    label_concept: int64 (L,) concept (anchor of the ``"concept"`` set) of each label.
    label_cues:    L strings, the cue words documents use for each label (space-separated).
    train_topic / test_topic: int64 (N_train,) / (N_test,) topic of each document.
    Writing a world with ``write_xc_dataset`` keeps only the XCDataset part.
    """

    config: SyntheticConfig | None = None
    true_train_y: sp.csr_matrix | None = None
    label_topic: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    label_concept: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    label_cues: list[str] = field(default_factory=list)
    train_topic: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    test_topic: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def missing_pairs(self) -> np.ndarray:
        """(P × 2) int64 (training document, label) pairs hidden from ``train_y``."""
        if self.true_train_y is None:
            return np.zeros((0, 2), dtype=np.int64)
        hidden = sp.coo_matrix((self.true_train_y > 0).astype(np.int8) - (self.train_y > 0).astype(np.int8))
        keep = hidden.data > 0
        return np.stack([hidden.row[keep], hidden.col[keep]], axis=1).astype(np.int64)


# --------------------------------------------------------------------------------------------
# words
# --------------------------------------------------------------------------------------------
def pseudo_words(n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct pseudo-words of 2 or 3 consonant–vowel(–coda) syllables, e.g. ``"velmor"``.

    Every syllable starts with one consonant and holds one vowel, so a word splits into
    syllables in exactly one way and distinct syllable sequences are distinct strings.
    rng: numpy Generator (the world's). Returns a numpy str array (n,), in random order.
    """
    s = len(_SYLLABLES)
    n2 = min(int(round(0.6 * n)), s * s // 2)  # short words first: fewer WordPiece pieces
    n3 = n - n2
    if n3 > s ** 3 // 50:
        raise ValueError(f"pseudo_words: {n} words asked, at most about {s ** 3 // 50 + n2} available")
    two = rng.choice(s * s, size=n2, replace=False)
    three = rng.choice(s ** 3, size=n3, replace=False)
    words = np.concatenate([
        np.strings.add(_SYLLABLES[two // s], _SYLLABLES[two % s]),
        np.strings.add(np.strings.add(_SYLLABLES[three // (s * s)], _SYLLABLES[three // s % s]),
                       _SYLLABLES[three % s]),
    ])
    return words[rng.permutation(n)]


def _join_rows(words: np.ndarray, rows: np.ndarray, n_rows: int) -> list[str]:
    """Join words into one space-separated text per row; rows must be sorted and cover 0..n_rows-1."""
    if len(rows) == 0:
        return [""] * n_rows
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = rows[1:] != rows[:-1]
    ends = np.where(last, "\n", " ")
    # one C-level join and split instead of a Python join per row
    texts = "".join(np.strings.add(words, ends).tolist()).split("\n")[:-1]
    if len(texts) != n_rows:
        raise AssertionError("every row must have at least one word")  # internal invariant
    return texts


def _pairs_to_csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """Binary csr from (possibly repeated) pairs."""
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return as_csr(m)


def _sample_cdf(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index i with cum[i-1] <= u < cum[i] (inverse-CDF sampling over a cumulative array)."""
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------
def make_synthetic_world(config: SyntheticConfig | None = None, **overrides) -> SyntheticWorld:
    """Generate a seeded synthetic XC world (see the module docstring for the story).

    config: a :class:`SyntheticConfig`; keyword arguments override its fields, e.g.
    ``make_synthetic_world(n_train=500, edge_noise=1.0, seed=3)``.
    Returns a :class:`SyntheticWorld` (an XCDataset): train_y / test_y csr (N × L) binary, one
    AnchorSet per name in ``config.anchor_sets`` with doc_anchor (N_train × M) and label_anchor
    (L × M), filter_pairs (P × 2), and the generating truth (topics, concepts, complete train_y).
    Taught in: book/04_training.ipynb
    """
    config = config or SyntheticConfig()
    if overrides:
        known = {f.name for f in fields(SyntheticConfig)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise TypeError(f"make_synthetic_world: unknown argument(s) {unknown}; "
                            f"SyntheticConfig has {sorted(known)}")
        config = SyntheticConfig(**{**asdict(config), **overrides})
    c = config
    rng = np.random.default_rng(c.seed)
    n_docs, L, T = c.n_train + c.n_test, c.n_labels, c.n_topics

    # --- vocabulary: topic words, label names, cue words, noise words (all distinct) ---------
    n_topic_words = T * c.words_per_topic
    vocab = pseudo_words(n_topic_words + L + L * c.cue_words + c.noise_vocabulary, rng)
    topic_words = np.arange(n_topic_words).reshape(T, c.words_per_topic)
    name_word = n_topic_words + np.arange(L)
    cue_word = (n_topic_words + L + np.arange(L * c.cue_words)).reshape(L, c.cue_words)
    noise_word = n_topic_words + L + L * c.cue_words + np.arange(c.noise_vocabulary)

    # --- labels: balanced topics, Zipf popularity over a random ranking ------------------------
    label_topic = rng.permutation(np.arange(L) % T).astype(np.int64)
    popularity = (rng.permutation(L) + 1.0) ** -c.label_zipf
    label_texts = np.strings.add(np.strings.add(vocab[name_word], " "),
                                 vocab[topic_words[label_topic, rng.integers(c.words_per_topic, size=L)]])

    # labels grouped by topic: one cumulative popularity array serves every topic's sampler
    by_topic = np.argsort(label_topic, kind="stable")
    cum = np.cumsum(popularity[by_topic])
    topic_count = np.bincount(label_topic, minlength=T)
    topic_first = np.concatenate(([0], np.cumsum(topic_count)[:-1]))
    topic_cum_start = np.where(topic_first > 0, cum[np.maximum(topic_first - 1, 0)], 0.0)
    topic_cum_mass = cum[topic_first + topic_count - 1] - topic_cum_start
    # concepts: consecutive groups of labels_per_concept inside each topic
    rank_in_topic = np.empty(L, np.int64)
    rank_in_topic[by_topic] = np.arange(L) - np.repeat(topic_first, topic_count)
    concepts_per_topic = -(-topic_count // c.labels_per_concept)
    concept_first = np.concatenate(([0], np.cumsum(concepts_per_topic)[:-1]))
    label_concept = concept_first[label_topic] + rank_in_topic // c.labels_per_concept
    n_concepts = int(concepts_per_topic.sum())

    # --- documents: labels -----------------------------------------------------------------
    n_labels_doc = 1 + np.minimum(rng.poisson(c.mean_labels - 1.0, n_docs), c.max_labels - 1)
    first = _sample_cdf(np.cumsum(popularity), rng.random(n_docs) * popularity.sum())
    doc_topic = label_topic[first]
    extra = c.max_labels - 1
    u = rng.random((n_docs, extra))
    within = by_topic[_sample_cdf(cum, (topic_cum_start[doc_topic][:, None]
                                        + u * topic_cum_mass[doc_topic][:, None]).ravel())]
    anywhere = _sample_cdf(np.cumsum(popularity), rng.random(n_docs * extra) * popularity.sum())
    other = np.where(rng.random(n_docs * extra) < c.cross_topic, anywhere, within).reshape(n_docs, extra)
    used = np.arange(extra)[None, :] < (n_labels_doc - 1)[:, None]
    rows = np.concatenate([np.arange(n_docs), np.nonzero(used)[0]])
    cols = np.concatenate([first, other[used]])
    y_all = _pairs_to_csr(rows, cols, (n_docs, L))  # repeated draws collapse: ≤ max_labels labels

    # --- documents: texts ------------------------------------------------------------------
    pair_doc = np.repeat(np.arange(n_docs), np.diff(y_all.indptr))
    pair_label = y_all.indices.astype(np.int64)
    label_word = np.where(rng.random(len(pair_label)) < c.lexical_overlap, name_word[pair_label],
                          cue_word[pair_label, rng.integers(c.cue_words, size=len(pair_label))])
    n_topic_in_doc = 1 + (rng.random(n_docs) < 0.5)
    t_doc = np.repeat(np.arange(n_docs), n_topic_in_doc)
    t_word = topic_words[doc_topic[t_doc], rng.integers(c.words_per_topic, size=len(t_doc))]
    n_noise = rng.integers(0, c.noise_words + 1, size=n_docs)
    z_doc = np.repeat(np.arange(n_docs), n_noise)
    z_word = noise_word[rng.integers(c.noise_vocabulary, size=len(z_doc))]
    w_doc = np.concatenate([pair_doc, t_doc, z_doc])
    w_id = np.concatenate([label_word, t_word, z_word])
    order = np.lexsort((rng.random(len(w_doc)), w_doc))  # random word order inside each document
    doc_texts = np.array(_join_rows(vocab[w_id[order]], w_doc[order], n_docs), dtype=object)

    # --- self-titled test documents: filter pairs --------------------------------------------
    filter_pairs = np.zeros((0, 2), dtype=np.int64)
    y_test = y_all[c.n_train:]
    n_self = int(round(c.self_titled * c.n_test))
    candidates = np.flatnonzero(y_test.getnnz(axis=1) >= 2)
    if n_self and len(candidates):
        docs = np.sort(rng.choice(candidates, size=min(n_self, len(candidates)), replace=False))
        t = doc_topic[c.n_train + docs]
        f = by_topic[topic_first[t] + rng.integers(0, topic_count[t])]
        doc_texts[c.n_train + docs] = label_texts[f]
        # the article of f never lists itself: (doc, f) cannot be a true label
        y_test = y_test.tolil()
        y_test[docs, f] = 0
        y_test = as_csr(y_test)
        filter_pairs = np.stack([docs, f], axis=1).astype(np.int64)

    true_train_y = as_csr(y_all[:c.n_train])

    # --- anchor graphs from the complete training labels --------------------------------------
    tr = sp.coo_matrix(true_train_y)
    tr_doc, tr_label = tr.row.astype(np.int64), tr.col.astype(np.int64)
    te = sp.coo_matrix(y_test)

    def graph(name: str, label_anchor_id: np.ndarray, n_anchors: int, texts: list[str]) -> AnchorSet:
        keep = rng.random(len(tr_doc)) >= c.edge_dropout
        d_rows, d_cols = tr_doc[keep], label_anchor_id[tr_label[keep]]
        l_rows, l_cols = np.arange(L), label_anchor_id.copy()
        for cols_ in (d_cols, l_cols):  # noise: replace an edge's anchor by a uniform one
            noisy = rng.random(len(cols_)) < c.edge_noise
            cols_[noisy] = rng.integers(n_anchors, size=int(noisy.sum()))
        # the test documents' hidden edges: the anchors of their true labels, clean (no dropout,
        # no noise, no random draw, so adding them changed no other byte of a world); only an
        # oracle linker reads them (ramen_edu.baselines)
        hidden = _pairs_to_csr(te.row.astype(np.int64), label_anchor_id[te.col], (c.n_test, n_anchors))
        return AnchorSet(name, texts, _pairs_to_csr(d_rows, d_cols, (c.n_train, n_anchors)),
                         _pairs_to_csr(l_rows, l_cols, (L, n_anchors)), test_doc_anchor=hidden)

    anchors: dict[str, AnchorSet] = {}
    for name in c.anchor_sets:
        if name == "topic":
            texts = _join_rows(vocab[topic_words.ravel()], np.repeat(np.arange(T), c.words_per_topic), T)
            anchors[name] = graph(name, label_topic, T, texts)
        else:  # "concept": each member's name word and its cue words
            members = np.argsort(label_concept, kind="stable")
            words = np.concatenate([name_word[members][:, None], cue_word[members]], axis=1).ravel()
            texts = _join_rows(vocab[words], np.repeat(label_concept[members], 1 + c.cue_words), n_concepts)
            anchors[name] = graph(name, label_concept, n_concepts, texts)

    # --- missing labels: hide training pairs (the graphs above still know them) ---------------
    train_y = true_train_y.copy()
    if c.missing_labels > 0:
        train_y.data[rng.random(train_y.nnz) < c.missing_labels] = 0
        train_y = as_csr(train_y)

    return SyntheticWorld(
        name=c.name, train_texts=doc_texts[:c.n_train].tolist(), test_texts=doc_texts[c.n_train:].tolist(),
        label_texts=label_texts.tolist(), train_y=train_y, test_y=y_test, anchors=anchors,
        filter_pairs=filter_pairs, config=c, true_train_y=true_train_y, label_topic=label_topic,
        label_concept=label_concept.astype(np.int64),
        label_cues=_join_rows(vocab[cue_word.ravel()], np.repeat(np.arange(L), c.cue_words), L),
        train_topic=doc_topic[:c.n_train].astype(np.int64),
        test_topic=doc_topic[c.n_train:].astype(np.int64))


# --------------------------------------------------------------------------------------------
# the embedded default world
# --------------------------------------------------------------------------------------------
#: the config of ``data_samples/synthetic-default`` (the demo and chapter 1 use it)
DEFAULT_WORLD = SyntheticConfig(name="synthetic-default", seed=0)
DEFAULT_WORLD_DIR = Path(__file__).resolve().parents[2] / "data_samples" / "synthetic-default"


def regenerate_default_world(path: str | Path = DEFAULT_WORLD_DIR) -> Path:
    """Write the default world (``DEFAULT_WORLD``) as an XC folder at ``path``; returns the folder.

    The committed ``data_samples/synthetic-default`` is exactly this function's output
    (tests/test_synthetic.py checks it byte for byte).
    """
    return write_xc_dataset(make_synthetic_world(DEFAULT_WORLD), path)


def default_world() -> XCDataset:
    """The embedded demo world: read from ``data_samples/synthetic-default`` in a checkout, else
    generated in memory from ``DEFAULT_WORLD`` (identical content; e.g. after ``pip install``,
    which does not ship data_samples/). Returns an XCDataset.
    """
    if (DEFAULT_WORLD_DIR / "dataset.json").is_file():
        return read_xc_dataset(DEFAULT_WORLD_DIR)
    return make_synthetic_world(DEFAULT_WORLD)


def main(argv: list[str] | None = None) -> int:
    """``python -m ramen_edu.data.synthetic --write DIR [--seed S] [--n-train N] ...``"""
    parser = argparse.ArgumentParser(prog="python -m ramen_edu.data.synthetic",
                                     description="Write a synthetic XC world as an XC repository folder.")
    parser.add_argument("--write", metavar="DIR", required=True, help="output folder")
    parser.add_argument("--default", action="store_true",
                        help="write exactly the embedded default world (ignores the other options)")
    for f in fields(SyntheticConfig):
        if f.name == "anchor_sets":
            parser.add_argument("--anchor-sets", nargs="*", default=list(f.default), choices=ANCHOR_SET_KINDS)
        else:
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    args = parser.parse_args(argv)
    if args.default:
        folder = regenerate_default_world(args.write)
        config = DEFAULT_WORLD
    else:
        config = SyntheticConfig(**{f.name: getattr(args, f.name) for f in fields(SyntheticConfig)})
        folder = write_xc_dataset(make_synthetic_world(config), args.write)
    print(f"wrote {config.name} (seed {config.seed}) to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
