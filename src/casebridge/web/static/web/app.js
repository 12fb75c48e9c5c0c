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
