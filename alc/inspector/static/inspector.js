// alc inspector: live updates of a session page over server-sent events (no framework).
// The server sends an "update" event whenever the session moves; the page then fetches itself
// and swaps in the new #session block, and stops listening once the session has ended.
(function () {
  "use strict";
  var root = document.getElementById("session");
  if (!root || root.dataset.ended === "yes" || !window.EventSource) { return; }
  var source = new EventSource(root.dataset.live);
  source.addEventListener("update", function () {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("session");
        var current = document.getElementById("session");
        if (fresh && current) {
          current.replaceWith(fresh);
          if (fresh.dataset.ended === "yes") { source.close(); }
        }
      });
  });
  source.addEventListener("end", function () { source.close(); });
})();
