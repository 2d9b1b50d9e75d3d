// On-call schedules set up by hand in real headless Chromium (issue 15): a weekly rotation of
// two people, its two-week timeline, an override that changes who is on call now, the
// calendar feed, your upcoming shifts, and a policy step that pages whoever is on call.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, shot, signIn } from "./support.mjs";

let server, browser, team, carol;

before(async () => {
  server = await startServer();
  browser = await launch();
  team = (await server.api("GET", "/api/v1/teams")).body[0].id;
  const made = await server.api("POST", "/api/v1/users", { username: "carol", email: "carol@example.com", password: "carol-password-1" });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  carol = made.body.id;
  const m = await server.api("POST", `/api/v1/teams/${team}/members`, { user_id: carol, role: "responder" });
  assert.ok([200, 201].includes(m.status), JSON.stringify(m.body));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Inputs, selects and text areas without a label. */
async function unlabeled(page) {
  return page.evaluate(() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).length);
}

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

test("a weekly rotation of two: timeline, an override takes over now, a policy step pages the schedule", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => d.accept());
  const cspViolations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  await signIn(page, server.base);

  // The editor: a weekly layer whose first hand-off was three days ago, admin then carol.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedules" }).click();
  await page.waitForURL((u) => u.pathname === "/schedules");
  await page.getByText("No schedules yet.").waitFor();
  await page.getByRole("link", { name: "New schedule" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Primary rotation");
  await page.getByLabel(/^Time zone/).fill("Europe/Berlin");
  const layer = page.locator("#layers fieldset.layer").first();
  await layer.getByLabel("Layer name").fill("Weekly");
  await layer.getByLabel("Hand-off every").fill("1");
  await layer.getByLabel("Rotation unit").selectOption("week");
  const start = await page.evaluate(() => {
    const d = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T09:00`;
  });
  await layer.getByLabel(/^First hand-off/).fill(start);
  await layer.getByLabel("Participant to add").selectOption({ label: "admin" });
  await layer.getByRole("button", { name: "Add participant" }).click();
  await layer.getByLabel("Participant to add").selectOption({ label: "carol" });
  await layer.getByRole("button", { name: "Add participant" }).click();
  assert.deepEqual(await layer.locator(".participant-list > li > span").allTextContents(), ["admin", "carol"]);
  await layer.getByRole("button", { name: "Restrict to certain days and times" }).click();
  assert.equal(await unlabeled(page), 0, "every field of the editor has a label");
  await layer.getByRole("button", { name: "Remove restriction" }).click();
  await shot(page, "schedule-editor");

  // A refusal names the field, next to the form; the page stays.
  await page.getByLabel(/^Time zone/).fill("Mars/Olympus_Mons");
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.locator("#schedule-form .error").getByText(/time_zone/).waitFor();
  assert.equal(new URL(page.url()).pathname, "/schedules/new");
  await page.getByLabel(/^Time zone/).fill("Europe/Berlin");
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.waitForURL((u) => /^\/schedules\/sch_[^/]+$/.test(u.pathname));
  const schedule = new URL(page.url()).pathname.split("/").pop();

  // The schedule's page: admin is on call now; the timeline shows both, no gap.
  await page.locator("#schedule-title", { hasText: "Primary rotation" }).waitFor();
  await page.locator("#on-call-now-text", { hasText: "admin" }).waitFor();
  const row = page.locator('#timeline-body .tl-row[data-row="final"]');
  await row.locator(".tl-shift", { hasText: "admin" }).first().waitFor();
  await row.locator(".tl-shift", { hasText: "carol" }).first().waitFor();
  assert.equal(await row.locator(".tl-gap").count(), 0);
  await page.getByText("Someone is on call all the time.").waitFor();
  // Above the result, the layer's own rotation, by name.
  await page.locator("#timeline-body .tl-caption", { hasText: "Layer: " }).first().waitFor();
  const layerRow = page.locator('#timeline-body .tl-row[data-row="layer-0"]');
  await layerRow.locator(".tl-shift", { hasText: "admin" }).first().waitFor();
  await layerRow.locator(".tl-shift", { hasText: "carol" }).first().waitFor();
  assert.equal(await unlabeled(page), 0, "every field of the schedule's page has a label");
  // Blocks are placed by the custom properties the script sets: carol's starts to the right.
  const lefts = await row.locator(".tl-shift").evaluateAll((bs) => bs.map((b) => [b.textContent, b.getBoundingClientRect().left]));
  const at = (who) => lefts.find(([t]) => t === who)[1];
  assert.ok(at("carol") > at("admin"), JSON.stringify(lefts));
  await shot(page, "schedule-timeline");

  // An override: carol from now for two hours. She is on call now.
  const overrides = page.locator("#overrides");
  await overrides.getByLabel("Who is on call instead").selectOption({ label: "carol" });
  const [from, to] = await page.evaluate(() => {
    const pad = (n) => String(n).padStart(2, "0");
    const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const now = Date.now() - 60 * 1000;
    return [local(new Date(now)), local(new Date(now + 2 * 3600 * 1000))];
  });
  await overrides.getByLabel(/^From/).fill(from);
  await overrides.getByLabel(/^To/).fill(to);
  await overrides.getByRole("button", { name: "Add override" }).click();
  await overrides.locator("#override-rows tr[data-override]", { hasText: "carol" }).waitFor();
  await page.locator("#on-call-now-text", { hasText: "carol" }).waitFor();
  await row.locator(".tl-shift.tl-override", { hasText: "carol" }).waitFor();
  await page.locator('#timeline-body .tl-row[data-row="overrides"] .tl-shift', { hasText: "carol" }).waitFor();
  const oc = await server.api("GET", `/api/v1/schedules/${schedule}/on-call`);
  assert.deepEqual(oc.body.users.map((u) => u.username), ["carol"]);
  // The override went to the API as UTC instants two hours apart.
  const saved = (await server.api("GET", `/api/v1/schedules/${schedule}/overrides`)).body;
  assert.equal(saved.length, 1);
  assert.equal(Date.parse(saved[0].end) - Date.parse(saved[0].start), 2 * 3600 * 1000);
  assert.equal(saved[0].user_id, carol);
  await shot(page, "schedule-override");

  // The list says so too.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedules" }).click();
  const listed = page.locator(`#schedule-rows tr[data-schedule="${schedule}"]`);
  await listed.locator(".on-call-now", { hasText: "carol" }).waitFor();

  // The calendar feed: a secret URL, shown once, that serves iCalendar until revoked.
  await listed.getByRole("link", { name: "Primary rotation" }).click();
  const feed = page.locator("#calendar-feed");
  await feed.getByRole("button", { name: "Get calendar feed URL" }).click();
  const url = await until("the feed URL", 10_000, async () => feed.getByLabel(/^Calendar feed URL/).inputValue());
  const ics = await fetch(url);
  assert.equal(ics.status, 200);
  assert.match(await ics.text(), /BEGIN:VCALENDAR/);
  await feed.getByRole("button", { name: "Revoke feed" }).click();
  await feed.getByText("The feed is revoked").waitFor();
  assert.equal((await fetch(url)).status, 404);

  // A policy step that pages whoever is on call on the schedule.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Paging" }).click();
  await page.getByRole("link", { name: "New escalation policy" }).click();
  await page.getByLabel("Name", { exact: true }).fill("Follow the rotation");
  const step = page.locator("#steps fieldset.step").first();
  await step.getByLabel("schedule Primary rotation").check();
  await page.getByRole("button", { name: "Add step" }).click();
  // Added steps offer the schedule too.
  await page.locator("#steps fieldset.step").nth(1).getByLabel("schedule Primary rotation").waitFor();
  await page.locator("#steps fieldset.step").nth(1).getByRole("button", { name: "Remove step" }).click();
  await page.getByRole("button", { name: "Create policy" }).click();
  await page.waitForURL((u) => u.pathname === "/paging");
  await page.locator("article.policy", { hasText: "Follow the rotation" }).getByText("schedule Primary rotation").waitFor();
  const policy = (await server.api("GET", "/api/v1/escalation-policies")).body.find((p) => p.name === "Follow the rotation");
  assert.deepEqual(policy.steps[0].targets, [{ type: "schedule", id: schedule }]);
  // Editing it keeps the schedule checked.
  await page.locator("article.policy", { hasText: "Follow the rotation" }).getByRole("link", { name: "Edit" }).click();
  assert.ok(await page.locator("#steps fieldset.step").first().getByLabel("schedule Primary rotation").isChecked());

  // A schedule a policy uses cannot be deleted: the page says why.
  await page.goto(`${server.base}/schedules/${schedule}`);
  await page.getByRole("button", { name: "Delete schedule" }).click();
  await page.locator("#schedule-delete-error").waitFor({ state: "visible" });

  // Your upcoming shifts on the account page: admin's week, now that carol's override ends.
  await page.getByRole("link", { name: "admin" }).click();
  await page.waitForURL(server.base + "/account");
  await page.locator("#upcoming-rows tr", { hasText: "Primary rotation" }).first().waitFor();
  await shot(page, "account-upcoming-shifts");
  assert.deepEqual(cspViolations, [], "the schedule pages' scripts run under the policy");
  await context.close();
});

test("the editor keeps restrictions and layers, and shows the gaps they leave", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => d.accept());
  await signIn(page, server.base);
  await page.goto(`${server.base}/schedules/new?team=${team}`);
  await page.getByLabel("Name", { exact: true }).fill("Office hours");
  await page.getByLabel(/^Time zone/).fill("UTC");
  const layer = page.locator("#layers fieldset.layer").first();
  await layer.getByLabel("Rotation unit").selectOption("day");
  await layer.getByLabel("Participant to add").selectOption({ label: "carol" });
  await layer.getByRole("button", { name: "Add participant" }).click();
  await layer.getByRole("button", { name: "Restrict to certain days and times" }).click();
  const r = layer.locator("fieldset.restriction");
  await r.getByLabel("Sat").uncheck();
  await r.getByLabel("Sun").uncheck();
  await r.getByLabel("From (local)").fill("09:00");
  await r.getByLabel("To (local)").fill("17:00");
  // A second layer, removed again.
  await page.getByRole("button", { name: "Add layer" }).click();
  assert.equal(await page.locator("#layers fieldset.layer").count(), 2);
  await page.locator("#layers fieldset.layer").nth(1).getByRole("button", { name: "Remove layer" }).click();
  await page.getByRole("button", { name: "Create schedule" }).click();
  // Office hours leave nights and weekends uncovered: said before leaving the editor.
  await page.locator("#schedule-gaps", { hasText: "Nobody is on call:" }).waitFor();
  await shot(page, "schedule-gaps");
  const saved = (await server.api("GET", `/api/v1/schedules?team_id=${team}`)).body.find((s) => s.name === "Office hours");
  assert.deepEqual(saved.layers[0].restrictions, [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" }]);
  assert.deepEqual(saved.layers[0].participants, [carol]);
  // Edit: the form holds what was saved.
  await page.goto(`${server.base}/schedules/${saved.id}/edit`);
  const edited = page.locator("#layers fieldset.layer").first();
  await edited.locator(".participant-list > li", { hasText: "carol" }).waitFor();
  assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Office hours");
  assert.equal(await edited.getByLabel("Rotation unit").inputValue(), "day");
  assert.equal(await edited.locator("fieldset.restriction").getByLabel("Sat").isChecked(), false);
  assert.equal(await edited.locator("fieldset.restriction").getByLabel("Mon").isChecked(), true);
  await edited.getByLabel("Layer name").fill("Weekdays");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await page.locator("#schedule-gaps", { hasText: "Nobody is on call:" }).waitFor();
  const after = (await server.api("GET", `/api/v1/schedules/${saved.id}`)).body;
  assert.equal(after.layers[0].name, "Weekdays");
  await context.close();
});
