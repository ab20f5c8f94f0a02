// The supervisor's live map: tasked hot spots (red until visited, then green) and, for
// those allowed, devices' last positions from the audited live API, refreshed each minute.
window.liveMapInit = function (map) {
  const wrap = document.getElementById("live-wrap");
  let spots = null;
  // The hot spots from the page's data; htmx swaps in fresh data every refresh, and the
  // map follows it without moving.
  function drawSpots(fit) {
    const data = JSON.parse(document.getElementById("live-spots").textContent);
    if (spots) spots.remove();
    spots = L.geoJSON(data, {
      style: (f) => ({ color: f.properties.done ? "#146c43" : "#b02a37", weight: 2,
        fillColor: f.properties.done ? "#198754" : "#dc3545", fillOpacity: 0.6 }),
      onEachFeature: (f, l) => {
        const tip = document.createElement("div");
        tip.textContent = `${f.properties.name || f.properties.key}: ${f.properties.delivered} of ${f.properties.planned} min`;
        l.bindTooltip(tip);
      },
    }).addTo(map);
    spots.eachLayer((l) => l.getElement()?.setAttribute("data-done", String(l.feature.properties.done)));
    if (fit && spots.getLayers().length) map.fitBounds(spots.getBounds(), { padding: [20, 20], animate: false });
  }
  const boundary = window.drawBoundary(map, false);
  drawSpots(true);
  if (boundary && !spots.getLayers().length) map.fitBounds(boundary.getBounds(), { animate: false });
  document.body.addEventListener("htmx:afterSettle", (e) => {
    if (document.getElementById("live-spots")) drawSpots(false);
  });
  let devices = null;
  async function refresh() {
    if (!wrap.dataset.liveUrl) return;
    const response = await fetch(wrap.dataset.liveUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const rows = (await response.json()).results;
    if (devices) devices.remove();
    devices = L.layerGroup(rows.map((r) => {
      const tip = document.createElement("div");
      tip.textContent = `${r.name} · ${new Date(r.at).toLocaleTimeString("en-GB", { timeZone: "Europe/London" })}`;
      return L.circleMarker([r.lat, r.lon], { radius: 6, color: "#0d6efd", fillOpacity: 0.9 }).bindTooltip(tip);
    })).addTo(map);
    wrap.dataset.devices = String(rows.length);
  }
  refresh();
  setInterval(refresh, 60000);
};
