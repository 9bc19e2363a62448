// The Workers meter with leases: a warm key far from its limits is admitted and settled in the isolate, and the
// key's Durable Object is asked only when the isolate's lease runs out, lapses (LEASE_MS), no longer fits, or
// the key changed. Settlements under a lease go to the object in batches, after the response (waitUntil), as
// counters only; their spend rows go straight to Postgres in one statement per flush. Rows Postgres refuses go to
// the key's object, which keeps them durably and retries from its alarm; if the object cannot be reached either,
// the isolate's batching recorder keeps retrying them.
import type { SpendRow } from "../db/queries.ts";
import { newRequestId } from "../util/ids.ts";
import { logEvent } from "../util/log.ts";
import { heldWhileInFlight, LEASE_HEARTBEAT_MS, leasable, RESERVATION_TTL_MS, type Estimate, type KeyLimits, type Standing } from "./key-state.ts";
import { Lease } from "./lease.ts";
import type { AdmitRequest, AdmitResponse, LeaseSettleRequest, Meter, SettleRequest } from "./meter.ts";
import type { Defer, SpendRecorder } from "./spend.ts";

/**
 * A key's first lease covers about this many requests like the one that asked for it. A busy key whose lease runs
 * out before it lapses gets one twice the size next time, up to MAX_LEASE_REQUESTS, so an isolate serving 64
 * parallel requests is not back at the object every few requests; a lease that lapses starts the size over.
 */
const LEASE_REQUESTS = 16;
const MAX_LEASE_REQUESTS = 1024;
const MAX_LEASES = 1000;
/**
 * How many asks of other requests one request waits for before it asks itself: a burst of 64 on a new 16-request
 * lease is served by leases of 16, 32 and 64, and a request too large for each new lease is not kept waiting.
 */
const MAX_WAITS = 4;

export interface LeasedMeterOptions {
  /** How long settlements and spend rows wait to travel together (SPEND_FLUSH_DELAY_MS). */
  flushDelayMs: number;
  /** How often a request in flight that holds something at its key's object is reported (METER_REPORT_MS). */
  reportMs?: number;
  now?: () => number;
  /** The isolate's timers (a test's world clock in unit tests). */
  sleep?: (ms: number) => Promise<void>;
}

export class LeasedMeter implements Meter {
  private readonly leases = new Map<string, Lease>();
  /** Leases replaced while requests under them were still in flight: they settle there, then are released. */
  private readonly retiring = new Set<Lease>();
  private flushing: Promise<void> | null = null;
  /**
   * Keys for which this isolate is asking its object for a lease, until it answers: the answer says whether a lease
   * came with it.
   */
  private readonly asking = new Map<string, Promise<boolean>>();
  /**
   * Requests the object admitted by themselves (no lease) that this isolate reports while they run, by key, and when
   * it last reported each key's: one report carries all of a key's, so a key with many long streams here costs its
   * object one call a minute, not one per stream.
   */
  private readonly running = new Map<string, { ids: Set<string>; reportedAt: number }>();

