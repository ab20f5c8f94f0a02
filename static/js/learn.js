// Learning on the phone: lessons one at a time, a page once opened kept for reading with
// no signal (templates/training/sw.js), and a check's answers queued on the phone and sent
// exactly once: the phone makes the sitting's id before the first try and keeps it until
// the server has answered, so a retry after a lost reply is stored once (issue 19).
(function () {
  const CACHE = "learn-v1";
  const uuid = window.phoneUuid;
  const csrf = window.csrfCookie;
  const API = "/api/v1/training/completions/";

  // --- the outbox (static/js/outbox.js) ----------------------------------------------------
  const outbox = window.phoneOutbox("learn");
  const outboxAll = outbox.all;
  const outboxPut = outbox.put;
  const outboxDelete = outbox.remove;

  function say(box, text, kind) {
    if (!box) return;
    box.replaceChildren();
    const div = document.createElement("div");
    div.className = `alert alert-${kind} fs-5`;
    div.textContent = text;
    box.appendChild(div);
  }
  const missed = (r) => (r.wrong && r.wrong.length
    ? ` Look again at question${r.wrong.length > 1 ? "s" : ""} ${r.wrong.join(", ")}.` : "");
  function result(r) {
    // A pass of a version the module has since replaced does not count: say so.
    if (r.passed && r.module_version < r.current_version) {
      return [`You passed the version on this phone (${r.correct} of ${r.questions}), but the module has changed since. Reload the page and take it again.`, "warning"];
    }
    return r.passed
      ? [`Passed: ${r.correct} of ${r.questions} right (${r.score}%). Thank you.`, "success"]
      : [`Not passed this time: ${r.correct} of ${r.questions} right (${r.score}%); the pass mark is ${r.pass_mark}%.${missed(r)} Read the lessons again and retake it.`, "warning"];
  }

  // Send every queued sitting; each leaves the queue only when the server has answered.
  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (const item of await outboxAll()) {
        if (item.error) continue;
        let response;
        try {
          response = await fetch(API, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
            body: JSON.stringify(item.body),
          });
        } catch (e) { break; } // no signal: try again when it returns
        if (response.status >= 500 || response.status === 401 || response.status === 403) break;
        let detail = `refused (${response.status})`;
        if (!response.ok) {
          // Refused: kept, not resent, and said on every learning page until dismissed.
          try { const p = await response.json(); detail = typeof p.detail === "string" ? p.detail : JSON.stringify(p); } catch (e) { /* status */ }
          await outboxPut({ ...item, error: detail });
        } else {
          await outboxDelete(item.id);
        }
        const box = document.getElementById("quiz-result");
        const here = document.getElementById("learn-module");
        const mine = here && Number(here.dataset.module) === item.body.module;
        // Sent oldest first: the last shown is the latest answered.
        if (response.ok) {
          const r = await response.json();
          if (mine) {
            const [text, kind] = result(r);
            say(box, text, kind);
            const standing = document.querySelector("[data-testid=module-standing]");
            if (standing && kind === "success") standing.textContent = "Your standing: done, passed today.";
          }
        } else if (mine) {
          say(box, `Your answers were not accepted: ${detail}`, "danger");
        }
      }
    } finally {
      flushing = false;
      showPending();
    }
  }
  async function showPending() {
    const box = document.getElementById("learn-pending");
    if (!box) return;
    const mine = await outboxAll();
    const refused = mine.filter((i) => i.error);
    const n = mine.length - refused.length;
    const others = await outbox.others();
    box.classList.toggle("d-none", n === 0 && others === 0 && refused.length === 0);
    box.textContent = [
      n ? `${n} set${n > 1 ? "s" : ""} of your answers saved on this phone, sent when there is signal.` : "",
      others ? `${others} set${others > 1 ? "s" : ""} of answers from someone else who used this phone wait for them to sign in.` : "",
      ...refused.map((i) => `Answers not accepted: ${i.error} Take the check again.`),
    ].join(" ").trim();
    if (refused.length) {
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "btn btn-sm btn-outline-secondary ms-2";
      dismiss.textContent = "Dismiss";
      dismiss.addEventListener("click", async () => {
        for (const i of refused) await outboxDelete(i.id);
        showPending();
      });
      box.appendChild(dismiss);
    }
  }

  // --- lessons one at a time ----------------------------------------------------------------
  function steps(root) {
    const sections = [...root.querySelectorAll("section.lesson")];
    root.querySelectorAll(".learn-nav").forEach((n) => n.classList.remove("d-none"));
    const show = (i) => {
      sections.forEach((s, n) => s.classList.toggle("d-none", n !== i));
      sessionStorage.setItem(`learn-step-${root.dataset.slug}`, String(i));
      window.scrollTo(0, 0);
    };
    root.addEventListener("click", (e) => {
      const go = e.target.closest("[data-go]");
      if (go) show(Number(go.dataset.go));
    });
    const kept = Number(sessionStorage.getItem(`learn-step-${root.dataset.slug}`) || 0);
    show(kept < sections.length ? kept : 0);
  }

  function quiz(root) {
    const form = document.getElementById("quiz");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answers = [...form.querySelectorAll("fieldset")].map((f) => {
        const chosen = f.querySelector("input:checked");
        return chosen ? Number(chosen.value) : null;
      });
      const box = document.getElementById("quiz-result");
      if (answers.includes(null)) { say(box, "Answer every question first.", "warning"); return; }
      const id = uuid();
      await outboxPut({ id, queued_at: new Date().toISOString(), body: { id, module: Number(root.dataset.module), version: Number(root.dataset.version), answers, answered_at: new Date().toISOString() } });
      form.reset();
      say(box, "Sending your answers…", "secondary");
      await flush();
      if ((await outboxAll()).some((i) => i.id === id)) {
        say(box, "No signal: your answers are saved on this phone and will be sent once, when the signal returns.", "info");
      }
    });
  }

  const root = document.getElementById("learn-module");
  if (root) {
    steps(root);
    quiz(root);
    // Keep this page for reading with no signal (the worker keeps later visits itself).
    if (navigator.onLine && window.caches) {
      // Not cache.add: it would keep the sign-in page under this address if the session
      // had run out and the request was redirected.
      fetch(window.location.pathname, { credentials: "same-origin" }).then((r) => {
        if (r.ok && !r.redirected) caches.open(CACHE).then((c) => c.put(window.location.pathname, r));
      }).catch(() => {});
    }
    const offline = document.getElementById("learn-offline");
    const mark = () => offline && offline.classList.toggle("d-none", navigator.onLine);
    window.addEventListener("offline", mark);
    window.addEventListener("online", mark);
    mark();
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/learn/sw.js", { scope: "/learn/" }).catch(() => {});
  }
  window.addEventListener("online", flush);
  // Signing out forgets the kept pages (static/js/site.js), not the outbox.
  flush();
})();
