// The admin API (LiteLLM-compatible key management and spend reporting) on the Worker in workerd, against the Bedrock
// emulator and a real Postgres: every endpoint's happy path and bad inputs, cache invalidation on a warm key, key
// rotation with a grace period, the audit trail, and that the API does not exist for anyone without the master key.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeSpend, type SpendRow } from "../../worker/db/queries.ts";
import { adminAudit, apiKeys } from "../../worker/db/schema.ts";
import { sha256Hex } from "../../worker/keys/hash.ts";
import { ADMIN_ROUTES } from "../../worker/routes/admin/index.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { startGateway } from "../support/worker-harness.ts";

const MASTER = "sk-master-0123456789abcdefghijklmnopqrstuvwxyz";
const KEY_DEFAULTS = { max_budget: 5, budget_duration: "1d", rpm_limit: 60 };
const KEY_LIMITS = { max_budget: 100, rpm_limit: 600, duration: "400d" };

let stack: Stack;
let url: string;

beforeAll(async () => {
  stack = await startStack({
    env: {
      MASTER_KEY: MASTER,
      KEY_DEFAULTS: JSON.stringify(KEY_DEFAULTS),
      KEY_LIMITS: JSON.stringify(KEY_LIMITS),
      // This file presents refused keys on purpose, many times, from one address.
      ABUSE_KEY_FAILURES: "1000",
    },
  });
  url = stack.gateway.url;
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.emulator.reset());

const HELLO = { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "Hello" }] };

type Json = Record<string, any>;

function admin(method: "GET" | "POST", path: string, body?: unknown, auth: Record<string, string> = { authorization: `Bearer ${MASTER}` }): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...auth },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function ok(res: Response): Promise<Json> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Json;
}

/** An OpenAI-dialect error naming the field at fault. */
async function expectFieldError(res: Response, status: number, param: string, message?: RegExp): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.param).toBe(param);
  expect(body.error.message.startsWith(`${param}: `), body.error.message).toBe(true);
  if (message) expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toMatch(/at \w+ \(|\.ts:\d+/);
}

const generate = async (fields: Json = {}) => ok(await admin("POST", "/key/generate", fields));

function callModel(key: string, body: unknown = HELLO): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
}

async function status(res: Promise<Response>): Promise<number> {
  const r = await res;
  await r.body?.cancel();
  return r.status;
}

let aliasCounter = 0;
const alias = (what: string) => `${what}-${Date.now().toString(36)}-${aliasCounter++}`;

/** Asserts that a response body carries neither the key nor its SHA-256 (nor any other 64-hex hash). */
async function expectNoSecrets(text: string, key?: string): Promise<void> {
  if (key) {
    expect(text).not.toContain(key);
    expect(text).not.toContain(await sha256Hex(key));
  }
  expect(text).not.toMatch(/sk-bw-[0-9A-Za-z]{40}/);
  expect(text).not.toMatch(/[0-9a-f]{64}/);
}

const auditRows = (keyId: string) => stack.database.db.select().from(adminAudit).where(eq(adminAudit.keyId, keyId)).orderBy(adminAudit.id);

describe("authentication", () => {
  const sample: Record<string, unknown> = { key: "x" };
  const call = (r: (typeof ADMIN_ROUTES)[number], auth: Record<string, string>) =>
    r.method === "GET" ? admin("GET", `${r.path}?key=x`, undefined, auth) : admin("POST", r.path, sample, auth);

  it("answers 404, exactly like an unknown path, to a missing, wrong or virtual key on every admin path", async () => {
    const unknown = (await (await fetch(`${url}/no/such/path`)).json()) as Json;
    delete unknown.request_id;
    const virtual = (await generate({ key_alias: alias("not-admin") })).key as string;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-master-key-0123456789abcdefghijklmnop" },
      { "x-api-key": `${MASTER}x` },
      { "x-api-key": MASTER.slice(0, -1) },
      { authorization: `Basic ${MASTER}` },
      { authorization: `Bearer ${virtual}` },
    ];
    for (const r of ADMIN_ROUTES) {
      for (const auth of attempts) {
        const res = await call(r, auth);
        expect(res.status, `${r.method} ${r.path} with ${JSON.stringify(Object.keys(auth))}`).toBe(404);
        const body = (await res.json()) as Json;
        delete body.request_id;
        expect(body).toEqual(unknown);
      }
    }
  });

  it("accepts the master key as Authorization: Bearer or x-api-key", async () => {
    await ok(await admin("GET", "/key/list", undefined, { authorization: `Bearer ${MASTER}` }));
    await ok(await admin("GET", "/key/list", undefined, { "x-api-key": MASTER }));
  });

  it("does not exist at all when MASTER_KEY is not configured", async () => {
    const env = { ...stack.gatewayEnv };
    delete env.MASTER_KEY;
    const gateway = await startGateway(env);
    try {
      for (const r of ADMIN_ROUTES) {
        const res = await fetch(`${gateway.url}${r.path}`, {
          method: r.method,
          headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
          body: r.method === "POST" ? JSON.stringify(sample) : undefined,
        });
        expect(res.status, `${r.method} ${r.path}`).toBe(404);
        expect(((await res.json()) as Json).error.type).toBe("not_found_error");
      }
    } finally {
      await gateway.stop();
    }
  });

  it("every admin route is on the firewall's allowlist with its method only", async () => {
    for (const r of ADMIN_ROUTES) {
      const other = r.method === "GET" ? "POST" : "GET";
      const res = await fetch(`${url}${r.path}`, { method: other, headers: { authorization: `Bearer ${MASTER}` } });
      expect(res.status, `${other} ${r.path}`).toBe(405);
      expect(res.headers.get("allow")).toBe(r.method);
    }
  });
});

