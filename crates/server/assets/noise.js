// The service page's Noise card (issue 18): maintenance windows and rules, through the noise
// API. Needs `api` and `showError` from app.js.
"use strict";

(function noise() {
  const pad = (n) => String(n).padStart(2, "0");
  // A datetime-local value for now, to the minute (so a window added at once is active).
  const start = document.getElementById("noise-start");
  if (start && !start.value) {
    const d = new Date();
    start.value = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!form.dataset || !form.dataset.noiseApi) return;
    ev.preventDefault();
    const err = form.querySelector(".error");
    if (err) err.hidden = true;
    try {
      if (form.id === "noise-window-form") {
        // The browser reads datetime-local in its own zone; a weekly window repeats in it.
        const f = form.elements;
        const body = {
          start: new Date(f.start.value).toISOString(),
          end: f.end.value ? new Date(f.end.value).toISOString() : null,
          time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
          weekly: f.weekly.checked,
        };
        await api("POST", form.dataset.noiseApi, body);
        location.reload();
      } else if (form.id === "noise-rules-form") {
        const rules = parseRules(form);
        await api("PUT", form.dataset.noiseApi, rules);
        const saved = document.getElementById("noise-saved");
        if (saved) saved.hidden = false;
      }
    } catch (e) { showError(err, e); }
  });

  function parseRules(form) {
    const text = form.elements.rules.value.trim() || "[]";
    try { return JSON.parse(text); } catch (e) { throw new Error(`the rules are not valid JSON: ${e.message}`); }
  }

  document.addEventListener("click", async (ev) => {
    const btn = ev.target.closest ? ev.target.closest("#noise-preview") : null;
    if (!btn) return;
    const form = document.getElementById("noise-rules-form");
    const err = form.querySelector(".error");
    err.hidden = true;
    const out = document.getElementById("noise-preview-result");
    try {
      const res = await api("POST", btn.dataset.previewUrl, { rules: parseRules(form) });
      out.replaceChildren(renderPreview(res));
    } catch (e) { showError(err, e); }
  });

  function cell(tr, text) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }

  function effects(a) {
    const parts = [];
    if (a.suppress) parts.push("suppress");
    if (a.route) parts.push(`route to ${a.route}`);
    const tags = Object.entries(a.tags || {}).map(([k, v]) => `${k}=${v}`);
    if (tags.length) parts.push(`tags ${tags.join(", ")}`);
    if (a.severity) parts.push(`severity ${a.severity}`);
    if (a.dedup_window_minutes) parts.push(`dedup window ${a.dedup_window_minutes} min`);
    return parts.join("; ") || "nothing";
  }

  function renderPreview(res) {
    const wrap = document.createElement("div");
    const p = document.createElement("p");
    const hit = res.alerts.filter((a) => a.matched.length).length;
    p.textContent = `${res.alerts.length} alerts tested, ${hit} matched.`;
    wrap.append(p);
    if (!res.alerts.length) return wrap;
    const table = document.createElement("table");
    table.id = "noise-preview-table";
    const head = table.createTHead().insertRow();
    for (const h of ["Received", "Dedup key", "Title", "Rules matched", "Would do"]) {
      const th = document.createElement("th");
      th.textContent = h;
      head.append(th);
    }
    const body = table.createTBody();
    for (const a of res.alerts) {
      const tr = body.insertRow();
      tr.dataset.matched = String(a.matched.length > 0);
      cell(tr, new Date(a.received_at).toLocaleString());
      cell(tr, a.dedup_key);
      cell(tr, a.title);
      cell(tr, a.matched.length ? a.matched.map((i) => `#${i}`).join(", ") : "none");
      cell(tr, effects(a));
    }
    const div = document.createElement("div");
    div.className = "table-wrap";
    div.append(table);
    wrap.append(div);
    return wrap;
  }
})();
