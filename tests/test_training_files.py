"""What training writes and reads back: damaged files say which file and what to do, writes are
atomic (a crash keeps the previous file), and a model refuses a dataset with other labels.
"""
from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
import torch

from ramen_edu.encoders import Encoder
from ramen_edu.training import RamenModel, TrainConfig, Trainer, train
from ramen_edu.training.checkpoint import CHECKPOINT_FILE

torch.set_num_threads(1)


def tiny_config(**overrides) -> TrainConfig:
    base = dict(encoder="tiny-random", epochs=2, batch_size=64, lr=2e-3, prune_warmup=1, prune_every=1,
                cluster_refresh=1, cluster_doubling=2, bandit=False, eval_docs=0, embed_batch_size=128)
    return TrainConfig(**{**base, **overrides})


@pytest.fixture()
def saved_model(tiny_world, tmp_path):
    """An untrained model saved as a folder (the format is what matters here, not the weights)."""
    return RamenModel(Encoder.tiny_random(seed=0), tiny_world.label_texts).save(tmp_path / "model")


# --------------------------------------------------------------------------- damaged model folders
def _truncate(path, keep=40):
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize("damage,file", [
    (lambda d: (d / "ramen_model.json").write_text('{"format": 1, "config": '), "ramen_model.json"),
    (lambda d: (d / "ramen_model.json").write_text("[]"), "ramen_model.json"),
    (lambda d: (d / "labels.json").write_text('["a", "b"'), "labels.json"),
    (lambda d: (d / "labels.json").write_text('{"a": 1}'), "labels.json"),
    (lambda d: _truncate(d / "label_embeddings.safetensors"), "label_embeddings.safetensors"),
    (lambda d: _truncate(d / "encoder" / "model.safetensors"), "model.safetensors"),
    (lambda d: (d / "encoder" / "ramen_encoder.json").write_text("{}"), "ramen_encoder.json"),
    (lambda d: (d / "encoder" / "ramen_encoder.json").write_text("{oops"), "ramen_encoder.json"),
])
def test_a_damaged_model_folder_names_the_file_and_the_fix(saved_model, damage, file):
    damage(saved_model)
    with pytest.raises(ValueError) as info:
        RamenModel.load(saved_model)
    message = str(info.value)
    assert file in message and "retrain" in message and "re-save" in message, message


def test_label_embeddings_of_another_size_name_the_file(saved_model):
    from safetensors.numpy import save_file

    save_file({"label_embeddings": np.zeros((3, 32), np.float32)}, saved_model / "label_embeddings.safetensors")
    with pytest.raises(ValueError, match="label_embeddings.safetensors.*retrain.*re-save"):
        RamenModel.load(saved_model)


# --------------------------------------------------------------------------- damaged checkpoints
@pytest.mark.parametrize("content", [{}, {"format": 1}, [1, 2], {"format": 1, "config": {}, "epoch": 1}])
def test_a_foreign_checkpoint_names_the_file_and_the_fix(tiny_world, tmp_path, content):
    torch.save(content, tmp_path / CHECKPOINT_FILE)
    with pytest.raises(ValueError) as info:
        Trainer(tiny_world, tiny_config(), run_dir=tmp_path, resume=True, progress=False)
    message = str(info.value)
    assert CHECKPOINT_FILE in message and "without --resume" in message, message


# --------------------------------------------------------------------------- label fingerprints
def test_a_dataset_with_other_label_texts_is_refused(tiny_world, saved_model):
    reversed_labels = dataclasses.replace(tiny_world, label_texts=list(reversed(tiny_world.label_texts)))
    assert reversed_labels.n_labels == tiny_world.n_labels
    in_memory = RamenModel(Encoder.tiny_random(seed=0), tiny_world.label_texts)
    for model in (in_memory, RamenModel.load(saved_model)):
        with pytest.raises(ValueError) as info:
            model.evaluate(reversed_labels, docs=5)
        message = str(info.value)
        assert "fingerprint" in message and "tiny-world" in message, message
        with pytest.raises(ValueError, match="fingerprint"):
            model.retrieve_test(reversed_labels, docs=5)
        model.evaluate(tiny_world, docs=5)  # the right labels pass


