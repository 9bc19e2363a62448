// The dashboard (/ui) on the Worker in workerd with a real Postgres: who may see it (master-key session, admin
// Access service tokens; everyone else the unknown-path 404), the session cookie's properties, the CSP, that its
// figures are /spend/report's and /spend/logs' figures, and that its actions are the admin API's. The browser-level
// checks (charts render, sorting, dialogs) are in test/e2e/dashboard-browser.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { writeSpend, type SpendRow } from "../../worker/db/queries.ts";
import { adminAudit, videoJobs } from "../../worker/db/schema.ts";
import { SESSION_SECONDS } from "../../worker/ui/session.ts";
import { startAccessIssuer, type AccessIssuer } from "../support/access-issuer.ts";
import { startStack, type Stack } from "../support/stack.ts";

const MASTER = "sk-master-dashboard-0123456789abcdefghijklmnop";
const ADMIN_CLIENT = "client-admin.access";
const USER_CLIENT = "client-users.access";

let stack: Stack;
let url: string;

beforeAll(async () => {
  stack = await startStack({ env: { MASTER_KEY: MASTER, ABUSE_KEY_FAILURES: "1000" } });
  url = stack.gateway.url;
});
afterAll(async () => {
  await stack?.stop();
});

type Json = Record<string, any>;

/** A report amount to the cent, rounding half up on its decimal digits (as a person reading the JSON would). */
function cents(n: number): string {
  const [whole, frac = ""] = n.toFixed(10).split(".");
  const c = Number(whole) * 100 + Number(frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1 : 0);
  return (c / 100).toFixed(2);
}

/** What the browser would send with a form post from the dashboard itself. */
const sameOrigin = () => ({ origin: url, "sec-fetch-site": "same-origin" });

async function login(key = MASTER): Promise<Response> {
  return fetch(`${url}/ui/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...sameOrigin() },
    body: new URLSearchParams({ master_key: key }).toString(),
  });
}

async function sessionCookie(): Promise<string> {
  const res = await login();
  expect(res.status).toBe(303);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

function adminGet(path: string): Promise<Response> {
  return fetch(`${url}${path}`, { headers: { authorization: `Bearer ${MASTER}` } });
}

/** The 404 any unknown path gets, minus the request id that differs per request. */
async function unknownPath404(res: Response): Promise<void> {
  expect(res.status).toBe(404);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(res.headers.get("content-security-policy")).toBeNull();
  const body = (await res.json()) as Json;
  const reference = (await (await fetch(`${url}/no-such-path`)).json()) as Json;
  expect({ ...body, request_id: "" }).toEqual({ ...reference, request_id: "" });
}

describe("who may see /ui", () => {
  it("answers every dashboard path without a session exactly as an unknown path", async () => {
    for (const path of ["/ui", "/ui/keys", "/ui/requests", "/ui/origin", "/ui/assets/app.js"]) await unknownPath404(await fetch(`${url}${path}`));
    for (const action of ["key/block", "origin/start", "origin/stop"]) {
      await unknownPath404(await fetch(`${url}/ui/api/${action}`, { method: "POST", headers: { "content-type": "application/json", ...sameOrigin() }, body: "{}" }));
    }
    // The master key as a bearer token is the admin API's credential, not the dashboard's: pages need the session.
    await unknownPath404(await fetch(`${url}/ui`, { headers: { authorization: `Bearer ${MASTER}` } }));
  });

  it("shows the login form, and refuses a wrong master key without setting a cookie", async () => {
    const form = await fetch(`${url}/ui/login`);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('name="master_key"');
    const wrong = await login("sk-master-wrong-0123456789abcdefghijklmnop");
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toContain("That is not the master key.");
  });

  it("refuses a login posted from another site", async () => {
    const res = await fetch(`${url}/ui/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ master_key: MASTER }).toString(),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("sets a short-lived, signed, HttpOnly, Secure, SameSite=Strict __Host- cookie that does not hold the key", async () => {
    const res = await login();
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/ui");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^__Host-bw_ui=/);
    for (const attr of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", `Max-Age=${SESSION_SECONDS}`]) expect(cookie).toContain(attr);
    expect(cookie).not.toContain("Domain=");
    expect(decodeURIComponent(cookie)).not.toContain(MASTER);
    expect(SESSION_SECONDS).toBeLessThanOrEqual(3600);
  });

  it("admits the session, refuses a tampered one, and logs out", async () => {
    const cookie = await sessionCookie();
    const page = await fetch(`${url}/ui`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);

    const [name, value] = cookie.split("=") as [string, string];
    const [payload, signature] = decodeURIComponent(value).split(/\.(?=[^.]+$)/) as [string, string];
    const stretched = `${name}=${encodeURIComponent(`${Number(payload.split(".")[0]) + 86_400}.${payload.split(".").slice(1).join(".")}.${signature}`)}`;
    await unknownPath404(await fetch(`${url}/ui`, { headers: { cookie: stretched } }));

    const out = await fetch(`${url}/ui/logout`, { method: "POST", redirect: "manual", headers: { cookie, ...sameOrigin() } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^__Host-bw_ui=; Max-Age=0/);
  });

  it("serves pages with a strict Content-Security-Policy and no inline script", async () => {
    const cookie = await sessionCookie();
    for (const path of ["/ui", "/ui/keys", "/ui/requests", "/ui/origin", "/ui/login"]) {
      const res = await fetch(`${url}${path}`, { headers: { cookie }, redirect: "manual" });
      if (path === "/ui/login") {
        expect(res.status).toBe(303);
        continue;
      }
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      const text = await res.text();
      // Every script is an external one from this origin; no inline handlers or styles.
      expect(text.match(/<script[^>]*>/g) ?? []).toEqual(['<script src="/ui/assets/app.js" defer>']);
      expect(text).not.toMatch(/\son[a-z]+="|\sstyle="/);
    }
  });
});

