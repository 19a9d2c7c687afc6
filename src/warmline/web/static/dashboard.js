// Warmline dashboard: the header's live indicator follows the 5-second chart refreshes
// (the desk's follows its event stream instead).
(function () {
  "use strict";

  function setLive(state, text) {
    var el = document.getElementById("live");
    if (el) { el.dataset.live = state; el.textContent = text; }
  }

  document.addEventListener("DOMContentLoaded", function () { setLive("open", "live"); });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (!evt.detail.elt || evt.detail.elt.id !== "charts") { return; }
    if (evt.detail.successful) { setLive("open", "live"); } else { setLive("error", "reconnecting…"); }
  });
})();
