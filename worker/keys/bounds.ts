// Server-side defaults and upper bounds for keys made through the admin API (LiteLLM's default_key_generate_params
// and upperbound_key_generate_params), read from KEY_DEFAULTS and KEY_LIMITS. Pure.
import { isTimeZone, positiveDurationMs } from "./time-fields.ts";
import { isRecord as isObj } from "../util/is-record.ts";

/** Used for a field the request leaves out. */
export interface KeyDefaults {
  max_budget?: number;
  budget_duration?: string;
  budget_timezone?: string;
  rpm_limit?: number;
  tpm_limit?: number;
  max_parallel_requests?: number;
  /** Lifetime of a new key, e.g. "30d". */
  duration?: string;
}

/** Upper bounds: a request above one is refused; a field left unlimited (null) gets the bound instead. */
export interface KeyLimits {
  max_budget?: number;
  rpm_limit?: number;
  tpm_limit?: number;
  max_parallel_requests?: number;
  /** Longest key lifetime. */
  duration?: string;
  /** Longest budget period. */
  budget_duration?: string;
}

export type LimitedNumber = "max_budget" | "rpm_limit" | "tpm_limit" | "max_parallel_requests";
export const LIMITED_NUMBERS: readonly LimitedNumber[] = ["max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests"];
const DURATIONS = ["duration", "budget_duration"] as const;


/** Problems with a KEY_DEFAULTS / KEY_LIMITS object (empty = valid), each naming the field. */
function problemsIn(v: unknown, allowed: readonly string[]): string[] {
  if (!isObj(v)) return ["must be a JSON object"];
  const problems: string[] = [];
  for (const [k, val] of Object.entries(v)) {
    if (!allowed.includes(k)) problems.push(`${k} is not a supported field (supported: ${allowed.join(", ")})`);
    else if (k === "max_budget") {
      if (typeof val !== "number" || !Number.isFinite(val) || val < 0) problems.push(`${k} must be a number ≥ 0`);
    } else if ((LIMITED_NUMBERS as readonly string[]).includes(k)) {
      if (!Number.isSafeInteger(val) || (val as number) < 1) problems.push(`${k} must be a whole number ≥ 1`);
    } else if (k === "budget_timezone") {
      if (typeof val !== "string" || !isTimeZone(val)) problems.push(`${k} must be an IANA time zone`);
    } else if (typeof val !== "string" || positiveDurationMs(val) === null) {
      problems.push(`${k} must be a duration like "30d"`);
    }
  }
  return problems;
}

export function keyDefaultsProblems(v: unknown): string[] {
  return problemsIn(v, [...LIMITED_NUMBERS, "budget_duration", "budget_timezone", "duration"]);
}

export function keyLimitsProblems(v: unknown): string[] {
  return problemsIn(v, [...LIMITED_NUMBERS, ...DURATIONS]);
}

/** Defaults that break the limits (a misconfiguration: every key made with them would be refused). */
export function defaultsOutsideLimits(defaults: KeyDefaults, limits: KeyLimits): string[] {
  const problems: string[] = [];
  for (const f of LIMITED_NUMBERS) {
    const d = defaults[f];
    const l = limits[f];
    if (d !== undefined && l !== undefined && d > l) problems.push(`${f} default ${d} is above its limit ${l}`);
  }
  for (const f of DURATIONS) {
    const d = defaults[f];
    const l = limits[f];
    if (d !== undefined && l !== undefined && positiveDurationMs(d)! > positiveDurationMs(l)!) problems.push(`${f} default ${d} is longer than its limit ${l}`);
  }
  return problems;
}
