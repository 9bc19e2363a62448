// How spend rows travel from an isolate to the key's meter object and wait there for Postgres. The object never
// needs to look inside them on the hot path, so they are JSON text end to end: the isolate stringifies each batch
// once, the object stores the text as it arrived (one storage entry per chunk, not one per row), and only the flush
// alarm parses it, once per batch, when it writes to Postgres. Parsing rows and storing each as its own structured
// clone cost the object more CPU per request than the rest of the meter together.
//
// Wire format of a meter call: the control message as one line of JSON, then each chunk of rows as one line holding a
// JSON array. JSON.stringify never emits a raw newline (it escapes them inside strings), so "\n" is an unambiguous
// separator.
import type { SpendRow } from "../db/queries.ts";
import { isRecord } from "../util/is-record.ts";

/**
 * Largest chunk of row text stored as one entry. SQLite-backed Durable Objects take up to 2 MB per key and value;
 * a row is ~400 bytes, so a chunk holds ~600 rows and a busy isolate's report rarely needs a second one.
 */
export const ROW_CHUNK_BYTES = 256 * 1024;

/** The body of a meter call: `control` plus the rows, chunked. */
export function encodeMeterCall(control: unknown, rows: readonly SpendRow[], chunkBytes = ROW_CHUNK_BYTES): string {
  const parts = [JSON.stringify(control)];
  let chunk: string[] = [];
  let size = 0;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (chunk.length && size + text.length > chunkBytes) {
      parts.push(`[${chunk.join(",")}]`);
      chunk = [];
      size = 0;
    }
    chunk.push(text);
    size += text.length + 1;
  }
  if (chunk.length) parts.push(`[${chunk.join(",")}]`);
  return parts.join("\n");
}

/** The control message and the row chunks (still text) of a meter call's body. */
export function decodeMeterCall(body: string): { control: unknown; rowChunks: string[] } {
  const lines = body.split("\n");
  return { control: JSON.parse(lines[0] ?? "null"), rowChunks: lines.slice(1).filter((l) => l.length > 0) };
}

/**
 * The rows of one stored chunk, dates restored (JSON carried them as ISO strings). Throws for text that is not an
 * array of rows each with its request id: the one thing writeSpend cannot make up (it keeps a retried batch from
 * counting twice). Every other value is made valid there.
 */
export function parseRowChunk(text: string): SpendRow[] {
  const rows = JSON.parse(text) as SpendRow[];
  if (!Array.isArray(rows)) throw new Error("a stored spend-row chunk is not a JSON array");
  for (const r of rows) {
    if (typeof r !== "object" || r === null || typeof r.requestId !== "string" || r.requestId === "") throw new Error("a stored spend row has no request id");
  }
  return rows.map(revive);
}

/** A row from storage or JSON: dates as Date objects whether they arrived as dates or as strings. */
export function revive(row: SpendRow): SpendRow {
  return { ...row, startTime: new Date(row.startTime), endTime: row.endTime ? new Date(row.endTime) : null };
}

/**
 * What can be billed of a stored chunk the flush could not read (`parseRowChunk` threw): every row that is an object,
 * a row without its request id given one made from the chunk's name and its place in it (so salvaging the same chunk
 * twice cannot count it twice), and the rest of its values made valid by writeSpend as for any row. Text that is not
 * a JSON array cannot be read at all: that is `problem`, for the operator who looks at the text.
 */
export function salvageRowChunk(name: string, text: string): { rows: SpendRow[]; dropped: number } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { problem: `not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { problem: "not a JSON array of rows" };
  const rows: SpendRow[] = [];
  parsed.forEach((r: unknown, i) => {
    if (!isRecord(r)) return;
    const requestId = typeof r.requestId === "string" && r.requestId !== "" ? r.requestId : `salvaged_${name}_${i}`;
    // The other fields as stored: writeSpend makes each valid for its column.
    rows.push(revive({ ...(r as unknown as SpendRow), requestId }));
  });
  return { rows, dropped: parsed.length - rows.length };
}
