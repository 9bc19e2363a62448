// Leases for keys with rpm/tpm limits (the way Rockport's keys are set up: a daily budget plus requests and tokens
// per minute): a warm key far from its limits is served without a round trip to its object per request, and the
// limits still hold across isolates exactly. Isolates are LeasedMeters over the in-process meter, which runs the
// same KeyState code as the Durable Object.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InProcessMeter } from "../../worker/meter/in-process.ts";
import { KeyState, LEASE_MS, type Estimate, type KeyLimits } from "../../worker/meter/key-state.ts";
import { LeasedMeter } from "../../worker/meter/leased-meter.ts";
import type { AdmitRequest, AdmitResponse } from "../../worker/meter/meter.ts";
import { SpendRecorder } from "../../worker/meter/spend.ts";
import type { SpendRow } from "../../worker/db/queries.ts";
import { meterWorld } from "../support/meter-world.ts";

const NO_LIMITS: KeyLimits = { rpm: null, tpm: null, parallel: null, maxBudget: null, budgetDuration: null, timezone: "UTC", budgetResetAt: null };
const T0 = Date.parse("2026-11-22T10:00:00Z");
const WINDOW_MS = 60_000;

const world = (flushDelayMs = 0) => meterWorld(T0, flushDelayMs);

let n = 0;
const ask = (limits: KeyLimits, estimate: Estimate): AdmitRequest => ({ keyId: "k", reservationId: `r${n++}`, limits, estimate, recordLoadedAt: T0, knownSpend: 0 });
const ignore = () => {};

describe("leases for keys with rate limits (the key's object)", () => {
  const est = { tokens: 1000, cost: 0.01 };

  it("sizes a lease to at most a quarter of what is left of each rate limit, and grants none close to one", () => {
    const lease = (limits: KeyLimits, want = 16) => {
      const out = new KeyState().admitWithLease(T0, "a", limits, est, { id: "L", amount: 0.01 * want, requests: want });
      return out.ok ? out.lease : undefined;
    };
    expect(lease({ ...NO_LIMITS, rpm: 600 })).toMatchObject({ requests: 16 }); // what was asked: far below 600 / 4
    expect(lease({ ...NO_LIMITS, rpm: 40 })).toMatchObject({ requests: 10 });
    expect(lease({ ...NO_LIMITS, rpm: 7 })).toBeUndefined(); // a quarter of 7 is one request: no point in a lease
    expect(lease({ ...NO_LIMITS, tpm: 1_000_000 })).toMatchObject({ tokens: 16_000 });
    expect(lease({ ...NO_LIMITS, tpm: 20_000 })).toMatchObject({ tokens: 5_000 });
    expect(lease({ ...NO_LIMITS, tpm: 6_000 })).toBeUndefined(); // room for fewer than two such requests
    const both = lease({ ...NO_LIMITS, rpm: 600, tpm: 1_000_000, maxBudget: 5, budgetDuration: "1d" });
    expect(both).toMatchObject({ requests: 16, tokens: 16_000, amount: 0.16 });
  });

  it("counts a lease's unused share as taken until its isolate reports, then only what it used", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, rpm: 40 };
    const out = k.admitWithLease(T0, "a", limits, est, { id: "L", amount: 0.16, requests: 16 });
    expect(out.ok && out.lease?.requests).toBe(10);
    expect(out.remainingRequests).toBe(30); // the lease's ten slots are taken
    // Another isolate's request sees the same.
    expect(k.admit(T0 + 1, "b", limits, est).remainingRequests).toBe(29);
    // The lease's isolate used 3 slots and its lease lapsed: the other 7 are free again; the 3 stay in the window.
    const st = k.settleLease(T0 + LEASE_MS, "L", { actual: { tokens: 0, cost: 0.03 }, holding: 0, release: true, admitted: 3, closed: true }, limits);
    expect(st.remainingRequests).toBe(36);
    // A lease that lapsed with its requests unreported keeps its slots until they must have left the window.
    const k2 = new KeyState();
    k2.admitWithLease(T0, "a", limits, est, { id: "L2", amount: 0.16, requests: 16 });
    expect(k2.admit(T0 + LEASE_MS + 31_000, "p", limits, { tokens: 0, cost: 0 }).remainingRequests).toBe(29);
    expect(k2.admit(T0 + LEASE_MS + WINDOW_MS + 1, "q", limits, { tokens: 0, cost: 0 }).remainingRequests).toBe(38);
  });

  it("a refusal caused by other isolates' leases says to retry once they report, not in a minute", () => {
    const k = new KeyState();
    const limits = { ...NO_LIMITS, rpm: 8 };
    k.admitWithLease(T0, "a", limits, est, { id: "L", amount: 0.16, requests: 16 }); // 2 slots
    for (let i = 0; i < 6; i++) expect(k.admit(T0, `b${i}`, limits, est).ok).toBe(true);
    const refused = k.admit(T0, "c", limits, est);
    expect(!refused.ok && refused.refusal).toMatchObject({ reason: "rpm", retryAfterSeconds: 3 });
  });
});

