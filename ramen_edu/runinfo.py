"""Run records: which code, profile and device produced a result — and how they reach the disk.

Every chapter ends with ``ramen_edu.run_record(chapter=..., started=t0)`` so a reader (and CI)
can tell which run the committed outputs came from; training writes the same facts into its
JSON run record.

Files a run keeps (``run.json``, the ``LATEST`` pointer, checkpoints) are written with
:func:`atomic_write`: a crash or a full disk leaves the previous file whole, never half of a new
one, and a temporary file a crash leaves behind is removed by :func:`remove_stale_tmp`. Folders
of several files (saved models) are written whole with :func:`atomic_folder`, and a run folder
has one writer at a time (:func:`lock_folder`).
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ramen_edu.settings import profile as _profile
from ramen_edu.settings import project_root


# what a run writes, not what computes it: uncommitted changes here do not make a record "dirty"
# (a rebuild writes results and executed chapters into the checkout while it runs)
OUTPUT_PATHS = (":!book/results", ":!book/*.ipynb", ":!data_samples/wikipedia-sample")

# The names inside a run folder, defined once: the trainer writes these files, ``ramen-edu
# train|evaluate|predict`` and the experiment runner find and read them.
RUN_FILE = "run.json"  # the run record (JSON), written last
CHECKPOINT_FILE = "checkpoint.pt"  # the exact-resume state (training.checkpoint)
MODEL_DIR = "model"  # the saved model folder
LATEST_FILE = "LATEST"  # in the runs folder: the path of the last finished run


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


SAVING_SUFFIX = ".saving"  # a folder being written by atomic_folder
REPLACED_SUFFIX = ".replaced"  # the previous folder, between atomic_folder's two renames


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """``with atomic_folder(path) as tmp:`` fill ``tmp``; on leaving, ``tmp`` becomes ``path``.

    ``tmp`` is a new folder beside ``path``; when the block ends without an error its files are
    fsynced and it is renamed to ``path`` (a previous ``path`` is moved aside first and deleted
    after). A crash or an error while the files are written leaves ``path`` as it was and its
    ``tmp`` is deleted (or, after a kill, at the next save of ``path``). POSIX cannot rename a
    folder over a non-empty one, so there is an instant between the two renames where ``path``
    is missing; a kill exactly then leaves the previous folder, complete, as
    ``.<name>.replaced`` beside it, and :func:`interrupted_folder_hint` says so to a reader.
    One folder has one writer at a time (run folders: :func:`lock_folder`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*{SAVING_SUFFIX}"):  # left by a killed save
        shutil.rmtree(stale, ignore_errors=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{SAVING_SUFFIX}")
    old = path.with_name(f".{path.name}{REPLACED_SUFFIX}")
    tmp.mkdir()
    try:
        yield tmp
        for file in sorted(tmp.rglob("*")):
            if file.is_file():
                _fsync_file(file)
        for folder in [*sorted(p for p in tmp.rglob("*") if p.is_dir()), tmp]:
            _fsync_dir(folder)
        if old.exists():  # a previous save was killed between its renames, after the second
            shutil.rmtree(old)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(path.parent)
    shutil.rmtree(old, ignore_errors=True)


def interrupted_folder_hint(path: str | Path) -> str:
    """For a missing ``path``: where an interrupted :func:`atomic_folder` left its contents
    (" ...: rename it to ...") or "" when it left nothing."""
    path = Path(path)
    old = path.with_name(f".{path.name}{REPLACED_SUFFIX}")
    saving = sorted(path.parent.glob(f".{path.name}.*{SAVING_SUFFIX}")) if path.parent.is_dir() else []
    if old.is_dir():
        return (f"; a save was interrupted while it replaced the folder: the previous one is complete in "
                f"{old} (rename it to {path.name}), or save again")
    if saving:
        return f"; a save was interrupted: {saving[0]} is incomplete, save again"
    return ""


def _fsync_file(file: Path) -> None:
    with open(file, "rb") as f:
        os.fsync(f.fileno())


LOCK_FILE = ".lock"
_held_locks: dict[Path, list] = {}  # resolved folder -> [open lock file, holders in this process]


class FolderInUse(OSError):
    """Another process holds the folder's lock (:func:`lock_folder`)."""


@contextlib.contextmanager
def lock_folder(folder: str | Path, *, what: str = "folder") -> Iterator[Path]:
    """Hold ``folder``'s lock for the block; :class:`FolderInUse` (an OSError) when another
    process holds it. The lock is ``fcntl.flock`` on ``folder/.lock``: the OS releases it when
    the holder exits, even after ``kill -9``, so a crashed run never leaves a stale lock. It is
    re-entrant within a process (the CLI locks a run folder, then the trainer it starts locks it
    again; a notebook that makes a second Trainer for the same folder is one writer). On a
    system without ``fcntl`` (Windows) there is no lock. ``what`` names the folder in the error.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    held = _held_locks.get(key)
    if held is None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: nothing to lock with
            yield folder
            return
        lock = open(folder / LOCK_FILE, "a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            owner = lock.read().strip() or "?"
            lock.close()
            raise FolderInUse(f"{what} {folder} is in use by another process (pid {owner}, which holds "
                              f"{folder / LOCK_FILE}): wait for it to finish, or use another folder") from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        held = _held_locks[key] = [lock, 0]
    held[1] += 1
    try:
        yield folder
    finally:
        held[1] -= 1
        if held[1] == 0:
            del _held_locks[key]
            held[0].close()  # closing the file releases the flock


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
