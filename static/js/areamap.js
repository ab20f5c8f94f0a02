// Draws the user's areas and the crimes in them from the API onto the django-leaflet map.
// The outlines are the map when no tile server is reachable.
window.areaMapInit = function (map) {
  const wrap = document.getElementById("areamap-wrap");
  const colours = { 1: "#212529", 2: "#0d6efd", 3: "#198754" };
  const get = (url) => fetch(url, { credentials: "same-origin" }).then((r) => r.json());
  // Free text from records is data: always set as text, never parsed as HTML.
  const textPopup = (lines) => {
    const box = document.createElement("div");
    for (const line of lines) {
      const p = document.createElement("div");
      p.textContent = line;
      box.appendChild(p);
    }
    return box;
  };
  get(wrap.dataset.areasUrl + "?page_size=500").then((page) => {
    const layer = L.geoJSON(page, {
      style: (f) => ({
        color: colours[f.properties.level] || "#6c757d",
        weight: 5 - f.properties.level,
        fillOpacity: 0.04,
      }),
      onEachFeature: (f, l) => l.bindTooltip(textPopup([f.properties.name])),
    }).addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    wrap.dataset.loaded = String(layer.getLayers().length);
  });
  if (!wrap.dataset.densityUrl) return;
  // Crime counted in squares by the server: a bounded answer however much is imported
  // (10,000 single points were 4.4 MB and 11 seconds). A circle's area follows its count.
  const renderer = L.canvas({ padding: 0.5 });
  get(wrap.dataset.densityUrl).then((data) => {
    const peak = Math.max(1, ...data.cells.map((c) => c[2]));
    const layer = L.layerGroup(data.cells.map(([lon, lat, n]) => L.circleMarker([lat, lon], {
      renderer, radius: 3 + 9 * Math.sqrt(n / peak), weight: 0, fillColor: "#dc3545",
      fillOpacity: 0.55,
    }).bindTooltip(textPopup([`${n.toLocaleString("en-GB")} record${n === 1 ? "" : "s"} in this ${data.cell_m} m square`])))).addTo(map);
    wrap.dataset.crimes = String(data.crimes);
    wrap.dataset.squares = String(data.cells.length);
    if (data.shown < data.squares) {
      const note = document.getElementById("density-note");
      if (note) note.textContent = `The ${data.shown.toLocaleString("en-GB")} busiest of ${data.squares.toLocaleString("en-GB")} squares are drawn.`;
    }
    return layer;
  });
};
