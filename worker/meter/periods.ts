// Budget periods: "1d", "7d", "30d" reset at local midnight in the key's time zone; "12h", "30m", "45s" are plain
// intervals. Pure functions over epoch milliseconds, using only Intl (available in Workers and Deno).

import { positiveDurationMs } from "../keys/time-fields.ts";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A budget period, split into amount and unit (day periods follow the calendar; shorter ones are intervals). */
export function parseDuration(text: string): { amount: number; unit: "s" | "m" | "h" | "d" } | null {
  // One grammar for durations everywhere: the key API's (worker/keys/time-fields.ts).
  if (positiveDurationMs(text) === null) return null;
  return { amount: Number(text.slice(0, -1)), unit: text.slice(-1) as "s" | "m" | "h" | "d" };
}

/** The zone's offset from UTC, in ms, at instant `t` (positive east of Greenwich). */
function offsetMs(t: number, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant of local midnight that starts the local day containing `t`. */
export function localMidnight(t: number, tz: string): number {
  const local = t + offsetMs(t, tz);
  const midnightLocal = local - (((local % 86_400_000) + 86_400_000) % 86_400_000);
  // Convert back with the offset in force at that midnight (differs from `t`'s across a DST change).
  let guess = midnightLocal - offsetMs(midnightLocal, tz);
  const check = guess + offsetMs(guess, tz);
  if (check !== midnightLocal) guess = midnightLocal - offsetMs(guess, tz);
  return guess;
}

/**
 * The end of the budget period that contains `now`, for a period that started at `start`.
 * Day-based periods end at local midnight `amount` local days after the start's local day; shorter ones are
 * fixed intervals from `start`.
 */
export function periodEnd(start: number, now: number, duration: string, tz = "UTC"): number {
  const d = parseDuration(duration);
  if (!d) throw new Error(`invalid budget duration "${duration}"`);
  if (d.unit !== "d") {
    const len = d.amount * UNIT_MS[d.unit]!;
    const elapsed = Math.max(0, now - start);
    return start + (Math.floor(elapsed / len) + 1) * len;
  }
  let end = nextLocalMidnightAfterDays(localMidnight(start, tz), d.amount, tz);
  while (end <= now) end = nextLocalMidnightAfterDays(end, d.amount, tz);
  return end;
}

function nextLocalMidnightAfterDays(midnight: number, days: number, tz: string): number {
  // Step to roughly the right day, then snap to that day's local midnight (days can be 23 or 25 hours long).
  return localMidnight(midnight + days * 86_400_000 + 12 * 3_600_000, tz);
}
