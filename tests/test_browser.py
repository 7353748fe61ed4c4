"""The built book as a reader's browser shows it: every page opened in headless Chromium with the
network off.

The HTML comes from ``$RAMEN_EDU_BOOK_HTML`` (``make browser-test`` passes ``_build/html``, just
built by ``make book``), else the book is built here into a temporary folder (``jupyter-book build
. -W -n --keep-going``, seconds: chapters are not executed at build time). It is served from
127.0.0.1 by a thread of this process; Chromium resolves no other host (``--host-resolver-rules``),
and its network log must show no request to any other host. The browser is Debian's ``chromium``
with ``chromedriver`` (``apt-get install chromium chromium-driver``; ``make browser-deps``), both
named by path, so Selenium never looks for, let alone downloads, a browser or a driver.

Checked on every page: no JavaScript error (console SEVERE), no off-host request, plotly.js and
MathJax each loaded at most once (plotly.js only where there are figures), every plotly figure
drawn (``.main-svg``) and as many figures as the chapter's notebook saved, no executable ``<script>`` inside a cell output, no raw MyST directive or
role text, no unrendered mathematics, no markdown pipe table, no empty output (e.g. an ipywidgets
view with no kernel), no display equation cut at the right edge at 1280 px; every internal link
resolves, anchors included. Figures and tables must also *read*: no two text boxes of a figure
(title, subplot titles, tick labels, axis titles, legend) overlap, none is cut at the figure's
edge or lies over a plot area (FIGURE_TEXT_JS); every table cell is padded, numbers are on one
line and right-aligned in cell outputs, "±" never ends a line (TABLE_JS, computed styles). A
full-page screenshot of each page goes to ``_build/screenshots/`` (``$RAMEN_EDU_SCREENSHOTS``),
one per figure to ``figures/`` and one per output table to ``tables/`` beneath it.

Without chromium/chromedriver the tests skip, except under CI (``$CI`` set), where they fail.
"""
from __future__ import annotations

import base64
import functools
import html.parser
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RAMEN_EDU_CHROMIUM") or next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RAMEN_EDU_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("RAMEN_EDU_SCREENSHOTS", ROOT / "_build" / "screenshots"))
WIDTH, HEIGHT = 1280, 900
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Requests to other hosts that a page may make: none (MathJax and plotly.js are bundled).
ALLOWED_OFF_HOST: tuple[str, ...] = ()
WAIT_S = 30
# least padding, left and right, of a table cell (the theme's tables have 8 px; none was 1 px)
MIN_PAD_PX = 4
# The browser's own request for /favicon.ico (no page asks for it; the book has no favicon).
BROWSER_NOISE = re.compile(r"/favicon\.ico - Failed to load resource")

# raw MyST: a directive fence (```{x} / :::{x}), a role ({x}`...`), or an exercise directive name
RAW_MYST = re.compile(r"(`{3}|:{3})\s*\{[\w:-]+\}|\{[a-z][\w:-]*\}`|\{(exercise|solution|prf:\w+)[\w:-]*\}|^\s*`{3}",
                      re.MULTILINE)
# raw TeX in prose: \( \) \[ \] $$, a $...$ pair on one line, or a TeX command
RAW_MATH = re.compile(r"\\[()\[\]]|\$\$|\$[^$\s][^$\n]*\$|\\(frac|math[a-z]+|lambda|alpha|beta|sigma|phi|sum|"
                      r"left|right|begin|end|cdot|ldots|operatorname|text|tag|label|sqrt|top)\b")
# a markdown pipe table's separator row: |---|---:| (smart quotes may have made the dashes — or –)
PIPE_TABLE = re.compile(r"^\s*\|?(\s*:?[-—–]{1,}:?\s*\|){2,}", re.MULTILINE)
PLOTLY_LIB = re.compile(r"(^|/)plotly[^/]*\.js", re.IGNORECASE)
MATHJAX_LIB = re.compile(r"mathjax|/tex-(svg|chtml|mml)", re.IGNORECASE)

