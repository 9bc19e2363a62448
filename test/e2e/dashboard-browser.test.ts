// The dashboard in a real browser (Chromium from the distribution, driven by playwright-core) against `npm run dev`,
// with keys made through the admin API and spend made by real requests through the gateway: log in, see the charts,
// sort and filter, block a key and see its next request refused, log out; a non-admin and a wrong master key are
// refused; the CSP header is present and the page requests nothing off its own origin. Screenshots of every view go
// to test-output/screenshots/ (git-ignored) for a person to look at.
import Anthropic from "@anthropic-ai/sdk";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestCost, usd } from "../../worker/ui/format.ts";
import { launchBrowser, type Browser } from "../support/browser.ts";
import { startDevServer, type DevServer } from "../support/dev-server.ts";
import { REPO_ROOT } from "../support/worker-harness.ts";

const MASTER = "sk-bw-master-e2e-dashboard-0123456789abcdefghij";
const SHOTS = join(REPO_ROOT, "test-output", "screenshots");

type Json = Record<string, any>;

let dev: DevServer;
let browser: Browser;
let page: Page;
const keys: Record<string, string> = {};
const ids: Record<string, string> = {};
/** Every URL the browser asked for, and anything the console said about the CSP. */
const requested: string[] = [];
const cspViolations: string[] = [];

