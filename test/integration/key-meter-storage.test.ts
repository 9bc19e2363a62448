// The key meter object's flush alarm against real Postgres (PGlite behind the Neon HTTP shim), with its storage
// held by a stand-in of the Durable Object storage API (Miniflare gives a test no way to write an object's storage
// directly). It covers what integration through the Worker cannot reach: rows stored one per entry by builds before
// row chunks (`row:<id>`, structured clones) are still flushed, together with the current chunks (`rows:`), and a
// failed flush keeps every entry and retries with backoff. And what a new instance over the same storage (after an
// eviction) still knows of the requests in flight of a key with max_parallel_requests.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { insertKey, type SpendRow } from "../../worker/db/queries.ts";
import { apiKeys, spendLogs } from "../../worker/db/schema.ts";
import { sha256Hex } from "../../worker/keys/hash.ts";
import { KeyMeterObject } from "../../worker/meter/key-meter-object.ts";
import type { KeyLimits } from "../../worker/meter/key-state.ts";
import { encodeMeterCall } from "../../worker/meter/row-batches.ts";
import { startTestDatabase, type TestDatabase } from "../support/database.ts";
import { captureLogs } from "../support/captured-logs.ts";
import { storageStandIn } from "../support/durable-storage.ts";

/** Runs `f` with console.error captured: what it returned, and the error lines the object logged meanwhile. */
async function quietly<T>(f: () => Promise<T>): Promise<{ result: T; logged: string[] }> {
  const { result, lines } = await captureLogs(f, ["error"]);
  return { result, logged: lines };
}

let database: TestDatabase;
let keyId: string;

beforeAll(async () => {
  database = await startTestDatabase();
  ({ id: keyId } = await insertKey(database.db, { keyHash: await sha256Hex("sk-bw-storage-test"), keyPrefix: "sk-bw-stor", keyAlias: "storage", models: [], maxBudget: null }));
});
afterAll(async () => {
  await database?.stop();
});

const env = (httpEndpoint: string) => ({
  AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
  AWS_SECRET_ACCESS_KEY: "emulator-secret",
  DATABASE_URL: database.shim.databaseUrl,
  DATABASE_HTTP_ENDPOINT: httpEndpoint,
  DATABASE_TIMEOUT_MS: "2000",
  BREAKWATER_DEV: "1",
});

const row = (requestId: string, cost: number): SpendRow => ({
  requestId, keyId, keyAlias: "storage", model: "claude-sonnet-4-6", bedrockModel: "us.anthropic.claude-sonnet-4-6",
  inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cost, latencyMs: 5,
  status: 200, stream: false, target: null, startTime: new Date("2026-12-05T10:00:00Z"), endTime: new Date("2026-12-05T10:00:01Z"),
});

const rowsOf = (prefix: string) => database.db.select().from(spendLogs).where(eq(spendLogs.keyAlias, "storage")).then((rs) => rs.filter((r) => r.requestId.startsWith(prefix)));

