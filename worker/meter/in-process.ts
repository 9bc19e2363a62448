import type { SpendRow } from "../db/queries.ts";
import type { SpendRecorder } from "./spend.ts";
import { KeyState } from "./key-state.ts";
import type { AdmitRequest, AdmitResponse, LeaseSettleRequest, Meter, PeriodRolled, SettleRequest, TouchRequest } from "./meter.ts";

/**
 * The meter for a single process (the Deno entry): the same per-key state as the Durable Object, kept in memory,
 * with spend rows written through the batching recorder. Exact for one process; a multi-instance Deno deployment
 * would need a shared store (not provided).
 */
export class InProcessMeter implements Meter {
  private readonly keys = new Map<string, KeyState>();
  private readonly changedAt = new Map<string, number>();

  constructor(
    private readonly spend: SpendRecorder,
    private readonly onRoll: PeriodRolled,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(req: AdmitRequest): Promise<AdmitResponse> {
    const changed = this.changedAt.get(req.keyId);
    if (changed !== undefined && req.recordLoadedAt < changed) return { ok: false, stale: true };
    const state = this.state(req.keyId, req.knownSpend);
    const now = this.now();
    if (state.roll(now, req.limits) !== null && state.periodEnd !== null) {
      // The process outlives the request, so this may finish after it; a failure is retried at the next roll check.
      this.onRoll(req.keyId, state.periodEnd).catch(() => {});
    }
    return state.admitRequest(now, req);
  }

  /** Leases cost nothing to save here (the state is in the same process), but the protocol is the object's. */
  async settleLease(req: LeaseSettleRequest) {
    return this.state(req.keyId, 0).settleLease(this.now(), req.leaseId, req, req.limits);
  }

  async touch(req: TouchRequest): Promise<void> {
    this.state(req.keyId, 0).touch(this.now(), req.reservationIds);
  }

  async settle(req: SettleRequest, defer: (p: Promise<unknown>) => void) {
    return this.settleNow(req, defer);
  }

  /** Always: the state is in this process, and the row goes to the batching recorder. */
  settleLocally(req: SettleRequest, defer: (p: Promise<unknown>) => void): boolean {
    this.settleNow(req, defer);
    return true;
  }

  private settleNow(req: SettleRequest, defer: (p: Promise<unknown>) => void) {
    const standing = this.state(req.keyId, 0).settle(this.now(), req.reservationId, req.actual, req.limits);
    if (req.row) this.spend.record(req.row, defer);
    return standing;
  }

  /** Nothing more durable than the process here: the recorder keeps them and retries (the process outlives it). */
  async keepRows(_keyId: string, rows: SpendRow[]): Promise<void> {
    void this.spend.recordAll(rows);
  }

  async keyChanged(keyId: string): Promise<void> {
    this.changedAt.set(keyId, this.now());
  }

  private state(keyId: string, knownSpend: number): KeyState {
    let s = this.keys.get(keyId);
    if (!s) {
      s = new KeyState();
      s.spent = knownSpend;
      this.keys.set(keyId, s);
    }
    return s;
  }
}
