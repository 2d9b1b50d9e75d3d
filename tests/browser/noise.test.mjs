// Noise control in real headless Chromium (issue 18): a maintenance window added on the
// service page, an alert posted to the service's webhook, and the incident arrives suppressed
// (its timeline names the window); then the rules editor's preview runs a rule against the
// alerts just received, and ending the window from the card works.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, shot, signIn, postAlert, kapacitorAlert } from "./support.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("a maintenance window made in the UI suppresses an alert; the preview tests a rule", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => d.accept());
  const cspViolations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  await signIn(page, server.base);

  const services = await server.api("GET", "/api/v1/services");
  const svc = services.body[0];
  const sources = await server.api("GET", `/api/v1/services/${svc.id}/alert-sources`);
  const hook = sources.body.find((s) => s.source === "kapacitor").webhook_url;

  await page.goto(`${server.base}/services/${svc.id}`);
  const card = page.locator("#noise");
  await card.getByText("No maintenance window.").waitFor();
  // Start is filled with now; no end: until ended.
  assert.ok(await card.getByLabel("Start (your local time)").inputValue());
  await card.getByRole("button", { name: "Add maintenance window" }).click();
  const row = card.locator("#noise-windows tbody tr");
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  await row.first().getByText("active").waitFor();
  await shot(page, "noise-window-active");

  // An alert during the window: stored as a suppressed incident, never paged.
  const sent = await postAlert(hook, kapacitorAlert("disk:web-1", "CRITICAL"));
  assert.equal(sent.status, 202);
  assert.equal(sent.body.action, "suppressed");
  await page.goto(`${server.base}/incidents/${sent.body.incident_id}`);
  await page.getByText("suppressed", { exact: false }).first().waitFor();
  const windows = await server.api("GET", `/api/v1/services/${svc.id}/maintenance-windows`);
  await page.getByText(`suppressed by maintenance window ${windows.body[0].id}`).waitFor();
  // Final: nothing to acknowledge or resolve.
  assert.equal(await page.getByRole("button", { name: "Resolve" }).count(), 0);
  await shot(page, "noise-incident-suppressed");
  // The incident list's status filter offers it.
  await page.goto(`${server.base}/incidents?status=suppressed`);
  await page.getByText("disk:web-1 is CRITICAL").first().waitFor();

  // The rules editor: preview a rule against the alerts just received, without saving it.
  await page.goto(`${server.base}/services/${svc.id}`);
  const rules = page.locator("#noise-rules");
  await rules.fill(JSON.stringify([
    { action: "set_severity", conditions: [{ field: "dedup_key", op: "contains", value: "disk" }], severity: "info" },
  ]));
  await card.getByRole("button", { name: "Test against the last 50 alerts" }).click();
  const preview = card.locator("#noise-preview-table tbody tr");
  await preview.first().waitFor();
  assert.equal(await preview.first().getAttribute("data-matched"), "true");
  await preview.first().getByText("severity info").waitFor();
  await shot(page, "noise-rules-preview");
  // A bad rule is refused on save, naming it.
  await rules.fill(JSON.stringify([{ action: "suppress", conditions: [{ field: "nope", op: "==", value: "x" }] }]));
  await card.getByRole("button", { name: "Save rules" }).click();
  await card.getByText("rules[0].conditions[0].field", { exact: false }).waitFor();
  assert.deepEqual((await server.api("GET", `/api/v1/services/${svc.id}/rules`)).body, []);

  // End the window from the card: the next alert opens a normal incident.
  await card.locator("#noise-windows").getByRole("button", { name: "End" }).click();
  await card.locator("#noise-windows .window-state", { hasText: "ended" }).waitFor();
  const after = await postAlert(hook, kapacitorAlert("disk:web-2", "CRITICAL"));
  assert.equal(after.body.action, "opened");
  assert.deepEqual(cspViolations, []);
  await context.close();
});
