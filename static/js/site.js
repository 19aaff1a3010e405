/* CertTrack, every page:
 * - The header's navigation folds into a <details> menu on a phone (it opens and closes without
 *   any script). On a wider screen the bar is always shown: browsers that know ::details-content
 *   do it in CSS; for the others this opens the menu while the window is wide.
 * - A card whose content is wider than the window (a table on a phone) scrolls sideways in its
 *   box; such a box joins the tab order so the keyboard can scroll it too (a labelled section
 *   already is a named region).
 */
(function () {
  "use strict";
  var WIDE = "(min-width: 761px)";

  function scrollBoxes() {
    document.querySelectorAll(".panel, .plan-card, .split-table").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-box", "1");
      } else if (!scrolls && box.getAttribute("data-scroll-box") === "1") {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-box");
      }
    });
  }

  function init() {
    scrollBoxes();
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(scrollBoxes, 200);
    });
    window.addEventListener("load", scrollBoxes);  // after charts and fonts
    var menu = document.querySelector("[data-site-menu]");
    if (!menu || !window.matchMedia) { return; }
    var wide = window.matchMedia(WIDE);
    var sync = function () { menu.open = wide.matches; };
    sync();
    if (wide.addEventListener) { wide.addEventListener("change", sync); }
    else if (wide.addListener) { wide.addListener(sync); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
