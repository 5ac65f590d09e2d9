/* Lesson progress: reports what was really played of each tracked <video>/<audio>.
 *
 * Progressive enhancement for lesson pages (templates/courses/lesson_page.html). Each
 * tracked player carries data-heartbeat-url, data-media, data-duration and data-seq. The
 * script follows playback with timeupdate, seeking, ratechange, pause/ended and
 * visibilitychange, and sends the interval of media time played since its previous
 * report — every ~15 s and whenever playback pauses, ends, seeks, changes speed or the
 * page is hidden. The server (courses/services/progress.py) decides what counts; nothing
 * here can complete a lesson by itself. No frameworks.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var config = (script && script.dataset) || {};
  var FLUSH_MS = 15000;
  var JUMP_TOLERANCE = 1.5; // seconds of media time beyond the expected advance = a seek

  var players = Array.prototype.slice.call(
    document.querySelectorAll("[data-heartbeat-url][data-media]")
  );
  if (!players.length || !window.fetch) {
    return;
  }

  var seq = 0;
  players.forEach(function (el) {
    seq = Math.max(seq, parseInt(el.dataset.seq || "0", 10) || 0);
  });
  var queue = Promise.resolve();

  function csrfToken() {
    if (config.csrf) {
      return config.csrf;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function format(template, percent) {
    return (template || "%(percent)s%").replace("%(percent)s", String(percent));
  }

  function figureOf(el) {
    return el.closest(".player") || el.parentNode;
  }

  function showPercent(el, percent) {
    var fig = figureOf(el);
    var bar = fig.querySelector("[data-player-bar]");
    var status = fig.querySelector("[data-player-status]");
    if (bar) {
      bar.value = percent;
      bar.textContent = percent + "%";
    }
    if (status) {
      status.textContent = format(config.msgWatched, percent);
    }
  }

  function showLessonState(text, done) {
    var state = document.querySelector("[data-lesson-state]");
    if (state) {
      state.textContent = text;
      if (done) {
        state.classList.add("status", "status--done");
      }
    }
  }

  function showProblem(el, text) {
    var status = figureOf(el).querySelector("[data-player-status]");
    if (status && text) {
      status.textContent = text;
    }
  }

  /* Send one report. Reports go one at a time, in order, so their sequence numbers
   * reach the server in the order they were numbered. */
  function send(el, start, end, rate, visible, leaving) {
    if (!(end > start)) {
      return;
    }
    var body = {
      media: parseInt(el.dataset.media, 10),
      start: Math.max(0, Math.round(start * 100) / 100),
      end: Math.round(end * 100) / 100,
      rate: rate,
      visible: visible
    };
    queue = queue.then(function () {
      seq += 1;
      body.seq = seq;
      return fetch(el.dataset.heartbeatUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!leaving,
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
          "X-Requested-With": "XMLHttpRequest"
        },
        body: JSON.stringify(body)
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return {};
            })
            .then(function (data) {
              if (typeof data.seq === "number" && data.seq > seq) {
                seq = data.seq; // another tab reported in between: continue after it
              }
              if (response.status === 401) {
                showProblem(el, config.msgLogin);
                return;
              }
              if (typeof data.media_percent === "number") {
                showPercent(el, data.media_percent);
              }
              if (data.course_completed) {
                showLessonState(config.msgCourseCompleted, true);
              } else if (data.lesson_completed) {
                showLessonState(config.msgCompleted, true);
              }
              if (!response.ok && data.message && response.status !== 409) {
                showProblem(el, data.message);
              }
            });
        })
        .catch(function () {
          showProblem(el, config.msgError);
        });
    });
  }

  function track(el) {
    var state = { start: null, last: null, wall: null, visible: true };

    function playing() {
      return !el.paused && !el.ended && !el.seeking;
    }

    function open() {
      if (playing()) {
        state.start = state.last = el.currentTime;
        state.wall = Date.now();
        state.visible = !document.hidden; // an interval opened while hidden never counts
      }
    }

    /* Close the open interval at the last position seen and report it. */
    function flush(leaving) {
      if (state.start !== null && state.last !== null) {
        send(el, state.start, state.last, el.playbackRate, state.visible, leaving);
      }
      state.start = state.last = state.wall = null;
    }

    el.addEventListener("play", open);
    el.addEventListener("playing", function () {
      if (state.start === null) {
        open();
      }
    });
    el.addEventListener("timeupdate", function () {
      if (state.start === null) {
        if (playing()) {
          open();
        }
        return;
      }
      var now = Date.now();
      var t = el.currentTime;
      var expected = ((now - state.wall) / 1000) * el.playbackRate;
      state.wall = now;
      if (t < state.last || t - state.last > expected + JUMP_TOLERANCE) {
        // Jumped (a seek the events did not announce): report what was played, restart.
        flush(false);
        open();
        return;
      }
      state.last = t;
    });
    el.addEventListener("seeking", function () {
      flush(false);
    });
    el.addEventListener("seeked", open);
    el.addEventListener("ratechange", function () {
      flush(false);
      open();
    });
    el.addEventListener("pause", function () {
      flush(false);
    });
    el.addEventListener("ended", function () {
      if (state.start !== null) {
        state.last = el.currentTime;
      }
      flush(false);
    });

    return {
      flush: flush,
      restart: function () {
        flush(false);
        open();
      },
      open: open
    };
  }

  var trackers = players.map(track);

  window.setInterval(function () {
    trackers.forEach(function (t) {
      t.restart();
    });
  }, FLUSH_MS);

  document.addEventListener("visibilitychange", function () {
    trackers.forEach(function (t) {
      if (document.hidden) {
        // Report what was played while visible; playback while hidden is not counted.
        t.flush(true);
      } else {
        t.open();
      }
    });
  });

  window.addEventListener("pagehide", function () {
    trackers.forEach(function (t) {
      t.flush(true);
    });
  });
})();
