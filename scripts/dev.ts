// `npm run dev`: the whole gateway on this machine with no cloud account.
//   - Postgres: embedded PGlite in .breakwater/pgdata (or the server named by DATABASE_URL), migrated, behind the
//     local Neon-protocol shim so the Worker uses the same driver it uses against Neon;
//   - Bedrock: the emulator (or BEDROCK_ENDPOINT, or real Bedrock when AWS credentials are set);
//   - the origin: ORIGIN_URL, or the local origin standing in for the tunnel and the EC2 instance (scripts/lib/dev-origin.ts);
//   - the Worker in workerd through Miniflare (scripts/lib/dev-worker.ts: no `wrangler dev`, no inspector) on
//     127.0.0.1:$PORT (default 8787), reloaded when worker/ changes, with `GET /__scheduled` running its cron.
// Then it prints the base URL, a key and the lines that point Claude Code at it.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { findKeyByHash, insertKey, type AnyPgDatabase } from "../worker/db/queries.ts";
import { generateApiKey, keyPrefix, sha256Hex } from "../worker/keys/hash.ts";
import { startEmulator } from "../test/support/emulator/index.ts";
import { startNeonShim } from "../test/support/neon-shim.ts";
import { createPgliteBackend, createPostgresBackend, type PgBackend } from "../test/support/pg-backend.ts";
import { migratePostgres, openLocalPglite, pgConfigFromUrl, REPO_ROOT } from "./lib/db.ts";
import { startDevOrigin } from "./lib/dev-origin.ts";
import { startDevWorker } from "./lib/dev-worker.ts";

