"""Run records: which code, profile and device produced a result.

Every chapter ends with ``ramen_edu.run_record(chapter=..., started=t0)`` so a reader (and CI)
can tell which run the committed outputs came from; training writes the same facts into its
JSON run record.
"""
from __future__ import annotations

import platform
import subprocess
import time
from importlib import metadata

from ramen_edu.config import profile as _profile
from ramen_edu.config import project_root


def git_commit() -> str:
    """The checkout's commit (with ``+dirty`` when it has uncommitted changes), or ``unknown``."""
    try:
        root = project_root()
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
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
