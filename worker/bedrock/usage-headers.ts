import type { TokenUsage } from "../meter/cost.ts";

/**
 * The token counts InvokeModel reports in its response headers (`x-amzn-bedrock-input-token-count` and
 * `-output-token-count`, and the prompt-cache counts where the model caches). The body's usage is the one billed;
 * these are what is left to bill by when the body cannot be read. Null when the input and output counts are absent.
 */
export function usageFromHeaders(headers: Headers): TokenUsage | null {
  const input = bedrockTokenCount(headers, "input");
  const output = bedrockTokenCount(headers, "output");
  if (input === null || output === null) return null;
  return {
    input_tokens: input,
    output_tokens: output,
    cache_read_input_tokens: bedrockTokenCount(headers, "cache-read-input") ?? 0,
    cache_creation_input_tokens: bedrockTokenCount(headers, "cache-write-input") ?? 0,
  };
}

/** One `x-amzn-bedrock-<name>-token-count` header as a whole count, or null when absent or not one. */
export function bedrockTokenCount(headers: Headers, name: "input" | "output" | "cache-read-input" | "cache-write-input"): number | null {
  const raw = headers.get(`x-amzn-bedrock-${name}-token-count`);
  const n = raw === null || raw.trim() === "" ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
