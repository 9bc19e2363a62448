import { drizzle, type PgRemoteDatabase } from "drizzle-orm/pg-proxy";
import { neonHttp } from "./neon-http.ts";
import * as schema from "./schema.ts";

/**
 * The Worker's database handle: drizzle over Neon's HTTP `/sql` endpoint (worker/db/neon-http.ts), one fetch per
 * statement. drizzle's pg-proxy driver is its documented way to run over a transport of one's own.
 */
export type Db = PgRemoteDatabase<typeof schema>;

export interface CreateDbOptions {
  /**
   * Send queries for this database to this URL instead of Neon's (e.g. `http://127.0.0.1:PORT/sql`, the local
   * shim in front of PGlite or a PostgreSQL server). Unset in production.
   */
  httpEndpoint?: string;
  /** Abort any statement that has not answered within this many milliseconds. */
  timeoutMs?: number;
}

/**
 * A drizzle client for `databaseUrl`. It holds no connection: every statement is one HTTP request, so it is safe to
 * build once per isolate and share between requests.
 */
export function createDb(databaseUrl: string, opts: CreateDbOptions = {}): Db {
  const query = neonHttp(databaseUrl, { endpoint: opts.httpEndpoint, timeoutMs: opts.timeoutMs });
  // drizzle asks for rows as arrays ("all": it maps columns by position) or as objects ("execute": raw SQL).
  return drizzle(async (sql, params, method) => ({ rows: await query(sql, params, method === "all" ? "arrays" : "objects") }), { schema });
}
