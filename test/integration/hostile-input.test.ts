// Hostile input to the admin API and the dashboard never reaches Postgres as something it cannot store: NUL, lone
// surrogates, JSON nested thousands of levels deep or larger than its limit, and dates outside 1970-9999 are each a
// 400 naming the field; random requests across every admin endpoint never get a 5xx; and a database that stops
// answering turns into 503s with Retry-After within the deadline (DATABASE_TIMEOUT_MS), never a hang, while
// /health?deep=1 tells the truth.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, MAX_METADATA_BYTES } from "../../worker/db/storable.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { startGateway } from "../support/worker-harness.ts";
import { seededRandom } from "../support/fixtures.ts";

const MASTER = "sk-master-hostile-0123456789abcdefghijklmnop";
const HELLO = { model: "claude-sonnet-4-6", max_tokens: 32, messages: [{ role: "user", content: "Hello" }] };

type Json = Record<string, any>;

let stack: Stack;
let url: string;
/** A key that exists, for requests that must get past "no such key" to reach their other fields. */
let tokenId: string;

beforeAll(async () => {
  stack = await startStack({ env: { MASTER_KEY: MASTER, ABUSE_KEY_FAILURES: "1000", ABUSE_IP_CEILING: "0" } });
  url = stack.gateway.url;
  tokenId = (await ok(await admin("POST", "/key/generate", { key_alias: "hostile-target" }))).token_id;
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

function admin(method: "GET" | "POST", path: string, body?: unknown, base = url): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function ok(res: Response): Promise<Json> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Json;
}

/** A 400 in the admin (OpenAI) dialect whose `param` is, and whose message starts with, `param`. */
async function expectFieldError(res: Response, param: string, message?: RegExp): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.param, text).toBe(param);
  expect(body.error.message.startsWith(`${param}: `), body.error.message).toBe(true);
  if (message) expect(body.error.message).toMatch(message);
}

/** `{"a":{"a":…1}}`, `depth` objects deep, as JSON text (built as text: no recursion on either side). */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

