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
  const field = page.getByLabel("Webhook URL", { exact: true });
  const url = await field.inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/incidents\/kapacitor\/[A-Za-z0-9_-]{22,}$/);
  await page.getByRole("button", { name: "Copy", exact: true }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, url);
  const status = page.locator("#kapacitor-status");
  await assert.doesNotReject(status.getByText("Not receiving alerts").waitFor());
  await shot(page, "service-alert-sources");

  // Kapacitor posts to the copied URL; the dot turns green.
  const sent = await postAlert(copied, kapacitorAlert("cpu:host=web-1", "CRITICAL", "CPU idle below 10% on web-1"));
  assert.equal(sent.status, 202);
  await page.reload();
  await page.getByRole("button", { name: "Kapacitor" }).click();
  await status.getByText("Receiving alerts").waitFor();
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
  await page.locator("details summary").first().click();
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
  await status.getByText("Not receiving alerts").waitFor();
  await page.evaluate(() => { window.__noReload = true; });
  await page.getByRole("button", { name: "Send test alert" }).click();
  await status.getByText("Receiving alerts").waitFor();
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
  await page.getByLabel("Webhook URL", { exact: true }).waitFor();
  // Every input on the page has a label.
  const unlabeled = await page.evaluate(() =>
    [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")).length);
  assert.equal(unlabeled, 0);
});
