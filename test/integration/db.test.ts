import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { neon, neonConfig, NeonDbError } from "@neondatabase/serverless";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openLocalPglite } from "../../scripts/lib/db.ts";
import { DatabaseError, neonHttp, neonSqlEndpoint } from "../../worker/db/neon-http.ts";
import { findKeyByHash, insertKey, writeSpend, type SpendRow } from "../../worker/db/queries.ts";
import { sha256Hex } from "../../worker/keys/hash.ts";
import { startTestDatabase, type TestDatabase } from "../support/database.ts";

// The Worker's real database client (drizzle-orm/pg-proxy over worker/db/neon-http.ts) against the local Neon shim,
// backed by in-memory PGlite, or by a PostgreSQL server when TEST_DATABASE_URL is set. Neon's own driver
// (@neondatabase/serverless, which the video sidecar uses) is the reference both the shim and the Worker's transport are held to.

let t: TestDatabase;
beforeAll(async () => {
  t = await startTestDatabase();
});
afterAll(async () => {
  await t?.stop();
});

let counter = 0;
const uniqueHash = () => sha256Hex(`key-${Date.now()}-${counter++}`);

/** One value straight from the database (not through the shim): the exact text Postgres prints. */
async function scalar(text: string, params: (string | null)[] = []): Promise<string | null> {
  const r = await t.backend.query({ text, params });
  return r.rows[0]?.[0] ?? null;
}

function spendRow(over: Partial<SpendRow> & Pick<SpendRow, "requestId">): SpendRow {
  return {
    keyId: null,
    keyAlias: null,
    model: "claude-sonnet-4-6",
    bedrockModel: "us.anthropic.claude-sonnet-4-6",
    inputTokens: 10,
    outputTokens: 20,
    cacheReadInputTokens: 3,
    cacheCreationInputTokens: 4,
    cost: 0,
    latencyMs: 123,
    status: 200,
    stream: true,
    target: "bedrock",
    startTime: new Date("2026-11-22T10:00:00.123Z"),
    endTime: new Date("2026-11-22T10:00:01.456Z"),
    ...over,
  };
}

