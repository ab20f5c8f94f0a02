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
  if (!wrap.dataset.crimesUrl) return;
  const renderer = L.canvas({ padding: 0.5 });
  get(wrap.dataset.crimesUrl + "?page_size=10000").then((page) => {
    const layer = L.geoJSON(page, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        renderer, radius: 3, weight: 0, fillColor: "#dc3545", fillOpacity: 0.55,
      }),
      onEachFeature: (f, l) => {
        const p = f.properties;
        const from = new Date(p.occurred_from).toLocaleString("en-GB", { timeZone: "Europe/London" });
        const to = new Date(p.occurred_to).toLocaleString("en-GB", { timeZone: "Europe/London" });
        l.bindPopup(() => textPopup([p.offence_type, p.location_text, `${from} to ${to}`]));
      },
    }).addTo(map);
    wrap.dataset.crimes = String(layer.getLayers().length);
  });
};
