// Flag values → what the admin API expects. Pure functions; each error names the flag and the value at fault, and
// says what would have been accepted.
import { UsageError } from "./errors.ts";

const DAY_MS = 86_400_000;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;
/** The admin API's longest duration (worker/keys/time-fields.ts). */
const MAX_DURATION_MS = 100 * 365 * DAY_MS;
/** The admin API's bounds: numeric(20, 6) dollars, int4 limits. */
const MAX_USD = 1e12;
const INT4_MAX = 2_147_483_647;

/** Words that clear a limit (send null) in `key update`, or ask for none at `key create`. */
const NONE = new Set(["none", "unlimited", "off"]);

export const DURATION_HELP = 'a duration like 30s, 15m, 12h, 7d or 2w';

/** A dollar amount ("5", "2.50", "$5"), or null for "none". */
export function parseUsd(flag: string, text: string): number | null {
  if (NONE.has(text.toLowerCase())) return null;
  const t = text.startsWith("$") ? text.slice(1) : text;
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(t)) throw new UsageError(`--${flag} must be an amount in USD such as 5 or 12.50 (or "none"), not "${text}"`);
  const n = Number(t);
  if (n > MAX_USD) throw new UsageError(`--${flag} must be at most ${MAX_USD}, not "${text}"`);
  return n;
}

/** A positive whole number ("60", "200000", "200k", "200_000"), or null for "none". */
export function parseLimit(flag: string, text: string): number | null {
  if (NONE.has(text.toLowerCase())) return null;
  const m = /^(\d[\d_]*)(k?)$/i.exec(text);
  const n = m ? Number(m[1]!.replaceAll("_", "")) * (m[2] ? 1000 : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number of at least 1 such as 60 or 200k (or "none"), not "${text}"`);
  if (n > INT4_MAX) throw new UsageError(`--${flag} must be at most ${INT4_MAX}, not "${text}"`);
  return n;
}

/** A positive duration in the admin API's spelling ("2w" becomes "14d"), with its length. */
export function parseDuration(flag: string, text: string): { text: string; ms: number } {
  const m = /^(\d{1,9})([smhdw])$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!m || !(ms > 0)) throw new UsageError(`--${flag} must be ${DURATION_HELP}, not "${text}"`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`--${flag} must be at most 100 years, not "${text}"`);
  return { text: m[2] === "w" ? `${Number(m[1]) * 7}d` : text, ms };
}

/** A budget period ("1d", "30d"), or null for "none" (spend never resets). */
export function parseBudgetPeriod(flag: string, text: string): string | null {
  if (NONE.has(text.toLowerCase())) return null;
  return parseDuration(flag, text).text;
}

/** How a key's expiry is sent: a lifetime from now, an exact instant, or never. */
export type Expiry = { duration: string } | { expires: string } | { duration: null };

/** `--expires 30d`, `--expires 2026-12-31` (midnight UTC), an ISO date-time, or "never". */
export function parseExpiry(flag: string, text: string, now: Date): Expiry {
  if (text.toLowerCase() === "never" || NONE.has(text.toLowerCase())) return { duration: null };
  if (/^\d+[smhdw]$/.test(text)) return { duration: parseDuration(flag, text).text };
  const at = parseInstant(text);
  if (!at) throw new UsageError(`--${flag} must be ${DURATION_HELP}, a date (YYYY-MM-DD), an ISO 8601 date-time, or "never"; not "${text}"`);
  if (at.getTime() <= now.getTime()) throw new UsageError(`--${flag} ${text} is in the past (to stop a key now, use "key revoke")`);
  return { expires: at.toISOString() };
}

/** A grace period for `key rotate`: a duration, or "0" (the previous key stops at once). */
export function parseGrace(flag: string, text: string): string {
  if (text === "0" || text === "0s" || NONE.has(text.toLowerCase())) return "0";
  const d = parseDuration(flag, text);
  if (d.ms > 30 * DAY_MS) throw new UsageError(`--${flag} must be at most 30d (the gateway's limit), not "${text}"`);
  return d.text;
}

/** A comma-separated model list, trimmed and deduplicated; "all" = every model (an empty list for the API). */
export function parseModels(flag: string, text: string): string[] {
  if (text.toLowerCase() === "all") return [];
  const models = text.split(",").map((m) => m.trim());
  if (models.some((m) => m === "")) throw new UsageError(`--${flag} must be model names separated by commas (or "all"), not "${text}"`);
  return [...new Set(models)];
}

/** A real calendar date in YYYY-MM-DD form (2026-02-30 is not one). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** YYYY-MM-DD (midnight UTC) or an ISO 8601 date-time (UTC when it names no offset); null otherwise. */
export function parseInstant(text: string): Date | null {
  if (isCalendarDate(text)) return new Date(`${text}T00:00:00Z`);
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m || !isCalendarDate(m[1]!) || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4] ?? 0) > 59) return null;
  const d = new Date(m[5] ? text : `${text}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Today's date (YYYY-MM-DD) in the time zone. */
export function todayIn(timeZone: string, now: Date): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** The date `days` days before `date` (both YYYY-MM-DD). */
export function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `a` to `b`, both included (b = a gives 1). */
export function daysSpanned(a: string, b: string): number {
  return (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS + 1;
}

/**
 * A report day from `--since`/`--until`: a date, "today", "yesterday", or a number of days. `--since 7d` is the last
 * seven days with today included (its first day is six days ago); `--until 2d` is the day two days ago.
 */
export function parseReportDay(flag: "since" | "until", text: string, today: string): string {
  const t = text.toLowerCase();
  if (t === "today") return today;
  if (t === "yesterday") return daysBefore(today, 1);
  if (isCalendarDate(text)) return text;
  const m = /^(\d{1,4})([dw])$/.exec(t);
  if (!m) throw new UsageError(`--${flag} must be a date (YYYY-MM-DD), "today", "yesterday", or a number of days such as 7d or 2w; not "${text}"`);
  const days = Number(m[1]) * (m[2] === "w" ? 7 : 1);
  if (flag === "since") {
    if (days < 1) throw new UsageError(`--since must cover at least one day (1d = today), not "${text}"`);
    return daysBefore(today, days - 1);
  }
  return daysBefore(today, days);
}

/** An IANA time zone the runtime knows (the same check the admin API applies). */
export { isTimeZone } from "../worker/keys/time-fields.ts";
