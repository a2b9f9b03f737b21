// Intranets without internet: when the CDN copy of htmx did not load, load the bundled one.
(function () {
  if (window.htmx) return;
  var me = document.currentScript;
  var local = document.createElement("script");
  local.src = me.getAttribute("data-htmx-local");
  document.head.appendChild(local);
})();
