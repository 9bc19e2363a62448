// Leases for keys with max_parallel_requests: a warm key far from its limit is admitted and settled in the isolate,
// and the limit still holds across isolates exactly. A lease takes places only in the lower half of the limit, its
// places count as taken at the key's object until its isolate reports it closed, and an isolate closes a lease as
// soon as none of its requests is in flight. Isolates are LeasedMeters over the in-process meter, which runs the same
// KeyState code as the Durable Object.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyState, LEASE_MS, LEASE_SILENCE_MS, RESERVATION_TTL_MS, type KeyLimits } from "../../worker/meter/key-state.ts";
import { LeasedMeter } from "../../worker/meter/leased-meter.ts";
import type { AdmitRequest, AdmitResponse } from "../../worker/meter/meter.ts";
import { meterWorld, worldTimers } from "../support/meter-world.ts";

const NO_LIMITS: KeyLimits = { rpm: null, tpm: null, parallel: null, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null };
const T0 = Date.parse("2026-12-07T10:00:00Z");
const EST = { tokens: 1000, cost: 0.01 };
const ignore = () => {};

const world = (flushDelayMs = 0) => meterWorld(T0, flushDelayMs);

let n = 0;
const ask = (limits: KeyLimits): AdmitRequest => ({ keyId: "k", reservationId: `r${n++}`, limits, estimate: EST, recordLoadedAt: T0, knownSpend: 0 });
const settle = (m: LeasedMeter, r: AdmitRequest, defer: (p: Promise<unknown>) => void = ignore) =>
  m.settle({ keyId: "k", reservationId: r.reservationId, limits: r.limits, actual: { tokens: 900, cost: 0.009 }, row: null }, defer);
const refusalOf = (out: AdmitResponse) => (out.ok || !("refusal" in out) ? null : out.refusal);

