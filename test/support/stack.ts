// The whole local stack for integration tests: a migrated Postgres (PGlite, or a server when TEST_DATABASE_URL is set)
// behind the Neon-protocol shim, the Bedrock emulator, and the Worker in workerd wired to both.
import { createServer, request as httpRequest, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { insertKey } from "../../worker/db/queries.ts";
import { apiKeys, spendLogs } from "../../worker/db/schema.ts";
import { generateApiKey, keyPrefix, sha256Hex } from "../../worker/keys/hash.ts";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator/index.ts";
import { startTestDatabase } from "./database.ts";
import { startGateway, type Gateway } from "./worker-harness.ts";

export interface KeyOptions {
  alias?: string;
  models?: string[];
  maxBudget?: number | null;
  blocked?: boolean;
  expires?: Date | null;
  /** Any other columns (rate limits, budget duration, metadata), written right after the insert. */
  set?: Partial<typeof apiKeys.$inferInsert>;
}

export interface Stack {
  gateway: Gateway;
  emulator: Emulator;
  database: Awaited<ReturnType<typeof startTestDatabase>>;
  /** The exact bindings the Worker got, so another runtime (the Deno entry, the benchmark) can be pointed at the same stack. */
  gatewayEnv: Record<string, string>;
  /** HTTP requests the Worker made to the database shim so far (each Neon HTTP query is one). */
  dbRequests(): number;
  /** Simulates a database outage between the Worker and Postgres (the shim answers 503 while down). */
  setDatabaseDown(down: boolean): void;
  /**
   * Simulates a database that accepts statements and never answers (a hung query, a saturated server): requests are
   * held, unanswered, until the Worker gives up or stalling ends (then they are dropped).
   */
  setDatabaseStalled(stalled: boolean): void;
  createKey(opts?: KeyOptions): Promise<string>;
  setBlocked(key: string, blocked: boolean): Promise<void>;
  spendRows(): Promise<(typeof spendLogs.$inferSelect)[]>;
  keySpend(key: string): Promise<number>;
  /**
   * Waits until the spend log has at least `n` rows for the key alias (spend is written after the response; counting
   * one alias keeps other tests' late rows out of it) and returns them.
   */
  waitForSpendRows(alias: string, n: number, timeoutMs?: number): Promise<(typeof spendLogs.$inferSelect)[]>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Extra Worker env; a function gets the emulator first (e.g. to point BEDROCK_TARGETS at it). */
  env?: Record<string, string> | ((emulator: Emulator) => Record<string, string>);
  emulator?: EmulatorOptions;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const database = await startTestDatabase();
  const emulator = await startEmulator(opts.emulator);
  const extraEnv = typeof opts.env === "function" ? opts.env(emulator) : (opts.env ?? {});
  const counter = await countingProxy(database.shim.httpEndpoint);
  const gatewayEnv: Record<string, string> = {
    AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
    AWS_SECRET_ACCESS_KEY: "emulator-secret",
    AWS_REGION: "us-east-1",
    BEDROCK_ENDPOINT: emulator.url,
    DATABASE_URL: database.shim.databaseUrl,
    DATABASE_HTTP_ENDPOINT: counter.url,
    SPEND_FLUSH_DELAY_MS: "0",
    // Tests that check Cloudflare Access configure it (and drop this); the rest run as local dev does.
    BREAKWATER_DEV: "1",
    ...extraEnv,
  };
  const gateway = await startGateway(gatewayEnv);
  const db = database.db;

  const stack: Stack = {
    gateway,
    emulator,
    database,
    gatewayEnv,
    dbRequests: () => counter.count,
    setDatabaseDown: (down) => counter.setDown(down),
    setDatabaseStalled: (stalled) => counter.setStalled(stalled),
    async createKey(opts = {}) {
      const key = generateApiKey();
      await insertKey(db, {
        keyHash: await sha256Hex(key),
        keyPrefix: keyPrefix(key),
        keyAlias: opts.alias ?? "test",
        models: opts.models ?? [],
        maxBudget: opts.maxBudget ?? null,
      });
      const set = { ...opts.set, ...(opts.blocked || opts.expires ? { blocked: opts.blocked ?? false, expires: opts.expires ?? null } : {}) };
      if (Object.keys(set).length) await db.update(apiKeys).set(set).where(eq(apiKeys.keyHash, await sha256Hex(key)));
      return key;
    },
    async setBlocked(key, blocked) {
      await db.update(apiKeys).set({ blocked }).where(eq(apiKeys.keyHash, await sha256Hex(key)));
    },
    spendRows: () => db.select().from(spendLogs),
    async keySpend(key) {
      const [row] = await db.select({ spend: apiKeys.spend }).from(apiKeys).where(eq(apiKeys.keyHash, await sha256Hex(key)));
      return Number(row?.spend);
    },
    async waitForSpendRows(alias, n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rows = await db.select().from(spendLogs).where(eq(spendLogs.keyAlias, alias));
        if (rows.length >= n || Date.now() > deadline) return rows;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      await gateway.stop();
      await counter.stop();
      await emulator.stop();
      await database.stop();
    },
  };
  return stack;
}

/** A pass-through HTTP proxy that counts requests: lets tests prove a warm key costs no database round trip. */
async function countingProxy(
  target: string,
): Promise<{ url: string; count: number; setDown(d: boolean): void; setStalled(s: boolean): void; stop(): Promise<void> }> {
  const t = new URL(target);
  const state = { count: 0, down: false, stalled: false };
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    state.count++;
    if (state.stalled) {
      req.resume();
      held.add(res);
      res.on("close", () => held.delete(res));
      return;
    }
    if (state.down) {
      req.resume();
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ message: "database unavailable" }));
      return;
    }
    const upstream = httpRequest({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${t.pathname}`,
    get count() {
      return state.count;
    },
    setDown(d: boolean) {
      state.down = d;
    },
    setStalled(s: boolean) {
      state.stalled = s;
      if (!s) for (const res of held) res.destroy();
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
