// Standard budgets: requests reserve their estimate and run side by side while it fits, one at a time near the end,
// and are refused only once the budget is spent. The bound: a period ends at most one request's real cost above
// the budget when the requests that ran side by side cost no more than reserved (and by their overruns otherwise).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyState, LEASE_MS, type KeyLimits } from "../../worker/meter/key-state.ts";

const NO_LIMITS: KeyLimits = { rpm: null, tpm: null, parallel: null, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null };
const T0 = Date.parse("2026-11-22T10:00:00Z");

describe("standard budget", () => {
  it("admits side by side while estimates fit, then one at a time, and refuses only once the budget is spent", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 1, budgetDuration: "1d" };
    // Worst cases far above the budget do not matter in standard mode.
    const est = { tokens: 0, cost: 0.3, worst: 2.5 };
    expect(k.admit(T0, "a", limits, est).ok).toBe(true);
    expect(k.admit(T0, "b", limits, est).ok).toBe(true);
    expect(k.admit(T0, "c", limits, est).ok).toBe(true);
    const d = k.admit(T0, "d", limits, est); // 0.9 reserved + 0.3 > 1: wait for a turn
    expect(!d.ok && d.refusal).toMatchObject({ status: 429, reason: "budget_queue" });
    for (const id of ["a", "b", "c"]) k.settle(T0 + 1, id, { tokens: 0, cost: 0.3 }, limits);
    // $0.90 spent, nothing in flight: the next request runs alone although its estimate does not fit.
    expect(k.admit(T0 + 2, "d", limits, est).ok).toBe(true);
    const e = k.admit(T0 + 2, "e", limits, est);
    expect(!e.ok && e.refusal.reason).toBe("budget_queue");
    k.settle(T0 + 3, "d", { tokens: 0, cost: 0.3 }, limits);
    const f = k.admit(T0 + 4, "f", limits, est);
    expect(!f.ok && f.refusal).toMatchObject({ status: 402, reason: "budget", resetsAt: Date.parse("2026-11-23T00:00:00Z") });
    expect(!f.ok && f.refusal.message).toMatch(/spent \$1\.2000 of its \$1 budget/);
  });

  it("strict mode refuses what standard mode admits, with today's message", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 2, budgetMode: "strict" as const };
    const r = k.admit(T0, "a", limits, { tokens: 0, cost: 0.06, worst: 2.3864 });
    expect(!r.ok && r.refusal).toMatchObject({ status: 402, reason: "budget" });
    expect(!r.ok && r.refusal.message).toMatch(/could cost up to \$2\.3864 but the key has \$2\.0000 left/);
    expect(new KeyState().admit(T0, "a", { ...limits, budgetMode: "standard" }, { tokens: 0, cost: 0.06, worst: 2.3864 }).ok).toBe(true);
  });

  it("free requests (count_tokens) do not make paying ones wait", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 1 };
    k.settle(T0, "x", { tokens: 0, cost: 0.95 }, limits);
    expect(k.admit(T0, "free", limits, { tokens: 0, cost: 0 }).ok).toBe(true);
    expect(k.admit(T0, "paid", limits, { tokens: 0, cost: 0.2 }).ok).toBe(true);
  });

  // A random interleaving of admissions and settlements. Each request has an estimate, a worst case above it, and a
  // real cost; refused requests simply do not run (a client would retry them later as new arrivals).
  const request = fc.record({ est: fc.double({ min: 0.001, max: 0.5, noNaN: true }), worstX: fc.double({ min: 1, max: 40, noNaN: true }), realFrac: fc.double({ min: 0, max: 1, noNaN: true }) });
  const op = fc.oneof(fc.record({ kind: fc.constant("admit" as const), r: request }), fc.record({ kind: fc.constant("settle" as const), pick: fc.nat() }));

  type Req = { est: number; worstX: number; realFrac: number };
  type Op = { kind: "admit"; r: Req } | { kind: "settle"; pick: number };

  function run(budget: number, ops: Op[], realOf: (r: Req) => number) {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: budget };
    const open = new Map<string, { est: number; real: number }>();
    let maxReal = 0;
    let overruns = 0;
    let n = 0;
    const settle = (id: string) => {
      const r = open.get(id)!;
      k.settle(T0, id, { tokens: 0, cost: r.real }, limits);
      open.delete(id);
    };
    for (const o of ops) {
      if (o.kind === "admit") {
        const id = `r${n++}`;
        const real = realOf(o.r);
        if (k.admit(T0, id, limits, { tokens: 0, cost: o.r.est, worst: o.r.est * o.r.worstX }).ok) {
          open.set(id, { est: o.r.est, real });
          maxReal = Math.max(maxReal, real);
          overruns += Math.max(0, real - o.r.est);
        }
      } else if (open.size) settle([...open.keys()][o.pick % open.size]!);
    }
    for (const id of [...open.keys()]) settle(id);
    return { spent: k.spent, maxReal, overruns };
  }

  it("property: with real costs within their estimates, a period ends at most one request's real cost above the budget", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 2, noNaN: true }), fc.array(op, { minLength: 50, maxLength: 300, size: "max" }), (budget, ops) => {
        const { spent, maxReal } = run(budget, ops, (r) => r.est * r.realFrac);
        return spent <= budget + maxReal + 1e-9;
      }),
      { numRuns: 300 },
    );
  });

  it("property: with any real cost up to the worst case, the overshoot is at most one request plus what ran over its estimate", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 2, noNaN: true }), fc.array(op, { minLength: 50, maxLength: 300, size: "max" }), (budget, ops) => {
        const { spent, maxReal, overruns } = run(budget, ops, (r) => r.est * r.worstX * r.realFrac);
        return spent <= budget + maxReal + overruns + 1e-9;
      }),
      { numRuns: 300 },
    );
  });
});

