// One key's live limits, in memory: sliding-window requests and tokens per minute, requests in flight, and the
// budget as spent + reserved. Pure (time comes in as an argument), so the Durable Object and the in-process meter
// share it and it is tested on its own.
//
// Budgets come in two modes (the key's `metadata.budget_mode`):
// - "standard" (default): a request reserves its estimate (worker/meter/estimate.ts). Requests run side by side
//   while spent + reserved + estimate fits the budget; past that point they run one at a time (the rest wait, see
//   `budget_queue`), and a request is refused only once the budget is spent. A period ends at most one request's
//   real cost above the budget, as long as the requests that ran side by side cost no more than reserved.
// - "strict": a request reserves its worst case, so a key never ends a period above its budget, at the price of
//   refusing requests whose worst case does not fit.
// Isolates may also hold a lease: a slice of budget, request slots, tokens and places in flight reserved here as one
// entry and spent locally (worker/meter/lease.ts), so a warm key far from its limits does not come back here for
// every request. What a lease holds counts against every limit here until its isolate reports what it used, so rpm,
// tpm and parallel limits hold across isolates exactly as they do request by request.
import type { AdmitRequest } from "./meter.ts";
import { periodEnd } from "./periods.ts";

export interface KeyLimits {
  rpm: number | null;
  tpm: number | null;
  parallel: number | null;
  maxBudget: number | null;
  budgetDuration: string | null;
  /** IANA zone in which day-based budget periods start (midnight). */
  timezone: string;
  /** When the current budget period ends, as stored for the key (null: derive from the duration). */
  budgetResetAt: number | null;
  /** "strict" reserves the worst case; "standard" (the default) the estimate. */
  budgetMode?: BudgetMode;
}

export type BudgetMode = "standard" | "strict";

export interface Estimate {
  /** Tokens expected, counted against the per-minute token limit until the real figure is known. */
  tokens: number;
  /** Expected cost in USD, reserved against a standard budget. */
  cost: number;
  /** The most the request can cost, reserved against a strict budget (defaults to `cost`). */
  worst?: number;
}

/** A lease as the object records it: budget set aside for one isolate, drawn down as it reports spend. */
export interface LeaseGrant {
  id: string;
  /** USD set aside. */
  amount: number;
  /** Until when the isolate may admit requests under it. */
  expiresAt: number;
  /** Requests it may admit (a key with an rpm limit; null: no such limit). */
  requests?: number | null;
  /** Tokens its requests may use, estimates of those in flight included (a key with a tpm limit). */
  tokens?: number | null;
  /** Requests it may have in flight at once (a key with max_parallel_requests). */
  slots?: number | null;
}

/** What an isolate asks for: budget for about `requests` requests like the one asking. */
export interface LeaseAsk {
  id: string;
  amount: number;
  requests?: number;
}

/** An isolate's report on its lease: what its settled requests used and what the lease still holds. */
export interface LeaseReport {
  actual: { tokens: number; cost: number };
  /** What the lease's requests still in flight reserve (USD). */
  holding: number;
  /** The lease is over and has nothing in flight: the object may forget it. */
  release: boolean;
  // The fields below are optional: isolates of an older deployment, still running during a rollout, do not send them.
  /** Requests admitted under the lease since its last report. */
  admitted?: number;
  /** What the estimates of its requests in flight reserve in tokens. */
  tokensHeld?: number;
  /** The lease admits no more requests (it lapsed or was revoked): what it had not used is free again. */
  closed?: boolean;
  /** How many of its requests are in flight (they keep their places against max_parallel_requests). */
  inflight?: number;
}

export type Refusal =
  | { status: 429; reason: "rpm" | "tpm" | "parallel"; retryAfterSeconds: number; message: string }
  /** Near the end of a standard budget requests run one at a time: wait for the one in flight, then ask again. */
  | { status: 429; reason: "budget_queue"; retryAfterSeconds: number; message: string }
  | { status: 402; reason: "budget"; resetsAt: number | null; message: string };