# One call per page: everything the checks need from the rendered DOM.
COLLECT_JS = r"""
const root = document.querySelector('article') || document.querySelector('main') || document.body;
const skipProse = 'pre, code, script, style, svg, textarea, mjx-container, .cell_input, .MathJax';
const skipAll = 'script, style, svg, textarea, mjx-container, .cell_input, .MathJax';
function textOf(skip) {
  const parts = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && !n.parentElement.closest(skip)) parts.push(n.data);
  }
  return parts.join('\n');
}
const figures = new Set(document.querySelectorAll('.ramen-plotly-figure, .plotly-graph-div, .js-plotly-plot'));
const outputs = Array.from(document.querySelectorAll('.cell_output'));
const visual = 'img, svg, canvas, table, iframe, video, mjx-container, .jupyter-widgets';
const execTypes = ['', 'text/javascript', 'application/javascript', 'module'];
const display = Array.from(document.querySelectorAll('mjx-container[display="true"]'));
const box = root.getBoundingClientRect();
return {
  title: document.title,
  url: location.href,
  prose: textOf(skipProse),
  text: textOf(skipAll),
  figures: figures.size,
  undrawn: Array.from(figures).filter(f => !f.querySelector('.main-svg')).length,
  scripts: Array.from(document.scripts).map(s => s.getAttribute('src')).filter(Boolean),
  output_scripts: outputs.flatMap(o => Array.from(o.querySelectorAll('script')))
    .filter(s => execTypes.includes((s.getAttribute('type') || '').toLowerCase())).length,
  unrendered_math: Array.from(document.querySelectorAll('.math')).filter(m => !m.querySelector('mjx-container'))
    .map(m => m.textContent.slice(0, 80)),
  empty_outputs: outputs.filter(o => !o.innerText.trim() && !o.querySelector(visual))
    .map(o => (o.innerHTML || '(nothing)').slice(0, 120)),
  widget_views: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
  clipped_math: display.filter(el => {
    const r = el.getBoundingClientRect();
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    return r.right > box.right + 2 || (el.scrollWidth > el.clientWidth + 2 && !scrolls);
  }).length,
  display_math: display.length,
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  mathjax: !!(window.MathJax && window.MathJax.startup),
};
"""

WAIT_MATHJAX_JS = r"""
const done = arguments[arguments.length - 1];
if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
  window.MathJax.startup.promise.then(() => done('ok'), e => done('error: ' + e));
} else { done('none'); }
"""

