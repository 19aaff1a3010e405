/* CertTrack charts: draw every chart container from the figure JSON beside it.
 *
 * A container is <div data-chart="ID">; the figure is in <script type="application/json" id="ID">
 * (Django's json_script), built by indicators/charts.py. No inline script (CSP), no CDN: plotly.js
 * is served by the app. Each container gets data-drawn="1" once Plotly has drawn it.
 */
(function () {
  "use strict";

  function figureFor(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return null; }
    try { return JSON.parse(source.textContent); } catch (e) { return null; }
  }

  function draw(el) {
    var fig = figureFor(el);
    if (!fig || !window.Plotly) {
      el.classList.add("chart-failed");
      return;
    }
    window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, fig.config || {}).then(function () {
      el.setAttribute("data-drawn", "1");
    });
  }

  function resizeAll() {
    document.querySelectorAll("[data-drawn='1']").forEach(function (el) {
      var fig = figureFor(el);
      if (fig && fig.config && fig.config.staticPlot) { return; } // fixed-size sparklines
      window.Plotly.Plots.resize(el);
    });
  }

  function init() {
    document.querySelectorAll("[data-chart]").forEach(draw);
    // Printing lays the page out anew (A4 landscape): redraw the charts at the printed width.
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      var onChange = function () { resizeAll(); };
      if (print.addEventListener) { print.addEventListener("change", onChange); }
      else if (print.addListener) { print.addListener(onChange); }
    }
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