describe("values Postgres cannot store", () => {
  it("NUL and lone surrogates in every text field of every admin body: 400 naming the field", async () => {
    const cases: [string, Json, string][] = [];
    for (const bad of ["\u0000", "a\u0000b", "\ud800", "x\udfff"]) {
      for (const field of ["key_alias", "user_id", "team_id", "budget_duration", "budget_timezone", "duration", "expires"]) {
        cases.push(["/key/generate", { [field]: bad }, field]);
        cases.push(["/key/update", { key: tokenId, [field]: bad }, field]);
      }
      cases.push(
        ["/key/generate", { metadata: { note: bad } }, "metadata.note"],
        ["/key/generate", { metadata: { nested: [{ deeper: bad }] } }, "metadata.nested.0.deeper"],
        ["/key/generate", { metadata: { [`k${bad}`]: 1 } }, `metadata.k${bad}`],
        ["/key/generate", { models: [bad] }, "models.0"],
        ["/key/update", { key: bad, key_alias: "fine" }, "key"],
        ["/key/delete", { key_aliases: ["fine", bad] }, "key_aliases.1"],
        ["/key/delete", { keys: [bad] }, "keys.0"],
        ["/key/regenerate", { key: tokenId, grace_period: bad }, "grace_period"],
        ["/key/block", { key: bad }, "key"],
        ["/key/unblock", { key: bad }, "key"],
      );
    }
    for (const [path, body, param] of cases) await expectFieldError(await admin("POST", path, body), param);
  });

  it("NUL in every text query parameter: 400 naming the parameter", async () => {
    const cases: [string, string][] = [
      ["/key/info?key=%00", "key"],
      ["/key/list?key_alias=%00", "key_alias"],
      ["/key/list?user_id=a%00", "user_id"],
      ["/key/list?team_id=%00b", "team_id"],
      ["/spend/logs?model=%00", "model"],
      ["/spend/logs?request_id=req%00", "request_id"],
      ["/spend/logs?key=%00", "key"],
      ["/spend/logs?api_key=%00", "api_key"],
      ["/spend/report?start_date=2026-01-01&end_date=2026-01-02&timezone=UTC%00", "timezone"],
      ["/video/jobs?key=%00", "key"],
    ];
    for (const [path, param] of cases) await expectFieldError(await admin("GET", path), param);
  });

  it("dates outside 1970-9999: 400 naming the field; the edges themselves are served", async () => {
    await expectFieldError(await admin("GET", "/spend/logs?end_date=0000-01-01"), "end_date", /1970/);
    await expectFieldError(await admin("GET", "/spend/logs?start_date=0000-01-01T00:00:00Z"), "start_date");
    await expectFieldError(await admin("GET", "/spend/logs?start_date=1969-12-31"), "start_date");
    await expectFieldError(await admin("GET", "/spend/logs?end_date=9999-12-31T23:30:00-14:00"), "end_date", /9999/);
    await expectFieldError(await admin("GET", "/spend/report?start_date=0000-01-01&end_date=0000-01-02"), "start_date");
    await expectFieldError(await admin("POST", "/key/generate", { expires: "9999-12-31T23:59:00-01:00" }), "expires");
    expect(Array.isArray(await ok(await admin("GET", "/spend/logs?start_date=1970-01-01&end_date=9999-12-31")))).toBe(true);
    expect((await ok(await admin("GET", "/spend/report?start_date=9999-12-01&end_date=9999-12-31"))).data).toEqual([]);
  });

  it("JSON 10,000 levels deep or over 16 KiB: 400 at once, and the database stays responsive", async () => {
    const started = Date.now();
    const deep = `{"metadata":${deepJson(10_000)}}`;
    expect(deep.length).toBeGreaterThan(50_000);
    await expectFieldError(await admin("POST", "/key/generate", deep), "metadata", /nested too deeply/);
    await expectFieldError(await admin("POST", "/key/update", `{"key":"${tokenId}","metadata":${deepJson(10_000)}}`), "metadata", /nested too deeply/);
    await expectFieldError(await admin("POST", "/key/generate", `{"metadata":${deepJson(MAX_JSON_DEPTH + 1)}}`), "metadata", /nested too deeply/);
    // Deep arrays where a string belongs are refused by type.
    await expectFieldError(await admin("POST", "/key/delete", `{"key_aliases":${"[".repeat(5000)}${"]".repeat(5000)}}`), "key_aliases.0");
    await expectFieldError(await admin("POST", "/key/generate", { metadata: { pad: "x".repeat(MAX_METADATA_BYTES) } }), "metadata", /16 KiB/);
    // A chunked body (no content-length) far deeper than the firewall's declared-size check would see.
    const chunked = await fetch(`${url}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: new Blob([`{"metadata":${deepJson(40_000)}}`]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBeGreaterThanOrEqual(400);
    expect(chunked.status).toBeLessThan(500);
    await chunked.body?.cancel();
    // Still answering, database included: a limit at the edge of the allowed depth is stored and read back.
    const edge = JSON.parse(deepJson(MAX_JSON_DEPTH)) as Json;
    const made = await ok(await admin("POST", "/key/generate", { metadata: edge }));
    expect((await ok(await admin("GET", `/key/info?key=${made.token_id}`))).info.metadata).toEqual(edge);
    expect(await ok(await fetch(`${url}/health?deep=1`))).toEqual({ status: "ok", database: "ok" });
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

// ---- random requests -----------------------------------------------------------------------------------------------


class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  string(): string {
    const PIECES = ["\u0000", "\ud800", "\udfff", "\udbff\udfff", "😀", "é", "€", "'", '"', "\\", "%", "%00", "_", "*", ";--", " ", "\t", "\n", "\u202e",
      "0000-01-01", "9999-12-31", "1969-12-31T23:59:59Z", "-1", "0", "1e309", "NaN", "null", "Europe/Paris", "UTC", "claude-sonnet-4-6", "30d", "0s", "24h"];
    if (this.chance(0.05)) return "x".repeat(this.int(2000));
    let s = "";
    const n = this.int(5);
    for (let i = 0; i < n; i++) {
      s += this.chance(0.5) ? this.pick(PIECES) : String.fromCharCode(this.chance(0.2) ? 0xd800 + this.int(0x800) : this.int(0x3000));
    }
    return s;
  }

  date(): string {
    const year = this.pick([0, 1, 1969, 1970, 2026, 9999, 10000, this.int(12000)]);
    const two = (n: number) => String(n).padStart(2, "0");
    const d = `${String(year).padStart(4, "0")}-${two(this.int(14))}-${two(this.int(33))}`;
    if (this.chance(0.5)) return d;
    return `${d}T${two(this.int(25))}:${two(this.int(61))}:${two(this.int(61))}${this.pick(["", "Z", "+14:00", "-14:00", "+99:99", ".123456789Z"])}`;
  }

  json(depth = 0): unknown {
    if (depth === 0 && this.chance(0.1)) return JSON.parse(deepJson(this.pick([MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 200, 3000])));
    const kind = depth > 4 ? this.int(4) : this.int(6);
    if (kind === 0) return this.string();
    if (kind === 1) return this.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31]);
    if (kind === 2) return this.pick([true, false]);
    if (kind === 3) return null;
    if (kind === 4) return Array.from({ length: this.int(4) }, () => this.json(depth + 1));
    return Object.fromEntries(Array.from({ length: this.int(4) }, () => [this.string(), this.json(depth + 1)]));
  }

  /** Any JSON value at all. */
  value(): unknown {
    switch (this.int(5)) {
      case 0:
        return this.string();
      case 1:
        return this.date();
      case 2:
        return this.json();
      case 3:
        return this.pick([0, -1, 1, 1.5, 1e12 + 1, 2 ** 31, 3]);
      default:
        return null;
    }
  }

  /**
   * Mostly a value of the type `field` takes (so the request gets past type checks to where values meet the
   * database), with hostile content; sometimes anything at all.
   */
  field(field: string): unknown {
    if (this.chance(0.15)) return this.value();
    const text = () => (this.chance(0.3) ? this.pick(["claude-sonnet-4-6", "1d", "30d", "Europe/Paris", "UTC", "hostile-target", "0"]) : this.string());
    switch (field) {
      case "key":
        return this.chance(0.5) ? tokenId : text();
      case "keys":
      case "key_aliases":
      case "models":
        return Array.from({ length: 1 + this.int(3) }, () => (field === "keys" && this.chance(0.3) ? tokenId : text()));
      case "metadata":
        return this.chance(0.8) ? Object.fromEntries(Array.from({ length: 1 + this.int(3) }, () => [this.string(), this.json(1)])) : this.json();
      case "expires":
        return this.chance(0.7) ? this.date() : text();
      case "max_budget":
      case "spend":
      case "rpm_limit":
      case "tpm_limit":
      case "max_parallel_requests":
        return this.pick([0, 1, 1.5, 100, 1e12, 1e12 + 1, 2 ** 31, -1, null]);
      case "blocked":
        return this.pick([true, false]);
      default:
        return text();
    }
  }

  queryValue(): string {
    return this.pick([this.string(), this.string(), this.date(), String(this.pick([0, -1, 1, 5, 1e21, 2 ** 53])), tokenId, "key", "model", "day", "1"]);
  }
}

const KEY_FIELD_NAMES = ["key_alias", "user_id", "team_id", "models", "max_budget", "budget_duration", "budget_timezone", "rpm_limit", "tpm_limit",
  "max_parallel_requests", "duration", "expires", "metadata", "blocked"];

/** Every admin endpoint, the dashboard's pages and actions, with the fields and parameters each reads. */
const BODY_ROUTES: [string, string[]][] = [
  ["/key/generate", KEY_FIELD_NAMES],
  ["/key/update", ["key", "spend", ...KEY_FIELD_NAMES]],
  ["/key/delete", ["keys", "key_aliases"]],
  ["/key/regenerate", ["key", "grace_period"]],
  ["/key/block", ["key"]],
  ["/key/unblock", ["key"]],
  ["/origin/start", ["key"]],
  ["/origin/stop", ["key"]],
  ["/ui/api/key/block", ["key"]],
  ["/ui/api/key/unblock", ["key"]],
  ["/ui/api/key/regenerate", ["key", "grace_period"]],
];
const QUERY_ROUTES: [string, string[]][] = [
  ["/key/info", ["key"]],
  ["/key/list", ["page", "size", "key_alias", "user_id", "team_id"]],
  ["/spend/logs", ["key", "api_key", "model", "start_date", "end_date", "request_id", "limit"]],
  ["/spend/report", ["start_date", "end_date", "group_by", "timezone"]],
  ["/video/jobs", ["key", "status", "limit"]],
  ["/origin/status", []],
  ["/health", ["deep"]],
  ["/ui", ["days", "by"]],
  ["/ui/keys", ["page"]],
  ["/ui/requests", ["key", "api_key", "model", "start_date", "end_date", "request_id", "limit"]],
];

interface RandomRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

function randomRequest(g: Gen): RandomRequest {
  if (g.chance(0.5)) {
    const [path, fields] = g.pick(BODY_ROUTES);
    const body: Json = {};
    // One to three fields: enough to combine them, few enough that one value's refusal does not hide the others'.
    const n = 1 + g.int(3);
    for (let i = 0; i < n; i++) {
      const f = g.pick(fields);
      if (f !== undefined) body[f] = g.field(f);
    }
    if (g.chance(0.05)) body[g.string()] = g.value();
    return { method: "POST", path, body: JSON.stringify(body) };
  }
  const [path, params] = g.pick(QUERY_ROUTES);
  const q = new URLSearchParams();
  for (const p of params) if (g.chance(0.5)) q.set(p, p.endsWith("_date") && g.chance(0.7) ? g.date() : g.queryValue());
  if (g.chance(0.05)) q.set(g.string(), g.queryValue());
  const qs = q.toString();
  return { method: "GET", path: qs ? `${path}?${qs}` : path };
}

describe("random requests across every admin endpoint", () => {
  it("never get a 5xx, and afterwards the gateway still serves /health?deep=1 and /v1/messages", async () => {
    const seed = Number(process.env.HOSTILE_SEED ?? Date.now() % 2 ** 31);
    const g = new Gen(seededRandom(seed));
    const login = await fetch(`${url}/ui/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: url, "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ master_key: MASTER }).toString(),
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;

    const requests = Array.from({ length: 400 }, () => randomRequest(g));
    const statuses = new Map<number, number>();
    const send = async (req: RandomRequest) => {
      const ui = req.path.startsWith("/ui");
      const res = await fetch(`${url}${req.path}`, {
        method: req.method,
        headers: {
          ...(ui ? { cookie, origin: url, "sec-fetch-site": "same-origin" } : { authorization: `Bearer ${MASTER}` }),
          ...(req.body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: req.body,
      });
      const text = await res.text();
      const what = `seed ${seed} (rerun with HOSTILE_SEED=${seed}): ${req.method} ${req.path} ${req.body?.slice(0, 300) ?? ""} → ${res.status} ${text.slice(0, 300)}`;
      expect(res.status, what).toBeLessThan(500);
      // The database's refusal of a value is a backstop (worker/edge/backend-errors.ts): validation must come first.
      expect(text, what).not.toContain("the database refused it");
      if (res.status >= 400 && (res.headers.get("content-type") ?? "").startsWith("application/json")) {
        const body = JSON.parse(text) as Json;
        expect(typeof body.error?.message, what).toBe("string");
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    };
    // Four at a time: some concurrency, without swamping a shared machine.
    for (let i = 0; i < requests.length; i += 4) await Promise.all(requests.slice(i, i + 4).map(send));
    // The generator reaches both sides: accepted requests and refused ones.
    expect(statuses.get(200) ?? 0, `seed ${seed}: ${JSON.stringify([...statuses])}`).toBeGreaterThan(20);
    expect(statuses.get(400) ?? 0, `seed ${seed}: ${JSON.stringify([...statuses])}`).toBeGreaterThan(50);

    expect(await ok(await fetch(`${url}/health?deep=1`))).toEqual({ status: "ok", database: "ok" });
    const key = (await ok(await admin("POST", "/key/generate", { key_alias: `after-random-${seed}` }))).key as string;
    const res = await fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
      body: JSON.stringify(HELLO),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Json).type).toBe("message");
  }, 100_000);
});

// ---- a database that does not answer -------------------------------------------------------------------------------

describe("a database that stops answering", () => {
  const DEADLINE_MS = 1000;
  /** The deadline, plus generous slack for a loaded machine: what matters is an answer, not a hang. */
  const BOUND_MS = DEADLINE_MS + 5000;

  async function timed(call: () => Promise<Response>): Promise<{ res: Response; ms: number; text: string }> {
    const started = Date.now();
    const res = await call();
    const text = await res.text();
    return { res, ms: Date.now() - started, text };
  }

  it("gets 503 with Retry-After in the caller's dialect within the deadline, and /health?deep=1 says so", async () => {
    const gateway = await startGateway({ ...stack.gatewayEnv, DATABASE_TIMEOUT_MS: String(DEADLINE_MS) });
    try {
      const deepBefore = await fetch(`${gateway.url}/health?deep=1`);
      expect(deepBefore.status).toBe(200);
      await deepBefore.body?.cancel();

      stack.setDatabaseStalled(true);
      const generate = await timed(() => admin("POST", "/key/generate", { key_alias: "during-stall" }, gateway.url));
      expect(generate.res.status, generate.text).toBe(503);
      expect(generate.ms).toBeLessThan(BOUND_MS);
      expect(Number(generate.res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(Object.keys(JSON.parse(generate.text) as Json)).toEqual(["error"]);
      expect((JSON.parse(generate.text) as Json).error.message).toMatch(/try again/i);

      const list = await timed(() => admin("GET", "/key/list", undefined, gateway.url));
      expect(list.res.status, list.text).toBe(503);
      expect(list.ms).toBeLessThan(BOUND_MS);

      // A key this gateway has never seen: its lookup must go to the database.
      const messages = await timed(() =>
        fetch(`${gateway.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": "sk-bw-never-seen-0123456789abcdef0123456789", "anthropic-version": "2023-06-01" },
          body: JSON.stringify(HELLO),
        }),
      );
      expect(messages.res.status, messages.text).toBe(503);
      expect(messages.ms).toBeLessThan(BOUND_MS);
      expect(Number(messages.res.headers.get("retry-after"))).toBeGreaterThan(0);
      const anthropic = JSON.parse(messages.text) as Json;
      expect(anthropic.type).toBe("error");
      expect(anthropic.error.type).toBe("overloaded_error");

      const chat = await timed(() =>
        fetch(`${gateway.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer sk-bw-never-seen-either-0123456789abcdef012345" },
          body: JSON.stringify({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "Hi" }] }),
        }),
      );
      expect(chat.res.status, chat.text).toBe(503);
      expect(Object.keys(JSON.parse(chat.text) as Json)).toEqual(["error"]);

      const deep = await timed(() => fetch(`${gateway.url}/health?deep=1`));
      expect(deep.res.status).toBe(503);
      expect(deep.ms).toBeLessThan(BOUND_MS);
      expect(JSON.parse(deep.text)).toEqual({ status: "degraded", database: "unreachable" });
      expect(Number(deep.res.headers.get("retry-after"))).toBeGreaterThan(0);
      // Liveness alone does not touch the database.
      expect(await ok(await fetch(`${gateway.url}/health`))).toEqual({ status: "ok" });
    } finally {
      stack.setDatabaseStalled(false);
    }
    try {
      expect(await ok(await fetch(`${gateway.url}/health?deep=1`))).toEqual({ status: "ok", database: "ok" });
      expect((await ok(await admin("POST", "/key/generate", { key_alias: "after-stall" }, gateway.url))).key_alias).toBe("after-stall");
    } finally {
      await gateway.stop();
    }
  }, 60_000);
});
