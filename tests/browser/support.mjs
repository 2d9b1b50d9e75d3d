// Starting a real Tocsin and a real Chromium for the browser suite.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = process.env.TOCSIN_BIN || join(ROOT, "target/debug/tocsin");
export const ADMIN_TOKEN = "tocsin_browser_admin_token_0123456789";
export const ADMIN_PASSWORD = "browser-admin-password-1";
export const SHOTS = process.env.TOCSIN_SCREENSHOTS || join(ROOT, "artifacts/screenshots");

/** A fresh `tocsin serve` on a random loopback port with its own data directory. */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "tocsin-ui-"));
  const logPath = join(dir, "server.log");
  const log = createWriteStream(logPath);
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir], {
    env: { ...process.env, TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN, TOCSIN_ADMIN_PASSWORD: ADMIN_PASSWORD, TOCSIN_LOG: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr.pipe(log);
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("tocsin did not start in 30 s")), 30_000);
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d.toString();
      const m = buf.match(/Listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`tocsin exited with ${code}`)); });
  });
  const server = {
    base,
    child,
    log: () => readFileSync(logPath, "utf8"),
    async api(method, path, body) {
      const res = await fetch(base + path, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    stop() { child.kill("SIGKILL"); },
  };
  return server;
}

/** A Kapacitor alert body, as its default post handler encodes it. */
export function kapacitorAlert(id, level, message = `${id} is ${level}`) {
  return JSON.stringify({
    id, message, details: "", time: new Date().toISOString(), duration: 0, level,
    data: { series: [{ name: "cpu", tags: { host: "web-1" }, columns: ["time", "usage_idle"], values: [[new Date().toISOString(), 3.5]] }] },
    previousLevel: "OK", recoverable: true,
  }) + "\n";
}

export async function postAlert(url, body) {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return { status: res.status, body: await res.json() };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Sign in through the login page. */
export async function signIn(page, base, username = "admin", password = ADMIN_PASSWORD) {
  if (!page.url().startsWith(base + "/login")) await page.goto(base + "/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}
