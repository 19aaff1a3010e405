/* CertTrack charts: draw every chart container from the figure JSON beside it.
 *
 * A container is <div data-chart="ID">; the figure is in <script type="application/json" id="ID">
 * (Django's json_script), built by indicators/charts.py. No inline script (CSP), no CDN: plotly.js
 * is served by the app. Each container gets data-drawn="1" once Plotly has drawn it.
 *
 * A figure may carry a phone variant in layout.meta.narrow (indicators/charts.py: fewer ticks, a
 * smaller legend, heatmap cells without words): drawn while its box is narrower than
 * narrow.width, and swapped when a resize crosses that width (data-narrow="1" while shown).
 */
(function () {
  "use strict";

  function figureFor(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return null; }
    try { return JSON.parse(source.textContent); } catch (e) { return null; }
  }

  function merge(into, from) {
    Object.keys(from).forEach(function (key) {
      var value = from[key];
      if (value && typeof value === "object" && !Array.isArray(value) &&
          into[key] && typeof into[key] === "object" && !Array.isArray(into[key])) {
        merge(into[key], value);
      } else {
        into[key] = value;
      }
    });
    return into;
  }

  function narrowVariant(el) {
    var fig = figureFor(el);
    var narrow = fig && fig.layout && fig.layout.meta && fig.layout.meta.narrow;
    return narrow && el.clientWidth < narrow.width ? narrow : null;
  }

  function prepared(el) {
    var fig = figureFor(el);
    var narrow = narrowVariant(el);
    el.setAttribute("data-narrow", narrow ? "1" : "0");
    if (narrow) {
      merge(fig.layout, narrow.layout || {});
      (narrow.traces || []).forEach(function (props, i) {
        if (props && fig.data[i]) { merge(fig.data[i], props); }
      });
    }
    return fig;
  }

  function draw(el) {
    var fig = figureFor(el);
    if (!fig || !window.Plotly) {
      el.classList.add("chart-failed");
      return;
    }
    fig = prepared(el);
    window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, fig.config || {}).then(function () {
      el.setAttribute("data-drawn", "1");
    });
  }

  function resizeAll() {
    document.querySelectorAll("[data-drawn='1']").forEach(function (el) {
      var fig = figureFor(el);
      if (fig && fig.config && fig.config.staticPlot) { return; } // fixed-size sparklines
      if (el.getAttribute("data-printed") === "1" ||
          (narrowVariant(el) ? "1" : "0") !== el.getAttribute("data-narrow")) {
        el.removeAttribute("data-printed");
        fig = prepared(el);
        window.Plotly.react(el, fig.data || [], fig.layout || {}, fig.config || {});
        return;
      }
      window.Plotly.Plots.resize(el);
    });
  }

  // Printing lays the page out anew at the printed page's width (A4 landscape), which no script
  // can measure: a chart drawn at the window's width would stick out and make the browser shrink
  // the whole printout (more, the wider the window). So while printing, html.printing pins the
  // body to the printed width (dashboard.css), each chart is redrawn at the size its box has
  // there, and the window's layout comes back after printing.
  function fitForPrint() {
    document.documentElement.classList.add("printing");
    document.querySelectorAll("[data-drawn='1']").forEach(function (el) {
      var fig = figureFor(el);
      if (fig && fig.config && fig.config.staticPlot) { return; }
      fig = prepared(el);
      fig.layout.autosize = false;
      fig.layout.width = el.clientWidth;
      if (el.clientHeight > 0) { fig.layout.height = el.clientHeight; }
      el.setAttribute("data-printed", "1");
      window.Plotly.react(el, fig.data || [], fig.layout, fig.config || {});
    });
  }

  function afterPrint() {
    document.documentElement.classList.remove("printing");
    resizeAll();
  }

  var printing = false; // between beforeprint and afterprint

  function init() {
    document.querySelectorAll("[data-chart]").forEach(draw);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      // Without beforeprint (print media emulated), follow the media as it is now: a print's own
      // switches of media come as queued events, even in an odd order (headless Chromium sends
      // "not print", then "print" after beforeprint).
      var onChange = function () {
        if (printing) { return; } // the print's own switch of media: beforeprint fitted the charts
        if (print.matches) { fitForPrint(); } else { afterPrint(); }
      };
      if (print.addEventListener) { print.addEventListener("change", onChange); }
      else if (print.addListener) { print.addListener(onChange); }
    }
    window.addEventListener("beforeprint", function () { printing = true; fitForPrint(); });
    window.addEventListener("afterprint", function () { printing = false; afterPrint(); });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        if (!document.documentElement.classList.contains("printing")) { resizeAll(); }
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
