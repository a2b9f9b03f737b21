// Intranets without internet: when the CDN copy of htmx did not load, load the bundled one.
(function () {
  if (window.htmx) return;
  var me = document.currentScript;
  var local = document.createElement("script");
  local.src = me.getAttribute("data-htmx-local");
  local.onload = function () {
    // htmx starts on DOMContentLoaded, or at once when the document is already complete. A copy that
    // arrives in between (readyState "interactive") would wait for an event that has passed: replay it.
    if (document.readyState === "interactive") {
      document.dispatchEvent(new Event("DOMContentLoaded"));
    }
  };
  document.head.appendChild(local);
})();
