// The admin API's pure parts: durations and zones, KEY_DEFAULTS / KEY_LIMITS, key field rules, date parsing, and
// the admin routes' place on the firewall's allowlist.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../worker/config.ts";
import type { AdminKey } from "../../worker/db/admin-queries.ts";
import { GatewayError } from "../../worker/edge/errors.ts";
import { checkRoute, ROUTES } from "../../worker/edge/firewall.ts";
import { durationMs, isTimeZone, positiveDurationMs } from "../../worker/keys/time-fields.ts";
import { Catalog } from "../../worker/models/catalog.ts";
import { ADMIN_ROUTES } from "../../worker/routes/admin/index.ts";
import { isCalendarDate, parseDateOrInstant } from "../../worker/routes/admin/input.ts";
import { fieldsForNewKey, fieldsForUpdate, type FieldRules } from "../../worker/routes/admin/key-fields.ts";
import { refusal } from "../support/refusal.ts";

const base = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: "secret", DATABASE_URL: "postgres://u:p@db.example.com/db" };
const NOW = new Date("2026-03-10T15:00:00Z");
const catalog = new Catalog({ geoPrefix: "us" });
const rules = (over: Partial<FieldRules> = {}): FieldRules => ({ catalog, defaults: {}, limits: {}, now: NOW, ...over });


const existing: AdminKey = {
  id: "00000000-0000-0000-0000-000000000001", keyHash: "h", keyPrefix: "sk-bw-abcd", keyAlias: "a", userId: null, teamId: null, models: [],
  maxBudget: 10, spend: 1, budgetDuration: "1d", budgetResetAt: null, budgetTimezone: null, rpmLimit: null, tpmLimit: null,
  maxParallelRequests: null, expires: null, blocked: false, metadata: {}, graceKeyHash: null, graceExpires: null, createdAt: NOW, updatedAt: NOW,
};

describe("durations and time zones", () => {
  it("reads s/m/h/d durations, 0, and nothing else", () => {
    expect(durationMs("30s")).toBe(30_000);
    expect(durationMs("15m")).toBe(900_000);
    expect(durationMs("12h")).toBe(43_200_000);
    expect(durationMs("7d")).toBe(604_800_000);
    expect(durationMs("0")).toBe(0);
    expect(durationMs("0s")).toBe(0);
    for (const bad of ["1x", "", "d", "1.5h", "-1d", "1 d", "1mo", "01dd", "99999999d"]) expect(durationMs(bad), bad).toBeNull();
    expect(positiveDurationMs("0s")).toBeNull();
    expect(positiveDurationMs("1s")).toBe(1000);
  });
  it("knows IANA zones", () => {
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
});

describe("KEY_DEFAULTS and KEY_LIMITS", () => {
  it("parses both", () => {
    const c = parseConfig({ ...base, KEY_DEFAULTS: '{"max_budget":5,"budget_duration":"1d","rpm_limit":60}', KEY_LIMITS: '{"max_budget":100,"duration":"90d"}' });
    expect(c.keyDefaults).toEqual({ max_budget: 5, budget_duration: "1d", rpm_limit: 60 });
    expect(c.keyLimits).toEqual({ max_budget: 100, duration: "90d" });
    expect(parseConfig(base).keyDefaults).toEqual({});
  });
  it("names every bad field, and defaults above their limits", () => {
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: "{not json" })).toThrow(/KEY_DEFAULTS must be a JSON object/);
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: '{"max_budget":-1}' })).toThrow(/KEY_DEFAULTS: max_budget/);
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: '{"rpm_limit":1.5}' })).toThrow(/rpm_limit must be a whole number/);
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: '{"budget_duration":"1x"}' })).toThrow(/budget_duration/);
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: '{"budget_timezone":"Nowhere"}' })).toThrow(/budget_timezone/);
    expect(() => parseConfig({ ...base, KEY_LIMITS: '{"budget_timezone":"UTC"}' })).toThrow(/KEY_LIMITS: budget_timezone is not a supported field/);
    expect(() => parseConfig({ ...base, KEY_LIMITS: "[]" })).toThrow(/KEY_LIMITS: must be a JSON object/);
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: '{"max_budget":500}', KEY_LIMITS: '{"max_budget":100}' })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, KEY_DEFAULTS: '{"duration":"30d"}', KEY_LIMITS: '{"duration":"7d"}' })).toThrow(/duration default 30d is longer/);
  });
});

