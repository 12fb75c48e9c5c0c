/* Casebridge: small behaviours on top of HTMX. Everything works without them. */
(function () {
  "use strict";

  // "/" anywhere but in a field focuses the global search box of the header.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var box = document.getElementById("global-search");
    if (box) {
      event.preventDefault();
      box.focus();
    }
  });

  // Phones: the menu button folds the navigation, the search box and the person's menu away
  // (CSS, below 960 px); without this script they stay visible and wrap instead.
  function setupMenu() {
    var toggle = document.querySelector(".nav-toggle");
    if (!toggle) {
      return;
    }
    var nav = toggle.closest("nav");
    nav.classList.add("collapsible");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        toggle.setAttribute("aria-expanded", "false");
        nav.classList.remove("open");
        toggle.focus();
      }
    });
  }

  // Tables read as cards on phones (CSS): each cell is labelled with its column's heading,
  // unless the template already gave it a data-label.
  function labelCells(root) {
    root.querySelectorAll("table.grid-table").forEach(function (table) {
      var heads = table.querySelectorAll("thead tr:first-child th");
      if (!heads.length) {
        return;
      }
      var labels = [];
      heads.forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        for (var i = 0; i < span; i++) {
          labels.push(th.textContent.replace(/\s+/g, " ").trim());
        }
      });
      table.classList.add("labelled");
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (!cell.hasAttribute("data-label") && labels[column]) {
            cell.setAttribute("data-label", labels[column]);
          }
          column += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
    });
  }
  // A table frame that scrolls sideways can be scrolled with the keyboard too.
  function focusableFrames(root) {
    root.querySelectorAll(".table-wrap").forEach(function (frame) {
      if (frame.scrollWidth > frame.clientWidth && !frame.hasAttribute("tabindex")) {
        frame.setAttribute("tabindex", "0");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    setupMenu();
    labelCells(document);
    focusableFrames(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    labelCells(event.target);
    focusableFrames(event.target);
  });

  // A suggested work item (the escalation form's type-ahead and similar items): a button with
  // data-pick fills the field named by data-pick-into (and ticks the category of
  // data-pick-category), then says so with an input event (the live checklist looks again).
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-pick]") : null;
    if (!button) {
      return;
    }
    var field = document.getElementById(button.dataset.pickInto || "");
    if (!field) {
      return;
    }
    if (button.dataset.pickCategory) {
      var radio = document.querySelector("input[name=category][value='" + button.dataset.pickCategory + "']");
      if (radio && !radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    field.value = button.dataset.pick;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });

  function openPopovers() {
    return document.querySelectorAll("details.action-pop[open]");
  }

  // An action's form opens as a popover: focus its first field, close the others.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.classList.contains("action-pop")) {
      return;
    }
    if (!details.open) {
      return;
    }
    openPopovers().forEach(function (other) {
      if (other !== details) {
        other.open = false;
      }
    });
    var field = details.querySelector(".pop select, .pop textarea, .pop input:not([type=hidden])");
    if (field) {
      field.focus();
    }
  }, true);

  // Escape or a click elsewhere closes it, and focus returns to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    openPopovers().forEach(function (details) {
      details.open = false;
      details.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    openPopovers().forEach(function (details) {
      if (!details.contains(event.target)) {
        details.open = false;
      }
    });
  });

  // No inline handlers or style attributes (Content-Security-Policy): a form asks for
  // confirmation through data-confirm, and a meter's fill comes from data-fill (percent).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  function fillMeters(root) {
    root.querySelectorAll("[data-fill]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, parseFloat(bar.dataset.fill) || 0)) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fillMeters(document); });
  document.addEventListener("htmx:afterSettle", function (event) { fillMeters(event.target); });
})();