# Does every figure read? For each drawn plotly figure: the boxes of its text (title, annotations
# such as subplot titles, tick labels, axis titles, legend entries) must not overlap each other,
# must lie inside the figure (a title wider than the figure is cut), and a title, tick label or
# axis title must not lie over a plot area (a panel's long tick labels running into the panel on
# its left). Plot areas come from plotly's own layout (gd._fullLayout._plots). TOL px of overlap
# are tolerated: glyph boxes include the font's line gap. Trace text (values printed on a
# heatmap, node names of a graph drawing) is not checked. Returns one entry per figure.
FIGURE_TEXT_JS = r"""
const TOL = 2;
function box(r) { return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }
function overlaps(a, b) {
  return Math.min(a.r, b.r) - Math.max(a.l, b.l) > TOL && Math.min(a.b, b.b) - Math.max(a.t, b.t) > TOL;
}
function kind(el) {
  const cls = el.getAttribute('class') || '';
  const parent = (el.parentNode && el.parentNode.getAttribute && el.parentNode.getAttribute('class')) || '';
  if (/\bgtitle\b/.test(cls)) return 'title';
  if (/\bannotation-text\b/.test(cls)) return 'annotation';
  if (/\blegendtext\b/.test(cls)) return 'legend';
  if (/^[xy]\d*title$/.test(cls)) return 'axis title';
  if (/(^|\s)[xy]\d*tick(\s|$)/.test(parent)) return 'tick';
  return 'text';
}
const out = [];
document.querySelectorAll('.js-plotly-plot').forEach((gd, index) => {
  const svg = gd.querySelector('.main-svg');
  if (!svg) return;
  const frame = box(svg.getBoundingClientRect());
  const texts = [];
  gd.querySelectorAll('svg text').forEach(el => {
    // trace text (a heatmap's cell values, node names in chapter 2's neighbourhood drawing) is not
    // checked: where a force layout crowds nodes their names overlap, and hover shows each one
    if (el.closest('.hoverlayer') || !el.textContent.trim() || kind(el) === 'text') return;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || getComputedStyle(el).visibility === 'hidden') return;
    texts.push({kind: kind(el), text: el.textContent.trim().slice(0, 60), box: box(r)});
  });
  const problems = [];
  for (let i = 0; i < texts.length; i++) {
    const a = texts[i];
    for (let j = i + 1; j < texts.length; j++) {
      const b = texts[j];
      if (overlaps(a.box, b.box)) problems.push(`${a.kind} '${a.text}' overlaps ${b.kind} '${b.text}'`);
    }
    const cut = [['left', frame.l - a.box.l], ['right', a.box.r - frame.r],
                 ['top', frame.t - a.box.t], ['bottom', a.box.b - frame.b]].filter(([, d]) => d > TOL);
    if (cut.length) problems.push(`${a.kind} '${a.text}' cut at the ${cut.map(c => c[0]).join(' and ')} edge`);
  }
  const full = gd._fullLayout || {};
  const areas = Object.entries(full._plots || {}).map(([id, p]) => ({id,
    l: frame.l + p.xaxis._offset, r: frame.l + p.xaxis._offset + p.xaxis._length,
    t: frame.t + p.yaxis._offset, b: frame.t + p.yaxis._offset + p.yaxis._length}));
  for (const a of texts) {
    if (!['title', 'tick', 'axis title'].includes(a.kind)) continue;
    for (const area of areas) {
      if (overlaps(a.box, area)) problems.push(`${a.kind} '${a.text}' lies over the plot area ${area.id}`);
    }
  }
  out.push({index: index, title: (((gd.layout || {}).title || {}).text || '').replace(/<[^>]+>/g, ' ').slice(0, 80), texts: texts.length,
            width: Math.round(frame.r - frame.l), problems: problems});
});
return out;
"""

# Do tables read? Every table cell in the article: at least MIN_PAD_PX of padding left and right
# (without it neighbouring numbers run together: "312,3302.11"); a numeric cell ("6,847",
# "21.93 ± 0.41", "+1.18 ± 0.93 *", "16.2%") on one line, and right-aligned in a cell output;
# a cell with "±" kept together at any width (white-space nowrap, or no breakable space around it).
TABLE_JS = r"""
const MIN_PAD = arguments[0];
const NUMERIC = /^[+\-−–]?\d[\d,.]*\s*%?(\s*±\s*([+\-−]?\d[\d,.]*|–|-)\s*%?)?(\s*\*)?$/;
const root = document.querySelector('article') || document.querySelector('main') || document.body;
const out = [];
root.querySelectorAll('table').forEach((table, index) => {
  if (table.closest('.cell_input, pre, .highlight')) return;
  const problems = {padding: [], align: [], wrapped: [], breakable: []};
  const output = !!table.closest('.cell_output');
  let cells = 0;
  table.querySelectorAll('td, th').forEach(cell => {
    cells++;
    const cs = getComputedStyle(cell);
    const text = cell.innerText.trim();
    if (parseFloat(cs.paddingLeft) < MIN_PAD || parseFloat(cs.paddingRight) < MIN_PAD) {
      problems.padding.push(`'${text.slice(0, 30)}' (padding ${cs.paddingLeft} / ${cs.paddingRight})`);
    }
    if (cell.tagName !== 'TD' || !text) return;
    const numeric = NUMERIC.test(text);
    // alignment is checked in cell outputs (data tables); a prose table's alignment is its author's
    if (numeric && output && !['right', 'end'].includes(cs.textAlign)) problems.align.push(`'${text}' (${cs.textAlign})`);
    if (numeric) {
      // line boxes of the cell's text nodes (not of the <p> around them): tops more than 3 px apart
      const tops = [];
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) {
          if (r.width > 0 && !tops.some(t => Math.abs(t - r.top) <= 3)) tops.push(r.top);
        }
      }
      if (tops.length > 1) problems.wrapped.push(`'${text}' (${tops.length} lines)`);
    }
    if (text.includes('±') && !['nowrap', 'pre'].includes(cs.whiteSpace) && /[ \t]±|±[ \t]/.test(cell.textContent)) {
      problems.breakable.push(`'${text}' (white-space ${cs.whiteSpace})`);
    }
  });
  out.push({index: index, cells: cells, head: table.innerText.trim().slice(0, 60).replace(/\s+/g, ' '), problems: problems});
});
return out;
"""

