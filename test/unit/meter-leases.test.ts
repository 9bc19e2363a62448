// Leases, isolate side: two isolates (two LeasedMeters) share one key's state (the same KeyState code the Durable
// Object runs, here through the in-process meter). Miniflare runs the Worker in a single isolate, so this is where
// "revocation bites in the isolate that served the admin call at once and everywhere within 2 s" is shown.
import { describe, expect, it } from "vitest";
import type { SpendRow } from "../../worker/db/queries.ts";
import { LEASE_HEARTBEAT_MS, LEASE_MS, type KeyLimits } from "../../worker/meter/key-state.ts";
import { LeasedMeter } from "../../worker/meter/leased-meter.ts";
import type { AdmitRequest } from "../../worker/meter/meter.ts";
import { SpendRecorder } from "../../worker/meter/spend.ts";
import { meterWorld, worldTimers } from "../support/meter-world.ts";

const LIMITS: KeyLimits = { rpm: null, tpm: null, parallel: null, maxBudget: 10, budgetDuration: null, timezone: "UTC", budgetResetAt: null };

/** One key's object and its isolates (test/support/meter-world.ts), from a fixed instant. */
const world = (flushDelayMs = 0) => meterWorld(Date.parse("2026-11-22T10:00:00Z"), flushDelayMs);

/** The in-process store with the world's call counting, as a LeasedMeter store. */
const storeOf = (w: ReturnType<typeof world>) => ({
  admit: (r: AdmitRequest) => w.store.admit(r),
  settle: w.store.settle.bind(w.store),
  settleLease: w.store.settleLease.bind(w.store),
  keyChanged: w.store.keyChanged.bind(w.store),
  keepRows: w.store.keepRows.bind(w.store),
  touch: w.store.touch.bind(w.store),
});

let n = 0;
const req = (loadedAt: number, limits = LIMITS): AdmitRequest => ({ keyId: "k", reservationId: `r${n++}`, limits, estimate: { tokens: 10, cost: 0.01 }, recordLoadedAt: loadedAt, knownSpend: 0 });
const row = (id: string) => ({ requestId: id, keyId: "k", cost: 0.01 }) as unknown as SpendRow;
const deferred: Promise<unknown>[] = [];
const defer = (p: Promise<unknown>) => void deferred.push(p);

