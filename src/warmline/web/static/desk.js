// Warmline rep desk: overflow countdowns, transcripts that follow the latest turn, and the
// live-connection indicator. Everything else is htmx attributes in the server's HTML.
(function () {
  "use strict";

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-remaining]").forEach(function (el) {
      if (!el.dataset.t0) { el.dataset.t0 = String(now); }
      var left = Number(el.dataset.remaining) - (now - Number(el.dataset.t0)) / 1000;
      var shown = Math.max(0, Math.ceil(left));
      var b = el.querySelector("b");
      if (b) { b.textContent = String(shown); }
      el.classList.toggle("due", shown <= 10);
    });
    document.querySelectorAll("[data-waited]").forEach(function (el) {
      if (!el.dataset.t0) { el.dataset.t0 = String(now); }
      var waited = Number(el.dataset.waited) + (now - Number(el.dataset.t0)) / 1000;
      var b = el.querySelector("b");
      if (b) { b.textContent = String(Math.floor(waited)); }
    });
  }

  function followTranscripts(root) {
    (root || document).querySelectorAll(".transcript").forEach(function (ol) {
      ol.scrollTop = ol.scrollHeight;
    });
  }

  function setLive(state, text) {
    var el = document.getElementById("live");
    if (el) { el.dataset.live = state; el.textContent = text; }
  }

  function notify(message) {
    var area = document.getElementById("notice");
    if (!area) { return; }
    var p = document.createElement("p");
    p.className = "notice error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    area.replaceChildren(p);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    followTranscripts();
    window.setInterval(tick, 1000);
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    tick();
    followTranscripts(evt.target.parentElement || evt.target);
    var area = document.getElementById("notice");
    if (area && evt.target !== area && evt.detail.successful && evt.detail.requestConfig &&
        evt.detail.requestConfig.verb !== "get") {
      area.replaceChildren();  // a successful action clears the last error
    }
  });
  // An element with `data-sse-match='{"handoff_id": "h-1"}'` asks for a re-draw only on the
  // stream events whose data carries those values (htmx's trigger filters would need eval,
  // which the pages' Content-Security-Policy forbids).
  document.addEventListener("htmx:confirm", function (evt) {
    var elt = evt.detail.elt, trigger = evt.detail.triggeringEvent;
    var wanted = elt && elt.dataset ? elt.dataset.sseMatch : null;
    if (!wanted || !trigger || String(trigger.type).slice(0, 4) !== "sse:") { return; }
    var data;
    try { data = JSON.parse(trigger.detail.data); } catch (e) { data = {}; }
    var match = JSON.parse(wanted);
    for (var key in match) {
      if (data[key] != match[key]) { evt.preventDefault(); return; }  // null matches undefined
    }
  });
  document.addEventListener("htmx:sseOpen", function () { setLive("open", "live"); });
  document.addEventListener("htmx:sseError", function () { setLive("error", "reconnecting…"); });
  document.addEventListener("htmx:sendError", function () {
    notify("The server did not answer; check your connection and try again.");
  });
  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status >= 500) {
      notify("Something went wrong on the server (" + evt.detail.xhr.status + "); try again.");
    }
  });
})();