function admin(method: "GET" | "POST", path: string, body?: unknown): Promise<Response> {
  return fetch(`${dev.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}

function ask(alias: string, model: string, text: string) {
  const client = new Anthropic({ apiKey: keys[alias]!, baseURL: dev.url, maxRetries: 0 });
  return client.messages.create({ model, max_tokens: 64, messages: [{ role: "user", content: `[[emu:text ${text}]]` }] });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dev = await startDevServer({ MASTER_KEY: MASTER });
  for (const [alias, budget] of [["alice", 5], ["bob", 2]] as const) {
    const res = await admin("POST", "/key/generate", { key_alias: alias, max_budget: budget, models: ["claude-sonnet-4-6", "claude-haiku-4-5"], rpm_limit: 60 });
    const body = (await res.json()) as Json;
    keys[alias] = body.key;
    ids[alias] = body.token_id;
  }
  await ask("alice", "claude-sonnet-4-6", "alice one");
  await ask("alice", "claude-haiku-4-5", "alice two");
  await ask("bob", "claude-sonnet-4-6", "bob one");
  // Spend rows are written after the responses: wait until /spend/logs has all three.
  for (let i = 0; ; i++) {
    if (((await (await admin("GET", "/spend/logs")).json()) as Json[]).length >= 3) break;
    if (i > 300) throw new Error("spend rows did not arrive");
    await new Promise((r) => setTimeout(r, 100));
  }

  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on("request", (r) => requested.push(r.url()));
  page.on("console", (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await dev?.stop();
});

describe("the dashboard in Chromium", () => {
  it("is a 404 to a browser that has not logged in, as any unknown path is", async () => {
    const res = await page.goto(`${dev.url}/ui`);
    expect(res!.status()).toBe(404);
    expect(JSON.parse(await page.locator("body").innerText())).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });

  it("refuses a wrong master key", async () => {
    await page.goto(`${dev.url}/ui/login`);
    await page.getByLabel("Master key").fill("sk-bw-master-not-the-right-one-0123456789abcd");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("That is not the master key.");
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    expect((await browser.context.cookies()).length).toBe(0);
    await shot("login-refused");
  });

  it("logs in with the master key and draws the spend chart, totals as /spend/report has them", async () => {
    await page.getByLabel("Master key").fill(MASTER);
    const [nav] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Log in" }).click()]);
    expect(new URL(page.url()).pathname).toBe("/ui");
    const res = await page.goto(`${dev.url}/ui?days=7&by=key`);
    void nav;
    const csp = res!.headers()["content-security-policy"]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");

    const chart = page.locator("svg.chart");
    await expect.poll(() => chart.count()).toBe(1);
    expect(await chart.locator("rect").count()).toBeGreaterThanOrEqual(2);
    const box = (await chart.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.height).toBeGreaterThan(100);
    const legend = await page.locator(".legend").innerText();
    expect(legend).toContain("alice");
    expect(legend).toContain("bob");

    const today = new Date().toISOString().slice(0, 10);
    const start = new Date(Date.parse(today) - 6 * 86_400_000).toISOString().slice(0, 10);
    const report = (await (await admin("GET", `/spend/report?start_date=${start}&end_date=${today}&group_by=day`)).json()) as Json;
    expect(report.total.spend).toBeGreaterThan(0);
    // Exactly the report's figure, shown to the cent (or to two significant digits while it is under a cent).
    expect(Number(await page.locator("#total-spend").getAttribute("data-value"))).toBe(report.total.spend);
    expect(await page.locator("#total-spend").innerText()).toBe(usd(report.total.spend));
    expect(await page.locator("#total-requests").innerText()).toBe(String(report.total.requests));
    await shot("spend-by-key-7d");

    await page.getByRole("link", { name: "By model" }).click();
    await expect.poll(() => page.locator(".legend").innerText()).toContain("claude-haiku-4-5");
    await page.getByRole("link", { name: "90 days" }).click();
    await expect.poll(() => page.url()).toContain("days=90");
    expect(await page.locator("svg.chart rect").count()).toBeGreaterThanOrEqual(2);
    await shot("spend-by-model-90d");
  });

  it("is keyboard-navigable: the first Tab reaches the skip link, and nav links are focusable", async () => {
    await page.goto(`${dev.url}/ui`);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    await page.keyboard.press("Tab");
    expect(await page.evaluate('document.activeElement?.getAttribute("href")')).toBe("/ui");
    await page.keyboard.press("Tab");
    expect(await page.evaluate('document.activeElement?.getAttribute("href")')).toBe("/ui/keys");
  });

  it("lists keys with budget bars and sorts them by a column", async () => {
    await page.goto(`${dev.url}/ui/keys`);
    const aliases = () => page.locator("#keys-table tbody tr th").allInnerTexts();
    expect((await aliases()).length).toBeGreaterThanOrEqual(3); // alice, bob and the dev key
    expect(await page.locator("#keys-table meter").count()).toBeGreaterThanOrEqual(2);
    await page.getByRole("button", { name: "Alias" }).click();
    const asc = (await aliases()).map((a) => a.toLowerCase());
    expect(asc).toEqual([...asc].sort());
    expect(await page.locator("th", { has: page.getByRole("button", { name: "Alias" }) }).getAttribute("aria-sort")).toBe("ascending");
    await page.getByRole("button", { name: "Alias" }).click();
    const desc = (await aliases()).map((a) => a.toLowerCase());
    expect(desc).toEqual([...asc].reverse());
    await shot("keys");
  });

  it("filters requests by key and sorts them by cost", async () => {
    await page.goto(`${dev.url}/ui/requests`);
    expect(await page.locator("#requests-table tbody tr").count()).toBeGreaterThanOrEqual(3);
    await page.getByLabel("Key").selectOption({ label: "alice" });
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Apply" }).click()]);
    const keyCells = await page.locator("#requests-table tbody tr td:nth-child(4)").allInnerTexts();
    expect(keyCells).toEqual(["alice", "alice"]);
    // The same rows /spend/logs returns for the same filter, with the same costs.
    const logs = (await (await admin("GET", `/spend/logs?key=${ids.alice}`)).json()) as Json[];
    const costCells = page.locator("#requests-table tbody tr td:nth-child(9)");
    expect(await costCells.evaluateAll((tds) => tds.map((td) => Number(td.getAttribute("data-value"))))).toEqual(logs.map((l) => l.spend));
    expect(await costCells.allInnerTexts()).toEqual(logs.map((l) => requestCost(l.spend)));
    await page.getByRole("button", { name: "Cost" }).click();
    const sorted = (await page.locator("#requests-table tbody tr td:nth-child(9)").allInnerTexts()).map((t) => Number(t.slice(1)));
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    await shot("requests-filtered");
  });

  it("blocks a key after a confirmation, and the key's next request is refused", async () => {
    expect((await ask("bob", "claude-haiku-4-5", "still works")).content[0]).toMatchObject({ text: "still works" });
    await page.goto(`${dev.url}/ui/keys`);
    const bobRow = page.locator("#keys-table tbody tr", { has: page.locator("th", { hasText: "bob" }) });
    await bobRow.getByRole("button", { name: "Block" }).click();
    const dialog = page.getByRole("dialog");
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.innerText()).toContain("Block key “bob”?");
    await shot("keys-confirm-block");
    // Cancel changes nothing.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect((await admin("GET", `/key/info?key=${ids.bob}`).then((r) => r.json()) as Json).info.blocked).toBe(false);

    await bobRow.getByRole("button", { name: "Block" }).click();
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => page.locator("#confirm-result").innerText()).toBe("Blocked.");
    await Promise.all([page.waitForNavigation(), dialog.getByRole("button", { name: "Close" }).click()]);
    expect(await bobRow.locator(".badge").innerText()).toBe("Blocked");

    const refused = await ask("bob", "claude-haiku-4-5", "should not work").catch((e) => e);
    expect(refused).toBeInstanceOf(Anthropic.AuthenticationError);
    await shot("keys-after-block");
  });

  it("rotates a key and shows the new key once; the old key stops working", async () => {
    await page.goto(`${dev.url}/ui/keys`);
    const aliceRow = page.locator("#keys-table tbody tr", { has: page.locator("th", { hasText: "alice" }) });
    await aliceRow.getByRole("button", { name: "Rotate" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
    const newKey = await page.locator("#new-key").innerText();
    expect(newKey).toMatch(/^sk-bw-[0-9A-Za-z]{40}$/);
    await shot("keys-rotated");
    const old = keys.alice!;
    keys.alice = newKey;
    expect((await ask("alice", "claude-haiku-4-5", "rotated")).content[0]).toMatchObject({ text: "rotated" });
    keys.alice = old;
    expect(await ask("alice", "claude-haiku-4-5", "old").catch((e) => e)).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("shows the origin's state from /origin/status (npm run dev starts a stand-in origin)", async () => {
    await page.goto(`${dev.url}/ui/origin`);
    const text = await page.locator("main").innerText();
    expect(text).not.toContain("The origin: not configured.");
    expect(text).not.toContain("Video jobs: not configured.");
    expect(text).toMatch(/idleMinutes\s+\d+/);
    // Start and stop go through the confirmation dialog to the admin API, and say what the origin is doing.
    for (const action of ["Start", "Stop"]) {
      await page.getByRole("button", { name: action, exact: true }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Confirm" }).click();
      await expect.poll(() => page.locator("#confirm-result").innerText()).toMatch(/^(Start issued|Stop issued|Nothing to do); the origin is [a-z-]+\.$/);
      // Closing the dialog after a change reloads the page with the new state.
      await Promise.all([page.waitForEvent("load"), page.getByRole("dialog").getByRole("button", { name: "Close" }).click()]);
    }
    await shot("origin");
  });

  it("fits a phone screen: no sideways scrolling of the page", async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const path of ["/ui", "/ui/keys", "/ui/requests"]) {
      await phone.goto(`${dev.url}${path}`);
      expect(await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path).toBe(true);
      await phone.screenshot({ path: join(SHOTS, `phone${path.replaceAll("/", "-")}.png`), fullPage: true });
    }
    await phone.close();
  });

  it("requested nothing off its own origin, and broke no CSP rule", () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((u) => new URL(u).origin !== dev.url)).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it("logs out: the session is gone and /ui is a 404 again", async () => {
    await page.goto(`${dev.url}/ui`);
    await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Log out" }).click()]);
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    expect((await browser.context.cookies()).length).toBe(0);
    expect((await page.goto(`${dev.url}/ui`))!.status()).toBe(404);
  });

  it("is a 404 to a gateway key holder, whatever credential they send", async () => {
    for (const headers of [{ "x-api-key": keys.alice! }, { authorization: `Bearer ${keys.alice}` }] as Record<string, string>[]) {
      const res = await fetch(`${dev.url}/ui`, { headers });
      expect(res.status).toBe(404);
    }
  });
});
