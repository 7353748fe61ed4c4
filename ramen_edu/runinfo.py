"""Run records: which code, profile and device produced a result — and how they reach the disk.

Every chapter ends with ``ramen_edu.run_record(chapter=..., started=t0)`` so a reader (and CI)
can tell which run the committed outputs came from; training writes the same facts into its
JSON run record.

Files a run keeps (``run.json``, the ``LATEST`` pointer, checkpoints) are written with
:func:`atomic_write`: a crash or a full disk leaves the previous file whole, never half of a new
one, and a temporary file a crash leaves behind is removed by :func:`remove_stale_tmp`.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ramen_edu.config import profile as _profile
from ramen_edu.config import project_root


# what a run writes, not what computes it: uncommitted changes here do not make a record "dirty"
# (a rebuild writes results and executed chapters into the checkout while it runs)
OUTPUT_PATHS = (":!book/results", ":!book/*.ipynb", ":!data_samples/wikipedia-sample")


def git_commit() -> str:
    """The checkout's commit (with ``+dirty`` when its code has uncommitted changes, outputs in
    :data:`OUTPUT_PATHS` aside), or ``unknown``."""
    try:
        root = project_root()
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                ".", *OUTPUT_PATHS], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    """Versions of the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in ("ramen-edu", "torch", "transformers", "faiss-cpu", "numpy", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def environment() -> dict:
    """Version, commit, profile and device, as a dict (the header of every run record)."""
    p = _profile()
    return {"versions": versions(), "git_commit": git_commit(), "profile": p.name,
            "device": p.device_name}


def run_record(chapter: str, started: float | None = None) -> dict:
    """Print and return the facts of this run; ``started`` is ``time.time()`` at the chapter's top."""
    record = {"chapter": chapter, **environment()}
    if started is not None:
        record["wall_time_s"] = round(time.time() - started, 1)
    v = record["versions"]
    print(f"chapter {chapter} · ramen_edu {v.get('ramen-edu', '?')} · commit {record['git_commit']} · "
          f"profile {record['profile']} · {record['device']}"
          + (f" · wall time {record['wall_time_s']:.0f} s" if started is not None else "")
          + f" · torch {v.get('torch', '-')}")
    return record


# --------------------------------------------------------------------------------------------
# durable files
# --------------------------------------------------------------------------------------------
TMP_SUFFIX = ".tmp"


def read_json(file: str | Path, kind: type = dict, what: str = "a JSON object", *, hint: str):
    """The JSON in ``file``, which must be ``what`` (a ``kind``). A missing, unreadable or wrong
    file raises FileNotFoundError / ValueError naming the file and ``hint`` (the fix) — the one
    reader of the small JSON files saved models keep beside their weights."""
    file = Path(file)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{file} is missing: {hint}") from None
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{file} is not valid JSON ({err}): {hint}") from None
    if not isinstance(data, kind):
        raise ValueError(f"{file} should hold {what}, not {type(data).__name__}: {hint}")
    return data


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` all at once: ``write(f)`` fills a temporary file in the same folder, which
    is flushed and fsynced and then renamed over ``path``; the folder is fsynced where the OS
    allows. Readers, and a crash at any moment, see the old file or the new one, never a part.
    If anything fails before the rename, the temporary file goes and ``path`` stays as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # same folder: a rename is atomic only within one file system; the pid keeps two
    # processes writing the same file from sharing a temporary file
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """:func:`atomic_write` of ``data``."""
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """:func:`atomic_write` of ``text`` as UTF-8."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut (POSIX; Windows cannot open folders)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_tmp(folder: str | Path) -> list[Path]:
    """Delete the temporary files an interrupted :func:`atomic_write` left in ``folder``
    (not below it); returns what was removed. Call it when a run starts in the folder."""
    folder = Path(folder)
    removed = []
    if folder.is_dir():
        for tmp in folder.glob(f"*{TMP_SUFFIX}"):
            if tmp.is_file():
                tmp.unlink()
                removed.append(tmp)
    return removed


def json_default(obj):
    """``json.dumps(default=...)`` for the numpy values run records carry (scalars, arrays)."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
