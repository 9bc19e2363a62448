// Neon's SQL-over-HTTP protocol, as the transport under drizzle's pg-proxy driver: one statement per POST to the
// project's `/sql` endpoint, answered as text columns. This is the same request Neon's own driver makes for `neon()`
// (headers Neon-Connection-String / Neon-Raw-Text-Output / Neon-Array-Mode; 400 with Postgres' error fields), without
// the driver's WebSocket client, connection pool and type library, which were a quarter of the Worker's bundle while
// the Worker only ever used the HTTP path. Values are parsed the way that driver parses them by default for the types
// the gateway stores (below); drizzle's column mappers then do what they do for every Postgres driver.

import { toHex } from "../util/hex.ts";

/** A statement Postgres refused: its SQLSTATE `code` and the other fields Neon passes on (as Neon's NeonDbError). */
export class DatabaseError extends Error {
  code?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  table?: string;
  column?: string;
  /**
   * The database did not answer in time, could not be reached, or refused for reasons of its own (shutting down, too
   * many connections, statement timeout): nothing was wrong with the statement, so the caller is told to retry (503).
   */
  readonly unavailable: boolean;
  constructor(message: string, fields: Record<string, unknown> = {}, unavailable = false) {
    super(message);
    this.name = "DatabaseError";
    for (const k of ["code", "detail", "hint", "constraint", "table", "column"] as const) {
      if (typeof fields[k] === "string") this[k] = fields[k] as string;
    }
    this.unavailable = unavailable || (this.code !== undefined && UNAVAILABLE_CODE.test(this.code));
  }
}

// SQLSTATEs that say the database, not the statement, is the problem: connection exceptions (08), too many
// connections (53300), query_canceled (57014, which a statement_timeout raises), shutdowns (57P01-57P03).
const UNAVAILABLE_CODE = /^(08...|53300|57014|57P0[123])$/;

interface NeonField {
  name: string;
  dataTypeID: number;
}

interface NeonResult {
  fields: NeonField[];
  rows: (string | null)[][];
}

// Postgres type oids → the value Neon's driver (pg-types' defaults) produces. Timestamps, dates, numerics, int8 and
// arrays stay text: drizzle's columns parse those themselves (and the neon-http driver kept timestamps as text too).
const BOOL = 16;
const INTEGERS = new Set([21, 23, 26]); // int2, int4, oid
const FLOATS = new Set([700, 701]); // float4, float8
const JSONS = new Set([114, 3802]); // json, jsonb

export function parseValue(dataTypeID: number, text: string | null): unknown {
  if (text === null) return null;
  if (dataTypeID === BOOL) return text === "t" || text === "true";
  if (INTEGERS.has(dataTypeID)) return Number.parseInt(text, 10);
  if (FLOATS.has(dataTypeID)) return Number.parseFloat(text);
  if (JSONS.has(dataTypeID)) return JSON.parse(text);
  return text;
}

/** Where Neon serves SQL over HTTP for a connection string: `https://api.<region host>/sql` (the driver's rule). */
export function neonSqlEndpoint(databaseUrl: string): string {
  const host = new URL(databaseUrl.replace(/^[a-z][a-z0-9+.-]*:/i, "http:")).hostname;
  return `https://${host.replace(/^[^.]+\./, "api.")}/sql`;
}

export interface NeonHttpOptions {
  /** Send statements here instead of Neon (the local shim in front of PGlite or PostgreSQL). */
  endpoint?: string;
  /** Abort a statement that has not answered in this many milliseconds (the gateway must never hang on the database). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type RowMode = "objects" | "arrays";

/** A function that runs one statement and returns its rows (as arrays, in column order, or as objects). */
export type NeonQuery = (query: string, params: unknown[], mode: RowMode) => Promise<unknown[]>;

export function neonHttp(databaseUrl: string, opts: NeonHttpOptions = {}): NeonQuery {
  const endpoint = opts.endpoint ?? neonSqlEndpoint(databaseUrl);
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  return async (query, params, mode) => {
    // One deadline for the whole exchange, answer body included. Aborting closes the HTTP connection, and Neon's
    // proxy cancels a statement whose client went away, so a pathological query does not run on after we give up.
    const signal = opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined;
    let res: Response;
    let result: NeonResult;
    try {
      res = await doFetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", "Neon-Connection-String": databaseUrl, "Neon-Raw-Text-Output": "true", "Neon-Array-Mode": "true" },
        body: JSON.stringify({ query, params: params.map(toParam) }),
        signal,
      });
      if (!res.ok) {
        if (res.status === 400) {
          const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
          throw new DatabaseError(typeof body.message === "string" ? body.message : "The database refused the statement.", body);
        }
        // Anything else comes from the proxy in front of Postgres (unreachable, overloaded, restarting).
        throw new DatabaseError(`Server error (HTTP status ${res.status}): ${(await res.text()).slice(0, 300)}`, {}, true);
      }
      result = (await res.json()) as NeonResult;
    } catch (e) {
      if (e instanceof DatabaseError) throw e;
      // The message names neither the URL nor the connection string (which holds the password).
      const timedOut = signal?.aborted || (e as Error).name === "TimeoutError";
      throw new DatabaseError(`Error connecting to database: ${timedOut ? "timed out" : (e as Error).message}`, {}, true);
    }
    const types = result.fields.map((f) => f.dataTypeID);
    if (mode === "arrays") return result.rows.map((row) => row.map((v, i) => parseValue(types[i]!, v)));
    return result.rows.map((row) => Object.fromEntries(row.map((v, i) => [result.fields[i]!.name, parseValue(types[i]!, v)])));
  };
}

/** Parameters as Neon's driver sends them: text for Postgres to cast; dates as ISO strings, objects as JSON. */
function toParam(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return `\\x${toHex(v)}`;
  if (Array.isArray(v)) return arrayLiteral(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function arrayLiteral(values: unknown[]): string {
  const item = (v: unknown): string => {
    if (v === null || v === undefined) return "NULL";
    if (Array.isArray(v)) return arrayLiteral(v);
    const s = v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v);
    return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  };
  return `{${values.map(item).join(",")}}`;
}