describe("the key meter object's stored rows", () => {
  it("flushes rows stored one per entry by older builds together with row chunks, and empties its storage", async () => {
    const { ctx, data } = storageStandIn();
    // 130 single rows: more than one delete call of 128 keys.
    for (let i = 0; i < 130; i++) data.set(`row:legacy-${String(i).padStart(3, "0")}`, row(`legacy-${i}`, 0.001));
    data.set("rows:batch-1:0", JSON.stringify([row("chunk-a", 0.002), row("chunk-b", 0.003)]));
    data.set("failures", 2);
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    await object.alarm();
    const written = await rowsOf("legacy-");
    expect(written).toHaveLength(130);
    expect(written.every((r) => r.startTime.toISOString() === "2026-12-05T10:00:00.000Z" && r.keyId === keyId)).toBe(true);
    expect((await rowsOf("chunk-")).map((r) => [r.requestId, Number(r.cost)]).sort()).toEqual([["chunk-a", 0.002], ["chunk-b", 0.003]]);
    expect([...data.keys()].filter((k) => k.startsWith("row")).length).toBe(0);
    expect(data.has("failures")).toBe(false);
  });

  it("keeps every entry when Postgres is unreachable, retries with a growing backoff, and writes each row once when it is back", async () => {
    const { ctx, data, alarm } = storageStandIn();
    data.set("row:retry-old", row("retry-old", 0.01));
    data.set("rows:batch-2:0", JSON.stringify([row("retry-new", 0.02)]));
    // Nothing listens on port 9 of the loopback: every statement fails at once.
    const down = new KeyMeterObject(ctx, env("http://127.0.0.1:9/sql"));
    const t0 = Date.now();
    const { logged: lines } = await quietly(() => down.alarm());
    expect(data.get("failures")).toBe(1);
    // The log line names the cause and stays short: not the statement's SQL and every row it carried.
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatch(/spend flush failed.*database statement failed: .*(fetch failed|ECONNREFUSED|connect)/);
    expect(line).not.toContain("INSERT INTO");
    expect(line).not.toContain("retry-old");
    expect(line.length).toBeLessThan(1500);
    expect(alarm()! - t0).toBeGreaterThanOrEqual(1000);
    await down.alarm();
    expect(data.get("failures")).toBe(2);
    expect(alarm()! - Date.now()).toBeGreaterThan(1000); // 2 s after the second failure
    expect(data.has("row:retry-old") && data.has("rows:batch-2:0")).toBe(true);
    expect(await rowsOf("retry-")).toHaveLength(0);

    const up = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    await up.alarm();
    await up.alarm(); // nothing left: a second alarm writes nothing twice
    expect((await rowsOf("retry-")).map((r) => r.requestId).sort()).toEqual(["retry-new", "retry-old"]);
    expect([...data.keys()].filter((k) => k.startsWith("row"))).toEqual([]);
  });
});

describe("the key meter object's unreadable rows", () => {
  it("sets aside a stored chunk it cannot read, and writes every other row, instead of failing every flush", async () => {
    const { ctx, data } = storageStandIn();
    data.set("rows:bad-1:0", "[{not json");
    data.set("rows:bad-2:0", JSON.stringify([{ model: "claude-sonnet-4-6", cost: 1 }]));
    data.set("rows:good:0", JSON.stringify([row("aside-ok", 0.004)]));
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const { logged: lines } = await quietly(() => object.alarm());
    expect((await rowsOf("aside-")).map((r) => r.requestId)).toEqual(["aside-ok"]);
    expect([...data.keys()].filter((k) => k.startsWith("rows:"))).toEqual([]);
    // Kept for an operator, out of the flush's way; the flush counts as a success.
    expect(data.get("unreadable:rows:bad-1:0")).toBe("[{not json");
    expect(data.has("unreadable:rows:bad-2:0")).toBe(true);
    expect(data.has("failures")).toBe(false);
    expect(lines.filter((l) => l.includes("cannot be read"))).toHaveLength(2);
    // A later row still goes through.
    data.set("rows:later:0", JSON.stringify([row("aside-later", 0.001)]));
    await object.alarm();
    expect((await rowsOf("aside-")).map((r) => r.requestId).sort()).toEqual(["aside-later", "aside-ok"]);
  });
});

