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

#: data files that ship with a checkout in a smaller form (data_samples/), used when the full one
#: is nowhere: relative name -> path under the project root
SHIPPED_SAMPLES = {WIKIPEDIA_FILE: Path("data_samples") / "wikipedia-sample" / "articles.jsonl.gz"}

#: set to 1 to ignore ``../shared/data`` (this project's machines have it; readers do not): CI
#: sets it to prove the chapters run on a fresh clone
NO_SHARED_ENV = "RAMEN_EDU_NO_SHARED"


def _data_candidates(relative: str) -> list[tuple[Path, str]]:
    """Where a data file may be, in lookup order, each with the name of its source."""
    candidates = []
    if os.environ.get("RAMEN_EDU_DATA"):
        candidates.append((Path(os.environ["RAMEN_EDU_DATA"]) / relative, "$RAMEN_EDU_DATA"))
    for base in (Path.cwd(), project_root()):
        candidates.append((base / "data" / relative, "./data"))
    if os.environ.get(NO_SHARED_ENV, "") in ("", "0"):
        for base in (Path.cwd(), project_root()):
            candidates.append((base.parent / "shared" / "data" / relative, "../shared/data"))
    if relative in SHIPPED_SAMPLES:
        candidates.append((project_root() / SHIPPED_SAMPLES[relative], "the shipped sample"))
    return candidates


def find_data_file(relative: str = WIKIPEDIA_FILE, *, allow_sample: bool = True) -> Path:
    """Find a data file: ``$RAMEN_EDU_DATA``, then ``./data/``, then ``../shared/data/``
    (skipped when ``$RAMEN_EDU_NO_SHARED=1``), then the sample shipped in ``data_samples/``
    (unless ``allow_sample=False``). :func:`data_source` says which one a path is.

    Raises FileNotFoundError that lists every place looked at and how to get the file
    (``ramen-edu fetch-wiki``).
    Taught in: book/02_anchor_graphs.ipynb
    """
    candidates = _data_candidates(relative)
    if not allow_sample:
        candidates = [(p, name) for p, name in candidates if name != "the shipped sample"]
    for path, _ in candidates:
        if path.is_file():
            return path
    looked = "\n  ".join(dict.fromkeys(str(p) for p, _ in candidates))
    raise FileNotFoundError(
        f"could not find {relative}. Looked in:\n  {looked}\n"
        "Get the book's full Wikipedia data (57,200 articles, CC BY-SA 3.0, 'Wikipedia contributors') with "
        "`ramen-edu fetch-wiki` (downloads ~207 MB into ./data/, or into $RAMEN_EDU_DATA when set); "
        "a clone of the repository also ships a 3,650-article sample in data_samples/wikipedia-sample/. "
        "Any MediaWiki XML dump also works through ramen_edu.data.wikipedia.read_mediawiki_xml."
    )


def data_source(path) -> str:
    """A sentence naming where ``path`` (from :func:`find_data_file`) comes from, for chapters
    to print: ``"the shipped sample data_samples/wikipedia-sample/articles.jsonl.gz (3,650 ...)"``,
    ``"$RAMEN_EDU_DATA/wikipedia-2019/articles.jsonl.gz (found via $RAMEN_EDU_DATA)"``; never an
    absolute path of this machine (a path found nowhere else is named by its file name).
    """
    path = Path(path).resolve()
    for relative, sample in SHIPPED_SAMPLES.items():
        if path == (project_root() / sample).resolve():
            return (f"the shipped sample {sample.as_posix()} (a subset of the full file; "
                    "`ramen-edu fetch-wiki` downloads the full data, and chapters use it first)")
    # named by where it was found, not by this machine's folders: a printed chapter must not
    # carry the path of the machine that ran it
    for candidate, name in _data_candidates(WIKIPEDIA_FILE):
        if candidate.exists() and candidate.resolve() == path:
            shown = {"$RAMEN_EDU_DATA": "$RAMEN_EDU_DATA", "./data": "data",
                     "../shared/data": "../shared/data"}.get(name, name)
            return f"{shown}/{WIKIPEDIA_FILE} (found via {name})"
    return path.name
