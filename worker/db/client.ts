import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import * as schema from "./schema.ts";

/** The Worker's database handle: drizzle over Neon's HTTP `/sql` endpoint, one fetch per statement. */
export type Db = NeonHttpDatabase<typeof schema>;

export interface CreateDbOptions {
  /**
   * Send queries for this database to this URL instead of Neon's (e.g. `http://127.0.0.1:PORT/sql`, the local
   * shim in front of PGlite or a PostgreSQL server). Unset in production.
   */
  httpEndpoint?: string;
}

/**
 * A drizzle client for `databaseUrl`. It holds no connection: every statement is one HTTP request, so it is safe to
 * build once per isolate and share between requests.
 */
export function createDb(databaseUrl: string, opts: CreateDbOptions = {}): Db {
  if (opts.httpEndpoint) routeHostToEndpoint(databaseUrl, opts.httpEndpoint);
  return drizzle({ client: neon(databaseUrl), schema });
}

// The driver reads the HTTP endpoint only from the global `neonConfig.fetchEndpoint` (there is no per-client
// option). Overwriting it with one fixed URL would send *every* neon() client in the isolate there. Instead we
// install, once, a resolver keyed by the database host:port that returns the override for hosts registered here and
// defers to whatever was configured before (by default Neon's own `https://api.<host>/sql`) for all others.
// Registering the same host:port again replaces its endpoint (last registration wins).
const endpointByHost = new Map<string, string>();
let resolverInstalled = false;

function routeHostToEndpoint(databaseUrl: string, httpEndpoint: string): void {
  endpointByHost.set(hostKeyOf(databaseUrl), httpEndpoint);
  if (resolverInstalled) return;
  resolverInstalled = true;
  const previous = neonConfig.fetchEndpoint;
  neonConfig.fetchEndpoint = (host, port, options) => {
    const override = endpointByHost.get(hostKey(host, port));
    if (override !== undefined) return override;
    return typeof previous === "function" ? previous(host, port, options) : previous;
  };
}

// The driver calls fetchEndpoint with the hostname and port of `new URL("http:" + <rest of the connection string>)`;
// parse the same way so both sides agree on the key (e.g. on lower-casing and on an elided port).
function hostKeyOf(databaseUrl: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(databaseUrl)?.[0];
  if (!scheme) throw new Error("database URL is not a URL: expected postgres://user:password@host/db");
  const url = new URL("http:" + databaseUrl.slice(scheme.length));
  return hostKey(url.hostname, url.port);
}

function hostKey(host: string, port: number | string): string {
  return `${host}:${port}`;
}
