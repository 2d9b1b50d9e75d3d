// Paging set up by hand in real headless Chromium (issue 14): a webhook contact method on the
// account page, a policy that pages the admin, the Default Service on it; then an alert, and
// the incident page shows the notification sent with the delivery id the receiver got.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launch, shot, signIn, postAlert, kapacitorAlert } from "./support.mjs";

let server, browser, receiver;
/** Every request the loopback receiver got: method, path, headers, body. */
const received = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", () => {
      received.push({ method: req.method, path: req.url, headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => receiver.listen(0, "127.0.0.1", ok));
});

after(async () => {
  await browser?.close();
  server?.stop();
  await new Promise((ok) => (receiver ? receiver.close(ok) : ok()));
});

/** Poll `probe` until it returns something truthy, or fail after `ms`. */
async function until(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("add a webhook, page yourself through a policy, see the notification sent", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => d.accept());
  const cspViolations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  await signIn(page, server.base);
  const hook = `http://127.0.0.1:${receiver.address().port}/tocsin`;

  // Account page: a webhook contact method; its signing secret shown once.
  await page.getByRole("link", { name: "admin" }).click();
  await page.waitForURL(server.base + "/account");
  const methods = page.locator("#contact-methods");
  await methods.getByLabel("Name").fill("My webhook");
  await methods.getByLabel("URL").fill(hook);
  await methods.getByRole("button", { name: "Add contact method" }).click();
  await methods.getByText("Store it now: it is not shown again.").waitFor();
  const secret = await methods.getByLabel("Signing secret").inputValue();
  assert.ok(secret.length >= 16, secret);
  await shot(page, "paging-contact-secret");
  await methods.getByRole("button", { name: "Done" }).click();
  const row = methods.locator("tr", { hasText: "My webhook" });
  await row.waitFor();
  assert.ok(!(await page.content()).includes(secret), "the secret is not in the page again");

  // An email method: the address field replaces the URL; then delete it (confirmed).
  await methods.getByLabel("Type").selectOption("email");
  assert.equal(await methods.getByLabel("URL").isVisible(), false);
  await methods.getByLabel("Name").fill("Mail");
  await methods.getByLabel("Email address").fill("admin@example.com");
  await methods.getByRole("button", { name: "Add contact method" }).click();
  const mail = methods.locator("tr", { hasText: "admin@example.com" });
  await mail.waitFor();
  await mail.getByRole("button", { name: "Delete" }).click();
  await mail.waitFor({ state: "detached" });

  // "Send test" reaches the receiver and says so.
  await row.getByRole("button", { name: "Send test" }).click();
  await row.getByText("Test sent.").waitFor();
  assert.equal(received.length, 1);
  assert.equal(received[0].method, "POST");

  // A rule: the webhook at once.
  const rules = page.locator("#notification-rules");
  await rules.getByLabel("Contact method").selectOption({ label: "My webhook (Webhook)" });
  await rules.getByLabel("After (minutes)").fill("0");
  await rules.getByRole("button", { name: "Add rule" }).click();
  await rules.locator("tr", { hasText: "My webhook" }).getByText("0 min").waitFor();

  // Paging page: a policy with one step that pages the admin at once.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Paging" }).click();
  await page.getByRole("link", { name: "New escalation policy" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Primary on-call");
  const step = page.locator("#steps fieldset.step").first();
  await step.getByLabel(/^Delay/).fill("0");
  await step.getByLabel("admin", { exact: true }).check();
  await shot(page, "paging-policy-editor");
  await page.getByRole("button", { name: "Create policy" }).click();
  await page.waitForURL((u) => u.pathname === "/paging");
  const policy = page.locator("article.policy", { hasText: "Primary on-call" });
  await policy.getByText("Step 1, after 0 min: admin").waitFor();
  await shot(page, "paging-team");

  // The Default Service runs it.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Services" }).click();
  await page.getByRole("link", { name: "Default Service" }).click();
  await page.getByLabel("Escalation policy", { exact: true }).selectOption({ label: "Primary on-call" });
  await page.locator("#paging").getByRole("button", { name: "Save" }).click();
  await page.locator("#service-policy").getByText("Primary on-call").waitFor();
  const serviceId = new URL(page.url()).pathname.split("/").pop();

  // Kapacitor alerts the service.
  const sources = await server.api("GET", `/api/v1/services/${serviceId}/alert-sources`);
  const url = sources.body.find((s) => s.source === "kapacitor").webhook_url;
  const sent = await postAlert(url, kapacitorAlert("cpu:host=web-1", "CRITICAL", "CPU idle below 10% on web-1"));
  assert.equal(sent.status, 202);
  const incident = sent.body.incident_id;

  // The incident page shows the notification sent (the engine runs beside the request).
  await page.goto(`${server.base}/incidents/${incident}`);
  const sentRow = page.locator('#notifications tr[data-status="sent"]');
  await until("the notification is shown sent", 20_000, async () => {
    if ((await sentRow.count()) > 0) return true;
    await page.reload();
    return false;
  });
  const shown = (await sentRow.first().locator("code.delivery-id").textContent()).trim();
  assert.match(shown, /^ntf_/);
  const text = await sentRow.first().textContent();
  assert.ok(text.includes("admin · My webhook") && text.includes("triggered"), text);
  await shot(page, "paging-incident-notifications");
  const page_ = received.find((r) => r.headers["x-tocsin-delivery"] === shown);
  assert.ok(page_, `a POST with X-Tocsin-Delivery ${shown}; got ${JSON.stringify(received.map((r) => r.headers["x-tocsin-delivery"]))}`);
  assert.equal(page_.method, "POST");
  assert.equal(page_.path, "/tocsin");
  // The timeline says what paging did.
  await page.locator("#timeline li.paging").first().waitFor();
  assert.deepEqual(cspViolations, [], "the paging pages' scripts run under the policy");
  await context.close();
});

test("the policy editor: a refusal names the field; steps added, removed, renumbered; channels", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => d.accept());
  await signIn(page, server.base);
  await page.goto(server.base + "/paging");
  await page.getByRole("link", { name: "New escalation policy" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Backup");
  // Nobody picked: core's rule answers, naming the step.
  await page.getByRole("button", { name: "Create policy" }).click();
  await page.getByText(/steps\[0\]\.targets/).waitFor();
  assert.equal(new URL(page.url()).pathname, "/paging/policies/new");

  const steps = page.locator("#steps fieldset.step");
  await steps.nth(0).getByLabel("admin", { exact: true }).check();
  await page.getByRole("button", { name: "Add step" }).click();
  assert.equal(await steps.count(), 2);
  await steps.nth(1).locator("legend", { hasText: "Step 2" }).waitFor();
  await steps.nth(1).getByLabel(/^Delay/).fill("5");
  await steps.nth(1).getByLabel("admin", { exact: true }).check();
  await steps.nth(1).getByLabel(/^Round robin/).check();
  await page.getByRole("button", { name: "Create policy" }).click();
  await page.waitForURL((u) => u.pathname === "/paging");
  const backup = page.locator("article.policy", { hasText: "Backup" });
  await backup.getByText("Step 2, after 5 min more: admin (round robin").waitFor();

  // Edit: drop the first step, loop until acknowledged, escalate again after 30 min.
  await backup.getByRole("link", { name: "Edit" }).click();
  await page.getByRole("button", { name: "Save policy" }).waitFor();
  assert.equal(await steps.count(), 2);
  await steps.nth(0).getByRole("button", { name: "Remove step" }).click();
  assert.equal(await steps.count(), 1);
  await steps.nth(0).locator("legend", { hasText: "Step 1" }).waitFor();
  assert.equal(await steps.nth(0).getByLabel(/^Delay/).inputValue(), "5");
  assert.ok(await steps.nth(0).getByLabel(/^Round robin/).isChecked());
  await page.getByLabel("When the last step has fired").selectOption("until_acknowledged");
  await page.getByLabel(/^Escalate again/).fill("30");
  await page.getByRole("button", { name: "Save policy" }).click();
  await page.waitForURL((u) => u.pathname === "/paging");
  await backup.getByText("Step 1, after 5 min: admin").waitFor();
  await backup.getByText("Repeats until acknowledged").waitFor();
  await backup.getByText("not resolved after 30 min escalates again").waitFor();
  const api = await server.api("GET", "/api/v1/escalation-policies");
  const saved = api.body.find((p) => p.name === "Backup");
  assert.equal(saved.repeat, "until_acknowledged");
  assert.equal(saved.ack_timeout_minutes, 30);
  assert.deepEqual(saved.steps.map((s) => [s.delay_minutes, s.round_robin, s.targets.length]), [[5, true, 1]]);

  // Delete it (confirmed).
  await backup.getByRole("button", { name: "Delete" }).click();
  await backup.waitFor({ state: "detached" });

  // A Slack channel: no signing secret, so the list shows it at once; then delete it.
  const channels = page.locator("#channels");
  await channels.getByLabel("Type").selectOption("slack");
  await channels.getByLabel("Name").fill("ops room");
  await channels.getByLabel("URL").fill(`http://127.0.0.1:${receiver.address().port}/slack`);
  await channels.getByRole("button", { name: "Add channel" }).click();
  const room = channels.locator("tr", { hasText: "ops room" });
  await room.waitFor();
  await room.getByRole("button", { name: "Delete" }).click();
  await room.waitFor({ state: "detached" });
  await context.close();
});