describe("set-aside rows, for an operator", () => {
  const call = async (object: KeyMeterObject, op: string, control: unknown) => (await object.fetch(new Request(`http://meter/${op}`, { method: "POST", body: encodeMeterCall(control, []) }))).json() as Promise<any>;
  const keySpend = async () => Number((await database.db.select().from(apiKeys).where(eq(apiKeys.id, keyId)))[0]!.spend);

  it("lists them with why each cannot be read, salvages what can be billed (once), and discards the rest when told", async () => {
    const { ctx, data } = storageStandIn();
    const { requestId: _drop, ...withoutRequestId } = row("unused", 0.25);
    data.set("rows:broken:0", '[{"requestId":"x", oops');
    data.set("rows:partial:0", JSON.stringify([withoutRequestId, "not a row", row("salvage-whole", 0.5)]));
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    await quietly(() => object.alarm());
    expect([...data.keys()].filter((k) => k.startsWith("unreadable:")).sort()).toEqual(["unreadable:rows:broken:0", "unreadable:rows:partial:0"]);

    const listed = (await call(object, "set-aside", { keyId })).chunks as Array<{ name: string; problem: string; text: string; bytes: number; truncated: boolean }>;
    expect(listed.map((c) => c.name)).toEqual(["rows:broken:0", "rows:partial:0"]);
    expect(listed[0]).toMatchObject({ problem: expect.stringMatching(/^not JSON/), text: '[{"requestId":"x", oops', bytes: 23, truncated: false });
    expect(listed[1]!.problem).toBe("rows without their request id");

    const before = await keySpend();
    await captureLogs(async () => {
      const report = await call(object, "salvage", { keyId });
      expect(report).toEqual({ rows: 2, chunks: 1, dropped: 1, kept: [{ name: "rows:broken:0", problem: expect.stringMatching(/^not JSON/) }] });
      // The row without an id is billed under one made from its chunk's name and place; the key's spend grows by both.
      expect((await rowsOf("salvage")).map((r) => [r.requestId, Number(r.cost)]).sort()).toEqual([["salvage-whole", 0.5], ["salvaged_rows:partial:0_0", 0.25]]);
      expect(await keySpend()).toBeCloseTo(before + 0.75, 10);
      // Salvaging again finds only the chunk it cannot read, and bills nothing twice.
      expect(await call(object, "salvage", { keyId })).toMatchObject({ rows: 0, chunks: 0, kept: [{ name: "rows:broken:0" }] });
      expect(await keySpend()).toBeCloseTo(before + 0.75, 10);
      // The operator, having read it, discards it; a name not set aside is ignored.
      expect(await call(object, "discard", { keyId, names: ["rows:broken:0", "rows:never:0"] })).toEqual({ discarded: 1 });
    }, ["warn"]);
    expect((await call(object, "set-aside", { keyId })).chunks).toEqual([]);
    expect([...data.keys()].filter((k) => k.startsWith("unreadable:"))).toEqual([]);
  });

  it("keeps a chunk the database does not take, and salvages it on a later call; many chunks go a page at a time", async () => {
    const { ctx, data } = storageStandIn();
    // More chunks than one page of the salvage (16), each with one row.
    for (let i = 0; i < 40; i++) data.set(`unreadable:rows:many-${String(i).padStart(2, "0")}:0`, JSON.stringify([{ ...row(`many-${i}`, 0.01), requestId: "" }]));
    await captureLogs(async () => {
      const down = new KeyMeterObject(ctx, env("http://127.0.0.1:9/sql"));
      const failed = await call(down, "salvage", { keyId });
      expect(failed).toMatchObject({ rows: 0, chunks: 0 });
      expect(failed.kept).toHaveLength(40);
      expect(failed.kept[0].problem).toMatch(/database did not take its rows/);
      expect([...data.keys()].filter((k) => k.startsWith("unreadable:"))).toHaveLength(40);
      const up = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
      expect(await call(up, "salvage", { keyId })).toEqual({ rows: 40, chunks: 40, dropped: 0, kept: [] });
    }, ["warn"]);
    expect(await rowsOf("salvaged_rows:many-")).toHaveLength(40);
    expect([...data.keys()].filter((k) => k.startsWith("unreadable:"))).toEqual([]);
  });

  it("lists the first 64 KiB of a chunk's text, and shows all of it when asked for that chunk", async () => {
    const { ctx, data } = storageStandIn();
    data.set("unreadable:rows:huge:0", `[${"x".repeat(100_000)}`);
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const [chunk] = (await call(object, "set-aside", { keyId })).chunks;
    expect(chunk).toMatchObject({ name: "rows:huge:0", bytes: 100_001, truncated: true });
    expect(chunk.text).toHaveLength(64 * 1024);
    const shown = (await call(object, "set-aside-chunk", { keyId, name: "rows:huge:0" })).chunk;
    expect(shown).toMatchObject({ name: "rows:huge:0", bytes: 100_001, truncated: false, problem: chunk.problem });
    expect(shown.text).toBe(`[${"x".repeat(100_000)}`);
    expect((await call(object, "set-aside-chunk", { keyId, name: "rows:none:0" })).chunk).toBeNull();
  });

  it("lists 50 chunks a page, oldest first, and names where the next page starts", async () => {
    const { ctx, data } = storageStandIn();
    const names = Array.from({ length: 120 }, (_, i) => `rows:page-${String(i).padStart(3, "0")}:0`);
    // Stored out of order: the listing's order is the storage's (by name), as the flush names batches by time.
    for (const name of [...names].reverse()) data.set(`unreadable:${name}`, "[{oops");
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const seen: string[] = [];
    const nexts: (string | null)[] = [];
    for (let after: string | undefined, pages = 0; pages < 10; pages++) {
      const page = await call(object, "set-aside", { keyId, ...(after === undefined ? {} : { after }) });
      seen.push(...page.chunks.map((c: { name: string }) => c.name));
      nexts.push(page.next);
      if (page.next === null) break;
      after = page.next;
    }
    expect(nexts).toEqual([names[49], names[99], null]);
    expect(seen).toEqual(names);
  });
});

