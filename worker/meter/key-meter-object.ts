// The Durable Object behind the Workers meter: one instance per key, so every isolate everywhere sees the same
// counters and reservations. It also keeps spend rows Postgres could not take yet: a request settled here (no lease)
// leaves its row in the object's storage, and isolates spending under a lease send rows here when their own write
// to Postgres failed. An alarm flushes them to Postgres in batches, retried with backoff while the database is
// unreachable — a database outage loses nothing.
//
// Written against the plain fetch-handler Durable Object interface (no `cloudflare:workers` import), so this file
// stays Web-standard; only worker/index.ts exports it to the runtime.
import { parseConfig } from "../config.ts";
import { createDb } from "../db/client.ts";
import { resetKeyPeriod } from "../db/meter-queries.ts";
import { writeSpend, type SpendRow } from "../db/queries.ts";
import { logEvent } from "../util/log.ts";
import { newRequestId } from "../util/ids.ts";
import { KeyState, type KeyLimits, type Snapshot } from "./key-state.ts";
import type { AdmitRequest, LeaseSettleRequest, SalvageReport, SetAsideChunk, SetAsideListing, SettleControl, TouchRequest } from "./meter.ts";
import { checkMeterCall } from "./meter-calls.ts";
import { decodeMeterCall, parseRowChunk, revive, salvageRowChunk } from "./row-batches.ts";

