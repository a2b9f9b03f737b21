// Answers that carry their message inline (422: a bad value; 409: a conflict or a refused rule) are
// swapped in like a success, so the reason appears where the user is looking, not only in a toast.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr && event.detail.xhr.status;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