describe("POST /key/generate", () => {
  it("makes a working key with the gateway's defaults, returns the key once, and audits without secrets", async () => {
    const name = alias("gen");
    const res = await admin("POST", "/key/generate", { key_alias: name, user_id: "u-gen", team_id: "t-gen", metadata: { owner: "ops" } });
    const requestId = res.headers.get("request-id");
    const body = await ok(res);
    expect(body.key).toMatch(/^sk-bw-[0-9A-Za-z]{40}$/);
    expect(body.key_name).toBe(body.key.slice(0, 10));
    expect(body.token_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toMatchObject({
      key_alias: name,
      user_id: "u-gen",
      team_id: "t-gen",
      models: [],
      max_budget: 5,
      budget_duration: "1d",
      rpm_limit: 60,
      tpm_limit: null,
      max_parallel_requests: null,
      metadata: { owner: "ops" },
      blocked: false,
      spend: 0,
    });
    // Day periods reset at the next midnight (UTC when no zone is given).
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    expect(body.budget_reset_at).toBe(midnight.toISOString());
    // KEY_LIMITS.duration: a key asking for no expiry gets the longest lifetime allowed.
    expect(Date.parse(body.expires) - Date.now()).toBeGreaterThan(399 * 86_400_000);
    expect(Date.parse(body.expires) - Date.now()).toBeLessThanOrEqual(400 * 86_400_000);

    expect(await status(callModel(body.key))).toBe(200);

    const [row] = await stack.database.db.select().from(apiKeys).where(eq(apiKeys.id, body.token_id));
    expect(row?.keyHash).toBe(await sha256Hex(body.key));
    expect(row?.keyPrefix).toBe(body.key_name);

    const audit = await auditRows(body.token_id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "key.generate", actor: "master", keyAlias: name, requestId });
    expect(audit[0]?.details).toMatchObject({ key_name: body.key_name });
    expect((audit[0]?.details as Json).fields).toEqual(expect.arrayContaining(["key_alias", "user_id", "team_id", "metadata"]));
    await expectNoSecrets(JSON.stringify(audit), body.key);
  });

  it("takes explicit values, models from the catalog, a time zone, and an expiry", async () => {
    const expires = new Date(Date.now() + 10 * 86_400_000).toISOString();
    const body = await generate({
      key_alias: alias("explicit"),
      models: ["claude-haiku-4-5", "claude-haiku-4-5"],
      max_budget: 12.5,
      budget_duration: "7d",
      budget_timezone: "America/New_York",
      rpm_limit: 600,
      tpm_limit: 100_000,
      max_parallel_requests: 3,
      expires,
    });
    expect(body).toMatchObject({
      models: ["claude-haiku-4-5"],
      max_budget: 12.5,
      budget_duration: "7d",
      budget_timezone: "America/New_York",
      rpm_limit: 600,
      tpm_limit: 100_000,
      max_parallel_requests: 3,
      expires,
    });
    // A 7-day period in New York ends at a New York midnight (04:00 or 05:00 UTC).
    expect(new Date(body.budget_reset_at).getUTCHours()).toBeGreaterThanOrEqual(4);
    expect(new Date(body.budget_reset_at).getUTCHours()).toBeLessThanOrEqual(5);
    expect(await status(callModel(body.key, { ...HELLO, model: "claude-haiku-4-5" }))).toBe(200);
    expect(await status(callModel(body.key))).toBe(403);
  });

  it("accepts model groups (all-claude) in the model list", async () => {
    const res = await admin("POST", "/key/generate", { key_alias: "group-key", models: ["all-claude"] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).models).toEqual(["all-claude"]);
    const bad = await admin("POST", "/key/generate", { key_alias: "bad-group", models: ["all-gpt"] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/groups: all-claude/);
  });

  it("an explicit null limit becomes the gateway's upper bound; duration sets the expiry", async () => {
    const body = await generate({ key_alias: alias("bounded"), max_budget: null, rpm_limit: null, duration: "2h" });
    expect(body.max_budget).toBe(100);
    expect(body.rpm_limit).toBe(600);
    expect(Math.abs(Date.parse(body.expires) - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);
  });

  it("refuses bad input with a 4xx naming the field, and creates nothing", async () => {
    const before = (await stack.database.db.select({ id: apiKeys.id }).from(apiKeys)).length;
    const taken = alias("taken");
    await generate({ key_alias: taken });
    const cases: [unknown, string, RegExp?][] = [
      [{ max_budget: -1 }, "max_budget", /negative/],
      [{ max_budget: "5" }, "max_budget"],
      [{ max_budget: 101 }, "max_budget", /limit of 100/],
      [{ rpm_limit: 0 }, "rpm_limit"],
      [{ rpm_limit: 1.5 }, "rpm_limit"],
      [{ rpm_limit: 601 }, "rpm_limit", /limit of 600/],
      [{ tpm_limit: -5 }, "tpm_limit"],
      [{ max_parallel_requests: "many" }, "max_parallel_requests"],
      [{ duration: "1x" }, "duration", /duration/],
      [{ duration: "500d" }, "duration", /at most 400d/],
      [{ budget_duration: "1x" }, "budget_duration"],
      [{ budget_duration: "1mo" }, "budget_duration"],
      [{ budget_timezone: "Mars/Olympus_Mons" }, "budget_timezone"],
      [{ expires: "2026-02-30" }, "expires"],
      [{ expires: "tomorrow" }, "expires"],
      [{ expires: "2001-01-01T00:00:00Z" }, "expires", /future/],
      [{ duration: "1d", expires: "2099-01-01" }, "duration", /not both/],
      [{ models: ["claude-sonnet-4-6", "no-such-model"] }, "models", /no-such-model.*Available models: .*claude-sonnet-4-6/],
      [{ models: "claude-sonnet-4-6" }, "models"],
      [{ metadata: [1, 2] }, "metadata"],
      [{ blocked: "yes" }, "blocked"],
      [{ key_alias: "" }, "key_alias"],
      [{ key_alias: taken }, "key_alias", /already/],
      [{ max_budgt: 5 }, "max_budgt", /not a supported field/],
      [{ key: "sk-bw-choose-my-own" }, "key", /not a supported field/],
    ];
    for (const [body, param, message] of cases) await expectFieldError(await admin("POST", "/key/generate", body), 400, param, message);

    const malformed = await admin("POST", "/key/generate", "{not json");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json).error.message).toMatch(/not valid JSON/);
    const array = await admin("POST", "/key/generate", "[]");
    expect(array.status).toBe(400);
    await array.body?.cancel();
    const notJson = await fetch(`${url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${MASTER}`, "content-type": "text/plain" }, body: "{}" });
    expect(notJson.status).toBe(415);
    expect(((await notJson.json()) as Json).error.type).toBe("invalid_request_error");

    expect((await stack.database.db.select({ id: apiKeys.id }).from(apiKeys)).length).toBe(before + 1);
  });
});

