// Paging's forms: contact methods and channels (a type, a name, a URL or an address; a
// webhook's signing secret shown once), test sends, and the escalation policy editor, which
// builds the API's JSON body from the form. Uses `api`, `formBody` and `showError` of app.js.
"use strict";

// A destination takes `url` (webhook, Slack) or `address` (email): keep only that field
// shown and enabled, so the other is neither required nor sent.
function syncDestination(select) {
  const form = select.form;
  if (!form) return;
  const want = select.value === "email" ? "address" : "url";
  form.querySelectorAll("[data-target-field]").forEach((div) => {
    const on = div.dataset.targetField === want;
    div.hidden = !on;
    div.querySelectorAll("input").forEach((i) => { i.disabled = !on; });
  });
}

document.addEventListener("change", (ev) => {
  if (ev.target.dataset && ev.target.dataset.destinationType) syncDestination(ev.target);
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-destination-type]").forEach(syncDestination);
});

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (form.dataset.destinationApi) {
    ev.preventDefault();
    await createDestination(form);
  } else if (form.id === "policy-form") {
    ev.preventDefault();
    await savePolicy(form);
  }
});

// Create a contact method or channel. A webhook's answer carries its signing secret, the only
// time it is shown: the page shows it until the person says they stored it.
async function createDestination(form) {
  const err = form.querySelector(".error");
  if (err) err.hidden = true;
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const created = await api("POST", form.dataset.destinationApi, formBody(form));
    const panel = document.getElementById(form.dataset.secretPanel);
    if (!created || !created.signing_secret || !panel) { location.reload(); return; }
    panel.querySelector("[data-secret-title]").textContent = `Added ${created.name}.`;
    panel.querySelector("input").value = created.signing_secret;
    panel.hidden = false;
    form.hidden = true;
    panel.querySelector("input").focus();
  } catch (e) {
    showError(err, e);
    if (button) button.disabled = false;
  }
}

document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("button");
  if (!btn) return;

  if (btn.dataset.reload) location.reload();

  // "Send test": what the receiver answered, next to the button.
  if (btn.dataset.testSend) {
    const out = document.getElementById(btn.dataset.resultId);
    btn.disabled = true;
    if (out) { out.hidden = false; out.className = ""; out.textContent = "Sending…"; }
    try {
      const r = await api("POST", btn.dataset.testSend, {});
      const sent = r && r.status === "sent";
      if (out) {
        out.className = sent ? "" : "error";
        out.textContent = sent ? "Test sent." : `Test failed: ${(r && r.error) || "no answer"}`;
      }
    } catch (e) {
      if (out) { out.className = "error"; out.textContent = `Test failed: ${e.message || e}`; }
    }
    btn.disabled = false;
  }

  if (btn.dataset.addStep) {
    const tpl = document.getElementById("step-template");
    const steps = document.getElementById("steps");
    if (tpl && steps) {
      steps.appendChild(tpl.content.cloneNode(true));
      renumberSteps();
      const last = steps.querySelector("fieldset.step:last-of-type .step-delay");
      if (last) last.focus();
    }
  }

  if (btn.dataset.removeStep) {
    const step = btn.closest("fieldset.step");
    if (step) { step.remove(); renumberSteps(); }
  }
});

function renumberSteps() {
  document.querySelectorAll("#steps > fieldset.step").forEach((fs, i) => {
    const legend = fs.querySelector("legend");
    if (legend) legend.textContent = `Step ${i + 1}`;
  });
}

// The editor's form as the API's policy body. Core and the store check it; their answer (a
// field such as `steps[0].targets`) is shown as it is.
function policyBody(form) {
  const repeat = form.querySelector("#policy-repeat").value;
  const ack = form.querySelector("#policy-ack").value.trim();
  const steps = [...form.querySelectorAll("#steps > fieldset.step")].map((fs) => ({
    delay_minutes: Number(fs.querySelector(".step-delay").value || "0"),
    round_robin: fs.querySelector(".step-rr").checked,
    targets: [...fs.querySelectorAll("input[data-target-type]:checked")].map((i) => ({
      type: i.dataset.targetType, id: i.dataset.targetId,
    })),
  }));
  return {
    team_id: form.dataset.team,
    name: form.querySelector("#policy-name").value,
    repeat: repeat === "until_acknowledged" ? repeat : Number(repeat),
    ack_timeout_minutes: ack === "" ? null : Number(ack),
    steps,
  };
}

async function savePolicy(form) {
  const err = form.querySelector(".error");
  if (err) err.hidden = true;
  try {
    await api(form.dataset.policyMethod, form.dataset.policyUrl, policyBody(form));
    location.assign(form.dataset.done);
  } catch (e) { showError(err, e); }
}
