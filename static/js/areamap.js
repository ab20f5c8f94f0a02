// Draws the user's areas from the API onto the django-leaflet map. The outlines are the
// map when no tile server is reachable.
window.areaMapInit = function (map) {
  const wrap = document.getElementById("areamap-wrap");
  const colours = { 1: "#212529", 2: "#0d6efd", 3: "#198754" };
  fetch(wrap.dataset.areasUrl + "?page_size=500", { credentials: "same-origin" })
    .then((r) => r.json())
    .then((page) => {
      const layer = L.geoJSON(page, {
        style: (f) => ({
          color: colours[f.properties.level] || "#6c757d",
          weight: 5 - f.properties.level,
          fillOpacity: 0.06,
        }),
        // A name is data: bind it as text, never as HTML.
        onEachFeature: (f, l) => {
          const label = document.createElement("span");
          label.textContent = f.properties.name;
          l.bindTooltip(label);
        },
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
      wrap.dataset.loaded = String(layer.getLayers().length);
    });
};
