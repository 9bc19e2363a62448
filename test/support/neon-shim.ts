import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  POSTGRES_ERROR_FIELDS,
  PostgresError,
  type IsolationLevel,
  type PgBackend,
  type PgStatement,
  type PgTextResult,
  type TransactionOptions,
} from "./pg-backend.ts";

// A local stand-in for Neon's SQL-over-HTTP endpoint (`POST /sql`), so the Worker's real driver
// (`@neondatabase/serverless` neon(), via drizzle-orm/neon-http) can run against PGlite or a local PostgreSQL.
// It follows Neon's proxy (proxy/src/serverless/sql_over_http.rs and json.rs in neondatabase/neon):
//   request   headers Neon-Connection-String (required), Neon-Raw-Text-Output, Neon-Array-Mode,
//             Neon-Batch-Isolation-Level / -Read-Only / -Deferrable (batches only);
//             body {query, params, arrayMode?} or {queries: [{query, params, arrayMode?}, …]}
//   response  200 {rowAsArray, fields: [{name, dataTypeID, tableID, columnID, dataTypeSize, dataTypeModifier,
//             format: "text"}], rows, command, rowCount}, or {results: [that, …]} for a batch, which runs in one
//             transaction (rolled back on the first error)
//   errors    400 {message, code, detail, hint, position, …} for errors Postgres reports (the driver turns these into
//             NeonDbError with the same fields); 400 for a bad request; 500 when the database cannot be reached.
// Not emulated: authentication (any user/password is accepted), Neon's connection pool, query cancellation when the
// client disconnects, JWT auth, and the response size cap.

export interface NeonShim {
  /** Where the driver should send queries: `createDb(databaseUrl, { httpEndpoint })`. */
  httpEndpoint: string;
  /** A connection string the driver accepts, naming the shim's host:port (which is what routes it here). */
  databaseUrl: string;
  /** Stops the HTTP server. The backend stays open: whoever created it closes it. */
  stop(): Promise<void>;
}