describe("what /ui shows", () => {
  const ALIAS_A = "dash-alice";
  const ALIAS_B = "dash-bob";
  const ids: Record<string, string> = {};
  const daysAgo = (n: number, hour = 12) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10) + `T${String(hour).padStart(2, "0")}:00:00Z`;
  function row(requestId: string, alias: string, model: string, at: string, cost: number, status = 200): SpendRow {
    return {
      requestId, keyId: ids[alias] ?? null, keyAlias: alias, model, bedrockModel: null, inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 7,
      cacheCreationInputTokens: 3, cost, latencyMs: 120, status, stream: true, target: "use1", startTime: new Date(at), endTime: null,
    };
  }

  beforeAll(async () => {
    for (const alias of [ALIAS_A, ALIAS_B]) {
      const res = await fetch(`${url}/key/generate`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        body: JSON.stringify({ key_alias: alias, max_budget: 10, models: ["claude-sonnet-4-6"] }),
      });
      ids[alias] = ((await res.json()) as Json).token_id;
    }
    // Costs chosen so that float sums would drift without the report's rounding; spread over 3 days (one outside 7).
    await writeSpend(stack.database.db, [
      row("dash-1", ALIAS_A, "claude-sonnet-4-6", daysAgo(0, 0), 0.1234567891),
      row("dash-2", ALIAS_A, "claude-haiku-4-5", daysAgo(1), 0.3333333333),
      row("dash-3", ALIAS_B, "claude-sonnet-4-6", daysAgo(1), 1.005),
      row("dash-4", ALIAS_B, "claude-opus-4-7", daysAgo(2), 2.675, 429),
      row("dash-5", ALIAS_A, "claude-sonnet-4-6", daysAgo(20), 5.5),
    ]);
  });

  async function html(path: string): Promise<string> {
    const res = await fetch(`${url}${path}`, { headers: { cookie: await sessionCookie() } });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return text;
  }

  it("spend totals equal /spend/report's for the same days, to the cent", async () => {
    for (const days of [7, 30]) {
      const text = await html(`/ui?days=${days}&by=key`);
      const end = new Date().toISOString().slice(0, 10);
      const start = new Date(Date.parse(end) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const report = (await (await adminGet(`/spend/report?start_date=${start}&end_date=${end}&group_by=day`)).json()) as Json;
      const shown = /id="total-spend" data-value="([^"]+)">\$([\d.]+)</.exec(text)!;
      expect(Number(shown[1])).toBe(report.total.spend);
      expect(shown[2]).toBe(cents(report.total.spend));
      expect(text).toContain(`id="total-requests">${report.total.requests}<`);
      for (const d of report.data as Json[]) expect(text).toContain(`data-day="${d.date}">$${cents(d.spend)}<`);
    }
    // The 20-days-old request is outside the 7-day view and inside the 30-day one.
    expect(await html("/ui?days=7")).not.toContain("$5.5");
  });

  it("draws a stacked bar per day, one colour per key or model, with a legend", async () => {
    const byKey = await html("/ui?days=7&by=key");
    expect(byKey).toMatch(/<svg class="chart"[^>]*role="img"/);
    expect(byKey.match(/<rect x=/g)!.length).toBeGreaterThanOrEqual(4);
    expect(byKey).toContain(`${ALIAS_A} <span class="num">`);
    const byModel = await html("/ui?days=7&by=model");
    expect(byModel).toContain("claude-opus-4-7 <span");
  });

  it("refuses a bad period with a page that says why", async () => {
    const res = await fetch(`${url}/ui?days=8`, { headers: { cookie: await sessionCookie() } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("days: must be one of 7, 30, 90");
  });

  it("lists the requests /spend/logs lists, with the same filters", async () => {
    const query = `key=${ids[ALIAS_B]}&limit=50`;
    const logs = (await (await adminGet(`/spend/logs?${query}`)).json()) as Json[];
    const text = await html(`/ui/requests?${query}`);
    const shownIds = [...text.matchAll(/data-request-id="([^"]+)"/g)].map((m) => m[1]);
    expect(shownIds).toEqual(logs.map((l) => l.request_id));
    expect(shownIds).toEqual(["dash-3", "dash-4"]);
    for (const l of logs) expect(text).toContain(`data-value="${l.spend}">$${l.spend.toFixed(6)}<`);
    expect(text).toContain('<span class="badge bad">429</span>');
    const bad = await fetch(`${url}/ui/requests?start_date=yesterday`, { headers: { cookie: await sessionCookie() } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("start_date: must be a date");
  });

  it("shows keys with budget used, and blocks through the admin API (audited as the dashboard)", async () => {
    const text = await html("/ui/keys");
    expect(text).toContain(ALIAS_A);
    expect(text).toMatch(/<meter [^>]*max="10"/);
    const block = (headers: Record<string, string>) =>
      fetch(`${url}/ui/api/key/block`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ key: ids[ALIAS_B] }) });
    const cookie = await sessionCookie();
    // A cross-site request carrying the cookie (were SameSite ever bypassed) is refused.
    expect((await block({ cookie, "sec-fetch-site": "cross-site", origin: "https://evil.example" })).status).toBe(403);
    const res = await block({ cookie, ...sameOrigin() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).blocked).toBe(true);
    const info = (await (await adminGet(`/key/info?key=${ids[ALIAS_B]}`)).json()) as Json;
    expect(info.info.blocked).toBe(true);
    expect(await html("/ui/keys")).toContain('data-action="unblock"');
    const audit = await stack.database.db.select().from(adminAudit).where(and(eq(adminAudit.keyId, ids[ALIAS_B]!), eq(adminAudit.action, "key.block")));
    expect(audit.map((a) => a.actor)).toEqual(["dashboard"]);
  });

  it("shows the origin panel from /origin/status, and the video jobs from /video/jobs", async () => {
    const empty = await html("/ui/origin");
    expect(empty).not.toContain("The origin: not configured.");
    expect(empty).not.toContain("Video jobs: not configured.");
    await stack.database.db.insert(videoJobs).values({
      keyAlias: ALIAS_A, model: "luma-ray2", bedrockModel: "luma.ray-v2:0", region: "us-west-2", mode: "single_shot", prompt: "fireworks <b>over</b> a bay",
      durationSeconds: 9, cost: "13.5", status: "completed", s3Uri: "s3://bucket/jobs/x/", requestId: "dash-video-1", completedAt: new Date(),
    });
    const api = (await (await adminGet(`/video/jobs?key=${ALIAS_A}`)).json()) as Json;
    expect(api.total).toBe(1);
    expect(api.data[0]).toMatchObject({ key_alias: ALIAS_A, model: "luma-ray2", status: "completed", duration: 9, cost: 13.5 });
    expect((await adminGet("/video/jobs?status=done")).status).toBe(400);
    const text = await html("/ui/origin");
    expect(text).not.toContain("The origin: not configured.");
    // This gateway has no origin instance to manage: no start/stop buttons, and the actions say why in JSON.
    expect(text).not.toContain('data-endpoint="/ui/api/origin/start"');
    const cookie = await sessionCookie();
    const start = (headers: Record<string, string>) => fetch(`${url}/ui/api/origin/start`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}" });
    expect((await start({ cookie, "sec-fetch-site": "cross-site", origin: "https://evil.example" })).status).toBe(403);
    const refused = await start({ cookie, ...sameOrigin() });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Json).error.message).toContain("No origin is configured");
    expect(text).toContain('id="video-table"');
    expect(text).toContain("luma-ray2");
  });
});

