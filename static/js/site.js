// Small behaviours that pages declare with data attributes. The Content Security Policy
// allows no inline script, so no onchange/onsubmit/onclick attributes either.
//   <select data-autosubmit>     sends its form when the choice changes
//   <form data-confirm="...">    asks before sending
//   <a data-print>               prints the page
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm &&
        !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (el) {
      event.preventDefault();
      window.print();
    }
  });
})();

// Every map draws the area it is about, from GeoJSON the page carries in
// <script type="application/json" id="boundary">: with no tile server reachable (as on many
// patrol networks) the outline is what says where the map is. Returns the layer, or null.
window.drawBoundary = function (map, fit) {
  var node = document.getElementById("boundary");
  if (!node || !window.L) return null;
  var data = JSON.parse(node.textContent);
  if (!data.features || !data.features.length) return null;
  var layer = window.L.geoJSON(data, {
    interactive: false,
    style: function () { return { color: "#343a40", weight: 2.5, fill: false, dashArray: "6 4" }; },
  }).addTo(map);
  layer.eachLayer(function (l) { l.getElement && l.getElement() && l.getElement().setAttribute("data-boundary", "1"); });
  if (fit) map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false });
  return layer;
};

// A refused form (400) inside a panel marked data-swap-errors comes back with its message:
// swap it in, as htmx does not by default for an error status.
document.body.addEventListener("htmx:beforeSwap", (e) => {
  if (e.detail.xhr.status === 400 && e.detail.target.closest("[data-swap-errors]")) {
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  }
});

// A different person signed in on this device (after a sign-out, or a session that ran
// out and a new sign-in): the pages kept for use with no signal were the last person's.
(function () {
  const me = document.body.dataset.user;
  if (!me) return;
  const last = localStorage.getItem("phone.user");
  if (last && last !== me && window.caches) {
    caches.keys().then((keys) => keys.forEach((k) => caches.delete(k)));
  }
  localStorage.setItem("phone.user", me);
})();

// Signing out forgets the pages the phone kept for use with no signal (the patrol and
// learning pages carry the signed-in person's work); queued visits and answers stay, each
// kept for the person who made it (static/js/outbox.js).
document.querySelector("form[action$='/logout/']")?.addEventListener("submit", () => {
  if (window.caches) caches.keys().then((keys) => keys.forEach((k) => caches.delete(k)));
});
