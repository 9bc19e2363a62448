import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { migratePglite, migratePostgres, pgConfigFromUrl } from "../../scripts/lib/db.ts";
import { createDb, type Db } from "../../worker/db/client.ts";
import { startNeonShim, type NeonShim } from "./neon-shim.ts";
import { createPgliteBackend, createPostgresBackend, type PgBackend } from "./pg-backend.ts";

export interface TestDatabase {
  kind: "pglite" | "postgres";
  /** Direct access to the database, bypassing the shim (for assertions and set-up). */
  backend: PgBackend;
  shim: Pick<NeonShim, "httpEndpoint" | "databaseUrl">;
  /** The Worker's own client (neon-http), going through the shim. */
  db: Db;
  stop(): Promise<void>;
}

/**
 * A fresh, migrated database behind a local Neon shim. With TEST_DATABASE_URL set (e.g.
 * postgres://postgres@127.0.0.1:5432/postgres) a uniquely named database is created on that server and dropped
 * again by stop(); otherwise an in-memory PGlite is used. Either way the Worker's driver reaches it over HTTP, as it
 * would reach Neon.
 */
export async function startTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  return serverUrl ? startOnServer(serverUrl) : startOnPglite();
}

async function startOnPglite(): Promise<TestDatabase> {
  const pglite = await PGlite.create();
  try {
    await migratePglite(pglite);
  } catch (err) {
    await pglite.close();
    throw err;
  }
  const backend = createPgliteBackend(pglite, { ownsInstance: true });
  return withShim("pglite", backend, async () => {});
}

async function startOnServer(serverUrl: string): Promise<TestDatabase> {
  const name = `bw_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client(pgConfigFromUrl(serverUrl));
  await admin.connect();
  const dropDatabase = async () => {
    // FORCE (PG13+) ends any session a failed test left behind, so the drop cannot hang or fail.
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  };
  let backend: PgBackend | undefined;
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const config = pgConfigFromUrl(url.toString());
    await migratePostgres(config);
    backend = createPostgresBackend(config);
    return await withShim("postgres", backend, dropDatabase);
  } catch (err) {
    await backend?.close().catch(() => {});
    await dropDatabase().catch(() => {});
    throw err;
  }
}

async function withShim(
  kind: TestDatabase["kind"],
  backend: PgBackend,
  cleanup: () => Promise<void>,
): Promise<TestDatabase> {
  const shim = await startNeonShim({ backend });
  return {
    kind,
    backend,
    shim: { httpEndpoint: shim.httpEndpoint, databaseUrl: shim.databaseUrl },
    db: createDb(shim.databaseUrl, { httpEndpoint: shim.httpEndpoint }),
    stop: async () => {
      try {
        await shim.stop();
      } finally {
        try {
          await backend.close();
        } finally {
          await cleanup();
        }
      }
    },
  };
}
