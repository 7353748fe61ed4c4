"""How the chapters show plotly figures, in Jupyter and in the HTML book.

**In a chapter** (its second cell)::

    from ramen_edu.viz import setup_plotly
    setup_plotly()

picks the plotly renderer: ``"plotly_mimetype"`` — the figure is saved in the notebook as its
``application/vnd.plotly.v1+json`` bundle only (no HTML, no ``<script>`` tags), which JupyterLab,
Notebook 7 and VS Code draw live (plotly's ``jupyterlab-plotly`` extension ships with the
``plotly`` package) — and ``"colab"`` on Google Colab, which does not draw that mime type.
``RAMEN_EDU_PLOTLY_RENDERER`` overrides the choice (e.g. ``notebook_connected`` for the classic
Notebook 6).

**In the book** this module is also the Sphinx extension ``ramen_edu.viz.site`` (listed in
``_config.yml``). It makes the site work offline and load each library once:

* plotly.js is copied at build time from the installed ``plotly`` package
  (``plotly/package_data/plotly.min.js``, the same plotly.js version that wrote the figure JSON)
  into ``_static/`` — not committed to the repository — and referenced once, only on pages that
  have a figure, followed by the small loader ``_static/ramen-plotly.js``;
* :class:`PlotlyMimeRenderer` (a MyST-NB mime renderer, entry point group
  ``myst_nb.mime_renderers`` in ``pyproject.toml``) renders each figure from its plotly JSON as a
  ``<div>`` plus a non-executable JSON data block, preferred over any ``text/html`` part of the
  same output; plotly's notebook start-up snippet (a CDN ``import`` of plotly.js, written by the
  ``notebook``/``notebook_connected`` renderers) is dropped;
* MathJax 3 is served from ``_static/mathjax/`` (the files of the PyPI package
  ``sphinx-mathjax-offline``, MathJax 3.2.2), not from a CDN;
* ``_static/ramen-site.css`` lets long display equations scroll sideways instead of being cut;
* two theme-stack console errors are avoided: an inline script listed twice by Sphinx 7.4
  (``const THEBE_JS_URL`` declared twice) and pydata-sphinx-theme's empty default colour mode.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

PLOTLY_MIME = "application/vnd.plotly.v1+json"
EXTENSION = "ramen_edu.viz.site"
STATIC_DIR = Path(__file__).with_name("site_static")   # ramen-plotly.js, ramen-site.css
PLOTLY_JS = "plotly.min.js"
LOADER_JS = "ramen-plotly.js"
SITE_CSS = "ramen-site.css"
MATHJAX_PATH = "mathjax/tex-chtml.js"                   # under _static/
HTML_BUILDERS = ("html", "dirhtml", "singlehtml", "readthedocs", "readthedocsdirhtml",
                 "readthedocssinglehtml", "readthedocssinglehtmllocalmedia")


# --------------------------------------------------------------------------- in a chapter

def plotly_renderer() -> str:
    """The renderer :func:`setup_plotly` picks here: ``$RAMEN_EDU_PLOTLY_RENDERER``, else
    ``"colab"`` on Google Colab, else ``"plotly_mimetype"``."""
    chosen = os.environ.get("RAMEN_EDU_PLOTLY_RENDERER", "").strip()
    if chosen:
        return chosen
    return "colab" if "google.colab" in sys.modules else "plotly_mimetype"


def setup_plotly(renderer: str | None = None) -> str:
    """Set ``plotly.io.renderers.default`` for a chapter and return the renderer's name.

    With the default (:func:`plotly_renderer`) a figure shows live in JupyterLab, Notebook 7,
    VS Code and Colab, and outside Colab the saved output is the plotly JSON bundle alone, which
    the HTML book renders with its one local copy of plotly.js.
    """
    import plotly.io as pio

    name = renderer or plotly_renderer()
    pio.renderers.default = name
    return name


# --------------------------------------------------------------------------- in the book

def plotly_js_path() -> Path:
    """``plotly.min.js`` inside the installed ``plotly`` package."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the plotly package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / PLOTLY_JS
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the installed plotly package ships no plotly.js")
    return path


def mathjax_static_dir() -> Path | None:
    """The ``static`` folder of the ``sphinx-mathjax-offline`` package (it holds ``mathjax/``,
    the MathJax 3.2.2 distribution), or None when that package is not installed."""
    try:
        spec = importlib.util.find_spec("sphinx-mathjax-offline")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    return static if (static / MATHJAX_PATH).is_file() else None


def is_plotly_startup_html(html: str) -> bool:
    """Whether a ``text/html`` output is plotly's notebook start-up snippet (no figure in it, only
    the plotly.js loader: a CDN import for ``notebook_connected``, all of plotly.js inline for
    ``notebook``)."""
    return "window.PlotlyConfig" in html and "plotly-graph-div" not in html


