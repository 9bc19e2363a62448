// The Durable Object behind the Workers meter: one instance per key, so every isolate everywhere sees the same
// counters and reservations. It also owns the key's spend rows until Postgres has them: each settled request's
// row is written to the object's storage first and flushed to Postgres in batches by an alarm, retried with
// backoff while the database is unreachable — a database outage loses nothing.
//
// Written against the plain fetch-handler Durable Object interface (no `cloudflare:workers` import), so this file
// stays Web-standard; only worker/index.ts exports it to the runtime.
import { parseConfig } from "../config.ts";
import { createDb } from "../db/client.ts";
import { resetKeyPeriod } from "../db/meter-queries.ts";
import { writeSpend, type SpendRow } from "../db/queries.ts";
import { logEvent } from "../util/log.ts";
import { KeyState, type Snapshot } from "./key-state.ts";
import type { AdmitRequest, LeaseSettleRequest, SettleRequest } from "./meter.ts";

const BATCH = 500;
const MAX_BACKOFF_MS = 60_000;

interface Persisted {
  snapshot: Snapshot;
  changedAt: number;
}

export class KeyMeterObject {
  private state: KeyState | null = null;
  private changedAt = 0;
  private keyId: string | null = null;
  private cfg: ReturnType<typeof parseConfig> | null = null;
  /** When the flush alarm is set for, as far as this instance knows (null: ask storage). */
  private alarmAt: number | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Record<string, unknown>,
  ) {
    void ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.get<Persisted>("meter");
      if (saved) {
        this.state = KeyState.from(saved.snapshot);
        this.changedAt = saved.changedAt;
      }
      this.keyId = (await ctx.storage.get<string>("keyId")) ?? null;
    });
  }

  async fetch(request: Request): Promise<Response> {
    const op = new URL(request.url).pathname.slice(1);
    try {
      const body = (await request.json()) as Record<string, unknown>;
      switch (op) {
        case "admit":
          return Response.json(await this.admit(body as unknown as AdmitRequest));
        case "settle":
          return Response.json(await this.settle(body as unknown as SettleRequest));
        case "settle-lease":
          return Response.json(await this.settleLease(body as unknown as LeaseSettleRequest));
        case "changed":
          this.changedAt = Date.now();
          await this.persist();
          return Response.json({ ok: true });
        default:
          return new Response("unknown meter operation", { status: 404 });
      }
    } catch (err) {
      logEvent("error", { msg: "meter operation failed", op, error: String(err) });
      return new Response("meter error", { status: 500 });
    }
  }

  private async admit(req: AdmitRequest) {
    if (req.recordLoadedAt < this.changedAt) return { ok: false, stale: true };
    await this.remember(req.keyId);
    const state = this.stateFor(req.knownSpend);
    const now = Date.now();
    if (state.roll(now, req.limits) !== null && state.periodEnd !== null) await this.queueRoll(state.periodEnd);
    const out = req.lease ? state.admitWithLease(now, req.reservationId, req.limits, req.estimate, req.lease) : state.admit(now, req.reservationId, req.limits, req.estimate);
    // Only a budget reservation must survive an eviction; rate windows are a minute long and live in memory.
    if (out.ok && req.limits.maxBudget !== null) await this.persist();
    return out;
  }

  private async settle(req: SettleRequest) {
    await this.remember(req.keyId);
    const state = this.stateFor(0);
    const standing = state.settle(Date.now(), req.reservationId, req.actual, req.limits);
    // The row and the new counters go to storage in one implicit transaction (the output gate holds the reply
    // until both are durable), so a settled request is never counted without its row or vice versa.
    if (req.row) await this.ctx.storage.put(`row:${req.row.requestId}`, req.row);
    if (req.limits.maxBudget !== null || req.limits.budgetDuration !== null) await this.persist();
    // Rows settled close together go to Postgres in one statement (SPEND_FLUSH_DELAY_MS of batching).
    if (req.row) await this.scheduleFlush(this.config().spendFlushDelayMs);
    return standing;
  }

  /** A batch an isolate spent under its lease: counters and rows stored together, as in `settle`. */
  private async settleLease(req: LeaseSettleRequest) {
    await this.remember(req.keyId);
    const state = this.stateFor(0);
    const standing = state.settleLease(Date.now(), req.leaseId, req.actual, req.holding, req.release, req.limits);
    if (req.rows.length) await this.ctx.storage.put(Object.fromEntries(req.rows.map((row) => [`row:${row.requestId}`, row])));
    if (req.limits.maxBudget !== null || req.limits.budgetDuration !== null) await this.persist();
    if (req.rows.length) await this.scheduleFlush(this.config().spendFlushDelayMs);
    return standing;
  }

  /** Writes pending spend rows (and a pending period reset) to Postgres. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    const db = this.db();
    try {
      const roll = await this.ctx.storage.get<number>("roll");
      if (roll !== undefined && this.keyId) {
        await resetKeyPeriod(db, this.keyId, new Date(roll));
        await this.ctx.storage.delete("roll");
      }
      const pending = await this.ctx.storage.list<SpendRow>({ prefix: "row:", limit: BATCH });
      if (pending.size) {
        const rows = [...pending.values()].map(revive);
        await writeSpend(db, rows);
        await this.ctx.storage.delete([...pending.keys()]);
        await this.ctx.storage.delete("failures");
      }
      if (pending.size === BATCH) await this.scheduleFlush(0);
    } catch (err) {
      const failures = ((await this.ctx.storage.get<number>("failures")) ?? 0) + 1;
      await this.ctx.storage.put("failures", failures);
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 6));
      logEvent("error", { msg: "spend flush failed; rows kept in the meter's storage", failures, retryInMs: wait, error: String(err) });
      await this.ctx.storage.setAlarm(Date.now() + wait);
      this.alarmAt = Date.now() + wait;
    }
  }

  private stateFor(knownSpend: number): KeyState {
    if (!this.state) {
      this.state = new KeyState();
      // First sight of this key: start from what Postgres knows it has spent.
      this.state.spent = knownSpend;
    }
    return this.state;
  }

  private async remember(keyId: string): Promise<void> {
    if (this.keyId === keyId) return;
    this.keyId = keyId;
    await this.ctx.storage.put("keyId", keyId);
  }

  private async queueRoll(nextResetAt: number): Promise<void> {
    await this.ctx.storage.put("roll", nextResetAt);
    await this.scheduleFlush(0);
  }

  /** Stores what must outlive an eviction: spend in the period, the period's end, and budget reservations. */
  private async persist(): Promise<void> {
    if (!this.state) return;
    const { spent, periodEnd, inflight } = this.state.snapshot();
    await this.ctx.storage.put<Persisted>("meter", { snapshot: { spent, periodEnd, inflight, requests: [], tokens: [] }, changedAt: this.changedAt });
  }

  /** Sets the flush alarm unless an earlier one is already due (remembered in memory to save a storage read). */
  private async scheduleFlush(delayMs: number): Promise<void> {
    const at = Date.now() + delayMs;
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > Date.now() - 60_000) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) {
      await this.ctx.storage.setAlarm(at);
      this.alarmAt = at;
    } else {
      this.alarmAt = current;
    }
  }

  private config() {
    this.cfg ??= parseConfig(this.env);
    return this.cfg;
  }

  private db() {
    const { database } = this.config();
    return createDb(database.url, { httpEndpoint: database.httpEndpoint, timeoutMs: database.timeoutMs });
  }
}

/** Rows come back from storage as structured clones; dates stay dates, but a JSON round trip would not. */
function revive(row: SpendRow): SpendRow {
  return { ...row, startTime: new Date(row.startTime), endTime: row.endTime ? new Date(row.endTime) : null };
}
