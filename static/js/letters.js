// The letters page: the Print button opens the browser's print dialog (no inline handlers under the CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});
