// What may reach Postgres: text without NUL or lone surrogates, JSON within its depth and size limits, dates within
// 1970-9999; and how a database that fails or does not answer is reported (503 with Retry-After, never a hang).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { DatabaseError, neonHttp } from "../../worker/db/neon-http.ts";
import { findUnstorable, jsonBytes, MAX_JSON_DEPTH, MAX_METADATA_BYTES, textProblem, timeProblem } from "../../worker/db/storable.ts";
import { databaseFailure } from "../../worker/edge/backend-errors.ts";
import { Catalog } from "../../worker/models/catalog.ts";
import { checkStorable, instantParam } from "../../worker/routes/admin/input.ts";
import { fieldsForNewKey } from "../../worker/routes/admin/key-fields.ts";
import { refusal } from "../support/refusal.ts";


/** `{"a":{"a":…}}` with `depth` objects. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("text", () => {
  it("refuses NUL and unpaired surrogates, accepts every other string", () => {
    expect(textProblem("a\u0000b")).toMatch(/NUL/);
    expect(textProblem("\u0000")).toMatch(/NUL/);
    expect(textProblem("\ud800")).toMatch(/surrogate/);
    expect(textProblem("x\udc00")).toMatch(/surrogate/);
    expect(textProblem("\udc00\ud800")).toMatch(/surrogate/);
    for (const ok of ["", "plain", "😀", "\ud83d\ude00", "é\u00ff\uffff", "\u0001\u001f", "\ufffd", "tab\tnew\nline"]) expect(textProblem(ok)).toBeNull();
  });
});

describe("dates", () => {
  it("accepts 1970 to the end of 9999 only", () => {
    expect(timeProblem(Date.UTC(1970, 0, 1))).toBeNull();
    expect(timeProblem(Date.UTC(9999, 11, 31, 23, 59, 59, 999))).toBeNull();
    expect(timeProblem(Date.UTC(1969, 11, 31, 23, 59, 59))).toMatch(/1970/);
    expect(timeProblem(Date.UTC(10000, 0, 1))).toMatch(/9999/);
    expect(timeProblem(Number.NaN)).not.toBeNull();
  });

  it("date parameters outside the range are a 400 naming the parameter", () => {
    expect(refusal(() => instantParam("end_date", "0000-01-01"))).toMatchObject({ status: 400, param: "end_date" });
    expect(refusal(() => instantParam("start_date", "1969-12-31"))).toMatchObject({ status: 400, param: "start_date" });
    // 9999-12-31 at 23:30 in UTC-14 is already year 10000 in UTC.
    expect(refusal(() => instantParam("expires", "9999-12-31T23:30:00-14:00")).message).toMatch(/^expires: must be between/);
    expect(refusal(() => instantParam("expires", "not a date")).param).toBe("expires");
    expect(instantParam("start_date", "2026-05-01").at.toISOString()).toBe("2026-05-01T00:00:00.000Z");
    expect(instantParam("end_date", "9999-12-31").dateOnly).toBe(true);
  });

  it("a key's expires beyond 9999 is refused", () => {
    const rules = { catalog: new Catalog({ geoPrefix: "us" }), defaults: {}, limits: {}, now: new Date("2026-03-10T00:00:00Z") };
    expect(refusal(() => fieldsForNewKey({ expires: "9999-12-31T23:59:00-01:00" }, rules))).toMatchObject({ status: 400, param: "expires" });
    expect(fieldsForNewKey({ expires: "9999-12-31" }, rules).expires).toEqual(new Date("9999-12-31T00:00:00Z"));
  });
});

describe("JSON", () => {
  it("finds the first unstorable string, key or over-deep value, with its path", () => {
    expect(findUnstorable({ a: [1, "ok", { b: "x\u0000" }] })).toMatchObject({ path: ["a", 2, "b"], problem: expect.stringMatching(/NUL/) });
    expect(findUnstorable({ ok: 1, ["k\ud800"]: 1 })).toMatchObject({ path: ["k\ud800"], problem: expect.stringMatching(/key.*surrogate/) });
    expect(findUnstorable(nested(MAX_JSON_DEPTH))).toBeNull();
    const deep = findUnstorable(nested(MAX_JSON_DEPTH + 1));
    expect(deep?.problem).toMatch(/nested too deeply/);
    expect(deep?.path).toEqual(Array(MAX_JSON_DEPTH).fill("a"));
    expect(findUnstorable([[[[]]]], 3)?.path).toEqual([0, 0, 0]);
    expect(findUnstorable({ n: null, t: true, f: 1.5, s: "fine", arr: [] })).toBeNull();
  });

  it("walks 100,000 levels without exhausting the stack (it stops at the limit)", () => {
    let text = "1";
    for (let i = 0; i < 100_000; i++) text = `[${text}]`;
    expect(findUnstorable(JSON.parse(text))?.problem).toMatch(/nested too deeply/);
  });

  it("an admin body's problem is a 400 naming the field and the path in it", () => {
    expect(refusal(() => checkStorable({ key_alias: "\u0000" }))).toMatchObject({ status: 400, param: "key_alias" });
    expect(refusal(() => checkStorable({ key_aliases: ["ok", "b\u0000d"] }))).toMatchObject({ param: "key_aliases.1" });
    expect(refusal(() => checkStorable({ metadata: { team: { name: "\udfff" } } }))).toMatchObject({ param: "metadata.team.name" });
    expect(refusal(() => checkStorable({ metadata: nested(10_000) })).message).toMatch(/^metadata: is nested too deeply/);
    expect(() => checkStorable({ metadata: nested(MAX_JSON_DEPTH), key_alias: "é😀" })).not.toThrow();
  });

  it("metadata larger than 16 KiB is refused, at the limit accepted", () => {
    const rules = { catalog: new Catalog({ geoPrefix: "us" }), defaults: {}, limits: {}, now: new Date() };
    const sized = (bytes: number) => ({ pad: "x".repeat(bytes - jsonBytes({ pad: "" })) });
    expect(jsonBytes(sized(MAX_METADATA_BYTES))).toBe(MAX_METADATA_BYTES);
    expect(fieldsForNewKey({ metadata: sized(MAX_METADATA_BYTES) }, rules).metadata).toEqual(sized(MAX_METADATA_BYTES));
    expect(refusal(() => fieldsForNewKey({ metadata: sized(MAX_METADATA_BYTES + 1) }, rules))).toMatchObject({ status: 400, param: "metadata" });
    // Bytes, not characters: 6,000 three-byte characters are 18 KB.
    expect(refusal(() => fieldsForNewKey({ metadata: { pad: "€".repeat(6000) } }, rules)).param).toBe("metadata");
  });
});

describe("database failures", () => {
  const base = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "secret", DATABASE_URL: "postgres://u:p@db.example.com/db" };

  it("DATABASE_TIMEOUT_MS configures the deadline (10 s by default), within bounds", () => {
    expect(parseConfig(base).database.timeoutMs).toBe(10_000);
    expect(parseConfig({ ...base, DATABASE_TIMEOUT_MS: "2500" }).database.timeoutMs).toBe(2500);
    expect(() => parseConfig({ ...base, DATABASE_TIMEOUT_MS: "0" })).toThrow(/DATABASE_TIMEOUT_MS/);
    expect(() => parseConfig({ ...base, DATABASE_TIMEOUT_MS: "soon" })).toThrow(/DATABASE_TIMEOUT_MS/);
  });

  it("a statement that gets no answer is aborted at the deadline and reported unavailable", async () => {
    let aborted = false;
    // A database that accepts the request and never answers, until the caller gives up.
    const stalled: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          aborted = true;
          reject(init.signal!.reason);
        });
      });
    const query = neonHttp("postgres://u:secret@db.example.com/db", { timeoutMs: 50, fetch: stalled });
    const err = await query("select 1", [], "objects").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).unavailable).toBe(true);
    expect((err as Error).message).toBe("Error connecting to database: timed out");
    expect(aborted).toBe(true);
  });

  it("a deadline hit while the answer's body is read is reported the same way", async () => {
    const slowBody: typeof fetch = async (_input, init) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"fields":['));
            init?.signal?.addEventListener("abort", () => controller.error(init.signal!.reason));
          },
        }),
        { status: 200 },
      );
    const err = await neonHttp("postgres://u:p@h/db", { timeoutMs: 50, fetch: slowBody })("select 1", [], "arrays").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).unavailable).toBe(true);
  });

  it("the proxy's own failures and Postgres' availability codes are unavailable; statement errors are not", async () => {
    const answering = (status: number, body: unknown): typeof fetch => async () => new Response(JSON.stringify(body), { status });
    const run = (f: typeof fetch) => neonHttp("postgres://u:p@h/db", { fetch: f })("select 1", [], "objects").then(() => ({ unavailable: "answered" }), (e: unknown) => e as DatabaseError);
    expect((await run(answering(503, { message: "down" }))).unavailable).toBe(true);
    expect((await run(answering(500, { message: "could not reach" }))).unavailable).toBe(true);
    expect((await run(answering(400, { message: "canceling statement due to statement timeout", code: "57014" }))).unavailable).toBe(true);
    expect((await run(answering(400, { message: "too many connections", code: "53300" }))).unavailable).toBe(true);
    expect((await run(answering(400, { message: "connection failure", code: "08006" }))).unavailable).toBe(true);
    expect((await run(answering(400, { message: "division by zero", code: "22012" }))).unavailable).toBe(false);
    expect((await run(answering(400, { message: "syntax error", code: "42601" }))).unavailable).toBe(false);
  });

  it("maps to 503 with Retry-After (through drizzle's wrapping), a refused value to 400, anything else to nothing", () => {
    const wrapped = (e: Error) => Object.assign(new Error("Failed query: select … params: …"), { cause: e });
    const down = databaseFailure(wrapped(new DatabaseError("Error connecting to database: timed out", {}, true)));
    expect(down?.status).toBe(503);
    expect(down?.headers?.["retry-after"]).toMatch(/^\d+$/);
    expect(databaseFailure(wrapped(new DatabaseError("invalid byte sequence", { code: "22021" })))?.status).toBe(400);
    expect(databaseFailure(wrapped(new DatabaseError("stack depth limit exceeded", { code: "54001" })))?.status).toBe(400);
    expect(databaseFailure(wrapped(new DatabaseError("division by zero", { code: "22012" })))).toBeNull();
    expect(databaseFailure(new Error("a bug"))).toBeNull();
  });
});
