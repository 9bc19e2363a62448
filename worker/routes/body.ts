import type * as z from "zod/mini";
import { GatewayError } from "../edge/errors.ts";
import { describeIssues } from "../util/zod-issues.ts";

/**
 * What was already read of a request's body, so that a stage that looks into it before the route (the origin
 * fallback reads the model) and the route share one read and one parse: a Claude Code body is 100k+ tokens, and
 * parsing it twice would cost milliseconds of CPU on every request.
 */
interface ReadBody {
  bytes: Uint8Array;
  json?: { value: unknown } | { error: unknown };
}
const readBodies = new WeakMap<Request, ReadBody>();

/**
 * Reads a JSON request body with a hard size cap, counting bytes as they arrive so an oversized or lying
 * `content-length` never makes us buffer more than the cap. Parsed once per request, however often it is asked for.
 */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type.trim())) {
    throw new GatewayError(415, "Content-Type must be application/json.", "invalid_request_error");
  }
  if (!req.body) throw new GatewayError(400, "Request body is empty: expected a JSON object.", "invalid_request_error");
  await readBodyBytes(req, maxBytes);
  return parsedBody(req);
}

/** The request body's bytes, read once (under the cap) and remembered for the rest of the request. */
export async function readBodyBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const seen = readBodies.get(req);
  if (seen) return seen.bytes;
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  let bytes: Uint8Array;
  if (!req.body) {
    bytes = new Uint8Array();
  } else if (Number.isFinite(declared) && declared <= maxBytes) {
    // The common case: a declared length under the cap. The runtime enforces content-length, so one native read is
    // safe and much cheaper than a chunk loop.
    bytes = new Uint8Array(await req.arrayBuffer());
  } else {
    bytes = await readCapped(req.body, maxBytes, Number.isFinite(declared));
  }
  readBodies.set(req, { bytes });
  return bytes;
}

/**
 * The body already read by `readBodyBytes`, as a JSON object: null when it is not one (the route that reads it
 * with `readJsonBody` says why). For a stage that only looks.
 */
export function peekJsonBody(req: Request): Record<string, unknown> | null {
  try {
    return parsedBody(req) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function parsedBody(req: Request): unknown {
  const read = readBodies.get(req);
  if (!read) throw new Error("the request body was not read yet");
  if (!read.json) {
    try {
      read.json = { value: parseJsonObject(read.bytes) };
    } catch (error) {
      read.json = { error };
    }
  }
  if ("error" in read.json) throw read.json.error;
  return read.json.value;
}

/** A body of unknown (chunked) or too-large declared length: read chunk by chunk, never past the cap. */
export async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number, declaredTooLarge: boolean): Promise<Uint8Array> {
  const reader = body.getReader();
  if (declaredTooLarge) {
    await discard(reader, maxBytes * 4);
    throw tooLarge(maxBytes);
  }

  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await discard(reader, maxBytes * 3);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/** One decoder for every body: without `stream` a decode call keeps no state, so sharing it is safe. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function parseJsonObject(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new GatewayError(400, "Request body is not valid UTF-8.", "invalid_request_error");
  }
  if (text.trim() === "") throw new GatewayError(400, "Request body is empty: expected a JSON object.", "invalid_request_error");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError(400, `Request body is not valid JSON: ${(err as Error).message}`, "invalid_request_error");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError(400, "Request body must be a JSON object.", "invalid_request_error");
  }
  return parsed;
}

/**
 * Reads and drops the rest of an oversized body (up to a cap) before answering 413. Answering while the client is
 * still sending makes the runtime reset the connection, and most HTTP clients then report a network error instead
 * of the 413 and its explanation. Nothing is kept: memory stays flat whatever the size.
 */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, capBytes: number): Promise<void> {
  let seen = 0;
  try {
    while (seen <= capBytes) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => {});
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(413, `Request body is larger than the ${Math.round(maxBytes / 1048576)} MB limit.`, "request_too_large");
}

/**
 * Validates with a zod schema and turns the first problems into one readable 400 message. With a `screen` (a cheaper
 * schema that accepts exactly what `schema` accepts), a body the screen accepts is taken as it is; `schema` runs only
 * to word the error of one it refuses.
 */
export function validate<T extends z.ZodMiniType>(schema: T, value: unknown, screen?: z.ZodMiniType): z.infer<T> {
  if (screen?.safeParse(value).success) return value as z.infer<T>;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw new GatewayError(400, describeIssues(r.error.issues, "body", 3), "invalid_request_error", undefined, first ? first.path.join(".") : undefined);
}

/** Refuses a body whose declared size is over `limit`, after draining it (see `discard`) so the client sees the 413. */
export async function refuseOversized(req: Request, limit: number, what: string): Promise<never> {
  if (req.body) await discard(req.body.getReader(), limit * 4);
  throw new GatewayError(413, `Request body is larger than ${what}.`, "request_too_large");
}