def test_the_fingerprint_is_saved_and_checked_against_labels_json(tiny_world, saved_model):
    from ramen_edu.training.model import label_fingerprint

    meta = json.loads((saved_model / "ramen_model.json").read_text())
    assert meta["label_fingerprint"] == label_fingerprint(tiny_world.label_texts)
    assert RamenModel.load(saved_model).label_fingerprint == meta["label_fingerprint"]
    (saved_model / "labels.json").write_text(json.dumps(list(reversed(tiny_world.label_texts))))
    with pytest.raises(ValueError, match="labels.json.*fingerprint"):
        RamenModel.load(saved_model)


def test_an_old_model_folder_without_a_fingerprint_warns_once(tiny_world, saved_model):
    meta_file = saved_model / "ramen_model.json"
    meta = json.loads(meta_file.read_text())
    del meta["label_fingerprint"]
    meta_file.write_text(json.dumps(meta))
    model = RamenModel.load(saved_model)
    reversed_labels = dataclasses.replace(tiny_world, label_texts=list(reversed(tiny_world.label_texts)))
    with pytest.warns(UserWarning, match="fingerprint") as caught:
        model.evaluate(tiny_world, docs=5)
        model.evaluate(reversed_labels, docs=5)  # cannot be checked: still scored
    assert len([w for w in caught if "fingerprint" in str(w.message)]) == 1


# --------------------------------------------------------------------------- atomic writes
def test_atomic_write_replaces_whole_files_and_fsyncs(tmp_path, monkeypatch):
    from ramen_edu.runinfo import atomic_write_bytes, atomic_write_text

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    target = tmp_path / "LATEST"
    atomic_write_text(target, "first")
    atomic_write_bytes(target, b"second")
    assert target.read_text() == "second" and synced
    assert [p.name for p in tmp_path.iterdir()] == ["LATEST"]  # no temp file left behind


def test_a_crash_during_a_write_keeps_the_previous_file(tmp_path, monkeypatch):
    from ramen_edu.runinfo import atomic_write_text

    target = tmp_path / "run.json"
    atomic_write_text(target, '{"epochs_done": 1}')

    def crash(src, dst):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        atomic_write_text(target, '{"epochs_done": 2}')
    assert target.read_text() == '{"epochs_done": 1}'


def test_a_crash_while_the_trainer_writes_keeps_checkpoint_and_record(tiny_world, tmp_path, monkeypatch):
    train(tiny_world, tiny_config(), run_dir=tmp_path, stop_after=1, progress=False)
    record_before = (tmp_path / "run.json").read_text()
    checkpoint_before = (tmp_path / CHECKPOINT_FILE).read_bytes()
    trainer = Trainer(tiny_world, tiny_config(), run_dir=tmp_path, resume=True, progress=False)
    trainer.run_epoch()

    def crash(src, dst):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        trainer.write_record()
    with pytest.raises(OSError, match="simulated"):
        trainer.save_checkpoint()
    assert (tmp_path / "run.json").read_text() == record_before
    assert (tmp_path / CHECKPOINT_FILE).read_bytes() == checkpoint_before


def test_stale_temp_files_of_a_crashed_run_are_removed(tiny_world, tmp_path):
    train(tiny_world, tiny_config(), run_dir=tmp_path, stop_after=1, progress=False)
    stale = [tmp_path / "checkpoint.pt.tmp", tmp_path / "run.json.x1y2.tmp"]
    for path in stale:
        path.write_bytes(b"half a file")
    Trainer(tiny_world, tiny_config(), run_dir=tmp_path, resume=True, progress=False)
    assert not any(p.exists() for p in stale)
    for path in stale:
        path.write_bytes(b"half a file")
    Trainer(tiny_world, tiny_config(), run_dir=tmp_path / "fresh", progress=False)  # another folder: untouched
    assert all(p.exists() for p in stale)
    Trainer(tiny_world, tiny_config(), run_dir=tmp_path, progress=False)  # a new run in the folder
    assert not any(p.exists() for p in stale)


def test_the_run_record_is_written_by_one_writer_with_extra_facts(tiny_world, tmp_path):
    trainer = Trainer(tiny_world, tiny_config(epochs=1), run_dir=tmp_path, progress=False)
    trainer.fit()
    trainer.write_record(extra={"dataset_source": "tiny", "test_metrics": {"P@1": np.float32(0.5)}})
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["dataset_source"] == "tiny" and record["test_metrics"] == {"P@1": 0.5}
    assert record["epochs_done"] == 1
