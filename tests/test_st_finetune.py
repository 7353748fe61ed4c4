"""The sentence-transformers fine-tune baseline: the pairs it trains on, and a real (tiny) run
through SentenceTransformerTrainer that changes the encoder and is scored by our evaluation."""
from __future__ import annotations

import numpy as np
import pytest

from ramen_edu.baselines.st_finetune import STConfig, st_finetune, training_pairs


def test_pairs_are_every_training_positive_but_the_validation_slice(tiny_world):
    from ramen_edu.data.validation import validation_split

    docs, labels = training_pairs(tiny_world, val_fraction=0.1, seed=3)
    rows, kept = validation_split(tiny_world.train_y, 0.1, 3)
    assert len(docs) == len(labels) == kept.nnz < tiny_world.train_y.nnz
    assert kept[rows].nnz == 0                       # the slice never trains
    coo = kept.tocoo()
    want = sorted(zip(np.asarray(tiny_world.train_texts, dtype=object)[coo.row],
                      np.asarray(tiny_world.label_texts, dtype=object)[coo.col]))
    assert sorted(zip(docs, labels)) == want


@pytest.mark.parametrize("field, value", [("epochs", 0), ("lr", 0.0), ("warmup_ratio", 1.0),
                                          ("batch_size", 1.5), ("val_fraction", -0.1)])
def test_bad_settings_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"STConfig.{field}"):
        STConfig(**{field: value})


def test_a_tiny_fine_tune_runs_through_sentence_transformers(tiny_world, tiny_encoder, tmp_path):
    pytest.importorskip("datasets", reason="the [st] extra (datasets) is not installed")
    from ramen_edu.evaluation import evaluate_retrieval  # noqa: F401  (the path it is scored by)
    from ramen_edu.experiments.comparison import per_document_scores

    base = tmp_path / "tiny"
    tiny_encoder.model.save_pretrained(base)
    tiny_encoder.tokenizer.save_pretrained(base)
    cfg = STConfig(epochs=1, batch_size=16, lr=1e-3, model=str(base), max_length=16)
    model = st_finetune(tiny_world, tmp_path / "run", cfg, seed=0)
    assert (tmp_path / "run" / "model" / "modules.json").is_file()
    before = tiny_encoder.embed(tiny_world.label_texts[:8])
    after = model.encoder.embed(tiny_world.label_texts[:8])
    assert after.shape == before.shape and not np.allclose(after, before, atol=1e-4)
    assert np.allclose(np.linalg.norm(after, axis=1), 1, atol=1e-5)
    scores = per_document_scores(model, tiny_world)
    assert scores["P@1"].shape == (tiny_world.n_test,) and np.isfinite(scores["P@1"]).all()
