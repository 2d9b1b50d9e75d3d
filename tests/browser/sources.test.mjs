// The alert-source picker finds every source, each in its own panel with its own "Webhook URL":
// searching "prom" shows Prometheus Alertmanager, its panel holds the service's own URL and
// receiver snippet, the copied URL is the one on the page, and an Alertmanager notification
// posted to it opens an incident; searching "pager" shows PagerDuty, whose panel holds the
// enqueue URL and the routing key, and an event sent as its guide says opens an incident.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, shot, signIn, postAlert } from "./support.mjs";

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

async function newPage() {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

test("search 'prom', copy the Alertmanager URL, and it works", async () => {
  const page = await newPage();
  await signIn(page, server.base);
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  await page.goto(`${server.base}/services/${svc}`);

  await page.getByLabel("Search alert sources").fill("prom");
  const list = page.locator("#source-list li:not([hidden])");
  assert.deepEqual(await list.allInnerTexts(), ["Prometheus Alertmanager"]);
  await page.getByRole("button", { name: "Prometheus Alertmanager" }).click();

  const panel = page.locator('[data-source-panel="prometheus"]');
  const url = await panel.getByLabel("Webhook URL", { exact: true }).inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/incidents\/prometheus\/[A-Za-z0-9_-]{22,}$/);
  // The receiver snippet carries the same URL.
  assert.match(await panel.locator("#prometheus-guide-yaml").innerText(), new RegExp(`url: '${url}'`));
  await panel.getByRole("button", { name: "Copy", exact: true }).click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, url);
  await shot(page, "alert-source-prometheus");

  // What Alertmanager would post: one group of one alert.
  const body = JSON.stringify({
    version: "4", receiver: "tocsin", status: "firing", groupKey: '{}:{alertname="InstanceDown"}',
    groupLabels: { alertname: "InstanceDown" }, commonLabels: {}, commonAnnotations: {}, externalURL: "http://am:9093",
    alerts: [{
      status: "firing", labels: { alertname: "InstanceDown", instance: "web-9:9100" },
      annotations: { summary: "web-9 is down" }, startsAt: new Date().toISOString(),
      endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "b1b2b3b4b5b6b7b8",
    }],
  });
  const sent = await postAlert(copied, body);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  assert.equal(sent.body.action, "opened");
  await page.reload();
  await page.getByRole("button", { name: "Prometheus Alertmanager" }).click();
  await panel.locator("#prometheus-status").getByText("Receiving alerts", { exact: true }).waitFor();
  await page.goto(`${server.base}/incidents`);
  await page.getByRole("link", { name: "web-9 is down" }).waitFor();
});

test("search \"pager\", copy PagerDuty's enqueue URL and routing key; its guide has both", async () => {
  const page = await newPage();
  await signIn(page, server.base);
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  await page.goto(`${server.base}/services/${svc}`);
  await page.getByLabel("Search alert sources").fill("pager");
  await page.getByRole("button", { name: "PagerDuty Events API v2" }).click();
  const panel = page.locator('[data-source-panel="pagerduty"]');
  const url = await panel.getByLabel("Webhook URL", { exact: true }).inputValue();
  assert.equal(url, `${server.base}/v2/enqueue`);
  const key = await panel.getByLabel("Routing key", { exact: true }).inputValue();
  assert.match(key, /^[A-Za-z0-9_-]{22,}$/);
  await panel.getByRole("button", { name: "Copy", exact: true }).nth(1).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  const conf = await panel.locator("#pagerduty-guide-conf").textContent();
  assert.ok(conf.includes(`url = "${url}"`) && conf.includes(`routing-key = "${key}"`), conf);
  await shot(page, "service-alert-sources-pagerduty");

  // What the guide says works: an event to the copied URL with the copied key opens an incident.
  const sent = await fetch(url, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ routing_key: key, event_action: "trigger", dedup_key: "browser:pd",
      payload: { summary: "from the guide", source: "walk", severity: "warning" } }) });
  assert.equal(sent.status, 202);
  assert.deepEqual(await sent.json(), { status: "success", message: "Event processed", dedup_key: "browser:pd" });
});