describe(`keys through drizzle (pg-proxy over Neon's HTTP protocol) → shim → ${process.env.TEST_DATABASE_URL ? "PostgreSQL" : "PGlite"}`, () => {
  it("uses the backend the environment asked for", () => {
    expect(t.kind).toBe(process.env.TEST_DATABASE_URL ? "postgres" : "pglite");
  });

  it("round-trips every column type of a key", async () => {
    const keyHash = await uniqueHash();
    const budgetResetAt = new Date("2026-12-01T00:00:00.250Z");
    const expires = new Date("2027-01-02T03:04:05.678Z");
    const metadata = { team: "ml", ratio: 1.5, tags: ["a", 2, null], nested: { ok: true, quote: 'he said "hi"' } };
    const models = ["claude-sonnet-4-6", "with space", 'quo"te', "comma,name", "NULL", "ünïcode"];
    const { id } = await insertKey(t.db, {
      keyHash,
      keyPrefix: "sk-bw-abcd",
      keyAlias: "alice",
      userId: "user-1",
      teamId: "team-1",
      models,
      maxBudget: 12.345678,
      budgetDuration: "30d",
      budgetResetAt,
      rpmLimit: 60,
      tpmLimit: 100_000,
      maxParallelRequests: 4,
      expires,
      blocked: true,
      metadata,
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const key = await findKeyByHash(t.db, keyHash);
    expect(key).toEqual({
      id,
      keyAlias: "alice",
      models,
      maxBudget: 12.345678,
      spend: 0,
      budgetDuration: "30d",
      budgetResetAt,
      rpmLimit: 60,
      tpmLimit: 100_000,
      maxParallelRequests: 4,
      expires,
      blocked: true,
      userId: "user-1",
      teamId: "team-1",
      metadata,
    });
    expect(key?.expires).toBeInstanceOf(Date);
    // And it is stored as the types the schema says, not as strings that happen to read back.
    expect(await scalar("select max_budget::text from api_keys where id = $1", [id])).toBe("12.345678");
    expect(await scalar("select array_length(models, 1)::text from api_keys where id = $1", [id])).toBe("6");
    expect(await scalar("select (metadata->'nested'->>'ok') from api_keys where id = $1", [id])).toBe("true");
  });

  it("fills defaults and nulls for a minimal key", async () => {
    const keyHash = await uniqueHash();
    const { id } = await insertKey(t.db, { keyHash, keyPrefix: "sk-bw-min0" });
    expect(await findKeyByHash(t.db, keyHash)).toEqual({
      id,
      keyAlias: null,
      models: [],
      maxBudget: null,
      spend: 0,
      budgetDuration: null,
      budgetResetAt: null,
      rpmLimit: null,
      tpmLimit: null,
      maxParallelRequests: null,
      expires: null,
      blocked: false,
      userId: null,
      teamId: null,
      metadata: {},
    });
  });

  it("returns null for an unknown hash", async () => {
    expect(await findKeyByHash(t.db, await sha256Hex("no such key"))).toBeNull();
  });

  it("surfaces a unique violation as a driver error with the Postgres code", async () => {
    const keyHash = await uniqueHash();
    await insertKey(t.db, { keyHash, keyPrefix: "sk-bw-dup1" });
    const err = await insertKey(t.db, { keyHash, keyPrefix: "sk-bw-dup2" }).then(
      () => null,
      (e: unknown) => e,
    );
    // drizzle wraps the transport's error; the DatabaseError with Postgres' fields is its cause.
    const dbErr = findCause(err, (e): e is DatabaseError => e instanceof DatabaseError);
    expect(dbErr?.code).toBe("23505");
    expect(dbErr?.constraint).toBe("api_keys_key_hash_unique");
    expect(dbErr?.message).toMatch(/duplicate key value violates unique constraint/);
  });
});

describe("writeSpend", () => {
  async function newKey(): Promise<string> {
    return (await insertKey(t.db, { keyHash: await uniqueHash(), keyPrefix: "sk-bw-spnd" })).id;
  }
  const spendOf = (id: string) => scalar("select spend::text from api_keys where id = $1", [id]);
  const logCount = (prefix: string) =>
    scalar("select count(*)::text from spend_logs where request_id like $1", [`${prefix}%`]);

  it("writes the rows and adds exactly their cost to each key, once", async () => {
    const [a, b] = [await newKey(), await newKey()];
    const p = `batch1-${counter++}-`;
    const rows = [
      spendRow({ requestId: `${p}1`, keyId: a, keyAlias: "a", cost: 0.000123 }),
      spendRow({ requestId: `${p}2`, keyId: a, keyAlias: "a", cost: 0.1 }),
      spendRow({ requestId: `${p}3`, keyId: a, keyAlias: "a", cost: 0.2 }), // 0.1 + 0.2 is not 0.3 in floats
      spendRow({ requestId: `${p}4`, keyId: b, keyAlias: "b", cost: 0.0000001 }), // 1e-7: exponent form in JS
      spendRow({ requestId: `${p}5`, keyId: null, cost: 5 }), // no key: logged, charged to nobody
    ];
    await writeSpend(t.db, rows);
    expect(await logCount(p)).toBe("5");
    expect(await spendOf(a)).toBe("0.3001230000");
    expect(await spendOf(b)).toBe("0.0000001000");

    // A retried batch (e.g. the first attempt committed but its response was lost) changes nothing.
    await writeSpend(t.db, rows);
    expect(await logCount(p)).toBe("5");
    expect(await spendOf(a)).toBe("0.3001230000");
    expect(await spendOf(b)).toBe("0.0000001000");

    // A batch overlapping the old one only charges its new rows.
    await writeSpend(t.db, [rows[0]!, spendRow({ requestId: `${p}6`, keyId: a, cost: 0.000877 })]);
    expect(await logCount(p)).toBe("6");
    expect(await spendOf(a)).toBe("0.3010000000");

    // The Worker's read path sees the new spend.
    expect((await findKeyByHash(t.db, (await scalar("select key_hash from api_keys where id = $1", [a]))!))?.spend).toBe(
      0.301,
    );
  });

  it("stores every column of a row as given", async () => {
    const key = await newKey();
    const requestId = `cols-${counter++}`;
    await writeSpend(t.db, [
      spendRow({ requestId, keyId: key, keyAlias: "cols", cost: 0.0123456789, stream: false, endTime: null }),
    ]);
    const r = await t.backend.query({
      text: `select key_id::text, key_alias, model, bedrock_model, input_tokens::text, output_tokens::text,
                    cache_read_input_tokens::text, cache_creation_input_tokens::text, cost::text, latency_ms::text,
                    status::text, stream::text, target, to_char(start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'),
                    end_time::text
             from spend_logs where request_id = $1`,
      params: [requestId],
    });
    expect(r.rows).toEqual([
      [key, "cols", "claude-sonnet-4-6", "us.anthropic.claude-sonnet-4-6", "10", "20", "3", "4", "0.0123456789",
        "123", "200", "false", "bedrock", "2026-11-22T10:00:00.123", null],
    ]);
  });

  it("stores the end time to the millisecond, and makes invalid values valid instead of failing the batch", async () => {
    const key = await newKey();
    const p = `valid-${counter++}-`;
    const before = Date.now();
    await writeSpend(t.db, [
      spendRow({ requestId: `${p}1`, keyId: key, cost: 0.5 }),
      spendRow({
        requestId: `${p}2`, keyId: key, cost: Number.NaN, inputTokens: 2 ** 40, outputTokens: Number.POSITIVE_INFINITY,
        latencyMs: 1.6, startTime: new Date(Number.NaN), endTime: new Date(Number.NaN),
      }),
    ]);
    const times = (id: string) =>
      t.backend.query({
        text: `select to_char(end_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'), (extract(epoch from start_time) * 1000)::bigint::text,
                      input_tokens::text, output_tokens::text, latency_ms::text, cost::text
               from spend_logs where request_id = $1`,
        params: [id],
      });
    expect((await times(`${p}1`)).rows[0]?.[0]).toBe("2026-11-22T10:00:01.456");
    const [end, startMs, input, output, latency, cost] = (await times(`${p}2`)).rows[0] as string[];
    // An invalid start is the time of writing; an invalid end is none; counts are clamped to the column; no cost is 0.
    expect(end).toBeNull();
    expect(Number(startMs)).toBeGreaterThanOrEqual(before);
    expect(Number(startMs)).toBeLessThanOrEqual(Date.now());
    expect([input, output, latency, cost]).toEqual(["2147483647", "0", "2", "0.0000000000"]);
    expect(await spendOf(key)).toBe("0.5000000000");
  });

  it("stores any batch as given, and adds to each key exactly the cost of the rows it stored (property)", async () => {
    const [a, b] = [await newKey(), await newKey()];
    const deleted = "00000000-0000-4000-8000-00000000dead";
    // What the gateway can hand over: names from the catalog and the admin API (any text Postgres stores), counts,
    // costs and times as computed, including values the encoding has to make valid.
    const text = fc.string({ unit: "grapheme-composite", maxLength: 40 }).filter((t) => !t.includes("\u0000"));
    const count = fc.oneof(fc.nat({ max: 500_000 }), fc.constantFrom(0, 2 ** 31, -1, 1.5));
    const when = fc.oneof(fc.integer({ min: Date.parse("2020-01-01"), max: Date.parse("2040-01-01") }), fc.constant(Number.NaN));
    const rowArb = fc.record({
      keyId: fc.constantFrom<string | null>(a, b, null, deleted),
      keyAlias: fc.option(text),
      model: text,
      bedrockModel: fc.option(text),
      inputTokens: count,
      outputTokens: count,
      cacheReadInputTokens: count,
      cacheCreationInputTokens: count,
      images: fc.option(fc.nat({ max: 10 }), { nil: undefined }),
      cost: fc.oneof(fc.double({ min: 0, max: 50, noNaN: true }), fc.constantFrom(0.000123, 1e-7, -1, Number.NaN)),
      latencyMs: fc.option(fc.nat({ max: 600_000 })),
      status: fc.constantFrom(200, 400, 429, 499, 502),
      stream: fc.boolean(),
      target: fc.option(text),
      start: when,
      end: fc.option(when),
    });
    const clamp = (n: number) => (Number.isFinite(n) ? Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(n))) : 0);
    let batch = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 12 }), async (drawn) => {
        const p = `prop-${counter++}-${batch++}-`;
        const rows: SpendRow[] = drawn.map(({ start, end, ...r }, i) => ({ ...r, requestId: `${p}${i}`, startTime: new Date(start), endTime: end === null ? null : new Date(end) }));
        const spendBefore = [await spendOf(a), await spendOf(b)];
        const before = Date.now();
        await writeSpend(t.db, rows);
        const stored = await t.backend.query({
          text: `select request_id, coalesce(key_id::text, ''), key_alias, model, bedrock_model, input_tokens::text, output_tokens::text,
                        cache_read_input_tokens::text, cache_creation_input_tokens::text, images::text, cost::text, latency_ms::text,
                        status::text, stream::text, target,
                        (extract(epoch from start_time) * 1000)::bigint::text, (extract(epoch from end_time) * 1000)::bigint::text
                 from spend_logs where request_id like $1 order by request_id`,
          params: [`${p}%`],
        });
        expect(stored.rows.length).toBe(rows.length);
        for (const got of stored.rows as unknown[][]) {
          const r = rows[Number(String(got[0]).slice(p.length))]!;
          expect(got.slice(1, 10)).toEqual([
            r.keyId === a || r.keyId === b ? r.keyId : "", r.keyAlias, r.model, r.bedrockModel,
            ...[r.inputTokens, r.outputTokens, r.cacheReadInputTokens, r.cacheCreationInputTokens].map((n) => String(clamp(n))),
            r.images === undefined ? null : String(r.images),
          ]);
          // numeric(20, 10): the cost to ten decimals; nothing negative or NaN is charged.
          const cost = Number.isFinite(r.cost) && r.cost > 0 ? r.cost : 0;
          expect(Math.abs(Number(got[10]) - cost)).toBeLessThanOrEqual(5e-11);
          expect(got.slice(11, 15)).toEqual([r.latencyMs === null ? null : String(clamp(r.latencyMs)), String(r.status), String(r.stream), r.target]);
          const start = r.startTime.getTime();
          if (Number.isNaN(start)) expect(Number(got[15])).toBeGreaterThanOrEqual(before);
          else expect(Number(got[15])).toBe(start);
          const end = r.endTime?.getTime() ?? Number.NaN;
          expect(got[16]).toBe(Number.isNaN(end) ? null : String(end));
        }
        // Each key's spend grew by exactly what its stored rows cost, in numeric arithmetic.
        for (const [i, key] of [a, b].entries()) {
          const sum = await scalar("select coalesce(sum(cost), 0)::text from spend_logs where request_id like $1 and key_id = $2", [`${p}%`, key]);
          const grew = await scalar("select ($1::numeric - $2::numeric)::text", [await spendOf(key), spendBefore[i]!]);
          expect(Number(grew)).toBe(Number(sum));
          expect(await scalar("select ($1::numeric = $2::numeric)::text", [grew, sum])).toBe("true");
        }
      }),
      { numRuns: 100 },
    );
  });

  it("logs a row whose key id is not one without a key, and one without a model as unknown, instead of failing the batch", async () => {
    const key = await newKey();
    const p = `odd-${counter++}-`;
    await writeSpend(t.db, [
      spendRow({ requestId: `${p}1`, keyId: "not-a-key", keyAlias: "odd", cost: 1 }),
      spendRow({ requestId: `${p}2`, keyId: key, model: undefined as unknown as string, cost: 2 }),
    ]);
    expect(await logCount(p)).toBe("2");
    expect(await scalar("select coalesce(key_id::text, 'NULL') || ' ' || key_alias from spend_logs where request_id = $1", [`${p}1`])).toBe("NULL odd");
    expect(await scalar("select model from spend_logs where request_id = $1", [`${p}2`])).toBe("unknown");
    expect(await spendOf(key)).toBe("2.0000000000");
  });

  it("counts a request id repeated inside one batch once", async () => {
    const key = await newKey();
    const requestId = `dup-${counter++}`;
    await writeSpend(t.db, [
      spendRow({ requestId, keyId: key, cost: 1 }),
      spendRow({ requestId, keyId: key, cost: 1 }),
    ]);
    expect(await logCount(requestId)).toBe("1");
    expect(await spendOf(key)).toBe("1.0000000000");
  });

  it("logs a row whose key was deleted with key_id null instead of failing the batch", async () => {
    const live = await newKey();
    const gone = "00000000-0000-4000-8000-000000000000";
    const p = `gone-${counter++}-`;
    await writeSpend(t.db, [
      spendRow({ requestId: `${p}1`, keyId: gone, keyAlias: "deleted", cost: 1 }),
      spendRow({ requestId: `${p}2`, keyId: live, cost: 2 }),
    ]);
    expect(await logCount(p)).toBe("2");
    expect(await scalar("select coalesce(key_id::text, 'NULL') || ' ' || key_alias from spend_logs where request_id = $1", [`${p}1`])).toBe(
      "NULL deleted",
    );
    expect(await spendOf(live)).toBe("2.0000000000");
  });

  it("adds up concurrent batches exactly, and counts a batch retried concurrently once", async () => {
    const key = await newKey();
    const p = `conc-${counter++}-`;
    const batches = Array.from({ length: 20 }, (_, i) => [spendRow({ requestId: `${p}${i}`, keyId: key, cost: 0.000123 })]);
    // Every batch twice at the same time, as two isolates retrying could.
    await Promise.all([...batches, ...batches].map((rows) => writeSpend(t.db, rows)));
    expect(await logCount(p)).toBe("20");
    expect(await spendOf(key)).toBe("0.0024600000");
  });

  it("does nothing for an empty batch", async () => {
    await expect(writeSpend(t.db, [])).resolves.toBeUndefined();
  });
});