describe("leases for keys with rate limits (isolates)", () => {
  it("serves a Rockport-style key (daily budget, rpm, tpm) without a round trip to its object per request", async () => {
    const w = world();
    const a = w.isolate();
    const limits: KeyLimits = { ...NO_LIMITS, rpm: 600, tpm: 2_000_000, maxBudget: 5, budgetDuration: "1d" };
    const est = { tokens: 2000, cost: 0.002 };
    for (let i = 0; i < 200; i++) {
      const r = ask(limits, est);
      expect((await a.admit(r)).ok).toBe(true);
      await a.settle({ keyId: "k", reservationId: r.reservationId, limits, actual: { tokens: 1800, cost: 0.0018 }, row: null }, ignore);
      w.advance(5); // 200 requests a second
    }
    // Leases for 16, 32, 64, 128 requests (each well under a quarter of what the limits leave): a handful of trips.
    expect(w.admits()).toBeLessThanOrEqual(6);
  });

  it("answers headers that count down request by request under a lease", async () => {
    const w = world();
    const a = w.isolate();
    const limits: KeyLimits = { ...NO_LIMITS, rpm: 100 };
    const seen: (number | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const out = (await a.admit(ask(limits, { tokens: 10, cost: 0 }))) as Extract<AdmitResponse, { ok: true }>;
      seen.push(out.remainingRequests);
    }
    expect(seen).toEqual([99, 98, 97, 96, 95]);
  });

  it("frees what a lapsed lease did not use as soon as its isolate next asks, so a key near its limit is not held back", async () => {
    const w = world();
    const a = w.isolate();
    const limits: KeyLimits = { ...NO_LIMITS, rpm: 40 };
    const est = { tokens: 10, cost: 0 };
    for (let i = 0; i < 3; i++) expect((await a.admit(ask(limits, est))).ok).toBe(true); // lease of 10, 3 used
    w.advance(LEASE_MS);
    // 37 more fit in the minute: the lapsed lease reports its 3 as it asks, so its 7 unused slots come back.
    let admitted = 3;
    for (let i = 0; i < 60; i++) if ((await a.admit(ask(limits, est))).ok) admitted++;
    expect(admitted).toBe(40);
  });

  it("a lease that no longer fits a request is reported closed with the ask, so the slots it did not use are free again", async () => {
    const w = world();
    const a = w.isolate();
    const limits: KeyLimits = { ...NO_LIMITS, rpm: 40 };
    for (let i = 0; i < 2; i++) expect((await a.admit(ask(limits, { tokens: 10, cost: 0.01 }))).ok).toBe(true); // 2 of a 10-slot lease
    // Dearer than what is left of the lease's budget slice: the isolate asks its object, and a new lease replaces it.
    expect((await a.admit(ask(limits, { tokens: 10, cost: 1 }))).ok).toBe(true);
    const probe = await w.store.admit({ ...ask(limits, { tokens: 0, cost: 0 }), recordLoadedAt: w.clock() + 1 });
    // 40 − the 2 used − the new lease's 9 slots (the dear request is one of them) − the probe: the old lease's 8
    // unused slots are not held. Were they, the new lease would have been smaller and 22 would be left.
    expect(probe.ok && probe.remainingRequests).toBe(28);
  });

  it("a key change ends the lease at once in its isolate, and the slots it did not use are free again at the object", async () => {
    const w = world();
    const a = w.isolate();
    const limits: KeyLimits = { ...NO_LIMITS, rpm: 40 };
    for (let i = 0; i < 2; i++) expect((await a.admit(ask(limits, { tokens: 10, cost: 0 }))).ok).toBe(true); // 2 of a 10-slot lease
    await a.keyChanged("k");
    const probe = await w.store.admit({ ...ask(limits, { tokens: 0, cost: 0 }), recordLoadedAt: w.clock() + 1 });
    expect(probe.ok && probe.remainingRequests).toBe(37); // 40 − the 2 used − the probe itself
  });

  it("an isolate asking again after its lease lapsed waits for its object, never for a database write of earlier rows", async () => {
    let now = T0;
    const clock = () => now;
    let open!: () => void;
    const databaseAnswers = new Promise<void>((r) => (open = r));
    const written: string[] = [];
    // A database that has not answered yet (a stalled Postgres): every write waits until `open()`.
    const recorder = new SpendRecorder(async (rows) => {
      await databaseAnswers;
      written.push(...rows.map((r) => r.requestId));
    }, 0);
    const store = new InProcessMeter(recorder, async () => {}, clock);
    const a = new LeasedMeter(store, recorder, { flushDelayMs: 20, now: clock });
    const limits: KeyLimits = { ...NO_LIMITS, rpm: 100 };
    const first = ask(limits, { tokens: 10, cost: 0.01 });
    expect((await a.admit(first)).ok).toBe(true);
    const flushes: Promise<unknown>[] = [];
    const row = { requestId: first.reservationId, keyId: "k", cost: 0.01 } as unknown as SpendRow;
    await a.settle({ keyId: "k", reservationId: first.reservationId, limits, actual: { tokens: 10, cost: 0.01 }, row }, (p) => void flushes.push(p));
    now += LEASE_MS; // the lease lapses before its row has been written
    const answer = await Promise.race([a.admit(ask(limits, { tokens: 10, cost: 0.01 })).then((r) => (r.ok ? "admitted" : "refused")), new Promise((r) => setTimeout(() => r("waiting"), 200))]);
    expect(answer).toBe("admitted");
    // The row is written by its own flush once the database answers, exactly once.
    open();
    await Promise.all(flushes);
    expect(written).toEqual([first.reservationId]);
  });

  type Op = { kind: "admit"; isolate: number; tokens: number } | { kind: "settle"; pick: number } | { kind: "advance"; ms: number } | { kind: "flush"; isolate: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("admit" as const), isolate: fc.integer({ min: 0, max: 2 }), tokens: fc.integer({ min: 1, max: 3000 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("settle" as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 20_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("flush" as const), isolate: fc.integer({ min: 0, max: 2 }) }) },
  );

  it("property: three isolates never admit more than rpm requests, or tpm tokens plus one request, in any minute", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 8, max: 80 }), fc.integer({ min: 5_000, max: 60_000 }), fc.array(op, { minLength: 20, maxLength: 160 }), async (rpm, tpm, ops) => {
        const w = world();
        const isolates = [w.isolate(), w.isolate(), w.isolate()];
        const limits: KeyLimits = { ...NO_LIMITS, rpm, tpm };
        const admitted: { at: number; tokens: number }[] = [];
        const inFlight: { isolate: number; id: string; tokens: number }[] = [];
        for (const o of ops) {
          if (o.kind === "advance") w.advance(o.ms);
          else if (o.kind === "flush") await isolates[o.isolate]!.flush();
          else if (o.kind === "settle") {
            if (inFlight.length === 0) continue;
            const [r] = inFlight.splice(o.pick % inFlight.length, 1);
            await isolates[r!.isolate]!.settle({ keyId: "k", reservationId: r!.id, limits, actual: { tokens: r!.tokens, cost: 0 }, row: null }, ignore);
          } else {
            const req = ask(limits, { tokens: o.tokens, cost: 0 });
            const out = await isolates[o.isolate]!.admit(req);
            if (!out.ok) continue;
            const now = w.clock();
            admitted.push({ at: now, tokens: o.tokens });
            inFlight.push({ isolate: o.isolate, id: req.reservationId, tokens: o.tokens });
            const minute = admitted.filter((x) => x.at > now - WINDOW_MS);
            expect(minute.length).toBeLessThanOrEqual(rpm);
            expect(minute.reduce((s, x) => s + x.tokens, 0)).toBeLessThanOrEqual(tpm + 3000);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