def figure_html(figure: dict | str) -> str:
    """The HTML of one figure: an empty ``<div>`` that ``ramen-plotly.js`` fills, and the figure
    as a JSON data block (``type`` is not JavaScript, so the browser never runs it)."""
    if isinstance(figure, (str, bytes)):
        figure = json.loads(figure)
    layout = figure.get("layout") or {}
    height = layout.get("height") or 450                # plotly's default height
    width = layout.get("width")
    size = f"height:{int(height)}px;" + (f"width:{int(width)}px;max-width:100%;" if width else "width:100%;")
    payload = json.dumps(figure, separators=(",", ":"), ensure_ascii=False)
    # only strings in JSON can hold <, > or &: escaping them keeps the block inert HTML
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (f'<div class="ramen-plotly"><div class="ramen-plotly-figure" style="{size}"></div>'
            f'<script type="{PLOTLY_MIME}" class="ramen-plotly-data">{payload}</script></div>')


def _sphinx_app(renderer: Any):
    """The Sphinx app when ``renderer`` renders for a Sphinx build that loaded this extension."""
    env = getattr(getattr(renderer, "renderer", None), "sphinx_env", None)
    if env is None:
        return None
    from myst_nb._compat import get_env_app

    app = get_env_app(env)
    return app if EXTENSION in getattr(app, "extensions", {}) else None


class PlotlyMimeRenderer:
    """MyST-NB mime renderer (entry point ``myst_nb.mime_renderers``): a plotly figure from its
    JSON, with plotly.js and the loader added to that page only; plotly's start-up snippet
    dropped. It does nothing in a build without the ``ramen_edu.viz.site`` extension."""

    # in HTML builds the JSON beats text/html (30) and widget views (10)
    mime_priority_overrides = [(builder, PLOTLY_MIME, 5) for builder in HTML_BUILDERS]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool):
        if inline or data.mime_type not in (PLOTLY_MIME, "text/html"):
            return None
        if _sphinx_app(renderer) is None:
            return None
        from docutils import nodes

        if data.mime_type == "text/html":
            return [] if is_plotly_startup_html(data.string) else None
        renderer.add_js_file("ramen_edu_plotly", PLOTLY_JS, {"defer": "defer"})
        renderer.add_js_file("ramen_edu_plotly_loader", LOADER_JS, {"defer": "defer"})
        return [nodes.raw(text=figure_html(data.content), format="html", classes=["output", "plotly"])]


def _add_static_files(app) -> None:
    """builder-inited: plotly.min.js (copied into the build folder, then into _static with the
    theme's files), this package's css/js and MathJax join ``html_static_path``."""
    if app.builder.format != "html":
        return
    from sphinx.util import logging

    here = Path(app.doctreedir) / "ramen_edu_static"
    here.mkdir(parents=True, exist_ok=True)
    source = plotly_js_path()
    target = here / PLOTLY_JS
    if not target.is_file() or target.stat().st_size != source.stat().st_size \
            or target.read_bytes() != source.read_bytes():
        shutil.copyfile(source, target)
    paths = [str(STATIC_DIR), str(here)]
    mathjax = mathjax_static_dir()
    if mathjax is not None:
        paths.append(str(mathjax))
    elif "://" in (app.config.mathjax_path or ""):
        logging.getLogger(__name__).warning(
            "sphinx-mathjax-offline is not installed, so MathJax comes from a CDN "
            f"({app.config.mathjax_path}): pip install -e '.[book]'")
    app.config.html_static_path = list(app.config.html_static_path) + paths


def _config_inited(app, config) -> None:
    from sphinx.ext.mathjax import MATHJAX_URL

    if config.mathjax_path == MATHJAX_URL and mathjax_static_dir() is not None:
        config.mathjax_path = MATHJAX_PATH
    # pydata-sphinx-theme's default colour mode "" makes its script log "Got invalid theme mode"
    # as a console error on a reader's first visit; "auto" is what it then falls back to.
    if isinstance(config.html_context, dict) and not config.html_context.get("default_mode"):
        config.html_context["default_mode"] = "auto"


def _drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree) -> None:
    """html-page-context: Sphinx 7.4 lists an inline script added by an extension after the
    builder started twice (once as filename None, once as ""), so ``const THEBE_JS_URL`` (from
    sphinx-thebe) was declared twice on every page: a SyntaxError in the console. Keep the first."""
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    seen, kept = set(), []
    for js in files:
        attributes = getattr(js, "attributes", None)
        if getattr(js, "filename", "x") or not isinstance(attributes, dict):
            kept.append(js)
            continue
        key = (getattr(js, "priority", None), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    files[:] = kept


def setup(app) -> dict:
    """The Sphinx extension (``sphinx: extra_extensions: [ramen_edu.viz.site]``)."""
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _add_static_files)
    app.connect("html-page-context", _drop_duplicate_inline_scripts, priority=900)
    app.add_css_file(SITE_CSS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
