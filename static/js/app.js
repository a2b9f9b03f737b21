// Small behaviours htmx does not cover: toasts from HX-Trigger, focus after swaps, keyboard for inline edits.
(function () {
  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var item = document.createElement("div");
    item.className = "toast toast-" + (level || "info");
    item.setAttribute("role", level === "error" ? "alert" : "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 6000);
  }
  // The page's own words for what only the browser knows (translated with the page: data-say-* on <body>).
  function said(name) {
    return document.body.getAttribute("data-say-" + name) || "";
  }
  document.body.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    toast(detail.message || detail.value, detail.level);
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 500) toast(said("failed").replace("{status}", status), "error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    toast(said("offline"), "error");
  });
  // After a swap, put the keyboard focus where the user expects it.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) return;
    var focus = target.querySelector("[autofocus], [data-focus]");
    if (focus) focus.focus();
  });
  // Inline edit: Escape cancels (the cancel link carries hx-get back to the read-only view).
  document.body.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest("form[data-inline-edit]");
    if (!form) return;
    var cancel = form.querySelector("[data-cancel]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });
  // The confirmation before an issue (templates/actions/_confirm.html): Cancel or Escape empties its slot and gives
  // the focus back to the button that asked for it. Without JavaScript, Cancel is a link back to the page.
  function cancelConfirm(box) {
    var back = document.getElementById(box.getAttribute("data-return-focus") || "");
    var slot = box.parentNode;
    if (slot && slot.classList && slot.classList.contains("confirm-slot")) slot.innerHTML = "";
    else box.remove();
    if (back) back.focus();
  }
  document.body.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-confirm-cancel]");
    var box = cancel && cancel.closest("[data-confirm]");
    if (!box) return;
    event.preventDefault();
    cancelConfirm(box);
  });
  document.body.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var box = event.target.closest && event.target.closest("[data-confirm]");
    if (!box) return;
    event.preventDefault();
    cancelConfirm(box);
  });
  // Select-all checkbox for tables with multi-select.
  document.body.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.matches || !all.matches("input[data-select-all]")) return;
    var scope = document.querySelectorAll("input[name='" + all.getAttribute("data-select-all") + "']");
    scope.forEach(function (box) { box.checked = all.checked; });
  });
})();
