"""Issue 20's bad inputs: each gives one clear error (the file, field or argument, and the fix)
instead of a wrong answer or a traceback. Saved model folders and run folders have their own
files (test_saved_models.py, test_run_folders.py); the Wikipedia and archive cases are in the
tests of those modules.
"""
from __future__ import annotations

import json
import logging
import os
import shutil

import numpy as np
import pytest
import torch

from ramen_edu.cli import main
from ramen_edu.encoders import Encoder
from ramen_edu.training import RamenModel, TrainConfig, Trainer, train

torch.set_num_threads(1)


def tiny_config(**overrides) -> TrainConfig:
    base = dict(encoder="tiny-random", epochs=1, batch_size=64, lr=2e-3, prune_warmup=1, prune_every=1,
                cluster_refresh=1, cluster_doubling=2, bandit=False, eval_docs=0, embed_batch_size=128)
    return TrainConfig(**{**base, **overrides})


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    return Encoder.tiny_random(seed=0).save(tmp_path_factory.mktemp("enc") / "encoder")


@pytest.fixture()
def damaged(encoder_dir, tmp_path):
    """A fresh copy of the saved encoder folder, to damage."""
    return shutil.copytree(encoder_dir, tmp_path / "encoder")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def one_line_error(capsys, argv, code=1) -> str:
    """Run the CLI, expect exit ``code`` and stderr of one line; return it."""
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    if code == 1:
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# --------------------------------------------------------------------------- model folders
def test_a_model_folder_without_tokenizer_files_is_refused(damaged):
    # without them transformers builds a 5-token tokenizer: every word [UNK], wrong labels, exit 0
    for f in ("tokenizer.json", "tokenizer_config.json"):
        (damaged / f).unlink()
    with pytest.raises(ValueError, match="no tokenizer files.*tokenizer.json.*re-save"):
        Encoder.load(damaged)


def test_a_folder_without_tokenizer_config_alone_still_tokenizes(damaged, encoder_dir):
    # accepted on purpose: tokenizer.json holds the whole tokenizer (normaliser included)
    (damaged / "tokenizer_config.json").unlink()
    text = "Phylogenetics of the clade"
    assert Encoder.load(damaged).tokenizer(text)["input_ids"] == Encoder.load(encoder_dir).tokenizer(text)["input_ids"]


def test_a_pickled_weights_file_is_refused_without_unpickling(damaged, tmp_path):
    marker = tmp_path / "code-ran"

    class Payload:  # what a malicious pytorch_model.bin would carry
        def __reduce__(self):
            return (marker.write_text, ("yes",))

    (damaged / "model.safetensors").unlink()
    import pickle

    (damaged / "pytorch_model.bin").write_bytes(pickle.dumps({"weights": Payload()}))
    with pytest.raises(ValueError, match="pytorch_model.bin is a pickled weights file.*safetensors"):
        Encoder.load(damaged)
    assert not marker.exists()


def test_weights_that_do_not_fit_an_edited_hidden_size_are_named(damaged):
    config = json.loads((damaged / "config.json").read_text())
    config["hidden_size"] = 64
    (damaged / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="do not fit its config.json.*hidden_size"):
        Encoder.load(damaged)


def test_model_loads_print_no_load_report(encoder_dir, capfd, caplog):
    with caplog.at_level(logging.WARNING):
        Encoder.load(encoder_dir)
    out, err = capfd.readouterr()
    assert "LOAD REPORT" not in out + err + caplog.text