describe("GET /key/info and /key/list", () => {
  it("shows a key by token_id or by the key itself, never its secret or hash", async () => {
    const made = await generate({ key_alias: alias("info") });
    for (const ref of [made.token_id, made.key]) {
      const res = await admin("GET", `/key/info?key=${encodeURIComponent(ref)}`);
      const text = await res.text();
      expect(res.status).toBe(200);
      await expectNoSecrets(text, made.key);
      const body = JSON.parse(text) as Json;
      expect(body.key).toBe(made.token_id);
      const { key: _plaintext, ...view } = made;
      expect(body.info).toEqual(view);
    }
  });

  it("refuses a missing, unknown or malformed reference and unknown parameters", async () => {
    await expectFieldError(await admin("GET", "/key/info"), 400, "key", /required/);
    await expectFieldError(await admin("GET", "/key/info?key=sk-bw-nope"), 404, "key", /no such key/);
    await expectFieldError(await admin("GET", "/key/info?key=00000000-0000-0000-0000-000000000000"), 404, "key");
    await expectFieldError(await admin("GET", "/key/info?key=a&token=b"), 400, "token", /not a supported query parameter/);
    await expectFieldError(await admin("GET", "/key/info?key=a&key=b"), 400, "key", /more than once/);
  });

  it("pages and filters, newest first, with LiteLLM's counts", async () => {
    const user = alias("user");
    const made: Json[] = [];
    for (let i = 0; i < 3; i++) made.push(await generate({ key_alias: alias("list"), user_id: user, team_id: i === 0 ? "t-odd" : "t-even" }));
    const res = await admin("GET", `/key/list?user_id=${user}&size=2`);
    const text = await res.text();
    for (const m of made) await expectNoSecrets(text, m.key);
    const page1 = JSON.parse(text) as Json;
    expect(page1).toMatchObject({ total_count: 3, current_page: 1, total_pages: 2 });
    expect(page1.keys.map((k: Json) => k.token_id)).toEqual([made[2]!.token_id, made[1]!.token_id]);
    expect(Object.keys(page1.keys[0]).sort()).toEqual(Object.keys(made[0]!).filter((k) => k !== "key").sort());
    const page2 = await ok(await admin("GET", `/key/list?user_id=${user}&size=2&page=2`));
    expect(page2.keys.map((k: Json) => k.token_id)).toEqual([made[0]!.token_id]);
    const team = await ok(await admin("GET", `/key/list?user_id=${user}&team_id=t-even`));
    expect(team.total_count).toBe(2);
    const byAlias = await ok(await admin("GET", `/key/list?key_alias=${made[1]!.key_alias}`));
    expect(byAlias.keys.map((k: Json) => k.token_id)).toEqual([made[1]!.token_id]);
    const none = await ok(await admin("GET", "/key/list?user_id=nobody-at-all"));
    expect(none).toEqual({ keys: [], total_count: 0, current_page: 1, total_pages: 0 });

    await expectFieldError(await admin("GET", "/key/list?size=0"), 400, "size");
    await expectFieldError(await admin("GET", "/key/list?size=101"), 400, "size");
    await expectFieldError(await admin("GET", "/key/list?page=-1"), 400, "page");
    await expectFieldError(await admin("GET", "/key/list?page=abc"), 400, "page");
    await expectFieldError(await admin("GET", "/key/list?owner=x"), 400, "owner");
  });
});