describe("leases for keys with max_parallel_requests (the key's object)", () => {
  it("leases places only in the lower half of the limit, and none when fewer than two fit there", () => {
    const lease = (parallel: number, alreadyInFlight = 0) => {
      const k = new KeyState();
      const limits = { ...NO_LIMITS, parallel };
      for (let i = 0; i < alreadyInFlight; i++) expect(k.admit(T0, `p${i}`, limits, EST).ok).toBe(true);
      const out = k.admitWithLease(T0, "a", limits, EST, { id: "L", amount: 0.16, requests: 16 });
      expect(out.ok).toBe(true);
      return out.ok ? out.lease?.slots : undefined;
    };
    expect(lease(8)).toBe(4); // the asking request takes one of them
    expect(lease(1000)).toBe(500);
    expect(lease(4)).toBe(2);
    expect(lease(3)).toBeUndefined(); // half of 3 is one place: admitted request by request
    expect(lease(8, 2)).toBe(2); // two requests in flight already: 4 − 2
    expect(lease(8, 3)).toBeUndefined();
  });

  it("counts all of a lease's places until its isolate reports it closed, then those still in flight", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 8 };
    k.admitWithLease(T0, "a", limits, EST, { id: "L", amount: 0.16, requests: 16 }); // 4 places
    for (let i = 0; i < 4; i++) expect(k.admit(T0, `b${i}`, limits, EST).ok).toBe(true);
    // Four requests in flight here and four places leased: full. The lease's may be idle, so: retry once it reports.
    expect(refusalOf(k.admit(T0, "c", limits, EST))).toMatchObject({ reason: "parallel", retryAfterSeconds: Math.ceil(LEASE_MS / 1000) + 1 });
    // A report while the lease is open (one request of it in flight) changes nothing: it may admit more.
    k.settleLease(T0 + 100, "L", { actual: { tokens: 900, cost: 0.009 }, holding: 0.01, release: false, admitted: 1, closed: false, inflight: 1 }, limits);
    expect(k.admit(T0 + 100, "d", limits, EST).ok).toBe(false);
    // Closed with one request still in flight: three places come back.
    k.settleLease(T0 + LEASE_MS, "L", { actual: { tokens: 0, cost: 0 }, holding: 0.01, release: false, admitted: 0, closed: true, inflight: 1 }, limits);
    for (let i = 0; i < 3; i++) expect(k.admit(T0 + LEASE_MS, `e${i}`, limits, EST).ok).toBe(true);
    // Eight requests really in flight now: the refusal says to retry in a second.
    expect(refusalOf(k.admit(T0 + LEASE_MS, "f", limits, EST))).toMatchObject({ reason: "parallel", retryAfterSeconds: 1 });
    // Its last request settled: released, its place is free.
    k.settleLease(T0 + LEASE_MS + 1, "L", { actual: { tokens: 900, cost: 0.009 }, holding: 0, release: true, admitted: 0, closed: true, inflight: 0 }, limits);
    expect(k.admit(T0 + LEASE_MS + 1, "g", limits, EST).ok).toBe(true);
  });

  it("keeps an ended lease's places while its isolate reports its requests in flight: they may run for minutes", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 8 };
    k.admitWithLease(T0, "a", limits, EST, { id: "L", amount: 0.16, requests: 16 });
    // Reported once while open: requests admitted after that report may still be running.
    k.settleLease(T0 + 100, "L", { actual: { tokens: 0, cost: 0 }, holding: 0.01, release: false, admitted: 0, closed: false, inflight: 1 }, limits);
    const later = T0 + LEASE_SILENCE_MS - 60_000;
    for (let i = 0; i < 4; i++) expect(k.admit(later, `b${i}`, limits, EST).ok).toBe(true);
    expect(k.admit(later, "c", limits, EST).ok).toBe(false);
    // Its isolate reports it closed with one request in flight, then again every minute while that request runs
    // (key-state.ts LEASE_HEARTBEAT_MS): the place stays taken long past the silence that frees a dead one's.
    k.settleLease(later, "L", { actual: { tokens: 0, cost: 0 }, holding: 0.01, release: false, admitted: 0, closed: true, inflight: 1 }, limits);
    for (let i = 0; i < 3; i++) expect(k.admit(later, `d${i}`, limits, EST).ok).toBe(true);
    let t = later;
    for (let beat = 0; beat < 10; beat++) {
      t += 60_000;
      k.settleLease(t, "L", { actual: { tokens: 0, cost: 0 }, holding: 0.01, release: false, admitted: 0, closed: true, inflight: 1 }, limits);
    }
    expect(t - later).toBeGreaterThan(LEASE_SILENCE_MS);
    expect(refusalOf(k.admit(t + 1, "e", limits, EST))).toMatchObject({ reason: "parallel", retryAfterSeconds: 1 });
  });

  it("frees the places of a lease whose isolate fell silent (killed with the lease open), long before the TTL", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 8 };
    k.admitWithLease(T0, "a", limits, EST, { id: "L", amount: 0.16, requests: 16 }); // 4 places; never reported
    const quiet = T0 + LEASE_SILENCE_MS - 1000;
    for (let i = 0; i < 4; i++) expect(k.admit(quiet, `b${i}`, limits, EST).ok).toBe(true);
    expect(k.admit(quiet, "c", limits, EST).ok).toBe(false);
    // Silent for LEASE_SILENCE_MS: its isolate is gone, and so are its requests; its four places are free.
    for (let i = 0; i < 4; i++) expect(k.admit(T0 + LEASE_SILENCE_MS, `d${i}`, limits, EST).ok).toBe(true);
    expect(k.admit(T0 + LEASE_SILENCE_MS, "e", limits, EST).ok).toBe(false);
    expect(LEASE_SILENCE_MS).toBeLessThan(RESERVATION_TTL_MS / 10);
  });

  it("keeps a silent lease's budget holding until the TTL: a budget errs towards refusing", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, parallel: 8, maxBudget: 10, budgetMode: "standard" as const };
    k.admitWithLease(T0, "a", limits, EST, { id: "L", amount: 0.5, requests: 16 });
    k.settleLease(T0 + LEASE_MS, "L", { actual: { tokens: 0, cost: 0 }, holding: 0.25, release: false, admitted: 0, closed: true, inflight: 2 }, limits);
    const out = k.admit(T0 + LEASE_SILENCE_MS + LEASE_MS + 1, "b", limits, { tokens: 0, cost: 0 });
    expect(out.ok && out.remainingBudget).toBeCloseTo(9.75, 10);
    const after = k.admit(T0 + RESERVATION_TTL_MS + LEASE_MS + 1, "c", limits, { tokens: 0, cost: 0 });
    expect(after.ok && after.remainingBudget).toBeCloseTo(10, 10);
  });
});