describe("/ui behind Cloudflare Access", () => {
  let issuer: AccessIssuer;
  let gated: Stack;

  beforeAll(async () => {
    issuer = await startAccessIssuer();
    gated = await startStack({ env: { BREAKWATER_DEV: "", MASTER_KEY: MASTER, ...issuer.env({ clientIds: [USER_CLIENT], adminClientIds: [ADMIN_CLIENT] }) } });
  });
  afterAll(async () => {
    await gated?.stop();
    await issuer?.close();
  });

  it("admits an admin service token without a login, shows a gateway client only the login form, and no one else", async () => {
    const get = async (path: string, token?: string) => fetch(`${gated.gateway.url}${path}`, { headers: token ? issuer.headers(token) : {}, redirect: "manual" });
    const admin = await issuer.mint({ commonName: ADMIN_CLIENT });
    const user = await issuer.mint({ commonName: USER_CLIENT });
    const stranger = await issuer.mint({ commonName: "client-stranger.access" });

    const asAdmin = await get("/ui/keys", admin);
    expect(asAdmin.status).toBe(200);
    expect(await asAdmin.text()).not.toContain("Log out");
    expect((await get("/ui/login", admin)).status).toBe(303);

    expect((await get("/ui/login", user)).status).toBe(200);
    for (const token of [user, stranger, undefined]) {
      const res = await get("/ui", token);
      expect(res.status).toBe(404);
      expect(((await res.json()) as Json).error.type).toBe("not_found_error");
    }
    expect((await get("/ui/login", stranger)).status).toBe(404);
    expect((await get("/ui/login")).status).toBe(404);
  });
});

describe("/ui without a master key", () => {
  it("does not exist, like the admin API", async () => {
    const plain = await startStack();
    try {
      for (const path of ["/ui", "/ui/login", "/ui/assets/app.css"]) expect((await fetch(`${plain.gateway.url}${path}`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