describe("key fields", () => {
  it("accepts the two budget modes in metadata and refuses anything else, naming the field", () => {
    expect(fieldsForNewKey({ metadata: { budget_mode: "strict", team: "x" } }, rules()).metadata).toEqual({ budget_mode: "strict", team: "x" });
    expect(fieldsForNewKey({ metadata: { budget_mode: "standard" } }, rules()).metadata).toEqual({ budget_mode: "standard" });
    expect(refusal(() => fieldsForNewKey({ metadata: { budget_mode: "Strict" } }, rules()))).toMatchObject({ status: 400, param: "metadata.budget_mode", message: expect.stringMatching(/"standard" or "strict"/) });
  });

  it("a new key gets defaults for what it leaves out, then the bounds for what stays unlimited", () => {
    const f = fieldsForNewKey(
      { rpm_limit: 10, tpm_limit: null },
      rules({ defaults: { max_budget: 5, rpm_limit: 60, budget_duration: "1d", duration: "30d" }, limits: { tpm_limit: 1000, max_parallel_requests: 4 } }),
    );
    expect(f).toMatchObject({ maxBudget: 5, rpmLimit: 10, tpmLimit: 1000, maxParallelRequests: 4, budgetDuration: "1d", models: [], metadata: {} });
    expect(f.expires).toEqual(new Date(NOW.getTime() + 30 * 86_400_000));
    expect(f.budgetResetAt).toEqual(new Date("2026-03-11T00:00:00Z"));
  });
  it("a day-based budget period resets at local midnight in the key's zone", () => {
    const f = fieldsForNewKey({ budget_duration: "1d", budget_timezone: "Asia/Tokyo" }, rules());
    // NOW is exactly midnight in Tokyo (15:00 UTC): the period that starts then ends at the next one.
    expect(f.budgetResetAt).toEqual(new Date("2026-03-11T15:00:00Z"));
    const g = fieldsForNewKey({ budget_duration: "1d", budget_timezone: "Asia/Tokyo" }, rules({ now: new Date("2026-03-10T14:59:00Z") }));
    expect(g.budgetResetAt).toEqual(new Date("2026-03-10T15:00:00Z"));
  });
  it("refuses values above the bounds, and lifetimes beyond the longest allowed", () => {
    const limits = { max_budget: 100, duration: "7d", budget_duration: "30d" };
    expect(refusal(() => fieldsForNewKey({ max_budget: 100.01 }, rules({ limits })))).toMatchObject({ status: 400, param: "max_budget" });
    expect(refusal(() => fieldsForNewKey({ duration: "8d" }, rules({ limits })))).toMatchObject({ param: "duration" });
    expect(refusal(() => fieldsForNewKey({ expires: "2026-03-20" }, rules({ limits })))).toMatchObject({ param: "expires" });
    expect(fieldsForNewKey({ expires: "2026-03-17" }, rules({ limits })).expires).toEqual(new Date("2026-03-17T00:00:00Z"));
    expect(refusal(() => fieldsForNewKey({ budget_duration: "31d" }, rules({ limits })))).toMatchObject({ param: "budget_duration" });
    expect(fieldsForNewKey({}, rules({ limits })).budgetDuration).toBe("30d");
  });
  it("refuses unknown models and bad durations, zones and dates", () => {
    expect(refusal(() => fieldsForNewKey({ models: ["claude-sonnet-4-6", "nope"] }, rules())).param).toBe("models");
    expect(fieldsForNewKey({ models: ["claude-sonnet-4-6[1m]"] }, rules()).models).toEqual(["claude-sonnet-4-6[1m]"]);
    expect(refusal(() => fieldsForNewKey({ budget_duration: "0d" }, rules())).param).toBe("budget_duration");
    expect(refusal(() => fieldsForNewKey({ budget_timezone: "Nowhere/Land" }, rules())).param).toBe("budget_timezone");
    expect(refusal(() => fieldsForNewKey({ expires: "2026-03-10T14:00:00Z" }, rules())).message).toMatch(/future/);
    expect(refusal(() => fieldsForNewKey({ duration: "1d", expires: null }, rules())).message).toMatch(/not both/);
  });
  it("an update changes only what it names, may not go unlimited past a bound, and restarts the budget period", () => {
    expect(fieldsForUpdate({ rpm_limit: 5 }, existing, rules())).toEqual({ rpmLimit: 5 });
    expect(fieldsForUpdate({ max_budget: null }, existing, rules())).toEqual({ maxBudget: null });
    expect(refusal(() => fieldsForUpdate({ max_budget: null }, existing, rules({ limits: { max_budget: 50 } }))).message).toMatch(/unlimited/);
    expect(refusal(() => fieldsForUpdate({ expires: null }, existing, rules({ limits: { duration: "7d" } }))).param).toBe("expires");
    expect(fieldsForUpdate({ budget_timezone: "Asia/Tokyo" }, existing, rules())).toEqual({
      budgetTimezone: "Asia/Tokyo",
      budgetResetAt: new Date("2026-03-11T15:00:00Z"),
    });
    expect(fieldsForUpdate({ budget_duration: null }, existing, rules())).toEqual({ budgetDuration: null, budgetResetAt: null });
  });
});

describe("admin dates", () => {
  it("accepts real dates and ISO date-times, UTC unless an offset is named", () => {
    expect(isCalendarDate("2028-02-29")).toBe(true);
    expect(isCalendarDate("2026-02-29")).toBe(false);
    expect(isCalendarDate("2026-2-1")).toBe(false);
    expect(parseDateOrInstant("2026-03-01")).toEqual({ at: new Date("2026-03-01T00:00:00Z"), dateOnly: true });
    expect(parseDateOrInstant("2026-03-01T10:00:00+02:00")).toEqual({ at: new Date("2026-03-01T08:00:00Z"), dateOnly: false });
    expect(parseDateOrInstant("2026-03-01T10:00")).toEqual({ at: new Date("2026-03-01T10:00:00Z"), dateOnly: false });
    expect(parseDateOrInstant("2026-03-01T10:00:00.123Z")?.at).toEqual(new Date("2026-03-01T10:00:00.123Z"));
    for (const bad of ["2026-02-30", "2026-02-30T00:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T10:60Z", "tomorrow", "1700000000", ""]) {
      expect(parseDateOrInstant(bad), bad).toBeNull();
    }
  });
});

describe("admin routes on the firewall", () => {
  it("every admin route is allowed with its method, and only that method", () => {
    for (const r of ADMIN_ROUTES) {
      expect(ROUTES[r.path], r.path).toEqual([r.method]);
      expect(checkRoute(r.method, `https://gw.example.com${r.path}?x=1`)).toBe(r.path);
    }
    expect(() => checkRoute("POST", "https://gw.example.com/key/abc/regenerate")).toThrow(GatewayError);
  });
});
