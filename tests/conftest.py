"""Shared, cheap fixtures for every test file.

``tiny_world``   a small seeded synthetic XCDataset (300 train / 100 test documents, 60 labels,
                 both anchor sets); the same object for the whole session — do not mutate it
                 (copy what you change).
``tiny_encoder`` ``Encoder.tiny_random()``: a 2-layer, 32-dimensional random BERT, no weights
                 to load; also session-wide, so tests must not train it in place.
``world_dir``   ``tiny_world`` written once per test module in the XC repository layout (a folder).
``cache``       ``$RAMEN_EDU_CACHE`` pointed at a fresh folder for one test (returned).
``serve_directory`` ``with serve_directory(folder) as url:`` a quiet HTTP server for ``folder`` on
                 127.0.0.1 (a free port, in a thread); ``url`` has no trailing slash.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture(scope="session")
def tiny_world():
    from ramen_edu.data.synthetic import make_synthetic_world

    return make_synthetic_world(n_train=300, n_test=100, n_labels=60, n_topics=6, seed=7,
                                name="tiny-world", self_titled=0.05)


@pytest.fixture(scope="module")
def world_dir(tiny_world, tmp_path_factory):
    from ramen_edu.data.xc_format import write_xc_dataset

    return write_xc_dataset(tiny_world, tmp_path_factory.mktemp("world") / "tiny")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RAMEN_EDU_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def tiny_encoder():
    from ramen_edu.encoders import Encoder

    return Encoder.tiny_random(seed=0)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(folder):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def serve_directory():
    return _serve


@pytest.fixture(scope="module")
def config_file(world_dir, tmp_path_factory):
    """A recipe file for the experiment commands: the tiny world, smoke profile, one epoch."""
    import json

    path = tmp_path_factory.mktemp("recipe") / "recipe.json"
    path.write_text(json.dumps({"dataset": str(world_dir), "profile": "smoke", "encoder": "tiny-random",
                                "epochs": 1}))
    return path
