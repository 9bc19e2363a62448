import type { KeyRecord } from "../db/queries.ts";

export type KeyLoader = (keyHash: string) => Promise<KeyRecord | null>;

interface Entry {
  record: KeyRecord | null;
  expiresAt: number;
  loadedAt: number;
}

/**
 * Virtual-key lookups with an isolate-local cache: a warm key costs no database round trip. Entries live for a short
 * TTL so blocking, expiry changes and deletions made elsewhere take effect within seconds; unknown keys are cached
 * for a shorter time so that a newly created key works almost at once while a flood of bad keys stays cheap.
 *
 * Only data is cached, never promises or I/O objects: Workers forbid sharing those across requests.
 */
export class KeyStore {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly load: KeyLoader,
    private readonly ttlMs: number,
    private readonly negativeTtlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(keyHash: string): Promise<KeyRecord | null> {
    return (await this.lookupWithTime(keyHash)).record;
  }

  /** The record and when it was read from the database (the meter refuses to act on a copy older than a change). */
  async lookupWithTime(keyHash: string): Promise<{ record: KeyRecord | null; loadedAt: number }> {
    const t = this.now();
    const hit = this.cache.get(keyHash);
    if (hit && hit.expiresAt > t) return { record: hit.record, loadedAt: hit.loadedAt };
    const record = await this.load(keyHash);
    this.remember(keyHash, record, t);
    return { record, loadedAt: t };
  }

  /** Forget a key now (used after this isolate learns it changed). */
  invalidate(keyHash: string): void {
    this.cache.delete(keyHash);
  }

  /** Apply spend this isolate just recorded, so budget checks on a warm key see it before the cache refreshes. */
  addSpend(keyHash: string, cost: number): void {
    const hit = this.cache.get(keyHash);
    if (hit?.record) hit.record = { ...hit.record, spend: hit.record.spend + cost };
  }

  private remember(keyHash: string, record: KeyRecord | null, t: number): void {
    const ttl = record ? this.ttlMs : this.negativeTtlMs;
    if (ttl <= 0) return;
    if (this.cache.size >= this.maxEntries) {
      // Map iteration is insertion-ordered: drop the oldest entry.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.delete(keyHash);
    this.cache.set(keyHash, { record, expiresAt: t + ttl, loadedAt: t });
  }
}
