// "Your account" in a real browser: end another session, change the password.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, shot, signIn } from "./support.mjs";

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
  const r = await server.api("POST", "/api/v1/users", { username: "ann", email: "ann@example.com", password: "ann's password" });
  assert.equal(r.status, 201);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("end another session, then change the password from the account page", async () => {
  const laptop = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();
  await signIn(laptop, server.base, "ann", "ann's password");
  await signIn(phone, server.base, "ann", "ann's password");

  await laptop.getByRole("link", { name: "ann" }).click();
  await laptop.waitForURL(server.base + "/account");
  await laptop.getByText("This session").waitFor();
  await shot(laptop, "account");
  await laptop.getByRole("button", { name: "End", exact: true }).click();
  await laptop.getByText("End all other sessions").waitFor({ state: "detached" });
  await phone.goto(server.base + "/incidents");
  assert.ok(phone.url().startsWith(server.base + "/login"), phone.url());

  await laptop.getByLabel("Current password").fill("not my password");
  await laptop.getByLabel("New password").fill("ann's new password");
  await laptop.getByRole("button", { name: "Change password" }).click();
  await laptop.getByText("that is not your current password").waitFor();
  await laptop.getByLabel("Current password").fill("ann's password");
  await laptop.getByRole("button", { name: "Change password" }).click();
  await laptop.getByText("Your password was changed").waitFor();

  await signIn(phone, server.base, "ann", "ann's new password");
  assert.ok(!phone.url().includes("/login"));
});
