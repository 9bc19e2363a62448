// How `breakwater unreadable` shows a key's set-aside spend-row chunks. The gateway's side is tested against the real
// Worker (test/integration/admin-api.test.ts, key-meter-storage.test.ts), where a key has none unless storage is
// damaged; here the admin API is a stand-in answering with chunks, to check what the command prints of them.
import { describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";

const TOKEN = "3f2a8c1e-0000-4000-8000-000000000001";
const CHUNKS = [
  { name: "rows:b1:0", bytes: 23, problem: "not JSON: Expected property name", text: '[{"requestId":"x", oops', truncated: false },
  { name: "rows:b2:0", bytes: 90_000, problem: "rows without their request id", text: "[".padEnd(65_536, "x"), truncated: true },
];

async function run(argv: string[]): Promise<{ code: number; out: string; err: string; asked: string[] }> {
  let out = "";
  let err = "";
  const asked: string[] = [];
  const io: Io = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    env: { BREAKWATER_URL: "http://gateway.test", BREAKWATER_MASTER_KEY: "sk-master-test-0123456789" },
    cwd: "/",
    homeDir: "/nonexistent",
    fetch: async (input, init) => {
      const u = new URL(String(input));
      asked.push(`${init?.method ?? "GET"} ${u.pathname}${u.search}`);
      const body = u.pathname === "/spend/unreadable" ? { key: TOKEN, chunks: CHUNKS } : { error: { message: "unexpected" } };
      return new Response(JSON.stringify(body), { status: u.pathname === "/spend/unreadable" ? 200 : 500, headers: { "content-type": "application/json" } });
    },
    now: () => new Date("2026-12-07T12:00:00Z"),
    color: false,
  };
  const code = await main(argv, io);
  return { code, out, err, asked };
}

describe("breakwater unreadable", () => {
  it("tables each chunk with its size and why it cannot be read, and says what to do next", async () => {
    const r = await run(["unreadable", TOKEN]);
    expect(r.code, r.err).toBe(0);
    expect(r.asked).toEqual([`GET /spend/unreadable?key=${TOKEN}`]);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^CHUNK\s+SIZE\s+WHY$/);
    expect(lines[1]).toMatch(/^rows:b1:0\s+23\s+not JSON: Expected property name$/);
    expect(lines[2]).toMatch(/^rows:b2:0\s+90,000\s+rows without their request id$/);
    expect(r.out).toMatch(/--salvage bills what can be read/);
  });

  it("--show prints one chunk's text, and says when only its start was shown", async () => {
    const small = await run(["unreadable", TOKEN, "--show", "rows:b1:0"]);
    expect(small.out).toBe('[{"requestId":"x", oops\n');
    const large = await run(["unreadable", TOKEN, "--show", "rows:b2:0"]);
    expect(large.out).toMatch(/x\n… \(90,000 characters in all\)\n$/);
  });
});
