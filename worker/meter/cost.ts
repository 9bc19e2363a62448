import type { Price } from "../models/catalog.ts";

/** Token counts by kind, as Anthropic reports them (input excludes cached tokens). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** Of the cache writes, how many used the 1-hour TTL (priced higher); the rest are 5-minute writes. */
  cache_creation_1h_input_tokens?: number;
}

/**
 * Exact cost in USD of one request. Prices are per 1M tokens; cache reads and writes are priced at the catalog's
 * cache prices, falling back to the input price where a model has none (so nothing is ever billed at zero).
 */
export function costOf(usage: TokenUsage, price: Price): number {
  const write1h = Math.min(usage.cache_creation_1h_input_tokens ?? 0, usage.cache_creation_input_tokens);
  const write5m = usage.cache_creation_input_tokens - write1h;
  const micro =
    usage.input_tokens * price.input +
    usage.output_tokens * price.output +
    usage.cache_read_input_tokens * (price.cacheRead ?? price.input) +
    write5m * (price.cacheWrite ?? price.input) +
    write1h * (price.cacheWrite1h ?? price.cacheWrite ?? price.input);
  // Round to 1e-10 USD (the spend log's scale) so sums of many rows stay exact in Postgres numeric.
  return Math.round(micro * 1e4) / 1e10;
}
