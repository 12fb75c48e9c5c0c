/* Casebridge: small behaviours on top of HTMX. Everything works without them. */
(function () {
  "use strict";

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
})();
