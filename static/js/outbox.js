// What the phone pages share for sending exactly once with no signal: an IndexedDB outbox
// (it outlives the tab and the browser), ids made on the phone, and the CSRF token.
// Used by the patrol page (static/js/patrol.js) and the learning pages (static/js/learn.js).
window.phoneOutbox = function (dbName) {
  function db() {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open(dbName, 1);
      open.onupgradeneeded = () => open.result.createObjectStore("outbox", { keyPath: "id" });
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }
  async function store(mode, fn) {
    const handle = await db();
    return new Promise((resolve, reject) => {
      const tx = handle.transaction("outbox", mode);
      const result = fn(tx.objectStore("outbox"));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  return {
    all: () => store("readonly", (s) => s.getAll()),
    put: (item) => store("readwrite", (s) => s.put(item)),
    remove: (id) => store("readwrite", (s) => s.delete(id)),
  };
};
window.phoneUuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
window.csrfCookie = () => (document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")) || "").split("=")[1] || "";
