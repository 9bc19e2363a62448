import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyState, type KeyLimits } from "../../worker/meter/key-state.ts";
import { localMidnight, parseDuration, periodEnd } from "../../worker/meter/periods.ts";

const NO_LIMITS: KeyLimits = { rpm: null, tpm: null, parallel: null, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null };
const T0 = Date.parse("2026-11-22T10:00:00Z");

describe("rate limits", () => {
  it("refuses the (rpm+1)th request in a minute and lets it through once the oldest leaves the window", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, rpm: 3 };
    for (let i = 0; i < 3; i++) {
      expect(k.admit(T0 + i * 1000, `r${i}`, limits, { tokens: 1, cost: 0 }).ok).toBe(true);
      k.settle(T0 + i * 1000, `r${i}`, { tokens: 1, cost: 0 }, limits);
    }
    const refused = k.admit(T0 + 3000, "r3", limits, { tokens: 1, cost: 0 });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.refusal).toMatchObject({ status: 429, reason: "rpm", retryAfterSeconds: 57 });
    expect(refused.remainingRequests).toBe(0);
    expect(k.admit(T0 + 60_001, "r4", limits, { tokens: 1, cost: 0 }).ok).toBe(true);
  });

  it("counts tokens per minute with the estimate until the real figure settles", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, tpm: 1000 };
    expect(k.admit(T0, "a", limits, { tokens: 900, cost: 0 }).ok).toBe(true);
    expect(k.admit(T0, "b", limits, { tokens: 50, cost: 0 }).ok).toBe(true); // 950 < 1000
    const c = k.admit(T0, "c", limits, { tokens: 10, cost: 0 });
    expect(c.ok).toBe(true); // 950 + nothing settled: still under
    k.settle(T0 + 10, "a", { tokens: 100, cost: 0 }, limits); // the real figure was far smaller
    expect(k.admit(T0 + 20, "d", limits, { tokens: 10, cost: 0 }).ok).toBe(true);
    k.settle(T0 + 30, "b", { tokens: 2000, cost: 0 }, limits);
    const e = k.admit(T0 + 40, "e", limits, { tokens: 1, cost: 0 });
    expect(!e.ok && e.refusal.reason).toBe("tpm");
  });

  it("limits requests in flight", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 2 };
    expect(k.admit(T0, "a", limits, { tokens: 0, cost: 0 }).ok).toBe(true);
    expect(k.admit(T0, "b", limits, { tokens: 0, cost: 0 }).ok).toBe(true);
    const c = k.admit(T0, "c", limits, { tokens: 0, cost: 0 });
    expect(!c.ok && c.refusal).toMatchObject({ status: 429, reason: "parallel" });
    k.settle(T0 + 5, "a", { tokens: 0, cost: 0 }, limits);
    expect(k.admit(T0 + 6, "c", limits, { tokens: 0, cost: 0 }).ok).toBe(true);
  });
});

