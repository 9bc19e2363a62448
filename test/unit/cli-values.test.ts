import { describe, expect, it } from "vitest";
import { UsageError } from "../../cli/errors.ts";
import { keyFieldsFromFlags } from "../../cli/key-flags.ts";
import { CLAUDE_MODELS } from "../../cli/models.ts";
import {
  daysSpanned,
  isCalendarDate,
  parseBudgetPeriod,
  parseDuration,
  parseExpiry,
  parseGrace,
  parseInstant,
  parseLimit,
  parseModels,
  parseReportDay,
  parseUsd,
  todayIn,
} from "../../cli/values.ts";

const NOW = new Date("2026-11-22T15:30:00Z");

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("numbers", () => {
  it("parses dollars, with none for no limit", () => {
    expect(parseUsd("budget", "5")).toBe(5);
    expect(parseUsd("budget", "12.50")).toBe(12.5);
    expect(parseUsd("budget", "$3")).toBe(3);
    expect(parseUsd("budget", "0")).toBe(0);
    expect(parseUsd("budget", "none")).toBeNull();
    expect(usage(() => parseUsd("budget", "-1"))).toBe('--budget must be an amount in USD such as 5 or 12.50 (or "none"), not "-1"');
    for (const bad of ["five", "1e3", "5.", "", "Infinity", "NaN"]) expect(() => parseUsd("budget", bad)).toThrow(UsageError);
    expect(usage(() => parseUsd("budget", "10000000000000"))).toMatch(/at most/);
  });

  it("parses limits: whole numbers ≥ 1, k for thousands, underscores, none", () => {
    expect(parseLimit("tpm", "200000")).toBe(200_000);
    expect(parseLimit("tpm", "200k")).toBe(200_000);
    expect(parseLimit("tpm", "200_000")).toBe(200_000);
    expect(parseLimit("rpm", "unlimited")).toBeNull();
    for (const bad of ["0", "1.5", "abc", "-3", "5m"]) expect(usage(() => parseLimit("rpm", bad))).toMatch(/^--rpm must be a whole number/);
    expect(usage(() => parseLimit("rpm", "3000000000"))).toBe('--rpm must be at most 2147483647, not "3000000000"');
  });
});

describe("durations", () => {
  it("accepts s/m/h/d and turns weeks into days", () => {
    expect(parseDuration("expires", "30s")).toEqual({ text: "30s", ms: 30_000 });
    expect(parseDuration("expires", "2w")).toEqual({ text: "14d", ms: 14 * 86_400_000 });
    expect(parseBudgetPeriod("duration", "1d")).toBe("1d");
    expect(parseBudgetPeriod("duration", "none")).toBeNull();
  });

  it("refuses zero, unknown units, spaces and absurd lengths", () => {
    for (const bad of ["0d", "5x", "1 d", "d", "1.5h", "1D"]) expect(usage(() => parseDuration("duration", bad))).toBe(`--duration must be a duration like 30s, 15m, 12h, 7d or 2w, not "${bad}"`);
    expect(usage(() => parseDuration("expires", "40000d"))).toMatch(/at most 100 years/);
  });

  it("grace: a duration up to 30 days, or 0", () => {
    expect(parseGrace("grace", "24h")).toBe("24h");
    expect(parseGrace("grace", "0")).toBe("0");
    expect(parseGrace("grace", "30d")).toBe("30d");
    expect(usage(() => parseGrace("grace", "31d"))).toMatch(/at most 30d/);
  });
});

