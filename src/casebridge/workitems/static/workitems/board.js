/* The work-item board when it is wider than the window: keep the board (and so its sideways
 * scrollbar) within the window, and show an arrow on each edge that has more columns behind it;
 * the arrows scroll by about one column. Without this file the board still scrolls with its
 * scrollbar, the keyboard (it is focusable) or a trackpad. */
(function () {
  "use strict";

  function update(frame) {
    var board = frame.querySelector(".wi-board");
    if (!board) return;
    var top = board.getBoundingClientRect().top + window.scrollY;
    board.style.setProperty("--board-top", Math.max(0, Math.round(top)) + "px");
    var max = board.scrollWidth - board.clientWidth;
    frame.querySelector("[data-scroll='-1']").hidden = board.scrollLeft <= 1;
    frame.querySelector("[data-scroll='1']").hidden = board.scrollLeft >= max - 1;
  }

  function setup() {
    document.querySelectorAll("[data-board-frame]").forEach(function (frame) {
      if (frame._board) { update(frame); return; }
      var board = frame.querySelector(".wi-board");
      frame._board = true;
      board.addEventListener("scroll", function () { update(frame); }, { passive: true });
      frame.querySelectorAll("[data-scroll]").forEach(function (button) {
        button.addEventListener("click", function () {
          var column = board.querySelector(".wi-col");
          var step = column ? column.getBoundingClientRect().width + 10 : 240;
          board.scrollBy({ left: Number(button.dataset.scroll) * step * 2, behavior: "smooth" });
        });
      });
      update(frame);
    });
  }

  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-board-frame]").forEach(update);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
  document.addEventListener("htmx:afterSettle", setup);
})();
