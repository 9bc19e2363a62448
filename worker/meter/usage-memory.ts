// What the isolate remembers of each key's recent requests, for estimates: the prompt prefixes it has cached (with
// their TTL) and how long its answers have been. Bounded in every dimension (keys, prefixes per key, answers per
// key), so memory stays flat however many requests and keys pass through.
import { NO_RECALL, type KeyRecall } from "./estimate.ts";
import type { PrefixMark } from "./request-shape.ts";

const TTL_MS = { "5m": 5 * 60_000, "1h": 60 * 60_000 } as const;
/** Bedrock's cache may drop a prefix a little before its TTL; so does the memory, to stay on the safe side. */
const TTL_MARGIN_MS = 30_000;
const OUTPUTS_KEPT = 16;
const PREFIXES_KEPT = 32;
/** Headroom over the longest recent answer: the next one is priced as up to half as long again. */
const OUTPUT_HEADROOM = 1.5;
const MIN_OUTPUT = 512;

class KeyMemory implements KeyRecall {
  private readonly outputs: number[] = [];
  private next = 0;
  readonly prefixes = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  cached(fp: string): boolean {
    const until = this.prefixes.get(fp);
    return until !== undefined && until > this.now();
  }

  typicalOutput(): number | null {
    if (this.outputs.length === 0) return null;
    let max = 0;
    for (const n of this.outputs) if (n > max) max = n;
    return Math.max(MIN_OUTPUT, Math.ceil(max * OUTPUT_HEADROOM));
  }

  answered(outputTokens: number): void {
    this.outputs[this.next] = outputTokens;
    this.next = (this.next + 1) % OUTPUTS_KEPT;
  }

  /** A cache read refreshes the TTL, as Anthropic's does; the oldest entry makes room for a new one. */
  cachedNow(marks: readonly PrefixMark[]): void {
    const t = this.now();
    for (const m of marks) {
      this.prefixes.delete(m.fp);
      this.prefixes.set(m.fp, t + TTL_MS[m.ttl] - TTL_MARGIN_MS);
    }
    while (this.prefixes.size > PREFIXES_KEPT) this.prefixes.delete(this.prefixes.keys().next().value!);
  }
}

export class UsageMemory {
  private readonly keys = new Map<string, KeyMemory>();

  constructor(
    private readonly maxKeys = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key's recall (a fresh, empty one for a key not seen lately). */
  recall(keyId: string): KeyRecall {
    return this.keys.get(keyId) ?? NO_RECALL;
  }

  /** Learns from a settled request: its answer's length, and that its prefixes are now in the cache. */
  learn(keyId: string, outcome: { outputTokens: number; cacheTouched: boolean; prefixes: readonly PrefixMark[] }): void {
    const k = this.entry(keyId);
    k.answered(outcome.outputTokens);
    if (outcome.cacheTouched && outcome.prefixes.length) k.cachedNow(outcome.prefixes);
  }

  get size(): number {
    return this.keys.size;
  }

  private entry(keyId: string): KeyMemory {
    let k = this.keys.get(keyId);
    if (k) {
      // Most recently used last, so the first entry is the one to evict.
      this.keys.delete(keyId);
    } else {
      k = new KeyMemory(this.now);
      if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(keyId, k);
    return k;
  }
}
