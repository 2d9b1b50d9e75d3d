// The service page's Heartbeats card (issue 18): add a heartbeat with the form, copy its
// check-in URL (the copied URL is the one on the page), check in with it and see the last
// check-in on the page, then delete it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, shot, signIn } from "./support.mjs";

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

test("add a heartbeat, copy its check-in URL, check in, delete it", async () => {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("dialog", (d) => d.accept());
  await signIn(page, server.base);
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  await page.goto(`${server.base}/services/${svc}`);

  const card = page.locator("#heartbeats");
  await card.getByText("No heartbeats yet.").waitFor();
  // A refused value says which field.
  await card.getByLabel("Name").fill("nightly-backup");
  await card.getByLabel("Interval (seconds)").fill("600");
  await card.getByLabel("Grace (seconds)").fill("-5");
  await card.getByLabel("Grace (seconds)").evaluate((el) => el.removeAttribute("min"));
  await card.getByRole("button", { name: "Add heartbeat" }).click();
  await card.locator("form .error").getByText("grace_seconds").waitFor();

  await card.getByLabel("Grace (seconds)").fill("60");
  await card.getByRole("button", { name: "Add heartbeat" }).click();
  const row = card.locator('tr[data-heartbeat="nightly-backup"]');
  await row.waitFor();
  assert.match(await row.innerText(), /10 min\s+1 min\s+OK\s+never/);

  const url = await row.getByLabel("Check-in URL of nightly-backup").inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/heartbeats\/[A-Za-z0-9_-]{43}$/);
  await row.getByRole("button", { name: "Copy", exact: true }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  await shot(page, "service-heartbeats");

  const res = await fetch(url, { method: "POST" });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).state, "ok");
  await page.reload();
  assert.doesNotMatch(await row.innerText(), /never/);

  await row.getByRole("button", { name: "Delete" }).click();
  await card.getByText("No heartbeats yet.").waitFor();
  assert.equal((await fetch(url, { method: "POST" })).status, 404);
});
