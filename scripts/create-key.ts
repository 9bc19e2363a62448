// `npm run key:create -- --alias NAME [--models a,b] [--budget 5] [...]`: creates a virtual key. Only its SHA-256
// is stored (in DATABASE_URL, or the local PGlite in .breakwater/pgdata when that is unset); the key is printed
// once and can never be shown again.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { insertKey, type AnyPgDatabase, type NewKey } from "../worker/db/queries.ts";
import { generateApiKey, keyPrefix, sha256Hex } from "../worker/keys/hash.ts";
import { positiveDurationMs } from "../worker/keys/time-fields.ts";
import { LOCAL_PGDATA_DIR, openLocalPglite, pgConfigFromUrl } from "./lib/db.ts";

const USAGE = `Usage: npm run key:create -- --alias NAME [options]

  --alias NAME            a name for the key (shown in logs and spend reports)
  --models a,b            models the key may use (default: all)
  --budget USD            maximum spend in USD (default: unlimited)
  --budget-duration D     reset spend every D, e.g. 1d, 7d, 30d (default: never)
  --rpm N                 requests per minute
  --tpm N                 tokens per minute
  --parallel N            concurrent requests
  --expires WHEN          expiry as an ISO date/time, or a duration from now such as 30d or 12h
  --user ID, --team ID    owner, for reporting
`;

/** Parses the command line into the key's settings; throws with a message fit for the user. */
export function parseKeyArgs(argv: string[], now = new Date()): Omit<NewKey, "keyHash" | "keyPrefix"> {
  const { values } = parseArgs({
    args: argv,
    options: {
      alias: { type: "string" },
      models: { type: "string" },
      budget: { type: "string" },
      "budget-duration": { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
      parallel: { type: "string" },
      expires: { type: "string" },
      user: { type: "string" },
      team: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) throw new UsageError("");
  if (!values.alias?.trim()) throw new UsageError("--alias is required");
  const budgetDuration = values["budget-duration"] ?? null;
  if (budgetDuration !== null && positiveDurationMs(budgetDuration) === null) {
    throw new UsageError(`--budget-duration must look like 30s, 15m, 12h or 7d, not "${budgetDuration}"`);
  }
  return {
    keyAlias: values.alias.trim(),
    models: values.models ? values.models.split(",").map((m) => m.trim()).filter(Boolean) : [],
    maxBudget: values.budget === undefined ? null : positiveNumber("--budget", values.budget),
    budgetDuration,
    budgetResetAt: budgetDuration === null ? null : new Date(now.getTime() + durationMs(budgetDuration)),
    rpmLimit: optionalInt("--rpm", values.rpm),
    tpmLimit: optionalInt("--tpm", values.tpm),
    maxParallelRequests: optionalInt("--parallel", values.parallel),
    expires: values.expires === undefined ? null : parseExpiry(values.expires, now),
    userId: values.user ?? null,
    teamId: values.team ?? null,
  };
}

class UsageError extends Error {}

function durationMs(d: string): number {
  const ms = positiveDurationMs(d);
  if (ms === null) throw new UsageError(`not a duration: ${d}`);
  return ms;
}

function parseExpiry(text: string, now: Date): Date {
  const ms = positiveDurationMs(text);
  if (ms !== null) return new Date(now.getTime() + ms);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--expires must be an ISO date or a duration like 30d, not "${text}"`);
  return date;
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || text.trim() === "") throw new UsageError(`${flag} must be a number ≥ 0, not "${text}"`);
  return n;
}

function optionalInt(flag: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, not "${text}"`);
  return n;
}

/** Runs `use` with a drizzle handle on DATABASE_URL, or on the local PGlite when it is unset. */
async function withDatabase<T>(use: (db: AnyPgDatabase, where: string) => Promise<T>): Promise<T> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const pool = new pg.Pool({ max: 1, ...pgConfigFromUrl(databaseUrl) });
    try {
      return await use(drizzleNodePg(pool), "DATABASE_URL");
    } finally {
      await pool.end();
    }
  }
  const local = await openLocalPglite(LOCAL_PGDATA_DIR);
  try {
    return await use(drizzlePglite(local.pglite), `the local database ${LOCAL_PGDATA_DIR}`);
  } finally {
    await local.close();
  }
}

async function main(): Promise<void> {
  let settings: Omit<NewKey, "keyHash" | "keyPrefix">;
  try {
    settings = parseKeyArgs(process.argv.slice(2));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(message ? `${message}\n\n${USAGE}` : USAGE);
    process.exit(message ? 2 : 0);
  }
  const key = generateApiKey();
  const { id, where } = await withDatabase(async (db, where) => ({
    ...(await insertKey(db, { ...settings, keyHash: await sha256Hex(key), keyPrefix: keyPrefix(key) })),
    where,
  }));
  console.log(`Created key "${settings.keyAlias}" (id ${id}) in ${where}.`);
  console.log("");
  console.log(`  ${key}`);
  console.log("");
  console.log("Copy it now: only its hash is stored, so it cannot be shown again.");
}

// Run only as a script, so tests can import parseKeyArgs.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(`Could not create the key: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
