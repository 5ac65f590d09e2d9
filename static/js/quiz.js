/* Quiz attempt page: progressive enhancement only (the forms work without it).
 *
 * - Counts down from the server's remaining seconds (data-remaining, computed by the
 *   server from the attempt's deadline; the browser's own clock is never trusted: the
 *   server refuses late answers whatever this script shows).
 * - Autosaves the page's answers (fetch POST, JSON) every 20 s when something changed,
 *   and when the page is hidden or left. Each save carries a growing sequence number; the
 *   server answers 4xx with a message on a stale sequence, a tampered id or after the
 *   deadline, and the message is shown.
 * - Submits the attempt when the countdown reaches 0.
 * - Disables the buttons after the first click, so a double click sends one request.
 */
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  if (!form) return;
  var statusBox = document.getElementById("quiz-status");
  var timer = document.getElementById("quiz-timer");
  var saveUrl = form.getAttribute("data-save-url");
  var page = parseInt(form.getAttribute("data-page") || "0", 10) || null;
  var seqInput = form.querySelector("input[name=sequence]");
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var dirty = false;
  var saving = false;
  var stopped = false;
  var submitting = false;

  function say(text, isError) {
    if (!statusBox) return;
    statusBox.textContent = text || "";
    statusBox.className = "quiz-status" + (isError ? " quiz-status--error" : "");
  }

  function collect() {
    var answers = {};
    var sets = form.querySelectorAll("fieldset[data-key]");
    for (var i = 0; i < sets.length; i++) {
      var fs = sets[i];
      var key = fs.getAttribute("data-key");
      if (fs.getAttribute("data-qtype") === "fill") {
        var input = fs.querySelector("input[type=text]");
        answers[key] = input ? input.value : "";
      } else {
        var picked = [];
        var boxes = fs.querySelectorAll("input:checked");
        for (var j = 0; j < boxes.length; j++) picked.push(boxes[j].value);
        answers[key] = picked;
      }
    }
    return answers;
  }

  function save(keepalive) {
    if (!saveUrl || !seqInput || stopped || saving || submitting || !dirty) return;
    saving = true;
    dirty = false;
    var sequence = parseInt(seqInput.value, 10);
    say(form.getAttribute("data-msg-saving"));
    var request = fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfInput ? csrfInput.value : "",
        "X-Requested-With": "fetch"
      },
      body: JSON.stringify({ page: page, sequence: sequence, answers: collect() })
    });
    // The next request (a save or the page's own form) must carry a greater number.
    seqInput.value = String(sequence + 1);
    if (keepalive) { saving = false; return; }
    request.then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        saving = false;
        if (response.ok) {
          var next = (data.sequence || sequence) + 1;
          if (parseInt(seqInput.value, 10) < next) seqInput.value = String(next);
          var now = new Date();
          say(form.getAttribute("data-msg-saved") + " " + now.toLocaleTimeString());
          return;
        }
        say(data.error || form.getAttribute("data-msg-failed"), true);
        if (data.redirect) {
          stopped = true;
          window.setTimeout(function () { window.location.assign(data.redirect); }, 2500);
        } else if (response.status === 409 || response.status === 400) {
          stopped = true; // stale or refused: the person reloads, nothing is overwritten
        } else {
          dirty = true;
        }
      });
    }).catch(function () {
      saving = false;
      dirty = true;
      say(form.getAttribute("data-msg-failed"), true);
    });
  }

  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("input", function () { dirty = true; });
  window.setInterval(function () { save(false); }, 20000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save(true);
  });
  window.addEventListener("pagehide", function () { save(true); });

  form.addEventListener("submit", function (event) {
    if (submitting) { event.preventDefault(); return; }
    submitting = true;
    // Disabled after this event: the clicked button's name and value are already taken.
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    }, 0);
  });

  function timeUp() {
    if (submitting) return;
    say(form.getAttribute("data-msg-timeup"), true);
    if (form.querySelector("fieldset[data-key]")) {
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "submit_now";
      form.appendChild(action);
    }
    submitting = true;
    form.submit();
  }

  if (timer) {
    var remaining = parseInt(timer.getAttribute("data-remaining"), 10);
    var startedAt = Date.now();
    var warned = false;
    var render = function (left) {
      var h = Math.floor(left / 3600);
      var m = Math.floor((left % 3600) / 60);
      var s = left % 60;
      var mm = (m < 10 ? "0" : "") + m;
      var ss = (s < 10 ? "0" : "") + s;
      timer.textContent = h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
    };
    if (!isNaN(remaining)) {
      var tick = function () {
        // Elapsed time from a monotonic-ish source, not the wall clock's absolute value.
        var left = Math.max(0, remaining - Math.floor((Date.now() - startedAt) / 1000));
        render(left);
        if (left <= 60 && !warned) {
          warned = true;
          timer.parentNode.classList.add("quiz-timer--low");
          say(form.getAttribute("data-msg-warning"));
        }
        if (left <= 0) { window.clearInterval(handle); timeUp(); }
      };
      var handle = window.setInterval(tick, 1000);
      tick();
    }
  }
})();
