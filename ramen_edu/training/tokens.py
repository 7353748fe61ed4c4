"""Texts tokenized once, so a training step only gathers rows of integer tensors.

A RAMEN step encodes documents, labels and the anchors of every anchor set together (6 × B texts
with two anchor sets). Tokenizing them again at every step would cost as much as a small encoder's
forward pass on the CPU, so each pool of texts (documents, labels, one per anchor set) is
tokenized once into a padded (N, max_length) int32 matrix and a length vector; a step gathers
the rows it needs and cuts the padding to the longest text of that step.

A step's rows repeat: several documents sample the same positive label, and anchors are shared by
many documents and labels (on the synthetic world about half of the anchor rows of a batch are
repeats). :func:`unique_rows` lists each distinct row of a pool once over all the row lists that
read it; the step encodes those and indexes the embeddings back (autograd sums the gradients of
the copies into the shared row), so the losses see exactly the embeddings they saw before.
"""
from __future__ import annotations

import numpy as np
import torch


class TokenPool:
    """One pool of texts as token ids: ``ids`` int32 (N, T), ``lengths`` int64 (N,)."""

    def __init__(self, texts: list[str], tokenizer, max_length: int, *, chunk: int = 65536) -> None:
        self.n = len(texts)
        self.ids = torch.zeros((self.n, max_length), dtype=torch.int32)
        self.lengths = torch.zeros(self.n, dtype=torch.int64)
        pad = tokenizer.pad_token_id or 0
        if pad:
            self.ids.fill_(pad)
        # chunks bound the tokenizer's temporary Python lists on large pools
        for start in range(0, self.n, chunk):
            batch = tokenizer(list(texts[start:start + chunk]), truncation=True, max_length=max_length,
                              padding="max_length", return_tensors="np", return_attention_mask=True)
            self.ids[start:start + len(batch["input_ids"])] = torch.from_numpy(
                batch["input_ids"].astype(np.int32))
            self.lengths[start:start + len(batch["input_ids"])] = torch.from_numpy(
                batch["attention_mask"].sum(axis=1).astype(np.int64))
        self.pad_id = pad

    def __len__(self) -> int:
        return self.n


def gather_tokens(pool: TokenPool, rows: torch.Tensor,
                  device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of a pool as one padded batch: input_ids, attention_mask (R, T) int64, T = the
    longest text among these rows (not the pool's max_length)."""
    lengths = pool.lengths[rows]
    width = max(int(lengths.max()) if len(lengths) else 1, 1)
    ids = pool.ids[rows, :width].long()
    mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
    return ids.to(device), mask.to(device)


def unique_rows(groups: list[torch.Tensor]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The distinct rows of one pool over several row lists, and each list's index into them.

    groups: 1-D int64 row lists of the same pool (e.g. the document-side and the label-side
    anchors of one anchor set). Returns ``unique`` (U,) sorted and, per group, ``inverse`` with
    ``unique[inverse] == group``: encode ``unique`` once, then ``emb[inverse]`` is each group's
    embedding matrix, and backward adds the gradient of every copy into its shared row.
    """
    if not groups:
        return torch.zeros(0, dtype=torch.int64), []
    unique, inverse = torch.unique(torch.cat(groups), sorted=True, return_inverse=True)
    return unique, list(torch.split(inverse, [len(g) for g in groups]))


def length_sorted(unique: torch.Tensor, inverses: list[torch.Tensor], lengths: torch.Tensor,
                  bucket: int) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """Reorder one part's distinct rows by text length and cut them into buckets of ``bucket`` rows.

    unique (U,), inverses: as :func:`unique_rows` returns them; lengths: the pool's (N,) token
    counts. Returns (unique reordered, inverses pointing into it, the buckets (views of it, in
    order)). Encoding bucket by bucket pads each to its own longest text: a step's anchors are
    6 tokens on average but padded to their longest (up to 32), so one padded block does twice
    the work of the real tokens, four buckets about 1.3 times.
    """
    order = torch.argsort(lengths[unique], stable=True)
    position = torch.empty_like(order)
    position[order] = torch.arange(len(order))
    unique = unique[order]
    return unique, [position[inv] for inv in inverses], list(torch.split(unique, bucket))


class PartsEncoder(torch.nn.Module):
    """Runs the encoder once per part (documents, labels, anchors of each set) in ONE forward.

    Each part is padded only to its own longest text — labels and anchors are much shorter than
    documents, and one batch padded to the longest document wastes up to a third of the compute
    on a real encoder. Being a single module call keeps DistributedDataParallel's one-forward,
    one-backward contract. The trainer passes each part's distinct rows only
    (:func:`unique_rows`) and expands the output by index outside this module.

    split: None — parts are (input_ids, attention_mask) and run through the whole encoder; a
    :class:`~ramen_edu.training.frozen.LayerSplit` — parts are (frozen states (R, T, D), mask)
    from a :class:`~ramen_edu.training.frozen.HiddenCache` and run through the trained top layers.
    """

    def __init__(self, encoder: torch.nn.Module, split=None) -> None:
        super().__init__()
        self.encoder = encoder
        self.split = split

    def forward(self, parts: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """parts: [(input_ids or states, attention_mask), ...] -> (Σ rows, D) unit vectors, in order."""
        run = self.encoder if self.split is None else self.split.upper
        return torch.cat([run(i, m) for i, m in parts if len(i)]
                         or [torch.zeros(0, device=parts[0][0].device)])
