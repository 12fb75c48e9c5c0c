/* Drag-to-reorder and keyboard moves for the backlog and the planner.
 *
 * Everything works without this file: every move is a button in a form. With it:
 *  - rows can be dragged (SortableJS) within a list to reorder (pins the item at the drop
 *    position) or, on the planning page, between "in the sprint" and "left in the backlog";
 *  - rows are in the tab order; on a focused row (or any of its buttons), Alt+ArrowUp /
 *    Alt+ArrowDown move it, Alt+ArrowLeft / Alt+ArrowRight take it into or out of the sprint;
 *  - after an HTMX swap the focus returns to the same row (or the same button of it).
 */
(function () {
  "use strict";

  var pendingFocus = null;

  function rowOf(el) { return el && el.closest ? el.closest("li[data-key]") : null; }

  function press(row, action) {
    var button = row && row.querySelector('[data-action="' + action + '"]');
    if (!button || button.disabled) return false;
    var onRow = document.activeElement === row;
    button.click();  // the click handler below records the focus to restore...
    pendingFocus = { key: row.dataset.key, action: action, onRow: onRow };  // ...refined here
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (!event.altKey) return;
    var row = rowOf(document.activeElement);
    if (!row) return;
    var map = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "take", ArrowRight: "leave" };
    var action = map[event.key];
    if (action && press(row, action)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-action]");
    var row = rowOf(button);
    if (row) pendingFocus = { key: row.dataset.key, action: button.dataset.action };
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingFocus) return;
    var row = document.querySelector('li[data-key="' + pendingFocus.key + '"]');
    if (row) {
      var again = row.querySelector('[data-action="' + pendingFocus.action + '"]');
      (!pendingFocus.onRow && again && !again.disabled ? again : row).focus();
    }
    pendingFocus = null;
    setup();
  });

  function csrf() {
    var meta = document.body.getAttribute("hx-headers");
    try { return JSON.parse(meta)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function post(url, fields, after) {
    var body = new URLSearchParams(fields);
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
    }).then(function () { after(); });
  }

  function refresh(url) {
    var target = document.querySelector("[data-refresh-target]");
    if (window.htmx && target) {
      window.htmx.ajax("GET", url, { target: target, swap: "outerHTML", select: "[data-refresh-target]" })
        .then(function () { window.history.replaceState({}, "", url); });
    } else {
      window.location.assign(url);
    }
  }

  function setup() {
    if (!window.Sortable) return;
    document.querySelectorAll("ol[data-sortable]").forEach(function (list) {
      if (list._sortable) return;
      list._sortable = window.Sortable.create(list, {
        group: list.dataset.group || list.id,
        handle: ".handle",
        animation: 120,
        filter: "[data-fixed]",
        onEnd: function (event) {
          var row = event.item;
          var from = event.from, to = event.to;
          if (from !== to) {
            // between the sprint and the backlog: follow the row's toggle link
            var toggle = row.querySelector("[data-toggle]");
            if (toggle) refresh(toggle.getAttribute("data-toggle"));
            return;
          }
          if (event.oldIndex === event.newIndex) return;
          var neighbour = to.children[event.newIndex + (event.newIndex > event.oldIndex ? -1 : 1)];
          var position = neighbour ? neighbour.dataset.rank : row.dataset.rank;
          post(list.dataset.moveUrl, { key: row.dataset.key, position: position }, function () {
            refresh(list.dataset.refresh || window.location.href);
          });
        },
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
