// The review page from the keyboard (templates/review/_group.html): j or ↓ and k or ↑ move between names, Enter or
// a accepts the chosen candidate (the proposal until n chooses the next one), s skips a name, x ticks it for a bulk
// decision. Letters are read by their place on the keyboard (event.code), so the keys work with an Arabic layout
// too; nothing happens while typing in a field. After each htmx swap the focus goes to the name the user is on: the
// next one when a name was decided (it left the page), the same one when it was refused (it came back with the
// reason). When the page runs out of names, the next ones are fetched.
(function () {
  var GROUP = "li[data-review-group]";
  var pending = null; // {self: id of the group being decided, next: id of the group after it}

  function list() {
    return document.getElementById("review-list");
  }
  function groups() {
    var found = list();
    return found ? Array.prototype.slice.call(found.querySelectorAll(GROUP)) : [];
  }
  function groupOf(element) {
    return element && element.closest ? element.closest(GROUP) : null;
  }
  function focusGroup(group) {
    if (!group) return;
    group.focus();
    if (group.scrollIntoView) group.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    var all = groups();
    if (!all.length) return;
    var at = all.indexOf(groupOf(document.activeElement));
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(at + step, 0), all.length - 1);
    focusGroup(all[next]);
  }
  function candidates(group) {
    return Array.prototype.slice.call(group.querySelectorAll("[data-candidate]"));
  }
  function chosen(group) {
    var all = candidates(group);
    return all.filter(function (button) { return button.classList.contains("selected"); })[0] || all[0];
  }
  function nextCandidate(group) {
    var all = candidates(group);
    if (!all.length) return;
    var next = all[(all.indexOf(chosen(group)) + 1) % all.length];
    all.forEach(function (button) {
      button.classList.remove("selected");
      button.removeAttribute("aria-current");
    });
    next.classList.add("selected");
    next.setAttribute("aria-current", "true");
    var details = next.closest("details");
    if (details) details.open = true;
  }
  function remember(group) {
    var all = groups();
    var at = all.indexOf(group);
    var after = all[at + 1] || all[at - 1];
    pending = { self: group.id, next: after ? after.id : null };
  }
  function typing(target) {
    if (!target || !target.matches) return false;
    if (target.isContentEditable || target.matches("textarea, select")) return true;
    return target.matches("input") && !target.matches("[type=checkbox], [type=radio], [type=button], [type=submit]");
  }
  var LETTERS = { KeyJ: "down", KeyK: "up", KeyA: "accept", KeyN: "next", KeyS: "skip", KeyX: "tick" };
  var KEYS = { ArrowDown: "down", ArrowUp: "up", Enter: "enter" };

  document.addEventListener("keydown", function (event) {
    if (!list() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var command = LETTERS[event.code] || KEYS[event.key];
    if (!command) return;
    var group = groupOf(event.target);
    if (command === "down" || command === "up") {
      if (!group && event.key.indexOf("Arrow") === 0) return; // arrows scroll the page until a name has the focus
      event.preventDefault();
      move(command === "down" ? 1 : -1);
      return;
    }
    if (!group) return;
    if (command === "enter" && event.target !== group) return; // Enter on a button or link does its own thing
    if (command === "accept" || command === "enter") {
      var button = chosen(group);
      if (!button) return;
      event.preventDefault();
      remember(group);
      button.click();
    } else if (command === "next") {
      event.preventDefault();
      nextCandidate(group);
    } else if (command === "skip") {
      event.preventDefault();
      group.classList.add("skipped");
      move(1);
    } else if (command === "tick") {
      var box = group.querySelector("input[type=checkbox][name=group]");
      if (box) {
        event.preventDefault();
        box.checked = !box.checked;
      }
    }
  });

  // A decision started with the mouse keeps the place too.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig || {};
    var group = groupOf(event.detail.elt);
    if (group && config.verb === "post" && (!pending || pending.self !== group.id)) remember(group);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!list() && !document.getElementById("review-queue")) return;
    if (pending) {
      var place = pending;
      pending = null;
      var again = place.self && document.getElementById(place.self);
      if (again && again.querySelector(".error")) return focusGroup(again);
      var next = place.next && document.getElementById(place.next);
      if (next) return focusGroup(next);
      if (!groups().length && document.getElementById("review-queue") && window.htmx) {
        // The page ran out of names: fetch the page again (the next names move up to it).
        pending = { self: null, next: null };
        window.htmx.ajax("GET", window.location.href, { target: "#review-queue", swap: "outerHTML" });
        return;
      }
      return focusGroup(groups()[0]);
    }
    // The whole queue was swapped (after a bulk decision, a filter, a page): the first name, unless the user is
    // elsewhere already (a filter's select keeps the focus).
    var target = event.detail.target;
    var active = document.activeElement;
    if (target && (target.id === "review-queue" || !document.body.contains(target)) && (!active || active === document.body)) {
      focusGroup(groups()[0]);
    }
  });
})();
