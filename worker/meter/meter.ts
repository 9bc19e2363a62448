import type { Defer } from "./spend.ts";
import type { SpendRow } from "../db/queries.ts";
import type { Estimate, KeyLimits, LeaseAsk, LeaseGrant, LeaseReport, Refusal, Standing } from "./key-state.ts";

/** What the Worker asks the meter before calling Bedrock. */
export interface AdmitRequest {
  keyId: string;
  reservationId: string;
  limits: KeyLimits;
  estimate: Estimate;
  /** When the Worker loaded the key record it is acting on; a key changed after that must be reloaded first. */
  recordLoadedAt: number;
  /** The key's spend as Postgres last reported it: the starting point when the meter has never seen this key. */
  knownSpend: number;
  /** Asks for a lease along with the admission (granted only far from every limit). */
  lease?: LeaseAsk;
  /**
   * The isolate reports the request while it runs, if the object admits it by itself (`touch`): a request the object
   * stops hearing of frees what it holds (key-state.ts `silent`).
   */
  reported?: boolean;
}

/** An isolate's word that requests the object admitted by themselves are still running. */
export interface TouchRequest {
  keyId: string;
  reservationIds: string[];
}

export type AdmitResponse =
  | ({ ok: true; lease?: LeaseGrant } & Standing)
  | ({ ok: false; refusal: Refusal } & Standing)
  /** The key changed (blocked, updated, rotated) after the caller loaded it: reload it and ask again. */
  | { ok: false; stale: true };

/** What the Worker tells the meter when a request is over. */
export interface SettleRequest {
  keyId: string;
  reservationId: string;
  limits: KeyLimits;
  actual: { tokens: number; cost: number };
  /** The spend-log row to write durably (null for calls that record none, e.g. count_tokens). */
  row: SpendRow | null;
}

/** A settlement as it travels to the meter object: the row goes beside it as text (worker/meter/row-batches.ts). */
export type SettleControl = Omit<SettleRequest, "row">;

/**
 * Per-key limits and budgets that hold across every isolate. On Workers one Durable Object per key implements it
 * (and keeps unwritten spend rows in its storage until Postgres takes them); under Deno an in-process equivalent.
 */
/** Told when a key's budget period rolls over (so the stored period spend and next reset can be updated). */
export type PeriodRolled = (keyId: string, nextResetAt: number) => Promise<void>;

/**
 * Spend an isolate made under a lease, reported in one batch: counters only (the isolate writes the rows to Postgres
 * itself, and hands the object only those Postgres refused, through `keepRows`).
 */
export interface LeaseSettleRequest extends LeaseReport {
  keyId: string;
  leaseId: string;
  limits: KeyLimits;
}

export interface Meter {
  /**
   * `defer` keeps the invocation open for work the admission starts and the response need not wait for: a leasing
   * meter reports a new lease closed when it lapses. The caller keeps the invocation open until the request settles
   * (the pipeline's `holdOpen`): a leasing meter's reports of the request while it runs ride on that. Required, so a
   * new caller cannot leave the lease's reports out by omission (a test may call a meter class directly without one).
   */
  admit(req: AdmitRequest, defer: Defer): Promise<AdmitResponse>;
  /** Meters whose store is far away (the Durable Object) grant leases; settles under a lease come back here. */
  settleLease?(req: LeaseSettleRequest): Promise<Standing>;
  settle(req: SettleRequest, defer: (p: Promise<unknown>) => void): Promise<Standing | null>;
  /**
   * Settles at once when this isolate holds the reservation itself (under a lease, or a meter in the same process)
   * and says so: then nothing is left to wait for but what it handed to `defer`, and the request needs no
   * `waitUntil` of its own for the settlement. False: the settlement must go through `settle`.
   */
  settleLocally?(req: SettleRequest, defer: (p: Promise<unknown>) => void): boolean;
  /**
   * Keeps spend rows durably until Postgres takes them (the Durable Object's storage and flush alarm): where the
   * lease meter sends rows whose direct write to Postgres failed.
   */
  keepRows?(keyId: string, rows: SpendRow[]): Promise<void>;
  /** Keeps requests admitted with `reported` counted as running (the isolate calls it while they run). */
  touch?(req: TouchRequest): Promise<void>;
  /** A key changed: requests acting on an older copy of it must reload it. */
  keyChanged(keyId: string): Promise<void>;
  /**
   * Stored spend-row chunks of the key that its flush could not read and set aside (the Durable Object's storage), for
   * an operator: listed, salvaged (what can be billed is written to Postgres) or discarded once handled. A meter
   * that stores no rows has none.
   */
  setAside?: SetAsideRows;
}

export interface SetAsideRows {
  /** A page of chunks, oldest first, after the chunk named `after`; `next` names the last one when more follow. */
  list(keyId: string, after?: string): Promise<SetAsideListing>;
  /** One chunk with its whole text, or null if none of that name is set aside. */
  show(keyId: string, name: string): Promise<SetAsideChunk | null>;
  salvage(keyId: string): Promise<SalvageReport>;
  discard(keyId: string, names: readonly string[]): Promise<number>;
}

export interface SetAsideListing {
  chunks: SetAsideChunk[];
  next: string | null;
}

/**
 * One chunk set aside: its name, size, why it cannot be read, and its text (in a listing the first MAX_SHOWN_BYTES
 * of it, `truncated` if there is more; shown alone, all of it).
 */
export interface SetAsideChunk {
  name: string;
  bytes: number;
  problem: string;
  text: string;
  truncated: boolean;
}

/** What a salvage wrote (rows, from how many chunks, objects in them that were not rows) and the chunks it kept. */
export interface SalvageReport {
  rows: number;
  chunks: number;
  dropped: number;
  kept: { name: string; problem: string }[];
}

/**
 * A key's meter object could not be reached, or failed (overloaded, reset by a deployment, its storage failing). The
 * caller is told to retry shortly (a 503), as when the database does not answer: nothing about the request was
 * wrong, and nothing was billed.
 */
export class MeterUnavailable extends Error {
  constructor(op: string, cause: unknown) {
    super(`the key's meter did not answer ${op}`, { cause });
    this.name = "MeterUnavailable";
  }
}
