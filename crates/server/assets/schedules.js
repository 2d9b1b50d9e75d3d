// On-call schedules in the browser (issue 15): the list with who is on call now, the editor,
// a schedule's two-week timeline, overrides and calendar feed, your upcoming shifts on the
// account page. Everything is read and written through the schedules API with `api` and
// `showError` of app.js; the pages are shells.
"use strict";

const DAY_MS = 24 * 3600 * 1000;
const TIMELINE_DAYS = 14;

const whenFmt = new Intl.DateTimeFormat(undefined, {
  weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
});
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric" });

function when(iso) { return iso ? whenFmt.format(new Date(iso)) : "—"; }

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.entries(props || {}).forEach(([k, v]) => {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.includes("-")) e.setAttribute(k, v);
    else e[k] = v;
  });
  children.forEach((c) => e.append(c));
  return e;
}

/** `{user id: name}` the page was rendered with. */
function namesOf(node) {
  try { return JSON.parse(node.dataset.names || "{}"); } catch (_) { return {}; }
}

function nameOf(names, id) { return names[id] || `user ${id}`; }

/** A `datetime-local` value (the browser's zone) as RFC 3339 UTC. */
function localToUtc(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error("a date and time is required");
  return d.toISOString();
}

/** A Date as a `datetime-local` value in the browser's zone. */
function toLocalInput(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function gapsText(gaps) {
  return "Nobody is on call: " + gaps.map((g) => `${when(g.start)} – ${when(g.end)}`).join("; ") + ".";
}

// ---------------------------------------------------------------------------------------
// The list: each schedule with who is on call now and until when.
async function loadList(section) {
  const team = section.dataset.scheduleList;
  const rows = section.querySelector("#schedule-rows");
  const err = section.querySelector(".action-error");
  try {
    const all = await api("GET", `/api/v1/schedules?team_id=${encodeURIComponent(team)}`);
    rows.innerHTML = "";
    if (!all.length) {
      rows.append(el("tr", {}, el("td", { colSpan: 4, text: "No schedules yet." })));
      return;
    }
    for (const s of all) {
      const now = el("td", { class: "on-call-now", text: "…" });
      const until = el("td", { text: "…" });
      const link = el("a", { href: `/schedules/${s.id}`, text: s.name });
      rows.append(el("tr", { "data-schedule": s.id }, el("td", {}, link), el("td", { class: "opt", text: s.time_zone }), now, until));
      api("GET", `/api/v1/schedules/${s.id}/on-call`).then((oc) => {
        now.textContent = oc.users.length ? oc.users.map((u) => u.username).join(", ") : "Nobody";
        until.textContent = oc.until ? when(oc.until) : "—";
      }).catch((e) => { now.textContent = `? (${e.message || e})`; until.textContent = ""; });
    }
  } catch (e) { rows.innerHTML = ""; showError(err, e); }
}

// ---------------------------------------------------------------------------------------
// The editor: the form as the API's schedule body, and a schedule loaded into the form.
function addLayer(form, layer) {
  const tpl = document.getElementById("layer-template");
  const layers = form.querySelector("#layers");
  layers.appendChild(tpl.content.cloneNode(true));
  const fs = layers.lastElementChild;
  const n = layers.children.length;
  fs.querySelector(".layer-name").value = layer ? layer.name : `Layer ${n}`;
  if (layer) {
    fs.querySelector(".layer-length").value = layer.rotation.length;
    fs.querySelector(".layer-unit").value = layer.rotation.unit;
    fs.querySelector(".layer-start").value = layer.start.slice(0, 16);
    const names = namesOf(form);
    layer.participants.forEach((id) => addParticipant(fs, id, nameOf(names, id)));
    (layer.restrictions || []).forEach((r) => addRestriction(fs, r));
  } else {
    const d = new Date();
    d.setHours(9, 0, 0, 0);
    fs.querySelector(".layer-start").value = toLocalInput(d);
  }
  renumberLayers(form);
  return fs;
}

function renumberLayers(form) {
  form.querySelectorAll("#layers > fieldset.layer").forEach((fs, i) => {
    fs.querySelector(":scope > legend").textContent = `Layer ${i + 1}`;
  });
}

function addParticipant(fs, id, name) {
  const list = fs.querySelector(".participant-list");
  const remove = el("button", { type: "button", class: "secondary", text: "Remove" });
  remove.setAttribute("data-remove-participant", "1");
  remove.setAttribute("aria-label", `Remove ${name}`);
  list.append(el("li", { "data-user-id": id }, el("span", { text: name }), " ", remove));
}

function addRestriction(fs, r) {
  const tpl = document.getElementById("restriction-template");
  const box = fs.querySelector(".restrictions");
  box.appendChild(tpl.content.cloneNode(true));
  const rs = box.lastElementChild;
  if (r) {
    rs.querySelectorAll("input[data-day]").forEach((i) => { i.checked = r.days.includes(i.dataset.day); });
    rs.querySelector(".restriction-from").value = r.from;
    rs.querySelector(".restriction-to").value = r.to;
  }
}

function scheduleBody(form) {
  const layers = [...form.querySelectorAll("#layers > fieldset.layer")].map((fs) => {
    const start = fs.querySelector(".layer-start").value;
    return {
      name: fs.querySelector(".layer-name").value,
      participants: [...fs.querySelectorAll(".participant-list > li")].map((li) => li.dataset.userId),
      rotation: { unit: fs.querySelector(".layer-unit").value, length: Number(fs.querySelector(".layer-length").value || "0") },
      // `datetime-local` may leave the seconds out; the API takes them always.
      start: start.length === 16 ? `${start}:00` : start,
      restrictions: [...fs.querySelectorAll("fieldset.restriction")].map((rs) => ({
        days: [...rs.querySelectorAll("input[data-day]:checked")].map((i) => i.dataset.day),
        from: rs.querySelector(".restriction-from").value,
        to: rs.querySelector(".restriction-to").value,
      })),
    };
  });
  return {
    team_id: form.dataset.team,
    name: form.querySelector("#schedule-name").value,
    time_zone: form.querySelector("#schedule-zone").value.trim(),
    layers,
  };
}

async function loadEditor(form) {
  const id = form.dataset.scheduleId;
  if (!id) { addLayer(form); return; }
  const err = form.querySelector(".error");
  try {
    const s = await api("GET", `/api/v1/schedules/${id}`);
    form.querySelector("#schedule-name").value = s.name;
    form.querySelector("#schedule-zone").value = s.time_zone;
    s.layers.forEach((l) => addLayer(form, l));
  } catch (e) { showError(err, e); }
}

async function saveSchedule(form) {
  const err = form.querySelector(".error");
  if (err) err.hidden = true;
  const id = form.dataset.scheduleId;
  try {
    const saved = await api(id ? "PUT" : "POST", id ? `/api/v1/schedules/${id}` : "/api/v1/schedules", scheduleBody(form));
    const to = `/schedules/${saved.id}`;
    if (!saved.gaps || !saved.gaps.length) { location.assign(to); return; }
    // Gaps are worth a look before leaving: say where they are.
    if (!id) form.dataset.scheduleId = saved.id;
    const panel = document.getElementById("schedule-saved");
    panel.querySelector("#schedule-gaps").textContent = gapsText(saved.gaps);
    panel.querySelector("#schedule-saved-link").href = to;
    panel.hidden = false;
    panel.scrollIntoView();
  } catch (e) { showError(err, e); }
}

// ---------------------------------------------------------------------------------------
// A schedule's page: who is on call now, the timeline, overrides.
async function loadSchedulePage(root) {
  const id = root.dataset.schedule;
  const names = namesOf(root);
  const base = `/api/v1/schedules/${id}`;
  const from = new Date();
  from.setMinutes(0, 0, 0);
  const to = new Date(from.getTime() + TIMELINE_DAYS * DAY_MS);
  const nowText = root.querySelector("#on-call-now-text");
  try {
    const range = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const [s, oc, shifts, overrides, layers] = await Promise.all([
      api("GET", base),
      api("GET", `${base}/on-call`),
      api("GET", `${base}/shifts?${range}`),
      api("GET", `${base}/overrides`),
      api("GET", `${base}/layers?${range}`),
    ]);
    root.querySelector("#schedule-title").textContent = s.name;
    root.querySelector("#schedule-zone").textContent = `Time zone ${s.time_zone}; times below are yours.`;
    nowText.textContent = oc.users.length
      ? `${oc.users.map((u) => u.username).join(", ")}${oc.until ? ` until ${when(oc.until)}` : ""}`
      : `Nobody${oc.until ? ` until ${when(oc.until)}` : ""}`;
    renderTimeline(root.querySelector("#timeline-body"), root.querySelector("#timeline-gaps"), shifts, overrides, layers, names, from, to);
    renderOverrides(root, overrides, names, base);
  } catch (e) { nowText.textContent = `Could not load the schedule: ${e.message || e}`; }
}

/** Where nobody is on call in [from, to), between the sorted shifts. */
function gapsBetween(shifts, from, to) {
  const gaps = [];
  let at = from.getTime();
  for (const s of shifts) {
    const start = Date.parse(s.start);
    if (start > at) gaps.push({ start: new Date(at).toISOString(), end: s.start });
    at = Math.max(at, Date.parse(s.end));
  }
  if (at < to.getTime()) gaps.push({ start: new Date(at).toISOString(), end: to.toISOString() });
  return gaps;
}

/** A block placed by the custom properties the stylesheet reads (no inline style). */
function block(cls, startMs, endMs, from, span, text, title) {
  const b = el("div", { class: cls, title });
  b.style.setProperty("--left", `${((startMs - from) / span) * 100}%`);
  b.style.setProperty("--width", `${((endMs - startMs) / span) * 100}%`);
  b.append(el("span", { text }));
  return b;
}

function renderTimeline(box, gapsLine, shifts, overrides, layers, names, fromDate, toDate) {
  const from = fromDate.getTime();
  const span = toDate.getTime() - from;
  box.innerHTML = "";
  const ticks = el("div", { class: "tl-ticks", "aria-hidden": "true" });
  const first = new Date(fromDate);
  first.setHours(0, 0, 0, 0);
  for (let d = new Date(first.getTime() + DAY_MS); d.getTime() < toDate.getTime(); d = new Date(d.getTime() + DAY_MS)) {
    const t = block("tl-tick", d.getTime(), d.getTime(), from, span, dayFmt.format(d), "");
    ticks.append(t);
  }
  // Each layer's own rotation, in the schedule's order (the last layer wins where they meet).
  const layerRows = layers.map((l, i) => {
    const r = el("div", { class: "tl-row tl-thin", "data-row": `layer-${i}` });
    const people = [...new Set(l.shifts.map((x) => x.user_id))];
    l.shifts.forEach((x) => {
      const who = nameOf(names, x.user_id);
      r.append(block(`tl-shift tl-c${people.indexOf(x.user_id) % 6}`, Date.parse(x.start), Date.parse(x.end), from, span, who,
        `${l.layer}: ${who}, ${when(x.start)} – ${when(x.end)}`));
    });
    return [el("p", { class: "tl-caption", text: `Layer: ${l.layer}` }), r];
  }).flat();
  // The overrides as asked for, above what they make of the rotation.
  const overRow = el("div", { class: "tl-row tl-thin", "data-row": "overrides" });
  overrides.forEach((o) => {
    const start = Math.max(Date.parse(o.start), from);
    const end = Math.min(Date.parse(o.end), toDate.getTime());
    if (end <= start) return;
    const who = nameOf(names, o.user_id);
    overRow.append(block("tl-shift tl-override tl-c5", start, end, from, span, who, `Override: ${who}, ${when(o.start)} – ${when(o.end)}`));
  });
  const row = el("div", { class: "tl-row", "data-row": "final" });
  const sorted = [...shifts].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const users = [...new Set(sorted.map((s) => s.user_id))];
  sorted.forEach((s) => {
    const who = nameOf(names, s.user_id);
    const cls = `tl-shift tl-c${users.indexOf(s.user_id) % 6}${s.override ? " tl-override" : ""}`;
    const label = s.override ? `${who} (override)` : who;
    const b = block(cls, Date.parse(s.start), Date.parse(s.end), from, span, who,
      `${label}: ${when(s.start)} – ${when(s.end)}${s.layer ? ` (${s.layer})` : ""}`);
    b.setAttribute("data-user-id", s.user_id);
    row.append(b);
  });
  const gaps = gapsBetween(sorted, fromDate, toDate);
  gaps.forEach((g) => row.append(block("tl-gap", Date.parse(g.start), Date.parse(g.end), from, span, "nobody",
    `Nobody: ${when(g.start)} – ${when(g.end)}`)));
  box.append(ticks, ...layerRows, el("p", { class: "tl-caption", text: "Overrides" }), overRow,
    el("p", { class: "tl-caption", text: "On call (layers and overrides together)" }), row);
  // The same, readable without the picture.
  const list = el("ol", { class: "tl-list" });
  sorted.forEach((s) => list.append(el("li", {
    text: `${when(s.start)} – ${when(s.end)}: ${nameOf(names, s.user_id)}${s.override ? " (override)" : s.layer ? ` (${s.layer})` : ""}`,
  })));
  box.append(el("details", {}, el("summary", { text: "Shifts as a list" }), list));
  gapsLine.textContent = gaps.length ? gapsText(gaps) : "Someone is on call all the time.";
  gapsLine.classList.toggle("error", gaps.length > 0);
}

function renderOverrides(root, overrides, names, base) {
  const rows = root.querySelector("#override-rows");
  const manages = !!root.querySelector("#override-form");
  rows.innerHTML = "";
  if (!overrides.length) {
    rows.append(el("tr", {}, el("td", { colSpan: manages ? 4 : 3, text: "No overrides." })));
    return;
  }
  overrides.forEach((o) => {
    const tr = el("tr", { "data-override": o.id },
      el("td", { text: nameOf(names, o.user_id) }), el("td", { text: when(o.start) }), el("td", { text: when(o.end) }));
    if (manages) {
      const del = el("button", { type: "button", class: "secondary", text: "Delete" });
      del.setAttribute("data-delete-override", `${base}/overrides/${o.id}`);
      tr.append(el("td", {}, del));
    }
    rows.append(tr);
  });
}

async function addOverride(form) {
  const err = form.querySelector(".error");
  if (err) err.hidden = true;
  try {
    const body = {
      user_id: form.querySelector("#override-user").value,
      start: localToUtc(form.querySelector("#override-start").value),
      end: localToUtc(form.querySelector("#override-end").value),
    };
    await api("POST", form.dataset.overrideApi, body);
    form.reset();
    presetOverride(form);
    await loadSchedulePage(document.getElementById("schedule-page"));
  } catch (e) { showError(err, e); }
}

/** The form starts at the next hour, for two hours. */
function presetOverride(form) {
  const start = new Date();
  start.setMinutes(0, 0, 0);
  start.setTime(start.getTime() + 3600 * 1000);
  form.querySelector("#override-start").value = toLocalInput(start);
  form.querySelector("#override-end").value = toLocalInput(new Date(start.getTime() + 2 * 3600 * 1000));
}

// ---------------------------------------------------------------------------------------
// The account page: your shifts over the next 14 days, across your teams' schedules.
async function loadUpcoming(section) {
  const me = section.dataset.upcomingUser;
  const teams = (section.dataset.teams || "").split(",").filter(Boolean);
  const rows = section.querySelector("#upcoming-rows");
  const err = section.querySelector(".action-error");
  const from = new Date();
  const to = new Date(from.getTime() + TIMELINE_DAYS * DAY_MS);
  const range = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
  try {
    const lists = await Promise.all(teams.map((t) => api("GET", `/api/v1/schedules?team_id=${encodeURIComponent(t)}`)));
    const schedules = lists.flat();
    const mine = (await Promise.all(schedules.map(async (s) => {
      const shifts = await api("GET", `/api/v1/schedules/${s.id}/shifts?${range}`);
      return shifts.filter((x) => x.user_id === me).map((x) => ({ ...x, schedule: s }));
    }))).flat().sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    rows.innerHTML = "";
    if (!mine.length) {
      rows.append(el("tr", {}, el("td", { colSpan: 3, text: "You have no shifts in the next 14 days." })));
      return;
    }
    mine.forEach((x) => rows.append(el("tr", { "data-schedule": x.schedule.id },
      el("td", {}, el("a", { href: `/schedules/${x.schedule.id}`, text: x.schedule.name }),
        x.override ? " (override)" : ""),
      el("td", { text: when(x.start) }), el("td", { text: when(x.end) }))));
  } catch (e) { rows.innerHTML = ""; showError(err, e); }
}

// ---------------------------------------------------------------------------------------
// Calendar feeds (a schedule's, your own): the URL shown once; revoking ends it.
async function feed(btn, method) {
  const box = btn.closest("section");
  const err = box.querySelector(".error");
  const status = box.querySelector(".feed-status");
  const urlBox = box.querySelector(".feed-url");
  if (err) err.hidden = true;
  btn.disabled = true;
  try {
    const r = await api(method, method === "POST" ? btn.dataset.feedCreate : btn.dataset.feedRevoke, method === "POST" ? {} : undefined);
    if (method === "POST") {
      urlBox.querySelector("input").value = r.url;
      urlBox.hidden = false;
      status.textContent = "A new feed URL: any earlier one no longer works.";
    } else {
      urlBox.hidden = true;
      urlBox.querySelector("input").value = "";
      status.textContent = "The feed is revoked: its URL no longer works.";
    }
    status.hidden = false;
  } catch (e) { showError(err, e); }
  btn.disabled = false;
}

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button");
  if (!btn) return;
  const form = btn.closest("form");
  if (btn.dataset.addLayer && form) addLayer(form);
  if (btn.dataset.removeLayer && form) { btn.closest("fieldset.layer").remove(); renumberLayers(form); }
  if (btn.dataset.addParticipant) {
    const fs = btn.closest("fieldset.layer");
    const pick = fs.querySelector(".participant-pick");
    const opt = pick.selectedOptions[0];
    if (opt) addParticipant(fs, opt.value, opt.textContent);
  }
  if (btn.dataset.removeParticipant) btn.closest("li").remove();
  if (btn.dataset.addRestriction) addRestriction(btn.closest("fieldset.layer"));
  if (btn.dataset.removeRestriction) btn.closest("fieldset.restriction").remove();
  if (btn.dataset.feedCreate) await feed(btn, "POST");
  if (btn.dataset.feedRevoke) await feed(btn, "DELETE");
  if (btn.dataset.deleteOverride) {
    const err = btn.closest("section").querySelector(".action-error");
    if (!window.confirm("Delete this override?")) return;
    btn.disabled = true;
    try { await api("DELETE", btn.dataset.deleteOverride); await loadSchedulePage(document.getElementById("schedule-page")); }
    catch (e) { showError(err, e); btn.disabled = false; }
  }
  if (btn.dataset.deleteSchedule) {
    if (!window.confirm("Delete this schedule?")) return;
    try { await api("DELETE", btn.dataset.deleteSchedule); location.assign(btn.dataset.done); }
    catch (e) { showError(document.getElementById("schedule-delete-error"), e); }
  }
});

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (form.id === "schedule-form") { ev.preventDefault(); await saveSchedule(form); }
  if (form.id === "override-form") { ev.preventDefault(); await addOverride(form); }
});

document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("[data-schedule-list]");
  if (list) loadList(list);
  const form = document.getElementById("schedule-form");
  if (form) loadEditor(form);
  const page = document.getElementById("schedule-page");
  if (page) loadSchedulePage(page);
  const overrides = document.getElementById("override-form");
  if (overrides) presetOverride(overrides);
  const upcoming = document.getElementById("upcoming-shifts");
  if (upcoming) loadUpcoming(upcoming);
});
