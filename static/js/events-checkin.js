/* The trainer's check-in display: poll the state every 3 s and redraw the QR code, the
   link, the count and the list of who is still missing. Without JS the page refreshes
   itself every 10 s (a <noscript> meta refresh). */
(function () {
  "use strict";
  var root = document.getElementById("checkin-display");
  if (!root) { return; }
  var url = root.getAttribute("data-state-url");
  var noneText = JSON.parse(document.getElementById("checkin-none-text").textContent);

  function byId(id) { return document.getElementById(id); }

  // Full screen for the projector: the site's header and footer are hidden meanwhile
  // (events-checkin.css); the button shows only where the browser supports it.
  var full = byId("checkin-fullscreen");
  if (full && document.documentElement.requestFullscreen) {
    full.hidden = false;
    full.addEventListener("click", function () {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else {
        document.documentElement.requestFullscreen();
      }
    });
  }

  function drawMissing(groups) {
    var box = byId("checkin-missing");
    var frag = document.createDocumentFragment();
    if (!groups.length) {
      var p = document.createElement("p");
      p.textContent = noneText;
      frag.appendChild(p);
    }
    groups.forEach(function (group) {
      var h = document.createElement("h3");
      h.textContent = group.unit;
      var ul = document.createElement("ul");
      ul.className = "checkin-names";
      group.names.forEach(function (name) {
        var li = document.createElement("li");
        li.textContent = name;
        ul.appendChild(li);
      });
      frag.appendChild(h);
      frag.appendChild(ul);
    });
    box.replaceChildren(frag);
  }

  function draw(state) {
    byId("checkin-open").hidden = !state.open;
    byId("checkin-closed").hidden = state.open;
    if (state.open) {
      var link = byId("checkin-url");
      if (link.getAttribute("href") !== state.url) {
        // The SVG is made by the server (segno) from our own URL: no user content.
        byId("checkin-qr").innerHTML = state.qr_svg;
        link.setAttribute("href", state.url);
        link.textContent = state.url;
      }
    }
    byId("checkin-count").textContent = state.count;
    byId("checkin-expected").textContent = state.expected;
    byId("checkin-walk-ins").textContent = state.walk_ins;
    byId("checkin-flagged").textContent = state.flagged;
    drawMissing(state.missing);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) { draw(state); } })
      .catch(function () { /* keep the last state; try again on the next tick */ })
      .finally(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 3000);
}());
