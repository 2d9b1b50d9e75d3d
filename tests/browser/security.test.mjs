// Issue 20's browser-side fixes, shown in real headless Chromium: the redirect after sign-in
// stays on Tocsin, another site cannot sign the browser in (login CSRF), sign-out works even
// with a stale CSRF token, and the Content-Security-Policy blocks nothing the pages need.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startServer, launch, signIn, shot, ADMIN_PASSWORD } from "./support.mjs";

let server;
let browser;
let attacker;
const MALLORY_PASSWORD = "mallory-password-1=";

before(async () => {
  server = await startServer();
  browser = await launch();
  const made = await server.api("POST", "/api/v1/users",
    { username: "mallory", email: "mallory@example.com", password: MALLORY_PASSWORD });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  // Another site (localhost is another site than 127.0.0.1) whose page posts a sign-in form
  // to Tocsin the way only a form can: text/plain, no custom header. The body it makes is
  // `{"username":"mallory","password":"mallory-password-1="}`: a field named with the JSON
  // up to the password's end, whose value `"}` closes it after the `=` the encoding adds.
  const form = `<!doctype html><title>Win a prize</title>
<form method="post" enctype="text/plain" action="${server.base}/api/v1/session">
<input type="hidden" name='{"username":"mallory","password":"${MALLORY_PASSWORD.slice(0, -1)}' value='"}'>
</form><script>document.forms[0].submit()</script>`;
  attacker = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(form);
  });
  await new Promise((ok) => attacker.listen(0, "127.0.0.1", ok));
});

after(async () => {
  await browser?.close();
  server?.stop();
  attacker?.close();
});

/** A page in a fresh context that records Content-Security-Policy violations. */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Whoever follows an open redirect lands here, visibly, instead of on a DNS error.
  await context.route((url) => url.hostname.endsWith("evil.example"), (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<h1>evil</h1>" }));
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.cspViolations = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) page.cspViolations.push(m.text());
  });
  return page;
}

/** The user named in the page header, or null on the login page. */
async function signedInAs(page) {
  await page.goto(server.base + "/");
  if (new URL(page.url()).pathname.startsWith("/login")) return null;
  // A user's name links to their account page; a team token's name is plain text.
  const who = page.locator("header.top > a.account-link, header.top > span:not(.spacer)");
  return (await who.first().textContent()).trim();
}

test("signing in from /login?next=/%09/evil.example lands on Tocsin's overview", async () => {
  const page = await newPage();
  await page.goto(server.base + "/login?next=/%09/evil.example");
  await signIn(page, server.base);
  await page.waitForLoadState("load");
  const at = new URL(page.url());
  assert.equal(at.origin, server.base, `after sign-in the browser is at ${page.url()}`);
  assert.equal(at.pathname, "/");
  // Signed in already: the server's redirect goes to the overview too.
  for (const next of ["/%09/evil.example", "/%0a/evil.example", "/%5C/evil.example", "//evil.example"]) {
    const res = await page.goto(server.base + "/login?next=" + next);
    assert.equal(res.status(), 200, next);
    assert.equal(page.url(), server.base + "/", next);
  }
  assert.deepEqual(page.cspViolations, []);
});

test("another site's text/plain form does not sign the browser in; sign-out still works", async () => {
  const page = await newPage();
  await signIn(page, server.base);
  assert.equal(await signedInAs(page), "admin");

  // The victim visits the attacker's page; its form posts cross-site to Tocsin.
  const refused = page.waitForResponse((r) => r.url() === server.base + "/api/v1/session");
  await page.goto(`http://localhost:${attacker.address().port}/`);
  const res = await refused;
  assert.equal(res.status(), 403);
  assert.equal((await res.json()).code, "cross_site_request");
  assert.equal(res.headers()["set-cookie"], undefined);
  await shot(page, "login-csrf-refused");
  assert.equal(await signedInAs(page), "admin", "still the victim's own session, not mallory's");

  // The CSRF token the page keeps is another session's (as after a sign-in elsewhere):
  // signing out still ends the cookie's session.
  await page.evaluate(() => localStorage.setItem("tocsin_csrf", "tocsin_stale_token_of_another_session"));
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((u) => u.pathname === "/login");
  assert.equal(await signedInAs(page), null, "signed out");
  assert.deepEqual(page.cspViolations, []);
});

test("the pages run under the Content-Security-Policy: picker, search, copy", async () => {
  const page = await newPage();
  await signIn(page, server.base, "admin", ADMIN_PASSWORD);
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  await page.goto(`${server.base}/services/${svc}`);
  assert.match((await page.goto(`${server.base}/services/${svc}`)).headers()["content-security-policy"], /frame-ancestors 'none'/);
  await page.getByLabel("Search alert sources").fill("kap");
  await page.getByRole("button", { name: "Kapacitor" }).click();
  // Each source has its own panel (only the picked one shown): look in Kapacitor's.
  await page.locator('[data-source-panel="kapacitor"]').getByLabel("Webhook URL", { exact: true }).waitFor();
  // The team picker switches team by script, without an inline handler.
  const team = await page.evaluate(() => document.querySelector("#team-picker option").value);
  await Promise.all([page.waitForURL((u) => u.searchParams.get("team") === team), page.getByLabel("Team").selectOption(team)]);
  // The schedule pages draw their timeline by script (custom properties, no inline style).
  const admin = (await server.api("GET", "/api/v1/users")).body.find((u) => u.username === "admin").id;
  const sch = await server.api("POST", "/api/v1/schedules", { team_id: team, name: "Walk", time_zone: "Europe/Berlin",
    layers: [{ name: "l", participants: [admin], rotation: { unit: "day", length: 1 }, start: "2026-01-05T09:00:00" }] });
  assert.equal(sch.status, 201, JSON.stringify(sch.body));
  for (const path of ["/", "/services", "/incidents", "/account", "/paging", "/paging/policies/new", "/schedules",
    "/schedules/new", `/schedules/${sch.body.id}`, `/schedules/${sch.body.id}/edit`, "/login"]) {
    await page.goto(server.base + path);
    await page.waitForLoadState("networkidle");
  }
  assert.deepEqual(page.cspViolations, []);
});

test("an observer is told who can see the webhook URL instead of seeing it", async () => {
  const teams = (await server.api("GET", "/api/v1/teams")).body;
  const svc = (await server.api("GET", "/api/v1/services")).body[0].id;
  const olga = await server.api("POST", "/api/v1/users", { username: "olga", email: "olga@example.com", password: "olga-password-1" });
  assert.equal(olga.status, 201, JSON.stringify(olga.body));
  const m = await server.api("POST", `/api/v1/teams/${teams[0].id}/members`, { user_id: olga.body.id, role: "observer" });
  assert.ok([200, 201].includes(m.status), JSON.stringify(m.body));
  const page = await newPage();
  await signIn(page, server.base, "olga", "olga-password-1");
  await page.goto(`${server.base}/services/${svc}`);
  await page.getByRole("button", { name: "Kapacitor" }).click();
  await page.locator('[data-source-panel="kapacitor"]').getByText("Only team owners and admins can see the webhook URL").waitFor();
  assert.equal(await page.getByLabel("Webhook URL", { exact: true }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Send test alert" }).count(), 0);
  const content = await page.content();
  assert.ok(!content.includes("/v1/incidents/"), "no source's URL in the page");
  assert.ok(!content.includes("/v2/incidents/"), "no Incident Webhook URL in the page");
  assert.equal(await page.getByLabel("Routing key", { exact: true }).count(), 0);
  await shot(page, "service-alert-sources-observer");
});
