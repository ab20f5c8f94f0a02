// The analyst's hot spot map: a cell layer (harm, Gi* z or density), the run's hot spots,
// a list to review them, and a "why it is hot" panel. Data are set as text, never HTML.
(function () {
  const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const STATUS_COLOUR = { candidate: "#fd7e14", approved: "#198754", suppressed: "#6c757d", retired: "#adb5bd" };
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  const csrf = () => (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
  const getJSON = (url) => fetch(url, { credentials: "same-origin" }).then((r) => r.json());

  function ramp(layer, values) {
    if (layer === "z") {
      return (v) => (v >= 2.58 ? "#a50f15" : v >= 1.96 ? "#de2d26" : v >= 1.65 ? "#fc9272"
        : v <= -1.96 ? "#3182bd" : "#f0f0f0");
    }
    const sorted = values.slice().sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] || 0;
    const cuts = [q(0.5), q(0.75), q(0.9), q(0.97)];
    const colours = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
    return (v) => colours[cuts.filter((c) => v > c).length];
  }

  function legend(layer) {
    const box = document.getElementById("legend");
    box.textContent = layer === "z"
      ? "z ≥ 2.58 dark red, ≥ 1.96 red, ≥ 1.65 pink, ≤ −1.96 blue"
      : "colour by quantile of the cells with any: median, 75th, 90th, 97th";
  }

  function heatmap(profile) {
    const max = Math.max(...profile, 0);
    const table = el("table", undefined, "how");
    const head = table.insertRow();
    head.appendChild(el("th", ""));
    for (let h = 0; h < 24; h += 1) head.appendChild(el("th", h % 6 === 0 ? String(h) : ""));
    DAYS.forEach((day, d) => {
      const row = table.insertRow();
      row.appendChild(el("th", day));
      for (let h = 0; h < 24; h += 1) {
        const v = profile[d * 24 + h] || 0;
        const cell = row.insertCell();
        cell.style.background = max > 0 ? `rgba(165, 15, 21, ${(v / max).toFixed(3)})` : "#f8f9fa";
        cell.title = `${day} ${String(h).padStart(2, "0")}:00 — ${v.toFixed(1)}`;
      }
    });
    return table;
  }

  function showDetail(feature, rank) {
    const p = feature.properties;
    const s = p.stats;
    document.getElementById("detail").hidden = false;
    document.getElementById("detail-title").textContent =
      `${rank}. ${p.name || "Not named yet"} · ${p.status}`;
    const rename = document.getElementById("rename-name");
    if (rename) {
      rename.value = p.name || "";
      rename.dataset.id = String(feature.id);
      document.getElementById("rename-note").textContent = `key ${p.key}` +
        (p.named_by === "crimes" ? " · named from its crimes' location text" : p.named_by === "analyst" ? " · named by an analyst" : "");
    }
    const dl = document.getElementById("detail-stats");
    dl.replaceChildren();
    const trend = s.harm_first_half > 0
      ? `${Math.round((100 * (s.harm_second_half - s.harm_first_half)) / s.harm_first_half)}%`
      : "new in the second half";
    const facts = [
      ["Crimes", String(s.count)], ["Harm", s.harm.toLocaleString("en-GB")],
      ["Gi* z", s.z.toFixed(2)], ["q (FDR)", s.q.toExponential(1)],
      ["Trend, 2nd half vs 1st", trend], ["Pattern", s.pattern || "—"],
      ["Peak hours", (s.peak_hours || []).join(", ") || "no clear peak (dates too coarse or spread evenly)"],
    ];
    for (const [k, v] of facts) { dl.appendChild(el("dt", k, "col-6")); dl.appendChild(el("dd", v, "col-6")); }
    const how = document.getElementById("detail-how");
    how.replaceChildren(heatmap(p.profile || []));
    const actions = document.getElementById("detail-actions");
    actions.replaceChildren();
    if (reviewer) {
      const labels = { approve: ["Approve", "btn-success"], suppress: ["Suppress", "btn-outline-secondary"],
        retire: ["Retire", "btn-outline-danger"] };
      for (const action of ["approve", "suppress", "retire"]) {
        const button = el("button", labels[action][0], `btn ${labels[action][1]} me-2`);
        button.type = "button";
        button.dataset.action = action;
        button.disabled = p.status === { approve: "approved", suppress: "suppressed", retire: "retired" }[action];
        button.addEventListener("click", () => reviewer(feature, action, rank));
        actions.appendChild(button);
      }
    }
    const notes = el("a", "Problem-solving notes", "btn btn-outline-primary");
    notes.href = `/hotspots/${feature.id}/problem-solving/`;
    actions.appendChild(notes);
  }
  let reviewer = null;

  window.hotspotMapInit = function (map) {
    const wrap = document.getElementById("hotspot-wrap");
    window.drawBoundary(map, false);
    if (wrap.dataset.canReview === "1") reviewer = (f, action, rank) => review(f, action, rank);
    const renderer = L.canvas({ padding: 0.5 });
    let cells = null;
    let spots = null;

    function drawCells(layer) {
      getJSON(`${wrap.dataset.cellsUrl}?layer=${layer}`).then((fc) => {
        if (cells) map.removeLayer(cells);
        const colour = ramp(layer, fc.features.map((f) => f.properties[layer]));
        cells = L.geoJSON(fc, {
          renderer,
          style: (f) => ({ weight: 0, fillOpacity: 0.7, fillColor: colour(f.properties[layer]) }),
        }).addTo(map);
        if (spots) spots.bringToFront();
        legend(layer);
        wrap.dataset.cells = String(fc.features.length);
      });
    }

    function review(feature, action, rank) {
      // Retiring takes a place off the programme: ask first.
      if (action === "retire" && !window.confirm("Retire this hot spot? It will no longer be tasked.")) return;
      const row = document.querySelector(`#hotspot-list tr[data-id="${feature.id}"]`);
      const url = wrap.dataset.reviewUrl.replace("/0/", `/${feature.id}/`);
      fetch(url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ action }),
      }).then((r) => r.json().then((body) => ({ ok: r.ok, body })))
        .then(({ ok, body }) => {
          if (!ok) { row.querySelector(".status").textContent = body.detail || "refused"; return; }
          feature.properties.status = body.properties.status;
          row.querySelector(".status").textContent = body.properties.status;
          showDetail(feature, rank);
        });
    }

    getJSON(wrap.dataset.hotspotsUrl).then((fc) => {
      const features = fc.features.filter((f) => !f.properties.dropped_by_run)
        .sort((a, b) => b.properties.stats.harm - a.properties.stats.harm);
      spots = L.geoJSON({ type: "FeatureCollection", features }, {
        style: (f) => ({ color: STATUS_COLOUR[f.properties.status] || "#000", weight: 3, fillOpacity: 0 }),
      }).addTo(map);
      if (spots.getLayers().length) map.fitBounds(spots.getBounds(), { padding: [40, 40] });
      const list = document.getElementById("hotspot-list");
      features.forEach((f, i) => {
        const row = list.insertRow();
        row.dataset.id = String(f.id);
        row.appendChild(el("td", String(i + 1)));
        row.appendChild(el("td", f.properties.name || f.properties.key, "place"));
        row.appendChild(el("td", Math.round(f.properties.stats.harm).toLocaleString("en-GB"), "num"));
        row.appendChild(el("td", f.properties.stats.z.toFixed(1), "num"));
        row.appendChild(el("td", f.properties.status, "status"));
        row.addEventListener("click", () => {
          list.querySelectorAll("tr").forEach((r) => r.classList.remove("table-active"));
          row.classList.add("table-active");
          showDetail(f, i + 1);
          map.fitBounds(L.geoJSON(f).getBounds(), { maxZoom: 17 });
        });
      });
      spots.eachLayer((layer) => layer.on("click", () => {
        const i = features.indexOf(layer.feature);
        list.rows[i].click();
      }));
      wrap.dataset.hotspots = String(features.length);
    });

    // An analyst names the place as people know it; later runs keep the name.
    const renameForm = document.getElementById("rename-form");
    if (renameForm) {
      renameForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const input = document.getElementById("rename-name");
        const id = input.dataset.id;
        const note = document.getElementById("rename-note");
        fetch(wrap.dataset.nameUrl.replace("/0/", `/${id}/`), {
          method: "PUT", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ name: input.value }),
        }).then((r) => r.json().then((body) => ({ ok: r.ok, body }))).then(({ ok, body }) => {
          if (!ok) { note.textContent = body.detail || (body.name || ["refused"])[0]; return; }
          const f = spots.getLayers().map((l) => l.feature).find((x) => String(x.id) === id);
          f.properties.name = body.properties.name;
          f.properties.named_by = body.properties.named_by;
          document.querySelector(`#hotspot-list tr[data-id="${id}"] .place`).textContent = body.properties.name || body.properties.key;
          const row = document.querySelector(`#hotspot-list tr[data-id="${id}"]`);
          showDetail(f, Number(row.cells[0].textContent));
          document.getElementById("rename-note").textContent = body.properties.name ? "Saved."
            : "Name cleared: the next run names it from its crimes or the street layer.";
        });
      });
    }

    // Exclusion areas: shown to all, drawn by analysts (a prison, a hospital ward).
    const exclusions = L.geoJSON(null, {
      style: { color: "#495057", weight: 2, dashArray: "6 4", fillColor: "#adb5bd", fillOpacity: 0.35 },
      onEachFeature: (f, l) => l.bindTooltip(el("span", `Excluded: ${f.properties.name}`)),
    }).addTo(map);
    getJSON(`${wrap.dataset.exclusionsUrl}?page_size=500`).then((fc) => exclusions.addData(fc));
    if (wrap.dataset.canExclude === "1" && L.Control.Draw) {
      const form = document.getElementById("exclude-form");
      let drawn = null;
      map.addControl(new L.Control.Draw({
        draw: { polyline: false, circle: false, marker: false, circlemarker: false,
          polygon: { allowIntersection: false }, rectangle: {} },
        edit: false,
      }));
      map.on(L.Draw.Event.CREATED, (event) => {
        drawn = event.layer;
        drawn.addTo(map);
        form.hidden = false;
        form.elements.name.focus();
      });
      const reset = () => { if (drawn) map.removeLayer(drawn); drawn = null; form.hidden = true; form.reset(); };
      document.getElementById("exclude-cancel").addEventListener("click", reset);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        fetch(wrap.dataset.exclusionsUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
          body: JSON.stringify({ area: Number(wrap.dataset.area), name: form.elements.name.value,
            reason: form.elements.reason.value, geometry: drawn.toGeoJSON().geometry }),
        }).then((r) => r.json().then((body) => ({ ok: r.ok, body }))).then(({ ok, body }) => {
          if (!ok) { document.getElementById("exclude-error").textContent = body.detail || JSON.stringify(body); return; }
          exclusions.addData(body);
          // Listed at once, with word of when it counts (a review found the list still
          // saying "None" until a reload); changing it is on the reloaded page.
          const list = document.querySelector("[data-testid=exclusions]");
          list.querySelectorAll("li:not([data-exclusion])").forEach((li) => li.remove());
          const item = el("li", undefined, "border rounded p-2 mb-2 border-success");
          item.dataset.exclusion = String(body.id);
          const strong = el("strong", body.properties.name);
          item.append(strong, ` · ${body.properties.reason} · saved: it counts from the next run`);
          list.appendChild(item);
          reset();
        });
      });
    }

    document.querySelectorAll("input[name=layer]").forEach((input) =>
      input.addEventListener("change", () => drawCells(input.value)));
    drawCells("harm");
  };
}());
