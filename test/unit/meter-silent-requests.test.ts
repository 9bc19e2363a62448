// Requests whose isolate died with them in flight (a crash, the runtime's CPU or memory limit). The key's object
// cannot tell a dead request from a live one that streams for minutes, so an isolate reports each request it holds
// something for (a place, tokens, the budget) at least once a minute while it runs, with its lease or, for a request
// the object admitted by itself, on its own; the object frees what a request it no longer hears of holds after
// LEASE_SILENCE_MS, instead of keeping it for the reservation's TTL (an hour): a key with max_parallel_requests
// would be locked out, and a key near the end of its budget would queue every request behind a dead one.
import { describe, expect, it } from "vitest";
import { KeyState, LEASE_HEARTBEAT_MS, LEASE_MS, LEASE_SILENCE_MS, RESERVATION_TTL_MS, type KeyLimits } from "../../worker/meter/key-state.ts";
import type { AdmitRequest, AdmitResponse } from "../../worker/meter/meter.ts";
import { meterWorld, worldTimers } from "../support/meter-world.ts";

const NO_LIMITS: KeyLimits = { rpm: null, tpm: null, parallel: null, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null };
const T0 = Date.parse("2026-12-07T10:00:00Z");
const EST = { tokens: 1000, cost: 0.01 };
const refusalOf = (out: AdmitResponse) => (out.ok || !("refusal" in out) ? null : out.refusal);
const MINUTE = 60_000;

describe("requests the key's object admitted by themselves (no lease)", () => {
  it("keeps the place of a request its isolate reports, and frees the place of one it stopped hearing of", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 2 };
    expect(k.admit(T0, "live", limits, EST, true).ok).toBe(true);
    expect(k.admit(T0, "dead", limits, EST, true).ok).toBe(true);
    expect(refusalOf(k.admit(T0, "x", limits, EST))).toMatchObject({ reason: "parallel" });
    for (let t = T0 + MINUTE; t < T0 + LEASE_SILENCE_MS + 5 * MINUTE; t += MINUTE) k.touch(t, ["live"]);
    // Only the silent one's place came back: one more request fits, not two.
    const later = T0 + LEASE_SILENCE_MS + 5 * MINUTE;
    expect(k.admit(later, "y", limits, EST).ok).toBe(true);
    expect(refusalOf(k.admit(later, "z", limits, EST))).toMatchObject({ reason: "parallel" });
  });

  it("keeps a request admitted without reports (an isolate of an older deployment) until the TTL, as before", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 1 };
    expect(k.admit(T0, "old", limits, EST).ok).toBe(true);
    k.touch(T0 + MINUTE, ["old"]); // ignored: it was not admitted as reported
    expect(k.admit(T0 + LEASE_SILENCE_MS + MINUTE, "a", limits, EST).ok).toBe(false);
    expect(k.admit(T0 + RESERVATION_TTL_MS + 1, "b", limits, EST).ok).toBe(true);
  });

  it("near the end of a standard budget, a dead request no longer holds the turn; what it reserved stays until the TTL", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 1, budgetMode: "standard" as const };
    k.spent = 0.9;
    const big = { tokens: 50_000, cost: 0.2 };
    expect(k.admit(T0, "dead", limits, big, true).ok).toBe(true); // alone, it may go over by its own cost
    expect(refusalOf(k.admit(T0 + MINUTE, "a", limits, big, true))).toMatchObject({ status: 429, reason: "budget_queue" });
    const out = k.admit(T0 + LEASE_SILENCE_MS, "b", limits, big, true);
    expect(out.ok).toBe(true); // its turn: the dead request is not running
    // The budget still counts the dead request's reservation (errs towards refusing) until the TTL.
    expect(out.remainingBudget).toBe(0);
    k.settle(T0 + LEASE_SILENCE_MS + 1, "b", { tokens: 1, cost: 0.01 }, limits);
    const free = k.admit(T0 + RESERVATION_TTL_MS + 1, "c", limits, { tokens: 0, cost: 0 });
    expect(free.ok && free.remainingBudget).toBeCloseTo(0.09, 10);
  });

  it("a dead request's estimated tokens leave the tokens-per-minute window once it is silent", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, tpm: 10_000 };
    expect(k.admit(T0, "dead", limits, { tokens: 9_000, cost: 0 }, true).ok).toBe(true);
    expect(refusalOf(k.admit(T0 + 2 * MINUTE, "a", limits, { tokens: 2_000, cost: 0 }))).toBeNull(); // under the limit when asked
    expect(refusalOf(k.admit(T0 + 2 * MINUTE, "b", limits, { tokens: 2_000, cost: 0 }))).toMatchObject({ reason: "tpm" });
    k.settle(T0 + 2 * MINUTE, "a", { tokens: 0, cost: 0 }, limits);
    k.settle(T0 + 2 * MINUTE, "b", { tokens: 0, cost: 0 }, limits);
    const out = k.admit(T0 + LEASE_SILENCE_MS, "c", limits, { tokens: 2_000, cost: 0 });
    expect(out.ok && out.remainingTokens).toBe(8_000);
  });

  it("a lease that fell silent no longer holds the turn near the end of a budget either", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, maxBudget: 10, budgetMode: "standard" as const };
    k.admitWithLease(T0, "a", limits, EST, { id: "L", amount: 0.5, requests: 16 }, true);
    k.settleLease(T0 + LEASE_MS, "L", { actual: { tokens: 0, cost: 0 }, holding: 0.25, release: false, admitted: 0, closed: true, inflight: 1 }, limits);
    k.spent = 9.7; // the key has since come close to its end
    const big = { tokens: 50_000, cost: 0.2 };
    expect(refusalOf(k.admit(T0 + 2 * MINUTE, "b", limits, big))).toMatchObject({ reason: "budget_queue" });
    expect(k.admit(T0 + LEASE_MS + LEASE_SILENCE_MS, "c", limits, big).ok).toBe(true);
  });
});

