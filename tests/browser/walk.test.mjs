// The seed's steps, as a person does them, in real headless Chromium.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, shot, signIn, postAlert, kapacitorAlert } from "./support.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

test("log in, copy the Kapacitor URL, alert, acknowledge, auto-resolve", async () => {
  const page = await newPage();
  // Not signed in: sent to the login page, then back.
  await page.goto(server.base + "/incidents");
  assert.match(new URL(page.url()).pathname, /^\/login/);
  await shot(page, "login");
  await signIn(page, server.base);
  assert.equal(new URL(page.url()).pathname, "/incidents");

  // Pick the team, open Services, the Default Service, its alert sources.
  await page.getByLabel("Team").selectOption({ label: "Default Team" });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Services" }).click();
  await page.getByRole("link", { name: "Default Service" }).click();
  await page.getByLabel("Search alert sources").fill("kap");
  await page.getByRole("button", { name: "Kapacitor" }).click();
  // Each source has its own panel (only the picked one shown): look in Kapacitor's.
  const panel = page.locator('[data-source-panel="kapacitor"]');
  const field = panel.getByLabel("Webhook URL", { exact: true });
  const url = await field.inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/incidents\/kapacitor\/[A-Za-z0-9_-]{22,}$/);
  await panel.getByRole("button", { name: "Copy", exact: true }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, url);
  const status = page.locator("#kapacitor-status");
  await assert.doesNotReject(status.getByText("Not receiving alerts", { exact: true }).waitFor());
  await shot(page, "service-alert-sources");

  // Kapacitor posts to the copied URL; the dot turns green.
  const sent = await postAlert(copied, kapacitorAlert("cpu:host=web-1", "CRITICAL", "CPU idle below 10% on web-1"));
  assert.equal(sent.status, 202);
  await page.reload();
  await page.getByRole("button", { name: "Kapacitor" }).click();
  await status.getByText("Receiving alerts", { exact: true }).waitFor();
  assert.equal(await status.locator(".dot.green").count(), 1);

  // The incident is in the list; a new alert shows up without a reload.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Incidents" }).click();
  await page.getByRole("link", { name: "CPU idle below 10% on web-1" }).waitFor();
  await page.evaluate(() => { window.__noReload = true; });
  await postAlert(copied, kapacitorAlert("disk:host=db-1", "WARNING", "Disk filling on db-1"));
  await page.getByRole("link", { name: "Disk filling on db-1" }).waitFor();
  assert.equal(await page.evaluate(() => window.__noReload), true, "the list updated in place");
  await shot(page, "incidents");

  // Open it, acknowledge, then Kapacitor's OK resolves it.
  await page.getByRole("link", { name: "CPU idle below 10% on web-1" }).click();
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await page.locator(".badge.st-acknowledged").waitFor();
  await page.getByLabel("Note").fill("Looking at web-1 now");
  await page.getByRole("button", { name: "Add note" }).click();
  await page.getByText("Looking at web-1 now").waitFor();
  const ok = await postAlert(copied, kapacitorAlert("cpu:host=web-1", "OK"));
  assert.equal(ok.body.action, "resolved");
  await page.reload();
  await page.getByText("Resolved by Kapacitor").first().waitFor();
  // The timeline is newest first; a raw payload is not in the page but fetched when opened.
  assert.equal(await page.getByText('"level":"CRITICAL"').count(), 0, "no raw payload in the page");
  await page.locator('li[data-kind="opened"] details summary').click();
  await page.getByText('"level":"CRITICAL"').first().waitFor();
  await shot(page, "incident");

  await page.goto(server.base + "/");
  await page.locator("svg.chart").waitFor();
  await shot(page, "overview");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "overview-390");
  await page.goto(server.base + "/incidents");
  await shot(page, "incidents-390");
});

test("send test alert turns the dot green without a reload", async () => {
  const team = (await server.api("GET", "/api/v1/teams")).body[0].id;
  const svc = await server.api("POST", "/api/v1/services", { name: "Checkout", team_id: team });
  assert.equal(svc.status, 201);
  const page = await newPage();
  await signIn(page, server.base);
  await page.goto(`${server.base}/services/${svc.body.id}`);
  await page.getByRole("button", { name: "Kapacitor" }).click();
  const status = page.locator("#kapacitor-status");
  await status.getByText("Not receiving alerts", { exact: true }).waitFor();
  await page.evaluate(() => { window.__noReload = true; });
  await page.getByRole("button", { name: "Send test alert" }).click();
  await status.getByText("Receiving alerts", { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => window.__noReload), true);
  assert.equal(await status.locator(".dot.green").count(), 1);
});