FIGURES_DRAWN_JS = r"""
const figs = document.querySelectorAll('.ramen-plotly-figure, .plotly-graph-div');
return Array.from(figs).every(f => f.querySelector('.main-svg'));
"""


@dataclass
class Page:
    path: str                        # relative to the HTML root
    info: dict = field(default_factory=dict)
    severe: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    mathjax_wait: str = ""
    screenshot: Path | None = None
    figures: list[dict] = field(default_factory=list)       # FIGURE_TEXT_JS, one entry per figure
    tables: list[dict] = field(default_factory=list)        # TABLE_JS, one entry per table
    element_shots: list[Path] = field(default_factory=list)  # one PNG per figure and per output table


# --------------------------------------------------------------------------- fixtures

def _build_book(out: Path) -> Path:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(ROOT), "--path-output", str(out),
           "-W", "-n", "--keep-going"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    html_dir = out / "_build" / "html"
    assert done.returncode == 0 and (html_dir / "index.html").is_file(), \
        f"book build failed ({' '.join(cmd)}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return html_dir


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> Path:
    given = os.environ.get("RAMEN_EDU_BOOK_HTML")
    if given:
        path = Path(given)
        path = path if path.is_absolute() else ROOT / path
        assert (path / "index.html").is_file(), f"$RAMEN_EDU_BOOK_HTML={given}: no index.html (run make book)"
        return path
    return _build_book(tmp_path_factory.mktemp("book"))


@pytest.fixture(scope="session")
def server(html_dir, serve_directory):
    with serve_directory(html_dir) as url:
        yield url


def _missing_browser() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return f"{path} missing: apt-get install chromium chromium-driver (or make browser-deps)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium missing: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="session")
def driver():
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={WIDTH},{HEIGHT}", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--lang=en-US",
                # the network is off for the page: no host but the local server resolves
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    drv.set_page_load_timeout(120)
    drv.set_script_timeout(WAIT_S)
    yield drv
    drv.quit()


def page_paths(html_root: Path) -> list[str]:
    """Every HTML page of the site (not the theme's or Sphinx's assets)."""
    skip = ("_static", "_sources", "_images", "_downloads")
    return sorted(p.relative_to(html_root).as_posix() for p in html_root.rglob("*.html")
                  if not p.relative_to(html_root).parts[0] in skip)


def _shoot(drv, target: Path) -> Path:
    """A full-page screenshot: the viewport is made as tall as the page for the shot (Chrome's
    captureBeyondViewport mis-places the layout of some long pages)."""
    size = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    height = max(HEIGHT, min(int(size["height"]), 40000))
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        time.sleep(0.5)                                                  # re-layout, figures resize
        shot = drv.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


