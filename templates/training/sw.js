{% load static %}// The learning pages' service worker: a module page opened once (its lessons and its
// check) can be read again with no signal. Answers are not sent from here: the page queues
// them itself and sends them when it is online (static/js/learn.js).
const CACHE = "learn-v1";
const FILES = [
  "/learn/",
  "{% static 'vendor/bootstrap/bootstrap.min.css' %}",
  "{% static 'vendor/bootstrap/bootstrap.bundle.min.js' %}",
  "{% static 'vendor/htmx/htmx.min.js' %}",
  "{% static 'css/app.css' %}",
  "{% static 'js/site.js' %}",
  "{% static 'js/outbox.js' %}",
  "{% static 'js/learn.js' %}",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("learn-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

const keep = (request, response) => {
  if (response.ok && !response.redirected) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
};

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Lesson pages and their pictures only: network first, so a signal always gives the
  // latest version; the copy kept from the last visit otherwise. Keyed without the query
  // string. Matched on the raw path, so an encoded path (/learn/%6Datrix/, which Django
  // decodes to the matrix) is never kept, and neither are the editor and the matrix.
  const LESSON = /^\/learn\/(?:[a-z0-9][a-z0-9-]*\/|images\/\d+\/)?$/;
  const isLearn = LESSON.test(url.pathname) && !/^\/learn\/(manage|matrix)\//.test(url.pathname);
  if (isLearn) {
    const key = url.origin + url.pathname;
    event.respondWith(fetch(request).then((response) => keep(key, response))
      .catch(() => caches.match(key).then((hit) => hit || Response.error())));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((r) => keep(request, r))));
  }
});