export interface Standing {
  limitRequests: number | null;
  remainingRequests: number | null;
  limitTokens: number | null;
  remainingTokens: number | null;
  /** Seconds until the oldest request/token leaves the one-minute window. */
  resetSeconds: number;
  spent: number;
  maxBudget: number | null;
  remainingBudget: number | null;
  budgetResetsAt: number | null;
}

export type AdmitOutcome = ({ ok: true } & Standing) | ({ ok: false; refusal: Refusal } & Standing);

export interface Snapshot {
  spent: number;
  periodEnd: number | null;
  requests: number[];
  tokens: [number, number][];
  inflight: Record<string, Reservation>;
}

interface Reservation {
  cost: number;
  tokens: number;
  at: number;
  /**
   * A request its isolate reports while it runs (`touch`, at least every LEASE_HEARTBEAT_MS): when it was last heard
   * of. Once silent for the object's `silenceMs` (LEASE_SILENCE_MS unless METER_SILENCE_MS says otherwise) its
   * isolate is gone, and it no longer takes a place, tokens or the turn of a budget near its end (see `silent`). Absent for a request admitted by an isolate that does not report (one of an
   * older deployment, during a rollout): that one is kept until the TTL, as before.
   */
  heardAt?: number;
  /** For a lease: until when it may be used, and what its isolate last said its requests in flight hold. */
  lease?: LeaseHold;
}

interface LeaseHold {
  expiresAt: number;
  holding: number;
  /** Request slots granted and not yet reported as used (each counts against rpm until then). */
  requests?: number;
  /**
   * Places it takes against max_parallel_requests: all those granted until its isolate reports it closed (a report
   * sent while it was open cannot rule out requests admitted after it), then its requests still in flight, and none
   * once the lease has not been heard from for LEASE_SILENCE_MS (its isolate is gone). Absent for a lease granted
   * without places: it counts as one request, as any reservation does.
   */
  slots?: number;
}

const WINDOW_MS = 60_000;
/** A reservation never settled (its Worker died) is dropped after this long, so it cannot block the key forever. */
export const RESERVATION_TTL_MS = 60 * 60_000;
/** How long an isolate may admit requests under a lease: revocations reach every isolate within this. */
export const LEASE_MS = 1500;
/** After its end, a lease keeps its full amount this long (its isolate settles in batches), then only what it holds. */
const LEASE_GRACE_MS = 30_000;
/**
 * How often an isolate reports a request in flight that holds something at its key's object (a place, tokens, the
 * budget), with its lease or by itself (leased-meter.ts; METER_REPORT_MS): well inside LEASE_SILENCE_MS, so a report
 * or two may fail without the object taking a live isolate for a dead one.
 */
export const LEASE_HEARTBEAT_MS = 60_000;
/**
 * A lease not heard from for this long after its end has lost its isolate: a live isolate reports a lease with
 * requests in flight at least every LEASE_HEARTBEAT_MS, so the places it held are free again (METER_SILENCE_MS).
 * (During a rollout, isolates of a deployment older than these reports lose the places of requests that outlast
 * this by that much: the limit may be passed for a moment, never the budget.)
 */
export const LEASE_SILENCE_MS = 5 * 60_000;
export class KeyState {
  spent = 0;
  periodEnd: number | null = null;
  private requests: number[] = [];
  private tokens: [number, number][] = [];
  private inflight = new Map<string, Reservation>();
  /** After this long without a report, a reported request or a lease past its end is gone (see `silent`). */
  silenceMs = LEASE_SILENCE_MS;

  static from(s: Snapshot): KeyState {
    const k = new KeyState();
    k.spent = s.spent;
    k.periodEnd = s.periodEnd;
    k.requests = [...s.requests];
    k.tokens = s.tokens.map(([t, n]) => [t, n]);
    k.inflight = new Map(Object.entries(s.inflight));
    return k;
  }

  snapshot(): Snapshot {
    return { spent: this.spent, periodEnd: this.periodEnd, requests: [...this.requests], tokens: [...this.tokens], inflight: Object.fromEntries(this.inflight) };
  }

  get reserved(): number {
    let sum = 0;
    for (const r of this.inflight.values()) sum += r.cost;
    return sum;
  }

