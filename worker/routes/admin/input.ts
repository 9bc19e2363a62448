import type * as z from "zod/mini";
import { findUnstorable, textProblem, timeProblem } from "../../db/storable.ts";
import { GatewayError } from "../../edge/errors.ts";
import { readJsonBody } from "../body.ts";
import type { AdminContext } from "./env.ts";

// Reading admin input: JSON bodies and query strings, strictly (an unknown field is refused, not ignored, so a typo
// such as "max_budgt" cannot silently create an unlimited key), with every error naming the field at fault.

/** Admin bodies are small (settings and metadata); anything bigger is a mistake. */
const MAX_ADMIN_BODY_BYTES = 256 * 1024;

/** A 4xx in the OpenAI error dialect whose message starts with, and whose `param` is, the field at fault. */
export function fieldError(param: string, message: string, status = 400): GatewayError {
  const type = status === 404 ? "not_found_error" : status === 409 ? "conflict_error" : "invalid_request_error";
  return new GatewayError(status, `${param}: ${message}`, type, undefined, param);
}

export async function readAdminBody<T extends z.ZodMiniType>(c: AdminContext, schema: T): Promise<z.infer<T>> {
  const body = validateInput(schema, await readJsonBody(c.req.raw, MAX_ADMIN_BODY_BYTES));
  checkStorable(body);
  return body;
}

/**
 * Every string in an admin body (object keys too) must be storable as Postgres text, and every field's value nested
 * at most MAX_JSON_DEPTH levels: a 400 naming the field (`metadata.a.b`) rather than a 500 from the database.
 */
export function checkStorable(body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  for (const [field, value] of Object.entries(body)) {
    const found = findUnstorable(value);
    // A depth problem names the field alone: the path down to it is just the hostile value's own keys.
    if (found) throw fieldError(found.kind === "depth" ? field : [field, ...found.path].join("."), found.problem);
  }
}

/** Validates with zod; the first problem becomes a 400 naming its field. */
export function validateInput<T extends z.ZodMiniType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (!issue) throw new GatewayError(400, "Invalid request.", "invalid_request_error");
  if (issue.code === "unrecognized_keys") {
    const field = issue.keys[0] ?? "body";
    throw fieldError(field, "is not a supported field");
  }
  const param = issue.path.map(String).join(".");
  throw fieldError(param || "body", issue.message);
}

/**
 * The query string as a map of the allowed parameters (empty values count as absent). Unknown or repeated parameters
 * are refused: `?modle=x` must not quietly return every row.
 */
export function queryParams<K extends string>(c: AdminContext, allowed: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  const seen = new Set<string>();
  for (const [name, value] of new URL(c.req.url).searchParams) {
    if (!(allowed as readonly string[]).includes(name)) throw fieldError(name, `is not a supported query parameter (supported: ${allowed.join(", ")})`);
    if (seen.has(name)) throw fieldError(name, "is given more than once");
    seen.add(name);
    // `%00` decodes to NUL, which Postgres text cannot hold. (Malformed UTF-8 decodes to U+FFFD, which it can.)
    const problem = textProblem(value);
    if (problem) throw fieldError(name, problem);
    if (value !== "") out[name as K] = value;
  }
  return out;
}

/** A whole number within [min, max] from the query string, or `def` when absent. */
export function intParam(param: string, text: string | undefined, def: number, min: number, max: number): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw fieldError(param, `must be a whole number from ${min} to ${max}`);
  return n;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A real calendar date in YYYY-MM-DD form (2026-02-30 is not one, though Date would roll it over to March). */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/**
 * A date (YYYY-MM-DD, midnight UTC) or an ISO 8601 date-time (UTC when it names no offset), or null when it is
 * neither or names an impossible day or time.
 */
export function parseDateOrInstant(text: string): { at: Date; dateOnly: boolean } | null {
  if (isCalendarDate(text)) return { at: new Date(`${text}T00:00:00Z`), dateOnly: true };
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  if (!isCalendarDate(`${y}-${mo}-${d}`) || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  const at = new Date(m[8] ? text : `${text}Z`);
  return Number.isNaN(at.getTime()) ? null : { at, dateOnly: false };
}

/**
 * A date or date-time parameter: 400 naming `param` unless it parses and lies in the range the database accepts
 * (1970 to 9999; `0000-01-01` is a valid ISO date that Postgres refuses).
 */
export function instantParam(param: string, text: string): { at: Date; dateOnly: boolean } {
  const parsed = parseDateOrInstant(text);
  if (!parsed) throw fieldError(param, `must be a date (YYYY-MM-DD) or an ISO 8601 date-time, not "${text}"`);
  const problem = timeProblem(parsed.at.getTime());
  if (problem) throw fieldError(param, problem);
  return parsed;
}

/** Midnight UTC of the day after the given YYYY-MM-DD date. */
export function dayAfter(date: Date): Date {
  return new Date(date.getTime() + 86_400_000);
}
