// How `breakwater unreadable` shows a key's set-aside spend-row chunks. The gateway's side is tested against the real
// Worker (test/integration/admin-api.test.ts, key-meter-storage.test.ts), where a key has none unless storage is
// damaged; here the admin API is a stand-in answering with chunks, to check what the command asks and prints.
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run.ts";

const TOKEN = "3f2a8c1e-0000-4000-8000-000000000001";
const CHUNKS = [
  { name: "rows:b1:0", bytes: 23, problem: "not JSON: Expected property name", text: '[{"requestId":"x", oops', truncated: false },
  { name: "rows:b2:0", bytes: 90_000, problem: "rows without their request id", text: "[".padEnd(65_536, "x"), truncated: true },
];
const WHOLE = "[".padEnd(90_000, "x");

/** The admin API's answers: a first page that says more follow, a second page, and each chunk alone. */
function answer(u: URL): { status: number; body: unknown } {
  if (u.pathname === "/spend/unreadable") {
    return u.searchParams.get("after") === "rows:b2:0"
      ? { status: 200, body: { key: TOKEN, chunks: [{ ...CHUNKS[0]!, name: "rows:b3:0" }], next: null } }
      : { status: 200, body: { key: TOKEN, chunks: CHUNKS, next: "rows:b2:0" } };
  }
  if (u.pathname === "/spend/unreadable/chunk") {
    const name = u.searchParams.get("name");
    if (name === "rows:b2:0") return { status: 200, body: { key: TOKEN, chunk: { ...CHUNKS[1]!, text: WHOLE, truncated: false } } };
    return { status: 404, body: { error: { message: "name: names no chunk set aside for this key", type: "not_found_error", param: "name", code: "not_found_error" } } };
  }
  return { status: 500, body: { error: { message: "unexpected" } } };
}

const run = (argv: string[]) =>
  runCli(argv, {
    env: { BREAKWATER_URL: "http://gateway.test", BREAKWATER_MASTER_KEY: "sk-master-test-0123456789" },
    cwd: "/",
    fetch: async (input) => {
      const { status, body } = answer(new URL(String(input)));
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    },
    now: () => new Date("2026-12-07T12:00:00Z"),
  });

describe("breakwater unreadable", () => {
  it("tables each chunk with its size and why it cannot be read, says what to do next and how to see the next page", async () => {
    const r = await run(["unreadable", TOKEN]);
    expect(r.code, r.err).toBe(0);
    expect(r.urls).toEqual([`GET /spend/unreadable?key=${TOKEN}`]);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^CHUNK\s+SIZE\s+WHY$/);
    expect(lines[1]).toMatch(/^rows:b1:0\s+23\s+not JSON: Expected property name$/);
    expect(lines[2]).toMatch(/^rows:b2:0\s+90,000\s+rows without their request id$/);
    expect(r.out).toContain(`More follow: breakwater unreadable ${TOKEN} --after rows:b2:0`);
    expect(r.out).toMatch(/--salvage bills what can be read/);

    const next = await run(["unreadable", TOKEN, "--after", "rows:b2:0"]);
    expect(next.urls).toEqual([`GET /spend/unreadable?key=${TOKEN}&after=rows%3Ab2%3A0`]);
    expect(next.out).toMatch(/^rows:b3:0\s/m);
    expect(next.out).not.toContain("More follow");
  });

  it("--show asks for the one chunk and prints all of its text, past what a listing shows", async () => {
    const r = await run(["unreadable", TOKEN, "--show", "rows:b2:0"]);
    expect(r.code, r.err).toBe(0);
    expect(r.urls).toEqual([`GET /spend/unreadable/chunk?key=${TOKEN}&name=rows%3Ab2%3A0`]);
    expect(r.out).toBe(`${WHOLE}\n`);
  });

  it("--show of a chunk the key does not have says so, with the gateway-error exit code", async () => {
    const r = await run(["unreadable", TOKEN, "--show", "rows:nope:0"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/names no chunk set aside for this key/);
    expect(r.out).toBe("");
  });

  it("refuses --after with another action before sending anything", async () => {
    const r = await run(["unreadable", TOKEN, "--after", "rows:b1:0", "--salvage"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--salvage and --after cannot be combined/);
    expect(r.requests).toEqual([]);
  });
});