  /**
   * Places taken against max_parallel_requests: one per request in flight here, and what each lease holds. A request
   * whose isolate fell silent takes none (a silent lease's places were set to none when it fell silent).
   */
  private occupied(now: number): number {
    let n = 0;
    for (const r of this.inflight.values()) n += r.lease ? (r.lease.slots ?? 1) : this.silent(r, now) ? 0 : 1;
    return n;
  }

  /** Request slots leases hold and have not reported as used: taken, as far as the rpm limit is concerned. */
  private get leasedRequests(): number {
    let n = 0;
    for (const r of this.inflight.values()) n += r.lease?.requests ?? 0;
    return n;
  }

  /**
   * Starts a new budget period if the current one is over. Returns the start of the new period when it rolled (the
   * caller may persist it), null otherwise.
   */
  roll(now: number, limits: KeyLimits): number | null {
    if (!limits.budgetDuration) return null;
    if (this.periodEnd === null) {
      this.periodEnd = limits.budgetResetAt ?? periodEnd(now, now, limits.budgetDuration, limits.timezone);
      if (this.periodEnd > now) return null;
    }
    if (now < this.periodEnd) return null;
    const start = this.periodEnd;
    this.spent = 0;
    this.periodEnd = periodEnd(start, now, limits.budgetDuration, limits.timezone);
    return start;
  }

  /** An isolate's admission as it arrives (the Durable Object's and the in-process meter's one way in). */
  admitRequest(now: number, req: AdmitRequest): AdmitOutcome & { lease?: LeaseGrant } {
    const reported = req.reported === true;
    return req.lease ? this.admitWithLease(now, req.reservationId, req.limits, req.estimate, req.lease, reported) : this.admit(now, req.reservationId, req.limits, req.estimate, reported);
  }

  /** `reported`: the asking isolate reports the request while it runs (see Reservation.heardAt). */
  admit(now: number, id: string, limits: KeyLimits, est: Estimate, reported = false): AdmitOutcome {
    this.prune(now);
    this.roll(now, limits);
    const reserve = reservationFor(limits, est);
    const refusal = this.refusal(now, limits, est, reserve);
    if (!refusal) {
      // Windows are kept only for the limits the key has: a busy key without them would hold a minute of
      // timestamps (tens of thousands) for nothing. A limit set later starts counting from then.
      if (limits.rpm !== null) this.requests.push(now);
      this.inflight.set(id, reported ? { cost: reserve, tokens: est.tokens, at: now, heardAt: now } : { cost: reserve, tokens: est.tokens, at: now });
      return { ok: true, ...this.standing(now, limits) };
    }
    return { ok: false, refusal, ...this.standing(now, limits) };
  }

  /**
   * Admits a request and, when the key is far from every limit, turns its reservation into a lease for the asking
   * isolate: budget (`ask.amount`), for a key with rpm or tpm limits a share of what is left of each (at most a
   * quarter of the minute's remaining requests and tokens, so other isolates keep room), and for a key with
   * max_parallel_requests the places free in the lower half of the limit (the asking request takes one). Strict
   * budgets (see `leasable`), budgets without room for four such leases, and limits too close for a lease of two
   * requests get none: those requests are admitted here one by one.
   */
  admitWithLease(now: number, id: string, limits: KeyLimits, est: Estimate, ask: LeaseAsk, reported = false): AdmitOutcome & { lease?: LeaseGrant } {
    const out = this.admit(now, id, limits, est, reported);
    if (!out.ok || !leasable(limits)) return out;
    const amount = Math.max(ask.amount, est.cost);
    if (limits.maxBudget !== null && this.spent + this.reserved - est.cost + 4 * amount > limits.maxBudget) return out;
    const r = this.inflight.get(id)!;
    const size = this.leaseSize(now, limits, est, ask.requests ?? 1);
    if (!size) return out;
    this.inflight.delete(id);
    // The asking request becomes the lease's first: its window entry is counted as one of the lease's slots.
    if (limits.rpm !== null) this.requests.pop();
    const expiresAt = now + LEASE_MS;
    const hold: LeaseHold = { expiresAt, holding: est.cost };
    const grant: LeaseGrant = { id: ask.id, amount, expiresAt };
    if (size.requests !== null) hold.requests = grant.requests = size.requests;
    if (size.tokens !== null) grant.tokens = size.tokens;
    if (size.slots !== null) hold.slots = grant.slots = size.slots;
    this.inflight.set(`lease:${ask.id}`, { cost: amount, tokens: size.tokens ?? 0, at: now, lease: hold });
    return { ...out, ...this.standing(now, limits), lease: grant };
  }