  private readonly flushDelayMs: number;
  private readonly reportMs: number;
  /** Reports a request's loop sends at most: bounded as the object's own memory of a reservation is (its TTL). */
  private readonly maxReports: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: Required<Pick<Meter, "settleLease" | "keepRows" | "touch">> & Meter,
    private readonly spend: SpendRecorder,
    o: LeasedMeterOptions,
  ) {
    this.flushDelayMs = o.flushDelayMs;
    this.reportMs = o.reportMs ?? LEASE_HEARTBEAT_MS;
    this.maxReports = Math.ceil(RESERVATION_TTL_MS / this.reportMs);
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  admit(req: AdmitRequest, defer?: Defer): Promise<AdmitResponse> {
    return this.admitHere(req, 0, defer);
  }

  /** The key's object keeps the rows it could not read: the operator reaches them through it. */
  get setAside() {
    return this.store.setAside;
  }

  private async admitHere(req: AdmitRequest, waits: number, defer?: Defer): Promise<AdmitResponse> {
    const now = this.now();
    const current = this.leases.get(req.keyId);
    if (current?.admits(now, req.limits, req.estimate)) {
      current.take(req.reservationId, req.estimate);
      this.reportLease(current, req.reservationId, defer);
      return { ok: true, ...current.standing() };
    }
    // While one request asks the key's object for a lease, the others that find no room wait for that answer and use
    // the lease it brings, instead of each asking: each ask would get a lease of its own, each replacing the last
    // (for a key with max_parallel_requests, each holding places the next requests would find taken). A burst that
    // outgrows the new lease waits for the next, twice the size; after an answer without a lease (the object admits
    // request by request near a limit) each request goes to the object itself, side by side.
    const pending = waits < MAX_WAITS ? this.asking.get(req.keyId) : undefined;
    if (pending) return this.admitHere(req, (await pending) ? waits + 1 : MAX_WAITS, defer);
    const requests = nextLeaseRequests(current, now);
    // A lease that no longer fits this request is over (a new one replaces it, or the object admits request by
    // request): it is reported closed before the ask, so the object counts only what its requests in flight hold,
    // not the share it left unused (budget, request slots, tokens, places), when it weighs this request.
    if (current?.usable(now)) current.revoke();
    const ask = leasable(req.limits) ? { id: newRequestId(), amount: leaseSize(req.estimate, req.limits, requests), requests } : undefined;
    // This key's leases that admit no more (lapsed or revoked) and have not said so: reported first, so the object
    // counts only what they used and the rest of their share (request slots, tokens, budget) is free for this request.
    // Counters only: their spend rows stay for the flush already scheduled for them, so this request waits for one
    // call to the object it is asking anyway, never for a database write (or its deadline, when Postgres is down).
    const closing = this.take(this.closingLeases(req.keyId, now), now, { rows: false });
    // The report is sent first, so the object has it before it weighs this request.
    const reported = closing.length ? Promise.all(closing.map((t) => this.report(t.settlement, 0))) : null;
    // Those waiting for this answer resume only once the lease it brings (if any) is installed.
    const answered = ask && !this.asking.has(req.keyId) ? this.markAsking(req.keyId) : null;
    let leased = false;
    // Reported while it runs if the object admits it by itself, when it holds something there (and the caller is an
    // invocation, which carries the reports: see reportWhile).
    const reports = defer !== undefined && heldWhileInFlight(req.limits);
    try {
      const sent = ask || reports ? { ...req, ...(ask ? { lease: ask } : {}), ...(reports ? { reported: true } : {}) } : req;
      const [res] = await Promise.all([this.store.admit(sent, defer ?? NO_DEFER), reported]);
      if (res.ok && res.lease) {
        const lease = new Lease(req.keyId, res.lease, req.limits, res, requests);
        lease.take(req.reservationId, req.estimate);
        this.install(lease);
        leased = true;
        defer?.(this.reportAtLapse(lease, now));
        this.reportLease(lease, req.reservationId, defer);
        // The object's figures count the whole lease as taken; this request's headers show what it left.
        return { ...res, ...lease.standing() };
      }
      if (res.ok && reports) this.reportAdmitted(req);
      return res;
    } finally {
      answered?.(leased);
    }
  }

  async settle(req: SettleRequest, defer: Defer): Promise<Standing | null> {
    const lease = this.leaseHolding(req.keyId, req.reservationId);
    if (!lease) {
      this.stopReporting(req.keyId, req.reservationId);
      return this.store.settle(req, defer);
    }
    this.settleOn(lease, req, defer);
    return lease.standing();
  }

  /** A reservation held by one of this isolate's leases settles there, and its row waits for the next flush. */
  settleLocally(req: SettleRequest, defer: Defer): boolean {
    const lease = this.leaseHolding(req.keyId, req.reservationId);
    if (!lease) return false;
    this.settleOn(lease, req, defer);
    return true;
  }

  private settleOn(lease: Lease, req: SettleRequest, defer: Defer): void {
    lease.settle(req.reservationId, { actual: req.actual, row: req.row });
    // Only the request that schedules a flush keeps its invocation open for it: the flush's timer and I/O belong to
    // that invocation, and one waitUntil per flush (not per request) is all the runtime needs.
    if (this.flushing === null) defer(this.scheduleFlush());
  }

  async keyChanged(keyId: string): Promise<void> {
    // This isolate stops spending from its lease at once; the others' leases lapse within LEASE_MS.
    const lease = this.leases.get(keyId);
    if (lease) {
      lease.revoke();
      this.leases.delete(keyId);
      this.retiring.add(lease);
      await this.send(this.take([lease], this.now()));
    }
    await this.store.keyChanged(keyId);
  }

  /**
   * Sends every lease's pending settlements to the object now (and releases leases that are over), and writes their
   * spend rows, every key's together, in one statement.
   */
  async flush(): Promise<void> {
    await this.send(this.take([...this.leases.values(), ...this.retiring], this.now()));
  }

  /**
   * Marks the key as being asked for a lease; the function returned ends that, releasing those who wait with whether
   * a lease came.
   */
  private markAsking(keyId: string): (leased: boolean) => void {
    let release!: (leased: boolean) => void;
    const answer = new Promise<boolean>((r) => (release = r));
    this.asking.set(keyId, answer);
    return (leased) => {
      this.asking.delete(keyId);
      release(leased);
    };
  }

  private install(lease: Lease): void {
    const old = this.leases.get(lease.keyId);
    if (old) {
      old.revoke();
      this.retiring.add(old);
    }
    this.leases.delete(lease.keyId);
    if (this.leases.size >= MAX_LEASES) {
      const oldest = this.leases.values().next().value!;
      oldest.revoke();
      this.retiring.add(oldest);
      this.leases.delete(oldest.keyId);
    }
    this.leases.set(lease.keyId, lease);
  }

  private closingLeases(keyId: string, now: number): Lease[] {
    const out: Lease[] = [];
    const current = this.leases.get(keyId);
    if (current && !current.usable(now) && !current.closeReported) out.push(current);
    for (const l of this.retiring) if (l.keyId === keyId && !l.closeReported) out.push(l);
    return out;
  }

  private leaseHolding(keyId: string, reservationId: string): Lease | null {
    const current = this.leases.get(keyId);
    if (current?.holds(reservationId)) return current;
    for (const l of this.retiring) if (l.keyId === keyId && l.holds(reservationId)) return l;
    return null;
  }

  private scheduleFlush(): Promise<void> {
    this.flushing ??= (async () => {
      if (this.flushDelayMs > 0) await this.sleep(this.flushDelayMs);
      else await Promise.resolve();
      this.flushing = null;
      await this.flush();
    })();
    return this.flushing;
  }

  /**
   * A flush once the lease has lapsed, for the invocation that took it to wait for (up to LEASE_MS longer): it
   * reports the lease closed even if this isolate gets no other request for the key, or if the lease's only requests
   * are long streams that settle nothing for minutes. Otherwise the object would count the lease's unused share
   * (budget, request slots, tokens) as taken until it next heard from this isolate, up to its 30 s grace, and other
   * isolates' requests near a limit would wait for a share nobody is using. A lease replaced or used up before it
   * lapses was reported at the ask that ended it, and this flush finds nothing of it to send.
   */
  private async reportAtLapse(lease: Lease, now: number): Promise<void> {
    await this.sleep(lease.grant.expiresAt - now + 1);
    await this.flush();
  }

  /**
   * A request holding something at the key's object under its lease (a place, tokens, budget: heldWhileInFlight)
   * keeps the lease reported while it is in flight: the object counts a lease it has not heard from for its silence
   * after its end as gone with its isolate (key-state.ts `silent`), which is how an isolate that was killed gives its
   * places back. Requests side by side under one lease share the reports.
   */
  private reportLease(lease: Lease, reservationId: string, defer: Defer | undefined): void {
    if (!defer || !heldWhileInFlight(lease.limits)) return;
    void this.reportWhile(
      () => lease.holds(reservationId),
      async () => {
        const now = this.now();
        if (now - lease.reportedAt < this.reportMs / 2) return; // another request's report went out lately
        await this.send(this.take([lease], now, { rows: true, heartbeat: true }));
      },
    );
  }

  /**
   * The same for a request the object admitted by itself (near a limit, or a key whose budget gives no leases): told
   * to the object until it settles, so that if this isolate dies with it in flight, its place, tokens and turn are
   * free again after the object's silence instead of the reservation's TTL.
   */
  private reportAdmitted(req: AdmitRequest): void {
    const { keyId, reservationId: id } = req;
    let key = this.running.get(keyId);
    if (!key) this.running.set(keyId, (key = { ids: new Set(), reportedAt: -Infinity }));
    key.ids.add(id);
    const reporting = key;
    void this.reportWhile(
      () => reporting.ids.has(id),
      async () => {
        // Each request's timer reports all of its key's requests here, unless another's did lately: that report
        // named this one too (it was running then), so no request goes more than 1.5 reports' time unheard of, well
        // inside the object's silence (three reports at least).
        const now = this.now();
        if (now - reporting.reportedAt < this.reportMs / 2) return;
        reporting.reportedAt = now;
        await this.store.touch({ keyId, reservationIds: [...reporting.ids] });
      },
    ).finally(() => this.stopReporting(keyId, id));
  }

  private stopReporting(keyId: string, id: string): void {
    const key = this.running.get(keyId);
    if (key?.ids.delete(id) && key.ids.size === 0) this.running.delete(keyId);
  }

  /**
   * Calls `report` every reportMs (METER_REPORT_MS, a minute by default) while `inFlight()` says the request runs:
   * one timer at a time, nothing at its settlement (the next timer finds it gone), which keeps a short request's cost
   * to one timer. Bounded as the object's own memory of a reservation is (its TTL), whatever happens to the request.
   * A failed report is logged; the next one may get through (the silence is at least three reports long).
   *
   * The reports ride on the request's own invocation: a timer belongs to the invocation that set it and fires while
   * that invocation lives, and it lives as long as the request runs (the call pipeline even holds it open from the
   * admission to the bill, `holdOpen`, so a client that leaves does not end it). So they need no `waitUntil` of their
   * own, which would cost every request of a key with a budget a few microseconds of the runtime's; the admission's
   * `defer` only says an invocation is there to carry them (a test calling the meter directly passes none). An
   * invocation that ends first ends its request with it, and then the reports should stop.
   * (test/integration/meter-reports.test.ts shows the timers firing in workerd.)
   */
  private async reportWhile(inFlight: () => boolean, report: () => Promise<void>): Promise<void> {
    for (let beat = 0; beat < this.maxReports; beat++) {
      await this.sleep(this.reportMs);
      if (!inFlight()) return;
      try {
        await report();
      } catch (err) {
        logEvent("warn", { msg: "a request in flight not reported to its key's meter", error: err });
      }
    }
  }

  /**
   * Takes what each lease settled since the last flush (and releases leases that are over): a counters-only
   * settlement for its object and the spend rows, all before anything is sent, so a flush never sends a row twice.
   * With `rows: false` the rows stay on the lease (their counters taken) for the next flush, which the settlement
   * that left each of them has scheduled; a lease keeping rows is not released, so that flush still finds it.
   * With `heartbeat`, every lease given is reported even with nothing new to say (reportLease).
   */
  private take(leases: Lease[], now: number, opts: { rows: boolean; heartbeat?: boolean } = { rows: true }): Taken[] {
    const taken: Taken[] = [];
    for (const lease of leases) {
      // A lease holding places against max_parallel_requests with none of its requests in flight closes here: its
      // object counts all its places as taken until told it is closed, so an isolate going idle gives them back now.
      // Every lease's last request settles and schedules a flush, so an isolate that lives always reports its lease
      // closed in the end: by this, or because it lapsed.
      if (lease.grant.slots != null && lease.inFlight === 0 && lease.usable(now)) lease.revoke();
      const entries = lease.pending;
      const kept = opts.rows ? [] : entries.flatMap((e) => (e.row ? [{ actual: NOTHING, row: e.row }] : []));
      const release = lease.finished(now) && kept.length === 0;
      const closed = !lease.usable(now);
      if (entries.length === 0 && !release && !(closed && !lease.closeReported) && !opts.heartbeat) continue;
      if (closed) lease.closeReported = true;
      lease.reportedAt = now;
      lease.pending = kept;
      if (release) {
        this.retiring.delete(lease);
        if (this.leases.get(lease.keyId) === lease) this.leases.delete(lease.keyId);
      }
      const actual = { tokens: 0, cost: 0 };
      const rows: SpendRow[] = [];
      for (const e of entries) {
        actual.tokens += e.actual.tokens;
        actual.cost += e.actual.cost;
        if (e.row) rows.push(e.row);
      }
      const settlement: LeaseSettleRequest = {
        keyId: lease.keyId,
        leaseId: lease.grant.id,
        limits: lease.limits,
        actual,
        holding: lease.holding,
        release,
        admitted: lease.unreportedAdmits,
        tokensHeld: lease.tokensHeld,
        inflight: lease.inFlight,
        closed,
      };
      lease.unreportedAdmits = 0;
      taken.push({ settlement, rows: opts.rows ? rows : [] });
    }
    return taken;
  }

  /** The settlements to their objects and every row to Postgres, side by side. */
  private async send(taken: Taken[]): Promise<void> {
    await Promise.all([...taken.map((t) => this.report(t.settlement, t.rows.length)), this.writeRows(taken.filter((t) => t.rows.length > 0))]);
  }

  private async report(settlement: LeaseSettleRequest, rows: number): Promise<void> {
    try {
      await this.store.settleLease(settlement);
    } catch (err) {
      // The object is unreachable: its view of the key misses this spend until it reloads it from Postgres (which
      // gets the rows), and the lease's slice lapses there.
      logEvent("warn", { msg: "lease settlement not reported to the meter", rows, error: err });
    }
  }

  /** Rows to Postgres in one statement; if that fails, to each key's object; if that fails too, to the recorder. */
  private async writeRows(batches: Taken[]): Promise<void> {
    if (batches.length === 0) return;
    try {
      await this.spend.writeOnce(batches.flatMap((b) => b.rows));
      return;
    } catch (err) {
      logEvent("warn", { msg: "spend rows handed to the meter: the database did not take them", rows: batches.reduce((n, b) => n + b.rows.length, 0), error: err });
    }
    await Promise.all(
      batches.map(async ({ settlement: { keyId }, rows }) => {
        try {
          await this.store.keepRows(keyId, rows);
        } catch (err) {
          logEvent("warn", { msg: "spend rows kept in the isolate: neither the database nor the meter took them", rows: rows.length, error: err });
          await this.spend.recordAll(rows);
        }
      }),
    );
  }
}

const NOTHING = { tokens: 0, cost: 0 };
/** For callers without an invocation to hold open (tests calling the class directly). */
const NO_DEFER: Defer = () => {};

/** One lease's share of a flush: its settlement, and its key's rows (the key's object keeps them should Postgres refuse them). */
interface Taken {
  settlement: LeaseSettleRequest;
  rows: SpendRow[];
}

/**
 * Doubles while leases are used up before they lapse (the ask that finds its lease used up sizes the next before it
 * closes that one); a lapsed or revoked lease starts over at the floor.
 */
function nextLeaseRequests(previous: Lease | undefined, now: number): number {
  if (!previous || !previous.usable(now)) return LEASE_REQUESTS;
  return Math.min(previous.requests * 2, MAX_LEASE_REQUESTS);
}

/**
 * A slice of budget for about `requests` requests like this one, never more than a tenth of the budget: close to
 * the end of a budget the object refuses leases and admits request by request.
 */
function leaseSize(est: Estimate, limits: KeyLimits, requests: number): number {
  const want = est.cost * requests;
  return limits.maxBudget === null ? want : Math.min(want, limits.maxBudget / 10);
}
