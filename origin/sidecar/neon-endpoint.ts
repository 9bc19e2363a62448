// Points Neon's driver at a local endpoint (the Neon-protocol shim in dev and tests) for one database host only.
// The driver reads the endpoint from the global `neonConfig.fetchEndpoint` (there is no per-client option), so a
// resolver keyed by host:port is installed once; other hosts keep the driver's own rule (https://api.<host>/sql).
import { neonConfig } from "@neondatabase/serverless";

const endpointByHost = new Map<string, string>();
let installed = false;

export function routeDatabaseTo(databaseUrl: string, httpEndpoint: string): void {
  endpointByHost.set(hostKeyOf(databaseUrl), httpEndpoint);
  if (installed) return;
  installed = true;
  const previous = neonConfig.fetchEndpoint;
  neonConfig.fetchEndpoint = (host, port, options) => endpointByHost.get(`${host}:${port}`) ?? (typeof previous === "function" ? previous(host, port, options) : previous);
}

// The driver calls fetchEndpoint with the hostname and port of `new URL("http:" + <rest of the connection string>)`.
function hostKeyOf(databaseUrl: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(databaseUrl)?.[0];
  if (!scheme) throw new Error("database URL is not a URL: expected postgres://user:password@host/db");
  const url = new URL("http:" + databaseUrl.slice(scheme.length));
  return `${url.hostname}:${url.port}`;
}
