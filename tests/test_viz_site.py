"""ramen_edu.viz.site: the chapters' plotly renderer and the Sphinx extension that makes the HTML
book work offline (one local plotly.js, figures drawn from their plotly JSON, MathJax bundled).
The built book itself is checked in a browser by tests/test_browser.py."""
from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from ramen_edu.viz import site

# plotly's start-up output of the "notebook_connected" renderer, as saved in the chapters
STARTUP_HTML = """        <script>
        window.PlotlyConfig = {MathJaxConfig: 'local'};
        if (window.MathJax && window.MathJax.Hub && window.MathJax.Hub.Config) {window.MathJax.Hub.Config({SVG: {font: "STIX-Web"}});}
        </script>
        <script type="module">import "https://cdn.plot.ly/plotly-4.1.1.min"</script>
        """


@pytest.fixture
def restore_renderer():
    before = pio.renderers.default
    yield
    pio.renderers.default = before


def _figure(title: str = "t") -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2]), layout={"title": title, "height": 321})


def test_setup_plotly_saves_only_the_json_bundle_outside_colab(restore_renderer, monkeypatch):
    monkeypatch.delenv("RAMEN_EDU_PLOTLY_RENDERER", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert site.setup_plotly() == "plotly_mimetype" == pio.renderers.default
    bundle = pio.renderers[pio.renderers.default].to_mimebundle(_figure())
    assert set(bundle) == {site.PLOTLY_MIME}          # no text/html, so no <script> in the notebook


def test_setup_plotly_on_colab_and_by_environment(restore_renderer, monkeypatch):
    monkeypatch.delenv("RAMEN_EDU_PLOTLY_RENDERER", raising=False)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert site.setup_plotly() == "colab" == pio.renderers.default
    monkeypatch.setenv("RAMEN_EDU_PLOTLY_RENDERER", "notebook_connected")
    assert site.setup_plotly() == "notebook_connected"
    assert site.setup_plotly("json") == "json" == pio.renderers.default


def test_plotly_js_comes_from_the_installed_plotly_package():
    import plotly
    from plotly.offline import get_plotlyjs_version

    path = site.plotly_js_path()
    assert path.is_file() and Path(plotly.__file__).parent in path.parents
    head = path.read_text(encoding="utf-8")[:200]
    assert f"plotly.js v{get_plotlyjs_version()}" in head   # the version that writes the figure JSON


def test_mathjax_3_is_bundled_by_a_registry_package():
    static = site.mathjax_static_dir()
    assert static is not None, "pip install sphinx-mathjax-offline (the book extra)"
    text = (static / site.MATHJAX_PATH).read_text(encoding="utf-8", errors="replace")
    assert re.search(r'VERSION="3\.\d+\.\d+"', text)


def test_figure_html_is_inert_and_round_trips():
    figure = json.loads(_figure("</script><script>alert(1)</script> & more").to_json())
    html = site.figure_html(figure)
    assert html.count("<script") == 1 and html.count("</script>") == 1   # only the data block
    assert f'<script type="{site.PLOTLY_MIME}" class="ramen-plotly-data">' in html
    assert "height:321px" in html
    payload = html.split('class="ramen-plotly-data">', 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(payload) == figure
    assert site.figure_html(json.dumps(figure)) == html


def test_startup_snippet_is_recognised_and_figures_are_not():
    assert site.is_plotly_startup_html(STARTUP_HTML)
    figure_html = pio.to_html(_figure(), include_plotlyjs="cdn", full_html=False)
    assert not site.is_plotly_startup_html(figure_html)
    assert not site.is_plotly_startup_html("<table><tr><td>1</td></tr></table>")


def test_the_mime_renderer_stays_out_of_builds_without_the_extension():
    data = types.SimpleNamespace(mime_type=site.PLOTLY_MIME, content={}, string="{}")
    outside = types.SimpleNamespace(renderer=types.SimpleNamespace(sphinx_env=None))
    assert site.PlotlyMimeRenderer.handle_mime(outside, data, False) is None
    assert site.PlotlyMimeRenderer.handle_mime(outside, data, True) is None
    from importlib.metadata import entry_points

    names = {ep.value for ep in entry_points(group="myst_nb.mime_renderers")}
    assert "ramen_edu.viz.site:PlotlyMimeRenderer" in names, "pip install -e . registers the entry point"


def test_a_sphinx_build_draws_figures_from_json_with_one_local_plotly(tmp_path):
    """A one-notebook MyST-NB site: the figure output (JSON + plotly's CDN HTML, as the chapters
    committed them) becomes a <div> plus JSON data block; plotly's start-up snippet is dropped;
    plotly.min.js, the loader and MathJax are local files, referenced once."""
    from sphinx.cmd.build import build_main

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_nb", "ramen_edu.viz.site"]\n'
                                 'myst_enable_extensions = ["dollarmath"]\nnb_execution_mode = "off"\n')
    fig = _figure("x &lt; 1")
    figure_output = nbformat.v4.new_output("display_data", data={
        site.PLOTLY_MIME: json.loads(fig.to_json()),
        "text/html": pio.to_html(fig, include_plotlyjs="cdn", full_html=False)})
    startup = nbformat.v4.new_output("display_data", data={"text/html": STARTUP_HTML})
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Page\n\nSome maths: $x^2$.\n\n$$\\sum_i x_i$$\n\n"
                                      "```{toctree}\nplain\n```"),
        nbformat.v4.new_code_cell("fig.show()", outputs=[startup, figure_output]),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, src / "index.ipynb")
    (src / "plain.md").write_text("# Plain\n\nNo figure here.\n")
    assert build_main(["-q", "-W", "-b", "html", str(src), str(out)]) == 0

    page = (out / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert [s for s in scripts if "://" in s] == []                          # nothing from a CDN
    assert sum("_static/plotly.min.js" in s for s in scripts) == 1
    assert sum("_static/ramen-plotly.js" in s for s in scripts) == 1
    assert sum("_static/mathjax/tex-chtml.js" in s for s in scripts) == 1
    assert page.count('class="ramen-plotly-data"') == 1 and "plotly-graph-div" not in page
    assert "window.PlotlyConfig" not in page and "cdn.plot.ly" not in page
    assert "ramen-site.css" in page
    plain = (out / "plain.html").read_text(encoding="utf-8")
    assert "plotly.min.js" not in plain and "ramen-site.css" in plain        # plotly only where figures are
    static = out / "_static"
    assert (static / "plotly.min.js").read_bytes() == site.plotly_js_path().read_bytes()
    assert (static / "ramen-plotly.js").is_file() and (static / "mathjax" / "tex-chtml.js").is_file()