describe("leases (as the key's object keeps them)", () => {
  const limits = { ...NO_LIMITS, maxBudget: 10 };
  const est = { tokens: 100, cost: 0.05 };

  it("turns the first reservation into a lease for a key far from its limits, and refuses one near them", () => {
    const k = new KeyState();
    const out = k.admitWithLease(T0, "a", limits, est, { id: "L1", amount: 0.8 });
    expect(out.ok && out.lease).toEqual({ id: "L1", amount: 0.8, expiresAt: T0 + LEASE_MS });
    expect(out.remainingBudget).toBeCloseTo(9.2, 10);
    // Keys with rate limits or a strict budget stay request by request.
    expect(new KeyState().admitWithLease(T0, "a", { ...limits, budgetMode: "strict" }, est, { id: "L", amount: 0.8 })).not.toHaveProperty("lease");
    // Near the end of the budget (room for fewer than four such leases): no lease.
    const near = new KeyState();
    near.spent = 7;
    expect(near.admitWithLease(T0, "a", limits, est, { id: "L", amount: 0.8 })).not.toHaveProperty("lease");
  });

  it("draws reported spend from the lease, releases it, and lets an abandoned one lapse to what it holds", () => {
    const k = new KeyState();
    k.admitWithLease(T0, "a", limits, est, { id: "L1", amount: 1 });
    let st = k.settleLease(T0 + 10, "L1", { actual: { tokens: 50, cost: 0.25 }, holding: 0.1, release: false }, limits);
    expect(st.spent).toBeCloseTo(0.25, 10);
    expect(k.reserved).toBeCloseTo(0.75, 10);
    st = k.settleLease(T0 + 20, "L1", { actual: { tokens: 50, cost: 0.1 }, holding: 0, release: true }, limits);
    expect(k.reserved).toBe(0);
    expect(st.remainingBudget).toBeCloseTo(9.65, 10);

    k.admitWithLease(T0 + 30, "b", limits, est, { id: "L2", amount: 1 });
    k.settleLease(T0 + 40, "L2", { actual: { tokens: 0, cost: 0.05 }, holding: 0.2, release: false }, limits);
    expect(k.reserved).toBeCloseTo(0.95, 10);
    // Its isolate went away: after the grace period only what it said its requests in flight hold stays reserved.
    k.admit(T0 + 40 + LEASE_MS + 31_000, "probe", { ...limits }, { tokens: 0, cost: 0 });
    expect(k.reserved).toBeCloseTo(0.2, 10);
  });
});