describe("budget guarantee", () => {
  it("strict: reserves the worst case, so concurrent requests cannot overshoot, and settles to the real cost", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 1, budgetMode: "strict" as const };
    expect(k.admit(T0, "a", limits, { tokens: 0, cost: 0.6 }).ok).toBe(true);
    const b = k.admit(T0, "b", limits, { tokens: 0, cost: 0.6 });
    expect(!b.ok && b.refusal).toMatchObject({ status: 402, reason: "budget" });
    expect(!b.ok && b.refusal.message).toMatch(/reserved by requests in flight/);
    const st = k.settle(T0, "a", { tokens: 0, cost: 0.1 }, limits);
    expect(st.spent).toBeCloseTo(0.1, 10);
    expect(st.remainingBudget).toBeCloseTo(0.9, 10);
    expect(k.admit(T0, "b", limits, { tokens: 0, cost: 0.6 }).ok).toBe(true);
  });

  it("property (strict): however requests interleave, spend never passes the budget when real costs stay within the worst case", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("admit" as const), cost: fc.double({ min: 0, max: 2, noNaN: true }) }),
      fc.record({ kind: fc.constant("settle" as const), pick: fc.nat(), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 10, noNaN: true }), fc.array(op, { maxLength: 200 }), (budget, ops) => {
        const k = new KeyState();
        const limits = { ...NO_LIMITS, maxBudget: budget, budgetMode: "strict" as const };
        const open = new Map<string, number>();
        let n = 0;
        for (const o of ops) {
          if (o.kind === "admit") {
            const id = `r${n++}`;
            // The estimate is far below the worst case: strict mode must reserve the latter.
            if (k.admit(T0, id, limits, { tokens: 0, cost: o.cost / 20, worst: o.cost }).ok) open.set(id, o.cost);
          } else if (open.size) {
            const id = [...open.keys()][o.pick % open.size]!;
            k.settle(T0, id, { tokens: 0, cost: open.get(id)! * o.frac }, limits);
            open.delete(id);
          }
          if (k.spent > budget + 1e-9) return false;
        }
        for (const [id, cost] of open) k.settle(T0, id, { tokens: 0, cost }, limits);
        return k.spent <= budget + 1e-9;
      }),
      { numRuns: 300 },
    );
  });

  it("says when a spent budget resets, and resets it at the period boundary", () => {
    const k = new KeyState();
    const resetAt = Date.parse("2026-11-23T00:00:00Z");
    const limits = { ...NO_LIMITS, maxBudget: 1, budgetDuration: "1d", budgetResetAt: resetAt };
    expect(k.admit(T0, "a", limits, { tokens: 0, cost: 1 }).ok).toBe(true);
    k.settle(T0, "a", { tokens: 0, cost: 1 }, limits);
    const refused = k.admit(T0 + 1000, "b", limits, { tokens: 0, cost: 0.01 });
    expect(!refused.ok && refused.refusal).toMatchObject({ status: 402, resetsAt: resetAt });
    const next = k.admit(resetAt, "c", limits, { tokens: 0, cost: 0.01 });
    expect(next.ok).toBe(true);
    expect(next.budgetResetsAt).toBe(Date.parse("2026-11-24T00:00:00Z"));
  });

  it("survives a snapshot round trip and drops reservations whose request never settled", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 1, parallel: 1 };
    k.admit(T0, "ghost", limits, { tokens: 0, cost: 0.9 });
    const copy = KeyState.from(JSON.parse(JSON.stringify(k.snapshot())));
    expect(copy.admit(T0 + 1000, "x", limits, { tokens: 0, cost: 0.5 }).ok).toBe(false);
    expect(copy.admit(T0 + 60 * 60_000 + 1, "x", limits, { tokens: 0, cost: 0.5 }).ok).toBe(true);
  });
});

describe("budget periods", () => {
  it("parses durations", () => {
    expect(parseDuration("1d")).toEqual({ amount: 1, unit: "d" });
    expect(parseDuration("30m")).toEqual({ amount: 30, unit: "m" });
    expect(parseDuration("0d")).toBeNull();
    expect(parseDuration("1w")).toBeNull();
  });
  it("ends day periods at local midnight in the key's time zone, across DST", () => {
    // Paris is UTC+1 in November: local midnight is 23:00Z the day before.
    expect(periodEnd(T0, T0, "1d", "Europe/Paris")).toBe(Date.parse("2026-11-22T23:00:00Z"));
    expect(periodEnd(T0, T0, "7d", "America/New_York")).toBe(Date.parse("2026-11-29T05:00:00Z"));
    // DST ends in New York on 2026-11-01: a day period starting 2026-10-31 ends at midnight EST (05:00Z).
    const oct31 = Date.parse("2026-10-31T12:00:00Z");
    expect(periodEnd(oct31, oct31, "1d", "America/New_York")).toBe(Date.parse("2026-11-01T04:00:00Z"));
    expect(periodEnd(oct31, Date.parse("2026-11-01T12:00:00Z"), "1d", "America/New_York")).toBe(Date.parse("2026-11-02T05:00:00Z"));
    expect(localMidnight(T0, "UTC")).toBe(Date.parse("2026-11-22T00:00:00Z"));
  });
  it("uses fixed intervals for hours and minutes", () => {
    expect(periodEnd(T0, T0 + 5 * 3_600_000, "12h")).toBe(T0 + 12 * 3_600_000);
    expect(periodEnd(T0, T0 + 13 * 3_600_000, "12h")).toBe(T0 + 24 * 3_600_000);
  });
});
