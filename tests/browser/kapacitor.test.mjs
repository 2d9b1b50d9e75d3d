// The Kapacitor doctor on a service's Kapacitor panel: paste a TICKscript, see its findings.
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

const script = (id, url) => `stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('${id}')
        .crit(lambda: "usage_idle" < 10)
        .post('${url}')
`;

test("paste a TICKscript and see a finding inline, then its fix pass", async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
  const violations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await signIn(page, server.base);
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  await page.goto(`${server.base}/services/${svc}`);
  await page.getByRole("button", { name: "Kapacitor" }).click();
  const url = await page.locator('[data-source-panel="kapacitor"]').getByLabel("Webhook URL", { exact: true }).inputValue();

  await page.getByLabel("TICKscript", { exact: true }).fill(script("{{ .TaskName }}", url));
  await page.getByRole("button", { name: "Check TICKscript" }).click();
  const finding = page.locator('#tick-findings li[data-code="id-without-group"]');
  await finding.waitFor();
  assert.match(await finding.textContent(), /^6:10 error id-without-group .*Fix: .*\.Group/);
  await page.getByText("1 finding(s), 1 error(s).").waitFor();
  await shot(page, "kapacitor-check-finding");

  await page.getByLabel("TICKscript", { exact: true }).fill(script("{{ .TaskName }}:{{ .Group }}", url));
  await page.getByRole("button", { name: "Check TICKscript" }).click();
  await page.getByText("No findings: this TICKscript passes every check.").waitFor();
  assert.equal(await page.locator("#tick-findings li").count(), 0);
  assert.deepEqual(violations, []);
});

test("a team admin saves the team's Kapacitor URL; the page reads it and says what failed", async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, server.base);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Kapacitor" }).click();
  await page.getByText("Set the team's Kapacitor URL to list its tasks.").waitFor();
  // Nothing listens on loopback port 9: saved, then read on the reload, and refused politely.
  await page.getByLabel("Kapacitor URL").fill("http://127.0.0.1:9");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#live-tasks .error").getByText(/could not read Kapacitor: .*could not connect/).waitFor();
  assert.equal(await page.getByLabel("Kapacitor URL").inputValue(), "http://127.0.0.1:9");
  await shot(page, "kapacitor-team-page");
  const team = (await server.api("GET", "/api/v1/teams")).body[0].id;
  const setting = await server.api("GET", `/api/v1/teams/${team}/kapacitor`);
  assert.deepEqual(setting.body, { kapacitor_url: "http://127.0.0.1:9" });
});