def test_max_length_beyond_the_position_table_is_refused():
    from transformers import BertConfig, BertModel

    tiny = Encoder.tiny_random(seed=0)
    config = BertConfig(vocab_size=tiny.tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    with pytest.raises(ValueError, match="max_length=65 is more than the 64 positions.*TrainConfig.max_length"):
        Encoder(BertModel(config, add_pooling_layer=False), tiny.tokenizer, max_length=65)


@pytest.fixture()
def saved_model(tiny_world, tmp_path):
    return RamenModel(Encoder.tiny_random(seed=0), tiny_world.label_texts).save(tmp_path / "model")


def _rewrite_label_embeddings(folder, change):
    from safetensors.numpy import load_file, save_file

    file = folder / "label_embeddings.safetensors"
    save_file({"label_embeddings": change(load_file(file)["label_embeddings"])}, file)


def test_nan_label_embeddings_are_refused(saved_model):
    def poison(emb):
        emb[3] = np.nan
        return emb

    _rewrite_label_embeddings(saved_model, poison)
    with pytest.raises(ValueError, match="label_embeddings.safetensors holds NaN.*1 label rows.*retrain"):
        RamenModel.load(saved_model)


def test_label_embeddings_of_another_dimension_are_refused(saved_model):
    _rewrite_label_embeddings(saved_model, lambda emb: np.ascontiguousarray(emb[:, :16]))
    with pytest.raises(ValueError, match="label_embeddings.safetensors holds .60, 16. embeddings.*32-dimensional"):
        RamenModel.load(saved_model)


# --------------------------------------------------------------------------- training inputs
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_on_a_cpu_machine_names_the_field(tiny_world):
    with pytest.raises(ValueError, match="TrainConfig.device is 'cuda' but this machine has no CUDA device"):
        Trainer(tiny_world, tiny_config(device="cuda"), progress=False)


def test_a_checkpoint_is_not_resumed_on_another_dataset(tiny_world, tmp_path):
    import dataclasses

    train(tiny_world, tiny_config(epochs=2), run_dir=tmp_path, stop_after=1, progress=False)
    other = dataclasses.replace(tiny_world, name="other-world", train_texts=list(reversed(tiny_world.train_texts)))
    with pytest.raises(ValueError, match="trained on dataset 'tiny-world' and this is 'other-world'.*train_fingerprint"):
        Trainer(other, tiny_config(epochs=2), run_dir=tmp_path, resume=True, progress=False)
    # the same content under another name resumes
    renamed = dataclasses.replace(tiny_world, name="tiny-world-copy")
    Trainer(renamed, tiny_config(epochs=2), run_dir=tmp_path, resume=True, progress=False).close()


def test_a_non_utf8_config_file_is_named(tmp_path):
    from ramen_edu.training.config import read_config_file

    config = tmp_path / "latin1.json"
    config.write_bytes('{"extra": {"note": "café"}}'.encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.json: byte .* is not UTF-8: save the config file as UTF-8"):
        read_config_file(config)


def test_an_invalid_profile_in_a_file_is_refused_even_when_the_command_line_names_one(tmp_path):
    from ramen_edu.training.cli import resolve_config

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"profile": "smok", "epochs": 1}))
    with pytest.raises(ValueError, match="config.json: \"profile\": 'smok' is unknown"):
        resolve_config(str(config), "synthetic-default", "smoke")


def test_ablate_checks_every_row_before_training(tiny_world, tmp_path, monkeypatch):
    from ramen_edu.experiments import ablate
    from ramen_edu.training import trainer

    def no_training(*args, **kwargs):
        raise AssertionError("a row was trained before the bad one was found")

    monkeypatch.setattr(trainer, "train", no_training)
    config = tiny_config()
    for lambdas, field in (([-1.0], "lambda_regularizer"), ([float("nan")], "lambda_regularizer")):
        with pytest.raises(ValueError, match=f"ablation row 'λ .*{field}"):
            ablate.run_ablation(tiny_world, config, seeds=1, out=tmp_path / "out", lambdas=lambdas, log=None)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- data files
@pytest.mark.parametrize("file", ["trn_X_Y.txt", "tst_X_Y.txt"])
def test_negative_label_values_name_their_line(tiny_world, tmp_path, file):
    from ramen_edu.data.xc_format import XCFormatError, read_xc_dataset, write_xc_dataset

    folder = write_xc_dataset(tiny_world, tmp_path / "world")
    lines = (folder / file).read_text().split("\n")
    first = lines[3].split(" ")[0]
    lines[3] = lines[3].replace(first, first.split(":")[0] + ":-1", 1)  # row 2 (line 4): "5:-1"
    (folder / file).write_text("\n".join(lines))
    with pytest.raises(XCFormatError, match=rf"{file}, line 4: negative value in pair '\d+:-1'.*relevance values > 0"):
        read_xc_dataset(folder)


# --------------------------------------------------------------------------- the command line
def test_an_empty_latest_pointer_is_an_error_not_the_current_folder(cache, capsys):
    (cache / "runs").mkdir(parents=True)
    (cache / "runs" / "LATEST").write_text("\n")
    err = one_line_error(capsys, ["predict", "Clade"])
    assert "LATEST is empty" in err and "pass a run folder" in err


@pytest.mark.parametrize("content", ["[]", "{oops", b"\xff\xfe"])
def test_a_bad_run_record_is_named_by_evaluate(saved_model, capsys, content):
    run = saved_model.parent
    (run / "run.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    err = one_line_error(capsys, ["evaluate", str(run)])
    assert "run.json" in err and "--dataset" in err


@pytest.mark.parametrize("text", ["", "   "])
def test_predict_refuses_an_empty_text(saved_model, capsys, text):
    with pytest.raises(SystemExit) as exit_:  # a usage error, as argparse reports them
        main(["predict", "Clade", text, "--model", str(saved_model)])
    assert exit_.value.code == 2 and "text 2 is empty" in capsys.readouterr().err
