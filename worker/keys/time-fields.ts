// Durations and time zones as the key API spells them (LiteLLM's style): "30s", "15m", "12h", "7d"; IANA zone names.
// Pure; shared by the admin API (key lifetimes, budget periods, grace periods) and the configuration
// (KEY_DEFAULTS / KEY_LIMITS).

const DURATION = /^(\d{1,9})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Longest duration accepted anywhere: far beyond any sensible key lifetime, well inside what a Date can hold. */
export const MAX_DURATION_MS = 100 * 365 * UNIT_MS.d;

/** Milliseconds in `text` ("0" and "0s" are 0), or null when it is not a duration or is longer than 100 years. */
export function durationMs(text: string): number | null {
  if (text === "0") return 0;
  const m = DURATION.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms <= MAX_DURATION_MS ? ms : null;
}

/** A positive duration (what a key lifetime or a budget period must be), or null. */
export function positiveDurationMs(text: string): number | null {
  const ms = durationMs(text);
  return ms !== null && ms > 0 ? ms : null;
}

export const DURATION_FORMAT = 'a duration like "30s", "15m", "12h" or "7d"';

/** An IANA zone name the runtime knows ("UTC", "Europe/Paris"); Intl is the same in Workers, Deno and Node. */
export function isTimeZone(tz: string): boolean {
  if (tz === "" || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
