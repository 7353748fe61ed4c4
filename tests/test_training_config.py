"""TrainConfig checks every field's type and range, in code and in JSON files, and keeps its profile.

Every message is one line that names the field, what it expects, and (from a file) the file.
"""
from __future__ import annotations

import dataclasses
import json

import pytest

from ramen_edu.training import TrainConfig


@pytest.mark.parametrize("field,value,error,expected", [
    # bools must be real bools: "no" and "false" are truthy strings that train *with* the graph
    ("regularize", "no", TypeError, "true or false"),
    ("bandit", "false", TypeError, "true or false"),
    ("prune", 1, TypeError, "true or false"),
    # a string is not a list of anchor-set names (it would become a list of characters)
    ("anchor_sets", "category", TypeError, "list of strings"),
    ("anchor_sets", ["category", 3], TypeError, "list of strings"),
    # numbers must be numbers
    ("lr", "0.1", TypeError, "number"),
    ("margin", None, TypeError, "number"),
    ("epochs", 2.0, TypeError, "integer"),
    ("batch_size", True, TypeError, "integer"),
    ("seed", 1.5, TypeError, "integer"),
    ("encoder", 3, TypeError, "string"),
    ("extra", [], TypeError, "dict"),
    # ranges
    ("seed", -1, ValueError, "in [0, "),
    ("grad_clip", -1.0, ValueError, "> 0"),
    ("grad_clip", 0, ValueError, "> 0"),
    ("lambda_regularizer", -0.1, ValueError, "≥ 0"),
    ("lambda_label", -1.0, ValueError, "≥ 0"),
    ("weight_decay", -0.01, ValueError, "≥ 0"),
    ("lr", float("nan"), ValueError, "finite"),
    ("prune_threshold", 1.5, ValueError, "prune_threshold"),
    ("device", "tpu", ValueError, "cuda"),
    ("profile", "laptop", ValueError, "smoke"),
])
def test_every_field_is_type_and_range_checked(field, value, error, expected):
    with pytest.raises(error) as info:
        TrainConfig(**{field: value})
    message = str(info.value)
    assert f"TrainConfig.{field}" in message and expected in message and "\n" not in message, message


@pytest.mark.parametrize("field,value", [
    ("lr", 1), ("margin", 1), ("grad_clip", 2),  # floats accept ints
    ("hard_k", None), ("bandit_lr", None), ("dropout", None), ("encoder", None), ("device", None),
    ("anchor_sets", ("topic", "concept")), ("anchor_sets", ["topic"]), ("anchor_sets", None),
    ("device", "cpu"), ("device", "cuda"), ("device", "cuda:1"), ("seed", 2**40),
    ("lambda_regularizer", 0.0), ("prune_threshold", -0.5),
])
def test_valid_values_pass(field, value):
    assert getattr(TrainConfig(**{field: value}), field) == value


def test_types_follow_the_field_annotations():
    """The checks are derived from the dataclass annotations: a field without a check cannot exist."""
    from ramen_edu.training.config import expected_types

    names = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(expected_types()) == names


def test_replace_is_checked_too():
    with pytest.raises(TypeError, match="TrainConfig.regularize"):
        dataclasses.replace(TrainConfig(), regularize="no")


@pytest.mark.parametrize("fields,error,expected", [
    ({"regularize": "no"}, TypeError, "TrainConfig.regularize"),
    ({"bandit": "false"}, TypeError, "TrainConfig.bandit"),
    ({"anchor_sets": "category"}, TypeError, "TrainConfig.anchor_sets"),
    ({"lr": "0.1"}, TypeError, "TrainConfig.lr"),
    ({"margin": None}, TypeError, "TrainConfig.margin"),
    ({"seed": -1}, ValueError, "TrainConfig.seed"),
    ({"seed": 1.5}, TypeError, "TrainConfig.seed"),
    ({"device": "tpu"}, ValueError, "TrainConfig.device"),
    ({"grad_clip": -1}, ValueError, "TrainConfig.grad_clip"),
    ({"lambda_regularizer": -0.5}, ValueError, "TrainConfig.lambda_regularizer"),
    ({"recipe": "book", "regularize": "no"}, TypeError, "TrainConfig.regularize"),
])
def test_config_file_errors_name_the_file_and_the_field(tmp_path, fields, error, expected):
    path = tmp_path / "bad_config.json"
    path.write_text(json.dumps({"profile": "smoke", **fields}))
    with pytest.raises(error) as info:
        TrainConfig.from_json(path)
    message = str(info.value)
    assert str(path) in message and expected in message and "\n" not in message, message
    assert message.count(str(path)) == 1, message


# --------------------------------------------------------------------------- the profile
def test_the_config_remembers_its_profile(tmp_path):
    assert TrainConfig().profile is None  # hand-built: the paper's sizes, no profile
    assert TrainConfig.for_profile("smoke").profile == "smoke"
    assert TrainConfig.for_profile("gpu").profile == "gpu"
    assert TrainConfig.book_recipe("cpu").profile == "cpu"
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"profile": "smoke", "epochs": 2}))
    assert TrainConfig.from_json(path).profile == "smoke"
    assert TrainConfig.from_json(path, profile="cpu").profile == "cpu"
    path.write_text(json.dumps({"recipe": "book", "profile": "cpu"}))
    assert TrainConfig.from_json(path, profile="smoke").profile == "smoke"
    assert dataclasses.replace(TrainConfig.for_profile("smoke"), seed=3).profile == "smoke"


def test_the_run_record_names_the_configs_profile_not_the_active_one(tiny_world, monkeypatch):
    from ramen_edu.training import Trainer

    monkeypatch.setenv("RAMEN_EDU_PROFILE", "cpu")
    from ramen_edu.settings import profile as active_profile

    assert active_profile().name == "cpu"
    config = TrainConfig.for_profile("smoke", encoder="tiny-random", epochs=1)
    trainer = Trainer(tiny_world, config, progress=False)
    assert trainer.record()["profile"] == "smoke"
    assert trainer.record()["config"]["profile"] == "smoke"
