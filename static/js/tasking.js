// The supervisor map: hot spots coloured by their harm in the chosen shift, the shift's
// visits beside them, and edits (reassign by select or drag, add, remove, publish) sent to
// the API with the plan version they were made on, so a colleague's change is never lost.
window.planMapInit = function (map) {
  const wrap = document.getElementById("plan-wrap");
  const canEdit = wrap.dataset.canEdit === "1";
  const published = wrap.dataset.status === "published";
  const people = JSON.parse(document.getElementById("assignees").textContent);
  const tbody = document.querySelector("#task-list tbody");
  const alerts = document.getElementById("alerts");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  let version = Number(wrap.dataset.version);
  window.drawBoundary(map, false);
  let layer = null;
  let data = null;
  let chosen = null;

  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  };
  const hhmm = (iso) => iso.slice(11, 16); // the API gives local times with their offset
  const say = (text, kind) => {
    const box = el("div", text, `alert alert-${kind} py-2 mb-2`);
    box.setAttribute("role", "alert");
    if (kind === "danger") {
      const again = el("button", "Reload the plan", "btn btn-sm btn-outline-danger ms-2");
      again.type = "button";
      again.addEventListener("click", () => window.location.reload());
      box.appendChild(again);
    }
    alerts.prepend(box);
    return box;
  };
  const placeOf = (p) => p.name || p.key;
  const colour = (p, n) => (p <= Math.max(1, Math.ceil(n / 10)) ? "#b02a37"
    : p <= Math.ceil(n / 3) ? "#fd7e14" : "#ffc107");

  async function send(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.ok) {
      const payload = response.status === 204 ? {} : await response.json();
      // The server says the version a visit's change left (the same when it changed
      // nothing); removing a visit or publishing always makes a new one.
      version = Number.isInteger(payload.plan_version) ? payload.plan_version : version + 1;
      document.querySelector("[data-testid=plan-version]").textContent = String(version);
      return payload;
    }
    let detail = `The server refused the change (${response.status}).`;
    try {
      const payload = await response.json();
      detail = typeof payload.detail === "string" ? payload.detail : JSON.stringify(payload);
    } catch (e) { /* keep the status text */ }
    say(detail, response.status === 409 ? "danger" : "warning");
    throw new Error(detail);
  }
  // A published plan changes only ahead of the clock (the server refuses the rest): what
  // really happened at a visit that is due or past is logged after the fact.
  const changeable = (t) => canEdit && t.status !== "cancelled"
    && !(published && Date.parse(t.starts_at) <= Date.now());
  const confirmIfPublished = () => {
    if (!published) return true;
    return window.confirm("This plan is published. Officers will see the change marked. Go on?");
  };

  function assigneeSelect(task) {
    const select = el("select", undefined, "form-select form-select-sm");
    select.style.minWidth = "9rem";
    select.setAttribute("aria-label", "Who makes this visit");
    const add = (value, label, group) => {
      const option = el("option", label);
      option.value = value;
      (group || select).appendChild(option);
    };
    add("", "Nobody yet");
    const teams = el("optgroup"); teams.label = "Teams";
    const users = el("optgroup"); users.label = "Officers";
    for (const t of people.teams) add(`team:${t.id}`, t.name, teams);
    // The training a role requires and the officer lacks shows before anyone is chosen.
    for (const u of people.users) add(`user:${u.id}`, u.untrained && u.untrained.length ? `${u.name} (training due)` : u.name, users);
    select.append(teams, users);
    if (task) {
      select.value = task.user ? `user:${task.user}` : task.team ? `team:${task.team}` : "";
      const was = select.value;
      select.disabled = !changeable(task);
      select.addEventListener("change", () => {
        // Cancelled: back to whoever it was, not to "Nobody yet" (issue 18, item 9).
        if (!confirmIfPublished()) { select.value = was; return; }
        reassign(task.id, select.value).catch(() => {});
      });
    }
    return select;
  }
  function assigneeBody(value) {
    const [kind, id] = value.split(":");
    return { assignee_user: kind === "user" ? Number(id) : null,
             assignee_team: kind === "team" ? Number(id) : null };
  }
  const trainingWarning = (payload) => {
    if (!payload || !payload.training_warning) return;
    say(payload.training_warning, "warning").dataset.testid = "training-warning";
  };
  async function reassign(taskId, value) {
    const payload = await send("PATCH", wrap.dataset.taskUrl.replace("/0/", `/${taskId}/`),
      { version, confirm_published: published, ...assigneeBody(value) });
    await load();
    trainingWarning(payload);
  }

  function taskRow(task, spot) {
    const row = el("tr");
    row.dataset.task = String(task.id);
    row.dataset.hotspot = String(spot.id);
    if (task.status === "cancelled") row.className = "text-decoration-line-through text-secondary";
    const time = el("td");
    time.append(el("strong", hhmm(task.starts_at)), el("div", `${task.minutes} min`, "small text-secondary"));
    if (task.changed_after_publish) time.appendChild(el("span", "changed", "badge text-bg-warning ms-1"));
    if (task.too_close) {
      // Short, and under the time rather than beside it: the long badge pushed the table
      // sideways (issue 18, item 18). The whole reason is in its title.
      const gapBadge = el("span", "too soon", "badge text-bg-danger d-inline-block mt-1");
      gapBadge.dataset.testid = "too-soon";
      gapBadge.title = "Less than the plan's minimum gap after the previous visit to this place";
      time.appendChild(el("br"));
      time.appendChild(gapBadge);
    }
    const where = el("td");
    const link = el("a", placeOf(spot), "text-break"); link.href = "#";
    link.addEventListener("click", (e) => { e.preventDefault(); choose(spot.id, true); });
    where.append(link, el("div", `priority ${spot.priority}`, "small text-secondary"));
    const who = el("td"); who.appendChild(assigneeSelect(task));
    if (task.callsign) who.appendChild(el("div", `call sign ${task.callsign}`, "small text-secondary"));
    const act = el("td");
    if (canEdit && task.status !== "cancelled" && !changeable(task)) {
      act.appendChild(el("span", "due or past", "small text-secondary"));
    }
    if (changeable(task)) {
      row.draggable = true;
      row.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", String(task.id)));
      const remove = el("button", "Remove", "btn btn-sm btn-outline-danger");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove the ${hhmm(task.starts_at)} visit to ${placeOf(spot)}`);
      remove.addEventListener("click", async () => {
        if (!confirmIfPublished()) return;
        const url = wrap.dataset.taskUrl.replace("/0/", `/${task.id}/`);
        await send("DELETE", `${url}?version=${version}&confirm_published=${published}`).catch(() => null);
        await load();
      });
      act.appendChild(remove);
    }
    row.append(time, where, who, act);
    row.addEventListener("click", (e) => { if (e.target.tagName === "TD") choose(spot.id, false); });
    return row;
  }

  function render() {
    const features = data.hotspots.features;
    const n = features.length;
    if (layer) layer.remove();
    layer = L.geoJSON(data.hotspots, {
      style: (f) => ({
        color: f.properties.id === chosen ? "#0d6efd" : "#212529",
        weight: f.properties.tasks.length ? 3 : 1,
        fillColor: colour(f.properties.priority, n), fillOpacity: 0.7,
      }),
      onEachFeature: (f, l) => {
        l.bindTooltip(el("div", `${placeOf(f.properties)} · priority ${f.properties.priority} · ${f.properties.tasks.length} visit(s)`));
        l.on("click", () => choose(f.properties.id, false));
      },
    }).addTo(map);
    layer.eachLayer((l) => l.getElement()?.setAttribute("data-hotspot", String(l.feature.properties.id)));
    if (!wrap.dataset.fitted && layer.getLayers().length) {
      map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false });
      wrap.dataset.fitted = "1";
    }
    const rows = [];
    for (const f of features) for (const t of f.properties.tasks) rows.push([t, f.properties]);
    rows.sort((a, b) => a[0].starts_at.localeCompare(b[0].starts_at) || a[0].id - b[0].id);
    tbody.replaceChildren(...rows.map(([t, spot]) => taskRow(t, spot)));
    if (!rows.length) tbody.appendChild(el("tr")).appendChild(el("td", "No visits in this shift.")).colSpan = 4;
    wrap.dataset.loaded = String(rows.length);
    if (chosen) choose(chosen, false);
  }

  function choose(id, pan) {
    chosen = id;
    const f = data.hotspots.features.find((x) => x.properties.id === id);
    if (!f) return;
    const p = f.properties;
    for (const row of tbody.querySelectorAll("tr")) row.classList.toggle("table-active", row.dataset.hotspot === String(id));
    layer.eachLayer((l) => l.setStyle({ color: l.feature.properties.id === id ? "#0d6efd" : "#212529" }));
    const panel = document.getElementById("spot");
    panel.hidden = false;
    panel.dataset.hotspot = String(id);
    document.getElementById("spot-title").textContent = `${placeOf(p)} · priority ${p.priority} in this shift`;
    document.getElementById("spot-why").textContent =
      `${p.crimes} crimes, harm ${p.harm} over the run's window; harm in this shift's hours ${p.harm_in_shift}. ` +
      (p.status === "approved" ? "" : `This hot spot is ${p.status}: its visits should go.`);
    const list = document.getElementById("spot-visits");
    list.replaceChildren();
    for (const t of p.tasks) {
      const line = el("div", undefined, "d-flex gap-2 align-items-center mb-1");
      line.dataset.task = String(t.id);
      line.append(el("span", `${hhmm(t.starts_at)} · ${t.minutes} min`, "text-nowrap"), assigneeSelect(t));
      list.appendChild(line);
    }
    if (!p.tasks.length) list.appendChild(el("div", "No visits here this shift.", "small text-secondary"));
    const ps = document.getElementById("spot-ps");
    ps.href = `/hotspots/${id}/problem-solving/`;
    if (pan) layer.eachLayer((l) => { if (l.feature.properties.id === id) map.fitBounds(l.getBounds(), { maxZoom: 16 }); });
  }

  async function load() {
    const response = await fetch(wrap.dataset.mapUrl, { credentials: "same-origin" });
    data = await response.json();
    version = data.plan.version;
    document.querySelector("[data-testid=plan-version]").textContent = String(version);
    showLoad();
    render();
  }
  // The header and the shift picker follow every change, not only a reload.
  function showLoad() {
    const s = data.shift;
    const over = s.planned_minutes > s.capacity_minutes;
    const planned = document.querySelector("[data-testid=planned]");
    if (!planned) return;
    planned.textContent = String(s.planned_minutes);
    document.querySelector("[data-testid=capacity]").textContent = String(s.capacity_minutes);
    document.querySelector("[data-testid=over]").hidden = !over;
    const option = document.querySelector(`#shift option[value="${s.id}"]`);
    if (option) {
      option.textContent = option.textContent
        .replace(/\d+ visits? · \d+\/\d+ min( OVER)?$/,
          `${s.visits} visit${s.visits === 1 ? "" : "s"} · ${s.planned_minutes}/${s.capacity_minutes} min${over ? " OVER" : ""}`);
    }
  }

  for (const chip of document.querySelectorAll(".assignee-chip")) {
    chip.addEventListener("dragover", (e) => { e.preventDefault(); chip.classList.add("drop-over"); });
    chip.addEventListener("dragleave", () => chip.classList.remove("drop-over"));
    chip.addEventListener("drop", (e) => {
      e.preventDefault();
      chip.classList.remove("drop-over");
      const id = e.dataTransfer.getData("text/plain");
      if (!id || !confirmIfPublished()) return;
      const value = chip.dataset.user ? `user:${chip.dataset.user}` : `team:${chip.dataset.team}`;
      reassign(Number(id), value).catch(() => {});
    });
  }

  const addForm = document.getElementById("add-form");
  if (addForm) {
    const who = assigneeSelect(null);
    who.id = "add-assignee";
    who.className = "form-select";
    document.getElementById("add-assignee").replaceWith(who);
    addForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!chosen || !confirmIfPublished()) return;
      const shiftStart = new Date(data.shift.starts_at);
      const [h, m] = document.getElementById("add-time").value.split(":").map(Number);
      // The visit's wall-clock time, on the day of the shift that contains it.
      let start = new Date(shiftStart);
      const local = data.shift.starts_at.slice(11, 16).split(":").map(Number);
      let offset = (h * 60 + m) - (local[0] * 60 + local[1]);
      if (offset < 0) offset += 1440;
      start = new Date(shiftStart.getTime() + offset * 60000);
      const added = await send("POST", wrap.dataset.addUrl, {
        version, shift: Number(wrap.dataset.shift), hotspot: chosen, starts_at: start.toISOString(),
        minutes: Number(document.getElementById("add-minutes").value),
        confirm_published: published, ...(who.value ? assigneeBody(who.value) : {}),
      }).catch(() => null);
      await load();
      trainingWarning(added);
      // One warning, kept current: the last add's figures, not a pile of old ones.
      alerts.querySelector("[data-testid=over-warning]")?.remove();
      if (data.shift.planned_minutes > data.shift.capacity_minutes) {
        say(`This shift is now over capacity: ${data.shift.planned_minutes} of ` +
            `${data.shift.capacity_minutes} patrol minutes planned.`, "warning")
          .dataset.testid = "over-warning";
      }
    });
  }

  const publish = document.getElementById("publish");
  if (publish) {
    publish.addEventListener("click", async () => {
      publish.disabled = true;
      try {
        await send("POST", wrap.dataset.publishUrl, { version });
        window.location.reload();
      } catch (e) {
        publish.disabled = false;
      }
    });
  }
  load();
};
