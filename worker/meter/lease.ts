// One isolate's lease on a key's limits: a slice of budget (and, for a key with rpm, tpm or parallel limits, request
// slots, tokens and places in flight) the key's meter object set aside for it, spent here without a round trip per
// request. Within the lease the isolate admits a request only while what it has spent plus what its requests in
// flight reserve fits the slice, and while it has request slots, tokens and places left, so the object's accounting
// (the lease as one reservation of all of it) stays an upper bound of what the isolate can commit. The lease ends at
// `expiresAt` (at most LEASE_MS after it was granted) or at once when this isolate learns the key changed; after that
// the isolate asks the object again.
import type { SpendRow } from "../db/queries.ts";
import type { Estimate, KeyLimits, LeaseGrant, Standing } from "./key-state.ts";

export interface LeaseEntry {
  actual: { tokens: number; cost: number };
  row: SpendRow | null;
}

export class Lease {
  /** Spent under the lease (settled here), reported or not. */
  private spent = 0;
  /** Tokens its settled requests used, reported or not. */
  private tokensUsed = 0;
  /** Requests admitted under it, and how many of them the object has not been told of. */
  private admitted = 0;
  unreportedAdmits = 0;
  /** The object has been told the lease admits no more (it then keeps only what the requests in flight hold). */
  closeReported = false;
  /** Requests in flight: what each reserves, and the totals (kept as they change: every admission reads them). */
  private readonly held = new Map<string, { cost: number; tokens: number }>();
  private heldCost = 0;
  private heldTokens = 0;
  private revoked = false;
  /** Settled here and not yet reported to the object. */
  pending: LeaseEntry[] = [];
  /** When this isolate last reported the lease to its object (LeasedMeter.take). */
  reportedAt = -Infinity;

  constructor(
    readonly keyId: string,
    readonly grant: LeaseGrant,
    /** The limits the lease was granted under (a changed key gets a new lease). */
    readonly limits: KeyLimits,
    /** The key's standing when the lease was granted, for the response headers of requests served under it. */
    private readonly base: Standing,
    /** How many requests like the first the lease was sized for (the next lease's size starts from it). */
    readonly requests = 1,
  ) {}

  /** May this request be admitted here? */
  admits(now: number, limits: KeyLimits, est: Estimate): boolean {
    if (!this.usable(now) || !sameLimits(limits, this.limits)) return false;
    const g = this.grant;
    if (g.requests != null && this.admitted >= g.requests) return false;
    if (g.tokens != null && this.tokensUsed + this.tokensHeld + est.tokens > g.tokens) return false;
    if (g.slots != null && this.inFlight >= g.slots) return false;
    return this.spent + this.holding + est.cost <= g.amount;
  }

  /** Neither revoked nor lapsed (it may still be too small for the next request). */
  usable(now: number): boolean {
    return !this.revoked && now < this.grant.expiresAt;
  }

  take(reservationId: string, est: Estimate): void {
    this.held.set(reservationId, { cost: est.cost, tokens: est.tokens });
    this.heldCost += est.cost;
    this.heldTokens += est.tokens;
    this.admitted++;
    this.unreportedAdmits++;
  }

  holds(reservationId: string): boolean {
    return this.held.has(reservationId);
  }

  settle(reservationId: string, entry: LeaseEntry): void {
    const h = this.held.get(reservationId);
    if (h) {
      this.held.delete(reservationId);
      // Back to exactly zero when nothing is in flight: sums of fractions of a cent leave dust, and the object
      // forgets an abandoned lease only once what it holds is zero.
      this.heldCost = this.held.size === 0 ? 0 : this.heldCost - h.cost;
      this.heldTokens = this.held.size === 0 ? 0 : this.heldTokens - h.tokens;
    }
    this.spent += entry.actual.cost;
    this.tokensUsed += entry.actual.tokens;
    this.pending.push(entry);
  }

  /** Ends the lease for new requests (those in flight still settle through it). */
  revoke(): void {
    this.revoked = true;
  }

  /** Over for new requests, and nothing in flight: the object may forget it. */
  finished(now: number): boolean {
    return !this.usable(now) && this.held.size === 0;
  }

  /** What its requests in flight reserve (USD). */
  get holding(): number {
    return this.heldCost;
  }

  get tokensHeld(): number {
    return this.heldTokens;
  }

  /** How many of its requests are in flight. */
  get inFlight(): number {
    return this.held.size;
  }

  /** The key's standing as far as this isolate knows: the object's at grant time plus what was spent here since. */
  standing(): Standing {
    const b = this.base;
    const g = this.grant;
    const spent = b.spent + this.spent;
    const remainingBudget = b.maxBudget === null ? null : Math.max(0, b.maxBudget - spent - this.holding);
    // The object's figures count this lease's whole share as taken; what the lease has not used yet is this
    // isolate's to use, so it is added back.
    const remainingRequests = b.remainingRequests === null || g.requests == null ? b.remainingRequests : Math.max(0, b.remainingRequests + g.requests - this.admitted);
    const remainingTokens = b.remainingTokens === null || g.tokens == null ? b.remainingTokens : Math.max(0, b.remainingTokens + g.tokens - this.tokensUsed - this.tokensHeld);
    return { ...b, spent, remainingBudget, remainingRequests, remainingTokens };
  }
}

function sameLimits(a: KeyLimits, b: KeyLimits): boolean {
  return (
    a.maxBudget === b.maxBudget &&
    a.budgetDuration === b.budgetDuration &&
    a.budgetMode === b.budgetMode &&
    a.rpm === b.rpm &&
    a.tpm === b.tpm &&
    a.parallel === b.parallel &&
    a.budgetResetAt === b.budgetResetAt &&
    a.timezone === b.timezone
  );
}
