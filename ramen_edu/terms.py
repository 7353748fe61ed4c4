"""The terms of the RAMEN objective λ_l·L + Σ_t (λ_x^t·R_x^t + λ_z^t·R_z^t), typed.

A term is written as a string wherever it is a key people read or store — λ dicts, run records,
``bandit_history``, the loss columns of the logs: ``"doc_label"`` (L), ``"doc_anchor:<set>"``
(R_x^t, documents ↔ anchors of set t) and ``"label_anchor:<set>"`` (R_z^t, labels ↔ anchors).
Code that needs to know which side a term is on or which anchor set it names asks
:meth:`Term.parse` (the one parser of that string) instead of splitting it. Pure Python: the
batch sampler (numpy) and the losses (torch) both use it.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Term", "SIDES", "ANCHOR_SIDES", "DOC_LABEL"]

DOC_LABEL = "doc_label"
#: the regularizers' sides: which embeddings are pulled towards the anchors
ANCHOR_SIDES = ("doc_anchor", "label_anchor")
SIDES = (DOC_LABEL, *ANCHOR_SIDES)


@dataclass(frozen=True)
class Term:
    """One objective term: ``side`` ∈ SIDES and, for a regularizer, its ``anchor_set``.

    ``str(term)`` is the term's name as stored everywhere ("doc_label", "doc_anchor:category");
    ``Term.parse(str(term)) == term``.
    """

    side: str
    anchor_set: str | None = None

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"loss term side {self.side!r} is not one of {', '.join(map(repr, SIDES))}")
        if (self.side == DOC_LABEL) != (self.anchor_set is None) or self.anchor_set == "":
            raise ValueError(f"loss term {self.side!r}: 'doc_label' takes no anchor set, "
                             f"'doc_anchor'/'label_anchor' need one (got {self.anchor_set!r})")

    def __str__(self) -> str:
        return self.side if self.anchor_set is None else f"{self.side}:{self.anchor_set}"

    @property
    def is_regularizer(self) -> bool:
        """True for R_x^t and R_z^t (the terms the graphs feed), False for L."""
        return self.anchor_set is not None

    @classmethod
    def parse(cls, name: str | Term) -> Term:
        """The term a name stands for: "doc_label", "doc_anchor:<set>" or "label_anchor:<set>"
        (a Term is returned as is). ValueError, naming the three forms, for anything else."""
        if isinstance(name, Term):
            return name
        side, colon, anchor_set = str(name).partition(":")
        try:
            return cls(side, anchor_set if colon else None)
        except ValueError:
            raise ValueError(f"loss term {name!r} is not one of 'doc_label', 'doc_anchor:<set>', "
                             f"'label_anchor:<set>'") from None
