// The force's own street layer under the hot spots on every map, drawn in the browser from
// this site's vector tiles (GET /tiles/streets/{z}/{x}/{y}.mvt): patrol networks often reach
// no outside tile server. The page says where the tiles are in
// <script type="application/json" id="street-layer">, or has no such element when no layer
// is loaded. Each map carries data-streets="drawn" once the layer is on it.
(function () {
  const ranks = [
    // [rank, from zoom, colour, width at zoom 16]
    [0, 10, "#f3c26b", 6],
    [1, 12, "#f6dc8f", 5],
    [2, 14, "#ffffff", 4],
    [3, 15, "#ffffff", 2],
  ];
  const widthAt = (base) => (z) => Math.max(0.6, base * Math.pow(1.45, z - 16));

  // Leaflet writes attribution as HTML: the layer's is text an admin typed.
  const asText = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function streetLayer(config) {
    const P = window.protomapsL;
    const paintRules = [];
    // Casings first, then fills: the same line twice makes a road read as a road.
    for (const [rank, from, , base] of ranks) {
      paintRules.push({
        dataLayer: "streets", minzoom: from,
        filter: (z, f) => f.props.rank === rank,
        symbolizer: new P.LineSymbolizer({ color: "#adb5bd", width: (z) => widthAt(base)(z) + 1.5 }),
      });
    }
    for (const [rank, from, colour, base] of ranks) {
      paintRules.push({
        dataLayer: "streets", minzoom: from,
        filter: (z, f) => f.props.rank === rank,
        symbolizer: new P.LineSymbolizer({ color: colour, width: widthAt(base) }),
      });
    }
    const labelRules = [{
      dataLayer: "streets", minzoom: 14,
      symbolizer: new P.LineLabelSymbolizer({
        labelProps: ["name"], fill: "#343a40", stroke: "#ffffff", width: 3,
        fontFamily: "system-ui, sans-serif", fontSize: 13, fontWeight: 500,
      }),
    }];
    return P.leafletLayer({
      url: config.url, maxDataZoom: config.max_data_zoom,
      attribution: asText(config.attribution || "Streets: the force's own layer"),
      paintRules, labelRules,
    });
  }

  window.addEventListener("map:init", function (event) {
    const node = document.getElementById("street-layer");
    if (!node || !window.protomapsL) return;
    const map = event.detail.map;
    streetLayer(JSON.parse(node.textContent)).addTo(map);
    map.getContainer().dataset.streets = "drawn";
  });
})();
