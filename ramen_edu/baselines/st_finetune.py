"""The baseline a practitioner would run instead of RAMEN: a sentence-transformers fine-tune.

Someone with (document, label) pairs and a pre-trained sentence encoder does not write a
triplet-loss trainer: they call sentence-transformers' ``SentenceTransformerTrainer`` with
``MultipleNegativesRankingLoss`` (in-batch softmax over cosines, scale 20 — a temperature of
0.05, not a margin hinge) and its documented defaults. This module does exactly that, on the
same training pairs RAMEN sees (the validation slice held out, as for every method), and hands
the result to the project's evaluation path as a :class:`~ramen_edu.training.RamenModel`, so it
is scored like every other row (same retrieval, same filters, same per-document scores).

Choices, each the library's default or its documentation's advice:

* pairs: one ``(document text, label text)`` per positive of a training document;
* loss: ``MultipleNegativesRankingLoss(model)`` (scale 20, cosine);
* batches: ``BatchSamplers.NO_DUPLICATES`` — the docs' advice for in-batch-negative losses
  (two pairs with the same label in a batch would make a true label a negative);
* optimiser: the trainer's AdamW, linear decay, ``warmup_ratio`` 0.1, ``lr`` 5e-5 (the docs'
  range is 2e-5 … 5e-5), fp32 on the CPU;
* ``max_seq_length`` = the dataset's (32 for titles), like our encoder.

The model is all-MiniLM-L6-v2 as bundled (offline) unless ``model`` names another
sentence-transformers model or path. Its pipeline (transformer, mean pooling, L2 normalisation)
is what :class:`~ramen_edu.encoders.Encoder` computes, so the saved model is loaded back with
``Encoder.from_pretrained`` and scores are cosines as everywhere in the book.

Taught in: book/04_training.ipynb
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ramen_edu.data.validation import validation_split
from ramen_edu.runinfo import MODEL_DIR

__all__ = ["STConfig", "require_st", "st_finetune", "training_pairs"]


@dataclasses.dataclass(frozen=True)
class STConfig:
    """Settings of the sentence-transformers fine-tune (see the module docstring).

    epochs, batch_size, lr, warmup_ratio: as ``SentenceTransformerTrainingArguments`` names them.
    max_length: tokens per text. val_fraction: the validation slice held out of training (the
    same rows every method holds out: ``validation_split(train_y, val_fraction, seed)``).
    model: None = the bundled all-MiniLM-L6-v2, or a sentence-transformers name/path.
    """

    epochs: int = 1
    batch_size: int = 64
    lr: float = 5e-5
    warmup_ratio: float = 0.1
    max_length: int = 32
    val_fraction: float = 0.05
    model: str | None = None

    def __post_init__(self):
        for name in ("epochs", "batch_size", "max_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"STConfig.{name} must be a positive integer, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"STConfig.lr must be > 0 (the docs use 2e-5 … 5e-5), got {self.lr!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"STConfig.warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"STConfig.val_fraction must be in [0, 1), got {self.val_fraction!r}")


def training_pairs(dataset, *, val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(documents, labels): one text pair per positive (document, label) of the training split,
    validation slice left out. Vectorised over the sparse label matrix: (P,) lists of str."""
    _, train_y = validation_split(dataset.train_y, val_fraction, seed)
    coo = train_y.tocoo()
    order = np.lexsort((coo.col, coo.row))  # document-major, as the label file lists them
    rows, cols = coo.row[order], coo.col[order]
    docs = np.asarray(dataset.train_texts, dtype=object)[rows]
    labels = np.asarray(dataset.label_texts, dtype=object)[cols]
    return list(docs), list(labels)


def require_st() -> SimpleNamespace:
    """Import what the fine-tune needs (sentence-transformers, datasets, accelerate), or raise
    ImportError naming the extra to install — callers check this before hours of other work
    (``ramen-edu ablate`` does, when its "ST fine-tune" row is asked for).

    Returns the pieces ``st_finetune`` uses, by name.
    """
    try:
        import accelerate  # noqa: F401  (the Hugging Face Trainer under ST needs it)
        import transformers
        from datasets import Dataset
        from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,
                                           SentenceTransformerTrainingArguments)
        try:  # sentence-transformers ≥ 6 moved these; older releases (Colab's) have the old paths
            from sentence_transformers.sentence_transformer.losses import (
                MultipleNegativesRankingLoss)
            from sentence_transformers.sentence_transformer.training_args import BatchSamplers
        except ImportError:
            from sentence_transformers.losses import MultipleNegativesRankingLoss
            from sentence_transformers.training_args import BatchSamplers
    except ImportError as err:
        raise ImportError(f"the ST fine-tune baseline needs sentence-transformers, datasets and "
                          f"accelerate ({err.name} is missing): pip install 'ramen-edu[st]'"
                          ) from None
    return SimpleNamespace(
        transformers=transformers, Dataset=Dataset, SentenceTransformer=SentenceTransformer,
        SentenceTransformerTrainer=SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments=SentenceTransformerTrainingArguments,
        MultipleNegativesRankingLoss=MultipleNegativesRankingLoss, BatchSamplers=BatchSamplers)


def st_finetune(dataset, out_dir, config: STConfig = STConfig(), *, seed: int = 0,
                progress: bool = False):
    """Fine-tune a sentence-transformers model on ``dataset``'s training pairs with
    ``MultipleNegativesRankingLoss`` and return it as a :class:`~ramen_edu.training.RamenModel`
    (label embeddings computed on first use). The model is saved to ``out_dir/model``.

    dataset: an :class:`~ramen_edu.data.dataset.XCDataset`; config: :class:`STConfig`; seed:
    the trainer's seed (order, dropout) and the validation slice's.
    Raises ImportError naming the extra to install when sentence-transformers or datasets is
    missing; ValueError when the training split has no (document, label) pair.
    Taught in: book/04_training.ipynb
    """
    st = require_st()

    from ramen_edu.encoders import Encoder, bundled_model_dir
    from ramen_edu.training import RamenModel

    docs, labels = training_pairs(dataset, val_fraction=config.val_fraction, seed=seed)
    if not docs:
        raise ValueError("the training split has no (document, label) pair to fine-tune on")
    out_dir = Path(out_dir)
    model_dir = out_dir / MODEL_DIR
    name = config.model or str(bundled_model_dir())
    model = st.SentenceTransformer(name)  # it picks the GPU when there is one
    model.max_seq_length = config.max_length
    # transformers 5 reads a float warmup_steps as the ratio and deprecates warmup_ratio
    warmup = ({"warmup_steps": float(config.warmup_ratio)}
              if int(st.transformers.__version__.split(".")[0]) >= 5
              else {"warmup_ratio": config.warmup_ratio})
    args = st.SentenceTransformerTrainingArguments(
        output_dir=str(out_dir / "trainer"), num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size, learning_rate=config.lr,
        seed=seed, data_seed=seed, **warmup,
        batch_sampler=st.BatchSamplers.NO_DUPLICATES, save_strategy="no", report_to="none",
        logging_strategy="no", disable_tqdm=not progress, dataloader_num_workers=0)
    trainer = st.SentenceTransformerTrainer(
        model=model, args=args, loss=st.MultipleNegativesRankingLoss(model),
        train_dataset=st.Dataset.from_dict({"anchor": docs, "positive": labels}))
    trainer.train()
    model.save(str(model_dir))
    encoder = Encoder.from_pretrained(model_dir, max_length=config.max_length)
    return RamenModel(encoder, list(dataset.label_texts))

