"""Saved model folders: every model type round-trips through its own loader, the wrong loader
says which one to use, and a save killed between two files leaves the previous model loadable."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from ramen_edu.baselines import TwoStageModel, gcn_overrides, train_two_stage
from ramen_edu.encoders import Encoder
from ramen_edu.training import RamenModel, TrainConfig

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def two_stage(tiny_world):
    config = TrainConfig(encoder="tiny-random", epochs=1, batch_size=64, lr=2e-3, prune_warmup=1, prune_every=1,
                         cluster_refresh=1, cluster_doubling=2, bandit=False, eval_docs=0, embed_batch_size=128,
                         **gcn_overrides("topic"))
    return train_two_stage(tiny_world, config, anchor_set="topic", k=3, progress=False)


def test_a_plain_model_round_trips(tiny_world, tmp_path):
    model = RamenModel(Encoder.tiny_random(seed=1), tiny_world.label_texts)
    loaded = RamenModel.load(model.save(tmp_path / "model"))
    texts = tiny_world.test_texts[:10]
    np.testing.assert_array_equal(loaded.query_embeddings(texts), model.query_embeddings(texts))
    assert loaded.predict(texts, k=3) == model.predict(texts, k=3)
    assert json.loads((tmp_path / "model" / "ramen_model.json").read_text())["type"] == "RamenModel"


def test_the_two_stage_model_round_trips(two_stage, tiny_world, tmp_path):
    loaded = TwoStageModel.load(two_stage.save(tmp_path / "gcn"))
    assert isinstance(loaded, TwoStageModel)
    assert (loaded.anchor_set, loaded.k, loaded.head.mode) == ("topic", 3, two_stage.head.mode)
    texts = tiny_world.test_texts[:20]
    np.testing.assert_allclose(loaded.query_embeddings(texts), two_stage.query_embeddings(texts), atol=1e-6)
    assert loaded.predict(texts, k=3) == two_stage.predict(texts, k=3)
    # a loaded model takes another linker like a trained one
    oracle = loaded.with_linker("oracle", tiny_world)
    assert oracle.evaluate(tiny_world, docs=20)["P@1"] == pytest.approx(
        two_stage.with_linker("oracle", tiny_world).evaluate(tiny_world, docs=20)["P@1"])


def test_the_wrong_loader_names_the_right_one(two_stage, tiny_world, tmp_path):
    gcn = two_stage.save(tmp_path / "gcn")
    with pytest.raises(ValueError, match=r"holds a saved TwoStageModel .*load it with ramen_edu.baselines.TwoStageModel.load"):
        RamenModel.load(gcn)
    plain = RamenModel(Encoder.tiny_random(seed=0), tiny_world.label_texts).save(tmp_path / "plain")
    with pytest.raises(ValueError, match=r"holds a saved RamenModel .*load it with ramen_edu.training.RamenModel.load"):
        TwoStageModel.load(plain)


def test_a_folder_of_the_first_format_still_loads_as_a_plain_model(tiny_world, tmp_path):
    folder = RamenModel(Encoder.tiny_random(seed=0), tiny_world.label_texts).save(tmp_path / "model")
    meta = json.loads((folder / "ramen_model.json").read_text())
    for key in ("type", "loader"):
        del meta[key]
    (folder / "ramen_model.json").write_text(json.dumps({**meta, "format": 1}))
    assert type(RamenModel.load(folder)) is RamenModel


# --------------------------------------------------------------------------- a kill during save
KILLED_SAVE = textwrap.dedent("""
    import os, pathlib, sys
    from ramen_edu.encoders import Encoder
    from ramen_edu.training import RamenModel
    from ramen_edu.training import model as model_module

    folder, kill_at = sys.argv[1], sys.argv[2]
    labels = [f"label {i}" for i in range(12)]
    new = RamenModel(Encoder.tiny_random(seed=2), labels)
    real_save_file = model_module.save_file

    def save_file(tensors, path):  # the label embeddings: after the encoder, before the JSON files
        if kill_at == "label embeddings":
            os.kill(os.getpid(), 9)
        real_save_file(tensors, path)

    model_module.save_file = save_file
    real_write_text = pathlib.Path.write_text

    def write_text(self, *args, **kwargs):  # labels.json, then (last) ramen_model.json
        if kill_at == self.name:
            os.kill(os.getpid(), 9)
        return real_write_text(self, *args, **kwargs)

    pathlib.Path.write_text = write_text
    new.save(folder)
""")


@pytest.mark.parametrize("kill_at", ["labels.json", "label embeddings", "ramen_model.json"])
def test_a_save_killed_between_files_leaves_the_previous_model(tmp_path, kill_at):
    labels = [f"label {i}" for i in range(12)]
    old = RamenModel(Encoder.tiny_random(seed=1), labels)
    folder = old.save(tmp_path / "model")
    done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(folder), kill_at],
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True)
    assert done.returncode == -9, done.stderr
    loaded = RamenModel.load(folder)
    np.testing.assert_array_equal(loaded.label_embeddings(), old.label_embeddings())
    np.testing.assert_array_equal(loaded.query_embeddings(["a text"]), old.query_embeddings(["a text"]))
    # the next save clears what the killed one left, and writes the new model whole
    new = RamenModel(Encoder.tiny_random(seed=2), labels)
    new.save(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    np.testing.assert_array_equal(RamenModel.load(folder).label_embeddings(), new.label_embeddings())


def test_a_kill_between_the_two_renames_says_where_the_model_is(tmp_path):
    from ramen_edu.runinfo import REPLACED_SUFFIX

    folder = RamenModel(Encoder.tiny_random(seed=1), ["a", "b"]).save(tmp_path / "model")
    folder.rename(tmp_path / f".model{REPLACED_SUFFIX}")  # the state between the renames
    with pytest.raises(FileNotFoundError, match=rf"previous one is complete in .*\.model{REPLACED_SUFFIX}"):
        RamenModel.load(folder)