describe("POST /key/update", () => {
  it("changes only the fields given, takes effect at once on a warm key, and audits which fields changed", async () => {
    const made = await generate({ key_alias: alias("upd"), metadata: { a: 1 } });
    expect(await status(callModel(made.key))).toBe(200); // now cached in the isolate
    const newAlias = alias("upd-renamed");
    const res = await admin("POST", "/key/update", { key: made.key, models: ["claude-haiku-4-5"], max_budget: 50, key_alias: newAlias, tpm_limit: 5000 });
    const body = await ok(res);
    expect(body).toMatchObject({ token_id: made.token_id, key_alias: newAlias, models: ["claude-haiku-4-5"], max_budget: 50, tpm_limit: 5000, rpm_limit: 60, metadata: { a: 1 } });
    expect(body.key).toBeUndefined();
    // The cached record was dropped: the new model list applies to the very next request.
    expect(await status(callModel(made.key))).toBe(403);
    expect(await status(callModel(made.key, { ...HELLO, model: "claude-haiku-4-5" }))).toBe(200);

    // By token_id; null clears; spend can be reset.
    const cleared = await ok(await admin("POST", "/key/update", { key: made.token_id, models: [], user_id: null, metadata: null, spend: 0, budget_duration: "12h" }));
    expect(cleared).toMatchObject({ models: [], user_id: null, metadata: {}, spend: 0, budget_duration: "12h" });
    expect(Math.abs(Date.parse(cleared.budget_reset_at) - (Date.now() + 12 * 3_600_000))).toBeLessThan(60_000);

    const audit = await auditRows(made.token_id);
    expect(audit.map((a) => a.action)).toEqual(["key.generate", "key.update", "key.update"]);
    expect((audit[1]?.details as Json).changed.sort()).toEqual(["key_alias", "max_budget", "models", "tpm_limit"]);
    expect(audit[1]?.keyAlias).toBe(newAlias);
    await expectNoSecrets(JSON.stringify(audit), made.key);
  });

  it("refuses bad updates, naming the field, and changes nothing", async () => {
    const made = await generate({ key_alias: alias("upd-bad") });
    const other = await generate({ key_alias: alias("upd-other") });
    const cases: [unknown, number, string, RegExp?][] = [
      [{ key: "sk-bw-unknown", max_budget: 1 }, 404, "key"],
      [{ max_budget: 1 }, 400, "key", /required/],
      [{ key: made.key }, 400, "key", /nothing to update/],
      [{ key: made.key, max_budget: -0.01 }, 400, "max_budget"],
      [{ key: made.key, max_budget: null }, 400, "max_budget", /unlimited/],
      [{ key: made.key, rpm_limit: 601 }, 400, "rpm_limit"],
      [{ key: made.key, duration: null }, 400, "duration", /unlimited/],
      [{ key: made.key, duration: "1x" }, 400, "duration"],
      [{ key: made.key, spend: -1 }, 400, "spend"],
      [{ key: made.key, models: ["gpt-17"] }, 400, "models", /gpt-17/],
      [{ key: made.key, key_alias: other.key_alias }, 400, "key_alias", /already/],
      [{ key: made.key, expires: "2026-13-01" }, 400, "expires"],
      [{ key: made.key, colour: "red" }, 400, "colour"],
    ];
    for (const [body, code, param, message] of cases) await expectFieldError(await admin("POST", "/key/update", body), code, param, message);
    const info = await ok(await admin("GET", `/key/info?key=${made.token_id}`));
    const { key: _plaintext, ...view } = made;
    expect(info.info).toEqual(view);
    expect(await auditRows(made.token_id)).toHaveLength(1);
  });
});

describe("POST /key/block and /key/unblock", () => {
  it("a warm key is refused the moment it is blocked, and works again when unblocked", async () => {
    const made = await generate({ key_alias: alias("block") });
    expect(await status(callModel(made.key))).toBe(200);
    expect(await status(callModel(made.key))).toBe(200); // served from the isolate cache

    const blocked = await ok(await admin("POST", "/key/block", { key: made.key }));
    expect(blocked).toMatchObject({ token_id: made.token_id, blocked: true });
    const refused = await callModel(made.key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as Json).error.message).toMatch(/blocked/);

    const unblocked = await ok(await admin("POST", "/key/unblock", { key: made.token_id }));
    expect(unblocked.blocked).toBe(false);
    expect(await status(callModel(made.key))).toBe(200);

    expect((await auditRows(made.token_id)).map((a) => a.action)).toEqual(["key.generate", "key.block", "key.unblock"]);
  });

  it("refuses unknown keys and bad bodies", async () => {
    await expectFieldError(await admin("POST", "/key/block", { key: "sk-bw-nobody" }), 404, "key");
    await expectFieldError(await admin("POST", "/key/unblock", { key: "" }), 400, "key");
    await expectFieldError(await admin("POST", "/key/block", {}), 400, "key");
    await expectFieldError(await admin("POST", "/key/block", { key: 42 }), 400, "key");
    await expectFieldError(await admin("POST", "/key/block", { key: "x", blocked: true }), 400, "blocked");
  });
});