describe("isolate-held leases", () => {
  it("admits and settles a warm key without a round trip per request, and reports spend in batches", async () => {
    const w = world(20); // settlements within 20 ms of each other travel together (SPEND_FLUSH_DELAY_MS)
    const a = w.isolate();
    const loaded = w.clock();
    const first = req(loaded);
    expect((await a.admit(first)).ok).toBe(true);
    expect(w.calls()).toBe(1); // the first request takes a lease
    const more = Array.from({ length: 10 }, () => req(loaded));
    for (const r of more) expect((await a.admit(r)).ok).toBe(true);
    expect(w.calls()).toBe(1);
    for (const r of [first, ...more]) await a.settle({ keyId: "k", reservationId: r.reservationId, limits: LIMITS, actual: { tokens: 10, cost: 0.01 }, row: row(r.reservationId) }, defer);
    await Promise.all(deferred.splice(0));
    expect(w.calls()).toBe(2); // one batch for eleven settlements
    await w.store.settle({ keyId: "k", reservationId: "probe", limits: LIMITS, actual: { tokens: 0, cost: 0 }, row: null }, defer);
    const standing = await w.store.admit({ ...req(loaded), estimate: { tokens: 0, cost: 0 } });
    expect(standing.ok && standing.spent).toBeCloseTo(0.11, 10);
    await new Promise((r) => setTimeout(r, 5));
    expect(w.written.map((r) => r.requestId).sort()).toEqual([first, ...more].map((r) => r.reservationId).sort());
  });

  it("hands the runtime one flush per batch (not one per request), and a settlement made while a flush is under way goes in the next", async () => {
    const w = world(20);
    const a = w.isolate();
    const loaded = w.clock();
    const reqs = Array.from({ length: 6 }, () => req(loaded));
    for (const r of reqs) expect((await a.admit(r)).ok).toBe(true);
    const settle = (r: AdmitRequest, d: (p: Promise<unknown>) => void) =>
      a.settle({ keyId: "k", reservationId: r.reservationId, limits: LIMITS, actual: { tokens: 10, cost: 0.01 }, row: row(r.reservationId) }, d);
    const handed: Promise<unknown>[] = [];
    for (const r of reqs.slice(0, 3)) await settle(r, (p) => void handed.push(p));
    expect(handed).toHaveLength(1); // three settlements, one waitUntil
    await handed[0];
    // The first flush is done; these three need a flush of their own, handed to the runtime by the first of them.
    for (const r of reqs.slice(3)) await settle(r, (p) => void handed.push(p));
    expect(handed).toHaveLength(2);
    await handed[1];
    await new Promise((r) => setTimeout(r, 5));
    expect(w.written.map((x) => x.requestId).sort()).toEqual(reqs.map((r) => r.reservationId).sort());
    const standing = await w.store.admit({ ...req(loaded), estimate: { tokens: 0, cost: 0 } });
    expect(standing.ok && standing.spent).toBeCloseTo(0.06, 10);
  });

  it("settles a reservation its lease holds at once (settleLocally), and says no for one it does not hold", async () => {
    const w = world(20);
    const a = w.isolate();
    const loaded = w.clock();
    const held = req(loaded);
    expect((await a.admit(held)).ok).toBe(true);
    const handed: Promise<unknown>[] = [];
    const settlement = (id: string) => ({ keyId: "k", reservationId: id, limits: LIMITS, actual: { tokens: 10, cost: 0.01 }, row: row(id) });
    expect(a.settleLocally(settlement(held.reservationId), (p) => void handed.push(p))).toBe(true);
    expect(handed).toHaveLength(1); // the flush it scheduled, nothing per request
    // Unknown to this isolate's leases (admitted elsewhere, or by the object itself): the caller must go to settle().
    expect(a.settleLocally(settlement("never-admitted-here"), (p) => void handed.push(p))).toBe(false);
    expect(handed).toHaveLength(1);
    await handed[0];
    await new Promise((r) => setTimeout(r, 5));
    expect(w.written.map((r) => r.requestId)).toEqual([held.reservationId]);
    const standing = await w.store.admit({ ...req(loaded), estimate: { tokens: 0, cost: 0 } });
    expect(standing.ok && standing.spent).toBeCloseTo(0.01, 10);
  });

  it("grows the lease of a busy key, so 64 requests in flight are not back at the object every few requests", async () => {
    const w = world();
    const a = w.isolate();
    const loaded = w.clock();
    const noBudget: KeyLimits = { ...LIMITS, maxBudget: null };
    // 64 in flight at a time, 1,024 requests: with a fixed 16-request lease every fourth admission would ask.
    let inFlight: AdmitRequest[] = [];
    for (let i = 0; i < 1024; i++) {
      const r = req(loaded, noBudget);
      expect((await a.admit(r)).ok).toBe(true);
      inFlight.push(r);
      if (inFlight.length === 64) {
        for (const done of inFlight) await a.settle({ keyId: "k", reservationId: done.reservationId, limits: noBudget, actual: { tokens: 10, cost: 0.01 }, row: null }, defer);
        inFlight = [];
      }
    }
    await Promise.all(deferred.splice(0));
    // Leases for 16, 32, 64, 128, … requests: about ten trips to the object, where a fixed 16-request lease
    // (smaller than what is in flight) would make one every few requests.
    expect(w.admits()).toBeLessThanOrEqual(12);
    // A lease that lapses starts over small: after LEASE_MS the next one is again sized for 16 requests, so the
    // 17th request (all still in flight) needs a second trip.
    w.advance(LEASE_MS + 1);
    const before = w.admits();
    for (let i = 0; i < 17; i++) expect((await a.admit(req(loaded, noBudget))).ok).toBe(true);
    expect(w.admits() - before).toBe(2);
  });

  it("serves requests admitted side by side while a lease is renewed from the next lease, so a budget key under 64 parallel requests stays off the object", async () => {
    const w = world();
    const a = w.isolate();
    const loaded = w.clock();
    const big: KeyLimits = { ...LIMITS, maxBudget: 1_000_000 };
    // Waves of 64 admitted at once (as 64 clients' requests arrive while one of them asks the object), then settled.
    for (let wave = 0; wave < 32; wave++) {
      const reqs = Array.from({ length: 64 }, () => req(loaded, big));
      const answers = await Promise.all(reqs.map((r) => a.admit(r)));
      expect(answers.every((x) => x.ok)).toBe(true);
      for (const r of reqs) await a.settle({ keyId: "k", reservationId: r.reservationId, limits: big, actual: { tokens: 10, cost: 0.01 }, row: null }, defer);
    }
    await Promise.all(deferred.splice(0));
    // The first wave waits for leases of 16, 32 and 64 in turn; then each lease is twice the last, up to 1,024
    // requests: eight asks for 2,048 requests. Requests that each asked for themselves while one asked got
    // a lease each, each replacing the last and starting the size over: hundreds of asks.
    expect(w.admits()).toBeLessThanOrEqual(10);
  });

  it("after an answer without a lease (near the end of a budget), the requests that waited for it go to the object side by side", async () => {
    const w = world();
    let open = 0;
    let most = 0;
    const slow = {
      ...storeOf(w),
      admit: async (r: AdmitRequest) => {
        most = Math.max(most, ++open);
        await new Promise((done) => setTimeout(done, 5));
        try {
          return await w.store.admit(r);
        } finally {
          open--;
        }
      },
    };
    const a = new LeasedMeter(slow, new SpendRecorder(async () => {}, 0), { flushDelayMs: 0, now: w.clock });
    // $0.20 left of $1 has no room for four leases of a tenth of the budget: the object admits these one by one.
    const near: KeyLimits = { ...LIMITS, maxBudget: 1 };
    const spent = req(w.clock(), near);
    await w.store.admit(spent);
    await w.store.settle({ keyId: "k", reservationId: spent.reservationId, limits: near, actual: { tokens: 10, cost: 0.8 }, row: null }, defer);
    const answers = await Promise.all(Array.from({ length: 8 }, () => a.admit(req(w.clock(), near))));
    expect(answers.every((x) => x.ok && !("lease" in x && x.lease))).toBe(true);
    // The first asks alone; its answer brings no lease, so the seven that waited ask at once, not one after another.
    expect(most).toBe(7);
  });

  it("goes back to the object when the lease is used up, lapses, or the limits changed; strict budgets never lease", async () => {
    const w = world();
    const a = w.isolate();
    const t = w.clock();
    await a.admit(req(t)); // lease of 16 × $0.01
    for (let i = 0; i < 15; i++) await a.admit(req(t));
    expect(w.admits()).toBe(1);
    await a.admit(req(t)); // the lease is used up (nothing settled yet)
    expect(w.admits()).toBe(2);
    w.advance(LEASE_MS);
    await a.admit(req(t)); // the new lease has lapsed
    expect(w.admits()).toBe(3);
    await a.admit(req(t, { ...LIMITS, maxBudget: 20 }));
    expect(w.admits()).toBe(4);
    const b = w.isolate();
    await b.admit(req(t, { ...LIMITS, budgetMode: "strict" }));
    await b.admit(req(t, { ...LIMITS, budgetMode: "strict" }));
    expect(w.admits()).toBe(6);
  });

  it("an isolate that goes quiet reports its lease closed when it lapses, so the object frees the unused share at once", async () => {
    const small = { ...LIMITS, maxBudget: 1 };
    const w = world();
    // The lease's time runs out only when the test says so, after the isolate's last settlement went out. (The
    // request's minute reports would come due a minute on; it settles long before.)
    let lapse!: () => void;
    const lapsed = new Promise<void>((r) => (lapse = r));
    const quiet = w.isolate((ms) => (ms >= LEASE_HEARTBEAT_MS ? new Promise<void>(() => {}) : lapsed.then(() => w.sleep(ms))));
    const t = w.clock();
    const first = req(t, small);
    const handed: Promise<unknown>[] = [];
    expect((await quiet.admit(first, (p) => void handed.push(p))).ok).toBe(true); // a lease of $0.10 (a tenth of the budget)
    // The report at the lapse, a task of its own for the runtime. (The request's reports while it runs ride on its
    // invocation, which the pipeline holds open until it settles: no task of their own.)
    expect(handed).toHaveLength(1);
    await quiet.settle({ keyId: "k", reservationId: first.reservationId, limits: small, actual: { tokens: 10, cost: 0.01 }, row: row(first.reservationId) }, (p) => void handed.push(p));
    expect(handed).toHaveLength(2); // the batch
    await handed[1];
    expect(w.reports.at(-1)).toMatchObject({ closed: false }); // the batch, while the lease was open
    lapse();
    await handed[0];
    // No request of this isolate came after: the report at the lapse came from the invocation that took the lease.
    expect(w.clock() - t).toBeGreaterThanOrEqual(LEASE_MS);
    expect(w.clock() - t).toBeLessThan(LEASE_MS + 100);
    const last = w.reports.at(-1)!;
    expect(last).toMatchObject({ closed: true, release: true, inflight: 0, holding: 0 });
    // The object counts only what was spent: another isolate's request sees the whole rest of the budget, well
    // within the object's 30 s grace for a lease nobody reported.
    const probe = await w.store.admit({ ...req(w.clock(), small), estimate: { tokens: 0, cost: 0 } });
    expect(probe.ok && probe.remainingBudget).toBeCloseTo(0.99, 10);
    // Reported once: a later flush has nothing of it to send.
    const before = w.reports.length;
    await quiet.flush();
    expect(w.reports.length).toBe(before);
  });

  it("a lease whose only request is a long stream is reported closed at its lapse too, by the request that took it", async () => {
    const small = { ...LIMITS, maxBudget: 1 };
    const w = world();
    const timers = worldTimers(w);
    const a = w.isolate(timers.sleep);
    const stream = req(w.clock(), small);
    const handed: Promise<unknown>[] = [];
    expect((await a.admit(stream, (p) => void handed.push(p))).ok).toBe(true); // a lease of $0.10
    expect(handed).toHaveLength(1); // the report at the lapse
    await timers.advance(LEASE_MS + 1);
    await handed[0]; // the stream runs on: nothing settles
    expect(w.reports.at(-1)).toMatchObject({ closed: true, release: false, inflight: 1, holding: 0.01 });
    // The object keeps what the stream reserves and frees the rest of the lease.
    const probe = await w.store.admit({ ...req(w.clock(), small), estimate: { tokens: 0, cost: 0 } });
    expect(probe.ok && probe.remainingBudget).toBeCloseTo(0.99, 10);
    // When the stream ends, its settlement releases the lease; no second report of the lapse.
    const after: Promise<unknown>[] = [];
    await a.settle({ keyId: "k", reservationId: stream.reservationId, limits: small, actual: { tokens: 10, cost: 0.02 }, row: row(stream.reservationId) }, (p) => void after.push(p));
    await Promise.all(after);
    expect(after).toHaveLength(1);
    expect(w.reports.at(-1)).toMatchObject({ release: true, inflight: 0, actual: { cost: 0.02 } });
    const end = await w.store.admit({ ...req(w.clock(), small), estimate: { tokens: 0, cost: 0 } });
    expect(end.ok && end.remainingBudget).toBeCloseTo(0.98, 10);
  });

  it("revocation: at once in the isolate that served the admin call, within LEASE_MS (< 2 s) in the others", async () => {
    expect(LEASE_MS).toBeLessThanOrEqual(2000);
    const w = world();
    const admin = w.isolate();
    const other = w.isolate();
    const loaded = w.clock();
    expect((await admin.admit(req(loaded))).ok).toBe(true);
    expect((await other.admit(req(loaded))).ok).toBe(true);
    w.advance(10);
    await admin.keyChanged("k"); // e.g. POST /key/block served by this isolate
    // Here: no more spending from the lease; the object says the cached key is stale, so the caller reloads it.
    expect(await admin.admit(req(loaded))).toEqual({ ok: false, stale: true });
    // Elsewhere the lease may still admit until it lapses, never longer.
    expect((await other.admit(req(loaded))).ok).toBe(true);
    w.advance(LEASE_MS);
    expect(await other.admit(req(loaded))).toEqual({ ok: false, stale: true });
    // A key reloaded after the change is admitted again (an update rather than a block).
    expect((await other.admit(req(w.clock()))).ok).toBe(true);
  });

  it("writes a flush's rows straight to Postgres in one statement and reports only counters to the object", async () => {
    const statements: string[][] = [];
    const w = world(20);
    const reported: number[] = [];
    const settlements: unknown[] = [];
    const a = new LeasedMeter(
      { ...storeOf(w), settleLease: (r) => (settlements.push(r), reported.push((r as { rows?: unknown[] }).rows?.length ?? 0), w.store.settleLease(r)) },
      new SpendRecorder(async (rows) => void statements.push(rows.map((x) => x.requestId)), 0),
      { flushDelayMs: 20, now: w.clock },
    );
    const keyA = req(w.clock());
    const keyB = { ...req(w.clock()), keyId: "other" };
    for (const r of [keyA, keyB]) await a.admit(r);
    for (const r of [keyA, keyB]) await a.settle({ keyId: r.keyId, reservationId: r.reservationId, limits: LIMITS, actual: { tokens: 1, cost: 0.01 }, row: row(r.reservationId) }, defer);
    await Promise.all(deferred.splice(0));
    expect(statements).toEqual([[keyA.reservationId, keyB.reservationId]]); // two keys, one statement
    expect(reported).toEqual([0, 0]); // the objects get counters, no rows
    expect(JSON.stringify(settlements)).not.toContain(keyA.reservationId); // nor anything of the requests' rows
  });

  it("never loses a spend row: Postgres refuses → the key's object keeps them; the object unreachable too → the recorder retries", async () => {
    const w = world();
    let down = true;
    const kept: string[] = [];
    const recorder = new SpendRecorder(async (rows) => {
      if (down) throw new Error("database down");
      w.written.push(...rows);
    }, 0, () => {}, [5]);
    const meter = (keepRows: (keyId: string, rows: SpendRow[]) => Promise<void>) =>
      new LeasedMeter({ ...storeOf(w), keepRows }, recorder, { flushDelayMs: 0, now: w.clock });
    const viaObject = meter(async (_k, rows) => void kept.push(...rows.map((x) => x.requestId)));
    const r1 = req(w.clock());
    await viaObject.admit(r1);
    await viaObject.settle({ keyId: "k", reservationId: r1.reservationId, limits: LIMITS, actual: { tokens: 1, cost: 0.01 }, row: row("to-object") }, defer);
    await Promise.all(deferred.splice(0));
    expect(kept).toEqual(["to-object"]);

    const nowhere = meter(() => Promise.reject(new Error("object unreachable")));
    const r2 = req(w.clock());
    await nowhere.admit(r2);
    await nowhere.settle({ keyId: "k", reservationId: r2.reservationId, limits: LIMITS, actual: { tokens: 1, cost: 0.01 }, row: row("in-isolate") }, defer);
    await Promise.all(deferred.splice(0));
    expect(recorder.backlog).toBe(1); // kept in memory after the recorder's retries, for the next batch
    down = false;
    await recorder.flush();
    expect(w.written.map((x) => x.requestId)).toEqual(["in-isolate"]);
  });
});
