// The Kapacitor doctor on a service's Kapacitor panel: the pasted TICKscript goes to
// POST /api/v1/kapacitor/check and its findings are listed under the form. Uses app.js's
// `api` and `showError` (loaded first). No inline script: the CSP allows none.
"use strict";

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (!form.dataset || !form.dataset.tickCheck) return;
  ev.preventDefault();
  const err = form.querySelector(".error");
  if (err) err.hidden = true;
  const list = document.getElementById("tick-findings");
  const verdict = document.getElementById("tick-verdict");
  const body = { script: form.elements.namedItem("script").value };
  const conf = form.elements.namedItem("kapacitor_conf").value;
  if (conf.trim() !== "") body.kapacitor_conf = conf;
  try {
    const data = await api("POST", form.dataset.tickCheck, body);
    list.innerHTML = "";
    for (const f of data.findings) {
      const li = document.createElement("li");
      li.dataset.code = f.code;
      li.className = `finding-${f.severity}`;
      const where = document.createElement("strong");
      where.textContent = `${f.line}:${f.column} ${f.severity} ${f.code}`;
      const msg = document.createElement("span");
      msg.textContent = ` ${f.message}`;
      const fix = document.createElement("div");
      fix.className = "muted";
      fix.textContent = `Fix: ${f.fix}`;
      li.append(where, msg, fix);
      list.append(li);
    }
    const errors = data.findings.filter((f) => f.severity === "error").length;
    verdict.textContent = data.findings.length === 0
      ? "No findings: this TICKscript passes every check."
      : `${data.findings.length} finding(s), ${errors} error(s).`;
  } catch (e) { showError(err, e); }
});
