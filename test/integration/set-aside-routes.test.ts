// Set-aside spend rows end to end: chunks in a key's meter object that its flush could not read, listed a page at a
// time, shown whole, salvaged into the key's spend and discarded through the admin API and `breakwater unreadable`.
// The Worker's own app and services run in Node against real Postgres (test/support/node-gateway.ts), and the key's
// object is the real KeyMeterObject; its storage is a stand-in
// (test/support/durable-storage.ts), since only a stand-in lets a test write chunks a healthy flush never leaves, and
// the Durable Object namespace hands each key's calls to that object as workerd would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpendRow } from "../../worker/db/queries.ts";
import { KeyMeterObject } from "../../worker/meter/key-meter-object.ts";
import { captureLogs } from "../support/captured-logs.ts";
import { runCli } from "../support/cli-run.ts";
import { startTestDatabase, type TestDatabase } from "../support/database.ts";
import { storageStandIn } from "../support/durable-storage.ts";
import { nodeGateway, type NodeGateway } from "../support/node-gateway.ts";

const MASTER = "sk-master-set-aside-0123456789abcdefghijklmnop";

let database: TestDatabase;
let gateway: NodeGateway["fetch"];
/** Each key's object and its storage, made on first call as workerd makes an object on its first request. */
const objects = new Map<string, { object: KeyMeterObject; data: Map<string, unknown> }>();
let objectOf: (keyId: string) => { object: KeyMeterObject; data: Map<string, unknown> };

beforeAll(async () => {
  database = await startTestDatabase();
  const node = nodeGateway(database, MASTER, (env) => {
    objectOf = (keyId) => {
      let o = objects.get(keyId);
      if (!o) {
        const { ctx: state, data } = storageStandIn();
        o = { object: new KeyMeterObject(state, env), data };
        objects.set(keyId, o);
      }
      return o;
    };
    return {
      idFromName: (name: string) => ({ name }),
      get: (id: { name: string }) => ({ fetch: (url: string, init: RequestInit) => objectOf(id.name).object.fetch(new Request(url, init)) }),
    } as unknown as DurableObjectNamespace;
  });
  gateway = node.fetch;
});
afterAll(async () => {
  await database?.stop();
});

const cli = (argv: string[]) => runCli(argv, { env: { BREAKWATER_URL: "http://gateway.test", BREAKWATER_MASTER_KEY: MASTER }, fetch: gateway as typeof fetch });

/** Runs `f` with the gateway's log lines held back (they are not what these tests check). */
const quietly = async <T>(f: () => Promise<T>): Promise<T> => (await captureLogs(f)).result;

const row = (keyId: string, i: number): SpendRow => ({
  // No request id: the kind of row a flush sets aside, billed under one made from its chunk's name and place.
  requestId: "", keyId, keyAlias: "aside", model: "claude-sonnet-4-6", bedrockModel: "us.anthropic.claude-sonnet-4-6",
  inputTokens: 100, outputTokens: 10, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, cost: 0.01 * (i + 1), latencyMs: 5,
  status: 200, stream: false, target: null, startTime: new Date("2026-12-05T10:00:00Z"), endTime: new Date("2026-12-05T10:00:01Z"),
});

describe("set-aside spend rows through the Worker and the CLI", () => {
  it("lists 50 a page, shows one past the first page whole, bills what can be read once, and discards the rest", async () => {
    const made = await quietly(() => cli(["key", "create", "aside", "--no-settings", "--json"]));
    expect(made.code, made.err).toBe(0);
    const keyId = (JSON.parse(made.out) as { token_id: string }).token_id;
    const { data } = objectOf(keyId);
    const names = Array.from({ length: 59 }, (_, i) => `rows:b-${String(i).padStart(3, "0")}:0`);
    names.forEach((name, i) => data.set(`unreadable:${name}`, JSON.stringify([row(keyId, i)])));
    data.set("unreadable:rows:broken:0", '[{"requestId":"x", oops');

    const first = await quietly(() => cli(["unreadable", keyId]));
    expect(first.code, first.err).toBe(0);
    const listed = first.out.split("\n").filter((l) => l.startsWith("rows:"));
    expect(listed).toHaveLength(50);
    expect(listed[0]).toMatch(/^rows:b-000:0\s+\d+\s+rows without their request id$/);
    expect(first.out).toContain(`More follow: breakwater unreadable ${keyId} --after rows:b-049:0`);

    const second = await quietly(() => cli(["unreadable", keyId, "--after", "rows:b-049:0"]));
    const rest = second.out.split("\n").filter((l) => l.startsWith("rows:"));
    expect(rest.map((l) => l.split(/\s+/)[0])).toEqual([...names.slice(50), "rows:broken:0"]);
    expect(rest.at(-1)).toMatch(/^rows:broken:0\s+23\s+not JSON/);
    expect(second.out).not.toContain("More follow");

    const shown = await quietly(() => cli(["unreadable", keyId, "--show", "rows:b-055:0"]));
    expect(shown.code, shown.err).toBe(0);
    expect(JSON.parse(shown.out)).toEqual([JSON.parse(JSON.stringify(row(keyId, 55)))]);

    const before = await info(keyId);
    const salvaged = await quietly(() => cli(["unreadable", keyId, "--salvage"]));
    expect(salvaged.out).toMatch(/^Salvaged 59 rows from 59 chunks\.\nKept rows:broken:0: not JSON: .+\n$/);
    // Every salvaged row billed once: 0.01 + 0.02 + … + 0.59.
    const total = (59 * 60 * 0.01) / 2;
    expect((await info(keyId)).spend - before.spend).toBeCloseTo(total, 9);
    const again = await quietly(() => cli(["unreadable", keyId, "--salvage"]));
    expect(again.out).toMatch(/^Salvaged 0 rows from 0 chunks\.\nKept rows:broken:0/);
    expect((await info(keyId)).spend - before.spend).toBeCloseTo(total, 9);

    const discarded = await quietly(() => cli(["unreadable", keyId, "--discard", "rows:broken:0"]));
    expect(discarded.out).toBe("Discarded 1 of 1 chunk.\n");
    expect((await quietly(() => cli(["unreadable", keyId]))).out).toBe("No spend rows are set aside for this key.\n");
    expect([...data.keys()].filter((k) => k.startsWith("unreadable:"))).toEqual([]);
  });
});

async function info(keyId: string): Promise<{ spend: number }> {
  const res = await gateway(`http://gateway.test/key/info?key=${keyId}`, { headers: { authorization: `Bearer ${MASTER}` } });
  return (((await res.json()) as { info: { spend: number } }).info);
}
