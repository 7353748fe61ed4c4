"""See-also items → the titles they name: the cleaning rule of the Wikipedia benchmark.

The plain-text export (and so ``fetch-wiki``, which stays faithful to it) keeps each See-also
bullet as the page shows it: usually a title, sometimes a title followed by the editor's
description (``"Fabian Society, a British socialist society founded …"``), a citation marker
(``"Hongkongia, a genus …[333]"``) or wiki markup that pandoc did not resolve
(``"[[Lord Mayor of Liverpool#Mayors …|Mayors and Lord Mayors"``). A benchmark label must be
the *title* an item names, so the builder (:mod:`ramen_edu.data.wiki_benchmark`) passes every
item through :func:`item_title` before the reader's :func:`~ramen_edu.data.wikipedia.
normalize_see_also_target` (first letter, ``#section``, other namespaces). The rule, in order:

1. **A page title stays whole.** An item that is the title of a page of the source (with or
   without the rule's later steps) is returned as it is: ``"Ernst Mayr"``, ``"Washington, D.C."``.
2. **Wiki debris.** ``[[X#s|text`` / ``[[X|text]]`` / ``[[X]]`` → ``X`` (the link target, not the
   shown text); a stray ``]]`` ends the item; ``{{…}}`` templates are removed.
3. **Citation markers and emphasis.** ``[12]``, ``[a]``, ``[note 3]``, ``[citation needed]`` and
   wiki emphasis quotes (``''`` / ``'''``) are removed; runs of spaces squeezed.
4. **Descriptions.** The item is cut at the first ``", "`` or ``": "`` outside parentheses whose
   remainder is a description:

   * it starts with a lower-case letter (``"Nyx, goddess of the night"``, ``"iAPX, for the iAPX
     name"``) — unless it is a short enumeration ending the title (``"Bijection, injection and
     surjection"``: at most four words, one of them ``and``/``or``) or a parallel phrase
     (``"Release early, release often"``: its first word repeats the item's);
   * after ``", "`` only: up to the next separator, at least three words of which at least two
     are lower-case content words (``"Gulf of Sidra incident (1981), U.S.–Libyan air engagement"``); ``"Concrete,
     Washington"``, ``"Jesus, King of the Jews"`` and place names stay whole;
   * ``"…, see X"`` names ``X``: ``"For information about …, see chromosome (genetic
     algorithm)"`` → ``"Chromosome (genetic algorithm)"``.

   Not descriptions: a **year or year range** after the comma is part of Wikipedia's title
   convention for lists and elections (``"Members of the Western Australian Legislative
   Assembly, 1901–1904"``, ``"United States elections, 2018"``), so it is kept; and a **list
   title** (``"List of …"``, ``"Lists of …"``) keeps its qualifiers (``"List of Presidents of the
   United States, sortable by previous experience"``, a real title) unless they start with
   ``a``/``an``/``the``. (Dashes need no rule here: the converter already cuts a spaced
   ``" – "``, ``" - "``, ``" — "`` annotation.)
5. **Trailing punctuation.** ``. , ; :`` and spaces are stripped — except the period of
   ``D.C.``, ``Inc.``, ``Jr.``, ``Sr.``, ``Ltd.``, ``Co.``, ``Corp.``, which Wikipedia titles keep
   and the converter's own stripping removed (``"Tesla, Inc"`` → ``"Tesla, Inc."``).

What it cannot know: a real title with a lower-case description-like tail that is not a page
of the source (e.g. ``"Sex, drugs and rock and roll"`` would keep, being an enumeration, but a
title such as ``"Crime, punishment, justice"`` would be cut). The measured effect on the book's
data (items, labels, share of labels that are page titles, before → after examples) is in each
benchmark card (``card["see_also_cleaning"]``) and in chapter 2.

Taught in: book/02_anchor_graphs.ipynb
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Collection, Iterable

__all__ = ["CleaningReport", "clean_see_also", "item_title"]

_LINK_OPEN = re.compile(r"\[\[([^\]|]*)")          # "[[Target#section|shown text…" → Target…
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_CITATION = re.compile(r"\[(?:\d+|[a-z]|[a-z]+ ?\d+|citation needed)\]", re.IGNORECASE)
_EMPHASIS = re.compile(r"'{2,}")
_SPACES = re.compile(r"\s+")
_YEARS = re.compile(r"\d{3,4}s?(?:\s*[–—-]\s*\d{2,4}s?)?")
_WORD = re.compile(r"\S+")
# words that carry no description on their own: a tail made of these and capitalised words
# is a name ("Tunja, Hernán Pérez de Quesada", "Jesus, King of the Jews")
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "from",
    "de", "del", "la", "le", "les", "da", "do", "dos", "das", "du", "des", "van", "von", "der",
    "den", "y", "e", "et", "und", "upon", "under", "over", "as"})
# abbreviations whose period Wikipedia titles keep, as the last word of an item
_ABBREVIATION_END = re.compile(r"(?:^|[ ,])(?:D\.C|Inc|Jr|Sr|Ltd|Co|Corp)$")
_STRIP = ".,;: "


def _remove_markup(item: str) -> str:
    if "[[" in item:
        item = _LINK_OPEN.search(item).group(1)
    item = item.split("]]", 1)[0]
    item = _TEMPLATE.sub("", item)
    item = _CITATION.sub("", item)
    item = _EMPHASIS.sub("", item)
    return _SPACES.sub(" ", item).strip()


def _separators(item: str) -> Iterable[tuple[int, str]]:
    """(position, separator) of each ", " and ": " outside parentheses, left to right."""
    depth = 0
    for i, ch in enumerate(item):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",:" and item[i + 1:i + 2] == " ":
            yield i, ch + " "


def _is_description(head: str, tail: str, sep: str, is_list: bool) -> bool:
    """Whether ``tail`` (what follows ``sep`` up to the next separator) describes ``head``."""
    words = _WORD.findall(tail)
    if not words:
        return True  # "Title, " — nothing follows: cut the separator
    if _YEARS.fullmatch(tail):
        return False  # "…, 1901–1904": part of the title
    starts_lower = words[0][0].islower()
    if words[0].lower() == head.split(" ", 1)[0].lower():
        return False  # a parallel phrase: "Release early, release often"
    if is_list and sep == ", ":
        return words[0].lower() in ("a", "an", "the")
    if starts_lower:
        enumeration = len(words) <= 4 and any(w in ("and", "or") for w in words)
        return not enumeration
    if sep != ", ":
        return False
    content = [w for w in words if w[0].islower() and w.lower() not in FUNCTION_WORDS]
    return len(words) >= 3 and len(content) >= 2


def item_title(item: str, titles: Collection[str] = ()) -> str:
    """The title a See-also ``item`` names, by the rule of the module docstring.

    item: one See-also item as the article file holds it. titles: the page titles of the
    source (a set; rule 1), or empty. Returns the cleaned title, possibly ``""`` when nothing
    is left (the reader then rejects it). ``item_title("Fabian Society, a British socialist
    society")`` → ``"Fabian Society"``.

    Taught in: book/02_anchor_graphs.ipynb
    """
    if item in titles:
        return item
    text = _remove_markup(item)
    if text in titles:
        return text
    is_list = text.startswith(("List of ", "Lists of "))
    seps = list(_separators(text))
    for (pos, sep), (end, _) in zip(seps, seps[1:] + [(len(text), "")]):
        tail = text[pos + len(sep):]
        if tail.startswith("see "):  # "For more about X, see Y" names Y
            return item_title(tail[4:], titles)
        if _is_description(text, text[pos + len(sep):end], sep, is_list):
            text = text[:pos]
            break
    text = text.rstrip(_STRIP)
    if _ABBREVIATION_END.search(text):
        text += "."
    return text


@dataclass
class CleaningReport:
    """What :func:`clean_see_also` changed. items / changed: distinct raw items and how many of
    them the rule rewrote; changes: {raw item: title} for every rewritten item."""

    items: int = 0
    changed: int = 0
    changes: dict = field(default_factory=dict)


def clean_see_also(see_also_lists: Iterable[list[str]], titles: Collection[str]
                   ) -> tuple[list[list[str]], CleaningReport]:
    """Apply :func:`item_title` to every item of every list (each distinct item once).

    see_also_lists: one list of raw items per article; titles: the source's page titles (a
    set). Returns (the lists with items replaced by titles, empty results dropped, duplicates
    within a list kept once in first position; a :class:`CleaningReport`).
    """
    titles = titles if isinstance(titles, (set, frozenset)) else set(titles)
    memo: dict[str, str] = {}
    out = []
    for items in see_also_lists:
        cleaned = []
        for raw in items:
            if raw not in memo:
                memo[raw] = item_title(raw, titles)
            cleaned.append(memo[raw])
        out.append(list(dict.fromkeys(t for t in cleaned if t)))
    changes = {raw: t for raw, t in memo.items() if t != raw}
    return out, CleaningReport(items=len(memo), changed=len(changes), changes=changes)