  /**
   * The rate-limit share of a new lease (nulls for limits the key does not have), or null when a limit is too
   * close for one. Called right after the asking request was admitted, which is counted in every window here.
   */
  private leaseSize(now: number, limits: KeyLimits, est: Estimate, want: number): { requests: number | null; tokens: number | null; slots: number | null } | null {
    let requests: number | null = null;
    if (limits.rpm !== null) {
      const free = limits.rpm - (this.requests.length - 1) - this.leasedRequests;
      requests = Math.min(Math.max(want, 2), Math.floor(free / 4));
      if (requests < 2) return null;
    }
    let tokens: number | null = null;
    if (limits.tpm !== null) {
      const free = limits.tpm - (this.tokensInWindow(now) - est.tokens);
      tokens = Math.min(est.tokens * Math.max(want, 2), Math.floor(free / 4));
      if (tokens < 2 * est.tokens || tokens <= 0) return null;
    }
    let slots: number | null = null;
    if (limits.parallel !== null) {
      // Leases take places only in the lower half of the limit (the asking request's place moves into the lease);
      // the upper half is admitted request by request. Idle places in leases (they lapse within LEASE_MS) are then
      // never more than half the limit, so a request refused for want of a place always finds at least half of the
      // key's places really in use.
      slots = Math.floor(limits.parallel / 2) - (this.occupied(now) - 1);
      if (slots < 2) return null;
    }
    return { requests, tokens, slots };
  }

  /**
   * An isolate's report on its lease: the spend and tokens of the requests it settled are added to the key, the
   * requests it admitted enter the rpm window (as of now: later than they ran, so they leave it later, never
   * sooner), and the lease keeps what it may still use. A closed lease keeps only what its requests in flight hold;
   * a released one is forgotten.
   */
  settleLease(now: number, leaseId: string, report: LeaseReport, limits: KeyLimits): Standing {
    this.prune(now);
    this.roll(now, limits);
    const key = `lease:${leaseId}`;
    const r = this.inflight.get(key);
    this.spent += report.actual.cost;
    if (report.actual.tokens > 0 && limits.tpm !== null) this.tokens.push([now, report.actual.tokens]);
    const admitted = report.admitted ?? 0;
    if (limits.rpm !== null) for (let i = 0; i < admitted; i++) this.requests.push(now);
    if (r?.lease) {
      const l = r.lease;
      if (report.release) this.inflight.delete(key);
      else {
        r.cost = report.closed ? report.holding : Math.max(report.holding, r.cost - report.actual.cost);
        // Tokens (a key with tpm only): what the lease may still use (its slice less what was reported), all of it
        // while open; once closed, what its requests in flight hold.
        const held = report.tokensHeld ?? 0;
        r.tokens = limits.tpm === null ? 0 : report.closed ? held : Math.max(held, r.tokens - report.actual.tokens);
        l.holding = report.holding;
        if (l.requests !== undefined) l.requests = report.closed ? 0 : Math.max(0, l.requests - admitted);
        if (report.closed && report.inflight !== undefined && l.slots !== undefined) l.slots = report.inflight;
        r.at = now;
      }
    }
    return this.standing(now, limits);
  }

  /**
   * An isolate's word that these requests it was admitted here for are still running (the ids of those it reports;
   * unknown ones, settled or expired, are ignored). Returns how many it knew.
   */
  touch(now: number, ids: readonly string[]): number {
    let heard = 0;
    for (const id of ids) {
      const r = this.inflight.get(id);
      if (r && !r.lease && r.heardAt !== undefined) {
        r.heardAt = now;
        heard++;
      }
    }
    return heard;
  }

