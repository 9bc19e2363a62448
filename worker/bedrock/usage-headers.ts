import type { TokenUsage } from "../meter/cost.ts";

/**
 * The token counts InvokeModel reports in its response headers (`x-amzn-bedrock-input-token-count` and
 * `-output-token-count`, and the prompt-cache counts where the model caches). The body's usage is the one billed;
 * these are what is left to bill by when the body cannot be read. Null when the input and output counts are absent.
 */
export function usageFromHeaders(headers: Headers): TokenUsage | null {
  const count = (name: string): number | null => {
    const raw = headers.get(`x-amzn-bedrock-${name}-token-count`);
    const n = raw === null || raw.trim() === "" ? NaN : Number(raw);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  };
  const input = count("input");
  const output = count("output");
  if (input === null || output === null) return null;
  return {
    input_tokens: input,
    output_tokens: output,
    cache_read_input_tokens: count("cache-read-input") ?? 0,
    cache_creation_input_tokens: count("cache-write-input") ?? 0,
  };
}
