// The officer's patrol page. Works with no signal: the shift's visits are kept by the
// service worker, and every logged visit goes first into an IndexedDB outbox (it survives
// a closed tab and a restarted phone), then to the server under an id made here, so a
// visit sent twice is stored once. What is still waiting is always on screen.
(function () {
  const root = document.getElementById("patrol");
  if (!root) return;
  const DWELL = Number(root.dataset.dwell || 15) * 60;
  // A check-in under way is its officer's: another on a shared phone neither sees it nor
  // overwrites it. (One kept before officers had their own key counts as this officer's.)
  const ACTIVE_KEY = `patrol.active.${document.body.dataset.user || ""}`;
  if (localStorage.getItem("patrol.active") && !localStorage.getItem(ACTIVE_KEY)) {
    localStorage.setItem(ACTIVE_KEY, localStorage.getItem("patrol.active"));
    localStorage.removeItem("patrol.active");
  }
  // The service worker's cache (templates/patrols/sw.js names the same one).
  const CACHE = "patrol-v4";
  const TASKS_URL = root.dataset.tasksUrl + "?limit=200";
  const VISITS_URL = root.dataset.visitsUrl + "?limit=200";
  // A visit not started by its planned end and this long after is missed, not due.
  const MISSED_AFTER = 30 * 60000;
  let tasks = [];
  let visits = [];
  let map = null;
  let markers = null;

  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  // A place by the name people know it; its key only when it has none yet.
  const placeOf = (t) => t.hotspot_name || `hot spot ${t.hotspot_key}`;
  const activePlace = (a) => a.place || `hot spot ${a.key}`;
  const hhmm = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
  const uuid = window.phoneUuid;
  const csrf = window.csrfCookie;

  // --- IndexedDB outbox (static/js/outbox.js) ---------------------------------------------
  const outbox = window.phoneOutbox("patrol");
  const outboxAll = outbox.all;
  const outboxPut = outbox.put;
  const outboxDelete = outbox.remove;

  async function showOutbox() {
    const items = await outboxAll();
    const list = document.getElementById("outbox");
    list.replaceChildren();
    for (const item of items) {
      const li = el("li", `${item.label} · ${hhmm(item.body.started_at)} · kept on this phone since ${hhmm(item.queued_at)}`, "py-1");
      li.dataset.visit = item.id;
      if (item.error) li.appendChild(el("div", `Not accepted: ${item.error}`, "text-danger"));
      list.appendChild(li);
    }
    if (!items.length) list.appendChild(el("li", "Nothing: every visit has reached the server.", "text-secondary"));
    const others = await outbox.others();
    if (others) {
      const li = el("li", `${others} visit${others > 1 ? "s" : ""} logged by another officer on this phone wait${others > 1 ? "" : "s"} for them to sign in here.`, "text-secondary");
      li.dataset.testid = "others-waiting";
      list.appendChild(li);
    }
    const badge = document.getElementById("pending-badge");
    const waiting = items.filter((i) => !i.error).length;
    badge.textContent = `${waiting} waiting`;
    badge.className = `badge fs-6 ${waiting ? "text-bg-warning" : "text-bg-success"}`;
    root.dataset.pending = String(waiting);
  }

  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    let sent = false;
    try {
      for (const item of await outboxAll()) {
        if (item.error) continue;
        let response;
        try {
          response = await fetch(root.dataset.visitsUrl, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
            body: JSON.stringify(item.body),
          });
        } catch (e) {
          break; // no signal: try again later, in order
        }
        if (response.status === 201 || response.status === 200) {
          await outboxDelete(item.id);
          sent = true;
        } else if (response.status === 400 || response.status === 409) {
          // Kept and shown, never dropped: a supervisor can re-enter it.
          let detail = `refused (${response.status})`;
          try { detail = JSON.stringify((await response.json()).detail || ""); } catch (e) { /* keep */ }
          await outboxPut({ ...item, error: detail });
        } else {
          break; // signed out or the server is down: keep everything for later
        }
      }
    } finally {
      flushing = false;
      await showOutbox();
    }
    // The server says whether each sent visit began inside the hot spot.
    if (sent) loadTasks();
  }

  async function queue(body, label) {
    await outboxPut({ id: body.id, body, label, queued_at: new Date().toISOString() });
    await showOutbox();
    showTasks();
    if (navigator.onLine) flush();
  }

  // --- Signal ----------------------------------------------------------------------------
  function showNet() {
    const box = document.getElementById("net");
    const online = navigator.onLine;
    box.className = `alert py-2 d-flex justify-content-between align-items-center ${online ? "alert-success" : "alert-warning"}`;
    document.getElementById("net-text").textContent = online ? "Online" : "No signal: visits are kept on this phone";
  }
  window.addEventListener("online", () => { showNet(); flush(); });
  window.addEventListener("offline", showNet);

  // --- Location --------------------------------------------------------------------------
  function fix() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy }),
        () => resolve(null), { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
    });
  }

  // --- Check in and out ------------------------------------------------------------------
  const active = () => JSON.parse(localStorage.getItem(ACTIVE_KEY) || "null");
  // Every visit starts from the form's defaults (on foot, no notes): the last visit's ticks
  // once went into the next visit's record.
  function activityFormReset() {
    for (const box of document.querySelectorAll("input[name=activity]")) box.checked = box.defaultChecked;
    document.getElementById("active-notes").value = "";
  }
  async function checkIn(task) {
    const current = active();
    if (current && current.task !== task.id) {
      // A second check-in would have dropped the first visit without a word.
      showRefusal(`You are checked in at ${activePlace(current)}: check out there first.`);
      return;
    }
    if (current) return;
    showRefusal("");
    activityFormReset();
    const start = await fix();
    localStorage.setItem(ACTIVE_KEY, JSON.stringify({
      id: uuid(), task: task.id, hotspot: task.hotspot, key: task.hotspot_key, place: placeOf(task),
      started_at: new Date().toISOString(), start,
    }));
    showActive();
    showTasks();
    // With a signal, say so at once: an alarm for this hot spot clears now, not when the
    // visit is sent at check-out. Without one, nothing is lost: the visit clears it later.
    if (navigator.onLine) {
      fetch(root.dataset.arrivalsUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ hotspot: task.hotspot }),
      }).catch(() => {});
    }
  }
  async function checkOut() {
    const a = active();
    if (!a) return;
    const end = await fix();
    const activities = [...document.querySelectorAll("input[name=activity]:checked")].map((i) => i.value);
    const body = {
      id: a.id, hotspot: a.hotspot, task: a.task, started_at: a.started_at,
      ended_at: new Date().toISOString(), start: a.start, end, activities,
      notes: document.getElementById("active-notes").value, retrospective: false,
    };
    localStorage.removeItem(ACTIVE_KEY);
    activityFormReset();
    showRefusal("");  // checked out: "check out there first" is done with
    showActive();
    await queue(body, activePlace(a));
  }
  function showRefusal(text) {
    const box = document.getElementById("refusal");
    box.textContent = text;
    box.hidden = !text;
    // The message and the visit to check out of sit at the top, far above the card whose
    // button was pressed: take the officer there, or nothing seems to happen.
    if (text) box.scrollIntoView({ block: "start", behavior: "smooth" });
  }
  let tick = null;
  function showActive() {
    const a = active();
    const box = document.getElementById("active");
    box.hidden = !a;
    clearInterval(tick);
    if (!a) return;
    document.getElementById("active-title").textContent = `At ${activePlace(a)}`;
    document.getElementById("active-where").textContent = a.start ? `±${Math.round(a.start.accuracy)} m` : "no location";
    const draw = () => {
      const left = DWELL - (Date.now() - Date.parse(a.started_at)) / 1000;
      const s = Math.abs(Math.round(left));
      document.getElementById("timer").textContent =
        `${left < 0 ? "+" : ""}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
      document.getElementById("timer").classList.toggle("text-success", left <= 0);
    };
    draw();
    tick = setInterval(draw, 1000);
  }
  document.getElementById("check-out").addEventListener("click", checkOut);

  // --- The shift's visits ----------------------------------------------------------------
  function countdown(iso) {
    const minutes = Math.round((Date.parse(iso) - Date.now()) / 60000);
    if (minutes > 36 * 60) {
      return new Date(iso).toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "Europe/London" });
    }
    if (minutes > 90) return `in ${Math.round(minutes / 60)} h`;
    if (minutes > 0) return `in ${minutes} min`;
    if (minutes > -15) return "now";
    return `${-minutes} min late`;
  }
  // What became of a task: a visit the server holds for it, or one still on this phone.
  let queuedTasks = new Set();
  function stateOf(t) {
    const stored = visits.find((v) => v.task === t.id);
    if (stored) return { done: true, inside: stored.start_inside, after: stored.retrospective };
    if (queuedTasks.has(t.id)) return { done: true, inside: null };
    const a = active();
    if (a && a.task === t.id) return { here: true };
    if (Date.parse(t.starts_at) + t.minutes * 60000 + MISSED_AFTER < Date.now()) return { missed: true };
    return {};
  }
  // Where, when, how long and why in one sentence an officer reads at a glance.
  function plainSentence(t) {
    const why = t.why ? `: ${t.why.charAt(0).toLowerCase()}${t.why.slice(1)}` : "";
    return `Be at ${placeOf(t)} at ${hhmm(t.starts_at)} for ${t.minutes} minutes${why}.`;
  }
  function card(t, state) {
    const li = el("li", undefined, `card visit-card mb-2${t.status === "cancelled" || state.done ? " text-secondary" : ""}${state.missed ? " border-danger" : ""}`);
    li.dataset.task = String(t.id);
    const body = el("div", undefined, "card-body py-2");
    const top = el("div", undefined, "d-flex justify-content-between align-items-center");
    let badge = countdown(t.starts_at);
    let tone = "text-bg-light";
    if (t.status === "cancelled") badge = "cancelled";
    else if (state.done) {
      badge = state.after ? "Done · logged after" : state.inside === true ? "Done · inside"
        : state.inside === false ? "Done · outside" : "Done · waiting to send";
      tone = state.inside === false ? "text-bg-warning" : "text-bg-success";
    } else if (state.here) { badge = "Checked in"; tone = "text-bg-primary"; }
    else if (state.missed) { badge = "Missed"; tone = "text-bg-danger"; }
    const mark = el("span", badge, `badge ${tone} fs-6`);
    mark.dataset.testid = "state";
    top.append(el("span", hhmm(t.starts_at), "time"), mark);
    const where = el("div", placeOf(t), "fw-semibold fs-5");
    where.dataset.testid = "place";
    const plain = el("div", t.status === "cancelled" ? "Cancelled by your supervisor: no need to go." : plainSentence(t));
    plain.dataset.testid = "plain";
    body.append(top, where, plain);
    if (t.changed_after_publish) body.appendChild(el("span", "changed since published", "badge text-bg-warning"));
    if (state.done && state.inside === false) {
      body.appendChild(el("div", "Check-in was more than 50 m from the hot spot.", "small"));
    }
    if (t.status !== "cancelled" && !state.done && !state.here) {
      if (state.missed) {
        const log = el("button", "Log it after the fact", "btn btn-outline-secondary w-100 mt-2");
        log.type = "button";
        log.addEventListener("click", () => afterTheFact(t));
        body.appendChild(log);
      } else {
        const go = el("button", "Check in", "btn btn-primary w-100 mt-2");
        go.type = "button";
        go.addEventListener("click", () => checkIn(t));
        body.appendChild(go);
      }
    }
    li.appendChild(body);
    return li;
  }
  // The missed visit being logged after the fact: sent with its task, so the card moves to
  // Done here and the supervisor's Live page agree (without it the card stayed Missed).
  let afterTask = null;
  function afterTheFact(t) {
    afterTask = t;
    const details = document.getElementById("after-card");
    details.open = true;
    document.getElementById("after-spot").value = String(t.hotspot);
    document.getElementById("after-start").value = wallClock(new Date(t.starts_at));
    document.getElementById("after-minutes").value = String(t.minutes);
    details.scrollIntoView({ block: "start" });
  }
  async function showTasks() {
    queuedTasks = new Set((await outboxAll()).map((i) => i.body.task).filter((id) => id));
    const lists = { due: [], missed: [], done: [] };
    for (const t of tasks) {
      const state = stateOf(t);
      if (t.status === "cancelled") {
        // Shown where it was due, marked, until its time has passed: it was never done.
        if (!state.missed) lists.due.push(card(t, state));
        continue;
      }
      lists[state.done ? "done" : state.missed ? "missed" : "due"].push(card(t, state));
    }
    // Due next first; the latest missed first; done in the order they were due. The next
    // shift's visits (the list holds this shift and the next) under a heading of their own.
    const firstShift = tasks.find((t) => t.status !== "cancelled" && !stateOf(t).done
      && !stateOf(t).missed)?.shift;
    const at = lists.due.findIndex((li) => {
      const t = tasks.find((x) => String(x.id) === li.dataset.task);
      return t && t.shift !== firstShift;
    });
    if (at > 0) lists.due.splice(at, 0, el("li", "Next shift", "h6 mt-3 mb-2 text-secondary"));
    lists.missed.reverse();
    document.getElementById("visits").replaceChildren(...lists.due);
    document.getElementById("missed").replaceChildren(...lists.missed);
    document.getElementById("done").replaceChildren(...lists.done);
    document.getElementById("missed-section").hidden = !lists.missed.length;
    document.getElementById("done-section").hidden = !lists.done.length;
    document.getElementById("no-visits").hidden = lists.due.length > 0;
    document.getElementById("no-visits").textContent = tasks.length
      ? "Nothing more due in this shift or the next."
      : "No published visits for you in this shift or the next.";
    const select = document.getElementById("after-spot");
    const chosen = select.value;
    const seen = new Set();
    select.replaceChildren();
    for (const t of tasks) {
      if (seen.has(t.hotspot)) continue;
      seen.add(t.hotspot);
      const option = el("option", placeOf(t));
      option.value = String(t.hotspot);
      option.dataset.key = placeOf(t);
      select.appendChild(option);
    }
    if (chosen && seen.has(Number(chosen))) select.value = chosen;
    if (map && window.L) {
      if (markers) markers.remove();
      // Where to go in red; done in grey; a cancelled visit is no place to go.
      markers = L.layerGroup(tasks.filter((t) => t.hotspot_lat && t.status !== "cancelled").map((t) =>
        L.circleMarker([t.hotspot_lat, t.hotspot_lon], { radius: 9, fillOpacity: 0.8,
          color: stateOf(t).done ? "#6c757d" : "#b02a37" })
          // A node, not a string: Leaflet sets a string as HTML, and a name is data.
          .bindTooltip(el("span", `${hhmm(t.starts_at)} ${placeOf(t)}`)))).addTo(map);
      const points = tasks.filter((t) => t.hotspot_lat).map((t) => [t.hotspot_lat, t.hotspot_lon]);
      if (points.length) map.fitBounds(points, { padding: [30, 30], maxZoom: 16, animate: false });
    }
    root.dataset.loaded = String(tasks.length);
  }
  // A list from the server, kept in the page's cache as soon as it arrives: the service
  // worker may not control the page on its first visit, and one visit online must be
  // enough to work offline for the rest of the shift. With no signal, the kept copy.
  async function fetchKept(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      if (window.caches) {
        const cache = await caches.open(CACHE);
        await cache.put(url, response.clone());
      }
      return (await response.json()).results || [];
    } catch (e) {
      const kept = window.caches ? await caches.match(url) : undefined;
      return kept ? ((await kept.json()).results || []) : null;
    }
  }
  async function loadTasks() {
    const [gotTasks, gotVisits] = await Promise.all([fetchKept(TASKS_URL), fetchKept(VISITS_URL)]);
    tasks = gotTasks || [];
    visits = gotVisits || visits;
    // This shift and the next: the first two shifts still to end.
    const shifts = [...new Set(tasks.map((t) => t.shift))].slice(0, 2);
    tasks = tasks.filter((t) => shifts.includes(t.shift));
    await showTasks();
    root.dataset.kept = gotTasks ? "yes" : "no";
  }
  // The page's own files, kept as well: the first visit loads them before the service
  // worker is installed, so it never saw them.
  async function keepFiles() {
    if (!window.caches) return;
    const urls = [...document.querySelectorAll("script[src], link[rel=stylesheet][href]")]
      .map((n) => n.src || n.href).filter((u) => new URL(u).origin === location.origin);
    const cache = await caches.open(CACHE);
    await Promise.all(urls.map((u) => cache.match(u).then((hit) => hit || cache.add(u)).catch(() => null)));
    root.dataset.files = "kept";
  }
  window.patrolMapInit = function (leafletMap) {
    map = leafletMap;
    window.drawBoundary(map, !tasks.length);
    if (tasks.length) showTasks();
  };

  // A typed local time as an instant. In the hour the clocks repeat each October the same
  // wall-clock time happens twice, and the browser may read the later one: a visit typed
  // twenty minutes ago then lay in the future and the server refused it. Take the latest
  // reading that is not in the future.
  const wallClock = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  function localInput(value) {
    const read = new Date(value);
    const readings = [-3600000, 0, 3600000].map((s) => new Date(read.getTime() + s))
      .filter((d) => wallClock(d) === value.slice(0, 16));
    const past = readings.filter((d) => d.getTime() <= Date.now());
    return past.length ? past[past.length - 1] : (readings[0] || read);
  }

  document.getElementById("after-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const select = document.getElementById("after-spot");
    const start = localInput(document.getElementById("after-start").value);
    const minutes = Number(document.getElementById("after-minutes").value);
    const activities = [...document.querySelectorAll("input[name=after-activity]:checked")].map((i) => i.value);
    const body = {
      id: uuid(), hotspot: Number(select.value), started_at: start.toISOString(),
      ended_at: new Date(start.getTime() + minutes * 60000).toISOString(), activities,
      notes: document.getElementById("after-notes").value, retrospective: true,
    };
    // Only while the form still names the missed visit's hot spot: a changed choice is a
    // visit of its own.
    if (afterTask && afterTask.hotspot === body.hotspot) body.task = afterTask.id;
    afterTask = null;
    // Clean for the next one, as check-out is (issue 18, item 1).
    document.getElementById("after-notes").value = "";
    for (const box of document.querySelectorAll("input[name=after-activity]")) box.checked = box.defaultChecked;
    await queue(body, `${select.selectedOptions[0]?.dataset.key || select.value} (after the fact)`);
  });

  // Signing out forgets the cached pages (they hold this officer's plan), not the outbox.
  document.querySelector("form[action$='/logout/']")?.addEventListener("submit", () => {
    if (window.caches) caches.keys().then((keys) => keys.forEach((k) => caches.delete(k)));
  });

  // Twenty minutes ago on the wall clock. (Adding minutes to a local time across the
  // October change put the default an hour ahead, and the server refused it as future.)
  document.getElementById("after-start").value = wallClock(new Date(Date.now() - 20 * 60000));
  showNet();
  showActive();
  showOutbox().then(() => { if (navigator.onLine) flush(); });
  loadTasks();
  keepFiles();
  setInterval(() => { if (navigator.onLine) flush(); }, 30000);
  // Due, late and missed move with the clock.
  setInterval(() => { showTasks(); }, 60000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/patrol/" })
      .then(() => navigator.serviceWorker.ready).then(() => { root.dataset.sw = "ready"; });
  }
})();
