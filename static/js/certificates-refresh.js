/* Reload a page that shows work in progress (a certificate being prepared, a ZIP being
   built) every data-refresh-seconds, while the tab is visible. Without JavaScript the page
   says to come back or offers a refresh link. */
(function () {
  "use strict";
  var el = document.querySelector("[data-refresh-seconds]");
  if (!el) { return; }
  var seconds = parseInt(el.getAttribute("data-refresh-seconds"), 10);
  if (!(seconds > 0)) { return; }
  window.setTimeout(function tick() {
    if (document.visibilityState === "hidden") {
      window.setTimeout(tick, seconds * 1000);
      return;
    }
    window.location.reload();
  }, seconds * 1000);
})();