describe("the Neon HTTP protocol through the shim", () => {
  // Neon's own driver, pointed at the shim (this test process only): the reference for the protocol.
  beforeAll(() => {
    neonConfig.fetchEndpoint = t.shim.httpEndpoint;
  });
  const sql = () => neon(t.shim.databaseUrl);

  it("sends statements where Neon's driver sends them: https://api.<region host>/sql", () => {
    expect(neonSqlEndpoint("postgres://u:p@ep-cool-name-123.us-east-2.aws.neon.tech/neondb?sslmode=require")).toBe("https://api.us-east-2.aws.neon.tech/sql");
    expect(neonSqlEndpoint("postgresql://u:p@ep-x-pooler.eu-central-1.aws.neon.tech:5432/db")).toBe("https://api.eu-central-1.aws.neon.tech/sql");
  });

  it("the Worker's transport parses every type exactly as Neon's driver does (as objects and as arrays)", async () => {
    const query = `select 1.10::numeric(20,10) as n, 9007199254740993::int8 as big, true as b, false as f, 7::int2 as small,
      2.5::float8 as fl, '{"k": [1, 2.5]}'::jsonb as j, '[1]'::json as js, null::text as nothing, 42::int4 as i, 'x'::text as s,
      $1::uuid as u, $2::timestamptz as ts`;
    const params = ["7f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f", "2026-11-22T10:00:00.500Z"];
    const [reference] = (await sql().query(query, params)) as Record<string, unknown>[];
    const mine = neonHttp(t.shim.databaseUrl, { endpoint: t.shim.httpEndpoint });
    const [row] = (await mine(query, params, "objects")) as Record<string, unknown>[];
    // Timestamps stay text for drizzle's column mapper (as the neon-http driver configured Neon's driver to do).
    const expected = { n: "1.1000000000", big: "9007199254740993", b: true, f: false, small: 7, fl: 2.5, j: { k: [1, 2.5] }, js: [1], nothing: null, i: 42, s: "x", u: params[0], ts: row!.ts };
    expect(row).toEqual(expected);
    expect(Date.parse(String(row!.ts))).toBe(Date.parse(params[1]!));
    // Neon's driver parses timestamptz into a Date (the neon-http drizzle driver turned that off); all else is equal.
    expect(reference!.ts).toEqual(new Date(params[1]!));
    expect({ ...reference, ts: row!.ts }).toEqual(expected);
    expect(await mine(query, params, "arrays")).toEqual([Object.values(expected)]);
  });

  it("the Worker's transport raises Postgres' errors with their fields, and a timeout without hanging", async () => {
    const mine = neonHttp(t.shim.databaseUrl, { endpoint: t.shim.httpEndpoint });
    const err = await mine("select 1/0", [], "objects").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).code).toBe("22012");
    const slow = neonHttp(t.shim.databaseUrl, { endpoint: t.shim.httpEndpoint, timeoutMs: 50 });
    const timedOut = await slow("select pg_sleep(2)", [], "objects").catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(DatabaseError);
    expect((timedOut as Error).message).toBe("Error connecting to database: timed out");
    const unreachable = neonHttp("postgres://u:secret@127.0.0.1:1/db", { endpoint: "http://127.0.0.1:1/sql" });
    const down = await unreachable("select 1", [], "objects").catch((e: unknown) => e);
    expect(down).toBeInstanceOf(DatabaseError);
    expect((down as Error).message).not.toContain("secret");
  });

  it("runs sql.transaction([...]) atomically and returns every result", async () => {
    const q = sql();
    const alias = `txn-${counter++}`;
    const [inserted, counted] = await q.transaction([
      q`insert into api_keys (key_hash, key_prefix, key_alias) values (${await uniqueHash()}, 'sk-bw-txn1', ${alias}) returning key_alias`,
      q`select count(*)::int as n from api_keys where key_alias = ${alias}`,
    ]);
    expect(inserted).toEqual([{ key_alias: alias }]);
    expect(counted).toEqual([{ n: 1 }]);
  });

  it("rolls the whole transaction back when a statement fails", async () => {
    const q = sql();
    const alias = `rollback-${counter++}`;
    const err = await q
      .transaction([
        q`insert into api_keys (key_hash, key_prefix, key_alias) values (${await uniqueHash()}, 'sk-bw-txn2', ${alias})`,
        q`select 1 / 0`,
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect((err as NeonDbError).code).toBe("22012"); // division_by_zero
    expect(await scalar("select count(*)::text from api_keys where key_alias = $1", [alias])).toBe("0");
  });

  it("honours the isolation level and read-only settings of a transaction", async () => {
    const q = sql();
    const results = await q.transaction(
      [
        q`select current_setting('transaction_isolation') as v`,
        q`select current_setting('transaction_read_only') as v`,
        q`select current_setting('transaction_deferrable') as v`,
      ],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect(results).toEqual([[{ v: "serializable" }], [{ v: "on" }], [{ v: "on" }]]);

    const err = await q
      .transaction([q`insert into api_keys (key_hash, key_prefix) values (${await uniqueHash()}, 'sk-bw-ro00')`], {
        readOnly: true,
      })
      .catch((e: unknown) => e);
    expect((err as NeonDbError).code).toBe("25006"); // read_only_sql_transaction
  });

  it("parses values by type OID exactly as from Neon (numeric stays exact text, int8 text, arrays, jsonb, null)", async () => {
    const [row] = await sql()`select 1.10::numeric(20,10) as n, 9007199254740993::int8 as big, true as b,
      '{a,"b c",NULL}'::text[] as arr, '{"k": [1, 2.5]}'::jsonb as j, null::text as nothing, 42::int4 as i`;
    expect(row).toEqual({
      n: "1.1000000000",
      big: "9007199254740993",
      b: true,
      arr: ["a", "b c", null],
      j: { k: [1, 2.5] },
      nothing: null,
      i: 42,
    });
  });

  it("sends Postgres' TEXT output byte for byte, with the type OIDs and command tag", async () => {
    const query = `select 0.000123::numeric(20,10) as n, '2026-11-22 10:00:00.5+00'::timestamptz as ts,
      '{x,"y z"}'::text[] as arr, '{"b": 1, "a": [true, null]}'::jsonb as j, false as f, null::int as z`;
    const direct = await t.backend.query({ text: query, params: [] });
    const res = await postShim({ query, params: [] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { fields: { name: string; dataTypeID: number }[]; rows: unknown[][]; command: string; rowCount: number; rowAsArray: boolean };
    expect(body.rows).toEqual(direct.rows);
    expect(body.rows[0]).toEqual([
      "0.0001230000",
      direct.rows[0]![1], // timestamptz text depends on the server's TimeZone setting; same text either way
      '{x,"y z"}',
      '{"a": [true, null], "b": 1}',
      "f",
      null,
    ]);
    expect(body.fields.map((f) => f.dataTypeID)).toEqual([1700, 1184, 1009, 3802, 16, 23]);
    expect(body.fields.map((f) => f.name)).toEqual(["n", "ts", "arr", "j", "f", "z"]);
    expect([body.command, body.rowCount, body.rowAsArray]).toEqual(["SELECT", 1, true]);
  });

  it("converts values to JSON types when raw text output is not requested", async () => {
    const res = await postShim(
      { query: "select $1::int as i, $2::bool as b, $3::jsonb as j, $4::text[] as a, $5::numeric as n", params: [7, true, { x: 1 }, ["p", "q r"], "1.50"] },
      { "Neon-Raw-Text-Output": "false", "Neon-Array-Mode": "false" },
    );
    const body = (await res.json()) as { rows: unknown[]; rowAsArray: boolean };
    expect(body.rowAsArray).toBe(false);
    expect(body.rows).toEqual([{ i: 7, b: true, j: { x: 1 }, a: ["p", "q r"], n: "1.50" }]);
  });

  it("refuses several statements in one query, as Neon does", async () => {
    const err = await sql()
      .query("select 1; select 2")
      .catch((e: unknown) => e);
    expect((err as NeonDbError).code).toBe("42601");
  });

  it("answers a bad request with 400 and a message instead of hanging", async () => {
    const bad = await postShim({ query: "select 1", params: [] }, { "Neon-Batch-Isolation-Level": "Chaotic" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe("invalid isolation level");
    const garbage = await fetch(t.shim.httpEndpoint, {
      method: "POST",
      headers: { "Neon-Connection-String": t.shim.databaseUrl },
      body: "not json",
    });
    expect(garbage.status).toBe(400);
  });
});

describe("local PGlite directory", () => {
  it("is migrated on open and refuses a second opener while in use", async () => {
    const root = mkdtempSync(join(tmpdir(), "bw-pgdata-"));
    const dir = join(root, "pgdata");
    try {
      const first = await openLocalPglite(dir);
      try {
        await expect(openLocalPglite(dir)).rejects.toThrow(/in use by process/);
        const tables = await first.pglite.query<{ n: number }>(
          "select count(*)::int as n from information_schema.tables where table_name in ('api_keys', 'spend_logs')",
        );
        expect(tables.rows[0]?.n).toBe(2);
      } finally {
        await first.close();
      }
      // Released on close: the next run opens it again, with the data kept and migrations not re-applied.
      const second = await openLocalPglite(dir);
      const applied = await second.pglite.query<{ n: number }>("select count(*)::int as n from drizzle.__drizzle_migrations");
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
      expect(applied.rows[0]?.n).toBe(journal.entries.length);
      await second.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function postShim(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(t.shim.httpEndpoint, {
    method: "POST",
    headers: {
      "Neon-Connection-String": t.shim.databaseUrl,
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

function findCause<T>(err: unknown, match: (e: unknown) => e is T): T | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (match(e)) return e;
  }
  return undefined;
}