describe("POST /key/regenerate", () => {
  it("with a grace period: old and new keys both work, then only the new one", async () => {
    const made = await generate({ key_alias: alias("rotate"), max_budget: 7 });
    expect(await status(callModel(made.key))).toBe(200); // the old key's record is now cached

    const res = await admin("POST", "/key/regenerate", { key: made.key, grace_period: "2s" });
    const rotated = await ok(res);
    expect(rotated.key).toMatch(/^sk-bw-[0-9A-Za-z]{40}$/);
    expect(rotated.key).not.toBe(made.key);
    expect(rotated).toMatchObject({ token_id: made.token_id, key_alias: made.key_alias, max_budget: 7, key_name: rotated.key.slice(0, 10) });
    expect(Date.parse(rotated.grace_expires) - Date.now()).toBeLessThanOrEqual(2000);

    expect(await status(callModel(made.key))).toBe(200);
    expect(await status(callModel(rotated.key))).toBe(200);
    // The old key names the same key while it is in grace.
    expect((await ok(await admin("GET", `/key/info?key=${encodeURIComponent(made.key)}`))).key).toBe(made.token_id);

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(rotated.grace_expires) - Date.now()) + 250));
    const late = await callModel(made.key);
    expect(late.status).toBe(401); // even though its record was cached during the grace period
    await late.body?.cancel();
    expect(await status(callModel(rotated.key))).toBe(200);
    expect((await ok(await admin("GET", `/key/info?key=${made.token_id}`))).info.grace_expires).toBeNull();

    const audit = await auditRows(made.token_id);
    expect(audit.map((a) => a.action)).toEqual(["key.generate", "key.regenerate"]);
    expect(audit[1]?.details).toMatchObject({ previous_key_name: made.key_name, key_name: rotated.key_name, grace_period_seconds: 2 });
    await expectNoSecrets(JSON.stringify(audit), made.key);
    await expectNoSecrets(JSON.stringify(audit), rotated.key);
  });

  it("without a grace period the old key stops at once, even from a warm cache", async () => {
    const made = await generate({ key_alias: alias("rotate-now") });
    expect(await status(callModel(made.key))).toBe(200);
    const rotated = await ok(await admin("POST", "/key/regenerate", { key: made.token_id }));
    expect(rotated.grace_expires).toBeNull();
    expect(await status(callModel(made.key))).toBe(401);
    expect(await status(callModel(rotated.key))).toBe(200);
    // A second rotation ends the first one's grace too.
    const withGrace = await ok(await admin("POST", "/key/regenerate", { key: rotated.key, grace_period: "1h" }));
    expect(await status(callModel(rotated.key))).toBe(200);
    const third = await ok(await admin("POST", "/key/regenerate", { key: withGrace.key, grace_period: "0" }));
    expect(await status(callModel(rotated.key))).toBe(401);
    expect(await status(callModel(withGrace.key))).toBe(401);
    expect(await status(callModel(third.key))).toBe(200);
  });

  it("refuses bad grace periods and unknown keys", async () => {
    const made = await generate({ key_alias: alias("rotate-bad") });
    await expectFieldError(await admin("POST", "/key/regenerate", { key: made.key, grace_period: "1x" }), 400, "grace_period");
    await expectFieldError(await admin("POST", "/key/regenerate", { key: made.key, grace_period: "31d" }), 400, "grace_period", /30d/);
    await expectFieldError(await admin("POST", "/key/regenerate", { key: made.key, grace_period: 60 }), 400, "grace_period");
    await expectFieldError(await admin("POST", "/key/regenerate", { key: "sk-bw-gone" }), 404, "key");
    expect(await status(callModel(made.key))).toBe(200);
  });
});

