import { PGlite, protocol } from "@electric-sql/pglite";
import pg from "pg";

// The Postgres behind the local Neon shim: either PGlite (embedded, zero set-up) or a real server through
// node-postgres. Both return what a server sends on the wire in TEXT format — values as the exact strings Postgres
// prints, NULL as null, and each column's type OID — so the Neon driver parses them exactly as it would in
// production. Statements always go through the extended protocol (Parse/Bind/Execute), as Neon's proxy does:
// `$1` parameters work and several statements in one string are refused, just like on Neon.

/** A result column, as in Postgres' RowDescription (and Neon's `fields`). */
export interface PgField {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
}

export interface PgTextResult {
  /** First word of the command tag ("SELECT", "INSERT", "CREATE", …); "" for an empty query. */
  command: string;
  /** Row count from the command tag; null for commands without one (BEGIN, CREATE TABLE, …). */
  rowCount: number | null;
  fields: PgField[];
  /** One array per row, one TEXT-format string (or null) per column. */
  rows: (string | null)[][];
}

export interface PgStatement {
  text: string;
  /** Parameters in TEXT format, null for NULL; their types are inferred by the server. */
  params: (string | null)[];
}

export type IsolationLevel = "Serializable" | "RepeatableRead" | "ReadCommitted" | "ReadUncommitted";

export interface TransactionOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

export interface PgBackend {
  readonly kind: "pglite" | "postgres";
  query(statement: PgStatement): Promise<PgTextResult>;
  /** Runs the statements in one transaction; on the first error rolls back and throws it. */
  transaction(statements: PgStatement[], options?: TransactionOptions): Promise<PgTextResult[]>;
  close(): Promise<void>;
}

/** The fields of a Postgres ErrorResponse, as pg-protocol names them (node-postgres and PGlite share these). */
export const POSTGRES_ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

export type PostgresErrorFields = Partial<Record<(typeof POSTGRES_ERROR_FIELDS)[number], string>>;

/** An error reported by Postgres itself (as opposed to a broken connection), with its SQLSTATE code. */
export class PostgresError extends Error {
  override readonly name = "PostgresError";
  constructor(
    message: string,
    readonly fields: PostgresErrorFields,
  ) {
    super(message);
  }

  static from(err: unknown): PostgresError | null {
    if (err instanceof PostgresError) return err;
    if (!(err instanceof Error)) return null;
    const e = err as Error & Record<string, unknown>;
    if (typeof e.code !== "string" || typeof e.severity !== "string") return null;
    const fields: PostgresErrorFields = {};
    for (const f of POSTGRES_ERROR_FIELDS) if (typeof e[f] === "string") fields[f] = e[f];
    return new PostgresError(e.message, fields);
  }
}

/** Splits a command tag the way Neon's proxy does: "INSERT 0 3" → INSERT/3, "SELECT 2" → SELECT/2, "BEGIN" → BEGIN/null. */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const space = tag.indexOf(" ");
  if (space < 0) return { command: tag, rowCount: null };
  const command = tag.slice(0, space);
  let count = tag.slice(space + 1);
  if (command === "INSERT") count = count.slice(count.indexOf(" ") + 1); // "INSERT <oid> <rows>"
  return { command, rowCount: /^\d+$/.test(count) ? Number(count) : null };
}