// Where local state lives (PGlite data, Durable Object storage); tests point it at a temp dir.
const STATE_DIR = process.env.BREAKWATER_STATE_DIR ?? join(REPO_ROOT, ".breakwater");
const cleanups: (() => Promise<unknown> | unknown)[] = [];

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  const env = process.env;

  // ---- Postgres ---------------------------------------------------------------------------------------------------
  let backend: PgBackend;
  let seedDb: AnyPgDatabase;
  let dbLabel: string;
  let workerDatabaseUrl: string;
  let workerHttpEndpoint: string | undefined;
  if (env.DATABASE_URL) {
    await migratePostgres(env.DATABASE_URL);
    const pool = new pg.Pool(pgConfigFromUrl(env.DATABASE_URL));
    cleanups.push(() => pool.end());
    seedDb = drizzleNodePg(pool) as unknown as AnyPgDatabase;
    backend = createPostgresBackend(pgConfigFromUrl(env.DATABASE_URL));
    dbLabel = `PostgreSQL at ${new URL(env.DATABASE_URL).host}`;
  } else {
    const local = await openLocalPglite(join(STATE_DIR, "pgdata"));
    cleanups.push(() => local.close());
    seedDb = drizzlePglite(local.pglite) as unknown as AnyPgDatabase;
    backend = createPgliteBackend(local.pglite);
    dbLabel = `embedded PGlite in ${local.dir}`;
  }
  const neonHosted = env.DATABASE_URL && /\.neon\.tech$/i.test(new URL(env.DATABASE_URL).hostname);
  if (neonHosted) {
    workerDatabaseUrl = env.DATABASE_URL!;
  } else {
    const shim = await startNeonShim({ backend });
    cleanups.push(() => shim.stop());
    workerDatabaseUrl = shim.databaseUrl;
    workerHttpEndpoint = shim.httpEndpoint;
  }

  // ---- the key to hand out -----------------------------------------------------------------------------------------
  const key = env.DEV_API_KEY || generateApiKey();
  const hash = await sha256Hex(key);
  if (!(await findKeyByHash(seedDb, hash))) {
    await insertKey(seedDb, { keyHash: hash, keyPrefix: keyPrefix(key), keyAlias: "dev", models: [], maxBudget: null });
  }

  // ---- Bedrock -----------------------------------------------------------------------------------------------------
  let bedrock: Record<string, string>;
  let bedrockLabel: string;
  let emulatorRef: Awaited<ReturnType<typeof startEmulator>> | null = null;
  if (env.BEDROCK_ENDPOINT || env.AWS_ACCESS_KEY_ID) {
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) throw new Error("BEDROCK_ENDPOINT needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to sign with.");
    bedrock = {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { AWS_SESSION_TOKEN: env.AWS_SESSION_TOKEN } : {}),
      AWS_REGION: env.AWS_REGION ?? "us-east-1",
      ...(env.BEDROCK_ENDPOINT ? { BEDROCK_ENDPOINT: env.BEDROCK_ENDPOINT } : {}),
    };
    bedrockLabel = env.BEDROCK_ENDPOINT ? `Bedrock at ${env.BEDROCK_ENDPOINT}` : `Amazon Bedrock in ${bedrock.AWS_REGION}`;
  } else {
    const emulator = await startEmulator();
    emulatorRef = emulator;
    cleanups.push(() => emulator.stop());
    bedrock = { AWS_ACCESS_KEY_ID: "AKIDEMULATOR", AWS_SECRET_ACCESS_KEY: "emulator-secret", AWS_REGION: "us-east-1", BEDROCK_ENDPOINT: emulator.url };
    bedrockLabel = `the Bedrock emulator at ${emulator.url} (no AWS account used)`;
  }

  // ---- the origin (the tunnel, the EC2 instance, LiteLLM, the video sidecar) ----------------------------------------
  const origin = await startDevOrigin(env, emulatorRef, { url: workerDatabaseUrl, httpEndpoint: workerHttpEndpoint });
  cleanups.push(() => origin.stop());

  // ---- the Worker --------------------------------------------------------------------------------------------------
  // The admin API's master key: MASTER_KEY if set, else a fresh one for this run.
  const masterKey = env.MASTER_KEY || `sk-bw-master-${randomBytes(24).toString("base64url")}`;
  const vars: Record<string, string> = {
    ...bedrock,
    MASTER_KEY: masterKey,
    DATABASE_URL: workerDatabaseUrl,
    ...(workerHttpEndpoint ? { DATABASE_HTTP_ENDPOINT: workerHttpEndpoint } : {}),
    BREAKWATER_DEV: "1",
    // A line per request while developing; deployments keep the default (off, the spend log has the same fields).
    REQUEST_LOG: env.REQUEST_LOG || "1",
    ...origin.vars,
  };
  for (const name of [
    "BEDROCK_GEO_PREFIX", "MODEL_ALIASES", "BEDROCK_MODEL_IDS", "MODEL_ARNS", "BEDROCK_TARGETS", "BEDROCK_ACCOUNTS", "KEY_CACHE_TTL_SECONDS",
    "MAX_BODY_MB", "SPEND_FLUSH_DELAY_MS", "STREAM_PING_MS", "KEY_DEFAULTS", "KEY_LIMITS", "MODEL_LIFECYCLE_DATE",
    "ACCESS_TEAM_DOMAIN", "ACCESS_AUD", "ACCESS_CLIENT_IDS", "ACCESS_ADMIN_CLIENT_IDS", "ACCESS_JWKS_URL",
  ]) {
    if (env[name]) vars[name] = env[name]!;
  }
  // Live reload: a change under worker/ rebuilds the bundle and reloads the Worker in place (DEV_WATCH=0: off).
  const worker = await startDevWorker({
    port,
    vars,
    // The layout `wrangler dev --persist-to` used, so Durable Object state from earlier runs carries over.
    persistDir: join(STATE_DIR, "wrangler", "v3"),
    watch: env.DEV_WATCH !== "0",
    logLevel: env.DEV_LOG_LEVEL,
    // A failed build keeps the last good one serving (esbuild has printed its errors in full).
    onReload: (error) => console.error(error ? `Worker not reloaded: ${error.message.split("\n")[0]}` : "Worker rebuilt and reloaded."),
  });
  cleanups.unshift(() => worker.stop());

  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(`${base}/health`, 90_000);
  console.log(
    [
      "",
      `Breakwater is running at ${base}`,
      `  database: ${dbLabel}`,
      `  models:   ${bedrockLabel}`,
      `  origin:   ${origin.label}`,
      "",
      `Your API key (all models, no budget): ${key}`,
      `Admin master key (admin API and CLI):  ${masterKey}`,
      "",
      "Point Claude Code at it:",
      `  export ANTHROPIC_BASE_URL=${base}`,
      `  export ANTHROPIC_AUTH_TOKEN=${key}`,
      "  claude",
      "",
      "Or call it directly:",
      `  curl ${base}/v1/messages -H "x-api-key: ${key}" -H "content-type: application/json" \\`,
      `    -d '{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Hello"}]}'`,
      "",
      "Ctrl-C stops everything.",
    ].join("\n"),
  );
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`The Worker did not answer ${url} within ${timeoutMs / 1000} s.`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const fn of cleanups) {
    try {
      await fn();
    } catch {
      // keep going: every resource gets its chance to stop
    }
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
main().catch((err: unknown) => {
  console.error(`npm run dev failed: ${err instanceof Error ? err.message : String(err)}`);
  void shutdown(1);
});
