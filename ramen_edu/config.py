"""Run profiles and locations of data, caches and runs.

A *profile* scales sizes (documents, epochs, batch sizes), never the method:

* ``smoke`` — seconds; what CI uses to re-execute every chapter and to exercise the CLI.
* ``cpu``   — minutes on a laptop CPU; the full profile of a machine without a GPU.
* ``gpu``   — the paper's scale on one CUDA GPU.

The profile comes from ``$RAMEN_EDU_PROFILE`` when set, else from the hardware.
Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROFILES = ("smoke", "cpu", "gpu")


@dataclass(frozen=True)
class Profile:
    """Which scale this run uses, and on what device."""

    name: str  # one of PROFILES
    device: str  # "cuda" or "cpu"
    device_name: str  # e.g. "NVIDIA H100 80GB HBM3" or "cpu (2 cores)"

    def pick(self, *, smoke, cpu, gpu):
        """Return the value for this profile: ``profile.pick(smoke=2, cpu=10, gpu=300)``."""
        return {"smoke": smoke, "cpu": cpu, "gpu": gpu}[self.name]

    def __str__(self) -> str:
        scale = {"smoke": "tiny sizes for CI", "cpu": "CPU scale", "gpu": "full scale"}[self.name]
        return f"{self.name}: {self.device_name} — {scale}"


def _device() -> tuple[str, str]:
    try:
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return "cuda", f"{props.name}, {props.total_memory / 2**30:.0f} GB"
    except ImportError:  # the profile is still useful without torch (e.g. metrics only)
        pass
    return "cpu", f"cpu ({os.cpu_count()} cores)"


def profile(name: str | None = None) -> Profile:
    """The active profile: ``name``, else ``$RAMEN_EDU_PROFILE``, else ``gpu`` on CUDA and ``cpu`` otherwise."""
    device, device_name = _device()
    chosen = name or os.environ.get("RAMEN_EDU_PROFILE") or ("gpu" if device == "cuda" else "cpu")
    if chosen not in PROFILES:
        raise ValueError(
            f"unknown profile {chosen!r} (from {'argument' if name else '$RAMEN_EDU_PROFILE'}); "
            f"choose one of {', '.join(PROFILES)}"
        )
    return Profile(chosen, device, device_name)


def project_root() -> Path:
    """The repository root when running from a checkout (the folder holding ``ramen_edu/``)."""
    return Path(__file__).resolve().parent.parent


def book_result(name: str) -> Path:
    """A committed result file of the book: ``<checkout>/book/results/<name>``.

    Chapters read results that take longer to produce than a chapter may run (the 3-seed
    ablation, the MiniLM runs) from here. Raises FileNotFoundError naming the path and the fix
    (a checkout of the repository, e.g. ``pip install -e .`` from a clone).
    """
    path = project_root() / "book" / "results" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the book's committed results live in a checkout of the "
                                "repository (git clone, then pip install -e .); the file's README line or "
                                "chapter says which command writes it")
    return path


def cache_dir() -> Path:
    """Where built datasets and embeddings are cached: ``$RAMEN_EDU_CACHE`` or ``~/.cache/ramen_edu``."""
    path = Path(os.environ.get("RAMEN_EDU_CACHE", Path.home() / ".cache" / "ramen_edu"))
    path.mkdir(parents=True, exist_ok=True)
    return path


WIKIPEDIA_FILE = "wikipedia-2019/articles.jsonl.gz"


def find_data_file(relative: str = WIKIPEDIA_FILE) -> Path:
    """Find a shared data file: ``$RAMEN_EDU_DATA``, then ``./data/``, then ``../shared/data/``.

    Raises FileNotFoundError that lists every place looked at and how to get the file.
    """
    candidates = []
    if os.environ.get("RAMEN_EDU_DATA"):
        candidates.append(Path(os.environ["RAMEN_EDU_DATA"]) / relative)
    for base in (Path.cwd(), project_root()):
        candidates += [base / "data" / relative, base.parent / "shared" / "data" / relative]
    for path in candidates:
        if path.is_file():
            return path
    looked = "\n  ".join(dict.fromkeys(str(p) for p in candidates))
    raise FileNotFoundError(
        f"could not find {relative}. Looked in:\n  {looked}\n"
        "Get the Wikipedia sample (57,200 articles, CC BY-SA, 'Wikipedia contributors') and either "
        "set RAMEN_EDU_DATA to the folder that holds 'wikipedia-2019/', or put it under ./data/. "
        "Any MediaWiki XML dump also works through ramen_edu.data.wikipedia.read_mediawiki_xml."
    )