test("keyboard: the alert source picker and copy button are reachable", async () => {
  const page = await newPage();
  await signIn(page, server.base);
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  await page.goto(`${server.base}/services/${svc}`);
  await page.getByLabel("Search alert sources").focus();
  await page.keyboard.type("kapa");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.locator('[data-source-panel="kapacitor"]').getByLabel("Webhook URL", { exact: true }).waitFor();
  // Every input on the page has a label.
  const unlabeled = await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).length);
  assert.equal(unlabeled, 0);
});

test("a member of one team sees nothing of another team in any page", async () => {
  // Team B with a service and an incident.
  const teamB = await server.api("POST", "/api/v1/teams", { name: "Team B" });
  assert.equal(teamB.status, 201);
  const svcB = await server.api("POST", "/api/v1/services", { name: "B secret service", team_id: teamB.body.id });
  assert.equal(svcB.status, 201);
  const sources = await server.api("GET", `/api/v1/services/${svcB.body.id}/alert-sources`);
  const urlB = sources.body.find((s) => s.source === "kapacitor").webhook_url;
  const incB = await postAlert(urlB, kapacitorAlert("b:host=secret", "CRITICAL", "B only incident"));
  assert.equal(incB.status, 202);
  const admin = (await server.api("GET", "/api/v1/users")).body.find((u) => u.username === "admin").id;
  const schB = await server.api("POST", "/api/v1/schedules", { team_id: teamB.body.id, name: "B secret rotation",
    time_zone: "UTC", layers: [{ name: "l", participants: [admin], rotation: { unit: "day", length: 1 }, start: "2026-01-05T09:00:00" }] });
  assert.equal(schB.status, 201, JSON.stringify(schB.body));

  // Alice is a responder in the Default Team only.
  const teamA = (await server.api("GET", "/api/v1/teams")).body.find((t) => t.name === "Default Team").id;
  const alice = await server.api("POST", "/api/v1/users", { username: "alice", email: "alice@example.com", password: "alice-password-1" });
  assert.equal(alice.status, 201, JSON.stringify(alice.body));
  const member = await server.api("POST", `/api/v1/teams/${teamA}/members`, { user_id: alice.body.id, role: "responder" });
  assert.ok([200, 201].includes(member.status), JSON.stringify(member.body));

  const page = await newPage();
  await signIn(page, server.base, "alice", "alice-password-1");
  const pages = ["/", "/services", "/incidents", "/incidents?status=open", `/?team=${teamB.body.id}`, `/services?team=${teamB.body.id}`,
    "/schedules", `/schedules?team=${teamB.body.id}`, "/account", "/paging"];
  for (const path of pages) {
    await page.goto(server.base + path);
    // The schedule pages fill themselves from the API: look once the script is done.
    await page.waitForLoadState("networkidle");
    const html = await page.content();
    assert.ok(!html.includes("B secret rotation"), `${path} shows B's schedule`);
    assert.ok(!html.includes("Team B"), `${path} shows Team B`);
    assert.ok(!html.includes("B secret service"), `${path} shows B's service`);
    assert.ok(!html.includes("B only incident"), `${path} shows B's incident`);
  }
  for (const path of [`/services/${svcB.body.id}`, `/incidents/${incB.body.incident_id}`, `/schedules/${schB.body.id}`,
    `/schedules/${schB.body.id}/edit`]) {
    const res = await page.goto(server.base + path);
    assert.equal(res.status(), 404, path);
    assert.ok(!(await page.content()).includes("B only incident"));
  }
  // The admin, who is in every team, does see it.
  const adminPage = await newPage();
  await signIn(adminPage, server.base);
  await adminPage.goto(`${server.base}/incidents?team=${teamB.body.id}`);
  await adminPage.getByRole("link", { name: "B only incident" }).waitFor();
  await shot(adminPage, "incidents-team-b");
});