describe("POST /key/delete", () => {
  it("deletes by key, token_id and alias; deleted keys are refused at once; their spend logs stay", async () => {
    const a = await generate({ key_alias: alias("del-a") });
    const b = await generate({ key_alias: alias("del-b") });
    const c = await generate({ key_alias: alias("del-c") });
    const keep = await generate({ key_alias: alias("del-keep") });
    const served = await callModel(a.key); // warm, and leaves a spend row
    expect(served.status).toBe(200);
    const requestId = served.headers.get("request-id")!;
    await served.text();
    await expect.poll(async () => (await stack.spendRows()).some((r) => r.requestId === requestId)).toBe(true);

    const res = await ok(await admin("POST", "/key/delete", { keys: [a.key, b.token_id], key_aliases: [c.key_alias] }));
    expect(res.deleted_keys.sort()).toEqual([a.token_id, b.token_id, c.token_id].sort());
    for (const k of [a, b, c]) expect(await status(callModel(k.key))).toBe(401);
    expect(await status(callModel(keep.key))).toBe(200);
    await expectFieldError(await admin("GET", `/key/info?key=${a.token_id}`), 404, "key");

    const log = (await stack.spendRows()).find((r) => r.requestId === requestId);
    expect(log).toMatchObject({ keyId: null, keyAlias: a.key_alias });
    const audit = await auditRows(a.token_id);
    expect(audit.map((x) => x.action)).toEqual(["key.generate", "key.delete"]);
    expect((await auditRows(c.token_id)).map((x) => x.action)).toEqual(["key.generate", "key.delete"]);
  });

  it("all or nothing: an unknown key or alias deletes nothing", async () => {
    const k = await generate({ key_alias: alias("del-safe") });
    await expectFieldError(await admin("POST", "/key/delete", { keys: [k.key, "sk-bw-unknown"] }), 404, "keys");
    await expectFieldError(await admin("POST", "/key/delete", { keys: [k.token_id], key_aliases: ["no-such-alias"] }), 404, "key_aliases");
    await expectFieldError(await admin("POST", "/key/delete", {}), 400, "keys");
    await expectFieldError(await admin("POST", "/key/delete", { keys: [] }), 400, "keys");
    await expectFieldError(await admin("POST", "/key/delete", { keys: "x" }), 400, "keys");
    await expectFieldError(await admin("POST", "/key/delete", { key: k.key }), 400, "key");
    expect(await status(callModel(k.key))).toBe(200);
  });
});

describe("GET /spend/logs", () => {
  it("lists a key's requests newest first, filtered by model, request id, dates and limit", async () => {
    const made = await generate({ key_alias: alias("logs") });
    const ids: string[] = [];
    for (const model of ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-sonnet-4-6"]) {
      const res = await callModel(made.key, { ...HELLO, model });
      expect(res.status).toBe(200);
      ids.push(res.headers.get("request-id")!);
      await res.text();
    }
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyId === made.token_id).length).toBe(3);

    const all = (await ok(await admin("GET", `/spend/logs?key=${made.token_id}`))) as unknown as Json[];
    expect(all.map((r) => r.request_id)).toEqual([...ids].reverse());
    const row = all[0]!;
    expect(row).toMatchObject({ token_id: made.token_id, key_alias: made.key_alias, model: "claude-sonnet-4-6", status: 200, stream: false });
    expect(row.spend).toBeGreaterThan(0);
    expect(row.input_tokens).toBeGreaterThan(0);
    expect(row.total_tokens).toBe(row.input_tokens + row.output_tokens + row.cache_read_input_tokens + row.cache_creation_input_tokens);
    expect(Date.parse(row.startTime)).not.toBeNaN();
    await expectNoSecrets(JSON.stringify(all), made.key);

    const byPlaintext = (await ok(await admin("GET", `/spend/logs?api_key=${encodeURIComponent(made.key)}`))) as unknown as Json[];
    expect(byPlaintext).toHaveLength(3);
    const haiku = (await ok(await admin("GET", `/spend/logs?key=${made.token_id}&model=claude-haiku-4-5`))) as unknown as Json[];
    expect(haiku.map((r) => r.request_id)).toEqual([ids[1]]);
    const one = (await ok(await admin("GET", `/spend/logs?request_id=${ids[0]}`))) as unknown as Json[];
    expect(one.map((r) => r.request_id)).toEqual([ids[0]]);
    const limited = (await ok(await admin("GET", `/spend/logs?key=${made.token_id}&limit=2`))) as unknown as Json[];
    expect(limited.map((r) => r.request_id)).toEqual([ids[2], ids[1]]);

    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(await ok(await admin("GET", `/spend/logs?key=${made.token_id}&start_date=${today}&end_date=${today}`))).toHaveLength(3);
    expect(await ok(await admin("GET", `/spend/logs?key=${made.token_id}&end_date=${yesterday}`))).toHaveLength(0);
    const firstStart = all[2]!.startTime as string;
    const fromFirst = (await ok(await admin("GET", `/spend/logs?key=${made.token_id}&end_date=${encodeURIComponent(firstStart)}`))) as unknown as Json[];
    expect(fromFirst.map((r) => r.request_id)).toEqual([ids[0]]);
  });

  it("refuses bad filters", async () => {
    await expectFieldError(await admin("GET", "/spend/logs?limit=1001"), 400, "limit", /1000/);
    await expectFieldError(await admin("GET", "/spend/logs?limit=0"), 400, "limit");
    await expectFieldError(await admin("GET", "/spend/logs?start_date=yesterday"), 400, "start_date");
    await expectFieldError(await admin("GET", "/spend/logs?end_date=2026-02-30"), 400, "end_date");
    await expectFieldError(await admin("GET", "/spend/logs?start_date=2026-03-02&end_date=2026-03-01"), 400, "start_date");
    await expectFieldError(await admin("GET", "/spend/logs?key=sk-bw-unknown"), 404, "key");
    await expectFieldError(await admin("GET", "/spend/logs?key=a&api_key=b"), 400, "api_key");
    await expectFieldError(await admin("GET", "/spend/logs?user=x"), 400, "user");
  });
});

