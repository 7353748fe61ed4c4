"""The dataset catalog: one call, ``load_dataset(name_or_path)``, for every dataset the book uses.

Names:

* ``"synthetic-default"`` — the embedded demo world, read from ``data_samples/synthetic-default``
  (generated in memory, identically, when the package is installed without that folder).
* ``"synthetic"`` — a fresh synthetic world; keyword arguments are ``SyntheticConfig`` fields
  (``load_dataset("synthetic", n_train=500, seed=3)``).
* ``"wiki-seealso"`` / ``"wiki-seealso-text"`` — the Wikipedia see-also benchmark built from the
  shared articles file by :func:`ramen_edu.data.wiki_benchmark.build_wiki_seealso` (titles as
  document texts, or titles plus article text); keyword arguments go to that builder.

Anything else is taken as the path of a folder in the XC Repository layout
(:mod:`ramen_edu.data.xc_format`); keyword arguments go to ``read_xc_dataset``.

Taught in: book/01_extreme_classification.ipynb
"""
from __future__ import annotations

import importlib
import warnings
from pathlib import Path

from ramen_edu.data.dataset import XCDataset


def _synthetic_default(**kwargs) -> XCDataset:
    if kwargs:
        raise TypeError(f"'synthetic-default' is a fixed world and takes no options (got "
                        f"{', '.join(kwargs)}); use load_dataset('synthetic', **options) for a variant")
    return importlib.import_module("ramen_edu.data.synthetic").default_world()


def _synthetic(**kwargs) -> XCDataset:
    return importlib.import_module("ramen_edu.data.synthetic").make_synthetic_world(**kwargs)


def _wiki(variant: str):
    def build(**kwargs) -> XCDataset:
        # imported lazily: the builder pulls in wikitext parsers the other entries never need
        builder = importlib.import_module("ramen_edu.data.wiki_benchmark").build_wiki_seealso
        kwargs.setdefault("variant", variant)
        return builder(**kwargs)
    return build


#: catalog name -> (loader, one-line description)
CATALOG = {
    "synthetic-default": (_synthetic_default, "the embedded synthetic demo world (data_samples/synthetic-default)"),
    "synthetic": (_synthetic, "a fresh synthetic world; options are SyntheticConfig fields"),
    "wiki-seealso": (_wiki("titles"), "Wikipedia see-also benchmark, titles as texts (full file, else the shipped sample)"),
    "wiki-seealso-text": (_wiki("text"), "Wikipedia see-also benchmark, titles plus article text"),
}


def known_datasets() -> dict[str, str]:
    """Catalog names and what each one is: ``{name: description}``.
    """
    return {name: description for name, (_, description) in CATALOG.items()}


def load_dataset(name_or_path, **kwargs) -> XCDataset:
    """Load a dataset by catalog name or from an XC folder.

    name_or_path: a catalog name (``known_datasets()``: "synthetic-default", "synthetic",
                  "wiki-seealso", "wiki-seealso-text") or a path (str / Path) to a folder in the
                  XC Repository layout (trn_X.txt, trn_X_Y.txt, ...).
    kwargs:       options of that entry's builder (see the module docstring) or of
                  ``read_xc_dataset`` for a folder.
    Returns an XCDataset. An unknown name raises ValueError, a path that is not a folder
    FileNotFoundError; both list the known names.

    Taught in: book/01_extreme_classification.ipynb
    """
    if isinstance(name_or_path, str) and name_or_path in CATALOG:
        return CATALOG[name_or_path][0](**kwargs)
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(f"load_dataset takes a catalog name or a folder path, got {type(name_or_path).__name__}")
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        from ramen_edu.data.xc_format import read_xc_dataset

        return read_xc_dataset(path, **kwargs)
    names = "\n".join(f"  {name:<18} {description}" for name, description in known_datasets().items())
    looks_like_path = isinstance(name_or_path, Path) or "/" in name_or_path or "\\" in name_or_path
    looks_like_path = looks_like_path or path.exists()
    why = f"no dataset folder at {path}" if looks_like_path else f"unknown dataset {name_or_path!r}"
    error = FileNotFoundError if looks_like_path else ValueError
    raise error(f"{why}. load_dataset takes one of these names:\n{names}\n"
                     "or the path of a folder in the XC Repository layout (trn_X.txt, trn_X_Y.txt, Y.txt, ...)")


def load_with_fallback(name: str, fallback: str = "synthetic", *, fallback_options: dict | None = None,
                       **kwargs) -> tuple[XCDataset, str]:
    """``load_dataset(name, **kwargs)``, or ``load_dataset(fallback, **fallback_options)`` when
    that dataset cannot be built here: its data file is missing (FileNotFoundError) or an optional
    parser is not installed (ImportError). Any other error — a corrupt file, a bad option — is
    raised: it needs fixing, not hiding. A fallback is announced with a warning.

    Returns (dataset, the catalog name actually loaded).
    Taught in: book/03_theorem1.ipynb
    """
    try:
        return load_dataset(name, **kwargs), name
    except (FileNotFoundError, ImportError) as err:
        warnings.warn(f"{name!r} is not available here ({type(err).__name__}: {str(err)[:160]}); "
                      f"using {fallback!r} instead", stacklevel=2)
    return load_dataset(fallback, **(fallback_options or {})), fallback

