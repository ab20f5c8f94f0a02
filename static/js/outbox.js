// What the phone pages share for sending exactly once with no signal: an IndexedDB outbox
// (it outlives the tab and the browser), ids made on the phone, and the CSRF token.
// Used by the patrol page (static/js/patrol.js) and the learning pages (static/js/learn.js).
// Patrol phones are shared: each item is kept with the person signed in when it was made
// (the page's <body data-user>), and only that person's items are listed and sent. Another
// officer's visits or answers wait on the phone until they sign in again.
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
  const me = document.body.dataset.user || "";
  const everything = () => store("readonly", (s) => s.getAll());
  return {
    // Mine, oldest first: sent in the order they were made. (Items kept before owners
    // were recorded have none, and count as the signed-in person's.)
    all: async () => (await everything())
      .filter((item) => !item.owner || item.owner === me)
      .sort((a, b) => String(a.queued_at || "").localeCompare(String(b.queued_at || ""))),
    others: async () => (await everything()).filter((item) => item.owner && item.owner !== me).length,
    // The owner also goes in the body: the server refuses (403, kept here) an item sent
    // while someone else is signed in, as from a tab left open after its session ended.
    put: (item) => {
      const owner = item.owner || me;
      const body = item.body && owner ? { ...item.body, officer: Number(owner) } : item.body;
      return store("readwrite", (s) => s.put({
        ...item, body, owner, queued_at: item.queued_at || new Date().toISOString() }));
    },
    remove: (id) => store("readwrite", (s) => s.delete(id)),
  };
};
window.phoneUuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
window.csrfCookie = () => (document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")) || "").split("=")[1] || "";