/** Rows per INSERT statement. */
const BATCH = 500;
/** Stored row chunks taken per alarm (each holds up to ROW_CHUNK_BYTES of rows). */
const CHUNKS_PER_FLUSH = 16;
/** The storage API takes at most 128 keys per call. */
const MAX_KEYS_PER_DELETE = 128;
const ROWS_PREFIX = "rows:";
const SINGLE_ROW_PREFIX = "row:";
/** Stored row chunks the flush could not read, set aside under their old name (see alarm). */
const UNREADABLE_PREFIX = "unreadable:";
const MAX_BACKOFF_MS = 60_000;
/** Set-aside chunks listed at once, and how much of each one's text is shown. */
const MAX_SET_ASIDE_LISTED = 50;
const MAX_SHOWN_BYTES = 64 * 1024;

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
    let call: { control: unknown; rowChunks: string[] };
    try {
      call = decodeMeterCall(await request.text());
    } catch {
      return refuse(400, `malformed ${op}: the control message is not JSON`);
    }
    const checked = checkMeterCall(op, call.control);
    if (!checked.ok) return refuse(checked.status, checked.problem);
    const { rowChunks } = call;
    const control = checked.control;
    try {
      switch (op) {
        case "admit":
          return Response.json(await this.admit(control as AdmitRequest));
        case "settle":
          return Response.json(await this.settle(control as SettleControl, rowChunks));
        case "settle-lease":
          return Response.json(await this.settleLease(control as LeaseSettleRequest, rowChunks));
        case "touch":
          await this.touch(control as TouchRequest);
          return Response.json({ ok: true });
        case "keep-rows":
          await this.remember((control as { keyId: string }).keyId);
          await this.keep(null, rowChunks);
          return Response.json({ ok: true });
        case "set-aside":
          return Response.json(await this.listSetAside((control as { after?: string }).after));
        case "set-aside-chunk":
          return Response.json({ chunk: await this.showSetAside((control as { name: string }).name) });
        case "salvage":
          return Response.json(await this.salvage());
        case "discard":
          return Response.json({ discarded: await this.discard((control as { names: string[] }).names) });
        default: // "changed" (checkMeterCall knows no other)
          this.changedAt = Date.now();
          await this.persist();
          return Response.json({ ok: true });
      }
    } catch (err) {
      logEvent("error", { msg: "meter operation failed", op, error: err });
      return new Response("meter error", { status: 500 });
    }
  }

  private async admit(req: AdmitRequest) {
    if (req.recordLoadedAt < this.changedAt) return { ok: false, stale: true };
    await this.remember(req.keyId);
    const state = this.stateFor(req.knownSpend);
    const now = Date.now();
    if (state.roll(now, req.limits) !== null && state.periodEnd !== null) await this.queueRoll(state.periodEnd);
    const out = state.admitRequest(now, req);
    if (out.ok && mustPersist(req.limits)) await this.persist();
    return out;
  }

  /** Requests still running, as their isolate says (once a minute each): stored, so an eviction does not forget it. */
  private async touch(req: TouchRequest) {
    await this.remember(req.keyId);
    // Only news is stored: reports of requests that settled or expired meanwhile change nothing.
    if (this.stateFor(0).touch(Date.now(), req.reservationIds) > 0) await this.persist();
  }

  private async settle(req: SettleControl, rowChunks: string[]) {
    await this.remember(req.keyId);
    const state = this.stateFor(0);
    const standing = state.settle(Date.now(), req.reservationId, req.actual, req.limits);
    await this.keep(req.limits, rowChunks);
    return standing;
  }

  /**
   * A batch an isolate spent under its lease: counters (its rows went to Postgres from the isolate). Rows that come
   * with it, from an isolate of an older deployment during a rollout, are stored as in `settle`.
   */
  private async settleLease(req: LeaseSettleRequest, rowChunks: string[]) {
    await this.remember(req.keyId);
    const state = this.stateFor(0);
    const standing = state.settleLease(Date.now(), req.leaseId, req, req.limits);
    await this.keep(req.limits, rowChunks);
    return standing;
  }

  /**
   * Stores settled rows (as the text they arrived in, one entry per chunk) and the new counters. Both go to storage
   * in one implicit transaction (the output gate holds the reply until they are durable), so a settled request is
   * never counted without its row or vice versa. Rows settled close together go to Postgres in one statement
   * (SPEND_FLUSH_DELAY_MS of batching).
   */
  private async keep(limits: KeyLimits | null, rowChunks: string[]): Promise<void> {
    if (rowChunks.length) {
      const batch = newRequestId();
      await this.ctx.storage.put(Object.fromEntries(rowChunks.map((text, i) => [`${ROWS_PREFIX}${batch}:${i}`, text])));
    }
    if (limits && mustPersist(limits)) await this.persist();
    if (rowChunks.length) await this.scheduleFlush(this.config().spendFlushDelayMs);
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
      const chunks = await this.ctx.storage.list<string>({ prefix: ROWS_PREFIX, limit: CHUNKS_PER_FLUSH });
      // Rows stored one per entry, as structured clones, by versions before row chunks: still flushed.
      const single = await this.ctx.storage.list<SpendRow>({ prefix: SINGLE_ROW_PREFIX, limit: BATCH });
      const rows = [...single.values()].map(revive);
      const unreadable: string[] = [];
      for (const [name, text] of chunks) {
        try {
          rows.push(...parseRowChunk(text));
        } catch (err) {
          unreadable.push(name);
          logEvent("error", { msg: "a stored spend-row chunk cannot be read; set aside, not written", chunk: name, error: err });
        }
      }
      // A failed statement leaves every listed entry in storage; rows an earlier statement wrote are skipped on the
      // retry (writeSpend ignores request ids it already has).
      for (let i = 0; i < rows.length; i += BATCH) await writeSpend(db, rows.slice(i, i + BATCH));
      // One unreadable chunk must not hold back every later row of the key on every alarm: it is kept for an operator
      // under its own prefix, out of the flush's way (the rows in it cannot be billed as they are).
      for (const name of unreadable) await this.ctx.storage.put(`${UNREADABLE_PREFIX}${name}`, chunks.get(name));
      const done = [...chunks.keys(), ...single.keys()];
      if (done.length) {
        for (let i = 0; i < done.length; i += MAX_KEYS_PER_DELETE) await this.ctx.storage.delete(done.slice(i, i + MAX_KEYS_PER_DELETE));
        await this.ctx.storage.delete("failures");
      }
      if (chunks.size === CHUNKS_PER_FLUSH || single.size === BATCH) await this.scheduleFlush(0);
    } catch (err) {
      const failures = ((await this.ctx.storage.get<number>("failures")) ?? 0) + 1;
      await this.ctx.storage.put("failures", failures);
      const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 6));
      logEvent("error", { msg: "spend flush failed; rows kept in the meter's storage", failures, retryInMs: wait, error: err });
      await this.ctx.storage.setAlarm(Date.now() + wait);
      this.alarmAt = Date.now() + wait;
    }
  }

  /** A page of the chunks the flush set aside, oldest first, after `after`, each with why it cannot be read. */
  private async listSetAside(after: string | undefined): Promise<SetAsideListing> {
    // One more than a page is read, to tell whether another page follows.
    const stored = await this.ctx.storage.list<string>({ prefix: UNREADABLE_PREFIX, limit: MAX_SET_ASIDE_LISTED + 1, ...(after !== undefined ? { startAfter: `${UNREADABLE_PREFIX}${after}` } : {}) });
    const chunks = [...stored].slice(0, MAX_SET_ASIDE_LISTED).map(([key, value]) => setAsideChunk(key.slice(UNREADABLE_PREFIX.length), String(value), MAX_SHOWN_BYTES));
    return { chunks, next: stored.size > MAX_SET_ASIDE_LISTED ? chunks.at(-1)!.name : null };
  }

  /** One set-aside chunk with all of its text (at most ROW_CHUNK_BYTES), or null. */
  private async showSetAside(name: string): Promise<SetAsideChunk | null> {
    const value = await this.ctx.storage.get<string>(`${UNREADABLE_PREFIX}${name}`);
    return value === undefined ? null : setAsideChunk(name, String(value), Infinity);
  }

  /**
   * Writes what can be billed of every set-aside chunk to Postgres (salvageRowChunk) and removes those chunks; a chunk
   * that is not a JSON array stays for the operator to read and discard. Idempotent: the rows' request ids are kept or
   * made from the chunk's name, and writeSpend skips ids it already has.
   */
  private async salvage(): Promise<SalvageReport> {
    const report: SalvageReport = { rows: 0, chunks: 0, dropped: 0, kept: [] };
    // A page of chunks at a time (each up to ROW_CHUNK_BYTES), so however many wait, the object's memory stays flat.
    for (let after: string | undefined; ; ) {
      const page = await this.ctx.storage.list<string>({ prefix: UNREADABLE_PREFIX, limit: CHUNKS_PER_FLUSH, ...(after ? { startAfter: after } : {}) });
      for (const [key, text] of page) {
        const name = key.slice(UNREADABLE_PREFIX.length);
        const read = salvageRowChunk(name, String(text));
        if ("problem" in read) {
          report.kept.push({ name, problem: read.problem });
          continue;
        }
        try {
          for (let i = 0; i < read.rows.length; i += BATCH) await writeSpend(this.db(), read.rows.slice(i, i + BATCH));
        } catch (err) {
          // Kept as it is: a later salvage writes it (rows written before the failure are skipped then by their ids).
          logEvent("warn", { msg: "set-aside spend rows not salvaged: the database did not take them", chunk: name, error: err });
          report.kept.push({ name, problem: "the database did not take its rows; salvage again later" });
          continue;
        }
        await this.ctx.storage.delete(key);
        report.rows += read.rows.length;
        report.dropped += read.dropped;
        report.chunks++;
        logEvent("warn", { msg: "set-aside spend rows salvaged", chunk: name, rows: read.rows.length, dropped: read.dropped });
      }
      if (page.size < CHUNKS_PER_FLUSH) return report;
      after = [...page.keys()].at(-1);
    }
  }

  /** Removes set-aside chunks the operator has handled; names that are not set aside are ignored. */
  private async discard(names: readonly string[]): Promise<number> {
    let discarded = 0;
    for (let i = 0; i < names.length; i += MAX_KEYS_PER_DELETE) {
      discarded += await this.ctx.storage.delete(names.slice(i, i + MAX_KEYS_PER_DELETE).map((n) => `${UNREADABLE_PREFIX}${n}`));
    }
    if (discarded) logEvent("warn", { msg: "set-aside spend-row chunks discarded", chunks: discarded });
    return discarded;
  }

  private stateFor(knownSpend: number): KeyState {
    if (!this.state) {
      this.state = new KeyState();
      // First sight of this key: start from what Postgres knows it has spent.
      this.state.spent = knownSpend;
    }
    this.state.silenceMs = this.config().meterSilenceMs;
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

  /** Stores what must outlive an eviction: spend in the period, the period's end, and reservations (leases included). */
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

/**
 * Whether a key's state must outlive an eviction of its object: its spend and budget reservations, and its
 * requests in flight under a parallel limit. An object is evicted after a minute or two without calls, while a
 * request it admitted may still be streaming; forgetting it would free its place. Rate windows are a minute long, so
 * an object idle long enough to be evicted has nothing left in them: they live in memory.
 */
function mustPersist(limits: KeyLimits): boolean {
  return limits.maxBudget !== null || limits.budgetDuration !== null || limits.parallel !== null;
}

/** A set-aside chunk as the operator sees it: why it cannot be read, and up to `shown` characters of its text. */
function setAsideChunk(name: string, text: string, shown: number): SetAsideChunk {
  const read = salvageRowChunk(name, text);
  const problem = "problem" in read ? read.problem : "rows without their request id";
  return { name, bytes: text.length, problem, text: text.slice(0, shown), truncated: text.length > shown };
}

/** A call the object will not act on, and why: the isolate's DurableMeter puts the text in the error it logs. */
function refuse(status: 400 | 404, problem: string): Response {
  logEvent("error", { msg: "meter call refused", status, problem });
  return new Response(problem, { status });
}
