// The letters page. The Print button opens the browser's print dialog (no inline handlers under the CSP). On
// issued letters (the button carries data-record) it first records the print: a POST with the CSRF token, and
// the dialog opens only once the server has recorded it; if it cannot, the page says so and nothing is printed.
// Printing from the browser's menu or Ctrl+P records the print too (beforeprint), once per print.
(function () {
  var button = document.querySelector("[data-print]");
  var busy = false;
  var printingFromButton = false;

  function record(keepalive) {
    var body = new URLSearchParams();
    body.set("lang", button.getAttribute("data-lang"));
    return fetch(button.getAttribute("data-record"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      keepalive: keepalive,
      headers: { "X-CSRFToken": button.getAttribute("data-csrf") },
    }).then(function (response) {
      // A session that ended answers with the sign-in page: not a record.
      if (response.status !== 201 || response.redirected) throw new Error(String(response.status));
    });
  }

  function refused(shown) {
    var notice = document.getElementById("print-refused");
    if (notice) notice.hidden = !shown;
  }

  function printNow() {
    printingFromButton = true;
    try {
      window.print();
    } finally {
      printingFromButton = false;
    }
  }

  document.addEventListener("click", function (event) {
    if (!button || !event.target.closest || event.target.closest("[data-print]") !== button) return;
    if (!button.hasAttribute("data-record")) {
      printNow(); // a draft preview: printed, never recorded
      return;
    }
    if (busy) return;
    busy = true;
    button.disabled = true;
    refused(false);
    function done() {
      busy = false;
      button.disabled = false;
    }
    record(false)
      .then(printNow, function () {
        refused(true);
      })
      .then(done, done);
  });

  window.addEventListener("beforeprint", function () {
    if (printingFromButton || !button || !button.hasAttribute("data-record")) return;
    record(true).catch(function () {
      refused(true);
    });
  });
})();