describe("dates", () => {
  it("knows real calendar dates", () => {
    expect(isCalendarDate("2026-02-28")).toBe(true);
    expect(isCalendarDate("2028-02-29")).toBe(true);
    expect(isCalendarDate("2026-02-29")).toBe(false);
    expect(isCalendarDate("2026-13-01")).toBe(false);
    expect(isCalendarDate("2026-1-01")).toBe(false);
  });

  it("parses instants: dates at midnight UTC, date-times with or without an offset", () => {
    expect(parseInstant("2026-12-31")?.toISOString()).toBe("2026-12-31T00:00:00.000Z");
    expect(parseInstant("2026-12-31T10:00")?.toISOString()).toBe("2026-12-31T10:00:00.000Z");
    expect(parseInstant("2026-12-31T10:00:00+02:00")?.toISOString()).toBe("2026-12-31T08:00:00.000Z");
    expect(parseInstant("2026-12-31T25:00")).toBeNull();
    expect(parseInstant("tomorrow")).toBeNull();
  });

  it("expiry: a lifetime, an instant in the future, or never", () => {
    expect(parseExpiry("expires", "30d", NOW)).toEqual({ duration: "30d" });
    expect(parseExpiry("expires", "1w", NOW)).toEqual({ duration: "7d" });
    expect(parseExpiry("expires", "2026-12-31", NOW)).toEqual({ expires: "2026-12-31T00:00:00.000Z" });
    expect(parseExpiry("expires", "never", NOW)).toEqual({ duration: null });
    expect(usage(() => parseExpiry("expires", "2026-11-01", NOW))).toMatch(/is in the past/);
    expect(usage(() => parseExpiry("expires", "2026-02-30", NOW))).toMatch(/^--expires must be .*not "2026-02-30"$/);
  });

  it("report days: --since Nd is the last N days with today, --until Nd is N days ago", () => {
    const today = "2026-11-22";
    expect(parseReportDay("since", "7d", today)).toBe("2026-11-16");
    expect(daysSpanned(parseReportDay("since", "7d", today), today)).toBe(7);
    expect(parseReportDay("since", "1d", today)).toBe(today);
    expect(parseReportDay("since", "2w", today)).toBe("2026-11-09");
    expect(parseReportDay("since", "2026-11-01", today)).toBe("2026-11-01");
    expect(parseReportDay("until", "yesterday", today)).toBe("2026-11-21");
    expect(parseReportDay("until", "2d", today)).toBe("2026-11-20");
    expect(parseReportDay("until", "today", today)).toBe(today);
    expect(usage(() => parseReportDay("since", "0d", today))).toMatch(/at least one day/);
    expect(usage(() => parseReportDay("since", "12h", today))).toMatch(/^--since must be a date/);
    expect(usage(() => parseReportDay("until", "2026-02-30", today))).toMatch(/^--until must be a date/);
  });

  it("today depends on the time zone", () => {
    const lateUtc = new Date("2026-11-22T23:30:00Z");
    expect(todayIn("UTC", lateUtc)).toBe("2026-11-22");
    expect(todayIn("Asia/Tokyo", lateUtc)).toBe("2026-11-23");
    expect(todayIn("America/Los_Angeles", new Date("2026-11-22T03:00:00Z"))).toBe("2026-11-21");
  });
});

describe("models", () => {
  it("splits, trims and dedupes; all = every model", () => {
    expect(parseModels("models", "a, b,a")).toEqual(["a", "b"]);
    expect(parseModels("models", "all")).toEqual([]);
    expect(usage(() => parseModels("models", "a,,b"))).toMatch(/separated by commas/);
  });
});

describe("keyFieldsFromFlags", () => {
  it("maps the flags to the admin API's fields", () => {
    expect(
      keyFieldsFromFlags({ budget: "5", duration: "1d", rpm: "60", tpm: "200k", parallel: "2", models: "a,b", expires: "30d", user: "u", team: "t", tz: "Europe/Paris" }, NOW),
    ).toEqual({ max_budget: 5, budget_duration: "1d", rpm_limit: 60, tpm_limit: 200_000, max_parallel_requests: 2, models: ["a", "b"], duration: "30d", user_id: "u", team_id: "t", budget_timezone: "Europe/Paris" });
    expect(keyFieldsFromFlags({ "claude-only": true, "budget-duration": "30d", rpm: "none" }, NOW)).toEqual({ models: [...CLAUDE_MODELS], budget_duration: "30d", rpm_limit: null });
    expect(keyFieldsFromFlags({}, NOW)).toEqual({});
  });

  it("refuses contradictions and bad zones", () => {
    expect(usage(() => keyFieldsFromFlags({ models: "a", "claude-only": true }, NOW))).toBe("give --models or --claude-only, not both");
    expect(usage(() => keyFieldsFromFlags({ duration: "1d", "budget-duration": "1d" }, NOW))).toMatch(/not both/);
    expect(usage(() => keyFieldsFromFlags({ tz: "Mars/Olympus" }, NOW))).toMatch(/--tz must be an IANA time zone/);
  });
});