function beginStatement(o: TransactionOptions = {}): string {
  const modes: string[] = [];
  if (o.isolationLevel) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[o.isolationLevel]}`);
  if (o.readOnly) modes.push("READ ONLY");
  if (o.deferrable) modes.push("DEFERRABLE");
  return modes.length ? `START TRANSACTION ${modes.join(", ")}` : "START TRANSACTION";
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  Serializable: "SERIALIZABLE",
  RepeatableRead: "REPEATABLE READ",
  ReadCommitted: "READ COMMITTED",
  ReadUncommitted: "READ UNCOMMITTED",
};

// ---------------------------------------------------------------------------------------------------------------
// PGlite: speak the wire protocol to the embedded server directly, so nothing in between parses or re-formats values.

export interface PgliteBackend extends PgBackend {
  readonly kind: "pglite";
  readonly pglite: PGlite;
}

/**
 * Wraps an open PGlite. PGlite is a single session, so every request runs under its exclusive lock (a transaction
 * holds the lock from START to COMMIT: nothing else can slip into it). `close()` closes the PGlite only when
 * `ownsInstance` is true.
 */
export function createPgliteBackend(pglite: PGlite, opts: { ownsInstance?: boolean } = {}): PgliteBackend {
  const s = protocol.serialize;

  async function exec(message: Uint8Array): Promise<BackendMessage[]> {
    const { messages } = await pglite.execProtocol(message, { throwOnError: false });
    return messages;
  }

  /** Parse/Bind/Describe/Execute/Sync in one buffer; returns the result or the server's error. */
  async function extended(st: PgStatement): Promise<PgTextResult> {
    const message = concat([
      s.parse({ text: st.text }),
      s.bind({ values: st.params }),
      s.describe({ type: "P" }),
      s.execute({}),
      s.sync(),
    ]);
    return toResult(await exec(message));
  }

  async function simple(text: string): Promise<void> {
    toResult(await exec(s.query(text)));
  }

  // Query lock inside the transaction lock, the order PGlite itself takes them, so that neither PGlite's own
  // transactions (e.g. the migrator's) nor its queries can interleave with ours.
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> =>
    pglite._runExclusiveTransaction(() => pglite.runExclusive(fn));

  return {
    kind: "pglite",
    pglite,
    query: (st) => exclusive(() => extended(st)),
    transaction: (statements, options) =>
      exclusive(async () => {
        await simple(beginStatement(options));
        const results: PgTextResult[] = [];
        try {
          for (const st of statements) results.push(await extended(st));
        } catch (err) {
          await simple("ROLLBACK").catch(() => {});
          throw err;
        }
        await commitOrRollback(simple);
        return results;
      }),
    close: async () => {
      if (opts.ownsInstance) await pglite.close();
    },
  };
}

// COMMIT itself can fail (a deferred constraint, a serialization failure); Postgres has then already ended the
// transaction, and the ROLLBACK that follows is a harmless no-op that makes sure the session is clean either way.
async function commitOrRollback(run: (text: string) => Promise<unknown>): Promise<void> {
  try {
    await run("COMMIT");
  } catch (err) {
    await run("ROLLBACK").catch(() => {});
    throw err;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type BackendMessage = Awaited<ReturnType<PGlite["execProtocol"]>>["messages"][number];

interface ProtocolField {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
}

/** Folds the backend messages of one extended-protocol round (or a simple query) into a result, or throws. */
function toResult(messages: BackendMessage[]): PgTextResult {
  let fields: PgField[] = [];
  const rows: (string | null)[][] = [];
  let tag = "";
  for (const m of messages) {
    switch (m.name) {
      case "error": {
        const err = PostgresError.from(m);
        throw err ?? new Error(`PGlite error: ${String((m as unknown as Error).message)}`);
      }
      case "rowDescription":
        fields = (m as unknown as { fields: ProtocolField[] }).fields.map((f) => ({
          name: f.name,
          tableID: f.tableID,
          columnID: f.columnID,
          dataTypeID: f.dataTypeID,
          dataTypeSize: f.dataTypeSize,
          dataTypeModifier: f.dataTypeModifier,
          format: "text",
        }));
        break;
      case "dataRow":
        rows.push((m as unknown as { fields: (string | null)[] }).fields);
        break;
      case "commandComplete":
        tag = (m as unknown as { text: string }).text;
        break;
    }
  }
  return { ...parseCommandTag(tag), fields, rows };
}

/** Opens PGlite (in memory when `dataDir` is undefined) and wraps it; `close()` closes the PGlite too. */
export async function openPgliteBackend(dataDir?: string): Promise<PgliteBackend> {
  const pglite = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  return createPgliteBackend(pglite, { ownsInstance: true });
}

// ---------------------------------------------------------------------------------------------------------------
// A PostgreSQL server through node-postgres, with every type parser replaced by the identity so values stay text.

export interface PostgresBackend extends PgBackend {
  readonly kind: "postgres";
  readonly pool: pg.Pool;
}

const rawText: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

export function createPostgresBackend(poolConfig: pg.PoolConfig): PostgresBackend {
  const pool = new pg.Pool({ max: 10, ...poolConfig });
  // An idle client losing its connection must not crash the test process; the next query reports it.
  pool.on("error", () => {});

  async function run(client: pg.ClientBase, st: PgStatement): Promise<PgTextResult> {
    try {
      const r = await client.query({
        text: st.text,
        values: st.params,
        rowMode: "array",
        types: rawText,
        // Always Parse/Bind/Execute, even without parameters (node-postgres would otherwise use a simple Query,
        // which accepts several statements at once where Neon does not).
        queryMode: "extended",
      } as pg.QueryArrayConfig);
      return {
        command: r.command ?? "",
        rowCount: r.command ? r.rowCount : null,
        fields: r.fields.map((f) => ({
          name: f.name,
          tableID: f.tableID,
          columnID: f.columnID,
          dataTypeID: f.dataTypeID,
          dataTypeSize: f.dataTypeSize,
          dataTypeModifier: f.dataTypeModifier,
          format: "text",
        })),
        rows: r.rows as (string | null)[][],
      };
    } catch (err) {
      throw PostgresError.from(err) ?? err;
    }
  }

  return {
    kind: "postgres",
    pool,
    query: async (st) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await run(client, st);
      } catch (err) {
        if (!(err instanceof PostgresError)) broken = err as Error;
        throw err;
      } finally {
        client.release(broken);
      }
    },
    transaction: async (statements, options) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await run(client, { text: beginStatement(options), params: [] });
        const results: PgTextResult[] = [];
        try {
          for (const st of statements) results.push(await run(client, st));
        } catch (err) {
          // If even ROLLBACK fails the session is unusable: discard the connection rather than pool it.
          await run(client, { text: "ROLLBACK", params: [] }).catch((e: Error) => (broken = e));
          throw err;
        }
        await commitOrRollback((text) => run(client, { text, params: [] }));
        return results;
      } catch (err) {
        if (!(err instanceof PostgresError)) broken ??= err as Error;
        throw err;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