describe("leases for keys with max_parallel_requests (isolates)", () => {
  it("serves a steady load under the limit without a round trip to the object per request", async () => {
    const w = world();
    const a = w.isolate();
    const limits = { ...NO_LIMITS, parallel: 16 };
    const inFlight: AdmitRequest[] = [];
    let admitted = 0;
    for (let i = 0; i < 400; i++) {
      // Three requests in flight at a time, one finishing as the next starts, 200 a second.
      const r = ask(limits);
      if ((await a.admit(r)).ok) admitted++, inFlight.push(r);
      if (inFlight.length === 3) await settle(a, inFlight.shift()!);
      w.advance(5);
    }
    expect(admitted).toBe(400);
    // Leases for 16, 32, 64, ... requests' worth (8 places each), starting over when one lapses (LEASE_MS, 300
    // requests here): about ten trips to the object for 400 requests, where there was one per request.
    expect(w.admits()).toBeLessThanOrEqual(12);
  });

  it("admits a burst of the limit's size from a cold isolate, and refuses the next until a place is free", async () => {
    const w = world();
    const a = w.isolate();
    const limits = { ...NO_LIMITS, parallel: 8 };
    const burst = Array.from({ length: 8 }, () => ask(limits));
    // All at once: while the first asks for a lease, the others wait for it instead of each taking one.
    const outs = await Promise.all(burst.map((r) => a.admit(r)));
    expect(outs.map((o) => o.ok)).toEqual(Array(8).fill(true));
    const ninth = await a.admit(ask(limits));
    expect(refusalOf(ninth)).toMatchObject({ reason: "parallel" });
    await settle(a, burst[0]!);
    expect((await a.admit(ask(limits))).ok).toBe(true);
  });

  it("gives an idle isolate's places back at its next flush, so another isolate can use the whole limit", async () => {
    const w = world();
    const a = w.isolate();
    const b = w.isolate();
    const limits = { ...NO_LIMITS, parallel: 8 };
    const first = ask(limits);
    expect((await a.admit(first)).ok).toBe(true); // a lease of four places
    const flushes: Promise<unknown>[] = [];
    await settle(a, first, (p) => void flushes.push(p));
    await Promise.all(flushes); // nothing in flight: the lease is reported closed and released
    const burst = Array.from({ length: 8 }, () => ask(limits));
    const outs = await Promise.all(burst.map((r) => b.admit(r)));
    expect(outs.every((o) => o.ok)).toBe(true);
  });

  it("a lease that no longer fits a request is reported closed as the isolate asks, so its idle places are not held", async () => {
    const w = world();
    const a = w.isolate();
    const b = w.isolate();
    const limits = { ...NO_LIMITS, parallel: 8 };
    const running = [ask(limits), ask(limits)];
    for (const r of running) expect((await a.admit(r)).ok).toBe(true); // a lease of 4 places, 2 of them used
    // A request dearer than what is left of the lease's budget slice: a goes back to the object.
    expect((await a.admit({ ...ask(limits), estimate: { tokens: 1000, cost: 1 } })).ok).toBe(true);
    // The object counts the old lease's 2 requests in flight, not its 2 idle places, and a new lease of 2 places
    // (the dear request in one): 4 places are left for b. Were the idle ones still held, b would get 3.
    const outs = [];
    for (let i = 0; i < 5; i++) outs.push(await b.admit(ask(limits)));
    expect(outs.map((o) => o.ok)).toEqual([true, true, true, true, false]);
  });

  it("a key change ends the lease in its isolate at once; its requests in flight keep their places", async () => {
    const w = world();
    const a = w.isolate();
    const limits = { ...NO_LIMITS, parallel: 8 };
    const running = [ask(limits), ask(limits)];
    for (const r of running) expect((await a.admit(r)).ok).toBe(true);
    await a.keyChanged("k");
    // The lease is closed with two requests in flight: six places are free at the object.
    const probes = Array.from({ length: 7 }, () => ({ ...ask(limits), recordLoadedAt: w.clock() + 1 }));
    const outs = [];
    for (const p of probes) outs.push(await w.store.admit(p));
    expect(outs.filter((o) => o.ok)).toHaveLength(6);
  });

  it("reports a lease every minute while a request holding a place runs on, so the object keeps the place; then stops", async () => {
    const w = world();
    const timers = worldTimers(w);
    const a = w.isolate(timers.sleep);
    const limits = { ...NO_LIMITS, parallel: 8 };
    const stream = ask(limits);
    const handed: Promise<unknown>[] = [];
    expect((await a.admit(stream, (p) => void handed.push(p))).ok).toBe(true); // a lease of four places
    expect(handed).toHaveLength(1); // its lapse report (the reports while it runs ride on the request's invocation)
    await timers.advance(LEASE_SILENCE_MS + 5 * 60_000);
    // The lapse report, then one report a minute: closed, one request in flight.
    const beats = w.reports.filter((r) => r.leaseId !== undefined);
    expect(beats.length).toBeGreaterThanOrEqual(10);
    expect(beats.at(-1)).toMatchObject({ closed: true, inflight: 1, release: false });
    const gaps = beats.slice(1).map((r, i) => r.at - beats[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
    // Ten minutes on, the object still counts the stream's place: seven more fit, not eight.
    const probes = [];
    for (let i = 0; i < 8; i++) probes.push(await w.store.admit(ask(limits)));
    expect(probes.map((o) => o.ok)).toEqual([...Array(7).fill(true), false]);
    // The stream ends: its reports stop at once (the invocation is not held for another minute), and the lease is
    // released by the settlement's own flush.
    await settle(a, stream, (p) => void handed.push(p));
    await Promise.all(handed);
    expect(w.reports.at(-1)).toMatchObject({ release: true, inflight: 0 });
    const before = w.reports.length;
    await timers.advance(5 * 60_000);
    expect(w.reports.length).toBe(before);
  });

  type Op =
    | { kind: "admit"; isolate: number }
    | { kind: "settle"; pick: number }
    | { kind: "advance"; ms: number }
    | { kind: "flush"; isolate: number }
    | { kind: "kill"; isolate: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("admit" as const), isolate: fc.integer({ min: 0, max: 2 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("settle" as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 5_000 }) }) },
    // Minutes at a time: requests that outlast their lease's silence limit, kept by their isolate's reports.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 30_000, max: 4 * 60_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("flush" as const), isolate: fc.integer({ min: 0, max: 2 }) }) },
    // Past the object's silence at once: a killed isolate's places must be back by then.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: LEASE_SILENCE_MS + 1, max: LEASE_SILENCE_MS + 60_000 }) }) },
    // An isolate killed with its requests in flight (a crash, the runtime's limits): a new one takes its place.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("kill" as const), isolate: fc.integer({ min: 0, max: 2 }) }) },
  );

  it("property: three isolates never have more than the limit in flight, and refuse only when half of it really is (also over minutes, and with isolates killed, once the object's silence has passed)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 24 }), fc.array(op, { minLength: 20, maxLength: 200 }), async (parallel, ops) => {
        const w = world();
        const timers = worldTimers(w);
        const never = new Promise<void>(() => {});
        // A killed isolate's timers never fire again (its minute reports stop), and its requests are gone unsettled.
        const start = () => {
          const state = { killed: false };
          const meter = w.isolate(async (ms) => {
            await timers.sleep(ms);
            if (state.killed) await never;
          });
          return { meter, kill: () => void (state.killed = true) };
        };
        const slots = [start(), start(), start()];
        const limits = { ...NO_LIMITS, parallel };
        let live: { isolate: number; r: AdmitRequest }[] = [];
        let lastKill = -Infinity;
        for (const o of ops) {
          if (o.kind === "advance") await timers.advance(o.ms);
          else if (o.kind === "flush") await slots[o.isolate]!.meter.flush();
          else if (o.kind === "kill") {
            slots[o.isolate]!.kill();
            live = live.filter((x) => x.isolate !== o.isolate);
            lastKill = w.clock();
            slots[o.isolate] = start(); // the runtime starts a new isolate in its place
          } else if (o.kind === "settle") {
            if (live.length === 0) continue;
            const [x] = live.splice(o.pick % live.length, 1);
            const flushes: Promise<unknown>[] = [];
            await settle(slots[x!.isolate]!.meter, x!.r, (p) => void flushes.push(p));
            await Promise.all(flushes);
          } else {
            const r = ask(limits);
            // As the Worker does: the admission is given an invocation (for the lease's lapse report).
            const out = await slots[o.isolate]!.meter.admit(r, ignore);
            if (out.ok) live.push({ isolate: o.isolate, r });
            // A refusal finds half the limit really in flight, unless a killed isolate's places are not back yet:
            // they are, at the latest, once the object has not heard of them for the silence.
            else if (w.clock() - lastKill > LEASE_SILENCE_MS) expect(live.length).toBeGreaterThanOrEqual(Math.ceil(parallel / 2));
            expect(live.length).toBeLessThanOrEqual(parallel);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
