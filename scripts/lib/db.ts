import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePgliteDb } from "drizzle-orm/pglite/migrator";
import pg from "pg";

// Shared by the db/key scripts, the dev server and the test harness: where the migrations and the local database
// live, how to apply the migrations, and how to open the local PGlite safely.

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MIGRATIONS_DIR = join(REPO_ROOT, "migrations");
/** The local database used by `npm run dev` and the scripts when DATABASE_URL is unset. */
export const LOCAL_PGDATA_DIR = join(REPO_ROOT, ".breakwater", "pgdata");

/**
 * node-postgres settings for a connection string. `sslmode=require|verify-ca|verify-full` (what Neon's URLs carry)
 * becomes TLS with certificate verification; it is removed from the string because node-postgres warns about its
 * changing meaning. Other URLs are passed through unchanged.
 */
export function pgConfigFromUrl(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl);
  const mode = url.searchParams.get("sslmode");
  if (mode && ["require", "verify-ca", "verify-full"].includes(mode) && !url.searchParams.has("sslrootcert")) {
    url.searchParams.delete("sslmode");
    return { connectionString: url.toString(), ssl: { rejectUnauthorized: true } };
  }
  return { connectionString: databaseUrl };
}

/** Applies migrations/ to a PostgreSQL server (Neon or any other); already-applied ones are skipped. */
export async function migratePostgres(config: string | pg.PoolConfig): Promise<void> {
  const pool = new pg.Pool({ max: 1, ...(typeof config === "string" ? pgConfigFromUrl(config) : config) });
  try {
    await migrateNodePg(drizzleNodePg(pool), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await pool.end();
  }
}

/** Applies migrations/ to an open PGlite, or to the PGlite data directory `target` (opened and closed here). */
export async function migratePglite(target: PGlite | string = LOCAL_PGDATA_DIR): Promise<void> {
  if (typeof target !== "string") {
    await migratePgliteDb(drizzlePglite(target), { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  const local = await openLocalPglite(target);
  await local.close();
}

export interface LocalPglite {
  pglite: PGlite;
  dir: string;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the PGlite database in `dir` and brings it up to date with migrations/.
 * PGlite is an in-process server: two processes on one directory would corrupt it, so a lock file next to the
 * directory records the owner's pid, and a second opener gets a clear error instead (a lock left by a dead
 * process is taken over).
 */
export async function openLocalPglite(
  dir: string = LOCAL_PGDATA_DIR,
  opts: { migrate?: boolean } = {},
): Promise<LocalPglite> {
  mkdirSync(dirname(dir), { recursive: true });
  const releaseLock = lockDirectory(dir);
  try {
    const pglite = await PGlite.create({ dataDir: dir });
    if (opts.migrate ?? true) await migratePglite(pglite);
    return {
      pglite,
      dir,
      close: async () => {
        try {
          await pglite.close();
        } finally {
          releaseLock();
        }
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

function lockDirectory(dir: string): () => void {
  const lockPath = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
        throw new Error(
          `The local database ${dir} is in use by process ${owner} (is \`npm run dev\` running?). ` +
            `Stop it first, or set DATABASE_URL to use a PostgreSQL server.`,
        );
      }
      rmSync(lockPath, { force: true }); // stale: its owner is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
