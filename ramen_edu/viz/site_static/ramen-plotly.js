/* ramen-edu: draw every plotly figure of the page from its JSON data block.
 * Each figure is <div class="ramen-plotly"><div class="ramen-plotly-figure"></div>
 * <script type="application/vnd.plotly.v1+json" class="ramen-plotly-data">{...}</script></div>,
 * written by ramen_edu.viz.site; plotly.min.js (from the installed plotly package) is loaded
 * once, before this file, on pages that have figures. */
(function () {
  "use strict";
  function drawAll() {
    var blocks = document.querySelectorAll("script.ramen-plotly-data");
    for (var i = 0; i < blocks.length; i++) {
      var block = blocks[i];
      var target = block.parentNode.querySelector(".ramen-plotly-figure");
      if (!target || target.getAttribute("data-drawn")) continue;
      target.setAttribute("data-drawn", "1");
      try {
        var figure = JSON.parse(block.textContent);
        var config = Object.assign({responsive: true}, figure.config || {});
        window.Plotly.newPlot(target, figure.data || [], figure.layout || {}, config)
          .catch(function (err) { console.error("ramen-plotly: a figure failed to draw", err); });
      } catch (err) {
        console.error("ramen-plotly: a figure failed to draw", err);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
