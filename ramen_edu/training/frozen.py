"""Partial fine-tuning: train only the top layers, compute the frozen ones once per text.

Fine-tuning a pre-trained encoder on a 2-core CPU is slow: a MiniLM step of 64 (document, label)
pairs runs six transformer layers forward and backward and updates 22 M parameters, half of them
the word-embedding table. When only the top ``k`` layers train, everything below them — the
embeddings and the lower ``L − k`` layers — is a fixed function of the text. So each distinct
text (every document, label and anchor of the training pools) goes through the frozen part
*once*, before training, and a step runs only the top ``k`` layers on those stored states:

    text ──(embeddings + layers 1..L−k, frozen, once)──► h ──(layers L−k+1..L, trained)──► pool ──► e

The stored states are exact (the frozen part never changes), so a step computes the same
function as the whole encoder with those layers frozen; the only difference from full
fine-tuning with frozen layers is dropout, which the cache computes without (eval mode).
Pruning, re-clustering and the bandit's validation reward embed the same pools, and read the
same states: re-embedding 60 K anchors costs ``k / L`` of a full pass.

Memory is proportional to the data: states are stored ragged (only real tokens, no padding),
float32, ``Σ tokens × D`` — 0.9 GB for the Wikipedia benchmark's 73 K titles with MiniLM.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ramen_edu.encoders import mean_pool
from ramen_edu.training.tokens import TokenPool, gather_tokens

__all__ = ["LayerSplit", "HiddenCache", "transformer_layers"]


def transformer_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The stack of transformer layers of a BERT-style Hugging Face model (``model.encoder.layer``:
    BERT, MiniLM, RoBERTa, MPNet) or DistilBERT (``model.transformer.layer``)."""
    for path in (("encoder", "layer"), ("transformer", "layer")):
        obj = model
        for name in path:
            obj = getattr(obj, name, None)
        if isinstance(obj, torch.nn.ModuleList):
            return obj
    raise ValueError(f"TrainConfig.train_layers needs a BERT-style encoder (model.encoder.layer); "
                     f"{type(model).__name__} has none: use train_layers=None (train every layer)")


class LayerSplit:
    """An encoder cut into a frozen lower part and a trained upper part of ``train_layers`` layers.

    Freezes (``requires_grad=False``) the embeddings and the lower ``L − train_layers`` layers of
    ``encoder.model`` in place. ``lower(ids, mask)`` -> (R, T, D) states after the frozen part;
    ``upper(states, mask)`` -> (R, D) unit vectors, what ``encoder(ids, mask)`` returns.
    """

    def __init__(self, encoder, train_layers: int) -> None:
        model = encoder.model
        self.layers = transformer_layers(model)
        n = len(self.layers)
        if not 1 <= train_layers <= n:
            raise ValueError(f"TrainConfig.train_layers={train_layers}, but encoder {encoder.name!r} has "
                             f"{n} layers: use 1..{n}, or None to train every layer and the embeddings")
        self.encoder, self.model, self.cut = encoder, model, n - train_layers
        frozen = [model.embeddings, *self.layers[:self.cut]]
        for module in frozen:
            for p in module.parameters():
                p.requires_grad_(False)

    def _mask(self, mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        # the additive (R, 1, 1, T) mask every attention implementation (eager, sdpa) accepts:
        # 0 on real tokens, the dtype's minimum on padding
        return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min

    def _run(self, layers, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        extended = self._mask(mask, hidden.dtype)
        for layer in layers:
            out = layer(hidden, attention_mask=extended)
            hidden = out[0] if isinstance(out, tuple) else out  # transformers 4 returns tuples
        return hidden

    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(R, T) ids, mask -> (R, T, D) states after the embeddings and the frozen layers."""
        hidden = self.model.embeddings(input_ids=input_ids)
        return self._run(self.layers[:self.cut], hidden, attention_mask)

    def upper(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(R, T, D) frozen states, (R, T) mask -> (R, D) unit vectors (differentiable)."""
        hidden = self._run(self.layers[self.cut:], hidden, attention_mask)
        return F.normalize(mean_pool(hidden, attention_mask).float(), dim=-1)


class HiddenCache:
    """The frozen part's output for every text of a :class:`TokenPool`, stored ragged.

    ``values`` (Σ lengths, D) float32 holds the real tokens of text i at rows
    ``offsets[i] : offsets[i] + lengths[i]``. Computed once in eval mode (no dropout), in
    length-sorted batches of ``batch_size`` texts so each batch pads only to its own longest.
    """

    def __init__(self, pool: TokenPool, split: LayerSplit, *, batch_size: int = 512,
                 device: torch.device | str = "cpu") -> None:
        self.lengths = pool.lengths  # the pool's own (N,) vector: never written, so not copied
        self.offsets = torch.zeros(len(pool) + 1, dtype=torch.int64)
        torch.cumsum(self.lengths, 0, out=self.offsets[1:])
        dim = int(split.model.config.hidden_size)
        self.values = torch.empty((int(self.offsets[-1]), dim), dtype=torch.float32)
        order = torch.argsort(self.lengths, stable=True)
        was_training = split.model.training
        split.model.eval()
        with torch.inference_mode():
            for start in range(0, len(pool), batch_size):
                rows = order[start:start + batch_size]
                ids, mask = gather_tokens(pool, rows, device)
                states = split.lower(ids, mask).float().cpu()
                keep = mask.bool().cpu()
                # row-major boolean indexing lists each text's tokens in order; place them at its offset
                target = (self.offsets[rows][:, None] + torch.arange(ids.shape[1])[None, :])[keep]
                self.values[target] = states[keep]
        split.model.train(was_training)

    def __len__(self) -> int:
        return len(self.lengths)

    def gather(self, rows: torch.Tensor, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """States and mask of some texts: rows (R,) -> (R, W, D) float32, (R, W) int64, W = the
        longest of these texts. Padding slots repeat a real state (finite; the mask hides them)."""
        lengths = self.lengths[rows]
        width = max(int(lengths.max()) if len(lengths) else 1, 1)
        slot = torch.arange(width)[None, :]
        mask = slot < lengths[:, None]
        index = self.offsets[rows][:, None] + torch.minimum(slot, (lengths[:, None] - 1).clamp(min=0))
        return self.values[index].to(device), mask.long().to(device)