describe("GET /spend/report", () => {
  // Rows written straight to the database at known instants, so days and time zones can be checked exactly.
  const REPORT_ALIAS = "report-fixture";
  function spend(requestId: string, model: string, at: string, cost: number): SpendRow {
    return {
      requestId, keyId: null, keyAlias: REPORT_ALIAS, model, bedrockModel: null, inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 1,
      cacheCreationInputTokens: 0, cost, latencyMs: 1, status: 200, stream: false, target: "bedrock", startTime: new Date(at), endTime: null,
    };
  }

  beforeAll(async () => {
    await writeSpend(stack.database.db, [
      spend("rep-1", "claude-sonnet-4-6", "2030-01-01T03:00:00Z", 0.25), // 2029-12-31 in New York
      spend("rep-2", "claude-sonnet-4-6", "2030-01-01T12:00:00Z", 0.5),
      spend("rep-3", "claude-haiku-4-5", "2030-01-01T13:00:00Z", 0.125),
      spend("rep-4", "claude-haiku-4-5", "2030-01-02T23:30:00Z", 1), // 2030-01-03 in Tokyo
    ]);
  });

  it("groups by day × key × model in UTC by default", async () => {
    const body = await ok(await admin("GET", "/spend/report?start_date=2030-01-01&end_date=2030-01-02"));
    expect(body).toMatchObject({ start_date: "2030-01-01", end_date: "2030-01-02", timezone: "UTC", group_by: "key" });
    expect(body.total).toMatchObject({ spend: 1.875, requests: 4, input_tokens: 40, output_tokens: 20, cache_read_input_tokens: 4 });
    expect(body.data).toEqual([
      {
        date: "2030-01-01",
        keys: [
          expect.objectContaining({
            token_id: null,
            key_alias: REPORT_ALIAS,
            spend: 0.875,
            requests: 3,
            models: [expect.objectContaining({ model: "claude-haiku-4-5", spend: 0.125, requests: 1 }), expect.objectContaining({ model: "claude-sonnet-4-6", spend: 0.75, requests: 2 })],
          }),
        ],
      },
      { date: "2030-01-02", keys: [expect.objectContaining({ key_alias: REPORT_ALIAS, spend: 1, models: [expect.objectContaining({ model: "claude-haiku-4-5", spend: 1 })] })] },
    ]);
  });

  it("days follow the requested time zone; group_by model and day", async () => {
    const ny = await ok(await admin("GET", "/spend/report?start_date=2029-12-31&end_date=2030-01-01&timezone=America/New_York&group_by=day"));
    expect(ny.data).toEqual([
      expect.objectContaining({ date: "2029-12-31", spend: 0.25, requests: 1 }),
      expect.objectContaining({ date: "2030-01-01", spend: 0.625, requests: 2 }),
    ]);
    const tokyo = await ok(await admin("GET", "/spend/report?start_date=2030-01-03&end_date=2030-01-03&timezone=Asia/Tokyo&group_by=model"));
    expect(tokyo.data).toEqual([
      { date: "2030-01-03", models: [expect.objectContaining({ model: "claude-haiku-4-5", spend: 1, keys: [expect.objectContaining({ key_alias: REPORT_ALIAS, spend: 1 })] })] },
    ]);
    const empty = await ok(await admin("GET", "/spend/report?start_date=2031-01-01&end_date=2031-01-31"));
    expect(empty.data).toEqual([]);
    expect(empty.total.spend).toBe(0);
  });

  it("reflects requests made through the gateway", async () => {
    const made = await generate({ key_alias: alias("report-live") });
    const res = await callModel(made.key);
    expect(res.status).toBe(200);
    await res.text();
    await expect.poll(async () => (await stack.spendRows()).filter((r) => r.keyId === made.token_id).length).toBe(1);
    const cost = Number((await stack.spendRows()).find((r) => r.keyId === made.token_id)!.cost);
    const today = new Date().toISOString().slice(0, 10);
    const body = await ok(await admin("GET", `/spend/report?start_date=${today}&end_date=${today}`));
    const mine = body.data[0].keys.find((k: Json) => k.token_id === made.token_id);
    expect(mine).toMatchObject({ key_alias: made.key_alias, requests: 1, models: [expect.objectContaining({ model: "claude-sonnet-4-6", requests: 1 })] });
    expect(mine.spend).toBeCloseTo(cost, 10);
  });

  it("refuses bad parameters", async () => {
    await expectFieldError(await admin("GET", "/spend/report?end_date=2030-01-01"), 400, "start_date", /required/);
    await expectFieldError(await admin("GET", "/spend/report?start_date=2030-01-01"), 400, "end_date", /required/);
    await expectFieldError(await admin("GET", "/spend/report?start_date=2030-1-1&end_date=2030-01-02"), 400, "start_date");
    await expectFieldError(await admin("GET", "/spend/report?start_date=2030-01-02&end_date=2030-01-01"), 400, "start_date");
    await expectFieldError(await admin("GET", "/spend/report?start_date=2030-01-01&end_date=2031-06-01"), 400, "end_date", /366/);
    await expectFieldError(await admin("GET", "/spend/report?start_date=2030-01-01&end_date=2030-01-02&timezone=Nowhere/Special"), 400, "timezone");
    await expectFieldError(await admin("GET", "/spend/report?start_date=2030-01-01&end_date=2030-01-02&group_by=team"), 400, "group_by");
  });
});

