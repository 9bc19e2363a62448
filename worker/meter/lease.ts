// One isolate's lease on a key's budget: a slice the key's meter object set aside for it, spent here without a
// round trip per request. Within the lease the isolate admits a request only while what it has spent plus what
// its requests in flight reserve fits the slice, so the object's accounting (the slice as one reservation) stays
// an upper bound of what the isolate can commit. The lease ends at `expiresAt` (at most LEASE_MS after it was
// granted) or at once when this isolate learns the key changed; after that the isolate asks the object again.
import type { SpendRow } from "../db/queries.ts";
import type { Estimate, KeyLimits, LeaseGrant, Standing } from "./key-state.ts";

export interface LeaseEntry {
  actual: { tokens: number; cost: number };
  row: SpendRow | null;
}

export class Lease {
  /** Spent under the lease (settled here), reported or not. */
  private spent = 0;
  private readonly held = new Map<string, number>();
  private revoked = false;
  /** Settled here and not yet reported to the object. */
  pending: LeaseEntry[] = [];

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
    return this.spent + this.holding + est.cost <= this.grant.amount;
  }

  /** Neither revoked nor lapsed (it may still be too small for the next request). */
  usable(now: number): boolean {
    return !this.revoked && now < this.grant.expiresAt;
  }

  take(reservationId: string, est: Estimate): void {
    this.held.set(reservationId, est.cost);
  }

  holds(reservationId: string): boolean {
    return this.held.has(reservationId);
  }

  settle(reservationId: string, entry: LeaseEntry): void {
    this.held.delete(reservationId);
    this.spent += entry.actual.cost;
    this.pending.push(entry);
  }

  /** Ends the lease for new requests (those in flight still settle through it). */
  revoke(): void {
    this.revoked = true;
  }

  /** Over for new requests, and nothing in flight: the object may forget it. */
  finished(now: number): boolean {
    return (this.revoked || now >= this.grant.expiresAt) && this.held.size === 0;
  }

  get holding(): number {
    let sum = 0;
    for (const c of this.held.values()) sum += c;
    return sum;
  }

  /** The key's standing as far as this isolate knows: the object's at grant time plus what was spent here since. */
  standing(): Standing {
    const spent = this.base.spent + this.spent;
    const remainingBudget = this.base.maxBudget === null ? null : Math.max(0, this.base.maxBudget - spent - this.holding);
    return { ...this.base, spent, remainingBudget };
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