export interface NeonShimOptions {
  backend: PgBackend;
  /** 0 (default) = an ephemeral port. */
  port?: number;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // Neon's default request limit

export async function startNeonShim(opts: NeonShimOptions): Promise<NeonShim> {
  const server = createServer((req, res) => {
    handle(opts.backend, req, res).catch((err: unknown) => {
      // Last resort: never leave a request hanging.
      if (!res.headersSent) send(res, 500, { message: `neon shim: ${String(err)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    httpEndpoint: `http://127.0.0.1:${port}/sql`,
    databaseUrl: `postgresql://breakwater:local@127.0.0.1:${port}/breakwater`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // fetch keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

interface QueryData {
  query: string;
  params: (string | null)[];
  arrayMode: boolean | undefined;
}

/** A failure the shim itself reports (bad request, unconvertible result), with Neon's status for it. */
class ShimError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

async function handle(backend: PgBackend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://shim").pathname;
  if (req.method === "OPTIONS") return sendPreflight(res);
  if (path !== "/sql") return send(res, 404, { message: "not found" });
  if (req.method !== "POST") return send(res, 405, { message: "method not allowed" });

  try {
    const headers = parseHeaders(req);
    const payload = parsePayload(await readBody(req));
    if ("queries" in payload) {
      const results = await backend.transaction(
        payload.queries.map(toStatement),
        headers.txn,
      );
      // Neon echoes the transaction settings it applied.
      const extra: Record<string, string> = {};
      if (headers.txn.readOnly) extra["Neon-Batch-Read-Only"] = "true";
      if (headers.txn.deferrable) extra["Neon-Batch-Deferrable"] = "true";
      if (headers.txn.isolationLevel) extra["Neon-Batch-Isolation-Level"] = headers.txn.isolationLevel;
      const body = `{"results":[${results
        .map((r, i) => resultJson(r, headers.rawOutput, payload.queries[i]!.arrayMode ?? headers.arrayMode))
        .join(",")}]}`;
      return sendRaw(res, 200, body, extra);
    }
    const result = await backend.query(toStatement(payload));
    return sendRaw(res, 200, resultJson(result, headers.rawOutput, payload.arrayMode ?? headers.arrayMode));
  } catch (err) {
    if (err instanceof ShimError) return send(res, err.status, { message: err.message, code: "" });
    const pgErr = PostgresError.from(err);
    if (pgErr) return send(res, 400, postgresErrorBody(pgErr));
    // Not an error from Postgres: the database is unreachable or the backend broke.
    return send(res, 500, { message: `could not reach the database: ${String((err as Error)?.message ?? err)}` });
  }
}

function parseHeaders(req: IncomingMessage) {
  const h = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const conn = h("Neon-Connection-String");
  if (!conn) throw new ShimError("missing connection string (Neon-Connection-String header)");
  if (!/^postgres(ql)?:\/\//.test(conn)) throw new ShimError("invalid connection string in Neon-Connection-String");
  // Anything but exactly "true" is false, as in Neon.
  const isTrue = (name: string) => h(name) === "true";
  const level = h("Neon-Batch-Isolation-Level");
  if (level !== undefined && !ISOLATION_LEVELS.includes(level as IsolationLevel)) {
    throw new ShimError("invalid isolation level");
  }
  const txn: TransactionOptions = {
    isolationLevel: level as IsolationLevel | undefined,
    readOnly: isTrue("Neon-Batch-Read-Only"),
    deferrable: isTrue("Neon-Batch-Deferrable"),
  };
  return { rawOutput: isTrue("Neon-Raw-Text-Output"), arrayMode: isTrue("Neon-Array-Mode"), txn };
}

const ISOLATION_LEVELS: IsolationLevel[] = ["Serializable", "ReadUncommitted", "ReadCommitted", "RepeatableRead"];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ShimError(`request is too large (max is ${MAX_BODY_BYTES} bytes)`, 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parsePayload(body: string): QueryData | { queries: QueryData[] } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new ShimError(`could not parse request body: ${(err as Error).message}`);
  }
  // Same precedence as Neon's untagged enum: a single query first, then a batch.
  if (isObject(json) && typeof json.query === "string") return queryData(json);
  if (isObject(json) && Array.isArray(json.queries)) {
    return { queries: json.queries.map((q) => (isObject(q) && typeof q.query === "string" ? queryData(q) : invalid())) };
  }
  return invalid();
}

function invalid(): never {
  throw new ShimError("request body must be {query, params} or {queries: [{query, params}, …]}");
}

function queryData(o: Record<string, unknown>): QueryData {
  const params = o.params ?? [];
  if (!Array.isArray(params)) invalid();
  if (o.arrayMode !== undefined && typeof o.arrayMode !== "boolean") invalid();
  return { query: o.query as string, params: params.map(jsonToPgText), arrayMode: o.arrayMode as boolean | undefined };
}

const toStatement = (q: QueryData): PgStatement => ({ text: q.query, params: q.params });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A JSON parameter as Postgres text, as Neon converts it: null → NULL, strings as they are, booleans/numbers/
 * objects as their JSON text, arrays as a Postgres array literal (elements quoted and escaped).
 */
export function jsonToPgText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return pgArrayLiteral(value);
  return JSON.stringify(value);
}

function pgArrayLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (Array.isArray(value)) return `{${value.map(pgArrayLiteral).join(",")}}`;
  if (typeof value === "object") return JSON.stringify(JSON.stringify(value)); // an object becomes a quoted string
  // Quoted with JSON escaping, exactly as Neon does (serde to_string). For \" and \\ that is also valid array
  // syntax; control characters come out as e.g. \n, which Postgres reads as "n" — a Neon quirk kept on purpose.
  // (The driver never hits it: it turns JS arrays into array literals itself and sends strings.)
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Results. The JSON is written by hand so that, in non-raw mode, json/jsonb values are inserted verbatim (as Neon
// does) instead of being re-serialised by JavaScript, which would lose big numbers and formatting.

function resultJson(r: PgTextResult, rawOutput: boolean, arrayMode: boolean): string {
  try {
    return resultJsonUnchecked(r, rawOutput, arrayMode);
  } catch {
    throw new ShimError("could not parse postgres response", 500);
  }
}

function resultJsonUnchecked(r: PgTextResult, rawOutput: boolean, arrayMode: boolean): string {
  const names = r.fields.map((f) => JSON.stringify(f.name));
  const rows = r.rows.map((row) => {
    const values = row.map((v, i) =>
      v === null ? "null" : rawOutput ? JSON.stringify(v) : pgTextToJson(v, r.fields[i]!.dataTypeID),
    );
    return arrayMode ? `[${values.join(",")}]` : `{${values.map((v, i) => `${names[i]}:${v}`).join(",")}}`;
  });
  return (
    `{"rowAsArray":${arrayMode},"fields":${JSON.stringify(r.fields)},"rows":[${rows.join(",")}],` +
    `"command":${JSON.stringify(r.command)},"rowCount":${r.rowCount === null ? "null" : r.rowCount}}`
  );
}

const OID = { bool: 16, int2: 21, int4: 23, float4: 700, float8: 701, json: 114, jsonb: 3802 } as const;

/** Element type of the built-in array types (Neon's proxy knows every type; these cover what one meets in practice). */
const ARRAY_ELEMENT: Record<number, number> = {
  1000: 16, 1001: 17, 1002: 18, 1003: 19, 1005: 21, 1007: 23, 1009: 25, 1014: 1042, 1015: 1043, 1016: 20,
  1021: 700, 1022: 701, 1028: 26, 1115: 1114, 1182: 1082, 1183: 1083, 1185: 1184, 1187: 1186, 1231: 1700,
  199: 114, 3807: 3802, 2951: 2950, 1041: 869, 651: 650, 1270: 1266,
};

/** Non-raw mode (Neon-Raw-Text-Output absent): Postgres text → a JSON value, as Neon's pg_text_to_json does. */
function pgTextToJson(text: string, oid: number): string {
  const element = ARRAY_ELEMENT[oid];
  if (element !== undefined) return parsePgArray(text, element);
  switch (oid) {
    case OID.bool:
      return text === "t" ? "true" : "false";
    case OID.int2:
    case OID.int4:
      return String(Number.parseInt(text, 10));
    case OID.float4:
    case OID.float8: {
      const n = Number(text);
      return Number.isFinite(n) ? JSON.stringify(n) : JSON.stringify(text); // NaN/Infinity stay strings
    }
    case OID.json:
    case OID.jsonb:
      return text;
    default:
      return JSON.stringify(text);
  }
}

/** Parses Postgres' array output (`{a,"b c",NULL,{1,2}}`, optional `[1:2]=` bounds) into JSON text. */
function parsePgArray(text: string, elementOid: number): string {
  let s = text;
  if (s.startsWith("[")) s = s.slice(s.indexOf("=") + 1); // bounds decoration has no JSON form
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const parseArray = (): string => {
    ws();
    if (s[i] !== "{") throw new Error("unbalanced array");
    i++;
    const items: string[] = [];
    ws();
    if (s[i] === "}") {
      i++;
      return "[]";
    }
    for (;;) {
      ws();
      if (s[i] === "{") items.push(parseArray());
      else if (s[i] === '"') {
        i++;
        let v = "";
        while (s[i] !== '"') {
          if (i >= s.length) throw new Error("unbalanced quoted string");
          if (s[i] === "\\") i++;
          v += s[i++];
        }
        i++;
        items.push(pgTextToJson(v, elementOid));
      } else {
        const start = i;
        while (i < s.length && s[i] !== "," && s[i] !== "}") i++;
        const item = s.slice(start, i).trim();
        items.push(item === "NULL" ? "null" : pgTextToJson(item, elementOid));
      }
      ws();
      if (s[i] === ",") i++;
      else break;
    }
    if (s[i] !== "}") throw new Error("unbalanced array");
    i++;
    return `[${items.join(",")}]`;
  };
  return parseArray();
}

// ---------------------------------------------------------------------------------------------------------------

function postgresErrorBody(err: PostgresError): Record<string, unknown> {
  const body: Record<string, unknown> = { message: err.message };
  for (const f of POSTGRES_ERROR_FIELDS) body[f] = err.fields[f] ?? null;
  return body;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "access-control-allow-origin": "*",
    ...headers,
  });
  res.end(body);
}

function sendPreflight(res: ServerResponse): void {
  res.writeHead(204, {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "*",
    "access-control-max-age": "86400",
  });
  res.end();
}
