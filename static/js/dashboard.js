// The dashboard's charts, drawn with the vendored Chart.js from figures the page carries.
(function () {
  const node = document.getElementById("dashboard-data");
  if (!node || !window.Chart) return;
  const d = JSON.parse(node.textContent);
  Chart.defaults.animation = false; // readable at once, and screenshots are stable
  Chart.defaults.font.size = 13;
  const red = "#b02a37", blue = "#0d6efd", grey = "#6c757d", green = "#198754";
  new Chart(document.getElementById("chart-weekly"), {
    data: {
      labels: d.weeks,
      datasets: [
        { type: "bar", label: "Crimes in hot spots", data: d.crimes, backgroundColor: red, yAxisID: "y" },
        { type: "line", label: "Patrol hours", data: d.hours, borderColor: blue, backgroundColor: blue, yAxisID: "y1" },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "crimes" } },
      y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "hours" } } } },
  });
  new Chart(document.getElementById("chart-lorenz"), {
    type: "line",
    data: { datasets: [
      { label: "Harm", data: d.lorenz.map(([x, y]) => ({ x: 100 * x, y: 100 * y })), borderColor: red, pointRadius: 0 },
      { label: "Even spread", data: [{ x: 0, y: 0 }, { x: 100, y: 100 }], borderColor: grey, borderDash: [4, 4], pointRadius: 0 },
    ] },
    options: { parsing: false, scales: { x: { type: "linear", min: 0, max: 100, title: { display: true, text: "% of cells, busiest first" } },
      y: { min: 0, max: 100, title: { display: true, text: "% of harm" } } } },
  });
  const pair = (id, labels, planned, delivered) => new Chart(document.getElementById(id), {
    type: "bar",
    data: { labels, datasets: [
      { label: "Planned hours", data: planned, backgroundColor: grey },
      { label: "Delivered hours", data: delivered, backgroundColor: green },
    ] },
    options: { scales: { y: { beginAtZero: true } } },
  });
  pair("chart-teams", d.teams, d.team_planned, d.team_delivered);
  pair("chart-shifts", d.patterns, d.pattern_planned, d.pattern_delivered);
  const trials = document.getElementById("chart-trials");
  if (trials) {
    const ok = d.trials.filter((t) => t.ratio !== null && t.ratio !== undefined);
    new Chart(trials, {
      data: { labels: ok.map((t) => t.name), datasets: [
        { type: "bar", label: "95% interval", data: ok.map((t) => [t.low, t.high]), backgroundColor: "rgba(13,110,253,.35)" },
        { type: "scatter", label: "Rate ratio", data: ok.map((t, i) => ({ x: t.name, y: t.ratio })), backgroundColor: blue, pointRadius: 6 },
      ] },
      options: { indexAxis: "x", scales: { y: { suggestedMin: 0, suggestedMax: 1.5 } } },
    });
  }
  document.body.dataset.charts = "ready";
})();