describe("the key meter object after an eviction", () => {
  const limits = (parallel: number): KeyLimits => ({ rpm: null, tpm: null, parallel, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null });
  const call = async (object: KeyMeterObject, op: string, control: unknown) => (await object.fetch(new Request(`http://meter/${op}`, { method: "POST", body: encodeMeterCall(control, []) }))).json() as Promise<any>;
  const admit = (object: KeyMeterObject, id: string, l: KeyLimits, lease?: unknown) =>
    call(object, "admit", { keyId, reservationId: id, limits: l, estimate: { tokens: 100, cost: 0.001 }, recordLoadedAt: Date.now(), knownSpend: 0, ...(lease ? { lease } : {}) });

  it("still counts the requests in flight of a key with max_parallel_requests: a long stream keeps its place", async () => {
    const { ctx } = storageStandIn();
    const first = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    expect((await admit(first, "long-stream", limits(1))).ok).toBe(true);
    // The object is evicted (no call for a minute or two) while that request streams on; a new instance starts.
    const second = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const refused = await admit(second, "next", limits(1));
    expect(refused.ok).toBe(false);
    expect(refused.refusal).toMatchObject({ reason: "parallel" });
    await call(second, "settle", { keyId, reservationId: "long-stream", limits: limits(1), actual: { tokens: 100, cost: 0.001 } });
    expect((await admit(second, "after", limits(1))).ok).toBe(true);
  });

  it("still counts a lease's places", async () => {
    const { ctx } = storageStandIn();
    const first = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const granted = await admit(first, "leased", limits(8), { id: "L1", amount: 0.016, requests: 16 });
    expect(granted.lease).toMatchObject({ slots: 4 });
    const second = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const outs = [];
    for (let i = 0; i < 5; i++) outs.push((await admit(second, `p${i}`, limits(8))).ok);
    expect(outs).toEqual([true, true, true, true, false]);
  });

  it("remembers when it last heard of a reported request: a live one keeps its place across an eviction, a silent one loses it", async () => {
    const t0 = Date.parse("2026-12-07T10:00:00Z");
    vi.useFakeTimers({ toFake: ["Date"], now: t0 });
    try {
      const { ctx } = storageStandIn();
      const first = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
      const admitReported = (object: KeyMeterObject, id: string) =>
        call(object, "admit", { keyId, reservationId: id, limits: limits(1), estimate: { tokens: 100, cost: 0.001 }, recordLoadedAt: Date.now(), knownSpend: 0, reported: true });
      expect((await admitReported(first, "stream")).ok).toBe(true);
      vi.setSystemTime(t0 + 4 * 60_000);
      expect(await call(first, "touch", { keyId, reservationIds: ["stream"] })).toEqual({ ok: true });
      // Evicted; a new instance over the same storage. Six minutes after the admission, four after the last report.
      const second = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
      vi.setSystemTime(t0 + 6 * 60_000);
      expect((await admitReported(second, "next")).refusal).toMatchObject({ reason: "parallel" });
      // Silent for five minutes since that report: its isolate is gone, and so is the request.
      vi.setSystemTime(t0 + 9 * 60_000 + 1);
      expect((await admitReported(second, "after")).ok).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the key meter object's calls", () => {
  const limits: KeyLimits = { rpm: null, tpm: null, parallel: 1, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null };
  const send = (object: KeyMeterObject, op: string, body: string) => object.fetch(new Request(`http://meter/${op}`, { method: "POST", body }));
  const admitControl = (id: string, extra: Record<string, unknown> = {}) =>
    ({ keyId, reservationId: id, limits, estimate: { tokens: 100, cost: 0.001 }, recordLoadedAt: Date.now(), knownSpend: 0, ...extra });

  it("refuses a malformed call with 400 and what is wrong, and changes nothing", async () => {
    const { ctx, data } = storageStandIn();
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const notJson = await quietly(() => send(object, "admit", "{not json"));
    expect(notJson.result.status).toBe(400);
    expect(await notJson.result.text()).toBe("malformed admit: the control message is not JSON");
    expect(notJson.logged.join("\n")).toContain("meter call refused");

    const { limits: _, ...withoutLimits } = admitControl("a");
    const noLimits = await quietly(() => send(object, "admit", encodeMeterCall(withoutLimits, [])));
    expect(noLimits.result.status).toBe(400);
    expect(await noLimits.result.text()).toMatch(/^malformed admit: limits: /);

    const badTouch = await quietly(() => send(object, "touch", encodeMeterCall({ keyId, reservationIds: "a" }, [])));
    expect(badTouch.result.status).toBe(400);
    expect(await badTouch.result.text()).toMatch(/^malformed touch: reservationIds: /);

    const badSettle = await quietly(() => send(object, "settle", encodeMeterCall({ keyId, reservationId: "a", limits, actual: { tokens: "100", cost: 0 } }, [])));
    expect(badSettle.result.status).toBe(400);
    expect(await badSettle.result.text()).toMatch(/^malformed settle: actual\.tokens: /);

    const unknown = await quietly(() => send(object, "reset-everything", encodeMeterCall({ keyId }, [])));
    expect(unknown.result.status).toBe(404);
    // Nothing was admitted, stored or remembered by any of them.
    expect([...data.keys()]).toEqual([]);
    const ok = await send(object, "admit", encodeMeterCall(admitControl("first"), []));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { ok: boolean }).ok).toBe(true);
  });

  it("accepts calls of other deployments: fields it does not know, and none of the optional ones", async () => {
    const { ctx } = storageStandIn();
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    const res = await send(object, "admit", encodeMeterCall(admitControl("newer", { somethingLater: { x: 1 }, reported: true }), []));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    const lease = { keyId, leaseId: "L9", limits, actual: { tokens: 0, cost: 0 }, holding: -1e-18, release: true };
    expect((await send(object, "settle-lease", encodeMeterCall(lease, []))).status).toBe(200);
  });

  it("stores a report only when it was news: a request it knows, not one that settled meanwhile", async () => {
    const { ctx } = storageStandIn();
    const puts: string[] = [];
    const put = ctx.storage.put.bind(ctx.storage) as (k: string | Record<string, unknown>, v?: unknown) => Promise<void>;
    (ctx.storage as unknown as { put: typeof put }).put = async (k, v) => {
      puts.push(typeof k === "string" ? k : Object.keys(k).join(","));
      return put(k, v);
    };
    const object = new KeyMeterObject(ctx, env(database.shim.httpEndpoint));
    expect((await send(object, "admit", encodeMeterCall(admitControl("live", { reported: true }), []))).status).toBe(200);
    puts.length = 0;
    expect((await send(object, "touch", encodeMeterCall({ keyId, reservationIds: ["gone-already"] }, []))).status).toBe(200);
    expect(puts).toEqual([]);
    expect((await send(object, "touch", encodeMeterCall({ keyId, reservationIds: ["gone-already", "live"] }, []))).status).toBe(200);
    expect(puts).toEqual(["meter"]);
  });
});