describe("isolates report the requests the object admitted by themselves", () => {
  const world = () => meterWorld(T0);
  let n = 0;
  const ask = (limits: KeyLimits, estimate = EST): AdmitRequest => ({ keyId: "k", reservationId: `r${n++}`, limits, estimate, recordLoadedAt: T0, knownSpend: 0 });
  // $0.95 of $1 spent: no room for leases, the object admits request by request, one at a time.
  const nearEnd = { ...NO_LIMITS, maxBudget: 1, budgetMode: "standard" as const };
  const spendToNearEnd = async (w: ReturnType<typeof world>) => {
    const r = ask(nearEnd, { tokens: 0, cost: 0 });
    await w.store.admit(r);
    await w.store.settle({ keyId: "k", reservationId: r.reservationId, limits: nearEnd, actual: { tokens: 0, cost: 0.95 }, row: null }, () => {});
  };

  it("reports a long request every minute while it runs, so the object keeps its turn; the reports stop when it settles", async () => {
    const w = world();
    await spendToNearEnd(w);
    const timers = worldTimers(w);
    const a = w.isolate(timers.sleep);
    const stream = ask(nearEnd, { tokens: 50_000, cost: 0.2 });
    const handed: Promise<unknown>[] = [];
    const out = await a.admit(stream, (p) => void handed.push(p));
    expect(out.ok && !("lease" in out && out.lease)).toBe(true);
    expect(handed).toHaveLength(0); // its reports ride on its invocation, held open until it settles
    await timers.advance(LEASE_SILENCE_MS + 5 * MINUTE);
    const mine = w.touches.filter((t) => t.reservationIds.includes(stream.reservationId));
    expect(mine.length).toBeGreaterThanOrEqual(10);
    const gaps = mine.slice(1).map((t, i) => t.at - mine[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(LEASE_HEARTBEAT_MS);
    // Ten minutes on, the stream still has the key's turn.
    expect(refusalOf(await w.store.admit(ask(nearEnd, { tokens: 50_000, cost: 0.2 })))).toMatchObject({ reason: "budget_queue" });
    await a.settle({ keyId: "k", reservationId: stream.reservationId, limits: nearEnd, actual: { tokens: 50_000, cost: 0.03 }, row: null }, () => {});
    const before = w.touches.length;
    await timers.advance(5 * MINUTE);
    expect(w.touches.length).toBe(before);
  });

  it("reports all of a key's requests in one call a minute, however many run side by side", async () => {
    const w = world();
    const timers = worldTimers(w);
    const a = w.isolate(timers.sleep);
    // A strict budget gets no lease: the object admits each request by itself, and each holds part of the budget.
    const strict = { ...NO_LIMITS, maxBudget: 100, budgetMode: "strict" as const };
    const streams: AdmitRequest[] = [];
    for (let i = 0; i < 5; i++) {
      const r = ask(strict);
      expect((await a.admit(r, () => {})).ok).toBe(true);
      streams.push(r);
      await timers.advance(7_000); // admitted a few seconds apart, as a burst of sub-agents is
    }
    await timers.advance(LEASE_SILENCE_MS);
    // One call per report, not one per stream: before, five streams cost their object five calls a minute.
    const minutes = Math.ceil((5 * 7_000 + LEASE_SILENCE_MS) / LEASE_HEARTBEAT_MS);
    expect(w.touches.length).toBeLessThanOrEqual(minutes + 1);
    expect(w.touches.length).toBeGreaterThanOrEqual(minutes - 1);
    for (const s of streams) {
      const heard = w.touches.filter((t) => t.reservationIds.includes(s.reservationId)).map((t) => t.at);
      // Never unheard of for longer than a report and a half: well inside the object's silence.
      const gaps = heard.slice(1).map((t, i) => t - heard[i]!);
      expect(heard[0]! - T0).toBeLessThanOrEqual(1.5 * LEASE_HEARTBEAT_MS + 5 * 7_000);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(1.5 * LEASE_HEARTBEAT_MS);
    }
    // A settled stream leaves the reports; the others stay in them.
    await a.settle({ keyId: "k", reservationId: streams[0]!.reservationId, limits: strict, actual: { tokens: 10, cost: 0.001 }, row: null }, () => {});
    const from = w.touches.length;
    await timers.advance(3 * LEASE_HEARTBEAT_MS);
    const later = w.touches.slice(from);
    expect(later.length).toBeGreaterThanOrEqual(2);
    for (const t of later) expect(new Set(t.reservationIds)).toEqual(new Set(streams.slice(1).map((s) => s.reservationId)));
  });

  it("an isolate killed with a request in flight gives the key's turn back after the silence, not after an hour", async () => {
    const w = world();
    await spendToNearEnd(w);
    // The killed isolate's timers never fire again.
    const killed = w.isolate(() => new Promise<void>(() => {}));
    expect((await killed.admit(ask(nearEnd, { tokens: 50_000, cost: 0.2 }), () => {})).ok).toBe(true);
    const b = w.isolate(worldTimers(w).sleep);
    expect(refusalOf(await b.admit(ask(nearEnd, { tokens: 50_000, cost: 0.2 }), () => {}))).toMatchObject({ reason: "budget_queue" });
    w.advance(LEASE_SILENCE_MS);
    expect((await b.admit(ask(nearEnd, { tokens: 50_000, cost: 0.2 }), () => {})).ok).toBe(true);
    expect(w.touches).toHaveLength(0);
  });

  it("a long request under a lease of a key with a budget (no parallel limit) keeps its lease reported every minute", async () => {
    const w = world();
    const timers = worldTimers(w);
    const a = w.isolate(timers.sleep);
    const budget = { ...NO_LIMITS, maxBudget: 100, budgetMode: "standard" as const };
    const stream = ask(budget);
    const out = await a.admit(stream, () => {});
    expect(out.ok && "lease" in out && out.lease).toBeTruthy(); // far from its end: served from a lease
    await timers.advance(LEASE_SILENCE_MS + 5 * MINUTE);
    const mine = w.reports.filter((r) => r.leaseId === (out as { lease: { id: string } }).lease.id);
    expect(mine.length).toBeGreaterThanOrEqual(10);
    const gaps = mine.slice(1).map((r, i) => r.at - mine[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(LEASE_HEARTBEAT_MS);
    expect(mine.at(-1)).toMatchObject({ closed: true, inflight: 1, release: false });
  });

  it("a key with no limit a request in flight holds (rpm only) sends no reports", async () => {
    const w = world();
    const timers = worldTimers(w);
    const a = w.isolate(timers.sleep);
    // rpm 4: too small for a lease of two requests at a quarter of the minute's room, so the object admits it.
    const out = await a.admit(ask({ ...NO_LIMITS, rpm: 4 }), () => {});
    expect(out.ok && !("lease" in out && out.lease)).toBe(true);
    await timers.advance(10 * MINUTE);
    expect(w.touches).toHaveLength(0);
  });
});
