// Tocsin's few interactions. Plain JavaScript, served by Tocsin itself.
"use strict";

// Sign-in returns a CSRF token that every state-changing request made with the session cookie
// must echo; the server keeps only its hash, so the browser keeps it for this origin.
function csrfToken() {
  try { return localStorage.getItem("tocsin_csrf") || ""; } catch (_) { return ""; }
}

async function api(method, url, body) {
  const headers = { "Content-Type": "application/json", "X-Tocsin-CSRF": csrfToken() };
  const res = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  if (!res.ok) {
    const detail = data && data.detail ? data.detail : res.statusText;
    throw new Error(detail);
  }
  return data;
}

function showError(el, err) {
  if (el) { el.textContent = String(err.message || err); el.hidden = false; }
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* fall back */ }
  }
  const ta = document.createElement("textarea");
  ta.value = text; ta.setAttribute("readonly", ""); ta.style.position = "absolute"; ta.style.left = "-9999px";
  document.body.appendChild(ta); ta.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
  document.body.removeChild(ta);
  return ok;
}

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button");
  if (!btn) return;

  if (btn.dataset.copy) {
    const src = document.getElementById(btn.dataset.copy);
    const text = src ? (src.value !== undefined && src.tagName !== "PRE" ? src.value : src.textContent) : "";
    const ok = await copyText(text);
    const label = btn.textContent;
    btn.textContent = ok ? "Copied" : "Copy failed: select and copy by hand";
    setTimeout(() => { btn.textContent = label; }, 2000);
  }

  if (btn.dataset.signOut) {
    try { await api("DELETE", "/api/v1/session"); } catch (_) { /* already signed out */ }
    try { localStorage.removeItem("tocsin_csrf"); } catch (_) { /* private mode */ }
    location.assign("/login");
  }

  if (btn.dataset.pickSource) {
    document.querySelectorAll("[data-source-panel]").forEach((p) => {
      p.hidden = p.dataset.sourcePanel !== btn.dataset.pickSource;
    });
    document.querySelectorAll("[data-pick-source]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b === btn));
    });
  }

  if (btn.dataset.testUrl) {
    const status = document.getElementById(btn.dataset.statusId);
    const err = document.getElementById(btn.dataset.errorId);
    btn.disabled = true;
    try {
      await api("POST", btn.dataset.testUrl, {});
      const sources = await api("GET", btn.dataset.sourcesUrl);
      const s = sources.find((x) => x.source === btn.dataset.source);
      if (s && status) renderStatus(status, s.active);
    } catch (e) { showError(err, e); }
    btn.disabled = false;
  }

  if (btn.dataset.actionUrl) {
    // The error line of the button's own section, where a page has several.
    const section = btn.closest("section");
    const err = (section && section.querySelector(".action-error")) || document.getElementById("action-error");
    if (btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    const method = btn.dataset.actionMethod || "POST";
    try { await api(method, btn.dataset.actionUrl, method === "POST" ? {} : undefined); location.reload(); }
    catch (e) { showError(err, e); btn.disabled = false; }
  }
});

function renderStatus(el, active) {
  el.dataset.active = String(active);
  el.innerHTML = "";
  const dot = document.createElement("span");
  dot.className = active ? "dot green" : "dot";
  dot.setAttribute("aria-hidden", "true");
  const text = document.createElement("span");
  text.textContent = active ? "Receiving alerts" : "Not receiving alerts";
  el.append(dot, text);
  const hint = document.getElementById(el.id + "-hint");
  if (hint) hint.hidden = active;
}

// The team picker switches team as soon as a team is picked (a <noscript> button otherwise).
// Here rather than in an inline handler: the Content-Security-Policy allows no inline script.
document.addEventListener("change", (ev) => {
  const el = ev.target;
  if (el.dataset && el.dataset.autosubmit && el.form) el.form.submit();
});

document.addEventListener("input", (ev) => {
  const input = ev.target;
  if (input.id !== "source-search") return;
  const q = input.value.trim().toLowerCase();
  let shown = 0;
  document.querySelectorAll("[data-source-name]").forEach((li) => {
    const match = !q || li.dataset.sourceName.toLowerCase().includes(q) || li.dataset.sourceSlug.includes(q);
    li.hidden = !match;
    if (match) shown += 1;
  });
  const none = document.getElementById("source-none");
  if (none) none.hidden = shown > 0;
});

// A form's fields as a JSON object. Values are strings, except where a field says otherwise:
// `data-json="number"` sends a number, `data-json="nullable"` sends null for "".
function formBody(form) {
  const body = {};
  new FormData(form).forEach((v, k) => {
    const el = form.elements.namedItem(k);
    const kind = el && el.dataset ? el.dataset.json : undefined;
    if (kind === "number") body[k] = v === "" ? null : Number(v);
    else if (kind === "nullable") body[k] = v === "" ? null : v;
    else body[k] = v;
  });
  return body;
}

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (!form.dataset.api) return;
  ev.preventDefault();
  const err = form.querySelector(".error");
  if (err) err.hidden = true;
  const body = formBody(form);
  try {
    const data = await api(form.dataset.method || "POST", form.dataset.api, body);
    if (data && data.csrf_token) {
      try { localStorage.setItem("tocsin_csrf", data.csrf_token); } catch (_) { /* private mode */ }
    }
    if (form.dataset.redirect) location.assign(form.dataset.redirect); else location.reload();
  } catch (e) { showError(err, e); }
});

// Live updates: re-fetch the incident rows every few seconds and swap them if they changed.
(function liveRows() {
  const rows = document.getElementById("incident-rows");
  if (!rows) return;
  const url = new URL(location.href);
  url.searchParams.set("partial", "rows");
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const res = await fetch(url, { credentials: "same-origin" });
      if (!res.ok) return;
      const html = await res.text();
      if (html !== rows.dataset.last) { rows.innerHTML = html; rows.dataset.last = html; }
    } catch (_) { /* offline for a moment: try again next tick */ }
  }, 2000);
})();

// Raw payloads are not in the incident page (an incident may hold hundreds of large alerts):
// one is fetched when its "Raw payload" opens. `toggle` does not bubble, hence the capture.
document.addEventListener("toggle", async (ev) => {
  const d = ev.target;
  if (!(d instanceof HTMLDetailsElement) || !d.open || !d.dataset.payloadUrl || d.dataset.loaded) return;
  const pre = d.querySelector("pre");
  if (!pre) return;
  d.dataset.loaded = "1";
  try {
    const res = await fetch(d.dataset.payloadUrl, { credentials: "same-origin" });
    if (!res.ok) throw new Error(res.status + " " + res.statusText);
    pre.textContent = await res.text();
  } catch (e) {
    pre.textContent = "Could not load the payload: " + String(e.message || e);
    delete d.dataset.loaded;
  }
}, true);