  /** Replaces a reservation by what the request really cost; unknown ids (already settled or expired) still count. */
  settle(now: number, id: string, actual: { tokens: number; cost: number }, limits: KeyLimits): Standing {
    this.prune(now);
    this.roll(now, limits);
    this.inflight.delete(id);
    this.spent += actual.cost;
    if (actual.tokens > 0 && limits.tpm !== null) this.tokens.push([now, actual.tokens]);
    return this.standing(now, limits);
  }

  private refusal(now: number, limits: KeyLimits, est: Estimate, reserve: number): Refusal | null {
    if (limits.parallel !== null && this.occupied(now) >= limits.parallel) {
      // Full with requests in flight: try again in a second. Full with places other isolates' leases hold (some
      // perhaps idle): once those leases report (they close within LEASE_MS).
      const wait = this.inflight.size >= limits.parallel ? 1 : Math.ceil(LEASE_MS / 1000) + 1;
      return { status: 429, reason: "parallel", retryAfterSeconds: wait, message: `This key allows ${limits.parallel} requests at a time.` };
    }
    if (limits.rpm !== null && this.requests.length + this.leasedRequests >= limits.rpm) {
      // Full with requests of the last minute: until the oldest leaves the window. Full with slots other isolates'
      // leases hold: until those leases report (they close within LEASE_MS).
      const wait = this.requests.length >= limits.rpm ? Math.max(1, Math.ceil((this.requests[0]! + WINDOW_MS - now) / 1000)) : Math.ceil(LEASE_MS / 1000) + 1;
      return { status: 429, reason: "rpm", retryAfterSeconds: wait, message: `Rate limit: this key allows ${limits.rpm} requests per minute.` };
    }
    if (limits.tpm !== null && this.tokensInWindow(now) >= limits.tpm) {
      const oldest = this.tokens[0]?.[0] ?? now;
      const wait = Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
      return { status: 429, reason: "tpm", retryAfterSeconds: wait, message: `Rate limit: this key allows ${limits.tpm} tokens per minute.` };
    }
    if (limits.maxBudget !== null) {
      const resetsAt = limits.budgetDuration ? this.periodEnd : null;
      if (this.spent >= limits.maxBudget) {
        const message = `Budget exceeded: this key has spent $${this.spent.toFixed(4)} of its $${limits.maxBudget} budget.`;
        return { status: 402, reason: "budget", resetsAt, message };
      }
      const reserved = this.reserved;
      if (this.spent + reserved + reserve > limits.maxBudget) {
        if (limits.budgetMode !== "strict") {
          // Standard mode near the boundary: one request at a time. Alone, it may go over by its own cost at most.
          if (!this.busy(now)) return null;
          return { status: 429, reason: "budget_queue", retryAfterSeconds: 1, message: "This key is close to its budget, so its requests run one at a time; retry in a moment." };
        }
        const left = Math.max(0, limits.maxBudget - this.spent);
        const message =
          `Budget: this request could cost up to $${reserve.toFixed(4)} but the key has $${left.toFixed(4)} left` +
          (reserved > 0 ? ` ($${reserved.toFixed(4)} of it reserved by requests in flight)` : "") +
          "; lower max_tokens or wait.";
        return { status: 402, reason: "budget", resetsAt, message };
      }
    }
    return null;
  }

  /**
   * Some request that can cost money is in flight (free ones, like count_tokens, reserve nothing). A silent one is
   * not: its isolate is gone, and the key's next request must not wait an hour for its turn.
   */
  private busy(now: number): boolean {
    for (const r of this.inflight.values()) if (r.cost > 0 && !this.silent(r, now)) return true;
    return false;
  }

  private tokensInWindow(now: number): number {
    let n = 0;
    for (const [, t] of this.tokens) n += t;
    for (const r of this.inflight.values()) if (!this.silent(r, now)) n += r.tokens;
    return n;
  }

