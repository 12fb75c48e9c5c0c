/* Charts for the planning pages: each <canvas data-chart="kind" data-source="id"> reads its
 * numbers from a json_script element. The same numbers are in a table under each chart. */
(function () {
  "use strict";

  var BLUE = "#2f55d4", GREEN = "#2b8a3e", GREY = "#94a3b8", RED = "#c92a2a", ORANGE = "#e8590c";

  function line(label, data, colour, extra) {
    var set = { label: label, data: data, borderColor: colour, backgroundColor: colour, tension: 0.15, pointRadius: 2, spanGaps: false };
    for (var k in extra || {}) set[k] = extra[k];
    return set;
  }

  var KINDS = {
    burndown: function (d) {
      return { type: "line", data: { labels: d.labels, datasets: [
        line("Remaining", d.remaining, BLUE),
        line("Ideal", d.ideal, GREY, { borderDash: [6, 4], pointRadius: 0 }),
      ] }, options: { scales: { y: { beginAtZero: true, suggestedMax: d.capacity || 1 } } } };
    },
    burnup: function (d) {
      return { type: "line", data: { labels: d.labels, datasets: [
        line("Scope", d.scope, ORANGE),
        line("Done", d.done, GREEN, { fill: false }),
      ] }, options: { scales: { y: { beginAtZero: true, suggestedMax: d.capacity || 1 } } } };
    },
    velocity: function (d) {
      return { type: "bar", data: { labels: d.labels, datasets: [
        { label: "Committed", data: d.committed, backgroundColor: GREY },
        { label: "Done", data: d.done, backgroundColor: GREEN },
        { label: "Carried over", data: d.carried, backgroundColor: ORANGE },
      ] }, options: { scales: { y: { beginAtZero: true } } } };
    },
    predictability: function (d) {
      return { type: "line", data: { labels: d.labels, datasets: [
        line("Committed done (%)", d.predictability, BLUE),
      ] }, options: { scales: { y: { min: 0, suggestedMax: 100 } } } };
    },
    throughput: function (d) {
      return { type: "bar", data: { labels: d.weeks, datasets: [
        { label: "Items done", data: d.throughput, backgroundColor: GREEN },
      ] } };
    },
    wip: function (d) {
      return { type: "line", data: { labels: d.days, datasets: [ line("Work in progress", d.wip, RED) ] } };
    },
    stages: function (d) {
      return { type: "bar", data: { labels: d.stages, datasets: [
        { label: "Median hours in stage", data: d.median, backgroundColor: BLUE },
      ] }, options: { indexAxis: "y" } };
    },
  };

  function draw() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas._chart) return;
      var source = document.getElementById(canvas.dataset.source);
      if (!source) return;
      var config = KINDS[canvas.dataset.chart](JSON.parse(source.textContent));
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom" } } }, config.options || {});
      canvas._chart = new window.Chart(canvas, config);
      canvas.dataset.drawn = "true";
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  document.addEventListener("htmx:afterSettle", draw);
})();
