// Deterministic token accounting, so tests can predict usage and spend exactly.
//
// Input:  a request is cut into segments — each tool definition, each system block, each message content block
//         (a string `content` or `system` is one segment). tokens(segments) = ceil(sum of JSON.stringify lengths / 4).
// Output: 1 + for each generated text/thinking block its whitespace-separated word count, for each tool call
//         ceil(JSON.stringify(input).length / 4). A redacted_thinking block counts 0 (its data is opaque).
// Cache:  the prefix is every segment up to and including the last one carrying a breakpoint (`cache_control` on
//         Claude, a `cachePoint` block on Converse). The first request with a given prefix (per base model) writes
//         it: cache_creation = tokens(prefix); later requests with the same prefix read it: cache_read =
//         tokens(prefix). input_tokens is the rest, as on Anthropic's API: total − cache_creation − cache_read.
//         A write is split by TTL with Anthropic's mixed-TTL rule: the 1-hour share is the prefix up to the last
//         breakpoint with ttl "1h", the 5-minute share the rest (reads are not split). No minimum-size rule and no
//         expiry: simple, but repeatable.
import { createHash } from "node:crypto";
import type { Usage } from "./types.ts";

export type CacheTtl = "5m" | "1h";

export interface Segment {
  json: string;
  /** Set when this segment ends a cacheable prefix. */
  breakpoint?: CacheTtl;
  /**
   * What the cache compares, when it differs from `json`: the block without its `cache_control`. Anthropic's cache
   * keys on content, not on where the markers sit, so a block marked in one request and not in the next still hits.
   */
  cacheKey?: string;
}

export interface UsageNumbers {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** The part of cacheWriteTokens written with the 1-hour TTL (the rest is 5-minute). */
  cacheWrite1hTokens: number;
}

export const tokensForChars = (chars: number): number => Math.ceil(chars / 4);

export function totalInputTokens(segments: Segment[]): number {
  return tokensForChars(segments.reduce((n, s) => n + s.json.length, 0));
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== "").length;
}

/** Remembers which prompt prefixes have been "written" to the cache; cleared by Emulator.reset(). */
export class PromptCache {
  private readonly seen = new Set<string>();

  clear(): void {
    this.seen.clear();
  }

  /**
   * Splits the input into uncached/cache-write/cache-read tokens, as Anthropic's cache does with several
   * breakpoints: the longest prefix ending at any breakpoint that was cached before is read; from there up to the
   * last breakpoint is written (conversations grow, so the newest breakpoint moves while earlier ones still hit).
   * Every breakpoint's prefix is recorded as written.
   */
  account(modelKey: string, segments: Segment[]): Omit<UsageNumbers, "outputTokens"> {
    const total = totalInputTokens(segments);
    const breakpoints = segments.flatMap((s, i) => (s.breakpoint ? [i] : []));
    const last = breakpoints.at(-1);
    if (last === undefined) return { inputTokens: total, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 };
    const hash = createHash("sha256").update(modelKey).update("\0");
    const keys = new Map<number, string>();
    for (let i = 0; i <= last; i++) {
      hash.update(segments[i]!.cacheKey ?? segments[i]!.json).update("\0");
      if (segments[i]!.breakpoint) keys.set(i, hash.copy().digest("hex"));
    }
    const hitAt = [...breakpoints].reverse().find((i) => this.seen.has(keys.get(i)!));
    for (const k of keys.values()) this.seen.add(k);
    const prefixTokens = Math.min(total, totalInputTokens(segments.slice(0, last + 1)));
    const readTokens = hitAt === undefined ? 0 : Math.min(prefixTokens, totalInputTokens(segments.slice(0, hitAt + 1)));
    const writeTokens = prefixTokens - readTokens;
    // The 1-hour share of the write: the part of it that lies before the last 1-hour breakpoint.
    const last1h = segments.findLastIndex((s) => s.breakpoint === "1h");
    const oneHourEnd = Math.min(prefixTokens, totalInputTokens(segments.slice(0, last1h + 1)));
    return {
      inputTokens: total - prefixTokens,
      cacheReadTokens: readTokens,
      cacheWriteTokens: writeTokens,
      cacheWrite1hTokens: Math.max(0, Math.min(writeTokens, oneHourEnd - readTokens)),
    };
  }
}

export function applyUsageOverride(usage: UsageNumbers, override: Usage | undefined): UsageNumbers {
  if (!override) return usage;
  const write = override.cache_creation_input_tokens ?? usage.cacheWriteTokens;
  // An overridden write keeps the request's TTLs: an all-1-hour write stays all 1-hour, a mixed one keeps at most its 1-hour share.
  const allOneHour = usage.cacheWriteTokens > 0 && usage.cacheWrite1hTokens === usage.cacheWriteTokens;
  return {
    inputTokens: override.input_tokens ?? usage.inputTokens,
    outputTokens: override.output_tokens ?? usage.outputTokens,
    cacheReadTokens: override.cache_read_input_tokens ?? usage.cacheReadTokens,
    cacheWriteTokens: write,
    cacheWrite1hTokens: allOneHour ? write : Math.min(usage.cacheWrite1hTokens, write),
  };
}