  /**
   * A reservation whose isolate has stopped reporting it: a request admitted here (reported, not heard of for
   * `silenceMs`), or a lease past its end and grace not heard of for as long. Its isolate was killed (a crash, the
   * runtime's CPU or memory limit) with it in flight. It keeps what it reserved of the budget until the TTL (a budget
   * errs towards refusing), and nothing else: no place, no tokens, and no turn near the end of a standard budget.
   */
  private silent(r: Reservation, now: number): boolean {
    if (r.lease) return now > r.lease.expiresAt + LEASE_GRACE_MS && r.at <= now - this.silenceMs;
    return r.heardAt !== undefined && r.heardAt <= now - this.silenceMs;
  }

  private standing(now: number, limits: KeyLimits): Standing {
    const used = this.tokensInWindow(now);
    const oldest = Math.min(this.requests[0] ?? now, this.tokens[0]?.[0] ?? now);
    return {
      limitRequests: limits.rpm,
      remainingRequests: limits.rpm === null ? null : Math.max(0, limits.rpm - this.requests.length - this.leasedRequests),
      limitTokens: limits.tpm,
      remainingTokens: limits.tpm === null ? null : Math.max(0, limits.tpm - used),
      resetSeconds: Math.max(0, Math.ceil((oldest + WINDOW_MS - now) / 1000)),
      spent: this.spent,
      maxBudget: limits.maxBudget,
      remainingBudget: limits.maxBudget === null ? null : Math.max(0, limits.maxBudget - this.spent - this.reserved),
      budgetResetsAt: limits.budgetDuration ? this.periodEnd : null,
    };
  }

  private prune(now: number): void {
    const cutoff = now - WINDOW_MS;
    while (this.requests.length && this.requests[0]! <= cutoff) this.requests.shift();
    while (this.tokens.length && this.tokens[0]![0] <= cutoff) this.tokens.shift();
    for (const [id, r] of this.inflight) {
      if (r.at <= now - RESERVATION_TTL_MS) this.inflight.delete(id);
      else if (r.lease && now > r.lease.expiresAt + LEASE_GRACE_MS && r.at <= now - LEASE_GRACE_MS) {
        // An ended lease its isolate has not released: keep only what its requests in flight were last said to hold.
        // Its request slots and tokens stay counted until every request it could have admitted (all before it ended)
        // has left the one-minute window: the isolate may not have reported them all. Its places stay as they are
        // (see LeaseHold.slots) while its isolate keeps reporting the requests still in flight; once it has been
        // silent for LEASE_SILENCE_MS it is gone (killed, or over the runtime's limits) and its places are free.
        // What its requests were last said to hold stays against the budget until the TTL, as a dead request's
        // reservation does: a budget errs towards refusing.
        const windowOver = now > r.lease.expiresAt + WINDOW_MS;
        const rated = r.lease.requests !== undefined || r.tokens > 0;
        r.cost = r.lease.holding;
        if (r.lease.slots && this.silent(r, now)) r.lease.slots = 0;
        if (windowOver) {
          r.tokens = 0;
          if (r.lease.requests !== undefined) r.lease.requests = 0;
        }
        const idle = r.lease.holding <= 0 && !r.lease.slots;
        if (idle && (windowOver || !rated)) this.inflight.delete(id);
      }
    }
  }
}

/**
 * Whether a request in flight holds something another request may wait for (a place, tokens, or the turn near the
 * end of a budget): then its isolate reports it while it runs, so the object can tell a long request from a dead one.
 */
export function heldWhileInFlight(limits: KeyLimits): boolean {
  return limits.parallel !== null || limits.maxBudget !== null || limits.tpm !== null;
}

/** What a request reserves against the budget: its worst case under a strict budget, its estimate otherwise. */
export function reservationFor(limits: KeyLimits, est: Estimate): number {
  return limits.budgetMode === "strict" ? Math.max(est.cost, est.worst ?? est.cost) : est.cost;
}

/**
 * A key that may be spent from locally for a moment: its budget (if any) in standard mode. rpm, tpm and parallel
 * limits do not prevent a lease; they size it (KeyState.leaseSize). A lease's places count as taken until its
 * isolate reports it closed, then as many as its requests still in flight: a request may run for minutes, so a
 * place is free only once it is reported free (or the reservation TTL passes, as for any reservation).
 */
export function leasable(limits: KeyLimits): boolean {
  return limits.budgetMode !== "strict";
}
