// The allocation page: keeps the sum of the divisions' inputs and the short by / over by
// warning up to date while typing (zones are not counted). Without JavaScript the page shows
// the saved sum and the server's warning after saving.
(function () {
  "use strict";
  var form = document.getElementById("allocation-form");
  if (!form || !form.querySelector("input.alloc-input")) return;  // read-only: the saved sum stands
  var target = parseInt(form.getAttribute("data-target"), 10);
  var sumOut = document.getElementById("alloc-sum");
  var status = document.getElementById("alloc-status");
  var fmt = function (n) { return n.toLocaleString("en-US"); };
  function update() {
    var sum = 0;
    form.querySelectorAll("input.alloc-input[data-counted]").forEach(function (input) {
      var v = parseInt(input.value, 10);
      if (!isNaN(v) && v > 0) sum += v;
    });
    sumOut.textContent = fmt(sum);
    var diff = sum - target;
    if (diff === 0) {
      status.textContent = status.getAttribute("data-equal");
      status.className = "message success";
    } else {
      status.textContent = status.getAttribute(diff < 0 ? "data-short" : "data-over") + " " + fmt(Math.abs(diff)) + ".";
      status.className = "message warning";
    }
  }
  form.addEventListener("input", update);
  update();
})();
