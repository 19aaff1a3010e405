/* CertTrack header: the navigation folds into a <details> menu on a phone (it opens and closes
 * without any script). On a wider screen the bar is always shown: browsers that know
 * ::details-content do it in CSS; for the others this opens the menu while the window is wide.
 */
(function () {
  "use strict";
  var WIDE = "(min-width: 761px)";

  function init() {
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