describe("set-aside spend rows (/spend/unreadable)", () => {
  // What the key's object does with them is shown in key-meter-storage.test.ts, where a test can write its storage;
  // here, that the routes reach that key's object through the Worker, and refuse what they should.
  it("lists, salvages and discards through the key's meter object: a key whose rows were all readable has none", async () => {
    const made = await generate({ key_alias: alias("aside") });
    expect(await status(callModel(made.key))).toBe(200);
    expect(await ok(await admin("GET", `/spend/unreadable?key=${made.token_id}`))).toEqual({ key: made.token_id, chunks: [], next: null });
    expect(await ok(await admin("GET", `/spend/unreadable?key=${made.key}&after=rows:0:0`))).toEqual({ key: made.token_id, chunks: [], next: null });
    await expectFieldError(await admin("GET", `/spend/unreadable/chunk?key=${made.token_id}&name=rows:none:0`), 404, "name", /names no chunk set aside/);
    expect(await ok(await admin("POST", "/spend/unreadable/salvage", { key: made.key }))).toEqual({ key: made.token_id, rows: 0, chunks: 0, dropped: 0, kept: [] });
    expect(await ok(await admin("POST", "/spend/unreadable/discard", { key: made.token_id, chunks: ["rows:none:0"] }))).toEqual({ key: made.token_id, discarded: 0 });
  });

  it("refuses unknown keys and bad bodies, and does not exist without the master key", async () => {
    await expectFieldError(await admin("GET", "/spend/unreadable"), 400, "key");
    await expectFieldError(await admin("GET", "/spend/unreadable?key=sk-bw-nobody"), 404, "key");
    await expectFieldError(await admin("GET", "/spend/unreadable?key=x&page=2"), 400, "page");
    await expectFieldError(await admin("GET", `/spend/unreadable?key=x&after=${"r".repeat(201)}`), 400, "after");
    await expectFieldError(await admin("GET", "/spend/unreadable/chunk?key=x"), 400, "name");
    await expectFieldError(await admin("GET", "/spend/unreadable/chunk?name=rows:a:0"), 400, "key");
    await expectFieldError(await admin("GET", "/spend/unreadable/chunk?key=sk-bw-nobody&name=rows:a:0"), 404, "key");
    await expectFieldError(await admin("POST", "/spend/unreadable/salvage", {}), 400, "key");
    const made = await generate({ key_alias: alias("aside-bad") });
    await expectFieldError(await admin("POST", "/spend/unreadable/discard", { key: made.token_id }), 400, "chunks");
    await expectFieldError(await admin("POST", "/spend/unreadable/discard", { key: made.token_id, chunks: [] }), 400, "chunks");
    await expectFieldError(await admin("POST", "/spend/unreadable/discard", { key: made.token_id, chunks: [""] }), 400, "chunks.0");
    expect((await admin("GET", `/spend/unreadable?key=${made.token_id}`, undefined, {})).status).toBe(404);
    expect((await admin("GET", `/spend/unreadable/chunk?key=${made.token_id}&name=rows:a:0`, undefined, {})).status).toBe(404);
  });
});

describe("database failures", () => {
  it("an unreachable database answers 503 with Retry-After in the admin dialect, and the log line quotes no key or hash", async () => {
    const made = await generate({ key_alias: alias("db-down") });
    const logsBefore = stack.gateway.logs.length;
    stack.setDatabaseDown(true);
    let res: Response;
    try {
      res = await admin("POST", "/key/block", { key: made.key });
    } finally {
      stack.setDatabaseDown(false);
    }
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await res.json()) as Json;
    expect(body.error.type).toBe("server_error");
    expect(body.error.message).toMatch(/try again/i);
    await expect.poll(() => stack.gateway.logs.slice(logsBefore).some((l) => l.includes("database call failed"))).toBe(true);
    await expectNoSecrets(stack.gateway.logs.slice(logsBefore).join("\n"), made.key);
    expect((await ok(await admin("GET", `/key/info?key=${made.token_id}`))).info.blocked).toBe(false);
  });
});

describe("audit trail", () => {
  it("holds no key and no hash in any row, and records no reads", async () => {
    const made = await generate({ key_alias: alias("audit") });
    await ok(await admin("GET", `/key/info?key=${made.token_id}`));
    await ok(await admin("GET", "/key/list"));
    await ok(await admin("GET", `/spend/logs?key=${made.token_id}`));
    expect((await auditRows(made.token_id)).map((a) => a.action)).toEqual(["key.generate"]);
    const all = await stack.database.db.select().from(adminAudit);
    expect(all.length).toBeGreaterThan(10);
    const hashes = (await stack.database.db.select({ h: apiKeys.keyHash, g: apiKeys.graceKeyHash }).from(apiKeys)).flatMap((r) => [r.h, r.g]);
    const text = JSON.stringify(all);
    await expectNoSecrets(text);
    for (const h of hashes) if (h) expect(text).not.toContain(h);
    for (const a of all) expect(a.actor).toBe("master");
  });
});
