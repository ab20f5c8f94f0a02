{% load static %}// The patrol page's service worker: keeps the page and its files so it opens with no
// signal. Visits are not sent from here: the page queues them in IndexedDB and sends them
// itself when it is online (one code path, testable in the page).
const CACHE = "patrol-v4";
const FILES = [
  "/patrol/",
  "{% static 'vendor/bootstrap/bootstrap.min.css' %}",
  "{% static 'vendor/bootstrap/bootstrap.bundle.min.js' %}",
  "{% static 'vendor/htmx/htmx.min.js' %}",
  "{% static 'css/app.css' %}",
  "{% static 'leaflet/leaflet.css' %}",
  "{% static 'leaflet/leaflet.extras.css' %}",
  "{% static 'leaflet/leaflet.js' %}",
  "{% static 'leaflet/leaflet.extras.js' %}",
  "{% static 'leaflet/draw/leaflet.draw.i18n.js' %}",
  "{% static 'js/site.js' %}",
  "{% static 'vendor/protomaps-leaflet/protomaps-leaflet.js' %}",
  "{% static 'js/streets.js' %}",
  "{% static 'js/outbox.js' %}",
  "{% static 'js/patrol.js' %}",
  "{% static 'img/icon-192.png' %}",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("patrol-") && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPage = request.mode === "navigate" && url.pathname === "/patrol/";
  // The page also keeps these lists itself as they arrive (static/js/patrol.js).
  const isTasks = url.pathname === "/api/v1/my-tasks/" || url.pathname === "/api/v1/visits/";
  // Street tiles seen with a signal are kept, so the map still shows streets without one.
  const isStreets = url.pathname.startsWith("/tiles/streets/");
  if (isPage || isTasks || isStreets) {
    // Network first, so a signal always gives the latest plan; the cached copy otherwise.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(isPage ? "/patrol/" : request, copy));
      }
      return response;
    }).catch(() => caches.match(isPage ? "/patrol/" : request)));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    // Cache first; anything not listed above is kept the first time it is fetched.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    })));
  }
});