def _shoot_elements(drv, stem: str) -> list[Path]:
    """One PNG per plotly figure (``figures/<page>__fig<n>.png``) and per table in a cell output
    (``tables/<page>__table<n>.png``), at 1280 px: what a reader sees of each, for review. As in
    :func:`_shoot` the viewport is made as tall as the page (a figure taller than the window is
    shot whole, and the theme's sticky header, at the page's top, covers none of it), and the
    mouse is moved off the figures so plotly's hover toolbar is not in the picture."""
    size = drv.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    height = max(HEIGHT, min(int(size["height"]), 40000))
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
    shots = []
    try:
        drv.execute_script("window.scrollTo(0, 0);")
        drv.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 0, "y": 0})
        time.sleep(0.5)                                                  # re-layout, figures resize
        # a wide table scrolls sideways inside its output: shown whole for its picture (undone below)
        drv.execute_script("document.querySelectorAll('.cell_output .output').forEach(o => {"
                           " o.dataset.overflow = o.style.overflow; o.style.overflow = 'visible'; });")
        for folder, css, name in (("figures", ".js-plotly-plot", "fig"), ("tables", ".cell_output table", "table")):
            boxes = drv.execute_script(
                "return Array.from(document.querySelectorAll(arguments[0])).map(e => {"
                " const r = e.getBoundingClientRect();"
                " return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; });", css)
            for n, (x, y, w, h) in enumerate(boxes, start=1):
                if w < 1 or h < 1:
                    continue
                shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
                    "format": "png", "clip": {"x": x, "y": y, "width": w, "height": h, "scale": 1}})
                target = SCREENSHOTS / folder / f"{stem}__{name}{n}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(shot["data"]))
                shots.append(target)
    finally:
        drv.execute_script("document.querySelectorAll('.cell_output .output').forEach(o => {"
                           " o.style.overflow = o.dataset.overflow || ''; });")
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return shots


def _requests(perf_log: list[dict]) -> list[str]:
    urls = []
    for entry in perf_log:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _wait(drv, script: str, timeout: float = WAIT_S) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if drv.execute_script(script):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="session")
def pages(html_dir, server, driver) -> dict[str, Page]:
    """Open every page once; what the checks read."""
    for old in [*SCREENSHOTS.glob("*.png"), *SCREENSHOTS.glob("figures/*.png"), *SCREENSHOTS.glob("tables/*.png")]:
        old.unlink()                                                   # the previous run's
    found = {}
    for path in page_paths(html_dir):
        page = Page(path)
        driver.get_log("browser"), driver.get_log("performance")       # drop the previous page's
        driver.get(f"{server}/{path}")
        _wait(driver, "return document.readyState === 'complete'")
        page.mathjax_wait = driver.execute_async_script(WAIT_MATHJAX_JS)
        _wait(driver, FIGURES_DRAWN_JS)
        time.sleep(0.3)                                                # late console errors
        page.info = driver.execute_script(COLLECT_JS)                 # at 1280 px wide
        page.figures = driver.execute_script(FIGURE_TEXT_JS)          # before _shoot resizes the page
        page.tables = driver.execute_script(TABLE_JS, MIN_PAD_PX)
        stem = path.removesuffix(".html").replace("/", "__")
        page.element_shots = _shoot_elements(driver, stem)
        page.screenshot = _shoot(driver, SCREENSHOTS / (stem + ".png"))
        page.severe = [str(e.get("message")) for e in driver.get_log("browser")
                       if e.get("level") == "SEVERE" and not BROWSER_NOISE.search(str(e.get("message")))]
        page.requests = _requests(driver.get_log("performance"))
        found[path] = page
    return found


def _report(bad: dict[str, object]) -> str:
    return "\n".join(f"  {path}: {what}" for path, what in bad.items())


# --------------------------------------------------------------------------- the checks

def test_every_chapter_page_is_opened(pages, html_dir):
    source = html_dir.parent.parent                       # SOURCE/_build/html; else this repository
    toc = (source / "_toc.yml" if (source / "_toc.yml").is_file() else ROOT / "_toc.yml").read_text(encoding="utf-8")
    docs = re.findall(r"(?:root|file):\s*(\S+)", toc)
    missing = [d for d in docs if f"{d}.html" not in pages]
    assert docs and not missing, f"pages in _toc.yml not in the built site: {missing}"


def test_no_javascript_errors(pages):
    bad = {p: page.severe for p, page in pages.items() if page.severe}
    assert not bad, "console errors (SEVERE):\n" + _report(bad)


def test_no_request_leaves_the_machine(pages):
    def off_host(url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return (parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS
                and not any(url.startswith(allowed) for allowed in ALLOWED_OFF_HOST))
    bad = {p: sorted({u for u in page.requests if off_host(u)}) for p, page in pages.items()}
    bad = {p: urls for p, urls in bad.items() if urls}
    assert not bad, "requests to other hosts (the site must work offline):\n" + _report(bad)


def test_each_library_is_loaded_once(pages):
    bad = {}
    for p, page in pages.items():
        scripts = page.info["scripts"]
        plotly = [s for s in scripts if PLOTLY_LIB.search(s)]
        mathjax = [s for s in scripts if MATHJAX_LIB.search(s)]
        if len(plotly) > 1 or len(mathjax) > 1:
            bad[p] = f"plotly.js {plotly}, MathJax {mathjax}"
        elif plotly and not page.info["figures"]:
            bad[p] = f"plotly.js loaded on a page without figures: {plotly}"
    assert not bad, "libraries loaded more than once or needlessly:\n" + _report(bad)


def test_every_plotly_figure_is_drawn(pages):
    bad = {p: f"{page.info['undrawn']} of {page.info['figures']} figures have no .main-svg"
           for p, page in pages.items() if page.info["undrawn"]}
    assert not bad, "figures not drawn:\n" + _report(bad)


def _saved_figures(notebook: Path) -> int:
    """Plotly figures saved in a chapter's outputs that the book shows (not removed by a tag)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    hidden = {"remove-output", "remove-cell", "remove_output", "remove_cell"}
    return sum("application/vnd.plotly.v1+json" in out.get("data", {}) or "plotly-graph-div" in
               "".join(out.get("data", {}).get("text/html", ""))
               for cell in cells if not hidden & set(cell.get("metadata", {}).get("tags", []))
               for out in cell.get("outputs", []))


def test_every_saved_figure_reaches_its_page(pages, html_dir):
    """Each figure in a chapter's outputs is a figure on its page (a mime type the build cannot
    render is dropped without a trace)."""
    bad = {}
    for p, page in pages.items():
        source = html_dir / "_sources" / (p.removesuffix(".html") + ".ipynb")
        if source.is_file() and _saved_figures(source) != page.info["figures"]:
            bad[p] = f"{_saved_figures(source)} figures in {source.name}, {page.info['figures']} on the page"
    assert not bad, "figures lost between notebook and page:\n" + _report(bad)


def test_outputs_carry_no_executable_scripts(pages):
    bad = {p: f"{page.info['output_scripts']} <script> tags" for p, page in pages.items()
           if page.info["output_scripts"]}
    assert not bad, "cell outputs with their own scripts (a figure must render from its plotly JSON):\n" \
        + _report(bad)


def _snippets(pattern: re.Pattern, text: str, n: int = 3) -> list[str]:
    return [text[max(0, m.start() - 30): m.end() + 30].replace("\n", "⏎") for m in pattern.finditer(text)][:n]


def _pages_matching(pages, pattern: re.Pattern, field: str) -> dict:
    """{page: up to 3 snippets around matches of ``pattern`` in its ``info[field]``}, pages with matches."""
    found = {p: _snippets(pattern, page.info[field]) for p, page in pages.items()}
    return {p: s for p, s in found.items() if s}


def test_no_raw_directive_text(pages):
    bad = _pages_matching(pages, RAW_MYST, "prose")
    assert not bad, "raw MyST directive/role text in the page:\n" + _report(bad)


def test_mathematics_is_rendered(pages):
    bad = {}
    for p, page in pages.items():
        raw = _snippets(RAW_MATH, page.info["prose"])
        if page.info["unrendered_math"]:
            raw.append(f"math elements MathJax did not render: {page.info['unrendered_math'][:3]}")
        if page.mathjax_wait.startswith("error"):
            raw.append(f"MathJax: {page.mathjax_wait}")
        if raw:
            bad[p] = raw
    assert not bad, "raw TeX in the page:\n" + _report(bad)


def test_display_equations_are_not_cut(pages):
    bad = {p: f"{page.info['clipped_math']} of {page.info['display_math']} display equations cut at {WIDTH} px"
           for p, page in pages.items() if page.info["clipped_math"]}
    assert not bad, "display equations cut at the right edge:\n" + _report(bad)


def test_no_markdown_pipe_tables(pages):
    bad = _pages_matching(pages, PIPE_TABLE, "text")
    assert not bad, "markdown pipe tables shown as text (render them as tables):\n" + _report(bad)


def test_no_empty_outputs(pages):
    bad = {}
    for p, page in pages.items():
        what = []
        if page.info["empty_outputs"]:
            what.append(f"{len(page.info['empty_outputs'])} empty outputs, e.g. {page.info['empty_outputs'][0]!r}")
        if page.info["widget_views"]:
            what.append(f"{page.info['widget_views']} ipywidgets views (blank without a kernel: tag the cell "
                        "remove-output and show a static figure)")
        if what:
            bad[p] = what
    assert not bad, "empty outputs:\n" + _report(bad)


class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def _anchors(path: Path) -> frozenset[str]:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def test_internal_links_resolve(pages, html_dir, server):
    bad: dict[str, list[str]] = {}
    for p, page in pages.items():
        for url in page.info["links"]:
            if not url.startswith(server + "/"):
                continue                                   # external: not followed (network off)
            parts = urllib.parse.urlsplit(url)
            target = html_dir / urllib.parse.unquote(parts.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            problem = None
            if not target.is_file():
                problem = "no such file"
            elif parts.fragment and target.suffix == ".html" \
                    and urllib.parse.unquote(parts.fragment) not in _anchors(target):
                problem = "no such anchor"
            if problem:
                bad.setdefault(p, []).append(f"{url.removeprefix(server)} ({problem})")
    bad = {p: sorted(set(v))[:10] for p, v in bad.items()}
    assert not bad, "internal links that do not resolve:\n" + _report(bad)


def test_screenshots_are_saved(pages):
    missing = [p for p, page in pages.items() if not (page.screenshot and page.screenshot.stat().st_size > 1000)]
    assert not missing, f"no screenshot for {missing}"
    figures = {p: (len(page.figures), sum("__fig" in s.name for s in page.element_shots)) for p, page in pages.items()}
    short = {p: f"{shot} screenshots for {n} figures" for p, (n, shot) in figures.items() if shot != n}
    assert not short, "a screenshot per figure:\n" + _report(short)


def test_figure_text_neither_overlaps_nor_is_cut(pages):
    """Titles, subplot titles, tick labels, axis titles and legend entries of every figure: no two
    overlap, none runs past the figure's edge, none but annotations and legends lies over a plot
    area (FIGURE_TEXT_JS). Screenshots: _build/screenshots/figures/."""
    bad = {}
    for p, page in pages.items():
        for fig in page.figures:
            if fig["problems"]:
                bad[f"{p} figure {fig['index'] + 1} ({fig['title'] or 'untitled'}, {fig['width']} px)"] = \
                    fig["problems"][:4] + ([f"... {len(fig['problems']) - 4} more"] if len(fig["problems"]) > 4 else [])
    assert not bad, "figure text that overlaps or is cut:\n" + _report(bad)


def test_table_cells_are_padded_and_numbers_read(pages):
    """Every table: cells padded (MIN_PAD_PX left and right); numeric cells right-aligned and on
    one line; "a ± b" never broken across lines (TABLE_JS). Screenshots: _build/screenshots/tables/."""
    bad = {}
    what = {"padding": f"cells with under {MIN_PAD_PX} px padding", "align": "numbers not right-aligned",
            "wrapped": "numbers broken over lines", "breakable": "'±' that may end a line"}
    for p, page in pages.items():
        for table in page.tables:
            found = [f"{len(v)} {what[k]}, e.g. {v[0]}" for k, v in table["problems"].items() if v]
            if found:
                bad[f"{p} table {table['index'] + 1} ({table['head'][:40]}...)"] = found
    assert not bad, "tables that do not read:\n" + _report(bad)
